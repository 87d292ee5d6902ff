-- The image's entrypoint creates the `platform` user (MARIADB_USER); each
-- service creates its own database on first start, so the user may create
-- and own exactly these four.
GRANT ALL PRIVILEGES ON `user_db`.* TO 'platform'@'%';
GRANT ALL PRIVILEGES ON `product_db`.* TO 'platform'@'%';
GRANT ALL PRIVILEGES ON `order_db`.* TO 'platform'@'%';
GRANT ALL PRIVILEGES ON `payment_db`.* TO 'platform'@'%';
