//! Identifiers and secret tokens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new sortable, unique id (ULID).
pub fn new_id() -> String {
    ulid::Ulid::new().to_string()
}

/// A random 256-bit token, URL-safe. Only its [`hash_token`] is ever stored.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token, hex.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A stable participant id within a tenant, derived from the lowercased email address:
/// the same person gets one task list across runs.
pub fn participant_id(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
        assert_eq!(participant_id("A@x.ch "), participant_id("a@x.ch"));
    }
}
