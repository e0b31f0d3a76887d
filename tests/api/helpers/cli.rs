//! The `downtime` binary, run as a command against a database.

use std::process::Output;

use tokio::process::Command;

/// The binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_downtime");

/// Runs `downtime args…` on the database at `url` as user `ada`, and waits for it to exit.
pub async fn downtime(url: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", url)
        .env("USER", "ada")
        .env_remove("MAINTENANCE_MODE")
        .env_remove("RUST_LOG")
        .output()
        .await
        .expect("run downtime")
}
