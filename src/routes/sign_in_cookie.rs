//! The cookie carrying the sign-in in progress ([`PendingSignIn`]) between `/auth/start` and
//! `/auth/callback`: short-lived, encrypted and authenticated with the cookie key derived
//! from the secret key, scoped to the callback path. Nothing is stored server-side for a
//! visitor who has not signed in, so anonymous requests cannot fill the database.

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};

use crate::auth::{CookieKey, PENDING_TTL_SECONDS, PendingSignIn, unexpired_pending};
use crate::paths;

/// The cookie's name.
const PENDING_COOKIE: &str = "spendboard_sign_in";

/// The cookie carrying `pending`, encrypted with `key`.
///
/// # Errors
/// When `pending` cannot be serialised (a bug).
pub fn pending_cookie(
    pending: &PendingSignIn,
    key: &CookieKey,
    secure: bool,
) -> anyhow::Result<Cookie<'static>> {
    let value = serde_json::to_string(pending)?;
    let mut jar = CookieJar::new();
    jar.private_mut(&Key::from(key.as_bytes())).add(
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

/// The request's pending sign-in, if its cookie is genuine (opened with `key`) and not older
/// than [`PENDING_TTL_SECONDS`].
pub fn read_pending(req: &HttpRequest, key: &CookieKey) -> Option<PendingSignIn> {
    let cookie = req.cookie(PENDING_COOKIE)?;
    let mut jar = CookieJar::new();
    jar.add_original(cookie.into_owned());
    let opened = jar
        .private(&Key::from(key.as_bytes()))
        .get(PENDING_COOKIE)?;
    unexpired_pending(serde_json::from_str(opened.value()).ok()?)
}
