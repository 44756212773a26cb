//! `users` and `user_tokens`: who signed in, and their Partner Center tokens (ciphertext:
//! the caller encrypts before saving and decrypts after loading).

use chrono::{DateTime, Utc};

use super::values::stored_time;
use super::{Store, StoreError, on_pool};
use crate::domain::UserId;

/// A user as their last ID token described them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Entra object id (`oid` claim).
    pub id: UserId,
    /// Entra tenant id (`tid` claim).
    pub tenant_id: String,
    /// Display name (`name` claim).
    pub name: String,
    /// E-mail or UPN (`email` / `preferred_username` claim), when given.
    pub email: Option<String>,
    /// App roles (`roles` claim) as Entra named them.
    pub roles: Vec<String>,
}

/// A user's delegated Partner Center tokens, encrypted by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTokens {
    /// Encrypted access token.
    pub access_token: Vec<u8>,
    /// Encrypted refresh token, when one was issued.
    pub refresh_token: Option<Vec<u8>>,
    /// When the access token expires (UTC).
    pub expires_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: UserId,
    tenant_id: String,
    name: String,
    email: Option<String>,
    roles: String,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        let roles = serde_json::from_str(&row.roles)
            .map_err(|e| StoreError::InvalidValue(format!("roles of user {}: {e}", row.id)))?;
        Ok(Self {
            id: row.id,
            tenant_id: row.tenant_id,
            name: row.name,
            email: row.email,
            roles,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TokensRow {
    user_id: UserId,
    access_token: Vec<u8>,
    refresh_token: Option<Vec<u8>>,
    expires_at: DateTime<Utc>,
}

impl From<TokensRow> for StoredTokens {
    fn from(row: TokensRow) -> Self {
        Self {
            access_token: row.access_token,
            refresh_token: row.refresh_token,
            expires_at: row.expires_at,
        }
    }
}

impl Store {
    /// Inserts the user or updates their name, e-mail, roles and sign-in time.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip_all, fields(user_id = %user.id))]
    pub async fn upsert_user(
        &self,
        user: &User,
        signed_in_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let roles = serde_json::Value::from(user.roles.clone()).to_string();
        on_pool!(self, pool => {
            sqlx::query(
                "insert into users (id, tenant_id, name, email, roles, signed_in_at) \
                 values ($1, $2, $3, $4, $5, $6) \
                 on conflict (id) do update set tenant_id = excluded.tenant_id, \
                 name = excluded.name, email = excluded.email, roles = excluded.roles, \
                 signed_in_at = excluded.signed_in_at",
            )
            .bind(user.id)
            .bind(&user.tenant_id)
            .bind(&user.name)
            .bind(user.email.as_deref())
            .bind(&roles)
            .bind(stored_time(signed_in_at))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Replaces the user's app roles (from the ID token of a token renewal); `false` if there
    /// is no such user.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, roles))]
    pub async fn set_user_roles(&self, id: UserId, roles: &[String]) -> Result<bool, StoreError> {
        let roles = serde_json::Value::from(roles.to_vec()).to_string();
        let updated = on_pool!(self, pool => {
            sqlx::query("update users set roles = $2 where id = $1")
                .bind(id)
                .bind(&roles)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(updated == 1)
    }

    /// The user with this object id, if they ever signed in.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on_pool!(self, pool => {
            sqlx::query_as("select id, tenant_id, name, email, roles from users where id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(User::try_from).transpose()
    }

    /// Saves (replaces) the user's tokens. The user must exist ([`Store::upsert_user`]).
    ///
    /// # Errors
    /// [`StoreError::Database`], also when the user does not exist.
    #[tracing::instrument(skip(self, tokens))]
    pub async fn save_tokens(
        &self,
        user_id: UserId,
        tokens: &StoredTokens,
    ) -> Result<(), StoreError> {
        let now = stored_time(Utc::now());
        on_pool!(self, pool => {
            sqlx::query(
                "insert into user_tokens (user_id, access_token, refresh_token, expires_at, \
                 updated_at) values ($1, $2, $3, $4, $5) \
                 on conflict (user_id) do update set access_token = excluded.access_token, \
                 refresh_token = excluded.refresh_token, expires_at = excluded.expires_at, \
                 updated_at = excluded.updated_at",
            )
            .bind(user_id)
            .bind(tokens.access_token.as_slice())
            .bind(tokens.refresh_token.as_deref())
            .bind(stored_time(tokens.expires_at))
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The user's tokens, if any are saved.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn tokens(&self, user_id: UserId) -> Result<Option<StoredTokens>, StoreError> {
        let row: Option<TokensRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select user_id, access_token, refresh_token, expires_at from user_tokens \
                 where user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(StoredTokens::from))
    }

    /// Deletes the user's tokens (sign-out, revoked grant); `false` when there were none.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn delete_tokens(&self, user_id: UserId) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, pool => {
            sqlx::query("delete from user_tokens where user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// Deletes the user's tokens only if they are still `seen` (the same encrypted access
    /// token): a renewal refused on one instance must not delete the tokens another instance
    /// (or a new sign-in) just saved. `false` when they changed or were gone.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, seen))]
    pub async fn delete_tokens_if_unchanged(
        &self,
        user_id: UserId,
        seen: &StoredTokens,
    ) -> Result<bool, StoreError> {
        let deleted = on_pool!(self, pool => {
            sqlx::query("delete from user_tokens where user_id = $1 and access_token = $2")
                .bind(user_id)
                .bind(&seen.access_token)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// The tokens of the most recently signed-in user who has a refresh token, for a refresh
    /// that no page request started (scheduler, `spendboard refresh`): that user's id (save
    /// refreshed tokens back under it) and the tokens, whose `refresh_token` is `Some`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn latest_refreshable_tokens(
        &self,
    ) -> Result<Option<(UserId, StoredTokens)>, StoreError> {
        let row: Option<TokensRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select t.user_id, t.access_token, t.refresh_token, t.expires_at \
                 from user_tokens t join users u on u.id = t.user_id \
                 where t.refresh_token is not null \
                 order by u.signed_in_at desc, t.updated_at desc limit 1",
            )
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|row| (row.user_id, StoredTokens::from(row))))
    }
}
