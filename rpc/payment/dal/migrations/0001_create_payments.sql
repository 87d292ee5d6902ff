-- One row per payment attempt. (order_id, idempotency_key) makes a request
-- key pay at most once; succeeded_order_id equals order_id only while the
-- payment is SUCCEEDED and is NULL otherwise, and since NULLs never collide
-- in a unique key, the database itself allows one success per order.
CREATE TABLE payments (
    id                 BIGINT       NOT NULL AUTO_INCREMENT,
    order_id           BIGINT       NOT NULL,
    user_id            BIGINT       NOT NULL,
    idempotency_key    VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount_cents       BIGINT       NOT NULL,
    method             VARCHAR(32)  NOT NULL,
    status             TINYINT      NOT NULL,
    provider_ref       VARCHAR(64)  NOT NULL DEFAULT '',
    failure_reason     VARCHAR(255) NOT NULL DEFAULT '',
    succeeded_order_id BIGINT       NULL,
    created_at         DATETIME(3)  NOT NULL,
    updated_at         DATETIME(3)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_payments_order_key (order_id, idempotency_key),
    UNIQUE KEY uk_payments_succeeded_order (succeeded_order_id),
    KEY idx_payments_user (user_id)
) ENGINE=InnoDB;
