//! The `io` library of Lua 5.2.
//!
//! Files are full userdata holding a [`LuaFile`]; their metatable (registry
//! `"FILE*"`) is its own `__index` and holds the methods `close`, `flush`,
//! `lines`, `read`, `seek`, `setvbuf`, `write`, plus `__gc` (closes the file)
//! and `__tostring`. The default input and output files live in the registry
//! (`_IO_input`, `_IO_output`).
//!
//! Standard output goes through `vm.stdout`, the writer `print` uses, so the
//! two interleave correctly (and hosts can capture both); it cannot be
//! seeked (`seek` fails with "Illegal seek"). Standard input is read through
//! an internal buffer; pending standard output is flushed before reading it
//! and before starting child processes.
//!
//! Regular files are buffered in the library (`setvbuf` modes `no`, `full`,
//! `line`); buffers are flushed on close, collection, `os.exit` and when the
//! file is dropped with the VM.
//!
//! Sandboxing: without `vm.unsafe_os` only `io.write`, `io.read` (standard
//! input), `io.flush`, `io.type`, `io.stdin`/`io.stdout`/`io.stderr` and the
//! methods of those three files exist; `io.open`, `io.lines`, `io.input`,
//! `io.output`, `io.close`, `io.popen` and `io.tmpfile` are not installed.

use crate::object::{Action, UserData};
use crate::value::{StrRef, Value};
use crate::vm::{LResult, Vm};
use std::io::{Read, Seek, SeekFrom, Write};

const META_KEY: &str = "FILE*";
const INPUT_KEY: &str = "_IO_input";
const OUTPUT_KEY: &str = "_IO_output";
const BUF_SIZE: usize = 8192;
/// `LUA_MINSTACK - 3`: most formats `lines` accepts.
const MAX_LINES_FORMATS: usize = 17;

