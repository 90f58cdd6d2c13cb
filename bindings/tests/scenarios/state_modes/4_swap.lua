-- hooks[<name>] is looked up at call time (reference §2.1): a keep_state
-- script that replaces its own hook changes what later calls run.
keep_state = true
hooks = {}
hooks.auth_on_register = function(reg)
  if reg.client_id ~= "swap" then return end
  hooks.auth_on_register = function(r)
    if r.client_id ~= "swap" then return end
    return { username = "replaced" }
  end
  return { username = "original" }
end
