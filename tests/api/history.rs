//! The daily history over simulated days (the sandbox's clock advances), the month-end
//! forecast on the dashboard and the customer page, "on pace to exceed", a month roll-over,
//! the charts; and the store's forecast and history queries on both databases.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use partner_center_sandbox::SandboxOptions;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::json;
use spendboard::domain::{
    BillingPeriod, Currency, CustomerId, ForecastMethod, Money, SpendPoint, UsageStatus, forecast,
    percent_used,
};
use spendboard::refresh::RefreshOutcome;
use spendboard::store::{CustomerSnapshot, DailyUsage, DashboardQuery, SnapshotForecast, SortKey};
use uuid::Uuid;

use crate::databases::{TestDb, on_both_databases};
use crate::helpers::{
    EDITOR, READER, TestApp, assert_is_redirect_to, dashboard_count, spawn_app_with,
};
use crate::truth;

fn nov(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The app with the sandbox's clock starting at `start` (UTC noon, so the sandbox's
/// `lastModifiedDate`, the latest 4-hourly update, is on the same day), signed in as the
/// editor, with the first refresh done.
async fn spawn_at(start: DateTime<Utc>) -> TestApp {
    let app = spawn_app_with(
        SandboxOptions {
            now: Some(start),
            ..SandboxOptions::default()
        },
        |_| {},
    )
    .await;
    app.sign_in_and_load(EDITOR).await;
    app
}

fn noon(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 12, 0, 0).unwrap()
}

/// Moves the sandbox's clock one day on and refreshes (as `spendboard refresh` does).
async fn next_day(app: &TestApp) {
    app.sandbox_control(
        Method::POST,
        "_sandbox/clock/advance",
        Some(json!({ "days": 1 })),
    )
    .await;
    refresh(app).await;
}

async fn refresh(app: &TestApp) {
    let outcome = spendboard::cli::refresh_once(app.state.settings.clone())
        .await
        .unwrap();
    assert_eq!(outcome, RefreshOutcome::Refreshed { customers: 60 });
}

/// Every snapshot, by customer id.
async fn snapshots(app: &TestApp) -> HashMap<CustomerId, CustomerSnapshot> {
    let page = app
        .store()
        .dashboard_page(&DashboardQuery {
            page_size: 1000,
            ..DashboardQuery::default()
        })
        .await
        .unwrap();
    page.rows.into_iter().map(|s| (s.customer_id, s)).collect()
}

/// The sandbox's totals of today, by customer id.
async fn sandbox_totals(app: &TestApp) -> HashMap<String, Decimal> {
    truth::usage_records(app)
        .await
        .into_iter()
        .map(|r| (r.id, r.total_cost))
        .collect()
}

/// G's forecast applied to the stored series of the snapshot's billing period.
async fn expected_forecast(app: &TestApp, s: &CustomerSnapshot) -> spendboard::domain::Forecast {
    let today = s.forecast_day();
    let period = BillingPeriod::containing(today);
    let series: Vec<SpendPoint> = app
        .store()
        .daily_usage(&s.customer_id, period.start, today)
        .await
        .unwrap()
        .iter()
        .map(|row| SpendPoint {
            day: row.day,
            period_to_date: row.total_cost.amount(),
        })
        .collect();
    forecast(
        &period,
        today,
        &series,
        s.budget.as_ref().map(Money::amount),
    )
}

