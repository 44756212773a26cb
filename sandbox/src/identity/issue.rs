//! Minting tokens: signed ID and access tokens, refresh tokens, and the token response.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde::Serialize;

use super::claims::{
    AccessTokenClaims, IdTokenClaims, PARTNER_CENTER_AUDIENCE, access_token_issuer,
};
use super::scopes::Scopes;
use super::state::{REFRESH_TOKEN_LIFETIME, RefreshGrant, random_token};
use super::users::{DEMO_SERVICE_PRINCIPAL_ID, DemoUser};
use super::{IdentityProvider, issuer_of};

/// The body of a successful token response, as Entra ID sends it. `expires_in` and
/// `ext_expires_in` are seconds.
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    expires_in: u64,
    ext_expires_in: u64,
    /// The signed access token.
    pub(crate) access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// A sign-in (or refresh) to turn into tokens.
pub(crate) struct UserGrant<'a> {
    pub user: &'static DemoUser,
    pub client_id: &'a str,
    pub scopes: Scopes,
    /// The nonce of the authorize request; absent on refresh, as with Entra ID.
    pub nonce: Option<&'a str>,
}

/// The times of a token about to be issued (seconds since the Unix epoch, UTC), its
/// lifetime in seconds and the current revocation generation.
struct TokenTimes {
    now: i64,
    exp: i64,
    lifetime: u64,
    generation: u64,
}

impl IdentityProvider {
    fn token_times(&self) -> TokenTimes {
        let (lifetime, generation) = {
            let state = self.state();
            (state.access_token_lifetime.as_secs(), state.generation)
        };
        let now = Utc::now().timestamp();
        TokenTimes {
            now,
            exp: now.saturating_add(i64::try_from(lifetime).unwrap_or(i64::MAX)),
            lifetime,
            generation,
        }
    }

    /// Issues the tokens of a user sign-in: a delegated access token, an ID token when
    /// `openid` was asked for, and a refresh token when `offline_access` was asked for.
    pub(crate) fn issue_user_tokens(&self, grant: &UserGrant<'_>) -> anyhow::Result<TokenResponse> {
        let TokenTimes {
            now,
            exp,
            lifetime,
            generation,
        } = self.token_times();
        let user = grant.user;
        let tenant = user.tenant_id.to_string();
        let oid = user.object_id.to_string();
        let access = AccessTokenClaims {
            aud: grant.scopes.resource.audience().to_owned(),
            iss: access_token_issuer(&user.tenant_id),
            iat: now,
            nbf: now,
            exp,
            amr: Some(vec!["pwd".to_owned(), "mfa".to_owned()]),
            appid: grant.client_id.to_owned(),
            appidacr: "1".to_owned(),
            idtyp: "user".to_owned(),
            name: Some(user.name.to_owned()),
            oid: oid.clone(),
            roles: None,
            scp: Some(grant.scopes.resource.delegated_scp().to_owned()),
            sub: pairwise_subject(user, grant.scopes.resource.audience()),
            tid: tenant.clone(),
            unique_name: Some(user.preferred_username.to_owned()),
            upn: Some(user.preferred_username.to_owned()),
            uti: random_token(16),
            ver: "1.0".to_owned(),
            sandbox_generation: generation,
        };
        let overridden = self
            .state()
            .role_overrides
            .get(&user.preferred_username.to_lowercase())
            .cloned();
        let id_token = if grant.scopes.openid {
            let roles = match &overridden {
                Some(roles) => roles.iter().map(String::as_str).collect(),
                None => user.roles.to_vec(),
            };
            let claims = IdTokenClaims {
                aud: grant.client_id,
                iss: issuer_of(&self.base, user.tenant_id),
                iat: now,
                nbf: now,
                exp,
                name: user.name,
                nonce: grant.nonce,
                oid,
                preferred_username: user.preferred_username,
                roles,
                sub: pairwise_subject(user, grant.client_id),
                tid: tenant,
                uti: random_token(16),
                ver: "2.0",
            };
            Some(self.key().sign(&claims)?)
        } else {
            None
        };
        let refresh_token = grant.scopes.offline_access.then(|| {
            self.state().issue_refresh_token(RefreshGrant {
                user,
                client_id: grant.client_id.to_owned(),
                scopes: grant.scopes,
                expires_at: Utc::now() + REFRESH_TOKEN_LIFETIME,
            })
        });
        Ok(TokenResponse {
            token_type: "Bearer",
            scope: Some(grant.scopes.resource.granted_scope()),
            expires_in: lifetime,
            ext_expires_in: lifetime,
            access_token: self.key().sign(&access)?,
            refresh_token,
            id_token,
        })
    }

    /// Issues an app-only (client-credentials) access token for Partner Center:
    /// `idtyp` "app", empty `roles`, no `scp`, `appid` = the client id.
    pub(crate) fn issue_app_token(&self, client_id: &str) -> anyhow::Result<TokenResponse> {
        let TokenTimes {
            now,
            exp,
            lifetime,
            generation,
        } = self.token_times();
        let principal = DEMO_SERVICE_PRINCIPAL_ID.to_string();
        let access = AccessTokenClaims {
            aud: PARTNER_CENTER_AUDIENCE.to_owned(),
            iss: access_token_issuer(&self.tenant_id),
            iat: now,
            nbf: now,
            exp,
            amr: None,
            appid: client_id.to_owned(),
            appidacr: "1".to_owned(),
            idtyp: "app".to_owned(),
            name: None,
            oid: principal.clone(),
            roles: Some(Vec::new()),
            scp: None,
            sub: principal,
            tid: self.tenant_id.to_string(),
            unique_name: None,
            upn: None,
            uti: random_token(16),
            ver: "1.0".to_owned(),
            sandbox_generation: generation,
        };
        Ok(TokenResponse {
            token_type: "Bearer",
            scope: None,
            expires_in: lifetime,
            ext_expires_in: lifetime,
            access_token: self.key().sign(&access)?,
            refresh_token: None,
            id_token: None,
        })
    }
}

/// A pairwise subject, as Entra ID's `sub`: stable for one user and one audience (client or
/// resource), different across audiences. 43 characters of base64url.
fn pairwise_subject(user: &DemoUser, audience: &str) -> String {
    let mut input = user.object_id.as_bytes().to_vec();
    input.extend_from_slice(audience.as_bytes());
    URL_SAFE_NO_PAD.encode(digest(&SHA256, &input))
}
