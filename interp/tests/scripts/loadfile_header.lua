-- loadfile skips a UTF-8 byte-order mark and then a first '#' line
local name = os.tmpname()
local function try(s)
  local f = assert(io.open(name, "wb"))
  f:write(s)
  f:close()
  local fn, err = loadfile(name)
  assert(fn, err)
  return fn()
end
assert(try("\xEF\xBB\xBF# some comment\nreturn 234") == 234)
assert(try("\xEF\xBB\xBFreturn 239") == 239)
assert(try("\xEF\xBB\xBF") == nil)
assert(try("# a non-ending comment") == nil)
assert(try("#!/usr/bin/lua\nreturn 1") == 1)
-- line numbers are kept after a skipped '#' line
local ok, msg = pcall(try, "\xEF\xBB\xBF#x\n\nerror('here')")
assert(not ok and msg:find(":3: here", 1, true))
-- a binary chunk after a '#' line
assert(try("#!x\n" .. string.dump(function() return 77 end)) == 77)
assert(os.remove(name))
print("OK")
