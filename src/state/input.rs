//! What a writer asks for ([`WindowInput`]), and the one meaning of switching on and off
//! (written out in the module's parent, [`crate::state`]).

use chrono::{DateTime, Utc};

use super::window::{Invalid, InvalidWindow, Mode, Window, parse_network, parse_open_path};

/// A window as a writer gives it: each field `None` when not given. The lists come as text, as
/// every entry point receives them, and are read by [`WindowInput::over`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowInput {
    /// Switched on or off (a patch that flips it is a switch).
    pub enabled: Option<bool>,
    /// Full, read-only or hold.
    pub mode: Option<Mode>,
    /// The operator's message; blank clears it.
    pub message: Option<String>,
    /// When the window begins; `Some(None)` means at once.
    pub starts_at: Option<Option<DateTime<Utc>>>,
    /// When the window ends by itself; `Some(None)` means until switched off.
    pub ends_at: Option<Option<DateTime<Utc>>>,
    /// `Retry-After` in seconds while no end is known.
    pub retry_after_secs: Option<u32>,
    /// Addresses or CIDR networks let through.
    pub allowed_ips: Option<Vec<String>>,
    /// Path prefixes kept open.
    pub open_paths: Option<Vec<String>>,
    /// The only path prefixes the window closes; empty, the whole site.
    pub scope: Option<Vec<String>>,
    /// The status gated requests are answered with.
    pub status_code: Option<u16>,
    /// In a hold window, the longest a request waits, in seconds.
    pub hold_timeout_secs: Option<u32>,
}

impl WindowInput {
    /// Every field given, as `window` has it: a replacement by that window.
    pub fn from_window(window: &Window) -> Self {
        let text = |items: &[String]| Some(items.to_vec());
        WindowInput {
            enabled: Some(window.enabled),
            mode: Some(window.mode),
            message: Some(window.message.clone().unwrap_or_default()),
            starts_at: Some(window.starts_at),
            ends_at: Some(window.ends_at),
            retry_after_secs: Some(window.retry_after_secs),
            allowed_ips: Some(window.allowed_ips.iter().map(ToString::to_string).collect()),
            open_paths: text(&window.open_paths),
            scope: text(&window.scope),
            status_code: Some(window.status_code),
            hold_timeout_secs: Some(window.hold_timeout_secs),
        }
    }

    /// Whether the input names a start or an end.
    fn gives_times(&self) -> bool {
        self.starts_at.is_some() || self.ends_at.is_some()
    }

    /// `base` with every given field replaced, checked against every rule of a stored window:
    /// the one parser from a writer's input to a [`Window`].
    ///
    /// # Errors
    /// Every refusal at once: each list entry that is not an address or a path prefix (as
    /// `allowed_ips[2]`), then each rule the window breaks.
    pub fn over(self, base: &Window, now: DateTime<Utc>) -> Result<Window, InvalidWindow> {
        let mut entries = Vec::new();
        let allowed_ips = match self.allowed_ips {
            None => base.allowed_ips.clone(),
            Some(items) => {
                let mut read = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    match parse_network(&item) {
                        Ok(net) => read.push(net),
                        Err(_) => entries.push(Invalid::BadNetwork(index, item)),
                    }
                }
                read
            }
        };
        let mut paths =
            |items: Option<Vec<String>>, current: &[String], bad: fn(usize, String) -> Invalid| {
                let Some(items) = items else {
                    return current.to_vec();
                };
                let mut read = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    match parse_open_path(&item) {
                        Ok(path) => read.push(path),
                        Err(_) => entries.push(bad(index, item)),
                    }
                }
                read
            };
        let open_paths = paths(self.open_paths, &base.open_paths, Invalid::BadOpenPath);
        let scope = paths(self.scope, &base.scope, Invalid::BadScope);
        let window = Window {
            enabled: self.enabled.unwrap_or(base.enabled),
            mode: self.mode.unwrap_or(base.mode),
            message: match self.message {
                Some(message) => Some(message).filter(|m| !m.trim().is_empty()),
                None => base.message.clone(),
            },
            starts_at: self.starts_at.unwrap_or(base.starts_at),
            ends_at: self.ends_at.unwrap_or(base.ends_at),
            retry_after_secs: self.retry_after_secs.unwrap_or(base.retry_after_secs),
            allowed_ips,
            open_paths,
            scope,
            status_code: self.status_code.unwrap_or(base.status_code),
            hold_timeout_secs: self.hold_timeout_secs.unwrap_or(base.hold_timeout_secs),
        };
        // The window's own rules first, then the entries, each list in field order.
        let mut broken = window
            .validate(now)
            .err()
            .map(|rules| rules.0)
            .unwrap_or_default();
        broken.append(&mut entries);
        if broken.is_empty() {
            Ok(window)
        } else {
            Err(InvalidWindow(broken))
        }
    }
}

