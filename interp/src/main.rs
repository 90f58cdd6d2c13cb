//! `oxilua`: a drop-in for the `lua5.2` command.
//!
//! `oxilua [options] [script [args]]` with `-e stat`, `-l name`, `-i`, `-v`,
//! `-E`, `--` and `-` as in `lua5.2`; `LUA_INIT_5_2`/`LUA_INIT`; the `arg`
//! table; errors on stderr as `oxilua: msg` plus a stack traceback; exit
//! status 1 on error. `oxilua -p FILE` (or `--list`) prints the bytecode of
//! FILE like `luac -l`.

use oxilua::object::Action;
use oxilua::stdlib::{open_libs, LibSet};
use oxilua::value::Value;
use oxilua::vm::{LResult, LuaError, Vm};
use std::io::{BufRead, IsTerminal, Write};

const PROGNAME: &str = "oxilua";

fn main() {
    let code = run();
    std::process::exit(code);
}

/// The message handler: the error message plus a traceback.
fn msghandler(vm: &mut Vm) -> LResult<Action> {
    let v = vm.arg(1);
    let msg: Vec<u8> = match v {
        Value::Str(s) => vm.heap.str(s).to_vec(),
        Value::Num(_) => {
            let s = vm.to_str_coerce(v).expect("number");
            vm.heap.str(s).to_vec()
        }
        _ => {
            let has_ts = vm.metatable(v).map(|mt| !vm.heap.table(mt).get_str(vm.names.tostring).is_nil()).unwrap_or(false);
            if has_ts {
                let s = vm.tostring_value(v)?;
                return vm.ret1(Value::Str(s));
            }
            format!("(error object is a {} value)", v.type_name()).into_bytes()
        }
    };
    let tb = vm.traceback(None, Some(&msg), 1);
    vm.ret_bytes(&tb)
}

/// `xpcall` under another name, so tracebacks show the host frame as `[C]: in ?`.
fn host_pcall(vm: &mut Vm) -> LResult<Action> {
    let (f, h) = (vm.arg(1), vm.arg(2));
    vm.set_arg(1, h);
    vm.set_arg(2, f);
    Ok(Action::Protected { func: vm.arg_slot(2), handler: Some(vm.arg_slot(1)) })
}

struct Runner {
    vm: Vm,
    pcall: Value,
    handler: Value,
}

impl Runner {
    fn report(&mut self, e: &LuaError) {
        let msg: Vec<u8> = match e.value {
            Value::Str(s) => self.vm.heap.str(s).to_vec(),
            Value::Nil => b"nil".to_vec(),
            v => format!("(error object is a {} value)", v.type_name()).into_bytes(),
        };
        let _ = self.vm.stdout.flush();
        let mut err = std::io::stderr();
        let _ = err.write_all(PROGNAME.as_bytes());
        let _ = err.write_all(b": ");
        let _ = err.write_all(&msg);
        let _ = err.write_all(b"\n");
        let _ = err.flush();
    }

    /// Call `f(args)` under the traceback handler; report errors.
    fn docall(&mut self, f: Value, args: &[Value], nres: i32) -> Result<Vec<Value>, ()> {
        let mut a = vec![f, self.handler];
        a.extend_from_slice(args);
        let _ = nres;
        let r = self.vm.call_value(self.pcall, &a, -1);
        match r {
            Ok(vals) => {
                if vals.first() == Some(&Value::Bool(true)) {
                    Ok(vals[1..].to_vec())
                } else {
                    let e = LuaError::new(vals.get(1).copied().unwrap_or(Value::Nil), oxilua::vm::ErrorKind::Runtime);
                    self.report(&e);
                    Err(())
                }
            }
            Err(e) => {
                self.report(&e);
                Err(())
            }
        }
    }

    fn load_and_run(&mut self, src: &[u8], name: &[u8], args: &[Value]) -> Result<(), ()> {
        match self.vm.load_chunk(src, name, b"bt", None) {
            Ok(f) => self.docall(Value::Func(f), args, 0).map(|_| ()),
            Err(e) => {
                self.report(&e);
                Err(())
            }
        }
    }

