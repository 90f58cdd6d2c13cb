-- keep_state = false (the default): every call starts from the state right
-- after loading. Writes to globals, to tables that existed before the call,
-- to upvalues and to metatables are all undone.
counter = 0
config = { level = 1, list = { "a" } }
local hidden = 0
local mt = {}
setmetatable(config, mt)
hooks = {
  auth_on_register = function(reg)
    if reg.client_id ~= "fresh" then return end
    counter = counter + 1
    config.level = config.level + 1
    table.insert(config.list, "b")
    hidden = hidden + 1
    mt.__index = function() return "meta" end
    newglobal = (newglobal or 0) + 1
    return { max_message_rate = counter * 1000 + config.level * 100 + #config.list * 10 + hidden,
             username = tostring(config.missing) .. ":" .. tostring(newglobal) }
  end,
}
