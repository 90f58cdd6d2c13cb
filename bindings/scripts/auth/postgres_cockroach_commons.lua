-- The register logic shared by postgres.lua and cockroachdb.lua
-- (`require "auth/postgres_cockroach_commons"`).
--
-- Table vmq_auth_acl (see README.md):
--   mountpoint varchar(10), client_id varchar(128), username varchar(128),
--   password varchar(128), publish_acl json, subscribe_acl json,
--   primary key (mountpoint, client_id, username).
-- A row with client_id '*' applies to every client of that mountpoint and
-- username; a row naming the client is preferred over it.
--
-- db.hash_method() says where the password is checked:
--   "bcrypt"  here, with bcrypt.hashpw against the stored hash;
--   "crypt"   (postgres) by the server: password = crypt($4, password);
--   "sha256"  (cockroachdb) by the server: password = sha256($4:::TEXT).

local SELECT_COLUMNS = "SELECT publish_acl::TEXT AS publish_acl, subscribe_acl::TEXT AS subscribe_acl, "
local WHERE = " FROM vmq_auth_acl WHERE mountpoint=$1 AND (client_id=$2 OR client_id='*') AND username=$3"

local SERVER_SIDE = {
  crypt = " AND password=crypt($4, password)",
  sha256 = " AND password=sha256($4:::TEXT)",
}

local function accept(reg, row)
  cache_insert(reg.mountpoint, reg.client_id, reg.username,
    decode_acl(row.publish_acl), decode_acl(row.subscribe_acl))
  return true
end

-- client-side check: the last verifying row that names the client, else the
-- first verifying row
local function client_side(db, pool, reg, password)
  local rows = db.execute(pool, SELECT_COLUMNS .. "password AS passhash, client_id" .. WHERE,
    reg.mountpoint, reg.client_id, reg.username)
  if type(rows) ~= "table" then
    return false
  end
  local specific, any
  for _, row in ipairs(rows) do
    if bcrypt_matches(password, row.passhash) then
      if row.client_id ~= "*" then
        specific = row
      end
      any = any or row
    end
  end
  local row = specific or any
  if row then
    return accept(reg, row)
  end
  return false
end

-- server-side check: the first row that names the client, else the first row
local function server_side(db, pool, reg, password, clause)
  local rows = db.execute(pool, SELECT_COLUMNS .. "client_id" .. WHERE .. clause,
    reg.mountpoint, reg.client_id, reg.username, password)
  if type(rows) ~= "table" or #rows == 0 then
    return false
  end
  for _, row in ipairs(rows) do
    if row.client_id ~= "*" then
      return accept(reg, row)
    end
  end
  return accept(reg, rows[1])
end

function auth_on_register_common(db, pool, reg)
  local method = db.hash_method()
  if reg.username == nil or reg.password == nil then
    return false
  end
  local password = obf.decrypt(reg.password)
  if method == "bcrypt" then
    return client_side(db, pool, reg, password)
  end
  local clause = SERVER_SIDE[method]
  if clause == nil then
    log.error("auth: unsupported password_hash_method " .. tostring(method))
    return false
  end
  return server_side(db, pool, reg, password, clause)
end
