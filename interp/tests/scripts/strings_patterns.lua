-- string.find/match/gmatch/gsub
local function errmsg(f, ...)
  local ok, e = pcall(f, ...)
  assert(not ok, "expected an error")
  return e
end
local function pack(...) return {n = select("#", ...), ...} end
local function same(t, ...)
  local u = pack(...)
  if t.n ~= u.n then return false end
  for i = 1, t.n do if t[i] ~= u[i] then return false end end
  return true
end

-- find: init rules, plain search, captures
assert(same(pack(string.find("abc", "b")), 2, 2))
assert(string.find("abc", "b", 10) == nil and string.find("abc", "", 4) == 4 and string.find("abc", "", 5) == nil)
assert(same(pack(string.find("", "")), 1, 0) and string.find("", "", 2) == nil)
assert(same(pack(string.find("hello", "l", -2)), 4, 4) and same(pack(string.find("hello", "l", -100)), 3, 3))
assert(same(pack(string.find("a.b", ".", 1, true)), 2, 2) and same(pack(string.find("a+b", "+", 1, true)), 2, 2))
assert(same(pack(string.find("a+b", "a+")), 1, 1) and same(pack(string.find("abc", "[b-c]+")), 2, 3))
assert(same(pack(string.find("hello", "()ll()")), 3, 4, 3, 5))
assert(same(pack(string.find("THE (quick) fox", "%((%a+)%)")), 5, 11, "quick"))
assert(string.find("abcabc", "b", 2^32 + 3) == nil)
assert(string.find("b", "a[") == nil) -- malformed part never reached

