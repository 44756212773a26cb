//! What-if plans: saved, listed, replaced by name, reopened and deleted on both databases;
//! and the plan form through HTTP against the sandbox's rate card: a line's cost, the new
//! projection, the budget that keeps the customer within it (pre-filling the budget form),
//! bad input refused next to its field with nothing saved.

use chrono::{NaiveDate, TimeZone, Utc};
use partner_center_sandbox::SandboxOptions;
use reqwest::StatusCode;
use rust_decimal::{Decimal, RoundingStrategy};
use spendboard::domain::{CustomerId, Money, PlanQuantity};
use spendboard::store::SavedPlanLine;
use uuid::Uuid;

use crate::databases::{TestDb, on_both_databases};
use crate::helpers::{EDITOR, TestApp, spawn_app_with, user_id};
use crate::prices::{explorer_with_card, text_of};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn line(meter: &str, quantity: PlanQuantity, day: u32) -> SavedPlanLine {
    SavedPlanLine {
        meter_id: meter.into(),
        meter_label: format!("{meter} (EU West)"),
        quantity,
        start: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
    }
}

async fn plans_are_saved_reopened_replaced_by_name_and_deleted(db: &TestDb) {
    let store = &db.store;
    let customer = CustomerId::from(Uuid::from_u128(7));
    let other = CustomerId::from(Uuid::from_u128(8));
    let lines = vec![
        line(
            "a1",
            PlanQuantity::Instances {
                count: d("4"),
                hours_per_day: d("24"),
            },
            16,
        ),
        line("a3", PlanQuantity::PerMonth(d("300.5")), 1),
        line("a4", PlanQuantity::PerDay(d("0.00000001")), 30),
    ];
    let id = store
        .save_plan(&customer, "Four D4s", user_id(1), &lines)
        .await
        .unwrap();
    let plan = store.plan(&customer, &id).await.unwrap().unwrap();
    assert_eq!(
        (plan.name.as_str(), plan.saved_by),
        ("Four D4s", user_id(1))
    );
    assert_eq!(plan.lines, lines, "exact quantities and days survive");
    assert!(
        store.plan(&other, &id).await.unwrap().is_none(),
        "plans belong to their customer"
    );

    store
        .save_plan(&customer, "B plan", user_id(2), &lines[..1])
        .await
        .unwrap();
    let replaced = store
        .save_plan(&customer, "Four D4s", user_id(2), &lines[1..])
        .await
        .unwrap();
    let listed = store.plans_of(&customer).await.unwrap();
    let names: Vec<_> = listed.iter().map(|p| (p.name.as_str(), p.lines)).collect();
    assert_eq!(
        names,
        [("B plan", 1), ("Four D4s", 2)],
        "saving under a name replaces that plan"
    );
    assert!(store.plan(&customer, &id).await.unwrap().is_none());
    assert_eq!(
        store
            .plan(&customer, &replaced)
            .await
            .unwrap()
            .unwrap()
            .lines,
        lines[1..]
    );

    assert!(!store.delete_plan(&other, &replaced).await.unwrap());
    assert!(store.delete_plan(&customer, &replaced).await.unwrap());
    assert_eq!(store.plans_of(&customer).await.unwrap().len(), 1);
    assert!(store.plans_of(&other).await.unwrap().is_empty());
}
on_both_databases!(plans_are_saved_reopened_replaced_by_name_and_deleted);

/// The form fields of a one-line plan.
fn plan_form<'a>(
    csrf: &'a str,
    intent: &'a str,
    fields: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("csrf_token", csrf), ("intent", intent)];
    form.extend_from_slice(fields);
    form
}

