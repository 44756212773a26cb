//! A budget change is never lost, doubled or recorded wrongly: each fault Partner Center can
//! give on the PATCH, two editors racing, a database outage during the call, and a change
//! left without an outcome by a crash, each end with the customer page, Partner Center (the
//! sandbox) and the budget history agreeing.

use std::collections::HashMap;
use std::time::Duration;

use partner_center_sandbox::SandboxOptions;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use spendboard::domain::{Currency, CustomerId, Money};
use spendboard::store::{BudgetChangeIntent, BudgetChangeRecord, ChangeOutcome, DecidedBy};

use crate::budget::{form_fields, sandbox_budget, sandbox_patch_budget};
use crate::helpers::{EDITOR, TestApp, database_kind, eventually, spawn_app_with};
use crate::truth;

const PATCH: &str = "PATCH /v1/customers/{id}/usagebudget";

/// The app with a short Partner Center time-out and settling time, so that faults resolve
/// within seconds.
pub(crate) async fn spawn_strict_app() -> TestApp {
    let app = spawn_app_with(SandboxOptions::default(), |s| {
        s.partner_center.timeout_seconds = 1;
        s.partner_center.max_retries = 1;
        s.budgets.settle_seconds = 2;
        s.budgets.lock_wait_seconds = 10;
        s.budgets.reconcile_every_seconds = 1;
    })
    .await;
    app.sign_in_and_load(EDITOR).await;
    app
}

/// Customers whose currency has 2 decimal places, by path.
pub(crate) async fn customer_paths(app: &TestApp, count: usize) -> Vec<(String, Currency)> {
    truth::usage_records(app)
        .await
        .into_iter()
        .filter(|r| r.currency != "JPY")
        .take(count)
        .map(|r| {
            (
                format!("/customers/{}", r.id),
                Currency::parse(&r.currency).unwrap(),
            )
        })
        .collect()
}

fn customer_id(path: &str) -> CustomerId {
    CustomerId::parse(path.trim_start_matches("/customers/")).unwrap()
}

