//! The customer's writer lock: a lease row (`refresh_leases`, scope `budget:{customer}`), so
//! that budget edits of one customer are serialised across requests and instances alike, on
//! SQLite and PostgreSQL. The holder is unique per attempt, so two requests of one instance
//! never share it. While held, a task renews it; if the process dies, it expires after
//! [`TTL`] and the change it guarded is reconciled.

use std::time::Duration;

use chrono::TimeDelta;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::domain::CustomerId;
use crate::store::{LeaseScope, Store, StoreError};

/// How long the lease lasts without renewal.
const TTL: TimeDelta = TimeDelta::seconds(30);
/// How often the holder renews it.
const RENEW_EVERY: Duration = Duration::from_secs(10);
/// How often a waiting editor tries again.
const POLL: Duration = Duration::from_millis(50);

/// A held writer lock. Give it back with [`WriterLock::release`]; dropped without that, it
/// stops being renewed and expires after [`TTL`].
#[derive(Debug)]
pub struct WriterLock {
    store: Store,
    scope: LeaseScope,
    holder: String,
    renewal: JoinHandle<()>,
}

impl WriterLock {
    /// Takes the customer's lock, waiting up to `wait` for another holder to give it back.
    /// `None` when it stayed taken.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn acquire(
        store: &Store,
        customer: &CustomerId,
        instance_id: &str,
        wait: Duration,
    ) -> Result<Option<Self>, StoreError> {
        let scope = LeaseScope::Budget(*customer);
        let holder = crate::store::unique_holder(instance_id, "budget");
        let deadline = Instant::now() + wait;
        loop {
            if store.try_acquire_lease(scope, &holder, TTL).await? {
                return Ok(Some(Self::held(store.clone(), scope, holder)));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Takes the customer's lock if it is free now.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn try_acquire(
        store: &Store,
        customer: &CustomerId,
        instance_id: &str,
    ) -> Result<Option<Self>, StoreError> {
        Self::acquire(store, customer, instance_id, Duration::ZERO).await
    }

    fn held(store: Store, scope: LeaseScope, holder: String) -> Self {
        let renewal = {
            let (store, holder) = (store.clone(), holder.clone());
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(RENEW_EVERY).await;
                    match store.try_acquire_lease(scope, &holder, TTL).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::error!(%scope, "a budget writer lock was lost while held");
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(%scope, error = %e, "renewing a budget writer lock")
                        }
                    }
                }
            })
        };
        Self {
            store,
            scope,
            holder,
            renewal,
        }
    }

    /// Gives the lock back. A failure is logged: the lock then expires by itself.
    pub async fn release(self) {
        self.renewal.abort();
        if let Err(e) = self.store.release_lease(self.scope, &self.holder).await {
            tracing::warn!(scope = %self.scope, error = %e, "could not release a budget writer lock; it expires by itself");
        }
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        self.renewal.abort();
    }
}
