-- a coroutine that died by an error keeps its stack for the debug library
local function boom() error("x") end
local co = coroutine.create(function() local v = 1; boom() end)
local ok, msg = coroutine.resume(co)
assert(not ok and msg:find("x$"))
assert(coroutine.status(co) == "dead")
local tb = debug.traceback(co)
assert(tb:find("in function 'error'", 1, true), tb)
assert(tb:find("in function 'boom'", 1, true) or tb:find("in upvalue 'boom'", 1, true), tb)
local info = debug.getinfo(co, 1, "Sl")
assert(info and info.what == "Lua" and info.currentline == 2)
assert(select(2, coroutine.resume(co)) == "cannot resume dead coroutine")
-- a coroutine that returned normally has no frames left
co = coroutine.create(function() return 1 end)
assert(coroutine.resume(co))
assert(debug.getinfo(co, 0) == nil)
print("OK")
