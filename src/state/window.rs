//! What a writer sets: the window, and the rules every stored window obeys.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, TimeDelta, Utc};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::path;

/// The longest operator message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 2_000;
/// The shortest `Retry-After` a window may announce.
pub const MIN_RETRY_AFTER_SECS: u32 = 1;
/// The longest `Retry-After` a window may announce: one week.
pub const MAX_RETRY_AFTER_SECS: u32 = 7 * 24 * 3600;
/// `Retry-After` when nothing else is said: five minutes.
pub const DEFAULT_RETRY_AFTER_SECS: u32 = 300;
/// How long a request waits in a hold window unless the window says otherwise.
pub const DEFAULT_HOLD_TIMEOUT_SECS: u32 = 30;
/// The shortest wait a hold window may give a request.
pub const MIN_HOLD_TIMEOUT_SECS: u32 = 1;
/// The longest wait a hold window may give a request: five minutes, past which a visitor is
/// better told than kept waiting (and most clients and load balancers have given up anyway).
pub const MAX_HOLD_TIMEOUT_SECS: u32 = 300;
/// The status gated requests are answered with unless a window says otherwise.
pub const DEFAULT_STATUS_CODE: u16 = 503;
/// The most entries `allowed_ips`, `open_paths` and `scope` may each hold.
pub const MAX_LIST_ENTRIES: usize = 100;
/// The longest path prefix (`open_paths`, `scope`), in bytes of its normal form.
pub const MAX_PATH_CHARS: usize = 200;
/// The shape of a path prefix, as a JSON Schema (ECMA 262) pattern for the API's schema: a
/// `/`, then at least one character that is no `?`, `#`, `\`, space or control character.
/// [`is_open_path`] is the rule; this is as much of it as a pattern can say.
pub const OPEN_PATH_PATTERN: &str = r"^/[^?#\\\s\x00-\x1f\x7f-\x9f]+$";
/// The status besides the server errors that gated requests may be answered with.
pub const GATE_STATUS_OK: u16 = 200;
/// The server errors gated requests may be answered with.
pub const GATE_STATUS_ERRORS: std::ops::RangeInclusive<u16> = 500..=599;
/// How far ahead a window may be planned: a hundred years. Anything later is a typo, and dates
/// past the year 9999 cannot even be written as HTTP dates.
pub const HORIZON_DAYS: i64 = 36_525;

/// How much of the site a maintenance window closes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Everything behind the gate is closed to visitors.
    #[default]
    Full,
    /// Visitors may read (GET, HEAD, OPTIONS); writes are refused.
    ReadOnly,
    /// Requests that `full` would gate wait, for up to the window's hold timeout, and go on
    /// when it ends: for maintenance short enough that visitors should only see a slow page.
    Hold,
}

impl Mode {
    /// The stored and displayed name: `full` or `read_only`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::ReadOnly => "read_only",
            Mode::Hold => "hold",
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
            "hold" => Ok(Mode::Hold),
            other => Err(format!(
                "unknown mode {other:?} (expected full, read_only or hold)"
            )),
        }
    }
}

/// The writable part of the state: whether maintenance is on, and how.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Maintenance is switched on (it may still wait for `starts_at`).
    pub enabled: bool,
    /// Full, read-only or hold.
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
    /// The only path prefixes this window closes (`/checkout`); empty, the whole site.
    #[serde(default)]
    pub scope: Vec<String>,
    /// The status gated requests are answered with: 503 unless a load balancer needs another
    /// 5xx, or 200 (`Retry-After` and `no-store` are sent whatever it is).
    #[serde(default = "default_status_code")]
    pub status_code: u16,
    /// In a hold window, the longest a request waits before it is answered as in `full`.
    #[serde(default = "default_hold_timeout")]
    pub hold_timeout_secs: u32,
}

fn default_status_code() -> u16 {
    DEFAULT_STATUS_CODE
}

fn default_hold_timeout() -> u32 {
    DEFAULT_HOLD_TIMEOUT_SECS
}

/// Whether gated requests may be answered with `code`: 200, or a server error.
pub fn is_gate_status(code: u16) -> bool {
    code == GATE_STATUS_OK || GATE_STATUS_ERRORS.contains(&code)
}

