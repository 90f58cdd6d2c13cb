-- inside a line hook, the interrupted function's current instruction is the
-- one about to run: its locals and current line are seen accordingly
local f = assert(load[[
  local A = function ()
    return x
  end
  local B = 2
  return
]])
local seen = {}
local function h(e, l)
  seen[#seen + 1] = string.format("%d:%s:%s:%d", l, tostring(debug.getlocal(2, 1)),
    tostring(debug.getlocal(2, 2)), debug.getinfo(2, "l").currentline)
end
debug.sethook(h, "l"); f(); debug.sethook()
local s = table.concat(seen, " ")
assert(s:find("3:(*temporary):(*temporary):3 4:A:(*temporary):4 5:A:B:5", 1, true), s)
print("OK")
