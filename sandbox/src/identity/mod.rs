//! The emulated Microsoft Entra ID (v2.0 endpoints): OpenID discovery, the authorize page
//! with its demo users, the token endpoint (authorization code with PKCE, refresh token,
//! client credentials), the JWKS, bearer-token verification for the Partner Center routes,
//! and a small control API for tests.
//!
//! Routes (`{tenant}` is a known tenant GUID, see [`users::KNOWN_TENANTS`]):
//! - `GET  /{tenant}/v2.0/.well-known/openid-configuration`
//! - `GET  /{tenant}/discovery/v2.0/keys`
//! - `GET|POST /{tenant}/oauth2/v2.0/authorize`
//! - `POST /{tenant}/oauth2/v2.0/token`
//! - `GET  /{tenant}/oauth2/v2.0/logout`
//! - `POST /_sandbox/identity/revoke`, `PUT /_sandbox/identity/token-lifetime`,
//!   `POST /_sandbox/identity/redirect-uris`

mod authorize;
mod bearer;
mod claims;
mod client_auth;
mod control;
mod discovery;
mod errors;
mod issue;
mod keys;
mod logout;
mod pages;
mod pkce;
mod routes;
mod scopes;
mod settings;
mod state;
mod token;
pub mod users;

use std::sync::{Mutex, MutexGuard, PoisonError};

use actix_web::web;
use anyhow::Context;
use url::Url;
use uuid::Uuid;

pub use bearer::{BearerError, Caller};
pub use claims::PARTNER_CENTER_AUDIENCE;
pub use settings::IdentitySettings;
pub use users::DemoUser;

use keys::SigningKey;
use state::IdentityState;

/// The identity provider: its registration, signing key and issued grants.
/// `Send + Sync`; share it as `web::Data<IdentityProvider>`.
pub struct IdentityProvider {
    /// Base URL as a string without trailing slash, e.g. `http://127.0.0.1:8081`.
    base: String,
    issuer: Url,
    tenant_id: Uuid,
    client_id: String,
    client_secret: String,
    /// Signing keys, the current one first; older ones stay published (and accepted) after a
    /// rotation, as Entra ID does.
    keys: std::sync::RwLock<Vec<std::sync::Arc<SigningKey>>>,
    state: Mutex<IdentityState>,
}

impl IdentityProvider {
    /// The key new tokens are signed with.
    pub(crate) fn key(&self) -> std::sync::Arc<SigningKey> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        keys[0].clone()
    }

    /// Every published key, the current one first.
    pub(crate) fn all_keys(&self) -> Vec<std::sync::Arc<SigningKey>> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Starts signing with a new key (the old ones stay published); returns the new `kid`.
    pub(crate) fn rotate_key(&self) -> anyhow::Result<String> {
        let key = std::sync::Arc::new(SigningKey::generate()?);
        let kid = key.kid().to_owned();
        self.keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(0, key);
        Ok(kid)
    }

    /// Builds the provider and generates its RSA signing key (kept in memory only).
    ///
    /// Errors if `base_url` is not an `http`/`https` URL without query or fragment, or if
    /// the key cannot be generated.
    pub fn new(settings: IdentitySettings) -> anyhow::Result<Self> {
        let base_url = &settings.base_url;
        anyhow::ensure!(
            matches!(base_url.scheme(), "http" | "https")
                && base_url.query().is_none()
                && base_url.fragment().is_none(),
            "the identity base URL must be an http(s) URL without query or fragment: {base_url}"
        );
        let base = base_url.as_str().trim_end_matches('/').to_owned();
        let issuer =
            Url::parse(&issuer_of(&base, settings.tenant_id)).context("building the issuer URL")?;
        Ok(Self {
            base,
            issuer,
            tenant_id: settings.tenant_id,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
            keys: std::sync::RwLock::new(vec![std::sync::Arc::new(SigningKey::generate()?)]),
            state: Mutex::new(IdentityState::new(
                settings.redirect_uris,
                settings.access_token_lifetime,
            )),
        })
    }

    /// The issuer of the partner tenant: `{base_url}/{tenant_id}/v2.0`. Configure it as
    /// the OpenID Connect issuer (discovery appends `/.well-known/openid-configuration`).
    pub fn issuer(&self) -> Url {
        self.issuer.clone()
    }

    /// The demo users listed on the sign-in page.
    pub fn demo_users(&self) -> &[DemoUser] {
        &users::DEMO_USERS
    }

    /// The tenants whose endpoints this provider serves: the partner tenant and the other
    /// demo tenant.
    fn serves_tenant(&self, tenant: &str) -> Option<Uuid> {
        let tenant = Uuid::parse_str(tenant).ok()?;
        (tenant == self.tenant_id || users::KNOWN_TENANTS.contains(&tenant)).then_some(tenant)
    }

    /// The mutable state; a panic while holding the lock does not make it unusable.
    fn state(&self) -> MutexGuard<'_, IdentityState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The v2.0 issuer of a tenant under a base URL (without trailing slash).
fn issuer_of(base: &str, tenant_id: Uuid) -> String {
    format!("{base}/{tenant_id}/v2.0")
}

/// Registers the `/{tenant}/...` Entra ID routes and the `/_sandbox/identity/...` control
/// routes. Expects `web::Data<IdentityProvider>` in the app data.
///
/// The routes are single resources (no `/{tenant}` scope), so they coexist with any other
/// routes; register them before a scope that would also match `/_sandbox/identity/...`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(routes::DISCOVERY).get(discovery::openid_configuration))
        .service(web::resource(routes::KEYS).get(discovery::keys))
        .service(
            web::resource(routes::AUTHORIZE)
                .get(authorize::show_sign_in)
                .post(authorize::sign_in),
        )
        .service(
            web::resource(routes::TOKEN)
                .app_data(token::form_config())
                .post(token::token),
        )
        .service(web::resource(routes::LOGOUT).get(logout::sign_out))
        .service(web::resource(routes::CONTROL_REVOKE).post(control::revoke))
        .service(web::resource(routes::CONTROL_TOKEN_LIFETIME).put(control::set_token_lifetime))
        .service(web::resource(routes::CONTROL_REDIRECT_URIS).post(control::add_redirect_uri))
        .service(web::resource(routes::CONTROL_ROLES).put(control::set_roles))
        .service(web::resource(routes::CONTROL_ROTATE_KEYS).post(control::rotate_keys));
}
