//! Building the application: database, migrations, state, routes and middleware, shared by
//! `main` and the tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{CatchPanic, Tracing};
use poem::web::cookie::CookieKey;
use poem::{Endpoint, EndpointExt, Response, Route, Server, get};
use secrecy::SecretString;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::api::maintenance::ApiSettings;
use crate::api::{self, health};
use crate::auth::routes as auth_routes;
use crate::auth::{Auth, dev_idp, dev_idp::DevIdp, dev_idp_allowed, session};
use crate::config::{ServeConfig, Toggle, redact};
use crate::gate::{Gate, Superusers};
use crate::state::{Change, Live, Settings, StateService, Store, spawn_poller};
use crate::web::{demo, page::PageOptions, page::Pages};

/// Connects to `url` and brings the schema up to date.
///
/// # Errors
/// The database is unreachable, or its file is not a database, or a migration fails; the
/// message names the database without its password.
pub async fn open_store(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(url)))?;
    store
        .migrate()
        .await
        .with_context(|| format!("cannot prepare the database {}", redact(url)))?;
    Ok(store)
}

/// Applies `MAINTENANCE_MODE` when set, like any other change (actor `environment`), unless the
/// stored state already says the same.
///
/// # Errors
/// The database refuses the change.
pub async fn apply_environment(
    service: &StateService,
    toggle: Option<Toggle>,
) -> anyhow::Result<()> {
    let Some(toggle) = toggle else { return Ok(()) };
    let current = service.store().current().await?;
    let now = Utc::now();
    let settings = match toggle {
        Toggle::On if current.is_active(now) => return Ok(()),
        Toggle::Off if !current.enabled => return Ok(()),
        Toggle::On => Settings {
            enabled: true,
            starts_at: None,
            ends_at: current.ends_at.filter(|end| *end > now),
            ..current.settings()
        },
        Toggle::Off => Settings::off(),
    };
    let reason = format!(
        "MAINTENANCE_MODE={}",
        if toggle == Toggle::On { "on" } else { "off" }
    );
    service
        .apply(settings, Change::by("environment").because(Some(reason)))
        .await?;
    Ok(())
}

/// Login, sessions and the development provider, as configured.
pub struct AuthSetup {
    /// Who is who.
    pub auth: Auth,
    /// The session cookie's key.
    pub session_key: CookieKey,
    /// Whether the cookie is `Secure` (the site is behind HTTPS).
    pub secure_cookies: bool,
    /// The development provider, with `--dev-idp`.
    pub dev_idp: Option<DevIdp>,
}

/// Sets up authentication for a site reachable at `base_url`. With `--dev-idp` the built-in
/// provider is configured as the issuer, its seeded admin and script client as superusers.
///
/// # Errors
/// Inconsistent settings, or the database fails.
pub async fn auth_setup(
    config: &ServeConfig,
    store: &Store,
    base_url: &str,
) -> anyhow::Result<AuthSetup> {
    let mut auth_config = config.auth.clone();
    let dev_idp = if auth_config.dev_idp {
        let idp = DevIdp::new(base_url)?;
        tracing::warn!(
            target: "downtime::auth",
            issuer = idp.issuer(),
            "THE DEVELOPMENT IDENTITY PROVIDER IS ON: anyone who can reach this server can log in as a superuser. Never use --dev-idp in production."
        );
        auth_config.oidc_issuer = Some(idp.issuer().to_owned());
        auth_config.oidc_client_id = Some(dev_idp::WEB_CLIENT_ID.to_owned());
        auth_config.oidc_client_secret =
            Some(SecretString::from(idp.web_client_secret().to_owned()));
        auth_config.oidc_audience = Some(dev_idp::AUDIENCE.to_owned());
        auth_config
            .superuser_emails
            .push(dev_idp::ADMIN.email.to_owned());
        auth_config
            .superuser_clients
            .push(dev_idp::SCRIPT_CLIENT.0.to_owned());
        Some(idp)
    } else {
        None
    };
    let key = session::cookie_key(auth_config.secret_key.as_ref(), store.db()).await?;
    let auth = Auth::build(
        &auth_config,
        store.db(),
        base_url,
        config.poll_interval,
        key.clone(),
    )
    .await?;
    let secure = base_url.starts_with("https://");
    Ok(AuthSetup {
        session_key: key,
        secure_cookies: secure,
        auth,
        dev_idp,
    })
}

