//! Number formatting and parsing with the exact behaviour of PUC Lua 5.2.4
//! on glibc/x86-64.
//!
//! This module is self-contained (it uses only `std`) and provides:
//!
//! * [`fmt_g14`]: `printf("%.14g")`, i.e. Lua 5.2's `tostring` of a number;
//! * the conversion engine of `string.format`: [`parse_spec`] parses and
//!   validates one directive and [`format_float`], [`format_int`],
//!   [`format_uint`], [`format_char`], [`format_str`] and [`quote_string`]
//!   render one argument exactly as `string.format` (i.e. glibc `sprintf`)
//!   does;
//! * [`str2number`] (`luaO_str2d`: `tonumber(s)`, the lexer, arithmetic
//!   coercion) and [`str2number_base`] (`tonumber(s, base)`).
//!
//! Floating-point output equals glibc's, which prints exact, correctly
//! rounded (round-half-even on exact ties) decimal expansions.  The digits
//! come from Rust's `{:.*e}` / `{:.*}` formatting, which is exact for any
//! precision and rounds ties to even in the same way.
//!
//! # `string.format` error messages
//!
//! [`parse_spec`] returns the complete message PUC raises through
//! `luaL_error` from inside a C function; `luaL_where(L, 1)` is empty for a
//! C function, so **no prefix is added**: e.g.
//! `pcall(string.format, "%y", 1)` → `false, "invalid option '%y' to 'format'"`.
//! The messages are byte strings because the offending conversion byte is
//! embedded raw (it may be `\0` when the format ends after `%` or after a
//! width, or any byte ≥ 0x80).
//!
//! Note the order in PUC's `str_format`: for each directive, the check that
//! an argument exists (`bad argument #N to 'format' (no value)`) happens
//! *before* the directive is parsed, so `string.format("%y")` reports the
//! missing argument, not the invalid option.  The argument conversions and
//! their range checks (`not a number in proper range` for `%d`/`%i`,
//! `not a non-negative number in proper range` for `%o %u %x %X`,
//! `luaL_checkint` for `%c`, `luaL_tolstring` for `%s`) are the caller's.

// ---------------------------------------------------------------------------
// Directive parsing
// ---------------------------------------------------------------------------

/// One parsed `string.format` directive (the part after `%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spec {
    /// `-`: left-justify.
    pub minus: bool,
    /// `+`: always print a sign (signed conversions).
    pub plus: bool,
    /// ` `: space instead of `+` (signed conversions).
    pub space: bool,
    /// `#`: alternate form.
    pub hash: bool,
    /// `0`: pad with zeros (numeric conversions).
    pub zero: bool,
    /// Minimum field width (at most 2 digits in Lua 5.2).
    pub width: Option<usize>,
    /// Precision (at most 2 digits); `Some(0)` for a bare `.`.
    pub precision: Option<usize>,
    /// The conversion character, one of `c d i o u x X e E f g G a A q s`.
    pub conv: u8,
}

const FLAGS: &[u8] = b"-+ #0";

/// The conversions accepted by Lua 5.2.4's `string.format` on Linux
/// (`%a`/`%A` included; `%F` is not accepted).
pub const CONVERSIONS: &[u8] = b"cdiouxXeEfgGaAqs";

/// Parses the directive whose first byte (after the `%`, which must not be
/// a second `%`) is at `fmt[i]`.  Returns the spec and the index just past
/// the conversion character.  Reaching the end of `fmt` behaves like
/// reading a `\0` byte (as PUC does on its NUL-terminated string).
///
/// Errors (complete messages, see the module docs):
/// `invalid format (repeated flags)` (6 or more flag characters),
/// `invalid format (width or precision too long)` (3 or more digits),
/// `invalid option '%<c>' to 'format'` (unknown conversion byte `<c>`).
pub fn parse_spec(fmt: &[u8], i: usize) -> Result<(Spec, usize), Vec<u8>> {
    let at = |k: usize| -> u8 { fmt.get(k).copied().unwrap_or(0) };
    let mut spec = Spec::default();
    let mut p = i;
    while at(p) != 0 && FLAGS.contains(&at(p)) {
        match at(p) {
            b'-' => spec.minus = true,
            b'+' => spec.plus = true,
            b' ' => spec.space = true,
            b'#' => spec.hash = true,
            _ => spec.zero = true,
        }
        p += 1;
    }
    if p - i > FLAGS.len() {
        return Err(b"invalid format (repeated flags)".to_vec());
    }
    let digits = |p: &mut usize| -> Option<usize> {
        let mut v: Option<usize> = None;
        for _ in 0..2 {
            if at(*p).is_ascii_digit() {
                v = Some(v.unwrap_or(0) * 10 + (at(*p) - b'0') as usize);
                *p += 1;
            }
        }
        v
    };
    spec.width = digits(&mut p);
    if at(p) == b'.' {
        p += 1;
        spec.precision = Some(digits(&mut p).unwrap_or(0));
    }
    if at(p).is_ascii_digit() {
        return Err(b"invalid format (width or precision too long)".to_vec());
    }
    let conv = at(p);
    if conv == 0 || !CONVERSIONS.contains(&conv) {
        let mut msg = b"invalid option '%".to_vec();
        msg.push(conv);
        msg.extend_from_slice(b"' to 'format'");
        return Err(msg);
    }
    spec.conv = conv;
    Ok((spec, p + 1))
}

// ---------------------------------------------------------------------------
// Padding helpers
// ---------------------------------------------------------------------------

/// Emits `prefix` (sign, `0x`) and `body` padded to the spec's width:
/// left-justified with spaces, right-justified with zeros between prefix
/// and body (when `zero_ok`), or right-justified with spaces.
fn pad_out(spec: &Spec, prefix: &[u8], body: &[u8], zero_ok: bool, out: &mut Vec<u8>) {
    let len = prefix.len() + body.len();
    let fill = spec.width.unwrap_or(0).saturating_sub(len);
    if spec.minus {
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
        out.resize(out.len() + fill, b' ');
    } else if spec.zero && zero_ok {
        out.extend_from_slice(prefix);
        out.resize(out.len() + fill, b'0');
        out.extend_from_slice(body);
    } else {
        out.resize(out.len() + fill, b' ');
        out.extend_from_slice(prefix);
        out.extend_from_slice(body);
    }
}

fn sign_prefix(spec: &Spec, negative: bool) -> &'static [u8] {
    if negative {
        b"-"
    } else if spec.plus {
        b"+"
    } else if spec.space {
        b" "
    } else {
        b""
    }
}

// ---------------------------------------------------------------------------
// Floating point
// ---------------------------------------------------------------------------

/// `printf("%.14g", n)` as glibc prints it: Lua 5.2's number-to-string
/// conversion (`LUAI_NUMFFORMAT`).  NaN prints as `nan` or `-nan`
/// according to its sign bit.
pub fn fmt_g14(n: f64, out: &mut Vec<u8>) {
    // Fast path: integral values below 1e14 print as plain integers.
    if n.fract() == 0.0 && n.abs() < 1e14 {
        if n == 0.0 && n.is_sign_negative() {
            out.extend_from_slice(b"-0");
        } else {
            out.extend_from_slice((n as i64).to_string().as_bytes());
        }
        return;
    }
    let spec = Spec { precision: Some(14), conv: b'g', ..Spec::default() };
    format_float(&spec, n, out);
}

/// Convenience: [`fmt_g14`] into a new `String`.
pub fn number_to_string(n: f64) -> String {
    let mut v = Vec::with_capacity(24);
    fmt_g14(n, &mut v);
    String::from_utf8(v).expect("ASCII")
}

/// Decimal digits of `x` (finite, non-negative) rounded to `prec + 1`
/// significant digits, and the decimal exponent of the first digit.
fn sci_digits(x: f64, prec: usize) -> (Vec<u8>, i32) {
    let s = format!("{:.*e}", prec, x);
    let epos = s.find('e').expect("exponent");
    let digits: Vec<u8> = s.as_bytes()[..epos].iter().copied().filter(|&c| c != b'.').collect();
    let exp: i32 = s[epos + 1..].parse().expect("exponent value");
    (digits, exp)
}

/// `%.<p>g` (no `#` flag) of a finite non-negative `x` from its shortest
/// round-trip digits, when there are at most `p` of them: rounding the
/// exact value to `p` significant digits then gives those same digits. For
/// a normal double and `p <= 15` the exact value lies within half an ulp
/// (at most 1.2e-16 relative) of them, closer than any rounding boundary
/// at the `p`-th digit (at least 5e-16 relative away); that fails for
/// `p >= 16` and for subnormals, which the caller excludes. The slower
/// exact conversion is then not needed. Returns false (writing nothing)
/// when the shortest form has more than `p` digits.
fn g_from_shortest(x: f64, p: usize, upper: bool, body: &mut Vec<u8>) -> bool {
    use std::io::Write;
    let mut buf = [0u8; 40];
    let mut cur = std::io::Cursor::new(&mut buf[..]);
    if write!(cur, "{:e}", x).is_err() {
        return false;
    }
    let n = cur.position() as usize;
    let s = &buf[..n];
    let Some(epos) = s.iter().position(|&c| c == b'e') else { return false };
    let mut digits = [0u8; 24];
    let mut nd = 0;
    for &c in &s[..epos] {
        if c != b'.' {
            if nd == digits.len() {
                return false;
            }
            digits[nd] = c;
            nd += 1;
        }
    }
    if nd > p {
        return false;
    }
    let Some(exp) = std::str::from_utf8(&s[epos + 1..]).ok().and_then(|e| e.parse::<i32>().ok()) else { return false };
    let digits = &digits[..nd];
    if exp < p as i32 && exp >= -4 {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            body.extend(digits.iter().copied().chain(std::iter::repeat(b'0')).take(int_len));
            if nd > int_len {
                body.push(b'.');
                body.extend_from_slice(&digits[int_len..]);
            }
        } else {
            body.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                body.push(b'0');
            }
            body.extend_from_slice(digits);
        }
    } else {
        push_exp_style(digits, exp, false, upper, body);
    }
    true
}

/// Decimal exponent of the exact value of `x` (finite, positive), i.e.
/// `floor(log10(x))` without any rounding.
fn exact_exponent(x: f64) -> i32 {
    // 800 significant digits exceed the longest exact expansion of a
    // double (767 digits), so no rounding can occur.
    sci_digits(x, 800).1
}

