//! `PValue`: the engine-neutral value exchanged between the provider modules
//! (`crate::providers`) and whatever Lua engine calls them.
//!
//! Mapping to Lua (what the future PValue <-> Lua converter must do):
//!
//! | PValue            | Lua                                                        |
//! |-------------------|------------------------------------------------------------|
//! | `Nil`             | `nil`                                                      |
//! | `Bool(b)`         | boolean                                                    |
//! | `Num(n)`          | number (Lua 5.2 numbers are doubles)                       |
//! | `Str(bytes)`      | string (Lua strings are byte strings; no UTF-8 implied)    |
//! | `Array(v)`        | a sequence table: `v[0]` is `t[1]`, ..., `#t == v.len()`  |
//! | `Map(pairs)`      | a table with `t[k] = v` for each pair, in order (a later   |
//! |                   | duplicate key overwrites an earlier one)                   |
//!
//! Lua -> PValue: a table whose keys are exactly `1..=n` (n >= 1) becomes
//! `Array`; any other table, including the empty table, becomes `Map`
//! (iteration order). Functions, userdata and threads have no PValue; the
//! converter reports them as argument errors. Providers accept either form
//! where Lua would not tell them apart (an empty `Map` is the empty table).

use std::borrow::Cow;
use std::fmt;

/// An engine-neutral Lua-like value.
#[derive(Clone, PartialEq)]
pub enum PValue {
    Nil,
    Bool(bool),
    Num(f64),
    Str(Vec<u8>),
    /// A 1-based Lua sequence.
    Array(Vec<PValue>),
    /// A key/value Lua table.
    Map(Vec<(PValue, PValue)>),
}

impl PValue {
    /// A string value from anything byte-like.
    pub fn str(s: impl AsRef<[u8]>) -> PValue {
        PValue::Str(s.as_ref().to_vec())
    }

    /// An empty table.
    pub fn empty_table() -> PValue {
        PValue::Map(Vec::new())
    }

    /// A `Map` from string keys.
    pub fn map<K: AsRef<[u8]>>(pairs: impl IntoIterator<Item = (K, PValue)>) -> PValue {
        PValue::Map(pairs.into_iter().map(|(k, v)| (PValue::str(k), v)).collect())
    }

    /// A sequence table from values (`{v1, v2, ...}`).
    pub fn array(items: impl IntoIterator<Item = PValue>) -> PValue {
        PValue::Array(items.into_iter().collect())
    }

    /// A `Map` from string keys, leaving out `Nil` values (Lua tables cannot
    /// hold `nil`, so the field is simply absent).
    pub fn map_opt<K: AsRef<[u8]>>(pairs: impl IntoIterator<Item = (K, PValue)>) -> PValue {
        PValue::Map(pairs.into_iter().filter(|(_, v)| !v.is_nil()).map(|(k, v)| (PValue::str(k), v)).collect())
    }

