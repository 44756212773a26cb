//! Throttling of the Partner Center routes with a GCRA rate limiter (governor): `limit`
//! requests per window, keyed per partner or per partner+customer.

use std::num::NonZeroU32;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::options::Throttle;

/// The current throttle and its limiter.
pub struct ThrottleGate {
    current: RwLock<Option<(Throttle, Arc<DefaultKeyedRateLimiter<String>>)>>,
}

impl std::fmt::Debug for ThrottleGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThrottleGate")
            .field("throttle", &self.get())
            .finish()
    }
}

impl ThrottleGate {
    /// A gate with the given throttle (`None` = off).
    pub fn new(throttle: Option<Throttle>) -> Self {
        let gate = Self {
            current: RwLock::new(None),
        };
        gate.set(throttle);
        gate
    }

    /// Replaces the throttle; counts start afresh.
    pub fn set(&self, throttle: Option<Throttle>) {
        let limiter = throttle.and_then(|t| {
            let limit = NonZeroU32::new(t.limit)?;
            let period = Duration::from_secs(t.window_seconds.max(1)) / t.limit;
            let quota = Quota::with_period(period)?.allow_burst(limit);
            Some((t, Arc::new(RateLimiter::keyed(quota))))
        });
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = limiter;
    }

    /// The current throttle.
    pub fn get(&self) -> Option<Throttle> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|(t, _)| *t)
    }

    /// Counts one request of `partner` (about `customer`, if the route names one). `Err` holds
    /// the seconds to wait (the `Retry-After`).
    pub fn check(&self, partner: &str, customer: Option<&str>) -> Result<(), u64> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        let Some((throttle, limiter)) = current.as_ref() else {
            return Ok(());
        };
        let key = match (throttle.scope, customer) {
            (crate::options::ThrottleScope::Customer, Some(customer)) => {
                format!("{partner}/{customer}")
            }
            _ => partner.to_string(),
        };
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}
