//! The dashboard's numbers against the sandbox's, sorting, search and paging.

use std::collections::BTreeMap;
use std::str::FromStr;

use partner_center_sandbox::{SandboxOptions, Throttle, ThrottleScope};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use spendboard::domain::{Currency, Money};
use spendboard::store::search_name;

use crate::helpers::{EDITOR, READER, dashboard_count, spawn_app, spawn_app_with, urlencode};
use crate::truth;

/// The text of each cell of the customer table, row by row.
fn table(html: &str) -> Vec<Vec<String>> {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse("table.customers tbody tr").unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    doc.select(&row)
        .map(|r| {
            r.select(&cell)
                .map(|c| {
                    c.text()
                        .collect::<String>()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .filter(|cells: &Vec<String>| cells.len() == 9)
        .collect()
}

/// The number of a cell such as `1,234.50 EUR` or `12.5 %`.
fn amount(cell: &str) -> Option<Decimal> {
    let number = cell.split_whitespace().next()?;
    Decimal::from_str(&number.replace(',', "")).ok()
}

#[tokio::test]
async fn the_dashboards_counts_and_totals_equal_the_sandboxs() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let html = app.dashboard("").await;
    let records = truth::usage_records(&app).await;
    assert_eq!(records.len(), 60);

    let truth::StatusCounts { over, near, none } = truth::StatusCounts::of(&records);
    assert!(
        over > 0 && near > 0 && none > 0,
        "the sandbox has customers of each kind"
    );
    assert_eq!(dashboard_count(&html, "Customers"), 60);
    assert_eq!(dashboard_count(&html, "Over budget"), over);
    assert_eq!(dashboard_count(&html, "Near budget"), near);
    assert_eq!(dashboard_count(&html, "Without budget"), none);

    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    for r in &records {
        *totals.entry(r.currency.clone()).or_default() += r.total_cost;
    }
    assert!(
        totals.contains_key("JPY"),
        "a zero-decimal currency is in the data"
    );
    for (currency, total) in totals {
        let shown = Money::new(total, Currency::parse(&currency).unwrap()).to_string();
        assert!(html.contains(&shown), "the total {shown} is on the page");
        let group: Vec<_> = records.iter().filter(|r| r.currency == currency).collect();
        let with_usd: Vec<Decimal> = group.iter().filter_map(|r| r.usd_total_cost).collect();
        if !with_usd.is_empty() {
            let usd = Money::new(with_usd.iter().sum(), Currency::usd()).to_string();
            assert!(
                html.contains(&usd),
                "the USD equivalent {usd} of {currency} is on the page"
            );
            if with_usd.len() < group.len() {
                let note = format!(
                    "for {} of {} customers (Azure plan)",
                    with_usd.len(),
                    group.len()
                );
                assert!(html.contains(&note), "{currency}: {note}");
            }
        }
    }
}

#[tokio::test]
async fn each_row_shows_the_sandboxs_spend_and_budget_in_the_customers_currency() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let records = truth::usage_records(&app).await;
    let mut rows = table(&app.dashboard("sort=name").await);
    rows.extend(table(&app.dashboard("sort=name&page=2").await));
    assert_eq!(rows.len(), 60);
    for record in &records {
        let row = rows
            .iter()
            .find(|r| r[0] == record.name)
            .unwrap_or_else(|| panic!("{} is listed", record.name));
        let currency = Currency::parse(&record.currency).unwrap();
        assert_eq!(
            row[1],
            Money::new(record.total_cost, currency.clone()).to_string(),
            "{}",
            record.name
        );
        match record.budget {
            Some(b) => assert_eq!(row[2], Money::new(b, currency.clone()).to_string()),
            None => assert_eq!(row[2], "none"),
        }
        assert_eq!(row[7], record.currency);
        if record.currency == "JPY" {
            assert!(
                !row[1].contains('.') && row[1].ends_with(" JPY"),
                "JPY without decimals: {}",
                row[1]
            );
        }
    }
}

#[tokio::test]
async fn sorting_by_each_column_orders_the_rows() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    for (sort, column) in [("spend", 1), ("budget", 2), ("percent", 3)] {
        for dir in ["asc", "desc"] {
            let rows = table(&app.dashboard(&format!("sort={sort}&dir={dir}")).await);
            let values: Vec<Decimal> = rows.iter().filter_map(|r| amount(&r[column])).collect();
            assert!(values.len() > 10, "{sort}: numbers in the column");
            let mut sorted = values.clone();
            sorted.sort();
            if dir == "desc" {
                sorted.reverse();
            }
            assert_eq!(values, sorted, "sorted by {sort} {dir}");
        }
    }
    for (sort, column) in [("name", 0), ("currency", 7)] {
        let rows = table(&app.dashboard(&format!("sort={sort}&dir=asc")).await);
        let values: Vec<String> = rows.iter().map(|r| search_name(&r[column])).collect();
        let mut sorted = values.clone();
        sorted.sort();
        assert_eq!(values, sorted, "sorted by {sort}");
    }
    let rows = table(&app.dashboard("sort=status").await);
    let rank = |s: &str| {
        [
            "Over budget",
            "Near budget",
            "On pace to exceed",
            "Within budget",
            "No budget",
        ]
        .iter()
        .position(|x| *x == s)
        .unwrap()
    };
    let ranks: Vec<usize> = rows.iter().map(|r| rank(&r[6])).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted, "most urgent status first");
    let html = app.dashboard("sort=age&dir=desc").await;
    assert!(html.contains("aria-sort=\"descending\""));
}

