//! The RSA signing key, generated at start and never written anywhere, and its public JWK.

use anyhow::Context;
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::Serialize;

/// The sandbox's token-signing key: RS256, 2048 bits, identified by its RFC 7638 thumbprint.
pub(crate) struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Jwk,
}

/// One entry of the JWKS, in the shape Entra ID publishes (`kty`, `use`, `kid`, `n`, `e`,
/// `alg`); `n` and `e` are base64url without padding.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Jwk {
    kty: &'static str,
    #[serde(rename = "use")]
    key_use: &'static str,
    kid: String,
    n: String,
    e: String,
    alg: &'static str,
}

impl SigningKey {
    /// Generates a fresh key pair. Errors if the crypto library fails (it should not).
    pub(crate) fn generate() -> anyhow::Result<Self> {
        let pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| anyhow::anyhow!("aws-lc-rs refused to generate an RSA key"))?;
        let pkcs8 = pair
            .as_der()
            .map_err(|_| anyhow::anyhow!("could not encode the RSA key as PKCS#8"))?;
        // jsonwebtoken's DER constructor wants PKCS#1; its PEM reader unwraps PKCS#8 for us.
        let pem = pkcs8_pem(pkcs8.as_ref());
        let encoding =
            EncodingKey::from_rsa_pem(pem.as_bytes()).context("loading the RSA signing key")?;

        let public = pair.public_key();
        let n = public.modulus().big_endian_without_leading_zero().to_vec();
        let e = public.exponent().big_endian_without_leading_zero().to_vec();
        let n = URL_SAFE_NO_PAD.encode(n);
        let e = URL_SAFE_NO_PAD.encode(e);
        let decoding =
            DecodingKey::from_rsa_components(&n, &e).context("loading the RSA public key")?;
        let kid = thumbprint(&n, &e);
        let jwk = Jwk {
            kty: "RSA",
            key_use: "sig",
            kid: kid.clone(),
            n,
            e,
            alg: "RS256",
        };
        Ok(Self {
            kid,
            encoding,
            decoding,
            jwk,
        })
    }

    /// Signs `claims` as a compact RS256 JWT whose header names this key (`kid`).
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).context("signing a token")
    }

    /// The public key, for verifying the tokens this key signed.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    pub(crate) fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The public key as a JWK.
    pub(crate) fn jwk(&self) -> &Jwk {
        &self.jwk
    }
}

/// Wraps PKCS#8 DER in a `PRIVATE KEY` PEM envelope (64-column base64 lines).
fn pkcs8_pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// The RFC 7638 JWK thumbprint of an RSA key: base64url(SHA-256 of the canonical JSON).
fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::Validation;
    use serde::Deserialize;

    #[derive(Serialize, Deserialize)]
    struct Claims {
        sub: String,
        exp: i64,
    }

    #[test]
    fn a_signed_token_verifies_with_the_published_modulus_and_exponent() -> anyhow::Result<()> {
        let key = SigningKey::generate()?;
        let exp = chrono::Utc::now().timestamp() + 60;
        let token = key.sign(&Claims {
            sub: "someone".into(),
            exp,
        })?;
        let public = DecodingKey::from_rsa_components(&key.jwk().n, &key.jwk().e)?;
        let header = jsonwebtoken::decode_header(&token)?;
        assert_eq!(header.kid.as_deref(), Some(key.jwk().kid.as_str()));
        let decoded =
            jsonwebtoken::decode::<Claims>(&token, &public, &Validation::new(Algorithm::RS256))?;
        assert_eq!(decoded.claims.sub, "someone");
        Ok(())
    }

    #[test]
    fn two_generated_keys_differ() -> anyhow::Result<()> {
        let first = SigningKey::generate()?;
        let second = SigningKey::generate()?;
        assert_ne!(first.jwk().kid, second.jwk().kid);
        Ok(())
    }
}
