//! Prometheus metrics, served at `/metrics` in the text format. Each instance keeps its own
//! registry (so several apps in one process, as in the tests, do not mix their counts).
//!
//! | metric | labels | what |
//! | --- | --- | --- |
//! | `spendboard_http_requests_total` | `method`, `route`, `status` | requests answered; `route` is the route pattern (`/customers/{customer_id}`), never the raw path |
//! | `spendboard_http_request_duration_seconds` | `method`, `route` | latency histogram |
//! | `spendboard_partner_center_calls_total` | `route`, `outcome` | Partner Center calls (after retries) by documented route and outcome (`ok`, `throttled`, `unauthorized`, `forbidden`, `not_found`, `service_error`, `transport_error`, `unreadable`, ...) |
//! | `spendboard_partner_center_call_duration_seconds` | `route` | latency histogram of those calls, retries included |
//! | `spendboard_partner_center_retries_total` | `route` | attempts repeated (5xx, 429, transport, unreadable answers) |
//! | `spendboard_partner_center_throttle_waits_total` | `route` | waits asked for by Partner Center (429 or 204 with `Retry-After`) |
//! | `spendboard_partner_center_throttle_wait_seconds_total` | `route` | time spent in those waits |
//! | `spendboard_refresh_runs_total` | `outcome` | partner-wide refreshes: `succeeded`, `failed`, `abandoned` (its instance died) |
//! | `spendboard_refresh_duration_seconds` | `outcome` | duration histogram of those refreshes |
//! | `spendboard_refresh_records_set_aside_total` | | usage records that could not be read and were set aside |
//! | `spendboard_budget_edits_total` | `outcome` | budget changes by recorded outcome (`applied`, `refused`, `conflict`, `not_applied`, `superseded`) |
//! | `spendboard_sessions` | | unexpired sessions in the database (all instances), read at scrape time |
//! | `spendboard_database_up` | | 1 when the database answered the scrape, else 0 |
//! | `spendboard_database_outages` | | outages this instance noticed |
//! | `spendboard_data_age_seconds` | | age of the oldest customer snapshot, read at scrape time |

use std::time::Duration;

