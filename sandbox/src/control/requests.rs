//! The request log: counts per route key and the most recent requests, read by tests through
//! `GET /_sandbox/requests` (e.g. to check that a retry reused its `MS-RequestId`).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde::Serialize;

/// How many recent requests are kept.
const RECENT: usize = 1000;

/// One logged request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    /// Route key, e.g. `GET /v1/customers/{id}/usagebudget`.
    pub route: String,
    /// Response status; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// The injected fault kind, if any (`status`, `delay`, `drop`...).
    pub fault: Option<&'static str>,
    /// `MS-RequestId` as sent by the client, or as generated when it sent none.
    pub request_id: String,
    pub correlation_id: String,
    /// True when the client sent the `MS-RequestId` header itself.
    pub request_id_sent: bool,
    /// Sandbox time of the request (RFC 3339).
    pub at: String,
}

/// What `GET /_sandbox/requests` answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestReport {
    pub total: u64,
    pub counts: BTreeMap<String, u64>,
    /// Oldest first.
    pub recent: Vec<LoggedRequest>,
}

/// The log.
#[derive(Debug, Default)]
pub struct RequestLog {
    inner: Mutex<Log>,
}

#[derive(Debug, Default)]
struct Log {
    total: u64,
    counts: BTreeMap<String, u64>,
    recent: VecDeque<LoggedRequest>,
}

impl RequestLog {
    /// Records one request.
    pub fn record(&self, request: LoggedRequest) {
        let mut log = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        log.total += 1;
        *log.counts.entry(request.route.clone()).or_default() += 1;
        if log.recent.len() == RECENT {
            log.recent.pop_front();
        }
        log.recent.push_back(request);
    }

    /// Counts and recent requests.
    pub fn report(&self) -> RequestReport {
        let log = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        RequestReport {
            total: log.total,
            counts: log.counts.clone(),
            recent: log.recent.iter().cloned().collect(),
        }
    }

    /// Forgets everything.
    pub fn clear(&self) {
        *self.inner.lock().unwrap_or_else(|e| e.into_inner()) = Log::default();
    }
}
