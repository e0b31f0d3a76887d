//! downtime served in this process on a free port, over a real socket: [`LiveServer`], with a
//! method per endpoint the tests call often, and [`Api`], a live server with a superuser's
//! client for its control API.

use std::time::Duration;

use downtime::Downtime;
use downtime::config::Config;
use downtime::dev_idp::{self, DevIdp};
use downtime::startup::{Application, Site};
use downtime::state::{Change, MaintenanceState, StateService, Window};
use poem::Endpoint;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::browser::client_token;
use super::db::TestDb;
use super::eventually;

/// A server running in this process on a free port, with the development provider.
pub struct LiveServer {
    pub base: String,
    pub idp: Option<DevIdp>,
    pub service: StateService,
    /// downtime as built, for what only the process sees (webhook statistics).
    pub downtime: Downtime,
    /// A client that follows no redirects.
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        self.downtime.stop();
        self.task.abort();
    }
}

/// Settings for a live server: a free loopback port, a fast poll, the development provider.
pub fn dev_config() -> Config {
    let mut config = Config {
        bind: "127.0.0.1:0".parse().expect("addr"),
        poll_interval: Duration::from_millis(100),
        ..Config::default()
    };
    config.auth.dev_idp = true;
    config
}

/// Serves the demo site behind downtime with `config` on `db`, as `downtime serve` does; waits
/// until the development provider (when on) is discovered.
pub async fn start(db: &TestDb, config: Config) -> LiveServer {
    let site = downtime::web::demo::served().expect("demo site");
    serve(db, config, Site::App(site)).await
}

/// Like [`start`], in front of `site`.
pub async fn start_site(db: &TestDb, config: Config, site: impl Into<Site>) -> LiveServer {
    serve(db, config, site.into()).await
}

async fn serve<A: Endpoint + 'static>(db: &TestDb, config: Config, site: Site<A>) -> LiveServer {
    let config = Config {
        database_url: db.url.clone(),
        ..config
    };
    let login = format!("{}/auth/login", config.prefix);
    let app = Application::build(config, site)
        .await
        .expect("build")
        .with(crate::spec_check::SpecCheck);
    let base = format!("{}://{}", app.scheme(), app.local_addr());
    let downtime = app.downtime().clone();
    let idp = downtime.dev_idp().cloned();
    let service = downtime.state().clone();
    let task = tokio::spawn(app.run_until_stopped());
    let server = LiveServer {
        base,
        idp,
        service,
        downtime,
        http: super::http(),
        task,
    };
    if server.idp.is_some() {
        let url = server.url(&login);
        let ready = eventually(Duration::from_secs(10), || async {
            server
                .http
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status() == StatusCode::SEE_OTHER)
        })
        .await;
        assert!(ready, "the provider was never discovered");
    }
    server
}

impl LiveServer {
    /// The development provider; panics when it is off.
    pub fn idp(&self) -> &DevIdp {
        self.idp.as_ref().expect("dev idp")
    }

    /// The full URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Applies `window` in this process, switched on.
    pub async fn switch_on(&self, window: Window) -> MaintenanceState {
        let window = Window {
            enabled: true,
            ..window
        };
        self.service
            .apply(window, Change::by("test"))
            .await
            .expect("switch on")
    }

    /// Switches maintenance on in this process, with no window or message.
    pub async fn maintenance_on(&self) {
        self.switch_on(Window::off()).await;
    }

    /// Switches maintenance off in this process.
    pub async fn maintenance_off(&self) {
        self.service
            .switch_off(Change::by("test"))
            .await
            .expect("switch off");
    }

    /// A token from the development provider for its script client, a superuser.
    pub async fn token(&self) -> String {
        client_token(self, dev_idp::SCRIPT_CLIENT).await
    }

    /// GET `path` as a browser asks, without following a redirect.
    pub async fn browse(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET")
    }

    /// `GET /healthz`.
    pub async fn healthz(&self) -> reqwest::Response {
        self.get("/healthz").await
    }

    /// `GET /readyz`.
    pub async fn readyz(&self) -> reqwest::Response {
        self.get("/readyz").await
    }

    /// `GET /api/status`: the public status, no token needed.
    pub async fn status(&self) -> reqwest::Response {
        self.get("/api/status").await
    }

    /// `GET /api/maintenance` with `token`.
    pub async fn get_maintenance(&self, token: &str) -> reqwest::Response {
        self.api(Method::GET, "/api/maintenance", token)
            .send()
            .await
            .expect("GET")
    }

    /// `PUT /api/maintenance` of `body` with `token`, and `If-Match` when given.
    pub async fn put_maintenance(
        &self,
        token: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.api(Method::PUT, "/api/maintenance", token).json(body);
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.send().await.expect("PUT")
    }

    /// `PATCH /api/maintenance` with the merge patch `body` and `token`, and `If-Match` when
    /// given.
    pub async fn patch_maintenance(
        &self,
        token: &str,
        body: &str,
        if_match: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .api(Method::PATCH, "/api/maintenance", token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_owned());
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        req.send().await.expect("PATCH")
    }

    /// `GET /api/maintenance/history` with `token`.
    pub async fn history(&self, token: &str) -> reqwest::Response {
        self.api(Method::GET, "/api/maintenance/history", token)
            .send()
            .await
            .expect("GET")
    }

    /// A request to `path` with `token` as the bearer.
    pub fn api(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }
}

/// A live server and a superuser's client for its control API.
pub struct Api {
    pub server: LiveServer,
    pub http: reqwest::Client,
    /// The development provider's script client's token.
    pub token: String,
}

impl Api {
    /// A live server with [`dev_config`] on `db`, and a token.
    pub async fn start(db: &TestDb) -> Api {
        Self::start_with(db, dev_config()).await
    }

    /// A live server with `config` (the development provider on) on `db`, and a token.
    pub async fn start_with(db: &TestDb, config: Config) -> Api {
        let server = start(db, config).await;
        let token = server.token().await;
        let http = server.http.clone();
        Api {
            server,
            http,
            token,
        }
    }

    /// The full URL of `path` on the server.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// A request to `path` with the token.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.server.api(method, path, &self.token)
    }

    /// `PUT /api/maintenance` of `body`, with `If-Match` when given.
    pub async fn put(&self, body: &Value, if_match: Option<&str>) -> reqwest::Response {
        self.server
            .put_maintenance(&self.token, body, if_match)
            .await
    }

    /// `PATCH /api/maintenance` with the merge patch `body`, with `If-Match` when given.
    pub async fn patch(&self, body: &str, if_match: Option<&str>) -> reqwest::Response {
        self.server
            .patch_maintenance(&self.token, body, if_match)
            .await
    }

    /// The state as `GET /api/maintenance` answers it (200 asserted): its ETag and JSON.
    pub async fn get_state(&self) -> (String, Value) {
        let resp = self.server.get_maintenance(&self.token).await;
        assert_eq!(resp.status(), StatusCode::OK);
        let etag = resp.headers()["etag"].to_str().expect("etag").to_owned();
        (etag, resp.json().await.expect("json"))
    }
}
