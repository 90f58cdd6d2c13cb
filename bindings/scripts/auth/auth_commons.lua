-- Helpers shared by the database auth scripts of this directory.
--
-- Load it with `require "auth/auth_commons"`: the engine appends
-- "<script_dir>/?.lua" to package.path, so with script_dir pointing at the
-- directory that holds `auth/` this file is found. It runs in the global
-- environment of the requiring script and defines globals:
--
--   cache_insert(mountpoint, client_id, username, publish_acl, subscribe_acl)
--       checks the arguments and the ACL tables, then fills the ACL cache
--       (auth_cache.insert) that decides the client's later publishes,
--       subscribes and unsubscribes;
--   decode_acl(text)      JSON text of an ACL column -> table or nil;
--   bcrypt_matches(password, hash)  true when `hash` is a bcrypt hash of
--       `password` (a malformed stored hash simply does not match);
--   default hooks: auth_on_register_m5 (same as auth_on_register),
--       auth_on_publish(_m5) and auth_on_subscribe(_m5) deny (they only run
--       for clients without a cache entry), on_unsubscribe and the
--       client-gone hooks do nothing (the engine cleans the cache before
--       calling them);
--   auth_hooks()          the hooks table every auth script declares.
--
-- It also sets num_states = 10 and keep_state = false for the script that
-- requires it.

num_states = 10
keep_state = false

local function acl_error(what, i, key, detail)
  error(string.format("%s ACL #%d: %s %s", what, i, tostring(key), detail), 3)
end

-- Every ACL is a table with string keys; "pattern" must be a string,
-- "modifiers" a table, any other value a string, number or boolean.
local function validate_acls(what, acls)
  if acls == nil then
    return
  end
  assert(type(acls) == "table", what .. " ACLs must be a table or nil, got " .. type(acls))
  for i, acl in ipairs(acls) do
    if type(acl) ~= "table" then
      acl_error(what, i, "", "is not a table")
    end
    for k, v in pairs(acl) do
      if type(k) ~= "string" then
        acl_error(what, i, k, "key is not a string")
      elseif k == "pattern" then
        if type(v) ~= "string" then acl_error(what, i, k, "must be a string") end
      elseif k == "modifiers" then
        if type(v) ~= "table" then acl_error(what, i, k, "must be a table") end
      else
        local t = type(v)
        if t ~= "string" and t ~= "number" and t ~= "boolean" then
          acl_error(what, i, k, "must be a string, a number or a boolean")
        end
      end
    end
  end
end

function cache_insert(mountpoint, client_id, username, publish_acl, subscribe_acl)
  assert(type(mountpoint) == "string", "mountpoint must be a string")
  assert(type(client_id) == "string", "client_id must be a string")
  assert(type(username) == "string", "username must be a string")
  validate_acls("publish", publish_acl)
  validate_acls("subscribe", subscribe_acl)
  auth_cache.insert(mountpoint, client_id, username, publish_acl, subscribe_acl)
end

-- An ACL column as the SQL providers return it: JSON text, or the string
-- "null" for SQL NULL (which means: no ACLs, everything denied).
function decode_acl(text)
  if text == nil or text == "null" then
    return nil
  end
  if type(text) ~= "string" then
    return nil
  end
  local acl = json.decode(text)
  if type(acl) ~= "table" then
    return nil
  end
  return acl
end

-- An ACL field of a document (mongodb, redis): a table, or nothing.
function acl_table(v)
  if type(v) == "table" then
    return v
  end
  return nil
end

function bcrypt_matches(password, hash)
  if type(password) ~= "string" or type(hash) ~= "string" or hash == "null" then
    return false
  end
  local ok, computed = pcall(bcrypt.hashpw, password, hash)
  return ok and computed == hash
end

function auth_on_register_m5(reg)
  return auth_on_register(reg)
end

function auth_on_publish(pub)
  return false
end

function auth_on_subscribe(sub)
  return false
end

function auth_on_publish_m5(pub)
  return false
end

function auth_on_subscribe_m5(sub)
  return false
end

function on_unsubscribe(unsub)
end

function on_client_gone(c)
end

function on_client_offline(c)
end

function on_session_expired(c)
end

function auth_hooks()
  return {
    auth_on_register = auth_on_register,
    auth_on_publish = auth_on_publish,
    auth_on_subscribe = auth_on_subscribe,
    on_unsubscribe = on_unsubscribe,
    on_client_gone = on_client_gone,
    on_client_offline = on_client_offline,
    on_session_expired = on_session_expired,
    auth_on_register_m5 = auth_on_register_m5,
    auth_on_publish_m5 = auth_on_publish_m5,
    auth_on_subscribe_m5 = auth_on_subscribe_m5,
  }
end
