-- debug.getlocal / debug.setlocal
local function f(a, b)
  local c = a + b
  local n1, v1 = debug.getlocal(1, 1)
  local n2, v2 = debug.getlocal(1, 2)
  local n3, v3 = debug.getlocal(1, 3)
  assert(n1 == "a" and v1 == 10)
  assert(n2 == "b" and v2 == 20)
  assert(n3 == "c" and v3 == 30)
  assert(debug.setlocal(1, 3, 99) == "c")
  assert(c == 99)
  assert(debug.getlocal(1, 100) == nil)
  assert(debug.setlocal(1, 100, 0) == nil)
  return c
end
assert(f(10, 20) == 99)

-- locals of the caller
local function peek(level, n) return debug.getlocal(level + 1, n) end
do
  local xyz = "v"
  local name, val = peek(1, 1)
  assert(name == "f" and val == f)
  name, val = peek(1, 2)
  assert(name == "peek" and val == peek)
  name, val = peek(1, 3)
  assert(name == "xyz" and val == "v")
end

-- parameter names of a function value
local function params(p1, p2, ...) local inner = 1 end
assert(debug.getlocal(params, 1) == "p1")
assert(debug.getlocal(params, 2) == "p2")
assert(debug.getlocal(params, 3) == nil)
assert(debug.getlocal(params, 0) == nil)
assert(debug.getlocal(params, -1) == nil)
assert(debug.getlocal(print, 1) == nil)
assert(select('#', debug.getlocal(params, 1)) == 1)

-- varargs with negative indices
local function va(x, ...)
  local n1, v1 = debug.getlocal(1, -1)
  local n2, v2 = debug.getlocal(1, -2)
  local n3 = debug.getlocal(1, -3)
  assert(n1 == "(*vararg)" and v1 == "a")
  assert(n2 == "(*vararg)" and v2 == "b")
  assert(n3 == nil)
  assert(debug.setlocal(1, -2, "B") == "(*vararg)")
  local _, second = ...
  assert(second == "B")
  assert(debug.getlocal(1, 1) == "x")
end
va(0, "a", "b")
local function novar(x) return debug.getlocal(1, -1) end
assert(novar(1) == nil)

-- for-loop control variables
for i = 1, 1 do
  local names = {}
  local k = 1
  while true do
    local n = debug.getlocal(1, k)
    if not n then break end
    names[n] = true
    k = k + 1
  end
  assert(names["(for index)"] and names["(for limit)"] and names["(for step)"] and names.i)
end

-- temporaries: slots in use beyond the named locals
local function temps()
  local a = 1
  local r = {debug.getlocal(1, 2)}
  return r[1]
end
local t1 = temps()
assert(t1 == "(*temporary)")

-- native frames: arguments are temporaries (level 0 is getlocal itself)
local n0, v0 = debug.getlocal(0, 1)
assert(n0 == "(*temporary)" and v0 == 0)
local n01, v01 = debug.getlocal(0, 2)
assert(n01 == "(*temporary)" and v01 == 2)
assert(debug.getlocal(0, 3) == nil)

-- levels out of range
local ok2, e = pcall(debug.getlocal, 100, 1)
assert(not ok2 and e:find("level out of range", 1, true), e)
ok2, e = pcall(debug.setlocal, 100, 1, 1)
assert(not ok2 and e:find("level out of range", 1, true), e)
ok2, e = pcall(debug.getlocal, 1)
assert(not ok2 and e:find("number expected", 1, true), e)
ok2, e = pcall(debug.setlocal, 1, 1)
assert(not ok2 and e:find("value expected", 1, true), e)

-- coroutines
local co = coroutine.create(function(p)
  local q = p + 1
  coroutine.yield()
  return q
end)
coroutine.resume(co, 5)
local n1, v1 = debug.getlocal(co, 1, 1)
local n2, v2 = debug.getlocal(co, 1, 2)
assert(n1 == "p" and v1 == 5 and n2 == "q" and v2 == 6)
assert(debug.setlocal(co, 1, 2, 42) == "q")
local _, res = coroutine.resume(co)
assert(res == 42)
local ok3, e3 = pcall(debug.getlocal, co, 1, 1)
assert(not ok3 and e3:find("level out of range", 1, true))

print("OK")
