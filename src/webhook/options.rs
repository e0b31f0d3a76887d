//! One `--webhook` entry: a receiver's URL and the options it has of its own.
//!
//! An entry is the URL, then any options as `NAME=VALUE` words, separated by spaces:
//!
//! ```text
//! https://hooks.example.com/a secret=env:HOOK_A_SECRET format=json events=maintenance.changed
//! ```
//!
//! | option   | values                                                    | default            |
//! |----------|-----------------------------------------------------------|--------------------|
//! | `secret` | `env:NAME`, `file:PATH` ([`Webhook::parse`])              | `--webhook-secret` |
//! | `format` | [`Format`]: `json`, `slack`                               | `json`             |
//! | `events` | [`Event`]s, comma-separated: `maintenance.started,maintenance.ended` | all |
//!
//! One value may hold several entries (as `DOWNTIME_WEBHOOKS` does): a comma followed by
//! `http://` or `https://` starts the next one, so the commas of a list inside an entry stay
//! in it ([`Webhook::parse_list`]).
//!
//! A secret is named, never written, in an entry: command lines are visible to every user of
//! the machine (`ps`), and an entry is what a typo makes clap print back. Errors here name the
//! URL by its endpoint (without credentials or query), an option by its name, and never repeat
//! a secret's value.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt;
use std::str::FromStr;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use secrecy::SecretString;

use super::{Event, WebhookUrl};

/// How a delivery's body is written, chosen per URL with `format=`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The signed JSON payload ([`super::Payload`]): `json`.
    #[default]
    Json,
    /// A chat message for Slack-compatible incoming webhooks (Slack, Mattermost,
    /// Rocket.Chat): `{"text": …}` in the pages' default language, signed all the same:
    /// `slack`.
    Slack,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 2] = [Format::Json, Format::Slack];

    /// The format's name.
    pub const fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Slack => "slack",
        }
    }

    /// The `Content-Type` of a body in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Json | Format::Slack => "application/json",
        }
    }
}

/// The one value of `all` named `value`, or a message listing the names there are.
fn named<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    what: &str,
    value: &str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|v| name(*v) == value)
        .ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            format!("unknown {what} `{value}` (known: {})", known.join(", "))
        })
}

impl FromStr for Event {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        named(&Event::ALL, Event::name, "event", value)
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        named(&Format::ALL, Format::name, "format", value)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The option names an entry takes.
const OPTIONS: [&str; 3] = ["secret", "format", "events"];

/// A receiver and its own options: one `--webhook` entry.
#[derive(Clone, Debug)]
pub struct Webhook {
    /// Where deliveries are POSTed.
    pub url: WebhookUrl,
    /// The key its deliveries are signed with (32 characters or more); `None` signs them with
    /// `--webhook-secret`.
    pub secret: Option<SecretString>,
    /// How bodies are written (default [`Format::Json`]).
    pub format: Format,
    /// What it is sent (default: every [`Event`]); an empty set is refused by
    /// [`super::WebhookConfig::check`].
    pub events: BTreeSet<Event>,
}

impl Webhook {
    /// `url` with the defaults: the shared secret, JSON, every event.
    pub fn new(url: WebhookUrl) -> Self {
        Webhook {
            url,
            secret: None,
            format: Format::default(),
            events: BTreeSet::from(Event::ALL),
        }
    }

    /// Signs this URL's deliveries with `secret` rather than the shared one.
    #[must_use]
    pub fn with_secret(mut self, secret: SecretString) -> Self {
        self.secret = Some(secret);
        self
    }

