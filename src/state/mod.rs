//! The maintenance state: its domain types, the database store, and the live in-memory snapshot.
//!
//! This module knows nothing of HTTP, pages or the API: the gate reads [`Live`], writers go
//! through [`StateService`], which stores, audits and publishes each change.

mod live;
mod store;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

pub use live::{Live, spawn_poller};
pub use store::{AuditEntry, Store, StoreError};

/// The longest operator message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;
/// The longest `Retry-After` a window may announce: one week.
pub const MAX_RETRY_AFTER_SECS: u32 = 7 * 24 * 3600;
/// `Retry-After` when nothing else is said: five minutes.
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 300;

/// How much of the site a maintenance window closes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Everything behind the gate is closed to visitors.
    #[default]
    Full,
    /// Visitors may read (GET, HEAD, OPTIONS); writes are refused.
    ReadOnly,
}

impl Mode {
    /// The stored and displayed name: `full` or `read_only`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::ReadOnly => "read_only",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(Mode::Full),
            "read_only" | "read-only" => Ok(Mode::ReadOnly),
            other => Err(format!(
                "unknown mode {other:?} (expected full or read_only)"
            )),
        }
    }
}

/// What a writer sets: every field of the state that is not bookkeeping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Maintenance is switched on (it may still wait for `starts_at`).
    pub enabled: bool,
    /// Full or read-only.
    pub mode: Mode,
    /// The operator's message for visitors, shown as text.
    pub message: Option<String>,
    /// When a scheduled window begins; `None` means at once.
    pub starts_at: Option<DateTime<Utc>>,
    /// When the window ends by itself; `None` means until switched off.
    pub ends_at: Option<DateTime<Utc>>,
    /// `Retry-After` in seconds, used while no end time is known.
    pub retry_after_secs: u32,
    /// Client addresses let through during the window (testers, the office).
    #[serde(default)]
    pub allowed_ips: Vec<IpNet>,
    /// Extra path prefixes kept open during the window.
    #[serde(default)]
    pub open_paths: Vec<String>,
}

/// Why a [`Settings`] value cannot be stored.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSettings {
    /// The message is longer than [`MAX_MESSAGE_CHARS`].
    #[error("the message is {0} characters long; the limit is {MAX_MESSAGE_CHARS}")]
    MessageTooLong(usize),
    /// The window ends before (or when) it starts.
    #[error("the end time must be after the start time")]
    EndsBeforeStart,
    /// `Retry-After` is zero or longer than [`MAX_RETRY_AFTER_SECS`].
    #[error("retry-after must be between 1 and {MAX_RETRY_AFTER_SECS} seconds")]
    RetryAfterOutOfRange,
    /// A list is longer than [`MAX_LIST_ENTRIES`].
    #[error("{0} has more than {MAX_LIST_ENTRIES} entries")]
    TooManyEntries(&'static str),
    /// An open path is not a path prefix such as `/status`.
    #[error(
        "open path {0:?} is not a path prefix such as /status (at most 200 characters, no ?, # or \\)"
    )]
    BadOpenPath(String),
}

/// The most entries `allowed_ips` and `open_paths` may each hold.
pub const MAX_LIST_ENTRIES: usize = 100;

impl Settings {
    /// Maintenance off, nothing scheduled.
    pub fn off() -> Self {
        Settings {
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
            ..Settings::default()
        }
    }

    /// Checks the rules every stored state obeys, whoever writes it.
    ///
    /// # Errors
    /// The first rule broken, as an [`InvalidSettings`].
    pub fn validate(&self) -> Result<(), InvalidSettings> {
        if let Some(message) = &self.message {
            let chars = message.chars().count();
            if chars > MAX_MESSAGE_CHARS {
                return Err(InvalidSettings::MessageTooLong(chars));
            }
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at)
            && end <= start
        {
            return Err(InvalidSettings::EndsBeforeStart);
        }
        if !(1..=MAX_RETRY_AFTER_SECS).contains(&self.retry_after_secs) {
            return Err(InvalidSettings::RetryAfterOutOfRange);
        }
        if self.allowed_ips.len() > MAX_LIST_ENTRIES {
            return Err(InvalidSettings::TooManyEntries("allowed_ips"));
        }
        if self.open_paths.len() > MAX_LIST_ENTRIES {
            return Err(InvalidSettings::TooManyEntries("open_paths"));
        }
        if let Some(bad) = self.open_paths.iter().find(|p| !is_open_path(p)) {
            return Err(InvalidSettings::BadOpenPath(bad.clone()));
        }
        Ok(())
    }
}

/// A path prefix fit to keep open: `/x…`, at most 200 characters, no query, fragment, backslash
/// or whitespace.
pub fn is_open_path(path: &str) -> bool {
    path.starts_with('/')
        && path.len() > 1
        && path.len() <= 200
        && !path.contains(['?', '#', '\\'])
        && !path.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// `path` as an open path prefix, without a trailing slash.
///
/// # Errors
/// It is not one (see [`is_open_path`]).
pub fn parse_open_path(path: &str) -> Result<String, String> {
    let path = path.trim_end_matches('/');
    if is_open_path(path) {
        Ok(path.to_owned())
    } else {
        Err(format!(
            "{path:?} is not a path prefix such as /status (no ?, #, \\ or spaces)"
        ))
    }
}

/// A CIDR network (`203.0.113.0/24`); a bare address means just that host.
///
/// # Errors
/// Neither an address nor a network.
pub fn parse_network(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| {
            format!("{value:?} is not an address or a CIDR network such as 203.0.113.0/24")
        })
}

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

