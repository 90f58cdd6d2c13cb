//! The `package` library and `require`, as Lua 5.2 has them (with the 5.2
//! compatibility pieces `module`, `package.seeall` and `package.loaders`).
//!
//! Searchers are ordinary native functions stored in `package.searchers`,
//! each with the `package` table as upvalue 1, so scripts can replace or
//! extend them. There is no dynamic loader: the C searchers search
//! `package.cpath` like PUC does, but a file found there cannot be loaded.
//! File searching only happens when the state allows file access
//! (`vm.unsafe_os`); sandboxed states only see `package.preload` and
//! `package.loaded`.

use crate::object::{Action, Closure};
use crate::value::{TableRef, Type, Value};
use crate::vm::{ErrorKind, LResult, LuaError, Vm};

/// Debian's default `LUA_PATH_DEFAULT` for 5.2 (what `lua5.2` prints).
const PATH_DEFAULT: &str = "/usr/local/share/lua/5.2/?.lua;/usr/local/share/lua/5.2/?/init.lua;\
/usr/local/lib/lua/5.2/?.lua;/usr/local/lib/lua/5.2/?/init.lua;\
/usr/share/lua/5.2/?.lua;/usr/share/lua/5.2/?/init.lua;./?.lua";
/// Debian's default `LUA_CPATH_DEFAULT` for 5.2.
const CPATH_DEFAULT: &str = "/usr/local/lib/lua/5.2/?.so;/usr/lib/x86_64-linux-gnu/lua/5.2/?.so;\
/usr/lib/lua/5.2/?.so;/usr/local/lib/lua/5.2/loadall.so;./?.so";

const DIRSEP: &str = "/";
const PATH_SEP: u8 = b';';
const PATH_MARK: &[u8] = b"?";
const EXEC_DIR: &str = "!";
const IGNORE_MARK: &str = "-";
/// Placeholder for the default path while expanding `;;`.
const AUX_MARK: &[u8] = b"\x01";

/// Message of loaders for files found on `package.cpath`.
const NO_C_MODULES: &str = "C modules are not supported";

