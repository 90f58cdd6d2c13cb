//! Configuration: `vernemq.conf` `vmq_diversity.*` keys and the TOML equivalent.

use std::path::PathBuf;
use std::time::Duration;

use oxilua_vmq::config::{Config, Limits};

const CONF: &str = r#"
## a typical vernemq.conf excerpt
listener.tcp.default = 127.0.0.1:1883
allow_anonymous = off
plugins.vmq_diversity = on
vmq_diversity.script_dir = /usr/share/vernemq/lua
vmq_diversity.auth_postgres.enabled = on
vmq_diversity.postgres.host = db.example
vmq_diversity.postgres.port = 5433
vmq_diversity.postgres.user = vmq
vmq_diversity.postgres.password = secret
vmq_diversity.postgres.database = vmq_db
vmq_diversity.postgres.password_hash_method = bcrypt
vmq_diversity.redis.database = 2
vmq_diversity.mysql.pool_size = 7
vmq_diversity.mongodb.login = admin
vmq_diversity.myscript.file = /etc/vernemq/my.lua
vmq_diversity.another.file = /etc/vernemq/another.lua
vmq_diversity.nr_lua_states = 4
vmq_diversity.keep_state = on
vmq_diversity.limits.deadline = 2s
vmq_diversity.limits.fuel = 1000000
vmq_diversity.limits.memory = 32MB
vmq_diversity.obf.secret = Testing
vmq_diversity.webhooks.listen = 0.0.0.0:9000
vmq_diversity.webhooks.base64payload = off
vmq_diversity.webhooks.cache_max_age = 30
vmq_bcrypt.default_log_rounds = 10
"#;

#[test]
fn defaults() {
    let c = Config::from_conf("", "empty.conf").unwrap();
    assert_eq!(c.nr_lua_states, 1);
    assert!(!c.keep_state);
    assert_eq!(c.limits, Limits::default());
    assert_eq!(c.limits.deadline, Duration::from_secs(5));
    assert_eq!(c.limits.memory, 64 << 20);
    assert_eq!(c.bcrypt_log_rounds, 12);
    assert!(c.webhook.base64);
    assert_eq!(c.webhook.cache_max_age, None);
    assert_eq!(c.providers.postgres.host, "localhost");
    assert!(c.script_paths().is_empty());
}

#[test]
fn vernemq_conf() {
    let c = Config::from_conf(CONF, "vernemq.conf").unwrap();
    assert_eq!(c.script_dir, Some(PathBuf::from("/usr/share/vernemq/lua")));
    assert_eq!(c.nr_lua_states, 4);
    assert!(c.keep_state);
    assert_eq!(c.limits.deadline, Duration::from_secs(2));
    assert_eq!(c.limits.fuel, 1_000_000);
    assert_eq!(c.limits.memory, 32 << 20);
    assert_eq!(c.obf_secret.as_deref(), Some(&b"Testing"[..]));
    assert_eq!(c.webhook.listen.to_string(), "0.0.0.0:9000");
    assert!(!c.webhook.base64);
    assert_eq!(c.webhook.cache_max_age, Some(30));
    assert_eq!(c.bcrypt_log_rounds, 10);
    let pg = &c.providers.postgres;
    assert_eq!((pg.host.as_str(), pg.port, pg.user.as_str()), ("db.example", 5433, "vmq"));
    assert_eq!((pg.password.as_str(), pg.database.as_str()), ("secret", "vmq_db"));
    assert_eq!(pg.password_hash_method, "bcrypt");
    assert_eq!(c.providers.redis.database, 2);
    assert_eq!(c.providers.mysql.size, 7);
    assert_eq!(c.providers.mongodb.login.as_deref(), Some("admin"));
    // load order: script dir (absent here), user scripts by name, auth scripts
    assert_eq!(
        c.script_paths(),
        vec![
            PathBuf::from("/etc/vernemq/another.lua"),
            PathBuf::from("/etc/vernemq/my.lua"),
            PathBuf::from("/usr/share/vernemq/lua/auth/postgres.lua"),
        ]
    );
}

