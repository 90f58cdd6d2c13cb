-- debug.sethook / debug.gethook
assert(debug.gethook() == nil)
local h, m, c = debug.gethook()
assert(h == nil and m == "" and c == 0)

-- line events
local lines = {}
local function lh(ev, line) lines[#lines + 1] = ev .. ":" .. tostring(line) end
local function two() return 2 end
debug.sethook(lh, "l")
local x = two() local y = 1
y = y + x
debug.sethook()
assert(table.concat(lines, " ") == "line:11 line:9 line:12 line:13", table.concat(lines, " "))

-- loops report the same line again when jumping back
lines = {}
debug.sethook(lh, "l")
for i = 1, 2 do
  x = x + i
end
debug.sethook()
assert(table.concat(lines, " ") == "line:19 line:20 line:19 line:20 line:19 line:22", table.concat(lines, " "))

-- gethook reports what was set
local function hk() end
debug.sethook(hk, "crl", 7)
local gh, gm, gc = debug.gethook()
debug.sethook()
assert(gh == hk and gm == "crl" and gc == 7)
debug.sethook(hk, "", 0)
gh, gm, gc = debug.gethook()
debug.sethook()
assert(gh == hk and gm == "" and gc == 0)
assert(debug.gethook() == nil)

-- call and return events
local evs = {}
debug.sethook(function(ev) evs[#evs + 1] = ev end, "cr")
two()
debug.sethook()
-- return from sethook, call two, return from two, call sethook
assert(table.concat(evs, " ") == "return call return call", table.concat(evs, " "))

-- getinfo from inside a hook: level 2 is the hooked function
local seen = {}
local function probe() return 1 end
debug.sethook(function(ev)
  local info = debug.getinfo(2, "nS")
  if ev == "call" and info.what == "Lua" then seen[#seen + 1] = info.name end
end, "c")
probe()
debug.sethook()
assert(seen[1] == "probe", tostring(seen[1]))

-- count events (instructions of the hook itself count too, as in PUC)
local n = 0
debug.sethook(function(ev) assert(ev == "count") n = n + 1 end, "", 1)
local z = 0
for i = 1, 10 do z = z + i end
debug.sethook()
assert(n > 5, n)

-- no recursion: hooks are off inside a hook
local depth, maxdepth = 0, 0
debug.sethook(function()
  depth = depth + 1
  if depth > maxdepth then maxdepth = depth end
  two()
  depth = depth - 1
end, "c")
two()
debug.sethook()
assert(maxdepth == 1)

-- errors in hooks propagate
local ok, e = pcall(function()
  debug.sethook(function() debug.sethook() error("in hook") end, "l")
  local a = 1
end)
assert(not ok and e:find("in hook", 1, true), e)

-- hooks of a coroutine
local co = coroutine.create(function()
  local a = 1
  coroutine.yield()
  a = 2
end)
local cev = {}
debug.sethook(co, function(ev, l) cev[#cev + 1] = l end, "l")
local ch = debug.gethook(co)
assert(type(ch) == "function")
assert(debug.gethook() == nil)
coroutine.resume(co)
assert(table.concat(cev, " ") == "85 86", table.concat(cev, " "))
coroutine.resume(co)
assert(table.concat(cev, " ") == "85 86 87 88", table.concat(cev, " "))

-- argument checks
ok, e = pcall(debug.sethook, hk)
assert(not ok and e:find("string expected", 1, true), e)
ok, e = pcall(debug.sethook, 1, "l")
assert(not ok and e:find("function expected", 1, true), e)

print("OK")