/// Open the library into `vm` (global and `package.loaded`).
pub fn open(vm: &mut Vm) {
    let safe: &[(&'static str, crate::object::NativeFn)] =
        &[("flush", io_flush), ("read", io_read), ("type", io_type), ("write", io_write)];
    let lib = vm.new_lib("io", safe);
    if vm.unsafe_os {
        vm.set_funcs(
            lib,
            &[
                ("close", io_close),
                ("input", io_input),
                ("lines", io_lines),
                ("open", io_open),
                ("output", io_output),
                ("popen", io_popen),
                ("tmpfile", io_tmpfile),
            ],
        );
    }
    // the metatable of files, also its own __index
    let mt = vm.new_table();
    vm.set_funcs(
        mt,
        &[
            ("close", f_close),
            ("flush", f_flush),
            ("lines", f_lines),
            ("read", f_read),
            ("seek", f_seek),
            ("setvbuf", f_setvbuf),
            ("write", f_write),
            ("__gc", f_gc),
            ("__tostring", f_tostring),
        ],
    );
    vm.raw_set_str(mt, "__index", Value::Table(mt));
    let reg = vm.registry;
    vm.raw_set_str(reg, META_KEY, Value::Table(mt));
    let stdin = new_file(vm, Kind::Stdin);
    let stdout = new_file(vm, Kind::Stdout);
    let stderr = new_file(vm, Kind::Stderr);
    vm.raw_set_str(lib, "stdin", stdin);
    vm.raw_set_str(lib, "stdout", stdout);
    vm.raw_set_str(lib, "stderr", stderr);
    vm.raw_set_str(reg, INPUT_KEY, stdin);
    vm.raw_set_str(reg, OUTPUT_KEY, stdout);
}

// ----- the file object ----------------------------------------------------------

enum Kind {
    Stdin,
    /// Written through `vm.stdout`.
    Stdout,
    Stderr,
    File(std::fs::File),
    /// `io.popen(cmd, "r")`: reads the child's standard output.
    PipeIn(std::process::Child),
    /// `io.popen(cmd, "w")`: writes the child's standard input.
    PipeOut(std::process::Child),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BufMode {
    No,
    Full,
    Line,
}

/// An open (or closed) Lua file.
pub struct LuaFile {
    /// `None` once closed.
    kind: Option<Kind>,
    rbuf: Vec<u8>,
    rpos: usize,
    wbuf: Vec<u8>,
    mode: BufMode,
    /// A read error happened during the current operation.
    rerr: Option<std::io::Error>,
    /// Opened with mode "r"/"rb": writes fail with EBADF, like stdio.
    read_only: bool,
}

impl LuaFile {
    fn new(kind: Kind) -> Self {
        let mode = if matches!(kind, Kind::Stderr) { BufMode::No } else { BufMode::Full };
        LuaFile { kind: Some(kind), rbuf: Vec::new(), rpos: 0, wbuf: Vec::new(), mode, rerr: None, read_only: false }
    }

    fn is_std(&self) -> bool {
        matches!(self.kind, Some(Kind::Stdin | Kind::Stdout | Kind::Stderr))
    }

    /// Read more bytes into the buffer; 0 at end of file (or on error,
    /// which is remembered in `rerr`).
    fn fill(&mut self) -> usize {
        if self.rpos < self.rbuf.len() {
            return self.rbuf.len() - self.rpos;
        }
        if !self.wbuf.is_empty() {
            if let Err(e) = self.flush_wbuf() {
                self.rerr = Some(e);
                return 0;
            }
        }
        self.rbuf.clear();
        self.rpos = 0;
        self.rbuf.resize(BUF_SIZE, 0);
        let r = match self.kind.as_mut() {
            Some(Kind::Stdin) => std::io::stdin().read(&mut self.rbuf),
            Some(Kind::File(f)) => f.read(&mut self.rbuf),
            Some(Kind::PipeIn(c)) => match c.stdout.as_mut() {
                Some(o) => o.read(&mut self.rbuf),
                None => Ok(0),
            },
            _ => Err(std::io::Error::from_raw_os_error(9)), // EBADF
        };
        let n = match r {
            Ok(n) => n,
            Err(e) => {
                if e.kind() != std::io::ErrorKind::Interrupted {
                    self.rerr = Some(e);
                }
                0
            }
        };
        self.rbuf.truncate(n);
        n
    }

    fn peek(&mut self) -> Option<u8> {
        if self.fill() == 0 {
            None
        } else {
            Some(self.rbuf[self.rpos])
        }
    }

    /// A line (with its `\n` unless `chop`); `None` at end of file.
    fn read_line(&mut self, chop: bool) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            if self.fill() == 0 {
                return if out.is_empty() { None } else { Some(out) };
            }
            let avail = &self.rbuf[self.rpos..];
            match avail.iter().position(|&c| c == b'\n') {
                Some(p) => {
                    out.extend_from_slice(&avail[..p + usize::from(!chop)]);
                    self.rpos += p + 1;
                    return Some(out);
                }
                None => {
                    out.extend_from_slice(avail);
                    self.rpos = self.rbuf.len();
                }
            }
        }
    }

    /// Up to `n` bytes (fewer at end of file).
    fn read_chars(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < n {
            let avail = self.fill();
            if avail == 0 {
                break;
            }
            let k = avail.min(n - out.len());
            out.extend_from_slice(&self.rbuf[self.rpos..self.rpos + k]);
            self.rpos += k;
        }
        out
    }

    /// `fscanf("%lf")`: skip white space, take the longest numeral prefix.
    fn read_number(&mut self) -> Option<f64> {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.rpos += 1;
            } else {
                break;
            }
        }
        let mut s = Vec::new();
        let take = |f: &mut LuaFile, s: &mut Vec<u8>, ok: &dyn Fn(u8) -> bool| -> bool {
            match f.peek() {
                Some(c) if ok(c) && s.len() < 200 => {
                    s.push(c);
                    f.rpos += 1;
                    true
                }
                _ => false,
            }
        };
        take(self, &mut s, &|c| c == b'+' || c == b'-');
        if matches!(self.peek(), Some(b'i' | b'I' | b'n' | b'N')) {
            return self.read_inf_nan(s.first() == Some(&b'-'));
        }
        let mut hex = false;
        if take(self, &mut s, &|c| c == b'0') && take(self, &mut s, &|c| c == b'x' || c == b'X') {
            hex = true;
        }
        let digit = move |c: u8| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        };
        let mut ndig = 0;
        while take(self, &mut s, &digit) {
            ndig += 1;
        }
        if take(self, &mut s, &|c| c == b'.') {
            while take(self, &mut s, &digit) {
                ndig += 1;
            }
        }
        let has_zero = s.contains(&b'0');
        if ndig > 0 || has_zero {
            let e = if hex { [b'p', b'P'] } else { [b'e', b'E'] };
            if take(self, &mut s, &|c| c == e[0] || c == e[1]) {
                take(self, &mut s, &|c| c == b'+' || c == b'-');
                while take(self, &mut s, &|c: u8| c.is_ascii_digit()) {}
            }
        }
        // an incomplete exponent ("1e", "1e+") is not part of the number
        let mut end = s.len();
        loop {
            if let Some(n) = crate::numfmt::str2number(&s[..end]) {
                return Some(n);
            }
            match s[..end].last() {
                Some(b'e' | b'E' | b'p' | b'P' | b'+' | b'-') if end > 1 => end -= 1,
                _ => return None,
            }
        }
    }

    /// `inf`, `infinity` or `nan` (any case) after an optional sign.
    fn read_inf_nan(&mut self, neg: bool) -> Option<f64> {
        let mut word = Vec::new();
        while let Some(c) = self.peek() {
            let c = c.to_ascii_lowercase();
            let w = [word.as_slice(), &[c]].concat();
            if b"infinity".starts_with(&w) || b"nan".starts_with(&w) {
                word = w;
                self.rpos += 1;
            } else {
                break;
            }
        }
        let v = match word.as_slice() {
            b"inf" | b"infinity" => f64::INFINITY,
            b"nan" => f64::NAN,
            _ => return None,
        };
        Some(if neg { -v } else { v })
    }

    fn read_all(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let avail = self.fill();
            if avail == 0 {
                return out;
            }
            out.extend_from_slice(&self.rbuf[self.rpos..]);
            self.rpos = self.rbuf.len();
        }
    }

    /// Give back read-ahead before writing or seeking (regular files).
    fn drop_readahead(&mut self) -> std::io::Result<()> {
        let unread = self.rbuf.len() - self.rpos;
        if unread > 0 {
            if let Some(Kind::File(f)) = self.kind.as_mut() {
                f.seek(SeekFrom::Current(-(unread as i64)))?;
            }
        }
        self.rbuf.clear();
        self.rpos = 0;
        Ok(())
    }

    fn flush_wbuf(&mut self) -> std::io::Result<()> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let r = match self.kind.as_mut() {
            Some(Kind::File(f)) => f.write_all(&self.wbuf),
            Some(Kind::PipeOut(c)) => match c.stdin.as_mut() {
                Some(i) => i.write_all(&self.wbuf),
                None => Ok(()),
            },
            Some(Kind::Stderr) => std::io::stderr().write_all(&self.wbuf),
            _ => Err(std::io::Error::from_raw_os_error(9)),
        };
        self.wbuf.clear();
        r
    }

    /// Write `data`; standard output goes to `out` (`vm.stdout`).
    fn write(&mut self, out: &mut dyn Write, data: &[u8]) -> std::io::Result<()> {
        match self.kind {
            Some(Kind::Stdout) => {
                out.write_all(data)?;
                if self.mode == BufMode::No || (self.mode == BufMode::Line && data.contains(&b'\n')) {
                    out.flush()?;
                }
                Ok(())
            }
            Some(Kind::Stdin) | Some(Kind::PipeIn(_)) => Err(std::io::Error::from_raw_os_error(9)),
            _ if self.read_only => Err(std::io::Error::from_raw_os_error(9)),
            _ => {
                if self.rpos < self.rbuf.len() || !self.rbuf.is_empty() {
                    self.drop_readahead()?;
                }
                self.wbuf.extend_from_slice(data);
                let due = match self.mode {
                    BufMode::No => true,
                    BufMode::Line => data.contains(&b'\n') || self.wbuf.len() >= BUF_SIZE,
                    BufMode::Full => self.wbuf.len() >= BUF_SIZE,
                };
                if due {
                    self.flush_wbuf()?;
                }
                Ok(())
            }
        }
    }

    fn flush(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        match self.kind.as_mut() {
            Some(Kind::Stdout) => out.flush(),
            Some(Kind::File(f)) => {
                let r = f.write_all(&self.wbuf);
                self.wbuf.clear();
                r?;
                f.flush()
            }
            _ => self.flush_wbuf(),
        }
    }

    fn seek(&mut self, out: &mut dyn Write, pos: SeekFrom) -> std::io::Result<u64> {
        match self.kind {
            Some(Kind::File(_)) => {}
            Some(Kind::Stdout) => {
                out.flush()?;
                return Err(std::io::Error::from_raw_os_error(29)); // ESPIPE
            }
            _ => return Err(std::io::Error::from_raw_os_error(29)),
        }
        self.flush_wbuf()?;
        let unread = (self.rbuf.len() - self.rpos) as i64;
        self.rbuf.clear();
        self.rpos = 0;
        let Some(Kind::File(f)) = self.kind.as_mut() else { unreachable!() };
        let pos = match pos {
            SeekFrom::Current(o) => {
                // the OS position is ahead of ours by the read-ahead
                if unread > 0 {
                    f.seek(SeekFrom::Current(-unread))?;
                }
                SeekFrom::Current(o)
            }
            p => p,
        };
        f.seek(pos)
    }

    /// Close: flush, release the OS resources, and report like `fclose`/`pclose`.
    fn close(&mut self) -> CloseResult {
        let flushed = self.flush_wbuf();
        match self.kind.take() {
            Some(Kind::PipeIn(mut c)) | Some(Kind::PipeOut(mut c)) => {
                drop(c.stdin.take());
                drop(c.stdout.take());
                match c.wait() {
                    Ok(st) => CloseResult::Exit(st),
                    Err(e) => CloseResult::Io(Err(e)),
                }
            }
            Some(Kind::File(f)) => {
                drop(f);
                CloseResult::Io(flushed)
            }
            _ => CloseResult::Io(flushed),
        }
    }
}

