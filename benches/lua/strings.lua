-- strings.lua: string-library heavy workload.
-- Exercises: string.format, the .. operator (many intermediate strings,
-- interning), table.concat, gsub with string/function/table replacements,
-- gmatch, find (plain and pattern), string.rep, sub, byte, char, upper,
-- lower, reverse, #s.
-- Usage: lua strings.lua [rounds]   (default 600)

local rounds = tonumber(arg and arg[1]) or 600

local format, concat = string.format, table.concat
local byte, char, sub, rep = string.byte, string.char, string.sub, string.rep
local gsub, gmatch, find = string.gsub, string.gmatch, string.find
local upper, lower, reverse = string.upper, string.lower, string.reverse

local MOD = 1000000007

-- Hash a string by its bytes (in chunks, to keep string.byte's results small).
local function hash_string(h, s)
  local len = #s
  for i = 1, len, 16 do
    local b1, b2, b3, b4, b5, b6, b7, b8,
          b9, b10, b11, b12, b13, b14, b15, b16 = byte(s, i, i + 15)
    h = (h * 31 + b1) % MOD
    if b16 then
      h = (h * 31 + b2 + b3 * 3 + b4 * 5 + b5 * 7 + b6 * 11 + b7 * 13 + b8 * 17
           + b9 * 19 + b10 * 23 + b11 * 29 + b12 * 31 + b13 * 37 + b14 * 41
           + b15 * 43 + b16 * 47) % MOD
    end
  end
  return (h + len) % MOD
end

local words = { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
                "golf", "hotel", "india", "juliet", "kilo", "lima" }
local nwords = #words

local abbrev = {}
for i = 1, nwords do abbrev[words[i]] = upper(sub(words[i], 1, 2)) end

local function one_round(r, h)
  -- 1. formatted records collected in a table and joined
  local parts = {}
  for i = 1, 400 do
    local w = words[(i + r) % nwords + 1]
    parts[i] = format("%s-%04d:%x/%5.2f", w, i * r % 10000, i * 37 + r, i / 7)
  end
  local doc = concat(parts, ",")
  h = hash_string(h, doc)

  -- 2. gsub with a function, a table and a template replacement
  local swapped, n1 = gsub(doc, "(%a+)-(%d+)", function(w, d)
    return d .. "=" .. w
  end)
  local short, n2 = gsub(doc, "%a+", abbrev)
  local tagged, n3 = gsub(short, "(%x+)/", "<%1>")
  h = hash_string(h, swapped)
  h = hash_string(h, tagged)
  h = (h + n1 * 7 + n2 * 11 + n3 * 13) % MOD

  -- 3. gmatch and find over the joined document
  local fields, digits = 0, 0
  for field in gmatch(doc, "[^,]+") do
    fields = fields + 1
    local s, e = find(field, "%d+")
    if s then digits = digits + (e - s + 1) end
  end
  local pos, hits = 1, 0
  while true do
    local s, e = find(doc, "echo", pos, true)
    if not s then break end
    hits = hits + 1
    pos = e + 1
  end
  h = (h + fields * 3 + digits * 5 + hits * 17) % MOD

  -- 4. piecewise concatenation with .. (quadratic-ish garbage on purpose)
  local acc = ""
  for i = 1, 150 do
    acc = acc .. char(97 + (i * r) % 26) .. i
  end
  h = hash_string(h, acc)

  -- 5. rep / sub / case conversion / reverse
  local block = rep(sub(doc, 1 + r % 50, 40 + r % 50), 20)
  local mixed = upper(sub(block, 1, 200)) .. lower(sub(block, 201, 400))
  h = hash_string(h, reverse(mixed))
  local pal = 0
  for i = 1, #block - 8, 7 do
    local piece = sub(block, i, i + 7)
    if piece == reverse(piece) then pal = pal + 1 end
    if sub(piece, 1, 1) == sub(piece, -1) then pal = pal + 2 end
  end
  h = (h + pal) % MOD

  return h, #doc
end

local h, total = 0, 0
for r = 1, rounds do
  local len
  h, len = one_round(r, h)
  total = total + len
end

print(format("strings: %d rounds, %d document bytes", rounds, total))
print(format("checksum: %d", h))
