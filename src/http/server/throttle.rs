//! A warning for a burst of failures: the first at once, then at most one per interval, each
//! carrying how many happened since the one before.

use std::time::Duration;

use tokio::time::Instant;

/// Counts events and says when to report them. Out of file descriptors, `accept` fails as fast
/// as the loop retries it; a line each would flood the log and bury what caused it.
#[derive(Debug)]
pub(super) struct Throttle {
    every: Duration,
    last: Option<Instant>,
    unreported: u64,
}

impl Throttle {
    pub(super) const fn new(every: Duration) -> Self {
        Throttle {
            every,
            last: None,
            unreported: 0,
        }
    }

    /// Records one event at `now`; the count to report, when a report is due.
    pub(super) fn event(&mut self, now: Instant) -> Option<u64> {
        self.unreported += 1;
        self.due(now)
    }

    /// Whether events are waiting for a report; cheap, for the path where nothing failed.
    pub(super) const fn pending(&self) -> bool {
        self.unreported > 0
    }

    /// The count of events not yet reported, when the interval since the last report is over.
    pub(super) fn due(&mut self, now: Instant) -> Option<u64> {
        if self.unreported == 0 {
            return None;
        }
        if self
            .last
            .is_some_and(|last| now.saturating_duration_since(last) < self.every)
        {
            return None;
        }
        self.last = Some(now);
        Some(std::mem::take(&mut self.unreported))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_event_is_reported_then_one_count_per_interval() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let mut throttle = Throttle::new(Duration::from_secs(5));
        assert_eq!(throttle.event(at(0)), Some(1));
        for ms in (50..5_000).step_by(50) {
            assert_eq!(throttle.event(at(ms)), None, "at {ms} ms");
        }
        assert!(throttle.pending());
        assert_eq!(throttle.event(at(5_000)), Some(100));
        assert!(!throttle.pending());
        assert_eq!(throttle.event(at(5_001)), None);
    }

    #[test]
    fn a_quiet_spell_reports_what_is_left_and_then_the_next_at_once() {
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        let mut throttle = Throttle::new(Duration::from_secs(5));
        assert_eq!(throttle.due(at(0)), None, "nothing happened");
        assert_eq!(throttle.event(at(0)), Some(1));
        assert_eq!(throttle.event(at(1)), None);
        assert_eq!(throttle.due(at(2)), None, "the interval is not over");
        assert_eq!(throttle.due(at(6)), Some(1));
        assert_eq!(throttle.due(at(60)), None);
        assert_eq!(throttle.event(at(60)), Some(1));
    }
}
