-- username keeps the case the user chose; username_lower is the unique key,
-- compared byte for byte, so "Bob" and "bob" collide whatever the collation.
CREATE TABLE users (
    id             BIGINT       NOT NULL AUTO_INCREMENT,
    username       VARCHAR(32)  NOT NULL,
    username_lower VARCHAR(32)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    password_hash  VARBINARY(60) NOT NULL,
    created_at     DATETIME(3)  NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_users_username_lower (username_lower)
) ENGINE=InnoDB;
