-- string.len/sub/upper/lower/rep/reverse/byte/char/dump and the string metatable
local function errmsg(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end

-- len
assert(string.len("") == 0 and string.len("\0\0") == 2 and #"abc" == 3)
assert(string.len(123) == 3)
assert(errmsg(string.len, {}) == "bad argument #1 to 'string.len' (string expected, got table)")

-- sub: negative, zero and huge indices
local s = "hello"
assert(s:sub(2) == "ello" and s:sub(-3) == "llo" and s:sub(2, -2) == "ell")
assert(s:sub(0) == "hello" and s:sub(4, 2) == "" and s:sub(-100, 100) == "hello")
assert(s:sub(6) == "" and s:sub(5, 5) == "o" and s:sub(-1, -1) == "o")
assert(s:sub(2.5) == "ello" and s:sub(3.9) == "llo")
assert(s:sub(2^63) == "hello" and s:sub(math.huge) == "hello" and s:sub(0/0) == "hello")
assert(s:sub(1, math.huge) == "" and s:sub(2^32 + 2) == "")
assert(errmsg(string.sub) == "bad argument #1 to 'string.sub' (string expected, got no value)")
assert(errmsg(string.sub, "x", {}) == "bad argument #2 to 'string.sub' (number expected, got table)")
assert(errmsg(string.sub, "x", 1, {}) == "bad argument #3 to 'string.sub' (number expected, got table)")
assert(("x"):sub("1") == "x")

-- upper/lower/reverse (C locale: bytes >= 0x80 unchanged)
assert(string.upper("aBc\200") == "ABC\200" and string.lower("ABC1") == "abc1")
assert(string.reverse("abc") == "cba" and string.reverse("") == "")

-- rep (the count is a C int)
assert(("x"):rep(3, ",") == "x,x,x" and ("ab"):rep(3) == "ababab")
assert(("x"):rep(0) == "" and ("x"):rep(-1) == "" and ("x"):rep(1, ",") == "x")
assert(("x"):rep(3.7) == "xxx" and #("x"):rep(2^32 + 5) == 5 and ("x"):rep(2^31) == "")
assert(string.rep("", 5, "-") == "----" and string.rep("ab", 3, "") == "ababab")
assert(#string.rep("ab", 1000, ",") == 2999)
assert(errmsg(string.rep) == "bad argument #1 to 'string.rep' (string expected, got no value)")
assert(errmsg(string.rep, "x", 0, {}) == "bad argument #3 to 'string.rep' (string expected, got table)")

-- byte
assert(select("#", string.byte("abc", -5, 10)) == 3)
local a, b, c = string.byte("abc", -5, 10)
assert(a == 97 and b == 98 and c == 99)
assert(string.byte("abc") == 97 and string.byte("abc", -1) == 99 and string.byte("abc", 1.5) == 97)
assert(select("#", string.byte("")) == 0 and select("#", string.byte("a", 0)) == 0)
assert(select("#", string.byte("abc", 2^32 + 2)) == 0)
assert(select("#", string.byte(string.rep("x", 900000), 1, -1)) == 900000)
assert(errmsg(string.byte, string.rep("x", 2^20), 1, -1) == "stack overflow (string slice too long)")
assert(errmsg(string.byte, "x", "a") == "bad argument #2 to 'string.byte' (number expected, got string)")

-- char
assert(string.char() == "" and string.char(76, 117, 97) == "Lua" and string.char(65.7) == "A")
assert(string.char(2^32 + 65) == "A" and string.char(0, 255) == "\0\255")
assert(errmsg(string.char, 256) == "bad argument #1 to 'string.char' (value out of range)")
assert(errmsg(string.char, 65, -1) == "bad argument #2 to 'string.char' (value out of range)")
assert(errmsg(string.char, 2^31 + 65) == "bad argument #1 to 'string.char' (value out of range)")
assert(errmsg(string.char, "x") == "bad argument #1 to 'string.char' (number expected, got string)")

-- errors raised from Lua code carry the caller's position and the method name
local e = errmsg(function() return ("x"):rep({}) end)
assert(e:find("^.-:%d+: bad argument #1 to 'rep' %(number expected, got table%)$"), e)
e = errmsg(function() return ("x"):char() end)
assert(e:find("calling 'char' on bad self %(number expected, got string%)$"), e)
e = errmsg(function() return string.char(300) end)
assert(e:find("^.-:%d+: bad argument #1 to 'char' %(value out of range%)$"), e)
e = errmsg(function() local s = "x" return s:nosuch() end)
assert(e:find("attempt to call method 'nosuch' %(a nil value%)$"), e)

-- dump
local function f(x, y) local k = "k" .. x return k .. y, 1.5, true, nil end
local g = load(string.dump(f))
local r1, r2, r3, r4 = g("x", "y")
assert(r1 == "kxy" and r2 == 1.5 and r3 == true and r4 == nil)
assert(load(string.dump(function(a) return a * 2 end))(21) == 42)
local function outer() local function inner(n) return n + 1 end return inner(41) end
assert(load(string.dump(outer))() == 42)
assert(type(string.dump(f)) == "string" and string.dump(f) == string.dump(f))
assert(errmsg(string.dump, print) == "unable to dump given function")
assert(errmsg(string.dump) == "bad argument #1 to 'string.dump' (function expected, got no value)")
assert(errmsg(string.dump, 1) == "bad argument #1 to 'string.dump' (function expected, got number)")

-- library contents and the metatable
local names = {}
for k in pairs(string) do names[#names + 1] = k end
table.sort(names)
assert(table.concat(names, " ") == "byte char dump find format gmatch gsub len lower match rep reverse sub upper")
assert(getmetatable("").__index == string and ("x").len == string.len)
assert(("abc"):upper() == "ABC" and (("x"):rep(2)):len() == 2)

print("OK")
