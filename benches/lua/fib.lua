-- fib.lua: naive doubly-recursive Fibonacci.
-- Exercises: Lua-to-Lua calls and returns, comparisons, small integer arithmetic.
-- Usage: lua fib.lua [n]   (default n = 35)

local n = tonumber(arg and arg[1]) or 35

local function fib(k)
  if k < 2 then return k end
  return fib(k - 1) + fib(k - 2)
end

-- A second entry point through a global function, so global lookups
-- and calls through a table field are also on the path.
function fib_global(k)
  if k < 2 then return k end
  return fib_global(k - 1) + fib_global(k - 2)
end

local a = fib(n)
local b = fib_global(n - 4)
print(string.format("fib(%d) = %d", n, a))
print(string.format("fib_global(%d) = %d", n - 4, b))
