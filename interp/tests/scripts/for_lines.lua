-- generic for: the iterator call is reported on the line after `in`;
-- the loop's initial jump is on the `do` line
local function lineerr(src)
  local ok, msg = pcall(assert(load(src)))
  assert(not ok)
  return tonumber(msg:match(":(%d+):"))
end
assert(lineerr("\n\n for k,v in \n 3 \n do \n print(k) \n end") == 4)
assert(lineerr("\n local a \n for k,v in 3 \n do \n print(k) \n end") == 3)
assert(lineerr("for k in 3,\n\n 4 do end") == 1)

local function trace(src)
  local got = {}
  local f = assert(load(src))
  local function h(ev, line) got[#got + 1] = line end
  debug.sethook(h, "l"); f(); debug.sethook()
  return table.concat(got, ",")
end
assert(trace("for k,v in\n pairs{1,2}\n do\n local x = k\n end") == "2,3,2,4,2,4,2,5")
assert(trace("for k,v in ipairs{1}\n do\n local x = k\n end") == "1,2,1,3,1,4")
assert(trace("for i=1,2\n do local x = i\n end") == "1,2,1,2,1,2,1,3")
assert(trace("for i,v in pairs{'a','b'} do\n  a=i..v\nend\n") == "1,2,1,2,1,3")
a = nil
print("OK")
