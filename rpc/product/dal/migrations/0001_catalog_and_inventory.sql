-- Catalog and stock counters in one row: a reservation changes the counters
-- with one conditional UPDATE per product, so stock can never go negative.
-- Initial stock plus restocks always equals available + reserved + sold.
CREATE TABLE products (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(200) NOT NULL,
    description TEXT         NOT NULL,
    category    VARCHAR(64)  NOT NULL,
    price_cents BIGINT       NOT NULL,
    status      TINYINT      NOT NULL,
    available   BIGINT       NOT NULL,
    reserved    BIGINT       NOT NULL,
    sold        BIGINT       NOT NULL,
    -- version grows with every write to the row; the cache refuses to store
    -- a version older than the last invalidation.
    version     BIGINT       NOT NULL,
    created_at  DATETIME(3)  NOT NULL,
    updated_at  DATETIME(3)  NOT NULL,
    KEY idx_products_status_id (status, id),
    KEY idx_products_status_category_id (status, category, id),
    CONSTRAINT chk_products_counters CHECK (price_cents >= 0 AND available >= 0 AND reserved >= 0 AND sold >= 0)
) ENGINE = InnoDB;

-- One reservation per order: the primary key makes ReserveStock idempotent.
-- state moves HELD -> RELEASED or HELD -> CONFIRMED, never back.
CREATE TABLE stock_reservations (
    order_id   BIGINT      NOT NULL PRIMARY KEY,
    state      VARCHAR(16) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    updated_at DATETIME(3) NOT NULL
) ENGINE = InnoDB;

CREATE TABLE stock_reservation_items (
    order_id   BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    quantity   INT    NOT NULL,
    PRIMARY KEY (order_id, product_id),
    CONSTRAINT chk_reservation_items_quantity CHECK (quantity > 0)
) ENGINE = InnoDB;

-- Every stock movement, as the change it made to each counter of the
-- product: summing a product's rows gives its available, reserved and sold.
CREATE TABLE stock_ledger (
    id              BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id      BIGINT      NOT NULL,
    order_id        BIGINT      NULL,
    kind            VARCHAR(16) NOT NULL,
    available_delta BIGINT      NOT NULL,
    reserved_delta  BIGINT      NOT NULL,
    sold_delta      BIGINT      NOT NULL,
    created_at      DATETIME(3) NOT NULL,
    KEY idx_stock_ledger_product (product_id, id),
    KEY idx_stock_ledger_order (order_id)
) ENGINE = InnoDB;
