//! Fuzz target: arbitrary bytes run as a Lua chunk in a sandboxed state under
//! tight limits, half of the runs inside an isolation that is rolled back
//! afterwards (then a probe checks the state still works). Any panic, abort
//! or stack overflow is a bug: every failure must be a Lua error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oxilua::prelude::*;
use std::time::Duration;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, src)) = data.split_first() else { return };
    let lua = Lua::new_with(LuaStdLib::SANDBOX, LuaOptions::default()).expect("state");
    lua.set_stdout(std::io::sink());
    lua.set_limits(LuaLimits {
        instructions: Some(200_000),
        memory: Some(32 << 20),
        string_size: Some(1 << 20),
        deadline: Some(Duration::from_secs(2)),
        ..Default::default()
    });
    lua.load("kept = { 1, 2, x = 'y' } counter = 0").exec().expect("setup");
    if mode & 1 == 1 {
        let iso = lua.begin_isolation();
        let _ = lua.load(src).set_name("=fuzz").exec();
        iso.rollback();
        let ok: bool = lua
            .load("return kept[1] == 1 and kept[2] == 2 and kept.x == 'y' and counter == 0")
            .eval()
            .unwrap_or(false);
        // a chunk may have replaced the metatables or library functions used
        // by the probe only inside the isolation: after the rollback the
        // probe must succeed
        assert!(ok, "state not restored after rollback");
    } else {
        let _ = lua.load(src).set_name("=fuzz").exec();
        let _ = lua.load("return 1 + 1").eval::<i64>();
    }
});
