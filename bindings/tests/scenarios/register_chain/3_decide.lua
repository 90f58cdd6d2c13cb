-- Third script: the real decision.
local decisions = {
  allow = true,
  deny = false,
  boom = true, -- reached after 2_faulty errors
  ["boom-table"] = true,
  twice = false, -- 2+ values in 2_faulty is a script error: we get here
  arith = true,
  mods = { max_connection_lifetime = 4711, max_message_size = 1001 },
  rounded = { max_message_size = 1000.4, max_inflight_messages = 2.0 },
  subid = { subscriber_id = { mountpoint = "override-mountpoint", client_id = "override-client-id" } },
  rename = { username = "override-username" },
  flags = { allow_publish = false, clean_session = true, upgrade_qos = true },
  policy = { shared_subscription_policy = "local_only", queue_type = "lifo" },
  empty = {},
  unknown = { unknown = 5 },
  mp_alone = { mountpoint = "m" }, -- not accepted for auth_on_register
  bad_policy = { shared_subscription_policy = "nearest" },
  bad_bool = { allow_publish = "yes" },
  bad_int = { max_message_size = "big" },
  half_subid = { subscriber_id = { client_id = "x" } },
  extra_subid = { subscriber_id = { mountpoint = "m", client_id = "c", username = "ignored" } },
  array = { 1, 2, 3 },
}
hooks = {
  auth_on_register = function(reg)
    return decisions[reg.username]
  end,
}