#[test]
fn script_dir_scan_is_sorted_and_flat() {
    let dir = std::env::temp_dir().join(format!("oxilua-vmq-conf-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("auth")).unwrap();
    for f in ["b.lua", "a.lua", "notes.txt", "auth/redis.lua"] {
        std::fs::write(dir.join(f), "").unwrap();
    }
    let conf =
        format!("vmq_diversity.script_dir = {}\nvmq_diversity.auth_redis.enabled = on\nvmq_diversity.u.file = /x/u.lua\n", dir.display());
    let c = Config::from_conf(&conf, "t.conf").unwrap();
    assert_eq!(c.script_paths(), vec![dir.join("a.lua"), dir.join("b.lua"), PathBuf::from("/x/u.lua"), dir.join("auth/redis.lua")]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn errors_name_file_and_line() {
    let e = Config::from_conf("# c\nother.key = 1\nvmq_diversity.bogus = 1\n", "/etc/vernemq.conf").unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("/etc/vernemq.conf", 3));
    assert!(e.to_string().starts_with("/etc/vernemq.conf:3: vmq_diversity.bogus"), "{e}");
    for bad in [
        "vmq_diversity.keep_state = maybe",
        "vmq_diversity.nr_lua_states = 0",
        "vmq_diversity.postgres.port = http",
        "vmq_diversity.postgres.nope = 1",
        "vmq_diversity.auth_postgres.enabled = yes",
        "vmq_diversity.auth_oracle.enabled = on",
        "vmq_diversity.limits.deadline = soon",
        "vmq_diversity.limits.memory = 12XB",
        "vmq_diversity.script_dir",
        "vmq_diversity.my.script.file = x",
        "vmq_bcrypt.default_log_rounds = 50",
        "vmq_diversity.mysql.password_hash_method = rot13",
    ] {
        let e = Config::from_conf(&format!("\n{bad}\n"), "x.conf").unwrap_err();
        assert_eq!(e.line, 2, "{bad}: {e}");
    }
    // other broker keys, even odd ones, are ignored
    assert!(Config::from_conf("listener.ssl.default = 0.0.0.0:8883\nweird line without equals\n", "x").is_ok());
}

#[test]
fn toml_equivalent() {
    let t = r#"
[vmq_diversity]
script_dir = "/usr/share/vernemq/lua"
nr_lua_states = 4
keep_state = true

[vmq_diversity.auth_postgres]
enabled = true

[vmq_diversity.postgres]
host = "db.example"
port = 5433

[vmq_diversity.myscript]
file = "/etc/vernemq/my.lua"

[vmq_diversity.limits]
deadline = "250ms"

[vmq_bcrypt]
default_log_rounds = 10

[other_section]
whatever = 1
"#;
    let c = Config::from_toml(t, "oxilua-vmq.toml").unwrap();
    assert_eq!(c.nr_lua_states, 4);
    assert!(c.keep_state);
    assert_eq!(c.providers.postgres.host, "db.example");
    assert_eq!(c.providers.postgres.port, 5433);
    assert_eq!(c.limits.deadline, Duration::from_millis(250));
    assert_eq!(c.bcrypt_log_rounds, 10);
    assert_eq!(c.script_paths(), vec![PathBuf::from("/etc/vernemq/my.lua"), PathBuf::from("/usr/share/vernemq/lua/auth/postgres.lua")]);
    let e = Config::from_toml("[vmq_diversity]\nnr_lua_states = 1\n\n[vmq_diversity.redis]\nbogus = 1\n", "c.toml").unwrap_err();
    assert_eq!((e.file.as_str(), e.line), ("c.toml", 5), "{e}");
    let e = Config::from_toml("[vmq_diversity\n", "c.toml").unwrap_err();
    assert_eq!(e.line, 1, "{e}");
    let e = Config::from_toml("[vmq_diversity]\nkeep_state = 1.5\n", "c.toml").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn load_from_files() {
    let dir = std::env::temp_dir().join(format!("oxilua-vmq-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("vernemq.conf"), "vmq_diversity.nr_lua_states = 3\n").unwrap();
    std::fs::write(dir.join("c.toml"), "[vmq_diversity]\nnr_lua_states = 5\n").unwrap();
    assert_eq!(Config::load(&dir.join("vernemq.conf")).unwrap().nr_lua_states, 3);
    assert_eq!(Config::load(&dir.join("c.toml")).unwrap().nr_lua_states, 5);
    assert_eq!(Config::load(&dir.join("missing.conf")).unwrap_err().line, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
