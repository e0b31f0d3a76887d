//! `downtime serve`: the site behind downtime until a signal.

use std::io::Write as _;

use super::Usage;
use crate::config::Config;
use crate::startup::{Application, Site, max_client_connections, raise_open_files_limit};
use crate::web::demo;

/// Serves the upstream app, or the demo site without one, behind downtime, until a signal;
/// the state is in `url`'s database.
pub(super) async fn serve(url: String, config: Config) -> anyhow::Result<()> {
    let config = Config {
        database_url: url,
        ..config
    };
    // A setting that cannot work is bad usage (exit 2), found before anything starts.
    config.validate().map_err(Usage)?;
    config.webhook.check().map_err(Usage)?;
    if let Some(files) = config.tls.files() {
        crate::http::server::Tls::load(files, config.tls.hsts).map_err(Usage)?;
    }
    let site = match &config.proxy.upstream {
        Some(_) => Site::Upstream,
        // The demo's form and JSON routes read bodies: the same limit as downtime's own routes
        // (the proxy limits what it forwards by itself, streaming).
        None => Site::App(demo::served()?),
    };
    raise_open_files_limit(max_client_connections(&config));
    let app = Application::build(config, site).await?;
    println!(
        "downtime listening on {}://{}",
        app.scheme(),
        app.local_addr()
    );
    let _ = std::io::stdout().flush();
    tracing::info!(addr = %app.local_addr(), "listening");
    app.run_until_stopped().await?;
    Ok(())
}
