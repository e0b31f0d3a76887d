//! Private keys at rest: sealed with a key derived from `--secret-key` (AES-256-GCM, a fresh
//! nonce each time), bound to the row they belong to, so a key copied to another row does not
//! open.

use aes_gcm::aead::{Aead as _, AeadCore as _, KeyInit as _, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::Sha256;

/// What a sealed value starts with: the scheme, should it ever change.
const VERSION: &str = "v1.";

/// Seals and opens values with the key `--secret-key` gives.
pub(super) struct Sealer(Aes256Gcm);

impl Sealer {
    /// The sealer `secret` makes; its key is derived for this use only, so it is not the
    /// session cookies' key.
    pub(super) fn new(secret: &SecretString) -> Self {
        let derive =
            hkdf::Hkdf::<Sha256>::new(Some(b"downtime acme"), secret.expose_secret().as_bytes());
        let mut key = [0u8; 32];
        derive
            .expand(b"sealed private keys", &mut key)
            .expect("32 bytes is a valid length for HKDF-SHA256");
        Sealer(Aes256Gcm::new(&key.into()))
    }

    /// `plain` sealed for the row named `owner`: text for a column.
    pub(super) fn seal(&self, plain: &[u8], owner: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plain,
            aad: owner.as_bytes(),
        };
        let sealed = self
            .0
            .encrypt(&nonce, payload)
            .expect("AES-GCM encrypts any message this small");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", BASE64.encode(out))
    }

    /// What [`seal`](Self::seal) sealed for `owner`.
    ///
    /// # Errors
    /// The value was sealed with another secret key, for another row, or is damaged.
    pub(super) fn open(&self, sealed: &str, owner: &str) -> Result<Vec<u8>, &'static str> {
        const REFUSED: &str = "cannot open a stored key: it was sealed with another --secret-key";
        let bytes = sealed
            .strip_prefix(VERSION)
            .and_then(|b64| BASE64.decode(b64).ok())
            .ok_or("a stored key is damaged")?;
        if bytes.len() < 12 {
            return Err("a stored key is damaged");
        }
        let (nonce, sealed) = bytes.split_at(12);
        let payload = Payload {
            msg: sealed,
            aad: owner.as_bytes(),
        };
        self.0
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| REFUSED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(secret: &str) -> Sealer {
        Sealer::new(&SecretString::from(secret.to_owned()))
    }

    #[test]
    fn a_sealed_key_opens_only_with_its_secret_and_for_its_row() {
        let one = sealer("a secret key of thirty-two characters or more");
        let sealed = one.seal(b"private key", "example.com");
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("private"));
        assert_eq!(
            one.open(&sealed, "example.com").as_deref(),
            Ok(&b"private key"[..])
        );
        assert_ne!(
            sealed,
            one.seal(b"private key", "example.com"),
            "fresh nonce"
        );
        assert!(one.open(&sealed, "other.example").is_err(), "another row");
        let other = sealer("another secret key of thirty-two characters");
        assert!(
            other.open(&sealed, "example.com").is_err(),
            "another secret"
        );
        assert!(one.open("v1.AAAA", "example.com").is_err(), "too short");
        assert!(one.open("plain", "example.com").is_err(), "not sealed");
    }
}