impl Drop for LuaFile {
    fn drop(&mut self) {
        if self.kind.is_some() && !self.is_std() {
            let _ = self.close();
        } else {
            let _ = self.flush_wbuf();
        }
    }
}

enum CloseResult {
    Io(std::io::Result<()>),
    Exit(std::process::ExitStatus),
}

// ----- helpers -----------------------------------------------------------------

fn new_file(vm: &mut Vm, kind: Kind) -> Value {
    let key = vm.str_value(META_KEY.as_bytes());
    let mt = match vm.raw_get(vm.registry, key) {
        Value::Table(t) => Some(t),
        _ => None,
    };
    let ud = UserData { data: Box::new(LuaFile::new(kind)), meta: mt, user_value: Value::Nil };
    let u = vm.heap.alloc_userdata(ud, std::mem::size_of::<LuaFile>() + BUF_SIZE);
    let v = Value::UserData(u);
    vm.mark_finalizable(v);
    v
}

fn as_file(vm: &mut Vm, v: Value) -> Option<&mut LuaFile> {
    match v {
        Value::UserData(u) => vm.heap.userdata.get_mut(u.idx()).data.downcast_mut::<LuaFile>(),
        _ => None,
    }
}

/// `tofile`: argument 1 must be an open file.
fn check_file(vm: &mut Vm) -> LResult<Value> {
    let v = vm.arg(1);
    match as_file(vm, v) {
        None => Err(vm.type_arg_error(1, META_KEY)),
        Some(f) if f.kind.is_none() => Err(vm.rt_error("attempt to use a closed file")),
        Some(_) => Ok(v),
    }
}

