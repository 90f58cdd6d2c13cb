//! Lua scripts calling every provider module through the engine, against
//! the real servers of `.ci/services.sh` (the tests fail when a server is
//! missing) and an HTTP server run by the test.
//!
//! Each test loads a script whose `auth_on_register` hook runs the checks
//! under `pcall` (provider calls suspend the hook's coroutine inside
//! `pcall`) and stores `"ok"` or the error message in the `kv` table
//! `engine_providers`, keyed by the client id; the test asserts both the
//! hook's answer and that message.
mod common;
mod engine_common;

use std::collections::HashMap;
use std::time::Duration;

use engine_common::http_server::TestHttp;
use engine_common::*;
use oxilua_vmq::config::Limits;
use oxilua_vmq::engine::EngineOptions;
use oxilua_vmq::modules::kv::KvStore;
use oxilua_vmq::pvalue::PValue;
use serde_json::json;

fn lua_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// `{ k = "v", ... }` from `(lua key, value)`; values that parse as numbers
/// for the keys in `numeric` are written as numbers.
fn lua_cfg(pairs: &[(&str, String)]) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            if ["port", "database"].contains(k) && v.parse::<f64>().is_ok() {
                format!("{k} = {v}")
            } else {
                format!("{k} = {}", lua_str(v))
            }
        })
        .collect();
    format!("{{ {} }}", items.join(", "))
}

fn opts() -> EngineOptions {
    EngineOptions { limits: Limits { deadline: Duration::from_secs(20), fuel: 50_000_000, memory: 64 << 20 }, ..EngineOptions::default() }
}

/// Run `body` (Lua, in a function) in a hook; panics with the Lua error.
fn run_checks(tag: &str, body: &str) {
    let src = format!(
        r#"kv.ensure_table({{ name = "engine_providers" }})
local function check()
{body}
end
hooks = {{ auth_on_register = function(r)
  local ok, err = pcall(check)
  kv.insert("engine_providers", {{ [r.client_id] = ok and "ok" or tostring(err) }})
  return ok
end }}
"#
    );
    let e = engine_with(tag, &[(&format!("{tag}.lua"), &src)], opts());
    let client = format!("{tag}-{}", std::process::id());
    let r = call(&e, "auth_on_register", register(&client, "u", "p"));
    let msg = KvStore::global().call("lookup", &[PValue::str("engine_providers"), PValue::str(&client)]).unwrap();
    assert_eq!(msg, PValue::array([PValue::str("ok")]), "{tag}: the Lua checks failed");
    assert_eq!(r, json!({"result": "ok"}));
}

fn svc(name: &str) -> HashMap<String, String> {
    common::service(name)
}

fn pid() -> u32 {
    std::process::id()
}