use prometheus::{
    Encoder as _, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// Latency buckets in seconds, from 5 ms to 2 min.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

/// Refresh durations in seconds, from 1 s to 30 min.
const REFRESH_BUCKETS: &[f64] = &[1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0];

/// The metrics of one instance.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    pc_calls: IntCounterVec,
    pc_duration: HistogramVec,
    pc_retries: IntCounterVec,
    pc_throttle_waits: IntCounterVec,
    pc_throttle_seconds: prometheus::CounterVec,
    refresh_runs: IntCounterVec,
    refresh_duration: HistogramVec,
    refresh_set_aside: IntCounter,
    budget_edits: IntCounterVec,
    sessions: IntGauge,
    database_up: IntGauge,
    database_outages: IntGauge,
    data_age: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: &[f64],
) -> HistogramVec {
    let metric = HistogramVec::new(
        HistogramOpts::new(name, help).buckets(buckets.to_vec()),
        labels,
    )
    .expect("a valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let metric = IntGauge::new(name, help).expect("a valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let r = Registry::new();
        let refresh_set_aside = IntCounter::new(
            "spendboard_refresh_records_set_aside_total",
            "Usage records that could not be read and were set aside",
        )
        .expect("a valid metric");
        r.register(Box::new(refresh_set_aside.clone()))
            .expect("registered once");
        let pc_throttle_seconds = prometheus::CounterVec::new(
            Opts::new(
                "spendboard_partner_center_throttle_wait_seconds_total",
                "Seconds spent waiting as Partner Center asked (Retry-After)",
            ),
            &["route"],
        )
        .expect("a valid metric");
        r.register(Box::new(pc_throttle_seconds.clone()))
            .expect("registered once");
        Self {
            http_requests: counter(
                &r,
                "spendboard_http_requests_total",
                "HTTP requests answered, by route pattern and status",
                &["method", "route", "status"],
            ),
            http_duration: histogram(
                &r,
                "spendboard_http_request_duration_seconds",
                "HTTP request latency",
                &["method", "route"],
                LATENCY_BUCKETS,
            ),
            pc_calls: counter(
                &r,
                "spendboard_partner_center_calls_total",
                "Partner Center calls (after retries), by documented route and outcome",
                &["route", "outcome"],
            ),
            pc_duration: histogram(
                &r,
                "spendboard_partner_center_call_duration_seconds",
                "Partner Center call latency, retries included",
                &["route"],
                LATENCY_BUCKETS,
            ),
            pc_retries: counter(
                &r,
                "spendboard_partner_center_retries_total",
                "Partner Center attempts repeated",
                &["route"],
            ),
            pc_throttle_waits: counter(
                &r,
                "spendboard_partner_center_throttle_waits_total",
                "Waits asked for by Partner Center (429, or 204 with Retry-After)",
                &["route"],
            ),
            pc_throttle_seconds,
            refresh_runs: counter(
                &r,
                "spendboard_refresh_runs_total",
                "Partner-wide refreshes by outcome",
                &["outcome"],
            ),
            refresh_duration: histogram(
                &r,
                "spendboard_refresh_duration_seconds",
                "Partner-wide refresh duration",
                &["outcome"],
                REFRESH_BUCKETS,
            ),
            refresh_set_aside,
            budget_edits: counter(
                &r,
                "spendboard_budget_edits_total",
                "Budget changes by recorded outcome",
                &["outcome"],
            ),
            sessions: gauge(
                &r,
                "spendboard_sessions",
                "Unexpired sessions in the database (all instances)",
            ),
            database_up: gauge(
                &r,
                "spendboard_database_up",
                "1 when the database answered the last scrape",
            ),
            database_outages: gauge(
                &r,
                "spendboard_database_outages",
                "Database outages this instance noticed",
            ),
            data_age: gauge(
                &r,
                "spendboard_data_age_seconds",
                "Age of the oldest customer snapshot",
            ),
            registry: r,
        }
    }

    /// An HTTP request answered.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
    }

    /// A Partner Center call ended (after its retries).
    pub fn partner_center_call(&self, route: &str, outcome: &str, took: Duration) {
        self.pc_calls.with_label_values(&[route, outcome]).inc();
        self.pc_duration
            .with_label_values(&[route])
            .observe(took.as_secs_f64());
    }

    /// A Partner Center attempt is repeated; `throttled_for` when Partner Center asked for the
    /// wait.
    pub fn partner_center_retry(&self, route: &str, throttled_for: Option<Duration>) {
        self.pc_retries.with_label_values(&[route]).inc();
        if let Some(wait) = throttled_for {
            self.pc_throttle_waits.with_label_values(&[route]).inc();
            self.pc_throttle_seconds
                .with_label_values(&[route])
                .inc_by(wait.as_secs_f64());
        }
    }

    /// A partner-wide refresh ended: `succeeded`, `failed` or `abandoned`.
    pub fn refresh_run(&self, outcome: &str, took: Option<Duration>, set_aside: u64) {
        self.refresh_runs.with_label_values(&[outcome]).inc();
        if let Some(took) = took {
            self.refresh_duration
                .with_label_values(&[outcome])
                .observe(took.as_secs_f64());
        }
        self.refresh_set_aside.inc_by(set_aside);
    }

    /// A budget change's outcome was recorded.
    pub fn budget_edit(&self, outcome: &str) {
        self.budget_edits.with_label_values(&[outcome]).inc();
    }

    /// Sets the values read at scrape time and renders every metric in the text format.
    pub fn render(&self, scrape: &Scrape) -> String {
        self.database_up.set(i64::from(scrape.database_up));
        if let Some(sessions) = scrape.sessions {
            self.sessions
                .set(i64::try_from(sessions).unwrap_or(i64::MAX));
        }
        self.database_outages
            .set(i64::try_from(scrape.outages).unwrap_or(i64::MAX));
        if let Some(age) = scrape.data_age_seconds {
            self.data_age.set(age);
        }
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "encoding the metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// What is read at scrape time.
#[derive(Debug, Default)]
pub struct Scrape {
    pub database_up: bool,
    pub sessions: Option<u64>,
    pub outages: u64,
    pub data_age_seconds: Option<i64>,
}
