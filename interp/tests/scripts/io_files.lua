-- io: open/read/write/seek/lines/close on real files
local function err(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

local name = os.tmpname()
local f = assert(io.open(name, "w"))
assert(io.type(f) == "file" and tostring(f):sub(1, 8) == "file (0x")
assert(f:write("line1\n", "line2\n", 42, " ", 0.5, "\n") == f)
assert(f:write("  0x10 -3.5e2 abc\nlast") == f)
assert(f:close() == true)
assert(io.type(f) == "closed file" and tostring(f) == "file (closed)")
assert(err(f.read, f) == "attempt to use a closed file")
assert(err(f.close, f) == "attempt to use a closed file")
assert(io.type(42) == nil and io.type(io.stdout) == "file")

f = assert(io.open(name))
assert(f:read() == "line1")
assert(f:read("*L") == "line2\n")
local a, b, c, d, e = f:read("*n", "*n", "*n", "*n", "*n")
assert(a == 42 and b == 0.5 and c == 16 and d == -350 and e == nil)
assert(f:read("*l") == "abc") -- reading stopped at the failed number
assert(f:read("*a") == "last")
assert(f:read("*a") == "" and f:read("*l") == nil and f:read(1) == nil and f:read(0) == nil)
assert(f:seek("set", 2) == 2 and f:read(3) == "ne1")
assert(f:seek("cur") == 5 and f:seek("cur", -2) == 3 and f:read(2) == "e1")
assert(f:seek("end") == 41 and f:seek("end", -4) == 37 and f:read(0) == "" and f:read(10) == "last")
assert(err(f.read, f, "x"):find("invalid option", 1, true))
assert(err(f.read, f, "*x"):find("invalid format", 1, true))
assert(err(f.seek, f, "set", 1.5):find("not an integer in proper range", 1, true))
assert(err(f.seek, f, "bad"):find("invalid option 'bad'", 1, true))
f:close()

-- lines with formats, and io.lines closing the file at the end
local got = {}
for l, n in io.lines(name, "*l", 1) do got[#got + 1] = l .. "|" .. tostring(n) end
assert(got[1] == "line1|l" and got[2] == "ine2|4" and got[5] == "ast|nil" and #got == 5)
local it = io.lines(name)
for _ in it do end
assert(err(it) == "file is already closed")
f = assert(io.open(name))
local n = 0
for l in f:lines() do n = n + 1 end
assert(n == 5 and io.type(f) == "file") -- f:lines does not close
f:close()
assert(err(io.lines, "/nonexistent/file") == "cannot open file '/nonexistent/file' (No such file or directory)")
assert(err(io.lines, name, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18):find("too many options", 1, true))

-- modes
assert(err(io.open, name, "rw"):find("invalid mode", 1, true))
local r1, r2, r3 = io.open("/nonexistent/x")
assert(r1 == nil and r2 == "/nonexistent/x: No such file or directory" and r3 == 2)
f = assert(io.open(name, "a+"))
f:write("\nappended")
f:seek("set")
assert(f:read() == "line1")
f:close()
f = assert(io.open(name, "r+"))
assert(f:read(4) == "line")
f:write("X") -- switching from reading to writing at the current position
f:seek("set")
assert(f:read() == "lineX")
f:close()

-- default input and output
assert(io.input() == io.stdin and io.output() == io.stdout)
io.input(name)
assert(io.read() == "lineX" and io.read("*n") == nil)
for l in io.lines() do end -- io.lines() reads the default input, no closing
assert(io.type(io.input()) == "file")
io.input():close()
assert(err(io.read) == "standard input file is closed")
io.input(io.stdin)
local out = os.tmpname()
io.output(out)
io.write("via ", "io.write", 1, "\n")
assert(io.close() == true)
assert(err(io.write, "x") == "standard output file is closed")
io.output(io.stdout)
f = io.open(out); assert(f:read("*a") == "via io.write1\n"); f:close()
assert(err(io.input, "/nonexistent/file") == "cannot open file '/nonexistent/file' (No such file or directory)")

-- standard files cannot be closed
local x, msg = io.stdout:close()
assert(x == nil and msg == "cannot close standard file")
x, msg = io.close()
assert(x == nil and msg == "cannot close standard file")

-- buffering, flush, tmpfile
assert(io.stdout:setvbuf("no") == true and io.stdout:setvbuf("full") == true)
assert(err(io.stdout.setvbuf, io.stdout, "x"):find("invalid option 'x'", 1, true))
assert(io.flush() == true and io.stdout:flush() == true)
f = io.tmpfile()
f:setvbuf("line")
f:write("abc\n", 1.5)
f:seek("set")
assert(f:read("*a") == "abc\n1.5")
f:close()

-- __gc closes (and flushes) a file
local g = io.open(out, "w")
g:write("flushed by __gc")
getmetatable(g).__gc(g)
assert(io.type(g) == "closed file")
getmetatable(g).__gc(g) -- harmless on a closed file
f = io.open(out); assert(f:read("*a") == "flushed by __gc"); f:close()

-- the metatable is its own __index
local mt = getmetatable(io.stdout)
assert(mt.__index == mt and type(mt.__gc) == "function" and type(mt.__tostring) == "function")
assert(err(io.stdout.write, io.stdout, {}):find("string expected, got table", 1, true))

os.remove(name); os.remove(out)
print("OK")
