//! Signed webhooks: every change of the state, and every event of a window's timeline (see
//! `timeline`: scheduled, reminders, started, ended, whether a change or the clock made
//! them), is POSTed as JSON to each `--webhook` URL that wants it, once, by whichever replica
//! claims it first, after the change is committed or the time has come.
//!
//! The write never waits for a receiver: each server runs a sender in the background that
//! notices new rows of the audit log (woken by the change itself, by the database's news of
//! other processes' commits, and by the poll), and records one `webhook_delivery` row per
//! change and URL. Replicas inserting the same row at once keep one (a unique index on URL and
//! change); to make an attempt, a replica claims the row with a conditional update that only
//! one can win, and the claim lapses after [`Retry::timeout`] plus a margin, so the delivery
//! of a replica that died is taken over by another. A receiver answering 2xx ends it; any
//! other answer, a timeout or a refused connection is retried after a pause that doubles
//! from [`Retry::first_delay`] up to [`Retry::max_delay`], until the next attempt would come
//! later than [`Retry::give_up_after`] after the change: the delivery is then given up.
//!
//! A delivery's id is kept across its attempts and sent as `Downtime-Delivery`: receivers
//! skip ids they already handled, since a replica that dies between a receiver's answer and
//! its record makes another send the same delivery again. Deliveries to one URL may arrive out
//! of order (an earlier one being retried); the payload's `version` orders them.
//!
//! Each URL may have options of its own ([`Webhook`]: `--webhook 'URL secret=env:NAME'`): its
//! secret (else the shared `--webhook-secret`), its body's [`Format`], the [`Event`]s it is
//! sent. Each request carries `Downtime-Signature: t=<unix seconds>,v1=<hex>,v2=<hex>`
//! ([`signature`]), made with its URL's secret: v2 is HMAC-SHA256 of the timestamp, the URL the
//! request is sent to and the raw body ([`signature_v2`]), so a receiver cannot replay a
//! delivery to another URL; v1 ([`signature_v1`], the same without the URL) is deprecated and
//! sent beside it until receivers have moved. A receiver recomputes v2, compares in constant
//! time, and refuses a `t` more than a few minutes away from its clock, so a captured request
//! cannot be replayed later.
//!
//! The module imports only `state` and the `entity` crate.

mod deliveries;
mod dispatch;
mod options;
mod payload;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::{ArgMatches, Args, FromArgMatches};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::task::JoinHandle;

use crate::state::StateService;
use crate::state::timeline::Told;
pub use crate::state::timeline::{CLOCK, DEFAULT_REMIND_BEFORE, Event};
pub use options::{Format, Webhook};
pub use payload::{
    EVENT, EventPayload, Payload, change_kind, signature, signature_v1, signature_v2,
};

/// Writes the text of a chat message (`format=slack`) telling an event, in the pages' default
/// language: the app hands the pages' own.
pub type Chat = Arc<dyn Fn(&Told<'_>) -> String + Send + Sync>;

/// The header carrying the timestamp and the signature.
pub const SIGNATURE_HEADER: &str = "Downtime-Signature";
/// The header carrying the delivery's id, the same for each of its attempts.
pub const DELIVERY_HEADER: &str = "Downtime-Delivery";
/// The header naming the event ([`EVENT`]).
pub const EVENT_HEADER: &str = "Downtime-Event";
/// The shortest signing secret, in characters.
pub const MIN_SECRET_CHARS: usize = 32;

/// A receiver's address: `http://` or `https://`, with a host. Its credentials and query are
/// sent but never shown: [`fmt::Display`] and [`fmt::Debug`] give [`WebhookUrl::endpoint`].
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(reqwest::Url);

impl WebhookUrl {
    /// Parses a webhook URL.
    ///
    /// # Errors
    /// Not a URL, not http(s), no host, or a fragment (which is never sent: a typo, most likely).
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        // Without the value: clap shows it beside the message, and a URL may hold a token.
        let refuse = |why: &str| {
            format!("not a webhook URL ({why}): use http://HOST/PATH or https://HOST/PATH")
        };
        let url = reqwest::Url::parse(value).map_err(|e| refuse(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse(&format!("{}: only http and https", url.scheme())));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(refuse("no host"));
        }
        if url.fragment().is_some() {
            return Err(refuse("a fragment is never sent"));
        }
        Ok(WebhookUrl(url))
    }

    /// The URL without credentials or query (`https://hooks.example.com/downtime`): what logs
    /// and the `webhook_delivery` table show.
    pub fn endpoint(&self) -> String {
        format!("{}{}", self.0.origin().ascii_serialization(), self.0.path())
    }

    /// The whole URL, as requests go to it.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl FromStr for WebhookUrl {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        WebhookUrl::parse(value)
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.endpoint())
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WebhookUrl").field(&self.endpoint()).finish()
    }
}

