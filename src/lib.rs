//! # downtime
//!
//! Maintenance mode for Poem web applications: take a site offline for visitors during a
//! migration while its superusers keep using it, and flip the switch without a code change or
//! a restart.
//!
//! One builder puts all of it in front of any Poem endpoint: the [gate](gate::Gate), the
//! localized maintenance page, the control API (`/api/maintenance`, with Swagger UI at
//! `/api/docs`), OpenID Connect login for superusers (`/auth/…`), `/healthz` and `/readyz`,
//! Prometheus metrics (`/metrics`), the database migrations, and the follower that keeps
//! every process in step with the stored state.
//!
//! ```
//! use downtime::Downtime;
//! use downtime::state::{Change, WindowInput};
//! use poem::{Route, get, handler, http::StatusCode, test::TestClient};
//!
//! #[handler]
//! fn home() -> &'static str { "the team's own page" }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # let url = format!("sqlite://{}?mode=rwc", dir.path().join("site.db").display());
//! let downtime = Downtime::builder()
//!     .database_url(url)            // `sqlite://downtime.db?mode=rwc` by default
//!     .prefix("/_downtime")         // downtime's own routes, out of the app's way
//!     .superuser_emails(["ops@example.com"])
//!     .build()
//!     .await?;
//! let app = TestClient::new(downtime.around(Route::new().at("/", get(home))));
//! app.get("/").send().await.assert_status_is_ok();
//!
//! // Switch maintenance on in-process: what `downtime on` and the API do (see `state` for
//! // what on and off keep).
//! downtime.state().switch_on(WindowInput::default(), Change::by("docs")).await?;
//! let gated = app.get("/").header("accept", "application/json").send().await;
//! gated.assert_status(StatusCode::SERVICE_UNAVAILABLE);
//! app.get("/_downtime/healthz").send().await.assert_status_is_ok();
//! downtime.stop();
//! # Ok(())
//! # }
//! ```
//!
//! In a real server, hand `downtime.around(app)` to `poem::Server::run` (or to
//! [`http::server::serve`], the leaner loop `downtime serve` uses); see
//! `examples/embed.rs`, which reads the same environment variables as `downtime serve`
//! ([`Config::from_env`]).
//!
//! ## Modules, and which way they depend
//!
//! - [`http`]: small HTTP helpers (problem documents, body limits, cookies and query values,
//!   the client's address, whether a client prefers a page to JSON, the state's `ETag`, the
//!   site's URLs and the warning when a request names another host, the local-redirect check,
//!   `Accept` q-values, URL encoding, the headers of a console page, TLS as a client) and the
//!   server loop with its limits and its HTTPS (and, for a request that waits, whether its
//!   client is still there). A leaf: it imports nothing else from the crate.
//! - [`path`]: URL paths: the normal form, the other readings an app may give a path, and the
//!   prefix test. A leaf, shared by the state (which stores paths) and the gate (which judges
//!   them).
//! - [`state`]: the state, its validation, its store, the audit log and the live snapshot,
//!   the [timeline](state::timeline) (which events a change and the clock make), and the
//!   [follower](state::Follower) that keeps every shared table's copy in memory in
//!   step with the database. It imports only [`path`] and the `entity` crate (and the
//!   migrations, through its one connector): no HTTP, pages or API.
//! - [`gate`]: the middleware, and the queue of requests a hold window keeps waiting
//!   ([`gate::hold`]). It imports `state`, `path`, the page renderer ([`web::page`]),
//!   [`bypass`] (the live links' cookies) and `http`, and defines the [`gate::Superusers`]
//!   question that `auth` answers and the [`gate::TunnelCheck`] a proxy asks of an open
//!   tunnel.
//! - [`auth`]: login, sessions, bearer tokens and the superuser rules, with the tables
//!   behind them (the stored superusers, the ended sessions, the session key). It answers
//!   the gate's question and imports neither `api`, `web` nor the gate's internals.
//! - [`bypass`]: bypass links, their store and the live set the gate checks. It imports
//!   `state` (to follow the database) and `http`.
//! - [`api`]: the control API. It imports `state`, `auth`, `bypass` and `http` (and
//!   `/readyz` asks the [`proxy`] whether the upstream answers).
//! - [`web`]: what visitors see (the maintenance and unreachable pages, the banner, the feed,
//!   the demo site), each answered in the language [`web::page::Pages::language`] chooses and
//!   with the headers [`web::page::Pages::visitor_headers`] sets. It imports `state`, `bypass`
//!   and `http`, never `auth`.
//! - [`admin`]: the superuser console at `/maintenance/admin`, with its own template and
//!   policy ([`admin::Console`]). It imports `auth`, `state`, `bypass`, `http`, the page
//!   renderer (whose languages and logo it shares) and from the gate its rule for which
//!   clients want a page.
//! - [`app`]: the builder that assembles all of the above; [`startup`] serves it; [`cli`]
//!   uses only the library's public surface.
//! - [`proxy`]: the reverse proxy to an upstream app (`--upstream`). It imports `http`,
//!   `path` (the target as sent), the state (read to see whether maintenance is on; written
//!   only through the state service, by automatic maintenance), the pages, and from the gate
//!   its rule for which paths want JSON and the check of open tunnels. It
//!   learns which `Authorization` values are downtime's own through a function `app` hands
//!   it, so it imports nothing of `auth`.
//! - [`webhook`]: signed webhooks on every change and on a window's timeline (scheduled,
//!   reminders, started, ended, by a change or by the clock), each delivered once across
//!   replicas, and the table of deliveries. It imports `state` (whose service reads it the audit
//!   log, and whose timeline names the events) and the `entity` crate; nothing asks it anything
//!   on the request path.
//! - [`acme`]: automatic certificates (`--acme-domain`): each domain's certificate ordered
//!   by one replica, stored for all (keys sealed with `--secret-key`), renewed before expiry,
//!   and handed to the server loop's TLS with the answers to its challenges. It imports
//!   `state` (the database and its change notices), `http` and the `entity` crate.
//! - [`metrics`]: `/metrics` for Prometheus. It reads the counters the gate, the API, the
//!   state follower and the proxy keep (none of them imports it), the live state and the
//!   HTTPS certificate's expiry.
//! - [`telemetry`]: logging and the request span. It imports only `http`.
//! - `dev_idp`: a development identity provider, behind the `dev-idp` cargo feature (on by
//!   default), set up by `app` only.
//!
//! ## Where the common changes go
//!
//! - **A route of downtime's own**: a row in [`app::ROUTES`] (its path, whether it stays open
//!   during maintenance, who answers it) and, for an endpoint of its own, the function that
//!   makes it in `src/app/routes.rs`. The router, the gate's open paths and the split between
//!   the API and the app follow from the row; `tests/api/routes.rs` checks every row.
//! - **A gate rule**: [`gate::decision::decide`], a pure function with a table-driven test
//!   beside it; a new reason to pass or gate is a variant of [`gate::Pass`] or
//!   [`gate::Reason`], which `/metrics` then counts by its name.
//! - **A window field**: [`state::Window`] (and its rule in [`state::Window::validate`]),
//!   [`state::WindowInput`] and [`state::WindowInput::over`] (how writers give it), what
//!   [`state::Window::switched_off`] keeps of it, a migration and the store's row; then each
//!   entry point's input (the API's `MaintenanceUpdate`/`MaintenancePatch`, the admin form,
//!   the CLI's `OnArgs`), which hand it over without checking it themselves.
//! - **A CLI command**: a variant of the `Command` enum and its arm in `src/cli/mod.rs`, and
//!   its code in the file of its group under `src/cli/`; it reaches the database only through
//!   the tables' owners (the state service, [`auth::superusers::Store`],
//!   [`bypass::LinkStore`]).
//!
//! Each table has one owner, which the CLI, the API, the admin page and code using the
//! library all go through, and nothing else touches its rows: the state and its audit log,
//! [`state::StateService`]; the superusers, [`auth::superusers::Store`]; the bypass links,
//! [`bypass::LinkStore`] (and [`bypass::BypassLinks`], the live set, writes through it); the
//! sessions' key and the ended sessions, `auth`; the webhook deliveries, `webhook`. The owners
//! are made from the `StateService` and share its connection, which is not public.

pub mod acme;
pub mod admin;
pub mod api;
pub mod app;
pub mod auth;
pub mod bypass;
pub mod cli;
pub mod config;
#[cfg(feature = "dev-idp")]
pub mod dev_idp;
pub mod gate;
pub mod http;
pub mod metrics;
pub mod path;
pub mod proxy;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod webhook;

pub use app::{Around, Downtime, DowntimeBuilder, Oidc};
pub use config::Config;
