//! The maintenance state: its domain types, the database store and its audit log, and the live
//! in-memory snapshot; and the [`Follower`] that keeps it, and the other shared tables' copies in
//! memory, in step with the database.
//!
//! This module knows nothing of HTTP, pages or the API: the gate reads [`Live`]; every writer
//! (the API, the CLI, the environment, code using the library) goes through [`StateService`],
//! which validates, stores, audits and publishes each change.
//!
//! ## What on and off mean
//!
//! Every entry point (the API, the admin page, the CLI, `MAINTENANCE_MODE`, automatic
//! maintenance, code using the library) changes the window through the same four
//! [`StateService`] methods, so each word means one thing:
//!
//! - **off** ([`StateService::switch_off`]) ends the window: its start and end, message, mode
//!   and scope go; the standing settings (allowed addresses, open paths, status code,
//!   `Retry-After`) stay for the next window;
//! - **on** ([`StateService::switch_on`]) starts a window now from what is stored, with what the
//!   writer gives replacing it; given no times, a window already planned or running keeps its
//!   end while that is ahead;
//! - a **patch** ([`StateService::patch`]) changes only what it names, and one that flips
//!   `enabled` is a switch on or off;
//! - a **replacement** ([`StateService::replace`], [`StateService::apply`]: the API's PUT, the
//!   admin page's form) stores exactly what was sent.
//!
//! [`WindowInput::over`] is the one reading of a writer's input into a [`Window`]: it reports
//! every bad field at once.

mod follow;
mod input;
mod live;
mod reader;
mod service;
mod store;
pub mod timeline;
mod watch;
mod window;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use follow::{Follower, Reload, Wakeups};
pub use input::WindowInput;
pub use live::{Live, Snapshot};
pub use reader::Reader;
pub use service::{Change, StateService, redact};
use store::Store;
pub use store::{AuditEntry, Connections, StoreError, WriteError};
pub use watch::{SyncStats, Table};
pub use window::{
    DEFAULT_HOLD_TIMEOUT_SECS, DEFAULT_RETRY_AFTER_SECS, DEFAULT_STATUS_CODE, GATE_STATUS_ERRORS,
    GATE_STATUS_OK, HORIZON_DAYS, Invalid, InvalidWindow, MAX_HOLD_TIMEOUT_SECS, MAX_LIST_ENTRIES,
    MAX_MESSAGE_CHARS, MAX_PATH_CHARS, MAX_RETRY_AFTER_SECS, MIN_HOLD_TIMEOUT_SECS,
    MIN_RETRY_AFTER_SECS, Mode, OPEN_PATH_PATTERN, Window, is_gate_status, is_open_path,
    parse_network, parse_open_path,
};

/// How many audit entries a history shows when nobody says (the API, the CLI and the admin
/// page alike).
pub const DEFAULT_HISTORY: u64 = 20;

/// Where a window stands at a given moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Switched off.
    Off,
    /// Switched on, waiting for its start time.
    Scheduled,
    /// Gating visitors now.
    Active,
    /// Switched on, but its end time has passed.
    Ended,
}

/// The whole state as stored: the window plus the bookkeeping of the last change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceState {
    /// What the last writer set.
    #[serde(flatten)]
    pub window: Window,
    /// Grows by one with every change; the ETag of the state.
    pub version: i64,
    /// Who made the last change.
    pub updated_by: String,
    /// When the last change was made.
    pub updated_at: DateTime<Utc>,
}

impl MaintenanceState {
    /// The state of a database nobody has written to yet.
    pub fn initial() -> Self {
        MaintenanceState {
            window: Window::off(),
            version: 1,
            updated_by: "migration".into(),
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    /// Where the window stands at `now`: scheduled windows switch themselves on and off.
    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        let window = &self.window;
        if !window.enabled {
            Phase::Off
        } else if window.starts_at.is_some_and(|start| now < start) {
            Phase::Scheduled
        } else if window.ends_at.is_some_and(|end| now >= end) {
            Phase::Ended
        } else {
            Phase::Active
        }
    }

    /// Whether visitors are gated at `now`.
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.phase(now) == Phase::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::minutes(minutes)
    }

    fn state(enabled: bool, starts: Option<i64>, ends: Option<i64>) -> MaintenanceState {
        MaintenanceState {
            window: Window {
                enabled,
                starts_at: starts.map(at),
                ends_at: ends.map(at),
                ..Window::off()
            },
            ..MaintenanceState::initial()
        }
    }

    #[test]
    fn phase_follows_the_switch_and_the_window() {
        let cases = [
            (state(false, None, None), 10, Phase::Off),
            (state(false, Some(0), Some(20)), 10, Phase::Off),
            (state(true, None, None), 10, Phase::Active),
            (state(true, Some(20), None), 10, Phase::Scheduled),
            (state(true, Some(10), None), 10, Phase::Active),
            (state(true, None, Some(10)), 10, Phase::Ended),
            (state(true, None, Some(11)), 10, Phase::Active),
            (state(true, Some(0), Some(20)), 25, Phase::Ended),
        ];
        for (state, now, expected) in cases {
            assert_eq!(state.phase(at(now)), expected, "{state:?} at {now}");
        }
    }

    #[test]
    fn the_stored_json_keeps_the_window_fields_at_the_top_level() {
        let json = serde_json::to_value(MaintenanceState::initial()).expect("json");
        assert_eq!(json["enabled"], false);
        assert_eq!(json["retry_after_secs"], DEFAULT_RETRY_AFTER_SECS);
        assert_eq!(json["version"], 1);
        let back: MaintenanceState = serde_json::from_value(json).expect("parse");
        assert_eq!(back, MaintenanceState::initial());
    }
}
