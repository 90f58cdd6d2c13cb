//! Lua 5.2 pattern matching (reference manual §6.4.1) over byte strings.
//!
//! This module is self-contained (it uses only `std`) and implements the
//! matching primitive used by `string.find`, `string.match`,
//! `string.gmatch` and `string.gsub`, with the exact semantics and error
//! messages of PUC Lua 5.2.4.
//!
//! # Error messages
//!
//! Every [`PatError::Malformed`] carries the complete message that the
//! reference interpreter produces.  PUC raises these through `luaL_error`
//! from inside a C function, and `luaL_where(L, 1)` yields an empty string
//! for C functions, so **the caller must not add any prefix**: the message
//! is raised as the Lua error value verbatim, e.g.
//! `pcall(string.find, "a", "%")` → `false, "malformed pattern (ends with '%')"`.
//!
//! Like PUC, pattern syntax errors are detected lazily, only when the
//! matcher actually reaches the faulty pattern item: `string.find("b", "a[")`
//! returns `nil` without error because `a` never matches.
//!
//! # Resource limits
//!
//! * Recursion is bounded exactly like PUC (`MAXCCALLS` = 200 nested
//!   matcher calls, then `pattern too complex`), so the Rust stack usage is
//!   bounded (a few hundred bytes per level).
//! * Every unit of work (a pattern-item step, a character test during a
//!   repetition, a backtracking step, a byte compared by a back-reference or
//!   scanned by `%b`) consumes one unit of *fuel* from a caller-supplied
//!   `&mut u64`.  When it reaches zero the matcher stops with
//!   [`PatError::OutOfFuel`].  With an effectively unlimited budget
//!   (`u64::MAX`) the behaviour is identical to PUC Lua.
//!
//! # Positions
//!
//! All positions in this API are 0-based byte offsets into the subject,
//! except [`Capture::Position`], which holds the 1-based value that Lua
//! code sees for a position capture `()`.

use std::fmt;

/// Maximum number of captures in one pattern (`LUA_MAXCAPTURES`).
pub const MAX_CAPTURES: usize = 32;

/// Maximum nesting of matcher calls (`MAXCCALLS` in PUC's lstrlib.c).
pub const MAX_MATCH_DEPTH: usize = 200;

/// Pattern-matching failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatError {
    /// A Lua-visible error; the string is the exact message PUC Lua 5.2
    /// raises (raise it verbatim, no position prefix).
    Malformed(String),
    /// The step budget ran out before the match finished.
    OutOfFuel,
}

impl PatError {
    /// The error message (for `Malformed`, exactly PUC's text).
    pub fn message(&self) -> String {
        match self {
            PatError::Malformed(m) => m.clone(),
            PatError::OutOfFuel => "pattern matching step limit exceeded".to_string(),
        }
    }
}

impl fmt::Display for PatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for PatError {}

fn err<T>(msg: &str) -> Result<T, PatError> {
    Err(PatError::Malformed(msg.to_string()))
}

/// One capture value as Lua sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// A position capture `()`: the 1-based position Lua returns (a number).
    Position(usize),
    /// A substring capture: subject bytes `start..end` (0-based, end exclusive).
    Span { start: usize, end: usize },
}

impl Capture {
    /// The captured bytes for a `Span`, `None` for a `Position`.
    pub fn bytes<'s>(&self, src: &'s [u8]) -> Option<&'s [u8]> {
        match *self {
            Capture::Span { start, end } => Some(&src[start..end]),
            Capture::Position(_) => None,
        }
    }

    /// Appends the capture as `gsub` inserts it into a replacement string:
    /// the substring, or the decimal position for a position capture.
    pub fn append_to(&self, src: &[u8], out: &mut Vec<u8>) {
        match *self {
            Capture::Span { start, end } => out.extend_from_slice(&src[start..end]),
            Capture::Position(n) => out.extend_from_slice(n.to_string().as_bytes()),
        }
    }
}

/// Internal state of one capture slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Opened by `(` but its `)` has not been reached (yet).
    Open,
    /// A position capture `()`.
    Pos,
    /// A closed capture of this many bytes.
    Closed(usize),
}

/// Matcher state for one subject/pattern pair.
///
/// Create it once per `string.find`/`gmatch`/`gsub` call and call
/// [`MatchState::try_match`] for each candidate start position; after a
/// successful attempt the captures of that attempt can be read with
/// [`MatchState::get_capture`] / [`MatchState::captures`].
pub struct MatchState<'a> {
    src: &'a [u8],
    pat: &'a [u8],
    fuel: &'a mut u64,
    /// The captures of the attempt under way (`level()` of them), with the
    /// position where each starts; kept inline up to eight (no buffer of
    /// `MAX_CAPTURES` to initialise for every `find`).
    caps: smallvec::SmallVec<[(usize, Slot); 8]>,
    /// Remaining allowed nesting of `do_match`.
    depth_left: usize,
}

// ----- C-locale character classes on bytes -----

const fn is_alpha(c: u8) -> bool {
    c.is_ascii_alphabetic()
}
const fn is_digit(c: u8) -> bool {
    c.is_ascii_digit()
}
const fn is_lower(c: u8) -> bool {
    c.is_ascii_lowercase()
}
const fn is_upper(c: u8) -> bool {
    c.is_ascii_uppercase()
}
const fn is_alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}
const fn is_xdigit(c: u8) -> bool {
    c.is_ascii_hexdigit()
}
const fn is_cntrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}
const fn is_graph(c: u8) -> bool {
    c >= 0x21 && c <= 0x7e
}
const fn is_punct(c: u8) -> bool {
    is_graph(c) && !is_alnum(c)
}
const fn is_space(c: u8) -> bool {
    c == b' ' || (c >= 9 && c <= 13)
}

/// The class letters, each with its bit in [`CTYPE`]; `%z` (deprecated in
/// 5.2 but still accepted) is the class of the zero byte.
const CLASSES: [(u8, u16); 11] = [
    (b'a', 1 << 0),
    (b'c', 1 << 1),
    (b'd', 1 << 2),
    (b'g', 1 << 3),
    (b'l', 1 << 4),
    (b'p', 1 << 5),
    (b's', 1 << 6),
    (b'u', 1 << 7),
    (b'w', 1 << 8),
    (b'x', 1 << 9),
    (b'z', 1 << 10),
];

/// Marks an upper-case class letter (the complement) in [`CLASS_OF`].
const NEGATED: u16 = 1 << 15;

/// For each byte, the bits of the classes it belongs to.
static CTYPE: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        let member = [
            is_alpha(b),
            is_cntrl(b),
            is_digit(b),
            is_graph(b),
            is_lower(b),
            is_punct(b),
            is_space(b),
            is_upper(b),
            is_alnum(b),
            is_xdigit(b),
            b == 0,
        ];
        let mut k = 0;
        while k < CLASSES.len() {
            if member[k] {
                t[c] |= CLASSES[k].1;
            }
            k += 1;
        }
        c += 1;
    }
    t
};

/// For each byte that may follow `%`: its class bit (with [`NEGATED`] for
/// upper case), or 0 when it stands for itself.
static CLASS_OF: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut k = 0;
    while k < CLASSES.len() {
        let (letter, bit) = CLASSES[k];
        t[letter as usize] = bit;
        t[letter.to_ascii_uppercase() as usize] = bit | NEGATED;
        k += 1;
    }
    t
};

