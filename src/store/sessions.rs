//! `sessions`: server-side web sessions shared by every instance, as an actix-session
//! [`SessionStore`]. Deleting a row ends the session everywhere, for good: a request still in
//! flight when its session was deleted (signed out) or expired never writes it back.
//!
//! Rows are keyed by the SHA-256 of the cookie's key, so a copy of the table opens no session.
//!
//! Each row also names its signed-in user (`user_id`, from the state's [`SESSION_USER`] entry),
//! so that loading a session reads that user's current roles in the same statement: the loaded
//! state then holds them under [`SESSION_ROLES`] (a JSON array of role values, never saved).
//! A request thus knows the session and the roles it must check with one database round trip.

use std::collections::HashMap;

use actix_session::storage::{
    LoadError, SaveError, SessionKey, SessionStore, UpdateError, generate_session_key,
};
use actix_web::cookie::time::Duration;
use chrono::{DateTime, TimeDelta, Utc};

use super::values::stored_time;
use super::{Store, StoreError, on_pool};
use crate::domain::UserId;

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

/// actix-session storage in Spendboard's database: the cookie holds only a random
/// 64-character key, the state stays server-side as JSON, and a session expires after its
/// TTL even if the cookie lives on.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Store,
}

impl DbSessionStore {
    /// Sessions kept in `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// What the database keeps for a cookie's session key: its SHA-256, in hex.
fn hashed(key: &SessionKey) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.as_ref().as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// When a session given `ttl` from now expires.
fn expiry(ttl: &Duration) -> DateTime<Utc> {
    stored_time(Utc::now()) + TimeDelta::seconds(ttl.whole_seconds())
}

impl Store {
    /// The state of an unexpired session, and the current roles of its user (the
    /// `users.roles` JSON text; `None` without a known user).
    async fn load_session(
        &self,
        key: &str,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let state = on_pool!(self, pool => {
            sqlx::query_as(
                "select s.state, u.roles from sessions s left join users u on u.id = s.user_id \
                 where s.session_key = $1 and s.expires_at > $2",
            )
            .bind(key)
            .bind(stored_time(Utc::now()))
            .fetch_optional(pool)
            .await?
        });
        Ok(state)
    }

    /// Stores a new session; `false` if the key is taken.
    async fn insert_session(
        &self,
        key: &str,
        state: &str,
        user_id: Option<UserId>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = on_pool!(self, pool => {
            sqlx::query(
                "insert into sessions (session_key, state, expires_at, user_id) \
                 values ($1, $2, $3, $4) on conflict (session_key) do nothing",
            )
            .bind(key)
            .bind(state)
            .bind(expires_at)
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Replaces an unexpired session's state, user and expiry; `false` if there is none.
    async fn update_session(
        &self,
        key: &str,
        state: &str,
        user_id: Option<UserId>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            sqlx::query(
                "update sessions set state = $2, expires_at = $3, user_id = $5 \
                 where session_key = $1 and expires_at > $4",
            )
            .bind(key)
            .bind(state)
            .bind(expires_at)
            .bind(stored_time(Utc::now()))
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// Moves an unexpired session's expiry (an expired one stays expired).
    async fn set_session_expiry(
        &self,
        key: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "update sessions set expires_at = $2 where session_key = $1 and expires_at > $3",
            )
                .bind(key)
                .bind(expires_at)
                .bind(stored_time(Utc::now()))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes a session.
    async fn delete_session(&self, key: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("delete from sessions where session_key = $1")
                .bind(key)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// How many sessions are unexpired (across every instance).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn count_sessions(&self) -> Result<u64, StoreError> {
        let count: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("select count(*) from sessions where expires_at > $1")
                .bind(stored_time(Utc::now()))
                .fetch_one(pool)
                .await?
        });
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Deletes every expired session (they are already ignored when loaded); returns how
    /// many. Call it now and then, e.g. hourly.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn delete_expired_sessions(&self) -> Result<u64, StoreError> {
        let deleted = on_pool!(self, pool => {
            sqlx::query("delete from sessions where expires_at <= $1")
                .bind(stored_time(Utc::now()))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted)
    }
}

impl DbSessionStore {
    /// Stores `state` under a fresh random key.
    async fn save_new(
        &self,
        state: &SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let body = saved_body(state).map_err(|e| SaveError::Serialization(e.into()))?;
        let user_id = user_id_of(state);
        let expires_at = expiry(ttl);
        // A collision of 64 random alphanumerics is practically impossible; retry anyway
        // rather than overwrite someone's session.
        for _ in 0..3 {
            let key = generate_session_key();
            let inserted = self
                .store
                .insert_session(&hashed(&key), &body, user_id, expires_at)
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
        let Some((body, roles)) = self
            .store
            .load_session(&hashed(session_key))
            .await
            .map_err(|e| LoadError::Other(e.into()))?
        else {
            return Ok(None);
        };
        let mut state: SessionState =
            serde_json::from_str(&body).map_err(|e| LoadError::Deserialization(e.into()))?;
        if let Some(roles) = roles {
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
            .update_session(&hashed(&session_key), &body, user_id, expiry(ttl))
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
            .set_session_expiry(&hashed(session_key), expiry(ttl))
            .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        Ok(self.store.delete_session(&hashed(session_key)).await?)
    }
}
