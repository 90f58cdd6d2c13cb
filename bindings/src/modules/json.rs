//! `json.decode` / `json.encode` (reference §5.8), jsx-compatible.
//!
//! - `decode(str)`: objects → key/value tables, arrays → sequences, `{}` and
//!   `[]` → the empty table, JSON `null` → the string `"null"`; invalid JSON →
//!   `nil` (`Ok(PValue::Nil)`). Like jsx's non-strict mode, invalid UTF-8 and
//!   lone surrogate escapes become U+FFFD and raw control characters inside
//!   strings are accepted; comments, single quotes and trailing commas are
//!   not. Nesting deeper than 512 levels is invalid (nil).
//! - `encode(tbl)`: keys in ascending byte order, the empty table → `{}`,
//!   integer-keyed tables → arrays (values in key order), string-keyed →
//!   objects; mixed keys, float/boolean keys, inf/nan → `nil`. The string
//!   `"null"` encodes as the string `"null"` (as in VerneMQ).
//! - Numbers: integral values within ±2^63 print as integers (Luerl keeps
//!   integer literals as integers; Lua 5.2 cannot tell `3` from `3.0`, so
//!   `3.0` also prints as `3`); other numbers print as Erlang's shortest
//!   round-trip form (`0.5`, `123.456`, `1.0e-5`, `1.0e21`), picking the
//!   shorter of fixed and scientific notation as `io_lib_format:fwrite_g`.
//! - A non-table argument to `encode` / non-string to `decode` is a Lua
//!   error (VerneMQ: hard failure).

use super::ModuleError;
use crate::pvalue::PValue;

const MAX_DEPTH: usize = 512;

/// `json.decode(v)`.
pub fn decode(v: &PValue) -> Result<PValue, ModuleError> {
    match v {
        PValue::Str(s) => Ok(decode_bytes(s).unwrap_or(PValue::Nil)),
        other => Err(ModuleError::new("json.decode", format!("string expected, got {}", other.type_name()))),
    }
}

/// Decode JSON text; `None` if invalid.
pub fn decode_bytes(s: &[u8]) -> Option<PValue> {
    let mut p = Parser { s, i: 0, depth: 0 };
    p.ws();
    let v = p.value()?;
    p.ws();
    (p.i == s.len()).then_some(v)
}

/// `json.encode(v)`: `Ok(Some(text))`, `Ok(None)` for `nil` (not encodable).
pub fn encode(v: &PValue) -> Result<Option<String>, ModuleError> {
    if !v.is_table() {
        return Err(ModuleError::new("json.encode", format!("table expected, got {}", v.type_name())));
    }
    let mut out = String::new();
    Ok(encode_value(v, &mut out, 0).map(|()| out))
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }
    fn lit(&mut self, word: &[u8]) -> Option<()> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Some(())
        } else {
            None
        }
    }
    fn value(&mut self) -> Option<PValue> {
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(PValue::Str),
            b't' => self.lit(b"true").map(|()| PValue::Bool(true)),
            b'f' => self.lit(b"false").map(|()| PValue::Bool(false)),
            b'n' => self.lit(b"null").map(|()| PValue::str("null")),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }
    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }
    fn object(&mut self) -> Option<PValue> {
        self.enter()?;
        self.i += 1;
        let mut pairs = Vec::new();
        self.ws();
        if self.peek()? == b'}' {
            self.i += 1;
            self.depth -= 1;
            return Some(PValue::empty_table());
        }
        loop {
            self.ws();
            if self.peek()? != b'"' {
                return None;
            }
            let k = self.string()?;
            self.ws();
            if self.peek()? != b':' {
                return None;
            }
            self.i += 1;
            self.ws();
            let v = self.value()?;
            pairs.retain(|(ek, _): &(PValue, PValue)| ek.as_bytes() != Some(&k[..]));
            pairs.push((PValue::Str(k), v));
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(PValue::Map(pairs));
                }
                _ => return None,
            }
        }
    }
    fn array(&mut self) -> Option<PValue> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek()? == b']' {
            self.i += 1;
            self.depth -= 1;
            return Some(PValue::empty_table());
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    self.depth -= 1;
                    return Some(PValue::Array(items));
                }
                _ => return None,
            }
        }
    }
    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let h = std::str::from_utf8(h).ok()?;
        let v = u32::from_str_radix(h, 16).ok()?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        Some(v)
    }
    fn string(&mut self) -> Option<Vec<u8>> {
        self.i += 1;
        let mut raw: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.peek()?;
                    self.i += 1;
                    let ch = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi) {
                                if self.s[self.i..].starts_with(b"\\u") {
                                    let save = self.i;
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if (0xDC00..0xE000).contains(&lo) {
                                        let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                        char::from_u32(cp).unwrap_or('\u{FFFD}')
                                    } else {
                                        self.i = save;
                                        '\u{FFFD}'
                                    }
                                } else {
                                    '\u{FFFD}'
                                }
                            } else {
                                char::from_u32(hi).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    raw.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                }
                c => raw.push(c),
            }
        }
        Some(match String::from_utf8(raw) {
            Ok(s) => s.into_bytes(),
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned().into_bytes(),
        })
    }
    fn number(&mut self) -> Option<PValue> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek()? {
            b'0' => self.i += 1,
            b'1'..=b'9' => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return None;
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return None;
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.i += 1;
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        let n: f64 = text.parse().ok()?;
        n.is_finite().then_some(PValue::Num(n))
    }
}

