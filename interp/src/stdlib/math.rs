//! The `math` library of Lua 5.2. All numbers are doubles, so `floor`,
//! `ceil`, `modf` and friends return floats.
//!
//! `random` reproduces glibc's `rand()` (the additive feedback generator
//! behind `random()`), which is what PUC 5.2 uses on Linux: with the same
//! `randomseed` the sequences match `lua5.2` there. The generator state is
//! per VM (kept in `vm.app_data` under a private type).

use crate::object::Action;
use crate::value::Value;
use crate::vm::{LResult, Vm};

/// Open the library into `vm` (global and `package.loaded`).
pub fn open(vm: &mut Vm) {
    let t = vm.new_lib(
        "math",
        &[
            ("abs", abs),
            ("acos", acos),
            ("asin", asin),
            ("atan2", atan2),
            ("atan", atan),
            ("ceil", ceil),
            ("cosh", cosh),
            ("cos", cos),
            ("deg", deg),
            ("exp", exp),
            ("floor", floor),
            ("fmod", fmod),
            ("frexp", frexp),
            ("ldexp", ldexp),
            ("log10", log10),
            ("log", log),
            ("max", max),
            ("min", min),
            ("modf", modf),
            ("pow", pow),
            ("rad", rad),
            ("random", random),
            ("randomseed", randomseed),
            ("sinh", sinh),
            ("sin", sin),
            ("sqrt", sqrt),
            ("tanh", tanh),
            ("tan", tan),
        ],
    );
    vm.raw_set_str(t, "pi", Value::Num(std::f64::consts::PI));
    vm.raw_set_str(t, "huge", Value::Num(f64::INFINITY));
}

macro_rules! unary {
    ($($name:ident => $f:expr),* $(,)?) => {
        $(
            fn $name(vm: &mut Vm) -> LResult<Action> {
                let x = vm.check_number(1)?;
                let f: fn(f64) -> f64 = $f;
                vm.ret1(Value::Num(f(x)))
            }
        )*
    };
}

const RADIANS_PER_DEGREE: f64 = std::f64::consts::PI / 180.0;

unary! {
    abs => f64::abs,
    acos => f64::acos,
    asin => f64::asin,
    atan => f64::atan,
    ceil => crate::meta::ceil,
    cos => f64::cos,
    cosh => f64::cosh,
    exp => f64::exp,
    floor => crate::meta::floor,
    log10 => f64::log10,
    sin => f64::sin,
    sinh => f64::sinh,
    sqrt => f64::sqrt,
    tan => f64::tan,
    tanh => f64::tanh,
    deg => |x| x / RADIANS_PER_DEGREE,
    rad => |x| x * RADIANS_PER_DEGREE,
}

fn atan2(vm: &mut Vm) -> LResult<Action> {
    let y = vm.check_number(1)?;
    let x = vm.check_number(2)?;
    vm.ret1(Value::Num(y.atan2(x)))
}

fn fmod(vm: &mut Vm) -> LResult<Action> {
    let a = vm.check_number(1)?;
    let b = vm.check_number(2)?;
    vm.ret1(Value::Num(a % b))
}

fn pow(vm: &mut Vm) -> LResult<Action> {
    let a = vm.check_number(1)?;
    let b = vm.check_number(2)?;
    vm.ret1(Value::Num(a.powf(b)))
}

fn modf(vm: &mut Vm) -> LResult<Action> {
    let x = vm.check_number(1)?;
    let (ip, fp) = if x.is_nan() {
        (x, x)
    } else if x.is_infinite() {
        (x, 0.0f64.copysign(x))
    } else {
        let ip = x.trunc();
        (ip, (x - ip).copysign(x))
    };
    vm.ret(&[Value::Num(ip), Value::Num(fp)])
}

fn log(vm: &mut Vm) -> LResult<Action> {
    let x = vm.check_number(1)?;
    let r = if vm.arg_is_none_or_nil(2) {
        x.ln()
    } else {
        let base = vm.check_number(2)?;
        if base == 10.0 {
            x.log10()
        } else {
            x.ln() / base.ln()
        }
    };
    vm.ret1(Value::Num(r))
}

/// C `frexp`: `x = m * 2^e` with `0.5 <= |m| < 1` (`m = x`, `e = 0` for
/// zero, infinities and NaN).
pub fn frexp_f64(x: f64) -> (f64, i32) {
    let bits = x.to_bits();
    let be = ((bits >> 52) & 0x7ff) as i32;
    if be == 0 {
        if x == 0.0 {
            return (x, 0);
        }
        // subnormal: scale into the normal range first
        let (m, e) = frexp_f64(x * f64::from_bits(0x43f0_0000_0000_0000)); // 2^64
        return (m, e - 64);
    }
    if be == 0x7ff {
        return (x, 0);
    }
    let m = f64::from_bits((bits & 0x800f_ffff_ffff_ffff) | 0x3fe0_0000_0000_0000);
    (m, be - 0x3fe)
}

