//! A real server process, and the CLI changing its state from another process.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::cli::{BIN, downtime};
use crate::helpers::{databases, eventually};

struct Server {
    child: Child,
    base: String,
    http: reqwest::Client,
    _stdout: BufReader<tokio::process::ChildStdout>,
}

impl Server {
    async fn start(url: &str, env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--poll-interval", "200ms"])
            .env("DATABASE_URL", url)
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
        let http = crate::helpers::http();
        Server {
            child,
            base,
            http,
            _stdout: stdout,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .send()
            .await
            .expect("request")
    }

    async fn status_of(&self, path: &str) -> StatusCode {
        self.get(path).await.status()
    }

    /// Stops the server with SIGTERM and returns what it logged.
    async fn stop(mut self) -> String {
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
        let mut log = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            err.read_to_string(&mut log).await.expect("stderr");
        }
        log
    }
}

#[tokio::test]
async fn a_running_server_follows_the_cli_within_a_second() {
    for db in databases().await {
        let server = Server::start(&db.url, &[]).await;
        assert_eq!(server.status_of("/").await, StatusCode::OK);
        assert_eq!(server.status_of("/healthz").await, StatusCode::OK);

        let out = downtime(&db.url, &["on", "--message", "Back soon"]).await;
        assert_eq!(out.status.code(), Some(0));
        let switched = Instant::now();
        let gated = eventually(Duration::from_secs(1), || async {
            server.status_of("/about").await == StatusCode::FOUND
        })
        .await;
        assert!(
            gated,
            "{}: not gated {:?} after the CLI switched on",
            db.kind,
            switched.elapsed()
        );
        let page = server.get("/maintenance").await;
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()["retry-after"], "300");
        assert!(page.text().await.expect("body").contains("Back soon"));

        let out = downtime(&db.url, &["off"]).await;
        assert_eq!(out.status.code(), Some(0));
        let open = eventually(Duration::from_secs(1), || async {
            server.status_of("/about").await == StatusCode::OK
        })
        .await;
        assert!(open, "{}: still gated after the CLI switched off", db.kind);

        let log = server.stop().await;
        assert!(log.contains("request gated"), "{log}");
        assert!(log.contains("path=\"/about\""), "{log}");
        assert!(log.contains("maintenance state changed"), "{log}");
        assert!(log.contains("server stopped"), "graceful shutdown: {log}");
    }
}

#[tokio::test]
async fn maintenance_mode_from_the_environment_gates_from_the_first_request() {
    let db = crate::helpers::sqlite();
    let server = Server::start(&db.url, &[("MAINTENANCE_MODE", "on")]).await;
    let resp = server
        .http
        .get(format!("{}/api/demo/items", server.base))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    server.stop().await;

    let history = downtime(&db.url, &["history", "--json"]).await;
    let entries: serde_json::Value = serde_json::from_slice(&history.stdout).expect("JSON");
    assert_eq!(entries[0]["actor"], "environment");
    assert_eq!(entries[0]["reason"], "MAINTENANCE_MODE=on");

    let server = Server::start(&db.url, &[("MAINTENANCE_MODE", "off")]).await;
    assert_eq!(server.status_of("/").await, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn a_bad_maintenance_mode_value_is_a_usage_error() {
    let db = crate::helpers::sqlite();
    let out = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", &db.url)
        .env("MAINTENANCE_MODE", "maybe")
        .output()
        .await
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("maybe"), "{err}");
}
