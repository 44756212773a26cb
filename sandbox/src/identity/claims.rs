//! The claims of the tokens the sandbox signs, named as Entra ID names them.
//!
//! ID tokens are v2.0 tokens (issuer `{base}/{tid}/v2.0`). Access tokens for Partner Center
//! are v1.0 tokens, as Entra ID issues them for that resource: issuer
//! `https://sts.windows.net/{tid}/`, `appid`, `upn`, `amr`.

use serde::{Deserialize, Serialize};

/// The audience (resource) of Partner Center access tokens.
pub const PARTNER_CENTER_AUDIENCE: &str = "https://api.partnercenter.microsoft.com";

/// The audience of Microsoft Graph access tokens, issued when a sign-in asks for no resource.
pub(crate) const GRAPH_AUDIENCE: &str = "00000003-0000-0000-c000-000000000000";

/// The issuer of v1.0 access tokens for a tenant.
pub(crate) fn access_token_issuer(tenant_id: &uuid::Uuid) -> String {
    format!("https://sts.windows.net/{tenant_id}/")
}

/// A v2.0 ID token for the client application. Times are seconds since the Unix epoch (UTC).
#[derive(Debug, Serialize)]
pub(crate) struct IdTokenClaims<'a> {
    pub aud: &'a str,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<&'a str>,
    pub oid: String,
    pub preferred_username: &'a str,
    /// Entra ID omits the claim when the user has no application role.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<&'a str>,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: &'static str,
}

/// A v1.0 access token, delegated (`idtyp` "user") or app-only (`idtyp` "app").
/// Times are seconds since the Unix epoch (UTC).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AccessTokenClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    /// Authentication methods of the user (delegated only): `["pwd", "mfa"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    pub appid: String,
    pub appidacr: String,
    pub idtyp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub oid: String,
    /// Application permissions (app-only tokens carry the claim, empty for the demo app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// Delegated permissions, space-separated (delegated only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    pub sub: String,
    pub tid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    pub uti: String,
    pub ver: String,
    /// Sandbox only: the revocation generation the token was issued in. A token of an older
    /// generation than the current one was revoked by `POST /_sandbox/identity/revoke`.
    pub sandbox_generation: u64,
}
