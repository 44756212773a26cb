//! The identity provider's start-up settings.

use std::time::Duration;

use url::Url;
use uuid::Uuid;

use super::users::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, PARTNER_TENANT_ID};

/// What the identity provider needs to know at start.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    /// The sandbox's own base URL, e.g. `http://127.0.0.1:8081` (a trailing slash is ignored).
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

impl IdentitySettings {
    /// The demo registration: partner tenant `6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7`, client id
    /// `3c9d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f`, client secret `sandbox-demo-secret`, no redirect
    /// URI yet (add them here or with `POST /_sandbox/identity/redirect-uris`), and one-hour
    /// access tokens.
    pub fn demo(base_url: Url) -> Self {
        Self {
            base_url,
            tenant_id: PARTNER_TENANT_ID,
            client_id: DEMO_CLIENT_ID.to_owned(),
            client_secret: DEMO_CLIENT_SECRET.to_owned(),
            redirect_uris: Vec::new(),
            access_token_lifetime: Duration::from_secs(3600),
        }
    }
}
