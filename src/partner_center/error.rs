//! What can go wrong on a Partner Center call, and the error bodies Partner Center sends
//! (docs/partner-center.md §1.5).

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

/// A Partner Center error body: the service's ApiFault, the gateway's
/// `{statusCode, message}`, or whatever text came instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorBody {
    /// `{"code": number|string, "description", "data", "source"}` from the service.
    ApiFault(Box<ApiFault>),
    /// `{"statusCode", "message"}` from the API gateway (429, sometimes 5xx).
    Gateway {
        /// The status the gateway reports.
        status_code: Option<u16>,
        /// E.g. "Rate limit is exceeded. Try again in 57 seconds."
        message: String,
    },
    /// A body in neither shape, as text (may be empty).
    Text(String),
}

/// The service's error object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFault {
    /// Error code as text (`2000`, `20002`); sent as a number or a string.
    pub code: Option<String>,
    /// What went wrong, for a person.
    pub description: String,
    /// Details, usually empty; each entry as JSON text.
    pub data: Vec<String>,
    /// The component that failed, e.g. `PartnerFD`.
    pub source: Option<String>,
}

/// Every field either shape may have; which are present decides the shape.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawErrorBody {
    #[serde(default, deserialize_with = "code_text")]
    code: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    data: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(default)]
    message: Option<String>,
}

/// Reads `code` written as a JSON number or string.
fn code_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    struct CodeVisitor;
    impl<'de> Visitor<'de> for CodeVisitor {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an error code as a number or a string")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(CodeVisitor)
        }
    }
    deserializer.deserialize_any(CodeVisitor)
}

impl ErrorBody {
    /// Decodes an error body: an ApiFault when it has `code`, `description` or `data`, the
    /// gateway shape when it has `statusCode` or `message`, otherwise the raw text.
    pub fn parse(body: &[u8]) -> Self {
        let text = || String::from_utf8_lossy(body).trim().to_owned();
        let Ok(raw) = serde_json::from_slice::<RawErrorBody>(body) else {
            return Self::Text(text());
        };
        if raw.code.is_some() || raw.description.is_some() || raw.data.is_some() {
            Self::ApiFault(Box::new(ApiFault {
                code: raw.code,
                description: raw.description.unwrap_or_default(),
                data: raw
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    })
                    .collect(),
                source: raw.source,
            }))
        } else if raw.status_code.is_some() || raw.message.is_some() {
            Self::Gateway {
                status_code: raw.status_code,
                message: raw.message.unwrap_or_default(),
            }
        } else {
            Self::Text(text())
        }
    }

    /// The human-readable part: the fault's description, the gateway's message, or the text.
    pub fn description(&self) -> &str {
        match self {
            Self::ApiFault(fault) => &fault.description,
            Self::Gateway { message, .. } => message,
            Self::Text(text) => text,
        }
    }

    /// The ApiFault code, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::ApiFault(fault) => fault.code.as_deref(),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code(), self.description()) {
            (_, "") => f.write_str("no details given"),
            (Some(code), description) => write!(f, "{description} (code {code})"),
            (None, description) => f.write_str(description),
        }
    }
}