/// Run `op` on the file `v` with `vm.stdout` at hand.
fn with_file<R>(vm: &mut Vm, v: Value, op: impl FnOnce(&mut LuaFile, &mut dyn Write) -> R) -> R {
    let Value::UserData(u) = v else { panic!("not a file") };
    let Vm { heap, stdout, .. } = vm;
    let f = heap.userdata.get_mut(u.idx()).data.downcast_mut::<LuaFile>().expect("file");
    op(f, &mut **stdout)
}

fn registry_get(vm: &mut Vm, key: &str) -> Value {
    let k = vm.str_value(key.as_bytes());
    vm.raw_get(vm.registry, k)
}

fn registry_set(vm: &mut Vm, key: &str, v: Value) {
    let r = vm.registry;
    vm.raw_set_str(r, key, v);
}

/// `getiofile`: the default input or output, which must be open.
fn io_file(vm: &mut Vm, key: &str) -> LResult<Value> {
    let v = registry_get(vm, key);
    let open = matches!(as_file(vm, v), Some(f) if f.kind.is_some());
    if !open {
        let which = if key == INPUT_KEY { "input" } else { "output" };
        return Err(vm.rt_error(format!("standard {} file is closed", which)));
    }
    Ok(v)
}

/// `nil, message, errno` from an I/O error, with an optional file name.
fn io_fail(vm: &mut Vm, e: &std::io::Error, fname: Option<&[u8]>) -> LResult<Action> {
    crate::stdlib::os::error_result(vm, e, fname)
}

fn close_result(vm: &mut Vm, r: CloseResult) -> LResult<Action> {
    match r {
        CloseResult::Io(r) => crate::stdlib::os::file_result(vm, r, None),
        CloseResult::Exit(st) => crate::stdlib::os::exec_result(vm, st),
    }
}

fn flush_stdout(vm: &mut Vm) {
    let _ = vm.stdout.flush();
}