pub fn open(vm: &mut Vm) {
    let pkg = vm.new_lib("package", &[("loadlib", loadlib), ("searchpath", searchpath), ("seeall", seeall)]);
    let pv = Value::Table(pkg);

    // searchers, each with the package table as upvalue
    let searchers = vm.new_table_with(4, 0);
    let list: [(&'static str, crate::object::NativeFn); 4] = [
        ("searcher_preload", searcher_preload),
        ("searcher_Lua", searcher_lua),
        ("searcher_C", searcher_c),
        ("searcher_Croot", searcher_croot),
    ];
    for (i, (name, f)) in list.into_iter().enumerate() {
        let fv = vm.native_with_upvals(name, f, vec![pv]);
        vm.heap.table_mut(searchers).set_int(i + 1, fv);
    }
    vm.raw_set_str(pkg, "searchers", Value::Table(searchers));
    vm.raw_set_str(pkg, "loaders", Value::Table(searchers));

    let noenv = {
        let k = vm.str_value(b"LUA_NOENV");
        vm.raw_get(vm.registry, k).truthy()
    };
    let path = env_path(noenv, "LUA_PATH_5_2", "LUA_PATH", PATH_DEFAULT);
    let v = vm.str_value(&path);
    vm.raw_set_str(pkg, "path", v);
    let cpath = env_path(noenv, "LUA_CPATH_5_2", "LUA_CPATH", CPATH_DEFAULT);
    let v = vm.str_value(&cpath);
    vm.raw_set_str(pkg, "cpath", v);

    let config = format!("{}\n{}\n{}\n{}\n{}\n", DIRSEP, PATH_SEP as char, String::from_utf8_lossy(PATH_MARK), EXEC_DIR, IGNORE_MARK);
    let v = vm.str_value(config.as_bytes());
    vm.raw_set_str(pkg, "config", v);

    let loaded = vm.loaded_table();
    vm.raw_set_str(pkg, "loaded", Value::Table(loaded));
    let preload = preload_table(vm);
    vm.raw_set_str(pkg, "preload", Value::Table(preload));

    // global functions sharing the package table as upvalue
    let g = vm.globals;
    let m = vm.native_with_upvals("module", module, vec![pv]);
    vm.raw_set_str(g, "module", m);
    let r = vm.native_with_upvals("require", require, vec![pv]);
    vm.raw_set_str(g, "require", r);
}

/// `package.path` from the environment: the first variable set, with `;;`
/// replaced by `;<default>;`; the default when neither is set (or with `-E`).
fn env_path(noenv: bool, var1: &str, var2: &str, def: &str) -> Vec<u8> {
    let val = std::env::var_os(var1).or_else(|| std::env::var_os(var2));
    match val {
        Some(p) if !noenv => {
            let p = p.as_encoded_bytes();
            let mut marked = b";".to_vec();
            marked.extend_from_slice(AUX_MARK);
            marked.push(b';');
            let step = replace_all(p, b";;", &marked);
            replace_all(&step, AUX_MARK, def.as_bytes())
        }
        _ => def.as_bytes().to_vec(),
    }
}

/// `luaL_gsub`: every occurrence of `pat` (non-empty) in `s` replaced by `rep`.
fn replace_all(s: &[u8], pat: &[u8], rep: &[u8]) -> Vec<u8> {
    if pat.is_empty() {
        return s.to_vec();
    }
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(pat) {
            out.extend_from_slice(rep);
            i += pat.len();
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// The registry's `_PRELOAD` table (created on demand).
fn preload_table(vm: &mut Vm) -> TableRef {
    let key = Value::Str(vm.names.preload);
    match vm.raw_get(vm.registry, key) {
        Value::Table(t) => t,
        _ => {
            let t = vm.new_table();
            let r = vm.registry;
            let _ = vm.raw_set(r, key, Value::Table(t));
            t
        }
    }
}

/// Keep a value alive across calls back into Lua by parking it on the stack.
fn keep(vm: &mut Vm, v: Value) -> LResult<()> {
    vm.ensure_stack(1)?;
    vm.push(v);
    Ok(())
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether `path` can be opened for reading (never, in sandboxed states).
fn readable(vm: &Vm, path: &[u8]) -> bool {
    if !vm.unsafe_os {
        return false;
    }
    std::fs::File::open(crate::stdlib::os::os_str(path)).is_ok()
}

/// PUC's `searchpath`: try each template of `path` with `?` replaced by
/// `name` (whose `sep` are first replaced by `rep`). `Ok(file)` or
/// `Err(list of "\n\tno file 'x'")`.
fn search_path(vm: &Vm, name: &[u8], path: &[u8], sep: &[u8], rep: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    let name = if sep.is_empty() { name.to_vec() } else { replace_all(name, sep, rep) };
    let mut msg = Vec::new();
    for template in path.split(|&c| c == PATH_SEP) {
        if template.is_empty() {
            continue;
        }
        let filename = replace_all(template, PATH_MARK, &name);
        if readable(vm, &filename) {
            return Ok(filename);
        }
        msg.extend_from_slice(b"\n\tno file '");
        msg.extend_from_slice(&filename);
        msg.push(b'\'');
    }
    Err(msg)
}

/// `package.searchpath(name, path [, sep [, rep]])`
fn searchpath(vm: &mut Vm) -> LResult<Action> {
    let name = vm.check_bytes(1)?;
    let path = vm.check_bytes(2)?;
    let sep = match vm.opt_str(3)? {
        Some(s) => vm.bytes_of(s).to_vec(),
        None => b".".to_vec(),
    };
    let rep = match vm.opt_str(4)? {
        Some(s) => vm.bytes_of(s).to_vec(),
        None => DIRSEP.as_bytes().to_vec(),
    };
    match search_path(vm, &name, &path, &sep, &rep) {
        Ok(f) => vm.ret_bytes(&f),
        Err(msg) => {
            let m = vm.str_value(&msg);
            vm.ret(&[Value::Nil, m])
        }
    }
}

/// `package.loadlib(path, funcname)`: dynamic libraries are not available.
fn loadlib(vm: &mut Vm) -> LResult<Action> {
    vm.check_str(1)?;
    vm.check_str(2)?;
    let m = vm.str_value(NO_C_MODULES.as_bytes());
    let w = vm.str_value(b"absent");
    vm.ret(&[Value::Nil, m, w])
}

/// `package.seeall(module)`: make the module see the globals through `__index`.
fn seeall(vm: &mut Vm) -> LResult<Action> {
    let t = vm.check_table(1)?;
    let mt = match vm.heap.table(t).meta {
        Some(mt) => mt,
        None => {
            let mt = vm.new_table_with(0, 1);
            vm.set_metatable(Value::Table(t), Some(mt));
            mt
        }
    };
    let g = vm.globals;
    let k = Value::Str(vm.names.index);
    vm.raw_set(mt, k, Value::Table(g))?;
    vm.ret0()
}

/// `package[field]` as a string for the file searchers (read through metamethods).
fn path_field(vm: &mut Vm, field: &str) -> LResult<Vec<u8>> {
    let pkg = vm.native_upvalue(1);
    let key = vm.str_value(field.as_bytes());
    let v = vm.index_value(pkg, key)?;
    match v {
        Value::Str(s) => Ok(vm.bytes_of(s).to_vec()),
        Value::Num(_) => {
            let s = vm.to_str_coerce(v).expect("number");
            Ok(vm.bytes_of(s).to_vec())
        }
        _ => Err(vm.rt_error(format!("'package.{}' must be a string", field))),
    }
}

/// Search `package[field]` for `name` (dots become directory separators).
fn find_file(vm: &mut Vm, name: &[u8], field: &str) -> LResult<Result<Vec<u8>, Vec<u8>>> {
    let path = path_field(vm, field)?;
    Ok(search_path(vm, name, &path, b".", DIRSEP.as_bytes()))
}

/// Error for a module file that was found but could not be loaded.
fn load_error(vm: &mut Vm, name: &[u8], file: &[u8], msg: &[u8]) -> LuaError {
    let mut m = format!("error loading module '{}' from file '{}':\n\t", lossy(name), lossy(file)).into_bytes();
    m.extend_from_slice(msg);
    vm.rt_error_bytes(&m)
}

fn searcher_preload(vm: &mut Vm) -> LResult<Action> {
    let name = vm.check_bytes(1)?;
    let pre = preload_table(vm);
    let key = vm.str_value(&name);
    let v = vm.index_value(Value::Table(pre), key)?;
    if v.is_nil() {
        let mut m = b"\n\tno field package.preload['".to_vec();
        m.extend_from_slice(&name);
        m.extend_from_slice(b"']");
        return vm.ret_bytes(&m);
    }
    vm.ret1(v)
}

fn searcher_lua(vm: &mut Vm) -> LResult<Action> {
    let name = vm.check_bytes(1)?;
    if !vm.unsafe_os {
        return vm.ret0();
    }
    let file = match find_file(vm, &name, "path")? {
        Ok(f) => f,
        Err(msg) => return vm.ret_bytes(&msg),
    };
    match vm.load_file(Some(&file), b"bt", None) {
        Ok(f) => {
            let fv = Value::Func(f);
            keep(vm, fv)?;
            let fname = vm.str_value(&file);
            vm.ret(&[fv, fname])
        }
        Err(e) => {
            let msg = match e.value {
                Value::Str(s) => vm.bytes_of(s).to_vec(),
                _ => Vec::new(),
            };
            if matches!(e.kind, ErrorKind::Memory | ErrorKind::InstructionLimit | ErrorKind::Timeout | ErrorKind::Interrupted) {
                return Err(e);
            }
            Err(load_error(vm, &name, &file, &msg))
        }
    }
}

fn searcher_c(vm: &mut Vm) -> LResult<Action> {
    let name = vm.check_bytes(1)?;
    if !vm.unsafe_os {
        return vm.ret0();
    }
    match find_file(vm, &name, "cpath")? {
        Ok(file) => Err(load_error(vm, &name, &file, NO_C_MODULES.as_bytes())),
        Err(msg) => vm.ret_bytes(&msg),
    }
}

fn searcher_croot(vm: &mut Vm) -> LResult<Action> {
    let name = vm.check_bytes(1)?;
    let Some(dot) = name.iter().position(|&c| c == b'.') else {
        return vm.ret0();
    };
    if !vm.unsafe_os {
        return vm.ret0();
    }
    let root = name[..dot].to_vec();
    match find_file(vm, &root, "cpath")? {
        Ok(file) => Err(load_error(vm, &name, &file, NO_C_MODULES.as_bytes())),
        Err(msg) => vm.ret_bytes(&msg),
    }
}

/// `require(name)`
fn require(vm: &mut Vm) -> LResult<Action> {
    let name_s = vm.check_str(1)?;
    let name = vm.bytes_of(name_s).to_vec();
    let key = Value::Str(name_s);
    let loaded = vm.loaded_table();
    let cur = vm.raw_get(loaded, key);
    if cur.truthy() {
        return vm.ret1(cur);
    }
    // find a loader
    let pkg = vm.native_upvalue(1);
    let sk = vm.str_value(b"searchers");
    let searchers = vm.index_value(pkg, sk)?;
    let Value::Table(st) = searchers else {
        return Err(vm.rt_error("'package.searchers' must be a table"));
    };
    keep(vm, searchers)?;
    let mut msg = Vec::new();
    let mut i = 1;
    let (loader, extra) = loop {
        let s = vm.heap.table(st).get_int(i);
        if s.is_nil() {
            let mut m = format!("module '{}' not found:", lossy(&name)).into_bytes();
            m.extend_from_slice(&msg);
            return Err(vm.rt_error_bytes(&m));
        }
        let r = vm.call_value(s, &[key], 2)?;
        let (a, b) = (r[0], r[1]);
        match a {
            Value::Func(_) => break (a, b),
            Value::Str(s) => msg.extend_from_slice(vm.bytes_of(s)),
            Value::Num(_) => {
                let s = vm.to_str_coerce(a).expect("number");
                msg.extend_from_slice(vm.bytes_of(s));
            }
            _ => {}
        }
        i += 1;
    };
    keep(vm, loader)?;
    keep(vm, extra)?;
    let r = vm.call_value(loader, &[key, extra], 1)?;
    let v = r[0];
    if !v.is_nil() {
        vm.raw_set(loaded, key, v)?;
    }
    let mut res = vm.raw_get(loaded, key);
    if res.is_nil() {
        res = Value::Bool(true);
        vm.raw_set(loaded, key, res)?;
    }
    vm.ret1(res)
}

/// `luaL_findtable` from the globals: walk (and create) the dotted path
/// `name`. `Err(part)` when a part holds a non-table value.
fn find_table(vm: &mut Vm, root: TableRef, name: &[u8], size_hint: usize) -> LResult<Result<TableRef, ()>> {
    let mut t = root;
    let parts: Vec<&[u8]> = name.split(|&c| c == b'.').collect();
    let n = parts.len();
    for (i, part) in parts.into_iter().enumerate() {
        let k = vm.str_value(part);
        match vm.raw_get(t, k) {
            Value::Nil => {
                let hint = if i + 1 < n { 1 } else { size_hint };
                let nt = vm.new_table_with(0, hint);
                keep(vm, Value::Table(nt))?;
                vm.set_index(Value::Table(t), k, Value::Table(nt))?;
                t = nt;
            }
            Value::Table(nt) => t = nt,
            _ => return Ok(Err(())),
        }
    }
    Ok(Ok(t))
}

/// `module(name [, ...])` (5.2 compatibility).
fn module(vm: &mut Vm) -> LResult<Action> {
    let name_s = vm.check_str(1)?;
    let name = vm.bytes_of(name_s).to_vec();
    let nargs = vm.nargs();
    let loaded = vm.loaded_table();
    let key = Value::Str(name_s);
    let m = match vm.raw_get(loaded, key) {
        Value::Table(t) => t,
        _ => {
            let g = vm.globals;
            match find_table(vm, g, &name, 1)? {
                Ok(t) => {
                    vm.raw_set(loaded, key, Value::Table(t))?;
                    t
                }
                Err(()) => return Err(vm.rt_error(format!("name conflict for module '{}'", lossy(&name)))),
            }
        }
    };
    let mv = Value::Table(m);
    keep(vm, mv)?;
    let nk = vm.str_value(b"_NAME");
    if vm.index_value(mv, nk)?.is_nil() {
        let k = vm.str_value(b"_M");
        vm.set_index(mv, k, mv)?;
        vm.set_index(mv, nk, key)?;
        let pkg_len = name.iter().rposition(|&c| c == b'.').map(|p| p + 1).unwrap_or(0);
        let pk = vm.str_value(b"_PACKAGE");
        let pv = vm.str_value(&name[..pkg_len]);
        vm.set_index(mv, pk, pv)?;
    }
    // the calling function gets the module as its first upvalue (_ENV)
    let nf = vm.th.frames.len();
    let caller = if nf >= 2 {
        match vm.th.stack[vm.th.frames[nf - 2].func] {
            Value::Func(f) => match vm.heap.func(f) {
                Closure::Lua { upvals, .. } => Some(upvals.first().copied()),
                _ => None,
            },
            _ => None,
        }
    } else {
        None
    };
    match caller {
        None => return Err(vm.rt_error("'module' not called from a Lua function")),
        Some(Some(u)) => vm.upval_set(u, mv),
        Some(None) => {}
    }
    // options: functions called with the module
    for i in 2..=nargs {
        let o = vm.arg(i);
        if o.type_of() == Type::Function {
            vm.call_value(o, &[mv], 0)?;
        }
    }
    vm.ret1(mv)
}
