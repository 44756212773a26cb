//! `GET /v1/customers`: seek paging with the continuation token, and the company-name filter.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{exact_json, spawn_sandbox};

#[tokio::test]
async fn paging_customers_with_the_continuation_token_returns_every_customer_once() {
    let app = spawn_sandbox().await;
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    let mut page = app.get_exact("/v1/customers?size=7").await;
    let mut pages = 1;
    loop {
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 7);
        assert_eq!(
            page["totalCount"],
            items.len().to_string(),
            "totalCount counts this page"
        );
        for item in items {
            assert!(
                seen.insert(item["id"].as_str().unwrap().to_string()),
                "a customer came twice"
            );
            names.push(
                item["companyProfile"]["companyName"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
        let Some(next) = page["links"].get("next") else {
            break;
        };
        assert_eq!(next["uri"], "/customers?seekOperation=Next");
        let token = next["headers"][0]["value"].as_str().unwrap();
        let response = app
            .request(
                Method::GET,
                "/v1/customers?seekOperation=Next",
                Some(&app.app_only),
            )
            .header("MS-ContinuationToken", token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        page = exact_json(&response.text().await.unwrap());
        pages += 1;
    }
    assert_eq!(seen.len(), 60, "all customers");
    assert_eq!(pages, 9, "60 customers in pages of 7");
    assert!(
        page.get("continuationToken").is_none(),
        "the last page has no token"
    );
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "customers come in name order");
    assert!(names.iter().any(|n| n.contains('&')) && names.iter().any(|n| n.contains('<')));
    assert!(names.iter().any(|n| n.contains('é')), "accents");
    app.stop().await;
}

#[tokio::test]
async fn the_company_name_filter_matches_prefixes_case_insensitively() {
    let app = spawn_sandbox().await;
    let filter = r#"{"Field":"CompanyName","Value":"société","Operator":"starts_with"}"#;
    let url = format!(
        "/v1/customers?size=0&filter={}",
        url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
    );
    let page = app.get_exact(&url).await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["companyProfile"]["companyName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Société Générale & Fils"]);

    let filter = r#"{"Field":"CompanyName","Value":"A","Operator":"starts_with"}"#;
    let url = format!(
        "/v1/customers?size=0&filter={}",
        url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
    );
    let page = app.get_exact(&url).await;
    let items = page["items"].as_array().unwrap();
    assert!(items.len() >= 2);
    assert!(items.iter().all(|i| {
        i["companyProfile"]["companyName"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .starts_with('a')
    }));

    let bad = app
        .get("/v1/customers?filter=%7B%22Field%22%3A%22CompanyName%22%7D")
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn an_unknown_customer_is_404_and_a_malformed_id_is_400() {
    let app = spawn_sandbox().await;
    let missing = app
        .get("/v1/customers/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["code"], 60003);
    assert_eq!(body["source"], "PartnerFD");
    let malformed = app.get("/v1/customers/not-a-guid/usagebudget").await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let body: Value = malformed.json().await.unwrap();
    assert_eq!(body["code"], 900118);
    assert_eq!(body["data"], serde_json::json!([]));
    app.stop().await;
}