/// One rule a [`Window`] breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// The message is longer than [`MAX_MESSAGE_CHARS`].
    #[error("the message is {0} characters long; the limit is {MAX_MESSAGE_CHARS}")]
    MessageTooLong(usize),
    /// The window ends before (or when) it starts.
    #[error("the end time must be after the start time")]
    EndsBeforeStart,
    /// Switched on with an end time that has already passed.
    #[error("the end time is in the past")]
    EndsInPast,
    /// A date before 1970 or more than [`HORIZON_DAYS`] days ahead.
    #[error("{0} must be between 1970 and a hundred years from now")]
    BeyondHorizon(&'static str),
    /// `Retry-After` is shorter than [`MIN_RETRY_AFTER_SECS`] or longer than
    /// [`MAX_RETRY_AFTER_SECS`].
    #[error(
        "retry-after must be between {MIN_RETRY_AFTER_SECS} and {MAX_RETRY_AFTER_SECS} seconds"
    )]
    RetryAfterOutOfRange,
    /// A list is longer than [`MAX_LIST_ENTRIES`].
    #[error("{0} has more than {MAX_LIST_ENTRIES} entries")]
    TooManyEntries(&'static str),
    /// An open path (at this index) is not a path prefix such as `/status`.
    #[error(
        "open path {1:?} is not a path prefix such as /status (at most {MAX_PATH_CHARS} characters, no ?, # or \\, written as the gate reads it: /caf%C3%A9, not /café or /a/./b)"
    )]
    BadOpenPath(usize, String),
    /// A scope entry (at this index) is not a path prefix such as `/checkout`.
    #[error(
        "scope {1:?} is not a path prefix such as /checkout (at most {MAX_PATH_CHARS} characters, no ?, # or \\, written as the gate reads it: /caf%C3%A9, not /café or /a/./b)"
    )]
    BadScope(usize, String),
    /// The hold timeout is shorter than [`MIN_HOLD_TIMEOUT_SECS`] or longer than
    /// [`MAX_HOLD_TIMEOUT_SECS`].
    #[error(
        "hold-timeout must be between {MIN_HOLD_TIMEOUT_SECS} and {MAX_HOLD_TIMEOUT_SECS} seconds"
    )]
    HoldTimeoutOutOfRange,
    /// The status code is neither 200 nor a server error (5xx).
    #[error("status code {0} is not 200 or a server error (500 to 599)")]
    BadStatusCode(u16),
    /// An allowed address (at this index) is neither an address nor a CIDR network.
    #[error(
        "allowed address {1:?} is neither an address nor a CIDR network such as 203.0.113.0/24"
    )]
    BadNetwork(usize, String),
}

impl Invalid {
    /// The field at fault, as a JSON path (`message`, `open_paths[2]`).
    pub fn field(&self) -> String {
        match self {
            Invalid::MessageTooLong(_) => "message".into(),
            Invalid::EndsBeforeStart | Invalid::EndsInPast => "ends_at".into(),
            Invalid::BeyondHorizon(field) | Invalid::TooManyEntries(field) => (*field).into(),
            Invalid::RetryAfterOutOfRange => "retry_after".into(),
            Invalid::HoldTimeoutOutOfRange => "hold_timeout".into(),
            Invalid::BadOpenPath(index, _) => format!("open_paths[{index}]"),
            Invalid::BadScope(index, _) => format!("scope[{index}]"),
            Invalid::BadNetwork(index, _) => format!("allowed_ips[{index}]"),
            Invalid::BadStatusCode(_) => "status_code".into(),
        }
    }
}

/// Every rule a [`Window`] breaks (never empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidWindow(pub Vec<Invalid>);

impl fmt::Display for InvalidWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, invalid) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{invalid}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidWindow {}

impl Window {
    /// Maintenance off, nothing scheduled.
    pub fn off() -> Self {
        Window {
            retry_after_secs: DEFAULT_RETRY_AFTER_SECS,
            status_code: DEFAULT_STATUS_CODE,
            hold_timeout_secs: DEFAULT_HOLD_TIMEOUT_SECS,
            ..Window::default()
        }
    }

    /// Maintenance on at once, until switched off, with the defaults.
    pub fn on() -> Self {
        Window {
            enabled: true,
            ..Window::off()
        }
    }

