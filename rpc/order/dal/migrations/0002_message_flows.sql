-- The message flows (order.created, order.timeout, payment.succeeded).
-- paid_payment_id names the payment that moved the order to PAID, so a
-- payment.succeeded for another payment of the order is recognised (and
-- refunded) on every delivery; the status index serves the consistency
-- checker's scan of orders still awaiting payment.
ALTER TABLE orders
    ADD COLUMN paid_payment_id BIGINT NULL AFTER cancel_reason,
    ADD KEY idx_orders_status_created (status, created_at);

-- One row per message a consumer has applied, written in the same
-- transaction as the message's effect: the message key (the order or
-- payment ID it is about) identifies it, as a redelivered or re-sent copy
-- has a new message ID but the same key. Rows older than the broker's
-- message retention (3 days by default) can never match again.
CREATE TABLE processed_messages (
    consumer     VARCHAR(64)  NOT NULL,
    msg_key      VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    processed_at DATETIME(3)  NOT NULL,
    PRIMARY KEY (consumer, msg_key)
) ENGINE=InnoDB;
