//! Background work done again and again at a fixed period, each kind in a task of its own.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};

/// When the first round of [`spawn_every`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstRound {
    /// At once.
    Now,
    /// One period after the start (the work was just done, or need not be done at start).
    AfterOnePeriod,
}

/// Spawns a task that runs `round(context)` every `every` until the process ends.
/// A round that takes longer than the period delays the next one; missed rounds are not
/// made up in a burst. A round deals with its own failures (logs them): the next one tries
/// again.
pub fn spawn_every<C, F, Fut>(every: Duration, first: FirstRound, context: C, round: F)
where
    C: Send + Sync + 'static,
    F: Fn(Arc<C>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let context = Arc::new(context);
    tokio::spawn(async move {
        let start = match first {
            FirstRound::Now => Instant::now(),
            FirstRound::AfterOnePeriod => Instant::now() + every,
        };
        let mut ticks = tokio::time::interval_at(start, every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            round(Arc::clone(&context)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const PERIOD: Duration = Duration::from_millis(400);

    fn counted(first: FirstRound) -> Arc<AtomicUsize> {
        let count = Arc::new(AtomicUsize::new(0));
        spawn_every(PERIOD, first, count.clone(), |count| async move {
            count.fetch_add(1, Ordering::SeqCst);
        });
        count
    }

    /// Waits (10 s at most) until `count` reaches `n`.
    async fn reaches(count: &AtomicUsize, n: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while count.load(Ordering::SeqCst) < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        count.load(Ordering::SeqCst) >= n
    }

    #[tokio::test]
    async fn rounds_start_at_once_and_repeat_every_period() {
        let started = Instant::now();
        let count = counted(FirstRound::Now);
        assert!(reaches(&count, 1).await);
        assert!(reaches(&count, 3).await);
        assert!(
            started.elapsed() >= PERIOD * 2,
            "the rounds kept their period"
        );
    }

    #[tokio::test]
    async fn a_first_round_after_one_period_waits_for_it() {
        let started = Instant::now();
        let count = counted(FirstRound::AfterOnePeriod);
        assert!(reaches(&count, 1).await);
        assert!(started.elapsed() >= PERIOD, "not before one period");
    }
}
