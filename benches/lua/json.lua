-- json.lua: a small pure-Lua JSON encoder and decoder, round-tripping a
-- generated document several times.
-- Exercises: string scanning with string.byte / string.find / string.sub,
-- building output in a buffer table + table.concat, recursion, tables with
-- metatables used as type tags, tonumber on substrings, sorting keys.
-- Usage: lua json.lua [rounds]   (default 30)

local rounds = tonumber(arg and arg[1]) or 30

local byte, char, sub, find, format = string.byte, string.char, string.sub, string.find, string.format
local concat, sort = table.concat, table.sort
local floor = math.floor

---------------------------------------------------------------- values
local null = setmetatable({}, { __tostring = function() return "null" end })
local Array = {}   -- metatable tagging a table as a JSON array

local function array(t) return setmetatable(t or {}, Array) end

---------------------------------------------------------------- encoder
local escapes = {
  [34] = '\\"', [92] = '\\\\', [8] = '\\b', [12] = '\\f',
  [10] = '\\n', [13] = '\\r', [9] = '\\t',
}

local function encode_string(s, buf, n)
  n = n + 1; buf[n] = '"'
  local start = 1
  local len = #s
  for i = 1, len do
    local c = byte(s, i)
    if c < 32 or c == 34 or c == 92 then
      if i > start then n = n + 1; buf[n] = sub(s, start, i - 1) end
      n = n + 1; buf[n] = escapes[c] or format("\\u%04x", c)
      start = i + 1
    end
  end
  if start <= len then n = n + 1; buf[n] = sub(s, start, len) end
  n = n + 1; buf[n] = '"'
  return n
end

local encode_value

local function encode_number(v)
  if v == floor(v) and v > -9007199254740992 and v < 9007199254740992 then
    return format("%d", v)
  end
  return format("%.14g", v)
end

function encode_value(v, buf, n)
  local tv = type(v)
  if tv == "string" then
    return encode_string(v, buf, n)
  elseif tv == "number" then
    n = n + 1; buf[n] = encode_number(v); return n
  elseif tv == "boolean" then
    n = n + 1; buf[n] = v and "true" or "false"; return n
  elseif v == null then
    n = n + 1; buf[n] = "null"; return n
  elseif tv == "table" then
    if getmetatable(v) == Array then
      n = n + 1; buf[n] = "["
      for i = 1, #v do
        if i > 1 then n = n + 1; buf[n] = "," end
        n = encode_value(v[i], buf, n)
      end
      n = n + 1; buf[n] = "]"
      return n
    end
    local keys, k = {}, 0
    for key in pairs(v) do
      if type(key) ~= "string" then error("json: object keys must be strings") end
      k = k + 1; keys[k] = key
    end
    sort(keys)   -- deterministic output regardless of table iteration order
    n = n + 1; buf[n] = "{"
    for i = 1, k do
      if i > 1 then n = n + 1; buf[n] = "," end
      n = encode_string(keys[i], buf, n)
      n = n + 1; buf[n] = ":"
      n = encode_value(v[keys[i]], buf, n)
    end
    n = n + 1; buf[n] = "}"
    return n
  end
  error("json: cannot encode a " .. tv)
end

local function encode(v)
  local buf = {}
  local n = encode_value(v, buf, 0)
  return concat(buf, "", 1, n)
end

---------------------------------------------------------------- decoder
local B_QUOTE, B_BACKSLASH, B_LBRACE, B_RBRACE = 34, 92, 123, 125
local B_LBRACKET, B_RBRACKET, B_COMMA, B_COLON = 91, 93, 44, 58
local unescape = {
  [34] = '"', [92] = '\\', [47] = '/', [98] = '\b', [102] = '\f',
  [110] = '\n', [114] = '\r', [116] = '\t',
}

local function utf8_char(cp)
  if cp < 0x80 then return char(cp) end
  if cp < 0x800 then
    return char(0xC0 + floor(cp / 64), 0x80 + cp % 64)
  end
  return char(0xE0 + floor(cp / 4096), 0x80 + floor(cp / 64) % 64, 0x80 + cp % 64)
end

local function skip_ws(s, i)
  local _, e = find(s, "^[ \t\r\n]*", i)
  return e + 1
end

local decode_value

local function decode_error(s, i, what)
  error(format("json: %s at position %d near %q", what, i, sub(s, i, i + 10)))
end

local function decode_string(s, i)
  -- s[i] is the opening quote
  local parts, n = nil, 0
  local j = i + 1
  while true do
    local q = find(s, '["\\]', j)
    if not q then decode_error(s, i, "unterminated string") end
    if byte(s, q) == B_QUOTE then
      if parts == nil then return sub(s, i + 1, q - 1), q + 1 end
      n = n + 1; parts[n] = sub(s, j, q - 1)
      return concat(parts, "", 1, n), q + 1
    end
    parts = parts or {}
    n = n + 1; parts[n] = sub(s, j, q - 1)
    local e = byte(s, q + 1)
    if e == 117 then -- \uXXXX
      local cp = tonumber(sub(s, q + 2, q + 5), 16)
      if not cp then decode_error(s, q, "bad unicode escape") end
      n = n + 1; parts[n] = utf8_char(cp)
      j = q + 6
    else
      local u = unescape[e]
      if not u then decode_error(s, q, "bad escape") end
      n = n + 1; parts[n] = u
      j = q + 2
    end
  end
end