    /// Parses one entry (`URL [NAME=VALUE]…`), reading its secret from where `secret=` says:
    /// `env:NAME`, an environment variable's value; `file:PATH`, a file's content without one
    /// final line break (`\n` or `\r\n`). A secret's value in the entry itself is refused.
    ///
    /// ```
    /// use downtime::webhook::{Event, Format, Webhook};
    ///
    /// let hook = Webhook::parse("https://hooks.example.com/a format=json events=maintenance.changed")?;
    /// assert_eq!(hook.url.as_str(), "https://hooks.example.com/a");
    /// assert_eq!(hook.format, Format::Json);
    /// assert!(hook.events.contains(&Event::MaintenanceChanged));
    /// assert!(hook.secret.is_none()); // signed with --webhook-secret
    ///
    /// assert!(Webhook::parse("https://hooks.example.com/a colour=red").is_err());
    /// assert!(Webhook::parse("https://hooks.example.com/a secret=s3cret").is_err());
    /// # Ok::<(), String>(())
    /// ```
    ///
    /// # Errors
    /// One line: the URL's problem, or the option's, naming the URL by its endpoint; never
    /// the secret's value.
    pub fn parse(entry: &str) -> Result<Self, String> {
        parse_entry(entry, &read_env)
    }

    /// Parses one value holding one entry or several, separated by commas: a comma followed
    /// by `http://` or `https://` (after any spaces) starts the next entry.
    ///
    /// # Errors
    /// The first entry's problem ([`Webhook::parse`]).
    pub fn parse_list(value: &str) -> Result<Vec<Self>, String> {
        split_entries(value)
            .into_iter()
            .map(Webhook::parse)
            .collect()
    }

    /// Whether `other` is the same URL with the same options (secret included).
    pub(super) fn same_as(&self, other: &Webhook) -> bool {
        use secrecy::ExposeSecret as _;
        let secret = |w: &Webhook| w.secret.as_ref().map(|s| s.expose_secret().to_owned());
        self.url == other.url
            && self.format == other.format
            && self.events == other.events
            && secret(self) == secret(other)
    }
}

impl From<WebhookUrl> for Webhook {
    fn from(url: WebhookUrl) -> Self {
        Webhook::new(url)
    }
}

/// An environment variable's value, for `secret=env:NAME`.
type Env<'a> = &'a dyn Fn(&str) -> Result<String, String>;

fn read_env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|e| match e {
        std::env::VarError::NotPresent => "is not set".to_owned(),
        std::env::VarError::NotUnicode(_) => "is not UTF-8".to_owned(),
    })
}

fn parse_entry(entry: &str, env: Env<'_>) -> Result<Webhook, String> {
    let mut words = entry.split_whitespace();
    let mut webhook = Webhook::new(WebhookUrl::parse(words.next().unwrap_or_default())?);
    let endpoint = webhook.url.endpoint();
    let refuse = |why: String| format!("--webhook {endpoint}: {why}");
    let mut seen: Vec<&str> = Vec::new();
    for word in words {
        // Neither the word nor its value is repeated: it may be a secret pasted by mistake.
        let Some((name, value)) = word.split_once('=') else {
            return Err(refuse(format!(
                "options follow the URL as NAME=VALUE, separated by spaces ({})",
                OPTIONS.join(", ")
            )));
        };
        if !OPTIONS.contains(&name) {
            let shown = if looks_like_a_name(name) {
                format!("unknown option `{name}`")
            } else {
                "an unknown option".to_owned()
            };
            return Err(refuse(format!("{shown} (options: {})", OPTIONS.join(", "))));
        }
        if seen.contains(&name) {
            return Err(refuse(format!("`{name}` is given twice")));
        }
        seen.push(name);
        match name {
            "secret" => webhook.secret = Some(secret(value, env).map_err(refuse)?),
            "format" => webhook.format = value.parse().map_err(refuse)?,
            _ => webhook.events = events(value).map_err(refuse)?,
        }
    }
    Ok(webhook)
}

/// Short, lowercase, like the names there are: safe to show back.
fn looks_like_a_name(name: &str) -> bool {
    (1..=16).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_')
}

