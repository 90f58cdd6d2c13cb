-- Notification hooks ("all" dispatch): every script runs, whatever each
-- returns or raises; the reply is {}. on_deliver is all_till_ok but not an
-- auth hook: a script error stops the chain with lua_script_error.
kv.ensure_table({ name = "seen", type = "bag" })
local function note(hook, ev) kv.insert("seen", { [ev.client_id] = "1:" .. hook }) end
hooks = {
  on_register = function(r) note("on_register", r); return false end,
  on_publish = function(p) note("on_publish", p); error("junk") end,
  on_subscribe = function(s) note("on_subscribe", s); return { junk = true } end,
  on_client_offline = function(c) note("on_client_offline", c); return true, true end,
  on_client_wakeup = function(c) note("on_client_wakeup", c); while true do end end,
  on_offline_message = function(m) note("on_offline_message", m); return {} end,
  on_deliver = function(d)
    if d.topic == "boom" then error("deliver failed") end
    if d.topic == "twice" then return 1, 2 end
    if d.topic == "false" then return false end
    if d.topic == "props" then return { properties = { p_content_type = "x" } } end
  end,
}
