-- keep_state = true: one state (num_states unset) that keeps its globals.
keep_state = true
counter = 0
hooks = {
  auth_on_register = function(reg)
    if reg.client_id ~= "kept" then return end
    counter = counter + 1
    if reg.username == "fail" then error("after the increment") end
    return { max_message_rate = counter }
  end,
}
