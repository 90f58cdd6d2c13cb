-- call hooks report "tail call" for Lua tail calls, and getinfo marks them
local function f(x)
  if x then
    assert(debug.getinfo(1, "t").istailcall == true)
  end
end
local function g(x) return f(x) end
local function g1(x) g(x) end
local function h(x) local ff = g1; return ff(x) end
h(true)

local b = {}
debug.sethook(function(e) b[#b + 1] = e end, "cr")
h(false)
debug.sethook()
local want = {"return", "call", "tail call", "call", "tail call",
  "return", "return", "call"}
assert(#b == #want, table.concat(b, ","))
for i = 1, #want do assert(b[i] == want[i], table.concat(b, ",")) end

-- the hook sees the tail-called function as a tail call
local n = 0
debug.sethook(function(e)
  if e == "tail call" then
    n = n + 1
    assert(debug.getinfo(2, "t").istailcall == true)
  else
    assert(debug.getinfo(2, "t").istailcall == false)
  end
end, "c")
h(false)
debug.sethook()
assert(n == 2)

-- deep tail recursion with a hook set does not grow the stack
local function loop(k) if k == 0 then return "done" end return loop(k - 1) end
local calls = 0
debug.sethook(function() calls = calls + 1 end, "c")
local r = loop(300000)
debug.sethook()
assert(r == "done" and calls >= 300000)
print("OK")
