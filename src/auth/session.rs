//! What Spendboard keeps in the (server-side) session about the signed-in person.

use serde::{Deserialize, Serialize};

use super::{Access, CsrfToken};
use crate::domain::{SignInName, UserId};

/// The signed-in person, as kept in the session. Tokens are NOT here: they live encrypted in
/// the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    /// Entra object id.
    pub id: UserId,
    pub name: String,
    pub email: Option<String>,
    pub access: Access,
    pub csrf: CsrfToken,
    /// When the person signed in (Unix seconds); the session ends
    /// `security.session_absolute_hours` later.
    #[serde(default)]
    pub signed_in_at: i64,
    /// When a request last moved the idle expiry (Unix seconds).
    #[serde(default)]
    pub last_seen: i64,
}

impl SessionUser {
    /// The person's sign-in name (from `email`), by which portfolios name owners; `None`
    /// when the identity provider gave none or not one of that form.
    pub fn sign_in_name(&self) -> Option<SignInName> {
        self.email
            .as_deref()
            .and_then(|e| SignInName::parse(e).ok())
    }
}