/// The text of each cell of the dashboard's customer table, with each row's customer link.
fn dashboard_rows(html: &str) -> Vec<(String, Vec<String>)> {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse("table.customers tbody tr").unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    let link = scraper::Selector::parse("th a").unwrap();
    doc.select(&row)
        .filter_map(|r| {
            let href = r.select(&link).next()?.value().attr("href")?.to_owned();
            let cells = r
                .select(&cell)
                .map(|c| {
                    c.text()
                        .collect::<Vec<_>>()
                        .join(" ")
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            Some((href, cells))
        })
        .collect()
}

/// All dashboard rows for a query string (both pages of 50).
async fn all_dashboard_rows(app: &TestApp, query: &str) -> Vec<(String, Vec<String>)> {
    let mut rows = dashboard_rows(&app.dashboard(query).await);
    rows.extend(dashboard_rows(
        &app.dashboard(&format!("{query}&page=2")).await,
    ));
    rows
}

fn customer_path(id: &CustomerId) -> String {
    format!("/customers/{id}")
}

/// The customer page's text, whitespace collapsed.
fn text(html: &str) -> String {
    scraper::Html::parse_document(html)
        .root_element()
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn the_history_gains_one_row_per_simulated_day_equal_to_the_sandboxs_totals() {
    let app = spawn_at(noon(2026, 11, 3)).await;
    let mut truth_by_day: BTreeMap<NaiveDate, HashMap<String, Decimal>> = BTreeMap::new();
    truth_by_day.insert(nov(3), sandbox_totals(&app).await);
    for day in 4..=7 {
        next_day(&app).await;
        truth_by_day.insert(nov(day), sandbox_totals(&app).await);
    }
    // A second refresh on the same day replaces that day's row, it adds none.
    refresh(&app).await;

    let snapshots = snapshots(&app).await;
    assert_eq!(snapshots.len(), 60);
    for id in snapshots.keys() {
        let rows = app.store().daily_usage(id, nov(1), nov(30)).await.unwrap();
        // The days are the sandbox's (3 to 7 Nov), not our clock's.
        let days: Vec<NaiveDate> = rows.iter().map(|r| r.day).collect();
        assert_eq!(days, (3..=7).map(nov).collect::<Vec<_>>(), "{id}");
        for row in &rows {
            assert_eq!(row.billing_period_start, nov(1));
            assert_eq!(
                row.total_cost.amount(),
                truth_by_day[&row.day][&id.to_string()],
                "{id} on {}",
                row.day
            );
        }
    }
}

#[tokio::test]
async fn the_projection_and_crossing_date_equal_the_forecast_of_the_stored_series() {
    let app = spawn_at(noon(2026, 11, 3)).await;
    for _ in 4..=11 {
        next_day(&app).await;
    }
    let snapshots = snapshots(&app).await;
    let mut crossings = 0;
    for s in snapshots.values() {
        assert_eq!(s.forecast_day(), nov(11));
        assert_eq!(s.billing_period_start, nov(1));
        let expected = expected_forecast(&app, s).await;
        let stored = s.forecast.as_ref().expect("a forecast after a refresh");
        assert_eq!(
            stored.projected_total.amount(),
            expected.projected_total,
            "{}",
            s.company_name
        );
        assert_eq!(
            stored.crosses_budget_on, expected.crosses_budget_on,
            "{}",
            s.company_name
        );
        assert_eq!(stored.method, expected.method);
        if s.total_cost.amount() > Decimal::ZERO {
            // 9 recorded days: the recent average of the last 7.
            assert_eq!(
                stored.method,
                ForecastMethod::RecentDailyAverage { days: 7 }
            );
        }
        assert_eq!(
            s.status,
            UsageStatus::classify_projected(
                s.total_cost.amount(),
                Some(expected.projected_total),
                s.budget.as_ref().map(Money::amount),
                d("80")
            )
        );
        crossings += usize::from(expected.crosses_budget_on.is_some());
    }
    assert!(
        crossings > 5,
        "some customers reach their budget: {crossings}"
    );

    // The dashboard shows the same projection and date for every customer.
    let rows = all_dashboard_rows(&app, "sort=name").await;
    assert_eq!(rows.len(), 60);
    for (href, cells) in &rows {
        let s = snapshots
            .values()
            .find(|s| customer_path(&s.customer_id) == *href)
            .unwrap();
        let f = s.forecast.as_ref().unwrap();
        assert_eq!(cells[4], f.projected_total.to_string());
        match f.crosses_budget_on {
            Some(day) => assert!(
                cells[5].starts_with(&day.format("%-d %b %Y").to_string()),
                "{} crossing cell {:?}",
                s.company_name,
                cells[5]
            ),
            None => assert_eq!(cells[5], "–"),
        }
    }

    // The customer page says the same, with the method and the days it is based on.
    let s = snapshots
        .values()
        .filter(|s| {
            s.forecast
                .as_ref()
                .is_some_and(|f| f.crosses_budget_on.is_some())
        })
        .find(|s| (s.budget.as_ref()).is_some_and(|b| s.total_cost.amount() < b.amount()))
        .or_else(|| snapshots.values().find(|s| s.budget.is_some()))
        .unwrap();
    let f = s.forecast.as_ref().unwrap();
    let page = text(&app.customer_page(&s.customer_id).await);
    let projected = f.projected_total.to_string();
    assert!(
        page.contains(&format!(
            "Projected {projected} at month end (30 Nov 2026), from the average of the last 7 days' spend, based on 7 days."
        )),
        "{page}"
    );
    if let Some(day) = f.crosses_budget_on {
        assert!(
            page.contains(&day.format("%-d %b %Y").to_string()),
            "{page}"
        );
    }

    // Sane against the sandbox's own month end: its usage grows through the month, so the
    // recent average lands nearer the real total than a straight line from the period start.
    app.sandbox_control(
        Method::POST,
        "_sandbox/clock/advance",
        Some(json!({ "days": 19 })),
    )
    .await;
    let month_end = sandbox_totals(&app).await;
    let (mut recent_error, mut straight_error) = (Decimal::ZERO, Decimal::ZERO);
    for s in snapshots
        .values()
        .filter(|s| s.total_cost.amount() > Decimal::ZERO)
    {
        let actual = month_end[&s.customer_id.to_string()];
        let projected = s.forecast.as_ref().unwrap().projected_total.amount();
        assert!(projected >= s.total_cost.amount());
        let ratio = projected / actual;
        assert!(
            ratio > d("0.7") && ratio < d("1.1"),
            "{}: projected {projected}, actual {actual}",
            s.company_name
        );
        let straight = s.total_cost.amount() / Decimal::from(11) * Decimal::from(30);
        recent_error += ((projected - actual) / actual).abs();
        straight_error += ((straight - actual) / actual).abs();
    }
    assert!(
        recent_error < straight_error,
        "recent average {recent_error} vs straight line {straight_error}"
    );
}

#[tokio::test]
async fn a_budget_below_the_projection_makes_a_customer_on_pace_counted_filtered_and_sorted() {
    let app = spawn_at(noon(2026, 11, 3)).await;
    for _ in 4..=7 {
        next_day(&app).await;
    }
    let before = snapshots(&app).await;
    // A customer spending something, whose budget we set to twice its spend: spend is 50 %
    // of it, below the near threshold, while four more weeks at this pace exceed it.
    let target = before
        .values()
        .filter(|s| s.total_cost.amount() > d("10") && s.status != UsageStatus::OverBudget)
        .min_by_key(|s| s.customer_id)
        .unwrap();
    let budget = (target.total_cost.amount() * Decimal::TWO).ceil();
    let path = customer_path(&target.customer_id);
    let html = app.get_html(&path).await;
    let (csrf, based_on) = crate::budget::form_fields(&html);
    let response = app
        .change_budget(
            &path,
            &csrf,
            &based_on,
            &budget.to_string(),
            Some("on pace test"),
        )
        .await;
    assert_is_redirect_to(&response, &path);

    // The budget change recomputed the crossing date and the status at once.
    let after = snapshots(&app).await;
    let changed = &after[&target.customer_id];
    assert_eq!(changed.budget.as_ref().map(Money::amount), Some(budget));
    let expected = expected_forecast(&app, changed).await;
    assert!(
        expected.projected_total >= budget
            && changed.total_cost.amount() * d("100") < budget * d("80")
    );
    assert_eq!(changed.status, UsageStatus::OnPace);
    let f = changed.forecast.as_ref().unwrap();
    assert_eq!(f.crosses_budget_on, expected.crosses_budget_on);
    assert!(f.crosses_budget_on.is_some_and(|day| day > nov(7)));
    assert!(
        text(&app.get_html(&path).await).contains("On pace to exceed"),
        "the customer page shows the status"
    );

    // Every status recomputed independently from the stored series and the rules.
    let mut on_pace = Vec::new();
    for s in after.values() {
        let expected = expected_forecast(&app, s).await;
        let status = UsageStatus::classify_projected(
            s.total_cost.amount(),
            Some(expected.projected_total),
            s.budget.as_ref().map(Money::amount),
            d("80"),
        );
        assert_eq!(s.status, status, "{}", s.company_name);
        if status == UsageStatus::OnPace {
            on_pace.push(customer_path(&s.customer_id));
        }
    }
    on_pace.sort();
    let dashboard = app.dashboard("").await;
    assert_eq!(
        dashboard_count(&dashboard, "On pace to exceed"),
        on_pace.len() as u64
    );

    let mut filtered: Vec<String> = all_dashboard_rows(&app, "status=onpace&sort=name")
        .await
        .into_iter()
        .map(|(href, cells)| {
            assert_eq!(cells[6], "On pace to exceed");
            href
        })
        .collect();
    filtered.sort();
    assert_eq!(filtered, on_pace);

    // Sorted by days until the budget is crossed, soonest first (or last), unknown last.
    let days_until = |href: &str| {
        after
            .values()
            .find(|s| customer_path(&s.customer_id) == href)
            .unwrap()
            .days_until_crossing()
    };
    for dir in ["asc", "desc"] {
        let keys: Vec<Option<i64>> = all_dashboard_rows(&app, &format!("sort=crossing&dir={dir}"))
            .await
            .iter()
            .map(|(href, _)| days_until(href))
            .collect();
        assert_eq!(keys.len(), 60);
        let known: Vec<i64> = keys.iter().map_while(|k| *k).collect();
        assert!(
            keys[known.len()..].iter().all(Option::is_none),
            "{dir}: unknown last"
        );
        let mut sorted = known.clone();
        sorted.sort();
        if dir == "desc" {
            sorted.reverse();
        }
        assert_eq!(known, sorted, "{dir}");
        assert!(known.len() > 5);
    }
}

#[tokio::test]
async fn a_new_month_starts_a_new_billing_period_and_the_old_one_is_kept() {
    let app = spawn_at(noon(2026, 11, 29)).await;
    next_day(&app).await;
    let november_end = sandbox_totals(&app).await;
    next_day(&app).await;
    let december_first = sandbox_totals(&app).await;
    let dec1 = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();

    let snapshots = snapshots(&app).await;
    for s in snapshots.values() {
        let id = s.customer_id.to_string();
        assert_eq!(s.billing_period_start, dec1);
        assert_eq!(s.total_cost.amount(), december_first[&id]);
        let rows = app
            .store()
            .daily_usage(&s.customer_id, nov(1), dec1)
            .await
            .unwrap();
        let periods: Vec<(NaiveDate, NaiveDate)> = rows
            .iter()
            .map(|r| (r.day, r.billing_period_start))
            .collect();
        assert_eq!(
            periods,
            [(nov(29), nov(1)), (nov(30), nov(1)), (dec1, dec1)]
        );
        assert_eq!(rows[1].total_cost.amount(), november_end[&id]);
        assert_eq!(rows[2].total_cost.amount(), december_first[&id]);
        // November's days do not count: one day of December, the period average.
        let f = s.forecast.as_ref().unwrap();
        if s.total_cost.amount() > Decimal::ZERO {
            assert_eq!(
                f.method,
                ForecastMethod::PeriodAverage {
                    since: dec1,
                    days: 1
                }
            );
            assert_eq!(
                f.projected_total.amount(),
                s.total_cost.amount() * Decimal::from(31)
            );
        }
    }

    let s = snapshots
        .values()
        .find(|s| s.total_cost.amount() > Decimal::ZERO)
        .unwrap();
    let page = text(&app.customer_page(&s.customer_id).await);
    assert!(page.contains("1 Dec 2026 to 31 Dec 2026"), "{page}");
    assert!(
        page.contains(&format!(
            "November 2026: {} as of 30 Nov 2026",
            Money::new(
                november_end[&s.customer_id.to_string()],
                s.currency().clone()
            )
        )),
        "{page}"
    );
    assert!(
        page.contains("average daily spend since 1 Dec (1 day)"),
        "{page}"
    );
}

#[tokio::test]
async fn the_customer_page_draws_its_charts_with_text_alternatives() {
    let app = spawn_at(noon(2026, 11, 3)).await;
    for _ in 4..=6 {
        next_day(&app).await;
    }
    let snapshots = snapshots(&app).await;
    let s = snapshots
        .values()
        .filter(|s| s.total_cost.amount() > Decimal::ZERO && s.budget.is_some())
        .min_by_key(|s| s.customer_id)
        .unwrap();
    let html = app.customer_page(&s.customer_id).await;
    let doc = scraper::Html::parse_document(&html);
    let select = |css: &str| {
        let selector = scraper::Selector::parse(css).unwrap();
        doc.select(&selector).collect::<Vec<_>>()
    };

    for chart in ["svg.chart-cumulative", "svg.chart-daily"] {
        let svg = select(chart);
        assert_eq!(svg.len(), 1, "{chart}");
        let svg = svg[0].value();
        assert_eq!(svg.attr("role"), Some("img"));
        // Each id it is labelled by is a non-empty <title> or <desc> of the chart.
        for id in svg.attr("aria-labelledby").unwrap().split_whitespace() {
            let label = select(&format!("{chart} #{id}"));
            assert_eq!(label.len(), 1, "{chart} #{id}");
            assert!(matches!(label[0].value().name(), "title" | "desc"));
            assert!(!label[0].text().collect::<String>().trim().is_empty());
        }
    }
    let desc: String = select("svg.chart-cumulative desc")[0].text().collect();
    let spend = s.total_cost.to_string();
    assert!(
        desc.contains(&spend) && desc.contains("4 recorded days"),
        "{desc}"
    );

    // The line: the period start, then 3, 4, 5 and 6 Nov; the projection and the budget.
    let points = select("svg.chart-cumulative polyline.chart-spend")[0]
        .value()
        .attr("points")
        .unwrap()
        .split_whitespace()
        .count();
    assert_eq!(points, 5);
    assert_eq!(
        select("svg.chart-cumulative line.chart-projection").len(),
        1
    );
    assert_eq!(select("svg.chart-cumulative line.chart-budget").len(), 1);
    // A bar for each day whose day before is recorded: 4, 5 and 6 Nov.
    assert_eq!(select("svg.chart-daily rect.chart-bar").len(), 3);

    // The data table: every recorded day, equal to the stored history.
    let history = app
        .store()
        .daily_usage(&s.customer_id, nov(1), nov(30))
        .await
        .unwrap();
    let rows = select("table.daily-usage tbody tr");
    assert_eq!(rows.len(), history.len());
    let cell = scraper::Selector::parse("td").unwrap();
    for (row, day) in rows.iter().zip(&history) {
        let cells: Vec<String> = row
            .select(&cell)
            .map(|c| c.text().collect::<String>())
            .collect();
        assert_eq!(cells[1], day.total_cost.grouped());
    }
    let first: String = rows[0].text().collect();
    assert!(first.contains("day before not recorded"), "{first}");

    // The resources chart needs resource data, read when a subscription page is opened.
    assert!(select("svg.chart-resources").is_empty());
    assert!(text(&html).contains("has not read this customer's resources yet"));
    let subscriptions = app
        .store()
        .subscription_usage(&s.customer_id)
        .await
        .unwrap();
    let first = subscriptions
        .first()
        .expect("the customer has a subscription");
    app.get_html(&format!(
        "{}/subscriptions/{}",
        customer_path(&s.customer_id),
        first.subscription_id.to_lowercase()
    ))
    .await;
    let (read, resources) = app
        .store()
        .customer_resource_usage(&s.customer_id)
        .await
        .unwrap();
    assert_eq!(read, 1);
    let html = app.customer_page(&s.customer_id).await;
    let doc = scraper::Html::parse_document(&html);
    let select = |css: &str| {
        let selector = scraper::Selector::parse(css).unwrap();
        doc.select(&selector)
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    assert_eq!(select("svg.chart-resources").len(), 1);
    let desc = &select("svg.chart-resources desc")[0];
    let expected: Vec<(String, String)> = resources
        .iter()
        .take(5)
        .map(|r| {
            (
                r.resource_name.clone().unwrap_or_default(),
                r.total_cost.to_string(),
            )
        })
        .collect();
    assert_eq!(
        select("svg.chart-resources rect.chart-bar").len(),
        expected.len()
    );
    for (name, amount) in &expected {
        assert!(desc.contains(&format!("{name}: {amount}")), "{desc}");
    }
    // Its data table lists the same resources, most expensive first.
    let table: Vec<String> = select(".chart-data tbody th");
    assert_eq!(
        table,
        expected
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_reader_sees_the_forecast_but_no_budget_form() {
    let app = spawn_app_with(
        SandboxOptions {
            now: Some(noon(2026, 11, 10)),
            ..SandboxOptions::default()
        },
        |_| {},
    )
    .await;
    app.sign_in_and_load(READER).await;
    let snapshots = snapshots(&app).await;
    let s = snapshots
        .values()
        .find(|s| s.total_cost.amount() > Decimal::ZERO)
        .unwrap();
    let f = s.forecast.as_ref().unwrap();
    // A single recorded day: the period average since the 1st, 10 days.
    assert_eq!(
        f.method,
        ForecastMethod::PeriodAverage {
            since: nov(1),
            days: 10
        }
    );
    let response = app.get(&customer_path(&s.customer_id)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(&response.text().await.unwrap());
    assert!(
        page.contains("average daily spend since 1 Nov (10 days)"),
        "{page}"
    );
    assert!(!page.contains("Change the budget"));
}

// ---- the store, on both databases ----

fn id(n: u128) -> CustomerId {
    CustomerId::from(Uuid::from_u128(
        0xf02e_0000_0000_4000_8000_0000_0000_0000 + n,
    ))
}

fn eur(amount: Decimal) -> Money {
    Money::new(amount, Currency::parse("EUR").unwrap())
}

/// A snapshot of 21 Nov with a forecast (or none).
fn snapshot(
    n: u128,
    spend: &str,
    budget: Option<&str>,
    forecast: Option<SnapshotForecast>,
) -> CustomerSnapshot {
    let (spend, budget) = (d(spend), budget.map(d));
    CustomerSnapshot {
        customer_id: id(n),
        company_name: format!("Customer {n:02}"),
        domain: None,
        is_azure_plan: true,
        total_cost: eur(spend),
        usd_total_cost: None,
        budget: budget.map(eur),
        percent_used: percent_used(spend, budget),
        status: UsageStatus::classify_projected(
            spend,
            forecast.as_ref().map(|f| f.projected_total.amount()),
            budget,
            d("80"),
        ),
        last_modified: Utc.with_ymd_and_hms(2026, 11, 21, 7, 0, 0).unwrap(),
        billing_period_start: nov(1),
        fetched_at: Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap(),
        forecast,
    }
}

fn projection(
    total: &str,
    crossing: Option<u32>,
    method: ForecastMethod,
) -> Option<SnapshotForecast> {
    Some(SnapshotForecast {
        projected_total: eur(d(total)),
        crosses_budget_on: crossing.map(nov),
        method,
    })
}

/// Five customers: over (crossed on the 12th), on pace (crosses on the 25th), on pace
/// (crosses on the 28th), within (no crossing), and one not forecast yet.
fn five() -> Vec<CustomerSnapshot> {
    let recent = ForecastMethod::RecentDailyAverage { days: 7 };
    vec![
        snapshot(1, "150", Some("100"), projection("210.5", Some(12), recent)),
        snapshot(2, "50", Some("100"), projection("130", Some(25), recent)),
        snapshot(
            3,
            "40",
            Some("100"),
            projection(
                "100",
                Some(28),
                ForecastMethod::PeriodAverage {
                    since: nov(1),
                    days: 21,
                },
            ),
        ),
        snapshot(
            4,
            "0",
            Some("100"),
            projection("0", None, ForecastMethod::NoUsageYet),
        ),
        snapshot(5, "20", Some("100"), None),
    ]
}

async fn order(
    db: &TestDb,
    sort: SortKey,
    descending: bool,
    status: Option<UsageStatus>,
) -> Vec<CustomerId> {
    db.store
        .dashboard_page(&DashboardQuery {
            sort,
            descending,
            status,
            ..DashboardQuery::default()
        })
        .await
        .unwrap()
        .rows
        .iter()
        .map(|s| s.customer_id)
        .collect()
}

on_both_databases! {
    async fn forecasts_round_trip_and_sort_with_unknown_last(db: &TestDb) {
        let rows = five();
        db.store.upsert_snapshots(&rows).await.unwrap();
        for s in &rows {
            assert_eq!(db.store.snapshot(&s.customer_id).await.unwrap().as_ref(), Some(s), "{}", db.kind());
        }
        assert_eq!(rows[1].status, UsageStatus::OnPace);
        assert_eq!(rows[2].status, UsageStatus::OnPace);
        assert_eq!(rows[4].status, UsageStatus::WithinBudget);

        // Crossing: days until (-9, 4, 7), the two without a date last, by name.
        assert_eq!(order(db, SortKey::BudgetCrossing, false, None).await, [id(1), id(2), id(3), id(4), id(5)]);
        assert_eq!(order(db, SortKey::BudgetCrossing, true, None).await, [id(3), id(2), id(1), id(4), id(5)]);
        // Projected: 0, 100, 130, 210.5, then the one without a forecast.
        assert_eq!(order(db, SortKey::Projected, false, None).await, [id(4), id(3), id(2), id(1), id(5)]);
        assert_eq!(order(db, SortKey::Projected, true, None).await, [id(1), id(2), id(3), id(4), id(5)]);
        // Status: over, on pace (by name), within.
        assert_eq!(order(db, SortKey::Status, false, None).await, [id(1), id(2), id(3), id(4), id(5)]);
        assert_eq!(order(db, SortKey::Name, false, Some(UsageStatus::OnPace)).await, [id(2), id(3)]);

        let totals = db.store.dashboard_totals().await.unwrap();
        assert_eq!((totals.over_budget, totals.near_budget, totals.on_pace, totals.no_budget), (1, 0, 2, 0));
        assert_eq!(rows[0].days_until_crossing(), Some(-9));
    }
}

on_both_databases! {
    async fn a_forecast_update_replaces_the_status_and_the_crossing(db: &TestDb) {
        let rows = five();
        db.store.upsert_snapshots(&rows).await.unwrap();
        // Customer 4 gets a budget crossing on the 30th, customer 2 loses its forecast.
        let new = projection("400", Some(30), ForecastMethod::RecentDailyAverage { days: 3 }).unwrap();
        assert!(db.store.update_snapshot_forecast(&id(4), nov(21), UsageStatus::OnPace, Some(&new)).await.unwrap());
        assert!(db.store.update_snapshot_forecast(&id(2), nov(21), UsageStatus::WithinBudget, None).await.unwrap());
        assert!(!db.store.update_snapshot_forecast(&id(9), nov(21), UsageStatus::WithinBudget, None).await.unwrap());

        let four = db.store.snapshot(&id(4)).await.unwrap().unwrap();
        assert_eq!((four.status, four.forecast.as_ref()), (UsageStatus::OnPace, Some(&new)));
        assert_eq!(four.days_until_crossing(), Some(9));
        let two = db.store.snapshot(&id(2)).await.unwrap().unwrap();
        assert_eq!((two.status, two.forecast), (UsageStatus::WithinBudget, None));
        assert_eq!(order(db, SortKey::BudgetCrossing, false, None).await, [id(1), id(3), id(4), id(2), id(5)]);
        assert_eq!(db.store.dashboard_totals().await.unwrap().on_pace, 2);
    }
}

on_both_databases! {
    async fn every_customers_days_of_a_range_are_read_at_once(db: &TestDb) {
        let fetched = Utc.with_ymd_and_hms(2026, 11, 21, 8, 0, 0).unwrap();
        let row = |n: u128, day: NaiveDate, total: &str| DailyUsage {
            customer_id: id(n),
            day,
            billing_period_start: BillingPeriod::containing(day).start,
            total_cost: Money::new(d(total), Currency::parse("JPY").unwrap()),
            fetched_at: fetched,
        };
        let oct31 = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap();
        let rows = vec![
            row(2, nov(3), "30"),
            row(1, nov(2), "20.5"),
            row(1, oct31, "999"),
            row(2, nov(1), "10"),
            row(1, nov(1), "10.25"),
            row(3, nov(9), "1"),
        ];
        db.store.record_daily_usage(&rows).await.unwrap();
        let read = db.store.spend_points_of_all(nov(1), nov(8)).await.unwrap();
        let point = |n: u128, day: NaiveDate, total: &str| {
            (id(n), SpendPoint { day, period_to_date: d(total) })
        };
        assert_eq!(
            read,
            [
                point(1, nov(1), "10.25"),
                point(1, nov(2), "20.5"),
                point(2, nov(1), "10"),
                point(2, nov(3), "30"),
            ],
            "{}",
            db.kind()
        );
        // Exact, scale included.
        assert_eq!(read[1].1.period_to_date.to_string(), "20.5");
    }
}

/// The store of `db` with the schema as it was before the forecast migration (versions up
/// to 20261121000006): a new SQLite file (returned, to be removed), or `db`'s PostgreSQL
/// database emptied.
async fn store_before_forecasts(
    db: &TestDb,
) -> (spendboard::store::Store, Option<std::path::PathBuf>) {
    use spendboard::store::{DatabaseKind, Store};
    use sqlx::migrate::Migrator;
    const BEFORE: i64 = 20261121000006;
    match db.kind() {
        DatabaseKind::Sqlite => {
            let path = std::env::temp_dir().join(format!("spendboard-f2-{}.db", Uuid::new_v4()));
            let store = Store::connect(&format!("sqlite://{}?mode=rwc", path.display()), 1)
                .await
                .unwrap();
            let Store::Sqlite(pool) = &store else {
                unreachable!()
            };
            let migrator = Migrator::new(std::path::Path::new("migrations/sqlite"))
                .await
                .unwrap();
            migrator.run_to(BEFORE, pool).await.unwrap();
            (store, Some(path))
        }
        DatabaseKind::Postgres => {
            db.execute_raw("drop schema public cascade").await.unwrap();
            db.execute_raw("create schema public").await.unwrap();
            let Store::Postgres(pool) = &db.store else {
                unreachable!()
            };
            let migrator = Migrator::new(std::path::Path::new("migrations/postgres"))
                .await
                .unwrap();
            migrator.run_to(BEFORE, pool).await.unwrap();
            (db.store.clone(), None)
        }
    }
}

on_both_databases! {
    async fn existing_snapshots_keep_their_status_under_the_new_ranks(db: &TestDb) {
        let (store, file) = store_before_forecasts(db).await;
        // Rows as the previous schema had them: ranks 0 over, 1 near, 2 within, 3 none.
        let insert = "insert into customer_snapshots (customer_id, company_name, search_name, \
             currency, is_azure_plan, total_cost, budget, status, last_modified, \
             billing_period_start, fetched_at, total_cost_key, status_rank, fetched_key) values ";
        let row = |n: u128, status: &str, rank: i64| {
            format!(
                "('{}', 'Customer {n}', 'customer {n}', 'EUR', true, 10, 100, '{status}', \
                 '2026-11-20T07:00:00+00:00', '2026-11-01', '2026-11-21T08:00:00+00:00', \
                 100000, {rank}, 1)",
                id(n)
            )
        };
        let sql = format!(
            "{insert}{}, {}, {}, {}",
            row(1, "none", 3),
            row(2, "within", 2),
            row(3, "near", 1),
            row(4, "over", 0)
        );
        match &store {
            spendboard::store::Store::Sqlite(pool) => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
            }
            spendboard::store::Store::Postgres(pool) => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).execute(pool).await.unwrap();
            }
        }
        store.migrate().await.unwrap();

        for (n, status) in [
            (1, UsageStatus::NoBudget),
            (2, UsageStatus::WithinBudget),
            (3, UsageStatus::NearBudget),
            (4, UsageStatus::OverBudget),
        ] {
            let read = store.snapshot(&id(n)).await.unwrap().unwrap();
            assert_eq!((read.status, read.forecast), (status, None), "{}", db.kind());
        }
        // An on-pace customer now sorts between near and within.
        let mut on_pace = snapshot(5, "50", Some("100"), projection("120", Some(25), ForecastMethod::RecentDailyAverage { days: 7 }));
        on_pace.company_name = "Customer 0".to_owned();
        store.upsert_snapshots(&[on_pace]).await.unwrap();
        let by_status: Vec<CustomerId> = store
            .dashboard_page(&DashboardQuery { sort: SortKey::Status, ..DashboardQuery::default() })
            .await
            .unwrap()
            .rows
            .iter()
            .map(|s| s.customer_id)
            .collect();
        assert_eq!(by_status, [id(4), id(3), id(5), id(2), id(1)]);
        store.close().await;
        if let Some(file) = file {
            std::fs::remove_file(file).unwrap();
        }
    }
}
