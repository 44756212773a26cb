//! The dashboard: partner totals and every customer's usage against budget.

use askama::Template;
use askama_web::WebTemplate;

use chrono::{DateTime, Duration, Utc};

use super::{BulkFormView, CrossingView, Layout, crossing_view, format_age, format_utc};
use crate::auth::SessionUser;
use crate::config::Settings;
use crate::domain::{SignInName, UsageStatus, format_percent};
use crate::paths;
use crate::portfolios::{self, Chosen};
use crate::store::{
    self, CustomerSnapshot, DashboardQuery, DashboardTotals, DashboardView, Ownership, RunState,
    RunStatus, SortKey, StoreError,
};

/// The dashboard page.
#[derive(Template, WebTemplate)]
#[template(path = "pages/dashboard.html")]
pub struct DashboardPage {
    pub layout: Layout,
    /// Spend per currency (never added across currencies), with the USD equivalent when
    /// Partner Center gives one.
    pub totals: Vec<CurrencyTotalView>,
    pub customers: u64,
    pub over_budget: u64,
    pub near_budget: u64,
    /// Below the near threshold, but projected to reach the budget by the period's end.
    pub on_pace: u64,
    pub no_budget: u64,
    /// The summary's links to the set shown, filtered by each count's status.
    pub links: SummaryLinks,
    /// Whose customers are shown, and the other choices.
    pub sets: SetsView,
    /// The `owner` value of the set shown (for the bulk form's selection).
    pub owner_param: String,
    /// The bulk change form: budget editors only.
    pub bulk: Option<BulkFormView>,
    /// The near-budget threshold in percent, stated in the UI.
    pub near_threshold: String,
    pub rows: Vec<CustomerRow>,
    /// Column headers with their sort links.
    pub columns: Vec<SortLink>,
    pub search: String,
    pub status_filter: String,
    pub sort: String,
    pub dir: String,
    pub page: u32,
    pub pages: u32,
    pub matching: u64,
    pub previous_url: Option<String>,
    pub next_url: Option<String>,
    /// "data as of" (UTC) of the oldest row shown.
    pub data_as_of: String,
    pub stale: bool,
    /// When the data became stale (UTC), when it is.
    pub stale_since: Option<String>,
    /// The last refresh failed: when and why, in words.
    pub refresh_failure: Option<String>,
    /// The last refresh set records aside: how many, in words.
    pub set_aside_notice: Option<String>,
    pub refresh_running: bool,
    pub can_edit: bool,
    /// May assign owners to a selection (budget editors and portfolio admins).
    pub can_assign_owners: bool,
    /// The CSV export of every matching customer, in this order.
    pub csv_url: String,
}

/// The choice between "My customers", "All customers" and one owner's customers.
#[derive(Debug, Clone)]
pub struct SetsView {
    /// "My customers": `None` when the person has no sign-in name Spendboard knows.
    pub mine_url: Option<String>,
    pub all_url: String,
    pub showing_mine: bool,
    pub showing_all: bool,
    /// The owner filter's options: all customers, mine, then every other owner.
    pub choices: Vec<OwnerChoice>,
}

/// One option of the owner filter.
#[derive(Debug, Clone)]
pub struct OwnerChoice {
    /// The `owner` query value.
    pub value: String,
    /// With the number of customers.
    pub label: String,
    pub selected: bool,
}

/// Spend in one currency.
#[derive(Debug, Clone)]
pub struct CurrencyTotalView {
    pub currency: String,
    pub total: String,
    pub usd: Option<String>,
    pub customers: u64,
    /// How many customers the USD equivalent covers, when not all of them.
    pub usd_partial: Option<u64>,
}

/// One customer's line.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    /// The customer id (the bulk selection's value).
    pub id: String,
    pub url: String,
    pub name: String,
    pub spend: String,
    pub budget: Option<String>,
    pub percent: Option<String>,
    /// Width of the usage bar, 0..=100.
    pub bar: u32,
    /// Spend projected at the end of the billing period, with the currency;
    /// `None` before the first forecast.
    pub projected: Option<String>,
    /// When the budget was or will be crossed; `None` when it is not projected to be.
    pub crossing: Option<CrossingView>,
    pub status_key: &'static str,
    pub status_label: &'static str,
    pub currency: String,
    pub age: String,
    pub fetched_at: String,
}