/// How long an attempt may take, and how long a failed delivery is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// One attempt, from connecting to the response's headers (default 10 s).
    pub timeout: Duration,
    /// The pause after the first failed attempt; it doubles after each (default 5 s).
    pub first_delay: Duration,
    /// The longest pause (default 5 min).
    pub max_delay: Duration,
    /// No retry is scheduled later than this after the change, and a change first seen later
    /// (every server was down) is not sent (default 15 min): with the other defaults, eight
    /// attempts over about ten minutes.
    pub give_up_after: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            timeout: Duration::from_secs(10),
            first_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(300),
            give_up_after: Duration::from_secs(15 * 60),
        }
    }
}

impl Retry {
    /// The pause after the `failures`-th failed attempt (1 for the first).
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }

    /// How long a claim on a delivery lasts: the attempt, and time to record how it went. A
    /// replica that dies mid-attempt holds the delivery up for this long.
    fn lease(&self) -> Duration {
        self.timeout.saturating_add(Duration::from_secs(30))
    }

    fn check(&self) -> Result<(), String> {
        let positive = [
            ("timeout", self.timeout),
            ("first delay", self.first_delay),
            ("maximum delay", self.max_delay),
            ("give-up time", self.give_up_after),
        ];
        for (what, value) in positive {
            if value.is_zero() {
                return Err(format!("the webhooks' retry {what} must be more than zero"));
            }
        }
        Ok(())
    }
}

/// Webhook settings, as flags, environment variables or code.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// The receivers, each with its options (`--webhook`, `DOWNTIME_WEBHOOKS`).
    pub webhooks: Vec<Webhook>,
    /// The key deliveries are signed with, for receivers without a `secret=` of their own
    /// (`--webhook-secret`, `DOWNTIME_WEBHOOK_SECRET`).
    pub webhook_secret: Option<SecretString>,
    /// Attempts' timeout and the retries' bounds (in code only).
    pub webhook_retry: Retry,
    /// How long before a scheduled window's start `maintenance.reminder` is sent
    /// (`--remind-before`, `DOWNTIME_REMIND_BEFORE`; default a day and an hour).
    pub remind_before: Vec<Duration>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            webhooks: Vec::new(),
            webhook_secret: None,
            webhook_retry: Retry::default(),
            remind_before: DEFAULT_REMIND_BEFORE.to_vec(),
        }
    }
}

/// [`WebhookConfig`] as clap reads it: a `--webhook` value may hold several entries.
#[derive(Args, Clone, Debug)]
struct WebhookArgs {
    /// POST every change of the state, signed, to this URL (`http` or `https`), with options
    /// of its own after it: `secret=env:NAME` or `secret=file:PATH` (its own signing key),
    /// `format=json`, `events=maintenance.changed`. Repeat the flag, or separate entries with
    /// commas in the variable.
    #[arg(
        long = "webhook",
        value_name = "URL [OPTION=VALUE]...",
        env = "DOWNTIME_WEBHOOKS",
        hide_env_values = true,
        value_parser = options::EntriesParser
    )]
    webhooks: Vec<options::Entries>,

    /// The key webhooks are signed with (HMAC-SHA256, 32 characters or more), for URLs without
    /// a `secret=` of their own; the same on every replica.
    #[arg(long, env = "DOWNTIME_WEBHOOK_SECRET", hide_env_values = true, value_parser = secret)]
    webhook_secret: Option<SecretString>,

    /// Send `maintenance.reminder` this long before a scheduled window starts, for each
    /// offset still ahead when the window is set (`24h,1h`; `none` for no reminders).
    #[arg(
        long,
        value_name = "DURATIONS",
        env = "DOWNTIME_REMIND_BEFORE",
        default_value = "24h,1h",
        value_parser = offsets
    )]
    remind_before: Offsets,
}

