-- Runaway scripts under the per-call limits: each exceeded limit is a
-- script error, so auth hooks fall through to the next script and fail
-- closed at the end of the chain.
hooks = {
  auth_on_register = function(reg)
    local u = reg.username
    if u == "loop" then while true do end end
    if u == "recurse" then local function f(n) return f(n + 1) + 1 end return f(1) end
    if u == "memory" then
      local t = {}
      for i = 1, 1e9 do t[i] = string.rep("x", 1024) .. i end
    end
    if u == "string" then local s = "x" while true do s = s .. s end end
    if u == "pcall-loop" then
      -- a limit cannot be caught by pcall
      while true do pcall(function() while true do end end) end
    end
  end,
  auth_on_publish = function(pub)
    while true do end
  end,
  on_deliver = function(d)
    while true do end
  end,
}