    /// Checks the rules every stored window obeys, whoever writes it: the CLI, the API, the
    /// environment or code using the library.
    ///
    /// # Errors
    /// Every rule broken, as an [`InvalidWindow`].
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), InvalidWindow> {
        let mut broken = Vec::new();
        if let Some(message) = &self.message {
            let chars = message.chars().count();
            if chars > MAX_MESSAGE_CHARS {
                broken.push(Invalid::MessageTooLong(chars));
            }
        }
        let horizon = now + TimeDelta::days(HORIZON_DAYS);
        let sane = |t: DateTime<Utc>| t >= DateTime::UNIX_EPOCH && t <= horizon;
        for (field, at) in [("starts_at", self.starts_at), ("ends_at", self.ends_at)] {
            if at.is_some_and(|t| !sane(t)) {
                broken.push(Invalid::BeyondHorizon(field));
            }
        }
        if let (Some(start), Some(end)) = (self.starts_at, self.ends_at)
            && end <= start
        {
            broken.push(Invalid::EndsBeforeStart);
        } else if self.enabled && self.ends_at.is_some_and(|end| end <= now) {
            broken.push(Invalid::EndsInPast);
        }
        if !(MIN_RETRY_AFTER_SECS..=MAX_RETRY_AFTER_SECS).contains(&self.retry_after_secs) {
            broken.push(Invalid::RetryAfterOutOfRange);
        }
        if !(MIN_HOLD_TIMEOUT_SECS..=MAX_HOLD_TIMEOUT_SECS).contains(&self.hold_timeout_secs) {
            broken.push(Invalid::HoldTimeoutOutOfRange);
        }
        check_paths(&mut broken, "scope", &self.scope, Invalid::BadScope);
        if !is_gate_status(self.status_code) {
            broken.push(Invalid::BadStatusCode(self.status_code));
        }
        if self.allowed_ips.len() > MAX_LIST_ENTRIES {
            broken.push(Invalid::TooManyEntries("allowed_ips"));
        }
        check_paths(
            &mut broken,
            "open_paths",
            &self.open_paths,
            Invalid::BadOpenPath,
        );
        if broken.is_empty() {
            Ok(())
        } else {
            Err(InvalidWindow(broken))
        }
    }
}

/// The rules of a list of path prefixes (`open_paths`, `scope`): not too many, each one a path
/// prefix; a bad entry is reported as `bad(index, entry)`.
fn check_paths(
    broken: &mut Vec<Invalid>,
    field: &'static str,
    paths: &[String],
    bad: fn(usize, String) -> Invalid,
) {
    if paths.len() > MAX_LIST_ENTRIES {
        broken.push(Invalid::TooManyEntries(field));
    }
    for (index, path) in paths.iter().enumerate() {
        if !is_open_path(path) {
            broken.push(bad(index, path.clone()));
        }
    }
}

/// A path prefix fit to keep open or to close: `/x…` in normal form (as the gate reads request
/// paths: [`path::normalize`], no trailing slash), at most [`MAX_PATH_CHARS`], no query, fragment,
/// backslash or whitespace.
pub fn is_open_path(path: &str) -> bool {
    path.starts_with('/')
        && path.len() > 1
        && path.len() <= MAX_PATH_CHARS
        && !path.contains(['?', '#', '\\'])
        && !path.chars().any(|c| c.is_whitespace() || c.is_control())
        && normal_prefix(path) == path
}

/// `path` in the form the gate compares request paths in, without a trailing slash.
fn normal_prefix(path: &str) -> Cow<'_, str> {
    match path::normalize(path) {
        Cow::Borrowed(normal) => Cow::Borrowed(normal.strip_suffix('/').unwrap_or(normal)),
        Cow::Owned(normal) => Cow::Owned(normal.trim_end_matches('/').to_owned()),
    }
}

