-- Lua 5.2 as VerneMQ's docs promise: the answers are what lua5.2 gives.
local probes = {
  version = function() return _VERSION end,
  division = function() return tostring(7 / 2) .. " " .. tostring(6 / 2) end,
  floor_div = function() local f, e = load("return 7 // 2") return tostring(f == nil) end,
  bitwise = function() return tostring(bit32.band(5, 3)) .. " " .. tostring(load("return 5 & 3") == nil) end,
  compat = function() return type(loadstring) .. " " .. type(unpack) .. " " .. type(table.unpack) .. " " .. type(math.pow) end,
  gotos = function() local i = 0 ::top:: i = i + 1 if i < 3 then goto top end return tostring(i) end,
  env = function() return type(os.exit) .. " " .. type(os.execute) .. " " .. type(io.open) .. " " .. type(io.write) .. " " .. type(os.time) .. " " .. type(debug) end,
  format = function() return string.format("%d|%5.2f|%s|%q", 3, 2.5, 1e15, "a\nb") end,
}
hooks = {
  auth_on_register = function(reg)
    if reg.username == "exit" or reg.username == "execute" or reg.username == "open" or reg.username == "dofile" then
      -- reached after 1_dangerous failed
      return { username = "survived-" .. reg.username }
    end
    local p = probes[reg.username]
    if p then return { username = p() } end
  end,
}
