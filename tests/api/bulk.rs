//! Bulk budget changes through HTTP: the preview (old and new amounts, new status, rows left
//! out with the reason, one currency at a time), bad input, readers refused, the apply of
//! many customers against a throttling and faulty sandbox with every outcome checked
//! against the sandbox and the history, and a batch resumed by another instance. On SQLite by
//! default, on PostgreSQL with `SPENDBOARD_TEST_DATABASE=postgres`.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use partner_center_sandbox::SandboxOptions;
use reqwest::{Method, StatusCode};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::json;
use spendboard::domain::{Currency, CustomerId, Money, UsageStatus};
use spendboard::store::{ChangeOutcome, LeaseScope};

use crate::helpers::{
    EDITOR, READER, TestApp, assert_is_redirect_to, eventually, spawn_app, spawn_app_with,
};
use crate::truth::{self, Record};

const PATCH: &str = "PATCH /v1/customers/{id}/usagebudget";

fn text(e: scraper::ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn select(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).map(text).collect()
}

/// The batch page's rows, by customer name: currency, budget now, new budget, new status,
/// result.
fn batch_rows(html: &str) -> HashMap<String, Vec<String>> {
    let doc = scraper::Html::parse_document(html);
    let row = scraper::Selector::parse("#batch-items tbody tr").unwrap();
    let cell = scraper::Selector::parse("th, td").unwrap();
    doc.select(&row)
        .map(|r| {
            let cells: Vec<String> = r.select(&cell).map(text).collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .collect()
}

/// A count of the progress section (`applied`, `failed`, `checking`, `remaining`).
fn count(html: &str, name: &str) -> u64 {
    select(html, &format!("#count-{name}"))
        .first()
        .unwrap_or_else(|| panic!("no count {name}"))
        .parse()
        .unwrap()
}

fn money(amount: Option<Decimal>, currency: &str) -> String {
    amount.map_or_else(
        || "no budget".to_owned(),
        |a| Money::new(a, Currency::parse(currency).unwrap()).to_string(),
    )
}

/// The dashboard's CSRF token.
async fn csrf(app: &TestApp) -> String {
    TestApp::csrf_token(&app.dashboard("owner=all").await)
}

/// Posts the bulk form.
async fn preview(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/bulk/preview"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Plans a batch; returns its page's path.
async fn plan(app: &TestApp, form: &[(&str, &str)]) -> String {
    let response = preview(app, form).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn confirm(app: &TestApp, batch: &str) {
    let html = app.get_html(batch).await;
    let token = TestApp::csrf_token(&html);
    let response = app
        .post_form(&format!("{batch}/confirm"), &[("csrf_token", &token)])
        .await;
    assert_is_redirect_to(&response, batch);
}

/// Waits until the batch page shows nothing remaining or being checked; returns the page.
async fn finished(app: &TestApp, batch: &str, seconds: u64) -> String {
    eventually(seconds, "the batch finished", || async {
        let html = app.get_html(batch).await;
        (count(&html, "remaining") == 0 && count(&html, "checking") == 0).then_some(html)
    })
    .await
}

/// The status a budget gives, as Spendboard's rules say (no projection known here: the
/// test compares only customers whose projection cannot change the status).
/// The amount of a planned budget, as Partner Center holds it.
fn amount(budget: &Option<Money>) -> Option<Decimal> {
    budget.as_ref().map(Money::amount)
}

fn expected_new(old: Decimal, percent: Decimal, currency: &str) -> Decimal {
    let places = Currency::parse(currency).unwrap().minor_units();
    (old * (Decimal::ONE_HUNDRED + percent) / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero)
}

#[tokio::test]
async fn readers_see_no_bulk_controls_and_get_403_from_every_bulk_route() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let token = csrf(&app).await;
    let batch = plan(
        &app,
        &[
            ("csrf_token", &token),
            ("all_matching", "1"),
            ("owner", "all"),
            ("action", "remove"),
        ],
    )
    .await;
    let reader = app.another_session(READER).await;
    let html = app.html_as(&reader, "/?owner=all").await;
    assert!(!html.contains("bulk-form") && !html.contains("select-row"));
    let reader_token = TestApp::csrf_token(&html);
    let form = [
        ("csrf_token", reader_token.as_str()),
        ("all_matching", "1"),
        ("action", "remove"),
    ];
    for (method, path) in [
        (Method::POST, "/bulk/preview".to_owned()),
        (Method::GET, batch.clone()),
        (Method::POST, format!("{batch}/confirm")),
        (Method::POST, format!("{batch}/retry")),
        (Method::GET, format!("{batch}/outcomes.csv")),
    ] {
        let response = reader
            .request(method.clone(), app.url(&path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    // Nothing was confirmed, nothing sent.
    let id: i64 = batch.rsplit('/').next().unwrap().parse().unwrap();
    let stored = app.store().batch(id).await.unwrap().unwrap();
    assert!(stored.confirmed_at.is_none());
}

#[tokio::test]
async fn the_preview_shows_old_and_new_budgets_the_new_status_and_what_is_left_out_and_sends_nothing()
 {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let records = truth::usage_records(&app).await;
    let token = csrf(&app).await;

    // Raise every budget by 12.5 %.
    let batch = plan(
        &app,
        &[
            ("csrf_token", &token),
            ("all_matching", "1"),
            ("owner", "all"),
            ("action", "percent"),
            ("percent", "12.5"),
            ("reason", "price change"),
        ],
    )
    .await;
    let html = app.get_html(&batch).await;
    assert!(html.contains("Raise by 12.5 %") && html.contains("price change"));
    let rows = batch_rows(&html);
    assert_eq!(rows.len(), records.len());
    let threshold = Decimal::from(80);
    for r in &records {
        let row = &rows[&r.name];
        assert_eq!(row[0], r.currency);
        assert_eq!(row[1], money(r.budget, &r.currency), "{}", r.name);
        match r.budget {
            None => {
                assert_eq!(row[2], "–");
                assert!(row[4].contains("no budget to raise or lower"), "{row:?}");
            }
            Some(old) => {
                let new = expected_new(old, Decimal::new(125, 1), &r.currency);
                assert_eq!(row[2], money(Some(new), &r.currency), "{}", r.name);
                // Over and near do not depend on the projection.
                let status = UsageStatus::classify(r.total_cost, Some(new), threshold);
                if matches!(status, UsageStatus::OverBudget | UsageStatus::NearBudget) {
                    assert_eq!(row[3], status.label(), "{}", r.name);
                }
            }
        }
    }
    let with_budget = records.iter().filter(|r| r.budget.is_some()).count();
    assert!(html.contains(&format!(
        "{with_budget} of {} customers would change",
        records.len()
    )));

    // One amount over a selection spanning currencies: only one currency changes.
    let eur: Vec<&Record> = records.iter().filter(|r| r.currency == "EUR").collect();
    let other = records.iter().find(|r| r.currency != "EUR").unwrap();
    let mut form = vec![
        ("csrf_token", token.as_str()),
        ("action", "set"),
        ("amount", "2500"),
        ("currency", "EUR"),
    ];
    for r in eur.iter().take(3).copied().chain([other]) {
        form.push(("customer", r.id.as_str()));
    }
    let batch = plan(&app, &form).await;
    let html = app.get_html(&batch).await;
    let note = select(&html, "#split-note").concat();
    assert!(
        note.contains("only the customers billed in EUR change"),
        "{note}"
    );
    let rows = batch_rows(&html);
    assert_eq!(rows.len(), 4);
    assert!(rows[&other.name][4].contains(&format!("billed in {}, not EUR", other.currency)));
    for r in eur.iter().take(3) {
        if r.budget != Some(Decimal::from(2500)) {
            assert_eq!(rows[&r.name][2], "2,500.00 EUR");
        }
    }

    // Nothing was sent: Partner Center's budgets are as they were, no change is recorded.
    for (before, after) in records.iter().zip(truth::usage_records(&app).await) {
        assert_eq!(before.budget, after.budget);
    }
    for r in &records {
        let id = CustomerId::parse(&r.id).unwrap();
        assert!(
            app.store()
                .budget_changes_for_customer(&id, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// A case of bad input: name, the form's fields, the id of the error's element, the message.
type BadCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);

#[tokio::test]
async fn bad_input_is_refused_next_to_its_field_and_nothing_is_planned() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let records = truth::usage_records(&app).await;
    let token = csrf(&app).await;
    let eur = records.iter().find(|r| r.currency == "EUR").unwrap();
    let jpy = records.iter().find(|r| r.currency == "JPY").unwrap();
    let unknown = "00000000-0000-4000-8000-000000000001";
    let cases: Vec<BadCase> = vec![
        (
            "empty selection",
            vec![("action", "remove")],
            "#selection-error",
            "Select at least one customer",
        ),
        (
            "unknown customer",
            vec![("customer", unknown), ("action", "remove")],
            "#selection-error",
            "not known to Spendboard",
        ),
        (
            "no action",
            vec![("customer", &eur.id)],
            "#action-error",
            "Choose what to do",
        ),
        (
            "thousands separator",
            vec![
                ("customer", &eur.id),
                ("action", "set"),
                ("amount", "2,500"),
                ("currency", "EUR"),
            ],
            "#bulk-amount-error",
            "without thousands separators",
        ),
        (
            "decimals in yen",
            vec![
                ("customer", &jpy.id),
                ("action", "set"),
                ("amount", "2500.5"),
                ("currency", "JPY"),
            ],
            "#bulk-amount-error",
            "JPY amounts have no decimals",
        ),
        (
            "a currency none of the selection has",
            vec![
                ("customer", &eur.id),
                ("action", "set"),
                ("amount", "100"),
                ("currency", "JPY"),
            ],
            "#bulk-amount-error",
            "None of the selected customers is billed in JPY",
        ),
        (
            "above the maximum",
            vec![
                ("customer", &eur.id),
                ("action", "set"),
                ("amount", "100000000"),
                ("currency", "EUR"),
            ],
            "#bulk-amount-error",
            "must be below",
        ),
        (
            "not a percentage",
            vec![
                ("customer", &eur.id),
                ("action", "percent"),
                ("percent", "ten"),
            ],
            "#bulk-percent-error",
            "is not a percentage",
        ),
        (
            "lowered by 100 %",
            vec![
                ("customer", &eur.id),
                ("action", "percent"),
                ("percent", "-100"),
            ],
            "#bulk-percent-error",
            "between",
        ),
        (
            "negative margin",
            vec![
                ("customer", &eur.id),
                ("action", "projected"),
                ("margin", "-5"),
            ],
            "#bulk-margin-error",
            "between",
        ),
    ];
    for (case, fields, error_id, message) in cases {
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend(fields.iter().copied());
        let response = preview(&app, &form).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}"
        );
        let html = response.text().await.unwrap();
        let error = select(&html, error_id).concat();
        assert!(error.contains(message), "{case}: {error:?}");
        // The input is kept, the selection too.
        for (name, value) in &fields {
            if ["amount", "percent", "margin"].contains(name) {
                assert!(
                    html.contains(&format!("value=\"{value}\"")),
                    "{case}: {name}"
                );
            }
        }
    }
    // Without the CSRF token: refused.
    let response = preview(&app, &[("customer", &eur.id), ("action", "remove")]).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        app.store().batch(1).await.unwrap().is_none(),
        "nothing planned"
    );
}

/// How many customers the apply test changes (1,000 by default).
fn customers() -> usize {
    std::env::var("SPENDBOARD_BULK_CUSTOMERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000)
}

#[tokio::test]
async fn a_thousand_budgets_are_applied_under_throttling_and_faults_and_every_outcome_is_true() {
    let n = customers();
    let app = spawn_app_with(
        SandboxOptions {
            customers: n,
            ..SandboxOptions::default()
        },
        |s| {
            s.partner_center.timeout_seconds = 2;
            s.budgets.settle_seconds = 2;
            s.budgets.reconcile_every_seconds = 1;
        },
    )
    .await;
    app.sign_in_and_load(EDITOR).await;
    let records = truth::usage_records(&app).await;
    assert_eq!(records.len(), n);
    let token = csrf(&app).await;
    let batch = plan(
        &app,
        &[
            ("csrf_token", &token),
            ("all_matching", "1"),
            ("owner", "all"),
            ("action", "projected"),
            ("margin", "10"),
            ("reason", "quarterly review"),
        ],
    )
    .await;
    let id: i64 = batch.rsplit('/').next().unwrap().parse().unwrap();
    let planned = app.store().batch_items(id).await.unwrap();
    let to_apply = planned
        .iter()
        .filter(|i| i.plan.skip_reason.is_none())
        .count();
    assert!(to_apply * 10 > n * 9, "most customers change: {to_apply}");

    // 10 % of the PATCHes spoiled (before and after applying), and a throttle.
    let spoiled = (to_apply / 10).max(4);
    let kinds = [
        json!({"kind": "status", "status": 500, "body": "apiFault"}),
        json!({"kind": "status", "status": 503, "afterApplying": true}),
        json!({"kind": "drop", "afterApplying": true}),
        json!({"kind": "status", "status": 502, "body": "gateway"}),
    ];
    for kind in &kinds {
        let mut rule = json!({ "route": PATCH, "times": spoiled / kinds.len() });
        rule.as_object_mut()
            .unwrap()
            .extend(kind.as_object().unwrap().clone());
        app.sandbox_control(Method::POST, "_sandbox/faults", Some(rule))
            .await;
    }
    let per_second = 100u32;
    app.sandbox_control(
        Method::PUT,
        "_sandbox/throttle",
        Some(json!({"limit": per_second, "scope": "partner", "windowSeconds": 1})),
    )
    .await;

    let started = Instant::now();
    confirm(&app, &batch).await;
    // The progress page is consistent while it runs.
    let html = app.get_html(&batch).await;
    let shown = ["applied", "failed", "checking", "remaining"]
        .iter()
        .map(|c| count(&html, c))
        .sum::<u64>();
    assert_eq!(shown, to_apply as u64);
    let mut html = finished(&app, &batch, 600).await;
    let first_pass = started.elapsed();
    // The failed ones (faults before applying) succeed when retried.
    for _ in 0..3 {
        if count(&html, "failed") == 0 {
            break;
        }
        let token = TestApp::csrf_token(&html);
        let response = app
            .post_form(&format!("{batch}/retry"), &[("csrf_token", &token)])
            .await;
        assert_is_redirect_to(&response, &batch);
        html = finished(&app, &batch, 300).await;
    }
    let elapsed = started.elapsed();
    app.sandbox_control(
        Method::PUT,
        "_sandbox/throttle",
        Some(serde_json::Value::Null),
    )
    .await;

    // Every outcome is true: what Partner Center holds now.
    let now: HashMap<String, Option<Decimal>> = truth::usage_records(&app)
        .await
        .into_iter()
        .map(|r| (r.id, r.budget))
        .collect();
    let items = app.store().batch_items(id).await.unwrap();
    let mut outcomes: HashMap<&str, u64> = HashMap::new();
    for item in &items {
        let held = now[&item.plan.customer_id.to_string()];
        let name = &item.plan.customer_name;
        match (&item.plan.skip_reason, item.outcome) {
            (Some(_), _) => {
                assert!(item.change_id.is_none(), "{name}: left out, never sent");
                assert_eq!(held, amount(&item.plan.seen_amount), "{name}");
            }
            (None, Some(ChangeOutcome::Applied)) => {
                assert_eq!(held, amount(&item.plan.new_amount), "{name}: applied");
            }
            (None, Some(outcome)) => {
                assert_eq!(held, amount(&item.plan.seen_amount), "{name}: {outcome:?}");
            }
            (None, None) => panic!("{name}: no outcome"),
        }
        *outcomes
            .entry(item.outcome.map_or("left out", |o| o.key()))
            .or_default() += 1;
    }
    assert_eq!(
        outcomes.get("applied").copied().unwrap_or_default(),
        to_apply as u64,
        "every change applied in the end: {outcomes:?}"
    );
    assert_eq!(count(&html, "applied"), to_apply as u64);
    assert_eq!(count(&html, "failed"), 0);

    // All in the history, with the batch and the reason; the sandbox applied each once.
    let mut in_history = BTreeSet::new();
    for item in items.iter().filter(|i| i.plan.skip_reason.is_none()) {
        let changes = app
            .store()
            .budget_changes_for_customer(&item.plan.customer_id, 10)
            .await
            .unwrap();
        assert!(!changes.is_empty());
        for change in &changes {
            assert_eq!(change.intent.batch_id, Some(id));
            assert_eq!(change.intent.reason.as_deref(), Some("quarterly review"));
        }
        in_history.insert(item.plan.customer_id);
    }
    assert_eq!(in_history.len(), to_apply);
    let csv = app
        .get(&format!("{batch}/outcomes.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 1 + items.len());
    assert_eq!(csv.matches(",applied,").count(), to_apply);

    // The floor the throttle allows: every item needs at least a GET and a PATCH.
    let floor = (2 * to_apply) as f64 / f64::from(per_second);
    println!(
        "bulk apply of {to_apply} budget changes ({:?}): first pass {:.1} s, with retries {:.1} s; throttle floor {floor:.1} s ({per_second} requests/s); outcomes {outcomes:?}",
        crate::helpers::database_kind(),
        first_pass.as_secs_f64(),
        elapsed.as_secs_f64(),
    );
}

#[tokio::test]
async fn a_batch_left_by_an_instance_in_the_middle_is_resumed_by_another_and_nothing_is_sent_twice()
{
    // Instance A does not resume batches on its own (as if it had stopped).
    let app = spawn_app_with(SandboxOptions::default(), |s| {
        s.budgets.bulk_resume_every_seconds = 3600;
    })
    .await;
    app.sign_in_and_load(EDITOR).await;
    let token = csrf(&app).await;
    let batch = plan(
        &app,
        &[
            ("csrf_token", &token),
            ("all_matching", "1"),
            ("owner", "all"),
            ("action", "percent"),
            ("percent", "-10"),
        ],
    )
    .await;
    let id: i64 = batch.rsplit('/').next().unwrap().parse().unwrap();
    // Slow PATCHes, so the batch is caught in the middle.
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({"route": PATCH, "kind": "delay", "ms": 300})),
    )
    .await;
    confirm(&app, &batch).await;
    eventually(30, "some items applied", || async {
        let done = app
            .store()
            .batch_items(id)
            .await
            .unwrap()
            .iter()
            .filter(|i| i.change_id.is_some())
            .count();
        (done >= 8).then_some(())
    })
    .await;
    // A stops: its lease goes to an instance that is gone (expired at once), so A's worker
    // ends at its next renewal.
    let scope = LeaseScope::Batch(id);
    assert!(
        app.store()
            .release_lease(scope, &app.state.instance_id)
            .await
            .unwrap()
    );
    assert!(
        app.store()
            .try_acquire_lease(scope, "gone", chrono::TimeDelta::zero())
            .await
            .unwrap()
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let left = app
        .store()
        .batch_items(id)
        .await
        .unwrap()
        .iter()
        .filter(|i| i.is_pending())
        .count();
    assert!(left > 0, "A stopped in the middle");
    app.sandbox_control(Method::DELETE, "_sandbox/faults", None)
        .await;

    // Instance B, started on the same database, resumes the batch.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = app.state.settings.clone();
    settings.server.port = port;
    settings.budgets.bulk_resume_every_seconds = 1;
    let b = spendboard::startup::Application::build_on(listener, settings)
        .await
        .unwrap();
    tokio::spawn(b.run_until_stopped());
    let html = finished(&app, &batch, 120).await;
    let items = app.store().batch_items(id).await.unwrap();
    let to_apply = items
        .iter()
        .filter(|i| i.plan.skip_reason.is_none())
        .count() as u64;
    assert_eq!(count(&html, "applied"), to_apply, "every item applied");
    // Each customer's budget was changed once: one change in its history.
    for item in items.iter().filter(|i| i.plan.skip_reason.is_none()) {
        let changes = app
            .store()
            .budget_changes_for_customer(&item.plan.customer_id, 10)
            .await
            .unwrap();
        assert_eq!(changes.len(), 1, "{}", item.plan.customer_name);
    }
}

/// Uploads `content` as the file `filename` (of `content_type`) with the budget upload form.
async fn upload_as(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    filename: &str,
    content_type: &str,
    content: &[u8],
) -> reqwest::Response {
    upload_to(
        app,
        client,
        "/bulk/upload",
        token,
        (filename, content_type, content),
    )
    .await
}

/// Uploads `file` (name, content type, content) with the upload form at `path`.
pub(crate) async fn upload_to(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    token: &str,
    (filename, content_type, content): (&str, &str, &[u8]),
) -> reqwest::Response {
    let boundary = "spendboard-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    client
        .post(app.url(path))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn uploaded_budgets_by_id_or_exact_name_are_previewed_and_applied_with_each_lines_reason() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let records = truth::usage_records(&app).await;
    let names: HashMap<&str, usize> = records.iter().fold(HashMap::new(), |mut m, r| {
        *m.entry(r.name.as_str()).or_default() += 1;
        m
    });
    let by_name = records
        .iter()
        .find(|r| r.currency == "EUR" && names[r.name.as_str()] == 1)
        .unwrap();
    let by_id = records
        .iter()
        .find(|r| r.currency == "JPY" && r.budget.is_some())
        .unwrap();
    let unchanged = records
        .iter()
        .find(|r| r.budget.is_some() && r.id != by_id.id && r.id != by_name.id)
        .unwrap();
    let same = unchanged.budget.unwrap().normalize().to_string();
    let file = format!(
        "customer,amount,reason\n\"{}\",1234.5,from the price list\n{},70000,\n{},{same},kept\n",
        by_name.name, by_id.id, unchanged.id
    );
    let token = csrf(&app).await;
    let response = upload_as(
        &app,
        &app.client,
        &token,
        "budgets.csv",
        "text/csv",
        file.as_bytes(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let batch = response.headers()["location"].to_str().unwrap().to_owned();
    let html = app.get_html(&batch).await;
    assert!(html.contains("Budgets from the uploaded file budgets.csv"));
    let rows = batch_rows(&html);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[&by_name.name][2], "1,234.50 EUR");
    assert_eq!(rows[&by_id.name][2], "70,000 JPY");
    assert!(rows[&unchanged.name][4].contains("unchanged"));
    assert!(html.contains("2 of 3 customers would change"));

    confirm(&app, &batch).await;
    let html = finished(&app, &batch, 60).await;
    assert_eq!(count(&html, "applied"), 2);
    let now: HashMap<String, Option<Decimal>> = truth::usage_records(&app)
        .await
        .into_iter()
        .map(|r| (r.id, r.budget))
        .collect();
    assert_eq!(now[&by_name.id], Some(Decimal::new(12345, 1)));
    assert_eq!(now[&by_id.id], Some(Decimal::from(70000)));
    assert_eq!(now[&unchanged.id], unchanged.budget);
    let id = CustomerId::parse(&by_name.id).unwrap();
    let history = app
        .store()
        .budget_changes_for_customer(&id, 10)
        .await
        .unwrap();
    assert_eq!(
        history[0].intent.reason.as_deref(),
        Some("from the price list")
    );
    let customer_page = app.get_html(&format!("/customers/{}", by_name.id)).await;
    assert!(
        customer_page.contains("in bulk change") && customer_page.contains("from the price list")
    );
}

#[tokio::test]
async fn an_upload_with_bad_lines_or_that_is_not_csv_is_refused_and_nothing_is_planned() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let records = truth::usage_records(&app).await;
    let eur = records.iter().find(|r| r.currency == "EUR").unwrap();
    let jpy = records.iter().find(|r| r.currency == "JPY").unwrap();
    let token = csrf(&app).await;
    let file = format!(
        "{},\"1,000\"\nNo Such Customer Ltd,100\n{},10.5\n{},200\n{},300\n{},1,two,extra\n",
        eur.id, jpy.id, jpy.id, eur.id, eur.id
    );
    let response = upload_as(
        &app,
        &app.client,
        &token,
        "b.csv",
        "text/csv",
        file.as_bytes(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    let errors = select(&html, "#upload-errors li");
    let expect = [
        "Line 1: ",
        "Line 2: no customer is named exactly \"No Such Customer Ltd\"",
        "Line 3: ",
        "Line 4: ",
        "Line 5: ",
        "Line 6: expected customer id or exact name, amount",
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:?}");
    for (error, expected) in errors.iter().zip(expect) {
        assert!(error.starts_with(expected), "{error:?} / {expected:?}");
    }
    assert!(errors[0].contains("thousands separators"), "{errors:?}");
    assert!(
        errors[2].contains("JPY amounts have no decimals"),
        "{errors:?}"
    );
    assert!(errors[4].contains("on line 1 already"), "{errors:?}");

    for (filename, content_type, content, message) in [
        (
            "budgets.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            b"PK\x03\x04binary".to_vec(),
            "is not a CSV file",
        ),
        (
            "budgets.csv",
            "text/csv",
            b"\xff\xfe\x00b\x00u".to_vec(),
            "not UTF-8 text",
        ),
        ("budgets.csv", "text/csv", Vec::new(), "no lines to apply"),
        (
            "budgets.csv",
            "text/csv",
            vec![b'a'; 1024 * 1024 + 1],
            "larger than 1024 KiB",
        ),
    ] {
        let response = upload_as(&app, &app.client, &token, filename, content_type, &content).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{message}"
        );
        let html = response.text().await.unwrap();
        let error = select(&html, "#budget-file-error").concat();
        assert!(error.contains(message), "{error:?}");
    }
    assert!(
        app.store().batch(1).await.unwrap().is_none(),
        "nothing planned"
    );

    // Readers are refused before the file is read.
    let reader = app.another_session(READER).await;
    let reader_token = TestApp::csrf_token(&app.html_as(&reader, "/").await);
    let response = upload_as(&app, &reader, &reader_token, "b.csv", "text/csv", b"x,1").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
