-- table.sort: PUC's quicksort, comparator protocol and errors
local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

local function sorted(t, lt)
  for i = 2, #t do
    if lt then assert(not lt(t[i], t[i-1])) else assert(not (t[i] < t[i-1])) end
  end
end

local t = {}
for i = 1, 1000 do t[i] = (i * 7919) % 1009 end
table.sort(t)
sorted(t)
table.sort(t, function(a, b) return a > b end)
sorted(t, function(a, b) return a > b end)

local s = {"pear", "apple", "fig", "banana", "kiwi"}
table.sort(s)
assert(table.concat(s, " ") == "apple banana fig kiwi pear")

-- comparison count and sequence are PUC's
local n = 0
local u = {}
for i = 1, 200 do u[i] = (i * 7919) % 211 end
table.sort(u, function(a, b) n = n + 1 return a < b end)
assert(n == 1524, n)

-- inconsistent comparators
assert(err(table.sort, {3, 2, 1, 5, 4, 7, 6, 9, 8, 10, 11}, function() return true end)
  == "invalid order function for sorting")
assert(pcall(table.sort, {3, 2, 1}, function() return true end))

-- errors from comparisons and comparators
assert(err(table.sort, {1, "x"}) == "attempt to compare string with number")
assert(err(table.sort, {{}, {}}) == "attempt to compare two table values")
assert(err(table.sort, {1, 2}, 3):find("function expected, got number", 1, true))
local e = err(table.sort, {1, 2, 3, 4}, function() error("boom") end)
assert(e:find("boom", 1, true))

-- __lt metamethods are used
local mt = {__lt = function(a, b) return a.v < b.v end}
local objs = {}
for i = 1, 50 do objs[i] = setmetatable({v = (i * 31) % 50}, mt) end
table.sort(objs)
for i = 1, 50 do assert(objs[i].v == i - 1) end

-- the comparator may trigger collections; values stay in the table
local big = {}
for i = 1, 300 do big[i] = {v = (i * 37) % 101} end
table.sort(big, function(a, b) collectgarbage() return a.v < b.v end)
for i = 2, 300 do assert(big[i-1].v <= big[i].v) end

-- yields across the comparator are errors (C-call boundary)
local co = coroutine.create(function()
  table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end)
end)
local ok, msg = coroutine.resume(co)
assert(not ok and msg:find("attempt to yield across", 1, true))

-- __len decides the range; missing elements are nils
assert(err(table.sort, setmetatable({}, {__len = function() return 3 end}))
  == "attempt to compare two nil values")

table.sort({})
table.sort({1})
print("OK")
