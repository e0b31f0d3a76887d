//! A shop of one page behind downtime: the first program of the README, as it is there.

use std::time::Duration;

use poem::listener::TcpListener;
use poem::{Route, Server, get, handler};
use tracing_subscriber::EnvFilter;

#[handler]
fn home() -> &'static str {
    "Welcome to the shop"
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Says where the server listens, and why a login fails (RUST_LOG=debug says more).
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8000".into());
    let downtime = downtime::Downtime::builder()
        .database_url("sqlite://downtime.db?mode=rwc")
        .prefix("/_downtime") // downtime's routes, out of the app's way
        .base_url(format!("http://{addr}")) // where browsers and the provider reach it
        .oidc(downtime::Oidc {
            issuer: "https://id.example.com/realms/main".into(),
            client_id: "shop".into(),
            client_secret: None,
            audience: None,
        })
        .superuser_emails(["ops@example.com"])
        .build()
        .await?;

    let app = Route::new().at("/", get(home)); // the team's own routes
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    Server::new(TcpListener::bind(addr))
        .run_with_graceful_shutdown(downtime.around(app), ctrl_c, Some(Duration::from_secs(10)))
        .await?;
    downtime.stop(); // ends the background work
    Ok(())
}
