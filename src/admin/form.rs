//! Reading the settings form: its fields, local times, and the one window they make.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::state::{
    DEFAULT_HOLD_TIMEOUT_SECS, DEFAULT_RETRY_AFTER_SECS, DEFAULT_STATUS_CODE, Mode, Window,
    WindowInput,
};

pub(super) fn parse_local_input(field: &str, value: &str) -> Result<Option<DateTime<Utc>>, String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| {
            format!("{field}: {value:?} is not a date and time such as 2026-12-01T02:00")
        })
}

/// The state forms: the quick switches (`action` `on` or `off`) and the settings (`save`).
#[derive(Debug, Deserialize)]
pub(super) struct StateForm {
    pub(super) csrf: String,
    pub(super) version: String,
    pub(super) action: String,
    pub(super) mode: Option<String>,
    pub(super) message: Option<String>,
    pub(super) starts_at: Option<String>,
    pub(super) ends_at: Option<String>,
    pub(super) scope: Option<String>,
    pub(super) open_paths: Option<String>,
    pub(super) allowed_ips: Option<String>,
    pub(super) status_code: Option<String>,
    pub(super) retry_after: Option<String>,
    pub(super) hold_timeout: Option<String>,
    pub(super) reason: Option<String>,
}

/// Reads the settings form into a window (the form is the whole window, as a PUT is); every
/// refused value, in one message.
///
/// The on and off buttons are the switch, so the form has none: saving keeps maintenance on
/// or off as it is (`switched_on`), except that a start time plans a window, which counts only
/// switched on.
pub(super) fn window_from(form: &StateForm, switched_on: bool) -> Result<Window, String> {
    let mut errors = Vec::new();
    let lines = |value: &Option<String>| -> Option<Vec<String>> {
        let text = value.as_deref().unwrap_or_default();
        Some(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    };
    let mut number = |field: &str, value: &Option<String>, default: u32| -> u32 {
        let value = value.as_deref().map(str::trim).unwrap_or_default();
        if value.is_empty() {
            return default;
        }
        value.parse().unwrap_or_else(|_| {
            errors.push(format!("{field}: {value:?} is not a whole number"));
            default
        })
    };
    let status_code = number(
        "status code",
        &form.status_code,
        u32::from(DEFAULT_STATUS_CODE),
    );
    let retry_after_secs = number("retry after", &form.retry_after, DEFAULT_RETRY_AFTER_SECS);
    let hold_timeout_secs = number(
        "hold timeout",
        &form.hold_timeout,
        DEFAULT_HOLD_TIMEOUT_SECS,
    );
    let mode = match form.mode.as_deref().map(str::trim) {
        None | Some("") => Mode::Full,
        Some(mode) => mode.parse().unwrap_or_else(|e| {
            errors.push(e);
            Mode::Full
        }),
    };
    let mut time = |field: &str, value: &Option<String>| {
        parse_local_input(field, value.as_deref().unwrap_or_default()).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let starts_at = time("starts at", &form.starts_at);
    let ends_at = time("ends at", &form.ends_at);
    let input = WindowInput {
        enabled: Some(switched_on || starts_at.is_some()),
        mode: Some(mode),
        message: Some(form.message.clone().unwrap_or_default()),
        starts_at: Some(starts_at),
        ends_at: Some(ends_at),
        retry_after_secs: Some(retry_after_secs),
        allowed_ips: lines(&form.allowed_ips),
        open_paths: lines(&form.open_paths),
        scope: lines(&form.scope),
        // Out of range: refused by the window's own rule.
        status_code: Some(u16::try_from(status_code).unwrap_or(u16::MAX)),
        hold_timeout_secs: Some(hold_timeout_secs),
    };
    match input.over(&Window::off(), Utc::now()) {
        Ok(window) if errors.is_empty() => Ok(window),
        Ok(_) => Err(errors.join("; ")),
        Err(broken) => {
            errors.extend(broken.0.iter().map(ToString::to_string));
            Err(errors.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SecondsFormat;

    fn form(pairs: &[(&str, &str)]) -> StateForm {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        };
        StateForm {
            csrf: String::new(),
            version: "1".into(),
            action: "save".into(),
            mode: get("mode"),
            message: get("message"),
            starts_at: get("starts_at"),
            ends_at: get("ends_at"),
            scope: get("scope"),
            open_paths: get("open_paths"),
            allowed_ips: get("allowed_ips"),
            status_code: get("status_code"),
            hold_timeout: get("hold_timeout"),
            retry_after: get("retry_after"),
            reason: get("reason"),
        }
    }

    #[test]
    fn the_settings_form_reads_into_a_window() {
        let window = window_from(
            &form(&[
                ("mode", "read_only"),
                ("message", "Back soon"),
                ("starts_at", "2099-12-01T02:00"),
                ("ends_at", "2099-12-01T03:30:00"),
                ("scope", "/checkout\r\n\r\n /api/payments \n"),
                ("allowed_ips", "203.0.113.0/24"),
                ("status_code", "200"),
                ("retry_after", ""),
            ]),
            false,
        )
        .expect("valid");
        assert!(window.enabled);
        assert_eq!(window.mode, Mode::ReadOnly);
        assert_eq!(window.scope, ["/checkout", "/api/payments"]);
        assert_eq!(window.status_code, 200);
        assert_eq!(window.retry_after_secs, DEFAULT_RETRY_AFTER_SECS);
        assert_eq!(
            window
                .ends_at
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            Some("2099-12-01T03:30:00Z".to_owned())
        );
    }

    #[test]
    fn a_hold_window_comes_with_its_timeout() {
        let window =
            window_from(&form(&[("mode", "hold"), ("hold_timeout", "45")]), true).expect("valid");
        assert_eq!((window.mode, window.hold_timeout_secs), (Mode::Hold, 45));
    }

    #[test]
    fn every_bad_value_of_the_settings_form_is_named_at_once() {
        let refused = window_from(
            &form(&[
                ("starts_at", "tomorrow"),
                ("scope", "checkout"),
                ("allowed_ips", "999.1.1.1"),
                ("status_code", "404"),
                ("retry_after", "-5"),
                ("mode", "partial"),
                ("hold_timeout", "900"),
            ]),
            true,
        )
        .expect_err("refused");
        for part in [
            "starts at",
            "scope",
            "allowed address",
            "404",
            "retry after",
            "unknown mode",
            "hold-timeout",
        ] {
            assert!(refused.contains(part), "{part} missing from {refused}");
        }
    }
}
