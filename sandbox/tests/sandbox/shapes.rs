//! Every Partner Center route's JSON against the documented examples: the same
//! field names and nesting, `attributes.objectType` and `links` shapes.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{assert_same_shape, exact_json, spawn_sandbox};

fn usage_records_example() -> Value {
    exact_json(
        r#"{
        "totalCount": 25,
        "items": [
            {
                "budget": { "attributes": { "objectType": "SpendingBudget" } },
                "customerSpendingBudget": { "attributes": { "objectType": "SpendingBudget" } },
                "percentUsed": 0, "isUpgraded": false,
                "resourceId": "11111111-1843-4b3b-872f-206e08a08e51", "id": "11111111-1843-4b3b-872f-206e08a08e51",
                "resourceName": "LEGACY AZURE CUSTOMER SE", "name": "LEGACY AZURE CUSTOMER SE",
                "totalCost": 0, "currencyLocale": "fr-FR", "usdTotalCost": 0,
                "lastModifiedDate": "2019-08-01T23:00:16.57+00:00",
                "attributes": { "objectType": "CustomerMonthlyUsageRecord" }
            },
            {
                "budget": { "amount": 20, "attributes": { "objectType": "SpendingBudget" } },
                "percentUsed": 602.84, "isUpgraded": true,
                "resourceId": "11111111-6fb9-4b05-8f15-b3d72e0596e6", "id": "11111111-6fb9-4b05-8f15-b3d72e0596e6",
                "resourceName": "Modern Azure Customer SE", "name": "Modern Azure Customer SE",
                "totalCost": 120.5682999999995904716, "currencyCode": "SEK", "usdTotalCost": 12.39999999999999985235,
                "lastModifiedDate": "2019-09-17T17:08:11.1433333+00:00",
                "attributes": { "objectType": "CustomerMonthlyUsageRecord" }
            }
        ],
        "links": { "self": { "uri": "/customers/usagerecords", "method": "GET", "headers": [] } },
        "attributes": { "objectType": "Collection" }
    }"#,
    )
}

#[tokio::test]
async fn all_customers_usage_records_have_the_documented_fields_for_legacy_and_azure_plan_customers()
 {
    let app = spawn_sandbox().await;
    let response = app.get("/v1/customers/usagerecords").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let body = exact_json(&text);
    let example = usage_records_example();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 60, "one page with every customer");
    assert_eq!(body["totalCount"], "60");
    assert!(body["links"].get("next").is_none() && body.get("continuationToken").is_none());
    assert_eq!(body["attributes"]["objectType"], "Collection");
    let (mut legacy, mut plan) = (0, 0);
    for item in items {
        let doc = if item["isUpgraded"] == json!(true) {
            plan += 1;
            &example["items"][1]
        } else {
            legacy += 1;
            &example["items"][0]
        };
        assert_same_shape(doc, item, &["amount", "customerSpendingBudget"], "item");
        let stamp = item["lastModifiedDate"].as_str().unwrap();
        assert!(
            stamp.ends_with("+00:00") && stamp.split('.').nth(1).unwrap().len() == 13,
            "{stamp}"
        );
    }
    assert!(
        legacy > 10 && plan > 10,
        "a mix of legacy ({legacy}) and Azure plan ({plan}) customers"
    );
    // Numbers carry more digits than an f64 holds, as the real service sends them.
    assert!(
        text.split("\"totalCost\":").skip(1).any(|rest| rest
            .split([',', '}'])
            .next()
            .unwrap()
            .len()
            > 17),
        "some totalCost has more than 17 digits"
    );
    app.stop().await;
}

