//! `GET|POST /{tenant}/oauth2/v2.0/authorize`: the authorization-code flow's first leg.
//!
//! GET validates the request and shows the sign-in page; POST (one of the page's forms, or a
//! test posting the same fields) validates it again, signs the chosen demo user in and
//! redirects to `redirect_uri?code=...&state=...`.
//!
//! Errors before the redirect URI is trusted (unknown tenant or client, unregistered redirect
//! URI, unknown account) are a 400 HTML page; later ones redirect back with `error`,
//! `error_description` and `state`, as Entra ID does.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use url::Url;
use uuid::Uuid;

use super::pages::{AccountCard, ErrorPage, SignInPage, render};
use super::routes;
use super::scopes::Scopes;
use super::state::{CODE_LIFETIME, CodeGrant};
use super::users::{self, DEMO_USERS};
use super::{IdentityProvider, pkce};

/// The name of the form field that carries the chosen account.
const LOGIN_FIELD: &str = "login";

/// The raw parameters of an authorize request, in their original order.
struct AuthorizeParams(Vec<(String, String)>);

impl AuthorizeParams {
    /// The first non-empty value of `name` (Entra ID treats an empty parameter as missing).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }
}

/// An authorize request that passed every check.
struct ValidRequest<'a> {
    tenant_id: Uuid,
    client_id: &'a str,
    redirect_uri: &'a str,
    scopes: Scopes,
    state: &'a str,
    nonce: &'a str,
    code_challenge: &'a str,
}

/// Why an authorize request was refused.
enum AuthorizeError {
    /// Shown as a 400 page: the redirect URI cannot be trusted (or there is no account).
    Page {
        code: u32,
        title: &'static str,
        message: String,
    },
    /// Sent back to the (registered) redirect URI.
    Redirect {
        redirect_uri: String,
        error: &'static str,
        code: u32,
        message: String,
        state: Option<String>,
    },
}

impl AuthorizeError {
    fn into_response(self) -> HttpResponse {
        match self {
            AuthorizeError::Page {
                code,
                title,
                message,
            } => render(
                &ErrorPage {
                    title,
                    code,
                    message: &message,
                },
                StatusCode::BAD_REQUEST,
            ),
            AuthorizeError::Redirect {
                redirect_uri,
                error,
                code,
                message,
                state,
            } => {
                let description = format!("AADSTS{code}: {message}");
                let mut pairs = vec![
                    ("error", error),
                    ("error_description", description.as_str()),
                ];
                if let Some(state) = state.as_deref() {
                    pairs.push(("state", state));
                }
                redirect_with(&redirect_uri, &pairs)
            }
        }
    }
}

/// A 302 to `redirect_uri` with `pairs` appended to its query.
fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> HttpResponse {
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            HttpResponse::Found()
                .insert_header(("Location", url.as_str()))
                .insert_header(("Cache-Control", "no-store"))
                .finish()
        }
        Err(error) => {
            let message =
                format!("The registered redirect URI '{redirect_uri}' is not a URL: {error}.");
            render(
                &ErrorPage {
                    title: "The application's redirect URI is not valid",
                    code: 50011,
                    message: &message,
                },
                StatusCode::BAD_REQUEST,
            )
        }
    }
}

fn missing(name: &str) -> String {
    format!("The request body must contain the following parameter: '{name}'.")
}

