-- A function whose upvalues live inline in its closure creates many
-- closures (the closure arena grows and moves) and reads its upvalues
-- after each one: the fast loop must not keep the upvalue list it had
-- before the closure was created.

local a, b, c = 1, 2, 3

local function make(n)
  local made = {}
  for i = 1, n do
    made[i] = function() return a + b + c + i end
    -- upvalues of `make` read right after the allocation
    assert(a + b + c == 6, "upvalues of the creating function")
    a = a + 1; a = a - 1
  end
  return made
end

local made = make(60000)
assert(#made == 60000)
assert(made[1]() == 7 and made[60000]() == 60006)

-- the same through nested functions sharing upvalues, with strings and
-- tables allocated between closure creations
local function outer()
  local x, y = 10, 20
  local function inner(k)
    local fs = {}
    for i = 1, k do
      fs[#fs + 1] = function() return x + y + i end
      local s = tostring(i) .. "/" .. x
      assert(s == i .. "/10")
      y = y + 0
    end
    return fs
  end
  return inner(30000)
end
local fs = outer()
assert(fs[30000]() == 30030)

print("OK")
