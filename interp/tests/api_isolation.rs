//! Per-call isolation (`Lua::begin_isolation`, `Lua::isolated`): writes to
//! objects that existed before are undone, at a cost proportional to the
//! writes.

use oxilua::prelude::*;

/// A textual dump of a value (tables recursively, keys sorted, cycles cut),
/// to compare a whole state before and after.
const DUMP: &str = r#"
local function dump(v, seen)
  seen = seen or {}
  if type(v) ~= "table" then return type(v) == "string" and ("%q"):format(v) or tostring(v) end
  if seen[v] then return "<cycle>" end
  seen[v] = true
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) and (type(a) == "number" or type(a) == "string") then return a < b end
    return type(a) < type(b)
  end)
  local out = {}
  for _, k in ipairs(keys) do
    local kv = type(k) == "table" and "<tablekey>" or tostring(k)
    out[#out + 1] = kv .. "=" .. dump(v[k], seen)
  end
  local mt = getmetatable(v)
  return "{" .. table.concat(out, ",") .. (mt and ("|mt:" .. dump(mt, seen)) or "") .. "}"
end
return dump
"#;

fn setup() -> (Lua, LuaFunction) {
    let lua = Lua::new();
    let dump: LuaFunction = lua.load(DUMP).eval().unwrap();
    lua.load(
        r#"
        counter = 0
        config = { mode = "a", list = {1, 2, 3, 4, 5}, nested = { deep = { x = 1 } } }
        local hidden = 10
        function get_hidden() return hidden end
        function bump_hidden() hidden = hidden + 1 return hidden end
        proto = setmetatable({}, { __index = function(_, k) return "default:" .. k end })
        "#,
    )
    .exec()
    .unwrap();
    (lua, dump)
}

fn snapshot(lua: &Lua, dump: &LuaFunction) -> String {
    let g = lua.globals();
    let t = lua.create_table().unwrap();
    for k in ["counter", "config", "proto"] {
        t.set(k, g.get::<LuaValue>(k).unwrap()).unwrap();
    }
    let hidden: i64 = lua.load("return get_hidden()").eval().unwrap();
    format!("{}|hidden={hidden}", dump.call::<String>(t).unwrap())
}

const MUTATE: &str = r#"
    counter = counter + 1
    newglobal = { "created" }
    config.mode = "b"
    config.extra = { "new", "table" }
    config.nested.deep.x = 99
    config.nested.deep = nil
    table.insert(config.list, 1, 0)
    table.remove(config.list)
    table.sort(config.list, function(a, b) return a > b end)
    for i = 10, 200 do config.list[i] = i end     -- grows the array part, rehashes
    rawset(config, "raw", true)
    bump_hidden()
    setmetatable(proto, nil)
    setmetatable(config, { __newindex = function() error("frozen") end })
    getmetatable("").__index.shout = string.upper  -- the string library table
    collectgarbage()                              -- old objects only the log holds
    return counter
"#;

#[test]
fn rollback_restores_every_kind_of_write() {
    let (lua, dump) = setup();
    let before = snapshot(&lua, &dump);
    for _ in 0..3 {
        let iso = lua.begin_isolation();
        let c: i64 = lua.load(MUTATE).eval().unwrap();
        assert_eq!(c, 1, "each isolated call sees the state from before");
        assert_ne!(snapshot(&lua, &dump), before);
        let n = iso.rollback();
        assert!(n > 0);
        assert_eq!(snapshot(&lua, &dump), before);
        assert!(lua.globals().get::<LuaValue>("newglobal").unwrap().is_nil());
        assert_eq!(lua.load("return proto.zzz").eval::<String>().unwrap(), "default:zzz");
        assert!(lua.load("return ('x').shout").eval::<LuaValue>().unwrap().is_nil());
        assert_eq!(lua.isolation_log_len(), 0);
    }
    // the state still works normally afterwards, and writes persist again
    lua.load("counter = counter + 5").exec().unwrap();
    assert_eq!(lua.globals().get::<i64>("counter").unwrap(), 5);
}

#[test]
fn rollback_after_an_error_and_through_isolated() {
    let (lua, dump) = setup();
    let before = snapshot(&lua, &dump);
    let r: LuaResult<()> = lua.isolated(|lua| lua.load("config.mode = 'z' counter = 7 error('boom')").exec());
    assert!(r.unwrap_err().to_string().contains("boom"));
    assert_eq!(snapshot(&lua, &dump), before);
    // a dropped guard rolls back too
    {
        let _iso = lua.begin_isolation();
        lua.load("counter = 100").exec().unwrap();
    }
    assert_eq!(lua.globals().get::<i64>("counter").unwrap(), 0);
}

#[test]
fn commit_keeps_writes_and_nesting_undoes_only_inner_writes() {
    let (lua, _) = setup();
    let get = |name: &str| lua.globals().get::<i64>(name).unwrap();
    let outer = lua.begin_isolation();
    lua.load("counter = 1").exec().unwrap();
    let inner = lua.begin_isolation();
    assert_eq!(inner.depth(), 2);
    lua.load("counter = 2").exec().unwrap();
    inner.rollback();
    assert_eq!(get("counter"), 1);
    let inner = lua.begin_isolation();
    lua.load("counter = 3 fresh = 1").exec().unwrap();
    inner.commit();
    assert_eq!(get("counter"), 3);
    outer.rollback();
    assert_eq!(get("counter"), 0);
    assert!(lua.globals().get::<LuaValue>("fresh").unwrap().is_nil());
    // a top-level commit keeps everything and empties the log
    let iso = lua.begin_isolation();
    lua.load("counter = 9").exec().unwrap();
    iso.commit();
    assert_eq!(get("counter"), 9);
    assert_eq!(lua.isolation_log_len(), 0);
}

#[test]
fn new_objects_are_not_logged_and_host_handles_stay_valid() {
    let lua = Lua::new();
    lua.load("keep = {}").exec().unwrap();
    let iso = lua.begin_isolation();
    let t: LuaTable = lua.load("local t = {} for i = 1, 1000 do t[i] = { i } end t.name = 'x' keep.ref = t return t").eval().unwrap();
    // only the store into `keep` is logged, not the 1,000 stores into new tables
    assert_eq!(lua.isolation_log_len(), 1);
    iso.rollback();
    assert!(lua.load("return keep.ref").eval::<LuaValue>().unwrap().is_nil());
    lua.gc_collect().unwrap();
    assert_eq!(t.len().unwrap(), 1000);
    assert_eq!(t.get::<String>("name").unwrap(), "x");
}

#[test]
fn upvalues_open_and_closed_are_restored() {
    let lua = Lua::new();
    let f: LuaFunction = lua
        .load(
            r#"
            local n = 0
            local function inc() n = n + 1 return n end
            return function() return inc(), n end
            "#,
        )
        .eval()
        .unwrap();
    for _ in 0..3 {
        let iso = lua.begin_isolation();
        assert_eq!(f.call::<(i64, i64)>(()).unwrap(), (1, 1));
        assert_eq!(f.call::<(i64, i64)>(()).unwrap(), (2, 2));
        iso.rollback();
    }
    assert_eq!(f.call::<(i64, i64)>(()).unwrap(), (1, 1));
}

#[test]
fn cost_is_proportional_to_writes_not_to_the_heap() {
    let lua = Lua::new();
    // a large heap: 200,000 tables reachable from globals
    lua.load("big = {} for i = 1, 200000 do big[i] = { id = i, name = 'n' .. i } end counter = 0").exec().unwrap();
    let f: LuaFunction = lua.load("function(k) counter = counter + 1 big[k].name = 'changed' return big[k].id end").eval().unwrap();
    for k in [1, 5000, 199999] {
        let iso = lua.begin_isolation();
        assert_eq!(f.call::<i64>(k).unwrap(), k);
        // two writes to old objects, two log entries: nothing scales with the heap
        assert_eq!(lua.isolation_log_len(), 2);
        assert_eq!(iso.rollback(), 2);
    }
    assert_eq!(lua.load("return counter, big[5000].name").eval::<(i64, String)>().unwrap(), (0, "n5000".into()));
}

#[test]
fn repeated_writes_log_once_and_keep_nothing_alive() {
    let lua = Lua::new();
    lua.load("x = 0 weak = setmetatable({}, { __mode = 'v' })").exec().unwrap();
    let iso = lua.begin_isolation();
    // a million writes to one global: one entry
    lua.load("for i = 1, 1000000 do x = i end").exec().unwrap();
    assert_eq!(lua.isolation_log_len(), 1);
    // a value created and dropped by the call is collectable during it
    let collected: bool = lua.load("x = {} weak[1] = x x = 0 collectgarbage() return weak[1] == nil").eval().unwrap();
    assert!(collected, "the log must not keep the call's own garbage alive");
    iso.rollback();
    assert_eq!(lua.globals().get::<i64>("x").unwrap(), 0);
}

#[test]
fn an_endless_writer_meets_the_memory_limit() {
    let lua = Lua::new();
    lua.load("t = {}").exec().unwrap();
    lua.set_memory_limit(lua.used_memory() + 2 * 1024 * 1024).unwrap();
    let iso = lua.begin_isolation();
    let err = lua.load("local i = 0 while true do i = i + 1 t[i] = i end").exec().unwrap_err();
    assert!(matches!(err, LuaError::MemoryError(_)), "{err:?}");
    assert!(iso.rollback() > 1000);
    assert!(lua.load("return next(t) == nil").eval::<bool>().unwrap());
    lua.load("t[1] = 1").exec().unwrap();
}

#[test]
fn registry_and_metatable_writes_through_the_api_are_undone() {
    let lua = Lua::new();
    let t = lua.create_table().unwrap();
    lua.set_named_registry_value("k", 1).unwrap();
    let iso = lua.begin_isolation();
    lua.set_named_registry_value("k", 2).unwrap();
    let mt = lua.create_table().unwrap();
    t.set_metatable(Some(mt));
    t.raw_set("a", 1).unwrap();
    lua.globals().set("g", t.clone()).unwrap();
    iso.rollback();
    assert_eq!(lua.named_registry_value::<i64>("k").unwrap(), 1);
    assert!(t.metatable().is_none());
    assert!(t.raw_get::<LuaValue>("a").unwrap().is_nil());
    assert!(lua.globals().get::<LuaValue>("g").unwrap().is_nil());
}

#[tokio::test]
async fn isolation_spans_async_calls() {
    let lua = Lua::new();
    let sleep = lua
        .create_async_function(|_, ms: u64| async move {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok(())
        })
        .unwrap();
    lua.globals().set("sleep", sleep).unwrap();
    lua.load("n = 0").exec().unwrap();
    let f: LuaFunction = lua.load("function() n = n + 1 sleep(5) n = n + 1 return n end").eval().unwrap();
    for _ in 0..2 {
        let iso = lua.begin_isolation();
        assert_eq!(f.call_async::<i64>(()).await.unwrap(), 2);
        iso.rollback();
    }
    assert_eq!(lua.globals().get::<i64>("n").unwrap(), 0);
}

/// Every assert-based script of `tests/scripts` that needs no files runs
/// unchanged inside an isolation (the barriers do not change what a program
/// computes: GC, coroutines, metamethods, debug hooks...), and after the
/// rollback the whole global environment dumps exactly as before.
#[test]
fn test_scripts_run_inside_an_isolation_and_leave_no_trace() {
    // these read or write files relative to their directory (process-wide cwd)
    const NEED_FILES: &[&str] = &["for_lines", "io_", "os_files", "package_", "loadfile_header"];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            !NEED_FILES.iter().any(|x| n.starts_with(x))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 20, "expected the script corpus, found {}", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let lua = Lua::new_with(LuaStdLib::ALL, LuaOptions::default()).unwrap();
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
        struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Sink {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        lua.set_stdout(Sink(out.clone()));
        let dump: LuaFunction = lua.load(DUMP).eval().unwrap();
        let before: String = dump.call(lua.globals()).unwrap();
        let src = std::fs::read(f).unwrap();
        let iso = lua.begin_isolation();
        let r = lua.load(&src[..]).set_name(format!("@{name}")).exec();
        let logged = lua.isolation_log_len();
        iso.rollback();
        lua.gc_collect().unwrap();
        let after: String = dump.call(lua.globals()).unwrap();
        let text = String::from_utf8_lossy(&out.lock().unwrap()).into_owned();
        let last = text.lines().last().unwrap_or("").to_string();
        if let Err(e) = r {
            failures.push(format!("{name}: {e}"));
        } else if last != "OK" {
            failures.push(format!("{name}: last line {last:?}"));
        } else if before != after {
            failures.push(format!("{name}: globals differ after rollback ({logged} writes logged)"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
