//! The dashboard's reads of `customer_snapshots`: one sorted, filtered page of customers,
//! and the partner totals, from the database or from an instance's in-memory view of one
//! version of the table ([`DashboardView`], what the dashboard page uses).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{Database, Encode, QueryBuilder, Type};

use super::name_search::NameIndex;
use super::snapshots::{SNAPSHOT_COLUMNS, SnapshotRow, search_name};
use super::values::{DbDecimal, count, parse_currency, parse_key};
use super::version_cache::{VersionCache, Versioned};
use super::{Portfolio, Store, StoreError, on_pool};
use crate::domain::{Currency, CustomerId, Money, UsageStatus};
use crate::store::CustomerSnapshot;

/// A column of the customer table the dashboard can sort by; its name in the dashboard's
/// query string (`sort=...`) is its `&'static str` (and parses back with `FromStr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum SortKey {
    /// Company name, case-insensitive, in Unicode code point order.
    #[default]
    Name,
    /// Spend of the billing period (in each customer's own currency).
    Spend,
    /// Budget amount; customers without a budget come last in both directions.
    Budget,
    /// Percentage of the budget used; customers without a budget come last.
    #[strum(serialize = "percent")]
    PercentUsed,
    /// Status, most urgent first when ascending: over, near, on pace, within, no budget.
    Status,
    /// Spend projected at the end of the billing period; customers without a forecast come
    /// last in both directions.
    Projected,
    /// Days until the budget is crossed (already crossed: zero or fewer), soonest first
    /// when ascending; customers not projected to cross it come last in both directions.
    #[strum(serialize = "crossing")]
    BudgetCrossing,
    /// Currency code.
    Currency,
    /// Age of the data, freshest first when ascending.
    #[strum(serialize = "age")]
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
    /// Only the customers of this portfolio (the database reads the owner's customers as
    /// stored; the in-memory view takes the set as read).
    pub portfolio: Option<Arc<Portfolio>>,
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
            portfolio: None,
            sort: SortKey::Name,
            descending: false,
            page: 1,
            page_size: 50,
        }
    }
}

/// One page of the customer table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerTablePage {
    /// The customers on this page, in order.
    pub rows: Vec<CustomerSnapshot>,
    /// How many customers match the filters on all pages.
    pub total_rows: u64,
}

/// The partner's spend in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    /// Exact sum of the customers' spend in this currency (whose currency it is).
    pub total: Money,
    /// Exact sum of the USD equivalents Partner Center gives (Azure plan customers);
    /// `None` when none of these customers has one.
    pub usd_total: Option<Money>,
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
    if let Some(portfolio) = &query.portfolio {
        sql.push(" and customer_id in (select customer_id from customer_owners where owner = ")
            .push_bind(portfolio.owner.as_str().to_owned())
            .push(")");
    }
}

/// The dashboard's data of one version of `customer_snapshots`, kept by each instance
/// between requests (see [`Store::dashboard_view`]).
pub type DashboardCache = VersionCache<DashboardView>;

impl Versioned for DashboardView {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Every snapshot of one version of `customer_snapshots` with its stored sort keys, and the
/// totals over them: the dashboard's pages and totals, all of one committed state.
#[derive(Debug)]
pub struct DashboardView {
    /// The version of `customer_snapshots` this is the data of.
    pub version: i64,
    /// The partner totals over [`DashboardView::customers`].
    pub totals: DashboardTotals,
    rows: Vec<ViewRow>,
    /// The rows' folded names, for the search.
    names: NameIndex,
    /// Row index of each customer.
    by_id: HashMap<CustomerId, u32>,
    /// Row indexes in the order of each sort key and direction, sorted when first asked for.
    orders: [OnceLock<Vec<u32>>; 2 * SORT_KEYS],
}

/// How many [`SortKey`]s there are.
const SORT_KEYS: usize = 9;

/// One snapshot and the columns it is sorted and searched by, as stored.
#[derive(Debug)]
struct ViewRow {
    snapshot: CustomerSnapshot,
    id: String,
    search_name: String,
    currency: String,
    /// The integer sort keys, indexed by [`SortKey::key_index`].
    keys: [Option<i64>; 7],
}

/// A snapshot row with its sort columns, as [`Store::dashboard_view`] reads it.
#[derive(sqlx::FromRow)]
struct ViewRowDb {
    #[sqlx(flatten)]
    snapshot: SnapshotRow,
    search_name: String,
    total_cost_key: i64,
    budget_key: Option<i64>,
    percent_key: Option<i64>,
    status_rank: i64,
    fetched_key: i64,
    projected_key: Option<i64>,
    crossing_key: Option<i64>,
    version: i64,
}

impl SortKey {
    /// Every key, in the order of [`DashboardView`]'s sorted orders.
    pub const ALL: [Self; SORT_KEYS] = [
        Self::Name,
        Self::Spend,
        Self::Budget,
        Self::PercentUsed,
        Self::Status,
        Self::Projected,
        Self::BudgetCrossing,
        Self::Currency,
        Self::DataAge,
    ];

