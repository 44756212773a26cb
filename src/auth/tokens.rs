//! Each user's delegated Partner Center tokens: kept server-side, encrypted at rest, renewed
//! with the refresh token a few minutes before they expire.

use chrono::{Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::{Access, DelegatedTokens, Renewed, SignInError};
use crate::domain::UserId;
use crate::error::AppError;
use crate::partner_center::AccessToken;
use crate::state::AppState;
use crate::store::{LeaseScope, StoredTokens};

/// Tokens expiring sooner than this are renewed before use.
const RENEW_BEFORE_EXPIRY: Duration = Duration::minutes(5);

/// Encrypts and stores a user's tokens.
///
/// # Errors
/// Database or encryption failure.
pub async fn save_tokens(
    state: &AppState,
    user_id: UserId,
    tokens: &DelegatedTokens,
) -> Result<(), AppError> {
    let cipher = &state.keys.tokens;
    let refresh_token = match &tokens.refresh_token {
        Some(t) => Some(cipher.encrypt(t.expose_secret())?),
        None => None,
    };
    let stored = StoredTokens {
        access_token: cipher.encrypt(tokens.access_token.expose_secret())?,
        refresh_token,
        expires_at: tokens.expires_at,
    };
    state.store.save_tokens(user_id, &stored).await?;
    Ok(())
}

/// A valid delegated Partner Center access token for `user_id`, renewed if it expires soon.
///
/// # Errors
/// [`AppError::SignInRequired`] (back to `return_to` after sign-in) when there is no token,
/// it cannot be decrypted, or the identity provider refuses to renew it (expired or revoked).
pub async fn delegated_token(
    state: &AppState,
    user_id: UserId,
    return_to: &str,
) -> Result<AccessToken, AppError> {
    let sign_in = || AppError::SignInRequired {
        return_to: return_to.to_owned(),
    };
    if let Some(token) = valid_token(state, user_id, &sign_in).await? {
        return Ok(token);
    }
    // One renewal per user at a time, across every instance: refresh tokens rotate, so a
    // second concurrent renewal with the same refresh token would be refused. The lock is a
    // lease in the database (`token:{user}`); whoever waits for it reads the tokens again,
    // usually finding those the holder just saved.
    let scope = LeaseScope::Token(user_id);
    let holder = crate::store::unique_holder(&state.instance_id, "renew");
    if let Some(token) = lock_or_renewed(state, user_id, scope, &holder, &sign_in).await? {
        return Ok(token);
    }
    let renewed = renew_holding_the_lock(state, user_id, &sign_in).await;
    if let Err(e) = state.store.release_lease(scope, &holder).await {
        tracing::warn!(%user_id, error = %e, "token renewal lock not released (it expires)");
    }
    renewed
}

/// The stored access token of `user_id` if it is valid for a while yet; `None` when it
/// expires soon.
///
/// # Errors
/// `sign_in()` when there are no tokens or they cannot be decrypted; the database's.
async fn valid_token(
    state: &AppState,
    user_id: UserId,
    sign_in: &(dyn Fn() -> AppError + Sync),
) -> Result<Option<AccessToken>, AppError> {
    let Some(stored) = state.store.tokens(user_id).await? else {
        return Err(sign_in());
    };
    still_valid(state, &stored, sign_in).transpose()
}

/// The access token of `stored` if it is valid for a while yet (`Err(sign_in())` when it
/// cannot be decrypted); `None` when it expires soon.
fn still_valid(
    state: &AppState,
    stored: &StoredTokens,
    sign_in: &(dyn Fn() -> AppError + Sync),
) -> Option<Result<AccessToken, AppError>> {
    (stored.expires_at > Utc::now() + RENEW_BEFORE_EXPIRY).then(|| {
        let token = state.keys.tokens.decrypt(&stored.access_token);
        token.map(AccessToken::new).map_err(|_| sign_in())
    })
}

/// Waits for the renewal lock of `user_id` (`None` once held by `holder`), or for the token
/// another request renewed meanwhile.
///
/// # Errors
/// [`AppError::Unavailable`] after [`RENEWAL_WAIT`]; those of [`valid_token`].
async fn lock_or_renewed(
    state: &AppState,
    user_id: UserId,
    scope: LeaseScope,
    holder: &str,
    sign_in: &(dyn Fn() -> AppError + Sync),
) -> Result<Option<AccessToken>, AppError> {
    let waited_since = std::time::Instant::now();
    loop {
        if state
            .store
            .try_acquire_lease(scope, holder, RENEWAL_LEASE)
            .await?
        {
            return Ok(None);
        }
        if let Some(token) = valid_token(state, user_id, sign_in).await? {
            return Ok(Some(token));
        }
        if waited_since.elapsed() > RENEWAL_WAIT {
            return Err(AppError::Unavailable(
                "Your Microsoft sign-in is being renewed by another request and this is taking long. Try again in a minute.".into(),
            ));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// How long a token renewal holds its user's lock at most (a crashed holder's lock expires).
const RENEWAL_LEASE: Duration = Duration::seconds(60);

/// How long a request waits for another request's renewal of the same user's token.
const RENEWAL_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// The renewal itself, under the user's lock: reads the tokens again (another instance may
/// have renewed them meanwhile), renews them with the refresh token, and saves them. A
/// refused renewal deletes the tokens only if they are still those that were refused.
async fn renew_holding_the_lock(
    state: &AppState,
    user_id: UserId,
    sign_in: &(dyn Fn() -> AppError + Sync),
) -> Result<AccessToken, AppError> {
    let Some(stored) = state.store.tokens(user_id).await? else {
        return Err(sign_in());
    };
    if let Some(token) = still_valid(state, &stored, sign_in) {
        return token;
    }
    let refresh_token = stored
        .refresh_token
        .as_deref()
        .and_then(|t| state.keys.tokens.decrypt(t).ok())
        .ok_or_else(sign_in)?;
    match state.oidc.refresh(&SecretString::from(refresh_token)).await {
        Ok(Renewed { tokens, roles }) => {
            if let Some(roles) = roles {
                keep_roles(state, user_id, &roles).await?;
            }
            save_tokens(state, user_id, &tokens).await?;
            Ok(AccessToken::from(tokens.access_token))
        }
        Err(
            e @ (SignInError::Refused(_)
            | SignInError::InvalidIdToken(_)
            | SignInError::OtherTenant(_)),
        ) => {
            forget_refused(state, user_id, &stored, &e).await?;
            Err(sign_in())
        }
        Err(e) => Err(AppError::Unexpected(
            anyhow::Error::new(e).context("renewing a Partner Center token"),
        )),
    }
}

/// Stores the roles of a renewal (sessions read them from the users table on each request).
///
/// # Errors
/// [`AppError::AccessRevoked`] (the tokens deleted) when no Spendboard role is left; the
/// database's.
async fn keep_roles(state: &AppState, user_id: UserId, roles: &[String]) -> Result<(), AppError> {
    state.store.set_user_roles(user_id, roles).await?;
    if Access::from_roles(roles, &state.settings.roles).is_none() {
        tracing::info!(%user_id, "the user lost every Spendboard role; signed out");
        state.store.delete_tokens(user_id).await?;
        return Err(AppError::AccessRevoked);
    }
    Ok(())
}

/// Deletes the `stored` tokens whose renewal was refused, unless newer ones were saved
/// meanwhile.
///
/// # Errors
/// The database's.
async fn forget_refused(
    state: &AppState,
    user_id: UserId,
    stored: &StoredTokens,
    error: &SignInError,
) -> Result<(), AppError> {
    tracing::info!(
        %user_id,
        reason = %crate::telemetry::untrusted(&error.to_string()),
        "token renewal refused; the user signs in again"
    );
    if !state
        .store
        .delete_tokens_if_unchanged(user_id, stored)
        .await?
    {
        tracing::info!(%user_id, "newer tokens were saved meanwhile; they are kept");
    }
    Ok(())
}
