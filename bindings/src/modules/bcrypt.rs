//! `bcrypt.gen_salt()` / `bcrypt.hashpw(password, salt_or_hash)` (reference
//! §5.10), on the `bcrypt` crate.
//!
//! - `gen_salt()` → `$2a$<rounds>$<22 chars>`; rounds from configuration
//!   (`vmq_bcrypt.default_log_rounds`, default 12, valid 4..31).
//! - `hashpw(password, salt_or_hash)` → the 60-character hash, with the
//!   version prefix of the salt (`$2a$`, `$2b$`, `$2x$`, `$2y$`). The hash
//!   part of a full hash is ignored, so `stored == hashpw(pwd, stored)`
//!   verifies. The password is a C string as in the Erlang NIF: bytes from
//!   a NUL on are ignored; only the first 72 bytes count.
//! - An invalid salt or non-string arguments are a Lua error (VerneMQ: hard
//!   failure).

use base64::alphabet::BCRYPT;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use super::ModuleError;
use crate::pvalue::PValue;

/// The Lua functions of `bcrypt`.
pub const FUNCTIONS: [&str; 2] = ["gen_salt", "hashpw"];

/// Default log rounds (`vmq_bcrypt.default_log_rounds`).
pub const DEFAULT_LOG_ROUNDS: u32 = 12;

const SALT_B64: GeneralPurpose = GeneralPurpose::new(
    &BCRYPT,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// bcrypt with a configured cost for new salts.
#[derive(Clone, Copy, Debug)]
pub struct Bcrypt {
    log_rounds: u32,
}

impl Default for Bcrypt {
    fn default() -> Self {
        Bcrypt { log_rounds: DEFAULT_LOG_ROUNDS }
    }
}

/// A parsed `$2?$NN$<salt>[<hash>]` string.
struct Salt {
    version: ::bcrypt::Version,
    cost: u32,
    salt: [u8; 16],
}

fn parse_salt(s: &[u8]) -> Option<Salt> {
    let s = std::str::from_utf8(s).ok()?;
    let rest = s.strip_prefix('$')?;
    let (ver, rest) = rest.split_once('$')?;
    let version = match ver {
        "2a" => ::bcrypt::Version::TwoA,
        "2b" => ::bcrypt::Version::TwoB,
        "2x" => ::bcrypt::Version::TwoX,
        "2y" => ::bcrypt::Version::TwoY,
        _ => return None,
    };
    let (cost, rest) = rest.split_once('$')?;
    if cost.len() != 2 || !cost.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cost: u32 = cost.parse().ok()?;
    if !(4..=31).contains(&cost) || rest.len() < 22 || !(rest.len() == 22 || rest.len() == 53) {
        return None;
    }
    let bytes = SALT_B64.decode(rest.get(..22)?).ok()?;
    let salt: [u8; 16] = bytes.try_into().ok()?;
    Some(Salt { version, cost, salt })
}

impl Bcrypt {
    /// `log_rounds` must be 4..=31.
    pub fn new(log_rounds: u32) -> Option<Bcrypt> {
        (4..=31).contains(&log_rounds).then_some(Bcrypt { log_rounds })
    }

    pub fn log_rounds(&self) -> u32 {
        self.log_rounds
    }

    /// A fresh `$2a$` salt.
    pub fn gen_salt(&self) -> String {
        let raw: [u8; 16] = rand::random();
        format!("$2a${:02}${}", self.log_rounds, SALT_B64.encode(raw))
    }

    /// Hash `password` with the salt (or full hash) `salt`; `None` if the
    /// salt is invalid.
    pub fn hashpw(&self, password: &[u8], salt: &[u8]) -> Option<String> {
        let s = parse_salt(salt)?;
        let pwd = match password.iter().position(|b| *b == 0) {
            Some(n) => &password[..n],
            None => password,
        };
        let parts = ::bcrypt::hash_with_salt(pwd, s.cost, s.salt).ok()?;
        Some(parts.format_for_version(s.version))
    }

    /// `hash == hashpw(password, hash)`.
    pub fn verify(&self, password: &[u8], hash: &[u8]) -> bool {
        self.hashpw(password, hash).is_some_and(|h| h.as_bytes() == hash)
    }

    /// Dispatch `bcrypt.<function>(args...)`.
    pub fn call(&self, function: &str, args: &[PValue]) -> Result<PValue, ModuleError> {
        match function {
            "gen_salt" => Ok(PValue::from(self.gen_salt())),
            "hashpw" => {
                const F: &str = "bcrypt.hashpw";
                let pwd = args.first().and_then(PValue::coerce_to_bytes);
                let salt = args.get(1).and_then(PValue::coerce_to_bytes);
                let (Some(pwd), Some(salt)) = (pwd, salt) else {
                    return Err(ModuleError::new(F, "string arguments expected"));
                };
                self.hashpw(&pwd, &salt).map(PValue::from).ok_or_else(|| ModuleError::new(F, "invalid salt"))
            }
            _ => Err(ModuleError::new("bcrypt", format!("no function {function}"))),
        }
    }
}
