//! The benchmark's baseline: the demo site as a bare Poem app, with no gate, no session and no
//! database. `BARE_BIND` chooses the address (default `127.0.0.1:3100`).

use poem::listener::TcpListener;
use poem::middleware::{CatchPanic, Tracing};
use poem::{EndpointExt, Server};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    downtime::telemetry::init(true, downtime::telemetry::LogFormat::default());
    let bind = std::env::var("BARE_BIND").unwrap_or_else(|_| "127.0.0.1:3100".into());
    let app = downtime::web::demo::site()?
        .with(CatchPanic::new())
        .with(Tracing);
    println!("bare listening on http://{bind}");
    // Served exactly as downtime serves: with graceful shutdown.
    Server::new(TcpListener::bind(bind))
        .run_with_graceful_shutdown(
            app,
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            Some(std::time::Duration::from_secs(5)),
        )
        .await?;
    Ok(())
}
