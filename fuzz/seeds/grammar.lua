local a, b = 1, 2.5e3
local function f(x, ...) return x, ... end
function t.a.b:c(y) self.z = y; return self end
x = {1, 2; k = "v", ["w"] = [[long
string]], f = function(...) return select('#', ...) end,}
for i = 1, 10, 2 do if i % 2 == 0 then goto continue elseif i > 5 then break else print(i) end ::continue:: end
for k, v in pairs(x) do print(k, v) end
while a < 10 do a = a + 1 end
repeat local z = a until z >= 10
do local s = "esc\a\b\f\n\r\t\v\\\"\'\z
   \x41\65\
" end
print(#x, -a ^ 2, not b, a .. b .. "c", 0x1p4, 0xA.8p1, .5, 3., a ~= b, a <= b, a >= b)
o:m "s" {1} [=[x]=]
--[==[ comment ]==] -- line
return f((a)), ...
