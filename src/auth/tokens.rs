//! Each user's delegated Partner Center tokens: kept server-side, encrypted at rest, renewed
//! with the refresh token a few minutes before they expire.

use chrono::{Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::{Access, Auth, DelegatedTokens, Renewed, SignInError};
use crate::domain::UserId;
use crate::partner_center::AccessToken;
use crate::store::{LeaseScope, StoreError, StoredTokens};

/// Tokens expiring sooner than this are renewed before use.
const RENEW_BEFORE_EXPIRY: Duration = Duration::minutes(5);

/// How long a token renewal holds its user's lock at most (a crashed holder's lock expires).
const RENEWAL_LEASE: Duration = Duration::seconds(60);

/// How long a request waits for another request's renewal of the same user's token.
const RENEWAL_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Why no delegated token can be given.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// There is no stored token, it cannot be decrypted, or the identity provider refused to
    /// renew it (expired or revoked): the user must sign in again.
    #[error("the Partner Center sign-in is missing or can no longer be renewed")]
    SignInRequired,
    /// The renewal found that the user has no Spendboard role left; their tokens are deleted.
    #[error("the user has no Spendboard role any more")]
    AccessRevoked,
    /// Another request has been renewing this user's token for longer than 30 s.
    #[error("the token is being renewed by another request")]
    RenewalBusy,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Encryption failed, or the identity provider could not be reached while renewing.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Auth {
    /// Encrypts and stores a user's tokens.
    ///
    /// # Errors
    /// [`TokenError::Store`] or, for encryption, [`TokenError::Unexpected`].
    pub async fn save_tokens(
        &self,
        user_id: UserId,
        tokens: &DelegatedTokens,
    ) -> Result<(), TokenError> {
        let refresh_token = match &tokens.refresh_token {
            Some(t) => Some(self.cipher.encrypt(t.expose_secret())?),
            None => None,
        };
        let stored = StoredTokens {
            access_token: self.cipher.encrypt(tokens.access_token.expose_secret())?,
            refresh_token,
            expires_at: tokens.expires_at,
        };
        self.store.save_tokens(user_id, &stored).await?;
        Ok(())
    }

    /// A valid delegated Partner Center access token for `user_id`, renewed if it expires
    /// within five minutes.
    ///
    /// # Errors
    /// [`TokenError::SignInRequired`] when there is no token, it cannot be decrypted, or the
    /// identity provider refuses to renew it; [`TokenError::AccessRevoked`] when the renewal
    /// shows no Spendboard role; [`TokenError::RenewalBusy`] after waiting 30 s for another
    /// request's renewal; the database's.
    pub async fn delegated_token(&self, user_id: UserId) -> Result<AccessToken, TokenError> {
        if let Some(token) = self.valid_token(user_id).await? {
            return Ok(token);
        }
        // One renewal per user at a time, across every instance: refresh tokens rotate, so a
        // second concurrent renewal with the same refresh token would be refused. The lock is
        // a lease in the database (`token:{user}`); whoever waits for it reads the tokens
        // again, usually finding those the holder just saved.
        let scope = LeaseScope::Token(user_id);
        let holder = crate::store::unique_holder(&self.instance_id, "renew");
        if let Some(token) = self.lock_or_renewed(user_id, scope, &holder).await? {
            return Ok(token);
        }
        let renewed = self.renew_holding_the_lock(user_id).await;
        if let Err(e) = self.store.release_lease(scope, &holder).await {
            tracing::warn!(%user_id, error = %e, "token renewal lock not released (it expires)");
        }
        renewed
    }

    /// The stored access token of `user_id` if it is valid for a while yet; `None` when it
    /// expires soon.
    async fn valid_token(&self, user_id: UserId) -> Result<Option<AccessToken>, TokenError> {
        let Some(stored) = self.store.tokens(user_id).await? else {
            return Err(TokenError::SignInRequired);
        };
        self.still_valid(&stored).transpose()
    }

    /// The access token of `stored` if it is valid for a while yet (an error when it cannot
    /// be decrypted); `None` when it expires soon.
    fn still_valid(&self, stored: &StoredTokens) -> Option<Result<AccessToken, TokenError>> {
        (stored.expires_at > Utc::now() + RENEW_BEFORE_EXPIRY).then(|| {
            let token = self.cipher.decrypt(&stored.access_token);
            token
                .map(AccessToken::new)
                .map_err(|_| TokenError::SignInRequired)
        })
    }

    /// Waits for the renewal lock of `user_id` (`None` once held by `holder`), or for the
    /// token another request renewed meanwhile.
    async fn lock_or_renewed(
        &self,
        user_id: UserId,
        scope: LeaseScope,
        holder: &str,
    ) -> Result<Option<AccessToken>, TokenError> {
        let waited_since = std::time::Instant::now();
        loop {
            if self
                .store
                .try_acquire_lease(scope, holder, RENEWAL_LEASE)
                .await?
            {
                return Ok(None);
            }
            if let Some(token) = self.valid_token(user_id).await? {
                return Ok(Some(token));
            }
            if waited_since.elapsed() > RENEWAL_WAIT {
                return Err(TokenError::RenewalBusy);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// The renewal itself, under the user's lock: reads the tokens again (another instance
    /// may have renewed them meanwhile), renews them with the refresh token, and saves them.
    /// A refused renewal deletes the tokens only if they are still those that were refused.
    async fn renew_holding_the_lock(&self, user_id: UserId) -> Result<AccessToken, TokenError> {
        let Some(stored) = self.store.tokens(user_id).await? else {
            return Err(TokenError::SignInRequired);
        };
        if let Some(token) = self.still_valid(&stored) {
            return token;
        }
        let refresh_token = stored
            .refresh_token
            .as_deref()
            .and_then(|t| self.cipher.decrypt(t).ok())
            .ok_or(TokenError::SignInRequired)?;
        match self.oidc.refresh(&SecretString::from(refresh_token)).await {
            Ok(Renewed { tokens, roles }) => {
                if let Some(roles) = roles {
                    self.keep_roles(user_id, &roles).await?;
                }
                self.save_tokens(user_id, &tokens).await?;
                Ok(AccessToken::from(tokens.access_token))
            }
            Err(
                e @ (SignInError::Refused(_)
                | SignInError::InvalidIdToken(_)
                | SignInError::OtherTenant(_)),
            ) => {
                self.forget_refused(user_id, &stored, &e).await?;
                Err(TokenError::SignInRequired)
            }
            Err(e) => Err(anyhow::Error::new(e)
                .context("renewing a Partner Center token")
                .into()),
        }
    }

    /// Stores the roles of a renewal (sessions read them from the users table on each
    /// request); [`TokenError::AccessRevoked`] (the tokens deleted) when no Spendboard role
    /// is left.
    async fn keep_roles(&self, user_id: UserId, roles: &[String]) -> Result<(), TokenError> {
        self.store.set_user_roles(user_id, roles).await?;
        if Access::from_roles(roles, &self.roles).is_none() {
            tracing::info!(%user_id, "the user lost every Spendboard role; signed out");
            self.store.delete_tokens(user_id).await?;
            return Err(TokenError::AccessRevoked);
        }
        Ok(())
    }

    /// Deletes the `stored` tokens whose renewal was refused, unless newer ones were saved
    /// meanwhile.
    async fn forget_refused(
        &self,
        user_id: UserId,
        stored: &StoredTokens,
        error: &SignInError,
    ) -> Result<(), TokenError> {
        tracing::info!(
            %user_id,
            reason = %crate::telemetry::untrusted(&error.to_string()),
            "token renewal refused; the user signs in again"
        );
        if !self
            .store
            .delete_tokens_if_unchanged(user_id, stored)
            .await?
        {
            tracing::info!(%user_id, "newer tokens were saved meanwhile; they are kept");
        }
        Ok(())
    }
}
