//! The test control routes under `/_sandbox/identity/`. JSON in and out; bad input gets a
//! 400 with `{"error": "<message>"}`.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use url::Url;

use super::IdentityProvider;

/// The longest token lifetime the control API accepts: one day (Entra ID's own maximum).
const MAX_TOKEN_LIFETIME_SECONDS: u64 = 86_400;

fn bad_request(message: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": message.into() }))
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|error| format!("invalid JSON body: {error}"))
}

/// `POST /_sandbox/identity/revoke`: every access token, refresh token and authorization
/// code issued so far stops working (Partner Center routes answer 401, refresh gives
/// `invalid_grant`). Answers `{"revoked": true, "refresh_tokens_revoked": N}`.
#[tracing::instrument(skip_all)]
pub(crate) async fn revoke(provider: web::Data<IdentityProvider>) -> HttpResponse {
    let revoked = provider.state().revoke_all();
    tracing::info!(revoked, "every token issued so far was revoked");
    HttpResponse::Ok().json(json!({ "revoked": true, "refresh_tokens_revoked": revoked }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenLifetime {
    seconds: u64,
}

/// `PUT /_sandbox/identity/token-lifetime` with `{"seconds": N}` (1 to 86400): the lifetime
/// of access and ID tokens issued from now on. Answers `{"seconds": N}`.
#[tracing::instrument(skip_all)]
pub(crate) async fn set_token_lifetime(
    provider: web::Data<IdentityProvider>,
    body: web::Bytes,
) -> HttpResponse {
    let lifetime: TokenLifetime = match parse_json(&body) {
        Ok(lifetime) => lifetime,
        Err(message) => return bad_request(message),
    };
    if !(1..=MAX_TOKEN_LIFETIME_SECONDS).contains(&lifetime.seconds) {
        return bad_request(format!(
            "seconds must be between 1 and {MAX_TOKEN_LIFETIME_SECONDS}, got {}",
            lifetime.seconds
        ));
    }
    provider.state().access_token_lifetime = Duration::from_secs(lifetime.seconds);
    HttpResponse::Ok().json(json!({ "seconds": lifetime.seconds }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedirectUri {
    uri: String,
}

/// `POST /_sandbox/identity/redirect-uris` with `{"uri": "..."}`: registers one more
/// redirect URI (an absolute http(s) URL without fragment). Answers
/// `{"redirect_uris": [...]}`, every registered URI.
#[tracing::instrument(skip_all)]
pub(crate) async fn add_redirect_uri(
    provider: web::Data<IdentityProvider>,
    body: web::Bytes,
) -> HttpResponse {
    let request: RedirectUri = match parse_json(&body) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    match Url::parse(&request.uri) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.fragment().is_none() => {}
        Ok(_) => return bad_request("uri must be an http or https URL without a fragment"),
        Err(error) => return bad_request(format!("uri is not an absolute URL: {error}")),
    }
    let mut state = provider.state();
    if !state.redirect_uris.contains(&request.uri) {
        state.redirect_uris.push(request.uri);
    }
    HttpResponse::Ok().json(json!({ "redirect_uris": state.redirect_uris }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Roles {
    login: String,
    roles: Vec<String>,
}

/// `PUT /_sandbox/identity/roles` with `{"login": "...", "roles": [...]}`: the app roles of
/// that demo user in ID tokens issued from now on (sign-in and refresh), as when an
/// administrator changes the user's app role assignment. Answers `{"login", "roles"}`.
#[tracing::instrument(skip_all)]
pub(crate) async fn set_roles(
    provider: web::Data<IdentityProvider>,
    body: web::Bytes,
) -> HttpResponse {
    let request: Roles = match parse_json(&body) {
        Ok(request) => request,
        Err(message) => return bad_request(message),
    };
    let Some(user) = super::users::find_by_login(&request.login) else {
        return bad_request(format!("no demo user {}", request.login));
    };
    let login = user.preferred_username.to_lowercase();
    provider
        .state()
        .role_overrides
        .insert(login.clone(), request.roles.clone());
    HttpResponse::Ok().json(json!({ "login": login, "roles": request.roles }))
}

/// `POST /_sandbox/identity/rotate-keys`: tokens are signed with a new key from now on; the
/// JWKS publishes it first and keeps the old ones (an Entra ID key rollover). Answers
/// `{"kid": "<new key id>"}`.
#[tracing::instrument(skip_all)]
pub(crate) async fn rotate_keys(provider: web::Data<IdentityProvider>) -> HttpResponse {
    match provider.rotate_key() {
        Ok(kid) => HttpResponse::Ok().json(json!({ "kid": kid })),
        Err(error) => {
            HttpResponse::InternalServerError().json(json!({ "error": error.to_string() }))
        }
    }
}
