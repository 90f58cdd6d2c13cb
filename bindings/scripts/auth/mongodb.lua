-- MQTT authentication and authorization from MongoDB (collection
-- vmq_acl_auth, see README.md). Enable with
--   vmq_diversity.auth_mongodb.enabled = on
-- The pool takes every setting from vmq_diversity.mongodb.*.
--
-- A document: { mountpoint, client_id, username, passhash (bcrypt),
--   publish_acl = [ {pattern, max_qos, max_payload_size, allowed_retain,
--                    modifiers}, ... ],
--   subscribe_acl = [ {pattern, max_qos, modifiers}, ... ] }
-- A document with client_id "*" applies to every client of that mountpoint
-- and username when none names the client.

require "auth/auth_commons"

pool = "auth_mongodb"
mongodb.ensure_pool({ pool_id = pool })

local COLLECTION = "vmq_acl_auth"

function auth_on_register(reg)
  if reg.username == nil or reg.password == nil then
    return false
  end
  local doc = mongodb.find_one(pool, COLLECTION,
      { mountpoint = reg.mountpoint, client_id = reg.client_id, username = reg.username })
    or mongodb.find_one(pool, COLLECTION,
      { mountpoint = reg.mountpoint, client_id = "*", username = reg.username })
  if type(doc) ~= "table" then
    return false
  end
  if bcrypt_matches(obf.decrypt(reg.password), doc.passhash) then
    cache_insert(reg.mountpoint, reg.client_id, reg.username,
      acl_table(doc.publish_acl), acl_table(doc.subscribe_acl))
    return true
  end
  return false
end

hooks = auth_hooks()
