-- io.popen and io.write ordering with print
local p = assert(io.popen("echo hi; exit 3"))
assert(p:read("*a") == "hi\n")
local a, b, c = p:close()
assert(a == nil and b == "exit" and c == 3)
p = assert(io.popen("cat > /dev/null", "w"))
assert(p:write("data") == p)
a, b, c = p:close()
assert(a == true and b == "exit" and c == 0)
p = io.popen("printf 'a\\nb\\n'")
local lines = {}
for l in p:lines() do lines[#lines + 1] = l end
p:close()
assert(#lines == 2 and lines[1] == "a" and lines[2] == "b")
a, b, c = io.popen("echo hi", "x")
assert(a == nil and b == "echo hi: Invalid argument" and c == 22)
-- output written with io.write and print keeps its order around child processes
io.write("one ")
print("two")
os.execute("echo three")
io.write("four\n")
print("OK")
