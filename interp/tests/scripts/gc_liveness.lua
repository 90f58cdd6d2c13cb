-- the collector keeps only live stack slots, and strings in weak tables
local lim = 15

-- weak keys: strings are values, never removed; their values stay
local a = setmetatable({}, {__mode = 'k'})
for i = 1, lim do a[{}] = i end
for i = 1, lim do a[i] = i end
for i = 1, lim do local s = string.rep('@', i); a[s] = s .. '#' end
collectgarbage()
local n = 0
for k, v in pairs(a) do assert(k == v or k .. '#' == v); n = n + 1 end
assert(n == 2 * lim)

-- weak values: string values stay
a = setmetatable({}, {__mode = 'v'})
for i = 1, lim do a[i] = i .. 'x' end
for i = 1, lim do a[i + lim] = {} end
collectgarbage()
n = 0
for k, v in pairs(a) do assert(v == k .. 'x'); n = n + 1 end
assert(n == lim)

-- a dead loop local above the call to collectgarbage is not a root
a = setmetatable({}, {__mode = 'vk'})
local x, y, z = {}, {}, {}
a[1], a[2], a[3] = x, y, z
a[string.rep('$', 11)] = string.rep('$', 11)
for i = 1, lim do local t = {}; a[t] = t end
collectgarbage()
n = 0
for k, v in pairs(a) do n = n + 1 end
assert(n == 4)

-- automatic collections find garbage left by temporaries of earlier calls
local function gc1()
  local u
  local b = {34}
  local finish = false
  u = setmetatable({}, {__gc = function () finish = true end})
  repeat u = {} until finish
  assert(b[1] == 34)
  finish = false; local i = 1
  u = setmetatable({}, {__gc = function () finish = true end})
  repeat i = i + 1; u = i .. i until finish
  assert(b[1] == 34)
  finish = false
  u = setmetatable({}, {__gc = function () finish = true end})
  repeat local i; u = function () return i end until finish
  assert(b[1] == 34)
end
gc1(); gc1()

-- live locals between the target and the operands of a concatenation survive
local p, q = "a", {}
for i = 1, 20000 do p = i .. "x"; assert(type(q) == "table") end
print("OK")
