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

/// How many of some usage records are over budget, near budget (80 % or more of it) and
/// without budget, by the rules the dashboard states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCounts {
    pub over: u64,
    pub near: u64,
    pub none: u64,
}

impl StatusCounts {
    /// The counts of `records`.
    pub fn of<'r>(records: impl IntoIterator<Item = &'r Record>) -> Self {
        let hundred = Decimal::ONE_HUNDRED;
        let mut counts = Self {
            over: 0,
            near: 0,
            none: 0,
        };
        for r in records {
            match r.budget {
                None => counts.none += 1,
                Some(b) if r.total_cost >= b => counts.over += 1,
                Some(b) if r.total_cost * hundred >= b * Decimal::from(80) => counts.near += 1,
                Some(_) => {}
            }
        }
        counts
    }
}
