//! The gateway in front of every route except the control API: lower-cases Partner Center
//! paths, echoes or generates `MS-RequestId`/`MS-CorrelationId` and adds `MS-CV` and
//! `MS-ServerId`, throttles, applies injected faults, and logs each request.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{StatusCode, Uri};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, Data};
use actix_web::{Error, HttpResponse, ResponseError};
use uuid::Uuid;

use crate::control::faults::{FaultBody, FaultKind};
use crate::control::requests::LoggedRequest;
use crate::random::hash;
use crate::state::SandboxState;
use crate::wire::fault::{ApiError, gateway_response};

const REQUEST_ID: HeaderName = HeaderName::from_static("ms-requestid");
const CORRELATION_ID: HeaderName = HeaderName::from_static("ms-correlationid");
const CV: HeaderName = HeaderName::from_static("ms-cv");
const SERVER_ID: HeaderName = HeaderName::from_static("ms-serverid");

fn is_partner_center(path: &str) -> bool {
    path.get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("/v1/"))
}

/// The middleware function (`actix_web::middleware::from_fn(gateway)`).
pub async fn gateway(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.path().starts_with("/_sandbox") {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let Some(state) = req.app_data::<Data<SandboxState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let method = req.method().to_string();
    let path = req.path().to_string();
    let query = req.query_string().to_string();
    let partner_center = is_partner_center(&path);
    if partner_center && path.bytes().any(|b| b.is_ascii_uppercase()) {
        lower_case_path(&mut req);
    }
    let route = format!(
        "{method} {}",
        req.match_pattern()
            .unwrap_or_else(|| req.path().to_string())
    );
    let sent_id = header_text(&req, &REQUEST_ID);
    let request_id = sent_id
        .clone()
        .unwrap_or_else(|| Uuid::new_v4().to_string());
    let correlation_id =
        header_text(&req, &CORRELATION_ID).unwrap_or_else(|| Uuid::new_v4().to_string());
    let mut entry = LoggedRequest {
        method,
        path,
        query,
        route: route.clone(),
        status: None,
        fault: None,
        request_id_sent: sent_id.is_some(),
        request_id: request_id.clone(),
        correlation_id: correlation_id.clone(),
        at: state.clock.now().to_rfc3339(),
    };

    let outcome = answer(req, next, &state, &route, partner_center, &mut entry).await;
    let result = outcome.map(|mut response| {
        if partner_center {
            let headers = response.headers_mut();
            for (name, value) in [
                (REQUEST_ID, request_id.as_str()),
                (CORRELATION_ID, correlation_id.as_str()),
                (CV, &ms_cv(&request_id)),
                (SERVER_ID, "030020525"),
            ] {
                if let Ok(value) = HeaderValue::from_str(value) {
                    headers.insert(name, value);
                }
            }
        }
        if entry.fault != Some("drop") {
            entry.status = Some(response.status().as_u16());
        }
        response
    });
    tracing::debug!(
        route = %entry.route,
        status = ?entry.status,
        fault = ?entry.fault,
        request_id = %entry.request_id,
        "sandbox request"
    );
    state.requests.record(entry);
    result
}

/// Throttling, then faults, then the real route.
async fn answer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    state: &SandboxState,
    route: &str,
    partner_center: bool,
    entry: &mut LoggedRequest,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if partner_center {
        let customer = customer_segment(req.path());
        if let Err(wait) = state
            .throttle
            .check(&state.partner_tenant().to_string(), customer.as_deref())
        {
            entry.fault = Some("throttle");
            let response = gateway_response(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Rate limit is exceeded. Try again in {wait} seconds."),
                Some(wait),
            );
            return Ok(req.into_response(response));
        }
    }
    let Some(hit) = state.faults.take(route) else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let (name, after_applying) = match &hit.kind {
        FaultKind::Status { after_applying, .. } => ("status", *after_applying),
        FaultKind::Delay { .. } => ("delay", false),
        FaultKind::Malformed => ("malformed", false),
        FaultKind::Truncated => ("truncated", true),
        FaultKind::Drop { after_applying } => ("drop", *after_applying),
        FaultKind::Exponent => ("exponent", true),
        FaultKind::NotReady { .. } => ("notReady", false),
    };
    entry.fault = Some(name);
    if let FaultKind::Delay { ms } = hit.kind {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    // The real route runs first when the fault only spoils its answer.
    let (req, real) = if after_applying {
        let (req, response) = next.call(req).await?.into_parts();
        let status = response.status();
        let bytes = body::to_bytes(response.into_body())
            .await
            .unwrap_or_default();
        (req, Some((status, bytes)))
    } else {
        let (req, _payload) = req.into_parts();
        (req, None)
    };
    let response = match (hit.kind, real) {
        (FaultKind::Truncated, Some((status, bytes))) => HttpResponse::build(status)
            .content_type("application/json; charset=utf-8")
            .body(bytes.slice(..bytes.len() / 2)),
        (FaultKind::Exponent, Some((status, bytes))) => HttpResponse::build(status)
            .content_type("application/json; charset=utf-8")
            .body(exponent_numbers(&String::from_utf8_lossy(&bytes))),
        (FaultKind::Status { status, body, .. }, _) => status_fault(status, body, hit.hit),
        (FaultKind::Malformed, _) => HttpResponse::Ok()
            .content_type("application/json; charset=utf-8")
            .body(
                "{\"totalCount\": 1, \"items\": [{\"resourceId\": \"0f\", \"totalCost\": 12.5,, }]",
            ),
        (
            FaultKind::NotReady {
                retry_after_seconds,
            },
            _,
        ) => HttpResponse::NoContent()
            .insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()))
            .finish(),
        _ => HttpResponse::Ok().body(Severed),
    };
    Ok(ServiceResponse::new(req, response))
}

