//! Building the application: database, migrations, state, routes and middleware, shared by
//! `main` and the tests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::Utc;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{CatchPanic, Tracing};
use poem::{Endpoint, EndpointExt, Response, Route, Server, get};

use crate::api::{health, status};
use crate::config::{ServeConfig, Toggle, redact};
use crate::gate::{Gate, Superusers};
use crate::state::{Change, Live, Settings, StateService, Store, spawn_poller};
use crate::web::{demo, locale::Languages, page::Pages};

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

/// The site with its gate and every middleware, in order (outermost first):
/// `Tracing` (one span per request) → `CatchPanic` (a bug answers 500, never kills the server)
/// → `Gate` (before routing, so unknown paths are gated too) → the routes.
///
/// # Errors
/// A template or the default language is broken.
pub fn routes<S: Superusers>(
    config: &ServeConfig,
    service: &StateService,
    superusers: S,
) -> anyhow::Result<impl Endpoint<Output = Response> + use<S>> {
    let languages = Arc::new(Languages::load(&config.default_language)?);
    let pages = Arc::new(Pages::new(languages)?);
    let gate = Gate::new(service.live().clone(), pages, config.rules()).with_superusers(superusers);
    Ok(Route::new()
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at("/api/status", get(status::status))
        .nest("/", demo::routes()?)
        .with(gate)
        .with(CatchPanic::new())
        .with(Tracing)
        .data(service.store().clone())
        .data(service.live().clone()))
}

/// A server bound to its port, ready to run.
pub struct Application<E> {
    acceptor: poem::listener::TcpAcceptor,
    local_addr: SocketAddr,
    app: E,
    service: StateService,
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
        spawn_poller(store, live, config.poll_interval);
        let app = routes(config, &service, crate::gate::Nobody)?;
        let acceptor = TcpListener::bind(config.bind)
            .into_acceptor()
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let local_addr = acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr().copied())
            .context("the listener has no address")?;
        Ok(Application {
            acceptor,
            local_addr,
            app,
            service,
        })
    }
}

impl<E: Endpoint + 'static> Application<E> {
    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
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
            .run_with_graceful_shutdown(self.app, shutdown_signal(), Some(Duration::from_secs(5)))
            .await
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the server");
                let _ = interrupt.await;
                return;
            }
        };
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}
