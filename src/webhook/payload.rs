//! What a delivery says, and its signature.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use sha2::Sha256;

use super::Event;
use super::WebhookUrl;
use crate::http::hex;
use crate::state::MaintenanceState;

/// The event a change of the state is, in `Downtime-Event` and the payload's `event`.
pub const EVENT: &str = Event::MaintenanceChanged.name();

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

/// The JSON body of the timeline's other events: `maintenance.scheduled`, `.reminder`,
/// `.started` and `.ended`.
#[derive(Clone, Debug, Serialize)]
pub struct EventPayload<'a> {
    /// The delivery's id, as in `Downtime-Delivery`.
    pub id: &'a str,
    /// The event's name, as in `Downtime-Event`.
    pub event: &'static str,
    /// When it happened: the change's time, or the time the clock reached (a start, an end,
    /// a reminder's offset before the start).
    pub at: DateTime<Utc>,
    /// Recorded more than a few seconds after `at`, by a replica that came back after every
    /// replica had been down at that time.
    pub late: bool,
    /// Who made the change, or `clock` when the clock did.
    pub actor: &'a str,
    /// Why, if the change's author said (`null` otherwise).
    pub reason: Option<&'a str>,
    /// The window the event is about (for `ended` by a change, the window that ended), with
    /// the version that stored it.
    pub window: &'a MaintenanceState,
    /// `started` and `ended`: when the window began gating visitors, when known.
    pub started_at: Option<DateTime<Utc>>,
    /// `ended`: how long it gated visitors, in whole seconds, when its start is known.
    pub lasted_secs: Option<i64>,
    /// `reminder`: how long before the start it is sent, in seconds (one of
    /// `--remind-before`).
    pub starts_in_secs: Option<u64>,
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

/// The `Downtime-Signature` value for `body` sent to `url` at `timestamp` (Unix seconds):
/// `t=<timestamp>,v1=<hex>,v2=<hex>`, with [`signature_v1`] and [`signature_v2`].
///
/// ```
/// use downtime::webhook::{WebhookUrl, signature, signature_v2};
/// use secrecy::SecretString;
///
/// let secret = SecretString::from("a secret of 32 characters or more");
/// let url = WebhookUrl::parse("https://hooks.example.com/downtime")?;
/// let body = br#"{"change":"on"}"#;
/// let header = signature(&secret, 1_700_000_000, &url, body);
/// assert!(header.starts_with("t=1700000000,v1="));
/// assert!(header.ends_with(&format!(",v2={}", signature_v2(&secret, 1_700_000_000, &url, body))));
/// assert_eq!(header.len(), "t=1700000000,v1=,v2=".len() + 2 * 64);
///
/// // A receiver at another URL computes another v2: a delivery replayed to it is refused.
/// let other = WebhookUrl::parse("https://hooks.example.com/other")?;
/// assert_ne!(signature_v2(&secret, 1_700_000_000, &other, body), signature_v2(&secret, 1_700_000_000, &url, body));
/// # Ok::<(), String>(())
/// ```
pub fn signature(secret: &SecretString, timestamp: i64, url: &WebhookUrl, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={},v2={}",
        signature_v1(secret, timestamp, body),
        signature_v2(secret, timestamp, url, body)
    )
}

/// Signature version 2, which binds the receiver's URL: the lowercase hex HMAC-SHA256, keyed
/// with the secret's UTF-8 bytes, of `"<timestamp>\n<url>\n<body>"`: the timestamp in decimal
/// as sent in `t`, a line feed, the URL the request is sent to as [`WebhookUrl::as_str`] writes
/// it (scheme and host in lowercase, no default port, at least `/` as the path, credentials
/// and query kept), a line feed, and the raw body.
///
/// Neither a timestamp nor a URL can hold a line feed (URLs lose them when parsed), so the
/// signed text splits one way only; a dot would not do, since URLs hold dots.
pub fn signature_v2(
    secret: &SecretString,
    timestamp: i64,
    url: &WebhookUrl,
    body: &[u8],
) -> String {
    let timestamp = timestamp.to_string();
    hmac_hex(
        secret,
        &[
            timestamp.as_bytes(),
            b"\n",
            url.as_str().as_bytes(),
            b"\n",
            body,
        ],
    )
}

/// Signature version 1, deprecated (it does not bind the URL: a receiver can replay a
/// delivery to another that shares its secret): the lowercase hex HMAC-SHA256, keyed with the
/// secret's UTF-8 bytes, of `"<timestamp>.<body>"`. Sent beside v2 until receivers have moved.
pub fn signature_v1(secret: &SecretString, timestamp: i64, body: &[u8]) -> String {
    hmac_hex(secret, &[timestamp.to_string().as_bytes(), b".", body])
}

fn hmac_hex(secret: &SecretString, parts: &[&[u8]]) -> String {
    // HMAC takes keys of any length: `new_from_slice` cannot fail here.
    Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .map(|mac| {
            let tag = parts
                .iter()
                .fold(mac, |mac, part| mac.chain_update(part))
                .finalize()
                .into_bytes();
            hex(&tag)
        })
        .unwrap_or_default()
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
    fn the_signature_is_the_hmac_of_the_timestamp_the_url_and_the_body() {
        // RFC 4231, test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        let secret = SecretString::from("Jefe");
        assert_eq!(
            hmac_hex(&secret, &[b"what do ya ", b"want for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // v1 signs "42.{}"; v2 signs "42\nhttps://hooks.example.com/a\n{}" (as computed by
        // `printf '42\nhttps://hooks.example.com/a\n{}' | openssl dgst -sha256 -hmac Jefe`).
        let v1 = "180dba890623065f7b45ce89af52812f5dfec8d19f22357bd915726bb20c8be3";
        let v2 = "3940e9030cb771c2b336f2c53b29ed123236fdbaef556fbebc7de1fe701c6ca9";
        let url = WebhookUrl::parse("HTTPS://Hooks.Example.com:443/a").expect("url");
        assert_eq!(url.as_str(), "https://hooks.example.com/a");
        assert_eq!(signature_v1(&secret, 42, b"{}"), v1);
        assert_eq!(signature_v2(&secret, 42, &url, b"{}"), v2);
        assert_eq!(
            signature(&secret, 42, &url, b"{}"),
            format!("t=42,v1={v1},v2={v2}")
        );
    }

    #[test]
    fn v2_differs_for_another_url_another_time_or_another_body() {
        let secret = SecretString::from("x".repeat(32));
        let url = |u: &str| WebhookUrl::parse(u).expect("url");
        let a = url("https://hooks.example.com/a");
        let signed = signature_v2(&secret, 42, &a, b"{}");
        for (t, to, body) in [
            (42, url("https://hooks.example.com/b"), &b"{}"[..]),
            (42, url("https://hooks.example.com/a?x=1"), b"{}"),
            (43, a.clone(), b"{}"),
            (42, a.clone(), b"{} "),
        ] {
            assert_ne!(signature_v2(&secret, t, &to, body), signed, "{to} {t}");
        }
    }
}
