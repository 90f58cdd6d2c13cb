-- MQTT authentication and authorization from CockroachDB (table
-- vmq_auth_acl, see README.md). Enable with
--   vmq_diversity.auth_cockroachdb.enabled = on
-- The pool takes every setting from vmq_diversity.cockroachdb.*; the
-- password check follows vmq_diversity.cockroachdb.password_hash_method
-- (bcrypt: here, the default; sha256: by the server).

require "auth/auth_commons"
require "auth/postgres_cockroach_commons"

pool = "auth_cockroachdb"
cockroachdb.ensure_pool({ pool_id = pool })

function auth_on_register(reg)
  return auth_on_register_common(cockroachdb, pool, reg)
end

hooks = auth_hooks()