/// Flush every open file's buffers (for `os.exit`, like C's `exit`).
pub fn flush_all(vm: &mut Vm) {
    let total = vm.heap.userdata.len();
    let mut found = 0;
    let mut i = 0;
    while found < total {
        if vm.heap.userdata.is_live(i) {
            found += 1;
            if let Some(f) = vm.heap.userdata.get_mut(i).data.downcast_mut::<LuaFile>() {
                let _ = f.flush_wbuf();
            }
        }
        i += 1;
    }
    flush_stdout(vm);
}

// ----- opening ---------------------------------------------------------------------

/// `l_checkmode`: `[rwa]+?b*`.
fn valid_mode(m: &[u8]) -> bool {
    let mut i = 0;
    if !matches!(m.first(), Some(b'r' | b'w' | b'a')) {
        return false;
    }
    i += 1;
    if m.get(i) == Some(&b'+') {
        i += 1;
    }
    m[i..].iter().all(|&c| c == b'b')
}

fn open_path(name: &[u8], mode: &[u8]) -> std::io::Result<std::fs::File> {
    let plus = mode.get(1) == Some(&b'+');
    let mut o = std::fs::OpenOptions::new();
    match mode[0] {
        b'r' => o.read(true).write(plus),
        b'w' => o.write(true).create(true).truncate(true).read(plus),
        _ => o.append(true).create(true).read(plus),
    };
    let f = o.open(crate::stdlib::os::os_str(name))?;
    if f.metadata().map(|m| m.is_dir()).unwrap_or(false) && mode[0] != b'r' {
        return Err(std::io::Error::from_raw_os_error(21)); // EISDIR
    }
    Ok(f)
}

/// A file object for a path opened with `mode`.
fn new_path_file(vm: &mut Vm, f: std::fs::File, mode: &[u8]) -> Value {
    let v = new_file(vm, Kind::File(f));
    if mode.get(1) != Some(&b'+') && mode[0] == b'r' {
        if let Some(lf) = as_file(vm, v) {
            lf.read_only = true;
        }
    }
    v
}

fn io_open(vm: &mut Vm) -> LResult<Action> {
    let name = vm.check_bytes(1)?;
    let mode = match vm.opt_str(2)? {
        Some(s) => vm.heap.str(s).to_vec(),
        None => b"r".to_vec(),
    };
    if !valid_mode(&mode) {
        return Err(vm.arg_error(2, "invalid mode"));
    }
    match open_path(&name, &mode) {
        Ok(f) => {
            let v = new_path_file(vm, f, &mode);
            vm.ret1(v)
        }
        Err(e) => io_fail(vm, &e, Some(&name)),
    }
}

/// Open `name` or raise `cannot open file 'name' (reason)`.
fn open_or_error(vm: &mut Vm, name: &[u8], mode: &[u8]) -> LResult<Value> {
    match open_path(name, mode) {
        Ok(f) => Ok(new_path_file(vm, f, mode)),
        Err(e) => {
            let msg = format!("cannot open file '{}' ({})", String::from_utf8_lossy(name), crate::stdlib::os::io_error_text(&e));
            Err(vm.rt_error(msg))
        }
    }
}

fn io_popen(vm: &mut Vm) -> LResult<Action> {
    let prog = vm.check_bytes(1)?;
    let mode = match vm.opt_str(2)? {
        Some(s) => vm.heap.str(s).to_vec(),
        None => b"r".to_vec(),
    };
    let reading = match mode.as_slice() {
        b"r" => true,
        b"w" => false,
        _ => return io_fail(vm, &std::io::Error::from_raw_os_error(22), Some(&prog)),
    };
    flush_stdout(vm);
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c").arg(crate::stdlib::os::os_str(&prog));
    if reading {
        cmd.stdout(std::process::Stdio::piped());
    } else {
        cmd.stdin(std::process::Stdio::piped());
    }
    match cmd.spawn() {
        Ok(child) => {
            let v = new_file(vm, if reading { Kind::PipeIn(child) } else { Kind::PipeOut(child) });
            vm.ret1(v)
        }
        Err(e) => io_fail(vm, &e, Some(&prog)),
    }
}

fn io_tmpfile(vm: &mut Vm) -> LResult<Action> {
    #[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
    let dir = std::env::temp_dir();
    #[cfg(all(target_family = "wasm", target_os = "unknown"))]
    let dir = std::path::PathBuf::from("/tmp");
    let pid = crate::stdlib::os::process_id();
    let mut last = None;
    for k in 0..100u64 {
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = dir.join(format!("oxilua_tmp_{}_{}_{}", pid, n, k));
        match std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&p) {
            Ok(f) => {
                // deleted now: the open handle keeps it alive until closed
                let _ = std::fs::remove_file(&p);
                let v = new_file(vm, Kind::File(f));
                return vm.ret1(v);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                last = Some(e);
                break;
            }
        }
    }
    let e = last.unwrap_or_else(|| std::io::Error::from_raw_os_error(17));
    io_fail(vm, &e, None)
}

