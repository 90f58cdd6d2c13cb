-- A careless script: prints, and tries to stop or shell out from a hook.
-- Output goes to standard error (the JSON answers stay clean); os.exit,
-- os.execute and file io are absent, so calling them is a script error and
-- the auth chain goes on (DECISIONS.md §1; VerneMQ would halt the broker).
print("loading 1_dangerous")
io.write("io.write at load time\n")
hooks = {
  auth_on_register = function(reg)
    print("register", reg.client_id)
    io.write("io.write in a hook\n")
    if reg.username == "exit" then os.exit(1) end
    if reg.username == "execute" then os.execute("touch /tmp/oxilua-vmq-should-not-exist") end
    if reg.username == "open" then io.open("/etc/passwd") end
    if reg.username == "dofile" then dofile("/etc/passwd") end
  end,
}
