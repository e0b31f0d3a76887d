//! `/maintenance/admin`: the switch in a browser, for superusers logged in through `/auth`.
//!
//! Plain HTML forms, no script (its Content-Security-Policy allows none). Every form carries
//! the session's CSRF token; the state forms also carry the version they were made from, so a
//! form made before someone else's change is refused (409) and changes nothing. Writes go
//! through the same services as the API and the CLI: validated, stored, audited, followed by
//! every replica.

mod console;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Form};
use poem::{EndpointExt as _, IntoResponse, Request, Response, Route, get, handler, post};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use crate::auth::{Auth, SessionUser};
use crate::bypass::{BypassError, BypassLink, BypassLinks, LinkRequest, LinkStatus};
use crate::http::{path_as_query_value, query_param};
use crate::state::{
    Change, DEFAULT_RETRY_AFTER_SECS, DEFAULT_STATUS_CODE, MaintenanceState, Mode, Phase,
    StateService, Window, WindowInput, WriteError,
};
pub use console::Console;

/// Where the page lives, under downtime's prefix.
pub const PATH: &str = "/maintenance/admin";
/// How many changes the history shows.
const HISTORY: u64 = crate::state::DEFAULT_HISTORY;
/// The lifetimes offered for a new bypass link: (seconds, message, count).
const TTLS: [(u64, &str, u64); 6] = [
    (3600, "duration-hours", 1),
    (2 * 3600, "duration-hours", 2),
    (8 * 3600, "duration-hours", 8),
    (24 * 3600, "duration-days", 1),
    (3 * 24 * 3600, "duration-days", 3),
    (7 * 24 * 3600, "duration-days", 7),
];
const DEFAULT_TTL_SECS: u64 = 2 * 3600;

/// What the admin page works with.
#[derive(Clone)]
pub struct Admin {
    /// Who is logged in.
    pub auth: Auth,
    /// The state.
    pub service: StateService,
    /// The bypass links.
    pub bypass: BypassLinks,
    /// The console's renderer (and through it the visitor pages' languages and logo).
    pub console: Arc<Console>,
}

/// The page and its forms, to be mounted at [`PATH`] under downtime's prefix.
pub fn routes(admin: Admin) -> Route {
    let admin = Arc::new(admin);
    Route::new()
        .at("/", get(show).data(Arc::clone(&admin)))
        .at("/state", post(change_state).data(Arc::clone(&admin)))
        .at("/bypass", post(create_link).data(Arc::clone(&admin)))
        .at("/bypass/revoke", post(revoke_link).data(admin))
}

/// The values in the settings form: the state's, or what was sent when it was refused.
#[derive(Clone, Debug, Default, Serialize)]
struct FormValues {
    enabled: bool,
    read_only: bool,
    message: String,
    starts_at: String,
    ends_at: String,
    scope: String,
    open_paths: String,
    allowed_ips: String,
    status_code: String,
    retry_after: String,
    reason: String,
}

impl FormValues {
    fn of(window: &Window) -> Self {
        let lines = |items: &[String]| items.join("\n");
        FormValues {
            enabled: window.enabled,
            read_only: window.mode == Mode::ReadOnly,
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
            reason: String::new(),
        }
    }

    fn sent(form: &StateForm) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        FormValues {
            enabled: form.enabled.is_some(),
            read_only: form.mode.as_deref() == Some("read_only"),
            message: text(&form.message),
            starts_at: text(&form.starts_at),
            ends_at: text(&form.ends_at),
            scope: text(&form.scope),
            open_paths: text(&form.open_paths),
            allowed_ips: text(&form.allowed_ips),
            status_code: text(&form.status_code),
            retry_after: text(&form.retry_after),
            reason: text(&form.reason),
        }
    }
}

#[derive(Debug, Serialize)]
struct TtlOption {
    secs: u64,
    key: &'static str,
    count: u64,
    selected: bool,
}

#[derive(Debug, Serialize)]
struct LinkRow {
    id: String,
    label: String,
    status_key: &'static str,
    active: bool,
    until: String,
    created_by: String,
}

