//! Database outages, as operators see them: logged once when the first request finds the
//! database unreachable, and once when it answers again (with how long it was away and how
//! many requests got the "database unreachable" page), never once per request.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::store::Store;

/// How often, during an outage, the database is asked whether it is back.
const PROBE_EVERY: Duration = Duration::from_secs(1);

/// The outage state of one instance.
#[derive(Debug, Default)]
pub struct DatabaseOutage {
    since: Mutex<Option<Instant>>,
    /// Requests answered "unreachable" in the current outage.
    requests: AtomicU64,
    /// Outages seen since start (for tests and metrics).
    outages: AtomicU64,
}

impl DatabaseOutage {
    /// True while an outage is under way.
    pub fn is_ongoing(&self) -> bool {
        self.since.lock().map(|s| s.is_some()).unwrap_or(false)
    }

    /// How many outages began since this instance started.
    pub fn count(&self) -> u64 {
        self.outages.load(Ordering::Relaxed)
    }

    /// A request found the database unreachable (`error` says how). The first of an outage
    /// logs it and starts probing `store` until it answers again; the others only count.
    pub fn note(self: &Arc<Self>, store: &Store, error: &dyn std::fmt::Display) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        {
            let Ok(mut since) = self.since.lock() else {
                return;
            };
            if since.is_some() {
                return;
            }
            *since = Some(Instant::now());
        }
        self.outages.fetch_add(1, Ordering::Relaxed);
        tracing::error!(
            error = %error,
            "the database is unreachable: requests get the \"database unreachable\" page (503) until it answers again (logged once per outage)"
        );
        let outage = Arc::clone(self);
        let store = store.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                loop {
                    tokio::time::sleep(PROBE_EVERY).await;
                    if store.ping().await.is_ok() {
                        outage.end();
                        return;
                    }
                }
            });
        }
    }

    fn end(&self) {
        let began = self.since.lock().ok().and_then(|mut s| s.take());
        let requests = self.requests.swap(0, Ordering::Relaxed);
        if let Some(began) = began {
            tracing::warn!(
                lasted_seconds = began.elapsed().as_secs_f64(),
                requests_refused = requests,
                "the database answers again: the outage is over"
            );
        }
    }
}