/// Submits the budget form of `path` as `client` sees it, asking for `amount`.
pub(crate) async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    amount: &str,
) -> (StatusCode, String) {
    let html = app.html_as(client, path).await;
    let (csrf, based_on) = form_fields(&html);
    post(app, client, path, &csrf, &based_on, amount).await
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    csrf: &str,
    based_on: &str,
    amount: &str,
) -> (StatusCode, String) {
    let response = client
        .post(app.url(&format!("{path}/budget")))
        .form(&[
            ("csrf_token", csrf),
            ("based_on", based_on),
            ("amount", amount),
            ("reason", "integrity test"),
        ])
        .send()
        .await
        .expect("POST budget");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

/// Every applied budget change the sandbox logged: `MS-RequestId` → how many times.
pub(crate) async fn applied_request_ids(app: &TestApp) -> HashMap<String, usize> {
    let log = app
        .sandbox_control(Method::GET, "_sandbox/budget-changes", None)
        .await;
    let mut counts = HashMap::new();
    for change in log["changes"].as_array().unwrap() {
        *counts
            .entry(change["requestId"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    counts
}

/// Waits until every change of the customer has an outcome, and returns them (newest first).
pub(crate) async fn decided_changes(app: &TestApp, path: &str) -> Vec<BudgetChangeRecord> {
    let id = customer_id(path);
    eventually(30, "every change decided", || async {
        let changes = app.store().budget_changes_for_customer(&id, 0).await.ok()?;
        changes
            .iter()
            .all(|c| c.decision.is_some())
            .then_some(changes)
    })
    .await
}

/// Asserts that Partner Center, Spendboard's stored budget, the customer page and every
/// recorded outcome agree, once every change of the customer is decided.
async fn assert_agrees(app: &TestApp, path: &str, currency: &Currency, case: &str) {
    let changes = decided_changes(app, path).await;
    let held = sandbox_budget(app, path).await;
    let id = customer_id(path);
    let stored = (app.store().snapshot(&id).await.unwrap().unwrap().budget).map(|b| b.amount());
    assert_eq!(
        stored, held,
        "{case}: Spendboard's budget = Partner Center's"
    );
    let page = app.get_html(path).await;
    let shown = held.map_or("No budget".to_owned(), |b| {
        Money::new(b, currency.clone()).to_string()
    });
    assert!(page.contains(&shown), "{case}: the page shows {shown}");
    let applied = applied_request_ids(app).await;
    for change in &changes {
        let (_, decision) = change.decision.as_ref().unwrap();
        let times = applied
            .get(&change.intent.request_id.to_string())
            .copied()
            .unwrap_or(0);
        assert!(
            times <= 1,
            "{case}: change {} applied {times} times",
            change.id
        );
        match decision.outcome {
            ChangeOutcome::Applied => assert_eq!(times, 1, "{case}: recorded applied"),
            _ => assert_eq!(times, 0, "{case}: recorded {:?}", decision.outcome),
        }
    }
    let (_, latest) = changes[0].decision.as_ref().unwrap();
    if let Some(recorded) = &latest.held {
        assert_eq!(
            held,
            recorded.as_ref().map(Money::amount),
            "{case}: the latest outcome says what is held"
        );
    }
}

#[tokio::test]
async fn each_fault_on_the_patch_ends_with_page_partner_center_and_history_agreeing() {
    let app = spawn_strict_app().await;
    let (path, currency) = customer_paths(&app, 1).await.remove(0);
    let cases: [(&str, Value, &str); 9] = [
        (
            "500 before applying",
            json!({"kind": "status", "status": 500, "body": "apiFault"}),
            "101.01",
        ),
        (
            "503 after applying",
            json!({"kind": "status", "status": 503, "afterApplying": true}),
            "102.02",
        ),
        (
            "reply later than the time-out",
            json!({"kind": "delay", "ms": 2500}),
            "103.03",
        ),
        (
            "connection dropped before applying",
            json!({"kind": "drop"}),
            "104.04",
        ),
        (
            "connection dropped after applying",
            json!({"kind": "drop", "afterApplying": true}),
            "105.05",
        ),
        ("truncated reply", json!({"kind": "truncated"}), "106.06"),
        ("reply in exponent form", json!({"kind": "exponent"}), "100"),
        (
            "502 from the gateway",
            json!({"kind": "status", "status": 502, "body": "gateway"}),
            "107.07",
        ),
        ("no fault", Value::Null, "108.08"),
    ];
    for (case, fault, amount) in cases {
        if !fault.is_null() {
            let mut rule = json!({ "route": PATCH, "times": 1 });
            rule.as_object_mut()
                .unwrap()
                .extend(fault.as_object().unwrap().clone());
            app.sandbox_control(Method::POST, "_sandbox/faults", Some(rule))
                .await;
        }
        let (status, page) = submit(&app, &app.client, &path, amount).await;
        assert!(
            [StatusCode::SEE_OTHER, StatusCode::BAD_GATEWAY].contains(&status),
            "{case}: {status} {page}"
        );
        if status == StatusCode::BAD_GATEWAY {
            assert!(
                page.contains("The change was not applied") && page.contains("Nothing was changed"),
                "{case}: said not applied only when known: {page}"
            );
        }
        assert_agrees(&app, &path, &currency, case).await;
        let latest = &decided_changes(&app, &path).await[0];
        let (_, decision) = latest.decision.as_ref().unwrap();
        let expected = match case {
            "500 before applying"
            | "connection dropped before applying"
            | "502 from the gateway" => ChangeOutcome::NotApplied,
            _ => ChangeOutcome::Applied,
        };
        assert_eq!(decision.outcome, expected, "{case}");
        assert_eq!(
            decision.decided_by,
            if matches!(case, "no fault" | "reply in exponent form") {
                DecidedBy::Reply
            } else {
                DecidedBy::ReadBack
            },
            "{case}"
        );
    }
    // The exponent-form amount was read exactly.
    assert_eq!(
        sandbox_budget(&app, &path).await,
        Some(Decimal::new(10_808, 2))
    );
    let csv = app
        .get(&format!("{path}/budget-changes.csv"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv.lines().count(),
        1 + 9,
        "a header and one row per attempt"
    );
    assert_eq!(csv.matches(",not_applied,").count(), 3, "{csv}");
    assert_eq!(csv.matches(",applied,").count(), 6, "{csv}");
    assert_eq!(csv.matches(",read_back,").count(), 7, "{csv}");
}

#[tokio::test]
async fn a_reply_in_exponent_form_to_the_read_before_the_patch_is_read_exactly() {
    let app = spawn_strict_app().await;
    let (path, currency) = customer_paths(&app, 1).await.remove(0);
    sandbox_patch_budget(&app, &path, json!(100)).await;
    let html = app.get_html(&path).await;
    let (csrf, _) = form_fields(&html);
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({ "route": "GET /v1/customers/{id}/usagebudget", "kind": "exponent", "times": 1 })),
    )
    .await;
    // Partner Center answers 1E+2: the same as the 100 the form is based on.
    let (status, page) = post(&app, &app.client, &path, &csrf, "100", "250").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(sandbox_budget(&app, &path).await, Some(Decimal::from(250)));
    assert_agrees(&app, &path, &currency, "exponent read").await;
}

#[tokio::test]
async fn two_editors_racing_on_one_customer_never_both_succeed() {
    let app = spawn_strict_app().await;
    let other = app.another_session(EDITOR).await;
    let customers = customer_paths(&app, 20).await;
    let mut outcomes = (0, 0);
    for (n, (path, currency)) in customers.iter().enumerate() {
        let first = app.get_html(path).await;
        let (csrf_a, based_on) = form_fields(&first);
        let second = app.html_as(&other, path).await;
        let (csrf_b, based_on_b) = form_fields(&second);
        assert_eq!(based_on, based_on_b);
        let (a, b) = (format!("{}1.11", n + 1), format!("{}2.22", n + 1));
        let ((status_a, page_a), (status_b, page_b)) = tokio::join!(
            post(&app, &app.client, path, &csrf_a, &based_on, &a),
            post(&app, &other, path, &csrf_b, &based_on, &b),
        );
        let statuses = [status_a, status_b];
        assert!(
            statuses.contains(&StatusCode::SEE_OTHER) && statuses.contains(&StatusCode::CONFLICT),
            "one wins, one gets the conflict: {statuses:?}"
        );
        let (winner, loser_page) = if status_a == StatusCode::SEE_OTHER {
            outcomes.0 += 1;
            (&a, page_b)
        } else {
            outcomes.1 += 1;
            (&b, page_a)
        };
        let held = sandbox_budget(&app, path).await;
        assert_eq!(
            held,
            Some(winner.parse().unwrap()),
            "the winner's amount holds"
        );
        let shown = Money::new(winner.parse().unwrap(), currency.clone()).to_string();
        assert!(
            loser_page.contains(&shown),
            "the conflict page shows the amount that won ({shown})"
        );
        let (_, rebased) = form_fields(&loser_page);
        assert_eq!(
            rebased, *winner,
            "the second form is based on the current amount"
        );
        assert_agrees(&app, path, currency, "race").await;
    }
    assert_eq!(outcomes.0 + outcomes.1, customers.len());
}

/// Makes the test database unavailable to the app for `seconds`: on SQLite an exclusive
/// lock held by another connection (writes fail after the busy time-out), on PostgreSQL
/// new connections refused and the app's connections ended.
async fn database_outage(app: &TestApp, seconds: u64) -> Outage {
    let url = crate::databases::url_of(app).await;
    let kind = database_kind();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let handle = tokio::spawn(async move {
        crate::databases::hold_outage(kind, &url, Duration::from_secs(seconds), ready_tx).await;
    });
    ready_rx.await.expect("the outage started");
    Outage(handle)
}

/// A database outage under way.
struct Outage(tokio::task::JoinHandle<()>);

impl Outage {
    /// Waits until the database is back.
    async fn over(self) {
        self.0.await.expect("the outage ended");
    }
}

#[tokio::test]
async fn a_database_outage_during_the_call_leaves_an_intent_completed_when_the_database_is_back() {
    let app = spawn_strict_app().await;
    let (path, currency) = customer_paths(&app, 1).await.remove(0);
    let html = app.get_html(&path).await;
    let (csrf, based_on) = form_fields(&html);
    // The PATCH takes 0.8 s; the database goes away while it is under way.
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({ "route": PATCH, "kind": "delay", "ms": 800, "times": 1 })),
    )
    .await;
    let submit = post(&app, &app.client, &path, &csrf, &based_on, "321.09");
    let outage = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        database_outage(&app, 12).await
    };
    let ((status, page), outage) = tokio::join!(submit, outage);
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{page}");
    assert!(
        page.contains("Partner Center applied the change")
            && page.contains("database is unavailable"),
        "{page}"
    );
    assert_eq!(
        sandbox_budget(&app, &path).await,
        Some("321.09".parse().unwrap())
    );
    outage.over().await;
    let changes = decided_changes(&app, &path).await;
    assert_eq!(changes.len(), 1, "the intent was recorded before the call");
    assert_eq!(
        changes[0].decision.as_ref().unwrap().1.outcome,
        ChangeOutcome::Applied
    );
    assert_agrees(&app, &path, &currency, "database outage").await;
}

