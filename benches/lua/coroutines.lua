-- coroutines.lua: coroutine creation and switching.
-- Exercises: coroutine.create / resume / yield / status / wrap, passing
-- values in both directions across resume/yield, generators chained into a
-- pipeline, ping-pong between two coroutines via a trampoline, many
-- short-lived coroutines (creation + collection).
-- Usage: lua coroutines.lua [n]   (default 1500000)

local n = tonumber(arg and arg[1]) or 1500000
local MOD = 1000000007
local create, resume, yield, wrap, status =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.wrap, coroutine.status

local checksum = 0
local function mix(v) checksum = (checksum * 31 + v) % MOD end

-- 1. A generator pipeline: numbers -> filter -> map -> consumer.
local function gen_range(limit)
  return wrap(function()
    for i = 1, limit do yield(i) end
    yield(nil)
  end)
end

local function gen_filter(pred, src)
  return wrap(function()
    while true do
      local v = src()
      if v == nil then yield(nil); return end
      if pred(v) then yield(v) end
    end
  end)
end

local function gen_map(f, src)
  return wrap(function()
    while true do
      local v = src()
      if v == nil then yield(nil); return end
      yield(f(v))
    end
  end)
end

do
  local src = gen_map(function(v) return v * 3 % 1000 end,
                gen_filter(function(v) return v % 3 ~= 0 end, gen_range(n)))
  local sum, count = 0, 0
  while true do
    local v = src()
    if v == nil then break end
    sum = sum + v
    count = count + 1
  end
  mix(sum); mix(count)
end

-- 2. Ping-pong: two coroutines handing a ball back and forth through a
-- scheduler loop; each resume passes a value in, each yield passes one out.
do
  local function player(step)
    return create(function(ball)
      while true do
        ball = yield((ball * step + 1) % 10007)
      end
    end)
  end
  local ping, pong = player(3), player(5)
  local ball = 1
  local ok
  for _ = 1, n do
    ok, ball = resume(ping, ball)
    ok, ball = resume(pong, ball)
  end
  mix(ball)
end

-- 3. Many short-lived coroutines, each yielding a few times with multiple
-- values, then finishing; checks status transitions.
do
  local acc, dead = 0, 0
  for i = 1, n / 10 do
    local co = create(function(a, b)
      local c = yield(a + b, a - b)
      local d, e = yield(c * 2)
      return d + e, i
    end)
    local _, x, y = resume(co, i, 3)
    local _, z = resume(co, x + y)
    local _, w, k = resume(co, z, 1)
    if status(co) == "dead" then dead = dead + 1 end
    acc = (acc + x + y + z + w + k) % MOD
  end
  mix(acc); mix(dead)
end

-- 4. Recursive generator: in-order walk of a balanced tree, yielding from
-- nested calls inside one coroutine (deep coroutine stacks).
do
  local function build(lo, hi)
    if lo > hi then return nil end
    local mid = math.floor((lo + hi) / 2)
    return { value = mid, left = build(lo, mid - 1), right = build(mid + 1, hi) }
  end
  local tree = build(1, 1023)
  local function walk(node)
    if node then
      walk(node.left)
      yield(node.value)
      walk(node.right)
    end
  end
  local total = 0
  for _ = 1, n / 5000 do
    local it = wrap(function() walk(tree); yield(nil) end)
    local prev, sorted = 0, true
    while true do
      local v = it()
      if v == nil then break end
      if v < prev then sorted = false end
      prev = v
      total = total + v
    end
    if not sorted then error("tree walk out of order") end
  end
  mix(total % MOD)
end

print(string.format("coroutines: n = %d", n))
print(string.format("checksum: %d", checksum))
