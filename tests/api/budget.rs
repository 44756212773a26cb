//! The customer page and the budget form: changes, removal, bad input, CSRF, roles,
//! conflicts and Partner Center refusals.

use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::json;

use crate::helpers::{
    EDITOR, READER, TestApp, assert_is_redirect_to, sandbox_delegated_token, spawn_app,
};
use crate::sign_in::first_customer_path;
use crate::truth;

/// The customer page's budget form fields as they are.
pub(crate) fn form_fields(html: &str) -> (String, String) {
    let doc = scraper::Html::parse_document(html);
    let value = |name: &str| {
        let selector =
            scraper::Selector::parse(&format!(".budget-form input[name={name}]")).unwrap();
        doc.select(&selector)
            .next()
            .and_then(|e| e.value().attr("value"))
            .unwrap_or_default()
            .to_owned()
    };
    (value("csrf_token"), value("based_on"))
}

pub(crate) async fn sandbox_budget(app: &TestApp, customer_path: &str) -> Option<Decimal> {
    let id = customer_path.trim_start_matches("/customers/");
    let budget = app
        .sandbox_get(&format!("v1/customers/{id}/usagebudget"))
        .await;
    budget["amount"]
        .as_f64()
        .map(|_| budget["amount"].to_string().parse().unwrap())
}