/// C `ldexp`/`scalbn`: `x * 2^e`, rounded once.
pub fn ldexp_f64(x: f64, mut e: i32) -> f64 {
    let p2 = |k: i32| f64::from_bits(((0x3ff + k) as u64) << 52);
    let mut y = x;
    if e > 1023 {
        y *= p2(1023);
        e -= 1023;
        if e > 1023 {
            y *= p2(1023);
            e -= 1023;
            e = e.min(1023);
        }
    } else if e < -1022 {
        // scale by 2^-1022 * 2^53 so that the final step rounds only once
        let s = p2(-1022) * p2(53);
        y *= s;
        e += 1022 - 53;
        if e < -1022 {
            y *= s;
            e += 1022 - 53;
            e = e.max(-1022);
        }
    }
    y * p2(e)
}

fn frexp(vm: &mut Vm) -> LResult<Action> {
    let x = vm.check_number(1)?;
    let (m, e) = frexp_f64(x);
    vm.ret(&[Value::Num(m), Value::Num(e as f64)])
}

fn ldexp(vm: &mut Vm) -> LResult<Action> {
    let x = vm.check_number(1)?;
    let e = vm.check_integer(2)? as i32;
    vm.ret1(Value::Num(ldexp_f64(x, e)))
}

fn min(vm: &mut Vm) -> LResult<Action> {
    let mut m = vm.check_number(1)?;
    for i in 2..=vm.nargs() {
        let d = vm.check_number(i)?;
        if d < m {
            m = d;
        }
    }
    vm.ret1(Value::Num(m))
}

fn max(vm: &mut Vm) -> LResult<Action> {
    let mut m = vm.check_number(1)?;
    for i in 2..=vm.nargs() {
        let d = vm.check_number(i)?;
        if d > m {
            m = d;
        }
    }
    vm.ret1(Value::Num(m))
}

// ----- random ---------------------------------------------------------------

const RAND_MAX: i32 = 2_147_483_647;

/// glibc's `random_r` TYPE_3 generator: `r[i] = r[i-3] + r[i-31]`.
struct CRand {
    r: [u32; 34],
    /// Index of the oldest value in the circular window of 34.
    pos: usize,
}

impl CRand {
    fn new(seed: u32) -> Self {
        let mut g = CRand { r: [0; 34], pos: 0 };
        g.seed(seed);
        g
    }

    fn seed(&mut self, seed: u32) {
        let mut s = [0i32; 34];
        s[0] = if seed == 0 { 1 } else { seed as i32 };
        for i in 1..31 {
            // 16807 * s mod (2^31 - 1) by Schrage's method, in 32-bit arithmetic
            let w = s[i - 1];
            let hi = w / 127_773;
            let lo = w % 127_773;
            let mut v = 16807i32.wrapping_mul(lo).wrapping_sub(2836i32.wrapping_mul(hi));
            if v < 0 {
                v = v.wrapping_add(2_147_483_647);
            }
            s[i] = v;
        }
        s.copy_within(0..3, 31);
        for (r, &v) in self.r.iter_mut().zip(&s) {
            *r = v as u32;
        }
        self.pos = 0;
        // glibc discards the first 310 outputs
        for _ in 0..310 {
            self.next();
        }
    }

    fn next(&mut self) -> i32 {
        // window holds r[k-34 .. k); new value r[k] = r[k-31] + r[k-3]
        let a = self.r[(self.pos + 3) % 34];
        let b = self.r[(self.pos + 31) % 34];
        let v = a.wrapping_add(b);
        self.r[self.pos] = v;
        self.pos = (self.pos + 1) % 34;
        (v >> 1) as i32
    }
}

fn rng(vm: &mut Vm) -> &mut CRand {
    let e = vm.app_data.entry(std::any::TypeId::of::<CRand>()).or_insert_with(|| Box::new(CRand::new(1)));
    e.downcast_mut::<CRand>().expect("rand state")
}

// `!(a <= b)` is meant: a NaN bound is an empty interval too
#[allow(clippy::neg_cmp_op_on_partial_ord)]
fn random(vm: &mut Vm) -> LResult<Action> {
    let x = rng(vm).next();
    let r = (x % RAND_MAX) as f64 / RAND_MAX as f64;
    let v = match vm.nargs() {
        0 => r,
        1 => {
            let u = vm.check_number(1)?;
            if !(1.0 <= u) {
                return Err(vm.arg_error(1, "interval is empty"));
            }
            (r * u).floor() + 1.0
        }
        2 => {
            let l = vm.check_number(1)?;
            let u = vm.check_number(2)?;
            if !(l <= u) {
                return Err(vm.arg_error(2, "interval is empty"));
            }
            (r * (u - l + 1.0)).floor() + l
        }
        _ => return Err(vm.rt_error("wrong number of arguments")),
    };
    vm.ret1(Value::Num(v))
}

fn randomseed(vm: &mut Vm) -> LResult<Action> {
    let n = vm.check_number(1)?;
    let seed = crate::stdlib::bit32::to_unsigned(n);
    let g = rng(vm);
    g.seed(seed);
    g.next();
    vm.ret0()
}
