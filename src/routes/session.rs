//! The session of a request (actix-session's, kept in the database by
//! [`super::session_store::DbSessionStore`]) and the extractor for the signed-in user.

use std::future::{Ready, ready};
use std::pin::Pin;

use actix_session::{Session, SessionExt as _};
use actix_web::dev::Payload;
use actix_web::web;
use actix_web::{FromRequest, HttpRequest};
use chrono::Utc;

use super::session_store::{SESSION_ROLES, SESSION_USER as USER};
use crate::auth::{Access, SessionUser};
use crate::error::AppError;
use crate::state::AppState;

const FLASH: &str = "flash";

/// Typed access to the session.
pub struct TypedSession(pub Session);

impl TypedSession {
    /// Starts a signed-in session under a NEW session id (against session fixation).
    pub fn sign_in(&self, user: &SessionUser) -> Result<(), AppError> {
        self.0.renew();
        self.0
            .insert(USER, user)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))
    }

    /// Stores changes to the signed-in user (a changed role, the idle expiry moved on).
    pub fn update_user(&self, user: &SessionUser) -> Result<(), AppError> {
        self.0
            .insert(USER, user)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))
    }

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<SessionUser> {
        self.0.get(USER).ok().flatten()
    }

    /// The signed-in user's roles as the database holds them now, read with the session
    /// (see [`SESSION_ROLES`]); `None` when the load did not find them.
    fn current_roles(&self) -> Option<Vec<String>> {
        self.0.get(SESSION_ROLES).ok().flatten()
    }

    /// Ends the session (the server-side row is deleted).
    pub fn sign_out(&self) {
        self.0.purge();
    }

    /// A message shown once on the next page.
    pub fn flash(&self, message: &str) {
        let _ = self.0.insert(FLASH, message);
    }

    /// Takes the flash message, if any. Without one the session is left unchanged, so a page
    /// view does not write the session (nor slide its expiry).
    pub fn take_flash(&self) -> Option<String> {
        if !self.0.contains_key(FLASH) {
            return None;
        }
        self.0.remove_as::<String>(FLASH).and_then(Result::ok)
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.get_session())))
    }
}

/// How often a request moves the session's idle expiry (by writing `last_seen`): at most once
/// in this many seconds, so page views do not write the session each time.
const TOUCH_EVERY_SECONDS: i64 = 5 * 60;

/// Extracts the signed-in user, or sends the browser to sign-in (coming back to this path).
///
/// On every request it also ends the session when it is older than
/// `security.session_absolute_hours`, and reads the user's roles from the database (renewed
/// with every token renewal): without any Spendboard role left, the session ends with the
/// no-access page; a changed role applies at once.
pub struct CurrentUser(pub SessionUser);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = TypedSession(req.get_session());
        let user = session.user();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let return_to = if req.method() == actix_web::http::Method::GET {
            req.uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into())
        } else {
            "/".into()
        };
        Box::pin(async move {
            let sign_in = || AppError::SignInRequired {
                return_to: return_to.clone(),
            };
            let Some(mut user) = user else {
                return Err(sign_in());
            };
            let Some(state) = state else {
                return Ok(Self(user));
            };
            let now = Utc::now().timestamp();
            let absolute = i64::from(state.settings.security.session_absolute_hours) * 3600;
            if now - user.signed_in_at >= absolute {
                tracing::info!(user = %user.id, "session ended: older than the absolute lifetime");
                session.sign_out();
                return Err(sign_in());
            }
            let roles = match session.current_roles() {
                Some(roles) => roles,
                // A session saved before sessions named their user, or a user no longer
                // known: ask the database directly.
                None => match state.store.user(user.id).await? {
                    Some(stored) => stored.roles,
                    None => {
                        session.sign_out();
                        return Err(sign_in());
                    }
                },
            };
            let Some(access) = Access::from_roles(&roles, &state.settings.roles) else {
                return Err(AppError::AccessRevoked);
            };
            let changed = access != user.access;
            if changed || now - user.last_seen >= TOUCH_EVERY_SECONDS {
                user.access = access;
                user.last_seen = now;
                session.update_user(&user)?;
            }
            Ok(Self(user))
        })
    }
}
