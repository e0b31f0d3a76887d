//! `/maintenance/feed.atom`: the upcoming and recent maintenance windows, as an Atom feed for
//! status pages and feed readers, read from the audit log: an entry per change, and one for
//! each start and end the clock made between changes, as the [timeline] names them (the same
//! starts and ends the webhooks tell).

use atom_syndication::{Entry, Feed, FixedDateTime, Link, Text};
use chrono::{DateTime, SecondsFormat, Utc};
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Response, handler};

use crate::state::timeline::{self, Event, Occurrence};
use crate::state::{AuditEntry, MaintenanceState, Phase, StateService, Window};

/// How many changes the feed lists, newest first.
const ENTRIES: u64 = 50;

/// What the feed handler needs besides the state: its own URL, for the feed's id and links.
#[derive(Clone, Debug)]
pub struct FeedSource {
    /// The state, whose audit log the entries come from.
    pub service: StateService,
    /// The feed's absolute URL (`https://example.com/maintenance/feed.atom`).
    pub self_url: String,
    /// The site's base URL, for the feed's title and alternate link.
    pub site_url: String,
}

/// The feed: one entry per change of the state and per start or end by the clock, the newest
/// first. 503 while the database is
/// away (the feed is no part of the request path).
#[handler]
pub async fn feed_atom(source: Data<&FeedSource>) -> Response {
    let changes = match source.service.history(ENTRIES, None).await {
        Ok(changes) => changes,
        Err(error) => {
            tracing::warn!(target: "downtime::page", %error, "cannot read the audit log for the feed");
            return Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .header(header::RETRY_AFTER, "30")
                .finish();
        }
    };
    let feed = feed(&source, &changes, Utc::now());
    Response::builder()
        .content_type("application/atom+xml; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=60")
        .body(feed.to_string())
}

fn feed(source: &FeedSource, changes: &[AuditEntry], now: DateTime<Utc>) -> Feed {
    // Each change's window ran until the next change (the one before it here, newest first).
    let until = std::iter::once(now).chain(changes.iter().map(|c| c.at));
    let mut entries: Vec<Entry> = changes
        .iter()
        .zip(until)
        .flat_map(|(change, until)| {
            let clock = by_clock(&change.after, until)
                .map(|made| clock_entry(&source.self_url, &change.after.window, &made));
            std::iter::once(change_entry(&source.self_url, change)).chain(clock)
        })
        .collect();
    entries.sort_by_key(|entry| std::cmp::Reverse(*entry.updated()));
    let mut feed = Feed::default();
    feed.set_id(source.self_url.clone());
    feed.set_title(Text::plain(format!("Maintenance of {}", source.site_url)));
    feed.set_updated(
        entries
            .first()
            .map_or_else(|| fixed(DateTime::UNIX_EPOCH), |e| *e.updated()),
    );
    feed.set_links(vec![
        link(&source.self_url, "self"),
        link(&source.site_url, "alternate"),
    ]);
    feed.set_entries(entries);
    feed
}

/// The starts and ends the clock made of `state` before `until` (reminders are the webhooks'
/// alone: a feed reader sees the scheduled entry).
fn by_clock(state: &MaintenanceState, until: DateTime<Utc>) -> impl Iterator<Item = Occurrence> {
    timeline::of_clock(state, until, &[])
        .into_iter()
        .filter(|made| {
            matches!(
                made.event,
                Event::MaintenanceStarted | Event::MaintenanceEnded
            )
        })
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn until(window: &Window) -> String {
    window.ends_at.map_or_else(
        || "until further notice".to_owned(),
        |end| format!("until {}", stamp(end)),
    )
}

/// An entry for a change, titled by what it did: scheduled, started or ended a window, or
/// changed one.
fn change_entry(feed_url: &str, change: &AuditEntry) -> Entry {
    let window = &change.after.window;
    let made = timeline::of_change(change);
    let did = |event| made.iter().any(|m| m.event == event);
    let title = if did(Event::MaintenanceEnded) || !window.enabled {
        "Maintenance over".to_owned()
    } else if did(Event::MaintenanceStarted) {
        format!("Maintenance started, {}", until(window))
    } else {
        match (change.after.phase(change.at), window.starts_at) {
            (Phase::Scheduled, Some(start)) => {
                format!(
                    "Maintenance scheduled from {} {}",
                    stamp(start),
                    until(window)
                )
            }
            (Phase::Ended, _) => "Maintenance over".to_owned(),
            _ => format!("Maintenance {}", until(window)),
        }
    };
    entry(
        format!("{feed_url}#v{}", change.version),
        title,
        change.at,
        window,
    )
}

/// An entry for a start or an end the clock made.
fn clock_entry(feed_url: &str, window: &Window, made: &Occurrence) -> Entry {
    let title = if made.event == Event::MaintenanceStarted {
        format!("Maintenance started, {}", until(window))
    } else {
        "Maintenance over".to_owned()
    };
    entry(format!("{feed_url}#{}", made.key), title, made.at, window)
}

fn entry(id: String, title: String, at: DateTime<Utc>, window: &Window) -> Entry {
    let mut entry = Entry::default();
    entry.set_id(id);
    entry.set_title(Text::plain(title));
    entry.set_updated(fixed(at));
    if window.enabled
        && let Some(message) = &window.message
    {
        entry.set_summary(Some(Text::plain(message.clone())));
    }
    entry
}

fn link(href: &str, rel: &str) -> Link {
    let mut link = Link::default();
    link.set_href(href);
    link.set_rel(rel);
    link
}

fn fixed(at: DateTime<Utc>) -> FixedDateTime {
    at.fixed_offset()
}