/// `--remind-before`'s value.
#[derive(Clone, Debug)]
struct Offsets(Vec<Duration>);

fn offsets(value: &str) -> Result<Offsets, String> {
    if value.trim() == "none" {
        return Ok(Offsets(Vec::new()));
    }
    value
        .split(',')
        .map(|offset| {
            humantime::parse_duration(offset.trim())
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("`{}` is not a duration such as 24h or 30m", offset.trim()))
        })
        .collect::<Result<_, _>>()
        .map(Offsets)
}

impl Args for WebhookConfig {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        WebhookArgs::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        WebhookArgs::augment_args_for_update(cmd)
    }
}

impl FromArgMatches for WebhookConfig {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let args = WebhookArgs::from_arg_matches(matches)?;
        Ok(WebhookConfig {
            webhooks: args.webhooks.into_iter().flat_map(|e| e.0).collect(),
            webhook_secret: args.webhook_secret,
            webhook_retry: Retry::default(),
            remind_before: args.remind_before.0,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        let mut args = WebhookArgs {
            webhooks: vec![options::Entries(std::mem::take(&mut self.webhooks))],
            webhook_secret: self.webhook_secret.take(),
            remind_before: Offsets(std::mem::take(&mut self.remind_before)),
        };
        args.update_from_arg_matches(matches)?;
        self.webhooks = args.webhooks.into_iter().flat_map(|e| e.0).collect();
        self.webhook_secret = args.webhook_secret;
        self.remind_before = args.remind_before.0;
        Ok(())
    }
}

// The length is checked by `WebhookConfig::check`: clap's own message would repeat the value.
fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value.to_owned()))
}

impl WebhookConfig {
    /// Whether the settings go together: every URL has a secret (its own or the shared one)
    /// and at least one event, every secret has 32 characters or more, a URL given twice has
    /// the same options both times, and retry bounds are above zero.
    ///
    /// # Errors
    /// The first problem, in one line that never repeats a secret.
    pub fn check(&self) -> Result<(), String> {
        let short = |s: &SecretString| s.expose_secret().chars().count() < MIN_SECRET_CHARS;
        if self.webhook_secret.as_ref().is_some_and(short) {
            return Err(format!(
                "the webhook secret (--webhook-secret, DOWNTIME_WEBHOOK_SECRET) must be {MIN_SECRET_CHARS} characters or more: `openssl rand -hex 32` makes one"
            ));
        }
        for (i, hook) in self.webhooks.iter().enumerate() {
            match &hook.secret {
                None if self.webhook_secret.is_none() => {
                    return Err(format!(
                        "--webhook needs --webhook-secret (DOWNTIME_WEBHOOK_SECRET), {MIN_SECRET_CHARS} characters or more, to sign the deliveries, or a secret=env:NAME or secret=file:PATH of its own ({} has none)",
                        hook.url
                    ));
                }
                Some(own) if short(own) => {
                    return Err(format!(
                        "--webhook {}: its secret must be {MIN_SECRET_CHARS} characters or more: `openssl rand -hex 32` makes one",
                        hook.url
                    ));
                }
                _ => {}
            }
            if hook.events.is_empty() {
                return Err(format!("--webhook {}: no event to send it", hook.url));
            }
            if self.webhooks[..i]
                .iter()
                .any(|other| other.url == hook.url && !other.same_as(hook))
            {
                return Err(format!(
                    "--webhook {} is given twice, with different options",
                    hook.url
                ));
            }
        }
        self.webhook_retry.check()
    }
}

/// What this process's sender has done since it started, by event: plain counters, for
/// metrics.
#[derive(Debug, Default)]
pub struct WebhookStats {
    /// Indexed like [`Event::ALL`].
    by_event: [Counts; Event::ALL.len()],
}

