//! The sandbox's clock: real time shifted by an offset that tests and the control API set or
//! advance, so that days pass and billing periods roll over on demand.

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A clock that runs at real speed from a settable point in time.
#[derive(Debug)]
pub struct SandboxClock {
    /// The offset the clock starts with (restored by a reset).
    initial_offset: Duration,
    offset: Mutex<Duration>,
}

impl SandboxClock {
    /// A clock that reads `start` now (or real time when `None`) and then runs on.
    pub fn starting_at(start: Option<DateTime<Utc>>) -> Self {
        let offset = start.map(|s| s - Utc::now()).unwrap_or_else(Duration::zero);
        Self {
            initial_offset: offset,
            offset: Mutex::new(offset),
        }
    }

    fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The sandbox's current time (UTC).
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }

    /// The sandbox's current date (UTC).
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Sets the current time.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) = now - Utc::now();
    }

    /// Moves the clock forward (or back, when negative) by `by`.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }

    /// Puts the clock back to the offset it started with.
    pub fn reset(&self) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) = self.initial_offset;
    }
}
