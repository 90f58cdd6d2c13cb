-- MQTT authentication and authorization from PostgreSQL (table
-- vmq_auth_acl, see README.md). Enable with
--   vmq_diversity.auth_postgres.enabled = on
-- The pool takes every setting from vmq_diversity.postgres.*; the password
-- check follows vmq_diversity.postgres.password_hash_method (crypt: by the
-- server with pgcrypto, the default; bcrypt: here).

require "auth/auth_commons"
require "auth/postgres_cockroach_commons"

pool = "auth_postgres"
postgres.ensure_pool({ pool_id = pool })

function auth_on_register(reg)
  return auth_on_register_common(postgres, pool, reg)
end

hooks = auth_hooks()
