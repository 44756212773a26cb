//! The budget soak: many budget edits through the real HTML form by several editors at once,
//! with a share of Partner Center's PATCH answers spoiled by faults, then a count of what went
//! wrong. Behind `--ignored` (it takes a minute or two):
//!
//! ```sh
//! cargo test -p spendboard --test api budget_soak -- --ignored --nocapture
//! SPENDBOARD_SOAK_EDITS=1000 SPENDBOARD_SOAK_FAULT_PERCENT=30 SPENDBOARD_TEST_DATABASE=postgres \
//!   cargo test -p spendboard --test api budget_soak -- --ignored --nocapture
//! ```
//!
//! It prints one line: edits made, how the person was answered, and the failures counted
//! against Partner Center's own log of applied changes (the sandbox's `budget-changes`):
//! - lost: an edit the person was told was applied that is not what Partner Center holds,
//!   or that an older change overwrote (a late request landing after a newer edit);
//! - misrecorded: an outcome in the history that contradicts Partner Center's log, or a
//!   person told "applied" or "not applied" against it;
//! - doubled: one change applied more than once;
//! - out of sync: customers whose budget in Spendboard differs from Partner Center's.
//!
//! The test fails unless all four are 0.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use spendboard::domain::CustomerId;
use spendboard::store::ChangeOutcome;
use tokio::sync::Mutex;

use crate::budget::sandbox_budget;
use crate::budget_integrity::{customer_paths, decided_changes, spawn_strict_app, submit};
use crate::helpers::EDITOR;

/// The faults a spoiled PATCH gets, in turn.
fn faults() -> Vec<Value> {
    vec![
        json!({"kind": "status", "status": 500, "body": "apiFault"}),
        json!({"kind": "status", "status": 503, "body": "gateway"}),
        json!({"kind": "status", "status": 503, "afterApplying": true}),
        json!({"kind": "delay", "ms": 1800}),
        json!({"kind": "drop"}),
        json!({"kind": "drop", "afterApplying": true}),
        json!({"kind": "truncated"}),
        json!({"kind": "exponent"}),
    ]
}

