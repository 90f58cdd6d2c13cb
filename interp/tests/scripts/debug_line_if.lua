-- line hook: the test of an `if` is on the `then` line
local function trace(src)
  local got = {}
  local f = assert(load(src))
  local function h(ev, line) got[#got + 1] = line end
  debug.sethook(h, "l"); f(); debug.sethook()
  return table.concat(got, ",")
end

assert(trace("if\nmath.sin(1)\nthen\n  a=1\nelse\n  a=2\nend\n") == "2,3,4,7")
assert(trace("--\nif nil then\n  a=1\nelse\n  a=2\nend\n") == "2,5,6")
assert(trace("while math.sin(1) do\n  if math.sin(1)\n  then break\n  end\nend\na=1") == "1,2,3,6")
assert(trace("local x = 1\nif x\nthen\nx = 2 end") == "1,3,4")
a = nil
print("OK")
