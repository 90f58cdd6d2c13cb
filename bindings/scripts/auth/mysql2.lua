-- MQTT authentication and authorization from MySQL/MariaDB through the
-- `mysql2` provider (table vmq_auth_acl, see README.md). Enable with
--   vmq_diversity.auth_mysql2.enabled = on
-- The pool takes every setting from vmq_diversity.mysql2.*; passwords are
-- compared by the server after hashing with
-- vmq_diversity.mysql2.password_hash_method (default: sha256, i.e.
-- SHA2(?, 256)).

require "auth/auth_commons"
require "auth/mysql_commons"

pool = "auth_mysql2"
mysql2.ensure_pool({ pool_id = pool })

function auth_on_register(reg)
  return auth_on_register_mysql(mysql2, pool, reg)
end

hooks = auth_hooks()
