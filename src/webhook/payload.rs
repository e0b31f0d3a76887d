//! What a delivery says, and its signature.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use sha2::Sha256;

use crate::state::MaintenanceState;

/// The one event there is so far, in `Downtime-Event` and the payload's `event`.
pub const EVENT: &str = "maintenance.changed";

/// The JSON body of a delivery.
#[derive(Clone, Debug, Serialize)]
pub struct Payload<'a> {
    /// The delivery's id, as in `Downtime-Delivery`.
    pub id: &'a str,
    /// [`EVENT`].
    pub event: &'static str,
    /// What kind of change ([`change_kind`]).
    pub change: &'static str,
    /// Who made it: a verified e-mail, `client:<id>`, `cli:<user>`, `environment`…
    pub actor: &'a str,
    /// Why, if they said (`null` otherwise).
    pub reason: Option<&'a str>,
    /// The state version the change produced: deliveries to one URL may arrive out of order.
    pub version: i64,
    /// When the change was committed.
    pub at: DateTime<Utc>,
    /// The state before, as the audit log stores it.
    pub before: &'a MaintenanceState,
    /// The state after.
    pub after: &'a MaintenanceState,
}

/// `on` (switched on, now), `scheduled` (switched on for a window that starts later), `off`,
/// or `updated` (anything else: a new message, an end time, a window edited while on).
pub fn change_kind(before: &MaintenanceState, after: &MaintenanceState) -> &'static str {
    match (before.window.enabled, after.window.enabled) {
        (false, true)
            if after
                .window
                .starts_at
                .is_some_and(|start| start > after.updated_at) =>
        {
            "scheduled"
        }
        (false, true) => "on",
        (true, false) => "off",
        _ => "updated",
    }
}

/// The `Downtime-Signature` value for `body` sent at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, keyed with the secret's
/// UTF-8 bytes.
///
/// ```
/// use downtime::webhook::signature;
/// use secrecy::SecretString;
///
/// let secret = SecretString::from("a secret of 32 characters or more");
/// let header = signature(&secret, 1_700_000_000, br#"{"change":"on"}"#);
/// assert!(header.starts_with("t=1700000000,v1="));
/// assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
/// ```
pub fn signature(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail here.
    let mac = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .map(|mac| {
            mac.chain_update(timestamp.to_string().as_bytes())
                .chain_update(b".")
                .chain_update(body)
                .finalize()
                .into_bytes()
        })
        .map(|tag| hex(&tag))
        .unwrap_or_default();
    format!("t={timestamp},v1={mac}")
}

pub(super) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Window;
    use chrono::TimeDelta;

    fn state(enabled: bool, starts_in_minutes: Option<i64>) -> MaintenanceState {
        let now = DateTime::UNIX_EPOCH + TimeDelta::days(1);
        MaintenanceState {
            window: Window {
                enabled,
                starts_at: starts_in_minutes.map(|m| now + TimeDelta::minutes(m)),
                ..Window::off()
            },
            updated_at: now,
            ..MaintenanceState::initial()
        }
    }

    #[test]
    fn changes_are_named_by_the_switch() {
        let cases = [
            (state(false, None), state(true, None), "on"),
            (state(false, None), state(true, Some(-5)), "on"),
            (state(false, None), state(true, Some(30)), "scheduled"),
            (state(true, None), state(false, None), "off"),
            (state(true, None), state(true, Some(30)), "updated"),
            (state(false, None), state(false, None), "updated"),
        ];
        for (before, after, expected) in cases {
            assert_eq!(change_kind(&before, &after), expected, "{after:?}");
        }
    }

    #[test]
    fn the_signature_is_the_hmac_of_the_timestamp_and_the_body() {
        // RFC 4231, test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        let key = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("key");
        let mut mac = key.clone();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // The signed text is "<t>.<body>", keyed with the secret's bytes.
        let secret = SecretString::from("Jefe");
        let header = signature(&secret, 42, b"{}");
        let whole = key.chain_update(b"42.{}").finalize().into_bytes();
        assert_eq!(header, format!("t=42,v1={}", hex(&whole)));
    }
}