impl IdentityProvider {
    /// Checks an authorize request in the order Entra ID does: tenant, client, redirect URI
    /// (errors shown as a page), then response type, response mode, scope, PKCE, state and
    /// nonce (errors sent back to the redirect URI).
    fn validate_authorize<'a>(
        &self,
        tenant: &str,
        params: &'a AuthorizeParams,
    ) -> Result<ValidRequest<'a>, AuthorizeError> {
        let page = |code, title, message| AuthorizeError::Page {
            code,
            title,
            message,
        };
        let tenant_id = self.serves_tenant(tenant).ok_or_else(|| {
            page(
                90002,
                "Unknown tenant",
                format!("Tenant '{tenant}' not found."),
            )
        })?;
        let client_id = params.get("client_id").ok_or_else(|| {
            page(
                900144,
                "The request is missing its application",
                missing("client_id"),
            )
        })?;
        if client_id != self.client_id {
            return Err(page(
                700016,
                "Unknown application",
                format!(
                    "Application with identifier '{client_id}' was not found in the directory '{}'.",
                    self.tenant_id
                ),
            ));
        }
        let redirect_uri = params.get("redirect_uri").ok_or_else(|| {
            page(
                900144,
                "The request is missing its redirect URI",
                missing("redirect_uri"),
            )
        })?;
        if !self
            .state()
            .redirect_uris
            .iter()
            .any(|uri| uri == redirect_uri)
        {
            return Err(page(
                50011,
                "The redirect URI is not registered",
                format!(
                    "The redirect URI '{redirect_uri}' specified in the request does not match \
                     the redirect URIs configured for the application '{client_id}'."
                ),
            ));
        }

        let state = params.get("state");
        let back = |error, code, message| AuthorizeError::Redirect {
            redirect_uri: redirect_uri.to_owned(),
            error,
            code,
            message,
            state: state.map(str::to_owned),
        };
        match params.get("response_type") {
            None => return Err(back("invalid_request", 900144, missing("response_type"))),
            Some("code") => {}
            Some(other) => {
                return Err(back(
                    "unsupported_response_type",
                    700054,
                    format!(
                        "response_type '{other}' is not enabled for the application; the sandbox supports 'code'."
                    ),
                ));
            }
        }
        if let Some(mode) = params.get("response_mode").filter(|mode| *mode != "query") {
            return Err(back(
                "invalid_request",
                90023,
                format!("The response_mode '{mode}' is not supported by the sandbox; use 'query'."),
            ));
        }
        let scope = params
            .get("scope")
            .ok_or_else(|| back("invalid_request", 900144, missing("scope")))?;
        let scopes = Scopes::parse(scope).map_err(|error| back("invalid_scope", 70011, error.0))?;
        let code_challenge = params.get("code_challenge").ok_or_else(|| {
            back(
                "invalid_request",
                900144,
                format!("{} The sandbox requires PKCE.", missing("code_challenge")),
            )
        })?;
        match params.get("code_challenge_method") {
            Some("S256") => {}
            method => {
                return Err(back(
                    "invalid_request",
                    90023,
                    format!(
                        "The code_challenge_method '{}' is not supported; the sandbox accepts only 'S256'.",
                        method.unwrap_or("plain")
                    ),
                ));
            }
        }
        if code_challenge.len() != 43 || !pkce::is_well_formed(code_challenge) {
            return Err(back(
                "invalid_request",
                501491,
                "Invalid size of Code_Challenge parameter: an S256 challenge is 43 base64url characters.".to_owned(),
            ));
        }
        let state = state.ok_or_else(|| back("invalid_request", 900144, missing("state")))?;
        let nonce = params
            .get("nonce")
            .ok_or_else(|| back("invalid_request", 900144, missing("nonce")))?;
        Ok(ValidRequest {
            tenant_id,
            client_id,
            redirect_uri,
            scopes,
            state,
            nonce,
            code_challenge,
        })
    }
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: validates the request and shows the sign-in page
/// listing the demo users.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub(crate) async fn show_sign_in(
    provider: web::Data<IdentityProvider>,
    tenant: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    let params = AuthorizeParams(query.into_inner());
    let request = match provider.validate_authorize(&tenant, &params) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let carried: Vec<(String, String)> = params
        .0
        .iter()
        .filter(|(name, _)| name != LOGIN_FIELD)
        .cloned()
        .collect();
    render(
        &SignInPage {
            action: routes::AUTHORIZE.replace("{tenant}", &request.tenant_id.to_string()),
            params: &carried,
            accounts: DEMO_USERS.iter().map(AccountCard::from).collect(),
            client_id: request.client_id,
            redirect_uri: request.redirect_uri,
        },
        StatusCode::OK,
    )
}

/// `POST /{tenant}/oauth2/v2.0/authorize` (form-encoded: the authorize parameters plus
/// `login`, a demo user's `preferred_username`): validates again, issues a 10-minute
/// single-use code and answers 302 to `redirect_uri?code=...&state=...`.
#[tracing::instrument(skip_all, fields(tenant = %tenant))]
pub(crate) async fn sign_in(
    provider: web::Data<IdentityProvider>,
    tenant: web::Path<String>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let params = AuthorizeParams(form.into_inner());
    let request = match provider.validate_authorize(&tenant, &params) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let Some(user) = params.get(LOGIN_FIELD).and_then(users::find_by_login) else {
        return AuthorizeError::Page {
            code: 50034,
            title: "Unknown account",
            message: format!(
                "The user account '{}' does not exist in the directory; choose one of the demo accounts.",
                params.get(LOGIN_FIELD).unwrap_or_default()
            ),
        }
        .into_response();
    };
    let code = provider.state().issue_code(CodeGrant {
        user,
        client_id: request.client_id.to_owned(),
        redirect_uri: request.redirect_uri.to_owned(),
        scopes: request.scopes,
        nonce: request.nonce.to_owned(),
        code_challenge: request.code_challenge.to_owned(),
        expires_at: Utc::now() + CODE_LIFETIME,
    });
    tracing::info!(user = user.preferred_username, "demo user signed in");
    redirect_with(
        request.redirect_uri,
        &[("code", &code), ("state", request.state)],
    )
}
