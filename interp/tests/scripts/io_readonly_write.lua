-- writing to a file opened for reading fails at once (EBADF), and the file
-- stays usable for reading
local name = os.tmpname()
local f = assert(io.open(name, "w"))
assert(f:write("hello\n") == f)
assert(f:close())

f = assert(io.open(name, "r"))
local a, b, c = f:write("xuxu")
assert(a == nil and type(b) == "string" and type(c) == "number")
assert(f:read(0) == "")
assert(f:read("*l") == "hello")
assert(f:close())

io.input(name)
a, b, c = io.input():write("xuxu")
assert(a == nil and type(b) == "string" and type(c) == "number")
assert(io.read(0) == "" and io.read("*l") == "hello")
io.input():close()
io.input(io.stdin)

-- "r+" is writable
f = assert(io.open(name, "r+"))
assert(f:write("J") == f)
assert(f:close())
f = assert(io.open(name))
assert(f:read("*a") == "Jello\n")
f:close()
assert(os.remove(name))
print("OK")
