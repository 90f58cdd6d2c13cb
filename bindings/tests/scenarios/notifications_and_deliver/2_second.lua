local function note(hook, ev) kv.insert("seen", { [ev.client_id] = "2:" .. hook }) end
hooks = {
  on_register = function(r) note("on_register", r) end,
  on_publish = function(p) note("on_publish", p) end,
  on_subscribe = function(s) note("on_subscribe", s) end,
  on_client_offline = function(c) note("on_client_offline", c) end,
  on_client_wakeup = function(c) note("on_client_wakeup", c) end,
  on_offline_message = function(m)
    -- on_offline_message has no username field
    note("on_offline_message:" .. tostring(m.username) .. ":" .. m.payload, m)
  end,
  on_subscribe_m5 = function(s) note("on_subscribe_m5:" .. #s.topics, s) end,
  on_deliver = function(d)
    -- reached only when 1_first continued
    if d.topic == "rewrite" then return { topic = "new/topic", payload = "x" .. d.payload } end
    if d.topic == "boom" or d.topic == "twice" then kv.insert("seen", { deliver = "reached" }) end
    return true
  end,
  -- the "seen" log of a client, and whether on_deliver's second script ran
  auth_on_register = function(r)
    local seen = kv.lookup("seen", r.client_id)
    table.sort(seen)
    return { username = table.concat(seen, " ") .. "|" .. #kv.lookup("seen", "deliver") }
  end,
}
