//! The command line, run as a real process against a real database.

use std::process::Output;

use downtime::state::StateService;
use serde_json::Value;
use tokio::process::Command;

use crate::helpers::{BIN, databases, downtime, sqlite};

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn status_json(url: &str) -> Value {
    let out = downtime(url, &["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("status JSON")
}

#[tokio::test]
async fn on_status_off_and_history_work_together() {
    for db in databases().await {
        let url = db.url.as_str();
        let status = status_json(url).await;
        assert_eq!(status["active"], false);
        assert_eq!(status["version"], 1);

        let on = downtime(
            url,
            &[
                "on",
                "--message",
                "Upgrading the database",
                "--for",
                "45m",
                "--reason",
                "release 7",
            ],
        )
        .await;
        assert_eq!(on.status.code(), Some(0), "{}", stderr(&on));
        assert!(
            stdout(&on).starts_with("maintenance ON (full) until "),
            "{}",
            stdout(&on)
        );

        let status = status_json(url).await;
        assert_eq!(status["active"], true);
        assert_eq!(status["phase"], "active");
        assert_eq!(status["mode"], "full");
        assert_eq!(status["message"], "Upgrading the database");
        assert_eq!(status["version"], 2);
        assert_eq!(status["updated_by"], "cli:ada");
        let ends: chrono::DateTime<chrono::Utc> = status["ends_at"]
            .as_str()
            .expect("ends_at")
            .parse()
            .expect("date");
        let minutes = (ends - chrono::Utc::now()).num_minutes();
        assert!((43..=45).contains(&minutes), "{minutes}");

        let text = stdout(&downtime(url, &["status"]).await);
        assert!(text.contains("maintenance: ON (full)"), "{text}");
        assert!(text.contains("message:     Upgrading the database"));

        let off = downtime(url, &["off", "--reason", "done"]).await;
        assert_eq!(off.status.code(), Some(0));
        assert_eq!(stdout(&off).trim(), "maintenance OFF, version 3");

        let history = downtime(url, &["history", "--json"]).await;
        let entries: Value = serde_json::from_slice(&history.stdout).expect("history JSON");
        let entries = entries.as_array().expect("array");
        assert_eq!(entries.len(), 2, "{}", db.kind);
        assert_eq!(entries[0]["version"], 3);
        assert_eq!(entries[0]["reason"], "done");
        assert_eq!(entries[1]["actor"], "cli:ada");
        assert_eq!(entries[1]["reason"], "release 7");
        assert_eq!(entries[1]["after"]["message"], "Upgrading the database");

        let lines = stdout(&downtime(url, &["history", "--limit", "1"]).await);
        assert_eq!(lines.lines().count(), 1);
        assert!(
            lines.contains("off") && lines.contains("\"done\""),
            "{lines}"
        );
    }
}

#[tokio::test]
async fn read_only_until_and_retry_after_are_stored() {
    let db = sqlite();
    let out = downtime(
        &db.url,
        &[
            "on",
            "--read-only",
            "--until",
            "2099-12-01T02:00:00Z",
            "--from",
            "2099-11-30T22:00:00+00:00",
            "--retry-after",
            "10m",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let status = status_json(&db.url).await;
    assert_eq!(status["mode"], "read_only");
    assert_eq!(status["phase"], "scheduled");
    assert_eq!(status["active"], false);
    assert_eq!(status["starts_at"], "2099-11-30T22:00:00Z");
    assert_eq!(status["ends_at"], "2099-12-01T02:00:00Z");
    assert_eq!(status["retry_after_secs"], 600);
}

#[tokio::test]
async fn bad_usage_prints_one_line_exits_2_and_writes_nothing() {
    let db = sqlite();
    let cases: &[&[&str]] = &[
        &["on", "--bogus"],
        &["on", "--for", "abc"],
        &["on", "--for", "0s"],
        &["on", "--until", "tomorrow"],
        &["on", "--until", "2020-01-01T00:00:00Z"],
        &["on", "--until", "+10000-01-01T00:00:00Z"],
        &["on", "--status-code", "404"],
        &["on", "--scope", "checkout"],
        &["on", "--status-code", "teapot"],
        &["on", "--for", "200000y"],
        &["on", "--for", "1h", "--until", "2099-01-01T00:00:00Z"],
        &["on", "--retry-after", "30d"],
        &[
            "on",
            "--from",
            "2099-01-02T00:00:00Z",
            "--until",
            "2099-01-01T00:00:00Z",
        ],
        &["on", "--message", &"x".repeat(2001)],
        &["history", "--limit", "0"],
        &["frobnicate"],
    ];
    for args in cases {
        let out = downtime(&db.url, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    let status = status_json(&db.url).await;
    assert_eq!(status["version"], 1);
    let history = downtime(&db.url, &["history"]).await;
    assert_eq!(stdout(&history).trim(), "no changes yet");
}

#[tokio::test]
async fn an_unreachable_or_corrupt_database_is_a_clear_error() {
    let out = downtime("postgres://nobody:s3cret@127.0.0.1:1/none", &["status"]).await;
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: cannot open the database postgres://nobody:***@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("s3cret"));
    assert!(!err.contains("panicked"));
    // Why, not only that the pool gave up.
    assert!(err.contains("Connection refused"), "{err}");
    assert!(!err.contains("pool timed out"), "{err}");

    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("corrupt.db");
    std::fs::write(&file, vec![0x42; 8192]).expect("write");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    for args in [&["status"][..], &["serve", "--bind", "127.0.0.1:0"][..]] {
        let out = downtime(&url, args).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(err.starts_with("error: cannot "), "{err}");
        assert!(err.contains("file is not a database"), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!err.contains("panicked"));
    }

    let missing_dir = format!(
        "sqlite://{}/no/such/dir/x.db?mode=rwc",
        dir.path().display()
    );
    let out = downtime(&missing_dir, &["status"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: no database at"));
    let out = downtime(&missing_dir, &["migrate"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: cannot open the database"));
}

#[tokio::test]
async fn migrate_creates_the_schema_and_is_idempotent() {
    let db = sqlite();
    for _ in 0..2 {
        let out = downtime(&db.url, &["migrate"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(stdout(&out).trim(), "database is up to date");
    }
    assert_eq!(status_json(&db.url).await["version"], 1);
}

/// The reasons in the audit log, oldest first.
async fn reasons(url: &str) -> Vec<String> {
    let out = downtime(url, &["history", "--json"]).await;
    let entries: Vec<Value> = serde_json::from_slice(&out.stdout).expect("history JSON");
    entries
        .iter()
        .rev()
        .map(|e| e["reason"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn run_switches_maintenance_on_around_a_command_and_off_when_it_succeeds() {
    for db in databases().await {
        // The command sees maintenance on while it runs; its argument is a secret.
        let check = format!(
            "{BIN} status --json | grep -q '\"active\": true' && echo migrated; true hunter2"
        );
        let out = downtime(
            &db.url,
            &[
                "run",
                "--for",
                "10m",
                "--message",
                "Migrating",
                "--",
                "sh",
                "-c",
                &check,
            ],
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}: {}", db.kind, stderr(&out));
        assert_eq!(
            stdout(&out).trim(),
            "migrated",
            "the command ran while maintenance was on"
        );
        assert_eq!(status_json(&db.url).await["active"], false);
        let reasons = reasons(&db.url).await;
        assert_eq!(
            reasons,
            ["downtime run: sh started", "downtime run: sh succeeded"],
            "{}",
            db.kind
        );
    }
}

#[tokio::test]
async fn run_keeps_maintenance_on_when_the_command_fails_unless_told_otherwise() {
    let db = sqlite();
    let out = downtime(
        &db.url,
        &["run", "--for", "10m", "--", "sh", "-c", "exit 3"],
    )
    .await;
    assert_eq!(out.status.code(), Some(3), "the command's exit code");
    let status = status_json(&db.url).await;
    assert_eq!(status["active"], true, "it stays on");
    assert!(status["ends_at"].is_string(), "until the fail-safe end");
    assert_eq!(
        reasons(&db.url).await.last().map(String::as_str),
        Some("downtime run: sh failed (exit 3); maintenance stays on")
    );

    let out = downtime(
        &db.url,
        &[
            "run",
            "--for",
            "10m",
            "--on-failure",
            "off",
            "--",
            "sh",
            "-c",
            "exit 4",
        ],
    )
    .await;
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(status_json(&db.url).await["active"], false);

    let out = downtime(&db.url, &["run", "--for", "10m", "--", "/no/such/program"]).await;
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
    assert_eq!(status_json(&db.url).await["active"], true);

    // Without --for (the fail-safe) or a command: a usage error, nothing written.
    let before = reasons(&db.url).await.len();
    for args in [&["run", "--", "true"][..], &["run", "--for", "10m"][..]] {
        let out = downtime(&db.url, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(reasons(&db.url).await.len(), before);
}

#[tokio::test]
async fn run_passes_signals_on_and_its_window_ends_even_if_it_is_killed() {
    let db = sqlite();
    // A command that reports the signal it got, through its exit code.
    let mut run = Command::new(BIN)
        .args(["run", "--for", "2s", "--", "sh", "-c"])
        .arg("trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done")
        .env("DATABASE_URL", &db.url)
        .env("USER", "ada")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run");
    let mut stdout = tokio::io::BufReader::new(run.stdout.take().expect("stdout"));
    let mut line = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut stdout, &mut line)
        .await
        .expect("ready");
    assert_eq!(line.trim(), "ready");
    let pid = run.id().expect("pid").to_string();
    std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let status = run.wait().await.expect("wait");
    assert_eq!(
        status.code(),
        Some(42),
        "the command got SIGTERM and its code came back"
    );
    assert_eq!(
        reasons(&db.url).await.last().map(String::as_str),
        Some("downtime run: sh failed (exit 42); maintenance stays on")
    );

    // Killed outright, downtime cannot switch off: the window still ends at its time.
    let mut run = Command::new(BIN)
        .args([
            "run",
            "--for",
            "2s",
            "--",
            "sh",
            "-c",
            "echo ready; exec sleep 4",
        ])
        .env("DATABASE_URL", &db.url)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run");
    let mut stdout = tokio::io::BufReader::new(run.stdout.take().expect("stdout"));
    let mut line = String::new();
    tokio::io::AsyncBufReadExt::read_line(&mut stdout, &mut line)
        .await
        .expect("ready");
    assert_eq!(status_json(&db.url).await["active"], true);
    run.kill().await.expect("kill -9");
    let ended = crate::helpers::eventually(std::time::Duration::from_secs(4), || async {
        status_json(&db.url).await["phase"] == "ended"
    })
    .await;
    assert!(ended, "the fail-safe end did not come");
}

#[tokio::test]
async fn commands_refuse_a_database_that_is_not_there_and_name_the_one_they_use() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("elsewhere.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    for args in [
        &["status"][..],
        &["history"],
        &["off"],
        &["on"],
        &["superuser", "list"],
        &["bypass", "list"],
    ] {
        let out = downtime(&url, args).await;
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("no database at {}", file.display())),
            "{args:?}: {err}"
        );
        assert!(!file.exists(), "{args:?} created the database");
    }
    let out = downtime(&url, &["migrate"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(file.exists());
    let out = downtime(&url, &["status"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("database: {url}")),
        "{}",
        stderr(&out)
    );
}

#[tokio::test]
async fn the_audit_log_always_names_who_used_the_cli() {
    let db = sqlite();
    let run = |env: &'static [(&'static str, &'static str)], args: &'static [&'static str]| {
        let url = db.url.clone();
        async move {
            let mut command = Command::new(BIN);
            command
                .args(args)
                .env("DATABASE_URL", &url)
                .env_remove("USER")
                .env_remove("LOGNAME")
                .env_remove("DOWNTIME_ACTOR");
            for (name, value) in env {
                command.env(name, value);
            }
            let out = command.output().await.expect("run downtime");
            assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        }
    };
    run(&[("LOGNAME", "grace")], &["on"]).await;
    run(&[], &["off"]).await;
    run(&[("USER", "ada")], &["--actor", "deploy-bot", "on"]).await;
    let service = StateService::open(&db.url).await.expect("open");
    let actors: Vec<String> = service
        .history(3, None)
        .await
        .expect("history")
        .into_iter()
        .rev()
        .map(|e| e.actor)
        .collect();
    assert_eq!(actors[0], "cli:grace");
    // Neither variable set: the uid's name (this machine's tests run as a named user).
    assert!(
        actors[1].starts_with("cli:") && actors[1] != "cli:unknown",
        "{actors:?}"
    );
    assert_eq!(actors[2], "cli:deploy-bot");
}

#[tokio::test]
async fn settings_that_cannot_work_are_bad_usage_naming_the_flag() {
    let db = sqlite();
    for (args, names) in [
        (
            &["serve", "--oidc-issuer", "https://id.example.com"][..],
            "--oidc-client-id",
        ),
        (
            &["serve", "--bypass-cookie", "downtime_lang"],
            "different names",
        ),
        (&["serve", "--poll-interval", "10ms"], "poll"),
    ] {
        let out = downtime(&db.url, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(names), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[tokio::test]
async fn a_mistyped_command_or_flag_gets_clap_s_suggestion() {
    let db = sqlite();
    for (args, tip) in [
        (&["of"][..], "'off'"),
        (&["on", "--mesage", "x"], "'--message'"),
    ] {
        let out = downtime(&db.url, args).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains("tip:") && err.contains(tip), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[tokio::test]
async fn check_exits_3_only_while_visitors_are_gated() {
    for db in databases().await {
        let url = db.url.as_str();
        let check = |args: &'static [&'static str]| downtime(url, args);
        let open = check(&["check"]).await;
        assert_eq!(open.status.code(), Some(0), "{}", stderr(&open));
        assert!(
            stdout(&open).starts_with("maintenance OFF"),
            "{}",
            stdout(&open)
        );
        // Quiet is quiet on both streams: a cron line mails whatever it prints.
        let quiet = check(&["check", "--quiet"]).await;
        assert_eq!(quiet.status.code(), Some(0));
        assert_eq!(
            (stdout(&quiet), stderr(&quiet)),
            (String::new(), String::new())
        );

        // A window that has not started leaves the site open.
        let from = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
        let scheduled = downtime(url, &["on", "--from", &from, "--for", "1h"]).await;
        assert!(scheduled.status.success(), "{}", stderr(&scheduled));
        assert_eq!(check(&["check", "-q"]).await.status.code(), Some(0));
        assert_eq!(
            check(&["status", "--exit-code"]).await.status.code(),
            Some(0)
        );

        for on in [
            &["on"][..],
            &["on", "--read-only"],
            &["hold"],
            &["on", "--scope", "/checkout"],
        ] {
            assert!(downtime(url, on).await.status.success(), "{on:?}");
            let gated = check(&["check"]).await;
            assert_eq!(gated.status.code(), Some(3), "{on:?}: {}", stderr(&gated));
            assert!(
                stdout(&gated).starts_with("maintenance ON"),
                "{}",
                stdout(&gated)
            );
            let quiet = check(&["check", "--quiet"]).await;
            assert_eq!(quiet.status.code(), Some(3));
            assert_eq!(
                (stdout(&quiet), stderr(&quiet)),
                (String::new(), String::new())
            );
            let status = check(&["status", "--exit-code"]).await;
            assert_eq!(status.status.code(), Some(3));
            assert!(
                stdout(&status).starts_with("maintenance: ON"),
                "{}",
                stdout(&status)
            );
            // Without the flag, status succeeds whatever the state.
            assert_eq!(check(&["status", "--json"]).await.status.code(), Some(0));
            assert!(downtime(url, &["off"]).await.status.success());
        }
        assert_eq!(check(&["check"]).await.status.code(), Some(0));
    }
}
