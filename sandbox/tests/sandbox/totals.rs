//! The generated usage agrees with itself exactly across routes: all-customers records =
//! customer summary = subscription records = resource records = meter records.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::helpers::{dec, spawn_sandbox};

fn sum(items: &Value, field: &str) -> Decimal {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| dec(&i[field]))
        .sum()
}

#[tokio::test]
async fn totals_agree_exactly_from_customers_down_to_resources_and_meters() {
    let app = spawn_sandbox().await;
    let records = app.usage_records().await;
    let mut groups_seen = 0;
    for record in records.iter().take(20) {
        let id = record["id"].as_str().unwrap();
        let total = dec(&record["totalCost"]);
        let usd = dec(&record["usdTotalCost"]);
        assert!(total > Decimal::ZERO, "{id} has usage");
        let summary = app
            .get_exact(&format!("/v1/customers/{id}/usagesummary"))
            .await;
        assert_eq!(dec(&summary["totalCost"]), total);
        assert_eq!(dec(&summary["usdTotalCost"]), usd);
        let subscriptions = app
            .get_exact(&format!("/v1/customers/{id}/subscriptions/usagerecords"))
            .await;
        assert_eq!(
            sum(&subscriptions["items"], "totalCost"),
            total,
            "subscriptions of {id}"
        );
        assert_eq!(sum(&subscriptions["items"], "usdTotalCost"), usd);
        for subscription in subscriptions["items"].as_array().unwrap() {
            let sid = subscription["id"].as_str().unwrap();
            let base = format!("/v1/customers/{id}/subscriptions/{sid}");
            let sub_total = dec(&subscription["totalCost"]);
            assert_eq!(
                dec(&app.get_exact(&format!("{base}/usagesummary")).await["totalCost"]),
                sub_total
            );
            let resources = app.get_exact(&format!("{base}/resourceusagerecords")).await;
            assert_eq!(
                sum(&resources["items"], "totalCost"),
                sub_total,
                "resources of {sid}"
            );
            let meters = app.get_exact(&format!("{base}/meterusagerecords")).await;
            assert_eq!(
                sum(&meters["items"], "totalCost"),
                sub_total,
                "meters of {sid}"
            );
            let groups: HashSet<&str> = resources["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["resourceGroupName"].as_str().unwrap())
                .collect();
            let categories: HashSet<&str> = meters["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["category"].as_str().unwrap())
                .collect();
            assert!(categories.len() >= 2, "meters in several categories");
            if groups.len() >= 2 {
                groups_seen += 1;
            }
        }
    }
    assert!(
        groups_seen > 5,
        "subscriptions with resources in several resource groups"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_first_customers_cover_every_plan_currency_and_budget_situation() {
    let app = spawn_sandbox().await;
    let records = app.usage_records().await;
    let first: Vec<&Value> = records.iter().take(12).collect();
    let currencies: HashSet<String> = first
        .iter()
        .map(|r| {
            r.get("currencyCode")
                .or(r.get("currencyLocale"))
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        currencies.len() >= 8,
        "codes and locales for five currencies: {currencies:?}"
    );
    assert!(first.iter().any(|r| r["isUpgraded"] == Value::Bool(true)));
    assert!(first.iter().any(|r| r["isUpgraded"] == Value::Bool(false)));
    for record in first
        .iter()
        .filter(|r| r["isUpgraded"] == Value::Bool(false))
    {
        assert_eq!(
            dec(&record["usdTotalCost"]),
            Decimal::ZERO,
            "legacy customers report usdTotalCost 0"
        );
    }
    let percent = |r: &&Value| r["budget"].get("amount").map(|_| dec(&r["percentUsed"]));
    assert!(
        first.iter().any(|r| percent(r).is_none()),
        "a customer without budget"
    );
    assert!(
        first
            .iter()
            .any(|r| percent(r).is_some_and(|p| p >= Decimal::ONE_HUNDRED)),
        "over budget"
    );
    assert!(
        first.iter().any(|r| percent(r).is_some_and(|p| p >= Decimal::from(80) && p < Decimal::ONE_HUNDRED)),
        "near budget"
    );
    assert!(
        first
            .iter()
            .any(|r| percent(r).is_some_and(|p| p < Decimal::from(80))),
        "under budget"
    );
    app.stop().await;
}
