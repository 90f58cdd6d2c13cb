-- First script of the chain: never decides. Returns every kind of
-- "continue" value VerneMQ knows (nil, nothing, a string, a number, a function).
local function nothing() end
hooks = {
  auth_on_register = function(reg)
    local u = reg.username
    if u == "str" then return "next" end
    if u == "num" then return 42 end
    if u == "fn" then return nothing end
    if u == "nil" then return nil end
    -- nothing at all
  end,
}
