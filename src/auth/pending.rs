//! The sign-in in progress (state, nonce, PKCE verifier, where to go back to) between
//! `/auth/start` and `/auth/callback`: kept in a short-lived cookie, encrypted and
//! authenticated with a key derived from the secret key, scoped to the callback path. Nothing
//! is stored server-side for a visitor who has not signed in, so anonymous requests cannot
//! fill the database.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use chrono::Utc;

use super::PendingSignIn;
use crate::paths;

/// The cookie's name.
pub const PENDING_COOKIE: &str = "spendboard_sign_in";

/// How long a sign-in may take, from `/auth/start` to the callback.
pub const PENDING_TTL_SECONDS: i64 = 10 * 60;

/// The cookie carrying `pending`.
///
/// # Errors
/// When `pending` cannot be serialised (a bug).
pub fn pending_cookie(
    pending: &PendingSignIn,
    key: &Key,
    secure: bool,
) -> anyhow::Result<Cookie<'static>> {
    let value = serde_json::to_string(pending)?;
    let mut jar = CookieJar::new();
    jar.private_mut(key).add(
        Cookie::build(PENDING_COOKIE, value)
            .path(paths::AUTH_CALLBACK)
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(
                PENDING_TTL_SECONDS,
            ))
            .finish(),
    );
    jar.get(PENDING_COOKIE)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the sign-in cookie was not built"))
}

/// The cookie that deletes the pending sign-in in the browser.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build(PENDING_COOKIE, "")
        .path(paths::AUTH_CALLBACK)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

/// The request's pending sign-in, if its cookie is genuine and not older than
/// [`PENDING_TTL_SECONDS`].
pub fn read_pending(req: &HttpRequest, key: &Key) -> Option<PendingSignIn> {
    let cookie = req.cookie(PENDING_COOKIE)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie.into_owned());
    let opened = jar.private(key).get(PENDING_COOKIE)?;
    let pending: PendingSignIn = serde_json::from_str(opened.value()).ok()?;
    let age = Utc::now().timestamp() - pending.issued_at;
    (0..=PENDING_TTL_SECONDS).contains(&age).then_some(pending)
}
