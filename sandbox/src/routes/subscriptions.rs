//! `GET /v1/customers/{id}/subscriptions` (docs/partner-center.md §11): the usage-billed legacy Azure
//! subscriptions or the Azure plan of a customer.

use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;

use super::customer_index;
use crate::auth::AnyCaller;
use crate::data::{AZURE_PLAN_OFFER_ID, LEGACY_OFFER_ID, Plan};
use crate::state::SandboxState;
use crate::wire::fault::ApiError;
use crate::wire::{Attributes, Collection, Link, zulu};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionJson {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    entitlement_id: Option<String>,
    offer_id: &'static str,
    offer_name: &'static str,
    friendly_name: &'static str,
    quantity: u32,
    unit_type: &'static str,
    creation_date: String,
    effective_start_date: String,
    commitment_end_date: &'static str,
    status: &'static str,
    auto_renew_enabled: bool,
    billing_type: &'static str,
    contract_type: &'static str,
    links: SubscriptionLinks,
    order_id: String,
    attributes: Attributes,
}

#[derive(Debug, Serialize)]
struct SubscriptionLinks {
    offer: Link,
    #[serde(rename = "self")]
    self_link: Link,
}

/// `GET /v1/customers/{id}/subscriptions` (App-only or App+User), in one page.
pub async fn list(
    _caller: AnyCaller,
    path: web::Path<String>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path)?;
    let data = &state.data;
    let customer = &data.customers[index];
    let items = customer
        .subscriptions
        .clone()
        .map(|s| {
            let subscription = &data.subscriptions[s];
            let (offer_id, offer_name, entitlement_id) = match customer.plan {
                Plan::Legacy => (
                    LEGACY_OFFER_ID,
                    "Microsoft Azure",
                    data.entitlements
                        .get(subscription.entitlements.start)
                        .map(|e| e.id.to_string().to_uppercase()),
                ),
                Plan::AzurePlan => (AZURE_PLAN_OFFER_ID, "Azure plan", None),
            };
            let id = subscription.id.to_string().to_uppercase();
            SubscriptionJson {
                entitlement_id,
                offer_id,
                offer_name,
                friendly_name: offer_name,
                quantity: 1,
                unit_type: "Usage-based",
                creation_date: subscription
                    .created
                    .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                    .to_string(),
                effective_start_date: zulu(crate::data::start_of_day(
                    subscription.created.date_naive(),
                )),
                commitment_end_date: "9999-12-10T00:00:00Z",
                status: "active",
                auto_renew_enabled: false,
                billing_type: "usage",
                contract_type: "subscription",
                links: SubscriptionLinks {
                    offer: Link::get(format!(
                        "/offers/{}?country=US",
                        offer_id.split(':').next().unwrap_or(offer_id)
                    )),
                    self_link: Link::get(format!("/customers/{}/subscriptions/{id}", customer.id)),
                },
                order_id: subscription.order_id.to_string().to_uppercase(),
                attributes: Attributes {
                    etag: Some(
                        STANDARD
                            .encode(format!("{{\"id\":\"{}\",\"version\":2}}", subscription.id)),
                    ),
                    object_type: "Subscription",
                },
                id,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(Collection::single(
        items,
        format!("/customers/{}/subscriptions", customer.id),
    )))
}
