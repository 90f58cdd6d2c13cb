-- upvalues, metatables, registry, user values, traceback
local a, b = 1, 2
local function f() return a + b end
assert(debug.getupvalue(f, 1) == "a")
local n, v = debug.getupvalue(f, 2)
assert(n == "b" and v == 2)
assert(debug.getupvalue(f, 3) == nil)
assert(select('#', debug.getupvalue(f, 3)) == 0)
assert(select('#', debug.getupvalue(f, 0)) == 0)
assert(debug.setupvalue(f, 1, 10) == "a")
assert(a == 10 and f() == 12)
assert(debug.setupvalue(f, 5, 1) == nil)
assert(select('#', debug.getupvalue(print, 1)) == 0)

-- main chunks have _ENV as first upvalue
local chunk = load("return x")
assert(debug.getupvalue(chunk, 1) == "_ENV")
debug.setupvalue(chunk, 1, {x = "fromenv"})
assert(chunk() == "fromenv")

-- upvalueid / upvaluejoin
local function g() return a end
local function h() return b end
assert(debug.upvalueid(f, 1) == debug.upvalueid(g, 1))
assert(debug.upvalueid(f, 1) ~= debug.upvalueid(f, 2))
assert(type(debug.upvalueid(f, 1)) == "userdata")
debug.upvaluejoin(g, 1, h, 1)
assert(g() == 2)
assert(debug.upvalueid(g, 1) == debug.upvalueid(h, 1))
b = 7
assert(g() == 7)
local ok, e = pcall(debug.upvalueid, f, 3)
assert(not ok and e:find("invalid upvalue index", 1, true), e)
ok, e = pcall(debug.upvaluejoin, f, 1, print, 1)
assert(not ok and e:find("invalid upvalue index", 1, true), e)
ok, e = pcall(debug.getupvalue, 1, 1)
assert(not ok and e:find("function expected", 1, true), e)
ok, e = pcall(debug.setupvalue, f, 1)
assert(not ok and e:find("value expected", 1, true), e)

-- metatables of any type, ignoring __metatable
local mt = {__metatable = "locked"}
local t = setmetatable({}, mt)
assert(getmetatable(t) == "locked" and debug.getmetatable(t) == mt)
assert(debug.setmetatable(t, nil) == t)
assert(getmetatable(t) == nil)
local nmt = {__index = function(n, k) return k * 2 end}
assert(debug.setmetatable(5, nmt) == 5)
assert(debug.getmetatable(1) == nmt)
assert((4)[10] == 20)
debug.setmetatable(0, nil)
assert(debug.getmetatable(1) == nil)
debug.setmetatable(nil, {__index = function() return "nilidx" end})
local nothing = nil
assert(nothing.foo == "nilidx")
debug.setmetatable(nil, nil)
ok, e = pcall(debug.setmetatable, {}, 1)
assert(not ok and e:find("nil or table expected", 1, true), e)
ok, e = pcall(debug.setmetatable, {})
assert(not ok and e:find("nil or table expected", 1, true), e)
assert(debug.getmetatable("").__index == string)

-- registry
local reg = debug.getregistry()
assert(type(reg) == "table")
assert(reg._LOADED == package.loaded)

-- user values
assert(debug.getuservalue(1) == nil)
assert(debug.getuservalue({}) == nil)
ok, e = pcall(debug.setuservalue, {}, {})
assert(not ok and e:find("userdata expected", 1, true), e)

-- traceback
local tb = debug.traceback()
assert(tb:sub(1, 16) == "stack traceback:", tb)
assert(tb:find("debug_misc.lua:75: in main chunk", 1, true), tb)
tb = debug.traceback("message")
assert(tb:sub(1, 24) == "message\nstack traceback:", tb)
local tbl = {}
assert(debug.traceback(tbl) == tbl)
assert(debug.traceback(12):sub(1, 3) == "12\n")
local function inner() return debug.traceback("m", 1) end
local function outer() local r = inner() return r end
tb = outer()
assert(tb:find("in function 'inner'", 1, true) and tb:find("in function 'outer'", 1, true), tb)
tb = debug.traceback("m", 2)
assert(not tb:find("in main chunk", 1, true), tb)
tb = debug.traceback("m", 0)
assert(tb:find("[C]: in function 'traceback'", 1, true) or tb:find("[C]: in function 'debug.traceback'", 1, true), tb)
local co = coroutine.create(function() coroutine.yield() end)
coroutine.resume(co)
tb = debug.traceback(co)
assert(tb:find("in function 'yield'", 1, true) or tb:find("coroutine.yield", 1, true), tb)
tb = debug.traceback(co, "cmsg", 1)
assert(tb:sub(1, 5) == "cmsg\n" and not tb:find("yield", 1, true), tb)

print("OK")
