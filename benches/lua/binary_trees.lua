-- binary_trees.lua: allocate and walk many short-lived binary trees.
-- Exercises: table construction, GC pressure (young garbage plus one
-- long-lived tree), recursion.
-- Usage: lua binary_trees.lua [maxdepth]   (default 14)

local maxdepth = tonumber(arg and arg[1]) or 14
local mindepth = 4
if maxdepth < mindepth + 2 then maxdepth = mindepth + 2 end

-- A node is an array {left, right}; a leaf has no children.
local function build(depth)
  if depth == 0 then
    return {}
  end
  depth = depth - 1
  return { build(depth), build(depth) }
end

local function count(node)
  local l = node[1]
  if l == nil then return 1 end
  return 1 + count(l) + count(node[2])
end

local lines = {}

local stretch = build(maxdepth + 1)
lines[#lines + 1] = string.format("stretch tree of depth %d\t check: %d",
  maxdepth + 1, count(stretch))
stretch = nil

local longlived = build(maxdepth)

local total = 0
for depth = mindepth, maxdepth, 2 do
  local iterations = 2 ^ (maxdepth - depth + mindepth)
  local check = 0
  for _ = 1, iterations do
    check = check + count(build(depth))
  end
  total = total + check
  lines[#lines + 1] = string.format("%d\t trees of depth %d\t check: %d",
    iterations, depth, check)
end

lines[#lines + 1] = string.format("long lived tree of depth %d\t check: %d",
  maxdepth, count(longlived))

for i = 1, #lines do print(lines[i]) end
print(string.format("checksum: %d", total))