local function decode_array(s, i)
  local t, n = array(), 0
  i = skip_ws(s, i + 1)
  if byte(s, i) == B_RBRACKET then return t, i + 1 end
  while true do
    local v
    v, i = decode_value(s, i)
    n = n + 1; t[n] = v
    i = skip_ws(s, i)
    local c = byte(s, i)
    if c == B_RBRACKET then return t, i + 1 end
    if c ~= B_COMMA then decode_error(s, i, "expected ',' or ']'") end
    i = skip_ws(s, i + 1)
  end
end

local function decode_object(s, i)
  local t = {}
  i = skip_ws(s, i + 1)
  if byte(s, i) == B_RBRACE then return t, i + 1 end
  while true do
    if byte(s, i) ~= B_QUOTE then decode_error(s, i, "expected a key") end
    local k
    k, i = decode_string(s, i)
    i = skip_ws(s, i)
    if byte(s, i) ~= B_COLON then decode_error(s, i, "expected ':'") end
    local v
    v, i = decode_value(s, skip_ws(s, i + 1))
    t[k] = v
    i = skip_ws(s, i)
    local c = byte(s, i)
    if c == B_RBRACE then return t, i + 1 end
    if c ~= B_COMMA then decode_error(s, i, "expected ',' or '}'") end
    i = skip_ws(s, i + 1)
  end
end

function decode_value(s, i)
  local c = byte(s, i)
  if c == B_QUOTE then return decode_string(s, i) end
  if c == B_LBRACE then return decode_object(s, i) end
  if c == B_LBRACKET then return decode_array(s, i) end
  if c == 116 and sub(s, i, i + 3) == "true" then return true, i + 4 end
  if c == 102 and sub(s, i, i + 4) == "false" then return false, i + 5 end
  if c == 110 and sub(s, i, i + 3) == "null" then return null, i + 4 end
  local _, e = find(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
  if e then
    local v = tonumber(sub(s, i, e))
    if v then return v, e + 1 end
  end
  decode_error(s, i, "unexpected character")
end

local function decode(s)
  local v, i = decode_value(s, skip_ws(s, 1))
  i = skip_ws(s, i)
  if i <= #s then decode_error(s, i, "trailing garbage") end
  return v
end

---------------------------------------------------------------- document
local seed = 7
local function rand(n)
  seed = (seed * 16807) % 2147483647
  return seed % n + 1
end

local syllables = { "ka", "lo", "mi", "nu", "ri", "sa", "te", "vo", "zu", "pe" }
local function word(len)
  local parts = {}
  for i = 1, len do parts[i] = syllables[rand(#syllables)] end
  return concat(parts)
end

local specials = { "line\nbreak", 'say "hi"', "back\\slash", "tab\there",
                   "ctl\1char", "caf\195\169", "slash/path" }

local function make_record(id)
  local tags = array()
  for i = 1, rand(5) - 1 do tags[i] = word(rand(3)) end
  local scores = array()
  for i = 1, rand(6) do scores[i] = rand(4000) / 8 - 250 end
  local rec = {
    id = id,
    name = word(2 + rand(3)),
    active = rand(2) == 1,
    ratio = rand(1000) / 16,
    tags = tags,
    scores = scores,
    parent = (rand(4) == 1) and null or id - 1,
    note = specials[rand(#specials)],
    address = { city = word(3), zip = format("%05d", rand(99999)),
                geo = array({ rand(180000) / 1000 - 90, rand(360000) / 1000 - 180 }) },
  }
  if rand(3) == 1 then
    rec.history = array()
    for i = 1, rand(4) do
      rec.history[i] = { at = 1600000000 + rand(100000000), op = word(1), big = rand(1000) * 1e6 }
    end
  end
  return rec
end

local doc = { version = 3, generator = "oxilua-benches", records = array(), empty = array(), nothing = {} }
for i = 1, 400 do doc.records[i] = make_record(i) end

---------------------------------------------------------------- run
local MOD = 1000000007
local function hash_string(h, s)
  for i = 1, #s, 8 do
    local a, b, c, d, e, f, g, k = byte(s, i, i + 7)
    h = (h * 257 + a + (b or 0) * 3 + (c or 0) * 5 + (d or 0) * 7 + (e or 0) * 11
         + (f or 0) * 13 + (g or 0) * 17 + (k or 0) * 19) % MOD
  end
  return h
end

-- walk a decoded value, summing numbers and counting nodes
local function stats(v)
  local tv = type(v)
  if tv == "number" then return 1, v end
  if tv ~= "table" or v == null then return 1, 0 end
  local count, sum = 1, 0
  if getmetatable(v) == Array then
    for i = 1, #v do
      local c, s = stats(v[i]); count = count + c; sum = sum + s
    end
  else
    -- visit keys in sorted order: float sums depend on the order of
    -- addition, and pairs() order is implementation-specific
    local keys, k = {}, 0
    for key in pairs(v) do k = k + 1; keys[k] = key end
    sort(keys)
    for i = 1, k do
      local c, s = stats(v[keys[i]]); count = count + c; sum = sum + s
    end
  end
  return count, sum
end

local text = encode(doc)
local h = hash_string(0, text)
local nodes, numsum
for _ = 1, rounds do
  local back = decode(text)
  local again = encode(back)
  if again ~= text then error("json: round trip changed the document") end
  nodes, numsum = stats(back)
  text = again
end
print(format("json: %d rounds, %d bytes, %d nodes, number sum %.6f", rounds, #text, nodes, numsum))
print(format("checksum: %d", h))
