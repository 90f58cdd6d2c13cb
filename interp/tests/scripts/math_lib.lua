-- math library: functions, constants and argument errors
local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end
local function eq(a, b) return a == b or math.abs(a - b) <= 1e-12 * math.max(1, math.abs(a), math.abs(b)) end

assert(math.pi == 3.141592653589793)
assert(math.huge == 1/0 and -math.huge == -1/0)
assert(math.floor(-3.5) == -4 and math.ceil(-3.5) == -3 and math.floor(3) == 3)
assert(math.abs(-2) == 2 and math.abs(0) == 0)
assert(math.max(1, 5, 3) == 5 and math.min(2, -1, 7) == -1 and math.max(4) == 4)
assert(err(math.min):find("number expected, got no value", 1, true))
assert(err(math.max, 1, "x"):find("bad argument #2", 1, true))
assert(err(math.floor, "a"):find("number expected, got string", 1, true))
assert(math.floor("2.5") == 2) -- numeric strings are numbers

assert(math.sqrt(16) == 4 and math.pow(2, 10) == 1024 and math.pow(2, 0.5) == math.sqrt(2))
assert(math.exp(0) == 1 and eq(math.log(math.exp(2)), 2))
assert(math.log(8, 2) == 3 and math.log(100, 10) == 2 and math.log10(1000) == 3)
assert(math.log(0) == -math.huge)
assert(math.fmod(5.5, 2) == 1.5 and math.fmod(-5, 2) == -1)
assert(err(math.fmod, 1):find("bad argument #2", 1, true))
local ip, fp = math.modf(-3.5)
assert(ip == -3 and fp == -0.5)
ip, fp = math.modf(1/0)
assert(ip == 1/0 and fp == 0)
ip, fp = math.modf(0/0)
assert(ip ~= ip and fp ~= fp)
assert(math.deg(math.pi) == 180 and math.rad(180) == math.pi)
assert(eq(math.sin(math.pi / 2), 1) and eq(math.cos(0), 1) and eq(math.tan(math.pi / 4), 1))
assert(eq(math.asin(1), math.pi / 2) and eq(math.acos(1), 0) and eq(math.atan(1), math.pi / 4))
assert(eq(math.atan2(1, 1), math.pi / 4) and eq(math.atan2(1, -1), 3 * math.pi / 4))
assert(err(math.atan2, 1):find("bad argument #2", 1, true))
assert(eq(math.cosh(0), 1) and math.sinh(0) == 0 and math.tanh(0) == 0)
assert(eq(math.cosh(1) ^ 2 - math.sinh(1) ^ 2, 1))

-- frexp / ldexp
local m, e = math.frexp(8)
assert(m == 0.5 and e == 4)
m, e = math.frexp(-0.75)
assert(m == -0.75 and e == 0)
m, e = math.frexp(0)
assert(m == 0 and e == 0)
m, e = math.frexp(5e-324)
assert(m == 0.5 and e == -1073)
for _, x in ipairs{0.1, 1, 3, 1e300, 1e-300, 5e-324, -7.25} do
  assert(math.ldexp(math.frexp(x)) == x)
end
assert(math.ldexp(1, 1024) == math.huge and math.ldexp(1, -1074) == 5e-324)
assert(math.ldexp(3, 2.9) == 12) -- exponent truncated

-- random: argument checks
for _ = 1, 100 do
  local r = math.random()
  assert(r >= 0 and r < 1)
  local k = math.random(10)
  assert(k >= 1 and k <= 10 and k == math.floor(k))
  local j = math.random(-3, 3)
  assert(j >= -3 and j <= 3 and j == math.floor(j))
end
assert(math.random(5, 5) == 5)
assert(err(math.random, 0):find("interval is empty", 1, true))
assert(err(math.random, 3, 1):find("bad argument #2", 1, true))
assert(err(math.random, 1, 2, 3):find("wrong number of arguments", 1, true))
math.randomseed(42)
local s1 = {math.random(), math.random(100), math.random(1, 1e6)}
math.randomseed(42)
local s2 = {math.random(), math.random(100), math.random(1, 1e6)}
assert(s1[1] == s2[1] and s1[2] == s2[2] and s1[3] == s2[3])
assert(math.randomseed(7) == nil)

print("OK")
