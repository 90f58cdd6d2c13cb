-- The register logic shared by mysql.lua and mysql2.lua
-- (`require "auth/mysql_commons"`).
--
-- Table vmq_auth_acl (see README.md): mountpoint, client_id, username,
-- password (hashed by the server function that db.hash_method() names:
-- PASSWORD(?), MD5(?), SHA1(?) or SHA2(?, 256)), publish_acl and
-- subscribe_acl as JSON text. A row with client_id '*' applies to every
-- client of that mountpoint and username; a row naming the client is
-- preferred over it.

function auth_on_register_mysql(db, pool, reg)
  if reg.username == nil or reg.password == nil then
    return false
  end
  local password = obf.decrypt(reg.password)
  local rows = db.execute(pool,
    "SELECT publish_acl, subscribe_acl, client_id FROM vmq_auth_acl " ..
    "WHERE mountpoint=? AND (client_id=? OR client_id='*') AND username=? AND password=" ..
    db.hash_method(),
    reg.mountpoint, reg.client_id, reg.username, password)
  if type(rows) ~= "table" or #rows == 0 then
    return false
  end
  local row = rows[1]
  for _, r in ipairs(rows) do
    if r.client_id ~= "*" then
      row = r
      break
    end
  end
  cache_insert(reg.mountpoint, reg.client_id, reg.username,
    decode_acl(row.publish_acl), decode_acl(row.subscribe_acl))
  return true
end
