//! `deploy/`: the systemd unit, its environment file and the Kubernetes example are checked by
//! the tools that read them and against the variables `downtime serve` reads; and the server
//! drains on SIGTERM, as both rely on.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use poem::{EndpointExt as _, Route, get, handler, web::Data};
use reqwest::StatusCode;
use serde::Deserialize as _;
use serde_yaml::Value;

use crate::helpers::{BIN, Running, Server, eventually, sqlite};

fn deploy_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(deploy_file(name)).unwrap_or_else(|e| panic!("deploy/{name}: {e}"))
}

/// Every environment variable `downtime serve` reads, from the parser's own definition.
fn serve_variables() -> BTreeSet<String> {
    let mut command = downtime::cli::command();
    command.build();
    let serve = command
        .find_subcommand("serve")
        .expect("a serve command")
        .clone();
    let names: BTreeSet<String> = serve
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    assert!(names.contains("DATABASE_URL") && names.contains("DOWNTIME_BIND"));
    names
}

fn assert_read_by_serve<'a>(source: &str, names: impl IntoIterator<Item = &'a str>) {
    let known = serve_variables();
    for name in names {
        assert!(
            known.contains(name),
            "{source} sets {name}, which `downtime serve` does not read"
        );
    }
}

/// A systemd tool, which CI installs (`.ci/run`): missing, the test fails rather than pass
/// without checking anything.
fn systemd_analyze() -> Command {
    let found = Command::new("systemd-analyze").arg("--version").output();
    assert!(
        matches!(&found, Ok(out) if out.status.success()),
        "systemd-analyze is missing: `apt-get install systemd` (.ci/run installs it)"
    );
    Command::new("systemd-analyze")
}

/// The unit, with its `ExecStart` pointed at the binary cargo built (`systemd-analyze verify`
/// checks that the program exists), in a directory of its own.
fn unit_for_verify() -> (tempfile::TempDir, PathBuf) {
    let unit = read("downtime.service");
    let installed = "ExecStart=/usr/local/bin/downtime serve\n";
    assert_eq!(unit.matches(installed).count(), 1, "{unit}");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("downtime.service");
    std::fs::write(
        &path,
        unit.replace(installed, &format!("ExecStart={BIN} serve\n")),
    )
    .expect("write the unit");
    (dir, path)
}

/// `KEY=value` settings of the unit's `[Service]` section, in order (a key may repeat).
fn service_settings(unit: &str) -> Vec<(String, String)> {
    unit.split("\n[")
        .find(|section| section.starts_with("Service]"))
        .expect("a [Service] section")
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let (_dir, unit) = unit_for_verify();
    let out = systemd_analyze()
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .expect("run systemd-analyze");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    // Unknown or misspelt settings are only warned about, and then ignored.
    assert_eq!(said.trim(), "", "systemd-analyze verify warned");
}

#[test]
fn the_systemd_unit_is_hardened() {
    let (_dir, unit) = unit_for_verify();
    let out = systemd_analyze()
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&unit)
        .output()
        .expect("run systemd-analyze");
    let report = String::from_utf8_lossy(&out.stdout);
    let exposure: f64 = report
        .split("Overall exposure level for downtime.service: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level: {report}"));
    // systemd rates 0 to 10; below 2 it calls a service "OK".
    assert!(exposure < 2.0, "exposure {exposure}: {report}");

    let settings = service_settings(&read("downtime.service"));
    let value = |key: &str| {
        settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {key}="))
    };
    assert_eq!(value("DynamicUser"), "yes");
    assert_eq!(value("ProtectSystem"), "strict");
    assert_eq!(value("NoNewPrivileges"), "yes");
    assert_eq!(value("StateDirectory"), "downtime");
    assert_eq!(value("EnvironmentFile"), "-/etc/downtime/downtime.env");
    assert_eq!(value("KillSignal"), "SIGTERM");
    // The server drains for up to 5 s, then stops its background work.
    let stop = humantime::parse_duration(value("TimeoutStopSec")).expect("a duration");
    assert!(stop >= Duration::from_secs(10), "{stop:?}");
    // The database is in the state directory, the only place the service may write.
    assert!(
        value("Environment").contains("DATABASE_URL=sqlite://%S/downtime/downtime.db?mode=rwc"),
        "{}",
        value("Environment")
    );
}