    /// Where this key's integer column sits in [`ViewRow::keys`] (none for name and
    /// currency), and whether the column runs opposite to the requested direction.
    fn key_index(self) -> Option<(usize, bool)> {
        match self {
            Self::Name | Self::Currency => None,
            Self::Spend => Some((0, false)),
            Self::Budget => Some((1, false)),
            Self::PercentUsed => Some((2, false)),
            Self::Status => Some((3, false)),
            Self::Projected => Some((4, false)),
            Self::BudgetCrossing => Some((5, false)),
            Self::DataAge => Some((6, true)),
        }
    }
}

impl DashboardView {
    /// The view of these rows, read at `version`.
    fn new(version: i64, rows: Vec<ViewRow>) -> Result<Self, StoreError> {
        let mut totals = Totals::default();
        for row in &rows {
            totals.add_row(row)?;
        }
        let names = NameIndex::new(rows.iter().map(|row| row.search_name.as_str()));
        let by_id = rows
            .iter()
            .zip(0u32..)
            .map(|(row, i)| (row.snapshot.customer_id, i))
            .collect();
        Ok(Self {
            version,
            totals: totals.finish(),
            rows,
            names,
            by_id,
            orders: Default::default(),
        })
    }

    /// Every snapshot of this view, in no particular order.
    pub fn customers(&self) -> impl Iterator<Item = &CustomerSnapshot> {
        self.rows.iter().map(|r| &r.snapshot)
    }

    /// The snapshot of customer `id`, if this view holds it.
    pub fn snapshot(&self, id: &CustomerId) -> Option<&CustomerSnapshot> {
        self.by_id.get(id).map(|&i| &self.rows[i as usize].snapshot)
    }

    /// The totals over those of `customers` this view holds (a customer Spendboard no
    /// longer lists is not counted): the dashboard's numbers for one portfolio.
    ///
    /// # Errors
    /// [`StoreError::InvalidValue`] for a sum beyond the decimal range.
    pub fn totals_of(
        &self,
        customers: &HashSet<CustomerId>,
    ) -> Result<DashboardTotals, StoreError> {
        let mut totals = Totals::default();
        for id in customers {
            let Some(&i) = self.by_id.get(id) else {
                continue;
            };
            totals.add_row(&self.rows[i as usize])?;
        }
        Ok(totals.finish())
    }

    /// One page of the customers matching `query`, in its order, and the number of matches:
    /// the same rows in the same order as [`Store::dashboard_page`] reads from the database.
    pub fn page(&self, query: &DashboardQuery) -> CustomerTablePage {
        let pattern = query
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(search_name);
        let status = query.status;
        let portfolio = query.portfolio.as_deref().map(|p| &p.customers);
        let page_size = usize::try_from(query.page_size.max(1)).unwrap_or(usize::MAX);
        let offset = usize::try_from(query.page.max(1) - 1)
            .unwrap_or(usize::MAX)
            .saturating_mul(page_size);
        let order = self.order(query.sort, query.descending);
        if pattern.is_none() && status.is_none() && portfolio.is_none() {
            let start = offset.min(order.len());
            let end = start.saturating_add(page_size).min(order.len());
            return CustomerTablePage {
                rows: order[start..end]
                    .iter()
                    .map(|&i| self.rows[i as usize].snapshot.clone())
                    .collect(),
                total_rows: u64::try_from(order.len()).unwrap_or(u64::MAX),
            };
        }
        // Filtered by status alone, the number of matches is known from the totals: scan
        // only as far as the page.
        let known_total = match status {
            Some(status) if pattern.is_none() && portfolio.is_none() => {
                Some(self.status_count(status))
            }
            _ => None,
        };
        let found = pattern.as_deref().map(|p| self.names.matching(p));
        let mut rows = Vec::new();
        let mut matching = 0usize;
        for &i in order {
            if known_total.is_some() && rows.len() == page_size {
                break;
            }
            let row = &self.rows[i as usize];
            if status.is_some_and(|s| row.snapshot.status != s)
                || portfolio.is_some_and(|p| !p.contains(&row.snapshot.customer_id))
                || found.as_ref().is_some_and(|found| !found[i as usize])
            {
                continue;
            }
            if matching >= offset && rows.len() < page_size {
                rows.push(row.snapshot.clone());
            }
            matching += 1;
        }
        CustomerTablePage {
            rows,
            total_rows: known_total.unwrap_or(u64::try_from(matching).unwrap_or(u64::MAX)),
        }
    }

