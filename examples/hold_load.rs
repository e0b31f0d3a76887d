//! The hold benchmark's load: `LOAD_RATE` requests a second (default 1,000) for `LOAD_SECS`
//! seconds (default 10) to `LOAD_URL` (`http://127.0.0.1:3201/about`), sent on schedule
//! whether or not earlier ones were answered (an open loop, as visitors arrive), each on a
//! connection of its own. Prints one line of JSON: how many were sent, answered by status,
//! failed (no answer within `LOAD_TIMEOUT` seconds, default 120, or a broken connection), the
//! slowest answer, and when the last answer came (milliseconds since the epoch).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// What became of one request.
enum Answer {
    Status(u16, Duration, Instant),
    Failed,
}

async fn one(addr: String, request: String, timeout: Duration) -> Answer {
    let sent = Instant::now();
    let exchange = async {
        let mut stream = TcpStream::connect(&addr).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::with_capacity(4096);
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(answer)) => match answer.get(9..12).and_then(|s| std::str::from_utf8(s).ok()) {
            Some(code) => code.parse().map_or(Answer::Failed, |code| {
                Answer::Status(code, sent.elapsed(), Instant::now())
            }),
            None => Answer::Failed,
        },
        _ => Answer::Failed,
    }
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("LOAD_URL").unwrap_or_else(|_| "http://127.0.0.1:3201/about".into());
    let rate: u32 = env("LOAD_RATE", 1_000);
    let secs: u32 = env("LOAD_SECS", 10);
    let timeout = Duration::from_secs(env("LOAD_TIMEOUT", 120));
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| anyhow::anyhow!("LOAD_URL must be http://HOST:PORT/PATH"))?;
    let (addr, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\nConnection: close\r\n\r\n"
    );

    let mut ticks = tokio::time::interval(Duration::from_secs(1) / rate);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = rate * secs;
    let mut requests = Vec::with_capacity(total as usize);
    for _ in 0..total {
        ticks.tick().await;
        requests.push(tokio::spawn(one(addr.to_owned(), request.clone(), timeout)));
    }
    let mut statuses: BTreeMap<u16, u32> = BTreeMap::new();
    let (mut failed, mut slowest) = (0u32, Duration::ZERO);
    let mut last_done = Instant::now();
    for request in requests {
        match request.await? {
            Answer::Status(code, took, done) => {
                *statuses.entry(code).or_default() += 1;
                slowest = slowest.max(took);
                last_done = last_done.max(done);
            }
            Answer::Failed => failed += 1,
        }
    }
    let last_done_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .saturating_sub(last_done.elapsed())
        .as_millis();
    let statuses: Vec<String> = statuses
        .iter()
        .map(|(code, n)| format!("\"{code}\": {n}"))
        .collect();
    println!(
        "{{\"sent\": {total}, \"statuses\": {{{}}}, \"failed\": {failed}, \"slowest_ms\": {}, \"last_done_ms\": {last_done_ms}}}",
        statuses.join(", "),
        slowest.as_millis()
    );
    Ok(())
}
