//! Running the server: bind, build downtime around the site, serve until a signal. `main` and
//! the tests both go through [`Application::build`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures_util::future;
use poem::{Endpoint, Middleware, Request, Response, Route};
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::app::Downtime;
use crate::config::Config;
use crate::http::server::{Limits, Tls, ToHttps};

/// The most connections `--http-bind` holds at once: each is answered with one redirect.
const REDIRECT_CONNECTIONS: usize = 1024;

/// The most client connections `config` lets the server hold: the serving address's, and
/// `--http-bind`'s beside it.
pub fn max_client_connections(config: &Config) -> usize {
    let max = config.server.max_connections;
    let redirect = config
        .tls
        .http_bind
        .map_or(0, |_| max.min(REDIRECT_CONNECTIONS));
    max.saturating_add(redirect)
}

pub use crate::app::DevIdp;

/// A server bound to its port, ready to run.
pub struct Application<E> {
    listener: TcpListener,
    local_addr: SocketAddr,
    app: E,
    downtime: Downtime,
    limits: Limits,
    signals: Signals,
    tls: Option<Serving>,
}

/// HTTPS as served: the certificate (read again by downtime when it changes), and the plain
/// HTTP listener that sends clients to it (`--http-bind`).
struct Serving {
    tls: Arc<Tls>,
    redirect: Option<(TcpListener, ToHttps)>,
}

/// What downtime stands in front of.
pub enum Site<A = Route> {
    /// A Poem endpoint in this process (the demo site, or an app's own routes), called
    /// directly: no router of downtime's own between the gate and the app.
    App(A),
    /// The upstream app of `config.proxy.upstream`, reached over HTTP.
    Upstream,
}

impl<A: Endpoint> From<A> for Site<A> {
    fn from(app: A) -> Self {
        Site::App(app)
    }
}

impl Application<()> {
    /// Binds `config.bind` (port 0 picks a free port), then builds downtime around `site`
    /// (the base URL defaults to the bound address).
    ///
    /// # Errors
    /// The address cannot be bound, downtime cannot be built, or the site is the upstream and
    /// none is configured.
    pub async fn build<A>(
        mut config: Config,
        site: impl Into<Site<A>>,
    ) -> anyhow::Result<Application<impl Endpoint<Output = Response> + 'static>>
    where
        A: Endpoint + 'static,
    {
        let site = site.into();
        let listener = TcpListener::bind(config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let local_addr = listener
            .local_addr()
            .context("the listener has no address")?;
        config.bind = local_addr;
        let limits = config.server.limits();
        let redirect = match config.tls.http_bind {
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr} (--http-bind)"))?;
                let to = ToHttps::new(config.auth.base_url.as_deref(), local_addr.port())
                    .with_webroot(config.tls.acme_webroot.clone());
                Some((listener, to))
            }
            None => None,
        };
        let downtime = crate::DowntimeBuilder::from_config(config).build().await?;
        let tls = downtime.tls().map(|tls| Serving {
            tls: Arc::clone(tls),
            // Only ACME's own orders have answers; otherwise challenges without a webroot
            // are redirected, as before.
            redirect: redirect.map(|(listener, to)| {
                let answers = tls.is_automatic().then(|| Arc::clone(tls));
                (listener, to.with_answers(answers))
            }),
        });
        let app = match site {
            Site::App(app) => Either::Left(downtime.around(app)),
            Site::Upstream => {
                let upstream = downtime
                    .upstream()
                    .context("no upstream is configured (--upstream)")?;
                Either::Right(downtime.around(upstream.clone()))
            }
        };
        Ok(Application {
            listener,
            local_addr,
            app,
            downtime,
            limits,
            signals: Signals::listen().context("cannot listen for SIGINT and SIGTERM")?,
            tls,
        })
    }
}

