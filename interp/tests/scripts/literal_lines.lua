-- literals on their own lines: their loads are reported on those lines
local function trace(src)
  local got = {}
  local f = assert(load(src))
  local function h(ev, line) got[#got + 1] = line end
  debug.sethook(h, "l"); f(); debug.sethook()
  return table.concat(got, ",")
end
assert(trace("for i=1,\n2\n do\n local x = i\n end") == "1,2,3,1,4,1,4,1,5")
assert(trace("local a =\n'x'\nlocal b = 1") == "2,3")
assert(trace("local a = 1 +\n2\n") == "2")   -- folded constant
local ok, msg = pcall(load("local t = nil\nlocal x =\n t[\n'k'\n]"))
assert(not ok and msg:find(":5:"), msg)
-- the last items of a constructor are stored at its closing brace
assert(trace("local t = {1,\n2,\n}\nlocal x = 1") == "1,3,4")
print("OK")
