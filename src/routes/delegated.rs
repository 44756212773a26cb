//! The signed-in user's delegated Partner Center token for a handler: when there is none to
//! be had, the answer that says so (sign in again and come back, no access, try later).

use crate::auth::TokenError;
use crate::domain::UserId;
use crate::error::AppError;
use crate::partner_center::AccessToken;
use crate::state::AppState;

/// A valid delegated token of `user` ([`crate::auth::Auth::delegated_token`]).
///
/// # Errors
/// [`AppError::SignInRequired`] back to `return_to` (a local path) after signing in again,
/// [`AppError::AccessRevoked`], [`AppError::Unavailable`] while another request renews the
/// token; the database's.
pub async fn delegated_token(
    state: &AppState,
    user: UserId,
    return_to: &str,
) -> Result<AccessToken, AppError> {
    state
        .auth
        .delegated_token(user)
        .await
        .map_err(|e| answer(e, return_to))
}

/// What the person is told when no token can be had.
fn answer(error: TokenError, return_to: &str) -> AppError {
    match error {
        TokenError::SignInRequired => AppError::SignInRequired {
            return_to: return_to.to_owned(),
        },
        TokenError::AccessRevoked => AppError::AccessRevoked,
        TokenError::RenewalBusy => AppError::Unavailable(
            "Your Microsoft sign-in is being renewed by another request and this is taking long. Try again in a minute.".into(),
        ),
        TokenError::Store(e) => e.into(),
        TokenError::Unexpected(e) => AppError::Unexpected(e),
    }
}
