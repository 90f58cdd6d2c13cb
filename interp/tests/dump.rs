//! Binary chunk tests: round trips of compiled programs, stripping, header
//! errors worded like lua5.2's, the verifier's rejections, and random
//! corruption (which must never panic).

use oxilua::dump::{dump, undump, verify};
use oxilua::opcodes::{Instruction, OpCode};
use oxilua::proto::{Constant, Proto, UpvalDesc};
use std::rc::Rc;

const PROGRAMS: &[&str] = &[
    "print('hello')",
    "local a, b, c = 1, 2\nlocal z, nz, nan = 0, -0, 1e308 * 10 - 1e308 * 10\nreturn a + b * c",
    "local t = {1, 2, 3, x = 1, ['y'] = 2, [3] = 4; f(), ...}\nlocal u = {f()}",
    "local a = 1\nlocal function f()\n  local b = 2\n  return function() a = a + b; return a end\nend\nreturn f",
    "for i = 1, 3 do\n  for j = 1, 3 do\n    if j == 2 then goto continue end\n    print(i, j)\n    ::continue::\n  end\nend",
    "local fs = {}\nfor i = 1, 3 do local j = i fs[i] = function() return i + j end end\n\
     for k, v in pairs(fs) do print(k, v) end\nrepeat local x = 1 f(function() return x end) until x",
    "local obj = {}\nfunction obj:m(a) return self, a end\nobj:m(1)\nreturn obj.m(obj, 2), (f(1)), g(...)",
    "local a, b, i = 1, 2, 3\na, b = b, a\na, a[i] = 2, 3\nlocal s = a .. b .. 'x\\0y\\n'\nreturn s, not a, #b, -i",
    "local x = ...\nif x == 1 then print('one') elseif x == 2 then print('two') else print('many') end\n\
     while x and x > 0 do x = x - 1 if x == 5 then break end end",
    "local print = print\nx = 1\ndo local _ENV = {y = 2} z = y end\nreturn function() return x, true, false, nil end",
];

fn compile(src: &str) -> Proto {
    oxilua::compile(src.as_bytes(), b"@prog.lua").unwrap_or_else(|e| panic!("{}", e.message))
}

fn big_program() -> String {
    // Many constants (LOADKX), long lists (SETLIST + EXTRAARG), deep nesting.
    let mut s = String::from("local t = {");
    for i in 0..270_000 {
        s.push_str(&i.to_string());
        s.push(',');
    }
    s.push_str("}\nlocal k = 'last'\n");
    s.push_str(&"return function() ".repeat(40));
    s.push_str("return k");
    s.push_str(&" end".repeat(40));
    s
}

/// Structural equality; numbers compare by bits (so NaN and -0 count).
fn same(a: &Proto, b: &Proto) -> Result<(), String> {
    let k_eq = |x: &Constant, y: &Constant| match (x, y) {
        (Constant::Number(m), Constant::Number(n)) => m.to_bits() == n.to_bits(),
        _ => x == y,
    };
    macro_rules! field {
        ($f:ident) => {
            if a.$f != b.$f {
                return Err(format!("{} differs: {:?} vs {:?}", stringify!($f), a.$f, b.$f));
            }
        };
    }
    field!(code);
    field!(upvalues);
    field!(line_info);
    field!(loc_vars);
    field!(source);
    field!(line_defined);
    field!(last_line_defined);
    field!(num_params);
    field!(is_vararg);
    field!(max_stack_size);
    if a.constants.len() != b.constants.len() || !a.constants.iter().zip(&b.constants).all(|(x, y)| k_eq(x, y)) {
        return Err("constants differ".into());
    }
    if a.protos.len() != b.protos.len() {
        return Err("number of functions differs".into());
    }
    for (x, y) in a.protos.iter().zip(&b.protos) {
        same(x, y)?;
    }
    Ok(())
}

#[test]
fn round_trip_compiled_programs() {
    let big = big_program();
    for src in PROGRAMS.iter().copied().chain([big.as_str()]) {
        let p = compile(src);
        let bytes = dump(&p, false);
        let q = undump(&bytes, b"=test").unwrap_or_else(|e| panic!("{e}\n{src}"));
        same(&p, &q).unwrap_or_else(|e| panic!("{e}\n{src}"));
        assert_eq!(dump(&q, false), bytes);
    }
}

