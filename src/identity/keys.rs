//! Keys derived from the configured secret: the key of Spendboard's cookies and the key that
//! encrypts stored Partner Center tokens (AES-256-GCM, aws-lc-rs).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Salt};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Why a stored token could not be decrypted (wrong key, e.g. after a key change, or
/// tampering): the user simply signs in again.
#[derive(Debug, thiserror::Error)]
#[error("the stored token cannot be decrypted with the current key")]
pub struct DecryptError;

struct Len(usize);
impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn derive<const N: usize>(secret: &[u8], purpose: &'static [u8]) -> [u8; N] {
    let prk = Salt::new(HKDF_SHA256, b"spendboard").extract(secret);
    let mut out = [0u8; N];
    let info = [purpose];
    // Only fails for lengths above 255 * 32 bytes; ours are 32 and 64.
    if let Ok(okm) = prk.expand(&info, Len(N)) {
        let _ = okm.fill(&mut out);
    }
    out
}

/// The 64-byte key that signs and encrypts Spendboard's cookies (the session cookie and the
/// sign-in in progress); the web edge makes the cookie library's key of it.
pub struct CookieKey([u8; 64]);

impl CookieKey {
    /// The key's 64 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The keys of one running instance.
pub struct Keys {
    /// Signs and encrypts the session cookie and the sign-in cookie.
    pub session_cookie: CookieKey,
    /// Encrypts tokens at rest.
    pub tokens: TokenCipher,
}

impl Keys {
    /// Derives the keys from the configured secret (at least 32 bytes).
    pub fn from_secret(secret: &[u8]) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= 32,
            "the secret key must have at least 32 bytes"
        );
        let cookie = derive(secret, b"session cookie");
        let token: [u8; 32] = derive(secret, b"token encryption");
        Ok(Self {
            session_cookie: CookieKey(cookie),
            tokens: TokenCipher::new(&token)?,
        })
    }

    /// Fresh random keys (demo mode without a configured secret).
    pub fn random() -> anyhow::Result<Self> {
        let mut secret = [0u8; 48];
        SystemRandom::new()
            .fill(&mut secret)
            .map_err(|_| anyhow::anyhow!("no system randomness"))?;
        Self::from_secret(&secret)
    }
}

/// AES-256-GCM with a random 96-bit nonce stored in front of the ciphertext.
#[derive(Clone)]
pub struct TokenCipher {
    key: std::sync::Arc<LessSafeKey>,
    rng: SystemRandom,
}

impl TokenCipher {
    fn new(key: &[u8]) -> anyhow::Result<Self> {
        let key = UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| anyhow::anyhow!("invalid token encryption key"))?;
        Ok(Self {
            key: std::sync::Arc::new(LessSafeKey::new(key)),
            rng: SystemRandom::new(),
        })
    }

    /// Encrypts `plaintext`; the result is `nonce || ciphertext || tag`.
    pub fn encrypt(&self, plaintext: &str) -> anyhow::Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| anyhow::anyhow!("no system randomness"))?;
        let mut sealed = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut sealed,
            )
            .map_err(|_| anyhow::anyhow!("token encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`TokenCipher::encrypt`] produced.
    ///
    /// # Errors
    /// [`DecryptError`] for another key's ciphertext or tampered bytes.
    pub fn decrypt(&self, sealed: &[u8]) -> Result<String, DecryptError> {
        if sealed.len() < NONCE_LEN {
            return Err(DecryptError);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| DecryptError)?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut body)
            .map_err(|_| DecryptError)?;
        String::from_utf8(plain.to_vec()).map_err(|_| DecryptError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_fail_under_another_key() {
        let keys = Keys::from_secret(&[1u8; 32]).unwrap();
        let sealed = keys.tokens.encrypt("eyJ.secret.token").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(keys.tokens.decrypt(&sealed).unwrap(), "eyJ.secret.token");
        let other = Keys::from_secret(&[2u8; 32]).unwrap();
        assert!(other.tokens.decrypt(&sealed).is_err());
        let mut tampered = sealed.clone();
        tampered[20] ^= 1;
        assert!(keys.tokens.decrypt(&tampered).is_err());
    }

    #[test]
    fn two_encryptions_of_the_same_token_differ() {
        let keys = Keys::random().unwrap();
        assert_ne!(
            keys.tokens.encrypt("t").unwrap(),
            keys.tokens.encrypt("t").unwrap()
        );
    }
}
