-- The argument tables (reference §3.2-3.4) as a script sees them, described
-- as "key=value" sorted, returned as the username modifier.
local h = require "lib/helpers"
assert(require "lib/helpers" == h and helpers_loaded == 1)

hooks = {
  auth_on_register = function(reg)
    return { username = h.describe(reg) }
  end,
  auth_on_subscribe = function(sub)
    local parts = {}
    for _, t in ipairs(sub.topics) do parts[#parts + 1] = t[1] .. ":" .. tostring(t[2]) end
    local topic = "described/" .. h.describe(sub) .. "/" .. table.concat(parts, ",")
    topic = string.gsub(string.gsub(topic, " ", "_"), "[+#]", "W")
    return { { topic, 0 } }
  end,
  on_register = function(reg)
    kv.ensure_table({ name = "args_onreg" })
    kv.insert("args_onreg", { last = h.describe(reg) })
  end,
  auth_on_publish = function(pub)
    if pub.topic == "onreg" then return { payload = kv.lookup("args_onreg", "last")[1] } end
    return { payload = h.describe(pub) }
  end,
}
