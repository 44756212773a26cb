//! Synchronizer CSRF tokens: one random token per session, put in every form, compared in
//! constant time on every POST (with SameSite=Lax cookies as a second line).

use base64::Engine as _;
use subtle::ConstantTimeEq;

use crate::error::AppError;

/// A session's CSRF token (URL-safe base64 of 32 random bytes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CsrfToken(String);

impl CsrfToken {
    /// A new random token.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The value to put in a form's hidden `csrf_token` field.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a submitted form token against the session's.
///
/// # Errors
/// [`AppError::BadRequest`] when it is missing or different.
pub fn verify_csrf(expected: &CsrfToken, submitted: Option<&str>) -> Result<(), AppError> {
    let submitted = submitted.unwrap_or_default();
    if !submitted.is_empty() && bool::from(expected.0.as_bytes().ct_eq(submitted.as_bytes())) {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "This form has expired or did not come from Spendboard (its security token is missing or wrong). Reload the page and submit it again.".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sessions_own_token_passes() {
        let token = CsrfToken::generate();
        assert!(verify_csrf(&token, Some(token.as_str())).is_ok());
        assert!(verify_csrf(&token, Some(CsrfToken::generate().as_str())).is_err());
        assert!(verify_csrf(&token, None).is_err());
        assert!(verify_csrf(&token, Some("")).is_err());
    }
}
