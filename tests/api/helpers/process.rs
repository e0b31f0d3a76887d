//! A real `downtime serve` process on a free port: [`Server`].

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use super::cli::BIN;
use super::eventually;

/// `downtime serve` in a child process of its own, killed on drop.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub http: reqwest::Client,
    _stdout: BufReader<tokio::process::ChildStdout>,
    /// The log, read as it is written: a full pipe would block the server's logging, and
    /// with it every request.
    log: tokio::task::JoinHandle<String>,
}

impl Server {
    /// Starts a server on the database at `url` with `env` added, once it announces its address.
    pub async fn start(url: &str, env: &[(&str, &str)]) -> Server {
        Server::start_with(Command::new(BIN), url, env).await
    }

    /// Starts `downtime serve` through `program`: the binary itself, or a shell that sets
    /// something up and then runs it.
    pub async fn start_with(program: Command, url: &str, env: &[(&str, &str)]) -> Server {
        Server::start_bound(program, "127.0.0.1:0", url, env).await
    }

    /// Starts a server listening on `bind`.
    pub async fn start_on(bind: std::net::SocketAddr, url: &str, env: &[(&str, &str)]) -> Server {
        Server::start_bound(Command::new(BIN), &bind.to_string(), url, env).await
    }

    async fn start_bound(
        mut program: Command,
        bind: &str,
        url: &str,
        env: &[(&str, &str)],
    ) -> Server {
        let mut child = program
            .args(["serve", "--bind", bind])
            .env("DATABASE_URL", url)
            .env("DOWNTIME_POLL_INTERVAL", "200ms")
            .env("RUST_LOG", "info")
            .env_remove("MAINTENANCE_MODE")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        tokio::time::timeout(Duration::from_secs(20), stdout.read_line(&mut line))
            .await
            .expect("the server announced its address in time")
            .expect("read stdout");
        let base = line
            .trim()
            .strip_prefix("downtime listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let http = super::http();
        let mut stderr = child.stderr.take().expect("stderr");
        let log = tokio::spawn(async move {
            let mut log = String::new();
            let _ = stderr.read_to_string(&mut log).await;
            log
        });
        Server {
            child,
            base,
            http,
            _stdout: stdout,
            log,
        }
    }

    /// GET `path` as a browser asks.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request")
    }

    /// The JSON `path` answers a GET with, checked against the committed spec: this server
    /// runs in a process of its own, out of reach of the tests' checking middleware.
    pub async fn json(&self, path: &str) -> serde_json::Value {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp.bytes().await.expect("body");
        crate::spec_check::check("get", path, status, &content_type, &body)
            .unwrap_or_else(|violation| panic!("GET {path} answered {status}: {violation}"));
        serde_json::from_slice(&body).expect("JSON")
    }

    /// The status `path` answers a browser with.
    pub async fn status_of(&self, path: &str) -> StatusCode {
        self.get(path).await.status()
    }

    /// Stops the server with SIGTERM and returns what it logged.
    pub async fn stop(mut self) -> String {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        let exited = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
        assert!(
            matches!(exited, Ok(Ok(status)) if status.success()),
            "{exited:?}"
        );
        self.log.await.expect("the log")
    }
}

/// How long until `/about` answers `status`, waiting up to `within`.
pub async fn until_status(
    server: &Server,
    status: StatusCode,
    within: Duration,
) -> Option<Duration> {
    let started = Instant::now();
    eventually(within, || async {
        server.status_of("/about").await == status
    })
    .await
    .then(|| started.elapsed())
}