#[tokio::test]
async fn search_finds_names_with_accents_ampersands_and_angle_brackets() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let records = truth::usage_records(&app).await;
    let accented = records
        .iter()
        .find(|r| !r.name.is_ascii())
        .expect("a name with accents");
    let word = accented
        .name
        .split_whitespace()
        .find(|w| !w.is_ascii())
        .unwrap();
    let html = app
        .dashboard(&format!("q={}", urlencode(&word.to_uppercase())))
        .await;
    let rows = table(&html);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r[0].to_lowercase().contains(&word.to_lowercase()))
    );

    let bracketed = records
        .iter()
        .find(|r| r.name.contains('<'))
        .expect("a name with <");
    let html = app.dashboard(&format!("q={}", urlencode("<"))).await;
    assert!(table(&html).iter().any(|r| r[0] == bracketed.name));
    assert!(
        !html.contains(&bracketed.name),
        "angle brackets are escaped in HTML"
    );
    let html = app.dashboard(&format!("q={}", urlencode("%"))).await;
    assert!(table(&html).is_empty(), "% is a literal, not a wildcard");
    assert!(html.contains("No customer matches."));
}

#[tokio::test]
async fn paging_shows_fifty_rows_then_the_rest_without_overlap() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let first = app.dashboard("sort=spend&dir=desc").await;
    assert!(first.contains("Page 1 of 2"));
    let second = app.dashboard("sort=spend&dir=desc&page=2").await;
    let (a, b) = (table(&first), table(&second));
    assert_eq!((a.len(), b.len()), (50, 10));
    assert!(a.iter().all(|r| !b.iter().any(|s| s[0] == r[0])));
    assert!(first.contains("rel=\"next\""));
}

#[tokio::test]
async fn malformed_query_parameters_fall_back_to_the_defaults() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let response = app
        .get("/?sort=bogus&dir=sideways&page=-3&status=maybe")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(table(&response.text().await.unwrap()).len(), 50);
}

#[tokio::test]
async fn the_status_filter_shows_only_customers_over_budget() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let rows = table(&app.dashboard("status=over").await);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[6] == "Over budget"));
}

#[tokio::test]
async fn a_refresh_throttled_by_partner_center_waits_for_retry_after_and_completes() {
    let options = SandboxOptions {
        throttle: Some(Throttle {
            limit: 1,
            scope: ThrottleScope::Partner,
            window_seconds: 1,
        }),
        ..Default::default()
    };
    let app = spawn_app_with(options, |_| {}).await;
    app.sign_in_and_load(EDITOR).await;
    let run = app.latest_run().await;
    assert_eq!(
        run.state,
        spendboard::store::RunState::Succeeded,
        "{}",
        run.message
    );
    let requests = app
        .sandbox_control(reqwest::Method::GET, "_sandbox/requests", None)
        .await;
    assert!(
        requests.to_string().contains("429"),
        "the sandbox did throttle: {requests}"
    );
    assert!(app.dashboard("").await.contains("60 matching customers"));
}

#[tokio::test]
async fn a_refresh_throttled_for_too_long_fails_visibly_and_keeps_nothing_half_done() {
    let options = SandboxOptions {
        throttle: Some(Throttle {
            limit: 1,
            scope: ThrottleScope::Partner,
            window_seconds: 60,
        }),
        ..Default::default()
    };
    let app = spawn_app_with(options, |_| {}).await;
    app.sign_in_as(EDITOR).await;
    assert_eq!(app.get("/").await.status(), StatusCode::SEE_OTHER);
    app.wait_for_refresh().await;
    let page = app.get_html("/refresh").await;
    assert!(page.contains("The refresh failed"), "{page}");
    assert!(page.to_lowercase().contains("throttl") || page.contains("Try again"));
    assert_eq!(app.store().dashboard_totals().await.unwrap().customers, 0);
}
