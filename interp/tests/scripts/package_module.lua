-- module() and package.seeall (5.2 compatibility)
local f = load([[
  module("mod_a")
  x = 1
  function get() return x end
  return _NAME, _M, _PACKAGE
]])
local name, M, pkg = f()
assert(name == "mod_a" and M == mod_a and pkg == "")
assert(package.loaded.mod_a == mod_a)
assert(mod_a.x == 1 and mod_a.get() == 1)
assert(x == nil)

-- module changes the caller's _ENV: globals are gone without seeall
local g = load([[
  module("mod_b")
  return print
]])
assert(g() == nil)

-- seeall gives access to the globals through __index
local h = load([[
  module("mod_c", package.seeall)
  return print
]])
assert(h() == print)
assert(getmetatable(mod_c).__index == _G)

-- dotted names create nested tables and set _PACKAGE
local d = load([[
  module("outer.inner.leaf")
  return _PACKAGE
]])
assert(d() == "outer.inner.")
assert(type(outer) == "table" and type(outer.inner) == "table")
assert(outer.inner.leaf._NAME == "outer.inner.leaf")
assert(package.loaded["outer.inner.leaf"] == outer.inner.leaf)

-- reusing an existing module keeps its fields
local again = load([[
  module("mod_a")
  return x
]])
assert(again() == 1)

-- an existing table in package.loaded is reused
package.loaded.mod_pre = {pre = true}
local p = load([[ module("mod_pre") return pre, _NAME ]])
local pre, nm = p()
assert(pre == true and nm == "mod_pre")

-- option functions are called with the module
local seen
local o = load([[ local opt = ... module("mod_opt", opt, 5, "x") ]])
o(function(m) seen = m end)
assert(seen == mod_opt)

-- module returns the module table
local r = load([[ return module("mod_ret") ]])
assert(r() == mod_ret)

-- errors
conflict = 1
local ok, e = pcall(load([[ module("conflict.sub") ]]))
assert(not ok and e:find("name conflict for module 'conflict.sub'", 1, true), e)
ok, e = pcall(module, "from_c")
assert(not ok and e:find("'module' not called from a Lua function", 1, true), e)
ok, e = pcall(module)
assert(not ok and e:find("string expected", 1, true), e)

-- seeall on an existing metatable
local t = setmetatable({}, {__newindex = rawset})
package.seeall(t)
assert(t.print == print and getmetatable(t).__newindex == rawset)
ok, e = pcall(package.seeall, 1)
assert(not ok and e:find("table expected", 1, true), e)

print("OK")
