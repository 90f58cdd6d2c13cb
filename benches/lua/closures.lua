-- closures.lua: closure creation and upvalue access.
-- Exercises: CLOSURE with open and closed upvalues, GETUPVAL / SETUPVAL,
-- upvalues shared between sibling closures, closures capturing loop
-- variables (a fresh upvalue per iteration), nested closures several levels
-- deep, higher-order functions (map / filter / fold / compose), currying.
-- Usage: lua closures.lua [n]   (default 800000)

local n = tonumber(arg and arg[1]) or 800000
local MOD = 1000000007

-- Sibling closures sharing one upvalue.
local function make_account(balance)
  local history = 0
  local function deposit(x) balance = balance + x; history = history + 1 end
  local function withdraw(x)
    if x <= balance then balance = balance - x; history = history + 1; return true end
    return false
  end
  local function get() return balance, history end
  return deposit, withdraw, get
end

local function map(f, t)
  local r = {}
  for i = 1, #t do r[i] = f(t[i]) end
  return r
end

local function filter(p, t)
  local r, k = {}, 0
  for i = 1, #t do
    local v = t[i]
    if p(v) then k = k + 1; r[k] = v end
  end
  return r
end

local function fold(f, acc, t)
  for i = 1, #t do acc = f(acc, t[i]) end
  return acc
end

local function compose(f, g) return function(x) return f(g(x)) end end
local function adder(k) return function(x) return x + k end end
local function scaler(k) return function(x) return x * k % 1000 end end
local function curry3(f)
  return function(a) return function(b) return function(c) return f(a, b, c) end end end
end

local checksum = 0
local function mix(v) checksum = (checksum * 31 + v) % MOD end

-- 1. accounts: create many groups of closures and drive them
for i = 1, n / 10 do
  local dep, wd, get = make_account(i % 100)
  for j = 1, 10 do
    dep(j)
    wd((i + j) % 17)
  end
  local b, h = get()
  mix(b + h)
end

-- 2. closures capturing loop variables: each iteration gets its own upvalue
local fns = {}
for round = 1, n / 1000 do
  for i = 1, 100 do
    local sq = i * i
    fns[i] = function(x) return x + sq + i + round end
  end
  local s = 0
  for i = 1, 100 do s = s + fns[i](i) end
  mix(s)
end

-- 3. higher-order pipeline with freshly composed functions
local data = {}
for i = 1, 200 do data[i] = i end
for round = 1, n / 200 do
  local f = compose(scaler(round % 7 + 2), adder(round))
  local mapped = map(f, data)
  local odd = filter(function(v) return v % 2 == 1 end, mapped)
  local total = fold(function(a, b) return a + b end, 0, odd)
  mix(total + #odd)
end

-- 4. nested closures three levels deep, upvalues of upvalues
local function outer(a)
  return function(b)
    local c = a + b
    return function(d)
      c = c + d                  -- mutate a captured (closed) variable
      return function() return a * 2 + b + c + d end
    end
  end
end
for i = 1, n / 2 do
  local g = outer(i % 13)(i % 7)
  local h1, h2 = g(1), g(2)
  mix(h1() + h2())
end

-- 5. currying: a chain of single-argument closures per call
local add3 = curry3(function(a, b, c) return a * 100 + b * 10 + c end)
local s = 0
for i = 1, n do
  s = (s + add3(i % 10)((i + 3) % 10)((i + 7) % 10)) % MOD
end
mix(s)

-- 6. a counter generator called in a hot loop (GETUPVAL/SETUPVAL only)
local function counter()
  local c = 0
  return function() c = c + 1; return c end
end
local tick = counter()
local acc = 0
for _ = 1, n * 10 do acc = acc + tick() % 3 end
mix(acc)

print(string.format("closures: n = %d", n))
print(string.format("checksum: %d", checksum))
