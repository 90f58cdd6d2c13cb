//! The `os` library of Lua 5.2.
//!
//! Platform notes:
//! - Local time is UTC: there is no time-zone database access without C, so
//!   `os.date` without `!` formats UTC (with `%Z` = `UTC`, `%z` = `+0000`) and
//!   `os.time(t)` interprets `t` as UTC, normalising out-of-range fields like
//!   `mktime`. `isdst = true` subtracts an hour, as glibc's `mktime` does in a
//!   zone without daylight saving time. (`lua5.2` on the reference machine
//!   runs with TZ=UTC, so results agree there.)
//! - `strftime` conversions are those of the C locale, implemented here; the
//!   accepted specifiers are C99's, with the `E` and `O` modifiers.
//! - `os.clock` is the CPU time of the calling thread, read from
//!   `/proc/thread-self/schedstat` (nanoseconds) or `/proc/self/stat` (clock
//!   ticks); elsewhere it is the monotonic time since the first call.
//! - `os.setlocale` knows only the `C` locale (`""`, `"C"` and `"POSIX"`
//!   select it; other names fail with nil).
//! - On `wasm32-unknown-unknown` there is no clock: `os.time()`, `os.clock()`
//!   and `os.date` without an explicit time raise errors.
//! - Without `vm.unsafe_os`, `exit`, `remove`, `rename`, `tmpname` and
//!   `execute` are not installed, and `getenv` always returns nil (the
//!   environment may hold secrets).

use crate::object::Action;
use crate::value::Value;
use crate::vm::{LResult, Vm};

/// Open the library into `vm` (global and `package.loaded`).
pub fn open(vm: &mut Vm) {
    let t = vm.new_lib(
        "os",
        &[("clock", clock), ("date", date), ("difftime", difftime), ("getenv", getenv), ("setlocale", setlocale), ("time", time)],
    );
    if vm.unsafe_os {
        vm.set_funcs(t, &[("execute", execute), ("exit", exit), ("remove", remove), ("rename", rename), ("tmpname", tmpname)]);
    }
}

/// C `strerror`-style text for an I/O error ("No such file or directory").
pub fn io_error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// `luaL_fileresult`: `true`, or `nil, "[fname: ]message", errno`.
pub fn file_result(vm: &mut Vm, r: std::io::Result<()>, fname: Option<&[u8]>) -> LResult<Action> {
    match r {
        Ok(()) => vm.ret1(Value::Bool(true)),
        Err(e) => error_result(vm, &e, fname),
    }
}

/// `nil, "[fname: ]message", errno` for an I/O error.
pub fn error_result(vm: &mut Vm, e: &std::io::Error, fname: Option<&[u8]>) -> LResult<Action> {
    let mut msg = Vec::new();
    if let Some(f) = fname {
        msg.extend_from_slice(f);
        msg.extend_from_slice(b": ");
    }
    msg.extend_from_slice(io_error_text(e).as_bytes());
    let m = vm.str_value(&msg);
    let code = e.raw_os_error().unwrap_or(0);
    vm.ret(&[Value::Nil, m, Value::Num(code as f64)])
}

// ----- clocks -----------------------------------------------------------------

#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
fn now_secs() -> Option<i64> {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    Some(match d {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs_f64().ceil() as i64),
    })
}

#[cfg(all(target_family = "wasm", target_os = "unknown"))]
fn now_secs() -> Option<i64> {
    None
}

#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
fn cpu_seconds() -> Option<f64> {
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat") {
        if let Some(ns) = s.split_whitespace().next().and_then(|x| x.parse::<u64>().ok()) {
            if ns > 0 {
                return Some(ns as f64 / 1e9);
            }
        }
    }
    if let Ok(s) = std::fs::read_to_string("/proc/self/stat") {
        // fields after the parenthesised command name; utime and stime are 14 and 15
        if let Some(p) = s.rfind(')') {
            let f: Vec<&str> = s[p + 1..].split_whitespace().collect();
            if let (Some(u), Some(st)) = (f.get(11), f.get(12)) {
                if let (Ok(u), Ok(st)) = (u.parse::<u64>(), st.parse::<u64>()) {
                    return Some((u + st) as f64 / 100.0);
                }
            }
        }
    }
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    Some(start.elapsed().as_secs_f64())
}