/// The answer of a `status` fault (see [`FaultKind::Status`]); `hit` counts the rule's hits.
fn status_fault(status: u16, body: Option<FaultBody>, hit: u32) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let gateway = match body {
        Some(FaultBody::Gateway) => true,
        Some(FaultBody::ApiFault) => false,
        None => {
            matches!(
                status,
                StatusCode::INTERNAL_SERVER_ERROR | StatusCode::SERVICE_UNAVAILABLE
            ) && hit % 2 == 1
        }
    };
    if gateway {
        let message = status.canonical_reason().unwrap_or("Error").to_string();
        let retry = (status == StatusCode::SERVICE_UNAVAILABLE).then_some(1);
        gateway_response(status, message, retry)
    } else {
        ApiError::Injected {
            status,
            code: if status.is_server_error() {
                800_003
            } else {
                800_002
            },
            description: format!("Injected fault: {status}"),
        }
        .error_response()
    }
}

/// `json` with every number outside strings in exponent form: `100` as `1E+2`, `12.5` as
/// `1.25E+1`, `0.05` as `5E-2`, `0` as `0E+0`. The value is unchanged.
fn exponent_numbers(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 16);
    let mut chars = json.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '-' || c.is_ascii_digit() {
            let mut number = String::from(c);
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || matches!(d, '.' | 'e' | 'E' | '+' | '-') {
                    number.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            out.push_str(&scientific(&number));
        } else {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// One plain JSON number (`-12.50`) in exponent form (`-1.25E+1`); other text unchanged.
fn scientific(number: &str) -> String {
    if number.contains(['e', 'E']) {
        return number.to_owned();
    }
    let (sign, unsigned) = number
        .strip_prefix('-')
        .map_or(("", number), |rest| ("-", rest));
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = format!("{whole}{fraction}");
    let Some(first) = digits.find(|c: char| c != '0') else {
        return format!("{sign}0E+0");
    };
    let significant = digits[first..].trim_end_matches('0');
    let exponent = i64::try_from(whole.len()).unwrap_or(0) - 1 - i64::try_from(first).unwrap_or(0);
    let mantissa = match significant.split_at(1) {
        (lead, "") => lead.to_owned(),
        (lead, rest) => format!("{lead}.{rest}"),
    };
    format!("{sign}{mantissa}E{exponent:+}")
}

/// A body that fails at once, so the server closes the connection without a response.
struct Severed;

impl MessageBody for Severed {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by an injected fault",
        ))))
    }
}

fn header_text(req: &ServiceRequest, name: &HeaderName) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The customer GUID of a `/v1/customers/{id}/...` path, for per-customer throttling.
fn customer_segment(path: &str) -> Option<String> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    segments.next()?;
    segments.next().filter(|s| *s == "customers")?;
    let id = segments.next()?;
    Uuid::parse_str(id).ok().map(|u| u.to_string())
}

/// Rewrites the request path to lower case (query untouched) so routes match any casing.
fn lower_case_path(req: &mut ServiceRequest) {
    let lower = req.path().to_ascii_lowercase();
    let path_and_query = match req.query_string() {
        "" => lower,
        query => format!("{lower}?{query}"),
    };
    let mut parts = req.head().uri.clone().into_parts();
    let Ok(path_and_query) = path_and_query.parse() else {
        return;
    };
    parts.path_and_query = Some(path_and_query);
    let Ok(uri) = Uri::from_parts(parts) else {
        return;
    };
    req.match_info_mut().get_mut().update(&uri);
    req.head_mut().uri = uri;
}

/// An `MS-CV` correlation vector in the documented style (e.g. `PjuGoYrw806o6A3Y.0`).
fn ms_cv(request_id: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut seed = hash(&request_id.bytes().map(u64::from).collect::<Vec<_>>());
    let mut cv = String::with_capacity(18);
    for _ in 0..16 {
        cv.push(ALPHABET[(seed % 64) as usize] as char);
        seed = crate::random::mix(seed);
    }
    cv.push_str(".0");
    cv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_strings_are_written_in_exponent_form_with_the_same_value() {
        assert_eq!(
            exponent_numbers(r#"{"amount":100,"x":"12.5 -3","y":[12.5,-0.05,0,1.5E3],"z":120.50}"#),
            r#"{"amount":1E+2,"x":"12.5 -3","y":[1.25E+1,-5E-2,0E+0,1.5E3],"z":1.205E+2}"#
        );
        assert_eq!(exponent_numbers(r#"{"a\\":7}"#), r#"{"a\\":7E+0}"#);
    }
}
