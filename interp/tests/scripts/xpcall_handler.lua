-- xpcall's handler also sees errors raised by a native function called directly
local ok, msg = xpcall(error, function(m) return "h" end)
assert(not ok and msg == "h")
ok, msg = xpcall(error, error)
assert(not ok and msg == "error in error handling")
ok, msg = xpcall(string.gsub, function(m) return "H:" .. m end, "x", ".", function() error("y") end)
assert(not ok and msg:find("^H:.*y$"))
local a, b, c = pcall(xpcall, error, function() return "h2" end)
assert(a == true and b == false and c == "h2")

-- a stack overflow inside the handler of a stack overflow is an error in error handling
local function loop(x, y, z) return 1 + loop(x, y, z) end
local inner
ok, msg = xpcall(loop, function(m)
  assert(string.find(m, "stack overflow"))
  local r, m2 = pcall(loop)
  inner = m2
  return 15
end)
assert(not ok and msg == 15)
assert(string.find(inner, "error handling"))
-- an ordinary overflow is still a stack overflow afterwards
ok, msg = pcall(loop)
assert(not ok and string.find(msg, "stack overflow"))
print("OK")
