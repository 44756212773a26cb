//! `POST /{tenant}/oauth2/v2.0/token`: the authorization-code (with PKCE), refresh-token and
//! client-credentials grants.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::IdentityProvider;
use super::errors::OAuthError;
use super::issue::{TokenResponse, UserGrant};
use super::pkce;
use super::scopes::{PARTNER_CENTER_DEFAULT_SCOPE, Scopes};
use super::state::Refusal;

/// The form fields of a token request (`application/x-www-form-urlencoded`).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

/// Form parsing errors (wrong content type, bad encoding) as OAuth `invalid_request`.
pub(crate) fn form_config() -> web::FormConfig {
    web::FormConfig::default().error_handler(|error, _| {
        OAuthError::invalid_request(
            900144,
            format!("The request body must be form-encoded token request parameters: {error}"),
        )
        .into()
    })
}

/// `POST /{tenant}/oauth2/v2.0/token`. Authenticates the client (Basic or form fields), then
/// runs the grant named by `grant_type`. Errors are OAuth error bodies (400, or 401 for
/// `invalid_client`).
#[tracing::instrument(skip_all, fields(tenant = %tenant, grant_type = ?form.grant_type))]
pub(crate) async fn token(
    provider: web::Data<IdentityProvider>,
    request: HttpRequest,
    tenant: web::Path<String>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, OAuthError> {
    provider
        .serves_tenant(&tenant)
        .ok_or_else(|| OAuthError::invalid_tenant(&tenant))?;
    let grant_type = form
        .grant_type
        .as_deref()
        .ok_or_else(|| OAuthError::missing_parameter("grant_type"))?;
    if !matches!(
        grant_type,
        "authorization_code" | "refresh_token" | "client_credentials"
    ) {
        return Err(OAuthError::unsupported_grant_type(grant_type));
    }
    let client_id = provider.authenticate_client(
        &request,
        form.client_id.as_deref(),
        form.client_secret.as_deref(),
    )?;
    let response = match grant_type {
        "authorization_code" => redeem_code(&provider, &client_id, &form)?,
        "refresh_token" => redeem_refresh_token(&provider, &client_id, &form)?,
        _ => client_credentials(&provider, &client_id, &form)?,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("Pragma", "no-cache"))
        .json(response))
}

fn redeem_code(
    provider: &IdentityProvider,
    client_id: &str,
    form: &TokenForm,
) -> Result<TokenResponse, OAuthError> {
    let code = form
        .code
        .as_deref()
        .ok_or_else(|| OAuthError::missing_parameter("code"))?;
    let redirect_uri = form
        .redirect_uri
        .as_deref()
        .ok_or_else(|| OAuthError::missing_parameter("redirect_uri"))?;
    let verifier = form
        .code_verifier
        .as_deref()
        .ok_or_else(|| OAuthError::missing_parameter("code_verifier"))?;
    let grant = provider
        .state()
        .redeem_code(code, Utc::now())
        .map_err(code_refused)?;
    if grant.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            70000,
            "The provided authorization code was issued to another client.",
        ));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            50011,
            format!(
                "The redirect URI '{redirect_uri}' specified in the request does not match the \
                 redirect URI '{}' of the authorization request.",
                grant.redirect_uri
            ),
        ));
    }
    if !pkce::verifier_matches(verifier, &grant.code_challenge) {
        return Err(OAuthError::invalid_grant(
            50148,
            "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
        ));
    }
    provider
        .issue_user_tokens(&UserGrant {
            user: grant.user,
            client_id,
            scopes: grant.scopes,
            nonce: Some(&grant.nonce),
        })
        .map_err(|error| OAuthError::server_error(&error))
}

fn redeem_refresh_token(
    provider: &IdentityProvider,
    client_id: &str,
    form: &TokenForm,
) -> Result<TokenResponse, OAuthError> {
    let token = form
        .refresh_token
        .as_deref()
        .ok_or_else(|| OAuthError::missing_parameter("refresh_token"))?;
    // Parse the scope first, so that a bad scope does not spend the refresh token.
    let requested = form
        .scope
        .as_deref()
        .map(Scopes::parse)
        .transpose()
        .map_err(|error| OAuthError::invalid_scope(70011, error.0))?;
    let grant = provider
        .state()
        .redeem_refresh_token(token, Utc::now())
        .map_err(refresh_refused)?;
    if grant.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            70000,
            "The provided refresh token was issued to another client.",
        ));
    }
    // A refresh may name another resource; the ID and refresh tokens follow the original sign-in.
    let scopes = Scopes {
        openid: grant.scopes.openid,
        offline_access: true,
        resource: requested.map_or(grant.scopes.resource, |scopes| scopes.resource),
    };
    provider
        .issue_user_tokens(&UserGrant {
            user: grant.user,
            client_id,
            scopes,
            nonce: None,
        })
        .map_err(|error| OAuthError::server_error(&error))
}

fn client_credentials(
    provider: &IdentityProvider,
    client_id: &str,
    form: &TokenForm,
) -> Result<TokenResponse, OAuthError> {
    let scope = form
        .scope
        .as_deref()
        .ok_or_else(|| OAuthError::missing_parameter("scope"))?;
    if scope.trim() != PARTNER_CENTER_DEFAULT_SCOPE {
        return Err(OAuthError::invalid_scope(
            1002012,
            format!(
                "The provided value for scope '{scope}' is not valid. Client credential flows \
                 must have a scope value with /.default suffixed to the resource identifier \
                 (application ID URI): use '{PARTNER_CENTER_DEFAULT_SCOPE}'."
            ),
        ));
    }
    provider
        .issue_app_token(client_id)
        .map_err(|error| OAuthError::server_error(&error))
}

fn code_refused(refusal: Refusal) -> OAuthError {
    match refusal {
        Refusal::Unknown => OAuthError::invalid_grant(
            9002313,
            "Invalid request. Request is malformed or invalid: the authorization code is unknown.",
        ),
        Refusal::AlreadyUsed => OAuthError::invalid_grant(
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        ),
        Refusal::Expired => OAuthError::invalid_grant(
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
        ),
        Refusal::Revoked => OAuthError::invalid_grant(
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
        ),
    }
}

fn refresh_refused(refusal: Refusal) -> OAuthError {
    match refusal {
        Refusal::Unknown => OAuthError::invalid_grant(
            9002313,
            "Invalid request. Request is malformed or invalid: the refresh token is unknown.",
        ),
        Refusal::AlreadyUsed => OAuthError::invalid_grant(
            70000,
            "The provided grant is invalid: the refresh token was already exchanged (the sandbox rotates refresh tokens).",
        ),
        other => code_refused(other),
    }
}
