-- richards.lua: a Richards-style operating-system task scheduler.
-- Six tasks (idle, worker, two handlers, two devices) pass packets between
-- each other through a priority scheduler. Objects are tables with
-- metatables; behaviour is reached through method calls (SELF + CALL),
-- with a small class hierarchy built from __index chains.
-- Exercises: method dispatch through metatables, field access on objects,
-- linked lists of tables, short branchy functions.
-- Usage: lua richards.lua [runs]   (default 30; each run is one full
-- simulation of COUNT idle-task steps)

local runs = tonumber(arg and arg[1]) or 30
local COUNT = 10000

local ID_IDLE, ID_WORKER, ID_HANDLER_A, ID_HANDLER_B, ID_DEVICE_A, ID_DEVICE_B =
  1, 2, 3, 4, 5, 6
local KIND_DEVICE, KIND_WORK = 0, 1
local DATA_SIZE = 4

-- A tiny class helper: class(parent) returns a table usable as a metatable
-- whose instances see methods of the class and then of its parent.
local function class(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, { __index = parent }) end
  return c
end

---------------------------------------------------------------- Packet
local Packet = class()

function Packet.new(link, id, kind)
  local data = {}
  for i = 1, DATA_SIZE do data[i] = 0 end
  return setmetatable({ link = link, id = id, kind = kind, a1 = 0, a2 = data }, Packet)
end

-- Append self at the end of the list starting at head; return the new head.
function Packet:append_to(head)
  self.link = nil
  if head == nil then return self end
  local p = head
  local nxt = p.link
  while nxt ~= nil do
    p = nxt
    nxt = p.link
  end
  p.link = self
  return head
end

---------------------------------------------------------------- Task control block
local Tcb = class()

function Tcb.new(link, id, priority, queue, task)
  local t = setmetatable({
    link = link, id = id, priority = priority, queue = queue, task = task,
    pending = queue ~= nil, waiting = true, held = false,
  }, Tcb)
  return t
end

function Tcb:set_running()
  self.pending, self.waiting, self.held = false, false, false
end
function Tcb:mark_held() self.held = true end
function Tcb:mark_not_held() self.held = false end
function Tcb:mark_waiting() self.waiting = true end
function Tcb:is_held_or_waiting()
  return self.held or (self.waiting and not self.pending)
end

function Tcb:run()
  local packet = nil
  if self.pending and self.waiting and not self.held then
    packet = self.queue
    self.queue = packet.link
    self.pending = self.queue ~= nil
    self.waiting = false
  end
  return self.task:run(packet)
end

-- A packet arrives for this task from `from`. Returns the task to run next.
function Tcb:receive(from, packet)
  if self.queue == nil then
    self.queue = packet
    self.pending = true
    if self.priority > from.priority then return self end
  else
    self.queue = packet:append_to(self.queue)
  end
  return from
end

---------------------------------------------------------------- Scheduler
local Scheduler = class()

function Scheduler.new()
  return setmetatable({
    list = nil, current = nil, current_id = 0,
    blocks = {}, queue_count = 0, hold_count = 0,
  }, Scheduler)
end

function Scheduler:add_task(id, priority, queue, task)
  local tcb = Tcb.new(self.list, id, priority, queue, task)
  self.list = tcb
  self.blocks[id] = tcb
  self.current = tcb
  return tcb
end

function Scheduler:schedule()
  local tcb = self.list
  while tcb ~= nil do
    if tcb:is_held_or_waiting() then
      tcb = tcb.link
    else
      self.current = tcb
      self.current_id = tcb.id
      tcb = tcb:run()
    end
  end
end

function Scheduler:release(id)
  local t = self.blocks[id]
  if t == nil then return nil end
  t:mark_not_held()
  if t.priority > self.current.priority then return t end
  return self.current
end

function Scheduler:hold_current()
  self.hold_count = self.hold_count + 1
  local cur = self.current
  cur:mark_held()
  return cur.link
end

function Scheduler:wait_current()
  self.current:mark_waiting()
  return self.current
end

function Scheduler:send(packet)
  local t = self.blocks[packet.id]
  if t == nil then return nil end
  self.queue_count = self.queue_count + 1
  packet.link = nil
  packet.id = self.current_id
  return t:receive(self.current, packet)
end

---------------------------------------------------------------- Tasks
local Task = class()
function Task.init(obj, cls, sched)
  obj.sched = sched
  return setmetatable(obj, cls)
end