/// Does byte `c` belong to the class `%cl`?  Letters name classes (upper
/// case = complement); any other byte stands for itself. Two table reads:
/// the matcher asks this for almost every subject byte it looks at.
#[inline]
fn class_matches(c: u8, cl: u8) -> bool {
    let k = CLASS_OF[cl as usize];
    if k == 0 {
        return cl == c;
    }
    (CTYPE[c as usize] & k & !NEGATED != 0) != (k & NEGATED != 0)
}

/// The characters whose presence makes `string.find` use the pattern
/// matcher instead of a plain substring search (`^$*+?.([%-`).
pub const SPECIALS: &[u8] = b"^$*+?.([%-";

/// True when `pat` contains any pattern special character, i.e. when
/// `string.find` without the `plain` flag must use the matcher.  (PUC also
/// scans past embedded zeros.)
pub fn has_specials(pat: &[u8]) -> bool {
    pat.iter().any(|c| SPECIALS.contains(c))
}

/// Plain substring search starting at byte `init` (0-based); returns the
/// 0-based start of the first occurrence.  An empty needle matches at
/// `init` (when `init <= hay.len()`).
pub fn find_plain(hay: &[u8], needle: &[u8], init: usize) -> Option<usize> {
    if init > hay.len() {
        return None;
    }
    if needle.is_empty() {
        return Some(init);
    }
    let h = &hay[init..];
    if needle.len() > h.len() {
        return None;
    }
    let first = needle[0];
    let last_start = h.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        match h[i..=last_start].iter().position(|&b| b == first) {
            None => return None,
            Some(off) => {
                let k = i + off;
                if &h[k..k + needle.len()] == needle {
                    return Some(init + k);
                }
                i = k + 1;
            }
        }
    }
    None
}

impl<'a> MatchState<'a> {
    /// Creates a matcher for subject `src` and pattern `pat`.  `fuel` is the
    /// step budget, shared by all attempts made with this state.
    pub fn new(src: &'a [u8], pat: &'a [u8], fuel: &'a mut u64) -> Self {
        MatchState { src, pat, fuel, caps: smallvec::SmallVec::new(), depth_left: MAX_MATCH_DEPTH }
    }

