-- Second script: raises errors or returns two values for some users. For
-- auth hooks a script error continues the chain (reference §3.3).
hooks = {
  auth_on_register = function(reg)
    if reg.username == "boom" then error("database on fire") end
    if reg.username == "boom-table" then error({ code = 1 }) end
    if reg.username == "twice" then return true, "extra" end
    if reg.username == "arith" then return reg.password + 1 end
  end,
}