/// A sortable column header.
#[derive(Debug, Clone)]
pub struct SortLink {
    pub label: &'static str,
    pub url: String,
    /// `ascending`, `descending` or `none` (for `aria-sort`).
    pub aria_sort: &'static str,
    pub numeric: bool,
}

impl CustomerRow {
    /// One snapshot as a table row, its data age as of `now`.
    pub fn of(s: &CustomerSnapshot, now: DateTime<Utc>) -> Self {
        CustomerRow {
            id: s.customer_id.to_string(),
            url: paths::customer(&s.customer_id),
            name: s.company_name.clone(),
            spend: s.total_cost.to_string(),
            budget: s.budget.as_ref().map(ToString::to_string),
            percent: s.percent_used.map(format_percent),
            bar: usage_bar(s.percent_used),
            projected: s.forecast.as_ref().map(|f| f.projected_total.to_string()),
            crossing: crossing_view(s),
            status_key: s.status.key(),
            status_label: s.status.label(),
            currency: s.currency().code().to_owned(),
            age: format_age(s.fetched_at, now),
            fetched_at: format_utc(s.fetched_at),
        }
    }
}

/// The width of the usage bar: percent used, capped at 100.
pub fn usage_bar(percent: Option<rust_decimal::Decimal>) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    percent
        .and_then(|p| p.round().to_u32())
        .map_or(0, |p| p.min(100))
}

/// A sortable column of the customer table; its query-string name is its [`SortKey`]'s.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header's text.
    pub label: &'static str,
    pub key: SortKey,
    /// Amounts, aligned right.
    pub numeric: bool,
}

/// The sortable columns, in the table's order.
pub const COLUMNS: &[Column] = &[
    Column::new("Customer", SortKey::Name, false),
    Column::new("Spend", SortKey::Spend, true),
    Column::new("Budget", SortKey::Budget, true),
    Column::new("% used", SortKey::PercentUsed, true),
    Column::new("Projected", SortKey::Projected, true),
    Column::new("Budget crossed/crosses on", SortKey::BudgetCrossing, false),
    Column::new("Status", SortKey::Status, false),
    Column::new("Currency", SortKey::Currency, false),
    Column::new("Data age", SortKey::DataAge, false),
];

impl Column {
    const fn new(label: &'static str, key: SortKey, numeric: bool) -> Self {
        Self {
            label,
            key,
            numeric,
        }
    }
}

/// What the dashboard shows, as read for one request.
pub struct DashboardData<'a> {
    /// The message shown once on this page, if any.
    pub flash: Option<String>,
    pub user: &'a SessionUser,
    pub settings: &'a Settings,
    /// The customers, and every customer's totals (the data's age, the bulk form's
    /// currencies).
    pub view: &'a DashboardView,
    /// The filter, sort and page asked for, and the rows per page.
    pub query: &'a DashboardQuery,
    /// Every portfolio, with the owners' counts (the choice of whose customers to show).
    pub ownership: &'a Ownership,
    /// The set shown.
    pub chosen: &'a Chosen,
    /// The partner-wide refresh runs.
    pub status: &'a RunStatus,
    /// A background refresh started with this request.
    pub started: bool,
    /// Whether the data is stale, and after how long data is.
    pub stale: bool,
    pub stale_after: Duration,
}

/// The query of a dashboard link: the filter, the set, the sort and the page.
struct LinkQuery<'a> {
    search: &'a str,
    status: &'static str,
    owner: &'a str,
    sort: &'static str,
    dir: &'static str,
}

impl<'a> LinkQuery<'a> {
    /// The links of the dashboard showing `chosen` as `query` asks.
    fn of(query: &'a DashboardQuery, chosen: &'a Chosen) -> Self {
        Self {
            search: query.search.as_deref().unwrap_or_default(),
            status: query.status.map(UsageStatus::key).unwrap_or_default(),
            owner: chosen.param(),
            sort: query.sort.into(),
            dir: if query.descending { "desc" } else { "asc" },
        }
    }