impl<E: Endpoint + 'static> Application<E> {
    /// Wraps the whole app, downtime's gate and routes included, in `middleware`: it sees
    /// every request first and every answer last (compression, a header of the site's own).
    pub fn with<M: Middleware<E>>(self, middleware: M) -> Application<M::Output> {
        Application {
            listener: self.listener,
            local_addr: self.local_addr,
            app: middleware.transform(self.app),
            downtime: self.downtime,
            limits: self.limits,
            signals: self.signals,
            tls: self.tls,
        }
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `https` when the server speaks HTTPS (`--tls-cert`), else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The plain HTTP address that redirects to HTTPS (`--http-bind`), if any.
    pub fn redirect_addr(&self) -> Option<SocketAddr> {
        let (listener, _) = self.tls.as_ref()?.redirect.as_ref()?;
        listener.local_addr().ok()
    }

    /// downtime, as built.
    pub fn downtime(&self) -> &Downtime {
        &self.downtime
    }

    /// Serves until SIGINT or SIGTERM, within the limits of `config.server`, then answers
    /// the requests a hold window keeps waiting, drains for up to five seconds and stops the
    /// background work.
    ///
    /// # Errors
    /// The server failed.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let holds = std::sync::Arc::clone(self.downtime.holds());
        let signals = self.signals;
        let (stop, stopping) = tokio::sync::watch::channel(false);
        // Held requests are answered before the drain, which would otherwise wait for them.
        let shutdown = async move {
            signals.received().await;
            holds.stop();
            let _ = stop.send(true);
        };
        let mut tls = self.tls;
        let redirect = tls.as_mut().and_then(|serving| serving.redirect.take());
        // A redirect is answered at once: its own small share of connections.
        let redirect_limits = Limits {
            max_connections: self.limits.max_connections.min(REDIRECT_CONNECTIONS),
            ..self.limits.clone()
        };
        let redirecting = async move {
            let Some((listener, to)) = redirect else {
                return Ok(());
            };
            let mut stopping = stopping;
            let stopped = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            crate::http::server::serve_with(
                listener,
                to,
                redirect_limits,
                stopped,
                Duration::from_secs(1),
            )
            .await
        };
        let serving = crate::http::server::serve_over(
            self.listener,
            self.app,
            self.limits,
            tls.as_ref().map(|serving| Arc::clone(&serving.tls)),
            shutdown,
            Duration::from_secs(5),
        );
        let (served, redirected) = tokio::join!(serving, redirecting);
        drop(tls);
        self.downtime.stop();
        served.and(redirected)
    }
}

/// Descriptors kept for what is not a client connection: the database pool, log files, the
/// listener, webhook deliveries.
const RESERVED_FILES: u64 = 256;

/// Raises this process's soft limit on open files to its hard limit, and warns when even that
/// is short of `max_connections`. A server holds a descriptor per connection (a proxy another
/// per request to the app); systemd's default soft limit of 1,024 would have `accept` fail
/// long before the connection limit is reached.
pub fn raise_open_files_limit(max_connections: usize) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};

    let raised = getrlimit(Resource::RLIMIT_NOFILE).and_then(|(soft, hard)| {
        if soft < hard {
            setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
        }
        Ok((soft, hard))
    });
    let limit = match raised {
        Ok((was, limit)) => {
            if was < limit {
                tracing::info!(open_files = limit, was, "raised the open files limit");
            } else {
                tracing::debug!(open_files = limit, "the open files limit");
            }
            limit
        }
        Err(errno) => {
            tracing::warn!(%errno, "cannot raise the open files limit");
            match getrlimit(Resource::RLIMIT_NOFILE) {
                Ok((soft, _)) => soft,
                Err(_) => return,
            }
        }
    };
    let wanted = u64::try_from(max_connections)
        .unwrap_or(u64::MAX)
        .saturating_add(RESERVED_FILES);
    if limit < wanted {
        let fits = limit.saturating_sub(RESERVED_FILES);
        tracing::warn!(
            open_files = limit,
            max_connections,
            "the open files limit may run out before the connection limit: raise the hard limit (LimitNOFILE= in a systemd unit), or lower --max-connections to {fits}"
        );
    }
}

/// One of two endpoints, chosen at start: the site's type differs with what downtime stands in
/// front of, and a boxed endpoint would cost an allocation per request.
///
/// The right one's future (the proxy's, 3.3 KB against the demo's 2.2) is boxed: hyper
/// keeps room for the in-flight future on every open connection, and an enum of the two would
/// size an app's connections for the proxy. A proxied request pays one allocation among the
/// many its forwarding makes.
enum Either<L, R> {
    Left(L),
    Right(R),
}

impl<L, R> Endpoint for Either<L, R>
where
    L: Endpoint<Output = Response>,
    R: Endpoint<Output = Response>,
{
    type Output = Response;

    // Not an `async fn`, which would keep a copy of the request beside the inner future.
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        match self {
            Either::Left(left) => future::Either::Left(left.call(req)),
            Either::Right(right) => future::Either::Right(Box::pin(right.call(req))),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_listeners_connections_count_towards_the_open_files() {
        let mut config = Config::default();
        assert_eq!(max_client_connections(&config), 10_000);
        config.tls.http_bind = Some(SocketAddr::from(([0, 0, 0, 0], 80)));
        assert_eq!(
            max_client_connections(&config),
            10_000 + REDIRECT_CONNECTIONS
        );
        config.server.max_connections = 500;
        assert_eq!(max_client_connections(&config), 1_000);
    }
}