/// A failed Partner Center call. Every variant carries the `MS-RequestId` the call used
/// (the same on all its retries), for support and the budget audit log.
#[derive(Debug, thiserror::Error)]
pub enum PartnerCenterError {
    /// 401: the access token is missing, expired or revoked; the user must sign in again.
    #[error("Partner Center refused the access token (401): {fault} [request {request_id}]")]
    Unauthorized {
        /// What Partner Center said.
        fault: ErrorBody,
        /// The call's MS-RequestId.
        request_id: Uuid,
    },
    /// 403: the signed-in user or the partner lacks the right, or the customer relationship
    /// is gone.
    #[error("Partner Center refused the request (403): {fault} [request {request_id}]")]
    Forbidden {
        /// What Partner Center said (e.g. "No relationship between caller and account.").
        fault: ErrorBody,
        /// The call's MS-RequestId.
        request_id: Uuid,
    },
    /// 404: no such customer, subscription or route.
    #[error("Partner Center found no such resource (404): {fault} [request {request_id}]")]
    NotFound {
        /// What Partner Center said.
        fault: ErrorBody,
        /// The call's MS-RequestId.
        request_id: Uuid,
    },
    /// 400: Partner Center refused the input (e.g. an invalid budget amount).
    #[error("Partner Center refused the input (400): {fault} [request {request_id}]")]
    BadRequest {
        /// What Partner Center said.
        fault: ErrorBody,
        /// The call's MS-RequestId.
        request_id: Uuid,
    },
    /// Another status that is not retried (409, 417, other 4xx, 3xx).
    #[error("Partner Center answered {status}: {fault} [request {request_id}]")]
    Rejected {
        /// The HTTP status.
        status: StatusCode,
        /// What Partner Center said.
        fault: ErrorBody,
        /// The call's MS-RequestId.
        request_id: Uuid,
    },
    /// 429 still returned after the allowed retries.
    #[error("Partner Center is throttling requests (429): {fault} [request {request_id}]")]
    Throttled {
        /// The last `Retry-After` given.
        retry_after: Option<Duration>,
        /// What the gateway said.
        fault: ErrorBody,
        /// The call's MS-RequestId.
        request_id: Uuid,
    },
    /// Utilization data still not ready (204 with `Retry-After`) after the allowed retries.
    #[error("Partner Center's utilization data is not ready yet (204) [request {request_id}]")]
    NotReady {
        /// The last `Retry-After` given.
        retry_after: Option<Duration>,
        /// The call's MS-RequestId.
        request_id: Uuid,
    },
    /// A 5xx still returned after the allowed retries.
    #[error("Partner Center failed ({status}): {fault} [request {request_id}]")]
    Service {
        /// The HTTP status.
        status: StatusCode,
        /// What Partner Center said.
        fault: ErrorBody,
        /// The call's MS-RequestId.
        request_id: Uuid,
    },
    /// No usable response after the allowed retries: connection refused or dropped, timeout,
    /// truncated body.
    #[error("could not reach Partner Center [request {request_id}]")]
    Transport {
        /// The call's MS-RequestId.
        request_id: Uuid,
        /// The underlying HTTP error.
        #[source]
        source: reqwest::Error,
    },
    /// A 2xx response whose body is not the documented JSON (malformed or truncated).
    #[error("Partner Center's answer to {route} could not be read [request {request_id}]")]
    Decode {
        /// The documented route, e.g. `GET /v1/customers/usagerecords`.
        route: &'static str,
        /// The call's MS-RequestId.
        request_id: Uuid,
        /// What was wrong with the JSON.
        #[source]
        source: serde_json::Error,
    },
    /// A collection kept pointing at the page just read, so paging stopped.
    #[error("Partner Center's paging of {route} did not advance [request {request_id}]")]
    PagingStalled {
        /// The documented route.
        route: &'static str,
        /// The MS-RequestId of the repeated page's call.
        request_id: Uuid,
    },
    /// A link or route that is not a valid URL under the configured base URL.
    #[error("invalid Partner Center URL {uri:?} [request {request_id}]")]
    InvalidUrl {
        /// The offending URI.
        uri: String,
        /// The MS-RequestId of the page that held the link (nil for a route path, when no
        /// request was made).
        request_id: Uuid,
    },
}

/// What a failed write says about whether Partner Center applied it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFate {
    /// Certainly not applied: Partner Center refused it (4xx, including 401 and 429), or no
    /// request reached it.
    NotApplied,
    /// It may have been applied; only reading the resource back tells.
    Unknown {
        /// The request may still be in progress at Partner Center (no complete answer came:
        /// a timeout, a dropped connection, or a gateway's 502/503/504), so a read-back
        /// showing the old value is not final until the request can no longer land.
        may_still_land: bool,
    },
}

impl PartnerCenterError {
    /// What this failure of a write (a PATCH) says about its effect; see [`WriteFate`].
    pub fn write_fate(&self) -> WriteFate {
        match self {
            Self::Unauthorized { .. }
            | Self::Forbidden { .. }
            | Self::NotFound { .. }
            | Self::BadRequest { .. }
            | Self::Rejected { .. }
            | Self::Throttled { .. }
            | Self::InvalidUrl { .. } => WriteFate::NotApplied,
            Self::Transport { source, .. } if source.is_connect() || source.is_builder() => {
                WriteFate::NotApplied
            }
            Self::Transport { .. } => WriteFate::Unknown {
                may_still_land: true,
            },
            Self::Service { status, .. } => WriteFate::Unknown {
                may_still_land: matches!(
                    *status,
                    StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                ),
            },
            Self::Decode { .. } | Self::NotReady { .. } | Self::PagingStalled { .. } => {
                WriteFate::Unknown {
                    may_still_land: false,
                }
            }
        }
    }

