-- hash_churn.lua: insert / lookup / delete churn on hash tables.
-- Exercises: table hash part with string keys (short interned strings, some
-- freshly built with ..), sparse integer keys, the array part for dense
-- integer keys, rehashing as tables grow and shrink, deleting by assigning
-- nil, next/pairs traversal.
-- Usage: lua hash_churn.lua [ops]   (default 300000)

local ops = tonumber(arg and arg[1]) or 300000

-- Park-Miller "minimal standard" generator: all products stay below 2^53,
-- so results are exact and identical on every Lua.
local seed = 42
local function rand(n)
  seed = (seed * 16807) % 2147483647
  return seed % n + 1
end

local MOD = 1000000007
local checksum = 0
local function mix(v)
  checksum = (checksum * 131 + v) % MOD
end

local KEYS = 5000
local names = {}
for i = 1, KEYS do names[i] = "key_" .. i end

-- Phase 1: a fixed pool of string keys, randomly inserted, looked up, deleted.
do
  local t, live = {}, 0
  local hits, misses = 0, 0
  for _ = 1, ops do
    local k = names[rand(KEYS)]
    local op = rand(10)
    if op <= 4 then
      if t[k] == nil then live = live + 1 end
      t[k] = op
    elseif op <= 8 then
      local v = t[k]
      if v then hits = hits + v else misses = misses + 1 end
    else
      if t[k] ~= nil then live = live - 1 end
      t[k] = nil
    end
  end
  local counted, vsum = 0, 0
  for _, v in pairs(t) do counted = counted + 1; vsum = vsum + v end
  if counted ~= live then error("phase 1: live count mismatch") end
  mix(hits); mix(misses); mix(vsum); mix(live)
end

-- Phase 2: keys built on the fly (string creation + interning + lookup),
-- word-count style.
do
  local counts, distinct = {}, 0
  for _ = 1, math.floor(ops / 3) do
    local k = "w" .. rand(3000) .. "_" .. rand(7)
    local c = counts[k]
    if c then
      counts[k] = c + 1
    else
      counts[k] = 1
      distinct = distinct + 1
    end
  end
  local maxc, total = 0, 0
  for _, c in pairs(counts) do
    total = total + c
    if c > maxc then maxc = c end
  end
  mix(distinct); mix(maxc); mix(total)
end

-- Phase 3: sparse integer keys (hash part, not array part): a sliding window
-- where every step inserts one new key and deletes the oldest one, plus
-- random lookups of keys that may or may not be present.
do
  local WINDOW = 2000
  local t, ring = {}, {}
  local found, sum = 0, 0
  for i = 1, ops do
    local k = rand(1000000000)
    t[k] = i
    local slot = i % WINDOW + 1
    local old = ring[slot]
    if old then t[old] = nil end
    ring[slot] = k
    local probe = ring[rand(WINDOW)]
    if probe then
      local v = t[probe]
      if v then found = found + 1; sum = (sum + v) % MOD end
    end
    if t[rand(1000000000)] then found = found + 1 end
  end
  local live = 0
  for _ in pairs(t) do live = live + 1 end
  mix(found); mix(sum); mix(live)
end

-- Phase 4: dense integer keys (array part) used as a stack that grows and
-- shrinks, with # for the length.
do
  local stack = {}
  local pushes, popsum = 0, 0
  for _ = 1, ops do
    if rand(5) <= 3 then
      stack[#stack + 1] = rand(1000)
      pushes = pushes + 1
    else
      local n = #stack
      if n > 0 then
        popsum = popsum + stack[n]
        stack[n] = nil
      end
    end
  end
  mix(pushes); mix(popsum % MOD); mix(#stack)
end

-- Phase 5: many small record tables with string fields created, updated
-- through a string-keyed index and dropped again.
do
  local index, created = {}, 0
  local fieldsum = 0
  for i = 1, math.floor(ops / 4) do
    local name = names[rand(KEYS)]
    local rec = index[name]
    if rec == nil then
      rec = { name = name, hits = 0, last = 0 }
      index[name] = rec
      created = created + 1
    end
    rec.hits = rec.hits + 1
    rec.last = i
    if rec.hits > 3 then
      fieldsum = (fieldsum + rec.hits * 7 + rec.last) % MOD
      index[name] = nil
    end
  end
  mix(created); mix(fieldsum)
end

print(string.format("hash_churn: %d ops", ops))
print(string.format("checksum: %d", checksum))