#[test]
fn stripped_chunks_keep_code_only() {
    for src in PROGRAMS {
        let p = compile(src);
        let s = dump(&p, true);
        assert!(s.len() < dump(&p, false).len());
        let q = undump(&s, b"=test").unwrap();
        fn check(p: &Proto, q: &Proto) {
            assert_eq!(p.code, q.code);
            assert_eq!(p.constants.len(), q.constants.len());
            assert_eq!((p.num_params, p.is_vararg, p.max_stack_size), (q.num_params, q.is_vararg, q.max_stack_size));
            assert!(q.line_info.is_empty() && q.loc_vars.is_empty());
            assert_eq!(&*q.source, b"=?");
            for (u, v) in p.upvalues.iter().zip(&q.upvalues) {
                assert_eq!((u.in_stack, u.index, &v.name), (v.in_stack, v.index, &None));
            }
            for (x, y) in p.protos.iter().zip(&q.protos) {
                check(x, y);
            }
        }
        check(&p, &q);
    }
}

#[test]
fn header_errors_match_lua52() {
    let good = dump(&compile("return 1"), false);
    let with = |i: usize, b: u8| {
        let mut v = good.clone();
        v[i] = b;
        v
    };
    let msg = |bytes: &[u8]| undump(bytes, b"\x1bLua").unwrap_err();
    assert_eq!(msg(&good[..10]), "binary string: truncated precompiled chunk");
    assert_eq!(msg(&good[..30]), "binary string: truncated precompiled chunk");
    assert_eq!(msg(&with(3, b'x')), "binary string: not a precompiled chunk");
    assert_eq!(msg(&with(4, 0x51)), "binary string: version mismatch in precompiled chunk");
    // A PUC chunk (format 0) is not ours.
    assert_eq!(msg(&with(5, 0)), "binary string: version mismatch in precompiled chunk");
    assert_eq!(msg(&with(6, 0)), "binary string: incompatible precompiled chunk");
    assert_eq!(msg(&with(10, 4)), "binary string: incompatible precompiled chunk");
    assert_eq!(msg(&with(12, b'x')), "binary string: corrupted precompiled chunk");
    assert_eq!(undump(&good[..10], b"@f.lua").unwrap_err(), "f.lua: truncated precompiled chunk");
    assert_eq!(undump(&good[..10], b"=stdin").unwrap_err(), "stdin: truncated precompiled chunk");
    assert_eq!(undump(&good[..10], b"chunk").unwrap_err(), "chunk: truncated precompiled chunk");
    assert!(undump(&good, b"x").is_ok());
}

/// Apply `f` to the main function of a compiled program, dump it and load
/// it back: the loader must reject it as corrupted.
#[track_caller]
fn rejects(src: &str, f: impl FnOnce(&mut Proto)) {
    let mut p = compile(src);
    verify(&p).unwrap();
    f(&mut p);
    assert!(verify(&p).is_err(), "verifier accepted a broken function");
    let bytes = dump(&p, false);
    assert_eq!(undump(&bytes, b"=x").unwrap_err(), "x: corrupted precompiled chunk");
}

fn find(p: &Proto, op: OpCode) -> usize {
    p.code.iter().position(|i| i.op() == Some(op)).unwrap_or_else(|| panic!("no {op:?}"))
}

#[test]
fn verifier_rejects_untrustworthy_code() {
    let src = "local a, b = ...\nlocal t = {a, b, f()}\nif a < b then t.x = a .. b end\n\
               for k, v in pairs(t) do print(k, v) end\nreturn function() return a end, f(...)";
    rejects(src, |p| p.code[0] = Instruction(63));
    rejects(src, |p| {
        let i = find(p, OpCode::Concat);
        let ms = p.max_stack_size as u32;
        p.code[i].set_a(ms);
    });
    rejects(src, |p| {
        let i = find(p, OpCode::SetTable);
        p.code[i].set_b(oxilua::opcodes::rk_as_k(200));
    });
    rejects(src, |p| {
        let i = find(p, OpCode::GetTabUp);
        p.code[i].set_b(5);
    });
    rejects(src, |p| {
        let i = find(p, OpCode::Jmp);
        p.code[i].set_sbx(10_000);
    });
    rejects(src, |p| {
        let i = find(p, OpCode::Jmp);
        p.code[i].set_sbx(-(i as i32) - 2);
    });
    rejects(src, |p| {
        let i = find(p, OpCode::Closure);
        p.code[i].set_bx(3);
    });
    rejects(src, |p| {
        // The closure's upvalue refers to a register the parent does not have.
        let mut child = (*p.protos[0]).clone();
        child.upvalues[0] = UpvalDesc { name: None, in_stack: true, index: 200 };
        p.protos[0] = Rc::new(child);
    });
    rejects(src, |p| {
        // A comparison not followed by its jump.
        let i = find(p, OpCode::Lt);
        p.code[i + 1] = Instruction::abc(OpCode::Move, 0, 0, 0);
    });
    rejects(src, |p| {
        // An open argument count without a preceding open call.
        let i = find(p, OpCode::Call);
        p.code[i].set_b(0);
    });
    rejects(src, |p| {
        let i = find(p, OpCode::TForCall);
        p.code[i + 1] = Instruction::abc(OpCode::Move, 0, 0, 0);
    });
    rejects(src, |p| {
        p.code.pop();
        p.line_info.pop();
    });
    rejects(src, |p| {
        let i = find(p, OpCode::NewTable);
        p.code.insert(i, Instruction::ax(OpCode::ExtraArg, 0));
        p.line_info.insert(i, 1);
    });
    rejects(src, |p| p.line_info.push(1));
    rejects(src, |p| p.max_stack_size = 1);
    rejects("local x = 1 return x", |p| p.code[0] = Instruction::abx(OpCode::LoadK, 0, 7));
}

