//! Sign-in (`GET /sign-in`, `GET /auth/start`, `GET /auth/callback`) and sign-out
//! (`POST /sign-out`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder, web};
use askama::Template;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use crate::auth::{
    Access, CsrfToken, CurrentUser, SessionUser, SignInError, TypedSession, pending_cookie,
    read_pending, removal_cookie, save_tokens, verify_csrf,
};
use crate::error::AppError;
use crate::pages::{Layout, NoAccessPage, SignInPage};
use crate::paths;
use crate::state::AppState;
use crate::store::User;
use crate::telemetry::untrusted;

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

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

fn render(status: StatusCode, page: &impl Template) -> Result<HttpResponse, AppError> {
    let html = page.render().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
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
    render(
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
    let (url, pending) = state.oidc.start(local_target(query.return_to.as_deref()));
    let cookie = pending_cookie(&pending, &state.keys.session_cookie, state.secure_cookies())?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", url.as_str()))
        .cookie(cookie)
        .finish())
}

/// What the identity provider sends back.
#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
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
    query: web::Query<Callback>,
) -> Result<HttpResponse, AppError> {
    let secure = state.secure_cookies();
    let pending = read_pending(&req, &state.keys.session_cookie).filter(|pending| {
        query
            .state
            .as_deref()
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(pending.state.as_bytes())))
    });
    let Some(pending) = pending else {
        tracing::info!(
            has_state = query.state.is_some(),
            error = query.error.as_deref().map(untrusted),
            "sign-in callback without a matching pending sign-in ignored"
        );
        return render(
            StatusCode::BAD_REQUEST,
            &sign_in_page(
                &state,
                paths::DASHBOARD.into(),
                Some(INVALID_CALLBACK.into()),
                false,
            ),
        );
    };
    // The pending sign-in is used up from here on, whatever happens.
    let return_to = pending.return_to.clone();
    let forget = |result: Result<HttpResponse, AppError>| {
        result.map(|mut response| {
            let _ = response.add_cookie(&removal_cookie(secure));
            response
        })
    };
    let retry = |message: &str| {
        forget(render(
            StatusCode::BAD_REQUEST,
            &sign_in_page(&state, return_to.clone(), Some(message.to_owned()), false),
        ))
    };
    if let Some(error) = &query.error {
        tracing::info!(
            error = %untrusted(error),
            description = query.error_description.as_deref().map(untrusted),
            "the identity provider refused the sign-in"
        );
        return retry(
            "Microsoft sign-in did not complete. Sign in again; if it keeps failing, ask your administrator.",
        );
    }
    let Some(code) = query.code.clone() else {
        return retry("The sign-in response has no authorization code. Sign in again.");
    };
    let signed_in = match state.oidc.finish(code, pending).await {
        Ok(s) => s,
        Err(SignInError::OtherTenant(tenant)) => {
            tracing::info!(tenant = %untrusted(&tenant), "sign-in from another tenant refused");
            return forget(no_access(
                &state,
                "Your account belongs to another organization. Spendboard is only for the partner's own staff: sign in with your work account of the partner's tenant.".into(),
            ));
        }
        Err(e @ (SignInError::Refused(_) | SignInError::InvalidIdToken(_))) => {
            tracing::warn!(error = %untrusted(&e.to_string()), "sign-in failed");
            return retry(
                "Sign-in failed. Sign in again; if it keeps failing, ask your administrator.",
            );
        }
        Err(e) => {
            return Err(AppError::Unexpected(
                anyhow::Error::new(e).context("completing sign-in"),
            ));
        }
    };
    let Some(access) = Access::from_roles(&signed_in.roles, &state.settings.roles) else {
        tracing::info!(user = %signed_in.user_id, "sign-in without a Spendboard app role refused");
        return forget(no_access(
            &state,
            format!(
                "{}, your account has no Spendboard role. Ask your administrator to assign you the Reader or Budget editor app role of Spendboard in Microsoft Entra ID.",
                signed_in.name
            ),
        ));
    };
    state
        .store
        .upsert_user(
            &User {
                id: signed_in.user_id.to_string(),
                tenant_id: signed_in.tenant_id.to_string(),
                name: signed_in.name.clone(),
                email: signed_in.email.clone(),
                roles: signed_in.roles.clone(),
            },
            chrono::Utc::now(),
        )
        .await?;
    save_tokens(&state, signed_in.user_id, &signed_in.tokens).await?;
    session.sign_in(&SessionUser {
        id: signed_in.user_id,
        name: signed_in.name,
        email: signed_in.email,
        access,
        csrf: CsrfToken::generate(),
        signed_in_at: chrono::Utc::now().timestamp(),
        last_seen: chrono::Utc::now().timestamp(),
    })?;
    tracing::info!(access = ?access, "signed in");
    let mut response = see_other(&return_to);
    let _ = response.add_cookie(&removal_cookie(secure));
    Ok(response)
}

fn no_access(state: &AppState, reason: String) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::FORBIDDEN,
        &NoAccessPage {
            layout: Layout::anonymous(state.settings.is_demo()),
            reason,
        },
    )
}

/// The sign-out form.
#[derive(Debug, Deserialize)]
pub struct SignOutForm {
    csrf_token: Option<String>,
}

/// Ends the session (its server-side row is deleted, so it ends everywhere) and forgets the
/// user's Partner Center tokens.
pub async fn sign_out(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    form: web::Form<SignOutForm>,
) -> Result<impl Responder, AppError> {
    verify_csrf(&user.csrf, form.csrf_token.as_deref())?;
    state.store.delete_tokens(&user.id.to_string()).await?;
    session.sign_out();
    Ok(see_other(&format!("{}?signed_out=1", paths::SIGN_IN)))
}