    /// How many customers have this status.
    fn status_count(&self, status: UsageStatus) -> u64 {
        let t = &self.totals;
        match status {
            UsageStatus::OverBudget => t.over_budget,
            UsageStatus::NearBudget => t.near_budget,
            UsageStatus::OnPace => t.on_pace,
            UsageStatus::NoBudget => t.no_budget,
            UsageStatus::WithinBudget => {
                t.customers - t.over_budget - t.near_budget - t.on_pace - t.no_budget
            }
        }
    }

    /// Row indexes in the order of `sort` (see [`SortKey::order_by`]).
    fn order(&self, sort: SortKey, descending: bool) -> &[u32] {
        let index = SortKey::ALL.iter().position(|k| *k == sort).unwrap_or(0);
        self.orders[2 * index + usize::from(descending)].get_or_init(|| {
            let rows = &self.rows;
            let mut order: Vec<u32> = (0..u32::try_from(rows.len()).unwrap_or(u32::MAX)).collect();
            let by_name = |a: &ViewRow, b: &ViewRow| {
                a.search_name
                    .cmp(&b.search_name)
                    .then_with(|| a.id.cmp(&b.id))
            };
            order.sort_unstable_by(|&a, &b| {
                let (a, b) = (&rows[a as usize], &rows[b as usize]);
                match sort.key_index() {
                    None if sort == SortKey::Name => {
                        let o = by_name(a, b);
                        if descending { o.reverse() } else { o }
                    }
                    None => {
                        let o = a.currency.cmp(&b.currency);
                        if descending { o.reverse() } else { o }.then_with(|| by_name(a, b))
                    }
                    Some((key, reversed)) => {
                        let o = match (a.keys[key], b.keys[key]) {
                            (Some(x), Some(y)) => {
                                let o = x.cmp(&y);
                                if descending != reversed {
                                    o.reverse()
                                } else {
                                    o
                                }
                            }
                            // Nulls last in both directions.
                            (Some(_), None) => std::cmp::Ordering::Less,
                            (None, Some(_)) => std::cmp::Ordering::Greater,
                            (None, None) => std::cmp::Ordering::Equal,
                        };
                        o.then_with(|| by_name(a, b))
                    }
                }
            });
            order
        })
    }
}

/// Spend per currency and status counts, summed exactly as rows are added.
#[derive(Default)]
struct Totals {
    totals: DashboardTotals,
    per_currency: BTreeMap<String, CurrencySum>,
}

/// The sums of one currency while rows are added: amounts of rows of that currency, so
/// that adding needs no currency of its own per row.
struct CurrencySum {
    currency: Currency,
    total: Decimal,
    usd_total: Option<Decimal>,
    customers: u64,
    usd_customers: u64,
}

impl CurrencySum {
    /// The sums as a [`CurrencyTotal`].
    fn total(self) -> CurrencyTotal {
        CurrencyTotal {
            total: Money::new(self.total, self.currency),
            usd_total: self.usd_total.map(Money::usd),
            customers: self.customers,
            usd_customers: self.usd_customers,
        }
    }
}

impl Totals {
    /// Counts a row of the in-memory view.
    fn add_row(&mut self, row: &ViewRow) -> Result<(), StoreError> {
        let s = &row.snapshot;
        self.add(
            &row.currency,
            || Ok(s.currency().clone()),
            s.total_cost.amount(),
            s.usd_total_cost.as_ref().map(Money::amount),
            s.status,
            s.fetched_at,
        )
    }

