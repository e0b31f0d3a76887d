//! The `downtime` binary: the server and the switch.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = downtime::cli::parse();
    downtime::telemetry::init(cli.is_serve(), cli.log_format());
    // Boxed: `block_on` would keep the large serving future, and copies of it, on the main
    // thread's stack, which stays resident for the process's life.
    Box::pin(cli.run()).await
}
