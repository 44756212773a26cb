//! actix-session's storage of web sessions, in Spendboard's database ([`crate::store`]'s
//! `sessions`): the cookie holds only a random 64-character key, the state stays server-side
//! as JSON, and a session expires after its TTL even if the cookie lives on.
//!
//! The state names its signed-in user in the [`SESSION_USER`] entry, which the store keeps
//! beside the row (`user_id`), so that a load reads that user's current roles in the same
//! statement: the loaded state then holds them under [`SESSION_ROLES`] (a JSON array of role
//! values, never saved).

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;
use chrono::TimeDelta;

use crate::domain::UserId;
use crate::store::Store;

/// The session state actix-session keeps: string keys to JSON-encoded values.
type SessionState = HashMap<String, String>;

/// The state's entry holding the signed-in user: a JSON object whose `id` is the user's id
/// in `users`.
pub const SESSION_USER: &str = "user";

/// The entry a loaded state gets when its user is known: that user's roles as `users.roles`
/// holds them now (a JSON array of strings). Absent when the session has no user, when the
/// user is no longer in `users`, or for a session saved before sessions named their user.
pub const SESSION_ROLES: &str = "spendboard.roles";

/// The id of the state's signed-in user, if any.
fn user_id_of(state: &SessionState) -> Option<UserId> {
    let user: serde_json::Value = serde_json::from_str(state.get(SESSION_USER)?).ok()?;
    user.get("id")?.as_str()?.parse().ok()
}

/// The state as saved: `state` without the roles a load added.
fn saved_body(state: &SessionState) -> serde_json::Result<String> {
    let mut state = state.clone();
    state.remove(SESSION_ROLES);
    serde_json::to_string(&state)
}

/// actix-session's TTL as the store takes it (whole seconds).
fn ttl_of(ttl: &Duration) -> TimeDelta {
    TimeDelta::seconds(ttl.whole_seconds())
}

/// actix-session storage in Spendboard's database (see the module's documentation).
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Store,
}

impl DbSessionStore {
    /// Sessions kept in `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Stores `state` under a fresh random key.
    async fn save_new(
        &self,
        state: &SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let body = saved_body(state).map_err(|e| SaveError::Serialization(e.into()))?;
        let user_id = user_id_of(state);
        // A collision of 64 random alphanumerics is practically impossible; retry anyway
        // rather than overwrite someone's session.
        for _ in 0..3 {
            let key = generate_session_key();
            let inserted = self
                .store
                .insert_session(key.as_ref(), &body, user_id, ttl_of(ttl))
                .await
                .map_err(|e| SaveError::Other(e.into()))?;
            if inserted {
                return Ok(key);
            }
        }
        Err(SaveError::Other(anyhow::anyhow!(
            "no free session key after 3 attempts"
        )))
    }
}

impl SessionStore for DbSessionStore {
    #[tracing::instrument(skip_all)]
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let Some(stored) = self
            .store
            .load_session(session_key.as_ref())
            .await
            .map_err(|e| LoadError::Other(e.into()))?
        else {
            return Ok(None);
        };
        let mut state: SessionState = serde_json::from_str(&stored.state)
            .map_err(|e| LoadError::Deserialization(e.into()))?;
        if let Some(roles) = stored.roles {
            state.insert(SESSION_ROLES.to_owned(), roles);
        }
        Ok(Some(state))
    }

    #[tracing::instrument(skip_all)]
    async fn save(
        &self,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        self.save_new(&session_state, ttl).await
    }

    #[tracing::instrument(skip_all)]
    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let body = saved_body(&session_state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let user_id = user_id_of(&session_state);
        let updated = self
            .store
            .update_session(session_key.as_ref(), &body, user_id, ttl_of(ttl))
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        if !updated {
            // The session was deleted (signed out) or expired since this request loaded it:
            // it stays gone. Writing the request's copy back, under any key, would sign the
            // person in again. The cookie keeps the dead key, which opens nothing.
            tracing::debug!("a request finished after its session ended; not saved");
        }
        Ok(session_key)
    }

    #[tracing::instrument(skip_all)]
    async fn update_ttl(&self, session_key: &SessionKey, ttl: &Duration) -> anyhow::Result<()> {
        Ok(self
            .store
            .set_session_expiry(session_key.as_ref(), ttl_of(ttl))
            .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        Ok(self.store.delete_session(session_key.as_ref()).await?)
    }
}
