-- Table of auth/mysql.lua and auth/mysql2.lua (MySQL, MariaDB).
-- mariadb -h HOST -u USER -p DATABASE < bindings/scripts/auth/schema/mysql.sql
CREATE TABLE IF NOT EXISTS vmq_auth_acl (
  mountpoint VARCHAR(10) NOT NULL,
  client_id VARCHAR(128) NOT NULL,
  username VARCHAR(128) NOT NULL,
  password VARCHAR(128),
  publish_acl TEXT,
  subscribe_acl TEXT,
  CONSTRAINT vmq_auth_acl_primary_key PRIMARY KEY (mountpoint, client_id, username)
);