#[derive(Debug, Default)]
struct Counts {
    delivered: AtomicU64,
    failed_attempts: AtomicU64,
    given_up: AtomicU64,
}

/// How one attempt, or one delivery, ended: what [`WebhookStats`] counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counted {
    Delivered,
    FailedAttempt,
    GivenUp,
}

/// [`WebhookStats`] read at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Deliveries a receiver accepted (answered 2xx).
    pub delivered: u64,
    /// Attempts that failed: another answer than 2xx, a timeout, no connection.
    pub failed_attempts: u64,
    /// Deliveries given up after their last attempt (or never attempted: the event was
    /// older than [`Retry::give_up_after`] when a sender saw it).
    pub given_up: u64,
}

impl WebhookStats {
    /// The counters now, all events together.
    pub fn snapshot(&self) -> StatsSnapshot {
        Event::ALL
            .iter()
            .map(|event| self.of(*event))
            .fold(StatsSnapshot::default(), |sum, one| StatsSnapshot {
                delivered: sum.delivered + one.delivered,
                failed_attempts: sum.failed_attempts + one.failed_attempts,
                given_up: sum.given_up + one.given_up,
            })
    }

    /// The counters of `event` now.
    pub fn of(&self, event: Event) -> StatsSnapshot {
        let counts = &self.by_event[event.index()];
        StatsSnapshot {
            delivered: counts.delivered.load(Ordering::Relaxed),
            failed_attempts: counts.failed_attempts.load(Ordering::Relaxed),
            given_up: counts.given_up.load(Ordering::Relaxed),
        }
    }

