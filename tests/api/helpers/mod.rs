//! The one harness every test file shares, a file per job:
//!
//! - [`db`]: a database per test, SQLite always and PostgreSQL when configured;
//! - [`app`]: [`spawn_app`], the app in this process over Poem's test client ([`TestApp`]);
//! - [`server`]: [`LiveServer`], the app in this process on a real socket;
//! - [`admin`]: the admin page's forms;
//! - [`browser`]: a cookie-keeping [`Browser`], logging in, tokens from the development provider;
//! - [`upstream`]: an upstream app and downtime in front of it as a reverse [`Proxy`];
//! - [`cli`] and [`process`]: the `downtime` binary, as a command and as a server [`Server`];
//! - [`net`]: free ports and the HTTP client.

pub mod admin;
pub mod app;
pub mod browser;
pub mod cli;
pub mod db;
pub mod net;
pub mod process;
pub mod server;
pub mod upstream;

use std::time::Duration;

pub use app::{TestApp, header, json, spawn_app, spawn_app_with, text};
pub use browser::{Browser, client_token, location, login, login_with, urlencode};
pub use cli::{BIN, downtime};
pub use db::{TestDb, databases, postgres_only, sqlite};
pub use net::{free_addr, http};
pub use process::{Server, until_status};
pub use server::{Api, LiveServer, dev_config, start, start_site};
pub use upstream::{Proxy, Running, Upstream, raw, raw_json, seen, start_upstream};

/// Polls `check` every 20 ms until it holds or `within` passes.
pub async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
