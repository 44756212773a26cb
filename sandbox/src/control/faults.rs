//! Injected faults: rules matched by route key (`"GET /v1/customers/usagerecords"`, the method
//! and the route template) that replace or delay the real answer.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum FaultKind {
    /// Answer with this status. `body` chooses `"apiFault"` or `"gateway"`; by default 500 and
    /// 503 alternate between the two (gateway first), other statuses use the ApiFault body.
    /// With `afterApplying` the real route runs first (a write takes effect), and its answer is
    /// replaced by the error.
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<FaultBody>,
        #[serde(default)]
        after_applying: bool,
    },
    /// Wait `ms` milliseconds, then give the real answer.
    Delay { ms: u64 },
    /// 200 with a body that is not valid JSON.
    Malformed,
    /// 200 with the real JSON body cut short.
    Truncated,
    /// Close the connection without a response; with `afterApplying`, after the real route
    /// ran (a write takes effect, its answer is lost).
    Drop {
        #[serde(default)]
        after_applying: bool,
    },
    /// The real answer with every JSON number written in exponent form (`100` as `1E+2`), as
    /// .NET serialisers may write decimals.
    Exponent,
    /// 204 with `Retry-After` (default 1 second), as the utilization route does.
    NotReady {
        #[serde(default = "default_retry_after")]
        retry_after_seconds: u64,
    },
}

fn default_retry_after() -> u64 {
    1
}

/// Which error body a `status` fault uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FaultBody {
    ApiFault,
    Gateway,
}

/// A fault as posted to `POST /_sandbox/faults`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRequest {
    /// Route key: method and template, e.g. `GET /v1/customers/{id}/usagebudget`; `*` matches
    /// every Partner Center route.
    pub route: String,
    /// How many requests it hits; absent = every request until cleared.
    pub times: Option<u32>,
    #[serde(flatten)]
    pub kind: FaultKind,
}

/// An active fault rule, as listed by `GET /_sandbox/faults`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub id: u64,
    pub route: String,
    /// Hits left; `None` = unlimited.
    pub remaining: Option<u32>,
    /// Requests hit so far.
    pub hits: u32,
    #[serde(flatten)]
    pub kind: FaultKind,
}

/// A fault to apply to one request.
#[derive(Debug, Clone)]
pub struct FaultHit {
    pub kind: FaultKind,
    /// 1 for the rule's first hit, 2 for the second...
    pub hit: u32,
}

/// The active fault rules.
#[derive(Debug, Default)]
pub struct FaultBoard {
    inner: Mutex<Board>,
}

#[derive(Debug, Default)]
struct Board {
    next_id: u64,
    rules: Vec<FaultRule>,
}

impl FaultBoard {
    /// Adds a rule and returns it.
    pub fn add(&self, request: FaultRequest) -> FaultRule {
        let mut board = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        board.next_id += 1;
        let rule = FaultRule {
            id: board.next_id,
            route: request
                .route
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            remaining: request.times,
            hits: 0,
            kind: request.kind,
        };
        board.rules.push(rule.clone());
        rule
    }

    /// The active rules.
    pub fn list(&self) -> Vec<FaultRule> {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rules
            .clone()
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.inner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rules
            .clear();
    }

    /// The fault for a request with this route key, if any rule matches (using up one hit).
    pub fn take(&self, route_key: &str) -> Option<FaultHit> {
        let key = normalise_route(route_key);
        let mut board = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let position = board.rules.iter().position(|rule| {
            rule.remaining != Some(0) && (rule.route == "*" || normalise_route(&rule.route) == key)
        })?;
        let rule = &mut board.rules[position];
        rule.hits += 1;
        let hit = FaultHit {
            kind: rule.kind.clone(),
            hit: rule.hits,
        };
        if let Some(remaining) = rule.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                board.rules.remove(position);
            }
        }
        Some(hit)
    }
}

/// Route keys compare case-insensitively and with single spaces.
fn normalise_route(route: &str) -> String {
    route
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