-- match
assert(same(pack(string.match("key = value", "(%w+)%s*=%s*(%w+)")), "key", "value"))
assert(same(pack(string.match("hello", "()ll()")), 3, 5))
assert(string.match("  trim  ", "^%s*(.-)%s*$") == "trim" and string.match("  x", "^%s*(.-)%s*$") == "x")
assert(same(pack(string.match("2024-01-02", "(%d+)-(%d+)-(%d+)")), "2024", "01", "02"))
assert(string.match("[[x]]", "%b[]") == "[[x]]" and string.match("f(a(b)c)", "%b()") == "(a(b)c)")
assert(string.match("THE END", "%f[%a]%a+") == "THE" and string.match("hello", ".-(l+)") == "ll")
assert(string.match("abc", "^b") == nil and string.match("abc", "c$") == "c" and string.match("a$", "a$$") == "a$")
assert(#string.match(string.rep("a", 300), string.rep("(a)", 32)) == 1)

-- pattern errors (no position when called through pcall)
assert(errmsg(string.find, "a", "%") == "malformed pattern (ends with '%')")
assert(errmsg(string.find, "abc", "%1") == "invalid capture index %1")
assert(errmsg(string.match, "abc", "(()") == "unfinished capture")
assert(errmsg(string.match, "x", string.rep("(", 250)) == "too many captures")
assert(errmsg(string.match, string.rep("x", 300), string.rep("x?", 300)) == "pattern too complex")
assert(errmsg(string.match, string.rep("a", 300), string.rep("(a)", 33)) == "too many captures")
assert(errmsg(string.find, "a", "[a") == "malformed pattern (missing ']')")
local e = errmsg(function() return string.find("a", "%") end)
assert(e:find("^.-:%d+: malformed pattern %(ends with '%%'%)$"), e)

-- gmatch: captures, empty matches, '^' is not an anchor
local t = {}
for w in string.gmatch("one two  three", "%a+") do t[#t + 1] = w end
assert(table.concat(t, "|") == "one|two|three")
t = {}
for k, v in string.gmatch("k1=v1, k2=v2", "(%w+)=(%w+)") do t[#t + 1] = k .. v end
assert(table.concat(t, ";") == "k1v1;k2v2")
t = {}
for k in string.gmatch("^a^b", "^.") do t[#t + 1] = k end
assert(table.concat(t, ";") == "^a;^b")
local it = string.gmatch("abc", "")
assert(it() == "" and it() == "" and it() == "" and it() == "" and it() == nil)
t = {}
for p in string.gmatch("abc", "()") do t[#t + 1] = p end
assert(table.concat(t, ",") == "1,2,3,4")
assert(errmsg(string.gmatch, "x") == "bad argument #2 to 'string.gmatch' (string expected, got no value)")
assert(not pcall(function() for x in string.gmatch("abc", "%") do end end))

-- gsub with string replacement
assert(same(pack(string.gsub("hello world", "o", "0", 1)), "hell0 world", 1))
assert(same(pack(string.gsub("abc", "", "-")), "-a-b-c-", 4))
assert(same(pack(string.gsub("abc", "^", "-")), "-abc", 1))
assert(same(pack(string.gsub("abc", "b*", "-")), "-a--c-", 4))
assert(same(pack(string.gsub("", "", "x")), "x", 1))
assert(same(pack(string.gsub("aaa", "^a", "x")), "xaa", 1) and same(pack(string.gsub("abc", "^b", "x")), "abc", 0))
assert(same(pack(string.gsub("hello world", "%w+", "%0 %0", 1)), "hello hello world", 1))
assert(same(pack(string.gsub("abc", "(b)", "[%1]")), "a[b]c", 1))
assert(same(pack(string.gsub("abc", "()", "%1")), "1a2b3c4", 4))
assert(same(pack(string.gsub("abc", "%w", "%0%0")), "aabbcc", 3))
assert(same(pack(string.gsub("abc", "%w", "%%")), "%%%", 3))
assert(same(pack(string.gsub("abc", ".", "%1")), "abc", 3))
assert(same(pack(string.gsub("hello", "l", 7)), "he77o", 2))
assert(same(pack(string.gsub("abc", "(", "x")), "xaxbxcx", 4))
assert(same(pack(string.gsub("abc", "(a)(", "%1")), "abc", 1))
assert(same(pack(string.gsub("abc", "", "x", 2)), "xaxbc", 2))
assert(same(pack(string.gsub("a b c", " ", "", -1)), "abc", 2)) -- the limit is a size_t
assert(same(pack(string.gsub("a b c", " ", "", 0)), "a b c", 0))
assert(errmsg(string.gsub, "abc", "%w", "%") == "invalid use of '%' in replacement string")
assert(errmsg(string.gsub, "abc", "%w", "%x") == "invalid use of '%' in replacement string")
assert(errmsg(string.gsub, "abc", "(b)", "%2") == "invalid capture index")
assert(errmsg(string.gsub, "abc", "(a)(", "%2") == "unfinished capture")

-- gsub with table and function replacements
assert(same(pack(string.gsub("hello", "(l)(l)", {ll = "LL"})), "hello", 1))
assert(same(pack(string.gsub("hello", "l+", {ll = "LL"})), "heLLo", 1))
assert(same(pack(string.gsub("hello", "l+", {ll = false})), "hello", 1))
assert(same(pack(string.gsub("$x $y", "%$(%w+)", {x = 1, y = "two"})), "1 two", 2))
assert(same(pack(string.gsub("abc", "b", {}, 1)), "abc", 1))
local idx = setmetatable({}, {__index = function(_, k) return k:upper() end})
assert(string.gsub("abc", "%w", idx) == "ABC")
assert(same(pack(string.gsub("hello", "l", function(x) return 5 end)), "he55o", 2))
assert(same(pack(string.gsub("abc", "(%w)", function(c) if c == "b" then return nil end return c .. c end)), "aabcc", 3))
assert(string.gsub("k=v", "(%w)=(%w)", function(k, v) return v .. "=" .. k end) == "v=k")
assert(string.gsub("abc", "()b()", function(p, q) return p + q end) == "a5c")
assert(errmsg(string.gsub, "abc", "b", function() return {} end) == "invalid replacement value (a table)")
assert(errmsg(string.gsub, "abc", "b", {b = true}) == "invalid replacement value (a boolean)")
assert(errmsg(string.gsub, "abc", "b", true) == "bad argument #3 to 'string.gsub' (string/function/table expected)")
assert(errmsg(string.gsub, "abc", ".", nil) == "bad argument #3 to 'string.gsub' (string/function/table expected)")
assert(errmsg(string.gsub, "abc", ".", "x", "y") == "bad argument #4 to 'string.gsub' (number expected, got string)")
assert(errmsg(string.gsub, "abc", ".", nil, "y") == "bad argument #4 to 'string.gsub' (number expected, got string)")
assert(errmsg(string.gsub, "abc", "(a", {}) == "unfinished capture")
local ok, err = pcall(string.gsub, "x", "x", function() error({code = 1}) end)
assert(not ok and err.code == 1)
e = errmsg(function() return string.gsub("a", "a", function() return {} end) end)
assert(e:find("^.-:%d+: invalid replacement value %(a table%)$"), e)

-- callbacks may allocate and collect garbage
local r = string.gsub(string.rep("abc", 2000), "%w", function(c)
  local tmp = {}
  for i = 1, 10 do tmp[i] = c .. i end
  collectgarbage()
  return c:upper()
end)
assert(#r == 6000 and r:sub(1, 6) == "ABCABC")

-- a yield inside a gsub callback crosses a C-call boundary
local co = coroutine.create(function()
  return string.gsub("ab", ".", function(c) coroutine.yield(c) end)
end)
local okc, msg = coroutine.resume(co)
assert(not okc and msg:find("attempt to yield across a C%-call boundary$"), msg)

print("OK")
