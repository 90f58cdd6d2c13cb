-- auth_on_publish decisions keyed by the topic's first level, and
-- checks of the argument table (payload raw bytes, not base64).
hooks = {
  auth_on_publish = function(pub)
    assert(type(pub.payload) == "string" and type(pub.qos) == "number")
    assert(type(pub.retain) == "boolean" and pub.mountpoint == "")
    local first, rest = string.match(pub.topic, "^([^/]*)/?(.*)$")
    if first == "open" then return true end
    if first == "closed" then return false end
    if first == "rewrite" then return { topic = "rewritten/" .. rest } end
    if first == "upper" then return { payload = string.upper(pub.payload) } end
    if first == "binary" then return { payload = "\0\1\2\255" } end
    if first == "all" then
      return { topic = "x/y", payload = "p", qos = 1.0, retain = true, mountpoint = "mp2", throttle = 250 }
    end
    if first == "qos" then return { qos = tonumber(rest) } end
    if first == "qosstr" then return { qos = "1" } end
    if first == "wild" then return { topic = "a/+/c" } end
    if first == "hash" then return { topic = "a/#" } end
    if first == "numtopic" then return { topic = 5 } end
    if first == "emptytopic" then return { topic = "" } end
    if first == "props" then return { properties = { p_content_type = "x" } } end
    if first == "unknown" then return { unknown = 5 } end
    if first == "retain" then return { retain = "yes" } end
    if first == "echo" then
      -- the payload as the script sees it, back as the new payload
      return { payload = "len=" .. #pub.payload .. ":" .. pub.payload }
    end
    if first == "check" then
      -- qos, retain and the username exactly as in the request
      return pub.qos == 2 and pub.retain == true and pub.username == "u1" and pub.client_id == "c1"
    end
    if first == "nouser" then
      return pub.username == nil
    end
  end,
}
