//! What the gate counts, for `/metrics`: plain atomic counters, bumped on the request path
//! without a lock, an allocation or a lookup, and read when they are scraped.

use std::sync::atomic::{AtomicU64, Ordering};

use strum::EnumCount as _;

use super::decision::{Gated, Pass, Reason};

/// The gate's counters: requests let through during maintenance, by reason, and gated
/// requests, by answer and reason. Shared by every clone of a [`super::Gate`].
///
/// Requests that pass because maintenance is not active are not counted: that is the site's
/// ordinary traffic, which its own metrics already see, and it keeps the common path as it was.
#[derive(Debug, Default)]
pub struct GateStats {
    passed: [AtomicU64; Pass::COUNT],
    gated: [[AtomicU64; Reason::COUNT]; Gated::COUNT],
}

impl GateStats {
    /// Requests let through for `reason` so far (always 0 for [`Pass::Inactive`]).
    pub fn passed(&self, reason: Pass) -> u64 {
        self.passed[reason as usize].load(Ordering::Relaxed)
    }

    /// Requests gated with `answer` for `reason` so far.
    pub fn gated(&self, answer: Gated, reason: Reason) -> u64 {
        self.gated[answer as usize][reason as usize].load(Ordering::Relaxed)
    }

    // Relaxed: each counter is read on its own, and no other memory hangs on its value.
    pub(super) fn count_pass(&self, reason: Pass) {
        self.passed[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_gated(&self, answer: Gated, reason: Reason) {
        self.gated[answer as usize][reason as usize].fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_counter_counts_alone() {
        let stats = GateStats::default();
        stats.count_pass(Pass::Superuser);
        stats.count_pass(Pass::Superuser);
        stats.count_gated(Gated::Json, Reason::ReadOnlyWrite);
        assert_eq!(stats.passed(Pass::Superuser), 2);
        assert_eq!(stats.passed(Pass::Bypass), 0);
        assert_eq!(stats.gated(Gated::Json, Reason::ReadOnlyWrite), 1);
        assert_eq!(stats.gated(Gated::Page, Reason::ReadOnlyWrite), 0);
        assert_eq!(stats.gated(Gated::Json, Reason::Maintenance), 0);
    }
}
