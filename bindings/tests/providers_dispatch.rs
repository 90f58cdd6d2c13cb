//! `Providers::call` routes every function listed in `MODULES`.
use oxilua_vmq::providers::{ErrorKind, Providers, ProvidersConfig, MODULES};
use oxilua_vmq::pvalue::PValue;

#[tokio::test(flavor = "multi_thread")]
async fn every_listed_function_is_routed() {
    let p = Providers::new(ProvidersConfig::vernemq_defaults());
    for (module, funcs) in MODULES {
        for f in *funcs {
            // No arguments: each function answers (hash_method, http.body) or
            // rejects the arguments; none may be unknown.
            if let Err(e) = p.call(module, f, &[]).await {
                assert_ne!(e.message, "no such function", "{module}.{f}");
                assert!(matches!(e.kind, ErrorKind::BadArgument), "{module}.{f}: {e}");
                assert!(e.to_string().starts_with(&format!("{module}.{f}: ")), "{e}");
            }
        }
    }
    let e = p.call("redis", "nope", &[]).await.unwrap_err();
    assert_eq!(e.to_string(), "redis.nope: no such function");
    assert!(p.call("nosuch", "x", &[]).await.is_err());
    assert_eq!(p.call("postgres", "hash_method", &[]).await.unwrap(), PValue::str("crypt"));
    assert_eq!(p.call("cockroachdb", "hash_method", &[]).await.unwrap(), PValue::str("bcrypt"));
    assert_eq!(p.call("mysql", "hash_method", &[]).await.unwrap(), PValue::str("PASSWORD(?)"));
    assert_eq!(p.call("mysql2", "hash_method", &[]).await.unwrap(), PValue::str("SHA2(?, 256)"));
}

/// The engine shares one `Providers` between threads and runs calls on a
/// multi-threaded runtime: the type must be `Send + Sync` and every call
/// future `Send`.
#[test]
fn providers_and_call_futures_are_send() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: T) {}
    let rt = tokio::runtime::Runtime::new().unwrap();
    let p = std::sync::Arc::new(Providers::new(ProvidersConfig::vernemq_defaults()));
    send_sync(&p);
    let args = vec![PValue::str("pool"), PValue::str("SELECT 1")];
    for (module, funcs) in MODULES {
        for f in *funcs {
            send(p.call(module, f, &args));
        }
    }
    // and a call spawned onto the runtime works
    let p2 = p.clone();
    let r = rt.block_on(async move { tokio::spawn(async move { p2.call("http", "body", &[PValue::str("x")]).await }).await.unwrap() });
    assert_eq!(r.unwrap(), PValue::str("x"));
}
