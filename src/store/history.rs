//! `daily_usage`: a customer's period-to-date spend, one row per UTC day, kept for ever.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;

use super::values::{DbDecimal, money, parse_currency, parse_customer_id, stored_time};
use super::{Store, StoreError, on_pool};
use crate::domain::{CustomerId, Money, SpendPoint};

/// A customer's spend of the billing period so far, as last read on one UTC day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyUsage {
    /// The customer.
    pub customer_id: CustomerId,
    /// The UTC day this value was read on.
    pub day: NaiveDate,
    /// The first day of the billing period the value belongs to.
    pub billing_period_start: NaiveDate,
    /// Period-to-date spend at that day, exact.
    pub total_cost: Money,
    /// When it was read from Partner Center (UTC).
    pub fetched_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct DailyUsageRow {
    customer_id: String,
    day: NaiveDate,
    billing_period_start: NaiveDate,
    currency: String,
    total_cost: DbDecimal,
    fetched_at: DateTime<Utc>,
}

impl TryFrom<DailyUsageRow> for DailyUsage {
    type Error = StoreError;
    fn try_from(row: DailyUsageRow) -> Result<Self, StoreError> {
        Ok(Self {
            customer_id: parse_customer_id(&row.customer_id)?,
            day: row.day,
            billing_period_start: row.billing_period_start,
            total_cost: money(row.total_cost, &parse_currency(&row.currency)?),
            fetched_at: row.fetched_at,
        })
    }
}

/// Rows per INSERT (6 parameters each).
const RECORD_BATCH: usize = 1000;

impl Store {
    /// Records each customer's value for its day, in one transaction. A day already recorded
    /// keeps the value with the latest `fetched_at` (an older read arriving late is ignored).
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing is written then.
    #[tracing::instrument(skip_all, fields(rows = usage.len()))]
    pub async fn record_daily_usage(&self, usage: &[DailyUsage]) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for batch in usage.chunks(RECORD_BATCH) {
                let mut insert = QueryBuilder::new(
                    "insert into daily_usage (customer_id, day, billing_period_start, currency, \
                     total_cost, fetched_at) ",
                );
                insert.push_values(batch, |mut row, u| {
                    row.push_bind(u.customer_id.to_string())
                        .push_bind(u.day)
                        .push_bind(u.billing_period_start)
                        .push_bind(u.total_cost.currency().code().to_owned())
                        .push_bind(DbDecimal(u.total_cost.amount()))
                        .push_bind(stored_time(u.fetched_at));
                });
                insert.push(
                    " on conflict (customer_id, day) do update set \
                     billing_period_start = excluded.billing_period_start, \
                     currency = excluded.currency, total_cost = excluded.total_cost, \
                     fetched_at = excluded.fetched_at \
                     where excluded.fetched_at >= daily_usage.fetched_at",
                );
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A customer's recorded days from `from` to `to` (both included), oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn daily_usage(
        &self,
        customer_id: &CustomerId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<DailyUsage>, StoreError> {
        let rows: Vec<DailyUsageRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select customer_id, day, billing_period_start, currency, total_cost, fetched_at \
                 from daily_usage where customer_id = $1 and day >= $2 and day <= $3 \
                 order by day",
            )
            .bind(customer_id.to_string())
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(DailyUsage::try_from).collect()
    }

    /// Every customer's recorded days from `from` to `to` (both included) as spend points,
    /// by customer, then oldest first: only what a forecast needs, so that the partner
    /// refresh can forecast every customer from one read.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn spend_points_of_all(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(CustomerId, SpendPoint)>, StoreError> {
        let rows: Vec<(String, NaiveDate, DbDecimal)> = on_pool!(self, pool => {
            sqlx::query_as(
                "select customer_id, day, total_cost from daily_usage \
                 where day >= $1 and day <= $2 order by customer_id, day",
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await?
        });
        let mut points = Vec::with_capacity(rows.len());
        let mut last: Option<(String, CustomerId)> = None;
        for (id, day, total) in rows {
            // Rows come grouped by customer: parse each id once.
            let customer = match &last {
                Some((text, parsed)) if *text == id => *parsed,
                _ => {
                    let parsed = parse_customer_id(&id)?;
                    last = Some((id, parsed));
                    parsed
                }
            };
            points.push((
                customer,
                SpendPoint {
                    day,
                    period_to_date: total.0,
                },
            ));
        }
        Ok(points)
    }
}
