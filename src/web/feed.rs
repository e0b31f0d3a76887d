//! `/maintenance/feed.atom`: the upcoming and recent maintenance windows, as an Atom feed for
//! status pages and feed readers, read from the audit log.

use atom_syndication::{Entry, Feed, FixedDateTime, Link, Text};
use chrono::{DateTime, SecondsFormat, Utc};
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Response, handler};

use crate::state::{AuditEntry, StateService};

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

/// The feed: one entry per change of the state, the newest first. 503 while the database is
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
    let feed = feed(&source, &changes);
    Response::builder()
        .content_type("application/atom+xml; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=60")
        .body(feed.to_string())
}

fn feed(source: &FeedSource, changes: &[AuditEntry]) -> Feed {
    let mut feed = Feed::default();
    feed.set_id(source.self_url.clone());
    feed.set_title(Text::plain(format!("Maintenance of {}", source.site_url)));
    feed.set_updated(fixed(
        changes.first().map_or(DateTime::UNIX_EPOCH, |c| c.at),
    ));
    feed.set_links(vec![
        link(&source.self_url, "self"),
        link(&source.site_url, "alternate"),
    ]);
    feed.set_entries(
        changes
            .iter()
            .map(|change| entry(&source.self_url, change))
            .collect::<Vec<_>>(),
    );
    feed
}

fn entry(feed_url: &str, change: &AuditEntry) -> Entry {
    let window = &change.after.window;
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let until = window.ends_at.map_or_else(
        || "until further notice".to_owned(),
        |end| format!("until {}", stamp(end)),
    );
    let title = match (window.enabled, window.starts_at) {
        (false, _) => "Maintenance over".to_owned(),
        (true, Some(start)) => format!("Maintenance scheduled from {} {until}", stamp(start)),
        (true, None) => format!("Maintenance {until}"),
    };
    let mut entry = Entry::default();
    entry.set_id(format!("{feed_url}#v{}", change.version));
    entry.set_title(Text::plain(title));
    entry.set_updated(fixed(change.at));
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
