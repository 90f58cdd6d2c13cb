-- the file metatable's __gc checks its argument like the other methods
local gc = getmetatable(io.stdin).__gc
local ok, msg = pcall(gc)
assert(not ok and msg:find("no value", 1, true))
ok, msg = pcall(gc, {})
assert(not ok and msg:find("got table", 1, true))
local name = os.tmpname()
local f = assert(io.open(name, "w"))
f:close()
assert(pcall(gc, f))          -- a closed file is fine
assert(os.remove(name))
print("OK")
