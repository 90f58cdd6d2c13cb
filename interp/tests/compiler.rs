//! Compiler tests.
//!
//! * Golden disassemblies of small programs. Each listing was checked, when
//!   written, to match `luac5.2 -l` instruction for instruction, operand for
//!   operand and line for line (only the header wording and the `; comment`
//!   parts are ours). A deliberate deviation is marked as such.
//! * Compile errors with `lua5.2`'s exact messages (goto/label rules, limits).
//! * Debug information (locals, upvalues) as `luac5.2 -l -l` shows it.
//! * Deep expression trees compiled on 2 MiB stacks (no recursion per term).
//! * Every compiled program passes the binary-chunk verifier.

use oxilua::disasm::{disassemble, disassemble_detailed};
use oxilua::dump::verify;
use oxilua::opcodes::OpCode;
use oxilua::proto::{Constant, Proto};

fn compile(src: &str) -> Proto {
    let p = oxilua::compile(src.as_bytes(), b"=gold").unwrap_or_else(|e| panic!("{}", e.message));
    if let Err(e) = verify(&p) {
        panic!("verifier rejects compiled code: {e}\n{}", disassemble(&p, true));
    }
    p
}

#[track_caller]
fn check(src: &str, want: &str) {
    let got = disassemble(&compile(src), true);
    if got != want {
        let mut msg = String::from("disassembly differs (- want, + got):\n");
        for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
            if w != g {
                msg.push_str(&format!("line {}:\n- {w}\n+ {g}\n", i + 1));
            }
        }
        msg.push_str(&format!("\nfull listing:\n{got}"));
        panic!("{msg}");
    }
}

/// The message `load(src)` returns (the chunk name is the source).
fn err(src: &str) -> String {
    match oxilua::compile(src.as_bytes(), src.as_bytes()) {
        Ok(_) => panic!("compiled without error: {src}"),
        Err(e) => e.message,
    }
}

fn ok(src: &str) {
    if let Err(e) = oxilua::compile(src.as_bytes(), src.as_bytes()) {
        panic!("unexpected error: {}", e.message);
    }
}

/// Run `f` on a thread with the stack size cargo gives test threads.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().stack_size(2 << 20).spawn(f).unwrap().join().unwrap();
}

fn ops(p: &Proto) -> Vec<OpCode> {
    p.code.iter().map(|i| i.op().unwrap()).collect()
}

// ---------------------------------------------------------------------------
// Golden listings (identical to luac5.2 -l)
// ---------------------------------------------------------------------------