#[test]
fn absurd_lengths_are_refused_cheaply() {
    let good = dump(&compile("return 1"), false);
    // The code length field follows the header (18 bytes), the 11 bytes of
    // fixed fields and the source flag and string.
    let mut p = 18 + 11;
    assert_eq!(good[p], 2);
    let srclen = u32::from_le_bytes(good[p + 1..p + 5].try_into().unwrap()) as usize;
    p += 1 + 4 + srclen;
    for n in [u32::MAX, 1 << 30, 1000] {
        let mut v = good.clone();
        v[p..p + 4].copy_from_slice(&n.to_le_bytes());
        assert_eq!(undump(&v, b"=x").unwrap_err(), "x: truncated precompiled chunk");
    }
}

#[test]
fn nesting_depth_is_bounded() {
    let leaf = || Proto {
        code: vec![Instruction::abc(OpCode::Return, 0, 1, 0)],
        max_stack_size: 2,
        source: Rc::from(&b"=deep"[..]),
        ..Proto::default()
    };
    let nest = |depth: usize| {
        let mut p = leaf();
        for _ in 0..depth {
            let mut parent = leaf();
            parent.protos.push(Rc::new(p));
            p = parent;
        }
        p
    };
    let ok = nest(200);
    let q = undump(&dump(&ok, false), b"=x").unwrap();
    same(&ok, &q).unwrap();
    let deep = nest(300);
    let bytes = dump(&deep, true);
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || assert_eq!(undump(&bytes, b"=x").unwrap_err(), "x: corrupted precompiled chunk"))
        .unwrap()
        .join()
        .unwrap();
}

/// xorshift64*: a small deterministic generator for the corruption test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_corruption_never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut loaded = 0;
    for src in PROGRAMS {
        let p = compile(src);
        for strip in [false, true] {
            let good = dump(&p, strip);
            for _ in 0..3000 {
                let mut v = good.clone();
                match rng.below(5) {
                    0 => {
                        for _ in 0..1 + rng.below(4) {
                            let i = rng.below(v.len());
                            v[i] ^= 1 << rng.below(8);
                        }
                    }
                    1 => {
                        let i = rng.below(v.len());
                        v[i] = rng.next() as u8;
                    }
                    2 => v.truncate(rng.below(v.len())),
                    3 => {
                        let i = 18 + rng.below(v.len() - 18);
                        let n = rng.next() as u32 >> rng.below(32);
                        let end = (i + 4).min(v.len());
                        v[i..end].copy_from_slice(&n.to_le_bytes()[..end - i]);
                    }
                    _ => {
                        let i = rng.below(v.len());
                        if rng.below(2) == 0 {
                            v.insert(i, rng.next() as u8);
                        } else {
                            v.remove(i);
                        }
                    }
                }
                if let Ok(q) = undump(&v, b"=fuzz") {
                    verify(&q).expect("undump returned unverified code");
                    // Whatever loaded must dump and load back identically.
                    let again = undump(&dump(&q, false), b"=fuzz").unwrap();
                    same(&q, &again).unwrap();
                    loaded += 1;
                }
            }
        }
    }
    // Some mutations hit only data (constants, lines) and must still load.
    assert!(loaded > 100, "only {loaded} mutated chunks loaded");
}