    fn run_file(&mut self, path: Option<&str>, args: &[Value]) -> Result<(), ()> {
        match self.vm.load_file(path.map(|p| p.as_bytes()), b"bt", None) {
            Ok(f) => self.docall(Value::Func(f), args, 0).map(|_| ()),
            Err(e) => {
                self.report(&e);
                Err(())
            }
        }
    }

    fn require(&mut self, name: &str) -> Result<(), ()> {
        let key = self.vm.str_value(b"require");
        let req = self.vm.raw_get(self.vm.globals, key);
        let n = self.vm.str_value(name.as_bytes());
        let r = self.docall(req, &[n], 1)?;
        let g = self.vm.globals;
        let v = r.first().copied().unwrap_or(Value::Nil);
        self.vm.raw_set_str(g, name, v);
        Ok(())
    }

    fn repl(&mut self) {
        let stdin = std::io::stdin();
        let mut lines = stdin.lock();
        loop {
            let mut buf = String::new();
            let mut prompt = "> ";
            loop {
                print!("{}", prompt);
                let _ = std::io::stdout().flush();
                let mut line = String::new();
                match lines.read_line(&mut line) {
                    Ok(0) | Err(_) => {
                        println!();
                        return;
                    }
                    Ok(_) => {}
                }
                let line = line.trim_end_matches(['\n', '\r']);
                if buf.is_empty() {
                    if let Some(rest) = line.strip_prefix('=') {
                        buf = format!("return {}", rest);
                    } else {
                        buf = line.to_string();
                    }
                } else {
                    buf.push('\n');
                    buf.push_str(line);
                }
                // try as an expression first
                let as_expr = format!("return {}", buf);
                if oxilua::compile(as_expr.as_bytes(), b"=stdin").is_ok() {
                    buf = as_expr;
                    break;
                }
                match oxilua::compile(buf.as_bytes(), b"=stdin") {
                    Ok(_) => break,
                    Err(e) if e.incomplete_input => {
                        prompt = ">> ";
                        continue;
                    }
                    Err(_) => break,
                }
            }
            match self.vm.load_chunk(buf.as_bytes(), b"=stdin", b"t", None) {
                Ok(f) => {
                    if let Ok(vals) = self.docall(Value::Func(f), &[], -1) {
                        if !vals.is_empty() {
                            let key = self.vm.str_value(b"print");
                            let p = self.vm.raw_get(self.vm.globals, key);
                            let _ = self.docall(p, &vals, 0);
                        }
                    }
                }
                Err(e) => self.report(&e),
            }
        }
    }
}

fn print_version() {
    println!("oxilua {} (Lua 5.2 compatible)", env!("CARGO_PKG_VERSION"));
}

fn usage(badopt: &str) {
    let mut e = std::io::stderr();
    if badopt.starts_with("-e") || badopt.starts_with("-l") {
        let _ = writeln!(e, "{}: '{}' needs argument", PROGNAME, badopt);
    } else {
        let _ = writeln!(e, "{}: unrecognized option '{}'", PROGNAME, badopt);
    }
    let _ = writeln!(
        e,
        "usage: {} [options] [script [args]]\nAvailable options are:\n  -e stat  execute string 'stat'\n  -i       enter interactive mode after executing 'script'\n  -l name  require library 'name'\n  -v       show version information\n  -E       ignore environment variables\n  -p file  list the bytecode of 'file' (like luac -l)\n  --       stop handling options\n  -        stop handling options and execute stdin",
        PROGNAME
    );
}

