//! The `downtime` binary: the server and the switch.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = downtime::cli::parse();
    downtime::telemetry::init(cli.is_serve(), cli.log_format());
    cli.run().await
}
