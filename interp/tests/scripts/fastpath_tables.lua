-- Table stores and reads the fast path handles itself must keep the
-- __newindex/__index semantics: a metamethod added (by assignment, by
-- rawset, by reviving a cleared key) after stores went through without one
-- is honoured from the next store on; existing keys never consult it.

local log = {}
local mt = {}
local t = setmetatable({}, mt)
t.a = 1; t[1] = 2                 -- no __newindex yet: raw stores
mt.__newindex = function(_, k) log[#log + 1] = k end
t.b = 3; t[2] = 4                 -- new keys: the metamethod runs
t.a = 5; t[1] = 6                 -- existing keys: raw
assert(rawget(t, "b") == nil and rawget(t, 2) == nil)
assert(t.a == 5 and t[1] == 6)
assert(#log == 2 and log[1] == "b" and log[2] == 2)

mt.__newindex = nil               -- removed (the key stays as a dead entry)
t.c = 7
assert(rawget(t, "c") == 7)
mt.__newindex = function(_, k) log[#log + 1] = k end   -- revived in place
t.d = 8
assert(rawget(t, "d") == nil and log[#log] == "d")

rawset(mt, "__newindex", nil)
t.e = 9
assert(rawget(t, "e") == 9)
rawset(mt, "__newindex", function(_, k) log[#log + 1] = k end)
t.f = 10
assert(rawget(t, "f") == nil and log[#log] == "f")

-- a field set to nil and set again goes through __newindex like a new key
t.a = nil
t.a = 11
assert(rawget(t, "a") == nil and log[#log] == "a")

-- __newindex as a table, and an __index chain three tables deep
local store = {}
local u = setmetatable({}, { __newindex = store })
u.x = 1
assert(rawget(u, "x") == nil and store.x == 1)
local base = { greet = function() return "hi" end }
local mid = setmetatable({}, { __index = base })
local obj = setmetatable({}, { __index = mid })
assert(obj.greet() == "hi" and obj.missing == nil)

-- NaN and nil keys still raise from the general path
assert(not pcall(function() local w = {} w[0 / 0] = 1 end))
assert(not pcall(function() local w = {} w[nil] = 1 end))

-- integer keys in and beyond the array part
local arr = { 1, 2, 3 }
arr[2] = "two"; arr[4] = 4; arr[3.0] = "three"
assert(arr[2] == "two" and arr[3] == "three" and arr[4] == 4 and #arr == 4)
print("OK")
