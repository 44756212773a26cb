//! `sessions`: server-side web sessions shared by every instance (the web edge's session
//! storage, `routes/session_store.rs`, keeps them here). Deleting a row ends the session
//! everywhere, for good: a request still in flight when its session was deleted (signed out)
//! or expired never writes it back (an update changes only an unexpired row).
//!
//! Rows are keyed by the SHA-256 of the session key the cookie holds, so a copy of the table
//! opens no session.
//!
//! Each row also names its signed-in user (`user_id`), so that loading a session reads that
//! user's current roles in the same statement: a request thus knows the session and the roles
//! it must check with one database round trip.

use chrono::{DateTime, TimeDelta, Utc};

use super::values::stored_time;
use super::{Store, StoreError, on_pool};
use crate::domain::UserId;

/// An unexpired session as loaded.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// The session's state as saved (JSON text).
    pub state: String,
    /// The current roles of the session's user as `users.roles` holds them (JSON text); `None`
    /// when the session names no user or one no longer in `users`.
    pub roles: Option<String>,
}

/// What the database keeps for a cookie's session key: its SHA-256, in hex.
fn hashed(key: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// When a session given `ttl` from now expires.
fn expiry(ttl: TimeDelta) -> DateTime<Utc> {
    stored_time(Utc::now()) + ttl
}

impl Store {
    /// The unexpired session of the session key `key`, with its user's current roles.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn load_session(&self, key: &str) -> Result<Option<StoredSession>, StoreError> {
        let row: Option<(String, Option<String>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select s.state, u.roles from sessions s left join users u on u.id = s.user_id \
                 where s.session_key = $1 and s.expires_at > $2",
            )
            .bind(hashed(key))
            .bind(stored_time(Utc::now()))
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(state, roles)| StoredSession { state, roles }))
    }

    /// Stores a new session under the session key `key`: its `state` (JSON text), its
    /// signed-in user, expiring `ttl` from now; `false` if the key is taken.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn insert_session(
        &self,
        key: &str,
        state: &str,
        user_id: Option<UserId>,
        ttl: TimeDelta,
    ) -> Result<bool, StoreError> {
        let inserted = on_pool!(self, pool => {
            sqlx::query(
                "insert into sessions (session_key, state, expires_at, user_id) \
                 values ($1, $2, $3, $4) on conflict (session_key) do nothing",
            )
            .bind(hashed(key))
            .bind(state)
            .bind(expiry(ttl))
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Replaces the state, the user and the expiry (`ttl` from now) of the unexpired session
    /// of `key`; `false` if there is none (an expired or deleted session stays gone).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn update_session(
        &self,
        key: &str,
        state: &str,
        user_id: Option<UserId>,
        ttl: TimeDelta,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            sqlx::query(
                "update sessions set state = $2, expires_at = $3, user_id = $5 \
                 where session_key = $1 and expires_at > $4",
            )
            .bind(hashed(key))
            .bind(state)
            .bind(expiry(ttl))
            .bind(stored_time(Utc::now()))
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// Moves the expiry of the unexpired session of `key` to `ttl` from now (an expired one
    /// stays expired).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_session_expiry(&self, key: &str, ttl: TimeDelta) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "update sessions set expires_at = $2 where session_key = $1 and expires_at > $3",
            )
                .bind(hashed(key))
                .bind(expiry(ttl))
                .bind(stored_time(Utc::now()))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes the session of `key`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_session(&self, key: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("delete from sessions where session_key = $1")
                .bind(hashed(key))
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