// ----- closing, flushing, default files ---------------------------------------------------

fn aux_close(vm: &mut Vm, v: Value) -> LResult<Action> {
    let std = as_file(vm, v).is_some_and(|f| f.is_std());
    if std {
        with_file(vm, v, |f, out| {
            let _ = f.flush(out);
        });
        let m = vm.str_value(b"cannot close standard file");
        return vm.ret(&[Value::Nil, m]);
    }
    let r = with_file(vm, v, |f, _| f.close());
    close_result(vm, r)
}

fn io_close(vm: &mut Vm) -> LResult<Action> {
    if vm.arg_is_none_or_nil(1) {
        let v = registry_get(vm, OUTPUT_KEY);
        vm.set_arg(1, v);
        if vm.nargs() == 0 {
            vm.push(v);
        }
    }
    f_close(vm)
}

fn f_close(vm: &mut Vm) -> LResult<Action> {
    let v = check_file(vm)?;
    aux_close(vm, v)
}

fn f_gc(vm: &mut Vm) -> LResult<Action> {
    let v = vm.arg(1);
    if as_file(vm, v).is_none() {
        return Err(vm.type_arg_error(1, META_KEY));
    }
    if let Some(f) = as_file(vm, v) {
        if f.kind.is_some() {
            if f.is_std() {
                with_file(vm, v, |f, out| {
                    let _ = f.flush(out);
                });
            } else {
                let _ = with_file(vm, v, |f, _| f.close());
            }
        }
    }
    vm.ret0()
}

fn f_tostring(vm: &mut Vm) -> LResult<Action> {
    let v = vm.arg(1);
    let s = match (v, as_file(vm, v)) {
        (_, Some(f)) if f.kind.is_none() => "file (closed)".to_string(),
        (Value::UserData(u), Some(_)) => format!("file (0x{:08x})", 0x5500_0000_0000u64 + (3u64 << 36) + u.id() as u64 * 0x40),
        _ => return Err(vm.type_arg_error(1, META_KEY)),
    };
    vm.ret_bytes(s.as_bytes())
}

fn f_flush(vm: &mut Vm) -> LResult<Action> {
    let v = check_file(vm)?;
    let r = with_file(vm, v, |f, out| f.flush(out));
    crate::stdlib::os::file_result(vm, r, None)
}

fn io_flush(vm: &mut Vm) -> LResult<Action> {
    let v = io_file(vm, OUTPUT_KEY)?;
    let r = with_file(vm, v, |f, out| f.flush(out));
    crate::stdlib::os::file_result(vm, r, None)
}

/// `io.input`/`io.output`: set from a file name or file, return the current one.
fn g_iofile(vm: &mut Vm, key: &str, mode: &[u8]) -> LResult<Action> {
    if !vm.arg_is_none_or_nil(1) {
        let a = vm.arg(1);
        let newf = match a {
            Value::Str(_) | Value::Num(_) => {
                let name = vm.check_bytes(1)?;
                open_or_error(vm, &name, mode)?
            }
            _ => check_file(vm)?,
        };
        registry_set(vm, key, newf);
    }
    let v = registry_get(vm, key);
    vm.ret1(v)
}

fn io_input(vm: &mut Vm) -> LResult<Action> {
    g_iofile(vm, INPUT_KEY, b"r")
}

fn io_output(vm: &mut Vm) -> LResult<Action> {
    g_iofile(vm, OUTPUT_KEY, b"w")
}

fn io_type(vm: &mut Vm) -> LResult<Action> {
    let v = vm.check_any(1)?;
    let r: Option<&[u8]> = match as_file(vm, v) {
        None => None,
        Some(f) if f.kind.is_none() => Some(b"closed file"),
        Some(_) => Some(b"file"),
    };
    match r {
        Some(s) => vm.ret_bytes(s),
        None => vm.ret1(Value::Nil),
    }
}

// ----- reading -----------------------------------------------------------------------

enum Fmt {
    Number,
    Line(bool),
    All,
    Chars(usize),
}