    /// `t[i]` for a 1-based integer index, in either table representation.
    pub fn index(&self, i: usize) -> Option<&PValue> {
        match self {
            PValue::Array(items) => i.checked_sub(1).and_then(|i| items.get(i)),
            PValue::Map(pairs) => pairs.iter().rev().find(|(k, _)| k.as_num() == Some(i as f64)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The values of a sequence table in order, if this table is a sequence
    /// (`Array`, an empty table, or a `Map` whose keys are exactly `1..=n`).
    pub fn as_sequence(&self) -> Option<Vec<&PValue>> {
        match self {
            PValue::Array(items) => Some(items.iter().collect()),
            PValue::Map(pairs) => {
                let mut keyed: Vec<(f64, &PValue)> = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    let n = k.as_num()?;
                    if let Some(slot) = keyed.iter_mut().find(|(m, _)| *m == n) {
                        slot.1 = v;
                    } else {
                        keyed.push((n, v));
                    }
                }
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                for (i, (n, _)) in keyed.iter().enumerate() {
                    if *n != (i + 1) as f64 {
                        return None;
                    }
                }
                Some(keyed.into_iter().map(|(_, v)| v).collect())
            }
            _ => None,
        }
    }

    /// Lua truthiness: everything but `nil` and `false` is true.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, PValue::Nil | PValue::Bool(false))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, PValue::Nil)
    }

    /// Is this a table (either representation)?
    pub fn is_table(&self) -> bool {
        matches!(self, PValue::Array(_) | PValue::Map(_))
    }

    /// The Lua type name (`type(v)`).
    pub fn type_name(&self) -> &'static str {
        match self {
            PValue::Nil => "nil",
            PValue::Bool(_) => "boolean",
            PValue::Num(_) => "number",
            PValue::Str(_) => "string",
            PValue::Array(_) | PValue::Map(_) => "table",
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            PValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The string as UTF-8 text (lossy), if this is a string.
    pub fn as_str_lossy(&self) -> Option<Cow<'_, str>> {
        self.as_bytes().map(String::from_utf8_lossy)
    }

    pub fn as_num(&self) -> Option<f64> {
        match self {
            PValue::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            PValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Look a string key up in a table (`t[key]`). For an `Map` the last
    /// matching pair wins, as it would in a Lua table built from the pairs.
    pub fn get(&self, key: &str) -> Option<&PValue> {
        match self {
            PValue::Map(pairs) => pairs.iter().rev().find(|(k, _)| k.as_bytes() == Some(key.as_bytes())).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The table's entries as key/value pairs (`pairs(t)`); `Array` entries
    /// get their 1-based index as key. Not a table: empty.
    pub fn entries(&self) -> Vec<(PValue, &PValue)> {
        match self {
            PValue::Array(items) => items.iter().enumerate().map(|(i, v)| (PValue::Num((i + 1) as f64), v)).collect(),
            PValue::Map(pairs) => pairs.iter().map(|(k, v)| (k.clone(), v)).collect(),
            _ => Vec::new(),
        }
    }

    /// `tostring` for strings and numbers (Lua's coercion to string);
    /// `None` for every other type.
    pub fn coerce_to_bytes(&self) -> Option<Cow<'_, [u8]>> {
        match self {
            PValue::Str(s) => Some(Cow::Borrowed(s)),
            PValue::Num(n) => Some(Cow::Owned(lua_number_to_string(*n).into_bytes())),
            _ => None,
        }
    }
}

impl From<bool> for PValue {
    fn from(b: bool) -> Self {
        PValue::Bool(b)
    }
}
impl From<f64> for PValue {
    fn from(n: f64) -> Self {
        PValue::Num(n)
    }
}
impl From<i64> for PValue {
    fn from(n: i64) -> Self {
        PValue::Num(n as f64)
    }
}
impl From<&str> for PValue {
    fn from(s: &str) -> Self {
        PValue::str(s)
    }
}
impl From<String> for PValue {
    fn from(s: String) -> Self {
        PValue::Str(s.into_bytes())
    }
}
impl From<Vec<u8>> for PValue {
    fn from(s: Vec<u8>) -> Self {
        PValue::Str(s)
    }
}

impl fmt::Debug for PValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PValue::Nil => f.write_str("nil"),
            PValue::Bool(b) => write!(f, "{b}"),
            PValue::Num(n) => f.write_str(&lua_number_to_string(*n)),
            PValue::Str(s) => write!(f, "{:?}", String::from_utf8_lossy(s)),
            PValue::Array(items) => f.debug_list().entries(items).finish(),
            PValue::Map(pairs) => f.debug_map().entries(pairs.iter().map(|(k, v)| (k, v))).finish(),
        }
    }
}

/// Format a number the way Lua 5.2's `tostring` does (`"%.14g"`): integral
/// values without a fraction (`3`, not `3.0`), 14 significant digits.
pub fn lua_number_to_string(n: f64) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if n.is_infinite() {
        return if n > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    if n.fract() == 0.0 && n.abs() < 1e14 {
        return format!("{}", n as i64);
    }
    // %.14g: 14 significant digits; exponent form when exp < -4 or >= 14.
    let sci = format!("{:.13e}", n);
    let (mantissa, exp) = sci.split_once('e').expect("formatted with an exponent");
    let exp: i32 = exp.parse().expect("integer exponent");
    if !(-4..14).contains(&exp) {
        let m = strip_fraction_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (13 - exp).max(0) as usize;
        strip_fraction_zeros(&format!("{:.*}", decimals, n)).to_string()
    }
}

fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formatting_matches_lua() {
        assert_eq!(lua_number_to_string(3.0), "3");
        assert_eq!(lua_number_to_string(-42.0), "-42");
        assert_eq!(lua_number_to_string(0.1), "0.1");
        assert_eq!(lua_number_to_string(1.0 / 3.0), "0.33333333333333");
        assert_eq!(lua_number_to_string(1e15), "1e+15");
        assert_eq!(lua_number_to_string(123456789012346.0), "1.2345678901235e+14");
        assert_eq!(lua_number_to_string(12345678901234.0), "12345678901234");
        assert_eq!(lua_number_to_string(1e-5), "1e-05");
        assert_eq!(lua_number_to_string(2.5e-3), "0.0025");
        assert_eq!(lua_number_to_string(f64::INFINITY), "inf");
    }

    #[test]
    fn map_lookup_last_wins() {
        let m = PValue::Map(vec![(PValue::str("a"), PValue::Num(1.0)), (PValue::str("a"), PValue::Num(2.0))]);
        assert_eq!(m.get("a"), Some(&PValue::Num(2.0)));
        assert_eq!(m.get("b"), None);
        assert!(PValue::Str(vec![]).is_truthy());
        assert!(!PValue::Bool(false).is_truthy());
    }
}