    /// The subject.
    pub fn src(&self) -> &'a [u8] {
        self.src
    }

    /// The pattern.
    pub fn pat(&self) -> &'a [u8] {
        self.pat
    }

    /// Remaining fuel.
    pub fn fuel(&self) -> u64 {
        *self.fuel
    }

    /// Number of captures recorded by the last successful attempt (0 when
    /// the pattern has none).
    pub fn level(&self) -> usize {
        self.caps.len()
    }

    /// The matching primitive: tries to match the pattern suffix starting
    /// at `pat_start` against the subject starting exactly at `start` (no
    /// scanning, and a leading `^` is **not** interpreted here: skip it
    /// yourself by passing `pat_start = 1`).  Returns the 0-based end
    /// (exclusive) of the match.  Captures are reset at every call.
    ///
    /// How the library functions drive it (PUC 5.2.4):
    /// * `find`/`match`: see [`find`];
    /// * `gsub`: if the pattern starts with `^`, use `pat_start = 1` and stop
    ///   after the first attempt; after a match ending at `e > pos`
    ///   continue at `e`, otherwise copy one subject byte and advance;
    /// * `gmatch`: does **not** treat `^` as an anchor in 5.2 (it is a
    ///   literal `^`): always `pat_start = 0`; after a match at `pos..e`
    ///   resume at `e`, or at `e + 1` when the match was empty.
    ///
    /// After an error the capture state is unspecified (the next call
    /// resets it).  Requires `start <= src.len()` and `pat_start <= pat.len()`.
    pub fn try_match(&mut self, start: usize, pat_start: usize) -> Result<Option<usize>, PatError> {
        assert!(start <= self.src.len() && pat_start <= self.pat.len());
        self.caps.clear();
        self.depth_left = MAX_MATCH_DEPTH;
        self.do_match(start, pat_start)
    }

    /// The pattern item every match starting at `pat_start` must begin
    /// with by consuming one subject byte (`p..ep` of the pattern), when
    /// there is such an item: the first single-byte class after any
    /// opening captures, not `.`, and quantified by nothing or `+`. A start
    /// position whose byte does not match it cannot start a match, so
    /// [`MatchState::skip_to_candidate`] passes over it without trying.
    /// `None` for everything else (and for a first item that is malformed:
    /// the matcher then reports the error where it always did).
    fn first_item(&self, pat_start: usize) -> Option<(usize, usize)> {
        let pat = self.pat;
        let mut p = pat_start;
        while p < pat.len() && pat[p] == b'(' {
            // `(` opens a capture, `()` is a position capture: neither consumes
            p += if pat.get(p + 1) == Some(&b')') { 2 } else { 1 };
        }
        let &c = pat.get(p)?;
        match c {
            b')' | b'.' => return None,
            b'$' if p + 1 == pat.len() => return None,
            b'%' => match pat.get(p + 1) {
                Some(b'b' | b'f') | None => return None,
                Some(d) if d.is_ascii_digit() => return None,
                _ => {}
            },
            _ => {}
        }
        let ep = self.class_end(p).ok()?;
        match pat.get(ep) {
            Some(b'*' | b'?' | b'-') => None,
            _ => Some((p, ep)),
        }
    }

    /// The first position from `start` on whose byte matches the item
    /// `first` (from [`MatchState::first_item`]), or the subject's length
    /// when none does (no match can start there either). Each byte passed
    /// over costs one unit of fuel, as a failed attempt would.
    fn skip_to_candidate(&mut self, start: usize, first: (usize, usize)) -> Result<usize, PatError> {
        let mut s = start;
        while s < self.src.len() && !self.single_match(s, first.0, first.1) {
            s += 1;
        }
        self.charge(s - start)?;
        Ok(s)
    }

    /// The first match starting at `*pos` or later (only at `*pos` when
    /// `anchored`): `Ok(Some(end))` with `*pos` moved to its start, or
    /// `Ok(None)`. Start positions that cannot begin a match are passed
    /// over (`first_item`). After an error `*pos` is where the failed
    /// attempt started, so a caller that tops up the fuel goes on from there.
    #[inline]
    pub fn search(&mut self, pos: &mut usize, pat_start: usize, anchored: bool) -> Result<Option<usize>, PatError> {
        let first = if anchored { None } else { self.first_item(pat_start) };
        loop {
            if let Some(item) = first {
                *pos = self.skip_to_candidate(*pos, item)?;
                if *pos == self.src.len() {
                    return Ok(None);
                }
            }
            if let Some(e) = self.try_match(*pos, pat_start)? {
                return Ok(Some(e));
            }
            if anchored || *pos >= self.src.len() {
                return Ok(None);
            }
            *pos += 1;
        }
    }

    /// Capture `i` (0-based: `i = 0` is Lua's `%1`) with the semantics of
    /// PUC's `push_onecapture`: when the pattern made no captures, index 0
    /// is the whole match `whole` (0-based `start..end`); any other index
    /// `>= level()` is the error `invalid capture index`; an unclosed
    /// capture is the error `unfinished capture`.
    pub fn get_capture(&self, i: usize, whole: (usize, usize)) -> Result<Capture, PatError> {
        if i >= self.caps.len() {
            if i == 0 {
                Ok(Capture::Span { start: whole.0, end: whole.1 })
            } else {
                err("invalid capture index")
            }
        } else {
            let (init, slot) = self.caps[i];
            match slot {
                Slot::Open => err("unfinished capture"),
                Slot::Pos => Ok(Capture::Position(init + 1)),
                Slot::Closed(len) => Ok(Capture::Span { start: init, end: init + len }),
            }
        }
    }

    /// All captures of the last successful attempt (PUC's `push_captures`).
    /// With `whole = Some(..)` (as `string.match`, `gmatch` use it) a
    /// pattern without captures yields the whole match as its single
    /// capture; with `None` (as `string.find` uses it) it yields nothing.
    pub fn captures(&self, whole: Option<(usize, usize)>) -> Result<Vec<Capture>, PatError> {
        let n = if self.caps.is_empty() && whole.is_some() { 1 } else { self.caps.len() };
        let w = whole.unwrap_or((0, 0));
        (0..n).map(|i| self.get_capture(i, w)).collect()
    }

    /// Expands a `gsub` replacement string for the last successful attempt,
    /// whose whole match is `whole`; appends the result to `out`.  Unlike
    /// the free function [`expand_replacement`], an unfinished capture is an
    /// error only if the replacement refers to it (as in PUC).
    pub fn expand_replacement(&self, repl: &[u8], whole: (usize, usize), out: &mut Vec<u8>) -> Result<(), PatError> {
        expand_with(repl, whole, self.src, out, |i| self.get_capture(i, whole))
    }

    // ----- fuel -----

    #[inline]
    fn tick(&mut self) -> Result<(), PatError> {
        if *self.fuel == 0 {
            return Err(PatError::OutOfFuel);
        }
        *self.fuel -= 1;
        Ok(())
    }

    #[inline]
    fn charge(&mut self, n: usize) -> Result<(), PatError> {
        let n = n as u64;
        if *self.fuel < n {
            *self.fuel = 0;
            return Err(PatError::OutOfFuel);
        }
        *self.fuel -= n;
        Ok(())
    }

    // ----- pattern items -----

    /// Index just past the single-character class starting at `p`.
    fn class_end(&self, p: usize) -> Result<usize, PatError> {
        let pat = self.pat;
        let first = pat[p];
        let mut q = p + 1;
        match first {
            b'%' => {
                if q >= pat.len() {
                    return err("malformed pattern (ends with '%')");
                }
                Ok(q + 1)
            }
            b'[' => {
                if q < pat.len() && pat[q] == b'^' {
                    q += 1;
                }
                // The first member is taken literally even if it is ']'.
                loop {
                    if q >= pat.len() {
                        return err("malformed pattern (missing ']')");
                    }
                    let c = pat[q];
                    q += 1;
                    if c == b'%' && q < pat.len() {
                        q += 1;
                    }
                    if q < pat.len() && pat[q] == b']' {
                        return Ok(q + 1);
                    }
                }
            }
            _ => Ok(q),
        }
    }

    /// Does `c` belong to the set `pat[open..=close]` (`open` at `[`,
    /// `close` at the final `]`)?
    fn bracket_matches(&self, c: u8, open: usize, close: usize) -> bool {
        let pat = self.pat;
        let mut p = open + 1;
        let mut yes = true;
        if pat[p] == b'^' {
            yes = false;
            p += 1;
        }
        while p < close {
            if pat[p] == b'%' {
                p += 1;
                if class_matches(c, pat[p]) {
                    return yes;
                }
                p += 1;
            } else if pat[p + 1] == b'-' && p + 2 < close {
                if pat[p] <= c && c <= pat[p + 2] {
                    return yes;
                }
                p += 3;
            } else {
                if pat[p] == c {
                    return yes;
                }
                p += 1;
            }
        }
        !yes
    }

    /// Does the subject byte at `s` match the class `pat[p..ep]`?
    /// (False at the end of the subject.)
    fn single_match(&self, s: usize, p: usize, ep: usize) -> bool {
        if s >= self.src.len() {
            return false;
        }
        let c = self.src[s];
        match self.pat[p] {
            b'.' => true,
            b'%' => class_matches(c, self.pat[p + 1]),
            b'[' => self.bracket_matches(c, p, ep - 1),
            pc => pc == c,
        }
    }

    fn do_match(&mut self, s: usize, p: usize) -> Result<Option<usize>, PatError> {
        if self.depth_left == 0 {
            return err("pattern too complex");
        }
        self.depth_left -= 1;
        let r = self.match_body(s, p);
        self.depth_left += 1;
        r
    }

    fn match_body(&mut self, mut s: usize, mut p: usize) -> Result<Option<usize>, PatError> {
        let pat = self.pat;
        let plen = pat.len();
        loop {
            self.tick()?;
            if p == plen {
                return Ok(Some(s));
            }
            let next = if p + 1 < plen { Some(pat[p + 1]) } else { None };
            match (pat[p], next) {
                (b'(', Some(b')')) => return self.start_capture(s, p + 2, Slot::Pos),
                (b'(', _) => return self.start_capture(s, p + 1, Slot::Open),
                (b')', _) => return self.end_capture(s, p + 1),
                (b'$', None) => {
                    return Ok(if s == self.src.len() { Some(s) } else { None });
                }
                (b'%', Some(b'b')) => match self.match_balance(s, p + 2)? {
                    Some(ns) => {
                        s = ns;
                        p += 4;
                    }
                    None => return Ok(None),
                },
                (b'%', Some(b'f')) => {
                    p += 2;
                    if p >= plen || pat[p] != b'[' {
                        return err("missing '[' after '%f' in pattern");
                    }
                    let ep = self.class_end(p)?;
                    let prev = if s == 0 { 0 } else { self.src[s - 1] };
                    let cur = if s < self.src.len() { self.src[s] } else { 0 };
                    if !self.bracket_matches(prev, p, ep - 1) && self.bracket_matches(cur, p, ep - 1) {
                        p = ep;
                    } else {
                        return Ok(None);
                    }
                }
                (b'%', Some(d)) if d.is_ascii_digit() => match self.match_back_ref(s, d)? {
                    Some(ns) => {
                        s = ns;
                        p += 2;
                    }
                    None => return Ok(None),
                },
                _ => {
                    let ep = self.class_end(p)?;
                    let quant = if ep < plen { pat[ep] } else { 0 };
                    if !self.single_match(s, p, ep) {
                        if quant == b'*' || quant == b'?' || quant == b'-' {
                            // Zero repetitions are acceptable: skip the item.
                            p = ep + 1;
                            continue;
                        }
                        return Ok(None);
                    }
                    match quant {
                        b'?' => {
                            if let Some(e) = self.do_match(s + 1, ep + 1)? {
                                return Ok(Some(e));
                            }
                            p = ep + 1;
                        }
                        b'+' => return self.max_expand(s + 1, p, ep),
                        b'*' => return self.max_expand(s, p, ep),
                        b'-' => return self.min_expand(s, p, ep),
                        _ => {
                            s += 1;
                            p = ep;
                        }
                    }
                }
            }
        }
    }

    /// Greedy repetition: longest run first, then back off one at a time.
    fn max_expand(&mut self, s: usize, p: usize, ep: usize) -> Result<Option<usize>, PatError> {
        let mut i = 0usize;
        while self.single_match(s + i, p, ep) {
            self.tick()?;
            i += 1;
        }
        loop {
            if let Some(e) = self.do_match(s + i, ep + 1)? {
                return Ok(Some(e));
            }
            if i == 0 {
                return Ok(None);
            }
            i -= 1;
        }
    }

    /// Lazy repetition: shortest run first, extending one at a time.
    fn min_expand(&mut self, mut s: usize, p: usize, ep: usize) -> Result<Option<usize>, PatError> {
        loop {
            if let Some(e) = self.do_match(s, ep + 1)? {
                return Ok(Some(e));
            }
            if self.single_match(s, p, ep) {
                s += 1;
            } else {
                return Ok(None);
            }
        }
    }

    fn start_capture(&mut self, s: usize, p: usize, slot: Slot) -> Result<Option<usize>, PatError> {
        if self.caps.len() >= MAX_CAPTURES {
            return err("too many captures");
        }
        self.caps.push((s, slot));
        let r = self.do_match(s, p)?;
        if r.is_none() {
            // every capture opened inside the failed attempt was dropped again
            self.caps.pop();
        }
        Ok(r)
    }

    fn end_capture(&mut self, s: usize, p: usize) -> Result<Option<usize>, PatError> {
        let l = match (0..self.caps.len()).rev().find(|&l| self.caps[l].1 == Slot::Open) {
            Some(l) => l,
            None => return err("invalid pattern capture"),
        };
        self.caps[l].1 = Slot::Closed(s - self.caps[l].0);
        let r = self.do_match(s, p)?;
        if r.is_none() {
            self.caps[l].1 = Slot::Open;
        }
        Ok(r)
    }

    /// `%bxy` with `x` at `pat[p]`, `y` at `pat[p + 1]`.
    fn match_balance(&mut self, s: usize, p: usize) -> Result<Option<usize>, PatError> {
        if p + 1 >= self.pat.len() {
            return err("malformed pattern (missing arguments to '%b')");
        }
        let (open, close) = (self.pat[p], self.pat[p + 1]);
        if s >= self.src.len() || self.src[s] != open {
            return Ok(None);
        }
        let mut depth = 1usize;
        let mut i = s + 1;
        while i < self.src.len() {
            self.tick()?;
            let c = self.src[i];
            if c == close {
                depth -= 1;
                if depth == 0 {
                    return Ok(Some(i + 1));
                }
            } else if c == open {
                depth += 1;
            }
            i += 1;
        }
        Ok(None)
    }

    /// Back-reference `%d` (d is the ASCII digit).
    fn match_back_ref(&mut self, s: usize, d: u8) -> Result<Option<usize>, PatError> {
        let idx = d as i32 - b'1' as i32;
        if idx < 0 || idx as usize >= self.caps.len() || self.caps[idx as usize].1 == Slot::Open {
            return Err(PatError::Malformed(format!("invalid capture index %{}", idx + 1)));
        }
        let (init, slot) = self.caps[idx as usize];
        let len = match slot {
            Slot::Closed(len) => len,
            // A position capture never matches as a back-reference.
            _ => return Ok(None),
        };
        if self.src.len() - s < len {
            return Ok(None);
        }
        self.charge(len)?;
        if self.src[init..init + len] == self.src[s..s + len] {
            Ok(Some(s + len))
        } else {
            Ok(None)
        }
    }
}

