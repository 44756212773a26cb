//! Sign-in (`GET /sign-in`, `GET /auth/start`, `GET /auth/callback`) and sign-out
//! (`POST /sign-out`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use serde::Deserialize;

use super::extract::{NoFields, VerifiedForm};
use super::respond::{html, see_other};
use super::session::TypedSession;
use super::sign_in_cookie::{pending_cookie, read_pending, removal_cookie};
use crate::auth::{Completed, ProviderReply, SignInFailure};
use crate::error::AppError;
use crate::pages::{Layout, NoAccessPage, SignInPage};
use crate::paths;
use crate::state::AppState;

/// `?return_to=` of the sign-in routes.
#[derive(Debug, Deserialize)]
pub struct ReturnTo {
    return_to: Option<String>,
    signed_out: Option<String>,
}

fn local_target(return_to: Option<&str>) -> String {
    return_to
        .filter(|t| paths::is_local_path(t))
        .unwrap_or(paths::DASHBOARD)
        .to_owned()
}

fn sign_in_page(
    state: &AppState,
    return_to: String,
    error: Option<String>,
    signed_out: bool,
) -> SignInPage {
    SignInPage {
        layout: Layout::anonymous(state.settings.is_demo()),
        return_to,
        error,
        signed_out,
    }
}

/// The sign-in page. Shown even to a signed-in session: people land here when their Partner
/// Center token can no longer be renewed, and must be able to sign in again.
pub async fn page(
    state: web::Data<AppState>,
    query: web::Query<ReturnTo>,
) -> Result<HttpResponse, AppError> {
    let return_to = local_target(query.return_to.as_deref());
    html(
        StatusCode::OK,
        &sign_in_page(&state, return_to, None, query.signed_out.is_some()),
    )
}

/// Sends the browser to the identity provider, keeping state, nonce and PKCE verifier in a
/// short-lived encrypted cookie (no session row for an anonymous visitor).
pub async fn start(
    state: web::Data<AppState>,
    query: web::Query<ReturnTo>,
) -> Result<HttpResponse, AppError> {
    let (url, pending) = state
        .auth
        .start_sign_in(local_target(query.return_to.as_deref()));
    let cookie = pending_cookie(&pending, &state.cookie_key, state.secure_cookies())?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", url.as_str()))
        .cookie(cookie)
        .finish())
}

/// What an unmatched or stale callback is told, whatever it carries.
pub const INVALID_CALLBACK: &str = "This sign-in link is not valid any more. Sign in again.";

/// Completes sign-in: checks `state` first (a callback that does not match this browser's
/// pending sign-in is ignored and changes nothing), then redeems the code, validates the ID
/// token, maps roles, stores the encrypted tokens and starts the session under a new id.
#[tracing::instrument(skip_all)]
pub async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: TypedSession,
    query: web::Query<ProviderReply>,
) -> Result<HttpResponse, AppError> {
    let pending = read_pending(&req, &state.cookie_key);
    let mut response = match state.auth.complete_sign_in(pending, &query).await {
        Ok(Completed { user, return_to }) => {
            session.sign_in(&user)?;
            tracing::info!(access = ?user.access, "signed in");
            see_other(&return_to)
        }
        Err(SignInFailure::Unmatched) => {
            let page = sign_in_page(
                &state,
                paths::DASHBOARD.into(),
                Some(INVALID_CALLBACK.into()),
                false,
            );
            return html(StatusCode::BAD_REQUEST, &page);
        }
        Err(SignInFailure::Retry { return_to, message }) => {
            let page = sign_in_page(&state, return_to, Some(message.to_owned()), false);
            html(StatusCode::BAD_REQUEST, &page)?
        }
        Err(SignInFailure::NoAccess(reason)) => no_access(&state, reason)?,
        Err(SignInFailure::Unexpected(e)) => return Err(e),
    };
    // The pending sign-in is used up.
    let _ = response.add_cookie(&removal_cookie(state.secure_cookies()));
    Ok(response)
}

fn no_access(state: &AppState, reason: String) -> Result<HttpResponse, AppError> {
    html(
        StatusCode::FORBIDDEN,
        &NoAccessPage {
            layout: Layout::anonymous(state.settings.is_demo()),
            reason,
        },
    )
}

/// Ends the session (its server-side row is deleted, so it ends everywhere) and forgets the
/// user's Partner Center tokens.
pub async fn sign_out(
    state: web::Data<AppState>,
    session: TypedSession,
    form: VerifiedForm<NoFields>,
) -> Result<impl Responder, AppError> {
    state.store.delete_tokens(form.user.id).await?;
    session.sign_out();
    Ok(see_other(&format!("{}?signed_out=1", paths::SIGN_IN)))
}