#[cfg(all(target_family = "wasm", target_os = "unknown"))]
fn cpu_seconds() -> Option<f64> {
    None
}

/// The process id (0 where there is none, as on `wasm32-unknown-unknown`).
pub fn process_id() -> u64 {
    #[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
    {
        std::process::id() as u64
    }
    #[cfg(all(target_family = "wasm", target_os = "unknown"))]
    {
        0
    }
}

fn no_clock(vm: &mut Vm) -> crate::vm::LuaError {
    vm.rt_error("no clock available on this platform")
}

fn clock(vm: &mut Vm) -> LResult<Action> {
    match cpu_seconds() {
        Some(s) => vm.ret1(Value::Num(s)),
        None => Err(no_clock(vm)),
    }
}

fn time(vm: &mut Vm) -> LResult<Action> {
    if vm.arg_is_none_or_nil(1) {
        return match now_secs() {
            Some(t) => vm.ret1(Value::Num(t as f64)),
            None => Err(no_clock(vm)),
        };
    }
    vm.check_table(1)?;
    let sec = get_field(vm, "sec", 0)?;
    let min = get_field(vm, "min", 0)?;
    let hour = get_field(vm, "hour", 12)?;
    let day = get_field(vm, "day", -1)?;
    let month = get_field(vm, "month", -1)?.wrapping_sub(1);
    let year = get_field(vm, "year", -1)?.wrapping_sub(1900);
    let isdst = {
        let k = vm.str_value(b"isdst");
        let v = vm.index_value(vm.arg(1), k)?;
        v.truthy()
    };
    match make_time(year, month, day, hour, min, sec, isdst) {
        Some(t) if t != -1 => vm.ret1(Value::Num(t as f64)),
        _ => vm.ret1(Value::Nil),
    }
}

/// A date-table field as a C `int`; `def < 0` means required.
fn get_field(vm: &mut Vm, key: &str, def: i32) -> LResult<i32> {
    let k = vm.str_value(key.as_bytes());
    let v = vm.index_value(vm.arg(1), k)?;
    match vm.to_number(v) {
        Some(n) => Ok(crate::aux::num_to_int(n) as i32),
        None if def < 0 => Err(vm.rt_error(format!("field '{}' missing in date table", key))),
        None => Ok(def),
    }
}

/// `mktime` in UTC: fields may be out of range (`year` is years since 1900,
/// `mon` 0-based). `None` when the normalised year does not fit a C `int`.
fn make_time(year: i32, mon: i32, mday: i32, hour: i32, min: i32, sec: i32, isdst: bool) -> Option<i64> {
    let y = year as i64 + 1900 + (mon as i64).div_euclid(12);
    let m = (mon as i64).rem_euclid(12);
    let days = days_from_civil(y, m + 1, 1) + mday as i64 - 1;
    let mut t = days * 86400 + hour as i64 * 3600 + min as i64 * 60 + sec as i64;
    if isdst {
        t -= 3600;
    }
    let tm = break_time(t)?;
    let _ = tm;
    Some(t)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (`m` 1..=12).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Broken-down time (`struct tm` with a full year).
#[derive(Clone, Copy, Debug)]
struct Tm {
    year: i64,
    /// 0..=11
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    /// 0 = Sunday
    wday: i64,
    /// 0-based
    yday: i64,
}

/// `gmtime`: `None` when the year does not fit `tm_year`.
fn break_time(t: i64) -> Option<Tm> {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    // civil from days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let mut y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    if m <= 2 {
        y += 1;
    }
    if y - 1900 > i32::MAX as i64 || y - 1900 < i32::MIN as i64 {
        return None;
    }
    let yday = days - days_from_civil(y, 1, 1);
    Some(Tm { year: y, mon: m - 1, mday: d, hour: secs / 3600, min: secs / 60 % 60, sec: secs % 60, wday: (days + 4).rem_euclid(7), yday })
}