/// Parse read format `v` (argument number `argn` for messages).
fn parse_format(vm: &mut Vm, v: Value, argn: usize) -> LResult<Fmt> {
    let s: Option<StrRef> = match v {
        Value::Num(n) => {
            let k = crate::aux::num_to_int(n);
            return Ok(Fmt::Chars(if k < 0 { usize::MAX } else { k as usize }));
        }
        Value::Str(s) => Some(s),
        _ => None,
    };
    let b = s.map(|s| vm.heap.str(s).to_vec()).unwrap_or_default();
    if b.first() != Some(&b'*') {
        return Err(vm.arg_error(argn, "invalid option"));
    }
    match b.get(1) {
        Some(b'n') => Ok(Fmt::Number),
        Some(b'l') => Ok(Fmt::Line(true)),
        Some(b'L') => Ok(Fmt::Line(false)),
        Some(b'a') => Ok(Fmt::All),
        _ => Err(vm.arg_error(argn, "invalid format")),
    }
}

enum Got {
    Str(Vec<u8>),
    Num(f64),
    Fail,
}

/// `g_read`: read `formats` (argument numbers from `first_arg`) from file `fv`.
fn g_read(vm: &mut Vm, fv: Value, formats: &[Value], first_arg: usize) -> LResult<Action> {
    if with_file(vm, fv, |f, _| matches!(f.kind, Some(Kind::Stdin))) {
        flush_stdout(vm);
    }
    with_file(vm, fv, |f, _| f.rerr = None);
    let mut fmts = Vec::with_capacity(formats.len().max(1));
    if formats.is_empty() {
        fmts.push(Fmt::Line(true));
    }
    let mut results: Vec<Value> = Vec::new();
    let mut ok = true;
    let mut idx = 0;
    loop {
        let fmt = if formats.is_empty() {
            if idx > 0 {
                break;
            }
            Fmt::Line(true)
        } else {
            if idx >= formats.len() || !ok {
                break;
            }
            parse_format(vm, formats[idx], first_arg + idx)?
        };
        idx += 1;
        let got = with_file(vm, fv, |f, _| match fmt {
            Fmt::Number => f.read_number().map_or(Got::Fail, Got::Num),
            Fmt::Line(chop) => f.read_line(chop).map_or(Got::Fail, Got::Str),
            Fmt::All => Got::Str(f.read_all()),
            Fmt::Chars(0) => {
                if f.peek().is_some() {
                    Got::Str(Vec::new())
                } else {
                    Got::Fail
                }
            }
            Fmt::Chars(n) => {
                let s = f.read_chars(n);
                if s.is_empty() {
                    Got::Fail
                } else {
                    Got::Str(s)
                }
            }
        });
        let v = match got {
            Got::Str(s) => {
                vm.charge(1 + s.len() as u64 / 64)?;
                vm.check_alloc(s.len())?;
                vm.str_value(&s)
            }
            Got::Num(n) => Value::Num(n),
            Got::Fail => {
                ok = false;
                Value::Nil
            }
        };
        results.push(v);
    }
    if let Some(e) = with_file(vm, fv, |f, _| f.rerr.take()) {
        return io_fail(vm, &e, None);
    }
    vm.ret(&results)
}

fn io_read(vm: &mut Vm) -> LResult<Action> {
    let fv = io_file(vm, INPUT_KEY)?;
    let formats: Vec<Value> = (1..=vm.nargs()).map(|i| vm.arg(i)).collect();
    g_read(vm, fv, &formats, 1)
}

fn f_read(vm: &mut Vm) -> LResult<Action> {
    let fv = check_file(vm)?;
    let formats: Vec<Value> = (2..=vm.nargs()).map(|i| vm.arg(i)).collect();
    g_read(vm, fv, &formats, 2)
}

/// The iterator of `lines`: upvalues file, format count, close-at-end flag, formats.
fn lines_iter(vm: &mut Vm) -> LResult<Action> {
    let fv = vm.native_upvalue(1);
    let n = match vm.native_upvalue(2) {
        Value::Num(n) => n as usize,
        _ => 0,
    };
    let toclose = vm.native_upvalue(3).truthy();
    if as_file(vm, fv).is_none_or(|f| f.kind.is_none()) {
        return Err(vm.rt_error("file is already closed"));
    }
    let formats: Vec<Value> = (0..n).map(|i| vm.native_upvalue(4 + i)).collect();
    let base = vm.th.top;
    let r = g_read(vm, fv, &formats, 2)?;
    let Action::Return(k) = r else { return Ok(r) };
    let first = vm.th.stack[base];
    if first.truthy() {
        return Ok(r);
    }
    if k > 1 {
        // an error: nil, message, errno
        let msg = vm.th.stack[base + 1];
        let text = match msg {
            Value::Str(s) => vm.heap.str(s).to_vec(),
            _ => b"?".to_vec(),
        };
        return Err(vm.rt_error_bytes(&text));
    }
    if toclose {
        let _ = with_file(vm, fv, |f, _| f.close());
    }
    vm.th.top = base;
    vm.ret0()
}

