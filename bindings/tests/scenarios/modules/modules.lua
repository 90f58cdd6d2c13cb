-- json, bcrypt, crypto, obf and kv as an operator's script uses them. Each
-- probe returns a string; the hook answers it as the username modifier.
local function hex(s)
  return (string.gsub(s, ".", function(c) return string.format("%02x", string.byte(c)) end))
end
local function show(v)
  if type(v) ~= "table" then return type(v) .. ":" .. tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local out = {}
  for _, k in ipairs(keys) do out[#out + 1] = tostring(k) .. "=" .. show(v[k]) end
  return "{" .. table.concat(out, ",") .. "}"
end
-- a published crypt_blowfish test vector: "U*U" at cost 5
local STORED = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"

kv.ensure_table({ name = "mod_set" })
kv.ensure_table({ name = "mod_bag", type = "bag" })

local probes = {
  json_sorted = function() return json.encode({ zeta = 1, alpha = true, mid = "x" }) end,
  json_empty = function() return json.encode({}) end,
  json_nested = function() return json.encode({ a = { {}, { b = {} } }, n = 1.5, i = 3 }) end,
  json_array = function() return json.encode({ "a", "list", 3, false }) end,
  json_mixed = function() return tostring(json.encode({ 1, 2, x = 3 })) end,
  json_escape = function() return json.encode({ s = "q\"b\\n\n\t\1" }) end,
  json_unicode = function() return json.encode({ s = "é€" }) end,
  json_null = function() return show(json.decode('{"a":null,"b":[1,null]}')) end,
  json_invalid = function() return tostring(json.decode("{not json")) end,
  json_trailing = function() return tostring(json.decode('{"a":1} x')) end,
  json_scalar = function() return show(json.decode("42")) end,
  json_empty_array = function() return show(json.decode('{"a":[],"b":{}}')) .. " " .. json.encode(json.decode('{"a":[]}')) end,
  json_numbers = function() return show(json.decode('[1, 2.5, -3e2, 1E3]')) end,
  json_sparse = function() return json.encode({ [1] = "a", [3] = "c" }) end,
  json_bad_keys = function()
    return tostring(json.encode({ [true] = 1 })) .. " " .. tostring(json.encode({ [1.5] = 1 }))
      .. " " .. tostring(json.encode({ x = 0 / 0 }))
  end,
  json_numeric_strings = function() return json.encode({ ["1"] = "a", ["2"] = "b" }) end,
  json_dup_key = function() return tostring(json.decode('{"a":1,"a":2}').a) end,
  json_roundtrip = function()
    local t = json.decode(json.encode({ a = { b = { c = "hello", d = { 1, 2, 3, 4, 5 } } } }))
    return tostring(t.a.b.c == "hello" and #t.a.b.d == 5 and t.a.b.d[5] == 5)
  end,
  -- jsx cannot encode a function: VerneMQ's json.encode answers nil
  json_function = function() return tostring(json.encode({ f = print })) .. " " .. tostring(json.encode({ 1, print })) end,
  -- VerneMQ's io has only write and flush
  io_restricted = function()
    local names = {}
    for k in pairs(io) do names[#names + 1] = k end
    table.sort(names)
    return table.concat(names, ",") .. " " .. tostring(io.read) .. " " .. tostring(package.loaded.io == io)
  end,
  json_encode_string = function() local ok = pcall(json.encode, "str") return tostring(ok) end,
  bcrypt_verify = function()
    return tostring(STORED == bcrypt.hashpw("U*U", STORED)) .. " " .. tostring(STORED == bcrypt.hashpw("wrong", STORED))
  end,
  bcrypt_salt = function()
    local s = bcrypt.gen_salt()
    return string.sub(s, 1, 7) .. " " .. #s
  end,
  bcrypt_badsalt = function() local ok = pcall(bcrypt.hashpw, "x", "nope") return tostring(ok) end,
  crypto_sha256 = function() return hex(crypto.hash("sha256", "hello")) end,
  crypto_md5 = function() return hex(crypto.hash("md5", "hello")) end,
  crypto_sha = function() return hex(crypto.hash("sha", "hello")) end,
  crypto_unknown = function() local ok = pcall(crypto.hash, "rot13", "x") return tostring(ok) end,
  obf_roundtrip = function()
    local e = obf.encrypt("test-password")
    return tostring(e ~= "test-password") .. " " .. obf.decrypt(e) .. " " .. obf.decrypt("plain-password")
  end,
  kv_set = function()
    kv.insert("mod_set", { k = "v1" })
    kv.insert("mod_set", { k = "v2" })
    local new_ok = kv.insert_new("mod_set", { k = "v3", other = "o" })
    local got = kv.lookup("mod_set", "k")
    return #got .. ":" .. got[1] .. ":" .. tostring(new_ok) .. ":" .. #kv.lookup("mod_set", "other")
  end,
  kv_bag = function()
    kv.insert("mod_bag", { k = "v1" })
    kv.insert("mod_bag", { k = "v2" })
    kv.insert("mod_bag", { k = "v1" })
    local got = kv.lookup("mod_bag", "k")
    table.sort(got)
    return table.concat(got, ",")
  end,
  kv_nested = function()
    kv.insert("mod_set", { deep = { b = { c = { d = 7 } } } })
    return tostring(kv.lookup("mod_set", "deep")[1].b.c.d)
  end,
  kv_delete = function()
    kv.delete("mod_set", "k")
    return #kv.lookup("mod_set", "k") .. " " .. tostring(kv.delete_all("mod_set")) .. " " .. #kv.lookup("mod_set", "deep")
  end,
  kv_unknown = function() local ok = pcall(kv.lookup, "no_such_table", "k") return tostring(ok) end,
  log_levels = function()
    log.info("info ~p") log.warning("warn") log.error("err") log.debug("dbg")
    return tostring(log.warn) .. " " .. tostring(log.notice)
  end,
  vmq_api = function()
    return vmq_api.disconnect_by_subscriber_id({ mountpoint = "", client_id = "nobody" }, { do_cleanup = true })
      .. " " .. vmq_api.reauthorize_subscriptions("u", { mountpoint = "", client_id = "nobody" }, {})
  end,
  version = function() return _VERSION end,
}

hooks = {
  auth_on_register = function(reg)
    local p = probes[reg.username]
    if p then return { username = p() } end
  end,
}
