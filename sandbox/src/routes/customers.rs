//! `GET /v1/customers` (seek-paged, with the company-name filter) and
//! `GET /v1/customers/{id}` (docs/partner-center.md §10).

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::{Query, continuation_header, customer_index};
use crate::auth::AnyCaller;
use crate::data::Customer;
use crate::state::SandboxState;
use crate::wire::fault::ApiError;
use crate::wire::{Attributes, Collection, Link, Links, zulu};

/// A `Customer` (list item; the by-id answer adds billing details).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerJson {
    id: String,
    commerce_id: String,
    company_profile: CompanyProfile,
    relationship_to_partner: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    allow_delegated_access: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    billing_profile: Option<BillingProfile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_domains: Option<Vec<String>>,
    links: Links,
    attributes: Attributes,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct CompanyProfile {
    tenant_id: String,
    domain: String,
    company_name: String,
    links: Links,
    attributes: Attributes,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BillingProfile {
    id: String,
    email: String,
    culture: &'static str,
    language: &'static str,
    company_name: String,
    created_date: String,
    links: Links,
    attributes: Attributes,
}

fn customer_json(customer: &Customer, detailed: bool) -> CustomerJson {
    let id = customer.id.to_string();
    CustomerJson {
        commerce_id: customer.commerce_id.to_string(),
        company_profile: CompanyProfile {
            tenant_id: id.clone(),
            domain: customer.domain.clone(),
            company_name: customer.name.clone(),
            links: Links::to_self(format!("/customers/{id}/profiles/company")),
            attributes: Attributes::of("CustomerCompanyProfile"),
        },
        relationship_to_partner: "reseller",
        allow_delegated_access: detailed.then_some(true),
        billing_profile: detailed.then(|| BillingProfile {
            id: customer.commerce_id.to_string(),
            email: format!("billing@{}", customer.domain),
            culture: customer.currency.locale,
            language: "en",
            company_name: customer.name.clone(),
            created_date: zulu(customer.created),
            links: Links::to_self(format!("/customers/{id}/profiles/billing")),
            attributes: Attributes {
                etag: Some(format!("W/\"{}\"", customer.commerce_id.simple())),
                object_type: "CustomerBillingProfile",
            },
        }),
        custom_domains: detailed.then(|| vec![customer.domain.clone()]),
        links: Links::to_self(format!("/customers/{id}")),
        attributes: Attributes::of("Customer"),
        id,
    }
}

/// What a continuation token carries: where the next page starts, its size and the filter.
#[derive(Debug, Serialize, Deserialize)]
struct Cursor {
    offset: usize,
    size: usize,
    filter: Option<Filter>,
}

/// The list filter: `{"Field":"CompanyName"|"Domain","Value":"..","Operator":"starts_with"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Filter {
    field: String,
    value: String,
}

fn parse_filter(raw: &str) -> Result<Filter, ApiError> {
    let value: serde_json::Value = serde_json::from_str(raw)
        .map_err(|err| ApiError::InvalidInput(format!("filter is not JSON: {err}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::InvalidInput("filter must be a JSON object".into()))?;
    let text = |name: &str| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .and_then(|(_, value)| value.as_str())
            .map(str::to_string)
            .ok_or_else(|| ApiError::InvalidInput(format!("filter needs a string \"{name}\"")))
    };
    let (field, value, operator) = (text("Field")?, text("Value")?, text("Operator")?);
    if !operator.eq_ignore_ascii_case("starts_with") {
        return Err(ApiError::InvalidInput(format!(
            "unsupported filter operator {operator:?}"
        )));
    }
    if !(field.eq_ignore_ascii_case("CompanyName") || field.eq_ignore_ascii_case("Domain")) {
        return Err(ApiError::InvalidInput(format!(
            "unsupported filter field {field:?}"
        )));
    }
    Ok(Filter { field, value })
}

fn matches(customer: &Customer, filter: &Option<Filter>) -> bool {
    let Some(filter) = filter else { return true };
    let subject = if filter.field.eq_ignore_ascii_case("Domain") {
        &customer.domain
    } else {
        &customer.name
    };
    subject
        .to_lowercase()
        .starts_with(&filter.value.to_lowercase())
}

/// `GET /v1/customers[?size=n][&filter=..]`, or `?seekOperation=Next` with the
/// `MS-ContinuationToken` header. `size` absent or 0 returns every match in one page.
pub async fn list(
    _caller: AnyCaller,
    req: HttpRequest,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let query = Query::of(&req)?;
    let cursor = match query.get("seekOperation") {
        Some(op) if op.eq_ignore_ascii_case("next") => {
            let token = continuation_header(&req).ok_or_else(|| {
                ApiError::InvalidInput(
                    "seekOperation=Next needs the MS-ContinuationToken header".into(),
                )
            })?;
            URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Cursor>(&bytes).ok())
                .ok_or_else(|| ApiError::InvalidInput("invalid continuation token".into()))?
        }
        Some(op) => {
            return Err(ApiError::InvalidInput(format!(
                "unsupported seekOperation {op:?}"
            )));
        }
        None => Cursor {
            offset: 0,
            size: match query.get("size") {
                Some(size) => size.parse().map_err(|_| {
                    ApiError::InvalidInput("size must be a non-negative integer".into())
                })?,
                None => 0,
            },
            filter: query.get("filter").map(parse_filter).transpose()?,
        },
    };
    let matching: Vec<&Customer> = state
        .data
        .customers
        .iter()
        .filter(|c| matches(c, &cursor.filter))
        .collect();
    let end = if cursor.size == 0 {
        matching.len()
    } else {
        (cursor.offset + cursor.size).min(matching.len())
    };
    let start = cursor.offset.min(end);
    let items: Vec<CustomerJson> = matching[start..end]
        .iter()
        .map(|c| customer_json(c, false))
        .collect();
    let self_uri = match req.query_string() {
        "" => "/v1/customers".to_string(),
        q => format!("/v1/customers?{q}"),
    };
    let mut collection = Collection::single(items, self_uri);
    if end < matching.len() {
        let next = Cursor {
            offset: end,
            size: cursor.size,
            filter: cursor.filter,
        };
        let token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&next).unwrap_or_default());
        collection.links.next = Some(Link::next("/customers?seekOperation=Next", &token));
        collection.continuation_token = Some(token);
    }
    Ok(HttpResponse::Ok().json(collection))
}

/// `GET /v1/customers/{id}`: one customer with billing profile and custom domains.
pub async fn get(
    _caller: AnyCaller,
    path: web::Path<String>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path)?;
    Ok(HttpResponse::Ok().json(customer_json(&state.data.customers[index], true)))
}