#[derive(Debug, Serialize)]
struct HistoryRow {
    at: String,
    actor: String,
    what_key: &'static str,
    version: i64,
    reason: String,
}

/// Everything the template shows.
#[derive(Debug, Default, Serialize)]
pub(crate) struct View {
    who: String,
    csrf: String,
    logout_url: String,
    state_url: String,
    bypass_url: String,
    revoke_url: String,
    show_controls: bool,
    phase: &'static str,
    start: String,
    version: i64,
    updated_by: String,
    updated_at: String,
    form: FormValues,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    error_version: i64,
    error_detail: String,
    new_link: Option<String>,
    links: Vec<LinkRow>,
    history: Vec<HistoryRow>,
    ttl_options: Vec<TtlOption>,
}

/// A view with every part filled in, which the page check at start renders in every language.
fn sample_view() -> View {
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
    fn show_state(&mut self, state: &MaintenanceState, now: DateTime<Utc>) {
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

fn ttl_options() -> Vec<TtlOption> {
    TTLS.iter()
        .map(|&(secs, key, count)| TtlOption {
            secs,
            key,
            count,
            selected: secs == DEFAULT_TTL_SECS,
        })
        .collect()
}

fn link_row(link: BypassLink, now: DateTime<Utc>) -> LinkRow {
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
fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A time as a `datetime-local` input holds it (the page labels these UTC).
fn local_input(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M").to_string()
}

fn parse_local_input(field: &str, value: &str) -> Result<Option<DateTime<Utc>>, String> {
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

/// One request's page: who asks, in which language.
struct Page<'a> {
    admin: &'a Admin,
    req: &'a Request,
    index: usize,
}

impl<'a> Page<'a> {
    fn new(admin: &'a Admin, req: &'a Request) -> Self {
        let choice = admin.console.pages().language(req.uri(), req.headers());
        Page {
            admin,
            req,
            index: choice.index,
        }
    }

    fn own(&self, path: &str) -> String {
        self.admin.auth.urls().own_path(path)
    }

    /// The logged-in superuser, or the answer for anyone else: a login for the anonymous, 403
    /// for someone who is not a superuser.
    fn superuser(&self) -> Result<SessionUser, Box<Response>> {
        if let Err(error) = self.admin.auth.check_host(self.req) {
            return Err(Box::new(plain(StatusCode::FORBIDDEN, &error.to_string())));
        }
        let Some(user) = self.admin.auth.session_user(self.req) else {
            let next = path_as_query_value(&self.own(PATH)).into_owned();
            let login = format!("{}?next={next}", self.own("/auth/login"));
            return Err(Box::new(see_other(&login)));
        };
        if !self.admin.auth.is_superuser(&user.principal) {
            return Err(Box::new(self.error_only(
                &user,
                StatusCode::FORBIDDEN,
                "admin-error-not-superuser",
            )));
        }
        Ok(user)
    }

    /// The superuser sending a form, when the form carries their session's CSRF token; the
    /// answer for anyone else, as [`Page::superuser`] gives it, or 403 for a wrong token.
    fn superuser_posting(&self, csrf: &str) -> Result<SessionUser, Box<Response>> {
        let user = self.superuser()?;
        if bool::from(csrf.as_bytes().ct_eq(user.csrf.as_bytes())) {
            return Ok(user);
        }
        tracing::warn!(target: "downtime::admin", actor = %user.principal.actor(), "admin form with a wrong CSRF token refused");
        Err(Box::new(self.error_only(
            &user,
            StatusCode::FORBIDDEN,
            "admin-error-expired-form",
        )))
    }

    /// 503, after logging what could not be done and why.
    fn unavailable(
        &self,
        user: &SessionUser,
        doing: &str,
        error: &dyn std::fmt::Display,
    ) -> Response {
        tracing::error!(target: "downtime::admin", %error, "cannot {doing}");
        self.error_only(
            user,
            StatusCode::SERVICE_UNAVAILABLE,
            "admin-error-unavailable",
        )
    }

    /// A bypass link that could not be made or revoked: 503 when the database failed, else
    /// 422 with what was refused.
    async fn bypass_refused(
        &self,
        user: &SessionUser,
        doing: &str,
        error: BypassError,
    ) -> Response {
        if let BypassError::Database(error) = &error {
            return self.unavailable(user, doing, error);
        }
        let detail = error.to_string();
        self.full(user, StatusCode::UNPROCESSABLE_ENTITY, |view| {
            view.error = Some("admin-error-invalid");
            view.error_detail = detail;
        })
        .await
    }

    fn error_only(&self, user: &SessionUser, status: StatusCode, error: &'static str) -> Response {
        let view = View {
            who: user.principal.actor(),
            csrf: user.csrf.clone(),
            logout_url: self.own("/auth/logout"),
            error: Some(error),
            ..View::default()
        };
        self.html(status, &view)
    }

    /// The whole page for `user`: the stored state (or `form` when given), the links and the
    /// history.
    async fn full(
        &self,
        user: &SessionUser,
        status: StatusCode,
        edit: impl FnOnce(&mut View),
    ) -> Response {
        let now = Utc::now();
        let admin = self.admin;
        let mut view = View {
            who: user.principal.actor(),
            csrf: user.csrf.clone(),
            logout_url: self.own("/auth/logout"),
            state_url: self.own(&format!("{PATH}/state")),
            bypass_url: self.own(&format!("{PATH}/bypass")),
            revoke_url: self.own(&format!("{PATH}/bypass/revoke")),
            show_controls: true,
            ttl_options: ttl_options(),
            ..View::default()
        };
        let (state, links, history) = tokio::join!(
            admin.service.current(),
            admin.bypass.list(),
            admin.service.history(HISTORY, None)
        );
        let mut status = status;
        let mut unavailable = false;
        match state {
            Ok(state) => view.show_state(&state, now),
            Err(error) => {
                tracing::error!(target: "downtime::admin", %error, "cannot read the state");
                // What every gate serves meanwhile: the last state this process knew.
                view.show_state(&admin.service.live().load(), now);
                unavailable = true;
            }
        }
        match links {
            Ok(links) => view.links = links.into_iter().map(|l| link_row(l, now)).collect(),
            Err(error) => {
                tracing::error!(target: "downtime::admin", %error, "cannot read the bypass links");
                unavailable = true;
            }
        }
        match history {
            Ok(history) => {
                view.history = history
                    .into_iter()
                    .map(|entry| HistoryRow {
                        at: stamp(entry.at),
                        what_key: if entry.after.window.enabled {
                            "admin-history-on"
                        } else {
                            "admin-history-off"
                        },
                        version: entry.version,
                        actor: entry.actor,
                        reason: entry.reason.unwrap_or_default(),
                    })
                    .collect();
            }
            Err(error) => {
                tracing::error!(target: "downtime::admin", %error, "cannot read the history");
                unavailable = true;
            }
        }
        if unavailable {
            view.error = Some("admin-error-unavailable");
            status = StatusCode::SERVICE_UNAVAILABLE;
        }
        edit(&mut view);
        self.html(status, &view)
    }

    fn html(&self, status: StatusCode, view: &View) -> Response {
        let console = &self.admin.console;
        let language = console.pages().languages().get(self.index);
        match console.render(self.index, view) {
            Ok(html) => {
                let mut resp = Response::builder()
                    .status(status)
                    .content_type("text/html; charset=utf-8")
                    .header(header::CONTENT_LANGUAGE, language.header.clone())
                    .header(header::CONTENT_SECURITY_POLICY, console.csp().clone())
                    .body(html);
                crate::http::console_headers(resp.headers_mut());
                resp
            }
            Err(error) => {
                tracing::error!(target: "downtime::admin", %error, "cannot render the admin page");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "The admin page cannot be shown.",
                )
            }
        }
    }
}

fn plain(status: StatusCode, text: &str) -> Response {
    Response::builder()
        .status(status)
        .content_type("text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
        .body(text.to_owned())
}

fn see_other(location: &str) -> Response {
    match HeaderValue::try_from(location) {
        Ok(location) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(header::LOCATION, location)
            .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
            .finish(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The page itself.
#[handler]
async fn show(req: &Request, admin: Data<&Arc<Admin>>) -> Response {
    let page = Page::new(&admin, req);
    let user = match page.superuser() {
        Ok(user) => user,
        Err(resp) => return *resp,
    };
    let notice = match query_param(req, "notice").as_deref() {
        Some("saved") => Some("admin-notice-saved"),
        Some("revoked") => Some("admin-notice-revoked"),
        _ => None,
    };
    page.full(&user, StatusCode::OK, |view| view.notice = notice)
        .await
}

/// The state forms: the quick switches (`action` `on` or `off`) and the settings (`save`).
#[derive(Debug, Deserialize)]
struct StateForm {
    csrf: String,
    version: String,
    action: String,
    enabled: Option<String>,
    mode: Option<String>,
    message: Option<String>,
    starts_at: Option<String>,
    ends_at: Option<String>,
    scope: Option<String>,
    open_paths: Option<String>,
    allowed_ips: Option<String>,
    status_code: Option<String>,
    retry_after: Option<String>,
    reason: Option<String>,
}

/// Reads the settings form into a window (the form is the whole window, as a PUT is); every
/// refused value, in one message.
fn window_from(form: &StateForm) -> Result<Window, String> {
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
    let mut time = |field: &str, value: &Option<String>| {
        parse_local_input(field, value.as_deref().unwrap_or_default()).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    };
    let starts_at = time("starts at", &form.starts_at);
    let ends_at = time("ends at", &form.ends_at);
    let input = WindowInput {
        enabled: Some(form.enabled.is_some()),
        mode: Some(if form.mode.as_deref() == Some("read_only") {
            Mode::ReadOnly
        } else {
            Mode::Full
        }),
        message: Some(form.message.clone().unwrap_or_default()),
        starts_at: Some(starts_at),
        ends_at: Some(ends_at),
        retry_after_secs: Some(retry_after_secs),
        allowed_ips: lines(&form.allowed_ips),
        open_paths: lines(&form.open_paths),
        scope: lines(&form.scope),
        // Out of range: refused by the window's own rule.
        status_code: Some(u16::try_from(status_code).unwrap_or(u16::MAX)),
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

#[handler]
async fn change_state(
    req: &Request,
    admin: Data<&Arc<Admin>>,
    Form(form): Form<StateForm>,
) -> Response {
    let page = Page::new(&admin, req);
    let user = match page.superuser_posting(&form.csrf) {
        Ok(user) => user,
        Err(resp) => return *resp,
    };
    let Ok(version) = form.version.trim().parse::<i64>() else {
        return page.error_only(&user, StatusCode::BAD_REQUEST, "admin-error-expired-form");
    };
    let sent = FormValues::sent(&form);
    let window = match form.action.as_str() {
        "save" => match window_from(&form) {
            Ok(window) => Some(window),
            Err(detail) => return refused_values(&page, &user, sent, version, detail).await,
        },
        "on" | "off" => None,
        _ => return plain(StatusCode::BAD_REQUEST, "Unknown action."),
    };
    let change = Change::by(user.principal.actor())
        .because(form.reason.clone())
        .if_version(Some(version));
    // The quick switches mean what on and off mean everywhere (see `state`).
    let written = match window {
        Some(window) => admin.service.apply(window, change).await,
        None if form.action == "on" => {
            admin
                .service
                .switch_on(WindowInput::default(), change)
                .await
        }
        None => admin.service.switch_off(change).await,
    };
    match written {
        Ok(_) => see_other(&format!("{}?notice=saved", page.own(PATH))),
        Err(WriteError::Conflict { current }) => {
            page.full(&user, StatusCode::CONFLICT, |view| {
                view.error = Some("admin-error-stale");
                view.error_version = current;
                // Their values stay in the form, now based on the current version: sending it
                // again is a decision made knowing the change.
                if form.action == "save" {
                    view.form = sent;
                }
            })
            .await
        }
        Err(WriteError::Invalid(invalid)) => {
            refused_values(&page, &user, sent, version, invalid.to_string()).await
        }
        Err(WriteError::Store(error)) => page.unavailable(&user, "store the state", &error),
    }
}

/// 422: the page with the values as sent and what was wrong with them.
async fn refused_values(
    page: &Page<'_>,
    user: &SessionUser,
    sent: FormValues,
    version: i64,
    detail: String,
) -> Response {
    page.full(user, StatusCode::UNPROCESSABLE_ENTITY, |view| {
        view.error = Some("admin-error-invalid");
        view.error_detail = detail;
        view.form = sent;
        // The form stays tied to the version it was made from.
        view.version = version;
    })
    .await
}

#[derive(Debug, Deserialize)]
struct LinkForm {
    csrf: String,
    ttl: String,
    label: Option<String>,
    next: Option<String>,
}

/// Creates a bypass link and shows its URL, this once (so the answer is the page, not a
/// redirect that would lose it).
#[handler]
async fn create_link(
    req: &Request,
    admin: Data<&Arc<Admin>>,
    Form(form): Form<LinkForm>,
) -> Response {
    let page = Page::new(&admin, req);
    let user = match page.superuser_posting(&form.csrf) {
        Ok(user) => user,
        Err(resp) => return *resp,
    };
    let request = LinkRequest {
        ttl: Duration::from_secs(form.ttl.trim().parse().unwrap_or(0)),
        label: form.label,
        next: form.next.filter(|n| !n.trim().is_empty()),
    };
    match admin.bypass.create(request, &user.principal.actor()).await {
        Ok(new) => {
            let url = new.url(&admin.auth.urls().own(""));
            page.full(&user, StatusCode::OK, |view| view.new_link = Some(url))
                .await
        }
        Err(error) => {
            page.bypass_refused(&user, "create a bypass link", error)
                .await
        }
    }
}

#[derive(Debug, Deserialize)]
struct RevokeForm {
    csrf: String,
    id: String,
}

#[handler]
async fn revoke_link(
    req: &Request,
    admin: Data<&Arc<Admin>>,
    Form(form): Form<RevokeForm>,
) -> Response {
    let page = Page::new(&admin, req);
    let user = match page.superuser_posting(&form.csrf) {
        Ok(user) => user,
        Err(resp) => return *resp,
    };
    match admin
        .bypass
        .revoke(form.id.trim(), &user.principal.actor())
        .await
    {
        Ok(_) => see_other(&format!("{}?notice=revoked", page.own(PATH))),
        Err(error) => {
            page.bypass_refused(&user, "revoke a bypass link", error)
                .await
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
            enabled: get("enabled"),
            mode: get("mode"),
            message: get("message"),
            starts_at: get("starts_at"),
            ends_at: get("ends_at"),
            scope: get("scope"),
            open_paths: get("open_paths"),
            allowed_ips: get("allowed_ips"),
            status_code: get("status_code"),
            retry_after: get("retry_after"),
            reason: get("reason"),
        }
    }

    #[test]
    fn the_settings_form_reads_into_a_window() {
        let window = window_from(&form(&[
            ("enabled", "on"),
            ("mode", "read_only"),
            ("message", "Back soon"),
            ("starts_at", "2099-12-01T02:00"),
            ("ends_at", "2099-12-01T03:30:00"),
            ("scope", "/checkout\r\n\r\n /api/payments \n"),
            ("allowed_ips", "203.0.113.0/24"),
            ("status_code", "200"),
            ("retry_after", ""),
        ]))
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
    fn every_bad_value_of_the_settings_form_is_named_at_once() {
        let refused = window_from(&form(&[
            ("enabled", "on"),
            ("starts_at", "tomorrow"),
            ("scope", "checkout"),
            ("allowed_ips", "999.1.1.1"),
            ("status_code", "404"),
            ("retry_after", "-5"),
        ]))
        .expect_err("refused");
        for part in [
            "starts at",
            "scope",
            "allowed address",
            "404",
            "retry after",
        ] {
            assert!(refused.contains(part), "{part} missing from {refused}");
        }
    }
}
