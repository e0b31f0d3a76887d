//! Measures how long a committed change takes to reach other server processes: it switches
//! maintenance on and off many times, each time timing until every watched server answers
//! `/api/status` with the new state, and prints p50, p99 and the maximum of the slowest
//! server. `scripts/bench-propagation` runs it for each case in BENCHMARKS.md.
//!
//! ```sh
//! propagation --database URL --watch http://127.0.0.1:3301 [--watch …] [--toggles 200]
//! propagation --put http://127.0.0.1:3301 --token TOKEN --watch http://127.0.0.1:3302
//! ```
//!
//! With `--database`, it writes as the CLI does (through the state service, in this process);
//! with `--put`, through a server's API. Times run from the moment the writer has its answer
//! (the change is committed) to the first answer showing the change.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use downtime::state::{Change, StateService, Window};

/// Where changes are written.
enum Writer {
    Database(StateService),
    Api {
        url: String,
        token: String,
        http: reqwest::Client,
    },
}

impl Writer {
    async fn switch(&self, on: bool) -> anyhow::Result<()> {
        let window = if on { Window::on() } else { Window::off() };
        match self {
            Writer::Database(service) => {
                service.apply(window, Change::by("propagation")).await?;
            }
            Writer::Api { url, token, http } => {
                let status = http
                    .put(format!("{url}/api/maintenance"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "enabled": on }))
                    .send()
                    .await?
                    .status();
                anyhow::ensure!(status.is_success(), "PUT answered {status}");
            }
        }
        Ok(())
    }
}

struct Args {
    writer: Writer,
    watch: Vec<String>,
    toggles: usize,
}

async fn args() -> anyhow::Result<Args> {
    let mut database = None;
    let mut put = None;
    let mut token = None;
    let mut watch = Vec::new();
    let mut toggles = 200;
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let mut value = || {
            given
                .next()
                .with_context(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--database" => database = Some(value()?),
            "--put" => put = Some(value()?),
            "--token" => token = Some(value()?),
            "--watch" => watch.push(value()?),
            "--toggles" => toggles = value()?.parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let writer = match (database, put) {
        (Some(url), None) => Writer::Database(StateService::open(&url).await?),
        (None, Some(url)) => Writer::Api {
            url,
            token: token.context("--put needs --token")?,
            http: reqwest::Client::new(),
        },
        _ => anyhow::bail!("give --database or --put"),
    };
    anyhow::ensure!(!watch.is_empty(), "give at least one --watch");
    Ok(Args {
        writer,
        watch,
        toggles,
    })
}

/// Polls `base` until it reports `active`; how long that took from `since`, and how many
/// requests failed meanwhile.
async fn until(
    http: &reqwest::Client,
    base: &str,
    active: bool,
    since: Instant,
) -> (Duration, usize) {
    let url = format!("{base}/api/status");
    let mut failed = 0;
    loop {
        match http.get(&url).send().await {
            Ok(resp) if resp.status().is_success() => {
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                if body["active"] == active {
                    return (since.elapsed(), failed);
                }
            }
            _ => failed += 1,
        }
        if since.elapsed() > Duration::from_secs(10) {
            return (since.elapsed(), failed + 1);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = args().await?;
    let http = reqwest::Client::new();
    let mut slowest = Vec::with_capacity(args.toggles);
    let mut failed = 0;
    for i in 0..args.toggles {
        let on = i % 2 == 0;
        args.writer.switch(on).await?;
        let committed = Instant::now();
        let answers = futures_util::future::join_all(
            args.watch
                .iter()
                .map(|base| until(&http, base, on, committed)),
        )
        .await;
        failed += answers.iter().map(|(_, f)| f).sum::<usize>();
        slowest.push(answers.iter().map(|(d, _)| *d).max().unwrap_or_default());
        // Changes arrive at any moment, not in step with the watchers' clocks.
        tokio::time::sleep(Duration::from_millis(5 + (i as u64 * 7) % 20)).await;
    }
    slowest.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "toggles={} p50_ms={:.1} p99_ms={:.1} max_ms={:.1} failed_requests={failed}",
        args.toggles,
        ms(percentile(&slowest, 0.50)),
        ms(percentile(&slowest, 0.99)),
        ms(percentile(&slowest, 1.0)),
    );
    anyhow::ensure!(failed == 0, "{failed} requests failed");
    Ok(())
}
