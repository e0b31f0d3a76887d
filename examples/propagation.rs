//! Measures how long a committed change takes to reach other server processes: it switches
//! maintenance on and off many times, each time timing until every watched server answers
//! `/api/status` with the new state, and prints p50, p99 and the maximum of the slowest
//! server. `scripts/bench-propagation` runs it for each case in BENCHMARKS.md.
//!
//! ```sh
//! propagation --database URL --watch http://127.0.0.1:3301 [--watch …] [--toggles 200]
//! propagation --put http://127.0.0.1:3301 --token TOKEN --watch http://127.0.0.1:3302
//! propagation --cli target/release/downtime --database URL --logs DIR [--toggles 200]
//! ```
//!
//! With `--database`, it writes as the CLI does (through the state service, in this process);
//! with `--put`, through a server's API. Times run from the moment the writer has its answer
//! (the change is committed) to the first answer showing the change.
//!
//! With `--cli`, the writer is the real `downtime on`/`off`, one process per change, and the
//! servers are not asked at all (two dozen pollers would take the CPU the servers need): each
//! server logs `maintenance state changed` with the version when it has it (`--log-format
//! json`, its stderr in `DIR/*.log`), and those times are read afterwards. Times run from the
//! command's start and from its exit (its commit is done) to the slowest server's line.

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

/// The `--cli` case: the command, the database, and where the servers' logs are.
struct Fleet {
    cli: String,
    database: String,
    logs: std::path::PathBuf,
    toggles: usize,
}

enum Case {
    Watch(Args),
    Fleet(Fleet),
}

async fn args() -> anyhow::Result<Case> {
    let mut cli = None;
    let mut logs = None;
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
            "--cli" => cli = Some(value()?),
            "--logs" => logs = Some(std::path::PathBuf::from(value()?)),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    if let Some(cli) = cli {
        return Ok(Case::Fleet(Fleet {
            cli,
            database: database.context("--cli needs --database")?,
            logs: logs.context("--cli needs --logs")?,
            toggles,
        }));
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
    Ok(Case::Watch(Args {
        writer,
        watch,
        toggles,
    }))
}

/// One change made by the command: its version, and when it started and exited.
struct Written {
    version: i64,
    started: chrono::DateTime<chrono::Utc>,
    exited: chrono::DateTime<chrono::Utc>,
}

/// Runs `downtime on`/`off` `toggles` times, then reads when each server had each version.
async fn fleet(fleet: Fleet) -> anyhow::Result<()> {
    let mut written = Vec::with_capacity(fleet.toggles);
    for i in 0..fleet.toggles {
        let command = if i % 2 == 0 { "on" } else { "off" };
        let started = chrono::Utc::now();
        let out = tokio::process::Command::new(&fleet.cli)
            .arg(command)
            .env("DATABASE_URL", &fleet.database)
            .output()
            .await?;
        let exited = chrono::Utc::now();
        anyhow::ensure!(
            out.status.success(),
            "downtime {command}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // "maintenance ON (full), version 12"
        let stdout = String::from_utf8_lossy(&out.stdout);
        let version = stdout
            .rsplit("version ")
            .next()
            .and_then(|v| v.trim().parse().ok())
            .with_context(|| format!("no version in {stdout:?}"))?;
        written.push(Written {
            version,
            started,
            exited,
        });
        // Let the change settle, at moments out of step with anything periodic.
        tokio::time::sleep(Duration::from_millis(80 + (i as u64 * 7) % 40)).await;
    }
    // Give the slowest a moment, then read the logs.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut seen: Vec<std::collections::HashMap<i64, chrono::DateTime<chrono::Utc>>> = Vec::new();
    for entry in std::fs::read_dir(&fleet.logs)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "log") {
            seen.push(changes_in(&std::fs::read_to_string(&path)?));
        }
    }
    anyhow::ensure!(
        !seen.is_empty(),
        "no server logs in {}",
        fleet.logs.display()
    );
    let mut from_start = Vec::new();
    let mut from_exit = Vec::new();
    let mut missing = 0;
    for change in &written {
        let Some(last) = seen
            .iter()
            .map(|server| server.get(&change.version).copied())
            .collect::<Option<Vec<_>>>()
            .and_then(|times| times.into_iter().max())
        else {
            missing += 1;
            continue;
        };
        let after =
            |since: chrono::DateTime<chrono::Utc>| (last - since).to_std().unwrap_or_default();
        from_start.push(after(change.started));
        from_exit.push(after(change.exited));
    }
    from_start.sort();
    from_exit.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let figures = |sorted: &[Duration]| {
        format!(
            "p50_ms={:.1} p99_ms={:.1} max_ms={:.1}",
            ms(percentile(sorted, 0.50)),
            ms(percentile(sorted, 0.99)),
            ms(percentile(sorted, 1.0)),
        )
    };
    anyhow::ensure!(!from_exit.is_empty(), "no change reached every server");
    println!(
        "servers={} toggles={} from_commit: {} from_cli_start: {} missed={missing}",
        seen.len(),
        fleet.toggles,
        figures(&from_exit),
        figures(&from_start),
    );
    anyhow::ensure!(missing == 0, "{missing} changes never reached every server");
    Ok(())
}

/// When a server's JSON log says it had each version.
fn changes_in(log: &str) -> std::collections::HashMap<i64, chrono::DateTime<chrono::Utc>> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "maintenance state changed")
        .filter_map(|line| {
            let version = line["fields"]["version"].as_i64()?;
            let at = line["timestamp"].as_str()?.parse().ok()?;
            Some((version, at))
        })
        .collect()
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
    let args = match args().await? {
        Case::Watch(args) => args,
        Case::Fleet(fleet) => return self::fleet(fleet).await,
    };
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