#[test]
fn golden_hello_global() {
    check(
        r#"print("hello")"#,
        r#"main <gold:0,0> (4 instructions)
0+ params, 2 slots, 1 upvalue, 0 locals, 2 constants, 0 functions
	1	[1]	GETTABUP 	0 0 -1	; _ENV "print"
	2	[1]	LOADK    	1 -2	; "hello"
	3	[1]	CALL     	0 2 1
	4	[1]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_locals_and_constants() {
    check(
        r#"local a, b, c = 1, 2
local d = a + 1, nil
local z, nz = 0, -0
local n = 1e308 * 10 - 1e308 * 10"#,
        r#"main <gold:0,0> (9 instructions)
0+ params, 7 slots, 1 upvalue, 7 locals, 5 constants, 0 functions
	1	[1]	LOADK    	0 -1	; 1
	2	[1]	LOADK    	1 -2	; 2
	3	[1]	LOADNIL  	2 0
	4	[2]	ADD      	3 0 -1	; - 1
	5	[2]	LOADNIL  	4 0
	6	[3]	LOADK    	4 -3	; 0
	7	[3]	LOADK    	5 -4	; -0
	8	[4]	LOADK    	6 -5	; -nan
	9	[4]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_constant_folding() {
    check(
        r#"local x = 2^10 + 3*4 - 1/2 % 3
local y = 1/0
local z = 5 % 0
local w = -(2+3)
local v = not nil, not 1, #"abc""#,
        r#"main <gold:0,0> (9 instructions)
0+ params, 7 slots, 1 upvalue, 5 locals, 6 constants, 0 functions
	1	[1]	LOADK    	0 -1	; 1035.5
	2	[2]	DIV      	1 -3 -2	; 1 0
	3	[3]	MOD      	2 -4 -2	; 5 0
	4	[4]	LOADK    	3 -5	; -5
	5	[5]	LOADBOOL 	4 1 0
	6	[5]	LOADBOOL 	5 0 0
	7	[5]	LOADK    	6 -6	; "abc"
	8	[5]	LEN      	6 6
	9	[5]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_arith_rk_operands() {
    check(
        r#"local a, b = ...
return a + b, a - 1, 2 * b, a / b, a % 2, a ^ b, -a, #b, a .. b"#,
        r#"main <gold:0,0> (14 instructions)
0+ params, 12 slots, 1 upvalue, 2 locals, 2 constants, 0 functions
	1	[1]	VARARG   	0 3
	2	[2]	ADD      	2 0 1
	3	[2]	SUB      	3 0 -1	; - 1
	4	[2]	MUL      	4 -2 1	; 2 -
	5	[2]	DIV      	5 0 1
	6	[2]	MOD      	6 0 -2	; - 2
	7	[2]	POW      	7 0 1
	8	[2]	UNM      	8 0
	9	[2]	LEN      	9 1
	10	[2]	MOVE     	10 0
	11	[2]	MOVE     	11 1
	12	[2]	CONCAT   	10 10 11
	13	[2]	RETURN   	2 10
	14	[2]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_comparison_values() {
    check(
        r#"local a, b = ...
local t = {a < b, a <= b, a > b, a >= b, a == b, a ~= b, a == 1, 2 < a}"#,
        r#"main <gold:0,0> (36 instructions)
0+ params, 11 slots, 1 upvalue, 3 locals, 2 constants, 0 functions
	1	[1]	VARARG   	0 3
	2	[2]	NEWTABLE 	2 8 0
	3	[2]	LT       	1 0 1
	4	[2]	JMP      	0 1	; to 6
	5	[2]	LOADBOOL 	3 0 1
	6	[2]	LOADBOOL 	3 1 0
	7	[2]	LE       	1 0 1
	8	[2]	JMP      	0 1	; to 10
	9	[2]	LOADBOOL 	4 0 1
	10	[2]	LOADBOOL 	4 1 0
	11	[2]	LT       	1 1 0
	12	[2]	JMP      	0 1	; to 14
	13	[2]	LOADBOOL 	5 0 1
	14	[2]	LOADBOOL 	5 1 0
	15	[2]	LE       	1 1 0
	16	[2]	JMP      	0 1	; to 18
	17	[2]	LOADBOOL 	6 0 1
	18	[2]	LOADBOOL 	6 1 0
	19	[2]	EQ       	1 0 1
	20	[2]	JMP      	0 1	; to 22
	21	[2]	LOADBOOL 	7 0 1
	22	[2]	LOADBOOL 	7 1 0
	23	[2]	EQ       	0 0 1
	24	[2]	JMP      	0 1	; to 26
	25	[2]	LOADBOOL 	8 0 1
	26	[2]	LOADBOOL 	8 1 0
	27	[2]	EQ       	1 0 -1	; - 1
	28	[2]	JMP      	0 1	; to 30
	29	[2]	LOADBOOL 	9 0 1
	30	[2]	LOADBOOL 	9 1 0
	31	[2]	LT       	1 -2 0	; 2 -
	32	[2]	JMP      	0 1	; to 34
	33	[2]	LOADBOOL 	10 0 1
	34	[2]	LOADBOOL 	10 1 0
	35	[2]	SETLIST  	2 8 1
	36	[2]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_and_or_values() {
    check(
        r#"local a, b, c = ...
local x = a and b or c
local y = a or b and c
local z = (a or b) and c
return a and b"#,
        r#"main <gold:0,0> (21 instructions)
0+ params, 7 slots, 1 upvalue, 6 locals, 0 constants, 0 functions
	1	[1]	VARARG   	0 4
	2	[2]	TEST     	0 0
	3	[2]	JMP      	0 2	; to 6
	4	[2]	TESTSET  	3 1 1
	5	[2]	JMP      	0 1	; to 7
	6	[2]	MOVE     	3 2
	7	[3]	TESTSET  	4 0 1
	8	[3]	JMP      	0 3	; to 12
	9	[3]	TESTSET  	4 1 0
	10	[3]	JMP      	0 1	; to 12
	11	[3]	MOVE     	4 2
	12	[4]	TEST     	0 1
	13	[4]	JMP      	0 2	; to 16
	14	[4]	TESTSET  	5 1 0
	15	[4]	JMP      	0 1	; to 17
	16	[4]	MOVE     	5 2
	17	[5]	TESTSET  	6 0 0
	18	[5]	JMP      	0 1	; to 20
	19	[5]	MOVE     	6 1
	20	[5]	RETURN   	6 2
	21	[5]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_not_and_conditions() {
    check(
        r#"local a, b = ...
if not a then return 1 end
if not (a and b) then return 2 end
if a == b or not b then return 3 end"#,
        r#"main <gold:0,0> (18 instructions)
0+ params, 3 slots, 1 upvalue, 2 locals, 3 constants, 0 functions
	1	[1]	VARARG   	0 3
	2	[2]	TEST     	0 1
	3	[2]	JMP      	0 2	; to 6
	4	[2]	LOADK    	2 -1	; 1
	5	[2]	RETURN   	2 2
	6	[3]	TEST     	0 0
	7	[3]	JMP      	0 2	; to 10
	8	[3]	TEST     	1 1
	9	[3]	JMP      	0 2	; to 12
	10	[3]	LOADK    	2 -2	; 2
	11	[3]	RETURN   	2 2
	12	[4]	EQ       	1 0 1
	13	[4]	JMP      	0 2	; to 16
	14	[4]	TEST     	1 1
	15	[4]	JMP      	0 2	; to 18
	16	[4]	LOADK    	2 -3	; 3
	17	[4]	RETURN   	2 2
	18	[4]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_if_elseif_else() {
    check(
        r#"local x = ...
if x == 1 then print("one")
elseif x == 2 then print("two")
else print("many") end"#,
        r#"main <gold:0,0> (17 instructions)
0+ params, 3 slots, 1 upvalue, 1 local, 6 constants, 0 functions
	1	[1]	VARARG   	0 2
	2	[2]	EQ       	0 0 -1	; - 1
	3	[2]	JMP      	0 4	; to 8
	4	[2]	GETTABUP 	1 0 -2	; _ENV "print"
	5	[2]	LOADK    	2 -3	; "one"
	6	[2]	CALL     	1 2 1
	7	[2]	JMP      	0 9	; to 17
	8	[3]	EQ       	0 0 -4	; - 2
	9	[3]	JMP      	0 4	; to 14
	10	[3]	GETTABUP 	1 0 -2	; _ENV "print"
	11	[3]	LOADK    	2 -5	; "two"
	12	[3]	CALL     	1 2 1
	13	[3]	JMP      	0 3	; to 17
	14	[4]	GETTABUP 	1 0 -2	; _ENV "print"
	15	[4]	LOADK    	2 -6	; "many"
	16	[4]	CALL     	1 2 1
	17	[4]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_while_break() {
    check(
        r#"local i = 0
while true do
  i = i + 1
  if i > 10 then break end
end
return i"#,
        r#"main <gold:0,0> (7 instructions)
0+ params, 2 slots, 1 upvalue, 1 local, 3 constants, 0 functions
	1	[1]	LOADK    	0 -1	; 0
	2	[3]	ADD      	0 0 -2	; - 1
	3	[4]	LT       	1 -3 0	; 10 -
	4	[4]	JMP      	0 1	; to 6
	5	[4]	JMP      	0 -4	; to 2
	6	[6]	RETURN   	0 2
	7	[6]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_repeat_sees_body_locals() {
    check(
        r#"local i = 0
repeat
  local j = i * 2
  i = i + 1
until j > 10
return i"#,
        r#"main <gold:0,0> (7 instructions)
0+ params, 2 slots, 1 upvalue, 2 locals, 4 constants, 0 functions
	1	[1]	LOADK    	0 -1	; 0
	2	[3]	MUL      	1 0 -2	; - 2
	3	[4]	ADD      	0 0 -3	; - 1
	4	[5]	LT       	0 -4 1	; 10 -
	5	[5]	JMP      	0 -4	; to 2
	6	[6]	RETURN   	0 2
	7	[6]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_numeric_for() {
    check(
        r#"local s = 0
for i = 1, 10 do s = s + i end
for i = 10, 1, -2 do s = s - i end
return s"#,
        r#"main <gold:0,0> (15 instructions)
0+ params, 5 slots, 1 upvalue, 9 locals, 4 constants, 0 functions
	1	[1]	LOADK    	0 -1	; 0
	2	[2]	LOADK    	1 -2	; 1
	3	[2]	LOADK    	2 -3	; 10
	4	[2]	LOADK    	3 -2	; 1
	5	[2]	FORPREP  	1 1	; to 7
	6	[2]	ADD      	0 0 4
	7	[2]	FORLOOP  	1 -2	; to 6
	8	[3]	LOADK    	1 -3	; 10
	9	[3]	LOADK    	2 -2	; 1
	10	[3]	LOADK    	3 -4	; -2
	11	[3]	FORPREP  	1 1	; to 13
	12	[3]	SUB      	0 0 4
	13	[3]	FORLOOP  	1 -2	; to 12
	14	[4]	RETURN   	0 2
	15	[4]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_generic_for() {
    check(
        r#"local t = {}
for k, v in pairs(t) do print(k, v) end
for i, v in ipairs(t) do end"#,
        r#"main <gold:0,0> (18 instructions)
0+ params, 9 slots, 1 upvalue, 11 locals, 3 constants, 0 functions
	1	[1]	NEWTABLE 	0 0 0
	2	[2]	GETTABUP 	1 0 -1	; _ENV "pairs"
	3	[2]	MOVE     	2 0
	4	[2]	CALL     	1 2 4
	5	[2]	JMP      	0 4	; to 10
	6	[2]	GETTABUP 	6 0 -2	; _ENV "print"
	7	[2]	MOVE     	7 4
	8	[2]	MOVE     	8 5
	9	[2]	CALL     	6 3 1
	10	[2]	TFORCALL 	1 2
	11	[2]	TFORLOOP 	3 -6	; to 6
	12	[3]	GETTABUP 	1 0 -3	; _ENV "ipairs"
	13	[3]	MOVE     	2 0
	14	[3]	CALL     	1 2 4
	15	[3]	JMP      	0 0	; to 16
	16	[3]	TFORCALL 	1 2
	17	[3]	TFORLOOP 	3 -2	; to 16
	18	[3]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_closures_upvalues() {
    check(
        r#"local a = 1
local function f()
  local b = 2
  return function() a = a + b; return a end
end
return f"#,
        r#"main <gold:0,0> (4 instructions)
0+ params, 2 slots, 1 upvalue, 2 locals, 1 constant, 1 function
	1	[1]	LOADK    	0 -1	; 1
	2	[5]	CLOSURE  	1 0	; function #1
	3	[6]	RETURN   	1 2
	4	[6]	RETURN   	0 1
function #1 <gold:2,5> (4 instructions)
0 params, 2 slots, 1 upvalue, 1 local, 1 constant, 1 function
	1	[3]	LOADK    	0 -1	; 2
	2	[4]	CLOSURE  	1 0	; function #1.1
	3	[4]	RETURN   	1 2
	4	[5]	RETURN   	0 1
function #1.1 <gold:4,4> (7 instructions)
0 params, 2 slots, 2 upvalues, 0 locals, 0 constants, 0 functions
	1	[4]	GETUPVAL 	0 0	; a
	2	[4]	GETUPVAL 	1 1	; b
	3	[4]	ADD      	0 0 1
	4	[4]	SETUPVAL 	0 0	; a
	5	[4]	GETUPVAL 	0 0	; a
	6	[4]	RETURN   	0 2
	7	[4]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_loops_close_captured_locals() {
    check(
        r#"local fs = {}
for i = 1, 3 do
  local j = i
  fs[i] = function() return i + j end
end
while true do
  local k = 1
  fs.k = function() return k end
  break
end"#,
        r#"main <gold:0,0> (18 instructions)
0+ params, 7 slots, 1 upvalue, 7 locals, 3 constants, 2 functions
	1	[1]	NEWTABLE 	0 0 0
	2	[2]	LOADK    	1 -1	; 1
	3	[2]	LOADK    	2 -2	; 3
	4	[2]	LOADK    	3 -1	; 1
	5	[2]	FORPREP  	1 5	; to 11
	6	[3]	MOVE     	5 4
	7	[4]	CLOSURE  	6 0	; function #1
	8	[4]	SETTABLE 	0 4 6
	9	[4]	JMP      	5 1	; to 11
	10	[4]	JMP      	5 0	; to 11
	11	[2]	FORLOOP  	1 -6	; to 6
	12	[7]	LOADK    	1 -1	; 1
	13	[8]	CLOSURE  	2 1	; function #2
	14	[8]	SETTABLE 	0 -3 2	; "k" -
	15	[8]	JMP      	2 2	; to 18
	16	[9]	JMP      	2 -5	; to 12
	17	[9]	JMP      	0 -6	; to 12
	18	[10]	RETURN   	0 1
function #1 <gold:4,4> (5 instructions)
0 params, 2 slots, 2 upvalues, 0 locals, 0 constants, 0 functions
	1	[4]	GETUPVAL 	0 0	; i
	2	[4]	GETUPVAL 	1 1	; j
	3	[4]	ADD      	0 0 1
	4	[4]	RETURN   	0 2
	5	[4]	RETURN   	0 1
function #2 <gold:8,8> (3 instructions)
0 params, 2 slots, 1 upvalue, 0 locals, 0 constants, 0 functions
	1	[8]	GETUPVAL 	0 0	; k
	2	[8]	RETURN   	0 2
	3	[8]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_repeat_closes_captured_local() {
    check(
        r#"repeat
  local x = 1
  f(function() return x end)
until x"#,
        r#"main <gold:0,0> (8 instructions)
0+ params, 3 slots, 1 upvalue, 1 local, 2 constants, 1 function
	1	[2]	LOADK    	0 -1	; 1
	2	[3]	GETTABUP 	1 0 -2	; _ENV "f"
	3	[3]	CLOSURE  	2 0	; function #1
	4	[3]	CALL     	1 2 1
	5	[4]	TEST     	0 0
	6	[4]	JMP      	1 -6	; to 1
	7	[4]	JMP      	1 0	; to 8
	8	[4]	RETURN   	0 1
function #1 <gold:3,3> (3 instructions)
0 params, 2 slots, 1 upvalue, 0 locals, 0 constants, 0 functions
	1	[3]	GETUPVAL 	0 0	; x
	2	[3]	RETURN   	0 2
	3	[3]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_method_calls_self() {
    check(
        r#"local obj = {}
function obj:m(a) return self, a end
obj:m(1)
local s = ("x"):rep(3)
return obj.m(obj, 2)"#,
        r#"main <gold:0,0> (16 instructions)
0+ params, 5 slots, 1 upvalue, 2 locals, 6 constants, 1 function
	1	[1]	NEWTABLE 	0 0 0
	2	[2]	CLOSURE  	1 0	; function #1
	3	[2]	SETTABLE 	0 -1 1	; "m" -
	4	[3]	SELF     	1 0 -1	; "m"
	5	[3]	LOADK    	3 -2	; 1
	6	[3]	CALL     	1 3 1
	7	[4]	LOADK    	1 -3	; "x"
	8	[4]	SELF     	1 1 -4	; "rep"
	9	[4]	LOADK    	3 -5	; 3
	10	[4]	CALL     	1 3 2
	11	[5]	GETTABLE 	2 0 -1	; "m"
	12	[5]	MOVE     	3 0
	13	[5]	LOADK    	4 -6	; 2
	14	[5]	TAILCALL 	2 3 0
	15	[5]	RETURN   	2 0
	16	[5]	RETURN   	0 1
function #1 <gold:2,2> (4 instructions)
2 params, 4 slots, 0 upvalues, 2 locals, 0 constants, 0 functions
	1	[2]	MOVE     	2 0
	2	[2]	MOVE     	3 1
	3	[2]	RETURN   	2 3
	4	[2]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_function_statements() {
    check(
        r#"function a.b.c.d(x) return x end
function a.b:e() end
local function g() return g end"#,
        r#"main <gold:0,0> (11 instructions)
0+ params, 2 slots, 1 upvalue, 1 local, 5 constants, 3 functions
	1	[1]	GETTABUP 	0 0 -1	; _ENV "a"
	2	[1]	GETTABLE 	0 0 -2	; "b"
	3	[1]	GETTABLE 	0 0 -3	; "c"
	4	[1]	CLOSURE  	1 0	; function #1
	5	[1]	SETTABLE 	0 -4 1	; "d" -
	6	[2]	GETTABUP 	0 0 -1	; _ENV "a"
	7	[2]	GETTABLE 	0 0 -2	; "b"
	8	[2]	CLOSURE  	1 1	; function #2
	9	[2]	SETTABLE 	0 -5 1	; "e" -
	10	[3]	CLOSURE  	0 2	; function #3
	11	[3]	RETURN   	0 1
function #1 <gold:1,1> (2 instructions)
1 param, 2 slots, 0 upvalues, 1 local, 0 constants, 0 functions
	1	[1]	RETURN   	0 2
	2	[1]	RETURN   	0 1
function #2 <gold:2,2> (1 instruction)
1 param, 2 slots, 0 upvalues, 1 local, 0 constants, 0 functions
	1	[2]	RETURN   	0 1
function #3 <gold:3,3> (3 instructions)
0 params, 2 slots, 1 upvalue, 0 locals, 0 constants, 0 functions
	1	[3]	GETUPVAL 	0 0	; g
	2	[3]	RETURN   	0 2
	3	[3]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_calls_multret_tailcall_varargs() {
    check(
        r#"local function f(...)
  local a, b = ...
  print(...)
  return f(a, ...)
end
return (f(1)), f(2), g()"#,
        r#"main <gold:0,0> (11 instructions)
0+ params, 4 slots, 1 upvalue, 1 local, 3 constants, 1 function
	1	[5]	CLOSURE  	0 0	; function #1
	2	[6]	MOVE     	1 0
	3	[6]	LOADK    	2 -1	; 1
	4	[6]	CALL     	1 2 2
	5	[6]	MOVE     	2 0
	6	[6]	LOADK    	3 -2	; 2
	7	[6]	CALL     	2 2 2
	8	[6]	GETTABUP 	3 0 -3	; _ENV "g"
	9	[6]	CALL     	3 1 0
	10	[6]	RETURN   	1 0
	11	[6]	RETURN   	0 1
function #1 <gold:1,5> (10 instructions)
0+ params, 5 slots, 2 upvalues, 2 locals, 1 constant, 0 functions
	1	[2]	VARARG   	0 3
	2	[3]	GETTABUP 	2 0 -1	; _ENV "print"
	3	[3]	VARARG   	3 0
	4	[3]	CALL     	2 0 1
	5	[4]	GETUPVAL 	2 1	; f
	6	[4]	MOVE     	3 0
	7	[4]	VARARG   	4 0
	8	[4]	TAILCALL 	2 0 0
	9	[4]	RETURN   	2 0
	10	[5]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_return_variants() {
    check(
        r#"local a = ...
if a then return end
if a == 1 then return a end
if a == 2 then return a, 2 end
return ..."#,
        r#"main <gold:0,0> (15 instructions)
0+ params, 3 slots, 1 upvalue, 1 local, 2 constants, 0 functions
	1	[1]	VARARG   	0 2
	2	[2]	TEST     	0 0
	3	[2]	JMP      	0 1	; to 5
	4	[2]	RETURN   	0 1
	5	[3]	EQ       	0 0 -1	; - 1
	6	[3]	JMP      	0 1	; to 8
	7	[3]	RETURN   	0 2
	8	[4]	EQ       	0 0 -2	; - 2
	9	[4]	JMP      	0 3	; to 13
	10	[4]	MOVE     	1 0
	11	[4]	LOADK    	2 -2	; 2
	12	[4]	RETURN   	1 3
	13	[5]	VARARG   	1 0
	14	[5]	RETURN   	1 0
	15	[5]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_table_constructors() {
    check(
        r#"local t = {1, 2, 3, x = 1, ["y"] = 2, [3] = 4; f(), ...}
local u = {f()}
local v = {x = {}, {}}"#,
        r#"main <gold:0,0> (21 instructions)
0+ params, 6 slots, 1 upvalue, 3 locals, 7 constants, 0 functions
	1	[1]	NEWTABLE 	0 4 3
	2	[1]	LOADK    	1 -1	; 1
	3	[1]	LOADK    	2 -2	; 2
	4	[1]	LOADK    	3 -3	; 3
	5	[1]	SETTABLE 	0 -4 -1	; "x" 1
	6	[1]	SETTABLE 	0 -5 -2	; "y" 2
	7	[1]	SETTABLE 	0 -3 -6	; 3 4
	8	[1]	GETTABUP 	4 0 -7	; _ENV "f"
	9	[1]	CALL     	4 1 2
	10	[1]	VARARG   	5 0
	11	[1]	SETLIST  	0 0 1
	12	[2]	NEWTABLE 	1 0 0
	13	[2]	GETTABUP 	2 0 -7	; _ENV "f"
	14	[2]	CALL     	2 1 0
	15	[2]	SETLIST  	1 0 1
	16	[3]	NEWTABLE 	2 1 1
	17	[3]	NEWTABLE 	3 0 0
	18	[3]	SETTABLE 	2 -4 3	; "x" -
	19	[3]	NEWTABLE 	3 0 0
	20	[3]	SETLIST  	2 1 1
	21	[3]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_setlist_flushes() {
    check(
        r#"local t = {1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90,91,92,93,94,95,96,97,98,99,100,101,102,103,104,105,106,107,108,109,110,111,112,113,114,115,116,117,118,119,120}"#,
        r#"main <gold:0,0> (125 instructions)
0+ params, 51 slots, 1 upvalue, 1 local, 120 constants, 0 functions
	1	[1]	NEWTABLE 	0 39 0
	2	[1]	LOADK    	1 -1	; 1
	3	[1]	LOADK    	2 -2	; 2
	4	[1]	LOADK    	3 -3	; 3
	5	[1]	LOADK    	4 -4	; 4
	6	[1]	LOADK    	5 -5	; 5
	7	[1]	LOADK    	6 -6	; 6
	8	[1]	LOADK    	7 -7	; 7
	9	[1]	LOADK    	8 -8	; 8
	10	[1]	LOADK    	9 -9	; 9
	11	[1]	LOADK    	10 -10	; 10
	12	[1]	LOADK    	11 -11	; 11
	13	[1]	LOADK    	12 -12	; 12
	14	[1]	LOADK    	13 -13	; 13
	15	[1]	LOADK    	14 -14	; 14
	16	[1]	LOADK    	15 -15	; 15
	17	[1]	LOADK    	16 -16	; 16
	18	[1]	LOADK    	17 -17	; 17
	19	[1]	LOADK    	18 -18	; 18
	20	[1]	LOADK    	19 -19	; 19
	21	[1]	LOADK    	20 -20	; 20
	22	[1]	LOADK    	21 -21	; 21
	23	[1]	LOADK    	22 -22	; 22
	24	[1]	LOADK    	23 -23	; 23
	25	[1]	LOADK    	24 -24	; 24
	26	[1]	LOADK    	25 -25	; 25
	27	[1]	LOADK    	26 -26	; 26
	28	[1]	LOADK    	27 -27	; 27
	29	[1]	LOADK    	28 -28	; 28
	30	[1]	LOADK    	29 -29	; 29
	31	[1]	LOADK    	30 -30	; 30
	32	[1]	LOADK    	31 -31	; 31
	33	[1]	LOADK    	32 -32	; 32
	34	[1]	LOADK    	33 -33	; 33
	35	[1]	LOADK    	34 -34	; 34
	36	[1]	LOADK    	35 -35	; 35
	37	[1]	LOADK    	36 -36	; 36
	38	[1]	LOADK    	37 -37	; 37
	39	[1]	LOADK    	38 -38	; 38
	40	[1]	LOADK    	39 -39	; 39
	41	[1]	LOADK    	40 -40	; 40
	42	[1]	LOADK    	41 -41	; 41
	43	[1]	LOADK    	42 -42	; 42
	44	[1]	LOADK    	43 -43	; 43
	45	[1]	LOADK    	44 -44	; 44
	46	[1]	LOADK    	45 -45	; 45
	47	[1]	LOADK    	46 -46	; 46
	48	[1]	LOADK    	47 -47	; 47
	49	[1]	LOADK    	48 -48	; 48
	50	[1]	LOADK    	49 -49	; 49
	51	[1]	LOADK    	50 -50	; 50
	52	[1]	SETLIST  	0 50 1
	53	[1]	LOADK    	1 -51	; 51
	54	[1]	LOADK    	2 -52	; 52
	55	[1]	LOADK    	3 -53	; 53
	56	[1]	LOADK    	4 -54	; 54
	57	[1]	LOADK    	5 -55	; 55
	58	[1]	LOADK    	6 -56	; 56
	59	[1]	LOADK    	7 -57	; 57
	60	[1]	LOADK    	8 -58	; 58
	61	[1]	LOADK    	9 -59	; 59
	62	[1]	LOADK    	10 -60	; 60
	63	[1]	LOADK    	11 -61	; 61
	64	[1]	LOADK    	12 -62	; 62
	65	[1]	LOADK    	13 -63	; 63
	66	[1]	LOADK    	14 -64	; 64
	67	[1]	LOADK    	15 -65	; 65
	68	[1]	LOADK    	16 -66	; 66
	69	[1]	LOADK    	17 -67	; 67
	70	[1]	LOADK    	18 -68	; 68
	71	[1]	LOADK    	19 -69	; 69
	72	[1]	LOADK    	20 -70	; 70
	73	[1]	LOADK    	21 -71	; 71
	74	[1]	LOADK    	22 -72	; 72
	75	[1]	LOADK    	23 -73	; 73
	76	[1]	LOADK    	24 -74	; 74
	77	[1]	LOADK    	25 -75	; 75
	78	[1]	LOADK    	26 -76	; 76
	79	[1]	LOADK    	27 -77	; 77
	80	[1]	LOADK    	28 -78	; 78
	81	[1]	LOADK    	29 -79	; 79
	82	[1]	LOADK    	30 -80	; 80
	83	[1]	LOADK    	31 -81	; 81
	84	[1]	LOADK    	32 -82	; 82
	85	[1]	LOADK    	33 -83	; 83
	86	[1]	LOADK    	34 -84	; 84
	87	[1]	LOADK    	35 -85	; 85
	88	[1]	LOADK    	36 -86	; 86
	89	[1]	LOADK    	37 -87	; 87
	90	[1]	LOADK    	38 -88	; 88
	91	[1]	LOADK    	39 -89	; 89
	92	[1]	LOADK    	40 -90	; 90
	93	[1]	LOADK    	41 -91	; 91
	94	[1]	LOADK    	42 -92	; 92
	95	[1]	LOADK    	43 -93	; 93
	96	[1]	LOADK    	44 -94	; 94
	97	[1]	LOADK    	45 -95	; 95
	98	[1]	LOADK    	46 -96	; 96
	99	[1]	LOADK    	47 -97	; 97
	100	[1]	LOADK    	48 -98	; 98
	101	[1]	LOADK    	49 -99	; 99
	102	[1]	LOADK    	50 -100	; 100
	103	[1]	SETLIST  	0 50 2
	104	[1]	LOADK    	1 -101	; 101
	105	[1]	LOADK    	2 -102	; 102
	106	[1]	LOADK    	3 -103	; 103
	107	[1]	LOADK    	4 -104	; 104
	108	[1]	LOADK    	5 -105	; 105
	109	[1]	LOADK    	6 -106	; 106
	110	[1]	LOADK    	7 -107	; 107
	111	[1]	LOADK    	8 -108	; 108
	112	[1]	LOADK    	9 -109	; 109
	113	[1]	LOADK    	10 -110	; 110
	114	[1]	LOADK    	11 -111	; 111
	115	[1]	LOADK    	12 -112	; 112
	116	[1]	LOADK    	13 -113	; 113
	117	[1]	LOADK    	14 -114	; 114
	118	[1]	LOADK    	15 -115	; 115
	119	[1]	LOADK    	16 -116	; 116
	120	[1]	LOADK    	17 -117	; 117
	121	[1]	LOADK    	18 -118	; 118
	122	[1]	LOADK    	19 -119	; 119
	123	[1]	LOADK    	20 -120	; 120
	124	[1]	SETLIST  	0 20 3
	125	[1]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_multiple_assignment_conflicts() {
    check(
        r#"local a, b, i = 1, 2, 3
a, b = b, a
a, a[i] = 2, 3
i, a[i] = i + 1, 20
x, y, z = 1"#,
        r#"main <gold:0,0> (18 instructions)
0+ params, 6 slots, 1 upvalue, 3 locals, 7 constants, 0 functions
	1	[1]	LOADK    	0 -1	; 1
	2	[1]	LOADK    	1 -2	; 2
	3	[1]	LOADK    	2 -3	; 3
	4	[2]	MOVE     	3 1
	5	[2]	MOVE     	1 0
	6	[2]	MOVE     	0 3
	7	[3]	LOADK    	3 -2	; 2
	8	[3]	SETTABLE 	0 2 -3	; - 3
	9	[3]	MOVE     	0 3
	10	[4]	ADD      	3 2 -1	; - 1
	11	[4]	SETTABLE 	0 2 -4	; - 20
	12	[4]	MOVE     	2 3
	13	[5]	LOADK    	3 -1	; 1
	14	[5]	LOADNIL  	4 1
	15	[5]	SETTABUP 	0 -7 5	; _ENV "z" -
	16	[5]	SETTABUP 	0 -6 4	; _ENV "y" -
	17	[5]	SETTABUP 	0 -5 3	; _ENV "x" -
	18	[5]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_upvalue_assignment_conflicts() {
    check(
        r#"local t, k
function f() t, t.x = 1, 2; k, t[k] = 3, 4 end"#,
        r#"main <gold:0,0> (4 instructions)
0+ params, 3 slots, 1 upvalue, 2 locals, 1 constant, 1 function
	1	[1]	LOADNIL  	0 1
	2	[2]	CLOSURE  	2 0	; function #1
	3	[2]	SETTABUP 	0 -1 2	; _ENV "f" -
	4	[2]	RETURN   	0 1
function #1 <gold:2,2> (8 instructions)
0 params, 2 slots, 2 upvalues, 0 locals, 5 constants, 0 functions
	1	[2]	LOADK    	0 -2	; 1
	2	[2]	SETTABUP 	0 -1 -3	; t "x" 2
	3	[2]	SETUPVAL 	0 0	; t
	4	[2]	GETUPVAL 	0 1	; k
	5	[2]	LOADK    	1 -4	; 3
	6	[2]	SETTABUP 	0 0 -5	; t - 4
	7	[2]	SETUPVAL 	1 1	; k
	8	[2]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_goto_continue_and_forward() {
    check(
        r#"for i = 1, 3 do
  for j = 1, 3 do
    if j == 2 then goto continue end
    print(i, j)
    ::continue::
  end
end
do goto done end
print("skipped")
::done::"#,
        r#"main <gold:0,0> (21 instructions)
0+ params, 11 slots, 1 upvalue, 8 locals, 5 constants, 0 functions
	1	[1]	LOADK    	0 -1	; 1
	2	[1]	LOADK    	1 -2	; 3
	3	[1]	LOADK    	2 -1	; 1
	4	[1]	FORPREP  	0 11	; to 16
	5	[2]	LOADK    	4 -1	; 1
	6	[2]	LOADK    	5 -2	; 3
	7	[2]	LOADK    	6 -1	; 1
	8	[2]	FORPREP  	4 6	; to 15
	9	[3]	EQ       	1 7 -3	; - 2
	10	[3]	JMP      	0 4	; to 15
	11	[4]	GETTABUP 	8 0 -4	; _ENV "print"
	12	[4]	MOVE     	9 3
	13	[4]	MOVE     	10 7
	14	[4]	CALL     	8 3 1
	15	[2]	FORLOOP  	4 -7	; to 9
	16	[1]	FORLOOP  	0 -12	; to 5
	17	[8]	JMP      	0 3	; to 21
	18	[9]	GETTABUP 	0 0 -4	; _ENV "print"
	19	[9]	LOADK    	1 -5	; "skipped"
	20	[9]	CALL     	0 2 1
	21	[10]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_backward_goto_closes() {
    check(
        r#"do
  local x = 0
  ::top::
  local y = x
  f(function() return y end)
  x = x + 1
  if x < 3 then goto top end
end"#,
        r#"main <gold:0,0> (10 instructions)
0+ params, 4 slots, 1 upvalue, 2 locals, 4 constants, 1 function
	1	[2]	LOADK    	0 -1	; 0
	2	[4]	MOVE     	1 0
	3	[5]	GETTABUP 	2 0 -2	; _ENV "f"
	4	[5]	CLOSURE  	3 0	; function #1
	5	[5]	CALL     	2 2 1
	6	[6]	ADD      	0 0 -3	; - 1
	7	[7]	LT       	1 0 -4	; - 3
	8	[7]	JMP      	2 -7	; to 2
	9	[7]	JMP      	1 0	; to 10
	10	[8]	RETURN   	0 1
function #1 <gold:5,5> (3 instructions)
0 params, 2 slots, 1 upvalue, 0 locals, 0 constants, 0 functions
	1	[5]	GETUPVAL 	0 0	; y
	2	[5]	RETURN   	0 2
	3	[5]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_local_env_and_globals() {
    check(
        r#"local print = print
x = 1
do
  local _ENV = {y = 2}
  z = y
end
return function() return x end"#,
        r#"main <gold:0,0> (9 instructions)
0+ params, 3 slots, 1 upvalue, 2 locals, 6 constants, 1 function
	1	[1]	GETTABUP 	0 0 -1	; _ENV "print"
	2	[2]	SETTABUP 	0 -2 -3	; _ENV "x" 1
	3	[4]	NEWTABLE 	1 0 1
	4	[4]	SETTABLE 	1 -4 -5	; "y" 2
	5	[5]	GETTABLE 	2 1 -4	; "y"
	6	[5]	SETTABLE 	1 -6 2	; "z" -
	7	[7]	CLOSURE  	1 0	; function #1
	8	[7]	RETURN   	1 2
	9	[7]	RETURN   	0 1
function #1 <gold:7,7> (3 instructions)
0 params, 2 slots, 1 upvalue, 0 locals, 1 constant, 0 functions
	1	[7]	GETTABUP 	0 0 -1	; _ENV "x"
	2	[7]	RETURN   	0 2
	3	[7]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_upvalues_through_levels() {
    check(
        r#"local a = 1
function f()
  return function()
    return function() return a, b end
  end
end"#,
        r#"main <gold:0,0> (4 instructions)
0+ params, 2 slots, 1 upvalue, 1 local, 2 constants, 1 function
	1	[1]	LOADK    	0 -1	; 1
	2	[6]	CLOSURE  	1 0	; function #1
	3	[2]	SETTABUP 	0 -2 1	; _ENV "f" -
	4	[6]	RETURN   	0 1
function #1 <gold:2,6> (3 instructions)
0 params, 2 slots, 2 upvalues, 0 locals, 0 constants, 1 function
	1	[5]	CLOSURE  	0 0	; function #1.1
	2	[5]	RETURN   	0 2
	3	[6]	RETURN   	0 1
function #1.1 <gold:3,5> (3 instructions)
0 params, 2 slots, 2 upvalues, 0 locals, 0 constants, 1 function
	1	[4]	CLOSURE  	0 0	; function #1.1.1
	2	[4]	RETURN   	0 2
	3	[5]	RETURN   	0 1
function #1.1.1 <gold:4,4> (4 instructions)
0 params, 2 slots, 2 upvalues, 0 locals, 1 constant, 0 functions
	1	[4]	GETUPVAL 	0 0	; a
	2	[4]	GETTABUP 	1 1 -1	; _ENV "b"
	3	[4]	RETURN   	0 3
	4	[4]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_concat_chains() {
    check(
        r#"local a, b, c = ...
local s = a .. b .. c .. "x"
local t = (a .. b) .. c
return s, t"#,
        r#"main <gold:0,0> (15 instructions)
0+ params, 7 slots, 1 upvalue, 5 locals, 1 constant, 0 functions
	1	[1]	VARARG   	0 4
	2	[2]	MOVE     	3 0
	3	[2]	MOVE     	4 1
	4	[2]	MOVE     	5 2
	5	[2]	LOADK    	6 -1	; "x"
	6	[2]	CONCAT   	3 3 6
	7	[3]	MOVE     	4 0
	8	[3]	MOVE     	5 1
	9	[3]	CONCAT   	4 4 5
	10	[3]	MOVE     	5 2
	11	[3]	CONCAT   	4 4 5
	12	[4]	MOVE     	5 3
	13	[4]	MOVE     	6 4
	14	[4]	RETURN   	5 3
	15	[4]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_string_escapes_and_indexing() {
    check(
        r#"local t = {}
t["a\nb"] = "\"q\"\0"
t.x.y = t[1][2]
return t.x, t[t]"#,
        r#"main <gold:0,0> (10 instructions)
0+ params, 3 slots, 1 upvalue, 1 local, 6 constants, 0 functions
	1	[1]	NEWTABLE 	0 0 0
	2	[2]	SETTABLE 	0 -1 -2	; "a\nb" "\"q\"\000"
	3	[3]	GETTABLE 	1 0 -3	; "x"
	4	[3]	GETTABLE 	2 0 -5	; 1
	5	[3]	GETTABLE 	2 2 -6	; 2
	6	[3]	SETTABLE 	1 -4 2	; "y" -
	7	[4]	GETTABLE 	1 0 -3	; "x"
	8	[4]	GETTABLE 	2 0 0
	9	[4]	RETURN   	1 3
	10	[4]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_loadnil_merging_and_adjust() {
    check(
        r#"local a, b, c
local d
local e, f = ...
local g, h, i = 1
return a, b"#,
        r#"main <gold:0,0> (8 instructions)
0+ params, 11 slots, 1 upvalue, 9 locals, 1 constant, 0 functions
	1	[1]	LOADNIL  	0 3
	2	[3]	VARARG   	4 3
	3	[4]	LOADK    	6 -1	; 1
	4	[4]	LOADNIL  	7 1
	5	[5]	MOVE     	9 0
	6	[5]	MOVE     	10 1
	7	[5]	RETURN   	9 3
	8	[5]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_unary_minus() {
    check(
        r#"local a = ...
return -a, - -a, -(a + 1), 3 - -2, a * -1"#,
        r#"main <gold:0,0> (10 instructions)
0+ params, 6 slots, 1 upvalue, 1 local, 3 constants, 0 functions
	1	[1]	VARARG   	0 2
	2	[2]	UNM      	1 0
	3	[2]	UNM      	2 0
	4	[2]	UNM      	2 2
	5	[2]	ADD      	3 0 -1	; - 1
	6	[2]	UNM      	3 3
	7	[2]	LOADK    	4 -2	; 5
	8	[2]	MUL      	5 0 -3	; - -1
	9	[2]	RETURN   	1 6
	10	[2]	RETURN   	0 1
"#,
    );
}

#[test]
fn golden_loop_conditions() {
    check(
        r#"local a, b = ...
while a and (b or a > 1) do a = a - 1 end
repeat a = a + 1 until not a or a >= 10"#,
        r#"main <gold:0,0> (15 instructions)
0+ params, 2 slots, 1 upvalue, 2 locals, 2 constants, 0 functions
	1	[1]	VARARG   	0 3
	2	[2]	TEST     	0 0
	3	[2]	JMP      	0 6	; to 10
	4	[2]	TEST     	1 1
	5	[2]	JMP      	0 2	; to 8
	6	[2]	LT       	0 -1 0	; 1 -
	7	[2]	JMP      	0 2	; to 10
	8	[2]	SUB      	0 0 -1	; - 1
	9	[2]	JMP      	0 -8	; to 2
	10	[3]	ADD      	0 0 -1	; - 1
	11	[3]	TEST     	0 0
	12	[3]	JMP      	0 2	; to 15
	13	[3]	LE       	0 -2 0	; 10 -
	14	[3]	JMP      	0 -5	; to 10
	15	[3]	RETURN   	0 1
"#,
    );
}

// ---------------------------------------------------------------------------
// Deliberate deviation from PUC
// ---------------------------------------------------------------------------

/// PUC 5.2 merges `local b`'s LOADNIL into `local a`'s across the label, so
/// jumping back to `l` does not reset `b` to nil (prints 1 on the second
/// round). Labels are jump targets here: `b` gets its own LOADNIL.
#[test]
fn label_blocks_loadnil_merging() {
    check(
        "local a ::l:: local b print(b) b = 1 goto l",
        r#"main <gold:0,0> (8 instructions)
0+ params, 4 slots, 1 upvalue, 2 locals, 2 constants, 0 functions
	1	[1]	LOADNIL  	0 0
	2	[1]	LOADNIL  	1 0
	3	[1]	GETTABUP 	2 0 -1	; _ENV "print"
	4	[1]	MOVE     	3 1
	5	[1]	CALL     	2 2 1
	6	[1]	LOADK    	1 -2	; 1
	7	[1]	JMP      	2 -6	; to 2
	8	[1]	RETURN   	0 1
"#,
    );
}

// ---------------------------------------------------------------------------
// Constants, debug information, prototypes
// ---------------------------------------------------------------------------

#[test]
fn constants_keep_zero_signs_and_fold_nan() {
    let p = compile("local a, b, c, d = 0, -0, 0.0, 1e308 * 10 - 1e308 * 10");
    assert_eq!(p.constants.len(), 3);
    assert!(matches!(p.constants[0], Constant::Number(n) if n == 0.0 && n.is_sign_positive()));
    assert!(matches!(p.constants[1], Constant::Number(n) if n == 0.0 && n.is_sign_negative()));
    assert!(matches!(p.constants[2], Constant::Number(n) if n.is_nan()));
    // Division and modulo by zero are left to run time.
    let p = compile("return 1/0, 1%0, 0/0");
    assert_eq!(ops(&p)[..3], [OpCode::Div, OpCode::Mod, OpCode::Div]);
}

#[test]
fn strings_and_numbers_are_distinct_constants() {
    // PUC keys 0 by its raw bytes, which can collide with an 8-byte string.
    let p = compile("local a, b = 0, '\\0\\0\\0\\0\\0\\0\\0\\0'");
    assert_eq!(p.constants.len(), 2);
    assert!(matches!(&p.constants[1], Constant::String(s) if s.len() == 8));
}

#[test]
fn local_debug_info_matches_luac() {
    let src = "local s = 0
for i = 1, 3 do local x = i; s = s + x end
for k, v in pairs({}) do s = s + 1 end
local function f(a, b, ...) local c = a end
";
    let p = compile(src);
    let listing = disassemble_detailed(&p, true);
    let locals: String = listing.lines().skip_while(|l| !l.starts_with("locals (12)")).take(13).collect::<Vec<_>>().join("\n");
    assert_eq!(
        locals,
        "locals (12):
\t0\ts\t2\t18
\t1\t(for index)\t5\t9
\t2\t(for limit)\t5\t9
\t3\t(for step)\t5\t9
\t4\ti\t6\t8
\t5\tx\t7\t8
\t6\t(for generator)\t12\t16
\t7\t(for state)\t12\t16
\t8\t(for control)\t12\t16
\t9\tk\t13\t14
\t10\tv\t13\t14
\t11\tf\t17\t18"
    );
    let f = &p.protos[0];
    assert_eq!((f.num_params, f.is_vararg, f.line_defined, f.last_line_defined), (2, true, 4, 4));
    let names: Vec<_> = f.loc_vars.iter().map(|v| (&*v.name, v.start_pc, v.end_pc)).collect();
    assert_eq!(names, [("a", 0, 2), ("b", 0, 2), ("c", 1, 2)]);
    assert!(p.is_vararg && p.num_params == 0 && p.line_defined == 0);
}

#[test]
fn upvalue_descriptors() {
    let p = compile("local a, b = 1, 2\nfunction f() return function() return a, b, x end end");
    let main_up = &p.upvalues[0];
    assert_eq!((main_up.name.as_deref(), main_up.in_stack, main_up.index), (Some("_ENV"), true, 0));
    let f = &p.protos[0];
    let g = &f.protos[0];
    let desc = |p: &Proto| p.upvalues.iter().map(|u| (u.name.as_deref().unwrap().to_owned(), u.in_stack, u.index)).collect::<Vec<_>>();
    assert_eq!(desc(f), [("a".into(), true, 0), ("b".into(), true, 1), ("_ENV".into(), false, 0)]);
    assert_eq!(desc(g), [("a".into(), false, 0), ("b".into(), false, 1), ("_ENV".into(), false, 2)]);
}

#[test]
fn large_constant_tables_use_loadkx_and_setlist_extraarg() {
    // 262,150 numeric constants push the string past Bx's range, and the
    // list needs SETLIST batches beyond C's range.
    let n = 262_150;
    let mut src = String::from("local t = {");
    for i in 1..=n {
        src.push_str(&i.to_string());
        src.push(',');
    }
    src.push_str("}\nlocal s = 'after'");
    let p = compile(&src);
    let code = ops(&p);
    let kx = code.iter().rposition(|&o| o == OpCode::LoadKx).expect("LOADKX");
    assert_eq!(code[kx + 1], OpCode::ExtraArg);
    assert_eq!(p.code[kx + 1].ax_arg() as usize, n);
    assert!(matches!(&p.constants[n], Constant::String(s) if &s[..] == b"after"));
    let big_setlist = p.code.iter().position(|i| i.op() == Some(OpCode::SetList) && i.c() == 0).expect("SETLIST C=0");
    assert_eq!(p.code[big_setlist + 1].ax_arg(), 512);
    // RK operands fall back to registers for constants past 255.
    let items = (0..300).map(|i| format!("'s{i}'")).collect::<Vec<_>>().join(",");
    let p = compile(&format!("local t = {{{items}}}\nreturn t + 0.5"));
    let n = p.code.len();
    assert_eq!(ops(&p)[n - 4..], [OpCode::LoadK, OpCode::Add, OpCode::Return, OpCode::Return]);
    assert_eq!(p.code[n - 4].bx(), 300);
    assert!(!oxilua::opcodes::is_k(p.code[n - 3].c()));
}

// ---------------------------------------------------------------------------
// Errors (messages exactly as lua5.2 prints them)
// ---------------------------------------------------------------------------

#[test]
fn goto_errors() {
    assert_eq!(err("goto x"), r#"[string "goto x"]:1: no visible label 'x' for <goto> at line 1"#);
    assert_eq!(err("goto x\nprint(1)\n\n"), r#"[string "goto x..."]:4: no visible label 'x' for <goto> at line 1"#);
    assert_eq!(
        err("local function f()\ngoto x\nprint(1)\nend\n\nprint(2)"),
        r#"[string "local function f()..."]:6: no visible label 'x' for <goto> at line 2"#
    );
    assert_eq!(
        err("do\n goto x\n local a\n ::x::\n print(a)\n end"),
        r#"[string "do..."]:5: <goto x> at line 2 jumps into the scope of local 'a'"#
    );
    assert_eq!(
        err("repeat goto x; local a; ::x:: until a"),
        r#"[string "repeat goto x; local a; ::x:: until a"]:1: <goto x> at line 1 jumps into the scope of local 'a'"#
    );
    assert_eq!(
        err("goto l; local x; ::l:: ::m:: return"),
        r#"[string "goto l; local x; ::l:: ::m:: return"]:1: <goto l> at line 1 jumps into the scope of local 'x'"#
    );
    assert_eq!(
        err("if a then goto l end local z ::l:: z = 1"),
        r#"[string "if a then goto l end local z ::l:: z = 1"]:1: <goto l> at line 1 jumps into the scope of local 'z'"#
    );
    assert_eq!(err("do\n ::x::\n\n ::x:: end"), r#"[string "do..."]:4: label 'x' already defined on line 2"#);
    assert_eq!(err("::x:: ::y:: ::x::"), r#"[string "::x:: ::y:: ::x::"]:1: label 'x' already defined on line 1"#);
    assert_eq!(err("break"), r#"[string "break"]:1: <break> at line 1 not inside a loop"#);
    assert_eq!(err("if x then break end"), r#"[string "if x then break end"]:1: <break> at line 1 not inside a loop"#);
    assert_eq!(err("while true do end break"), r#"[string "while true do end break"]:1: <break> at line 1 not inside a loop"#);
    assert_eq!(err("if a then break; ::m:: end"), r#"[string "if a then break; ::m:: end"]:1: <break> at line 1 not inside a loop"#);
    assert_eq!(
        err("function f() goto l end ::l::"),
        r#"[string "function f() goto l end ::l::"]:1: no visible label 'l' for <goto> at line 1"#
    );
    assert_eq!(err("goto a; goto b"), r#"[string "goto a; goto b"]:1: no visible label 'a' for <goto> at line 1"#);
}

#[test]
fn goto_accepted() {
    // A label at the end of a block is outside the scope of its locals.
    ok("do goto x; local a; ::x:: end");
    ok("do goto x; local a; ::x:: ::y:: end");
    ok("goto l; local x; ::l:: ::m::");
    ok("while x do goto continue; local y = 1; ::continue:: end");
    // Labels in nested blocks may reuse names; backward gotos leave scopes.
    ok("::x:: do ::x:: end");
    ok("local x ::l:: goto l");
    ok("do local a goto l end ::l::");
    ok("for i = 1, 10 do if i then break; ::m:: else end end");
    ok("repeat local y ::continue:: until y");
    ok("if a then goto l; ::m:: end ::l::");
}

#[test]
fn local_variable_limit() {
    let many = "local a;".repeat(300);
    assert_eq!(
        err(&many),
        r#"[string "local a;local a;local a;local a;local a;local..."]:1: too many local variables (limit is 200) in main function"#
    );
    let list = format!("local {}", (1..=300).map(|i| format!("a{i}")).collect::<Vec<_>>().join(","));
    assert_eq!(
        err(&list),
        r#"[string "local a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12,..."]:1: too many local variables (limit is 200) in main function near ','"#
    );
    let params = format!("local function f({}) end", (1..=210).map(|i| format!("p{i}")).collect::<Vec<_>>().join(","));
    assert_eq!(
        err(&params),
        r#"[string "local function f(p1,p2,p3,p4,p5,p6,p7,p8,p9,p..."]:1: too many local variables (limit is 200) in function at line 1 near ','"#
    );
    // 200 are fine, including a for loop's hidden control variables.
    ok(&"local a;".repeat(200));
    ok(&format!("for i=1,2 do {} end", "local a;".repeat(196)));
    assert!(err(&format!("for i=1,2 do {} end", "local a;".repeat(197))).contains("too many local variables (limit is 200)"));
    assert!(err(&format!("for k,v in x do {} end", "local a;".repeat(196))).contains("too many local variables"));
}

#[test]
fn upvalue_limit() {
    // From the reference test suite (errors.lua).
    let lim = 127;
    let mut s = String::from("local function fooA ()\n  local ");
    for j in 1..=lim {
        s += &format!("a{j}, ");
    }
    s += "b,c\nlocal function fooB ()\n  local ";
    for i in 1..=lim {
        s += &format!("b{i}, ");
    }
    s += "b\nfunction fooC () return b+c";
    for j in 1..=lim {
        s += &format!("+a{j}+b{j}");
    }
    s += "\nend  end end";
    let e = err(&s);
    assert!(e.contains("too many upvalues (limit is 255) in function at line 5"), "{e}");
}

#[test]
fn register_limit() {
    let src = format!("return f({})", vec!["x"; 260].join(","));
    assert_eq!(err(&src), r#"[string "return f(x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,..."]:1: function or expression too complex"#);
    let src = format!("local a,b = {}1", "1,".repeat(250));
    assert!(err(&src).ends_with("function or expression too complex"));
    ok(&format!("local a,b = {}1", "1,".repeat(240)));
    ok(&format!("return f({})", vec!["x"; 200].join(",")));
}

// ---------------------------------------------------------------------------
// Deep trees on small stacks
// ---------------------------------------------------------------------------

#[test]
fn long_left_associative_chains() {
    on_small_stack(|| {
        let n = 100_000;
        let p = compile(&format!("return 1{}", "+1".repeat(n)));
        assert!(matches!(p.constants[..], [Constant::Number(x)] if x == (n + 1) as f64));
        compile(&format!("local x = 1 return x{}", "+x".repeat(n)));
        compile(&format!("return a{}", ".b".repeat(n)));
        compile(&format!("return a{}", "[1]".repeat(n)));
        compile(&format!("f{}", "(1)".repeat(n)));
        compile(&format!("a{}", ":m()".repeat(n)));
        // Jumps to the end of very long and/or chains do not fit sBx, as in PUC.
        assert!(err(&format!("return a{}", " or a".repeat(n))).ends_with(":1: control structure too long"));
        compile(&format!("return a{}", " or a".repeat(30_000)));
        compile(&format!("return a{}", " and a".repeat(30_000)));
        compile(&format!("return a{}", " < a".repeat(n)));
        compile(&format!("x = a{}", " .. a".repeat(150)));
        compile(&format!("if a{} then end", " or a and a".repeat(15_000)));
    });
}

#[test]
fn maximal_nesting_fits_small_stack() {
    // The deepest nesting lua5.2 accepts for each form.
    on_small_stack(|| {
        compile(&format!("return {}1{}", "(".repeat(196), ")".repeat(196)));
        compile(&format!("return {}{}", "{".repeat(197), "}".repeat(197)));
        compile(&format!("return {}{}", "f(".repeat(197), ")".repeat(197)));
        compile(&format!("{}{}", "function f() ".repeat(198), "end ".repeat(198)));
        compile(&format!("{}{}", "do ".repeat(198), "end ".repeat(198)));
        compile(&format!("{}{}", "while x do ".repeat(197), "end ".repeat(197)));
        compile(&format!("return {}a", "a .. ".repeat(196)));
        compile(&format!("return {}a", "a ^ ".repeat(196)));
        compile(&format!("return {}a", "not ".repeat(196)));
        compile(&format!("return {}a", "- ".repeat(196)));
        compile(&format!("return {}1{}", "a[".repeat(196), "]".repeat(196)));
        compile(&format!("return {}1{}", "function() return ".repeat(98), " end".repeat(98)));
        compile(&format!("return {}1{}", "{f(".repeat(98), ")}".repeat(98)));
    });
}