/// How the person was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Told {
    Applied,
    Checking,
    NotApplied,
    Conflict,
    Unavailable,
    Other,
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
#[ignore = "a soak of a minute or more: run with --ignored"]
async fn budget_soak() {
    let edits = env_number("SPENDBOARD_SOAK_EDITS", 1000);
    let fault_percent = env_number("SPENDBOARD_SOAK_FAULT_PERCENT", 30);
    let editors = 8;
    let app = Arc::new(spawn_strict_app().await);
    let customers = Arc::new(customer_paths(&app, 40).await);
    let next = Arc::new(AtomicUsize::new(0));
    let told: Arc<Mutex<Vec<(String, String, Told)>>> = Arc::default();
    let started = std::time::Instant::now();
    let mut workers = Vec::new();
    for _ in 0..editors {
        let client = app.another_session(EDITOR).await;
        let (app, customers, next, told) = (
            Arc::clone(&app),
            Arc::clone(&customers),
            Arc::clone(&next),
            Arc::clone(&told),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= edits {
                    return;
                }
                // A fixed pseudo-random walk, so a run can be repeated.
                let pick = (n * 7919 + 13) % 104_729;
                let (path, _) = &customers[pick % customers.len()];
                if pick % 100 < fault_percent {
                    let kinds = faults();
                    let mut rule =
                        json!({ "route": "PATCH /v1/customers/{id}/usagebudget", "times": 1 });
                    rule.as_object_mut()
                        .unwrap()
                        .extend(kinds[n % kinds.len()].as_object().unwrap().clone());
                    app.sandbox_control(Method::POST, "_sandbox/faults", Some(rule))
                        .await;
                }
                let amount = format!("{}.{:02}", 1000 + n, n % 100);
                let (status, _) = submit(&app, &client, path, &amount).await;
                let answer = match status {
                    StatusCode::SEE_OTHER => {
                        let page = app.html_as(&client, path).await;
                        if page.contains("did not confirm the change") {
                            Told::Checking
                        } else if page.contains("set to") {
                            Told::Applied
                        } else {
                            Told::Other
                        }
                    }
                    StatusCode::BAD_GATEWAY => Told::NotApplied,
                    StatusCode::CONFLICT => Told::Conflict,
                    StatusCode::SERVICE_UNAVAILABLE => Told::Unavailable,
                    _ => Told::Other,
                };
                told.lock().await.push((path.clone(), amount, answer));
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let submitted = started.elapsed();

    // Every outcome established first (some are checked in the background), then Partner
    // Center's log of applied changes: request id -> positions in application order.
    let mut histories = Vec::new();
    for (path, _) in customers.iter() {
        histories.push((path.clone(), decided_changes(&app, path).await));
    }
    let log = app
        .sandbox_control(Method::GET, "_sandbox/budget-changes", None)
        .await;
    let mut applied_at: HashMap<String, Vec<usize>> = HashMap::new();
    for (position, change) in log["changes"].as_array().unwrap().iter().enumerate() {
        applied_at
            .entry(change["requestId"].as_str().unwrap().to_owned())
            .or_default()
            .push(position);
    }
    let (mut lost, mut misrecorded, mut doubled, mut out_of_sync) = (0, 0, 0, 0);
    let told = told.lock().await.clone();
    let mut answers: HashMap<Told, usize> = HashMap::new();
    for (_, _, answer) in &told {
        *answers.entry(*answer).or_default() += 1;
    }
    for (path, changes) in &histories {
        let held = sandbox_budget(&app, path).await;
        let id = CustomerId::parse(path.trim_start_matches("/customers/")).unwrap();
        let stored = app.store().snapshot(&id).await.unwrap().unwrap().budget;
        if stored.map(|b| b.amount()) != held {
            out_of_sync += 1;
        }
        // Oldest first; each applied change should be applied once, in the order Spendboard
        // decided them, and the last one is what Partner Center holds.
        let mut last_position = None;
        let mut last_applied = None;
        for change in changes.iter().rev() {
            let (_, decision) = change.decision.as_ref().unwrap();
            let positions = applied_at
                .get(&change.intent.request_id.to_string())
                .cloned()
                .unwrap_or_default();
            if positions.len() > 1 {
                doubled += 1;
            }
            let was_applied = !positions.is_empty();
            if was_applied != (decision.outcome == ChangeOutcome::Applied) {
                eprintln!(
                    "misrecorded: {path} change {} recorded {decision:?}, applied at {positions:?}",
                    change.id
                );
                misrecorded += 1;
            }
            let answer = told
                .iter()
                .find(|(p, a, _)| {
                    p == path
                        && a.parse::<rust_decimal::Decimal>().ok()
                            == change.intent.new_amount.as_ref().map(|m| m.amount())
                })
                .map(|(_, _, t)| *t);
            match answer {
                Some(Told::Applied) if !was_applied => misrecorded += 1,
                Some(Told::NotApplied) if was_applied => misrecorded += 1,
                _ => {}
            }
            if let Some(&position) = positions.first() {
                if last_position.is_some_and(|last| position < last) {
                    eprintln!(
                        "lost: {path} change {} applied at {position}, before an older change at {last_position:?}",
                        change.id
                    );
                    lost += 1;
                }
                last_position = Some(position);
                last_applied = Some(change.intent.new_amount.as_ref().map(|m| m.amount()));
            }
        }
        if let Some(expected) = last_applied
            && expected != held
        {
            eprintln!("lost: {path} holds {held:?}, the last applied change asked {expected:?}");
            lost += 1;
        }
    }
    println!(
        "budget soak on {:?}: {} edits by {editors} editors, {fault_percent} % of PATCHes spoiled, in {:.1} s; told applied {}, being checked {}, not applied {}, conflict or busy {}, database unavailable {}, other {}; lost {lost}, misrecorded {misrecorded}, doubled {doubled}, out of sync {out_of_sync}",
        crate::helpers::database_kind(),
        told.len(),
        submitted.as_secs_f64(),
        answers.get(&Told::Applied).unwrap_or(&0),
        answers.get(&Told::Checking).unwrap_or(&0),
        answers.get(&Told::NotApplied).unwrap_or(&0),
        answers.get(&Told::Conflict).unwrap_or(&0),
        answers.get(&Told::Unavailable).unwrap_or(&0),
        answers.get(&Told::Other).unwrap_or(&0),
    );
    assert_eq!(
        answers.get(&Told::Other),
        None,
        "every answer is one of the known ones"
    );
    assert_eq!((lost, misrecorded, doubled, out_of_sync), (0, 0, 0, 0));
}
