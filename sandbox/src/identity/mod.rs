//! The emulated Microsoft Entra ID (v2.0 endpoints): OpenID discovery, the authorize page
//! with its demo users, the token endpoint, the JWKS, and bearer-token verification for the
//! Partner Center routes. INTERFACE SKELETON: owned and replaced by the identity work.

use std::time::Duration;

use actix_web::web;
use url::Url;
use uuid::Uuid;

/// What the identity provider needs to know at start.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// The sandbox's own base URL, e.g. `http://127.0.0.1:8081` (no trailing slash).
    pub base_url: Url,
    /// The partner's tenant (directory) id; the issuer is `{base_url}/{tenant_id}/v2.0`.
    pub tenant_id: Uuid,
    /// The registered application (client) id.
    pub client_id: String,
    /// The registered client secret.
    pub client_secret: String,
    /// Redirect URIs registered for the application (exact match).
    pub redirect_uris: Vec<String>,
    /// Lifetime of access tokens (ID tokens use the same).
    pub access_token_lifetime: Duration,
}

/// The caller of a Partner Center route, from a verified bearer token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant_id: Uuid,
    /// The user's object id; `None` for app-only tokens.
    pub object_id: Option<Uuid>,
    /// True for a client-credentials (app-only) token (`idtyp=app`).
    pub app_only: bool,
}

/// Why a bearer token was refused.
#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    #[error("no bearer token")]
    Missing,
    #[error("the bearer token has expired")]
    Expired,
    #[error("invalid bearer token: {0}")]
    Invalid(String),
}

pub struct IdentityProvider;

impl IdentityProvider {
    pub fn new(_settings: IdentitySettings) -> anyhow::Result<Self> {
        unimplemented!("identity skeleton")
    }
    pub fn verify_bearer(&self, _authorization: Option<&str>) -> Result<Caller, BearerError> {
        unimplemented!("identity skeleton")
    }
}

/// Registers the `/{tenant}/...` Entra ID routes and `/_sandbox/identity/...` control routes.
/// Expects `web::Data<IdentityProvider>` in the app data.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