    /// `base` (the dashboard or its CSV export) with this query, sorted by `sort` in `dir`,
    /// at `page`.
    fn url(&self, base: &str, sort: &str, dir: &str, page: u32) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.search.is_empty() {
            query.append_pair("q", self.search);
        }
        if !self.status.is_empty() {
            query.append_pair("status", self.status);
        }
        query.append_pair("owner", self.owner);
        query.append_pair("sort", sort).append_pair("dir", dir);
        if page > 1 {
            query.append_pair("page", &page.to_string());
        }
        format!("{base}?{}", query.finish())
    }

    /// The dashboard as shown, at `page`.
    fn page(&self, page: u32) -> String {
        self.url(paths::DASHBOARD, self.sort, self.dir, page)
    }

    /// The column headers, each linking to the table sorted by it (the other way round when
    /// it is the sort column, ascending).
    fn columns(&self, sort: SortKey, descending: bool) -> Vec<SortLink> {
        COLUMNS
            .iter()
            .map(|column| {
                let active = column.key == sort;
                let next_dir = if active && !descending { "desc" } else { "asc" };
                SortLink {
                    label: column.label,
                    url: self.url(paths::DASHBOARD, column.key.into(), next_dir, 1),
                    aria_sort: match (active, descending) {
                        (false, _) => "none",
                        (true, false) => "ascending",
                        (true, true) => "descending",
                    },
                    numeric: column.numeric,
                }
            })
            .collect()
    }
}

impl DashboardPage {
    /// The page of `data`, data ages as of `now`.
    ///
    /// # Errors
    /// [`StoreError::InvalidValue`] when the chosen set's spend is beyond the decimal range.
    pub fn new(data: DashboardData<'_>, now: DateTime<Utc>) -> Result<Self, StoreError> {
        let (query, totals) = (data.query, &data.view.totals);
        let shown = match data.chosen.portfolio() {
            Some(portfolio) => data.view.totals_of(&portfolio.customers)?,
            None => totals.clone(),
        };
        let found = data.view.page(query);
        let link = LinkQuery::of(query, data.chosen);
        let pages = u32::try_from(found.total_rows.div_ceil(u64::from(query.page_size)))
            .unwrap_or(u32::MAX)
            .max(1);
        let requested = query.page;
        let running = data.status.is_running();
        let (refresh_failure, set_aside_notice) = refresh_notices(data.status, running);
        let user = data.user;
        Ok(DashboardPage {
            totals: shown
                .per_currency
                .iter()
                .map(CurrencyTotalView::of)
                .collect(),
            customers: shown.customers,
            over_budget: shown.over_budget,
            near_budget: shown.near_budget,
            on_pace: shown.on_pace,
            no_budget: shown.no_budget,
            links: SummaryLinks::of(link.owner),
            sets: SetsView::new(
                data.ownership,
                user.sign_in_name().as_ref(),
                data.chosen,
                totals.customers,
            ),
            owner_param: link.owner.to_owned(),
            bulk: (user.access.can_edit_budgets())
                .then(|| BulkFormView::for_dashboard(user, totals)),
            near_threshold: (data.settings.budgets.near_threshold_percent.normalize()).to_string(),
            rows: found.rows.iter().map(|s| CustomerRow::of(s, now)).collect(),
            columns: link.columns(query.sort, query.descending),
            search: link.search.to_owned(),
            status_filter: link.status.to_owned(),
            sort: link.sort.to_owned(),
            dir: link.dir.to_owned(),
            page: requested,
            pages,
            matching: found.total_rows,
            previous_url: (requested > 1).then(|| link.page(requested - 1)),
            next_url: (requested < pages).then(|| link.page(requested + 1)),
            data_as_of: totals.oldest_fetched_at.map(format_utc).unwrap_or_default(),
            stale: data.stale,
            stale_since: (totals.oldest_fetched_at.filter(|_| data.stale))
                .map(|at| format_utc(at + data.stale_after)),
            refresh_failure,
            set_aside_notice,
            refresh_running: running || data.started,
            can_edit: user.access.can_edit_budgets(),
            can_assign_owners: user.access.can_assign_owners(),
            csv_url: link.url(paths::CUSTOMERS_CSV, link.sort, link.dir, 1),
            layout: Layout::for_user(user, data.flash, data.settings.is_demo()),
        })
    }
}

