//! What the console's template shows: the view, and the form as the superuser last sent it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::bypass::{BypassLink, LinkStatus};
use crate::http::SiteUrls;
use crate::state::{MaintenanceState, Phase, Window};

use super::form::StateForm;
use super::{DEFAULT_TTL_SECS, TTLS};

/// The values in the settings form: the state's, or what was sent when it was refused.
#[derive(Clone, Debug, Default, Serialize)]
pub(super) struct FormValues {
    /// `full`, `read_only` or `hold`, as the select sends it.
    pub(super) mode: String,
    pub(super) message: String,
    pub(super) starts_at: String,
    pub(super) ends_at: String,
    pub(super) scope: String,
    pub(super) open_paths: String,
    pub(super) allowed_ips: String,
    pub(super) status_code: String,
    pub(super) retry_after: String,
    pub(super) hold_timeout: String,
    pub(super) reason: String,
}

impl FormValues {
    pub(super) fn of(window: &Window) -> Self {
        let lines = |items: &[String]| items.join("\n");
        FormValues {
            mode: window.mode.as_str().to_owned(),
            message: window.message.clone().unwrap_or_default(),
            starts_at: window.starts_at.map(local_input).unwrap_or_default(),
            ends_at: window.ends_at.map(local_input).unwrap_or_default(),
            scope: lines(&window.scope),
            open_paths: lines(&window.open_paths),
            allowed_ips: window
                .allowed_ips
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
            status_code: window.status_code.to_string(),
            retry_after: window.retry_after_secs.to_string(),
            hold_timeout: window.hold_timeout_secs.to_string(),
            reason: String::new(),
        }
    }

    pub(super) fn sent(form: &StateForm) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        FormValues {
            mode: text(&form.mode),
            message: text(&form.message),
            starts_at: text(&form.starts_at),
            ends_at: text(&form.ends_at),
            scope: text(&form.scope),
            open_paths: text(&form.open_paths),
            allowed_ips: text(&form.allowed_ips),
            status_code: text(&form.status_code),
            retry_after: text(&form.retry_after),
            hold_timeout: text(&form.hold_timeout),
            reason: text(&form.reason),
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct TtlOption {
    pub(super) secs: u64,
    pub(super) key: &'static str,
    pub(super) count: u64,
    pub(super) selected: bool,
}

#[derive(Debug, Serialize)]
pub(super) struct LinkRow {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) status_key: &'static str,
    pub(super) active: bool,
    pub(super) until: String,
    pub(super) created_by: String,
}

#[derive(Debug, Serialize)]
pub(super) struct HistoryRow {
    pub(super) at: String,
    pub(super) actor: String,
    pub(super) what_key: &'static str,
    pub(super) version: i64,
    pub(super) reason: String,
}

/// Everything the template shows.
#[derive(Debug, Default, Serialize)]
pub(super) struct View {
    pub(super) who: String,
    pub(super) csrf: String,
    pub(super) logout_url: String,
    pub(super) state_url: String,
    pub(super) bypass_url: String,
    pub(super) revoke_url: String,
    pub(super) show_controls: bool,
    pub(super) phase: &'static str,
    pub(super) start: String,
    pub(super) version: i64,
    pub(super) updated_by: String,
    pub(super) updated_at: String,
    pub(super) form: FormValues,
    pub(super) notice: Option<&'static str>,
    pub(super) error: Option<&'static str>,
    pub(super) error_version: i64,
    pub(super) error_detail: String,
    pub(super) new_link: Option<String>,
    pub(super) links: Vec<LinkRow>,
    pub(super) history: Vec<HistoryRow>,
    pub(super) ttl_options: Vec<TtlOption>,
    pub(super) no_login: Option<NoLogin>,
}

/// What to do on a site where nobody can log in: the flags that configure a provider, and
/// the commands that work without one.
#[derive(Debug, Serialize)]
pub(super) struct NoLogin {
    /// The flags to add to `downtime serve`.
    pub(super) serve: String,
    /// The redirect URI to register at the provider.
    pub(super) callback: String,
    /// Commands that switch maintenance and hand out bypass links without a login.
    pub(super) cli: [&'static str; 3],
}

impl NoLogin {
    pub(super) fn new(urls: &SiteUrls) -> Self {
        NoLogin {
            serve: format!(
                "--oidc-issuer https://id.example.com --oidc-client-id downtime \
                 --oidc-client-secret CLIENT_SECRET --base-url {} \
                 --superuser-emails you@example.com",
                urls.base_url
            ),
            callback: urls.own("/auth/callback"),
            cli: [
                "downtime on --for 45m",
                "downtime off",
                "downtime bypass create --ttl 2h --label QA",
            ],
        }
    }
}

/// A view with every part filled in, which the page check at start renders in every language.
pub(super) fn sample_view() -> View {
    let now = Utc::now();
    let mut state = MaintenanceState::initial();
    state.window.enabled = true;
    state.window.starts_at = Some(now + chrono::TimeDelta::hours(1));
    let mut view = View {
        who: "ops@example.com".into(),
        show_controls: true,
        notice: Some("admin-notice-saved"),
        error: Some("admin-error-stale"),
        new_link: Some("https://example.com/auth/bypass?token=x".into()),
        no_login: Some(NoLogin::new(&SiteUrls {
            base_url: "https://example.com".into(),
            prefix: String::new(),
        })),
        ..View::default()
    };
    view.show_state(&state, now);
    view.ttl_options = ttl_options();
    view.links = vec![link_row(
        BypassLink {
            id: "0123456789abcdef".into(),
            label: Some("QA".into()),
            created_by: "ops@example.com".into(),
            created_at: now,
            expires_at: now,
            revoked_by: None,
            revoked_at: None,
        },
        now,
    )];
    view.history = vec![HistoryRow {
        at: stamp(now),
        actor: "ops@example.com".into(),
        what_key: "admin-history-on",
        version: 2,
        reason: String::new(),
    }];
    view
}

impl View {
    pub(super) fn show_state(&mut self, state: &MaintenanceState, now: DateTime<Utc>) {
        self.phase = match state.phase(now) {
            Phase::Off => "off",
            Phase::Scheduled => "scheduled",
            Phase::Active => "active",
            Phase::Ended => "ended",
        };
        self.start = state.window.starts_at.map(stamp).unwrap_or_default();
        self.version = state.version;
        self.updated_by.clone_from(&state.updated_by);
        self.updated_at = stamp(state.updated_at);
        self.form = FormValues::of(&state.window);
    }
}

pub(super) fn ttl_options() -> Vec<TtlOption> {
    TTLS.iter()
        .map(|&(secs, key, count)| TtlOption {
            secs,
            key,
            count,
            selected: secs == DEFAULT_TTL_SECS,
        })
        .collect()
}

pub(super) fn link_row(link: BypassLink, now: DateTime<Utc>) -> LinkRow {
    let status = link.status(now);
    LinkRow {
        status_key: match status {
            LinkStatus::Active => "admin-bypass-active",
            LinkStatus::Expired => "admin-bypass-expired",
            LinkStatus::Revoked => "admin-bypass-revoked",
        },
        active: status == LinkStatus::Active,
        until: stamp(link.expires_at),
        label: link.label.unwrap_or_default(),
        created_by: link.created_by,
        id: link.id,
    }
}

/// A time as the page shows it: `2026-12-01 02:00 UTC`.
pub(super) fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A time as a `datetime-local` input holds it (the page labels these UTC).
pub(super) fn local_input(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}