fn run() -> i32 {
    let argv: Vec<String> = std::env::args().collect();
    // --- parse options like lua.c's collectargs
    let mut i = 1;
    let (mut has_i, mut has_v, mut has_e, mut has_big_e) = (false, false, false, false);
    let mut script: Option<usize> = None;
    while i < argv.len() {
        let a = &argv[i];
        if !a.starts_with('-') {
            script = Some(i);
            break;
        }
        match a.as_str() {
            "--" => {
                if i + 1 < argv.len() {
                    script = Some(i + 1);
                }
                break;
            }
            "-" => {
                script = Some(i);
                break;
            }
            "-E" => has_big_e = true,
            "-i" => {
                has_i = true;
                has_v = true;
            }
            "-v" => has_v = true,
            "-p" | "--list" => {
                let Some(f) = argv.get(i + 1) else {
                    usage(a);
                    return 1;
                };
                return list_file(f);
            }
            s if s.starts_with("-e") || s.starts_with("-l") => {
                if s.starts_with("-e") {
                    has_e = true;
                }
                if s.len() == 2 {
                    i += 1;
                    if i >= argv.len() {
                        usage(s);
                        return 1;
                    }
                }
            }
            _ => {
                usage(a);
                return 1;
            }
        }
        i += 1;
    }
    let mut vm = Vm::new();
    open_libs(&mut vm, LibSet::ALL);
    let pcall = vm.native("pcall", host_pcall);
    let handler = vm.native("msghandler", msghandler);
    let r1 = vm.api_roots.add(pcall);
    let r2 = vm.api_roots.add(handler);
    let _ = (r1, r2);
    let mut rn = Runner { vm, pcall, handler };

    // arg table
    let g = rn.vm.globals;
    let at = rn.vm.new_table();
    let sidx = script.unwrap_or(argv.len());
    for (k, a) in argv.iter().enumerate() {
        let v = rn.vm.str_value(a.as_bytes());
        let _ = rn.vm.raw_set(at, Value::Num(k as f64 - sidx as f64), v);
    }
    rn.vm.raw_set_str(g, "arg", Value::Table(at));

    if has_v {
        print_version();
    }
    if !has_big_e {
        let init = std::env::var("LUA_INIT_5_2").or_else(|_| std::env::var("LUA_INIT"));
        if let Ok(init) = init {
            let ok = if let Some(f) = init.strip_prefix('@') {
                rn.run_file(Some(f), &[])
            } else {
                rn.load_and_run(init.as_bytes(), b"=LUA_INIT", &[])
            };
            if ok.is_err() {
                return 1;
            }
        }
    }
    // -e and -l in order
    let mut j = 1;
    while j < sidx.min(argv.len()) {
        let a = &argv[j];
        if a.starts_with("-e") || a.starts_with("-l") {
            let val = if a.len() > 2 {
                a[2..].to_string()
            } else {
                j += 1;
                argv.get(j).cloned().unwrap_or_default()
            };
            let r = if a.starts_with("-e") { rn.load_and_run(val.as_bytes(), b"=(command line)", &[]) } else { rn.require(&val) };
            if r.is_err() {
                return 1;
            }
        }
        j += 1;
    }
    if let Some(s) = script {
        let args: Vec<Value> = argv[s + 1..].iter().map(|a| rn.vm.str_value(a.as_bytes())).collect();
        let path = if argv[s] == "-" && argv.get(s - 1).map(|p| p != "--").unwrap_or(true) { None } else { Some(argv[s].as_str()) };
        if rn.run_file(path, &args).is_err() {
            return 1;
        }
    }
    if has_i {
        rn.repl();
    } else if script.is_none() && !has_e && !has_v {
        if std::io::stdin().is_terminal() {
            print_version();
            rn.repl();
        } else if rn.run_file(None, &[]).is_err() {
            return 1;
        }
    }
    let _ = rn.vm.stdout.flush();
    rn.vm.close();
    let _ = rn.vm.stdout.flush();
    0
}

fn list_file(path: &str) -> i32 {
    let src = match std::fs::read(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: cannot open {}: {}", PROGNAME, path, e);
            return 1;
        }
    };
    let mut name = b"@".to_vec();
    name.extend_from_slice(path.as_bytes());
    match oxilua::compile(&src, &name) {
        Ok(p) => {
            print!("{}", oxilua::disasm::disassemble(&p, true));
            0
        }
        Err(e) => {
            eprintln!("{}: {}", PROGNAME, e.message);
            1
        }
    }
}
