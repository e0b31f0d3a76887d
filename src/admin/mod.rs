//! `/maintenance/admin`: the switch in a browser, for superusers logged in through `/auth`.
//!
//! Plain HTML forms, no script (its Content-Security-Policy allows none). Every form carries
//! the session's CSRF token; the state forms also carry the version they were made from, so a
//! form made before someone else's change is refused (409) and changes nothing. Writes go
//! through the same services as the API and the CLI: validated, stored, audited, followed by
//! every replica.

mod console;
mod form;
mod view;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::{Data, Form};
use poem::{EndpointExt as _, IntoResponse, Request, Response, Route, get, handler, post};
use serde::Deserialize;
use subtle::ConstantTimeEq as _;

use crate::auth::{Auth, SessionUser};
use crate::bypass::{BypassError, BypassLinks, LinkRequest};
use crate::gate::decision::wants_html;
use crate::http::{Problem, path_as_query_value, query_param};
use crate::state::{Change, StateService, WindowInput, WriteError};
pub use console::Console;
use form::{StateForm, window_from};
use view::{FormValues, HistoryRow, NoLogin, View, link_row, sample_view, stamp, ttl_options};

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
    /// The paths whose clients always get JSON (the gate's rule, [`wants_html`]).
    pub json_paths: Vec<String>,
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
            if self.admin.auth.provider().is_none() {
                return Err(Box::new(self.no_login()));
            }
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

    /// The answer on a site where nobody can log in (no provider is configured): what to do
    /// instead, as a page or a problem document. 404, like the console it stands for, which
    /// does not exist here until login is configured; not 503, which would tell clients and
    /// monitors that waiting helps.
    fn no_login(&self) -> Response {
        let urls = self.admin.auth.urls();
        if !wants_html(
            self.req.uri().path(),
            self.req.headers(),
            &self.admin.json_paths,
        ) {
            let mut resp = Problem::new(
                StatusCode::NOT_FOUND,
                "login_not_configured",
                "Login is not configured",
                format!(
                    "Nobody can log in to this page: no OpenID Connect provider is configured. \
                     Start downtime with --oidc-issuer, --oidc-client-id and \
                     --oidc-client-secret (redirect URI {}), and name superusers with \
                     --superuser-emails or --superuser-groups; or switch maintenance with \
                     `downtime on` and `downtime off` and let people past the gate with \
                     `downtime bypass create`.",
                    urls.own("/auth/callback")
                ),
            )
            .into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return resp;
        }
        let view = View {
            error: Some("admin-error-no-login"),
            no_login: Some(NoLogin::new(urls)),
            ..View::default()
        };
        self.html(StatusCode::NOT_FOUND, &view)
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
        "save" => {
            // As stored, not as this replica last heard: the write is checked against the
            // version the form was made from, and a stale form is refused anyway.
            let switched_on = match admin.service.current().await {
                Ok(state) => state.window.enabled,
                Err(error) => return page.unavailable(&user, "read the state", &error),
            };
            match window_from(&form, switched_on) {
                Ok(window) => Some(window),
                Err(detail) => return refused_values(&page, &user, sent, version, detail).await,
            }
        }
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
