//! A customer's details for its page: `subscription_usage` (each subscription's monthly
//! usage record) and `customer_usage_summary` (the billing period's summary).

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;

use super::values::{
    DbDecimal, db_money, money, parse_currency, parse_customer_id, stored_time, usd,
};
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, Money};

/// One subscription's usage of the billing period, from Partner Center's
/// SubscriptionMonthlyUsageRecord (`GET /v1/customers/{id}/subscriptions/usagerecords`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionUsage {
    /// The customer owning the subscription.
    pub customer_id: CustomerId,
    /// The subscription id exactly as Partner Center gives it.
    pub subscription_id: String,
    /// The subscription's friendly name.
    pub name: String,
    /// The offer id (e.g. `MS-AZR-0145P`, or the Azure plan's offer).
    pub offer_id: String,
    /// Partner Center's subscription status, e.g. `active` (kept as given).
    pub status: String,
    /// Spend of the billing period so far, exact.
    pub total_cost: Money,
    /// The same in USD, when Partner Center gives it.
    pub usd_total_cost: Option<Money>,
    /// Partner Center's `lastModifiedDate` (UTC).
    pub last_modified: DateTime<Utc>,
    /// When Spendboard read it (UTC).
    pub fetched_at: DateTime<Utc>,
}

/// A customer's usage summary for the billing period, from Partner Center's
/// CustomerUsageSummary (`GET /v1/customers/{id}/usagesummary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerUsageSummaryRow {
    /// The customer.
    pub customer_id: CustomerId,
    /// Start of the billing period (UTC).
    pub billing_start: DateTime<Utc>,
    /// End of the billing period (UTC).
    pub billing_end: DateTime<Utc>,
    /// Spend of the billing period so far, exact, in the customer's billing currency.
    pub total_cost: Money,
    /// The same spend in USD, when Partner Center gives it.
    pub usd_total_cost: Option<Money>,
    /// The spending budget, in the billing currency; `None` when none is set.
    pub budget: Option<Money>,
    /// Partner Center's `lastModifiedDate` (UTC).
    pub last_modified: DateTime<Utc>,
    /// When Spendboard read it (UTC).
    pub fetched_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct SubscriptionUsageRow {
    customer_id: String,
    subscription_id: String,
    name: String,
    offer_id: String,
    status: String,
    total_cost: DbDecimal,
    usd_total_cost: Option<DbDecimal>,
    currency: String,
    last_modified: DateTime<Utc>,
    fetched_at: DateTime<Utc>,
}

