-- Table of auth/cockroachdb.lua (CockroachDB; also valid PostgreSQL).
-- cockroach sql --url postgresql://USER@HOST:26257/DATABASE -f bindings/scripts/auth/schema/cockroachdb.sql
CREATE TABLE IF NOT EXISTS vmq_auth_acl (
  mountpoint character varying(10) NOT NULL,
  client_id character varying(128) NOT NULL,
  username character varying(128) NOT NULL,
  password character varying(128),
  publish_acl json,
  subscribe_acl json,
  CONSTRAINT vmq_auth_acl_primary_key PRIMARY KEY (mountpoint, client_id, username)
);
