//! `GET|PATCH /v1/customers/{id}/usagebudget`: both casings, clearing with null, validation,
//! and the change visible at once in usage records and summaries.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::helpers::{dec, exact_json, find, spawn_sandbox};

#[tokio::test]
async fn a_budget_patched_in_camel_case_shows_in_usage_records_and_summaries() {
    let app = spawn_sandbox().await;
    let records = app.usage_records().await;
    let customer = find(&records, "in USD on the Azure plan", |r| {
        r["currencyCode"] == "USD"
    });
    let id = customer["id"].as_str().unwrap();
    let cost = dec(&customer["totalCost"]);

    let response = app
        .patch_budget(
            id,
            r#"{"amount": 1234.5, "attributes": {"objectType": "SpendingBudget"}}"#,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = exact_json(&response.text().await.unwrap());
    assert_eq!(dec(&body["amount"]), Decimal::new(12345, 1));
    assert_eq!(body["attributes"]["objectType"], "SpendingBudget");

    let budget = app.usage_budget(id).await;
    assert_eq!(dec(&budget["amount"]), Decimal::new(12345, 1));
    let records = app.usage_records().await;
    let record = find(&records, "the patched one", |r| r["id"] == id);
    assert_eq!(dec(&record["budget"]["amount"]), Decimal::new(12345, 1));
    let expected = (cost * Decimal::ONE_HUNDRED / Decimal::new(12345, 1)).round_dp(2);
    assert_eq!(
        dec(&record["percentUsed"]),
        expected,
        "percentUsed is cost / budget"
    );
    let summary = app
        .get_exact(&format!("/v1/customers/{id}/usagesummary"))
        .await;
    assert_eq!(dec(&summary["budget"]["amount"]), Decimal::new(12345, 1));
    app.stop().await;
}

#[tokio::test]
async fn a_pascal_case_budget_is_accepted_and_a_null_amount_clears_it() {
    let app = spawn_sandbox().await;
    let records = app.usage_records().await;
    let customer = find(&records, "a legacy customer", |r| r["isUpgraded"] == false);
    let id = customer["id"].as_str().unwrap();

    let response = app
        .patch_budget(
            id,
            r#"{"Amount":300.0,"Attributes":{"ObjectType":"SpendingBudget"}}"#,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let budget = app.usage_budget(id).await;
    assert_eq!(dec(&budget["amount"]), Decimal::from(300));

    let response = app
        .patch_budget(
            id,
            r#"{"amount": null, "attributes": {"objectType": "SpendingBudget"}}"#,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let budget = app.usage_budget(id).await;
    assert!(
        budget.get("amount").is_none(),
        "no amount once cleared: {budget}"
    );
    let records = app.usage_records().await;
    let record = find(&records, "the cleared one", |r| r["id"] == id);
    assert!(record["budget"].get("amount").is_none());
    assert_eq!(dec(&record["percentUsed"]), Decimal::ZERO);
    let summary = app
        .get_exact(&format!("/v1/customers/{id}/usagesummary"))
        .await;
    assert!(summary["budget"].get("amount").is_none());
    app.stop().await;
}

#[tokio::test]
async fn invalid_budgets_get_a_400_api_fault_and_change_nothing() {
    let app = spawn_sandbox().await;
    let records = app.usage_records().await;
    let usd = find(&records, "in USD", |r| r["currencyCode"] == "USD")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let yen = find(&records, "in JPY", |r| {
        r["currencyCode"] == "JPY" || r["currencyLocale"] == "ja-JP"
    })["id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = app.usage_budget(&usd).await;
    for (customer, body) in [
        (&usd, r#"{"amount": -5}"#),
        (&usd, r#"{"amount": "lots"}"#),
        (&usd, r#"{"amount": 1e30}"#),
        (&usd, r#"{"amount": 10.005}"#),
        (&yen, r#"{"amount": 1000.5}"#),
    ] {
        let response = app.patch_budget(customer, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let fault: Value = response.json().await.unwrap();
        assert_eq!(fault["code"], 3000, "{body}");
        assert_eq!(fault["source"], "PartnerFD");
        assert!(fault["description"].as_str().unwrap().len() > 5);
        assert_eq!(fault["data"], serde_json::json!([]));
    }
    assert_eq!(app.usage_budget(&usd).await, before);
    let whole_yen = app.patch_budget(&yen, r#"{"amount": 150000}"#).await;
    assert_eq!(whole_yen.status(), StatusCode::OK, "whole yen are fine");
    app.stop().await;
}
