//! The Azure rate card: its size, every region of a meter, tiers and included quantities,
//! every meter the usage records charge, and prices that change as the clock passes a month.

use std::collections::{HashMap, HashSet};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{dec, spawn_sandbox_with};
use partner_center_sandbox::SandboxOptions;

fn meters(card: &Value) -> &Vec<Value> {
    card["meters"].as_array().expect("meters")
}

#[tokio::test]
async fn the_rate_card_has_regions_tiers_included_quantities_and_changes_with_the_clock() {
    let app = spawn_sandbox_with(SandboxOptions {
        now: Some("2026-03-30T12:00:00Z".parse().unwrap()),
        rate_card_meters: 1500,
        ..SandboxOptions::default()
    })
    .await;
    let march = app
        .get_exact("/v1/ratecards/azure?currency=GBP&region=GB")
        .await;
    assert_eq!(march["currency"], "GBP");
    let list = meters(&march);
    assert_eq!(list.len(), 1500);
    let ids: HashSet<&str> = list.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1500, "meter ids are unique");

    let mut regions: HashMap<(&str, &str), HashSet<&str>> = HashMap::new();
    for meter in list {
        regions
            .entry((
                meter["name"].as_str().unwrap(),
                meter["subcategory"].as_str().unwrap(),
            ))
            .or_default()
            .insert(meter["region"].as_str().unwrap());
    }
    assert_eq!(
        regions[&("D4s v3", "Dsv3 Series")].len(),
        8,
        "a VM size in 8 regions"
    );
    let tiered = list
        .iter()
        .find(|m| m["rates"].as_object().unwrap().len() > 1)
        .expect("a tiered meter");
    let rates = tiered["rates"].as_object().unwrap();
    assert!(rates.contains_key("0"), "tiers start at 0: {rates:?}");
    assert!(
        list.iter().any(|m| dec(&m["includedQuantity"]) > 0.into()),
        "some meters include a free quantity"
    );

    let usage = app.get_exact("/v1/customers/usagerecords").await;
    let customer = usage["items"][0]["id"].as_str().unwrap();
    let plan = app
        .get_exact(&format!("/v1/customers/{customer}/subscriptions"))
        .await;
    let subscription = plan["items"][0]["id"].as_str().unwrap();
    let resources = app
        .get_exact(&format!(
            "/v1/customers/{customer}/subscriptions/{subscription}/meterusagerecords"
        ))
        .await;
    for record in resources["items"].as_array().unwrap() {
        let name = record["meterName"].as_str().unwrap();
        assert!(
            list.iter().any(|m| m["name"] == name),
            "the charged meter {name} is on the card"
        );
    }

    app.control(
        Method::POST,
        "/_sandbox/clock/advance",
        Some(json!({"days": 3})),
    )
    .await;
    let april = app.get_exact("/v1/ratecards/azure?currency=GBP").await;
    let changed: Vec<&Value> = meters(&april)
        .iter()
        .zip(list)
        .filter(|(new, old)| new["rates"] != old["rates"])
        .map(|(new, _)| new)
        .collect();
    assert!(!changed.is_empty(), "some prices changed on April 1st");
    assert!(
        changed
            .iter()
            .all(|m| m["effectiveDate"] == "2026-04-01T00:00:00Z")
    );
    app.stop().await;
}
