-- num_states = 3: the file runs once per state, each with its own
-- __SCRIPT_INSTANCE_ID__ (1..3); top-level side effects happen 3 times.
num_states = 3
kv.ensure_table({ name = "instances", type = "duplicate_bag" })
kv.insert("instances", { ids = __SCRIPT_INSTANCE_ID__ })
local me = __SCRIPT_INSTANCE_ID__
hooks = {
  auth_on_register = function(reg)
    if reg.client_id ~= "pool" then return end
    local ids = kv.lookup("instances", "ids")
    table.sort(ids)
    assert(me >= 1 and me <= 3 and me == __SCRIPT_INSTANCE_ID__)
    return { username = table.concat(ids, ","), max_message_rate = num_states }
  end,
}
