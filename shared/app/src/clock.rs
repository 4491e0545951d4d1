//! The one clock: what "now" is for due dates, reminders, portal links and sessions, and the
//! history's times. In AWS it is the system clock; `local-server` can move it forward (a
//! development tool, loopback only) so that a reminder story can be tried in minutes, and each
//! test world has its own. Presigned S3 requests keep the system clock: S3 checks them against
//! real time.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

/// The system clock, plus an offset that only ever grows.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead_seconds: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.ahead_seconds.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by` (negative: no change); returns the new now.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let seconds = by.num_seconds().max(0);
        self.ahead_seconds.fetch_add(seconds, Ordering::Relaxed);
        self.now()
    }

    /// How far ahead of the system clock it is.
    pub fn ahead(&self) -> Duration {
        Duration::seconds(self.ahead_seconds.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_only_moves_forward_and_its_copies_share_it() {
        let clock = Clock::default();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(Duration::days(3));
        assert!(copy.now() - before >= Duration::days(3));
        clock.advance(Duration::days(-10));
        assert_eq!(copy.ahead(), Duration::days(3));
    }
}
