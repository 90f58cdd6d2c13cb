-- objects marked for finalization: registered once, finalized once, in
-- reverse order of marking; many registrations stay cheap
local order = {}
local mt = {__gc = function(o) order[#order + 1] = o.id end}
do
  local a = setmetatable({id = 1}, mt)
  local b = setmetatable({id = 2}, mt)
  setmetatable(a, mt)          -- marking again does not register twice
  setmetatable(b, mt)
end
collectgarbage()
assert(#order == 2 and order[1] == 2 and order[2] == 1, table.concat(order, ","))
collectgarbage()
assert(#order == 2)

local keep = {}
local t0 = os.clock()
for i = 1, 50000 do keep[i] = setmetatable({}, mt) end
assert(os.clock() - t0 < 5)
print("OK")