impl BulkFormView {
    /// The dashboard's bulk change form, empty, offering every currency of `totals`.
    fn for_dashboard(user: &SessionUser, totals: &DashboardTotals) -> Self {
        Self {
            csrf_token: user.csrf.as_str().to_owned(),
            currencies: totals
                .per_currency
                .iter()
                .map(|t| t.total.currency().code().to_owned())
                .collect(),
            ..Self::default()
        }
    }
}

impl CurrencyTotalView {
    fn of(t: &store::CurrencyTotal) -> Self {
        Self {
            currency: t.total.currency().code().to_owned(),
            total: t.total.to_string(),
            usd: t.usd_total.as_ref().map(ToString::to_string),
            customers: t.customers,
            usd_partial: (t.usd_customers < t.customers && t.usd_customers > 0)
                .then_some(t.usd_customers),
        }
    }
}

/// The last finished refresh in words: when and why it failed, or how many records it set
/// aside; `running` when a new one is under way.
fn refresh_notices(status: &RunStatus, running: bool) -> (Option<String>, Option<String>) {
    let last_finished = status.last_finished.as_ref();
    let failure = last_finished
        .filter(|run| run.state == RunState::Failed)
        .map(|run| {
            let at = run.finished_at.unwrap_or(run.started_at);
            format!(
                "The last refresh failed at {}: {} The data shown is from the last refresh that succeeded{}.",
                format_utc(at),
                sentence(&run.message),
                if running { "; a new refresh is under way" } else { "" },
            )
        });
    let set_aside = last_finished
        .filter(|run| run.state == RunState::Succeeded && run.set_aside > 0)
        .map(|run| {
            format!(
                "The last refresh could not read {} of Partner Center's usage records and set them aside (the log has the details); the other customers were refreshed.",
                run.set_aside
            )
        });
    (failure, set_aside)
}

/// `text` as a sentence: ending with a full stop.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

/// The dashboard's summary links over one set of customers (by its `owner` value): each
/// count opens the customers it counts, in the order that tells most about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryLinks {
    /// Every customer, by name.
    pub all: String,
    /// Over budget, the highest percentage first.
    pub over: String,
    /// Near budget, the highest percentage first.
    pub near: String,
    /// On pace to exceed, the soonest crossing first.
    pub on_pace: String,
    /// Without budget.
    pub no_budget: String,
    /// Neither search nor status filter ("Clear").
    pub clear: String,
}

impl SummaryLinks {
    fn of(owner: &str) -> Self {
        let link = |status, sort| Self::link(owner, status, sort);
        Self {
            all: link(None, Some((SortKey::Name, false))),
            over: link(
                Some(UsageStatus::OverBudget),
                Some((SortKey::PercentUsed, true)),
            ),
            near: link(
                Some(UsageStatus::NearBudget),
                Some((SortKey::PercentUsed, true)),
            ),
            on_pace: link(
                Some(UsageStatus::OnPace),
                Some((SortKey::BudgetCrossing, false)),
            ),
            no_budget: link(Some(UsageStatus::NoBudget), None),
            clear: link(None, None),
        }
    }

    /// The dashboard over the customers of `owner` (an `owner` query value), filtered by
    /// `status` and sorted by `sort` (descending when its flag is set).
    fn link(owner: &str, status: Option<UsageStatus>, sort: Option<(SortKey, bool)>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(status) = status {
            query.append_pair("status", status.key());
        }
        if let Some((sort, descending)) = sort {
            query.append_pair("sort", sort.into());
            if descending {
                query.append_pair("dir", "desc");
            }
        }
        format!(
            "{}?{}",
            paths::DASHBOARD,
            query.append_pair("owner", owner).finish()
        )
    }
}

