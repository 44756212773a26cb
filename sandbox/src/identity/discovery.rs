//! OpenID Connect discovery and the JWKS.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::errors::OAuthError;
use super::keys::Jwk;
use super::routes::{self, tenant_url};
use super::{IdentityProvider, issuer_of};

/// The discovery document, with Entra ID's field names. Only what the sandbox implements is
/// advertised: the code flow, query response mode, S256 PKCE.
#[derive(Debug, Serialize)]
struct OpenIdConfiguration {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    end_session_endpoint: String,
    response_types_supported: [&'static str; 1],
    response_modes_supported: [&'static str; 1],
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 1],
    scopes_supported: [&'static str; 4],
    token_endpoint_auth_methods_supported: [&'static str; 2],
    grant_types_supported: [&'static str; 3],
    claims_supported: [&'static str; 13],
    code_challenge_methods_supported: [&'static str; 1],
    request_uri_parameter_supported: bool,
    http_logout_supported: bool,
    frontchannel_logout_supported: bool,
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`: the tenant's discovery document.
/// 400 `invalid_tenant` for a tenant the sandbox does not serve.
#[tracing::instrument(skip(provider))]
pub(crate) async fn openid_configuration(
    provider: web::Data<IdentityProvider>,
    tenant: web::Path<String>,
) -> Result<HttpResponse, OAuthError> {
    let tenant_id = provider
        .serves_tenant(&tenant)
        .ok_or_else(|| OAuthError::invalid_tenant(&tenant))?;
    let base = provider.base.as_str();
    let document = OpenIdConfiguration {
        issuer: issuer_of(base, tenant_id),
        authorization_endpoint: tenant_url(base, routes::AUTHORIZE, &tenant_id),
        token_endpoint: tenant_url(base, routes::TOKEN, &tenant_id),
        jwks_uri: tenant_url(base, routes::KEYS, &tenant_id),
        end_session_endpoint: tenant_url(base, routes::LOGOUT, &tenant_id),
        response_types_supported: ["code"],
        response_modes_supported: ["query"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
        grant_types_supported: ["authorization_code", "refresh_token", "client_credentials"],
        claims_supported: [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "nbf",
            "nonce",
            "name",
            "preferred_username",
            "oid",
            "tid",
            "roles",
            "ver",
        ],
        code_challenge_methods_supported: ["S256"],
        request_uri_parameter_supported: false,
        http_logout_supported: true,
        frontchannel_logout_supported: false,
    };
    Ok(HttpResponse::Ok().json(document))
}

#[derive(Debug, Serialize)]
struct JsonWebKeySet {
    keys: Vec<Jwk>,
}

/// `GET /{tenant}/discovery/v2.0/keys`: the JWKS holding the signing keys (current first).
/// 400 `invalid_tenant` for a tenant the sandbox does not serve.
#[tracing::instrument(skip(provider))]
pub(crate) async fn keys(
    provider: web::Data<IdentityProvider>,
    tenant: web::Path<String>,
) -> Result<HttpResponse, OAuthError> {
    provider
        .serves_tenant(&tenant)
        .ok_or_else(|| OAuthError::invalid_tenant(&tenant))?;
    Ok(HttpResponse::Ok().json(JsonWebKeySet {
        keys: provider
            .all_keys()
            .iter()
            .map(|key| key.jwk().clone())
            .collect(),
    }))
}