impl TryFrom<SubscriptionUsageRow> for SubscriptionUsage {
    type Error = StoreError;
    fn try_from(row: SubscriptionUsageRow) -> Result<Self, StoreError> {
        Ok(Self {
            customer_id: parse_customer_id(&row.customer_id)?,
            subscription_id: row.subscription_id,
            name: row.name,
            offer_id: row.offer_id,
            status: row.status,
            total_cost: money(row.total_cost, &parse_currency(&row.currency)?),
            usd_total_cost: usd(row.usd_total_cost),
            last_modified: row.last_modified,
            fetched_at: row.fetched_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CustomerSummaryRecord {
    customer_id: String,
    billing_start: DateTime<Utc>,
    billing_end: DateTime<Utc>,
    total_cost: DbDecimal,
    currency: String,
    usd_total_cost: Option<DbDecimal>,
    budget: Option<DbDecimal>,
    last_modified: DateTime<Utc>,
    fetched_at: DateTime<Utc>,
}

impl TryFrom<CustomerSummaryRecord> for CustomerUsageSummaryRow {
    type Error = StoreError;
    fn try_from(row: CustomerSummaryRecord) -> Result<Self, StoreError> {
        let currency = parse_currency(&row.currency)?;
        Ok(Self {
            customer_id: parse_customer_id(&row.customer_id)?,
            billing_start: row.billing_start,
            billing_end: row.billing_end,
            total_cost: money(row.total_cost, &currency),
            usd_total_cost: usd(row.usd_total_cost),
            budget: row.budget.map(|b| money(b, &currency)),
            last_modified: row.last_modified,
            fetched_at: row.fetched_at,
        })
    }
}

/// Rows per INSERT (10 parameters each).
const INSERT_BATCH: usize = 1000;

impl Store {
    /// Replaces the customer's subscription usage with `usage`, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::InvalidArgument`] when a row belongs to another customer (nothing is
    /// written), [`StoreError::Database`].
    #[tracing::instrument(skip(self, usage), fields(rows = usage.len()))]
    pub async fn replace_subscription_usage(
        &self,
        customer_id: &CustomerId,
        usage: &[SubscriptionUsage],
    ) -> Result<(), StoreError> {
        if let Some(other) = usage.iter().find(|u| u.customer_id != *customer_id) {
            return Err(StoreError::InvalidArgument(format!(
                "subscription {} belongs to customer {}, not {customer_id}",
                other.subscription_id, other.customer_id
            )));
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("delete from subscription_usage where customer_id = $1")
                .bind(customer_id.to_string())
                .execute(&mut *tx)
                .await?;
            for batch in usage.chunks(INSERT_BATCH) {
                let mut insert = QueryBuilder::new(
                    "insert into subscription_usage (customer_id, subscription_id, name, \
                     offer_id, status, total_cost, usd_total_cost, currency, last_modified, \
                     fetched_at) ",
                );
                insert.push_values(batch, |mut row, u| {
                    row.push_bind(u.customer_id.to_string())
                        .push_bind(u.subscription_id.clone())
                        .push_bind(u.name.clone())
                        .push_bind(u.offer_id.clone())
                        .push_bind(u.status.clone())
                        .push_bind(DbDecimal(u.total_cost.amount()))
                        .push_bind(db_money(u.usd_total_cost.as_ref()))
                        .push_bind(u.total_cost.currency().code().to_owned())
                        .push_bind(stored_time(u.last_modified))
                        .push_bind(stored_time(u.fetched_at));
                });
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The customer's subscription usage, by name then subscription id.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn subscription_usage(
        &self,
        customer_id: &CustomerId,
    ) -> Result<Vec<SubscriptionUsage>, StoreError> {
        let rows: Vec<SubscriptionUsageRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select customer_id, subscription_id, name, offer_id, status, total_cost, \
                 usd_total_cost, currency, last_modified, fetched_at from subscription_usage \
                 where customer_id = $1 order by name, subscription_id",
            )
            .bind(customer_id.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(SubscriptionUsage::try_from).collect()
    }

    /// Saves (inserts or replaces) the customer's usage summary.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip_all, fields(customer_id = %summary.customer_id))]
    pub async fn save_customer_usage_summary(
        &self,
        summary: &CustomerUsageSummaryRow,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "insert into customer_usage_summary (customer_id, billing_start, billing_end, \
                 total_cost, currency, usd_total_cost, budget, last_modified, fetched_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 on conflict (customer_id) do update set billing_start = excluded.billing_start, \
                 billing_end = excluded.billing_end, total_cost = excluded.total_cost, \
                 currency = excluded.currency, usd_total_cost = excluded.usd_total_cost, \
                 budget = excluded.budget, last_modified = excluded.last_modified, \
                 fetched_at = excluded.fetched_at",
            )
            .bind(summary.customer_id.to_string())
            .bind(stored_time(summary.billing_start))
            .bind(stored_time(summary.billing_end))
            .bind(DbDecimal(summary.total_cost.amount()))
            .bind(summary.total_cost.currency().code())
            .bind(db_money(summary.usd_total_cost.as_ref()))
            .bind(db_money(summary.budget.as_ref()))
            .bind(stored_time(summary.last_modified))
            .bind(stored_time(summary.fetched_at))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The customer's usage summary, if it was saved.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn customer_usage_summary(
        &self,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerUsageSummaryRow>, StoreError> {
        let row: Option<CustomerSummaryRecord> = on_pool!(self, pool => {
            sqlx::query_as(
                "select customer_id, billing_start, billing_end, total_cost, currency, \
                 usd_total_cost, budget, last_modified, fetched_at from customer_usage_summary \
                 where customer_id = $1",
            )
            .bind(customer_id.to_string())
            .fetch_optional(pool)
            .await?
        });
        row.map(CustomerUsageSummaryRow::try_from).transpose()
    }
}