/// `path` as a path prefix in normal form (`/shop/./cart/` is `/shop/cart`, `/café` is
/// `/caf%C3%A9`), as [`Window::validate`] wants it.
///
/// # Errors
/// It is not one (see [`is_open_path`]).
pub fn parse_open_path(path: &str) -> Result<String, String> {
    let trimmed = path.trim();
    let refuse =
        || format!("{trimmed:?} is not a path prefix such as /status (no ?, #, \\ or spaces)");
    // Normalising would make `status` absolute: a prefix must be written so.
    if !trimmed.starts_with('/') {
        return Err(refuse());
    }
    let normal = normal_prefix(trimmed).into_owned();
    if is_open_path(&normal) {
        Ok(normal)
    } else {
        Err(refuse())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::minutes(minutes)
    }

    fn broken(window: &Window, now: DateTime<Utc>) -> Vec<Invalid> {
        window.validate(now).err().map(|e| e.0).unwrap_or_default()
    }

    #[test]
    fn validate_refuses_long_messages_inverted_windows_and_bad_retry_after() {
        let now = at(0);
        assert_eq!(Window::off().validate(now), Ok(()));

        let long = Window {
            message: Some("é".repeat(MAX_MESSAGE_CHARS + 1)),
            ..Window::off()
        };
        assert_eq!(
            broken(&long, now),
            [Invalid::MessageTooLong(MAX_MESSAGE_CHARS + 1)]
        );
        let exactly = Window {
            message: Some("é".repeat(MAX_MESSAGE_CHARS)),
            ..Window::off()
        };
        assert_eq!(exactly.validate(now), Ok(()));

        let inverted = Window {
            starts_at: Some(at(10)),
            ends_at: Some(at(10)),
            ..Window::off()
        };
        assert_eq!(broken(&inverted, now), [Invalid::EndsBeforeStart]);

        let bad_path = Window {
            open_paths: vec!["/ok".into(), "/a b".into()],
            ..Window::off()
        };
        assert_eq!(
            broken(&bad_path, now),
            [Invalid::BadOpenPath(1, "/a b".into())]
        );
        assert_eq!(broken(&bad_path, now)[0].field(), "open_paths[1]");

        let many = Window {
            allowed_ips: vec!["10.0.0.1/32".parse().expect("cidr"); MAX_LIST_ENTRIES + 1],
            ..Window::off()
        };
        assert_eq!(broken(&many, now), [Invalid::TooManyEntries("allowed_ips")]);

        for secs in [0, MAX_RETRY_AFTER_SECS + 1] {
            let bad = Window {
                retry_after_secs: secs,
                ..Window::off()
            };
            assert_eq!(broken(&bad, now), [Invalid::RetryAfterOutOfRange]);
        }
    }

    #[test]
    fn validate_reports_every_rule_broken_at_once() {
        let bad = Window {
            message: Some("x".repeat(MAX_MESSAGE_CHARS + 1)),
            retry_after_secs: 0,
            ..Window::on()
        };
        let fields: Vec<String> = broken(&bad, at(0)).iter().map(Invalid::field).collect();
        assert_eq!(fields, ["message", "retry_after"]);
    }

    #[test]
    fn an_end_in_the_past_is_refused_only_when_switching_on() {
        let now = at(100);
        let over = Window {
            ends_at: Some(at(50)),
            ..Window::on()
        };
        assert_eq!(broken(&over, now), [Invalid::EndsInPast]);
        let off = Window {
            enabled: false,
            ..over
        };
        assert_eq!(off.validate(now), Ok(()));
    }

    #[test]
    fn dates_beyond_the_horizon_are_refused() {
        let now = Utc::now();
        let year_10000: DateTime<Utc> = "+10000-01-01T00:00:00Z".parse().expect("date");
        let far = Window {
            ends_at: Some(year_10000),
            ..Window::on()
        };
        assert_eq!(broken(&far, now), [Invalid::BeyondHorizon("ends_at")]);
        let too_far = Window {
            starts_at: Some(now + TimeDelta::days(HORIZON_DAYS + 1)),
            ..Window::on()
        };
        assert_eq!(broken(&too_far, now), [Invalid::BeyondHorizon("starts_at")]);
        let next_year = Window {
            ends_at: Some(now + TimeDelta::days(365)),
            ..Window::on()
        };
        assert_eq!(next_year.validate(now), Ok(()));
    }

    #[test]
    fn mode_parses_both_spellings_and_refuses_others() {
        assert_eq!("full".parse(), Ok(Mode::Full));
        assert_eq!("read_only".parse(), Ok(Mode::ReadOnly));
        assert_eq!("read-only".parse(), Ok(Mode::ReadOnly));
        assert_eq!("hold".parse(), Ok(Mode::Hold));
        assert!("partial".parse::<Mode>().is_err());
    }

    #[test]
    fn open_paths_must_be_prefixes() {
        assert_eq!(parse_open_path("/status/"), Ok("/status".into()));
        assert!(parse_open_path("status").is_err());
        assert!(parse_open_path("/").is_err());
        assert!(parse_open_path("/a?b").is_err());
    }

    #[test]
    fn stored_paths_are_normalised_as_the_gate_reads_requests() {
        assert_eq!(parse_open_path("/caf\u{e9}"), Ok("/caf%C3%A9".into()));
        assert_eq!(parse_open_path("/shop/./cart"), Ok("/shop/cart".into()));
        assert_eq!(parse_open_path("/chec%6Bout"), Ok("/checkout".into()));
        assert_eq!(parse_open_path("//a//b/"), Ok("/a/b".into()));
        assert!(parse_open_path("/a/..").is_err());
        // A window written in code is held to the same form.
        for raw in ["/caf\u{e9}", "/shop/./cart", "/chec%6Bout", "/a/"] {
            let window = Window {
                scope: vec![raw.into()],
                ..Window::on()
            };
            assert!(window.validate(Utc::now()).is_err(), "{raw}");
        }
    }
}
