-- MQTT authentication and authorization from Redis (see README.md).
-- Enable with
--   vmq_diversity.auth_redis.enabled = on
-- The pool takes every setting from vmq_diversity.redis.*.
--
-- Key: the JSON array [mountpoint, client_id, username], as json.encode
-- writes it: ["","test-client","test-user"]. The client_id "*" gives the
-- default entry for every client of that mountpoint and username.
-- Value: the JSON object
--   {"passhash": "<bcrypt hash>", "publish_acl": [...], "subscribe_acl": [...]}

require "auth/auth_commons"

pool = "auth_redis"
redis.ensure_pool({ pool_id = pool })

local function lookup(mountpoint, client_id, username)
  -- the key goes as its own argument, so keys with spaces work too
  local v = redis.cmd(pool, "get", json.encode({ mountpoint, client_id, username }))
  if type(v) == "string" then
    return v
  end
  return nil
end

function auth_on_register(reg)
  if reg.username == nil or reg.password == nil then
    return false
  end
  local password = obf.decrypt(reg.password)
  local value = lookup(reg.mountpoint, reg.client_id, reg.username)
    or lookup(reg.mountpoint, "*", reg.username)
  if value == nil then
    return false
  end
  local entry = json.decode(value)
  if type(entry) ~= "table" then
    return false
  end
  if bcrypt_matches(password, entry.passhash) then
    cache_insert(reg.mountpoint, reg.client_id, reg.username,
      acl_table(entry.publish_acl), acl_table(entry.subscribe_acl))
    return true
  end
  return false
end

hooks = auth_hooks()
