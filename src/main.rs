//! The `downtime` binary: the server and the switch.

use std::io::Write as _;

#[tokio::main]
async fn main() {
    let cli = downtime::cli::parse();
    downtime::telemetry::init(cli.is_serve(), cli.log_format());
    // Boxed: `block_on` would keep the large serving future, and copies of it, on the main
    // thread's stack, which stays resident for the process's life.
    let code = Box::pin(cli.run()).await;
    // Exits here rather than returning: returning tears the runtime down, which waits for
    // every task, and a database pool's background task can keep a finished command alive.
    // Everything the command had to do is done and written; only the buffers remain.
    std::io::stdout().flush().ok();
    std::io::stderr().flush().ok();
    std::process::exit(i32::from(code));
}