/// `aux_lines`: the iterator over file `fv` with formats from argument `first`.
fn make_lines(vm: &mut Vm, fv: Value, first: usize, toclose: bool) -> LResult<Action> {
    let n = (vm.nargs() + 1).saturating_sub(first);
    if n > MAX_LINES_FORMATS {
        return Err(vm.arg_error(MAX_LINES_FORMATS, "too many options"));
    }
    let mut ups = vec![fv, Value::Num(n as f64), Value::Bool(toclose)];
    for i in 0..n {
        ups.push(vm.arg(first + i));
    }
    let f = vm.native_with_upvals("lines", lines_iter, ups);
    vm.ret1(f)
}

fn f_lines(vm: &mut Vm) -> LResult<Action> {
    let fv = check_file(vm)?;
    make_lines(vm, fv, 2, false)
}

fn io_lines(vm: &mut Vm) -> LResult<Action> {
    if vm.arg_is_none_or_nil(1) {
        let fv = io_file(vm, INPUT_KEY)?;
        if vm.nargs() == 0 {
            vm.push(Value::Nil);
        }
        vm.set_arg(1, fv);
        return make_lines(vm, fv, 2, false);
    }
    let name = vm.check_bytes(1)?;
    let fv = open_or_error(vm, &name, b"r")?;
    vm.set_arg(1, fv);
    make_lines(vm, fv, 2, true)
}

// ----- writing, seeking, buffering ---------------------------------------------------------

/// `g_write`: write arguments from `first` to file `fv`; returns the file.
fn g_write(vm: &mut Vm, fv: Value, first: usize) -> LResult<Action> {
    let mut status: std::io::Result<()> = Ok(());
    let mut buf = Vec::new();
    for i in first..=vm.nargs() {
        buf.clear();
        match vm.arg(i) {
            Value::Num(n) => crate::numfmt::fmt_g14(n, &mut buf),
            _ => {
                let s = vm.check_str(i)?;
                buf.extend_from_slice(vm.heap.str(s));
            }
        }
        vm.charge(1 + buf.len() as u64 / 64)?;
        if status.is_ok() {
            status = with_file(vm, fv, |f, out| f.write(out, &buf));
        }
    }
    match status {
        Ok(()) => vm.ret1(fv),
        Err(e) => io_fail(vm, &e, None),
    }
}

fn io_write(vm: &mut Vm) -> LResult<Action> {
    let fv = io_file(vm, OUTPUT_KEY)?;
    g_write(vm, fv, 1)
}

fn f_write(vm: &mut Vm) -> LResult<Action> {
    let fv = check_file(vm)?;
    g_write(vm, fv, 2)
}

fn f_seek(vm: &mut Vm) -> LResult<Action> {
    let fv = check_file(vm)?;
    let op = vm.check_option(2, Some("cur"), &["set", "cur", "end"])?;
    let p = vm.opt_number(3, 0.0)?;
    let off = crate::aux::num_to_int(p);
    if off as f64 != p {
        return Err(vm.arg_error(3, "not an integer in proper range"));
    }
    let pos = match op {
        0 => {
            if off < 0 {
                return io_fail(vm, &std::io::Error::from_raw_os_error(22), None);
            }
            SeekFrom::Start(off as u64)
        }
        1 => SeekFrom::Current(off),
        _ => SeekFrom::End(off),
    };
    match with_file(vm, fv, |f, out| f.seek(out, pos)) {
        Ok(p) => vm.ret1(Value::Num(p as f64)),
        Err(e) => io_fail(vm, &e, None),
    }
}

fn f_setvbuf(vm: &mut Vm) -> LResult<Action> {
    let fv = check_file(vm)?;
    let op = vm.check_option(2, None, &["no", "full", "line"])?;
    let _size = vm.opt_integer(3, BUF_SIZE as i64)?;
    let mode = [BufMode::No, BufMode::Full, BufMode::Line][op];
    let r = with_file(vm, fv, |f, out| {
        f.mode = mode;
        f.flush(out)
    });
    crate::stdlib::os::file_result(vm, r, None)
}