#[tokio::test]
async fn summaries_and_subscription_records_have_the_documented_fields() {
    let app = spawn_sandbox().await;
    let partner = app.get_exact("/v1/usagesummary").await;
    let partner_example = json!({
        "customersOverBudget": 1, "customersTrendingOver": 0, "customersWithUsageBasedSubscription": 11,
        "resourceId": "x", "id": "x", "resourceName": "P", "name": "P",
        "billingStartDate": "2019-08-28T00:00:00-07:00", "billingEndDate": "2019-09-27T00:00:00-07:00",
        "totalCost": 22.861172, "currencyLocale": "fr-FR", "lastModifiedDate": "2019-09-01T23:04:41.193+00:00",
        "links": { "self": { "uri": "/usagesummary", "method": "GET", "headers": [] } },
        "attributes": { "objectType": "PartnerUsageSummary" }
    });
    assert_same_shape(&partner_example, &partner, &[], "partner summary");

    let records = app.usage_records().await;
    for record in records.iter().take(12) {
        let id = record["id"].as_str().unwrap();
        let plan = record["isUpgraded"] == json!(true);
        let (currency_key, currency) = if plan {
            ("currencyCode", "GBP")
        } else {
            ("currencyLocale", "en-US")
        };
        let summary = app
            .get_exact(&format!("/v1/customers/{id}/usagesummary"))
            .await;
        let mut summary_example = exact_json(
            r#"{
            "budget": { "amount": 97, "attributes": { "objectType": "SpendingBudget" } },
            "resourceId": "x", "resourceName": "Modern Azure Customer UK",
            "billingStartDate": "2019-09-01T00:00:00+00:00", "billingEndDate": "2019-10-01T00:00:00+00:00",
            "totalCost": 28.82860766744404945074, "usdTotalCost": 35.23000000000000362337,
            "lastModifiedDate": "2019-09-18T17:09:26.16+00:00",
            "links": { "self": { "uri": "/customers/x/usagesummary", "method": "GET", "headers": [] } },
            "attributes": { "objectType": "CustomerUsageSummary" }
        }"#,
        );
        summary_example[currency_key] = json!(currency);
        assert_same_shape(&summary_example, &summary, &["amount"], "customer summary");
        assert!(
            summary["billingStartDate"]
                .as_str()
                .unwrap()
                .ends_with("-01T00:00:00+00:00")
        );

        let subscriptions = app
            .get_exact(&format!("/v1/customers/{id}/subscriptions/usagerecords"))
            .await;
        let mut item = json!({
            "status": "active", "offerId": "DZH318Z0BPS6:0001:DZH318Z0BML6",
            "resourceId": "x", "id": "x", "resourceName": "Azure plan", "name": "Azure plan",
            "totalCost": 0, "usdTotalCost": 0, "lastModifiedDate": "2019-09-18T17:09:26.16+00:00",
            "attributes": { "objectType": "SubscriptionMonthlyUsageRecord" }
        });
        item[currency_key] = json!(currency);
        if plan {
            item["partnerOnRecord"] = json!("some-id");
        }
        let example = json!({
            "totalCount": 2, "items": [item],
            "links": { "self": { "uri": "/customers/x/subscriptions/usagerecords", "method": "GET", "headers": [] } },
            "attributes": { "objectType": "Collection" }
        });
        assert_same_shape(&example, &subscriptions, &[], "subscription records");
        let first = &subscriptions["items"][0];
        assert_eq!(
            first["offerId"],
            if plan {
                "DZH318Z0BPS6:0001:DZH318Z0BML6"
            } else {
                "MS-AZR-0145P"
            }
        );

        let sid = first["id"].as_str().unwrap();
        let base = format!("/v1/customers/{id}/subscriptions/{sid}");
        let mut summary_example = json!({
            "resourceId": "x", "resourceName": "Azure plan",
            "billingStartDate": "2019-09-01T00:00:00+00:00", "billingEndDate": "2019-10-01T00:00:00+00:00",
            "totalCost": 28.8, "usdTotalCost": 35.2, "lastModifiedDate": "2019-09-18T17:09:26.16+00:00",
            "links": { "self": { "uri": "/customers/x/subscriptions/y/usagesummary", "method": "GET", "headers": [] } },
            "attributes": { "objectType": "SubscriptionUsageSummary" }
        });
        summary_example[currency_key] = json!(currency);
        assert_same_shape(
            &summary_example,
            &app.get_exact(&format!("{base}/usagesummary")).await,
            &[],
            "subscription summary",
        );

        let mut resource = exact_json(
            r#"{
            "subscriptionId": "s", "resourceUri": "/subscriptions/s/resourceGroups/TESTRG1/providers/Microsoft.Compute/virtualMachines/testVM1",
            "resourceType": "Microsoft.Compute", "entitlementId": "e", "entitlementName": "Partner Subscription",
            "resourceGroupName": "TESTRG1", "name": "testVM1", "resourceName": "testVM1",
            "totalCost": 80.3322286322163563, "usdTotalCost": 98.1699999999999985,
            "lastModifiedDate": "2019-09-17T21:08:44.2566667+00:00",
            "attributes": { "objectType": "ResourceUsageRecord" }
        }"#,
        );
        resource[currency_key] = json!(currency);
        let example = json!({
            "totalCount": 3, "items": [resource],
            "links": { "self": { "uri": "/customers/x/subscriptions/y/resourceusagerecords", "method": "GET", "headers": [] } },
            "attributes": { "objectType": "Collection" }
        });
        // resourceId is in the SDK's base model, though not in the documented sample.
        assert_same_shape(
            &example,
            &app.get_exact(&format!("{base}/resourceusagerecords")).await,
            &["resourceId"],
            "resources",
        );

        let mut meter = json!({
            "subscriptionId": "s", "meterId": "DZH318Z0BNVX-005J-Data Transfer In (GB)", "meterName": "Data Transfer In",
            "category": "Bandwidth", "subcategory": "Bandwidth", "quantityUsed": 0.01129, "unit": "1 GB",
            "totalCost": 0, "usdTotalCost": 0, "lastModifiedDate": "2019-09-17T21:08:44.2566667+00:00",
            "attributes": { "objectType": "MeterUsageRecord" }
        });
        meter[currency_key] = json!(currency);
        let example = json!({
            "totalCount": 4, "items": [meter],
            "links": { "self": { "uri": "/customers/x/subscriptions/y/meterusagerecords", "method": "GET", "headers": [] } },
            "attributes": { "objectType": "Collection" }
        });
        assert_same_shape(
            &example,
            &app.get_exact(&format!("{base}/meterusagerecords")).await,
            &[],
            "meters",
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn customers_subscriptions_budget_and_rate_card_have_the_documented_fields() {
    let app = spawn_sandbox().await;
    let customer_example = json!({
        "id": "b44bb1fb-c595-45b0-9e09-d657365580bf",
        "companyProfile": { "tenantId": "t", "domain": "contoso.onmicrosoft.com", "companyName": "Contoso",
            "attributes": { "objectType": "CustomerCompanyProfile" } },
        "relationshipToPartner": "reseller",
        "attributes": { "objectType": "Customer" }
    });
    let page_example = json!({
        "continuationToken": "<opaque>", "totalCount": 1, "items": [customer_example],
        "links": {
            "self": { "uri": "/customers?size=40", "method": "GET", "headers": [] },
            "next": { "uri": "/customers?seekOperation=Next", "method": "GET",
                "headers": [ { "key": "MS-ContinuationToken", "value": "<opaque>" } ] }
        },
        "attributes": { "objectType": "Collection" }
    });
    let page = app.get_exact("/v1/customers?size=5").await;
    assert_same_shape(
        &page_example,
        &page,
        &["commerceId", "links"],
        "customers page",
    );
    assert_eq!(
        page["links"]["next"]["headers"][0]["key"],
        "MS-ContinuationToken"
    );
    assert_eq!(
        page["links"]["next"]["headers"][0]["value"],
        page["continuationToken"]
    );

    let id = page["items"][0]["id"].as_str().unwrap().to_string();
    let one = app
        .get_exact(&format!("/v1/customers/{}", id.to_uppercase()))
        .await;
    assert_eq!(
        one["id"],
        id.as_str(),
        "GUIDs in upper case find the customer"
    );
    assert_same_shape(
        &customer_example,
        &one,
        &[
            "commerceId",
            "links",
            "billingProfile",
            "allowDelegatedAccess",
            "customDomains",
        ],
        "customer",
    );
    assert!(one.get("billingProfile").is_some() && one.get("customDomains").is_some());

    let subscriptions = app
        .get_exact(&format!("/v1/customers/{id}/subscriptions"))
        .await;
    let subscription_example = json!({
        "id": "A356AC8C-E310-44F4-BF85-C7F29044AF99", "entitlementId": "42226ED6-070A-4E0F-B80C-4CDFB3E97AA7",
        "offerId": "MS-AZR-0145P", "offerName": "Microsoft Azure", "friendlyName": "Microsoft Azure",
        "quantity": 1, "unitType": "Usage-based", "creationDate": "2016-05-10T07:30:05.427Z",
        "effectiveStartDate": "2016-05-10T00:00:00Z", "commitmentEndDate": "9999-12-10T00:00:00Z",
        "status": "active", "autoRenewEnabled": false, "billingType": "usage", "contractType": "subscription",
        "links": {
            "offer": { "uri": "/offers/MS-AZR-0145P?country=US", "method": "GET", "headers": [] },
            "self": { "uri": "/customers/x/subscriptions/y", "method": "GET", "headers": [] }
        },
        "orderId": "B23FDEDD-D6BD-415A-8B71-3624C81C9644",
        "attributes": { "etag": "eyJ", "objectType": "Subscription" }
    });
    for item in subscriptions["items"].as_array().unwrap() {
        assert_same_shape(
            &subscription_example,
            item,
            &["entitlementId"],
            "subscription",
        );
    }

    let budget = app.usage_budget(&id).await;
    let budget_example = json!({ "amount": 100, "usageSpendingBudget": 100, "attributes": { "objectType": "SpendingBudget" } });
    assert_same_shape(
        &budget_example,
        &budget,
        &["amount", "usageSpendingBudget"],
        "budget",
    );

    let rate_card = app.get_exact("/v1/ratecards/azure?currency=EUR").await;
    let rate_card_example = json!({
        "locale": "en", "currency": "USD", "isTaxIncluded": false,
        "meters": [{ "id": "1e8f6d9f-8b40-4c97-80cc-cff87a290a93", "name": "Compute Hours", "rates": { "0": 3.9729 },
            "tags": [], "category": "Cloud Services", "subcategory": "Standard_L16 Cloud Services", "region": "AU East",
            "unit": "1 Hour", "includedQuantity": 0.0, "effectiveDate": "2016-09-01T00:00:00Z" }],
        "offerTerms": [{ "name": "Overage discount", "discount": 0.15,
            "excludedMeterIds": ["53cc0061-0fe2-4249-bf62-e1008c811f5c"], "effectiveDate": "2014-01-01T00:00:00" }],
        "attributes": { "objectType": "AzureRateCard" }
    });
    assert_same_shape(&rate_card_example, &rate_card, &["0"], "rate card");
    assert_eq!(rate_card["currency"], "EUR");
    assert_eq!(
        rate_card["offerTerms"][0]["effectiveDate"], "2014-01-01T00:00:00",
        "offset-less date"
    );
    app.stop().await;
}

#[tokio::test]
async fn partner_center_answers_echo_request_ids_and_add_correlation_headers() {
    let app = spawn_sandbox().await;
    let response = app
        .request(Method::GET, "/v1/customers?size=1", Some(&app.app_only))
        .header("ms-requestid", "0f8fad5b-d9cb-469f-a165-70867728950e")
        .header("MS-CorrelationId", "7c9e6679-7425-40de-944b-e07fc1f90ae7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(
        headers["MS-RequestId"],
        "0f8fad5b-d9cb-469f-a165-70867728950e"
    );
    assert_eq!(
        headers["MS-CorrelationId"],
        "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    );
    assert!(headers.contains_key("MS-CV") && headers.contains_key("date"));
    let generated = app
        .request(Method::GET, "/v1/customers?size=1", Some(&app.app_only))
        .send()
        .await
        .unwrap();
    let id = generated.headers()["MS-RequestId"].to_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "a generated MS-RequestId is a GUID"
    );
    app.stop().await;
}
