-- MQTT 5 hooks: properties in (as the reference §3.5 shapes them) and
-- modifiers out (maps, the user-property merge).
local function up(props)
  -- user properties as "k=v,k=v" in order
  local out = {}
  for _, pair in ipairs(props.p_user_property or {}) do
    local k, v = next(pair)
    assert(next(pair, k) == nil, "one pair per element")
    out[#out + 1] = k .. "=" .. v
  end
  return table.concat(out, ",")
end

hooks = {
  auth_on_register_m5 = function(reg)
    local p = reg.properties
    assert(reg.clean_start == true and reg.clean_session == nil)
    if reg.username == "props" then
      assert(p.p_session_expiry_interval == 5 and p.p_receive_max == 10)
      assert(p.p_request_problem_info == true)
      assert(up(p) == "k1=v1,k1=v2,k2=v2", up(p))
      return { properties = { p_user_property = { { k3 = "v3" } }, p_session_expiry_interval = 10 } }
    end
    if reg.username == "max" then return { max_message_size = 100, clean_session = false } end
    if reg.username == "badprop" then return { properties = { p_content_type = "x" } } end
    if reg.username == "clean_start" then return { clean_start = true } end
    if reg.username == "deny" then return false end
    if reg.username == "allow" then return true end
  end,
  auth_on_publish_m5 = function(pub)
    local p = pub.properties
    if pub.topic == "merge" then
      assert(up(p) == "k1=v1,k1=v2,k2=v2,k4=v4", up(p))
      assert(p.p_payload_format_indicator == "utf8" and p.p_response_topic == "response/topic")
      assert(p.p_correlation_data == "corr" and p.p_content_type == "text/plain")
      return {
        properties = {
          p_user_property = { { k1 = "v3" }, { k3 = "v3" } },
          p_response_topic = "modified/response/topic",
          p_payload_format_indicator = "undefined",
        },
      }
    end
    if pub.topic == "content" then return { properties = { p_content_type = "application/json" }, qos = 2 } end
    if pub.topic == "unspecified" then return { properties = { p_payload_format_indicator = "unspecified" } } end
    if pub.topic == "badrt" then return { properties = { p_response_topic = "a/#" } } end
    if pub.topic == "expiry" then return { properties = { p_message_expiry_interval = 60.0 } } end
    if pub.topic == "multi" then return { properties = { p_user_property = { { a = "1", b = "2" } } } } end
    if pub.topic == "noprops" then
      assert(next(p) == nil) -- no properties: an empty table
      return { topic = "hello/world" }
    end
    if pub.topic == "deny" then return false end
  end,
  auth_on_subscribe_m5 = function(sub)
    local t = sub.topics[1]
    local qos, opts = t[2][1], t[2][2]
    if t[1] == "opts" then
      assert(qos == 1 and opts.no_local == true and opts.rap == false)
      assert(opts.retain_handling == "dont_send" and opts.sub_id == nil)
      assert(sub.properties.p_subscription_id == nil or true)
      return true
    end
    if t[1] == "subid" then
      return sub.properties.p_subscription_id[1] == 7 and opts.sub_id == 7
    end
    if t[1] == "rewrite" then return { topics = { { "hello/world", { 2, { rap = true } } } } } end
    if t[1] == "plain" then return { topics = { { "hello/world", 1 }, { "no/way", 128 } } } end
    if t[1] == "toplevel" then return { { "hello/world", 1 } } end
    if t[1] == "withprops" then return { topics = { { "a", 1 } }, properties = {} } end
    if t[1] == "deny" then return false end
  end,
  on_unsubscribe_m5 = function(u)
    if u.topics[1] == "rewrite" then return { topics = { "hello/world" } } end
    if u.topics[1] == "toplevel" then return { "hello/world" } end
    if u.topics[1] == "props" then return u.properties.p_user_property[1].k == "v" end
  end,
  on_auth_m5 = function(a)
    local p = a.properties
    if p.p_authentication_method == "AUTH_METHOD" and p.p_authentication_data == "AUTH_DATA0" then
      return { properties = { p_authentication_method = "AUTH_METHOD", p_authentication_data = "AUTH_DATA1" },
               reason_code = 24 }
    end
    if p.p_authentication_method == "deny" then return false end
    if p.p_authentication_method == "boom" then error("no") end
    if p.p_authentication_method == "bad" then return { properties = { p_user_property = {} } } end
  end,
  on_deliver_m5 = function(d)
    if d.topic == "merge" then
      return { properties = { p_user_property = { { k2 = "new" } }, p_content_type = "c" }, payload = "P" }
    end
    if d.topic == "expiry" then return { properties = { p_message_expiry_interval = 5 } } end
    if d.topic == "deny" then return false end
  end,
}
