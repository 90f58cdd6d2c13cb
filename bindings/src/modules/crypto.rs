//! `crypto.hash(alg, data)` (reference §5.12): the raw binary digest.
//!
//! Names as Erlang's `crypto:hash/2`: `md5`, `sha` (SHA-1), `sha224`,
//! `sha256`, `sha384`, `sha512`, `sha3_224`, `sha3_256`, `sha3_384`,
//! `sha3_512`, `blake2b` (512 bits), `blake2s` (256 bits). An unknown name
//! is the Lua error `hash`; non-string arguments are a Lua error (VerneMQ:
//! hard failure).

use digest_glue::hash_with;

use super::ModuleError;
use crate::pvalue::PValue;

/// Supported algorithm names.
pub const ALGORITHMS: [&str; 12] =
    ["md5", "sha", "sha224", "sha256", "sha384", "sha512", "sha3_224", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s"];

mod digest_glue {
    use sha2::Digest;

    pub fn hash_with<D: Digest>(data: &[u8]) -> Vec<u8> {
        D::digest(data).to_vec()
    }
}

/// The digest of `data`, or `None` for an unknown algorithm.
pub fn hash(alg: &str, data: &[u8]) -> Option<Vec<u8>> {
    Some(match alg {
        "md5" => hash_with::<md5::Md5>(data),
        "sha" => hash_with::<sha1::Sha1>(data),
        "sha224" => hash_with::<sha2::Sha224>(data),
        "sha256" => hash_with::<sha2::Sha256>(data),
        "sha384" => hash_with::<sha2::Sha384>(data),
        "sha512" => hash_with::<sha2::Sha512>(data),
        "sha3_224" => hash_with::<sha3::Sha3_224>(data),
        "sha3_256" => hash_with::<sha3::Sha3_256>(data),
        "sha3_384" => hash_with::<sha3::Sha3_384>(data),
        "sha3_512" => hash_with::<sha3::Sha3_512>(data),
        "blake2b" => hash_with::<blake2::Blake2b512>(data),
        "blake2s" => hash_with::<blake2::Blake2s256>(data),
        _ => return None,
    })
}

/// `crypto.hash(alg, data)` with Lua arguments.
pub fn lua_hash(alg: &PValue, data: &PValue) -> Result<PValue, ModuleError> {
    const F: &str = "crypto.hash";
    let alg = alg.as_bytes().ok_or_else(|| ModuleError::new(F, "algorithm name must be a string"))?;
    let data = data.coerce_to_bytes().ok_or_else(|| ModuleError::new(F, "data must be a string"))?;
    let alg = std::str::from_utf8(alg).map_err(|_| ModuleError::new(F, "hash"))?;
    hash(alg, &data).map(PValue::Str).ok_or_else(|| ModuleError::new(F, "hash"))
}
