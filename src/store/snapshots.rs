//! `customer_snapshots`: one row per customer, the partner-wide view the dashboard reads.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::QueryBuilder;

use super::values::{
    DbDecimal, amount_sort_key, db_decimal, db_money, money, parse_currency, parse_customer_id,
    parse_key, percent_sort_key, status_rank, stored_time, usd,
};
use super::{Store, StoreError, on_pool};
use crate::domain::{Currency, CustomerId, ForecastMethod, Money, UsageStatus};

/// The statement that raises the version of `customer_snapshots`: the last statement of
/// every transaction that writes the table (see the migration `snapshot_version`); the
/// dashboard's view is rebuilt when the version it read is no longer the stored one.
const BUMP_SNAPSHOT_VERSION: &str =
    "update snapshot_version set version = version + 1 where id = 1";

/// Runs `$query` (a bound sqlx query) on `$pool` in a transaction that, when the query
/// changed a row, also bumps the snapshot version; evaluates to the number of rows changed.
/// Propagates database errors with `?`.
macro_rules! execute_bumping_version {
    ($pool:expr, $query:expr) => {{
        let mut tx = $pool.begin().await?;
        let changed = $query.execute(&mut *tx).await?.rows_affected();
        if changed > 0 {
            sqlx::query(BUMP_SNAPSHOT_VERSION).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        changed
    }};
}

/// A customer's usage of the current billing period against its budget, as last read from
/// `GET /v1/customers/usagerecords` and the customer list. Amounts are exact; every one but
/// the USD equivalent is in the customer's billing currency, [`CustomerSnapshot::currency`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSnapshot {
    /// The customer's tenant id.
    pub customer_id: CustomerId,
    /// The customer's company name.
    pub company_name: String,
    /// The customer's primary domain, when known.
    pub domain: Option<String>,
    /// Azure plan customer (true) or legacy MS-AZR-0145P (false).
    pub is_azure_plan: bool,
    /// Spend of the billing period so far, in the billing currency.
    pub total_cost: Money,
    /// The same spend in USD, when Partner Center gives it.
    pub usd_total_cost: Option<Money>,
    /// The monthly spending budget, in the billing currency; `None` when none is set.
    pub budget: Option<Money>,
    /// Spend as a percentage of the budget (2 decimal places); `None` without a budget.
    pub percent_used: Option<Decimal>,
    /// Where the spend stands against the budget.
    pub status: UsageStatus,
    /// Partner Center's `lastModifiedDate` of the usage record (UTC).
    pub last_modified: DateTime<Utc>,
    /// The first day of the billing period.
    pub billing_period_start: NaiveDate,
    /// When Spendboard read this from Partner Center (UTC).
    pub fetched_at: DateTime<Utc>,
    /// Where spend is heading by the end of the billing period, forecast from the daily
    /// history as of [`CustomerSnapshot::forecast_day`]; `None` until a refresh computed one.
    pub forecast: Option<SnapshotForecast>,
}

/// The month-end forecast kept with a snapshot: what [`crate::domain::forecast`] gave for the
/// customer's billing period, in the snapshot's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotForecast {
    /// Spend projected at the end of the billing period.
    pub projected_total: Money,
    /// The day spend reached the budget (when already over) or is projected to reach it
    /// inside the billing period; `None` without a budget or when it is not projected to.
    pub crosses_budget_on: Option<NaiveDate>,
    /// How the daily rate was worked out, with the days it is based on.
    pub method: ForecastMethod,
}

impl CustomerSnapshot {
    /// The customer's billing currency: that of [`CustomerSnapshot::total_cost`], the
    /// budget and the forecast.
    pub fn currency(&self) -> &Currency {
        self.total_cost.currency()
    }

    /// The UTC day the snapshot's data is of: the day of Partner Center's `lastModifiedDate`,
    /// or the first day of the billing period when that is earlier (a record not modified
    /// since a previous period). History rows, billing periods and forecasts are keyed by
    /// it, not by our clock.
    pub fn forecast_day(&self) -> NaiveDate {
        self.last_modified
            .date_naive()
            .max(self.billing_period_start)
    }

    /// Days from [`CustomerSnapshot::forecast_day`] to the budget crossing: zero or negative
    /// when the budget was already reached, `None` when no crossing is known.
    pub fn days_until_crossing(&self) -> Option<i64> {
        let crossing = self.forecast.as_ref()?.crosses_budget_on?;
        Some((crossing - self.forecast_day()).num_days())
    }
}

