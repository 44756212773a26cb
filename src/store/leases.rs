//! `refresh_leases`: single-flight refreshes across instances. A lease names a scope (e.g.
//! `partner`), its holder and when it expires; whoever holds an unexpired lease refreshes.

use std::fmt;

use chrono::{TimeDelta, Utc};
use uuid::Uuid;

use super::values::stored_time;
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, SubscriptionId, UserId};

/// What a lease is for: its `scope` in `refresh_leases` (and, for the partner-wide refresh,
/// in `refresh_runs`), written by [`fmt::Display`] alone so every writer agrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseScope {
    /// The partner-wide refresh and its runs: `partner`.
    Partner,
    /// Which instance runs the scheduled partner-wide refresh of a period: `schedule:partner`.
    Schedule,
    /// A refresh of one customer's details: `customer:{customer id}`.
    Customer(CustomerId),
    /// A refresh of one subscription's drill-down: `subscription:{customer id}:{subscription id}`.
    Subscription(CustomerId, SubscriptionId),
    /// The writer lock of a customer's budget: `budget:{customer id}`.
    Budget(CustomerId),
    /// The renewal of a user's delegated tokens: `token:{user id}`.
    Token(UserId),
    /// Applying a bulk budget change: `batch:{batch id}`.
    Batch(i64),
    /// Reading the rate cards (one read at a time across every instance): `rate-card`.
    RateCards,
}

impl fmt::Display for LeaseScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Partner => f.write_str("partner"),
            Self::Schedule => f.write_str("schedule:partner"),
            Self::Customer(customer) => write!(f, "customer:{customer}"),
            Self::Subscription(customer, subscription) => {
                write!(f, "subscription:{customer}:{subscription}")
            }
            Self::Budget(customer) => write!(f, "budget:{customer}"),
            Self::Token(user) => write!(f, "token:{user}"),
            Self::Batch(id) => write!(f, "batch:{id}"),
            Self::RateCards => f.write_str("rate-card"),
        }
    }
}

/// A lease holder unique to one attempt: the instance's id, what the lease is for (`run`,
/// `renew`...) and a random part. Unique, so that no instance takes over (or renews) the
/// lease of its own earlier attempt; readable, so that the table says who holds what.
pub fn unique_holder(instance_id: &str, purpose: &str) -> String {
    format!("{instance_id} {purpose} {}", Uuid::new_v4())
}

impl Store {
    /// Takes the lease on `scope` for `ttl` if it is free, expired, or already `holder`'s
    /// (then it is renewed). Returns `false` while another holder's lease is unexpired.
    /// Atomic on both databases: a single `INSERT ... ON CONFLICT DO UPDATE ... WHERE`, so of
    /// two instances racing for a free lease exactly one wins.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn try_acquire_lease(
        &self,
        scope: LeaseScope,
        holder: &str,
        ttl: TimeDelta,
    ) -> Result<bool, StoreError> {
        let now = stored_time(Utc::now());
        let expires_at = now + ttl;
        let taken = on_pool!(self, pool => {
            sqlx::query(
                "insert into refresh_leases (scope, holder, acquired_at, expires_at) \
                 values ($1, $2, $3, $4) \
                 on conflict (scope) do update set holder = excluded.holder, \
                 acquired_at = excluded.acquired_at, expires_at = excluded.expires_at \
                 where refresh_leases.expires_at <= excluded.acquired_at \
                 or refresh_leases.holder = excluded.holder",
            )
            .bind(scope.to_string())
            .bind(holder)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(taken == 1)
    }

    /// Extends `holder`'s lease on `scope` to `ttl` from now, if `holder` still holds it
    /// (expired or not, as long as nobody else took it); `false` when it was lost.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn renew_lease(
        &self,
        scope: LeaseScope,
        holder: &str,
        ttl: TimeDelta,
    ) -> Result<bool, StoreError> {
        let expires_at = stored_time(Utc::now()) + ttl;
        let renewed = on_pool!(self, pool => {
            sqlx::query("update refresh_leases set expires_at = $3 where scope = $1 and holder = $2")
                .bind(scope.to_string())
                .bind(holder)
                .bind(expires_at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(renewed == 1)
    }

    /// Gives the lease on `scope` back, if `holder` still holds it; `false` otherwise (it
    /// expired and someone else took it, or it was never taken).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn release_lease(&self, scope: LeaseScope, holder: &str) -> Result<bool, StoreError> {
        let released = on_pool!(self, pool => {
            sqlx::query("delete from refresh_leases where scope = $1 and holder = $2")
                .bind(scope.to_string())
                .bind(holder)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(released == 1)
    }
}
