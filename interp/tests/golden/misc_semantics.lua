local t = {}
for i = 1, 20 do t[i] = i end
t[5] = nil
print(#t, select('#', table.unpack(t)))
local s = {}
for w in string.gmatch("one two three", "%a+") do s[#s+1] = w end
print(table.concat(s, "-"), #s)
print(string.find("hello world", "o w"), string.find("hello", "l+"))
print(string.gsub("hello", "l", {l = "L"}), ("abc"):rep(3, ","))
print(math.max(3, 7, 1), math.min(2, -1), math.fmod(7, 3), 7 % -3, -7 % 3, 2^-1)
print(tostring(nil), tostring(true), tonumber("0x10"), tonumber("  12  "), tonumber("1e2"), tonumber("z", 36))
local co = coroutine.wrap(function(...) local a = ... ; while true do a = coroutine.yield(a * 2) end end)
print(co(1), co(2), co(3))
print(select(-1, 1, 2, 3), type(print), rawequal(t, t), rawlen({1,2}))
local mt = {__add = function(a, b) return "add" end, __eq = function() return true end, __lt = function() return true end, __le = function() return false end, __concat = function() return "cc" end, __len = function() return 42 end, __call = function(self, x) return x end, __unm = function() return "neg" end}
local a, b = setmetatable({}, mt), setmetatable({}, mt)
print(a + 1, a == b, a < b, a <= b, a .. "x", #a, a(9), -a)
print(next({}), type(next), string.byte("A"), string.char(72, 105))
print(os.time{year=2020, month=1, day=1, hour=0}, os.date("!%Y-%m-%d", 0))
print(string.format("%q", 1/3), string.format("%-5s|%5s", "ab", "cd"))
goto done
do print("skipped") end
::done::
print(pcall(load, "x ="), load("return 1 +")) 
print(load("syntax error here"))