pub(crate) async fn sandbox_patch_budget(
    app: &TestApp,
    customer_path: &str,
    amount: serde_json::Value,
) {
    let id = customer_path.trim_start_matches("/customers/");
    let token = sandbox_delegated_token(&app.sandbox, EDITOR).await;
    let response = reqwest::Client::new()
        .patch(
            app.sandbox
                .base_url
                .join(&format!("v1/customers/{id}/usagebudget"))
                .unwrap(),
        )
        .bearer_auth(token)
        .json(&json!({ "amount": amount, "attributes": { "objectType": "SpendingBudget" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

async fn editor_on_first_customer() -> (TestApp, String, String) {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let path = first_customer_path(&app).await;
    let html = app.get_html(&path).await;
    (app, path, html)
}

#[tokio::test]
async fn the_customer_page_shows_its_usage_summary_and_subscriptions_from_the_sandbox() {
    let (app, path, html) = editor_on_first_customer().await;
    let id = path.trim_start_matches("/customers/");
    let summary = app
        .sandbox_get(&format!("v1/customers/{id}/usagesummary"))
        .await;
    let subscriptions = app
        .sandbox_get(&format!("v1/customers/{id}/subscriptions/usagerecords"))
        .await;
    assert!(
        html.contains(&format!(
            "{} to",
            &summary["billingStartDate"].as_str().unwrap()[..10]
        )),
        "billing period shown"
    );
    for item in subscriptions["items"].as_array().unwrap() {
        assert!(
            html.contains(item["resourceName"].as_str().unwrap()),
            "subscription {} listed",
            item["resourceName"]
        );
    }
    assert!(html.contains("Change the budget"), "editors get the form");
    assert!(html.contains("No budget change was made through Spendboard yet."));
}

#[tokio::test]
async fn an_editor_changes_a_budget_and_sees_it_in_spendboard_and_in_the_sandbox() {
    let (app, path, html) = editor_on_first_customer().await;
    let (csrf, based_on) = form_fields(&html);
    let response = app
        .change_budget(&path, &csrf, &based_on, "4321.5", Some("Q4 growth"))
        .await;
    assert_is_redirect_to(&response, &path);
    assert_eq!(
        sandbox_budget(&app, &path).await,
        Some(Decimal::new(43215, 1))
    );
    let page = app.get_html(&path).await;
    assert!(page.contains("set to 4,321.50"), "flash message");
    assert!(page.contains("Q4 growth"), "the audit log shows the reason");
    assert!(page.contains("Applied"));
    let again = app.get_html(&path).await;
    assert!(
        !again.contains("set to 4,321.50"),
        "the flash is shown once"
    );
    let dashboard = app.dashboard("sort=name").await;
    assert!(
        dashboard.contains("4,321.50"),
        "the dashboard shows the new budget at once"
    );
}

#[tokio::test]
async fn an_editor_removes_a_budget() {
    let (app, path, html) = editor_on_first_customer().await;
    let (csrf, based_on) = form_fields(&html);
    let response = app.remove_budget(&path, &csrf, &based_on).await;
    assert_is_redirect_to(&response, &path);
    assert_eq!(sandbox_budget(&app, &path).await, None);
    let page = app.get_html(&path).await;
    assert!(page.contains("removed"));
    assert!(page.contains("No budget"));
}

#[tokio::test]
async fn every_bad_amount_gets_a_422_that_keeps_the_input_and_changes_nothing() {
    let (app, path, html) = editor_on_first_customer().await;
    let (csrf, based_on) = form_fields(&html);
    let before = sandbox_budget(&app, &path).await;
    let cases = [
        ("-5", "cannot be negative"),
        ("12,500", "without thousands separators"),
        ("1.234,50", "without thousands separators"),
        ("1500,50", "Use a point for decimals"),
        ("ten", "is not an amount"),
        ("10.505", "at most 2 decimal places"),
        ("", "Enter an amount"),
        ("999999999999", "must be below"),
    ];
    for (input, message) in cases {
        let response = app
            .change_budget(&path, &csrf, &based_on, input, Some("kept reason"))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{input:?}"
        );
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{input:?}: {message}");
        assert!(
            page.contains(&format!("value=\"{}\"", input.replace('\'', "&#x27;"))),
            "{input:?} is kept"
        );
        assert!(page.contains("value=\"kept reason\""));
        assert!(page.contains("aria-invalid=\"true\""));
    }
    assert_eq!(
        sandbox_budget(&app, &path).await,
        before,
        "nothing reached Partner Center"
    );
    let id = spendboard::domain::CustomerId::parse(path.trim_start_matches("/customers/")).unwrap();
    assert!(
        app.store()
            .budget_changes_for_customer(&id, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_yen_budget_with_decimals_is_refused() {
    let app = spawn_app().await;
    app.sign_in_and_load(EDITOR).await;
    let records = truth::usage_records(&app).await;
    let yen = records
        .iter()
        .find(|r| r.currency == "JPY")
        .expect("a JPY customer");
    let path = format!("/customers/{}", yen.id);
    let (csrf, based_on) = form_fields(&app.get_html(&path).await);
    let response = app
        .change_budget(&path, &csrf, &based_on, "1500.5", None)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("JPY amounts have no decimals")
    );
}

#[tokio::test]
async fn a_budget_post_without_the_csrf_token_is_refused() {
    let (app, path, html) = editor_on_first_customer().await;
    let (_, based_on) = form_fields(&html);
    let before = sandbox_budget(&app, &path).await;
    let response = app
        .post_form(
            &format!("{path}/budget"),
            &[("based_on", &based_on), ("amount", "10")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("security token"));
    assert_eq!(sandbox_budget(&app, &path).await, before);
}

#[tokio::test]
async fn a_reader_sees_no_form_and_cannot_post_a_budget() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    let path = first_customer_path(&app).await;
    let html = app.get_html(&path).await;
    assert!(!html.contains("Change the budget"));
    let csrf = TestApp::csrf_token(&html);
    let before = sandbox_budget(&app, &path).await;
    let response = app.change_budget(&path, &csrf, "", "10", None).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Only budget editors")
    );
    assert_eq!(sandbox_budget(&app, &path).await, before);
}

#[tokio::test]
async fn a_stale_form_shows_the_conflict_instead_of_overwriting() {
    let (app, path, html) = editor_on_first_customer().await;
    let (csrf, based_on) = form_fields(&html);
    sandbox_patch_budget(&app, &path, json!(777)).await;
    let response = app
        .change_budget(&path, &csrf, &based_on, "500", None)
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("changed in Partner Center since this form was shown"),
        "{page}"
    );
    assert!(page.contains("777"));
    assert!(page.contains("value=\"500\""), "the input is kept");
    assert_eq!(
        sandbox_budget(&app, &path).await,
        Some(Decimal::from(777)),
        "not overwritten"
    );
    // Saving again, now knowingly based on 777, applies.
    let (_, new_based_on) = form_fields(&page);
    assert_eq!(new_based_on, "777");
    let response = app
        .change_budget(&path, &csrf, &new_based_on, "500", None)
        .await;
    assert_is_redirect_to(&response, &path);
    assert_eq!(sandbox_budget(&app, &path).await, Some(Decimal::from(500)));
}

#[tokio::test]
async fn partner_center_refusing_a_change_is_shown_and_nothing_is_recorded_as_changed() {
    let (app, path, html) = editor_on_first_customer().await;
    let (csrf, based_on) = form_fields(&html);
    let before = sandbox_budget(&app, &path).await;
    app.sandbox_control(
        Method::POST,
        "_sandbox/faults",
        Some(json!({ "route": "PATCH /v1/customers/{id}/usagebudget", "kind": "status", "status": 403 })),
    )
    .await;
    let response = app
        .change_budget(&path, &csrf, &based_on, "250", None)
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = response.text().await.unwrap();
    assert!(page.contains("Partner Center refused the change"), "{page}");
    assert!(page.contains("Nothing was changed"));
    assert!(page.contains("value=\"250\""));
    assert!(
        page.contains("Refused by Partner Center"),
        "the refusal is in the history"
    );
    assert_eq!(sandbox_budget(&app, &path).await, before);
    let id = spendboard::domain::CustomerId::parse(path.trim_start_matches("/customers/")).unwrap();
    assert_eq!(
        (app.store().snapshot(&id).await.unwrap().unwrap().budget).map(|b| b.amount()),
        before
    );
}

#[tokio::test]
async fn an_unknown_or_malformed_customer_gets_a_404_page_with_a_request_id() {
    let app = spawn_app().await;
    app.sign_in_and_load(READER).await;
    for path in [
        "/customers/not-a-guid",
        "/customers/00000000-0000-0000-0000-000000000001",
        "/no-such-page",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Request id"), "{path}");
    }
}
