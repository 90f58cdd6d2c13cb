//! `obf.encrypt(s)` / `obf.decrypt(s)` (reference §5.13).
//!
//! VerneMQ uses RabbitMQ's `credentials_obfuscation`; its blobs are only
//! meaningful inside one node, so we use our own format: the text
//! `obf1:` followed by base64 of a 12-byte random nonce and the AES-256-GCM
//! ciphertext+tag, keyed by SHA-256 of the configured secret.
//!
//! - `encrypt(s)` → a new opaque string (≠ `s`) every call.
//! - `decrypt(s)` → the plaintext if `s` is a blob made with the secret (or
//!   one of the fallback secrets); otherwise `s` unchanged, so plain
//!   passwords pass through.
//! - Non-string arguments are a Lua error.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::ModuleError;
use crate::pvalue::PValue;

/// The Lua functions of `obf`.
pub const FUNCTIONS: [&str; 2] = ["encrypt", "decrypt"];

const PREFIX: &[u8] = b"obf1:";
const NONCE_LEN: usize = 12;

/// Encrypts with the first secret, decrypts with any.
#[derive(Clone)]
pub struct Obfuscator {
    ciphers: Vec<Aes256Gcm>,
}

impl std::fmt::Debug for Obfuscator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Obfuscator").field("secrets", &self.ciphers.len()).finish()
    }
}

fn cipher(secret: &[u8]) -> Aes256Gcm {
    let key = Sha256::digest(secret);
    Aes256Gcm::new_from_slice(&key).expect("32-byte key")
}

impl Obfuscator {
    pub fn new(secret: &[u8]) -> Self {
        Obfuscator { ciphers: vec![cipher(secret)] }
    }

    /// Also accept blobs made with `fallback` (a previous secret).
    pub fn with_fallback(mut self, fallback: &[u8]) -> Self {
        self.ciphers.push(cipher(fallback));
        self
    }

    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = (&nonce_bytes[..]).try_into().expect("12-byte nonce");
        let ct = self.ciphers[0].encrypt(nonce, plain).expect("AES-GCM encryption cannot fail for in-memory input");
        let mut raw = nonce_bytes.to_vec();
        raw.extend_from_slice(&ct);
        let mut out = PREFIX.to_vec();
        out.extend_from_slice(B64.encode(raw).as_bytes());
        out
    }

    /// The plaintext, or `None` if `blob` is not ours.
    pub fn try_decrypt(&self, blob: &[u8]) -> Option<Vec<u8>> {
        let raw = B64.decode(blob.strip_prefix(PREFIX)?).ok()?;
        if raw.len() < NONCE_LEN + 16 {
            return None;
        }
        let (n, ct) = raw.split_at(NONCE_LEN);
        let nonce = n.try_into().ok()?;
        self.ciphers.iter().find_map(|c| c.decrypt(nonce, ct).ok())
    }

    /// `obf.decrypt`: the plaintext, or the input unchanged.
    pub fn decrypt(&self, s: &[u8]) -> Vec<u8> {
        self.try_decrypt(s).unwrap_or_else(|| s.to_vec())
    }

    /// Dispatch `obf.<function>(s)`.
    pub fn call(&self, function: &str, args: &[PValue]) -> Result<PValue, ModuleError> {
        let f = match function {
            "encrypt" => "obf.encrypt",
            "decrypt" => "obf.decrypt",
            _ => return Err(ModuleError::new("obf", format!("no function {function}"))),
        };
        let s = args.first().and_then(PValue::as_bytes).ok_or_else(|| ModuleError::new(f, "string expected"))?;
        Ok(PValue::Str(if function == "encrypt" { self.encrypt(s) } else { self.decrypt(s) }))
    }
}
