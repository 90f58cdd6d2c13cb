-- package table, preload, searchers, require errors
assert(type(package.path) == "string" and type(package.cpath) == "string")
assert(package.config == "/\n;\n?\n!\n-\n")
assert(package.loaded == debug.getregistry()._LOADED)
assert(package.loaded._G == _G and package.loaded.package == package)
assert(package.loaded.debug == debug)
assert(package.loaders == package.searchers)
assert(#package.searchers == 4)
assert(type(package.preload) == "table")
assert(type(package.searchpath) == "function" and type(package.seeall) == "function")
assert(type(require) == "function" and type(module) == "function")

-- already loaded modules are returned without searching
package.loaded.already = {tag = "yes"}
assert(require("already").tag == "yes")
assert(require("debug") == debug)

-- preload: loader gets the name (and no extra value)
local got
package.preload.pmod = function(...)
  got = {n = select('#', ...), ...}
  return {name = "pmod"}
end
local m = require("pmod")
assert(m.name == "pmod" and package.loaded.pmod == m)
assert(got.n == 2 and got[1] == "pmod" and got[2] == nil)
assert(require("pmod") == m)

-- a loader returning nothing stores true
package.preload.nothing = function() end
assert(require("nothing") == true and package.loaded.nothing == true)

-- a loader that sets package.loaded itself
package.preload.selfset = function(name) package.loaded[name] = "mine" end
assert(require("selfset") == "mine")

-- false in package.loaded means "not loaded"
package.loaded.falsy = false
package.preload.falsy = function() return 5 end
assert(require("falsy") == 5)

-- errors in loaders propagate
package.preload.bad = function() error("loader failed") end
local ok, e = pcall(require, "bad")
assert(not ok and e:find("loader failed", 1, true), e)
assert(package.loaded.bad == nil)

-- not found: 5.2's message listing what was tried
local savedpath, savedcpath = package.path, package.cpath
package.path = "/nonexistent/dir/?.lua;/nonexistent/dir/?/init.lua"
package.cpath = "/nonexistent/lib/?.so"
ok, e = pcall(require, "no.such.mod")
assert(not ok)
local expected = "module 'no.such.mod' not found:" ..
  "\n\tno field package.preload['no.such.mod']" ..
  "\n\tno file '/nonexistent/dir/no/such/mod.lua'" ..
  "\n\tno file '/nonexistent/dir/no/such/mod/init.lua'" ..
  "\n\tno file '/nonexistent/lib/no/such/mod.so'" ..
  "\n\tno file '/nonexistent/lib/no.so'"
assert(e == expected, e)
ok, e = pcall(require, "plain")
assert(e == "module 'plain' not found:\n\tno field package.preload['plain']" ..
  "\n\tno file '/nonexistent/dir/plain.lua'\n\tno file '/nonexistent/dir/plain/init.lua'" ..
  "\n\tno file '/nonexistent/lib/plain.so'", e)

-- the preload searcher uses the registry table, not the field
local realpreload = package.preload
package.preload = {}
package.preload.swapped = function() return 1 end
ok, e = pcall(require, "swapped")
assert(not ok)
package.preload = realpreload

-- bad package fields
package.path = 42
ok, e = pcall(require, "zz")
assert(not ok and e:find("no file '42'", 1, true), e)
package.path = {}
ok, e = pcall(require, "zz")
assert(not ok and e == "'package.path' must be a string", e)
package.path, package.cpath = savedpath, savedcpath

-- custom searchers
table.insert(package.searchers, 1, function(name)
  if name == "virtual" then
    return function(n, extra) return {n = n, extra = extra} end, "xtra"
  end
  return "\n\tno virtual module '" .. name .. "'"
end)
local vm = require("virtual")
assert(vm.n == "virtual" and vm.extra == "xtra")
package.path, package.cpath = "", ""
ok, e = pcall(require, "zz2")
assert(e == "module 'zz2' not found:\n\tno virtual module 'zz2'\n\tno field package.preload['zz2']", e)
table.remove(package.searchers, 1)
package.path, package.cpath = savedpath, savedcpath

local saved = package.searchers
package.searchers = nil
ok, e = pcall(require, "zz3")
assert(not ok and e:find("'package.searchers' must be a table", 1, true), e)
package.searchers = saved

-- argument errors
ok, e = pcall(require)
assert(not ok and e:find("string expected", 1, true), e)

-- loadlib is unavailable here or fails on a missing library
local f, msg, where = package.loadlib("/nonexistent/lib.so", "luaopen_x")
assert(f == nil and type(msg) == "string" and (where == "open" or where == "absent"))

print("OK")