/// The columns every snapshot query selects, in [`SnapshotRow`]'s order.
pub(super) const SNAPSHOT_COLUMNS: &str = "customer_id, company_name, domain, currency, \
     is_azure_plan, total_cost, usd_total_cost, budget, percent_used, status, last_modified, \
     billing_period_start, fetched_at, projected_total, crosses_budget_on, forecast_method, \
     forecast_days";

/// A forecast method as stored: `forecast_method` and `forecast_days`.
fn method_columns(method: ForecastMethod) -> (&'static str, i64) {
    match method {
        ForecastMethod::RecentDailyAverage { days } => ("recent", i64::from(days)),
        ForecastMethod::PeriodAverage { days, .. } => ("period", i64::from(days)),
        ForecastMethod::NoUsageYet => ("nousage", 0),
    }
}

/// The forecast method of stored columns; a period average runs from `period_start`.
fn parse_method(
    key: &str,
    days: i64,
    period_start: NaiveDate,
) -> Result<ForecastMethod, StoreError> {
    let days = u32::try_from(days)
        .map_err(|_| StoreError::InvalidValue(format!("forecast days {days} out of range")))?;
    match key {
        "recent" => Ok(ForecastMethod::RecentDailyAverage { days }),
        "period" => Ok(ForecastMethod::PeriodAverage {
            since: period_start,
            days,
        }),
        "nousage" => Ok(ForecastMethod::NoUsageYet),
        other => Err(StoreError::InvalidValue(format!(
            "unknown forecast method {other:?}"
        ))),
    }
}

