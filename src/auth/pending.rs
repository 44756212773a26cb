//! The sign-in in progress (state, nonce, PKCE verifier, where to go back to) between
//! `/auth/start` and `/auth/callback`, and how long it may take. The web edge carries it in a
//! short-lived encrypted cookie (`routes/sign_in_cookie.rs`), so nothing is stored
//! server-side for a visitor who has not signed in.

use chrono::Utc;

use super::PendingSignIn;

/// How long a sign-in may take, from `/auth/start` to the callback.
pub const PENDING_TTL_SECONDS: i64 = 10 * 60;

/// `pending` if it is not older than [`PENDING_TTL_SECONDS`] (nor issued in the future);
/// `None` otherwise.
pub fn unexpired_pending(pending: PendingSignIn) -> Option<PendingSignIn> {
    let age = Utc::now().timestamp() - pending.issued_at;
    (0..=PENDING_TTL_SECONDS).contains(&age).then_some(pending)
}
