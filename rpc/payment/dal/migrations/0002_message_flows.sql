-- The message flows (payment.succeeded, payment.refund). The status index
-- serves the sweeper, which re-drives payments left PENDING.
ALTER TABLE payments ADD KEY idx_payments_status_updated (status, updated_at);

-- One row per message a consumer has applied, written in the same
-- transaction as the message's effect: the message key (the payment ID)
-- identifies it, as a redelivered or re-sent copy has a new message ID but
-- the same key. Rows older than the broker's message retention (3 days by
-- default) can never match again.
CREATE TABLE processed_messages (
    consumer     VARCHAR(64)  NOT NULL,
    msg_key      VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    processed_at DATETIME(3)  NOT NULL,
    PRIMARY KEY (consumer, msg_key)
) ENGINE=InnoDB;