/// The values of the forecast columns, in order: `projected_total`, `crosses_budget_on`,
/// `forecast_method`, `forecast_days`, `projected_key`, `crossing_key`.
type ForecastColumns = (
    Option<DbDecimal>,
    Option<NaiveDate>,
    Option<&'static str>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);

/// The forecast columns of a snapshot whose data is of `day` (all null without a forecast).
fn forecast_columns(forecast: Option<&SnapshotForecast>, day: NaiveDate) -> ForecastColumns {
    match forecast {
        None => (None, None, None, None, None, None),
        Some(f) => {
            let (method, days) = method_columns(f.method);
            (
                Some(DbDecimal(f.projected_total.amount())),
                f.crosses_budget_on,
                Some(method),
                Some(days),
                Some(amount_sort_key(f.projected_total.amount())),
                f.crosses_budget_on.map(|c| (c - day).num_days()),
            )
        }
    }
}

/// A `customer_snapshots` row as the database returns it.
#[derive(sqlx::FromRow)]
pub(super) struct SnapshotRow {
    customer_id: String,
    company_name: String,
    domain: Option<String>,
    currency: String,
    is_azure_plan: bool,
    total_cost: DbDecimal,
    usd_total_cost: Option<DbDecimal>,
    budget: Option<DbDecimal>,
    percent_used: Option<DbDecimal>,
    status: String,
    last_modified: DateTime<Utc>,
    billing_period_start: NaiveDate,
    fetched_at: DateTime<Utc>,
    projected_total: Option<DbDecimal>,
    crosses_budget_on: Option<NaiveDate>,
    forecast_method: Option<String>,
    forecast_days: Option<i64>,
}

impl TryFrom<SnapshotRow> for CustomerSnapshot {
    type Error = StoreError;
    fn try_from(row: SnapshotRow) -> Result<Self, StoreError> {
        let currency = parse_currency(&row.currency)?;
        Ok(Self {
            customer_id: parse_customer_id(&row.customer_id)?,
            company_name: row.company_name,
            domain: row.domain,
            is_azure_plan: row.is_azure_plan,
            total_cost: money(row.total_cost, &currency),
            usd_total_cost: usd(row.usd_total_cost),
            budget: row.budget.map(|b| money(b, &currency)),
            percent_used: row.percent_used.map(|d| d.0),
            status: parse_key(&row.status, "usage status")?,
            last_modified: row.last_modified,
            billing_period_start: row.billing_period_start,
            fetched_at: row.fetched_at,
            forecast: match (row.projected_total, row.forecast_method, row.forecast_days) {
                (Some(projected), Some(method), Some(days)) => Some(SnapshotForecast {
                    projected_total: money(projected, &currency),
                    crosses_budget_on: row.crosses_budget_on,
                    method: parse_method(&method, days, row.billing_period_start)?,
                }),
                _ => None,
            },
        })
    }
}

/// The name as it is searched and sorted: Unicode lower case without accents ("Bäckerei
/// Schön" is `backerei schon`), so that accented names sort where people look for them and
/// a search finds them typed with or without accents.
pub fn search_name(company_name: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    use unicode_normalization::char::is_combining_mark;
    company_name
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// Rows per INSERT: 25 parameters each stays far below SQLite's 32,766 and PostgreSQL's
/// 65,535 parameter limits.
const UPSERT_BATCH: usize = 500;

impl Store {
    /// Inserts or replaces the snapshots of these customers, all in one transaction (a
    /// reader sees the old view or the new one, never half of each). 10,000 rows take a
    /// fraction of a second.
    ///
    /// # Errors
    /// [`StoreError::Database`]; nothing is written then.
    #[tracing::instrument(skip_all, fields(rows = snapshots.len()))]
    pub async fn upsert_snapshots(&self, snapshots: &[CustomerSnapshot]) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for batch in snapshots.chunks(UPSERT_BATCH) {
                let mut insert = QueryBuilder::new(
                    "insert into customer_snapshots (customer_id, company_name, search_name, \
                     domain, currency, is_azure_plan, total_cost, usd_total_cost, budget, \
                     percent_used, status, last_modified, billing_period_start, fetched_at, \
                     total_cost_key, budget_key, percent_key, status_rank, fetched_key, \
                     projected_total, crosses_budget_on, forecast_method, forecast_days, \
                     projected_key, crossing_key) ",
                );
                insert.push_values(batch, |mut row, s| {
                    let fetched_at = stored_time(s.fetched_at);
                    let (projected, crossing, method, days, projected_key, crossing_key) =
                        forecast_columns(s.forecast.as_ref(), s.forecast_day());
                    row.push_bind(s.customer_id.to_string())
                        .push_bind(s.company_name.clone())
                        .push_bind(search_name(&s.company_name))
                        .push_bind(s.domain.clone())
                        .push_bind(s.currency().code().to_owned())
                        .push_bind(s.is_azure_plan)
                        .push_bind(DbDecimal(s.total_cost.amount()))
                        .push_bind(db_money(s.usd_total_cost.as_ref()))
                        .push_bind(db_money(s.budget.as_ref()))
                        .push_bind(db_decimal(s.percent_used))
                        .push_bind(s.status.key())
                        .push_bind(stored_time(s.last_modified))
                        .push_bind(s.billing_period_start)
                        .push_bind(fetched_at)
                        .push_bind(amount_sort_key(s.total_cost.amount()))
                        .push_bind(s.budget.as_ref().map(|b| amount_sort_key(b.amount())))
                        .push_bind(s.percent_used.map(percent_sort_key))
                        .push_bind(status_rank(s.status))
                        .push_bind(fetched_at.timestamp_micros())
                        .push_bind(projected)
                        .push_bind(crossing)
                        .push_bind(method)
                        .push_bind(days)
                        .push_bind(projected_key)
                        .push_bind(crossing_key);
                });
                insert.push(
                    " on conflict (customer_id) do update set \
                     company_name = excluded.company_name, search_name = excluded.search_name, \
                     domain = excluded.domain, currency = excluded.currency, \
                     is_azure_plan = excluded.is_azure_plan, total_cost = excluded.total_cost, \
                     usd_total_cost = excluded.usd_total_cost, budget = excluded.budget, \
                     percent_used = excluded.percent_used, status = excluded.status, \
                     last_modified = excluded.last_modified, \
                     billing_period_start = excluded.billing_period_start, \
                     fetched_at = excluded.fetched_at, total_cost_key = excluded.total_cost_key, \
                     budget_key = excluded.budget_key, percent_key = excluded.percent_key, \
                     status_rank = excluded.status_rank, fetched_key = excluded.fetched_key, \
                     projected_total = excluded.projected_total, \
                     crosses_budget_on = excluded.crosses_budget_on, \
                     forecast_method = excluded.forecast_method, \
                     forecast_days = excluded.forecast_days, \
                     projected_key = excluded.projected_key, crossing_key = excluded.crossing_key",
                );
                insert.build().execute(&mut *tx).await?;
            }
            sqlx::query(BUMP_SNAPSHOT_VERSION).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Deletes the snapshots of every customer not in `keep` (customers who left the
    /// partner); returns how many were deleted. An empty `keep` deletes every snapshot.
    /// Their daily history and audit entries stay.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip_all, fields(keep = keep.len()))]
    pub async fn delete_snapshots_not_in(&self, keep: &[CustomerId]) -> Result<u64, StoreError> {
        let ids: Vec<String> = keep.iter().map(ToString::to_string).collect();
        let deleted = match self {
            // SQLite has no arrays: the ids travel as one JSON array.
            Self::Sqlite(pool) => {
                let ids = serde_json::Value::from(ids).to_string();
                execute_bumping_version!(
                    pool,
                    sqlx::query(
                        "delete from customer_snapshots \
                         where customer_id not in (select value from json_each($1))",
                    )
                    .bind(ids)
                )
            }
            Self::Postgres(pool) => {
                execute_bumping_version!(
                    pool,
                    sqlx::query("delete from customer_snapshots where customer_id <> all($1)")
                        .bind(ids)
                )
            }
        };
        Ok(deleted)
    }

    /// The snapshot of one customer, if it has one.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn snapshot(
        &self,
        customer_id: &CustomerId,
    ) -> Result<Option<CustomerSnapshot>, StoreError> {
        let row: Option<SnapshotRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select customer_id, company_name, domain, currency, is_azure_plan, \
                 total_cost, usd_total_cost, budget, percent_used, status, last_modified, \
                 billing_period_start, fetched_at, projected_total, crosses_budget_on, \
                 forecast_method, forecast_days from customer_snapshots where customer_id = $1",
            )
                .bind(customer_id.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(CustomerSnapshot::try_from).transpose()
    }

    /// Records a budget change on the customer's snapshot: the new budget, in the snapshot's
    /// currency (`None` = removed), the status and percentage recomputed by the caller. Returns `false` when the
    /// customer has no snapshot.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self))]
    pub async fn update_snapshot_budget(
        &self,
        customer_id: &CustomerId,
        budget: Option<Decimal>,
        status: UsageStatus,
        percent_used: Option<Decimal>,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            execute_bumping_version!(pool, sqlx::query(
                "update customer_snapshots set budget = $2, budget_key = $3, percent_used = $4, \
                 percent_key = $5, status = $6, status_rank = $7 where customer_id = $1",
            )
            .bind(customer_id.to_string())
            .bind(db_decimal(budget))
            .bind(budget.map(amount_sort_key))
            .bind(db_decimal(percent_used))
            .bind(percent_used.map(percent_sort_key))
            .bind(status.key())
            .bind(status_rank(status)))
        });
        Ok(updated == 1)
    }

    /// Replaces the forecast and the status of the customer's snapshot (after a budget
    /// change moved the crossing date); `day` is the snapshot's
    /// [`CustomerSnapshot::forecast_day`]. Returns `false` when the customer has no snapshot.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    #[tracing::instrument(skip(self, forecast))]
    pub async fn update_snapshot_forecast(
        &self,
        customer_id: &CustomerId,
        day: NaiveDate,
        status: UsageStatus,
        forecast: Option<&SnapshotForecast>,
    ) -> Result<bool, StoreError> {
        let (projected, crossing, method, days, projected_key, crossing_key) =
            forecast_columns(forecast, day);
        let updated = on_pool!(self, pool => {
            execute_bumping_version!(pool, sqlx::query(
                "update customer_snapshots set status = $2, status_rank = $3, \
                 projected_total = $4, crosses_budget_on = $5, forecast_method = $6, \
                 forecast_days = $7, projected_key = $8, crossing_key = $9 \
                 where customer_id = $1",
            )
            .bind(customer_id.to_string())
            .bind(status.key())
            .bind(status_rank(status))
            .bind(projected)
            .bind(crossing)
            .bind(method)
            .bind(days)
            .bind(projected_key)
            .bind(crossing_key))
        });
        Ok(updated == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::search_name;

    #[test]
    fn names_are_searched_and_sorted_without_case_or_accents() {
        assert_eq!(
            search_name("Bäckerei Schön & Söhne"),
            "backerei schon & sohne"
        );
        assert_eq!(search_name("SOCIÉTÉ Générale"), "societe generale");
        assert_eq!(search_name("Müller <Ops> GmbH"), "muller <ops> gmbh");
        assert!(search_name("Ärzte") < search_name("Big"));
    }
}
