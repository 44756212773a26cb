//! The dashboard's reads of `customer_snapshots`: one sorted, filtered page of customers,
//! and the partner totals.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::snapshots::{SNAPSHOT_COLUMNS, SnapshotRow, search_name};
use super::values::{DbDecimal, count, parse_currency, parse_status};
use super::{Store, StoreError, on_pool};
use crate::domain::{Currency, UsageStatus};
use crate::store::CustomerSnapshot;

/// A column of the customer table the dashboard can sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Company name, case-insensitive, in Unicode code point order.
    #[default]
    Name,
    /// Spend of the billing period (in each customer's own currency).
    Spend,
    /// Budget amount; customers without a budget come last in both directions.
    Budget,
    /// Percentage of the budget used; customers without a budget come last.
    PercentUsed,
    /// Status, most urgent first when ascending: over, near, on pace, within, no budget.
    Status,
    /// Spend projected at the end of the billing period; customers without a forecast come
    /// last in both directions.
    Projected,
    /// Days until the budget is crossed (already crossed: zero or fewer), soonest first
    /// when ascending; customers not projected to cross it come last in both directions.
    BudgetCrossing,
    /// Currency code.
    Currency,
    /// Age of the data, freshest first when ascending.
    DataAge,
}

/// What the dashboard asks for: filters, order and which page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardQuery {
    /// Case-insensitive substring of the company name; `%`, `_` and `\` match themselves.
    /// Blank means no filter.
    pub search: Option<String>,
    /// Only customers with this status.
    pub status: Option<UsageStatus>,
    /// The column to sort by. Ties are broken by name, then customer id, so pages are stable.
    pub sort: SortKey,
    /// Reverse the order of the sort column (not of the tie-breakers).
    pub descending: bool,
    /// 1-based page number; 0 is read as 1.
    pub page: u32,
    /// Rows per page; 0 is read as 1.
    pub page_size: u32,
}

impl Default for DashboardQuery {
    /// Every customer by name, first page of 50.
    fn default() -> Self {
        Self {
            search: None,
            status: None,
            sort: SortKey::Name,
            descending: false,
            page: 1,
            page_size: 50,
        }
    }
}

/// One page of the customer table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardPage {
    /// The customers on this page, in order.
    pub rows: Vec<CustomerSnapshot>,
    /// How many customers match the filters on all pages.
    pub total_rows: u64,
}

/// The partner's spend in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// The currency of `total`.
    pub currency: Currency,
    /// Exact sum of the customers' spend in this currency.
    pub total: Decimal,
    /// Exact sum of the USD equivalents Partner Center gives (Azure plan customers);
    /// `None` when none of these customers has one.
    pub usd_total: Option<Decimal>,
    /// How many customers are billed in this currency.
    pub customers: u64,
    /// How many of them `usd_total` covers (shown, so a partial sum is never taken for all).
    pub usd_customers: u64,
}

/// The numbers at the top of the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DashboardTotals {
    /// Spend per currency, ordered by currency code. Never added across currencies.
    pub per_currency: Vec<CurrencyTotal>,
    /// Customers whose spend is at or above their budget.
    pub over_budget: u64,
    /// Customers at or above the near-budget threshold but below the budget.
    pub near_budget: u64,
    /// Customers below the near-budget threshold whose projected spend at the end of the
    /// billing period reaches the budget.
    pub on_pace: u64,
    /// Customers without a budget.
    pub no_budget: u64,
    /// All customers.
    pub customers: u64,
    /// The oldest `fetched_at` of any snapshot: "data as of". `None` when there are none.
    pub oldest_fetched_at: Option<DateTime<Utc>>,
}