fn secret(value: &str, env: Env<'_>) -> Result<SecretString, String> {
    if let Some(name) = value.strip_prefix("env:") {
        if name.is_empty() {
            return Err("secret=env: needs a variable's name".to_owned());
        }
        return env(name)
            .map(SecretString::from)
            .map_err(|why| format!("secret=env:{name}: the variable {why}"));
    }
    if let Some(path) = value.strip_prefix("file:") {
        if path.is_empty() {
            return Err("secret=file: needs a file's path".to_owned());
        }
        let content = std::fs::read_to_string(path)
            .map_err(|e| format!("secret=file:{path}: cannot read it ({e})"))?;
        let content = content.strip_suffix('\n').map_or(content.as_str(), |line| {
            line.strip_suffix('\r').unwrap_or(line)
        });
        return Ok(SecretString::from(content.to_owned()));
    }
    Err("secret= takes env:NAME or file:PATH, never the secret itself".to_owned())
}

fn events(value: &str) -> Result<BTreeSet<Event>, String> {
    if value.split(',').any(str::is_empty) {
        return Err("events= lists event names separated by commas".to_owned());
    }
    value.split(',').map(str::parse).collect()
}

/// Cuts a value at each comma that starts an entry: one followed by `http://` or `https://`.
fn split_entries(value: &str) -> Vec<&str> {
    let mut entries = Vec::new();
    let mut start = 0;
    for (at, _) in value.match_indices(',') {
        let rest = value[at + 1..].trim_start().as_bytes();
        let starts_a_url = ["http://", "https://"].iter().any(|scheme| {
            rest.get(..scheme.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(scheme.as_bytes()))
        });
        if starts_a_url {
            entries.push(&value[start..at]);
            start = at + 1;
        }
    }
    entries.push(&value[start..]);
    entries
}

/// The entries one `--webhook` flag (or `DOWNTIME_WEBHOOKS`) holds.
#[derive(Clone, Debug)]
pub(super) struct Entries(pub(super) Vec<Webhook>);

/// clap's parser for `--webhook`: its errors are the message alone, without the value clap
/// would otherwise print beside it.
#[derive(Clone, Copy, Debug)]
pub(super) struct EntriesParser;

