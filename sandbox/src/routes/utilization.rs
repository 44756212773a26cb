//! `GET /v1/customers/{id}/subscriptions/{sid}/utilizations/azure` (docs/partner-center.md §12): unrated
//! daily or hourly quantities of a legacy subscription, seek-paged with `seek_operation=Next`
//! and the `MS-ContinuationToken` header. Link URIs have no leading slash, as in the real
//! example, and the token only travels in `links.next.headers`.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::Serialize;

use super::{Query, continuation_header, customer_index, subscription_index};
use crate::auth::AnyCaller;
use crate::data::catalog::{METERS, RESOURCE_GROUPS};
use crate::data::usage::{QUANTITY_SCALE, daily_quantity, decimal};
use crate::data::{Plan, start_of_day};
use crate::state::SandboxState;
use crate::wire::fault::ApiError;
use crate::wire::{Attributes, Collection, Link, Links, Num, seconds};

/// Default and largest page size.
const MAX_SIZE: usize = 1000;

/// The query of a utilization request, as carried from page to page in the token.
#[derive(Debug, Clone)]
struct Request {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    hourly: bool,
    show_details: bool,
    size: usize,
    offset: usize,
}

impl Request {
    fn from_query(query: &Query) -> Result<Self, ApiError> {
        let time = |name: &str| {
            let raw = query
                .get(name)
                .ok_or_else(|| ApiError::InvalidInput(format!("{name} is required")))?;
            // An unencoded `+` offset arrives as a space.
            DateTime::parse_from_rfc3339(&raw.replace(' ', "+"))
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::InvalidInput(format!(
                        "{name} must be a date-time with offset, got {raw:?}"
                    ))
                })
        };
        let (start, end) = (time("start_time")?, time("end_time")?);
        if end <= start {
            return Err(ApiError::InvalidInput(
                "end_time must be after start_time".into(),
            ));
        }
        let hourly = match query.get("granularity") {
            None => false,
            Some(g) if g.eq_ignore_ascii_case("daily") => false,
            Some(g) if g.eq_ignore_ascii_case("hourly") => true,
            Some(g) => {
                return Err(ApiError::InvalidInput(format!(
                    "granularity must be daily or hourly, got {g:?}"
                )));
            }
        };
        let show_details = match query.get("show_details") {
            None => true,
            Some(b) => b.to_ascii_lowercase().parse().map_err(|_| {
                ApiError::InvalidInput(format!("show_details must be true or false, got {b:?}"))
            })?,
        };
        let size = match query.get("size") {
            None => MAX_SIZE,
            Some(s) => s
                .parse()
                .ok()
                .filter(|n| (1..=MAX_SIZE).contains(n))
                .ok_or_else(|| {
                    ApiError::InvalidInput(format!("size must be between 1 and {MAX_SIZE}"))
                })?,
        };
        Ok(Self {
            start,
            end,
            hourly,
            show_details,
            size,
            offset: 0,
        })
    }

    fn granularity(&self) -> &'static str {
        if self.hourly { "Hourly" } else { "Daily" }
    }

    /// An opaque, URL-like token in the style of the real one.
    fn token(&self, partner: &str, entitlement: &str) -> String {
        let cursor = URL_SAFE_NO_PAD.encode(format!("{}", self.offset));
        format!(
            "/{partner}/usage-records?entitlement_id={entitlement}&reported_start_time={}&reported_end_time={}&granularity={}&show_details={}&size={}&continuation_token={cursor}",
            self.start.timestamp(),
            self.end.timestamp(),
            self.granularity(),
            self.show_details,
            self.size
        )
    }

    fn from_token(token: &str, entitlement: &str) -> Option<Self> {
        let url = url::Url::parse(&format!("https://token.invalid{token}")).ok()?;
        let pairs: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        if pairs.get("entitlement_id")? != entitlement {
            return None;
        }
        let time = |name: &str| DateTime::from_timestamp(pairs.get(name)?.parse().ok()?, 0);
        let offset = String::from_utf8(
            URL_SAFE_NO_PAD
                .decode(pairs.get("continuation_token")?)
                .ok()?,
        )
        .ok()?;
        Some(Self {
            start: time("reported_start_time")?,
            end: time("reported_end_time")?,
            hourly: pairs.get("granularity")? == "Hourly",
            show_details: pairs.get("show_details")?.parse().ok()?,
            size: pairs
                .get("size")?
                .parse()
                .ok()
                .filter(|n| (1..=MAX_SIZE).contains(n))?,
            offset: offset.parse().ok()?,
        })
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AzureUtilizationRecord {
    usage_start_time: String,
    usage_end_time: String,
    resource: AzureResource,
    quantity: Num,
    unit: &'static str,
    info_fields: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_data: Option<InstanceData>,
    attributes: Attributes,
}

#[derive(Debug, Serialize)]
struct AzureResource {
    id: &'static str,
    name: &'static str,
    category: &'static str,
    subcategory: &'static str,
    region: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceData {
    resource_uri: String,
    location: &'static str,
    part_number: &'static str,
    order_number: &'static str,
    tags: BTreeMap<&'static str, &'static str>,
    additional_info: BTreeMap<&'static str, String>,
}

/// `GET .../subscriptions/{sid}/utilizations/azure` (App-only or App+User; legacy
/// subscriptions only).
pub async fn records(
    _caller: AnyCaller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, ApiError> {
    let index = customer_index(&state, &path.0)?;
    let s = subscription_index(&state, index, &path.1)?;
    let data = &state.data;
    let customer = &data.customers[index];
    if customer.plan == Plan::AzurePlan {
        return Err(ApiError::InvalidInput(
            "Azure utilization records are not available for Azure plan subscriptions".into(),
        ));
    }
    let subscription = &data.subscriptions[s];
    let Some(entitlement) = data.entitlements.get(subscription.entitlements.start) else {
        return Err(ApiError::SubscriptionNotFound(path.1.clone()));
    };
    let entitlement_id = entitlement.id.to_string();
    let query = Query::of(&req)?;
    let request = match query.get("seek_operation") {
        Some(op) if op.eq_ignore_ascii_case("next") => continuation_header(&req)
            .and_then(|token| Request::from_token(token, &entitlement_id))
            .ok_or_else(|| {
                ApiError::InvalidInput("missing or invalid MS-ContinuationToken".into())
            })?,
        Some(op) => {
            return Err(ApiError::InvalidInput(format!(
                "unsupported seek_operation {op:?}"
            )));
        }
        None => Request::from_query(&query)?,
    };

    // Slots (days or hours) inside the range, up to the end of the sandbox's today.
    let step = if request.hourly {
        Duration::hours(1)
    } else {
        Duration::days(1)
    };
    let first = request.start.duration_trunc(step).unwrap_or(request.start);
    let first = if first < request.start {
        first + step
    } else {
        first
    };
    let horizon = start_of_day(state.clock.today()) + Duration::days(1);
    let end = request.end.min(horizon);
    let slots = if end > first {
        ((end - first).num_seconds() / step.num_seconds()) as usize
    } else {
        0
    };
    let resources: Vec<usize> = entitlement.resources.clone().collect();
    let total = slots * resources.len();
    let page_end = (request.offset + request.size).min(total);

    let items: Vec<AzureUtilizationRecord> = (request.offset.min(page_end)..page_end)
        .map(|i| {
            let slot_start = first + step * (i / resources.len()) as i32;
            let r = resources[i % resources.len()];
            let daily = daily_quantity(data, r, slot_start.date_naive());
            let quantity = if request.hourly {
                let hour = i128::from(chrono::Timelike::hour(&slot_start));
                daily / 24 + if hour == 23 { daily % 24 } else { 0 }
            } else {
                daily
            };
            let meter = &METERS[data.resources[r].meter as usize];
            AzureUtilizationRecord {
                usage_start_time: seconds(slot_start),
                usage_end_time: seconds(slot_start + step),
                resource: AzureResource {
                    id: meter.guid,
                    name: meter.name,
                    category: meter.category,
                    subcategory: meter.subcategory,
                    region: meter.region,
                },
                quantity: Num(decimal(quantity, QUANTITY_SCALE)),
                unit: meter.unit,
                info_fields: BTreeMap::new(),
                instance_data: request.show_details.then(|| InstanceData {
                    resource_uri: data.resource_uri(r),
                    location: "westeurope",
                    part_number: "",
                    order_number: "",
                    tags: [(
                        "costCenter",
                        RESOURCE_GROUPS[data.resources[r].group as usize],
                    )]
                    .into_iter()
                    .collect(),
                    additional_info: BTreeMap::new(),
                }),
                attributes: Attributes::of("AzureUtilizationRecord"),
            }
        })
        .collect();

    let base = format!(
        "customers/{}/subscriptions/{}/utilizations/azure",
        customer.id, subscription.id
    );
    let self_uri = format!(
        "{base}?start_time={}&end_time={}&granularity={}&show_details={}&size={}",
        request.start.format("%Y-%m-%dT%H:%M:%SZ"),
        request.end.format("%Y-%m-%dT%H:%M:%SZ"),
        request.granularity(),
        if request.show_details {
            "True"
        } else {
            "False"
        },
        request.size
    );
    let next = (page_end < total).then(|| {
        let token = Request {
            offset: page_end,
            ..request.clone()
        }
        .token(&state.partner_tenant().to_string(), &entitlement_id);
        Link::next(format!("{base}?seek_operation=Next"), &token)
    });
    let collection = Collection {
        continuation_token: None,
        total_count: items.len(),
        items,
        links: Links {
            self_link: Link::get(self_uri),
            next,
        },
        attributes: Attributes::of("Collection"),
    };
    Ok(HttpResponse::Ok().json(collection))
}
