-- Backward jumps to the first instruction of a function, taken by the fast
-- path from a test (repeat-until, while) and from loops: the jump target is
-- instruction 0, so nothing may compute "target - 1" in unsigned arithmetic.

local function down(n)
  repeat n = n - 1 until n <= 0
  return n
end
assert(down(5) == 0 and down(1) == 0)

local function down_not(n)
  repeat n = n - 1 until not (n > 0)
  return n
end
assert(down_not(7) == 0)

local function halve(n)
  while n > 1 do n = n / 2 end
  return n
end
assert(halve(64) == 1)

local function strings(s)
  repeat s = s .. "x" until #s >= 4
  return s
end
assert(strings("") == "xxxx")

local t = {}
local function fill(i)
  repeat t[#t + 1] = i; i = i - 1 until i == 0
  return #t
end
assert(fill(3) == 3 and t[1] == 3 and t[3] == 1)

-- the same shapes inside coroutines
local co = coroutine.wrap(function(n)
  repeat n = coroutine.yield(n) until n == 0
  return "done"
end)
assert(co(3) == 3 and co(2) == 2 and co(0) == "done")
print("OK")
