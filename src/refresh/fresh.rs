//! "Ensure fresh": what a page does with the Partner Center data it shows. Data older than
//! the `refresh.stale_after_minutes` setting is stale: the page shows it and refreshes it in
//! the background; a customer's or subscription's details never read are fetched first.
//!
//! The Partner Center token is passed as a future, awaited only when a refresh starts, so a
//! page with fresh data never renews it. Its error type `E` is the caller's.

use std::future::Future;

use chrono::{DateTime, Duration, Utc};

use super::Refresher;
use crate::domain::{CustomerId, SubscriptionId};
use crate::partner_center::AccessToken;
use crate::store::{
    CustomerUsageSummaryRow, DashboardTotals, LeaseScope, RunStatus, StoreError,
    SubscriptionSummary,
};

/// Why a page has no fresh data to show.
#[derive(Debug, thiserror::Error)]
pub enum FreshError<E> {
    /// The page's Partner Center token could not be had.
    #[error("no Partner Center token")]
    Token(E),
    /// Reading the stored data failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The first fetch, or starting the partner-wide refresh, failed (a
    /// `PartnerCenterError` can be downcast).
    #[error(transparent)]
    Fetch(anyhow::Error),
}

/// What [`Refresher::ensure_partner_fresh`] did.
#[derive(Debug)]
pub enum PartnerFreshness<E> {
    /// The data is fresh, or a refresh runs already.
    Unchanged,
    /// The data is stale: a partner-wide refresh started in the background.
    Started,
    /// The data is stale, but the token could not be had (`E`): there is stored data to show
    /// as it is.
    NotRefreshed(E),
}

/// The details of one customer or one subscription, as their own refresh fetches them.
#[derive(Debug, Clone, Copy)]
enum Details {
    Customer(CustomerId),
    Subscription(CustomerId, SubscriptionId),
}

impl Details {
    /// The refresh's lease scope (one refresh of these details at a time).
    fn scope(self) -> LeaseScope {
        match self {
            Self::Customer(customer) => LeaseScope::Customer(customer),
            Self::Subscription(customer, subscription) => {
                LeaseScope::Subscription(customer, subscription)
            }
        }
    }

    async fn fetch(self, refresher: &Refresher, token: &AccessToken) -> anyhow::Result<()> {
        match self {
            Self::Customer(customer) => refresher.refresh_customer(token, &customer).await,
            Self::Subscription(customer, subscription) => {
                (refresher.refresh_subscription(token, &customer, &subscription)).await
            }
        }
    }
}

impl Refresher {
    /// How old stored data may be before it is stale (the `refresh.stale_after_minutes`
    /// setting).
    pub fn stale_after(&self) -> Duration {
        Duration::minutes(self.stale_after_minutes)
    }

    /// Whether data read at `fetched_at` is stale now; data never read (`None`) is.
    pub fn is_stale(&self, fetched_at: Option<DateTime<Utc>>) -> bool {
        fetched_at.is_none_or(|at| Utc::now() - at > self.stale_after())
    }

    /// Starts a background partner-wide refresh when the dashboard's data (`totals`) is stale
    /// and no refresh runs (`status`).
    ///
    /// # Errors
    /// [`FreshError::Token`] when the token cannot be had and there is no stored data to
    /// show; [`FreshError::Fetch`] when the refresh cannot be started.
    pub async fn ensure_partner_fresh<E>(
        &self,
        status: &RunStatus,
        totals: &DashboardTotals,
        token: impl Future<Output = Result<AccessToken, E>>,
    ) -> Result<PartnerFreshness<E>, FreshError<E>> {
        if !self.is_stale(totals.oldest_fetched_at) || status.is_running() {
            return Ok(PartnerFreshness::Unchanged);
        }
        match token.await {
            Ok(token) => {
                let stale_after = Some(self.stale_after());
                self.spawn_partner_refresh_unless_fresh(token, stale_after)
                    .await
                    .map_err(FreshError::Fetch)?;
                Ok(PartnerFreshness::Started)
            }
            Err(e) if totals.customers > 0 => Ok(PartnerFreshness::NotRefreshed(e)),
            Err(e) => Err(FreshError::Token(e)),
        }
    }

    /// The stored details (`read`): refreshed in the background (single-flight) when
    /// `needs_refresh` says so; fetched first when none are stored, then read again (`None`
    /// only if they were not stored).
    async fn ensure_fresh<T, E>(
        &self,
        details: Details,
        read: impl AsyncFn() -> Result<Option<T>, StoreError>,
        needs_refresh: impl FnOnce(&T) -> bool,
        token: impl Future<Output = Result<AccessToken, E>>,
    ) -> Result<Option<T>, FreshError<E>> {
        if let Some(stored) = read().await? {
            if needs_refresh(&stored) {
                let token = token.await.map_err(FreshError::Token)?;
                self.spawn_single_flight(details.scope(), move |refresher| async move {
                    details.fetch(&refresher, &token).await
                });
            }
            return Ok(Some(stored));
        }
        let token = token.await.map_err(FreshError::Token)?;
        details
            .fetch(self, &token)
            .await
            .map_err(FreshError::Fetch)?;
        Ok(read().await?)
    }

    /// The customer's usage summary for the billing period (its subscriptions' usage is
    /// stored with it): fetched first when Spendboard has none; refreshed in the background
    /// when stale if `when_stale`.
    ///
    /// # Errors
    /// See [`FreshError`].
    pub async fn customer_summary<E>(
        &self,
        customer: CustomerId,
        when_stale: bool,
        token: impl Future<Output = Result<AccessToken, E>>,
    ) -> Result<Option<CustomerUsageSummaryRow>, FreshError<E>> {
        self.ensure_fresh(
            Details::Customer(customer),
            async || self.store.customer_usage_summary(&customer).await,
            |summary| when_stale && self.is_stale(Some(summary.fetched_at)),
            token,
        )
        .await
    }

    /// The subscription's summary (its resources, meters and daily utilization are stored
    /// with it): fetched first when Spendboard has none; refreshed in the background when
    /// stale, or when a legacy subscription's daily quantities were not available yet.
    ///
    /// # Errors
    /// See [`FreshError`].
    pub async fn subscription_summary<E>(
        &self,
        customer: CustomerId,
        subscription: SubscriptionId,
        token: impl Future<Output = Result<AccessToken, E>>,
    ) -> Result<Option<SubscriptionSummary>, FreshError<E>> {
        self.ensure_fresh(
            Details::Subscription(customer, subscription),
            async || {
                self.store
                    .subscription_summary(&customer, &subscription)
                    .await
            },
            |summary| {
                let incomplete = summary.is_legacy && summary.utilization_fetched_at.is_none();
                incomplete || self.is_stale(Some(summary.fetched_at))
            },
            token,
        )
        .await
    }
}
