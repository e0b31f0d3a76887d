//! Logging: structured events to stderr, filtered by `RUST_LOG`.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Installs the subscriber: `info` for the server, `warn` for short commands, unless `RUST_LOG`
/// says otherwise.
pub fn init(serving: bool) {
    let default = if serving {
        "info,sqlx=warn,sea_orm=warn"
    } else {
        "warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
