-- require and searchpath with real files (fixtures in package_fixtures/)
local src = debug.getinfo(1, "S").source:sub(2)
local dir = "./"
do
  local p = 0
  while true do
    local q = src:find("/", p + 1, true)
    if not q then break end
    p = q
  end
  if p > 0 then dir = src:sub(1, p) end
end
local fx = dir .. "package_fixtures/"

-- searchpath
local path = fx .. "?.lmod;" .. fx .. "?/init.lmod"
assert(package.searchpath("fx_plain", path) == fx .. "fx_plain.lmod")
assert(package.searchpath("fx_pkg", path) == fx .. "fx_pkg/init.lmod")
assert(package.searchpath("fx_pkg.sub", path) == fx .. "fx_pkg/sub.lmod")
local r, msg = package.searchpath("fx_none.x", path)
assert(r == nil)
assert(msg == "\n\tno file '" .. fx .. "fx_none/x.lmod'\n\tno file '" .. fx .. "fx_none/x/init.lmod'", msg)
-- custom separator and replacement; empty separator means no replacement
r, msg = package.searchpath("a.b", "/nonexistent/?.x", "", "")
assert(r == nil and msg == "\n\tno file '/nonexistent/a.b.x'", msg)
r, msg = package.searchpath("a_b", "/nonexistent/?.x;;/other/?", "_", "-")
assert(r == nil and msg == "\n\tno file '/nonexistent/a-b.x'\n\tno file '/other/a-b'", msg)
r, msg = package.searchpath("x", "")
assert(r == nil and msg == "")
local ok, e = pcall(package.searchpath, "x")
assert(not ok and e:find("string expected", 1, true), e)

-- require from files
package.path = path
local m = require("fx_plain")
assert(m.name == "fx_plain" and m.file == fx .. "fx_plain.lmod")
assert(package.loaded.fx_plain == m)
local p = require("fx_pkg")
assert(p.init and p.name == "fx_pkg")
local s = require("fx_pkg.sub")
assert(s.sub and s.name == "fx_pkg.sub")
assert(require("fx_shebang") == "shebang")

-- loaded once
fx_loads = nil
assert(require("fx_once") == 1 and require("fx_once") == 1 and fx_loads == 1)

-- syntax errors name the file
ok, e = pcall(require, "fx_syntax")
assert(not ok)
assert(e:find("error loading module 'fx_syntax' from file '" .. fx .. "fx_syntax.lmod':\n\t", 1, true), e)
assert(e:find("unexpected symbol near '='", 1, true), e)

-- runtime errors propagate unchanged
ok, e = pcall(require, "fx_error")
assert(not ok and e:find("fx_error.lmod:1: runtime boom", 1, true), e)
assert(package.loaded.fx_error == nil)

-- a 5.2-compat module file
local fm = require("fx_module")
assert(fm == fx_module and package.loaded.fx_module == fm)
assert(fm.value == 42 and fm.hello() == "hi fx_module")
assert(fm._NAME == "fx_module" and fm._M == fm and fm._PACKAGE == "")
assert(value == nil)

print("OK")