    /// Counts one outcome of a delivery of `event`.
    pub(crate) fn count(&self, event: Event, counted: Counted) {
        let counts = &self.by_event[event.index()];
        let counter = match counted {
            Counted::Delivered => &counts.delivered,
            Counted::FailedAttempt => &counts.failed_attempts,
            Counted::GivenUp => &counts.given_up,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The webhook sender of one process: prepared with the other parts, started last.
pub(crate) struct Webhooks {
    stats: Arc<WebhookStats>,
    sender: Option<dispatch::Sender>,
    task: Option<JoinHandle<()>>,
}

impl Webhooks {
    /// Checks `config` and notes the newest change so far: a URL no replica has delivered
    /// to yet gets the changes from then on, not the whole history. Call it before making
    /// changes of its own (`MAINTENANCE_MODE`) that should be delivered.
    ///
    /// `chat` writes the messages of URLs with `format=slack`.
    ///
    /// # Errors
    /// The settings do not go together ([`WebhookConfig::check`]), or the database fails.
    pub async fn prepare(
        config: &WebhookConfig,
        service: &StateService,
        chat: Chat,
    ) -> anyhow::Result<Self> {
        config.check().map_err(anyhow::Error::msg)?;
        let stats = Arc::new(WebhookStats::default());
        let sender = if config.webhooks.is_empty() {
            None
        } else {
            Some(
                dispatch::Sender::new(
                    service,
                    &config.webhooks,
                    config.webhook_secret.as_ref(),
                    config.webhook_retry,
                    &config.remind_before,
                    Arc::clone(&stats),
                    chat,
                )
                .await?,
            )
        };
        Ok(Webhooks {
            stats,
            sender,
            task: None,
        })
    }

    /// Starts sending in the background, looking for changes at least every `poll`; nothing
    /// when no webhook is set.
    #[must_use]
    pub fn start(mut self, poll: Duration) -> Self {
        if let Some(sender) = self.sender.take() {
            self.task = Some(tokio::spawn(sender.run(poll)));
        }
        self
    }

    /// The counters.
    pub fn stats(&self) -> Arc<WebhookStats> {
        Arc::clone(&self.stats)
    }

    /// Stops sending. An attempt cut short keeps its claim until the claim lapses; then
    /// another replica (or this one, restarted) makes it again.
    pub fn stop(&self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhooks")
            .field("running", &self.task.is_some())
            .field("stats", &self.stats.snapshot())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_or_https_with_a_host() {
        for good in [
            "http://127.0.0.1:9000/hook",
            "https://hooks.example.com/downtime?token=abc",
            "  https://user:pw@example.com/  ",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ftp://example.com/hook",
            "file:///etc/passwd",
            "example.com/hook",
            "https://example.com/hook#part",
            "http://",
            "",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn shown_urls_lose_their_credentials_and_query() {
        let url = WebhookUrl::parse("https://ops:s3cret@hooks.example.com:8443/in?token=t0ken")
            .expect("url");
        assert_eq!(url.endpoint(), "https://hooks.example.com:8443/in");
        for shown in [url.to_string(), format!("{url:?}")] {
            assert!(
                !shown.contains("s3cret") && !shown.contains("t0ken"),
                "{shown}"
            );
        }
        let refused = WebhookUrl::parse("gopher://x/?token=t0ken").expect_err("refused");
        assert!(!refused.contains("t0ken"), "{refused}");
    }

    #[test]
    fn a_webhook_needs_a_long_secret() {
        let url = WebhookUrl::parse("https://example.com/hook").expect("url");
        let mut config = WebhookConfig::default();
        assert_eq!(config.check(), Ok(()));
        config.webhooks = vec![url.into()];
        assert!(
            config
                .check()
                .is_err_and(|e| e.contains("--webhook-secret"))
        );
        config.webhook_secret = Some(SecretString::from("short"));
        assert!(config.check().is_err_and(|e| e.contains("32 characters")));
        config.webhook_secret = Some(SecretString::from("x".repeat(32)));
        assert_eq!(config.check(), Ok(()));
        config.webhook_retry.timeout = Duration::ZERO;
        assert!(config.check().is_err());
        let alone = WebhookConfig {
            webhook_secret: Some(SecretString::from("t00 short")),
            ..WebhookConfig::default()
        };
        assert!(alone.check().is_err_and(|e| !e.contains("t00 short")));
    }

    #[test]
    fn a_url_with_a_secret_of_its_own_needs_no_shared_one_and_its_own_is_long() {
        let url = |u: &str| WebhookUrl::parse(u).expect("url");
        let own = Webhook::new(url("https://a.example/hook?token=t0ken"))
            .with_secret(SecretString::from("y".repeat(32)));
        let mut config = WebhookConfig {
            webhooks: vec![own.clone()],
            ..WebhookConfig::default()
        };
        assert_eq!(config.check(), Ok(()));

        // Another URL without one still needs the shared secret.
        config.webhooks.push(url("https://b.example/hook").into());
        assert!(
            config
                .check()
                .is_err_and(|e| e.contains("https://b.example/hook has none"))
        );
        config.webhook_secret = Some(SecretString::from("x".repeat(32)));
        assert_eq!(config.check(), Ok(()));

        // A short secret of its own is refused, naming the URL without its query.
        config.webhooks[0] = own.clone().with_secret(SecretString::from("sh0rt-s3cret"));
        let error = config.check().expect_err("too short");
        assert!(
            error.starts_with("--webhook https://a.example/hook: "),
            "{error}"
        );
        assert!(error.contains("32 characters"), "{error}");
        assert!(
            !error.contains("s3cret") && !error.contains("t0ken"),
            "{error}"
        );

        // A URL given twice: the same options are one receiver, others are a mistake.
        config.webhooks = vec![own.clone(), own.clone()];
        assert_eq!(config.check(), Ok(()));
        config.webhooks[1] = own.clone().with_secret(SecretString::from("z".repeat(32)));
        assert!(config.check().is_err_and(|e| e.contains("given twice")));
        config.webhooks[1] = Webhook {
            events: std::collections::BTreeSet::new(),
            ..own
        };
        assert!(config.check().is_err_and(|e| e.contains("no event")));
    }

    #[test]
    fn pauses_double_up_to_the_maximum() {
        let retry = Retry::default();
        let pauses: Vec<u64> = (1..=9).map(|n| retry.delay(n).as_secs()).collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
        assert_eq!(retry.delay(u32::MAX), retry.max_delay);
    }
}