#[tokio::test]
async fn a_plan_is_priced_against_the_projection_saved_reopened_and_bad_input_is_refused() {
    let app = spawn_app_with(
        SandboxOptions {
            now: Some(Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap()),
            rate_card_meters: 300,
            ..SandboxOptions::default()
        },
        |_| {},
    )
    .await;
    app.sign_in_and_load(EDITOR).await;
    // a customer with a budget, billed in euros
    let records = app.sandbox_get("/v1/customers/usagerecords").await;
    let mut customer = None;
    for item in records["items"].as_array().unwrap() {
        let id = CustomerId::parse(item["id"].as_str().unwrap()).unwrap();
        let snapshot = app.store().snapshot(&id).await.unwrap().unwrap();
        if snapshot.budget.is_some()
            && snapshot.currency().code() == "EUR"
            && snapshot.forecast.is_some()
        {
            customer = Some(snapshot);
            break;
        }
    }
    let snapshot = customer.expect("a customer in EUR with a budget");
    let id = snapshot.customer_id;
    explorer_with_card(&app, "currency=EUR").await;
    let card = app.sandbox_get("/v1/ratecards/azure?currency=EUR").await;
    let d4s = card["meters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "D4s v3" && m["region"] == "EU West")
        .unwrap()
        .clone();
    let price: Decimal = d4s["rates"]["0"].to_string().parse().unwrap();
    let eur = |amount: Decimal| Money::new(amount, snapshot.currency().clone()).to_string();

    let path = format!("/customers/{id}/what-if");
    let html = app.get_html(&path).await;
    let csrf = TestApp::csrf_token(&html);
    let line = [
        ("line0_meter", "d4s v3 eu west"),
        ("line0_kind", "instances"),
        ("line0_quantity", "4"),
        ("line0_hours", "24"),
        ("line0_start", "2026-11-16"),
    ];
    let response = app
        .post_form(&path, &plan_form(&csrf, "calculate", &line))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    // 4 machines x 24 h from the 16th to the 30th: 15 days, 1,440 hours
    let cost = price * Decimal::from(1440);
    let legend = text_of(&html, "line0").unwrap();
    assert!(
        legend.contains(&format!("Line 1: {} to the end of the period", eur(cost))),
        "{legend}"
    );
    let projected = snapshot.forecast.as_ref().unwrap().projected_total.amount();
    assert_eq!(
        text_of(&html, "current-projection").unwrap(),
        eur(projected)
    );
    assert!(
        text_of(&html, "new-projection")
            .unwrap()
            .starts_with(&eur(projected + cost))
    );
    let to_stay = (projected + cost).round_dp_with_strategy(2, RoundingStrategy::AwayFromZero);
    assert!(
        text_of(&html, "budget-to-stay")
            .unwrap()
            .contains(&eur(to_stay))
    );
    assert!(text_of(&html, "crossing").is_some());
    assert!(
        text_of(&html, "card-note")
            .unwrap()
            .contains("before any partner discount")
    );

    // the button pre-fills the normal budget form, which still has to be sent
    let doc = scraper::Html::parse_document(&html);
    let link = doc
        .select(&scraper::Selector::parse("#use-budget").unwrap())
        .next()
        .unwrap();
    let href = link.value().attr("href").unwrap().to_owned();
    assert_eq!(
        href,
        format!(
            "/customers/{id}?budget={}#budget-heading",
            Money::new(to_stay, snapshot.currency().clone()).plain()
        )
    );
    let customer_page = app.get_html(href.split('#').next().unwrap()).await;
    let doc = scraper::Html::parse_document(&customer_page);
    let amount = doc
        .select(&scraper::Selector::parse("input#amount").unwrap())
        .next()
        .unwrap();
    assert_eq!(
        amount.value().attr("value"),
        Some(
            Money::new(to_stay, snapshot.currency().clone())
                .plain()
                .as_str()
        )
    );
    assert_eq!(
        app.store().snapshot(&id).await.unwrap().unwrap().budget,
        snapshot.budget,
        "nothing changed yet"
    );

    // saving needs a name; nothing is saved without
    let response = app.post_form(&path, &plan_form(&csrf, "save", &line)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(text_of(&response.text().await.unwrap(), "name-error").is_some());
    assert!(app.store().plans_of(&id).await.unwrap().is_empty());
    let mut named = line.to_vec();
    named.push(("name", "Four D4s from Monday"));
    let response = app
        .post_form(&path, &plan_form(&csrf, "save", &named))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let reopened = response.headers()["location"].to_str().unwrap().to_owned();
    let html = app.get_html(&reopened).await;
    assert!(
        text_of(&html, "line0").unwrap().contains(&eur(cost)),
        "reopened and priced again"
    );
    let plans = app.store().plans_of(&id).await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].name, "Four D4s from Monday");

    // bad input: the reason next to the field, nothing saved
    for (field, typed, error, reason) in [
        (
            "line0_quantity",
            "-4",
            "line0_quantity-error",
            "cannot be negative",
        ),
        (
            "line0_quantity",
            "four",
            "line0_quantity-error",
            "plain number",
        ),
        (
            "line0_quantity",
            "1e12",
            "line0_quantity-error",
            "plain number",
        ),
        (
            "line0_quantity",
            "5000000000",
            "line0_quantity-error",
            "too large",
        ),
        ("line0_hours", "25", "line0_hours-error", "at most 24"),
        (
            "line0_start",
            "2026-12-01",
            "line0_start-error",
            "2026-11-01 to 2026-11-30",
        ),
        ("line0_start", "16/11/2026", "line0_start-error", "such as"),
        (
            "line0_meter",
            "no such meter anywhere",
            "line0_meter-error",
            "No meter",
        ),
        ("line0_meter", "d4s", "line0_meter-error", "meters match"),
    ] {
        let mut fields: Vec<(&str, &str)> = named
            .iter()
            .map(|(k, v)| if *k == field { (*k, typed) } else { (*k, *v) })
            .collect();
        fields.retain(|(k, _)| *k != "name");
        fields.push(("name", "Bad plan"));
        let response = app
            .post_form(&path, &plan_form(&csrf, "save", &fields))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{field}={typed}"
        );
        let html = response.text().await.unwrap();
        let shown = text_of(&html, error).unwrap_or_else(|| panic!("no {error} for {typed}"));
        assert!(shown.contains(reason), "{field}={typed}: {shown}");
        assert!(
            text_of(&html, "new-projection").is_none(),
            "not priced with {typed}"
        );
    }
    assert_eq!(
        app.store().plans_of(&id).await.unwrap().len(),
        1,
        "no bad plan was saved"
    );

    // deleted
    let delete = format!("/customers/{id}/what-if/plans/{}/delete", plans[0].id);
    let response = app.post_form(&delete, &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(app.store().plans_of(&id).await.unwrap().is_empty());
    app.sandbox.stop().await;
}