#[test]
fn the_unit_and_its_environment_file_set_only_variables_serve_reads() {
    let settings = service_settings(&read("downtime.service"));
    let from_unit: Vec<String> = settings
        .iter()
        .filter(|(k, _)| k == "Environment")
        .flat_map(|(_, v)| v.split_whitespace().map(|w| w.trim_matches('"').to_owned()))
        .filter_map(|w| w.split_once('=').map(|(name, _)| name.to_owned()))
        .collect();
    assert!(
        from_unit.contains(&"DATABASE_URL".to_owned()),
        "{from_unit:?}"
    );
    assert_read_by_serve("downtime.service", from_unit.iter().map(String::as_str));

    let env = read("downtime.env");
    let from_file: Vec<&str> = env
        .lines()
        .map(|l| l.trim_start_matches('#'))
        .filter_map(|l| l.split_once('=').map(|(name, _)| name))
        .filter(|name| name.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    assert!(from_file.contains(&"DOWNTIME_SECRET_KEY"), "{from_file:?}");
    assert_read_by_serve("downtime.env", from_file);
}

/// The YAML documents of the Kubernetes example.
fn kubernetes() -> Vec<Value> {
    let text = read("kubernetes.yaml");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("valid YAML"))
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

fn str_at<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

/// The container's environment: plain values, and the Secret's keys for the others.
fn container_env(docs: &[Value]) -> Vec<(String, String)> {
    let secret = of_kind(docs, "Secret");
    let container = &of_kind(docs, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    container["env"]
        .as_sequence()
        .expect("env")
        .iter()
        .map(|var| {
            let name = str_at(&var["name"], "name").to_owned();
            let value = match &var["valueFrom"]["secretKeyRef"] {
                Value::Null => str_at(&var["value"], "value").to_owned(),
                from => {
                    assert_eq!(from["name"], secret["metadata"]["name"], "{name}");
                    let key = str_at(&from["key"], "key");
                    str_at(&secret["stringData"][key], key).to_owned()
                }
            };
            (name, value)
        })
        .collect()
}

#[test]
fn the_kubernetes_example_probes_drains_and_takes_its_secrets_from_a_secret() {
    let docs = kubernetes();
    let kinds: Vec<&str> = docs.iter().map(|d| str_at(&d["kind"], "kind")).collect();
    assert_eq!(kinds, ["Secret", "Deployment", "Service"]);

    let pod = &of_kind(&docs, "Deployment")["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["args"][0], "serve");
    let port = &container["ports"][0];
    assert_eq!(port["name"], "http");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["readinessProbe"]["httpGet"]["port"], "http");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["livenessProbe"]["httpGet"]["port"], "http");

    let env = container_env(&docs);
    let var = |name: &str| {
        env.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_read_by_serve("kubernetes.yaml", env.iter().map(|(n, _)| n.as_str()));
    let bind: std::net::SocketAddr = var("DOWNTIME_BIND").parse().expect("an address");
    assert_eq!(Some(u64::from(bind.port())), port["containerPort"].as_u64());
    assert!(var("DATABASE_URL").starts_with("postgres://"));
    assert!(var("DOWNTIME_SECRET_KEY").len() >= 32);
    let secret = of_kind(&docs, "Secret");
    for key in ["DOWNTIME_SECRET_KEY", "DATABASE_URL"] {
        assert!(
            container["env"]
                .as_sequence()
                .expect("env")
                .iter()
                .any(|v| v["name"] == key && v["valueFrom"]["secretKeyRef"]["key"] == key),
            "{key} is not taken from the Secret"
        );
        assert!(secret["stringData"][key].is_string());
    }

    // Waiting for the endpoints, then the 5 s drain, must end before the kubelet's SIGKILL.
    let grace = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("grace");
    let pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_u64()
        .expect("a preStop sleep");
    assert!(grace >= pre_stop + 5 + 5, "{grace} s");

    let service = of_kind(&docs, "Service");
    assert_eq!(
        service["spec"]["selector"],
        of_kind(&docs, "Deployment")["spec"]["selector"]["matchLabels"]
    );
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
}

/// The example's settings work: a server started with them (but this test's database, a
/// local address and an upstream that is not there) answers both probes with 200.
#[tokio::test]
async fn a_server_with_the_kubernetes_settings_answers_its_probes() {
    let docs = kubernetes();
    let db = sqlite();
    let env: Vec<(String, String)> = container_env(&docs)
        .into_iter()
        .filter(|(name, _)| name != "DATABASE_URL" && name != "DOWNTIME_BIND")
        .map(|(name, value)| match name.as_str() {
            "DOWNTIME_UPSTREAM" => (name, "http://127.0.0.1:9".to_owned()),
            _ => (name, value),
        })
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let server = Server::start(&db.url, &env).await;
    let container = &of_kind(&docs, "Deployment")["spec"]["template"]["spec"]["containers"][0];
    for probe in ["readinessProbe", "livenessProbe"] {
        let path = str_at(&container[probe]["httpGet"]["path"], "path");
        let resp = server
            .http
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .expect("probe");
        assert_eq!(resp.status(), StatusCode::OK, "{probe} {path}");
    }
    let log = server.stop().await;
    assert!(log.contains("\"draining the open connections\""), "{log}");
}

/// Answers once the test has sent SIGTERM.
#[derive(Default)]
struct Late {
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

#[handler]
async fn late(late: Data<&Arc<Late>>) -> &'static str {
    late.entered.notify_one();
    late.release.notified().await;
    "late answer"
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_refuses_new_ones_and_exits_0() {
    let held = Arc::new(Late::default());
    let upstream = Running::start(Route::new().at("/", get(late)).data(held.clone())).await;
    let db = sqlite();
    let server = Server::start(&db.url, &[("DOWNTIME_UPSTREAM", &upstream.url())]).await;
    let base = server.base.clone();
    let addr = base.trim_start_matches("http://").to_owned();

    let http = server.http.clone();
    let url = format!("{base}/");
    let in_flight = tokio::spawn(async move { http.get(url).send().await });
    held.entered.notified().await;
    // `stop` sends SIGTERM, then waits for exit code 0.
    let stopping = tokio::spawn(server.stop());
    let refused = eventually(Duration::from_secs(5), || async {
        tokio::net::TcpStream::connect(&addr).await.is_err()
    })
    .await;
    assert!(refused, "still accepting after SIGTERM");
    assert!(!stopping.is_finished(), "exited with a request in flight");

    held.release.notify_one();
    let resp = in_flight.await.expect("task").expect("the answer");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.expect("body"), "late answer");
    let log = tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("exits once the answer is out")
        .expect("exit code 0");
    assert!(log.contains("draining the open connections"), "{log}");
}

/// CHANGELOG.md's upgrade notes: an older binary does not start on a database a newer one
/// migrated, and says why.
#[tokio::test]
async fn a_database_migrated_by_a_newer_version_stops_an_older_one() {
    use sea_orm::ConnectionTrait as _;

    for db in crate::helpers::databases().await {
        let migrated = crate::helpers::downtime(&db.url, &["migrate"]).await;
        assert_eq!(migrated.status.code(), Some(0), "{}", db.kind);
        let conn = sea_orm::Database::connect(db.url.as_str())
            .await
            .expect("connect");
        conn.execute_unprepared(
            "INSERT INTO seaql_migrations (version, applied_at) \
             VALUES ('m20991231_000001_from_a_newer_version', 0)",
        )
        .await
        .expect("record a newer migration");
        conn.close().await.expect("close");

        for args in [&["status"][..], &["migrate"]] {
            let out = crate::helpers::downtime(&db.url, args).await;
            let said = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{}: {args:?}: {said}", db.kind);
            assert!(
                said.contains(
                    "Migration file of version 'm20991231_000001_from_a_newer_version' is missing"
                ),
                "{}: {said}",
                db.kind
            );
        }
    }
}

/// The README's command for the CLI beside the unit names the unit's database and parses.
#[test]
fn the_readme_cli_command_for_the_unit_parses_and_names_its_database() {
    use clap::Parser as _;

    let readme = include_str!("../../README.md");
    let command = readme
        .split('`')
        .find(|span| span.starts_with("sudo downtime "))
        .expect("the README's command for the CLI on the service's machine");
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    assert!(
        downtime::cli::Cli::try_parse_from(&words).is_ok(),
        "{command:?} is refused"
    );
    // The unit's database: DATABASE_URL with systemd's %S (/var/lib) expanded.
    let unit = read("downtime.service");
    let url = unit
        .split("\"DATABASE_URL=")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("the unit's DATABASE_URL")
        .replace("%S", "/var/lib");
    assert!(
        words
            .windows(2)
            .any(|w| w[0] == "--database-url" && w[1] == url),
        "{command:?} does not use {url}"
    );
}