/// The site with its gate and every middleware, in order (outermost first):
/// `Tracing` (one span per request) → `CatchPanic` (a bug answers 500, never kills the server)
/// → `Gate` (before routing, so unknown paths are gated too; it reads the session cookie only
/// for a request it would otherwise gate) → the routes (`/auth` with the session middleware).
///
/// # Errors
/// A template or the default language is broken.
pub fn routes<S: Superusers>(
    config: &ServeConfig,
    service: &StateService,
    setup: &AuthSetup,
    superusers: S,
) -> anyhow::Result<impl Endpoint<Output = Response> + use<S>> {
    let pages = Arc::new(Pages::new(&PageOptions {
        default_language: config.default_language.clone(),
        ..Default::default()
    })?);
    let mut rules = config.rules();
    // Shared data goes only to the routes that read it: the site behind the gate pays nothing.
    let api = api::routes(setup.auth.client_id().unwrap_or_default())
        .data(setup.auth.clone())
        .data(ApiSettings {
            require_if_match: config.require_if_match,
        })
        .data(service.clone());
    let mut site = Route::new()
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz).data(service.clone()))
        .nest("/api/demo", demo::api_routes())
        .nest("/api", api)
        .nest(
            "/auth",
            auth_routes::routes()
                .with(api::BodyLimit)
                .with(session::middleware(
                    setup.session_key.clone(),
                    setup.secure_cookies,
                    setup.auth.session_ttl(),
                ))
                .data(setup.auth.clone()),
        )
        .nest("/", demo::routes()?);
    if let Some(idp) = &setup.dev_idp {
        site = site.nest("/dev-idp", idp.routes().with(api::BodyLimit));
        rules.open_paths.push("/dev-idp".into());
    }
    let gate = Gate::new(service.live().clone(), pages, rules).with_superusers(superusers);
    Ok(site.with(gate).with(CatchPanic::new()).with(Tracing))
}

/// A server bound to its port, ready to run.
pub struct Application<E> {
    acceptor: poem::listener::TcpAcceptor,
    local_addr: SocketAddr,
    app: E,
    service: StateService,
    dev_idp: Option<DevIdp>,
    signals: Signals,
}

impl Application<()> {
    /// Opens the database, applies `MAINTENANCE_MODE`, starts following the state, builds the
    /// routes and binds `config.bind` (port 0 picks a free port).
    ///
    /// # Errors
    /// The database cannot be opened, or the address cannot be bound.
    pub async fn build(
        config: &ServeConfig,
        database_url: &str,
    ) -> anyhow::Result<Application<impl Endpoint + use<>>> {
        let store = open_store(database_url).await?;
        let live = Live::new(store.current().await?);
        let service = StateService::new(store.clone(), live.clone());
        apply_environment(&service, config.maintenance_mode).await?;
        if config.auth.dev_idp && !dev_idp_allowed(config.bind) {
            anyhow::bail!(
                "--dev-idp is for development on this machine only: bind to a loopback address such as 127.0.0.1, not {}",
                config.bind.ip()
            );
        }
        spawn_poller(store.clone(), live, config.poll_interval);
        let acceptor = TcpListener::bind(config.bind)
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let local_addr = acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr().copied())
            .context("the listener has no address")?;
        let base_url = config
            .auth
            .base_url
            .clone()
            .unwrap_or_else(|| format!("http://{local_addr}"));
        let setup = auth_setup(config, &store, &base_url).await?;
        let app = routes(config, &service, &setup, setup.auth.clone())?;
        let dev_idp = setup.dev_idp;
        Ok(Application {
            acceptor,
            local_addr,
            app,
            service,
            dev_idp,
            signals: Signals::listen().context("cannot listen for SIGINT and SIGTERM")?,
        })
    }
}

impl<E: Endpoint + 'static> Application<E> {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The development provider, with `--dev-idp`.
    pub fn dev_idp(&self) -> Option<&DevIdp> {
        self.dev_idp.as_ref()
    }

    /// The state service (to change or read the state in-process).
    pub fn service(&self) -> &StateService {
        &self.service
    }

    /// Serves until SIGINT or SIGTERM, then drains for up to five seconds.
    ///
    /// # Errors
    /// The server failed.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(
                self.app,
                self.signals.received(),
                Some(Duration::from_secs(5)),
            )
            .await
    }
}

/// SIGINT and SIGTERM, listened for from the moment the server is built: a signal that comes
/// as soon as the address is announced must drain the server, not kill it.
struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn listen() -> std::io::Result<Self> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn received(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        tracing::info!("shutting down");
    }
}
