-- A short tour of what oxilua runs: closures, metatables, coroutines,
-- string patterns and formatting, goto, and error handling.
local Account = {}
Account.__index = Account
function Account.new(owner, balance)
  return setmetatable({owner = owner, balance = balance or 0}, Account)
end
function Account:deposit(n) self.balance = self.balance + n; return self end
Account.__tostring = function(a) return string.format("%s: %.2f", a.owner, a.balance) end

local a = Account.new("ada", 10):deposit(32.5)
print(tostring(a))

local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c = counter(); c(); c()
print("counter", c())

local gen = coroutine.wrap(function()
  for w in ("the quick brown fox"):gmatch("%a+") do coroutine.yield(w:upper()) end
end)
print(gen(), gen(), gen(), gen())

local words = {}
for k, v in ("a=1, b=22, c=333"):gmatch("(%w+)=(%w+)") do words[#words + 1] = k .. v end
print(table.concat(words, ";"), ("%5.1f|%-4d|%q"):format(math.pi, 42, "hi\n"))

for i = 1, 3 do
  if i == 2 then goto continue end
  print("loop", i)
  ::continue::
end

print(pcall(function() local t = nil; return t.field end))
print(select("#", 1, nil, 3), 2^53, 0.1 + 0.2, 10 / 3)