fn encode_value(v: &PValue, out: &mut String, depth: usize) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    match v {
        PValue::Nil => out.push_str("null"),
        PValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        PValue::Num(n) => out.push_str(&format_number(*n)?),
        PValue::Str(s) => encode_string(s, out),
        PValue::Array(items) => {
            if items.is_empty() {
                out.push_str("{}");
            } else {
                encode_array(items.iter(), out, depth)?;
            }
        }
        PValue::Map(pairs) => {
            // Lua semantics: later duplicates win; nil values are absent.
            let mut live: Vec<(&PValue, &PValue)> = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                live.retain(|(ek, _)| *ek != k);
                if !v.is_nil() {
                    live.push((k, v));
                }
            }
            if live.is_empty() {
                out.push_str("{}");
            } else if live.iter().all(|(k, _)| matches!(k, PValue::Str(_))) {
                live.sort_by(|a, b| a.0.as_bytes().cmp(&b.0.as_bytes()));
                out.push('{');
                for (i, (k, v)) in live.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    encode_string(k.as_bytes()?, out);
                    out.push(':');
                    encode_value(v, out, depth + 1)?;
                }
                out.push('}');
            } else if live.iter().all(|(k, _)| matches!(k, PValue::Num(n) if n.fract() == 0.0 && n.is_finite())) {
                live.sort_by(|a, b| a.0.as_num().unwrap_or(0.0).total_cmp(&b.0.as_num().unwrap_or(0.0)));
                encode_array(live.iter().map(|(_, v)| *v), out, depth)?;
            } else {
                return None;
            }
        }
    }
    Some(())
}

fn encode_array<'a>(items: impl Iterator<Item = &'a PValue>, out: &mut String, depth: usize) -> Option<()> {
    out.push('[');
    for (i, v) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        encode_value(v, out, depth + 1)?;
    }
    out.push(']');
    Some(())
}

fn encode_string(s: &[u8], out: &mut String) {
    out.push('"');
    for c in String::from_utf8_lossy(s).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// jsx number text; `None` for inf/nan.
pub fn format_number(n: f64) -> Option<String> {
    if !n.is_finite() {
        return None;
    }
    if n.fract() == 0.0 && n.abs() < 9.2e18 {
        return Some(format!("{}", n as i64));
    }
    Some(erlang_short_float(n))
}

/// Erlang's shortest round-trip float text (`float_to_list(F, [short])`,
/// `io_lib_format:fwrite_g/1`): fixed or scientific, whichever is shorter.
pub fn erlang_short_float(n: f64) -> String {
    if n == 0.0 {
        return if n.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let sci = format!("{:e}", n.abs()); // shortest digits: d[.ddd]e<exp>
    let (mant, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let l = digits.len() as i32;
    // value = 0.<digits> * 10^place
    let place = exp + 1;
    let sign = if n < 0.0 { "-" } else { "" };
    let sci_text = || {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}e{}", place - 1)
    };
    let exp_cost = (place - 1).to_string().len() as i32 + 1 + if l == 1 { 2 } else { 1 };
    if place <= 0 {
        if -place + 2 <= exp_cost {
            format!("{sign}0.{}{}", "0".repeat((-place) as usize), digits)
        } else {
            sci_text()
        }
    } else if place >= l {
        let zeros = place - l;
        if zeros <= exp_cost {
            format!("{sign}{}{}.0", digits, "0".repeat(zeros as usize))
        } else {
            sci_text()
        }
    } else {
        let (int, frac) = digits.split_at(place as usize);
        format!("{sign}{int}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(erlang_short_float(0.5), "0.5");
        assert_eq!(erlang_short_float(123.456), "123.456");
        assert_eq!(erlang_short_float(100.0), "100.0");
        assert_eq!(erlang_short_float(1.0e5), "1.0e5");
        assert_eq!(erlang_short_float(0.001), "0.001");
        assert_eq!(erlang_short_float(0.0001), "0.0001");
        assert_eq!(erlang_short_float(1.0e-5), "1.0e-5");
        assert_eq!(erlang_short_float(-2.5e-7), "-2.5e-7");
        assert_eq!(erlang_short_float(1.0e21), "1.0e21");
        assert_eq!(format_number(3.0).unwrap(), "3");
        assert_eq!(format_number(-1.5).unwrap(), "-1.5");
        assert_eq!(format_number(f64::NAN), None);
    }
}