#[test]
fn postgres_and_cockroachdb() {
    let s = svc("PG");
    let cfg = |id: &str, extra: &[(&str, String)]| {
        let mut p = vec![
            ("pool_id", id.to_string()),
            ("host", s["host"].clone()),
            ("port", s["port"].clone()),
            ("user", s["user"].clone()),
            ("password", s["password"].clone()),
            ("database", s["dbname"].clone()),
        ];
        p.extend_from_slice(extra);
        lua_cfg(&p)
    };
    let body = format!(
        r#"
  local pool = "eng_pg"
  assert(postgres.ensure_pool({pg}) == true, "ensure_pool")
  assert(postgres.ensure_pool({pg}) == true, "ensure_pool again")
  local t = "eng_pg_t_{pid}"
  assert(postgres.execute(pool, "DROP TABLE IF EXISTS " .. t))
  local created = postgres.execute(pool, "CREATE TABLE " .. t .. " (id text, name text)")
  assert(type(created) == "table" and next(created) == nil, "DDL gives an empty table")
  assert(postgres.execute(pool, "INSERT INTO " .. t .. " VALUES ($1, $2), ($3, $4)", "1", "a", "2", "b") == true, "insert")
  local rows = postgres.execute(pool, "SELECT id, name, NULL::text AS nothing FROM " .. t .. " WHERE id = $1", "2")
  assert(#rows == 1 and rows[1].name == "b" and rows[1].nothing == "null", "select")
  -- parameters are bound, never spliced
  assert(#postgres.execute(pool, "SELECT * FROM " .. t .. " WHERE id = $1", "1' OR '1'='1") == 0, "bound")
  assert(postgres.execute(pool, "DELETE FROM " .. t .. " WHERE id = $1", "none") == false, "0 rows is false")
  assert(postgres.hash_method() == "crypt", "hash_method")
  assert(postgres.execute(pool, "DROP TABLE " .. t))
  local ok, err = pcall(postgres.execute, "eng_no_pool", "SELECT 1")
  assert(not ok and string.find(err, "postgres.execute: unknown_pool", 1, true), tostring(err))
  -- cockroachdb: the same protocol, its own defaults (ssl on: off here)
  assert(cockroachdb.ensure_pool({crdb}) == true, "crdb ensure_pool")
  local r = cockroachdb.execute("eng_crdb", "SELECT $1::text AS v", "x")
  assert(#r == 1 and r[1].v == "x", "crdb select")
  assert(cockroachdb.hash_method() == "bcrypt", "crdb hash_method")
"#,
        pg = cfg("eng_pg", &[]),
        crdb = cfg("eng_crdb", &[("ssl", "false".into())]),
        pid = pid()
    );
    run_checks("pg", &body);
}

#[test]
fn mysql_and_mysql2() {
    let s = svc("MYSQL");
    let cfg = |id: &str| {
        lua_cfg(&[
            ("pool_id", id.to_string()),
            ("host", s["host"].clone()),
            ("port", s["port"].clone()),
            ("user", s["user"].clone()),
            ("password", s["password"].clone()),
            ("database", s["dbname"].clone()),
        ])
    };
    let body = format!(
        r#"
  for _, m in ipairs({{ {{ mysql, "eng_my", {my}, "undefined", "PASSWORD(?)" }},
                        {{ mysql2, "eng_my2", {my2}, "null", "SHA2(?, 256)" }} }}) do
    local mod, pool, cfg, null, hm = m[1], m[2], m[3], m[4], m[5]
    assert(mod.ensure_pool(cfg) == true, pool .. " ensure_pool")
    local t = pool .. "_t_{pid}"
    assert(mod.execute(pool, "DROP TABLE IF EXISTS " .. t) == true, "drop")
    assert(mod.execute(pool, "CREATE TABLE " .. t .. " (id varchar(10), name varchar(10))") == true, "create")
    assert(mod.execute(pool, "INSERT INTO " .. t .. " VALUES (?, ?), (?, ?)", "1", "a", "2", "b") == true, "insert")
    local rows = mod.execute(pool, "SELECT id, name, NULL AS nothing FROM " .. t .. " WHERE id = ?", "2")
    assert(#rows == 1 and rows[1].name == "b", pool .. " select")
    assert(rows[1].nothing == null, pool .. " NULL is " .. null .. ", got " .. tostring(rows[1].nothing))
    assert(#mod.execute(pool, "SELECT * FROM " .. t .. " WHERE id = ?", "1' OR '1'='1") == 0, "bound")
    assert(mod.execute(pool, "SELEKT nonsense") == false, pool .. " an SQL error is false")
    assert(mod.hash_method() == hm, pool .. " hash_method " .. tostring(mod.hash_method()))
    assert(mod.execute(pool, "DROP TABLE " .. t) == true, "drop")
  end
"#,
        my = cfg("eng_my"),
        my2 = cfg("eng_my2"),
        pid = pid()
    );
    run_checks("mysql", &body);
}

#[test]
fn redis() {
    let s = svc("REDIS");
    let cfg = lua_cfg(&[
        ("pool_id", "eng_redis".into()),
        ("host", s["host"].clone()),
        ("port", s["port"].clone()),
        ("user", s["user"].clone()),
        ("password", s["password"].clone()),
        ("database", s.get("db").cloned().unwrap_or_else(|| "0".into())),
    ]);
    let body = format!(
        r#"
  local pool = "eng_redis"
  assert(redis.ensure_pool({cfg}) == true, "ensure_pool")
  local k = "eng_redis_{pid}"
  assert(redis.cmd(pool, "set " .. k .. " somevalue") == true, "set")
  assert(redis.cmd(pool, "get " .. k) == "somevalue", "get")
  assert(redis.cmd(pool, "set " .. k .. " other nx") == nil, "set nx")
  assert(redis.cmd(pool, "incr " .. k .. "n") == "1", "integer replies are strings")
  assert(redis.cmd(pool, "del " .. k .. " " .. k .. "n") == "2", "del")
  assert(redis.cmd(pool, "rpush " .. k .. "l 1 2", "foo bar") == "3", "rpush with an extra arg")
  local l = redis.cmd(pool, "lrange " .. k .. "l 0 -1")
  assert(#l == 3 and l[1] == "1" and l[3] == "foo bar", "lrange")
  assert(redis.cmd(pool, "del " .. k .. "l") == "1", "del list")
  assert(redis.cmd(pool, "rpop " .. k .. "l") == nil, "rpop of nothing")
  assert(redis.cmd(pool, "nosuchcommand") == false, "an error reply is false")
"#,
        pid = pid()
    );
    run_checks("redis", &body);
}

#[test]
fn memcached() {
    let s = svc("MEMCACHED");
    let cfg = lua_cfg(&[("pool_id", "eng_mc".into()), ("host", s["host"].clone()), ("port", s["port"].clone())]);
    let body = format!(
        r#"
  local pool = "eng_mc"
  assert(memcached.ensure_pool({cfg}) == true, "ensure_pool")
  assert(memcached.flush_all(pool) == true, "flush_all")
  local k = "eng_mc_{pid}"
  assert(memcached.get(pool, k) == false, "get missing")
  assert(memcached.set(pool, k, "v1") == "v1", "set")
  assert(memcached.get(pool, k) == "v1", "get")
  assert(memcached.add(pool, k, "v2") == false, "add existing")
  assert(memcached.replace(pool, k, "v3", 60) == "v3", "replace")
  assert(memcached.get(pool, k) == "v3", "get replaced")
  assert(memcached.delete(pool, k) == true, "delete")
  assert(memcached.delete(pool, k) == false, "delete missing")
  assert(memcached.replace(pool, k, "v4") == false, "replace missing")
  assert(memcached.add(pool, k, "v5") == "v5", "add")
  assert(memcached.delete(pool, k) == true, "delete again")
"#,
        pid = pid()
    );
    run_checks("memcached", &body);
}

#[test]
fn mongodb() {
    let s = svc("MONGODB");
    let cfg = lua_cfg(&[
        ("pool_id", "eng_mongo".into()),
        ("host", s["host"].clone()),
        ("port", s["port"].clone()),
        ("login", s["user"].clone()),
        ("password", s["password"].clone()),
        ("database", s["dbname"].clone()),
        ("auth_source", s.get("auth_source").cloned().unwrap_or_else(|| "admin".into())),
    ]);
    let body = format!(
        r#"
  local pool = "eng_mongo"
  assert(mongodb.ensure_pool({cfg}) == true, "ensure_pool")
  local c = "eng_mongo_{pid}"
  assert(mongodb.delete(pool, c, {{}}) == true, "delete all")
  local d = mongodb.insert(pool, c, {{ _id = "id1", name = "a", n = 1 }})
  assert(d._id == "id1", "insert one")
  local ds = mongodb.insert(pool, c, {{ {{ name = "b", n = 2 }}, {{ name = "c", n = 3 }} }})
  assert(#ds == 2 and ds[2]._id:sub(1, 9) == "vmq-objid", "insert many")
  assert(mongodb.update(pool, c, {{ name = "a" }}, {{ n = 10 }}) == true, "update")
  local one = mongodb.find_one(pool, c, {{ name = "a" }})
  assert(one and one.n == 10, "find_one")
  assert(mongodb.find_one(pool, c, {{ name = "zzz" }}) == false, "find_one without match")
  local byid = mongodb.find_one(pool, c, {{ _id = ds[2]._id }})
  assert(byid and byid.name == "c", "an ObjectId string finds its document")
  local cur = mongodb.find(pool, c, {{}}, {{ projector = {{ n = false }} }})
  local first = mongodb.next(cur)
  assert(type(first) == "table" and first.name and first.n == nil, "next with projector")
  local rest = mongodb.take(cur, 10)
  assert(#rest == 2, "take")
  assert(mongodb.take(cur, 10) == false, "take after the end")
  assert(mongodb.close(cur) == true, "close")
  assert(mongodb.next(cur) == false, "next after close")
  assert(mongodb.delete(pool, c, {{ name = "b" }}) == true, "delete")
  local left = mongodb.take(mongodb.find(pool, c, {{}}), 10)
  assert(#left == 2, "two left")
  assert(mongodb.delete(pool, c, {{}}) == true, "delete all")
"#,
        pid = pid()
    );
    run_checks("mongodb", &body);
}

#[test]
fn http() {
    let srv = TestHttp::start();
    let body = format!(
        r#"
  local pool = "eng_http"
  local url = "{url}"
  assert(http.ensure_pool({{ pool_id = pool }}) == true, "ensure_pool")
  local r = http.get(pool, url .. "/g")
  assert(r.status == 200 and r.headers["X-Test"] == "yes", "get")
  assert(http.body(r.ref) == r.ref and r.ref:sub(1, 6) == "GET /g", "body")
  r = http.post(pool, url .. "/p", "raw body", {{ x_post_header = "v1" }})
  assert(r.status == 200 and r.ref:find("POST /p", 1, true) and r.ref:find("raw body", 1, true), "post")
  assert(r.ref:find("x_post_header: v1", 1, true), "headers sent verbatim")
  r = http.put(pool, url .. "/u", {{ a = "1" }})
  assert(r.ref:find("PUT /u", 1, true) and r.ref:find("a=1", 1, true), "put with a form body")
  r = http.delete(pool, url .. "/d")
  assert(r.ref:sub(1, 8) == "DELETE /", "delete")
  assert(http.get(pool, "http://127.0.0.1:1/") == false, "a transport error is false")
"#,
        url = srv.url
    );
    run_checks("http", &body);
}