fn difftime(vm: &mut Vm) -> LResult<Action> {
    let a = crate::aux::num_to_int(vm.check_number(1)?);
    let b = crate::aux::num_to_int(vm.opt_number(2, 0.0)?);
    vm.ret1(Value::Num(a as f64 - b as f64))
}

// ----- os.date ----------------------------------------------------------------

const WDAY: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTH: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// Conversions allowed alone, and after the `E` and `O` modifiers (C99).
const SINGLE: &[u8] = b"aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%";
const E_MOD: &[u8] = b"cCxXyY";
const O_MOD: &[u8] = b"deHImMSuUVwWy";

fn date(vm: &mut Vm) -> LResult<Action> {
    let fmt = match vm.opt_str(1)? {
        Some(s) => vm.heap.str(s).to_vec(),
        None => b"%c".to_vec(),
    };
    let t = if vm.arg_is_none_or_nil(2) {
        match now_secs() {
            Some(t) => t,
            None => return Err(no_clock(vm)),
        }
    } else {
        crate::aux::num_to_int(vm.check_number(2)?)
    };
    let (utc, spec) = match fmt.first() {
        Some(b'!') => (true, &fmt[1..]),
        _ => (false, &fmt[..]),
    };
    let Some(tm) = break_time(t) else {
        return vm.ret1(Value::Nil);
    };
    if spec == b"*t" {
        let tb = vm.new_table_with(0, 9);
        let fields = [
            ("sec", tm.sec),
            ("min", tm.min),
            ("hour", tm.hour),
            ("day", tm.mday),
            ("month", tm.mon + 1),
            ("year", tm.year),
            ("wday", tm.wday + 1),
            ("yday", tm.yday + 1),
        ];
        for (k, v) in fields {
            vm.raw_set_str(tb, k, Value::Num(v as f64));
        }
        vm.raw_set_str(tb, "isdst", Value::Bool(false));
        return vm.ret1(Value::Table(tb));
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < spec.len() {
        let c = spec[i];
        if c != b'%' {
            out.push(c);
            i += 1;
            continue;
        }
        let rest = &spec[i + 1..];
        let conv = match rest.first() {
            Some(&m @ (b'E' | b'O')) if rest.len() > 1 && (if m == b'E' { E_MOD } else { O_MOD }).contains(&rest[1]) => {
                i += 3;
                rest[1]
            }
            Some(&c) if SINGLE.contains(&c) => {
                i += 2;
                c
            }
            _ => {
                let msg = format!("invalid conversion specifier '%{}'", String::from_utf8_lossy(rest));
                return Err(vm.arg_error(1, &msg));
            }
        };
        strftime_conv(conv, &tm, utc, &mut out);
    }
    vm.charge(out.len() as u64 / 8)?;
    vm.ret_bytes(&out)
}

/// ISO 8601 week-based year and week number.
fn iso_week(tm: &Tm) -> (i64, i64) {
    let wd = (tm.wday + 6) % 7; // Monday = 0
    let weeks_in = |y: i64| {
        let p = |y: i64| (y + y.div_euclid(4) - y.div_euclid(100) + y.div_euclid(400)).rem_euclid(7);
        if p(y) == 4 || p(y - 1) == 3 {
            53
        } else {
            52
        }
    };
    let w = (tm.yday - wd + 10) / 7; // yday 0-based: (yday+1) - (wd+1) + 10
    if w < 1 {
        (tm.year - 1, weeks_in(tm.year - 1))
    } else if w > weeks_in(tm.year) {
        (tm.year + 1, 1)
    } else {
        (tm.year, w)
    }
}

/// One C-locale `strftime` conversion.
fn strftime_conv(c: u8, tm: &Tm, utc: bool, out: &mut Vec<u8>) {
    use std::io::Write;
    let hour12 = if tm.hour % 12 == 0 { 12 } else { tm.hour % 12 };
    let _ = match c {
        b'a' => write!(out, "{}", &WDAY[tm.wday as usize][..3]),
        b'A' => write!(out, "{}", WDAY[tm.wday as usize]),
        b'b' | b'h' => write!(out, "{}", &MONTH[tm.mon as usize][..3]),
        b'B' => write!(out, "{}", MONTH[tm.mon as usize]),
        b'c' => {
            for &k in b"a b e H:M:S Y".iter() {
                if k == b' ' || k == b':' {
                    out.push(k);
                } else {
                    strftime_conv(k, tm, utc, out);
                }
            }
            Ok(())
        }
        b'C' => write!(out, "{}", tm.year.div_euclid(100)),
        b'd' => write!(out, "{:02}", tm.mday),
        b'D' | b'x' => write!(out, "{:02}/{:02}/{:02}", tm.mon + 1, tm.mday, tm.year.rem_euclid(100)),
        b'e' => write!(out, "{:2}", tm.mday),
        b'F' => write!(out, "{}-{:02}-{:02}", tm.year, tm.mon + 1, tm.mday),
        b'g' => write!(out, "{:02}", iso_week(tm).0.rem_euclid(100)),
        b'G' => write!(out, "{}", iso_week(tm).0),
        b'H' => write!(out, "{:02}", tm.hour),
        b'I' => write!(out, "{:02}", hour12),
        b'j' => write!(out, "{:03}", tm.yday + 1),
        b'm' => write!(out, "{:02}", tm.mon + 1),
        b'M' => write!(out, "{:02}", tm.min),
        b'n' => writeln!(out),
        b'p' => write!(out, "{}", if tm.hour < 12 { "AM" } else { "PM" }),
        b'r' => write!(out, "{:02}:{:02}:{:02} {}", hour12, tm.min, tm.sec, if tm.hour < 12 { "AM" } else { "PM" }),
        b'R' => write!(out, "{:02}:{:02}", tm.hour, tm.min),
        b'S' => write!(out, "{:02}", tm.sec),
        b't' => write!(out, "\t"),
        b'T' | b'X' => write!(out, "{:02}:{:02}:{:02}", tm.hour, tm.min, tm.sec),
        b'u' => write!(out, "{}", if tm.wday == 0 { 7 } else { tm.wday }),
        b'U' => write!(out, "{:02}", (tm.yday + 7 - tm.wday) / 7),
        b'V' => write!(out, "{:02}", iso_week(tm).1),
        b'w' => write!(out, "{}", tm.wday),
        b'W' => write!(out, "{:02}", (tm.yday + 7 - (tm.wday + 6) % 7) / 7),
        b'y' => write!(out, "{:02}", tm.year.rem_euclid(100)),
        b'Y' => write!(out, "{}", tm.year),
        b'z' => write!(out, "+0000"),
        b'Z' => write!(out, "{}", if utc { "GMT" } else { "UTC" }),
        b'%' => write!(out, "%"),
        _ => Ok(()),
    };
}

// ----- environment, locale ---------------------------------------------------------

fn getenv(vm: &mut Vm) -> LResult<Action> {
    let name = vm.check_bytes(1)?;
    if !vm.unsafe_os {
        return vm.ret1(Value::Nil);
    }
    let v = std::str::from_utf8(&name).ok().and_then(std::env::var_os);
    match v {
        Some(v) => {
            let b = v.to_string_lossy().into_owned();
            vm.ret_bytes(b.as_bytes())
        }
        None => vm.ret1(Value::Nil),
    }
}

fn setlocale(vm: &mut Vm) -> LResult<Action> {
    let l = match vm.opt_str(1)? {
        Some(s) => Some(vm.heap.str(s).to_vec()),
        None => None,
    };
    vm.check_option(2, Some("all"), &["all", "collate", "ctype", "monetary", "numeric", "time"])?;
    match l.as_deref() {
        None | Some(b"") | Some(b"C") | Some(b"POSIX") => vm.ret_bytes(b"C"),
        _ => vm.ret1(Value::Nil),
    }
}

// ----- process and file system (unsafe_os only) -------------------------------------

fn flush_stdout(vm: &mut Vm) {
    use std::io::Write;
    let _ = vm.stdout.flush();
}

fn exit(vm: &mut Vm) -> LResult<Action> {
    let status = match vm.arg(1) {
        Value::Bool(b) => {
            if b {
                0
            } else {
                1
            }
        }
        _ => vm.opt_integer(1, 0)? as i32,
    };
    if vm.arg(2).truthy() {
        vm.close();
    }
    crate::stdlib::io::flush_all(vm);
    flush_stdout(vm);
    std::process::exit(status)
}

fn execute(vm: &mut Vm) -> LResult<Action> {
    let cmd = match vm.opt_str(1)? {
        Some(s) => vm.heap.str(s).to_vec(),
        None => {
            let has_shell = std::path::Path::new("/bin/sh").exists();
            return vm.ret1(Value::Bool(has_shell));
        }
    };
    flush_stdout(vm);
    let status = std::process::Command::new("/bin/sh").arg("-c").arg(os_str(&cmd)).status();
    match status {
        Err(e) => error_result(vm, &e, None),
        Ok(st) => exec_result(vm, st),
    }
}

/// `luaL_execresult` for a finished child.
pub fn exec_result(vm: &mut Vm, st: std::process::ExitStatus) -> LResult<Action> {
    let (what, code): (&[u8], i32) = match st.code() {
        Some(c) => (b"exit", c),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt;
                (b"signal", st.signal().unwrap_or(0))
            }
            #[cfg(not(unix))]
            {
                (b"exit", -1)
            }
        }
    };
    let first = if what == b"exit" && code == 0 { Value::Bool(true) } else { Value::Nil };
    let w = vm.str_value(what);
    vm.ret(&[first, w, Value::Num(code as f64)])
}