    /// A short name of the kind of failure, for metrics labels.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::NotFound { .. } => "not_found",
            Self::BadRequest { .. } => "bad_request",
            Self::Rejected { .. } => "rejected",
            Self::Throttled { .. } => "throttled",
            Self::NotReady { .. } => "not_ready",
            Self::Service { .. } => "service_error",
            Self::Transport { .. } => "transport_error",
            Self::Decode { .. } => "unreadable",
            Self::PagingStalled { .. } => "paging_stalled",
            Self::InvalidUrl { .. } => "invalid_url",
        }
    }

    /// The `MS-RequestId` of the failed call.
    pub fn request_id(&self) -> Uuid {
        match self {
            Self::Unauthorized { request_id, .. }
            | Self::Forbidden { request_id, .. }
            | Self::NotFound { request_id, .. }
            | Self::BadRequest { request_id, .. }
            | Self::Rejected { request_id, .. }
            | Self::Throttled { request_id, .. }
            | Self::NotReady { request_id, .. }
            | Self::Service { request_id, .. }
            | Self::Transport { request_id, .. }
            | Self::Decode { request_id, .. }
            | Self::PagingStalled { request_id, .. }
            | Self::InvalidUrl { request_id, .. } => *request_id,
        }
    }

    /// True for a 401: the app should send the user back to sign-in.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Unauthorized { .. })
    }

    /// True for a 403.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Forbidden { .. })
    }

    /// True for a 404.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }

    /// The error body Partner Center sent, when it sent one.
    pub fn fault(&self) -> Option<&ErrorBody> {
        match self {
            Self::Unauthorized { fault, .. }
            | Self::Forbidden { fault, .. }
            | Self::NotFound { fault, .. }
            | Self::BadRequest { fault, .. }
            | Self::Rejected { fault, .. }
            | Self::Throttled { fault, .. }
            | Self::Service { fault, .. } => Some(fault),
            _ => None,
        }
    }

    /// One or two sentences for the person using Spendboard, including Partner Center's own
    /// reason where it gave one. Never contains tokens.
    pub fn user_message(&self) -> String {
        let reason = |fault: &ErrorBody| match fault.description().trim() {
            "" => String::new(),
            text => format!(" Partner Center said: \"{text}\""),
        };
        match self {
            Self::Unauthorized { .. } => {
                "Your Partner Center sign-in has expired or was revoked. Please sign in again."
                    .to_owned()
            }
            Self::Forbidden { fault, .. } => format!(
                "Partner Center did not allow this for your account.{}",
                reason(fault)
            ),
            Self::NotFound { fault, .. } => {
                format!("Partner Center does not know this item.{}", reason(fault))
            }
            Self::BadRequest { fault, .. } | Self::Rejected { fault, .. } => {
                format!("Partner Center refused the request.{}", reason(fault))
            }
            Self::Throttled { retry_after, .. } => match retry_after {
                Some(wait) => format!(
                    "Partner Center is receiving too many requests. Please try again in {} seconds.",
                    wait.as_secs().max(1)
                ),
                None => "Partner Center is receiving too many requests. Please try again shortly."
                    .to_owned(),
            },
            Self::NotReady { .. } => {
                "Partner Center is still preparing this usage data. Please try again later."
                    .to_owned()
            }
            Self::Service { .. } | Self::Transport { .. } => {
                "Partner Center is not answering properly right now. Please try again in a few minutes."
                    .to_owned()
            }
            Self::Decode { .. } | Self::PagingStalled { .. } | Self::InvalidUrl { .. } => {
                "Partner Center sent an answer Spendboard could not read. Please try again later."
                    .to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_fault_with_a_numeric_code_is_decoded() {
        let body = br#"{
    "code": 2000,
    "description": "Tenant Id must be a GUID.",
    "data": [],
    "source": "PartnerApiServiceControllers"
}"#;
        let ErrorBody::ApiFault(fault) = ErrorBody::parse(body) else {
            panic!("not an ApiFault");
        };
        assert_eq!(fault.code.as_deref(), Some("2000"));
        assert_eq!(fault.description, "Tenant Id must be a GUID.");
        assert_eq!(
            fault.source.as_deref(),
            Some("PartnerApiServiceControllers")
        );
        assert!(fault.data.is_empty());
    }

    #[test]
    fn an_api_fault_with_a_string_code_and_data_is_decoded() {
        let body = br#"{"code":"20002","description":"No relationship between caller and account.","data":["x",{"k":1}],"source":"PartnerFD"}"#;
        let parsed = ErrorBody::parse(body);
        assert_eq!(parsed.code(), Some("20002"));
        assert_eq!(
            parsed.to_string(),
            "No relationship between caller and account. (code 20002)"
        );
        let ErrorBody::ApiFault(fault) = parsed else {
            panic!("not an ApiFault");
        };
        assert_eq!(fault.data, vec!["x".to_owned(), r#"{"k":1}"#.to_owned()]);
    }

    #[test]
    fn the_gateway_shape_is_decoded() {
        let body = br#"{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 57 seconds." }"#;
        assert_eq!(
            ErrorBody::parse(body),
            ErrorBody::Gateway {
                status_code: Some(429),
                message: "Rate limit is exceeded. Try again in 57 seconds.".into()
            }
        );
    }

    #[test]
    fn anything_else_falls_back_to_the_text() {
        assert_eq!(
            ErrorBody::parse(b"<html>Bad Gateway</html>"),
            ErrorBody::Text("<html>Bad Gateway</html>".into())
        );
        assert_eq!(ErrorBody::parse(b""), ErrorBody::Text(String::new()));
        assert_eq!(
            ErrorBody::parse(br#"{"unrelated": true}"#),
            ErrorBody::Text(r#"{"unrelated": true}"#.into())
        );
        assert_eq!(ErrorBody::parse(b"").to_string(), "no details given");
    }

    #[test]
    fn user_messages_carry_partner_centers_reason() {
        let error = PartnerCenterError::Forbidden {
            fault: ErrorBody::parse(
                br#"{"code":1002,"description":"Authorization Failed","data":[],"source":"PartnerFD"}"#,
            ),
            request_id: Uuid::nil(),
        };
        assert_eq!(
            error.user_message(),
            "Partner Center did not allow this for your account. Partner Center said: \"Authorization Failed\""
        );
        assert!(!error.is_unauthorized());
        assert_eq!(error.request_id(), Uuid::nil());
    }
}