    fn add(
        &mut self,
        currency: &str,
        parsed: impl FnOnce() -> Result<Currency, StoreError>,
        total_cost: Decimal,
        usd_total_cost: Option<Decimal>,
        status: UsageStatus,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let overflow = || StoreError::InvalidValue(format!("{currency} total overflows"));
        let entry = match self.per_currency.get_mut(currency) {
            Some(entry) => entry,
            None => self
                .per_currency
                .entry(currency.to_owned())
                .or_insert(CurrencySum {
                    currency: parsed()?,
                    total: Decimal::ZERO,
                    usd_total: None,
                    customers: 0,
                    usd_customers: 0,
                }),
        };
        entry.total = entry.total.checked_add(total_cost).ok_or_else(overflow)?;
        if let Some(usd) = usd_total_cost {
            let sum = entry.usd_total.unwrap_or_default();
            entry.usd_total = Some(sum.checked_add(usd).ok_or_else(overflow)?);
            entry.usd_customers += 1;
        }
        entry.customers += 1;
        let totals = &mut self.totals;
        match status {
            UsageStatus::OverBudget => totals.over_budget += 1,
            UsageStatus::NearBudget => totals.near_budget += 1,
            UsageStatus::OnPace => totals.on_pace += 1,
            UsageStatus::NoBudget => totals.no_budget += 1,
            UsageStatus::WithinBudget => {}
        }
        totals.customers += 1;
        totals.oldest_fetched_at = Some(match totals.oldest_fetched_at {
            Some(oldest) => oldest.min(fetched_at),
            None => fetched_at,
        });
        Ok(())
    }

    fn finish(mut self) -> DashboardTotals {
        self.totals.per_currency = (self.per_currency.into_values())
            .map(CurrencySum::total)
            .collect();
        self.totals
    }
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
    ) -> Result<CustomerTablePage, StoreError> {
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
        Ok(CustomerTablePage {
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

    /// [`Store::dashboard_view`] of the version stored now (read first).
    ///
    /// # Errors
    /// As [`Store::dashboard_view`].
    pub async fn current_dashboard_view(
        &self,
        cache: &DashboardCache,
    ) -> Result<Arc<DashboardView>, StoreError> {
        let version = self.snapshot_version().await?;
        self.dashboard_view(cache, version).await
    }

    /// The dashboard's data (every snapshot, the totals) of `version` of `customer_snapshots`,
    /// the stored version the caller has just read ([`Store::snapshot_version`], or with
    /// [`Store::run_status`]): taken from `cache` when it holds that version, else read in one
    /// statement (so rows and version are of one committed state, possibly a later one; once,
    /// while concurrent callers wait for it) and kept there. Each request reads the stored
    /// version, so a write by any instance on the same database shows on the next request.
    ///
    /// # Errors
    /// [`StoreError::Database`], or [`StoreError::InvalidValue`] for a corrupt row or a sum
    /// beyond the decimal range.
    #[tracing::instrument(skip_all)]
    pub async fn dashboard_view(
        &self,
        cache: &DashboardCache,
        version: i64,
    ) -> Result<Arc<DashboardView>, StoreError> {
        cache
            .get_or_load(version, async || self.read_dashboard_view(version).await)
            .await
    }

    /// The dashboard's data as stored now; of `version` when there are no rows to carry it.
    async fn read_dashboard_view(&self, version: i64) -> Result<DashboardView, StoreError> {
        let rows: Vec<ViewRowDb> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "select {SNAPSHOT_COLUMNS}, search_name, total_cost_key, budget_key, \
                 percent_key, status_rank, fetched_key, projected_key, crossing_key, version \
                 from customer_snapshots cross join snapshot_version"
            )))
            .fetch_all(pool)
            .await?
        });
        // Without rows the version read first stands (a later one is read next time).
        let version = rows.first().map_or(version, |r| r.version);
        let rows = rows
            .into_iter()
            .map(|r| {
                let keys = [
                    Some(r.total_cost_key),
                    r.budget_key,
                    r.percent_key,
                    Some(r.status_rank),
                    r.projected_key,
                    r.crossing_key,
                    Some(r.fetched_key),
                ];
                let snapshot = CustomerSnapshot::try_from(r.snapshot)?;
                Ok(ViewRow {
                    id: snapshot.customer_id.to_string(),
                    currency: snapshot.currency().code().to_owned(),
                    search_name: r.search_name,
                    snapshot,
                    keys,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        DashboardView::new(version, rows)
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
        let mut totals = Totals::default();
        for row in rows {
            totals.add(
                &row.currency,
                || parse_currency(&row.currency),
                row.total_cost.0,
                row.usd_total_cost.map(|d| d.0),
                parse_key(&row.status, "usage status")?,
                row.fetched_at,
            )?;
        }
        Ok(totals.finish())
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
