//! What the sandbox says, read independently of Spendboard's client: the usage records with
//! their numbers parsed exactly from the JSON text.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::helpers::TestApp;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Collection {
    items: Vec<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRecord {
    resource_id: String,
    resource_name: String,
    total_cost: Box<RawValue>,
    usd_total_cost: Option<Box<RawValue>>,
    is_upgraded: bool,
    currency_code: Option<String>,
    currency_locale: Option<String>,
    budget: Option<RawBudget>,
}

#[derive(Debug, Deserialize)]
struct RawBudget {
    amount: Option<Box<RawValue>>,
}

/// One customer's usage record as the sandbox serves it.
#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub name: String,
    pub total_cost: Decimal,
    /// `usdTotalCost`, for Azure plan customers only (legacy records carry 0).
    pub usd_total_cost: Option<Decimal>,
    pub currency: String,
    pub budget: Option<Decimal>,
}

fn decimal(raw: &RawValue) -> Option<Decimal> {
    let text = raw.get().trim_matches('"');
    if text == "null" {
        return None;
    }
    Some(
        Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .expect("a decimal"),
    )
}

/// `GET /v1/customers/usagerecords` of the sandbox, parsed exactly.
pub async fn usage_records(app: &TestApp) -> Vec<Record> {
    let token = crate::helpers::sandbox_delegated_token(&app.sandbox, crate::helpers::EDITOR).await;
    let body = reqwest::Client::new()
        .get(
            app.sandbox
                .base_url
                .join("v1/customers/usagerecords")
                .unwrap(),
        )
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let collection: Collection = serde_json::from_str(&body).unwrap();
    collection
        .items
        .iter()
        .map(|item| {
            let r: RawRecord = serde_json::from_str(item.get()).unwrap();
            let currency = r.currency_code.clone().unwrap_or_else(|| {
                spendboard::domain::Currency::from_locale(
                    r.currency_locale.as_deref().unwrap_or_default(),
                )
                .unwrap()
                .code()
                .to_owned()
            });
            Record {
                id: r.resource_id.to_lowercase(),
                name: r.resource_name,
                total_cost: decimal(&r.total_cost).unwrap(),
                usd_total_cost: r
                    .usd_total_cost
                    .as_deref()
                    .and_then(decimal)
                    .filter(|_| r.is_upgraded),
                currency,
                budget: r.budget.and_then(|b| b.amount).as_deref().and_then(decimal),
            }
        })
        .collect()
}
