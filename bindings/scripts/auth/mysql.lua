-- MQTT authentication and authorization from MySQL/MariaDB through the
-- `mysql` provider (table vmq_auth_acl, see README.md). Enable with
--   vmq_diversity.auth_mysql.enabled = on
-- The pool takes every setting from vmq_diversity.mysql.*; passwords are
-- compared by the server after hashing with
-- vmq_diversity.mysql.password_hash_method (default: password, i.e.
-- PASSWORD(?)).

require "auth/auth_commons"
require "auth/mysql_commons"

pool = "auth_mysql"
mysql.ensure_pool({ pool_id = pool })

function auth_on_register(reg)
  return auth_on_register_mysql(mysql, pool, reg)
end

hooks = auth_hooks()
