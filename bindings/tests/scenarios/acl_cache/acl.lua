-- The ACL cache (reference §4): auth_on_register fills it; later publishes,
-- subscribes and unsubscribes of that client are decided by it without
-- calling the script; on_client_offline/gone/session_expired delete the
-- client's oldest row.
local PUB = {
  { pattern = "users/%u/#" },
  { pattern = "clients/%c/+", max_qos = 1 },
  { pattern = "mp/%m/x" },
  { pattern = "small", max_payload_size = 5 },
  { pattern = "noretain", allowed_retain = false },
  { pattern = "rewrite/me", modifiers = { topic = "rewritten/topic", qos = 1, payload = "hello world", retain = true } },
  { pattern = "m5/mods", modifiers = { properties = { p_content_type = "cache-content-type",
                                                      p_user_property = { { k1 = "v3" }, { k3 = "v3" } } } } },
  { pattern = "partial%u/x" }, -- %u only counts as a whole level
  { pattern = "bad/#/pattern" }, -- invalid: never matches
  { pattern = "badmods", modifiers = { topic = "a/#" } }, -- invalid modifiers: grants without them
}
local SUB = {
  { pattern = "users/%u/#" },
  { pattern = "shared/+", max_qos = 1 },
  { pattern = "sub/rewrite", modifiers = { { "hello/world", 2 } } },
  { pattern = "sub/two", modifiers = { { "x/y", 1 }, { "no/way", 128 } } },
}

hooks = {
  auth_on_register = function(reg)
    local u = reg.username
    if u == "alice" then
      return auth_cache.insert(reg.mountpoint, reg.client_id, u, PUB, SUB)
    end
    if u == "nopub" then
      return auth_cache.insert(reg.mountpoint, reg.client_id, u, nil, { { pattern = "#" } })
    end
    if u == "probe" then
      -- what the cache says, seen from Lua
      local a = auth_cache.match_publish(reg.mountpoint, "a1", "users/alice/x", 0, "", false)
      local b = auth_cache.match_publish(reg.mountpoint, "a1", "users/bob/x", 0, "", false)
      local c = auth_cache.match_subscribe(reg.mountpoint, "a1", "sub/rewrite", 1)
      local d = auth_cache.match_publish(reg.mountpoint, "a1", "rewrite/me", 0, "", false)
      local e = auth_cache.match_publish(reg.mountpoint, "nobody", "users/alice/x", 0, "", false)
      local f = auth_cache.match_publish(reg.mountpoint, "a1", "m5/mods", 0, "", false)
      local s = tostring(a) .. " " .. tostring(b) .. " " .. (type(c) == "table" and (c[1][1] .. ":" .. c[1][2]) or tostring(c))
        .. " " .. (type(d) == "table" and (d.topic .. ":" .. d.qos .. ":" .. d.payload .. ":" .. tostring(d.retain)) or tostring(d))
        .. " " .. tostring(e)
        .. " " .. (type(f) == "table" and (f.properties.p_content_type .. ":" .. f.properties.p_user_property.k1
                                          .. ":" .. f.properties.p_user_property.k3) or tostring(f))
      return { username = s }
    end
    if u == "badinsert" then
      local ok, err = pcall(auth_cache.insert, 1, reg.client_id, u, nil, nil)
      return { username = tostring(ok) }
    end
    return false
  end,
  -- only reached when the client has no cache entry
  auth_on_publish = function(pub) return pub.topic == "script/allows" end,
  auth_on_publish_m5 = function(pub) return pub.topic == "script/allows" end,
  auth_on_subscribe = function(sub) return sub.topics[1][1] == "script/allows" end,
  on_unsubscribe = function(u) return { "from/script" } end,
  on_client_offline = function(c) end,
}