/// The whole state as stored: the settings plus the bookkeeping of the last change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceState {
    /// Maintenance is switched on (it may still wait for `starts_at`).
    pub enabled: bool,
    /// Full or read-only.
    pub mode: Mode,
    /// The operator's message for visitors, shown as text.
    pub message: Option<String>,
    /// When a scheduled window begins; `None` means at once.
    pub starts_at: Option<DateTime<Utc>>,
    /// When the window ends by itself; `None` means until switched off.
    pub ends_at: Option<DateTime<Utc>>,
    /// `Retry-After` in seconds, used while no end time is known.
    pub retry_after_secs: u32,
    /// Client addresses let through during the window.
    #[serde(default)]
    pub allowed_ips: Vec<IpNet>,
    /// Extra path prefixes kept open during the window.
    #[serde(default)]
    pub open_paths: Vec<String>,
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
        MaintenanceState::from_settings(
            Settings::off(),
            1,
            "migration".into(),
            DateTime::UNIX_EPOCH,
        )
    }

    fn from_settings(
        s: Settings,
        version: i64,
        updated_by: String,
        updated_at: DateTime<Utc>,
    ) -> Self {
        MaintenanceState {
            enabled: s.enabled,
            mode: s.mode,
            message: s.message,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            retry_after_secs: s.retry_after_secs,
            allowed_ips: s.allowed_ips,
            open_paths: s.open_paths,
            version,
            updated_by,
            updated_at,
        }
    }

    /// The writable part of the state.
    pub fn settings(&self) -> Settings {
        Settings {
            enabled: self.enabled,
            mode: self.mode,
            message: self.message.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            retry_after_secs: self.retry_after_secs,
            allowed_ips: self.allowed_ips.clone(),
            open_paths: self.open_paths.clone(),
        }
    }

    /// Where the window stands at `now`: scheduled windows switch themselves on and off.
    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        if !self.enabled {
            Phase::Off
        } else if self.starts_at.is_some_and(|start| now < start) {
            Phase::Scheduled
        } else if self.ends_at.is_some_and(|end| now >= end) {
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

/// Who asks for a change, and why; recorded in the audit log.
#[derive(Clone, Debug)]
pub struct Change {
    /// `cli:<user>`, `environment`, a login subject…
    pub actor: String,
    /// Free text from the operator.
    pub reason: Option<String>,
    /// Refuse the change unless the stored version is this one (an `If-Match`).
    pub expected_version: Option<i64>,
}

impl Change {
    /// A change by `actor` with no reason and no version precondition.
    pub fn by(actor: impl Into<String>) -> Self {
        Change {
            actor: actor.into(),
            reason: None,
            expected_version: None,
        }
    }

    /// Adds the operator's reason.
    #[must_use]
    pub fn because(mut self, reason: Option<String>) -> Self {
        self.reason = reason;
        self
    }
}

/// The one way to change the state inside a server: store and audit, then publish to [`Live`].
#[derive(Clone)]
pub struct StateService {
    store: Store,
    live: Live,
}

impl StateService {
    /// Wraps a store and the live snapshot it feeds.
    pub fn new(store: Store, live: Live) -> Self {
        StateService { store, live }
    }

    /// The live snapshot (what the gate reads).
    pub fn live(&self) -> &Live {
        &self.live
    }

    /// The database store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Stores `settings` with an audit row, then makes it the live state.
    ///
    /// # Errors
    /// Whatever [`Store::apply`] refuses.
    pub async fn apply(
        &self,
        settings: Settings,
        change: Change,
    ) -> Result<MaintenanceState, StoreError> {
        let state = self.store.apply(settings, &change).await?;
        self.live.publish(state.clone());
        Ok(state)
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
            enabled,
            starts_at: starts.map(at),
            ends_at: ends.map(at),
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
    fn validate_refuses_long_messages_inverted_windows_and_bad_retry_after() {
        let ok = Settings::off();
        assert_eq!(ok.validate(), Ok(()));

        let long = Settings {
            message: Some("é".repeat(MAX_MESSAGE_CHARS + 1)),
            ..Settings::off()
        };
        assert_eq!(
            long.validate(),
            Err(InvalidSettings::MessageTooLong(MAX_MESSAGE_CHARS + 1))
        );

        let exactly = Settings {
            message: Some("é".repeat(MAX_MESSAGE_CHARS)),
            ..Settings::off()
        };
        assert_eq!(exactly.validate(), Ok(()));

        let inverted = Settings {
            starts_at: Some(at(10)),
            ends_at: Some(at(10)),
            ..Settings::off()
        };
        assert_eq!(inverted.validate(), Err(InvalidSettings::EndsBeforeStart));

        let bad_path = Settings {
            open_paths: vec!["/ok".into(), "/a b".into()],
            ..Settings::off()
        };
        assert_eq!(
            bad_path.validate(),
            Err(InvalidSettings::BadOpenPath("/a b".into()))
        );
        let many = Settings {
            allowed_ips: vec!["10.0.0.1/32".parse().expect("cidr"); MAX_LIST_ENTRIES + 1],
            ..Settings::off()
        };
        assert_eq!(
            many.validate(),
            Err(InvalidSettings::TooManyEntries("allowed_ips"))
        );

        for secs in [0, MAX_RETRY_AFTER_SECS + 1] {
            let bad = Settings {
                retry_after_secs: secs,
                ..Settings::off()
            };
            assert_eq!(bad.validate(), Err(InvalidSettings::RetryAfterOutOfRange));
        }
    }

    #[test]
    fn mode_parses_both_spellings_and_refuses_others() {
        assert_eq!("full".parse(), Ok(Mode::Full));
        assert_eq!("read_only".parse(), Ok(Mode::ReadOnly));
        assert_eq!("read-only".parse(), Ok(Mode::ReadOnly));
        assert!("partial".parse::<Mode>().is_err());
    }
}
