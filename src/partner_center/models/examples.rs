//! The documented examples of Partner Center's REST reference, verbatim
//! (`../fixtures/*.json`), decoded with the same `serde_json::from_slice` path the client uses.

use std::str::FromStr;

use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;

use super::*;
use crate::partner_center::links::ResourceCollection;

fn decode<T: serde::de::DeserializeOwned>(json: &str) -> T {
    serde_json::from_slice(json.as_bytes()).unwrap()
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

#[test]
fn the_partner_usage_summary_example_decodes() {
    let s: PartnerUsageSummary = decode(include_str!("../fixtures/partner_usage_summary.json"));
    assert_eq!(s.customers_over_budget, Some(1));
    assert_eq!(s.customers_trending_over, Some(0));
    assert_eq!(s.customers_with_usage_based_subscription, Some(11));
    assert_eq!(s.resource_name.as_deref(), Some("PLAMUATT2NETNEW"));
    assert_eq!(s.total_cost, d("22.861172"));
    assert_eq!(s.currency().unwrap().code(), "EUR");
    assert_eq!(
        s.billing_start_date,
        Some(Utc.with_ymd_and_hms(2019, 8, 28, 7, 0, 0).unwrap())
    );
    assert_eq!(s.links.self_link.unwrap().uri, "/usagesummary");
}

#[test]
fn the_customer_usage_records_example_keeps_every_digit() {
    let page: ResourceCollection<CustomerMonthlyUsageRecord> =
        decode(include_str!("../fixtures/customer_usage_records.json"));
    assert_eq!(page.total_count, Some(25));
    assert_eq!(page.items.len(), 2);
    assert!(page.links.next.is_none());
    assert_eq!(page.attributes.object_type.as_deref(), Some("Collection"));

    let legacy = &page.items[0];
    assert_eq!(legacy.budget.amount, None);
    assert!(!legacy.is_upgraded);
    assert_eq!(legacy.currency().unwrap().code(), "EUR");
    assert_eq!(legacy.total_cost, Decimal::ZERO);
    assert_eq!(
        legacy.customer_id().unwrap().to_string(),
        "11111111-1843-4b3b-872f-206e08a08e51"
    );

    let modern = &page.items[1];
    assert_eq!(modern.total_cost.to_string(), "120.5682999999995904716");
    assert_eq!(
        modern.usd_total_cost.unwrap().to_string(),
        "12.39999999999999985235"
    );
    assert_eq!(modern.budget.amount, Some(Decimal::from(20)));
    assert_eq!(modern.percent_used, Some(d("602.84")));
    assert!(modern.is_upgraded);
    assert_eq!(modern.currency().unwrap().code(), "SEK");
    assert_eq!(
        modern.resource_name.as_deref(),
        Some("Modern Azure Customer SE")
    );
    let modified = modern.last_modified_date.unwrap();
    assert_eq!(modified.timestamp_subsec_nanos(), 143_333_300);
    assert_eq!(
        modern.attributes.object_type.as_deref(),
        Some("CustomerMonthlyUsageRecord")
    );
}

#[test]
fn the_customer_usage_summary_example_decodes() {
    let s: CustomerUsageSummary = decode(include_str!("../fixtures/customer_usage_summary.json"));
    assert_eq!(s.budget.amount, Some(Decimal::from(97)));
    assert_eq!(s.total_cost.to_string(), "28.82860766744404945074");
    assert_eq!(s.usd_total_cost, Some(d("35.23000000000000362337")));
    assert_eq!(s.currency().unwrap().code(), "GBP");
    assert_eq!(
        s.billing_end_date,
        Some(Utc.with_ymd_and_hms(2019, 10, 1, 0, 0, 0).unwrap())
    );
}

#[test]
fn the_subscription_usage_records_example_decodes() {
    let page: ResourceCollection<SubscriptionMonthlyUsageRecord> =
        decode(include_str!("../fixtures/subscription_usage_records.json"));
    let plan = &page.items[0];
    assert_eq!(plan.status, Some(SubscriptionStatus::Active));
    assert_eq!(
        plan.offer_id.as_deref(),
        Some("DZH318Z0BPS6:0001:DZH318Z0BML6")
    );
    assert_eq!(plan.partner_on_record.as_deref(), Some("some-id"));
    assert_eq!(plan.resource_name.as_deref(), Some("Azure plan"));
    assert_eq!(plan.currency().unwrap().code(), "GBP");
    assert_eq!(plan.usd_total_cost, Some(Decimal::ZERO));
}

#[test]
fn the_subscription_usage_summary_example_decodes() {
    let s: SubscriptionUsageSummary =
        decode(include_str!("../fixtures/subscription_usage_summary.json"));
    assert_eq!(s.resource_name.as_deref(), Some("Azure plan"));
    assert_eq!(s.total_cost, d("28.82860766744404945074"));
    assert_eq!(s.currency().unwrap().code(), "GBP");
}

#[test]
fn the_resource_usage_records_example_decodes() {
    let page: ResourceCollection<ResourceUsageRecord> =
        decode(include_str!("../fixtures/resource_usage_records.json"));
    let vm = &page.items[0];
    assert_eq!(vm.entitlement_name.as_deref(), Some("Partner Subscription"));
    assert_eq!(vm.resource_group_name.as_deref(), Some("TESTRG1"));
    assert_eq!(vm.resource_type.as_deref(), Some("Microsoft.Compute"));
    assert_eq!(vm.total_cost.to_string(), "80.3322286322163563");
    assert_eq!(vm.usd_total_cost, Some(d("98.1699999999999985")));
    assert_eq!(vm.currency().unwrap().code(), "GBP");
}

#[test]
fn the_meter_usage_records_example_decodes() {
    let page: ResourceCollection<MeterUsageRecord> =
        decode(include_str!("../fixtures/meter_usage_records.json"));
    assert_eq!(page.items.len(), 2);
    assert_eq!(
        page.items[0].meter_id.as_deref(),
        Some("DZH318Z0BNVX-005J-Data Transfer In (GB)")
    );
    assert_eq!(page.items[0].quantity_used, Some(d("0.01129")));
    assert_eq!(page.items[1].quantity_used, Some(d("0.002632")));
    assert_eq!(page.items[1].unit.as_deref(), Some("1 GB/Month"));
}

#[test]
fn the_probable_budget_shape_decodes_and_null_means_no_budget() {
    let budget: SpendingBudget = decode(include_str!("../fixtures/usage_budget.json"));
    assert_eq!(budget.amount, Some(Decimal::from(100)));
    let cleared: SpendingBudget =
        decode(r#"{"amount": null, "attributes": {"objectType": "SpendingBudget"}}"#);
    assert_eq!(cleared.amount, None);
}

#[test]
fn the_customer_list_example_decodes() {
    let page: ResourceCollection<Customer> = decode(include_str!("../fixtures/customers.json"));
    let customer = &page.items[0];
    assert_eq!(
        customer.customer_id().unwrap().to_string(),
        "b44bb1fb-c595-45b0-9e09-d657365580bf"
    );
    assert_eq!(customer.company_name(), Some("companyName"));
    assert_eq!(
        customer.relationship_to_partner,
        Some(RelationshipToPartner::Reseller)
    );
    assert_eq!(
        page.links.self_link.as_ref().unwrap().uri,
        "/v1/customers?size=40"
    );
}

#[test]
fn the_paged_customer_shape_carries_the_continuation_token() {
    let page: ResourceCollection<Customer> =
        decode(include_str!("../fixtures/customers_paged.json"));
    assert_eq!(page.continuation_token.as_deref(), Some("<opaque>"));
    let next = page.links.next.unwrap();
    assert_eq!(next.uri, "/customers?seekOperation=Next");
    assert_eq!(next.headers[0].key, "MS-ContinuationToken");
    assert_eq!(next.headers[0].value, "<opaque>");
    assert_eq!(page.items[0].company_name(), Some("Contoso"));
}

#[test]
fn the_subscription_example_decodes() {
    let s: Subscription = decode(include_str!("../fixtures/subscription.json"));
    assert_eq!(s.id, "A356AC8C-E310-44F4-BF85-C7F29044AF99");
    assert_eq!(s.offer_id.as_deref(), Some("MS-AZR-0145P"));
    assert_eq!(s.billing_type, Some(BillingType::Usage));
    assert_eq!(s.status, Some(SubscriptionStatus::Active));
    assert_eq!(s.contract_type, Some(ContractType::Subscription));
    assert_eq!(s.quantity, Some(Decimal::ONE));
    assert_eq!(
        s.commitment_end_date,
        Some(Utc.with_ymd_and_hms(9999, 12, 10, 0, 0, 0).unwrap())
    );
    assert_eq!(
        s.links.offer.unwrap().uri,
        "/offers/MS-AZR-0145P?country=US"
    );
    assert!(s.attributes.etag.is_some());
}

#[test]
fn the_utilization_page_has_a_next_link_without_a_leading_slash() {
    let page: ResourceCollection<AzureUtilizationRecord> =
        decode(include_str!("../fixtures/utilization_page.json"));
    assert_eq!(page.continuation_token, None);
    let record = &page.items[0];
    assert_eq!(record.quantity, d("2.0"));
    assert_eq!(record.unit.as_deref(), Some("Hours"));
    assert_eq!(
        record.resource.category.as_deref(),
        Some("Azure App Service")
    );
    assert_eq!(
        record.info_fields.get("meteredRegion").map(String::as_str),
        Some("North Central US")
    );
    assert_eq!(
        record.usage_start_time,
        Some(Utc.with_ymd_and_hms(2015, 12, 1, 0, 0, 0).unwrap())
    );
    let next = page.links.next.unwrap();
    assert!(next.uri.starts_with("customers/65726577"), "{}", next.uri);
    assert!(next.uri.ends_with("utilizations/azure?seek_operation=Next"));
    assert_eq!(next.headers.len(), 1);
    assert_eq!(next.headers[0].key, "MS-ContinuationToken");
    assert!(
        next.headers[0]
            .value
            .starts_with("/1f5ccb06-8e36-4a74-a74c-fcaa9e87e26a/usage-records?")
    );
}

#[test]
fn the_instance_data_example_decodes() {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Holder {
        instance_data: AzureInstanceData,
    }
    let holder: Holder = decode(include_str!("../fixtures/instance_data.json"));
    let data = holder.instance_data;
    assert_eq!(data.location.as_deref(), Some("azurestack"));
    assert_eq!(data.part_number.as_deref(), Some(""));
    assert_eq!(
        data.additional_info
            .unwrap()
            .get("azureStack.Location")
            .map(String::as_str),
        Some("local")
    );
    assert_eq!(data.tags, None);
}

#[test]
fn the_rate_card_example_decodes_with_offset_less_dates_as_utc() {
    let card: AzureRateCard = decode(include_str!("../fixtures/rate_card.json"));
    assert_eq!(card.currency.as_deref(), Some("USD"));
    assert!(!card.is_tax_included);
    let meter = &card.meters[0];
    assert_eq!(meter.rates.get(&Decimal::ZERO), Some(&d("3.9729")));
    assert_eq!(meter.included_quantity, Some(Decimal::ZERO));
    let term = &card.offer_terms[0];
    assert_eq!(term.discount, Some(d("0.15")));
    assert_eq!(term.excluded_meter_ids.len(), 2);
    assert_eq!(
        term.effective_date,
        Some(Utc.with_ymd_and_hms(2014, 1, 1, 0, 0, 0).unwrap())
    );
}

#[test]
fn unknown_fields_and_enum_values_do_not_break_decoding() {
    let page: ResourceCollection<SubscriptionMonthlyUsageRecord> = decode(
        r#"{"items": [{"resourceId": "x", "status": "migrating", "totalCost": "1.5",
            "brandNewField": {"nested": [1, 2]}, "currencyCode": "jpy"}],
            "somethingElse": true}"#,
    );
    let record = &page.items[0];
    assert_eq!(
        record.status,
        Some(SubscriptionStatus::Other("migrating".into()))
    );
    assert_eq!(record.total_cost, d("1.5"));
    assert_eq!(record.currency().unwrap().code(), "JPY");
}

#[test]
fn a_record_without_any_currency_says_so() {
    let record: CustomerMonthlyUsageRecord =
        decode(r#"{"resourceId": "11111111-1843-4b3b-872f-206e08a08e51", "totalCost": 1}"#);
    assert!(record.currency().is_err());
    let legacy: CustomerMonthlyUsageRecord = decode(
        r#"{"resourceId": "x", "totalCost": 1, "currencyCode": "", "currencyLocale": "sv-SE"}"#,
    );
    assert_eq!(legacy.currency().unwrap().code(), "SEK");
}

#[test]
fn a_truncated_example_is_an_error_not_a_partial_result() {
    let full = include_str!("../fixtures/customer_usage_records.json");
    let truncated = &full[..full.len() / 2];
    assert!(
        serde_json::from_slice::<ResourceCollection<CustomerMonthlyUsageRecord>>(
            truncated.as_bytes()
        )
        .is_err()
    );
}