impl SortKey {
    /// The ORDER BY clause. Only fixed column names end up in the SQL text.
    fn order_by(self, descending: bool) -> String {
        let (column, descending) = match self {
            Self::Name => {
                let dir = direction(descending);
                return format!(" order by search_name {dir}, customer_id {dir}");
            }
            Self::Spend => ("total_cost_key", descending),
            Self::Budget => ("budget_key", descending),
            Self::PercentUsed => ("percent_key", descending),
            Self::Status => ("status_rank", descending),
            Self::Currency => ("currency", descending),
            Self::Projected => ("projected_key", descending),
            Self::BudgetCrossing => ("crossing_key", descending),
            // Youngest data first means the latest fetch first.
            Self::DataAge => ("fetched_key", !descending),
        };
        format!(
            " order by {column} {} nulls last, search_name asc, customer_id asc",
            direction(descending)
        )
    }
}

fn direction(descending: bool) -> &'static str {
    if descending { "desc" } else { "asc" }
}

/// `pattern` for LIKE ... ESCAPE '\': the lower-cased search with its wildcards escaped,
/// between `%`.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search_name(search).chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Appends the WHERE clause of `query`'s filters.
fn push_filters<DB>(sql: &mut QueryBuilder<DB>, query: &DashboardQuery)
where
    DB: Database,
    String: for<'e> Encode<'e, DB> + Type<DB>,
    &'static str: for<'e> Encode<'e, DB> + Type<DB>,
{
    sql.push(" where 1 = 1");
    if let Some(search) = query.search.as_deref().map(str::trim)
        && !search.is_empty()
    {
        sql.push(" and search_name like ")
            .push_bind(like_pattern(search))
            .push(" escape '\\'");
    }
    if let Some(status) = query.status {
        sql.push(" and status = ").push_bind(status.key());
    }
}

/// The statement that raises the version of `customer_snapshots`: the last statement of
/// every transaction that writes the table (see the migration `snapshot_version`).
pub(super) const BUMP_SNAPSHOT_VERSION: &str =
    "update snapshot_version set version = version + 1 where id = 1";

/// The dashboard totals of one version of `customer_snapshots`, kept in this instance between
/// requests: they change only when the table does, and computing them reads every customer.
#[derive(Debug, Default)]
pub struct TotalsCache {
    latest: tokio::sync::Mutex<Option<(i64, Arc<DashboardTotals>)>>,
}

/// A row of the narrow query behind the totals.
#[derive(sqlx::FromRow)]
struct TotalsRow {
    currency: String,
    total_cost: DbDecimal,
    usd_total_cost: Option<DbDecimal>,
    status: String,
    fetched_at: DateTime<Utc>,
}

impl Store {
    /// One page of customers matching `query`, in its order, and the number of matches.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row.
    #[tracing::instrument(skip(self))]
    pub async fn dashboard_page(
        &self,
        query: &DashboardQuery,
    ) -> Result<DashboardPage, StoreError> {
        let page_size = i64::from(query.page_size.max(1));
        let offset = i64::from(query.page.max(1) - 1) * page_size;
        let (rows, total): (Vec<SnapshotRow>, i64) = on_pool!(self, pool => {
            let mut select = QueryBuilder::new(format!(
                "select {SNAPSHOT_COLUMNS} from customer_snapshots"
            ));
            push_filters(&mut select, query);
            select
                .push(query.sort.order_by(query.descending))
                .push(" limit ")
                .push_bind(page_size)
                .push(" offset ")
                .push_bind(offset);
            let rows = select.build_query_as().fetch_all(pool).await?;

            let mut count = QueryBuilder::new("select count(*) from customer_snapshots");
            push_filters(&mut count, query);
            let total = count.build_query_scalar().fetch_one(pool).await?;
            (rows, total)
        });
        Ok(DashboardPage {
            rows: rows
                .into_iter()
                .map(CustomerSnapshot::try_from)
                .collect::<Result<_, _>>()?,
            total_rows: count(total),
        })
    }

