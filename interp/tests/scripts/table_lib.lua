-- table library: insert/remove/concat/pack/unpack/maxn and their 5.2 errors
local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

-- insert
local t = {}
table.insert(t, "a"); table.insert(t, "c"); table.insert(t, 2, "b")
assert(#t == 3 and t[1] == "a" and t[2] == "b" and t[3] == "c")
table.insert(t, 4, "d")
assert(t[4] == "d")
table.insert(t, 1, "z")
assert(table.concat(t) == "zabcd")
assert(err(table.insert, {}, 1, 2, 3) == "wrong number of arguments to 'insert'")
assert(err(table.insert, {1}) == "wrong number of arguments to 'insert'")
assert(err(table.insert, {}, 5, 2):find("position out of bounds", 1, true))
assert(err(table.insert, {}, 0, 2):find("position out of bounds", 1, true))
assert(err(table.insert, 1, 2):find("table expected, got number", 1, true))
table.insert(t, 2.9, "y") -- truncated to 2
assert(t[2] == "y")

-- remove
t = {1, 2, 3, 4}
assert(table.remove(t) == 4 and #t == 3)
assert(table.remove(t, 1) == 1 and t[1] == 2 and t[2] == 3 and t[3] == nil)
assert(table.remove({}) == nil)
assert(select("#", table.remove({})) == 1)
assert(table.remove({1, 2}, 3) == nil)
assert(err(table.remove, {}, 5):find("bad argument #1", 1, true))
assert(err(table.remove, {1, 2}, 0):find("position out of bounds", 1, true))

-- raw access: no __index/__newindex, but __len counts
local log = {}
local p = setmetatable({}, {__index = function() return "meta" end, __newindex = function(_, k) log[#log+1] = k end})
table.insert(p, "x")
assert(rawget(p, 1) == "x" and #log == 0)
assert(table.concat(setmetatable({1, 2, 3, 4}, {__len = function() return 2 end})) == "12")
assert(err(table.insert, setmetatable({}, {__len = function() return "x" end}), 1) == "object length is not a number")

-- concat
assert(table.concat({}) == "")
assert(table.concat({1, 2, 3}, ", ") == "1, 2, 3")
assert(table.concat({1, 2.5, "x"}, "-", 2) == "2.5-x")
assert(table.concat({1, 2, 3}, "", 2, 2) == "2")
assert(table.concat({1, 2, 3}, "", 3, 2) == "")
assert(table.concat({1e15, 0.1}, " ") == "1e+15 0.1")
assert(err(table.concat, {1, {}}) == "invalid value (table) at index 2 in table for 'concat'")
assert(err(table.concat, {1, 2}, 3, 1, 3) == "invalid value (nil) at index 3 in table for 'concat'")
assert(err(table.concat, {}, {}):find("string expected, got table", 1, true))
assert(table.concat({1, 2, 3}, ",", 1, 2^40) == "") -- C int wrap: 2^40 -> 0

-- pack / unpack
local pk = table.pack(1, nil, 3)
assert(pk.n == 3 and pk[1] == 1 and pk[2] == nil and pk[3] == 3)
assert(table.pack().n == 0)
assert(select("#", table.unpack({1, 2, 3})) == 3)
assert(select("#", table.unpack({1, 2, 3}, -1, 1)) == 3)
local a, b, c = table.unpack({1, 2, 3}, 2)
assert(a == 2 and b == 3 and c == nil)
assert(select("#", table.unpack({}, 1, 0)) == 0)
assert(unpack == table.unpack)
assert(err(table.unpack, {}, 1, 1e8) == "too many results to unpack")
assert(err(table.unpack, 1):find("table expected, got number", 1, true))

-- maxn
assert(table.maxn({}) == 0)
assert(table.maxn({1, 2, [10.5] = 1, [-3] = 1, x = 5}) == 10.5)
assert(err(table.maxn, 1):find("table expected", 1, true))

print("OK")
