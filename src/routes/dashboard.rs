//! `GET /`: partner totals and the customer table (sorted, searched and paged in the
//! instance's view of the latest snapshot version, see [`crate::store::DashboardView`]).

use actix_web::{HttpResponse, web};
use chrono::{Duration, Utc};

use super::dashboard_query::{COLUMNS, DashboardParams};
use crate::auth::{CurrentUser, TypedSession, delegated_token};
use crate::domain::{Currency, Money, SignInName, UsageStatus};
use crate::error::AppError;
use crate::pages::{
    BulkFormView, CurrencyTotalView, CustomerRow, DashboardPage, Layout, OwnerChoice, SetsView,
    SortLink, format_utc,
};
use crate::paths;
use crate::portfolios::{self, Chosen};
use crate::refresh;
use crate::state::AppState;
use crate::store::RunState;

/// Rows per page.
pub const PAGE_SIZE: u32 = 50;

/// The dashboard. With an empty store (first visit) it starts a refresh and sends the
/// browser to the progress page; with stale data it shows what it has and refreshes in the
/// background.
#[tracing::instrument(skip_all, fields(user = %user.id))]
pub async fn get(
    state: web::Data<AppState>,
    CurrentUser(user): CurrentUser,
    session: TypedSession,
    params: web::Query<DashboardParams>,
) -> Result<HttpResponse, AppError> {
    let status = refresh::partner_status(&state).await?;
    let view = state
        .store
        .dashboard_view(&state.dashboard, status.snapshot_version)
        .await?;
    let totals = &view.totals;
    let me = user.sign_in_name();
    let chosen = portfolios::chosen(&state.store, me.as_ref(), params.owner.as_deref()).await?;
    let running = status.is_running();
    let stale_after = Duration::minutes(state.settings.refresh.stale_after_minutes);
    let stale = totals
        .oldest_fetched_at
        .is_none_or(|at| Utc::now() - at > stale_after);
    let mut notice = None;
    let mut started = false;
    if stale && !running {
        match delegated_token(&state, user.id, paths::DASHBOARD).await {
            Ok(token) => {
                refresh::spawn_partner_refresh_unless_fresh(
                    state.clone(),
                    token,
                    Some(stale_after),
                )
                .await?;
                started = true;
            }
            // With data to show, a token that cannot be renewed (identity provider down or
            // refusing) is no reason to show none of it.
            Err(e) if totals.customers > 0 && !matches!(e, AppError::AccessRevoked) => {
                tracing::warn!(error = %e, "cannot renew the Partner Center token; showing the stored data");
                notice = Some(
                    "Spendboard could not renew your Microsoft sign-in, so this data was not refreshed. Sign out and sign in again to refresh it."
                        .to_owned(),
                );
            }
            Err(e) => return Err(e),
        }
    }
    let last_finished = status.last_finished;
    let refresh_failure = last_finished
        .as_ref()
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
    let set_aside_notice = last_finished
        .as_ref()
        .filter(|run| run.state == RunState::Succeeded && run.set_aside > 0)
        .map(|run| {
            format!(
                "The last refresh could not read {} of Partner Center's usage records and set them aside (the log has the details); the other customers were refreshed.",
                run.set_aside
            )
        });
    let stale_since = totals
        .oldest_fetched_at
        .filter(|_| stale)
        .map(|at| format_utc(at + stale_after));
    if totals.customers == 0 {
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", paths::REFRESH))
            .finish());
    }

    let shown = match chosen.portfolio() {
        Some(portfolio) => view.totals_of(&portfolio.customers)?,
        None => totals.clone(),
    };
    let query = params.query(PAGE_SIZE, &chosen);
    let owner = chosen.param();
    let (sort, descending, status) = (query.sort, query.descending, query.status);
    let sort_name = COLUMNS.iter().find(|c| c.2 == sort).map_or("name", |c| c.1);
    let search = query.search.clone().unwrap_or_default();
    let requested_page = query.page;
    let result = view.page(&query);
    let pages = u32::try_from(result.total_rows.div_ceil(u64::from(PAGE_SIZE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let status_key = status.map(UsageStatus::key).unwrap_or_default();
    let link = |sort: &str, dir: &str, page: u32| {
        dashboard_url(
            paths::DASHBOARD,
            &search,
            status_key,
            owner,
            sort,
            dir,
            page,
        )
    };
    let dir_name = if descending { "desc" } else { "asc" };
    let columns = COLUMNS
        .iter()
        .map(|(label, name, key, numeric)| {
            let active = *key == sort;
            let next_dir = if active && !descending { "desc" } else { "asc" };
            SortLink {
                label,
                url: link(name, next_dir, 1),
                aria_sort: match (active, descending) {
                    (false, _) => "none",
                    (true, false) => "ascending",
                    (true, true) => "descending",
                },
                numeric: *numeric,
            }
        })
        .collect();
    let now = Utc::now();
    let rows = result
        .rows
        .iter()
        .map(|s| CustomerRow::of(s, now))
        .collect();
    let page = DashboardPage {
        layout: Layout::for_user(
            &user,
            session.take_flash().or(notice),
            state.settings.is_demo(),
        ),
        totals: shown
            .per_currency
            .iter()
            .map(|t| CurrencyTotalView {
                currency: t.currency.code().to_owned(),
                total: Money::new(t.total, t.currency.clone()).to_string(),
                usd: t
                    .usd_total
                    .map(|usd| Money::new(usd, Currency::usd()).to_string()),
                customers: t.customers,
                usd_partial: (t.usd_customers < t.customers && t.usd_customers > 0)
                    .then_some(t.usd_customers),
            })
            .collect(),
        customers: shown.customers,
        over_budget: shown.over_budget,
        near_budget: shown.near_budget,
        on_pace: shown.on_pace,
        no_budget: shown.no_budget,
        owner_query: url::form_urlencoded::Serializer::new(String::new())
            .append_pair("owner", owner)
            .finish(),
        sets: sets_view(&state, me.as_ref(), &chosen, totals.customers).await?,
        owner_param: owner.to_owned(),
        bulk: user.access.can_edit_budgets().then(|| BulkFormView {
            csrf_token: user.csrf.as_str().to_owned(),
            currencies: totals
                .per_currency
                .iter()
                .map(|t| t.currency.code().to_owned())
                .collect(),
            ..BulkFormView::default()
        }),
        near_threshold: state
            .settings
            .budgets
            .near_threshold_percent
            .normalize()
            .to_string(),
        rows,
        columns,
        search: search.clone(),
        status_filter: status_key.to_owned(),
        sort: sort_name.to_owned(),
        dir: dir_name.to_owned(),
        page: requested_page,
        pages,
        matching: result.total_rows,
        previous_url: (requested_page > 1).then(|| link(sort_name, dir_name, requested_page - 1)),
        next_url: (requested_page < pages).then(|| link(sort_name, dir_name, requested_page + 1)),
        data_as_of: totals.oldest_fetched_at.map(format_utc).unwrap_or_default(),
        stale,
        stale_since,
        refresh_failure,
        set_aside_notice,
        refresh_running: running || started,
        can_edit: user.access.can_edit_budgets(),
        can_assign_owners: user.access.can_assign_owners(),
        csv_url: dashboard_url(
            paths::CUSTOMERS_CSV,
            &search,
            status_key,
            owner,
            sort_name,
            dir_name,
            1,
        ),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(askama::Template::render(&page).map_err(|e| AppError::Unexpected(e.into()))?))
}

/// The choice of whose customers to show: the "My customers" and "All customers" links
/// and the owner filter, from every owner (with their counts) and the person's own name.
async fn sets_view(
    state: &AppState,
    me: Option<&SignInName>,
    chosen: &Chosen,
    all_customers: u64,
) -> Result<SetsView, AppError> {
    let owners = state.store.owners().await?;
    let owned = |name: &SignInName| {
        owners
            .iter()
            .find(|o| &o.owner == name)
            .map_or(0, |o| o.customers)
    };
    let url = |owner: &str| format!("{}?owner={}", paths::DASHBOARD, urlencode(owner));
    let mut choices = vec![OwnerChoice {
        value: portfolios::ALL.to_owned(),
        label: format!("All customers ({all_customers})"),
        selected: *chosen == Chosen::All,
    }];
    let selected = |name: &SignInName| chosen.portfolio().is_some_and(|p| &p.owner == name);
    if let Some(me) = me {
        choices.push(OwnerChoice {
            value: me.to_string(),
            label: format!("My customers ({})", owned(me)),
            selected: selected(me),
        });
    }
    // An owner asked for by name who owns nothing (yet) is still shown as chosen.
    let asked = chosen.portfolio().map(|p| p.owner.clone());
    let others = owners
        .iter()
        .map(|o| (o.owner.clone(), o.customers))
        .chain(asked.filter(|a| owned(a) == 0).map(|a| (a, 0)))
        .filter(|(name, _)| Some(name) != me);
    choices.extend(others.map(|(name, customers)| OwnerChoice {
        label: format!("{name} ({customers})"),
        selected: selected(&name),
        value: name.to_string(),
    }));
    Ok(SetsView {
        mine_url: me.map(|me| url(me.as_str())),
        all_url: url(portfolios::ALL),
        showing_mine: matches!(chosen, Chosen::Owner { mine: true, .. }),
        showing_all: *chosen == Chosen::All,
        choices,
    })
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
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

/// `base` (the dashboard or its CSV export) with the filter, sort and page as its query.
fn dashboard_url(
    base: &str,
    search: &str,
    status: &str,
    owner: &str,
    sort: &str,
    dir: &str,
    page: u32,
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !search.is_empty() {
        query.append_pair("q", search);
    }
    if !status.is_empty() {
        query.append_pair("status", status);
    }
    query.append_pair("owner", owner);
    query.append_pair("sort", sort).append_pair("dir", dir);
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    format!("{base}?{}", query.finish())
}