    /// The version of `customer_snapshots`: raised by every committed write to it.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn snapshot_version(&self) -> Result<i64, StoreError> {
        let version = on_pool!(self, pool => {
            sqlx::query_scalar("select version from snapshot_version where id = 1")
                .fetch_one(pool)
                .await?
        });
        Ok(version)
    }

    /// [`Store::dashboard_totals`] of the stored version of the snapshots: taken from
    /// `cache` when it holds that version, else computed (once, while concurrent callers
    /// wait for it) and kept there. The version is read before the totals, so totals kept
    /// for a version are of that version or a later one, and a later version stored by any
    /// instance makes the next call recompute them.
    ///
    /// # Errors
    /// As [`Store::dashboard_totals`].
    #[tracing::instrument(skip_all)]
    pub async fn dashboard_totals_cached(
        &self,
        cache: &TotalsCache,
    ) -> Result<Arc<DashboardTotals>, StoreError> {
        let version = self.snapshot_version().await?;
        let mut latest = cache.latest.lock().await;
        if let Some((cached, totals)) = latest.as_ref()
            && *cached == version
        {
            return Ok(Arc::clone(totals));
        }
        let totals = Arc::new(self.dashboard_totals().await?);
        *latest = Some((version, Arc::clone(&totals)));
        Ok(totals)
    }

    /// The partner totals: exact spend per currency (summed in Rust, since SQLite cannot sum
    /// TEXT amounts exactly), status counts and the oldest data.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row or a sum
    /// beyond the decimal range.
    #[tracing::instrument(skip(self))]
    pub async fn dashboard_totals(&self) -> Result<DashboardTotals, StoreError> {
        let rows: Vec<TotalsRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "select currency, total_cost, usd_total_cost, status, fetched_at \
                 from customer_snapshots",
            )
            .fetch_all(pool)
            .await?
        });
        let mut totals = DashboardTotals::default();
        let mut per_currency: BTreeMap<String, CurrencyTotal> = BTreeMap::new();
        for row in rows {
            let overflow = || StoreError::InvalidValue(format!("{} total overflows", row.currency));
            let entry = match per_currency.get_mut(&row.currency) {
                Some(entry) => entry,
                None => per_currency
                    .entry(row.currency.clone())
                    .or_insert(CurrencyTotal {
                        currency: parse_currency(&row.currency)?,
                        total: Decimal::ZERO,
                        usd_total: None,
                        customers: 0,
                        usd_customers: 0,
                    }),
            };
            entry.total = entry
                .total
                .checked_add(row.total_cost.0)
                .ok_or_else(overflow)?;
            if let Some(usd) = row.usd_total_cost {
                let sum = entry.usd_total.unwrap_or_default();
                entry.usd_total = Some(sum.checked_add(usd.0).ok_or_else(overflow)?);
                entry.usd_customers += 1;
            }
            entry.customers += 1;
            match parse_status(&row.status)? {
                UsageStatus::OverBudget => totals.over_budget += 1,
                UsageStatus::NearBudget => totals.near_budget += 1,
                UsageStatus::OnPace => totals.on_pace += 1,
                UsageStatus::NoBudget => totals.no_budget += 1,
                UsageStatus::WithinBudget => {}
            }
            totals.customers += 1;
            totals.oldest_fetched_at = Some(match totals.oldest_fetched_at {
                Some(oldest) => oldest.min(row.fetched_at),
                None => row.fetched_at,
            });
        }
        totals.per_currency = per_currency.into_values().collect();
        Ok(totals)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_the_search_match_themselves() {
        assert_eq!(like_pattern("100%_A\\b"), "%100\\%\\_a\\\\b%");
        assert_eq!(
            like_pattern("ÉCOLE"),
            "%ecole%",
            "folded like the stored names"
        );
    }

    #[test]
    fn data_age_ascending_means_the_latest_fetch_first() {
        assert!(
            SortKey::DataAge
                .order_by(false)
                .contains("fetched_key desc")
        );
        assert!(
            SortKey::Spend
                .order_by(true)
                .contains("total_cost_key desc nulls last")
        );
    }
}