#[tokio::test]
async fn changes_left_without_an_outcome_by_a_crash_are_established_by_reading_back() {
    let app = spawn_strict_app().await;
    let customers = customer_paths(&app, 2).await;
    let (user, _) = app
        .store()
        .latest_refreshable_tokens()
        .await
        .unwrap()
        .expect("the editor's stored token");
    let intent =
        |path: &str, currency: &Currency, seen: Option<Decimal>, new: Decimal, minutes_ago: i64| {
            BudgetChangeIntent {
                requested_at: chrono::Utc::now() - chrono::Duration::minutes(minutes_ago),
                user_id: user,
                user_name: "Adele Vance".into(),
                customer_id: customer_id(path),
                customer_name: "crashed".into(),
                currency: currency.clone(),
                seen_amount: seen.map(|a| Money::new(a, currency.clone())),
                new_amount: Some(Money::new(new, currency.clone())),
                reason: None,
                request_id: uuid::Uuid::new_v4(),
                batch_id: None,
            }
        };
    // The first change reached Partner Center before the crash; the second never did.
    let (applied_path, applied_currency) = &customers[0];
    let seen = sandbox_budget(&app, applied_path).await;
    let applied = intent(applied_path, applied_currency, seen, Decimal::from(4242), 0);
    sandbox_patch_budget(&app, applied_path, json!(4242)).await;
    let (lost_path, lost_currency) = &customers[1];
    let seen = sandbox_budget(&app, lost_path).await;
    let lost = intent(lost_path, lost_currency, seen, Decimal::from(1), 60);
    for intent in [&applied, &lost] {
        app.store().record_budget_change(intent).await.unwrap();
    }
    let applied_changes = decided_changes(&app, applied_path).await;
    let (_, decision) = applied_changes[0].decision.as_ref().unwrap();
    assert_eq!(
        (decision.outcome, decision.decided_by),
        (ChangeOutcome::Applied, DecidedBy::ReadBack)
    );
    let lost_changes = decided_changes(&app, lost_path).await;
    let (_, decision) = lost_changes[0].decision.as_ref().unwrap();
    assert_eq!(
        (decision.outcome, decision.decided_by),
        (ChangeOutcome::NotApplied, DecidedBy::ReadBack)
    );
    let page = app.get_html(applied_path).await;
    assert!(
        page.contains("4,242.00"),
        "the stored budget follows what Partner Center holds"
    );
}
