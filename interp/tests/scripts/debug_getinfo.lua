-- debug.getinfo: fields, options, levels, errors
local function check(t, fields)
  for k, v in pairs(fields) do
    assert(t[k] == v, "field " .. k .. ": " .. tostring(t[k]) .. " ~= " .. tostring(v))
  end
end

-- main chunk at level 1
local m = debug.getinfo(1)
check(m, {what = "main", linedefined = 0, lastlinedefined = 0, currentline = 9,
          nups = 1, nparams = 0, isvararg = true, istailcall = false, namewhat = ""})
assert(m.name == nil)
assert(m.source:sub(1, 1) == "@")
assert(m.short_src:find("debug_getinfo.lua", 1, true))
assert(m.activelines == nil)   -- 'L' is not in the default options

-- level 0 is getinfo itself
local g = debug.getinfo(0)
check(g, {what = "C", source = "=[C]", short_src = "[C]", currentline = -1,
          linedefined = -1, lastlinedefined = -1, func = debug.getinfo, nparams = 0,
          isvararg = true, nups = 0})

-- a function given by value
local function f(a, b, ...)
  local x = a
  return x
end
local fi = debug.getinfo(f)
check(fi, {what = "Lua", linedefined = 24, lastlinedefined = 27, nparams = 2,
           isvararg = true, nups = 0, func = f, currentline = -1, namewhat = ""})
assert(fi.name == nil)
local up = 5
local function h(a) return a + up end
check(debug.getinfo(h, "u"), {nups = 1, nparams = 1, isvararg = false})

-- option subsets
local only = debug.getinfo(f, "S")
assert(only.source and only.what and only.currentline == nil and only.func == nil and only.nups == nil)
local t = debug.getinfo(f, "f")
assert(t.func == f and t.what == nil)
local l = debug.getinfo(f, "L")
assert(type(l.activelines) == "table")
assert(l.activelines[25] and l.activelines[26] and l.activelines[27])
assert(not l.activelines[24] and not l.activelines[28])
assert(debug.getinfo(print, "L").activelines == nil)
local cnt = 0
for k in pairs(debug.getinfo(f, "")) do cnt = cnt + 1 end
assert(cnt == 0)

-- names of callers
local function named()
  return debug.getinfo(1, "n")
end
local r = named()
check(r, {name = "named", namewhat = "local"})
Glob = function() return debug.getinfo(1, "n") end
check(Glob(), {name = "Glob", namewhat = "global"})
local obj = {}
function obj.field() return debug.getinfo(1, "n") end
function obj:meth() return debug.getinfo(1, "n") end
check(obj.field(), {name = "field", namewhat = "field"})
check(obj:meth(), {name = "meth", namewhat = "method"})
local function up2() local r = named() return r end
check(up2(), {name = "named", namewhat = "upvalue"})

-- current line and caller levels
local function lvl()
  local me = debug.getinfo(1, "l").currentline
  local caller = debug.getinfo(2, "l").currentline
  return me, caller
end
local a1, a2 = lvl()
assert(a1 == 68 and a2 == 72, a1 .. " " .. a2)

-- tail calls
local function tc() return debug.getinfo(1, "t") end
local function caller() return tc() end
assert(caller().istailcall == true)
local function notail() local x = tc() return x end
assert(notail().istailcall == false)

-- level out of range gives nil; strings are accepted as levels
assert(debug.getinfo(100) == nil)
assert(debug.getinfo(-1) == nil)
assert(debug.getinfo("1", "l").currentline == 85)

-- errors
local ok, e = pcall(debug.getinfo, 1, "x")
assert(not ok and e:find("invalid option", 1, true), e)
ok, e = pcall(debug.getinfo, f, ">S")
assert(not ok and e:find("invalid option", 1, true), e)
ok, e = pcall(debug.getinfo, {})
assert(not ok and e:find("function or level expected", 1, true), e)
ok, e = pcall(debug.getinfo)
assert(not ok and e:find("function or level expected", 1, true), e)
ok, e = pcall(debug.getinfo, 1, {})
assert(not ok and e:find("string expected", 1, true), e)

-- coroutines
local co = coroutine.create(function(x)
  local y = x * 2
  coroutine.yield(y)
  return y
end)
coroutine.resume(co, 4)
local top = debug.getinfo(co, 0)
assert(top.what == "C" and top.func == coroutine.yield)
local body = debug.getinfo(co, 1, "Sl")
assert(body.what == "Lua" and body.currentline == 102 and body.linedefined == 100)
assert(debug.getinfo(co, 2) == nil)
assert(debug.getinfo(coroutine.create(print), 0) == nil)

-- pcall frames
local function inpcall() return debug.getinfo(2, "f").func end
assert(select(2, pcall(inpcall)) == pcall)

-- main chunk of a loaded string
local src = debug.getinfo(load("return debug.getinfo(1, 'S')"))
assert(src.what == "main" and src.source == "return debug.getinfo(1, 'S')")
assert(src.short_src == '[string "return debug.getinfo(1, \'S\')"]')
local named_chunk = load("return debug.getinfo(1, 'S')", "=mychunk")()
assert(named_chunk.short_src == "mychunk" and named_chunk.source == "=mychunk")

print("OK")