impl SetsView {
    /// The choice of whose customers to show: the "My customers" and "All customers" links
    /// and the owner filter, from every portfolio (`ownership`), the person's own name `me`,
    /// and `all_customers`.
    pub fn new(
        ownership: &Ownership,
        me: Option<&SignInName>,
        chosen: &Chosen,
        all_customers: u64,
    ) -> Self {
        Self {
            mine_url: me.map(|me| SummaryLinks::link(me.as_str(), None, None)),
            all_url: SummaryLinks::link(portfolios::ALL, None, None),
            showing_mine: matches!(chosen, Chosen::Owner { mine: true, .. }),
            showing_all: *chosen == Chosen::All,
            choices: owner_choices(ownership, me, chosen, all_customers),
        }
    }
}

/// The owner filter's options: all customers, mine (when `me` is known), then every other
/// owner with their number of customers.
fn owner_choices(
    ownership: &Ownership,
    me: Option<&SignInName>,
    chosen: &Chosen,
    all_customers: u64,
) -> Vec<OwnerChoice> {
    let owned = |name: &SignInName| {
        ownership
            .portfolios
            .get(name)
            .map_or(0, |p| p.customers.len() as u64)
    };
    let selected = |name: &SignInName| chosen.portfolio().is_some_and(|p| &p.owner == name);
    let mut choices = vec![OwnerChoice {
        value: portfolios::ALL.to_owned(),
        label: format!("All customers ({all_customers})"),
        selected: *chosen == Chosen::All,
    }];
    if let Some(me) = me {
        choices.push(OwnerChoice {
            value: me.to_string(),
            label: format!("My customers ({})", owned(me)),
            selected: selected(me),
        });
    }
    // An owner asked for by name who owns nothing (yet) is still shown as chosen.
    let asked = chosen.portfolio().map(|p| p.owner.clone());
    let others = ownership
        .portfolios
        .iter()
        .map(|(owner, p)| (owner.clone(), p.customers.len() as u64))
        .chain(asked.filter(|a| owned(a) == 0).map(|a| (a, 0)))
        .filter(|(name, _)| Some(name) != me);
    choices.extend(others.map(|(name, customers)| OwnerChoice {
        label: format!("{name} ({customers})"),
        selected: selected(&name),
        value: name.to_string(),
    }));
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_summary_link_asks_for_its_status_in_its_order_over_the_set_shown() {
        let links = SummaryLinks::of("adele@contoso.com");
        let owner = "owner=adele%40contoso.com";
        assert_eq!(links.all, format!("/?sort=name&{owner}"));
        assert_eq!(
            links.over,
            format!("/?status=over&sort=percent&dir=desc&{owner}")
        );
        assert_eq!(
            links.near,
            format!("/?status=near&sort=percent&dir=desc&{owner}")
        );
        assert_eq!(
            links.on_pace,
            format!("/?status=onpace&sort=crossing&{owner}")
        );
        assert_eq!(links.no_budget, format!("/?status=none&{owner}"));
        assert_eq!(links.clear, format!("/?{owner}"));
    }

    #[test]
    fn every_column_sorts_by_its_query_string_name() {
        let names: Vec<&str> = COLUMNS.iter().map(|c| c.key.into()).collect();
        assert_eq!(
            names,
            [
                "name",
                "spend",
                "budget",
                "percent",
                "projected",
                "crossing",
                "status",
                "currency",
                "age"
            ]
        );
        for column in COLUMNS {
            let name: &str = column.key.into();
            assert_eq!(name.parse::<SortKey>(), Ok(column.key));
        }
        assert!("percent_used".parse::<SortKey>().is_err());
        assert!("Name".parse::<SortKey>().is_err());
    }

    #[test]
    fn refresh_messages_are_sentences() {
        assert_eq!(
            sentence(" Partner Center refused "),
            "Partner Center refused."
        );
        assert_eq!(sentence("Timed out!"), "Timed out!");
    }
}