/// Where switching on and off starts from.
impl Window {
    /// What `off` leaves of this window: the standing settings, for the next window.
    pub fn switched_off(&self) -> Window {
        Window {
            enabled: false,
            mode: Mode::Full,
            message: None,
            starts_at: None,
            ends_at: None,
            scope: Vec::new(),
            ..self.clone()
        }
    }

    /// What a bare `on` makes of this window at `now`: everything kept, started now, its end
    /// kept while still ahead.
    pub fn switched_on(&self, now: DateTime<Utc>) -> Window {
        Window {
            enabled: true,
            starts_at: None,
            ends_at: self.ends_at.filter(|end| *end > now),
            ..self.clone()
        }
    }
}

/// The window `input` makes of `current` when it switches maintenance on at `now`.
pub(super) fn on(
    current: &Window,
    mut input: WindowInput,
    now: DateTime<Utc>,
) -> Result<Window, InvalidWindow> {
    let mut base = current.switched_on(now);
    // Times given are the whole schedule: a kept end must not outlive a new start.
    if input.gives_times() {
        base.ends_at = None;
    }
    input.enabled = Some(true);
    input.over(&base, now)
}

/// The window `input` makes of `current` as a patch: a switch when it flips `enabled`, a merge
/// otherwise.
pub(super) fn patch(
    current: &Window,
    input: WindowInput,
    now: DateTime<Utc>,
) -> Result<Window, InvalidWindow> {
    match input.enabled {
        Some(true) if !current.enabled => on(current, input, now),
        Some(false) if current.enabled => input.over(&current.switched_off(), now),
        _ => input.over(current, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::minutes(minutes)
    }

    fn running() -> Window {
        Window {
            mode: Mode::ReadOnly,
            message: Some("Upgrading".into()),
            ends_at: Some(at(60)),
            retry_after_secs: 120,
            allowed_ips: vec!["203.0.113.0/24".parse().expect("cidr")],
            open_paths: vec!["/status".into()],
            scope: vec!["/shop".into()],
            status_code: 502,
            hold_timeout_secs: 45,
            ..Window::on()
        }
    }

    #[test]
    fn off_keeps_the_standing_settings_and_drops_the_window() {
        let off = running().switched_off();
        assert_eq!(
            off,
            Window {
                retry_after_secs: 120,
                allowed_ips: running().allowed_ips,
                open_paths: vec!["/status".into()],
                status_code: 502,
                hold_timeout_secs: 45,
                ..Window::off()
            }
        );
    }

    #[test]
    fn a_bare_on_starts_now_and_keeps_an_end_still_ahead() {
        let now = at(10);
        let scheduled = Window {
            starts_at: Some(at(30)),
            ..running()
        };
        let on_now = on(&scheduled, WindowInput::default(), now).expect("on");
        assert_eq!(on_now.starts_at, None);
        assert_eq!(on_now.ends_at, Some(at(60)));
        assert_eq!(on_now.message.as_deref(), Some("Upgrading"));
        let past = on(&scheduled, WindowInput::default(), at(90)).expect("on");
        assert_eq!(past.ends_at, None);
        // Given times replace the whole schedule.
        let later = WindowInput {
            starts_at: Some(Some(at(120))),
            ..WindowInput::default()
        };
        let planned = on(&scheduled, later, now).expect("on");
        assert_eq!((planned.starts_at, planned.ends_at), (Some(at(120)), None));
    }

    #[test]
    fn a_patch_that_flips_enabled_is_a_switch() {
        let now = at(10);
        let off = WindowInput {
            enabled: Some(false),
            ..WindowInput::default()
        };
        assert_eq!(patch(&running(), off, now), Ok(running().switched_off()));
        let message = WindowInput {
            message: Some("Still upgrading".into()),
            ..WindowInput::default()
        };
        let merged = patch(&running(), message, now).expect("merge");
        assert_eq!(merged.message.as_deref(), Some("Still upgrading"));
        assert_eq!(merged.scope, ["/shop"]);
    }

    #[test]
    fn every_bad_entry_and_rule_is_reported_at_once() {
        let input = WindowInput {
            allowed_ips: Some(vec!["10.0.0.1".into(), "nope".into()]),
            open_paths: Some(vec!["status".into()]),
            scope: Some(vec!["/ok".into(), "/a b".into()]),
            retry_after_secs: Some(0),
            hold_timeout_secs: Some(301),
            ..WindowInput::default()
        };
        let broken = input.over(&Window::on(), at(0)).expect_err("refused").0;
        let fields: Vec<String> = broken.iter().map(Invalid::field).collect();
        assert_eq!(
            fields,
            [
                "retry_after",
                "hold_timeout",
                "allowed_ips[1]",
                "open_paths[0]",
                "scope[1]"
            ]
        );
    }

    #[test]
    fn a_window_read_back_from_its_input_is_the_same() {
        let window = running();
        assert_eq!(
            WindowInput::from_window(&window).over(&Window::off(), at(0)),
            Ok(window)
        );
    }
}
