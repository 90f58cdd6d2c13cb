-- An example vmq_diversity plugin (runs unchanged on VerneMQ and oxilua-vmq).
--
-- * alice logs in with a password; her ACLs go into the ACL cache, which
--   then decides her publishes and subscriptions without calling the hooks
--   below (until she goes offline).
-- * devices (client ids "sensor-*", user "device") log in with a shared
--   password and are checked by the hooks: they publish under "sensors/..."
--   which is rewritten to "devices/<client id>/...", and may only subscribe
--   to "cmd/<client id>".
-- * on_publish counts messages per topic in a kv table and logs them.

local USERS = {
  alice = {
    password = "wonderland",
    publish = {
      { pattern = "alice/#" },
      { pattern = "shared/%u/+", max_qos = 1 },
    },
    subscribe = {
      { pattern = "alice/#" },
      { pattern = "shared/#", max_qos = 1 },
    },
  },
}
local DEVICE_PASSWORD = "sensor-pw"

kv.ensure_table({ name = "example_counts" })

local function is_device(client_id, username)
  return username == "device" and string.sub(client_id, 1, 7) == "sensor-"
end

function auth_on_register(reg)
  local user = USERS[reg.username]
  if user then
    if reg.password ~= user.password then
      return false
    end
    auth_cache.insert(reg.mountpoint, reg.client_id, reg.username,
                      user.publish, user.subscribe)
    return true
  end
  if is_device(reg.client_id, reg.username) then
    if reg.password ~= DEVICE_PASSWORD then
      return false
    end
    -- devices get a smaller inflight window
    return { max_inflight_messages = 10 }
  end
  return false
end

function auth_on_publish(pub)
  if not is_device(pub.client_id, pub.username) then
    return false
  end
  local rest = string.match(pub.topic, "^sensors/(.+)$")
  if not rest then
    return false
  end
  return { topic = "devices/" .. pub.client_id .. "/" .. rest }
end

function auth_on_subscribe(sub)
  if not is_device(sub.client_id, sub.username) then
    return false
  end
  for _, t in ipairs(sub.topics) do
    if t[1] ~= "cmd/" .. sub.client_id then
      return false
    end
  end
  return true
end

function on_publish(pub)
  local seen = kv.lookup("example_counts", pub.topic)
  local n = (seen[1] or 0) + 1
  kv.insert("example_counts", { [pub.topic] = n })
  log.info("message " .. n .. " on " .. pub.topic .. " from " .. pub.client_id
           .. " (" .. #pub.payload .. " bytes)")
end

function on_client_offline(ev)
  log.info(ev.client_id .. " went offline")
end

hooks = {
  auth_on_register = auth_on_register,
  auth_on_publish = auth_on_publish,
  auth_on_subscribe = auth_on_subscribe,
  on_publish = on_publish,
  on_client_offline = on_client_offline,
}
