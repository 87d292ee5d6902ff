-- Orders and their items. IDs come from pkg/idgen (snowflake), so the order
-- ID exists before the row does and can be sent to the product service first.
-- The idempotency key is binary so that keys differing only in case or
-- trailing spaces stay different keys.
CREATE TABLE orders (
    order_id        BIGINT       NOT NULL,
    user_id         BIGINT       NOT NULL,
    idempotency_key VARBINARY(512) NOT NULL, -- up to 128 UTF-8 characters
    status          TINYINT      NOT NULL,
    total_cents     BIGINT       NOT NULL,
    cancel_reason   VARCHAR(255) NOT NULL DEFAULT '',
    created_at      DATETIME(3)  NOT NULL,
    updated_at      DATETIME(3)  NOT NULL,
    PRIMARY KEY (order_id),
    UNIQUE KEY uk_orders_user_idempotency (user_id, idempotency_key),
    KEY idx_orders_user_created (user_id, created_at, order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE order_items (
    order_id         BIGINT       NOT NULL,
    line_no          SMALLINT     NOT NULL,
    product_id       BIGINT       NOT NULL,
    name             VARCHAR(255) NOT NULL,
    unit_price_cents BIGINT       NOT NULL,
    quantity         INT          NOT NULL,
    subtotal_cents   BIGINT       NOT NULL,
    PRIMARY KEY (order_id, line_no),
    UNIQUE KEY uk_order_items_product (order_id, product_id),
    CONSTRAINT fk_order_items_order FOREIGN KEY (order_id) REFERENCES orders (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