impl TypedValueParser for EntriesParser {
    type Value = Entries;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Entries, clap::Error> {
        value
            .to_str()
            .ok_or_else(|| "--webhook: not UTF-8".to_owned())
            .and_then(Webhook::parse_list)
            .map(Entries)
            .map_err(|why| {
                clap::Error::raw(ErrorKind::ValueValidation, format!("{why}\n")).with_cmd(cmd)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret as _;

    const LONG: &str = "a-secret-of-32-characters-or-more";

    fn env(name: &str) -> Result<String, String> {
        match name {
            "HOOK_A_SECRET" => Ok(LONG.to_owned()),
            _ => Err("is not set".to_owned()),
        }
    }

    fn parse(entry: &str) -> Result<Webhook, String> {
        parse_entry(entry, &env)
    }

    #[test]
    fn a_bare_url_takes_the_defaults() {
        let hook = parse("  https://hooks.example.com/a  ").expect("entry");
        assert_eq!(hook.url.as_str(), "https://hooks.example.com/a");
        assert!(hook.secret.is_none());
        assert_eq!(hook.format, Format::Json);
        assert_eq!(hook.events, BTreeSet::from(Event::ALL));
    }

    #[test]
    fn options_follow_the_url_in_any_order() {
        let hook = parse(
            "https://hooks.example.com/a events=maintenance.changed,maintenance.changed  format=json\tsecret=env:HOOK_A_SECRET",
        )
        .expect("entry");
        assert_eq!(hook.format, Format::Json);
        assert_eq!(hook.events, BTreeSet::from([Event::MaintenanceChanged]));
        let secret = hook.secret.expect("a secret of its own");
        assert_eq!(secret.expose_secret(), LONG);
    }

    #[test]
    fn a_secret_is_read_from_a_file_without_its_final_line_break() {
        let dir = tempfile::tempdir().expect("dir");
        for (content, expected) in [
            ("s3cret\n", "s3cret"),
            ("s3cret\r\n", "s3cret"),
            ("s3cret", "s3cret"),
            ("s3cret \n\n", "s3cret \n"),
        ] {
            let path = dir.path().join("secret");
            std::fs::write(&path, content).expect("write");
            let hook = parse(&format!(
                "https://h.example/a secret=file:{}",
                path.display()
            ))
            .expect("entry");
            let secret = hook.secret.expect("secret");
            assert_eq!(secret.expose_secret(), expected, "{content:?}");
        }
    }

    #[test]
    fn bad_entries_are_refused_in_one_line_that_never_shows_a_secret() {
        let cases = [
            ("ftp://h.example/a", "only http and https"),
            ("https://h.example/a colour=red", "unknown option `colour`"),
            ("https://h.example/a Zm9vYmFyCg=x", "an unknown option"),
            ("https://h.example/a s3cret", "NAME=VALUE"),
            (
                "https://h.example/a format=xml",
                "unknown format `xml` (known: json, slack)",
            ),
            ("https://h.example/a format=", "unknown format ``"),
            (
                "https://h.example/a events=maintenance.begun",
                "unknown event `maintenance.begun` (known: maintenance.changed, maintenance.scheduled, maintenance.reminder, maintenance.started, maintenance.ended)",
            ),
            ("https://h.example/a events=", "separated by commas"),
            (
                "https://h.example/a events=maintenance.changed,",
                "separated by commas",
            ),
            (
                "https://h.example/a format=json format=json",
                "`format` is given twice",
            ),
            (
                "https://h.example/a secret=s3cret-literal",
                "env:NAME or file:PATH",
            ),
            (
                "https://h.example/a secret=env:NOPE",
                "secret=env:NOPE: the variable is not set",
            ),
            ("https://h.example/a secret=env:", "a variable's name"),
            (
                "https://h.example/a secret=file:/nonexistent/s3cret",
                "cannot read it",
            ),
            ("https://h.example/a secret=file:", "a file's path"),
        ];
        for (entry, expected) in cases {
            let error = parse(entry).expect_err(entry);
            assert!(error.contains(expected), "{entry}: {error}");
            assert_eq!(error.lines().count(), 1, "{error}");
            let shown = error.replace("/nonexistent/s3cret", "");
            assert!(!shown.contains("s3cret"), "{entry}: {error}");
        }
        // The URL is named by its endpoint: without credentials or query.
        let error = parse("https://u:pw@h.example/a?token=t0ken colour=red").expect_err("refused");
        assert!(
            error.starts_with("--webhook https://h.example/a: "),
            "{error}"
        );
        assert!(
            !error.contains("t0ken") && !error.contains("pw@"),
            "{error}"
        );
    }

    #[test]
    fn a_value_holds_entries_separated_by_commas_before_a_url() {
        let value = "https://a.example/hook events=maintenance.changed,maintenance.changed, HTTPS://b.example/x,y,http://c.example/";
        assert_eq!(
            split_entries(value),
            [
                "https://a.example/hook events=maintenance.changed,maintenance.changed",
                " HTTPS://b.example/x,y",
                "http://c.example/",
            ]
        );
        let hooks = Webhook::parse_list(value).expect("entries");
        let urls: Vec<&str> = hooks.iter().map(|h| h.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://a.example/hook",
                "https://b.example/x,y",
                "http://c.example/"
            ]
        );
        assert_eq!(split_entries("https://a.example/"), ["https://a.example/"]);
    }

    #[test]
    fn names_parse_back() {
        for event in Event::ALL {
            assert_eq!(event.name().parse::<Event>(), Ok(event));
        }
        for format in Format::ALL {
            assert_eq!(format.name().parse::<Format>(), Ok(format));
        }
    }
}