-- Idle task: drives the devices with a pseudo-random sequence until its
-- step budget runs out.
local IdleTask = class(Task)
function IdleTask.new(sched, seed, count)
  return Task.init({ seed = seed, count = count }, IdleTask, sched)
end
function IdleTask:run(packet)
  self.count = self.count - 1
  if self.count == 0 then return self.sched:hold_current() end
  local s = (self.seed * 75 + 74) % 65537
  self.seed = s
  if s % 2 == 0 then
    return self.sched:release(ID_DEVICE_A)
  else
    return self.sched:release(ID_DEVICE_B)
  end
end

-- Worker task: fills work packets with letters and sends them alternately
-- to the two handlers.
local WorkerTask = class(Task)
function WorkerTask.new(sched)
  return Task.init({ dest = ID_HANDLER_A, letter = 0 }, WorkerTask, sched)
end
function WorkerTask:run(packet)
  if packet == nil then return self.sched:wait_current() end
  if self.dest == ID_HANDLER_A then self.dest = ID_HANDLER_B else self.dest = ID_HANDLER_A end
  packet.id = self.dest
  packet.a1 = 0
  local data = packet.a2
  for i = 1, DATA_SIZE do
    local l = self.letter + 1
    if l > 26 then l = 1 end
    self.letter = l
    data[i] = l
  end
  return self.sched:send(packet)
end

-- Handler task: takes work packets and device packets; copies one datum of
-- the current work packet into a device packet and sends that off.
local HandlerTask = class(Task)
function HandlerTask.new(sched)
  return Task.init({ work = nil, devices = nil }, HandlerTask, sched)
end
function HandlerTask:run(packet)
  if packet ~= nil then
    if packet.kind == KIND_WORK then
      self.work = packet:append_to(self.work)
    else
      self.devices = packet:append_to(self.devices)
    end
  end
  local work = self.work
  if work ~= nil then
    local n = work.a1
    if n < DATA_SIZE then
      local dev = self.devices
      if dev ~= nil then
        self.devices = dev.link
        dev.a1 = work.a2[n + 1]
        work.a1 = n + 1
        return self.sched:send(dev)
      end
    else
      self.work = work.link
      return self.sched:send(work)
    end
  end
  return self.sched:wait_current()
end

-- Device task: holds one packet at a time and hands it back.
local DeviceTask = class(Task)
function DeviceTask.new(sched)
  return Task.init({ held_packet = nil, sum = 0 }, DeviceTask, sched)
end
function DeviceTask:run(packet)
  if packet == nil then
    local p = self.held_packet
    if p == nil then return self.sched:wait_current() end
    self.held_packet = nil
    return self.sched:send(p)
  end
  self.held_packet = packet
  self.sum = (self.sum + packet.a1) % 1000003
  return self.sched:hold_current()
end

---------------------------------------------------------------- Driver
local function simulate()
  local s = Scheduler.new()

  s:add_task(ID_IDLE, 0, nil, IdleTask.new(s, 1, COUNT)):set_running()

  local q = Packet.new(nil, ID_WORKER, KIND_WORK)
  q = Packet.new(q, ID_WORKER, KIND_WORK)
  s:add_task(ID_WORKER, 1000, q, WorkerTask.new(s))

  q = Packet.new(nil, ID_DEVICE_A, KIND_DEVICE)
  q = Packet.new(q, ID_DEVICE_A, KIND_DEVICE)
  q = Packet.new(q, ID_DEVICE_A, KIND_DEVICE)
  s:add_task(ID_HANDLER_A, 2000, q, HandlerTask.new(s))

  q = Packet.new(nil, ID_DEVICE_B, KIND_DEVICE)
  q = Packet.new(q, ID_DEVICE_B, KIND_DEVICE)
  q = Packet.new(q, ID_DEVICE_B, KIND_DEVICE)
  s:add_task(ID_HANDLER_B, 3000, q, HandlerTask.new(s))

  local da, db = DeviceTask.new(s), DeviceTask.new(s)
  s:add_task(ID_DEVICE_A, 4000, nil, da)
  s:add_task(ID_DEVICE_B, 5000, nil, db)

  s:schedule()
  return s.queue_count, s.hold_count, da.sum + db.sum
end

local qc, hc, ds = simulate()
for _ = 2, runs do
  local q2, h2, d2 = simulate()
  if q2 ~= qc or h2 ~= hc or d2 ~= ds then error("richards: runs disagree") end
end
print(string.format("richards: %d runs, queue count %d, hold count %d, device sum %d",
  runs, qc, hc, ds))