/// Bytes as an OS string (exact on Unix).
pub fn os_str(b: &[u8]) -> std::ffi::OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(b).to_os_string()
    }
    #[cfg(not(unix))]
    {
        String::from_utf8_lossy(b).into_owned().into()
    }
}

fn remove(vm: &mut Vm) -> LResult<Action> {
    let name = vm.check_bytes(1)?;
    let p = os_str(&name);
    let r = match std::fs::remove_file(&p) {
        Err(e) if std::fs::symlink_metadata(&p).map(|m| m.is_dir()).unwrap_or(false) => {
            let _ = e;
            std::fs::remove_dir(&p)
        }
        r => r,
    };
    file_result(vm, r, Some(&name))
}

fn rename(vm: &mut Vm) -> LResult<Action> {
    let from = vm.check_bytes(1)?;
    let to = vm.check_bytes(2)?;
    let r = std::fs::rename(os_str(&from), os_str(&to));
    file_result(vm, r, None)
}

fn tmpname(vm: &mut Vm) -> LResult<Action> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let seed = cpu_seconds().map(|s| (s * 1e9) as u64).unwrap_or(0)
        ^ (now_secs().unwrap_or(0) as u64).wrapping_mul(1_000_003)
        ^ (process_id() << 32);
    for attempt in 0..100u64 {
        let mut x = seed.wrapping_add(COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_add(attempt);
        let mut name = b"/tmp/lua_".to_vec();
        for _ in 0..6 {
            x ^= x >> 33;
            x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
            name.push(CHARS[(x % CHARS.len() as u64) as usize]);
        }
        match std::fs::OpenOptions::new().write(true).create_new(true).open(os_str(&name)) {
            Ok(_) => return vm.ret_bytes(&name),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => break,
        }
    }
    Err(vm.rt_error("unable to generate a unique filename"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for &t in &[0i64, 1, -1, 86399, 86400, 951782400, -2208988800, 253402300799, -62135596800] {
            let tm = break_time(t).unwrap();
            let back =
                make_time((tm.year - 1900) as i32, tm.mon as i32, tm.mday as i32, tm.hour as i32, tm.min as i32, tm.sec as i32, false);
            assert_eq!(back, Some(t));
        }
    }
}
