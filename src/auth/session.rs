//! What Spendboard keeps in the (server-side) session, and the extractor for the signed-in
//! user.

use std::future::{Ready, ready};

use actix_session::{Session, SessionExt as _};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Access, CsrfToken};
use crate::error::AppError;

const USER: &str = "user";
const FLASH: &str = "flash";

/// The signed-in person, as kept in the session. Tokens are NOT here: they live encrypted in
/// the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    /// Entra object id.
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub access: Access,
    pub csrf: CsrfToken,
}

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

    /// The signed-in user, if any.
    pub fn user(&self) -> Option<SessionUser> {
        self.0.get(USER).ok().flatten()
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

/// Extracts the signed-in user, or sends the browser to sign-in (coming back to this path).
pub struct CurrentUser(pub SessionUser);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = TypedSession(req.get_session()).user();
        ready(match user {
            Some(user) => Ok(Self(user)),
            None => Err(AppError::SignInRequired {
                return_to: if req.method() == actix_web::http::Method::GET {
                    req.uri()
                        .path_and_query()
                        .map(|p| p.as_str().to_owned())
                        .unwrap_or_else(|| "/".into())
                } else {
                    "/".into()
                },
            }),
        })
    }
}
