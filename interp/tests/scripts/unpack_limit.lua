-- table.unpack refuses results that would not fit in the stack
local ok, msg = pcall(function()
  for i = 999900, 1000000, 1 do table.unpack({}, 1, i) end
end)
assert(not ok and string.find(msg, "too many results"))
assert(select("#", table.unpack({}, 1, 100000)) == 100000)
print("OK")