/// `string.find`/`string.match` search: honours a leading `^` anchor and
/// scans start positions `init, init+1, ..., src.len()`.  `init` is 0-based;
/// `init > src.len()` gives `Ok(None)` (callers convert Lua's 1-based,
/// possibly negative `init` first, as PUC's `posrelat` does).
///
/// Returns `(start, end, captures)` with 0-based `start..end` of the whole
/// match and the pattern's explicit captures (empty when the pattern has
/// none; `string.match` then returns the whole match instead).  An unclosed
/// capture in a successful match is the error `unfinished capture`.
pub fn find(src: &[u8], pat: &[u8], init: usize, fuel: &mut u64) -> Result<Option<(usize, usize, Vec<Capture>)>, PatError> {
    if init > src.len() {
        return Ok(None);
    }
    let anchored = pat.first() == Some(&b'^');
    let pstart = anchored as usize;
    let mut ms = MatchState::new(src, pat, fuel);
    let mut s = init;
    match ms.search(&mut s, pstart, anchored)? {
        Some(e) => Ok(Some((s, e, ms.captures(None)?))),
        None => Ok(None),
    }
}

fn expand_with<F>(repl: &[u8], whole: (usize, usize), src: &[u8], out: &mut Vec<u8>, get: F) -> Result<(), PatError>
where
    F: Fn(usize) -> Result<Capture, PatError>,
{
    let mut i = 0;
    while i < repl.len() {
        let c = repl[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        // A '%' at the very end behaves like '%' followed by a NUL byte.
        let d = repl.get(i).copied().unwrap_or(0);
        i += 1;
        match d {
            b'%' => out.push(b'%'),
            b'0' => out.extend_from_slice(&src[whole.0..whole.1]),
            b'1'..=b'9' => get((d - b'1') as usize)?.append_to(src, out),
            _ => return err("invalid use of '%' in replacement string"),
        }
    }
    Ok(())
}

/// Expands a `gsub` replacement string: `%0` is the whole match `whole`
/// (0-based `start..end` in `src`), `%1`–`%9` the captures `caps` (the
/// pattern's explicit captures, as returned by [`find`] or
/// [`MatchState::captures`]`(None)`; when `caps` is empty `%1` is the whole
/// match), `%%` a single `%`.  Position captures expand to their decimal
/// number.  Any other `%x` is `invalid use of '%' in replacement string`,
/// a reference past the captures is `invalid capture index`.
pub fn expand_replacement(repl: &[u8], whole: (usize, usize), caps: &[Capture], src: &[u8], out: &mut Vec<u8>) -> Result<(), PatError> {
    expand_with(repl, whole, src, out, |i| {
        if i < caps.len() {
            Ok(caps[i])
        } else if i == 0 {
            Ok(Capture::Span { start: whole.0, end: whole.1 })
        } else {
            err("invalid capture index")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: u64 = u64::MAX;

    /// The class predicates spelled out, as the tables must agree with them.
    fn class_reference(c: u8, cl: u8) -> bool {
        let res = match cl.to_ascii_lowercase() {
            b'a' => c.is_ascii_alphabetic(),
            b'c' => c < 0x20 || c == 0x7f,
            b'd' => c.is_ascii_digit(),
            b'g' => (0x21..=0x7e).contains(&c),
            b'l' => c.is_ascii_lowercase(),
            b'p' => (0x21..=0x7e).contains(&c) && !c.is_ascii_alphanumeric(),
            b's' => c == b' ' || (9..=13).contains(&c),
            b'u' => c.is_ascii_uppercase(),
            b'w' => c.is_ascii_alphanumeric(),
            b'x' => c.is_ascii_hexdigit(),
            b'z' => c == 0,
            _ => return cl == c,
        };
        res != cl.is_ascii_uppercase()
    }

    #[test]
    fn class_tables_agree_with_the_predicates() {
        for cl in 0..=255u8 {
            for c in 0..=255u8 {
                assert_eq!(class_matches(c, cl), class_reference(c, cl), "byte {c} class %{}", cl as char);
            }
        }
    }

    /// `find` without the first-item skip: every start position tried.
    fn find_trying_every_position(src: &[u8], pat: &[u8], init: usize) -> Result<Option<(usize, usize, Vec<Capture>)>, PatError> {
        let mut fuel = BIG;
        let anchored = pat.first() == Some(&b'^');
        let mut ms = MatchState::new(src, pat, &mut fuel);
        let mut s = init;
        loop {
            if let Some(e) = ms.try_match(s, anchored as usize)? {
                return Ok(Some((s, e, ms.captures(None)?)));
            }
            s += 1;
            if anchored || s > src.len() {
                return Ok(None);
            }
        }
    }

    #[test]
    fn skipping_start_positions_finds_what_trying_each_finds() {
        let pats = [
            "%a+",
            "(%a+)-(%d+)",
            "(%x+)/",
            "%d",
            "[^,]+",
            "[%d.]+x",
            "((a)b)",
            "()a",
            "(()b)",
            "a*b",
            "a?b",
            "a-b",
            "%Ab",
            "x$",
            "$",
            "",
            "%b()",
            "%f[%a]%a+",
            "(a)%1",
            ".b",
            "[]]",
            "[a",
            "%",
            "(a",
            "a)",
            "%zb",
            "%%",
            "[%]]+",
            "^%a",
        ];
        let subjects = ["", "hello-42 world-7, 3f/ab/", "aab((x))b a-b a)", "xx]]%%x", "ab\0b zzz$", "123.5x 9x, b"];
        for pat in pats {
            for subj in subjects {
                let (sb, pb) = (subj.as_bytes(), pat.as_bytes());
                for init in [0, 1, 3] {
                    if init > sb.len() {
                        continue;
                    }
                    let mut fuel = BIG;
                    let fast = find(sb, pb, init, &mut fuel);
                    let slow = find_trying_every_position(sb, pb, init);
                    assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "pattern {pat:?} on {subj:?} from {init}");
                }
            }
        }
    }

    #[test]
    fn the_first_item_is_found_only_where_it_must_consume_a_byte() {
        let mut fuel = BIG;
        let first =
            |pat: &str| MatchState::new(b"", pat.as_bytes(), &mut { BIG }).first_item(0).map(|(p, ep)| &pat[p..ep]).map(str::to_owned);
        assert_eq!(first("%a+x").as_deref(), Some("%a"));
        assert_eq!(first("((()[xy]))").as_deref(), Some("[xy]"));
        assert_eq!(first("ab").as_deref(), Some("a"));
        for none in ["a*", "a?", "a-", ".x", "%bxy", "%f[a]", "%1", "$", "(", ")", "[a", "%", ""] {
            assert_eq!(first(none), None, "{none:?}");
        }
        // the skip charges one unit per byte passed over
        let mut ms = MatchState::new(b"----x", b"x", &mut fuel);
        assert_eq!(ms.skip_to_candidate(0, (0, 1)).unwrap(), 4);
        assert_eq!(ms.fuel(), BIG - 4);
    }

    /// Lua-style result of string.find: 1-based start/end and the captures
    /// rendered as strings (positions as numbers).
    fn lfind(src: &str, pat: &str, init: usize) -> Result<Option<(usize, usize, Vec<String>)>, PatError> {
        let mut fuel = BIG;
        let r = find(src.as_bytes(), pat.as_bytes(), init, &mut fuel)?;
        Ok(r.map(|(s, e, caps)| (s + 1, e, render(src.as_bytes(), &caps))))
    }

    fn render(src: &[u8], caps: &[Capture]) -> Vec<String> {
        caps.iter()
            .map(|c| match c {
                Capture::Position(n) => format!("#{}", n),
                Capture::Span { .. } => String::from_utf8_lossy(c.bytes(src).unwrap()).into_owned(),
            })
            .collect()
    }

    /// string.match semantics: the captures, or the whole match.
    fn lmatch(src: &str, pat: &str) -> Option<Vec<String>> {
        let mut fuel = BIG;
        let r = find(src.as_bytes(), pat.as_bytes(), 0, &mut fuel).unwrap();
        r.map(|(s, e, caps)| {
            if caps.is_empty() {
                vec![String::from_utf8_lossy(&src.as_bytes()[s..e]).into_owned()]
            } else {
                render(src.as_bytes(), &caps)
            }
        })
    }

    fn m1(src: &str, pat: &str) -> Option<String> {
        lmatch(src, pat).map(|v| v[0].clone())
    }

    /// gsub with a string replacement, following lstrlib's loop.
    fn gsub(src: &str, pat: &str, repl: &str, max_n: Option<usize>) -> Result<(String, usize), PatError> {
        let s = src.as_bytes();
        let p = pat.as_bytes();
        let anchored = p.first() == Some(&b'^');
        let pstart = anchored as usize;
        let mut fuel = BIG;
        let mut ms = MatchState::new(s, p, &mut fuel);
        let mut out = Vec::new();
        let mut pos = 0;
        let mut n = 0;
        let max_n = max_n.unwrap_or(s.len() + 1);
        while n < max_n {
            let e = ms.try_match(pos, pstart)?;
            if let Some(e) = e {
                n += 1;
                ms.expand_replacement(repl.as_bytes(), (pos, e), &mut out)?;
            }
            match e {
                Some(e) if e > pos => pos = e,
                _ => {
                    if pos < s.len() {
                        out.push(s[pos]);
                        pos += 1;
                    } else {
                        break;
                    }
                }
            }
            if anchored {
                break;
            }
        }
        out.extend_from_slice(&s[pos..]);
        Ok((String::from_utf8(out).unwrap(), n))
    }

    fn perr(src: &str, pat: &str) -> String {
        let mut fuel = BIG;
        match find(src.as_bytes(), pat.as_bytes(), 0, &mut fuel) {
            Err(e) => e.message(),
            Ok(r) => panic!("expected error, got {:?}", r),
        }
    }

    fn s(x: &str) -> String {
        x.to_string()
    }

    #[test]
    fn basic_find() {
        assert_eq!(lfind("hello world", "o w", 0).unwrap(), Some((5, 7, vec![])));
        assert_eq!(lfind("hello", "l+", 0).unwrap(), Some((3, 4, vec![])));
        assert_eq!(lfind("hello", "xyz", 0).unwrap(), None);
        assert_eq!(lfind("", "", 0).unwrap(), Some((1, 0, vec![])));
        assert_eq!(lfind("alo", "", 0).unwrap(), Some((1, 0, vec![])));
        assert_eq!(lfind("alo", "", 3).unwrap(), Some((4, 3, vec![])));
        assert_eq!(lfind("alo", "", 4).unwrap(), None);
        assert_eq!(lfind("a\0o a\0o a\0o", "a", 1).unwrap(), Some((5, 5, vec![])));
        assert_eq!(lfind("a\0a\0a\0a\0\0ab", "b", 0).unwrap(), Some((11, 11, vec![])));
        assert_eq!(lfind("a\0a\0a\0a\0\0ab", "b\0", 0).unwrap(), None);
        assert_eq!(lfind("", "\0", 0).unwrap(), None);
        assert_eq!(lfind("alo123alo", "12", 0).unwrap(), Some((4, 5, vec![])));
        assert_eq!(lfind("abc", "$", 0).unwrap(), Some((4, 3, vec![])));
        assert_eq!(lfind("a$c", "a$", 0).unwrap(), None);
        assert_eq!(lfind("a^c", "a^", 0).unwrap(), Some((1, 2, vec![])));
        assert_eq!(lfind("a$", "a$$", 0).unwrap(), Some((1, 2, vec![])));
    }

    #[test]
    fn official_match_cases() {
        assert_eq!(m1("aaab", ".*b"), Some(s("aaab")));
        assert_eq!(m1("aaa", ".*a"), Some(s("aaa")));
        assert_eq!(m1("b", ".*b"), Some(s("b")));
        assert_eq!(m1("aaab", ".+b"), Some(s("aaab")));
        assert_eq!(m1("aaa", ".+a"), Some(s("aaa")));
        assert_eq!(m1("b", ".+b"), None);
        assert_eq!(m1("aaab", ".?b"), Some(s("ab")));
        assert_eq!(m1("aaa", ".?a"), Some(s("aa")));
        assert_eq!(m1("b", ".?b"), Some(s("b")));
        assert_eq!(m1("aloALO", "%l*"), Some(s("alo")));
        assert_eq!(m1("aLo_ALO", "%a*"), Some(s("aLo")));
        assert_eq!(m1("  \n\r*&\n\r   xuxu  \n\n", "%g%g%g+"), Some(s("xuxu")));
        assert_eq!(m1("aaab", "a*"), Some(s("aaa")));
        assert_eq!(m1("aaa", "^.*$"), Some(s("aaa")));
        assert_eq!(m1("aaa", "b*"), Some(s("")));
        assert_eq!(m1("aaa", "ab*a"), Some(s("aa")));
        assert_eq!(m1("aba", "ab*a"), Some(s("aba")));
        assert_eq!(m1("aaab", "a+"), Some(s("aaa")));
        assert_eq!(m1("aaa", "^.+$"), Some(s("aaa")));
        assert_eq!(m1("aaa", "b+"), None);
        assert_eq!(m1("aaa", "ab+a"), None);
        assert_eq!(m1("aba", "ab+a"), Some(s("aba")));
        assert_eq!(m1("a$a", ".$"), Some(s("a")));
        assert_eq!(m1("a$a", ".%$"), Some(s("a$")));
        assert_eq!(m1("a$a", ".$."), Some(s("a$a")));
        assert_eq!(m1("a$a", "$$"), None);
        assert_eq!(m1("a$b", "a$"), None);
        assert_eq!(m1("a$a", "$"), Some(s("")));
        assert_eq!(m1("", "b*"), Some(s("")));
        assert_eq!(m1("aaa", "bb*"), None);
        assert_eq!(m1("aaab", "a-b"), Some(s("aaab")));
        assert_eq!(m1("aaa", "^.-$"), Some(s("aaa")));
        assert_eq!(m1("aabaaabaaabaaaba", "b.*b"), Some(s("baaabaaabaaab")));
        assert_eq!(m1("aabaaabaaabaaaba", "b.-b"), Some(s("baaab")));
        assert_eq!(m1("alo xo", ".o$"), Some(s("xo")));
        assert_eq!(m1(" \n isto é assim", "%S%S*"), Some(s("isto")));
        assert_eq!(m1(" \n isto é assim", "%S*$"), Some(s("assim")));
        assert_eq!(m1(" \n isto é assim", "[a-z]*$"), Some(s("assim")));
        assert_eq!(m1("um caracter ? extra", "[^%sa-z]"), Some(s("?")));
        assert_eq!(m1("", "a?"), Some(s("")));
        assert_eq!(m1("á", "á?"), Some(s("á")));
        assert_eq!(m1("ábl", "á?b?l?"), Some(s("ábl")));
        assert_eq!(m1("  ábl", "á?b?l?"), Some(s("ábl"))); // UTF-8: "á" is two bytes
        assert_eq!(m1("aa", "^aa?a?a"), Some(s("aa")));
        assert_eq!(m1("]]]áb", "[^]]"), Some(s("\u{fffd}"))); // the single byte 0xC3
        assert_eq!(m1("0alo alo", "%x*"), Some(s("0a")));
        assert_eq!(m1("alo alo", "%C+"), Some(s("alo alo")));
    }

    #[test]
    fn captures_and_positions() {
        assert_eq!(lmatch("alo xyzK", "(%w+)K"), Some(vec![s("xyz")]));
        assert_eq!(lmatch("254 K", "(%d*)K"), Some(vec![s("")]));
        assert_eq!(lmatch("alo ", "(%w*)$"), Some(vec![s("")]));
        assert_eq!(lmatch("alo ", "(%w+)$"), None);
        assert_eq!(lfind("(álo)", "%(á", 0).unwrap(), Some((1, 3, vec![])));
        assert_eq!(lmatch("âlo alo", "^(((.).).* (%w*))$"), Some(vec![s("âlo alo"), s("â"), s("\u{fffd}"), s("alo")]));
        assert_eq!(lmatch("0123456789", "(.+(.?)())"), Some(vec![s("0123456789"), s(""), s("#11")]));
        assert_eq!(lmatch("  abc", "^%s*()"), Some(vec![s("#3")]));
        assert_eq!(lfind("abc", "()", 0).unwrap(), Some((1, 0, vec![s("#1")])));
        assert_eq!(lfind("abc", "()()", 3).unwrap(), Some((4, 3, vec![s("#4"), s("#4")])));
        // nested captures are numbered by their opening parenthesis
        assert_eq!(lmatch("abcd", "((a)(b(c)))(d)"), Some(vec![s("abc"), s("a"), s("bc"), s("c"), s("d")]));
        assert_eq!(lmatch("key = value", "(%w+)%s*=%s*(%w+)"), Some(vec![s("key"), s("value")]));
        // the pattern "(a" matches, but reading the capture is an error
        assert_eq!(perr("a", "(a"), "unfinished capture");
    }

    #[test]
    fn back_references() {
        assert_eq!(lmatch("x = [[a]]", "%[(=*)%[(.-)%]%1%]"), Some(vec![s(""), s("a")]));
        assert_eq!(lmatch("[==[a]=]==]", "%[(=*)%[(.-)%]%1%]"), Some(vec![s("=="), s("a]=")]));
        assert_eq!(lmatch("abab", "(ab)%1"), Some(vec![s("ab")]));
        assert_eq!(lmatch("\"a'b\" 'x'", "([\"'])(.-)%1"), Some(vec![s("\""), s("a'b")]));
        assert_eq!(lmatch("abcabd", "(ab)c%1d"), Some(vec![s("ab")]));
        // back-reference to a position capture never matches
        assert_eq!(lmatch("aa", "()a%1"), None);
        assert_eq!(perr("a", "%1"), "invalid capture index %1");
        assert_eq!(perr("a", "(a)%2"), "invalid capture index %2");
        assert_eq!(perr("a", "(a%1)"), "invalid capture index %1");
        assert_eq!(perr("abc", "%0"), "invalid capture index %0");
        assert_eq!(perr("abc", "(a)%0"), "invalid capture index %0");
    }

    #[test]
    fn balance_and_frontier() {
        assert_eq!(m1("[[x]]", "%b[]"), Some(s("[[x]]")));
        assert_eq!(m1("f(a(b)c) d)", "%b()"), Some(s("(a(b)c)")));
        assert_eq!(m1("((x)", "%b()"), Some(s("(x)")));
        assert_eq!(m1("'abc' x'", "%b''"), Some(s("'abc'")));
        assert_eq!(m1("(((", "%b()"), None);
        assert_eq!(gsub("alo 'oi' alo", "%b''", "\"", None).unwrap(), (s("alo \" alo"), 1));
        assert_eq!(gsub("aaa aa a aaa a", "%f[%w]%a", "x", None).unwrap(), (s("xaa xa x xaa x"), 5));
        assert_eq!(gsub("[[]] [][] [[[[", "%f[[].", "x", None).unwrap(), (s("x[]] x]x] x[[["), 4));
        assert_eq!(gsub("01abc45de3", "%f[%d]", ".", None).unwrap(), (s(".01abc.45de.3"), 3));
        assert_eq!(gsub("01abc45 de3x", "%f[%D]%w", ".", None).unwrap(), (s("01.bc45 de3."), 2));
        assert_eq!(gsub("function", "%f[\x01-\u{7f}]%w", ".", None).unwrap(), (s(".unction"), 1));
        assert_eq!(gsub("function", "%f[^\x01-\u{7f}]", "x", None).unwrap(), (s("functionx"), 1));
        assert_eq!(lfind("a", "%f[a]", 0).unwrap(), Some((1, 0, vec![])));
        assert_eq!(lfind("a", "%f[^%z]", 0).unwrap(), Some((1, 0, vec![])));
        assert_eq!(lfind("a", "%f[^%l]", 0).unwrap(), Some((2, 1, vec![])));
        assert_eq!(lfind("aba", "%f[a%z]", 0).unwrap(), Some((3, 2, vec![])));
        assert_eq!(lfind("aba", "%f[%z]", 0).unwrap(), Some((4, 3, vec![])));
        assert_eq!(lfind("aba", "%f[%l%z]", 0).unwrap(), None);
        assert_eq!(lfind("aba", "%f[^%l%z]", 0).unwrap(), None);
        assert_eq!(lfind("THE (quick) fox", "%f[%a]%a+", 4).unwrap(), Some((6, 10, vec![])));
        // the byte before `init` counts for the frontier
        assert_eq!(lfind("ab", "%f[%w]", 1).unwrap(), None);
        assert_eq!(lfind("ab", "%f[%W]", 0).unwrap(), Some((3, 2, vec![])));
        assert_eq!(lfind("a\0b", "%f[%z]", 0).unwrap(), Some((2, 1, vec![])));
        let words: Vec<_> = {
            let src = "hello world from Lua";
            let mut out = vec![];
            let mut fuel = BIG;
            let mut i = 0;
            while let Some((st, e, _)) = find(src.as_bytes(), b"%f[%w]%w+", i, &mut fuel).unwrap() {
                out.push(src[st..e].to_string());
                i = e;
            }
            out
        };
        assert_eq!(words, vec!["hello", "world", "from", "Lua"]);
    }

    #[test]
    fn lazy_and_sets() {
        assert_eq!(lfind("aaab", "a-b", 0).unwrap(), Some((1, 4, vec![])));
        assert_eq!(lfind("aaab", "a-", 0).unwrap(), Some((1, 0, vec![])));
        assert_eq!(m1("<a><b>", "<(.-)>"), Some(s("a")));
        assert_eq!(m1("<a><b>", "<(.*)>"), Some(s("a><b")));
        assert_eq!(lfind("a]", "[]]", 0).unwrap(), Some((2, 2, vec![])));
        assert_eq!(lfind("a-", "[a-]", 1).unwrap(), Some((2, 2, vec![])));
        assert_eq!(lfind("^", "[]^]", 0).unwrap(), Some((1, 1, vec![])));
        assert_eq!(lfind("]", "[^]]", 0).unwrap(), None);
        assert_eq!(lfind("x]", "[^]]", 0).unwrap(), Some((1, 1, vec![])));
        assert_eq!(lfind("a]b", "[%]]", 0).unwrap(), Some((2, 2, vec![])));
        assert_eq!(m1("abc-123", "[%d-]+"), Some(s("-123")));
        assert_eq!(m1("Hello World", "[A-Z][a-z]+$"), Some(s("World")));
        assert_eq!(m1("x = 0x1F;", "[%x]+;"), Some(s("1F;")));
        assert_eq!(m1("a.b", "[.]"), Some(s(".")));
        assert_eq!(m1("ab%c", "[%%]c"), Some(s("%c")));
        assert_eq!(m1("z-a", "[z-a]"), None); // empty range
        assert_eq!(m1("--", "[--]+"), Some(s("--")));
        assert_eq!(m1("abc", "[^%a]"), None);
        assert_eq!(m1("ab1", "[^%a]"), Some(s("1")));
        assert_eq!(m1("\x01\x7f x", "%c+"), Some(s("\x01\x7f")));
        assert_eq!(m1("a!b", "%p"), Some(s("!")));
        assert_eq!(m1("AbC", "%u%l%u"), Some(s("AbC")));
        assert_eq!(m1("\t\x0b\x0c x", "%s+"), Some(s("\t\x0b\x0c ")));
        assert_eq!(m1("ab12", "%W*%d+"), Some(s("12")));
        // escaped non-letters stand for themselves
        assert_eq!(m1("a.b", "%."), Some(s(".")));
        assert_eq!(m1("(x)", "%((%w)%)"), Some(s("x")));
    }

    #[test]
    fn anchors() {
        assert_eq!(lfind("aaa", "^a", 1).unwrap(), Some((2, 2, vec![])));
        assert_eq!(lfind("baaa", "^a", 0).unwrap(), None);
        assert_eq!(lfind("a^b", "^b", 0).unwrap(), None);
        assert_eq!(m1("^x", "^^x"), Some(s("^x")));
        assert_eq!(gsub("hello world", "^%w+", "X", None).unwrap(), (s("X world"), 1));
        assert_eq!(gsub("abc", "", "-", None).unwrap(), (s("-a-b-c-"), 4));
        assert_eq!(gsub("abc", "^", "-", None).unwrap(), (s("-abc"), 1));
        assert_eq!(gsub("abc", "$", "-", None).unwrap(), (s("abc-"), 1));
    }

    #[test]
    fn gsub_replacements() {
        assert_eq!(gsub("hello world", "(%w+)", "<%1>", None).unwrap(), (s("<hello> <world>"), 2));
        assert_eq!(gsub("hello world", "%w+", "%0 %0", Some(1)).unwrap(), (s("hello hello world"), 1));
        assert_eq!(gsub("hello world", "(%w+)%s*(%w+)", "%2 %1", None).unwrap(), (s("world hello"), 1));
        assert_eq!(gsub("abc", "b", "[%1]", None).unwrap(), (s("a[b]c"), 1));
        assert_eq!(gsub("abc", "()b", "[%1]", None).unwrap(), (s("a[2]c"), 1));
        assert_eq!(gsub("abc", "b", "%%", None).unwrap(), (s("a%c"), 1));
        assert_eq!(gsub("a", "(a", "x", None).unwrap(), (s("x"), 1));
        assert_eq!(gsub("a", "(a", "%1", None).unwrap_err().message(), "unfinished capture");
        assert_eq!(gsub("abc", "b", "[%2]", None).unwrap_err().message(), "invalid capture index");
        assert_eq!(gsub("a", "a", "%z", None).unwrap_err().message(), "invalid use of '%' in replacement string");
        assert_eq!(gsub("a", "(a)", "%", None).unwrap_err().message(), "invalid use of '%' in replacement string");
        assert_eq!(gsub("abc", "%w", "%1%0", None).unwrap(), (s("aabbcc"), 3));
        assert_eq!(gsub("um (dois) tres (quatro)", "(%(%w+%))", "<%1>", None).unwrap(), (s("um <(dois)> tres <(quatro)>"), 2));
        // free-function form
        let src = b"x=1, y=2";
        let mut fuel = BIG;
        let (st, e, caps) = find(src, b"(%w+)=(%w+)", 0, &mut fuel).unwrap().unwrap();
        let mut out = Vec::new();
        expand_replacement(b"%2=%1 [%0] %%", (st, e), &caps, src, &mut out).unwrap();
        assert_eq!(out, b"1=x [x=1] %");
        let mut out = Vec::new();
        assert_eq!(expand_replacement(b"%3", (st, e), &caps, src, &mut out).unwrap_err().message(), "invalid capture index");
        let mut out = Vec::new();
        expand_replacement(b"<%1>", (2, 3), &[], src, &mut out).unwrap();
        assert_eq!(out, b"<1>");
    }

    #[test]
    fn error_messages() {
        assert_eq!(perr("a", "%"), "malformed pattern (ends with '%')");
        assert_eq!(perr("a", "[a"), "malformed pattern (missing ']')");
        assert_eq!(perr("a", "[a%"), "malformed pattern (missing ']')");
        assert_eq!(perr("a", "[%"), "malformed pattern (missing ']')");
        assert_eq!(perr("a", "[]"), "malformed pattern (missing ']')");
        assert_eq!(perr("a", "[^]"), "malformed pattern (missing ']')");
        assert_eq!(perr("a", "%f"), "missing '[' after '%f' in pattern");
        assert_eq!(perr("a", "%fa"), "missing '[' after '%f' in pattern");
        assert_eq!(perr("a", "%f[a"), "malformed pattern (missing ']')");
        assert_eq!(perr("a", "%b"), "malformed pattern (missing arguments to '%b')");
        assert_eq!(perr("a", "%ba"), "malformed pattern (missing arguments to '%b')");
        assert_eq!(perr("a", "a)"), "invalid pattern capture");
        assert_eq!(perr("a", ")"), "invalid pattern capture");
        assert_eq!(perr("a", "(a"), "unfinished capture");
        assert_eq!(perr("a", &"()".repeat(33)), "too many captures");
        assert_eq!(perr("a", &format!("{}a{}", "(".repeat(200), ")".repeat(200))), "too many captures");
        // 32 captures are fine
        assert_eq!(lfind("a", &"()".repeat(32), 0).unwrap().unwrap().2.len(), 32);
        // errors are raised lazily, only when the item is reached
        assert_eq!(lfind("b", "a[", 0).unwrap(), None);
        assert_eq!(lfind("b", "a%", 0).unwrap(), None);
        assert_eq!(lfind("b", "a)", 0).unwrap(), None);
        assert_eq!(lfind("b", "a%1", 0).unwrap(), None);
        assert_eq!(PatError::OutOfFuel.message(), "pattern matching step limit exceeded");
    }

    #[test]
    fn depth_limit_matches_puc() {
        for n in [1usize, 100, 198, 199] {
            let src = "a".repeat(n);
            assert_eq!(lfind(&src, &"a?".repeat(n), 0).unwrap(), Some((1, n, vec![])), "n={}", n);
        }
        for n in [200usize, 201, 1000] {
            let src = "a".repeat(n);
            assert_eq!(perr(&src, &"a?".repeat(n)), "pattern too complex", "n={}", n);
        }
        // non-matching optional items do not nest
        assert_eq!(lfind("b", &"a*".repeat(250), 0).unwrap(), Some((1, 0, vec![])));
        assert_eq!(lfind("b", &"a-".repeat(250), 0).unwrap(), Some((1, 0, vec![])));
        assert_eq!(lfind("b", &"a?".repeat(250), 0).unwrap(), Some((1, 0, vec![])));
        assert_eq!(lfind("aaa", &"a*".repeat(250), 0).unwrap(), Some((1, 3, vec![])));
        // a deep pattern against a long subject reports "too complex" quickly
        let big = "a".repeat(100_000);
        assert_eq!(perr(&big, &format!("{}b", "a*".repeat(1000))), "pattern too complex");
        // long single-item repetitions are iterative
        assert_eq!(lfind(&big, "a*", 0).unwrap(), Some((1, 100_000, vec![])));
        assert_eq!(lfind(&big, "a-$", 0).unwrap(), Some((1, 100_000, vec![])));
        assert_eq!(lfind(&big[..2000], ".-b", 0).unwrap(), None);
    }

    #[test]
    fn fuel_limit() {
        let big = "a".repeat(100_000);
        let pat = format!("{}b", "a*".repeat(20));
        let mut fuel = 1_000_000u64;
        let t = std::time::Instant::now();
        let r = find(big.as_bytes(), pat.as_bytes(), 0, &mut fuel);
        assert_eq!(r, Err(PatError::OutOfFuel));
        assert_eq!(fuel, 0);
        assert!(t.elapsed().as_secs() < 5);
        // back-reference and %b consume fuel proportional to their work
        let mut fuel = 100u64;
        let src = "x".repeat(1000);
        let r = find(format!("{}{}", src, src).as_bytes(), b"^(x*)%1$", 0, &mut fuel);
        assert_eq!(r, Err(PatError::OutOfFuel));
        let mut fuel = 100u64;
        let r = find(format!("({}", src).as_bytes(), b"%b()", 0, &mut fuel);
        assert_eq!(r, Err(PatError::OutOfFuel));
        // enough fuel: same result as unlimited
        let mut fuel = 10_000u64;
        let r = find(b"hello world", b"(%w+) (%w+)", 0, &mut fuel).unwrap();
        assert_eq!(r, Some((0, 11, vec![Capture::Span { start: 0, end: 5 }, Capture::Span { start: 6, end: 11 }])));
        assert!(fuel > 0 && fuel < 10_000);
    }

    #[test]
    fn state_api() {
        let mut fuel = BIG;
        let src = b"k1=v1;k2=v2";
        let mut ms = MatchState::new(src, b"(%w+)=(%w+)", &mut fuel);
        assert_eq!(ms.try_match(0, 0).unwrap(), Some(5));
        assert_eq!(ms.level(), 2);
        assert_eq!(ms.get_capture(1, (0, 5)).unwrap(), Capture::Span { start: 3, end: 5 });
        assert_eq!(ms.get_capture(2, (0, 5)).unwrap_err().message(), "invalid capture index");
        assert_eq!(ms.try_match(5, 0).unwrap(), None);
        assert_eq!(ms.try_match(6, 0).unwrap(), Some(11));
        assert_eq!(ms.captures(Some((6, 11))).unwrap().len(), 2);
        let mut fuel = BIG;
        let mut ms = MatchState::new(src, b"%w+", &mut fuel);
        assert_eq!(ms.try_match(0, 0).unwrap(), Some(2));
        assert_eq!(ms.captures(None).unwrap(), vec![]);
        assert_eq!(ms.captures(Some((0, 2))).unwrap(), vec![Capture::Span { start: 0, end: 2 }]);
        assert_eq!(ms.get_capture(0, (0, 2)).unwrap(), Capture::Span { start: 0, end: 2 });
        assert!(has_specials(b"a.b"));
        assert!(has_specials(b"a\0%"));
        assert!(!has_specials(b"abc)]"));
        assert_eq!(find_plain(b"hello", b"ll", 0), Some(2));
        assert_eq!(find_plain(b"hello", b"ll", 3), None);
        assert_eq!(find_plain(b"hello", b"", 5), Some(5));
        assert_eq!(find_plain(b"hello", b"", 6), None);
        assert_eq!(find_plain(b"aab", b"ab", 0), Some(1));
    }
}
