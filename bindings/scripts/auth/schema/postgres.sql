-- Table of auth/postgres.lua (PostgreSQL).
-- psql -h HOST -U USER -d DATABASE -f bindings/scripts/auth/schema/postgres.sql
-- pgcrypto provides crypt() and gen_salt() (a trusted extension since
-- PostgreSQL 13: the database owner may create it).
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE IF NOT EXISTS vmq_auth_acl (
  mountpoint character varying(10) NOT NULL,
  client_id character varying(128) NOT NULL,
  username character varying(128) NOT NULL,
  password character varying(128),
  publish_acl json,
  subscribe_acl json,
  CONSTRAINT vmq_auth_acl_primary_key PRIMARY KEY (mountpoint, client_id, username)
);
