//! The `bit32` library of Lua 5.2.
//!
//! Arguments are converted to unsigned 32-bit integers as PUC 5.2 does on
//! x86/x86-64 (its `lua_number2unsigned` IEEE trick): the number plus
//! 2^52 + 2^51, keeping the low 32 bits of the double's representation. That
//! is the number rounded to the nearest integer (ties to even) modulo 2^32
//! for ordinary values; NaN and infinities give 0. Shift and field amounts are
//! C `int`s (truncated, then wrapped to 32 bits).

use crate::object::Action;
use crate::value::Value;
use crate::vm::{LResult, Vm};

/// Open the library into `vm` (global and `package.loaded`).
pub fn open(vm: &mut Vm) {
    vm.new_lib(
        "bit32",
        &[
            ("arshift", arshift),
            ("band", band),
            ("bnot", bnot),
            ("bor", bor),
            ("btest", btest),
            ("bxor", bxor),
            ("extract", extract),
            ("replace", replace),
            ("lrotate", lrotate),
            ("lshift", lshift),
            ("rrotate", rrotate),
            ("rshift", rshift),
        ],
    );
}

const NBITS: i64 = 32;
const ALLONES: u32 = u32::MAX;

/// `lua_tounsigned`'s conversion of a number (see the module comment).
pub fn to_unsigned(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

fn check_u(vm: &mut Vm, i: usize) -> LResult<u32> {
    let n = vm.check_number(i)?;
    Ok(to_unsigned(n))
}

fn check_int(vm: &mut Vm, i: usize) -> LResult<i64> {
    Ok(vm.check_integer(i)? as i32 as i64)
}

fn ret_u(vm: &mut Vm, r: u32) -> LResult<Action> {
    vm.ret1(Value::Num(r as f64))
}

/// Fold all arguments with `op`, starting from `init`.
fn fold(vm: &mut Vm, init: u32, op: fn(u32, u32) -> u32) -> LResult<u32> {
    let mut r = init;
    for i in 1..=vm.nargs() {
        let v = check_u(vm, i)?;
        r = op(r, v);
    }
    Ok(r)
}

fn band(vm: &mut Vm) -> LResult<Action> {
    let r = fold(vm, ALLONES, |a, b| a & b)?;
    ret_u(vm, r)
}

fn bor(vm: &mut Vm) -> LResult<Action> {
    let r = fold(vm, 0, |a, b| a | b)?;
    ret_u(vm, r)
}

fn bxor(vm: &mut Vm) -> LResult<Action> {
    let r = fold(vm, 0, |a, b| a ^ b)?;
    ret_u(vm, r)
}

fn btest(vm: &mut Vm) -> LResult<Action> {
    let r = fold(vm, ALLONES, |a, b| a & b)?;
    vm.ret1(Value::Bool(r != 0))
}

fn bnot(vm: &mut Vm) -> LResult<Action> {
    let r = check_u(vm, 1)?;
    ret_u(vm, !r)
}

/// Logical shift: left for positive `i`, right for negative.
fn shift(r: u32, i: i64) -> u32 {
    if i < 0 {
        if -i >= NBITS {
            0
        } else {
            r >> (-i)
        }
    } else if i >= NBITS {
        0
    } else {
        r << i
    }
}

fn lshift(vm: &mut Vm) -> LResult<Action> {
    let r = check_u(vm, 1)?;
    let i = check_int(vm, 2)?;
    ret_u(vm, shift(r, i))
}

fn rshift(vm: &mut Vm) -> LResult<Action> {
    let r = check_u(vm, 1)?;
    let i = check_int(vm, 2)?;
    ret_u(vm, shift(r, -i))
}

fn arshift(vm: &mut Vm) -> LResult<Action> {
    let r = check_u(vm, 1)?;
    let i = check_int(vm, 2)?;
    if i < 0 || r & 0x8000_0000 == 0 {
        return ret_u(vm, shift(r, -i));
    }
    let v = if i >= NBITS { ALLONES } else { ((r as i32) >> i) as u32 };
    ret_u(vm, v)
}

fn rotate(vm: &mut Vm, left: bool) -> LResult<Action> {
    let r = check_u(vm, 1)?;
    let mut i = check_int(vm, 2)?;
    if !left {
        i = -i;
    }
    let i = (i & (NBITS - 1)) as u32;
    ret_u(vm, r.rotate_left(i))
}

fn lrotate(vm: &mut Vm) -> LResult<Action> {
    rotate(vm, true)
}

fn rrotate(vm: &mut Vm) -> LResult<Action> {
    rotate(vm, false)
}

/// Field position and width arguments starting at `farg`.
fn field_args(vm: &mut Vm, farg: usize) -> LResult<(u32, u32)> {
    let f = check_int(vm, farg)?;
    let w = if vm.arg_is_none_or_nil(farg + 1) { 1 } else { check_int(vm, farg + 1)? };
    if f < 0 {
        return Err(vm.arg_error(farg, "field cannot be negative"));
    }
    if w <= 0 {
        return Err(vm.arg_error(farg + 1, "width must be positive"));
    }
    if f + w > NBITS {
        return Err(vm.rt_error("trying to access non-existent bits"));
    }
    Ok((f as u32, w as u32))
}

fn mask(w: u32) -> u32 {
    if w >= 32 {
        ALLONES
    } else {
        (1u32 << w) - 1
    }
}

fn extract(vm: &mut Vm) -> LResult<Action> {
    let r = check_u(vm, 1)?;
    let (f, w) = field_args(vm, 2)?;
    ret_u(vm, (r >> f) & mask(w))
}

fn replace(vm: &mut Vm) -> LResult<Action> {
    let r = check_u(vm, 1)?;
    let v = check_u(vm, 2)?;
    let (f, w) = field_args(vm, 3)?;
    let m = mask(w);
    let r = (r & !(m << f)) | ((v & m) << f);
    ret_u(vm, r)
}