/// `[d][.ddd]e±XX` from significant digits (first digit before the point).
fn push_exp_style(digits: &[u8], exp: i32, hash: bool, upper: bool, body: &mut Vec<u8>) {
    body.push(digits[0]);
    if digits.len() > 1 || hash {
        body.push(b'.');
    }
    body.extend_from_slice(&digits[1..]);
    body.push(if upper { b'E' } else { b'e' });
    body.push(if exp < 0 { b'-' } else { b'+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        body.push(b'0');
    }
    body.extend_from_slice(a.to_string().as_bytes());
}

/// Removes trailing zeros after a decimal point (and the point itself if
/// nothing remains after it) from a fixed-notation mantissa.
fn strip_fraction_zeros(body: &mut Vec<u8>) {
    if body.contains(&b'.') {
        while body.last() == Some(&b'0') {
            body.pop();
        }
        if body.last() == Some(&b'.') {
            body.pop();
        }
    }
}

/// Formats a float for the conversions `e E f F g G a A` exactly as glibc
/// `printf` does, honouring all flags, width and precision.
pub fn format_float(spec: &Spec, x: f64, out: &mut Vec<u8>) {
    let conv = spec.conv;
    let upper = conv.is_ascii_uppercase();
    let negative = x.is_sign_negative();
    let sign = sign_prefix(spec, negative);
    if !x.is_finite() {
        let word: &[u8] = match (x.is_nan(), upper) {
            (true, false) => b"nan",
            (true, true) => b"NAN",
            (false, false) => b"inf",
            (false, true) => b"INF",
        };
        pad_out(spec, sign, word, false, out);
        return;
    }
    let a = x.abs();
    let mut body: Vec<u8> = Vec::new();
    match conv.to_ascii_lowercase() {
        b'e' => {
            let prec = spec.precision.unwrap_or(6);
            let (digits, exp) = sci_digits(a, prec);
            push_exp_style(&digits, exp, spec.hash, upper, &mut body);
        }
        b'f' => {
            let prec = spec.precision.unwrap_or(6);
            body.extend_from_slice(format!("{:.*}", prec, a).as_bytes());
            if prec == 0 && spec.hash {
                body.push(b'.');
            }
        }
        b'g' => {
            let p = match spec.precision {
                None => 6,
                Some(0) => 1,
                Some(p) => p,
            };
            if !spec.hash && p <= 15 && (a == 0.0 || a.is_normal()) && g_from_shortest(a, p, upper, &mut body) {
                pad_out(spec, sign, &body, true, out);
                return;
            }
            let (digits, exp) = sci_digits(a, p - 1);
            if exp < p as i32 && exp >= -4 {
                let fprec = (p as i32 - 1 - exp) as usize;
                body.extend_from_slice(format!("{:.*}", fprec, a).as_bytes());
                if spec.hash {
                    if fprec == 0 {
                        body.push(b'.');
                    }
                } else {
                    strip_fraction_zeros(&mut body);
                }
            } else {
                let mut digits = digits;
                if spec.hash && exp == p as i32 && exact_exponent(a) == exp - 1 {
                    // glibc quirk: the value was in fixed-notation range
                    // (exponent P-1) until rounding carried into a new
                    // digit; glibc then switches to exponential notation
                    // keeping the zero fraction digits of the fixed form,
                    // printing e.g. `%#.5g` of 99999.95 as "1.e+05".
                    digits.truncate(1);
                }
                if !spec.hash {
                    while digits.len() > 1 && digits.last() == Some(&b'0') {
                        digits.pop();
                    }
                }
                push_exp_style(&digits, exp, spec.hash, upper, &mut body);
            }
        }
        b'a' => {
            hex_float_body(a, spec.precision, spec.hash, upper, &mut body);
            let mut prefix = sign.to_vec();
            prefix.extend_from_slice(if upper { b"0X" } else { b"0x" });
            pad_out(spec, &prefix, &body, true, out);
            return;
        }
        _ => panic!("format_float: unsupported conversion {:?}", conv as char),
    }
    pad_out(spec, sign, &body, true, out);
}

/// glibc's `%a` digits for a finite non-negative double, without the `0x`:
/// `h[.hhh]p±d`.  Normal numbers have leading digit 1, subnormals 0 with
/// exponent -1022; rounding to a precision is half-to-even on the hex
/// digits, and a carry out of the leading digit yields a leading `2`
/// (glibc does not renormalise).
fn hex_float_body(a: f64, precision: Option<usize>, hash: bool, upper: bool, body: &mut Vec<u8>) {
    let bits = a.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (mut lead, exp) = if biased == 0 { (0u64, if frac == 0 { 0 } else { -1022 }) } else { (1u64, biased - 1023) };
    let hexd = |v: u64| -> u8 {
        let c = b"0123456789abcdef"[v as usize];
        if upper {
            c.to_ascii_uppercase()
        } else {
            c
        }
    };
    let mut digits: Vec<u8> = Vec::new();
    match precision {
        None => {
            let mut f = frac;
            let mut n = 13;
            while n > 0 && f & 0xf == 0 {
                f >>= 4;
                n -= 1;
            }
            for k in (0..n).rev() {
                digits.push(hexd((f >> (4 * k)) & 0xf));
            }
        }
        Some(p) if p >= 13 => {
            for k in (0..13).rev() {
                digits.push(hexd((frac >> (4 * k)) & 0xf));
            }
            digits.resize(p, b'0');
        }
        Some(p) => {
            let drop = 52 - 4 * p as u32;
            let mut kept = frac >> drop;
            let rest = frac & ((1u64 << drop) - 1);
            let half = 1u64 << (drop - 1);
            let last_odd = if p == 0 { lead & 1 == 1 } else { kept & 1 == 1 };
            if rest > half || (rest == half && last_odd) {
                kept += 1;
                if kept >> (4 * p) != 0 {
                    kept = 0;
                    lead += 1;
                }
            }
            for k in (0..p).rev() {
                digits.push(hexd((kept >> (4 * k)) & 0xf));
            }
        }
    }
    body.push(hexd(lead));
    if !digits.is_empty() || hash {
        body.push(b'.');
    }
    body.extend_from_slice(&digits);
    body.push(if upper { b'P' } else { b'p' });
    body.push(if exp < 0 { b'-' } else { b'+' });
    body.extend_from_slice(exp.unsigned_abs().to_string().as_bytes());
}

// ---------------------------------------------------------------------------
// Integers, characters, strings
// ---------------------------------------------------------------------------

/// Applies an integer precision (minimum digit count; precision 0 with a
/// zero value prints no digits).
fn int_digits(mut digits: Vec<u8>, zero_value: bool, precision: Option<usize>) -> Vec<u8> {
    match precision {
        Some(0) if zero_value => Vec::new(),
        Some(p) if p > digits.len() => {
            let mut v = vec![b'0'; p - digits.len()];
            v.append(&mut digits);
            v
        }
        _ => digits,
    }
}

/// `%d` / `%i` of a signed 64-bit integer (`%lld`), with all flags.
pub fn format_int(spec: &Spec, n: i64, out: &mut Vec<u8>) {
    let digits = int_digits(n.unsigned_abs().to_string().into_bytes(), n == 0, spec.precision);
    let sign = sign_prefix(spec, n < 0);
    pad_out(spec, sign, &digits, spec.precision.is_none(), out);
}

/// `%o`, `%u`, `%x`, `%X` of an unsigned 64-bit integer (`%llo` etc.),
/// with all flags (`+` and space are ignored; `#` adds a leading `0` for
/// octal and `0x`/`0X` for a non-zero hexadecimal value).
pub fn format_uint(spec: &Spec, n: u64, out: &mut Vec<u8>) {
    let raw = match spec.conv {
        b'o' => format!("{:o}", n),
        b'x' => format!("{:x}", n),
        b'X' => format!("{:X}", n),
        _ => n.to_string(),
    };
    let mut digits = int_digits(raw.into_bytes(), n == 0, spec.precision);
    let mut prefix: &[u8] = b"";
    if spec.hash {
        match spec.conv {
            b'o' if digits.first() != Some(&b'0') => digits.insert(0, b'0'),
            b'x' if n != 0 => prefix = b"0x",
            b'X' if n != 0 => prefix = b"0X",
            _ => {}
        }
    }
    pad_out(spec, prefix, &digits, spec.precision.is_none(), out);
}

/// `%c` of a byte: width pads with spaces (the `0` flag and the precision
/// have no effect, as in glibc).
pub fn format_char(spec: &Spec, c: u8, out: &mut Vec<u8>) {
    pad_out(spec, b"", &[c], false, out);
}

/// `%s` exactly as Lua 5.2.4 does it: without a precision, a string of 100
/// or more bytes is appended whole (no padding needed, since widths are at
/// most 99); otherwise the directive goes through C `sprintf`, so the
/// string is cut at its first `\0`, then at `precision` bytes, then padded
/// with spaces to the width.
pub fn format_str(spec: &Spec, s: &[u8], out: &mut Vec<u8>) {
    if spec.precision.is_none() && s.len() >= 100 {
        out.extend_from_slice(s);
        return;
    }
    let mut t = match s.iter().position(|&c| c == 0) {
        Some(z) => &s[..z],
        None => s,
    };
    if let Some(p) = spec.precision {
        if t.len() > p {
            t = &t[..p];
        }
    }
    pad_out(spec, b"", t, false, out);
}

/// `%q` as in Lua 5.2.4 (flags, width and precision are ignored): the
/// string between double quotes, with `"`, `\` and newline escaped by a
/// backslash, and `\0` and every other control character (C `iscntrl`,
/// including `\r` and DEL) written as `\ddd` in decimal — in the shortest
/// form unless the next byte is a digit, then with three digits.  Other
/// bytes (including ≥ 0x80) are copied unchanged.
pub fn quote_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for (k, &c) in s.iter().enumerate() {
        match c {
            b'"' | b'\\' | b'\n' => {
                out.push(b'\\');
                out.push(c);
            }
            _ if c < 0x20 || c == 0x7f => {
                let next_digit = s.get(k + 1).is_some_and(|d| d.is_ascii_digit());
                if next_digit {
                    out.extend_from_slice(format!("\\{:03}", c).as_bytes());
                } else {
                    out.extend_from_slice(format!("\\{}", c).as_bytes());
                }
            }
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

// ---------------------------------------------------------------------------
// String to number
// ---------------------------------------------------------------------------

/// C `isspace` in the C locale (also Lua's `lisspace`).
fn is_c_space(c: u8) -> bool {
    c == b' ' || (9..=13).contains(&c)
}

/// Lua 5.2's string→number conversion (`luaO_str2d`, i.e. C `strtod` with
/// Lua's restrictions): optional leading/trailing whitespace, optional sign,
/// then either a decimal numeral (`12`, `1.5`, `.5`, `5.`, `1e10`, `1E-3`)
/// or a hexadecimal one (`0x`/`0X`, hex digits with an optional hex
/// fraction, optional binary exponent `p`/`P` with optional sign).  `inf`,
/// `nan`, empty/blank strings, trailing garbage and embedded `\0` are
/// rejected.  Decimal and hexadecimal conversions are correctly rounded;
/// overflow gives ±inf and underflow ±0 (as `strtod`).
pub fn str2number(s: &[u8]) -> Option<f64> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let start = i;
    let mut negative = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        negative = s[i] == b'-';
        i += 1;
    }
    let (value, end) = if i + 1 < s.len() && s[i] == b'0' && (s[i + 1] == b'x' || s[i + 1] == b'X') {
        let (v, e) = parse_hex_float(s, i + 2)?;
        (if negative { -v } else { v }, e)
    } else {
        let e = scan_decimal(s, i)?;
        let text = std::str::from_utf8(&s[start..e]).ok()?;
        (text.parse::<f64>().ok()?, e)
    };
    let mut j = end;
    while j < s.len() && is_c_space(s[j]) {
        j += 1;
    }
    if j == s.len() {
        Some(value)
    } else {
        None
    }
}

/// Scans `digits [. digits] [e [sign] digits]` (at least one mantissa digit)
/// from `i`; returns the end index.  The exponent is only consumed when it
/// has at least one digit, as `strtod` does.
fn scan_decimal(s: &[u8], mut i: usize) -> Option<usize> {
    let mut ndig = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        i += 1;
        ndig += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            i += 1;
            ndig += 1;
        }
    }
    if ndig == 0 {
        return None;
    }
    if i < s.len() && (s[i] == b'e' || s[i] == b'E') {
        let mut j = i + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        if j < s.len() && s[j].is_ascii_digit() {
            while j < s.len() && s[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    Some(i)
}

fn hex_value(c: u8) -> Option<u32> {
    (c as char).to_digit(16)
}

/// Parses the part of a hexadecimal numeral after `0x`, starting at `i`.
/// Returns the (non-negative, correctly rounded) value and the end index,
/// or `None` when there is no hex digit (then `strtod` would stop after
/// the `0`, leaving `x...` as garbage).
fn parse_hex_float(s: &[u8], mut i: usize) -> Option<(f64, usize)> {
    // Significant bits go into `mant` (at most 16 hex digits = 64 bits);
    // further non-zero digits only set `sticky`.  value = mant * 2^exp2.
    let mut mant: u64 = 0;
    let mut sig_digits = 0;
    let mut sticky = false;
    let mut exp2: i64 = 0;
    let mut any = false;
    let mut seen_point = false;
    while i < s.len() {
        let c = s[i];
        if c == b'.' && !seen_point {
            seen_point = true;
            i += 1;
            continue;
        }
        let d = match hex_value(c) {
            Some(d) => d as u64,
            None => break,
        };
        any = true;
        if mant == 0 && d == 0 {
            // leading zero: only its position matters
            if seen_point {
                exp2 -= 4;
            }
        } else if sig_digits < 16 {
            mant = (mant << 4) | d;
            sig_digits += 1;
            if seen_point {
                exp2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !seen_point {
                exp2 += 4;
            }
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if i < s.len() && (s[i] == b'p' || s[i] == b'P') {
        let mut j = i + 1;
        let mut eneg = false;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            eneg = s[j] == b'-';
            j += 1;
        }
        if j < s.len() && s[j].is_ascii_digit() {
            let mut e: i64 = 0;
            while j < s.len() && s[j].is_ascii_digit() {
                e = (e * 10 + (s[j] - b'0') as i64).min(1 << 40);
                j += 1;
            }
            exp2 += if eneg { -e } else { e };
            i = j;
        }
    }
    Some((round_binary(mant, exp2, sticky), i))
}

/// Correctly rounds `(mant + ε) * 2^exp2` to a double (round-half-even),
/// where `ε` is an infinitesimal positive amount when `sticky` is set.
fn round_binary(mant: u64, exp2: i64, sticky: bool) -> f64 {
    if mant == 0 {
        return 0.0;
    }
    let m = mant as u128;
    let nbits = 128 - m.leading_zeros() as i64;
    let top = exp2 + nbits - 1; // exponent of the most significant bit
    if top > 1023 {
        return f64::INFINITY;
    }
    let keep = if top >= -1022 { 53 } else { top + 1075 };
    if keep < 0 {
        return 0.0;
    }
    let shift = nbits - keep;
    let (mut mm, mut q) = if shift <= 0 {
        (m << (-shift) as u32, exp2 + shift)
    } else {
        let sh = shift as u32;
        let dropped = m & ((1u128 << sh) - 1);
        let half = 1u128 << (sh - 1);
        let mut v = m >> sh;
        if dropped > half || (dropped == half && (sticky || v & 1 == 1)) {
            v += 1;
        }
        (v, exp2 + shift)
    };
    if mm == 1u128 << 53 {
        mm >>= 1;
        q += 1;
    }
    if mm == 0 {
        return 0.0;
    }
    let top2 = q + (128 - mm.leading_zeros() as i64) - 1;
    if top2 > 1023 {
        return f64::INFINITY;
    }
    let bits = if mm >> 52 != 0 {
        (((top2 + 1023) as u64) << 52) | (mm as u64 & ((1u64 << 52) - 1))
    } else {
        // subnormal (or the smallest normal reached by rounding): q == -1074
        debug_assert_eq!(q, -1074);
        mm as u64
    };
    f64::from_bits(bits)
}

/// `tonumber(s, base)` in Lua 5.2.4 (`2 <= base <= 36`, checked by the
/// caller): optional leading/trailing whitespace, optional `-` or `+`, then
/// one or more digits/letters (either case) all valid in `base`; no
/// fraction.  The value is accumulated in floating point (`n * base + d`)
/// exactly as PUC does, so huge numerals lose precision the same way.
pub fn str2number_base(s: &[u8], base: u32) -> Option<f64> {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        negative = s[i] == b'-';
        i += 1;
    }
    if i >= s.len() || !s[i].is_ascii_alphanumeric() {
        return None;
    }
    let mut n: f64 = 0.0;
    while i < s.len() && s[i].is_ascii_alphanumeric() {
        let c = s[i];
        let d = if c.is_ascii_digit() { (c - b'0') as u32 } else { (c.to_ascii_uppercase() - b'A') as u32 + 10 };
        if d >= base {
            return None;
        }
        n = n * base as f64 + d as f64;
        i += 1;
    }
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    if i != s.len() {
        return None;
    }
    Some(if negative { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy)]
    enum Arg<'a> {
        F(f64),
        I(i64),
        U(u64),
        S(&'a [u8]),
    }

    /// A miniature `string.format` over this module's primitives.
    fn sfmt(fmt: &[u8], args: &[Arg]) -> Result<Vec<u8>, Vec<u8>> {
        let mut out = Vec::new();
        let mut i = 0;
        let mut a = 0;
        while i < fmt.len() {
            if fmt[i] != b'%' {
                out.push(fmt[i]);
                i += 1;
            } else if fmt.get(i + 1) == Some(&b'%') {
                out.push(b'%');
                i += 2;
            } else {
                let (spec, next) = parse_spec(fmt, i + 1)?;
                i = next;
                let arg = args[a];
                a += 1;
                match (spec.conv, arg) {
                    (b'd' | b'i', Arg::I(n)) => format_int(&spec, n, &mut out),
                    (b'd' | b'i', Arg::F(f)) => format_int(&spec, f as i64, &mut out),
                    (b'o' | b'u' | b'x' | b'X', Arg::U(n)) => format_uint(&spec, n, &mut out),
                    (b'o' | b'u' | b'x' | b'X', Arg::F(f)) => format_uint(&spec, f as u64, &mut out),
                    (b'c', Arg::I(n)) => format_char(&spec, n as u8, &mut out),
                    (b's', Arg::S(s)) => format_str(&spec, s, &mut out),
                    (b'q', Arg::S(s)) => quote_string(s, &mut out),
                    (b'q' | b's', Arg::F(f)) => {
                        let mut t = Vec::new();
                        fmt_g14(f, &mut t);
                        if spec.conv == b'q' {
                            quote_string(&t, &mut out)
                        } else {
                            format_str(&spec, &t, &mut out)
                        }
                    }
                    (_, Arg::F(f)) => format_float(&spec, f, &mut out),
                    _ => panic!("bad test argument"),
                }
            }
        }
        Ok(out)
    }

    /// `%.<p>g` by exact rounding (Rust's `{:.*e}`), the oracle for the
    /// shortest-digits shortcut.
    fn g_exact(x: f64, p: usize) -> String {
        let s = format!("{:.*e}", p - 1, x);
        let (m, e) = s.split_once('e').unwrap();
        let exp: i32 = e.parse().unwrap();
        let digits: String = m.chars().filter(|&c| c != '.').collect();
        let digits = digits.trim_end_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        if exp < p as i32 && exp >= -4 {
            if exp >= 0 {
                let int_len = exp as usize + 1;
                let mut out: String = digits.chars().chain(std::iter::repeat('0')).take(int_len).collect();
                if digits.len() > int_len {
                    out.push('.');
                    out.push_str(&digits[int_len..]);
                }
                out
            } else {
                format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
            }
        } else {
            let mut out = digits[..1].to_string();
            if digits.len() > 1 {
                out.push('.');
                out.push_str(&digits[1..]);
            }
            format!("{out}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
        }
    }

    #[test]
    fn g_shortcut_matches_exact_rounding() {
        // a Park-Miller walk over mantissas and exponents, plus short decimals
        let mut seed: u64 = 4242;
        let mut next = || {
            seed = seed * 16807 % 2147483647;
            seed as f64 / 2147483647.0
        };
        let mut checked = 0;
        for i in 0..40000 {
            let x = match i % 3 {
                0 => (next() + next() / 67108864.0) * 2f64.powi((next() * 1200.0) as i32 - 600),
                1 => (next() * 1e6).floor() / 1000.0,
                _ => (next() * 1e9).floor() / 2f64.powi(i % 40),
            };
            for p in 1..=15 {
                let mut body = Vec::new();
                if g_from_shortest(x, p, false, &mut body) {
                    assert_eq!(show(&body), g_exact(x, p), "x = {x:e}, p = {p}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 100000, "the shortcut was taken only {checked} times");
    }

    fn show(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    fn g14(x: f64) -> String {
        number_to_string(x)
    }

    /// `(format, f64 bits, lua5.2 output)`; generated by running lua5.2's
    /// string.format on these values.
    const FLOAT_CASES: &[(&str, u64, &str)] = &[
        ("%.14g", 0x0000000000000000, "0"),
        ("%.14g", 0x8000000000000000, "-0"),
        ("%.14g", 0x3ff0000000000000, "1"),
        ("%.14g", 0xbff0000000000000, "-1"),
        ("%.14g", 0x3fb999999999999a, "0.1"),
        ("%.14g", 0x3fe0000000000000, "0.5"),
        ("%.14g", 0x3ff8000000000000, "1.5"),
        ("%.14g", 0x4004000000000000, "2.5"),
        ("%.14g", 0xc004000000000000, "-2.5"),
        ("%.14g", 0x4059000000000000, "100"),
        ("%.14g", 0x430c6bf526340000, "1e+15"),
        ("%.14g", 0x4341c37937e08000, "1e+16"),
        ("%.14g", 0x54b249ad2594c37d, "1e+100"),
        ("%.14g", 0x42dc12218377de40, "1.2345678901234e+14"),
        ("%.14g", 0x43118b54f22aeb00, "1.2345678901235e+15"),
        ("%.14g", 0x400921fb54442d11, "3.1415926535898"),
        ("%.14g", 0x4340000000000000, "9.007199254741e+15"),
        ("%.14g", 0x43e0000000000000, "9.2233720368548e+18"),
        ("%.14g", 0xc3e0000000000000, "-9.2233720368548e+18"),
        ("%.14g", 0x3ee4f8b588e368f1, "1e-05"),
        ("%.14g", 0x3f1a36e2eb1c432d, "0.0001"),
        ("%.14g", 0x40f869ff33333333, "99999.95"),
        ("%.14g", 0x0000000000000001, "4.9406564584125e-324"),
        ("%.14g", 0x0010000000000000, "2.2250738585072e-308"),
        ("%.14g", 0x7fefffffffffffff, "1.7976931348623e+308"),
        ("%.14g", 0x3fd5555555555555, "0.33333333333333"),
        ("%.14g", 0x3fe5555555555555, "0.66666666666667"),
        ("%.14g", 0x7e37e43c8800759c, "1e+300"),
        ("%.14g", 0x3fd3333333333333, "0.3"),
        ("%.14g", 0x40c81cd6e631f8a1, "12345.6789"),
        ("%.14g", 0x7ff0000000000000, "inf"),
        ("%.14g", 0xfff0000000000000, "-inf"),
        ("%g", 0x0000000000000000, "0"),
        ("%g", 0x8000000000000000, "-0"),
        ("%g", 0x3ff0000000000000, "1"),
        ("%g", 0xbff0000000000000, "-1"),
        ("%g", 0x3fb999999999999a, "0.1"),
        ("%g", 0x3fe0000000000000, "0.5"),
        ("%g", 0x3ff8000000000000, "1.5"),
        ("%g", 0x4004000000000000, "2.5"),
        ("%g", 0xc004000000000000, "-2.5"),
        ("%g", 0x4059000000000000, "100"),
        ("%g", 0x430c6bf526340000, "1e+15"),
        ("%g", 0x4341c37937e08000, "1e+16"),
        ("%g", 0x54b249ad2594c37d, "1e+100"),
        ("%g", 0x42dc12218377de40, "1.23457e+14"),
        ("%g", 0x43118b54f22aeb00, "1.23457e+15"),
        ("%g", 0x400921fb54442d11, "3.14159"),
        ("%g", 0x4340000000000000, "9.0072e+15"),
        ("%g", 0x43e0000000000000, "9.22337e+18"),
        ("%g", 0xc3e0000000000000, "-9.22337e+18"),
        ("%g", 0x3ee4f8b588e368f1, "1e-05"),
        ("%g", 0x3f1a36e2eb1c432d, "0.0001"),
        ("%g", 0x40f869ff33333333, "99999.9"),
        ("%g", 0x0000000000000001, "4.94066e-324"),
        ("%g", 0x0010000000000000, "2.22507e-308"),
        ("%g", 0x7fefffffffffffff, "1.79769e+308"),
        ("%g", 0x3fd5555555555555, "0.333333"),
        ("%g", 0x3fe5555555555555, "0.666667"),
        ("%g", 0x7e37e43c8800759c, "1e+300"),
        ("%g", 0x3fd3333333333333, "0.3"),
        ("%g", 0x40c81cd6e631f8a1, "12345.7"),
        ("%g", 0x7ff0000000000000, "inf"),
        ("%g", 0xfff0000000000000, "-inf"),
        ("%e", 0x0000000000000000, "0.000000e+00"),
        ("%e", 0x8000000000000000, "-0.000000e+00"),
        ("%e", 0x3ff0000000000000, "1.000000e+00"),
        ("%e", 0xbff0000000000000, "-1.000000e+00"),
        ("%e", 0x3fb999999999999a, "1.000000e-01"),
        ("%e", 0x3fe0000000000000, "5.000000e-01"),
        ("%e", 0x3ff8000000000000, "1.500000e+00"),
        ("%e", 0x4004000000000000, "2.500000e+00"),
        ("%e", 0xc004000000000000, "-2.500000e+00"),
        ("%e", 0x4059000000000000, "1.000000e+02"),
        ("%e", 0x430c6bf526340000, "1.000000e+15"),
        ("%e", 0x4341c37937e08000, "1.000000e+16"),
        ("%e", 0x54b249ad2594c37d, "1.000000e+100"),
        ("%e", 0x42dc12218377de40, "1.234568e+14"),
        ("%e", 0x43118b54f22aeb00, "1.234568e+15"),
        ("%e", 0x400921fb54442d11, "3.141593e+00"),
        ("%e", 0x4340000000000000, "9.007199e+15"),
        ("%e", 0x43e0000000000000, "9.223372e+18"),
        ("%e", 0xc3e0000000000000, "-9.223372e+18"),
        ("%e", 0x3ee4f8b588e368f1, "1.000000e-05"),
        ("%e", 0x3f1a36e2eb1c432d, "1.000000e-04"),
        ("%e", 0x40f869ff33333333, "9.999995e+04"),
        ("%e", 0x0000000000000001, "4.940656e-324"),
        ("%e", 0x0010000000000000, "2.225074e-308"),
        ("%e", 0x7fefffffffffffff, "1.797693e+308"),
        ("%e", 0x3fd5555555555555, "3.333333e-01"),
        ("%e", 0x3fe5555555555555, "6.666667e-01"),
        ("%e", 0x7e37e43c8800759c, "1.000000e+300"),
        ("%e", 0x3fd3333333333333, "3.000000e-01"),
        ("%e", 0x40c81cd6e631f8a1, "1.234568e+04"),
        ("%e", 0x7ff0000000000000, "inf"),
        ("%e", 0xfff0000000000000, "-inf"),
        ("%f", 0x0000000000000000, "0.000000"),
        ("%f", 0x8000000000000000, "-0.000000"),
        ("%f", 0x3ff0000000000000, "1.000000"),
        ("%f", 0xbff0000000000000, "-1.000000"),
        ("%f", 0x3fb999999999999a, "0.100000"),
        ("%f", 0x3fe0000000000000, "0.500000"),
        ("%f", 0x3ff8000000000000, "1.500000"),
        ("%f", 0x4004000000000000, "2.500000"),
        ("%f", 0xc004000000000000, "-2.500000"),
        ("%f", 0x4059000000000000, "100.000000"),
        ("%f", 0x430c6bf526340000, "1000000000000000.000000"),
        ("%f", 0x4341c37937e08000, "10000000000000000.000000"),
        ("%f", 0x54b249ad2594c37d, "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104.000000"),
        ("%f", 0x42dc12218377de40, "123456789012345.000000"),
        ("%f", 0x43118b54f22aeb00, "1234567890123456.000000"),
        ("%f", 0x400921fb54442d11, "3.141593"),
        ("%f", 0x4340000000000000, "9007199254740992.000000"),
        ("%f", 0x43e0000000000000, "9223372036854775808.000000"),
        ("%f", 0xc3e0000000000000, "-9223372036854775808.000000"),
        ("%f", 0x3ee4f8b588e368f1, "0.000010"),
        ("%f", 0x3f1a36e2eb1c432d, "0.000100"),
        ("%f", 0x40f869ff33333333, "99999.950000"),
        ("%f", 0x0000000000000001, "0.000000"),
        ("%f", 0x0010000000000000, "0.000000"),
        ("%f", 0x7fefffffffffffff, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.000000"),
        ("%f", 0x3fd5555555555555, "0.333333"),
        ("%f", 0x3fe5555555555555, "0.666667"),
        ("%f", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000"),
        ("%f", 0x3fd3333333333333, "0.300000"),
        ("%f", 0x40c81cd6e631f8a1, "12345.678900"),
        ("%f", 0x7ff0000000000000, "inf"),
        ("%f", 0xfff0000000000000, "-inf"),
        ("%.20f", 0x0000000000000000, "0.00000000000000000000"),
        ("%.20f", 0x8000000000000000, "-0.00000000000000000000"),
        ("%.20f", 0x3ff0000000000000, "1.00000000000000000000"),
        ("%.20f", 0xbff0000000000000, "-1.00000000000000000000"),
        ("%.20f", 0x3fb999999999999a, "0.10000000000000000555"),
        ("%.20f", 0x3fe0000000000000, "0.50000000000000000000"),
        ("%.20f", 0x3ff8000000000000, "1.50000000000000000000"),
        ("%.20f", 0x4004000000000000, "2.50000000000000000000"),
        ("%.20f", 0xc004000000000000, "-2.50000000000000000000"),
        ("%.20f", 0x4059000000000000, "100.00000000000000000000"),
        ("%.20f", 0x430c6bf526340000, "1000000000000000.00000000000000000000"),
        ("%.20f", 0x4341c37937e08000, "10000000000000000.00000000000000000000"),
        ("%.20f", 0x54b249ad2594c37d, "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104.00000000000000000000"),
        ("%.20f", 0x42dc12218377de40, "123456789012345.00000000000000000000"),
        ("%.20f", 0x43118b54f22aeb00, "1234567890123456.00000000000000000000"),
        ("%.20f", 0x400921fb54442d11, "3.14159265358979000737"),
        ("%.20f", 0x4340000000000000, "9007199254740992.00000000000000000000"),
        ("%.20f", 0x43e0000000000000, "9223372036854775808.00000000000000000000"),
        ("%.20f", 0xc3e0000000000000, "-9223372036854775808.00000000000000000000"),
        ("%.20f", 0x3ee4f8b588e368f1, "0.00001000000000000000"),
        ("%.20f", 0x3f1a36e2eb1c432d, "0.00010000000000000000"),
        ("%.20f", 0x40f869ff33333333, "99999.94999999999708961695"),
        ("%.20f", 0x0000000000000001, "0.00000000000000000000"),
        ("%.20f", 0x0010000000000000, "0.00000000000000000000"),
        ("%.20f", 0x7fefffffffffffff, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00000000000000000000"),
        ("%.20f", 0x3fd5555555555555, "0.33333333333333331483"),
        ("%.20f", 0x3fe5555555555555, "0.66666666666666662966"),
        ("%.20f", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.00000000000000000000"),
        ("%.20f", 0x3fd3333333333333, "0.29999999999999998890"),
        ("%.20f", 0x40c81cd6e631f8a1, "12345.67890000000079453457"),
        ("%.20f", 0x7ff0000000000000, "inf"),
        ("%.20f", 0xfff0000000000000, "-inf"),
        ("%.0f", 0x0000000000000000, "0"),
        ("%.0f", 0x8000000000000000, "-0"),
        ("%.0f", 0x3ff0000000000000, "1"),
        ("%.0f", 0xbff0000000000000, "-1"),
        ("%.0f", 0x3fb999999999999a, "0"),
        ("%.0f", 0x3fe0000000000000, "0"),
        ("%.0f", 0x3ff8000000000000, "2"),
        ("%.0f", 0x4004000000000000, "2"),
        ("%.0f", 0xc004000000000000, "-2"),
        ("%.0f", 0x4059000000000000, "100"),
        ("%.0f", 0x430c6bf526340000, "1000000000000000"),
        ("%.0f", 0x4341c37937e08000, "10000000000000000"),
        ("%.0f", 0x54b249ad2594c37d, "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104"),
        ("%.0f", 0x42dc12218377de40, "123456789012345"),
        ("%.0f", 0x43118b54f22aeb00, "1234567890123456"),
        ("%.0f", 0x400921fb54442d11, "3"),
        ("%.0f", 0x4340000000000000, "9007199254740992"),
        ("%.0f", 0x43e0000000000000, "9223372036854775808"),
        ("%.0f", 0xc3e0000000000000, "-9223372036854775808"),
        ("%.0f", 0x3ee4f8b588e368f1, "0"),
        ("%.0f", 0x3f1a36e2eb1c432d, "0"),
        ("%.0f", 0x40f869ff33333333, "100000"),
        ("%.0f", 0x0000000000000001, "0"),
        ("%.0f", 0x0010000000000000, "0"),
        ("%.0f", 0x7fefffffffffffff, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368"),
        ("%.0f", 0x3fd5555555555555, "0"),
        ("%.0f", 0x3fe5555555555555, "1"),
        ("%.0f", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160"),
        ("%.0f", 0x3fd3333333333333, "0"),
        ("%.0f", 0x40c81cd6e631f8a1, "12346"),
        ("%.0f", 0x7ff0000000000000, "inf"),
        ("%.0f", 0xfff0000000000000, "-inf"),
        ("%#.0f", 0x0000000000000000, "0."),
        ("%#.0f", 0x8000000000000000, "-0."),
        ("%#.0f", 0x3ff0000000000000, "1."),
        ("%#.0f", 0xbff0000000000000, "-1."),
        ("%#.0f", 0x3fb999999999999a, "0."),
        ("%#.0f", 0x3fe0000000000000, "0."),
        ("%#.0f", 0x3ff8000000000000, "2."),
        ("%#.0f", 0x4004000000000000, "2."),
        ("%#.0f", 0xc004000000000000, "-2."),
        ("%#.0f", 0x4059000000000000, "100."),
        ("%#.0f", 0x430c6bf526340000, "1000000000000000."),
        ("%#.0f", 0x4341c37937e08000, "10000000000000000."),
        ("%#.0f", 0x54b249ad2594c37d, "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104."),
        ("%#.0f", 0x42dc12218377de40, "123456789012345."),
        ("%#.0f", 0x43118b54f22aeb00, "1234567890123456."),
        ("%#.0f", 0x400921fb54442d11, "3."),
        ("%#.0f", 0x4340000000000000, "9007199254740992."),
        ("%#.0f", 0x43e0000000000000, "9223372036854775808."),
        ("%#.0f", 0xc3e0000000000000, "-9223372036854775808."),
        ("%#.0f", 0x3ee4f8b588e368f1, "0."),
        ("%#.0f", 0x3f1a36e2eb1c432d, "0."),
        ("%#.0f", 0x40f869ff33333333, "100000."),
        ("%#.0f", 0x0000000000000001, "0."),
        ("%#.0f", 0x0010000000000000, "0."),
        ("%#.0f", 0x7fefffffffffffff, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368."),
        ("%#.0f", 0x3fd5555555555555, "0."),
        ("%#.0f", 0x3fe5555555555555, "1."),
        ("%#.0f", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160."),
        ("%#.0f", 0x3fd3333333333333, "0."),
        ("%#.0f", 0x40c81cd6e631f8a1, "12346."),
        ("%#.0f", 0x7ff0000000000000, "inf"),
        ("%#.0f", 0xfff0000000000000, "-inf"),
        ("%10.3f", 0x0000000000000000, "     0.000"),
        ("%10.3f", 0x8000000000000000, "    -0.000"),
        ("%10.3f", 0x3ff0000000000000, "     1.000"),
        ("%10.3f", 0xbff0000000000000, "    -1.000"),
        ("%10.3f", 0x3fb999999999999a, "     0.100"),
        ("%10.3f", 0x3fe0000000000000, "     0.500"),
        ("%10.3f", 0x3ff8000000000000, "     1.500"),
        ("%10.3f", 0x4004000000000000, "     2.500"),
        ("%10.3f", 0xc004000000000000, "    -2.500"),
        ("%10.3f", 0x4059000000000000, "   100.000"),
        ("%10.3f", 0x430c6bf526340000, "1000000000000000.000"),
        ("%10.3f", 0x4341c37937e08000, "10000000000000000.000"),
        ("%10.3f", 0x54b249ad2594c37d, "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104.000"),
        ("%10.3f", 0x42dc12218377de40, "123456789012345.000"),
        ("%10.3f", 0x43118b54f22aeb00, "1234567890123456.000"),
        ("%10.3f", 0x400921fb54442d11, "     3.142"),
        ("%10.3f", 0x4340000000000000, "9007199254740992.000"),
        ("%10.3f", 0x43e0000000000000, "9223372036854775808.000"),
        ("%10.3f", 0xc3e0000000000000, "-9223372036854775808.000"),
        ("%10.3f", 0x3ee4f8b588e368f1, "     0.000"),
        ("%10.3f", 0x3f1a36e2eb1c432d, "     0.000"),
        ("%10.3f", 0x40f869ff33333333, " 99999.950"),
        ("%10.3f", 0x0000000000000001, "     0.000"),
        ("%10.3f", 0x0010000000000000, "     0.000"),
        ("%10.3f", 0x7fefffffffffffff, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.000"),
        ("%10.3f", 0x3fd5555555555555, "     0.333"),
        ("%10.3f", 0x3fe5555555555555, "     0.667"),
        ("%10.3f", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000"),
        ("%10.3f", 0x3fd3333333333333, "     0.300"),
        ("%10.3f", 0x40c81cd6e631f8a1, " 12345.679"),
        ("%10.3f", 0x7ff0000000000000, "       inf"),
        ("%10.3f", 0xfff0000000000000, "      -inf"),
        ("%-10.3f|", 0x0000000000000000, "0.000     |"),
        ("%-10.3f|", 0x8000000000000000, "-0.000    |"),
        ("%-10.3f|", 0x3ff0000000000000, "1.000     |"),
        ("%-10.3f|", 0xbff0000000000000, "-1.000    |"),
        ("%-10.3f|", 0x3fb999999999999a, "0.100     |"),
        ("%-10.3f|", 0x3fe0000000000000, "0.500     |"),
        ("%-10.3f|", 0x3ff8000000000000, "1.500     |"),
        ("%-10.3f|", 0x4004000000000000, "2.500     |"),
        ("%-10.3f|", 0xc004000000000000, "-2.500    |"),
        ("%-10.3f|", 0x4059000000000000, "100.000   |"),
        ("%-10.3f|", 0x430c6bf526340000, "1000000000000000.000|"),
        ("%-10.3f|", 0x4341c37937e08000, "10000000000000000.000|"),
        ("%-10.3f|", 0x54b249ad2594c37d, "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104.000|"),
        ("%-10.3f|", 0x42dc12218377de40, "123456789012345.000|"),
        ("%-10.3f|", 0x43118b54f22aeb00, "1234567890123456.000|"),
        ("%-10.3f|", 0x400921fb54442d11, "3.142     |"),
        ("%-10.3f|", 0x4340000000000000, "9007199254740992.000|"),
        ("%-10.3f|", 0x43e0000000000000, "9223372036854775808.000|"),
        ("%-10.3f|", 0xc3e0000000000000, "-9223372036854775808.000|"),
        ("%-10.3f|", 0x3ee4f8b588e368f1, "0.000     |"),
        ("%-10.3f|", 0x3f1a36e2eb1c432d, "0.000     |"),
        ("%-10.3f|", 0x40f869ff33333333, "99999.950 |"),
        ("%-10.3f|", 0x0000000000000001, "0.000     |"),
        ("%-10.3f|", 0x0010000000000000, "0.000     |"),
        ("%-10.3f|", 0x7fefffffffffffff, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.000|"),
        ("%-10.3f|", 0x3fd5555555555555, "0.333     |"),
        ("%-10.3f|", 0x3fe5555555555555, "0.667     |"),
        ("%-10.3f|", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000|"),
        ("%-10.3f|", 0x3fd3333333333333, "0.300     |"),
        ("%-10.3f|", 0x40c81cd6e631f8a1, "12345.679 |"),
        ("%-10.3f|", 0x7ff0000000000000, "inf       |"),
        ("%-10.3f|", 0xfff0000000000000, "-inf      |"),
        ("%+.3e", 0x0000000000000000, "+0.000e+00"),
        ("%+.3e", 0x8000000000000000, "-0.000e+00"),
        ("%+.3e", 0x3ff0000000000000, "+1.000e+00"),
        ("%+.3e", 0xbff0000000000000, "-1.000e+00"),
        ("%+.3e", 0x3fb999999999999a, "+1.000e-01"),
        ("%+.3e", 0x3fe0000000000000, "+5.000e-01"),
        ("%+.3e", 0x3ff8000000000000, "+1.500e+00"),
        ("%+.3e", 0x4004000000000000, "+2.500e+00"),
        ("%+.3e", 0xc004000000000000, "-2.500e+00"),
        ("%+.3e", 0x4059000000000000, "+1.000e+02"),
        ("%+.3e", 0x430c6bf526340000, "+1.000e+15"),
        ("%+.3e", 0x4341c37937e08000, "+1.000e+16"),
        ("%+.3e", 0x54b249ad2594c37d, "+1.000e+100"),
        ("%+.3e", 0x42dc12218377de40, "+1.235e+14"),
        ("%+.3e", 0x43118b54f22aeb00, "+1.235e+15"),
        ("%+.3e", 0x400921fb54442d11, "+3.142e+00"),
        ("%+.3e", 0x4340000000000000, "+9.007e+15"),
        ("%+.3e", 0x43e0000000000000, "+9.223e+18"),
        ("%+.3e", 0xc3e0000000000000, "-9.223e+18"),
        ("%+.3e", 0x3ee4f8b588e368f1, "+1.000e-05"),
        ("%+.3e", 0x3f1a36e2eb1c432d, "+1.000e-04"),
        ("%+.3e", 0x40f869ff33333333, "+1.000e+05"),
        ("%+.3e", 0x0000000000000001, "+4.941e-324"),
        ("%+.3e", 0x0010000000000000, "+2.225e-308"),
        ("%+.3e", 0x7fefffffffffffff, "+1.798e+308"),
        ("%+.3e", 0x3fd5555555555555, "+3.333e-01"),
        ("%+.3e", 0x3fe5555555555555, "+6.667e-01"),
        ("%+.3e", 0x7e37e43c8800759c, "+1.000e+300"),
        ("%+.3e", 0x3fd3333333333333, "+3.000e-01"),
        ("%+.3e", 0x40c81cd6e631f8a1, "+1.235e+04"),
        ("%+.3e", 0x7ff0000000000000, "+inf"),
        ("%+.3e", 0xfff0000000000000, "-inf"),
        ("% .2E", 0x0000000000000000, " 0.00E+00"),
        ("% .2E", 0x8000000000000000, "-0.00E+00"),
        ("% .2E", 0x3ff0000000000000, " 1.00E+00"),
        ("% .2E", 0xbff0000000000000, "-1.00E+00"),
        ("% .2E", 0x3fb999999999999a, " 1.00E-01"),
        ("% .2E", 0x3fe0000000000000, " 5.00E-01"),
        ("% .2E", 0x3ff8000000000000, " 1.50E+00"),
        ("% .2E", 0x4004000000000000, " 2.50E+00"),
        ("% .2E", 0xc004000000000000, "-2.50E+00"),
        ("% .2E", 0x4059000000000000, " 1.00E+02"),
        ("% .2E", 0x430c6bf526340000, " 1.00E+15"),
        ("% .2E", 0x4341c37937e08000, " 1.00E+16"),
        ("% .2E", 0x54b249ad2594c37d, " 1.00E+100"),
        ("% .2E", 0x42dc12218377de40, " 1.23E+14"),
        ("% .2E", 0x43118b54f22aeb00, " 1.23E+15"),
        ("% .2E", 0x400921fb54442d11, " 3.14E+00"),
        ("% .2E", 0x4340000000000000, " 9.01E+15"),
        ("% .2E", 0x43e0000000000000, " 9.22E+18"),
        ("% .2E", 0xc3e0000000000000, "-9.22E+18"),
        ("% .2E", 0x3ee4f8b588e368f1, " 1.00E-05"),
        ("% .2E", 0x3f1a36e2eb1c432d, " 1.00E-04"),
        ("% .2E", 0x40f869ff33333333, " 1.00E+05"),
        ("% .2E", 0x0000000000000001, " 4.94E-324"),
        ("% .2E", 0x0010000000000000, " 2.23E-308"),
        ("% .2E", 0x7fefffffffffffff, " 1.80E+308"),
        ("% .2E", 0x3fd5555555555555, " 3.33E-01"),
        ("% .2E", 0x3fe5555555555555, " 6.67E-01"),
        ("% .2E", 0x7e37e43c8800759c, " 1.00E+300"),
        ("% .2E", 0x3fd3333333333333, " 3.00E-01"),
        ("% .2E", 0x40c81cd6e631f8a1, " 1.23E+04"),
        ("% .2E", 0x7ff0000000000000, " INF"),
        ("% .2E", 0xfff0000000000000, "-INF"),
        ("%010.2f", 0x0000000000000000, "0000000.00"),
        ("%010.2f", 0x8000000000000000, "-000000.00"),
        ("%010.2f", 0x3ff0000000000000, "0000001.00"),
        ("%010.2f", 0xbff0000000000000, "-000001.00"),
        ("%010.2f", 0x3fb999999999999a, "0000000.10"),
        ("%010.2f", 0x3fe0000000000000, "0000000.50"),
        ("%010.2f", 0x3ff8000000000000, "0000001.50"),
        ("%010.2f", 0x4004000000000000, "0000002.50"),
        ("%010.2f", 0xc004000000000000, "-000002.50"),
        ("%010.2f", 0x4059000000000000, "0000100.00"),
        ("%010.2f", 0x430c6bf526340000, "1000000000000000.00"),
        ("%010.2f", 0x4341c37937e08000, "10000000000000000.00"),
        ("%010.2f", 0x54b249ad2594c37d, "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104.00"),
        ("%010.2f", 0x42dc12218377de40, "123456789012345.00"),
        ("%010.2f", 0x43118b54f22aeb00, "1234567890123456.00"),
        ("%010.2f", 0x400921fb54442d11, "0000003.14"),
        ("%010.2f", 0x4340000000000000, "9007199254740992.00"),
        ("%010.2f", 0x43e0000000000000, "9223372036854775808.00"),
        ("%010.2f", 0xc3e0000000000000, "-9223372036854775808.00"),
        ("%010.2f", 0x3ee4f8b588e368f1, "0000000.00"),
        ("%010.2f", 0x3f1a36e2eb1c432d, "0000000.00"),
        ("%010.2f", 0x40f869ff33333333, "0099999.95"),
        ("%010.2f", 0x0000000000000001, "0000000.00"),
        ("%010.2f", 0x0010000000000000, "0000000.00"),
        ("%010.2f", 0x7fefffffffffffff, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.00"),
        ("%010.2f", 0x3fd5555555555555, "0000000.33"),
        ("%010.2f", 0x3fe5555555555555, "0000000.67"),
        ("%010.2f", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.00"),
        ("%010.2f", 0x3fd3333333333333, "0000000.30"),
        ("%010.2f", 0x40c81cd6e631f8a1, "0012345.68"),
        ("%010.2f", 0x7ff0000000000000, "       inf"),
        ("%010.2f", 0xfff0000000000000, "      -inf"),
        ("%.3g", 0x0000000000000000, "0"),
        ("%.3g", 0x8000000000000000, "-0"),
        ("%.3g", 0x3ff0000000000000, "1"),
        ("%.3g", 0xbff0000000000000, "-1"),
        ("%.3g", 0x3fb999999999999a, "0.1"),
        ("%.3g", 0x3fe0000000000000, "0.5"),
        ("%.3g", 0x3ff8000000000000, "1.5"),
        ("%.3g", 0x4004000000000000, "2.5"),
        ("%.3g", 0xc004000000000000, "-2.5"),
        ("%.3g", 0x4059000000000000, "100"),
        ("%.3g", 0x430c6bf526340000, "1e+15"),
        ("%.3g", 0x4341c37937e08000, "1e+16"),
        ("%.3g", 0x54b249ad2594c37d, "1e+100"),
        ("%.3g", 0x42dc12218377de40, "1.23e+14"),
        ("%.3g", 0x43118b54f22aeb00, "1.23e+15"),
        ("%.3g", 0x400921fb54442d11, "3.14"),
        ("%.3g", 0x4340000000000000, "9.01e+15"),
        ("%.3g", 0x43e0000000000000, "9.22e+18"),
        ("%.3g", 0xc3e0000000000000, "-9.22e+18"),
        ("%.3g", 0x3ee4f8b588e368f1, "1e-05"),
        ("%.3g", 0x3f1a36e2eb1c432d, "0.0001"),
        ("%.3g", 0x40f869ff33333333, "1e+05"),
        ("%.3g", 0x0000000000000001, "4.94e-324"),
        ("%.3g", 0x0010000000000000, "2.23e-308"),
        ("%.3g", 0x7fefffffffffffff, "1.8e+308"),
        ("%.3g", 0x3fd5555555555555, "0.333"),
        ("%.3g", 0x3fe5555555555555, "0.667"),
        ("%.3g", 0x7e37e43c8800759c, "1e+300"),
        ("%.3g", 0x3fd3333333333333, "0.3"),
        ("%.3g", 0x40c81cd6e631f8a1, "1.23e+04"),
        ("%.3g", 0x7ff0000000000000, "inf"),
        ("%.3g", 0xfff0000000000000, "-inf"),
        ("%#.3g", 0x0000000000000000, "0.00"),
        ("%#.3g", 0x8000000000000000, "-0.00"),
        ("%#.3g", 0x3ff0000000000000, "1.00"),
        ("%#.3g", 0xbff0000000000000, "-1.00"),
        ("%#.3g", 0x3fb999999999999a, "0.100"),
        ("%#.3g", 0x3fe0000000000000, "0.500"),
        ("%#.3g", 0x3ff8000000000000, "1.50"),
        ("%#.3g", 0x4004000000000000, "2.50"),
        ("%#.3g", 0xc004000000000000, "-2.50"),
        ("%#.3g", 0x4059000000000000, "100."),
        ("%#.3g", 0x430c6bf526340000, "1.00e+15"),
        ("%#.3g", 0x4341c37937e08000, "1.00e+16"),
        ("%#.3g", 0x54b249ad2594c37d, "1.00e+100"),
        ("%#.3g", 0x42dc12218377de40, "1.23e+14"),
        ("%#.3g", 0x43118b54f22aeb00, "1.23e+15"),
        ("%#.3g", 0x400921fb54442d11, "3.14"),
        ("%#.3g", 0x4340000000000000, "9.01e+15"),
        ("%#.3g", 0x43e0000000000000, "9.22e+18"),
        ("%#.3g", 0xc3e0000000000000, "-9.22e+18"),
        ("%#.3g", 0x3ee4f8b588e368f1, "1.00e-05"),
        ("%#.3g", 0x3f1a36e2eb1c432d, "0.000100"),
        ("%#.3g", 0x40f869ff33333333, "1.00e+05"),
        ("%#.3g", 0x0000000000000001, "4.94e-324"),
        ("%#.3g", 0x0010000000000000, "2.23e-308"),
        ("%#.3g", 0x7fefffffffffffff, "1.80e+308"),
        ("%#.3g", 0x3fd5555555555555, "0.333"),
        ("%#.3g", 0x3fe5555555555555, "0.667"),
        ("%#.3g", 0x7e37e43c8800759c, "1.00e+300"),
        ("%#.3g", 0x3fd3333333333333, "0.300"),
        ("%#.3g", 0x40c81cd6e631f8a1, "1.23e+04"),
        ("%#.3g", 0x7ff0000000000000, "inf"),
        ("%#.3g", 0xfff0000000000000, "-inf"),
        ("%G", 0x0000000000000000, "0"),
        ("%G", 0x8000000000000000, "-0"),
        ("%G", 0x3ff0000000000000, "1"),
        ("%G", 0xbff0000000000000, "-1"),
        ("%G", 0x3fb999999999999a, "0.1"),
        ("%G", 0x3fe0000000000000, "0.5"),
        ("%G", 0x3ff8000000000000, "1.5"),
        ("%G", 0x4004000000000000, "2.5"),
        ("%G", 0xc004000000000000, "-2.5"),
        ("%G", 0x4059000000000000, "100"),
        ("%G", 0x430c6bf526340000, "1E+15"),
        ("%G", 0x4341c37937e08000, "1E+16"),
        ("%G", 0x54b249ad2594c37d, "1E+100"),
        ("%G", 0x42dc12218377de40, "1.23457E+14"),
        ("%G", 0x43118b54f22aeb00, "1.23457E+15"),
        ("%G", 0x400921fb54442d11, "3.14159"),
        ("%G", 0x4340000000000000, "9.0072E+15"),
        ("%G", 0x43e0000000000000, "9.22337E+18"),
        ("%G", 0xc3e0000000000000, "-9.22337E+18"),
        ("%G", 0x3ee4f8b588e368f1, "1E-05"),
        ("%G", 0x3f1a36e2eb1c432d, "0.0001"),
        ("%G", 0x40f869ff33333333, "99999.9"),
        ("%G", 0x0000000000000001, "4.94066E-324"),
        ("%G", 0x0010000000000000, "2.22507E-308"),
        ("%G", 0x7fefffffffffffff, "1.79769E+308"),
        ("%G", 0x3fd5555555555555, "0.333333"),
        ("%G", 0x3fe5555555555555, "0.666667"),
        ("%G", 0x7e37e43c8800759c, "1E+300"),
        ("%G", 0x3fd3333333333333, "0.3"),
        ("%G", 0x40c81cd6e631f8a1, "12345.7"),
        ("%G", 0x7ff0000000000000, "INF"),
        ("%G", 0xfff0000000000000, "-INF"),
        ("%a", 0x0000000000000000, "0x0p+0"),
        ("%a", 0x8000000000000000, "-0x0p+0"),
        ("%a", 0x3ff0000000000000, "0x1p+0"),
        ("%a", 0xbff0000000000000, "-0x1p+0"),
        ("%a", 0x3fb999999999999a, "0x1.999999999999ap-4"),
        ("%a", 0x3fe0000000000000, "0x1p-1"),
        ("%a", 0x3ff8000000000000, "0x1.8p+0"),
        ("%a", 0x4004000000000000, "0x1.4p+1"),
        ("%a", 0xc004000000000000, "-0x1.4p+1"),
        ("%a", 0x4059000000000000, "0x1.9p+6"),
        ("%a", 0x430c6bf526340000, "0x1.c6bf52634p+49"),
        ("%a", 0x4341c37937e08000, "0x1.1c37937e08p+53"),
        ("%a", 0x54b249ad2594c37d, "0x1.249ad2594c37dp+332"),
        ("%a", 0x42dc12218377de40, "0x1.c12218377de4p+46"),
        ("%a", 0x43118b54f22aeb00, "0x1.18b54f22aebp+50"),
        ("%a", 0x400921fb54442d11, "0x1.921fb54442d11p+1"),
        ("%a", 0x4340000000000000, "0x1p+53"),
        ("%a", 0x43e0000000000000, "0x1p+63"),
        ("%a", 0xc3e0000000000000, "-0x1p+63"),
        ("%a", 0x3ee4f8b588e368f1, "0x1.4f8b588e368f1p-17"),
        ("%a", 0x3f1a36e2eb1c432d, "0x1.a36e2eb1c432dp-14"),
        ("%a", 0x40f869ff33333333, "0x1.869ff33333333p+16"),
        ("%a", 0x0000000000000001, "0x0.0000000000001p-1022"),
        ("%a", 0x0010000000000000, "0x1p-1022"),
        ("%a", 0x7fefffffffffffff, "0x1.fffffffffffffp+1023"),
        ("%a", 0x3fd5555555555555, "0x1.5555555555555p-2"),
        ("%a", 0x3fe5555555555555, "0x1.5555555555555p-1"),
        ("%a", 0x7e37e43c8800759c, "0x1.7e43c8800759cp+996"),
        ("%a", 0x3fd3333333333333, "0x1.3333333333333p-2"),
        ("%a", 0x40c81cd6e631f8a1, "0x1.81cd6e631f8a1p+13"),
        ("%a", 0x7ff0000000000000, "inf"),
        ("%a", 0xfff0000000000000, "-inf"),
        ("%A", 0x0000000000000000, "0X0P+0"),
        ("%A", 0x8000000000000000, "-0X0P+0"),
        ("%A", 0x3ff0000000000000, "0X1P+0"),
        ("%A", 0xbff0000000000000, "-0X1P+0"),
        ("%A", 0x3fb999999999999a, "0X1.999999999999AP-4"),
        ("%A", 0x3fe0000000000000, "0X1P-1"),
        ("%A", 0x3ff8000000000000, "0X1.8P+0"),
        ("%A", 0x4004000000000000, "0X1.4P+1"),
        ("%A", 0xc004000000000000, "-0X1.4P+1"),
        ("%A", 0x4059000000000000, "0X1.9P+6"),
        ("%A", 0x430c6bf526340000, "0X1.C6BF52634P+49"),
        ("%A", 0x4341c37937e08000, "0X1.1C37937E08P+53"),
        ("%A", 0x54b249ad2594c37d, "0X1.249AD2594C37DP+332"),
        ("%A", 0x42dc12218377de40, "0X1.C12218377DE4P+46"),
        ("%A", 0x43118b54f22aeb00, "0X1.18B54F22AEBP+50"),
        ("%A", 0x400921fb54442d11, "0X1.921FB54442D11P+1"),
        ("%A", 0x4340000000000000, "0X1P+53"),
        ("%A", 0x43e0000000000000, "0X1P+63"),
        ("%A", 0xc3e0000000000000, "-0X1P+63"),
        ("%A", 0x3ee4f8b588e368f1, "0X1.4F8B588E368F1P-17"),
        ("%A", 0x3f1a36e2eb1c432d, "0X1.A36E2EB1C432DP-14"),
        ("%A", 0x40f869ff33333333, "0X1.869FF33333333P+16"),
        ("%A", 0x0000000000000001, "0X0.0000000000001P-1022"),
        ("%A", 0x0010000000000000, "0X1P-1022"),
        ("%A", 0x7fefffffffffffff, "0X1.FFFFFFFFFFFFFP+1023"),
        ("%A", 0x3fd5555555555555, "0X1.5555555555555P-2"),
        ("%A", 0x3fe5555555555555, "0X1.5555555555555P-1"),
        ("%A", 0x7e37e43c8800759c, "0X1.7E43C8800759CP+996"),
        ("%A", 0x3fd3333333333333, "0X1.3333333333333P-2"),
        ("%A", 0x40c81cd6e631f8a1, "0X1.81CD6E631F8A1P+13"),
        ("%A", 0x7ff0000000000000, "INF"),
        ("%A", 0xfff0000000000000, "-INF"),
        ("%.0a", 0x0000000000000000, "0x0p+0"),
        ("%.0a", 0x8000000000000000, "-0x0p+0"),
        ("%.0a", 0x3ff0000000000000, "0x1p+0"),
        ("%.0a", 0xbff0000000000000, "-0x1p+0"),
        ("%.0a", 0x3fb999999999999a, "0x2p-4"),
        ("%.0a", 0x3fe0000000000000, "0x1p-1"),
        ("%.0a", 0x3ff8000000000000, "0x2p+0"),
        ("%.0a", 0x4004000000000000, "0x1p+1"),
        ("%.0a", 0xc004000000000000, "-0x1p+1"),
        ("%.0a", 0x4059000000000000, "0x2p+6"),
        ("%.0a", 0x430c6bf526340000, "0x2p+49"),
        ("%.0a", 0x4341c37937e08000, "0x1p+53"),
        ("%.0a", 0x54b249ad2594c37d, "0x1p+332"),
        ("%.0a", 0x42dc12218377de40, "0x2p+46"),
        ("%.0a", 0x43118b54f22aeb00, "0x1p+50"),
        ("%.0a", 0x400921fb54442d11, "0x2p+1"),
        ("%.0a", 0x4340000000000000, "0x1p+53"),
        ("%.0a", 0x43e0000000000000, "0x1p+63"),
        ("%.0a", 0xc3e0000000000000, "-0x1p+63"),
        ("%.0a", 0x3ee4f8b588e368f1, "0x1p-17"),
        ("%.0a", 0x3f1a36e2eb1c432d, "0x2p-14"),
        ("%.0a", 0x40f869ff33333333, "0x2p+16"),
        ("%.0a", 0x0000000000000001, "0x0p-1022"),
        ("%.0a", 0x0010000000000000, "0x1p-1022"),
        ("%.0a", 0x7fefffffffffffff, "0x2p+1023"),
        ("%.0a", 0x3fd5555555555555, "0x1p-2"),
        ("%.0a", 0x3fe5555555555555, "0x1p-1"),
        ("%.0a", 0x7e37e43c8800759c, "0x1p+996"),
        ("%.0a", 0x3fd3333333333333, "0x1p-2"),
        ("%.0a", 0x40c81cd6e631f8a1, "0x2p+13"),
        ("%.0a", 0x7ff0000000000000, "inf"),
        ("%.0a", 0xfff0000000000000, "-inf"),
        ("%.1a", 0x0000000000000000, "0x0.0p+0"),
        ("%.1a", 0x8000000000000000, "-0x0.0p+0"),
        ("%.1a", 0x3ff0000000000000, "0x1.0p+0"),
        ("%.1a", 0xbff0000000000000, "-0x1.0p+0"),
        ("%.1a", 0x3fb999999999999a, "0x1.ap-4"),
        ("%.1a", 0x3fe0000000000000, "0x1.0p-1"),
        ("%.1a", 0x3ff8000000000000, "0x1.8p+0"),
        ("%.1a", 0x4004000000000000, "0x1.4p+1"),
        ("%.1a", 0xc004000000000000, "-0x1.4p+1"),
        ("%.1a", 0x4059000000000000, "0x1.9p+6"),
        ("%.1a", 0x430c6bf526340000, "0x1.cp+49"),
        ("%.1a", 0x4341c37937e08000, "0x1.2p+53"),
        ("%.1a", 0x54b249ad2594c37d, "0x1.2p+332"),
        ("%.1a", 0x42dc12218377de40, "0x1.cp+46"),
        ("%.1a", 0x43118b54f22aeb00, "0x1.2p+50"),
        ("%.1a", 0x400921fb54442d11, "0x1.9p+1"),
        ("%.1a", 0x4340000000000000, "0x1.0p+53"),
        ("%.1a", 0x43e0000000000000, "0x1.0p+63"),
        ("%.1a", 0xc3e0000000000000, "-0x1.0p+63"),
        ("%.1a", 0x3ee4f8b588e368f1, "0x1.5p-17"),
        ("%.1a", 0x3f1a36e2eb1c432d, "0x1.ap-14"),
        ("%.1a", 0x40f869ff33333333, "0x1.8p+16"),
        ("%.1a", 0x0000000000000001, "0x0.0p-1022"),
        ("%.1a", 0x0010000000000000, "0x1.0p-1022"),
        ("%.1a", 0x7fefffffffffffff, "0x2.0p+1023"),
        ("%.1a", 0x3fd5555555555555, "0x1.5p-2"),
        ("%.1a", 0x3fe5555555555555, "0x1.5p-1"),
        ("%.1a", 0x7e37e43c8800759c, "0x1.8p+996"),
        ("%.1a", 0x3fd3333333333333, "0x1.3p-2"),
        ("%.1a", 0x40c81cd6e631f8a1, "0x1.8p+13"),
        ("%.1a", 0x7ff0000000000000, "inf"),
        ("%.1a", 0xfff0000000000000, "-inf"),
        ("%.3a", 0x0000000000000000, "0x0.000p+0"),
        ("%.3a", 0x8000000000000000, "-0x0.000p+0"),
        ("%.3a", 0x3ff0000000000000, "0x1.000p+0"),
        ("%.3a", 0xbff0000000000000, "-0x1.000p+0"),
        ("%.3a", 0x3fb999999999999a, "0x1.99ap-4"),
        ("%.3a", 0x3fe0000000000000, "0x1.000p-1"),
        ("%.3a", 0x3ff8000000000000, "0x1.800p+0"),
        ("%.3a", 0x4004000000000000, "0x1.400p+1"),
        ("%.3a", 0xc004000000000000, "-0x1.400p+1"),
        ("%.3a", 0x4059000000000000, "0x1.900p+6"),
        ("%.3a", 0x430c6bf526340000, "0x1.c6cp+49"),
        ("%.3a", 0x4341c37937e08000, "0x1.1c3p+53"),
        ("%.3a", 0x54b249ad2594c37d, "0x1.24ap+332"),
        ("%.3a", 0x42dc12218377de40, "0x1.c12p+46"),
        ("%.3a", 0x43118b54f22aeb00, "0x1.18bp+50"),
        ("%.3a", 0x400921fb54442d11, "0x1.922p+1"),
        ("%.3a", 0x4340000000000000, "0x1.000p+53"),
        ("%.3a", 0x43e0000000000000, "0x1.000p+63"),
        ("%.3a", 0xc3e0000000000000, "-0x1.000p+63"),
        ("%.3a", 0x3ee4f8b588e368f1, "0x1.4f9p-17"),
        ("%.3a", 0x3f1a36e2eb1c432d, "0x1.a37p-14"),
        ("%.3a", 0x40f869ff33333333, "0x1.86ap+16"),
        ("%.3a", 0x0000000000000001, "0x0.000p-1022"),
        ("%.3a", 0x0010000000000000, "0x1.000p-1022"),
        ("%.3a", 0x7fefffffffffffff, "0x2.000p+1023"),
        ("%.3a", 0x3fd5555555555555, "0x1.555p-2"),
        ("%.3a", 0x3fe5555555555555, "0x1.555p-1"),
        ("%.3a", 0x7e37e43c8800759c, "0x1.7e4p+996"),
        ("%.3a", 0x3fd3333333333333, "0x1.333p-2"),
        ("%.3a", 0x40c81cd6e631f8a1, "0x1.81dp+13"),
        ("%.3a", 0x7ff0000000000000, "inf"),
        ("%.3a", 0xfff0000000000000, "-inf"),
        ("%#a", 0x0000000000000000, "0x0.p+0"),
        ("%#a", 0x8000000000000000, "-0x0.p+0"),
        ("%#a", 0x3ff0000000000000, "0x1.p+0"),
        ("%#a", 0xbff0000000000000, "-0x1.p+0"),
        ("%#a", 0x3fb999999999999a, "0x1.999999999999ap-4"),
        ("%#a", 0x3fe0000000000000, "0x1.p-1"),
        ("%#a", 0x3ff8000000000000, "0x1.8p+0"),
        ("%#a", 0x4004000000000000, "0x1.4p+1"),
        ("%#a", 0xc004000000000000, "-0x1.4p+1"),
        ("%#a", 0x4059000000000000, "0x1.9p+6"),
        ("%#a", 0x430c6bf526340000, "0x1.c6bf52634p+49"),
        ("%#a", 0x4341c37937e08000, "0x1.1c37937e08p+53"),
        ("%#a", 0x54b249ad2594c37d, "0x1.249ad2594c37dp+332"),
        ("%#a", 0x42dc12218377de40, "0x1.c12218377de4p+46"),
        ("%#a", 0x43118b54f22aeb00, "0x1.18b54f22aebp+50"),
        ("%#a", 0x400921fb54442d11, "0x1.921fb54442d11p+1"),
        ("%#a", 0x4340000000000000, "0x1.p+53"),
        ("%#a", 0x43e0000000000000, "0x1.p+63"),
        ("%#a", 0xc3e0000000000000, "-0x1.p+63"),
        ("%#a", 0x3ee4f8b588e368f1, "0x1.4f8b588e368f1p-17"),
        ("%#a", 0x3f1a36e2eb1c432d, "0x1.a36e2eb1c432dp-14"),
        ("%#a", 0x40f869ff33333333, "0x1.869ff33333333p+16"),
        ("%#a", 0x0000000000000001, "0x0.0000000000001p-1022"),
        ("%#a", 0x0010000000000000, "0x1.p-1022"),
        ("%#a", 0x7fefffffffffffff, "0x1.fffffffffffffp+1023"),
        ("%#a", 0x3fd5555555555555, "0x1.5555555555555p-2"),
        ("%#a", 0x3fe5555555555555, "0x1.5555555555555p-1"),
        ("%#a", 0x7e37e43c8800759c, "0x1.7e43c8800759cp+996"),
        ("%#a", 0x3fd3333333333333, "0x1.3333333333333p-2"),
        ("%#a", 0x40c81cd6e631f8a1, "0x1.81cd6e631f8a1p+13"),
        ("%#a", 0x7ff0000000000000, "inf"),
        ("%#a", 0xfff0000000000000, "-inf"),
        ("%20a", 0x0000000000000000, "              0x0p+0"),
        ("%20a", 0x8000000000000000, "             -0x0p+0"),
        ("%20a", 0x3ff0000000000000, "              0x1p+0"),
        ("%20a", 0xbff0000000000000, "             -0x1p+0"),
        ("%20a", 0x3fb999999999999a, "0x1.999999999999ap-4"),
        ("%20a", 0x3fe0000000000000, "              0x1p-1"),
        ("%20a", 0x3ff8000000000000, "            0x1.8p+0"),
        ("%20a", 0x4004000000000000, "            0x1.4p+1"),
        ("%20a", 0xc004000000000000, "           -0x1.4p+1"),
        ("%20a", 0x4059000000000000, "            0x1.9p+6"),
        ("%20a", 0x430c6bf526340000, "   0x1.c6bf52634p+49"),
        ("%20a", 0x4341c37937e08000, "  0x1.1c37937e08p+53"),
        ("%20a", 0x54b249ad2594c37d, "0x1.249ad2594c37dp+332"),
        ("%20a", 0x42dc12218377de40, "0x1.c12218377de4p+46"),
        ("%20a", 0x43118b54f22aeb00, " 0x1.18b54f22aebp+50"),
        ("%20a", 0x400921fb54442d11, "0x1.921fb54442d11p+1"),
        ("%20a", 0x4340000000000000, "             0x1p+53"),
        ("%20a", 0x43e0000000000000, "             0x1p+63"),
        ("%20a", 0xc3e0000000000000, "            -0x1p+63"),
        ("%20a", 0x3ee4f8b588e368f1, "0x1.4f8b588e368f1p-17"),
        ("%20a", 0x3f1a36e2eb1c432d, "0x1.a36e2eb1c432dp-14"),
        ("%20a", 0x40f869ff33333333, "0x1.869ff33333333p+16"),
        ("%20a", 0x0000000000000001, "0x0.0000000000001p-1022"),
        ("%20a", 0x0010000000000000, "           0x1p-1022"),
        ("%20a", 0x7fefffffffffffff, "0x1.fffffffffffffp+1023"),
        ("%20a", 0x3fd5555555555555, "0x1.5555555555555p-2"),
        ("%20a", 0x3fe5555555555555, "0x1.5555555555555p-1"),
        ("%20a", 0x7e37e43c8800759c, "0x1.7e43c8800759cp+996"),
        ("%20a", 0x3fd3333333333333, "0x1.3333333333333p-2"),
        ("%20a", 0x40c81cd6e631f8a1, "0x1.81cd6e631f8a1p+13"),
        ("%20a", 0x7ff0000000000000, "                 inf"),
        ("%20a", 0xfff0000000000000, "                -inf"),
        ("%020a", 0x0000000000000000, "0x000000000000000p+0"),
        ("%020a", 0x8000000000000000, "-0x00000000000000p+0"),
        ("%020a", 0x3ff0000000000000, "0x000000000000001p+0"),
        ("%020a", 0xbff0000000000000, "-0x00000000000001p+0"),
        ("%020a", 0x3fb999999999999a, "0x1.999999999999ap-4"),
        ("%020a", 0x3fe0000000000000, "0x000000000000001p-1"),
        ("%020a", 0x3ff8000000000000, "0x0000000000001.8p+0"),
        ("%020a", 0x4004000000000000, "0x0000000000001.4p+1"),
        ("%020a", 0xc004000000000000, "-0x000000000001.4p+1"),
        ("%020a", 0x4059000000000000, "0x0000000000001.9p+6"),
        ("%020a", 0x430c6bf526340000, "0x0001.c6bf52634p+49"),
        ("%020a", 0x4341c37937e08000, "0x001.1c37937e08p+53"),
        ("%020a", 0x54b249ad2594c37d, "0x1.249ad2594c37dp+332"),
        ("%020a", 0x42dc12218377de40, "0x1.c12218377de4p+46"),
        ("%020a", 0x43118b54f22aeb00, "0x01.18b54f22aebp+50"),
        ("%020a", 0x400921fb54442d11, "0x1.921fb54442d11p+1"),
        ("%020a", 0x4340000000000000, "0x00000000000001p+53"),
        ("%020a", 0x43e0000000000000, "0x00000000000001p+63"),
        ("%020a", 0xc3e0000000000000, "-0x0000000000001p+63"),
        ("%020a", 0x3ee4f8b588e368f1, "0x1.4f8b588e368f1p-17"),
        ("%020a", 0x3f1a36e2eb1c432d, "0x1.a36e2eb1c432dp-14"),
        ("%020a", 0x40f869ff33333333, "0x1.869ff33333333p+16"),
        ("%020a", 0x0000000000000001, "0x0.0000000000001p-1022"),
        ("%020a", 0x0010000000000000, "0x000000000001p-1022"),
        ("%020a", 0x7fefffffffffffff, "0x1.fffffffffffffp+1023"),
        ("%020a", 0x3fd5555555555555, "0x1.5555555555555p-2"),
        ("%020a", 0x3fe5555555555555, "0x1.5555555555555p-1"),
        ("%020a", 0x7e37e43c8800759c, "0x1.7e43c8800759cp+996"),
        ("%020a", 0x3fd3333333333333, "0x1.3333333333333p-2"),
        ("%020a", 0x40c81cd6e631f8a1, "0x1.81cd6e631f8a1p+13"),
        ("%020a", 0x7ff0000000000000, "                 inf"),
        ("%020a", 0xfff0000000000000, "                -inf"),
        ("%-+20a|", 0x0000000000000000, "+0x0p+0             |"),
        ("%-+20a|", 0x8000000000000000, "-0x0p+0             |"),
        ("%-+20a|", 0x3ff0000000000000, "+0x1p+0             |"),
        ("%-+20a|", 0xbff0000000000000, "-0x1p+0             |"),
        ("%-+20a|", 0x3fb999999999999a, "+0x1.999999999999ap-4|"),
        ("%-+20a|", 0x3fe0000000000000, "+0x1p-1             |"),
        ("%-+20a|", 0x3ff8000000000000, "+0x1.8p+0           |"),
        ("%-+20a|", 0x4004000000000000, "+0x1.4p+1           |"),
        ("%-+20a|", 0xc004000000000000, "-0x1.4p+1           |"),
        ("%-+20a|", 0x4059000000000000, "+0x1.9p+6           |"),
        ("%-+20a|", 0x430c6bf526340000, "+0x1.c6bf52634p+49  |"),
        ("%-+20a|", 0x4341c37937e08000, "+0x1.1c37937e08p+53 |"),
        ("%-+20a|", 0x54b249ad2594c37d, "+0x1.249ad2594c37dp+332|"),
        ("%-+20a|", 0x42dc12218377de40, "+0x1.c12218377de4p+46|"),
        ("%-+20a|", 0x43118b54f22aeb00, "+0x1.18b54f22aebp+50|"),
        ("%-+20a|", 0x400921fb54442d11, "+0x1.921fb54442d11p+1|"),
        ("%-+20a|", 0x4340000000000000, "+0x1p+53            |"),
        ("%-+20a|", 0x43e0000000000000, "+0x1p+63            |"),
        ("%-+20a|", 0xc3e0000000000000, "-0x1p+63            |"),
        ("%-+20a|", 0x3ee4f8b588e368f1, "+0x1.4f8b588e368f1p-17|"),
        ("%-+20a|", 0x3f1a36e2eb1c432d, "+0x1.a36e2eb1c432dp-14|"),
        ("%-+20a|", 0x40f869ff33333333, "+0x1.869ff33333333p+16|"),
        ("%-+20a|", 0x0000000000000001, "+0x0.0000000000001p-1022|"),
        ("%-+20a|", 0x0010000000000000, "+0x1p-1022          |"),
        ("%-+20a|", 0x7fefffffffffffff, "+0x1.fffffffffffffp+1023|"),
        ("%-+20a|", 0x3fd5555555555555, "+0x1.5555555555555p-2|"),
        ("%-+20a|", 0x3fe5555555555555, "+0x1.5555555555555p-1|"),
        ("%-+20a|", 0x7e37e43c8800759c, "+0x1.7e43c8800759cp+996|"),
        ("%-+20a|", 0x3fd3333333333333, "+0x1.3333333333333p-2|"),
        ("%-+20a|", 0x40c81cd6e631f8a1, "+0x1.81cd6e631f8a1p+13|"),
        ("%-+20a|", 0x7ff0000000000000, "+inf                |"),
        ("%-+20a|", 0xfff0000000000000, "-inf                |"),
        ("%.99f", 0x3fb999999999999a, "0.100000000000000005551115123125782702118158340454101562500000000000000000000000000000000000000000000"),
        ("%.99f", 0x0000000000000001, "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
        ("%.99f", 0x3fd5555555555555, "0.333333333333333314829616256247390992939472198486328125000000000000000000000000000000000000000000000"),
        ("%.99f", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
        ("%99.3e", 0x3fb999999999999a, "                                                                                          1.000e-01"),
        ("%99.3e", 0x0000000000000001, "                                                                                         4.941e-324"),
        ("%99.3e", 0x3fd5555555555555, "                                                                                          3.333e-01"),
        ("%99.3e", 0x7e37e43c8800759c, "                                                                                         1.000e+300"),
        ("%.0e", 0x0000000000000000, "0e+00"),
        ("%.0e", 0x8000000000000000, "-0e+00"),
        ("%.0e", 0x3ff0000000000000, "1e+00"),
        ("%.0e", 0xbff0000000000000, "-1e+00"),
        ("%.0e", 0x3fb999999999999a, "1e-01"),
        ("%.0e", 0x3fe0000000000000, "5e-01"),
        ("%.0e", 0x3ff8000000000000, "2e+00"),
        ("%.0e", 0x4004000000000000, "2e+00"),
        ("%.0e", 0xc004000000000000, "-2e+00"),
        ("%.0e", 0x4059000000000000, "1e+02"),
        ("%.0e", 0x430c6bf526340000, "1e+15"),
        ("%.0e", 0x4341c37937e08000, "1e+16"),
        ("%.0e", 0x54b249ad2594c37d, "1e+100"),
        ("%.0e", 0x42dc12218377de40, "1e+14"),
        ("%.0e", 0x43118b54f22aeb00, "1e+15"),
        ("%.0e", 0x400921fb54442d11, "3e+00"),
        ("%.0e", 0x4340000000000000, "9e+15"),
        ("%.0e", 0x43e0000000000000, "9e+18"),
        ("%.0e", 0xc3e0000000000000, "-9e+18"),
        ("%.0e", 0x3ee4f8b588e368f1, "1e-05"),
        ("%.0e", 0x3f1a36e2eb1c432d, "1e-04"),
        ("%.0e", 0x40f869ff33333333, "1e+05"),
        ("%.0e", 0x0000000000000001, "5e-324"),
        ("%.0e", 0x0010000000000000, "2e-308"),
        ("%.0e", 0x7fefffffffffffff, "2e+308"),
        ("%.0e", 0x3fd5555555555555, "3e-01"),
        ("%.0e", 0x3fe5555555555555, "7e-01"),
        ("%.0e", 0x7e37e43c8800759c, "1e+300"),
        ("%.0e", 0x3fd3333333333333, "3e-01"),
        ("%.0e", 0x40c81cd6e631f8a1, "1e+04"),
        ("%.0e", 0x7ff0000000000000, "inf"),
        ("%.0e", 0xfff0000000000000, "-inf"),
        ("%#.0e", 0x0000000000000000, "0.e+00"),
        ("%#.0e", 0x8000000000000000, "-0.e+00"),
        ("%#.0e", 0x3ff0000000000000, "1.e+00"),
        ("%#.0e", 0xbff0000000000000, "-1.e+00"),
        ("%#.0e", 0x3fb999999999999a, "1.e-01"),
        ("%#.0e", 0x3fe0000000000000, "5.e-01"),
        ("%#.0e", 0x3ff8000000000000, "2.e+00"),
        ("%#.0e", 0x4004000000000000, "2.e+00"),
        ("%#.0e", 0xc004000000000000, "-2.e+00"),
        ("%#.0e", 0x4059000000000000, "1.e+02"),
        ("%#.0e", 0x430c6bf526340000, "1.e+15"),
        ("%#.0e", 0x4341c37937e08000, "1.e+16"),
        ("%#.0e", 0x54b249ad2594c37d, "1.e+100"),
        ("%#.0e", 0x42dc12218377de40, "1.e+14"),
        ("%#.0e", 0x43118b54f22aeb00, "1.e+15"),
        ("%#.0e", 0x400921fb54442d11, "3.e+00"),
        ("%#.0e", 0x4340000000000000, "9.e+15"),
        ("%#.0e", 0x43e0000000000000, "9.e+18"),
        ("%#.0e", 0xc3e0000000000000, "-9.e+18"),
        ("%#.0e", 0x3ee4f8b588e368f1, "1.e-05"),
        ("%#.0e", 0x3f1a36e2eb1c432d, "1.e-04"),
        ("%#.0e", 0x40f869ff33333333, "1.e+05"),
        ("%#.0e", 0x0000000000000001, "5.e-324"),
        ("%#.0e", 0x0010000000000000, "2.e-308"),
        ("%#.0e", 0x7fefffffffffffff, "2.e+308"),
        ("%#.0e", 0x3fd5555555555555, "3.e-01"),
        ("%#.0e", 0x3fe5555555555555, "7.e-01"),
        ("%#.0e", 0x7e37e43c8800759c, "1.e+300"),
        ("%#.0e", 0x3fd3333333333333, "3.e-01"),
        ("%#.0e", 0x40c81cd6e631f8a1, "1.e+04"),
        ("%#.0e", 0x7ff0000000000000, "inf"),
        ("%#.0e", 0xfff0000000000000, "-inf"),
        ("%#g", 0x0000000000000000, "0.00000"),
        ("%#g", 0x8000000000000000, "-0.00000"),
        ("%#g", 0x3ff0000000000000, "1.00000"),
        ("%#g", 0xbff0000000000000, "-1.00000"),
        ("%#g", 0x3fb999999999999a, "0.100000"),
        ("%#g", 0x3fe0000000000000, "0.500000"),
        ("%#g", 0x3ff8000000000000, "1.50000"),
        ("%#g", 0x4004000000000000, "2.50000"),
        ("%#g", 0xc004000000000000, "-2.50000"),
        ("%#g", 0x4059000000000000, "100.000"),
        ("%#g", 0x430c6bf526340000, "1.00000e+15"),
        ("%#g", 0x4341c37937e08000, "1.00000e+16"),
        ("%#g", 0x54b249ad2594c37d, "1.00000e+100"),
        ("%#g", 0x42dc12218377de40, "1.23457e+14"),
        ("%#g", 0x43118b54f22aeb00, "1.23457e+15"),
        ("%#g", 0x400921fb54442d11, "3.14159"),
        ("%#g", 0x4340000000000000, "9.00720e+15"),
        ("%#g", 0x43e0000000000000, "9.22337e+18"),
        ("%#g", 0xc3e0000000000000, "-9.22337e+18"),
        ("%#g", 0x3ee4f8b588e368f1, "1.00000e-05"),
        ("%#g", 0x3f1a36e2eb1c432d, "0.000100000"),
        ("%#g", 0x40f869ff33333333, "99999.9"),
        ("%#g", 0x0000000000000001, "4.94066e-324"),
        ("%#g", 0x0010000000000000, "2.22507e-308"),
        ("%#g", 0x7fefffffffffffff, "1.79769e+308"),
        ("%#g", 0x3fd5555555555555, "0.333333"),
        ("%#g", 0x3fe5555555555555, "0.666667"),
        ("%#g", 0x7e37e43c8800759c, "1.00000e+300"),
        ("%#g", 0x3fd3333333333333, "0.300000"),
        ("%#g", 0x40c81cd6e631f8a1, "12345.7"),
        ("%#g", 0x7ff0000000000000, "inf"),
        ("%#g", 0xfff0000000000000, "-inf"),
        ("%.17g", 0x0000000000000000, "0"),
        ("%.17g", 0x8000000000000000, "-0"),
        ("%.17g", 0x3ff0000000000000, "1"),
        ("%.17g", 0xbff0000000000000, "-1"),
        ("%.17g", 0x3fb999999999999a, "0.10000000000000001"),
        ("%.17g", 0x3fe0000000000000, "0.5"),
        ("%.17g", 0x3ff8000000000000, "1.5"),
        ("%.17g", 0x4004000000000000, "2.5"),
        ("%.17g", 0xc004000000000000, "-2.5"),
        ("%.17g", 0x4059000000000000, "100"),
        ("%.17g", 0x430c6bf526340000, "1000000000000000"),
        ("%.17g", 0x4341c37937e08000, "10000000000000000"),
        ("%.17g", 0x54b249ad2594c37d, "1e+100"),
        ("%.17g", 0x42dc12218377de40, "123456789012345"),
        ("%.17g", 0x43118b54f22aeb00, "1234567890123456"),
        ("%.17g", 0x400921fb54442d11, "3.14159265358979"),
        ("%.17g", 0x4340000000000000, "9007199254740992"),
        ("%.17g", 0x43e0000000000000, "9.2233720368547758e+18"),
        ("%.17g", 0xc3e0000000000000, "-9.2233720368547758e+18"),
        ("%.17g", 0x3ee4f8b588e368f1, "1.0000000000000001e-05"),
        ("%.17g", 0x3f1a36e2eb1c432d, "0.0001"),
        ("%.17g", 0x40f869ff33333333, "99999.949999999997"),
        ("%.17g", 0x0000000000000001, "4.9406564584124654e-324"),
        ("%.17g", 0x0010000000000000, "2.2250738585072014e-308"),
        ("%.17g", 0x7fefffffffffffff, "1.7976931348623157e+308"),
        ("%.17g", 0x3fd5555555555555, "0.33333333333333331"),
        ("%.17g", 0x3fe5555555555555, "0.66666666666666663"),
        ("%.17g", 0x7e37e43c8800759c, "1.0000000000000001e+300"),
        ("%.17g", 0x3fd3333333333333, "0.29999999999999999"),
        ("%.17g", 0x40c81cd6e631f8a1, "12345.678900000001"),
        ("%.17g", 0x7ff0000000000000, "inf"),
        ("%.17g", 0xfff0000000000000, "-inf"),
        ("%5.1f", 0x0000000000000000, "  0.0"),
        ("%5.1f", 0x8000000000000000, " -0.0"),
        ("%5.1f", 0x3ff0000000000000, "  1.0"),
        ("%5.1f", 0xbff0000000000000, " -1.0"),
        ("%5.1f", 0x3fb999999999999a, "  0.1"),
        ("%5.1f", 0x3fe0000000000000, "  0.5"),
        ("%5.1f", 0x3ff8000000000000, "  1.5"),
        ("%5.1f", 0x4004000000000000, "  2.5"),
        ("%5.1f", 0xc004000000000000, " -2.5"),
        ("%5.1f", 0x4059000000000000, "100.0"),
        ("%5.1f", 0x430c6bf526340000, "1000000000000000.0"),
        ("%5.1f", 0x4341c37937e08000, "10000000000000000.0"),
        ("%5.1f", 0x54b249ad2594c37d, "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104.0"),
        ("%5.1f", 0x42dc12218377de40, "123456789012345.0"),
        ("%5.1f", 0x43118b54f22aeb00, "1234567890123456.0"),
        ("%5.1f", 0x400921fb54442d11, "  3.1"),
        ("%5.1f", 0x4340000000000000, "9007199254740992.0"),
        ("%5.1f", 0x43e0000000000000, "9223372036854775808.0"),
        ("%5.1f", 0xc3e0000000000000, "-9223372036854775808.0"),
        ("%5.1f", 0x3ee4f8b588e368f1, "  0.0"),
        ("%5.1f", 0x3f1a36e2eb1c432d, "  0.0"),
        ("%5.1f", 0x40f869ff33333333, "99999.9"),
        ("%5.1f", 0x0000000000000001, "  0.0"),
        ("%5.1f", 0x0010000000000000, "  0.0"),
        ("%5.1f", 0x7fefffffffffffff, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.0"),
        ("%5.1f", 0x3fd5555555555555, "  0.3"),
        ("%5.1f", 0x3fe5555555555555, "  0.7"),
        ("%5.1f", 0x7e37e43c8800759c, "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.0"),
        ("%5.1f", 0x3fd3333333333333, "  0.3"),
        ("%5.1f", 0x40c81cd6e631f8a1, "12345.7"),
        ("%5.1f", 0x7ff0000000000000, "  inf"),
        ("%5.1f", 0xfff0000000000000, " -inf"),
        ("%-05g|", 0x0000000000000000, "0    |"),
        ("%-05g|", 0x8000000000000000, "-0   |"),
        ("%-05g|", 0x3ff0000000000000, "1    |"),
        ("%-05g|", 0xbff0000000000000, "-1   |"),
        ("%-05g|", 0x3fb999999999999a, "0.1  |"),
        ("%-05g|", 0x3fe0000000000000, "0.5  |"),
        ("%-05g|", 0x3ff8000000000000, "1.5  |"),
        ("%-05g|", 0x4004000000000000, "2.5  |"),
        ("%-05g|", 0xc004000000000000, "-2.5 |"),
        ("%-05g|", 0x4059000000000000, "100  |"),
        ("%-05g|", 0x430c6bf526340000, "1e+15|"),
        ("%-05g|", 0x4341c37937e08000, "1e+16|"),
        ("%-05g|", 0x54b249ad2594c37d, "1e+100|"),
        ("%-05g|", 0x42dc12218377de40, "1.23457e+14|"),
        ("%-05g|", 0x43118b54f22aeb00, "1.23457e+15|"),
        ("%-05g|", 0x400921fb54442d11, "3.14159|"),
        ("%-05g|", 0x4340000000000000, "9.0072e+15|"),
        ("%-05g|", 0x43e0000000000000, "9.22337e+18|"),
        ("%-05g|", 0xc3e0000000000000, "-9.22337e+18|"),
        ("%-05g|", 0x3ee4f8b588e368f1, "1e-05|"),
        ("%-05g|", 0x3f1a36e2eb1c432d, "0.0001|"),
        ("%-05g|", 0x40f869ff33333333, "99999.9|"),
        ("%-05g|", 0x0000000000000001, "4.94066e-324|"),
        ("%-05g|", 0x0010000000000000, "2.22507e-308|"),
        ("%-05g|", 0x7fefffffffffffff, "1.79769e+308|"),
        ("%-05g|", 0x3fd5555555555555, "0.333333|"),
        ("%-05g|", 0x3fe5555555555555, "0.666667|"),
        ("%-05g|", 0x7e37e43c8800759c, "1e+300|"),
        ("%-05g|", 0x3fd3333333333333, "0.3  |"),
        ("%-05g|", 0x40c81cd6e631f8a1, "12345.7|"),
        ("%-05g|", 0x7ff0000000000000, "inf  |"),
        ("%-05g|", 0xfff0000000000000, "-inf |"),
        ("%f", 0x7ff8000000000000, "nan"),
        ("%f", 0xfff8000000000000, "-nan"),
        ("%g", 0x7ff8000000000000, "nan"),
        ("%g", 0xfff8000000000000, "-nan"),
        ("%5.1e", 0x7ff8000000000000, "  nan"),
        ("%5.1e", 0xfff8000000000000, " -nan"),
        ("%+a", 0x7ff8000000000000, "+nan"),
        ("%+a", 0xfff8000000000000, "-nan"),
        ("%-6G|", 0x7ff8000000000000, "NAN   |"),
        ("%-6G|", 0xfff8000000000000, "-NAN  |"),
        ("%010f", 0x7ff8000000000000, "       nan"),
        ("%010f", 0xfff8000000000000, "      -nan"),

    ];

    /// `(format, value, lua5.2 output)` for `%d`/`%i`.
    const INT_CASES: &[(&str, i64, &str)] = &[
        ("%d", 0, "0"),
        ("%d", 1, "1"),
        ("%d", -1, "-1"),
        ("%d", 42, "42"),
        ("%d", -42, "-42"),
        ("%d", 123456, "123456"),
        ("%d", 9007199254740992, "9007199254740992"),
        ("%d", -9007199254740992, "-9007199254740992"),
        ("%d", 4611686018427387904, "4611686018427387904"),
        ("%5d", 0, "    0"),
        ("%5d", 1, "    1"),
        ("%5d", -1, "   -1"),
        ("%5d", 42, "   42"),
        ("%5d", -42, "  -42"),
        ("%5d", 123456, "123456"),
        ("%5d", 9007199254740992, "9007199254740992"),
        ("%5d", -9007199254740992, "-9007199254740992"),
        ("%5d", 4611686018427387904, "4611686018427387904"),
        ("%-5d|", 0, "0    |"),
        ("%-5d|", 1, "1    |"),
        ("%-5d|", -1, "-1   |"),
        ("%-5d|", 42, "42   |"),
        ("%-5d|", -42, "-42  |"),
        ("%-5d|", 123456, "123456|"),
        ("%-5d|", 9007199254740992, "9007199254740992|"),
        ("%-5d|", -9007199254740992, "-9007199254740992|"),
        ("%-5d|", 4611686018427387904, "4611686018427387904|"),
        ("%05d", 0, "00000"),
        ("%05d", 1, "00001"),
        ("%05d", -1, "-0001"),
        ("%05d", 42, "00042"),
        ("%05d", -42, "-0042"),
        ("%05d", 123456, "123456"),
        ("%05d", 9007199254740992, "9007199254740992"),
        ("%05d", -9007199254740992, "-9007199254740992"),
        ("%05d", 4611686018427387904, "4611686018427387904"),
        ("%+d", 0, "+0"),
        ("%+d", 1, "+1"),
        ("%+d", -1, "-1"),
        ("%+d", 42, "+42"),
        ("%+d", -42, "-42"),
        ("%+d", 123456, "+123456"),
        ("%+d", 9007199254740992, "+9007199254740992"),
        ("%+d", -9007199254740992, "-9007199254740992"),
        ("%+d", 4611686018427387904, "+4611686018427387904"),
        ("% d", 0, " 0"),
        ("% d", 1, " 1"),
        ("% d", -1, "-1"),
        ("% d", 42, " 42"),
        ("% d", -42, "-42"),
        ("% d", 123456, " 123456"),
        ("% d", 9007199254740992, " 9007199254740992"),
        ("% d", -9007199254740992, "-9007199254740992"),
        ("% d", 4611686018427387904, " 4611686018427387904"),
        ("%.3d", 0, "000"),
        ("%.3d", 1, "001"),
        ("%.3d", -1, "-001"),
        ("%.3d", 42, "042"),
        ("%.3d", -42, "-042"),
        ("%.3d", 123456, "123456"),
        ("%.3d", 9007199254740992, "9007199254740992"),
        ("%.3d", -9007199254740992, "-9007199254740992"),
        ("%.3d", 4611686018427387904, "4611686018427387904"),
        ("%8.3d", 0, "     000"),
        ("%8.3d", 1, "     001"),
        ("%8.3d", -1, "    -001"),
        ("%8.3d", 42, "     042"),
        ("%8.3d", -42, "    -042"),
        ("%8.3d", 123456, "  123456"),
        ("%8.3d", 9007199254740992, "9007199254740992"),
        ("%8.3d", -9007199254740992, "-9007199254740992"),
        ("%8.3d", 4611686018427387904, "4611686018427387904"),
        ("%-8.3d|", 0, "000     |"),
        ("%-8.3d|", 1, "001     |"),
        ("%-8.3d|", -1, "-001    |"),
        ("%-8.3d|", 42, "042     |"),
        ("%-8.3d|", -42, "-042    |"),
        ("%-8.3d|", 123456, "123456  |"),
        ("%-8.3d|", 9007199254740992, "9007199254740992|"),
        ("%-8.3d|", -9007199254740992, "-9007199254740992|"),
        ("%-8.3d|", 4611686018427387904, "4611686018427387904|"),
        ("%08.3d", 0, "     000"),
        ("%08.3d", 1, "     001"),
        ("%08.3d", -1, "    -001"),
        ("%08.3d", 42, "     042"),
        ("%08.3d", -42, "    -042"),
        ("%08.3d", 123456, "  123456"),
        ("%08.3d", 9007199254740992, "9007199254740992"),
        ("%08.3d", -9007199254740992, "-9007199254740992"),
        ("%08.3d", 4611686018427387904, "4611686018427387904"),
        ("%.0d", 0, ""),
        ("%.0d", 1, "1"),
        ("%.0d", -1, "-1"),
        ("%.0d", 42, "42"),
        ("%.0d", -42, "-42"),
        ("%.0d", 123456, "123456"),
        ("%.0d", 9007199254740992, "9007199254740992"),
        ("%.0d", -9007199254740992, "-9007199254740992"),
        ("%.0d", 4611686018427387904, "4611686018427387904"),
        ("%+.0d", 0, "+"),
        ("%+.0d", 1, "+1"),
        ("%+.0d", -1, "-1"),
        ("%+.0d", 42, "+42"),
        ("%+.0d", -42, "-42"),
        ("%+.0d", 123456, "+123456"),
        ("%+.0d", 9007199254740992, "+9007199254740992"),
        ("%+.0d", -9007199254740992, "-9007199254740992"),
        ("%+.0d", 4611686018427387904, "+4611686018427387904"),
        ("% 05d", 0, " 0000"),
        ("% 05d", 1, " 0001"),
        ("% 05d", -1, "-0001"),
        ("% 05d", 42, " 0042"),
        ("% 05d", -42, "-0042"),
        ("% 05d", 123456, " 123456"),
        ("% 05d", 9007199254740992, " 9007199254740992"),
        ("% 05d", -9007199254740992, "-9007199254740992"),
        ("% 05d", 4611686018427387904, " 4611686018427387904"),
        ("%+-6d|", 0, "+0    |"),
        ("%+-6d|", 1, "+1    |"),
        ("%+-6d|", -1, "-1    |"),
        ("%+-6d|", 42, "+42   |"),
        ("%+-6d|", -42, "-42   |"),
        ("%+-6d|", 123456, "+123456|"),
        ("%+-6d|", 9007199254740992, "+9007199254740992|"),
        ("%+-6d|", -9007199254740992, "-9007199254740992|"),
        ("%+-6d|", 4611686018427387904, "+4611686018427387904|"),
        ("%i", 0, "0"),
        ("%i", 1, "1"),
        ("%i", -1, "-1"),
        ("%i", 42, "42"),
        ("%i", -42, "-42"),
        ("%i", 123456, "123456"),
        ("%i", 9007199254740992, "9007199254740992"),
        ("%i", -9007199254740992, "-9007199254740992"),
        ("%i", 4611686018427387904, "4611686018427387904"),
        ("%99d", 0, "                                                                                                  0"),
        ("%99d", 1, "                                                                                                  1"),
        ("%99d", -1, "                                                                                                 -1"),
        ("%99d", 42, "                                                                                                 42"),
        ("%99d", -42, "                                                                                                -42"),
        ("%99d", 123456, "                                                                                             123456"),
        ("%99d", 9007199254740992, "                                                                                   9007199254740992"),
        ("%99d", -9007199254740992, "                                                                                  -9007199254740992"),
        (
            "%99d",
            4611686018427387904,
            "                                                                                4611686018427387904",
        ),
    ];

    /// `(format, value, lua5.2 output)` for `%o %u %x %X`.
    const UINT_CASES: &[(&str, u64, &str)] = &[
        ("%o", 0, "0"),
        ("%o", 1, "1"),
        ("%o", 8, "10"),
        ("%o", 255, "377"),
        ("%o", 4096, "10000"),
        ("%o", 65535, "177777"),
        ("%o", 9007199254740992, "400000000000000000"),
        ("%o", 9223372036854775808, "1000000000000000000000"),
        ("%o", 10000000000000000000, "1053071060221172000000"),
        ("%#o", 0, "0"),
        ("%#o", 1, "01"),
        ("%#o", 8, "010"),
        ("%#o", 255, "0377"),
        ("%#o", 4096, "010000"),
        ("%#o", 65535, "0177777"),
        ("%#o", 9007199254740992, "0400000000000000000"),
        ("%#o", 9223372036854775808, "01000000000000000000000"),
        ("%#o", 10000000000000000000, "01053071060221172000000"),
        ("%#.0o", 0, "0"),
        ("%#.0o", 1, "01"),
        ("%#.0o", 8, "010"),
        ("%#.0o", 255, "0377"),
        ("%#.0o", 4096, "010000"),
        ("%#.0o", 65535, "0177777"),
        ("%#.0o", 9007199254740992, "0400000000000000000"),
        ("%#.0o", 9223372036854775808, "01000000000000000000000"),
        ("%#.0o", 10000000000000000000, "01053071060221172000000"),
        ("%.0o", 0, ""),
        ("%.0o", 1, "1"),
        ("%.0o", 8, "10"),
        ("%.0o", 255, "377"),
        ("%.0o", 4096, "10000"),
        ("%.0o", 65535, "177777"),
        ("%.0o", 9007199254740992, "400000000000000000"),
        ("%.0o", 9223372036854775808, "1000000000000000000000"),
        ("%.0o", 10000000000000000000, "1053071060221172000000"),
        ("%x", 0, "0"),
        ("%x", 1, "1"),
        ("%x", 8, "8"),
        ("%x", 255, "ff"),
        ("%x", 4096, "1000"),
        ("%x", 65535, "ffff"),
        ("%x", 9007199254740992, "20000000000000"),
        ("%x", 9223372036854775808, "8000000000000000"),
        ("%x", 10000000000000000000, "8ac7230489e80000"),
        ("%#x", 0, "0"),
        ("%#x", 1, "0x1"),
        ("%#x", 8, "0x8"),
        ("%#x", 255, "0xff"),
        ("%#x", 4096, "0x1000"),
        ("%#x", 65535, "0xffff"),
        ("%#x", 9007199254740992, "0x20000000000000"),
        ("%#x", 9223372036854775808, "0x8000000000000000"),
        ("%#x", 10000000000000000000, "0x8ac7230489e80000"),
        ("%#X", 0, "0"),
        ("%#X", 1, "0X1"),
        ("%#X", 8, "0X8"),
        ("%#X", 255, "0XFF"),
        ("%#X", 4096, "0X1000"),
        ("%#X", 65535, "0XFFFF"),
        ("%#X", 9007199254740992, "0X20000000000000"),
        ("%#X", 9223372036854775808, "0X8000000000000000"),
        ("%#X", 10000000000000000000, "0X8AC7230489E80000"),
        ("%#.0x", 0, ""),
        ("%#.0x", 1, "0x1"),
        ("%#.0x", 8, "0x8"),
        ("%#.0x", 255, "0xff"),
        ("%#.0x", 4096, "0x1000"),
        ("%#.0x", 65535, "0xffff"),
        ("%#.0x", 9007199254740992, "0x20000000000000"),
        ("%#.0x", 9223372036854775808, "0x8000000000000000"),
        ("%#.0x", 10000000000000000000, "0x8ac7230489e80000"),
        ("%#010x", 0, "0000000000"),
        ("%#010x", 1, "0x00000001"),
        ("%#010x", 8, "0x00000008"),
        ("%#010x", 255, "0x000000ff"),
        ("%#010x", 4096, "0x00001000"),
        ("%#010x", 65535, "0x0000ffff"),
        ("%#010x", 9007199254740992, "0x20000000000000"),
        ("%#010x", 9223372036854775808, "0x8000000000000000"),
        ("%#010x", 10000000000000000000, "0x8ac7230489e80000"),
        ("%-#10x|", 0, "0         |"),
        ("%-#10x|", 1, "0x1       |"),
        ("%-#10x|", 8, "0x8       |"),
        ("%-#10x|", 255, "0xff      |"),
        ("%-#10x|", 4096, "0x1000    |"),
        ("%-#10x|", 65535, "0xffff    |"),
        ("%-#10x|", 9007199254740992, "0x20000000000000|"),
        ("%-#10x|", 9223372036854775808, "0x8000000000000000|"),
        ("%-#10x|", 10000000000000000000, "0x8ac7230489e80000|"),
        ("%08.3X", 0, "     000"),
        ("%08.3X", 1, "     001"),
        ("%08.3X", 8, "     008"),
        ("%08.3X", 255, "     0FF"),
        ("%08.3X", 4096, "    1000"),
        ("%08.3X", 65535, "    FFFF"),
        ("%08.3X", 9007199254740992, "20000000000000"),
        ("%08.3X", 9223372036854775808, "8000000000000000"),
        ("%08.3X", 10000000000000000000, "8AC7230489E80000"),
        ("%u", 0, "0"),
        ("%u", 1, "1"),
        ("%u", 8, "8"),
        ("%u", 255, "255"),
        ("%u", 4096, "4096"),
        ("%u", 65535, "65535"),
        ("%u", 9007199254740992, "9007199254740992"),
        ("%u", 9223372036854775808, "9223372036854775808"),
        ("%u", 10000000000000000000, "10000000000000000000"),
        ("%+u", 0, "0"),
        ("%+u", 1, "1"),
        ("%+u", 8, "8"),
        ("%+u", 255, "255"),
        ("%+u", 4096, "4096"),
        ("%+u", 65535, "65535"),
        ("%+u", 9007199254740992, "9007199254740992"),
        ("%+u", 9223372036854775808, "9223372036854775808"),
        ("%+u", 10000000000000000000, "10000000000000000000"),
        ("% u", 0, "0"),
        ("% u", 1, "1"),
        ("% u", 8, "8"),
        ("% u", 255, "255"),
        ("% u", 4096, "4096"),
        ("% u", 65535, "65535"),
        ("% u", 9007199254740992, "9007199254740992"),
        ("% u", 9223372036854775808, "9223372036854775808"),
        ("% u", 10000000000000000000, "10000000000000000000"),
        ("%5u", 0, "    0"),
        ("%5u", 1, "    1"),
        ("%5u", 8, "    8"),
        ("%5u", 255, "  255"),
        ("%5u", 4096, " 4096"),
        ("%5u", 65535, "65535"),
        ("%5u", 9007199254740992, "9007199254740992"),
        ("%5u", 9223372036854775808, "9223372036854775808"),
        ("%5u", 10000000000000000000, "10000000000000000000"),
        ("%#5o", 0, "    0"),
        ("%#5o", 1, "   01"),
        ("%#5o", 8, "  010"),
        ("%#5o", 255, " 0377"),
        ("%#5o", 4096, "010000"),
        ("%#5o", 65535, "0177777"),
        ("%#5o", 9007199254740992, "0400000000000000000"),
        ("%#5o", 9223372036854775808, "01000000000000000000000"),
        ("%#5o", 10000000000000000000, "01053071060221172000000"),
        ("%.5x", 0, "00000"),
        ("%.5x", 1, "00001"),
        ("%.5x", 8, "00008"),
        ("%.5x", 255, "000ff"),
        ("%.5x", 4096, "01000"),
        ("%.5x", 65535, "0ffff"),
        ("%.5x", 9007199254740992, "20000000000000"),
        ("%.5x", 9223372036854775808, "8000000000000000"),
        ("%.5x", 10000000000000000000, "8ac7230489e80000"),
        ("%#.5o", 0, "00000"),
        ("%#.5o", 1, "00001"),
        ("%#.5o", 8, "00010"),
        ("%#.5o", 255, "00377"),
        ("%#.5o", 4096, "010000"),
        ("%#.5o", 65535, "0177777"),
        ("%#.5o", 9007199254740992, "0400000000000000000"),
        ("%#.5o", 9223372036854775808, "01000000000000000000000"),
        ("%#.5o", 10000000000000000000, "01053071060221172000000"),
    ];

    /// `(string, lua5.2 %q output)`.
    const QUOTE_CASES: &[(&[u8], &[u8])] = &[
        (b"", b"\"\""),
        (b"hello", b"\"hello\""),
        (b"a\x00b", b"\"a\\0b\""),
        (b"a\x001", b"\"a\\0001\""),
        (b"\x00", b"\"\\0\""),
        (b"x\x00", b"\"x\\0\""),
        (b"\r\n", b"\"\\13\\\n\""),
        (b"\"quoted\" \\ back", b"\"\\\"quoted\\\" \\\\ back\""),
        (b"tab\there", b"\"tab\\9here\""),
        (b"\x01\x02\x033", b"\"\\1\\2\\0033\""),
        (b"\x7fx\x7f9", b"\"\\127x\\1279\""),
        (b"caf\xc3\xa9 \xff\x80", b"\"caf\xc3\xa9 \xff\x80\""),
        (b"line1\nline2", b"\"line1\\\nline2\""),
        (b"\x00\x00\x00", b"\"\\0\\0\\0\""),
        (b"9\x009", b"\"9\\0009\""),
        (b"\x1f ", b"\"\\31 \""),
        (b"x", b"\"x\""),
    ];

    /// `(format, string, lua5.2 output)` for `%s`.
    const STR_CASES: &[(&[u8], &[u8], &[u8])] = &[
        (b"%s", b"hello", b"hello"),
        (b"%10s", b"hi", b"        hi"),
        (b"%-10s|", b"hi", b"hi        |"),
        (b"%.2s", b"hello", b"he"),
        (b"%5.1s", b"xyz", b"    x"),
        (b"%s", b"a\x00b", b"a"),
        (b"%5s", b"a\x00b", b"    a"),
        (b"%.5s", b"ab\x00cd", b"ab"),
        (b"%s", b"ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00", b"ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00"),
        (b"%.30s", b"xxxxx", b"xxxxx"),
        (b"%.99s", b"ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00ab\x00", b"ab"),
        (b"%05s", b"a", b"    a"),
        (b"%s", b"", b""),
        (b"%3s", b"", b"   "),
        (b"%s", b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", b"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"),
        (b"%s", b"caf\xc3\xa9", b"caf\xc3\xa9"),
        (b"%-3s|", b"\xff", b"\xff  |"),
    ];

    /// `(format, code, lua5.2 output)` for `%c`.
    const CHAR_CASES: &[(&[u8], i64, &[u8])] = &[
        (b"%c", 65, b"A"),
        (b"%5c", 66, b"    B"),
        (b"%-5c|", 67, b"C    |"),
        (b"%05c", 68, b"    D"),
        (b"%c", 0, b"\x00"),
        (b"%c", 255, b"\xff"),
        (b"%.3c", 69, b"E"),
        (b"%c", 321, b"A"),
    ];

    /// `(format, accepted?, lua5.2 result or error message)` for `string.format(fmt, 1)`.
    const SPEC_CASES: &[(&[u8], bool, &[u8])] = &[
        (b"%y", false, b"invalid option '%y' to 'format'"),
        (b"%", false, b"invalid option '%\x00' to 'format'"),
        (b"%10", false, b"invalid option '%\x00' to 'format'"),
        (b"%.", false, b"invalid option '%\x00' to 'format'"),
        (b"%5.", false, b"invalid option '%\x00' to 'format'"),
        (b"%123d", false, b"invalid format (width or precision too long)"),
        (b"%1.123d", false, b"invalid format (width or precision too long)"),
        (b"%.123d", false, b"invalid format (width or precision too long)"),
        (b"%------d", false, b"invalid format (repeated flags)"),
        (b"%-----d", true, b"1"),
        (b"%-+ #0d", true, b"+1"),
        (b"%#-+ 0#d", false, b"invalid format (repeated flags)"),
        (b"%F", false, b"invalid option '%F' to 'format'"),
        (b"%b", false, b"invalid option '%b' to 'format'"),
        (b"%ld", false, b"invalid option '%l' to 'format'"),
        (b"%\xff", false, b"invalid option '%\xff' to 'format'"),
        (b"%99.99f", true, b"1.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"),
        (b"%100d", false, b"invalid format (width or precision too long)"),
        (b"%0-5.3d", true, b"001  "),
        (b"% 5.3s", true, b"    1"),
        (b"%.1q", true, b"\"1\""),
        (b"%5", false, b"invalid option '%\x00' to 'format'"),
        (b"%lu", false, b"invalid option '%l' to 'format'"),
        (b"%n", false, b"invalid option '%n' to 'format'"),
        (b"%p", false, b"invalid option '%p' to 'format'"),
        (b"%1$d", false, b"invalid option '%$' to 'format'"),
        (b"%*d", false, b"invalid option '%*' to 'format'"),
    ];

    /// `(string, %a of lua5.2 tonumber(s) or "nil")`.
    const TONUMBER_CASES: &[(&[u8], &str)] = &[
        (b"0", "0x0p+0"),
        (b"1", "0x1p+0"),
        (b"-1", "-0x1p+0"),
        (b"+1", "0x1p+0"),
        (b" 0x1p4 ", "0x1p+4"),
        (b"1e", "nil"),
        (b".5", "0x1p-1"),
        (b"5.", "0x1.4p+2"),
        (b"0x", "nil"),
        (b"1 2", "nil"),
        (b"", "nil"),
        (b" ", "nil"),
        (b"inf", "nil"),
        (b"nan", "nil"),
        (b"-inf", "nil"),
        (b"1e400", "inf"),
        (b"-1e400", "-inf"),
        (b"1e-400", "0x0p+0"),
        (b"0x1P+4", "0x1p+4"),
        (b"0X.8", "0x1p-1"),
        (b"0x1.", "0x1p+0"),
        (b"0x.", "nil"),
        (b"+0x10", "0x1p+4"),
        (b"-0x10", "-0x1p+4"),
        (b"- 1", "nil"),
        (b"--1", "nil"),
        (b"1.e5", "0x1.86ap+16"),
        (b".e5", "nil"),
        (b"0x1e+5", "nil"),
        (b"1e5x", "nil"),
        (b"0x1p", "nil"),
        (b"0x1p+", "nil"),
        (b"0xA.8", "0x1.5p+3"),
        (b"0x.1", "0x1p-4"),
        (b"0x1.8", "0x1.8p+0"),
        (b"  0XFF  ", "0x1.fep+7"),
        (b"0x1P-1074", "0x0.0000000000001p-1022"),
        (b"0x1p-1075", "0x0p+0"),
        (b"0x1.8p-1074", "0x0.0000000000002p-1022"),
        (b"0x1p1024", "inf"),
        (b"0x1.fffffffffffff8p1023", "inf"),
        (b"0x1.fffffffffffff7ffffp1023", "0x1.fffffffffffffp+1023"),
        (b"0x1.00000000000008000000001p0", "0x1.0000000000001p+0"),
        (b"0x1.00000000000008p0", "0x1p+0"),
        (b"0x1.00000000000018p0", "0x1.0000000000002p+0"),
        (b"0x10000000000000800000000001", "0x1.0000000000001p+100"),
        (b"0x0000000000000000000000001", "0x1p+0"),
        (b"0.1", "0x1.999999999999ap-4"),
        (b"0.30000000000000004", "0x1.3333333333334p-2"),
        (b"123456789012345678901234567890", "0x1.8ee90ff6c373ep+96"),
        (b"2.2250738585072011e-308", "0x0.fffffffffffffp-1022"),
        (b"4.9406564584124654e-324", "0x0.0000000000001p-1022"),
        (b"2.4703282292062327e-324", "0x0p+0"),
        (b"2.4703282292062328e-324", "0x0.0000000000001p-1022"),
        (b"1.7976931348623157e308", "0x1.fffffffffffffp+1023"),
        (b"1.7976931348623158e308", "0x1.fffffffffffffp+1023"),
        (b"1.7976931348623159e308", "inf"),
        (b"\t5\x0b", "0x1.4p+2"),
        (b"5\x00", "nil"),
        (b"\x005", "nil"),
        (b"1\r\n", "0x1p+0"),
        (b"0x1p-1022", "0x1p-1022"),
        (b"0x0.0000000000001p-1022", "0x0.0000000000001p-1022"),
        (b"0x0.00000000000008p-1022", "0x0p+0"),
        (b"0x0.00000000000018p-1022", "0x0.0000000000002p-1022"),
        (b"1e+", "nil"),
        (b"1E+2", "0x1.9p+6"),
        (b"1e-2", "0x1.47ae147ae147bp-7"),
        (b"00012.50E+0002", "0x1.388p+10"),
        (b"0x1e", "0x1.ep+4"),
        (b"0xep1", "0x1.cp+4"),
        (b"1x", "nil"),
        (b"x1", "nil"),
        (b"0b1", "nil"),
        (b"1_000", "nil"),
        (b"\xd9\xa1", "nil"),
        (b"0x1p99999999999999999999", "inf"),
        (b"1e99999999999999999999", "inf"),
        (b"1e-99999999999999999999", "0x0p+0"),
        (b"-0", "-0x0p+0"),
        (b"-0x0", "-0x0p+0"),
        (b"0e0", "0x0p+0"),
        (b".0", "0x0p+0"),
        (b"0.", "0x0p+0"),
        (b"-.5e1", "-0x1.4p+2"),
    ];

    /// `(string, base, %a of lua5.2 tonumber(s, base) or "nil")`.
    const TONUMBER_BASE_CASES: &[(&[u8], u32, &str)] = &[
        (b"10", 2, "0x1p+1"),
        (b"+10", 2, "0x1p+1"),
        (b" -ff ", 16, "-0x1.fep+7"),
        (b"1.5", 10, "nil"),
        (b"", 10, "nil"),
        (b"-", 10, "nil"),
        (b"z", 36, "0x1.18p+5"),
        (b"Zz", 36, "0x1.43cp+10"),
        (b"1\x00", 10, "nil"),
        (b"12", 2, "nil"),
        (b"  ", 10, "nil"),
        (b"1 ", 10, "0x1p+0"),
        (b" 1", 10, "0x1p+0"),
        (b"1z", 36, "0x1.1cp+6"),
        (b"99999999999999999999", 10, "0x1.5af1d78b58c41p+66"),
        (b"7fffffffffffffffff", 16, "0x1p+71"),
        (b"- 1", 10, "nil"),
        (b"-1", 10, "-0x1p+0"),
        (b"-+1", 10, "nil"),
        (b"\x0b1\x0c", 10, "0x1p+0"),
        (b"0x10", 16, "nil"),
        (b"10", 16, "0x1p+4"),
        (b"-0", 10, "-0x0p+0"),
        (b"zzzzzzzzzzzzzzzzzzzz", 36, "0x1.517168a4523fdp+103"),
        (b"11111111111111111111111111111111111111111111111111111111111111111", 2, "0x1p+65"),
        (b"8", 8, "nil"),
        (b"7", 8, "0x1.cp+2"),
        (b"1e1", 10, "nil"),
        (b"1e1", 16, "0x1.e1p+8"),
    ];

    /// `(%a of a value, lua5.2 tostring)`.
    const TOSTRING_CASES: &[(&str, &str)] = &[
        ("0x1p+0", "1"),
        ("0x1.999999999999ap-4", "0.1"),
        ("0x1.c6bf52634p+49", "1e+15"),
        ("0x1.6bcc41e9p+46", "1e+14"),
        ("0x1.c12218377de4p+46", "1.2345678901234e+14"),
        ("0x1.249ad2594c37dp+332", "1e+100"),
        ("-0x0p+0", "-0"),
        ("inf", "inf"),
        ("-inf", "-inf"),
        ("0x1p+53", "9.007199254741e+15"),
        ("0x1p+63", "9.2233720368548e+18"),
        ("0x1.5555555555555p-2", "0.33333333333333"),
        ("0x1.9p+6", "100"),
        ("-0x1.8p+0", "-1.5"),
        ("0x1.4f8b588e368f1p-17", "1e-05"),
        ("0x1.5ee2a2eb5a5c4p+53", "1.2345678901235e+16"),
        ("0x1.921fb54442d11p+1", "3.1415926535898"),
        ("nan", "nan"),
        ("-nan", "-nan"),
    ];

    #[test]
    fn float_formats_match_lua() {
        for &(f, bits, want) in FLOAT_CASES {
            let got = sfmt(f.as_bytes(), &[Arg::F(f64::from_bits(bits))]).unwrap();
            assert_eq!(show(&got), want, "format {:?} of {:e} (bits {:#x})", f, f64::from_bits(bits), bits);
        }
    }

    #[test]
    fn int_formats_match_lua() {
        for &(f, n, want) in INT_CASES {
            assert_eq!(show(&sfmt(f.as_bytes(), &[Arg::I(n)]).unwrap()), want, "format {:?} of {}", f, n);
        }
        for &(f, n, want) in UINT_CASES {
            assert_eq!(show(&sfmt(f.as_bytes(), &[Arg::U(n)]).unwrap()), want, "format {:?} of {}", f, n);
        }
        let mut v = Vec::new();
        format_int(&parse_spec(b"d", 0).unwrap().0, i64::MIN, &mut v);
        assert_eq!(v, b"-9223372036854775808");
        let mut v = Vec::new();
        format_uint(&parse_spec(b"#X", 0).unwrap().0, u64::MAX, &mut v);
        assert_eq!(v, b"0XFFFFFFFFFFFFFFFF");
    }

    #[test]
    fn string_char_quote_formats_match_lua() {
        for &(s, want) in QUOTE_CASES {
            let mut v = Vec::new();
            quote_string(s, &mut v);
            assert_eq!(v, want, "%q of {:?}", show(s));
        }
        for &(f, s, want) in STR_CASES {
            assert_eq!(sfmt(f, &[Arg::S(s)]).unwrap(), want, "format {:?} of {:?}", show(f), show(s));
        }
        for &(f, c, want) in CHAR_CASES {
            assert_eq!(sfmt(f, &[Arg::I(c)]).unwrap(), want, "format {:?} of {}", show(f), c);
        }
        // %q ignores flags, width and precision
        assert_eq!(sfmt(b"%-20.3q|", &[Arg::S(b"x")]).unwrap(), b"\"x\"|");
        assert_eq!(sfmt(b"%q", &[Arg::F(1.5)]).unwrap(), b"\"1.5\"");
    }

    #[test]
    fn spec_parsing_and_errors_match_lua() {
        for &(f, ok, want) in SPEC_CASES {
            let got = sfmt(f, &[Arg::F(1.0)]);
            if ok {
                assert_eq!(got.unwrap(), want, "format {:?}", show(f));
            } else {
                assert_eq!(got.unwrap_err(), want, "format {:?}", show(f));
            }
        }
        let (s, next) = parse_spec(b"%-+ #012.34e!", 1).unwrap();
        assert_eq!(
            s,
            Spec { minus: true, plus: true, space: true, hash: true, zero: true, width: Some(12), precision: Some(34), conv: b'e' }
        );
        assert_eq!(next, 12);
        let (s, next) = parse_spec(b"%.f", 1).unwrap();
        assert_eq!((s.width, s.precision, s.conv, next), (None, Some(0), b'f', 3));
        let (s, _) = parse_spec(b"%5s", 1).unwrap();
        assert_eq!((s.width, s.precision), (Some(5), None));
        assert_eq!(parse_spec(b"%", 1).unwrap_err(), b"invalid option '%\0' to 'format'");
        assert!(parse_spec(b"%00000d", 1).unwrap().0.zero);
        assert_eq!(parse_spec(b"%000000d", 1).unwrap_err(), b"invalid format (repeated flags)");
    }

    #[test]
    fn tostring_matches_lua() {
        for &(a, want) in TOSTRING_CASES {
            let x = match a {
                "nan" => f64::from_bits(0x7ff8000000000000),
                "-nan" => f64::from_bits(0xfff8000000000000),
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                _ => str2number(a.as_bytes()).unwrap(),
            };
            assert_eq!(g14(x), want, "tostring of {}", a);
        }
        assert_eq!(g14(1.0), "1");
        assert_eq!(g14(0.1), "0.1");
        assert_eq!(g14(1e15), "1e+15");
        assert_eq!(g14(1e100), "1e+100");
        assert_eq!(g14(-0.0), "-0");
        assert_eq!(g14(f64::INFINITY), "inf");
        assert_eq!(g14(f64::NEG_INFINITY), "-inf");
        assert_eq!(g14(f64::NAN.copysign(1.0)), "nan");
        assert_eq!(g14(f64::NAN.copysign(-1.0)), "-nan");
        assert_eq!(g14(100000000000000.0), "1e+14");
        assert_eq!(g14(123456789012.5), "123456789012.5");
        assert_eq!(g14(2.0f64.powi(63)), "9.2233720368548e+18");
        assert_eq!(g14(5e-324), "4.9406564584125e-324");
    }

    #[test]
    fn glibc_details() {
        let f = |fmt: &str, x: f64| show(&sfmt(fmt.as_bytes(), &[Arg::F(x)]).unwrap());
        assert_eq!(f("%.20f", 0.1), "0.10000000000000000555");
        assert_eq!(f("%.0f", 0.5), "0");
        assert_eq!(f("%.0f", 1.5), "2");
        assert_eq!(f("%.0f", 2.5), "2");
        assert_eq!(f("%.1f", 0.25), "0.2");
        assert_eq!(f("%.2e", 1.125), "1.12e+00");
        assert_eq!(f("%f", 1e300).len(), 301 + 7);
        assert_eq!(f("%f", 1e300), "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.000000");
        assert_eq!(f("%a", 1.0), "0x1p+0");
        assert_eq!(f("%a", 3.0), "0x1.8p+1");
        assert_eq!(f("%a", -0.0), "-0x0p+0");
        assert_eq!(f("%a", 5e-324), "0x0.0000000000001p-1022");
        assert_eq!(f("%.0a", 1.5), "0x2p+0");
        assert_eq!(f("%.0a", 2.5), "0x1p+1");
        assert_eq!(f("%.1a", 1.03125), "0x1.0p+0");
        assert_eq!(f("%.1a", 1.09375), "0x1.2p+0");
        assert_eq!(f("%.1a", f64::from_bits(0x3fffffffffffffff)), "0x2.0p+0");
        assert_eq!(f("%.0a", f64::from_bits(0x000fffffffffffff)), "0x1p-1022");
        assert_eq!(f("%020a", -0.0), "-0x00000000000000p+0");
        assert_eq!(f("%#.0a", 1.0), "0x1.p+0");
        assert_eq!(f("%#.5g", 99999.95), "1.e+05"); // glibc quirk
        assert_eq!(f("%#.5g", 999999.6), "1.0000e+06");
        assert_eq!(f("%#.3g", 999.96), "1.e+03");
        assert_eq!(f("%#.3g", 9.9996), "10.0");
        assert_eq!(f("%#.5g", 9999.96), "10000.");
        assert_eq!(f("%.3g", 0.00099996), "0.001");
        assert_eq!(f("%#.3g", 0.000099996), "0.000100");
        assert_eq!(f("%010f", f64::INFINITY), "       inf");
        assert_eq!(f("%+5e", f64::NAN), " +nan");
        assert_eq!(f("%-6G|", f64::NEG_INFINITY), "-INF  |");
    }

    #[test]
    fn tonumber_matches_lua() {
        let a = |x: f64| {
            let mut v = Vec::new();
            format_float(&parse_spec(b"a", 0).unwrap().0, x, &mut v);
            show(&v)
        };
        for &(s, want) in TONUMBER_CASES {
            let got = str2number(s).map(a).unwrap_or_else(|| "nil".to_string());
            assert_eq!(got, want, "tonumber({:?})", show(s));
        }
        for &(s, base, want) in TONUMBER_BASE_CASES {
            let got = str2number_base(s, base).map(a).unwrap_or_else(|| "nil".to_string());
            assert_eq!(got, want, "tonumber({:?}, {})", show(s), base);
        }
        assert_eq!(str2number(b" 0x1p4 "), Some(16.0));
        assert_eq!(str2number(b"0xA.8"), Some(10.5));
        assert_eq!(str2number(b"0x.1"), Some(0.0625));
        assert_eq!(str2number(b"1e"), None);
        assert_eq!(str2number(b".5"), Some(0.5));
        assert_eq!(str2number(b"5."), Some(5.0));
        assert_eq!(str2number(b"0x"), None);
        assert_eq!(str2number(b"1 2"), None);
        assert_eq!(str2number(b"1\x00"), None);
        assert_eq!(str2number(b"inf"), None);
        assert_eq!(str2number(b"nan"), None);
        assert!(str2number(b"-0").unwrap().is_sign_negative());
        assert_eq!(str2number(b"0.1"), Some(0.1));
        assert_eq!(str2number(b"9007199254740993"), Some(9007199254740992.0));
        assert_eq!(str2number(b"9007199254740993.0000000000000000001"), Some(9007199254740994.0));
        assert_eq!(str2number_base(b"ff", 16), Some(255.0));
        assert_eq!(str2number_base(b"FF", 16), Some(255.0));
        assert_eq!(str2number_base(b"8", 8), None);
        assert_eq!(str2number_base(b"1.0", 10), None);
    }

    #[test]
    fn hex_rounding_is_correct() {
        // Exhaustive-ish check of the hex parser against %a round trips.
        let mut seed = 0x1234_5678_9abc_def0u64;
        for _ in 0..20000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let x = f64::from_bits(seed & !(1u64 << 63));
            if !x.is_finite() {
                continue;
            }
            let mut v = Vec::new();
            format_float(&parse_spec(b"a", 0).unwrap().0, x, &mut v);
            assert_eq!(str2number(&v), Some(x), "{}", show(&v));
        }
        // ties: halfway between 1 and 1+2^-52 rounds to even; above halfway rounds up
        assert_eq!(str2number(b"0x1.00000000000008p0"), Some(1.0));
        assert_eq!(str2number(b"0x1.00000000000018p0"), Some(1.0 + 2.0 * f64::EPSILON));
        assert_eq!(str2number(b"0x1.000000000000080000000000000001p0"), Some(1.0 + f64::EPSILON));
        assert_eq!(str2number(b"0x1p-1075"), Some(0.0));
        assert_eq!(str2number(b"0x1.0000000001p-1075"), Some(5e-324));
        assert_eq!(str2number(b"0x1.fffffffffffff8p-1023"), Some(f64::MIN_POSITIVE));
        assert_eq!(str2number(b"0x1.fffffffffffff8p1023"), Some(f64::INFINITY));
        assert_eq!(str2number(b"0x1.fffffffffffff7ffffp1023"), Some(f64::MAX));
    }
}
