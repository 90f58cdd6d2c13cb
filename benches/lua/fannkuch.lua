-- fannkuch.lua: fannkuch-redux. For every permutation of 1..n, repeatedly
-- reverse the first k elements where k is the first element, counting flips.
-- Exercises: tight integer loops over small arrays, array swaps, while loops.
-- Usage: lua fannkuch.lua [n [reps]]   (default n = 9, reps = 3)
-- n = 10 is ~12x the work of n = 9, so the default repeats n = 9 a few times
-- instead; reps scales the run time linearly.

local n = tonumber(arg and arg[1]) or 9
local reps = tonumber(arg and arg[2]) or 3

local function fannkuch(size)
  local perm, work, counter = {}, {}, {}
  for i = 1, size do perm[i] = i; counter[i] = 0 end
  local maxflips, checksum, index = 0, 0, 0

  while true do
    -- Count flips for the current permutation.
    local first = perm[1]
    if first ~= 1 then
      for i = 2, size do work[i] = perm[i] end
      local flips = 0
      local k = first
      repeat
        -- reverse work[1..k]; work[1] is conceptually k
        local lo, hi = 2, k - 1
        while lo < hi do
          work[lo], work[hi] = work[hi], work[lo]
          lo = lo + 1
          hi = hi - 1
        end
        flips = flips + 1
        local nextk = work[k]
        work[k] = k
        k = nextk
      until k == 1
      if flips > maxflips then maxflips = flips end
      if index % 2 == 0 then
        checksum = checksum + flips
      else
        checksum = checksum - flips
      end
    end

    -- Advance to the next permutation (rotation-based counting order).
    local i = 2
    while true do
      if i > size then return checksum, maxflips end
      local p1 = perm[1]
      for j = 1, i - 1 do perm[j] = perm[j + 1] end
      perm[i] = p1
      local c = counter[i] + 1
      if c < i then
        counter[i] = c
        break
      end
      counter[i] = 0
      i = i + 1
    end
    index = index + 1
  end
end

local checksum, maxflips = fannkuch(n)
for _ = 2, reps do
  local c, m = fannkuch(n)
  if c ~= checksum or m ~= maxflips then error("fannkuch: results differ between repetitions") end
end
print(string.format("%d\nPfannkuchen(%d) = %d", checksum, n, maxflips))
