//! Session tokens. A token is 32 random bytes (256 bits) from the OS, shown
//! to the client once; the database keeps only its SHA-256, so a leaked
//! table does not leak live tokens. SHA-256 (not argon2) is right here: the
//! token is random, not a guessable password, and it is checked on every
//! request.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// Tokens carry a prefix so they are recognisable in a leak scan.
const PREFIX: &str = "hd_";

/// A new token, for the client alone to keep.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `token` could be one of ours; others are refused unhashed.
pub fn has_our_prefix(token: &str) -> bool {
    token.starts_with(PREFIX)
}

/// What the database keeps of a token: its SHA-256, in hex.
pub fn hash_token(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hash_to_hex_sha256() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(has_our_prefix(&a), "{a}");
        assert_eq!(a.len(), PREFIX.len() + 43);
        let hash = hash_token(&a);
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(hash, hash_token(&b));
    }
}
