//! Automatic certificates (`--acme-domain`) against Pebble, Let's Encrypt's test ACME server
//! (Debian's `pebble`), over real sockets: a certificate ordered, validated by TLS-ALPN-01 or
//! HTTP-01, served and stored sealed; renewed by another replica while the first answers the
//! challenge; a failed renewal that keeps the working certificate; and replicas on one
//! PostgreSQL database that order once and serve the same certificate.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use sea_orm::{Database, EntityTrait as _};
use tokio::process::{Child, Command};
use tokio_rustls::TlsConnector;

use super::{Ca, Conn, connect, pem, served};
use crate::helpers::{BIN, Server, TestDb, eventually, free_addr, sqlite};

/// The secret key every replica shares: it seals the stored private keys.
const SECRET: &str = "a secret key of thirty-two characters or more";

/// Pebble, on ports of its own, validating challenges on the ports given.
struct Pebble {
    child: Child,
    directory: String,
    management: SocketAddr,
    /// The CA of Pebble's own listener: what `--acme-ca` trusts.
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Pebble {
    /// Starts Pebble checking HTTP-01 on `http_port` and TLS-ALPN-01 on `tls_port`.
    async fn start(http_port: u16, tls_port: u16) -> Pebble {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = Ca::new();
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress([127, 0, 0, 1].into()));
        let pair = ca.sign_with(&key, params);
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        let cert = file("cert.pem", &pair.chain_pem);
        let key = file("key.pem", &pair.key_pem);
        let ca_file = file("ca.pem", &pem("CERTIFICATE", &ca.cert));
        let (listen, management) = (free_addr(), free_addr());
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": listen.to_string(),
                "managementListenAddress": management.to_string(),
                "certificate": cert,
                "privateKey": key,
                "httpPort": http_port,
                "tlsPort": tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false,
            }
        });
        let config = file("pebble.json", &config.to_string());
        let child = Command::new("pebble")
            .arg("-config")
            .arg(&config)
            .arg("-strict=false")
            // Validate at once, every time, and take every good nonce.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_AUTHZREUSE", "0")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("pebble (Debian's pebble package)");
        let up = eventually(Duration::from_secs(10), || async {
            tokio::net::TcpStream::connect(listen).await.is_ok()
                && tokio::net::TcpStream::connect(management).await.is_ok()
        })
        .await;
        assert!(up, "Pebble did not start");
        Pebble {
            child,
            directory: format!("https://{listen}/dir"),
            management,
            ca_file,
            _dir: dir,
        }
    }

    /// A TLS client trusting the root Pebble issues under (a new one each start).
    async fn issued_client(&self) -> TlsConnector {
        self.client_offering(&[b"h2", b"http/1.1"]).await
    }

    /// [`issued_client`](Self::issued_client), offering these protocols by ALPN.
    async fn client_offering(&self, alpn: &[&[u8]]) -> TlsConnector {
        let ca = std::fs::read(&self.ca_file).expect("CA file");
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA"))
            .build()
            .expect("client");
        let root = http
            .get(format!("https://{}/roots/0", self.management))
            .send()
            .await
            .expect("Pebble's root")
            .bytes()
            .await
            .expect("body");
        let root = CertificateDer::from_pem_slice(&root).expect("a PEM root");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(root).expect("root");
        let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut config = config;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(std::sync::Arc::new(config))
    }

    /// The settings of a replica ordering `localhost` from this Pebble.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DOWNTIME_ACME_DOMAIN", "localhost".to_owned()),
            ("DOWNTIME_ACME_DIRECTORY", self.directory.clone()),
            ("DOWNTIME_ACME_CA", self.ca_file.display().to_string()),
            ("DOWNTIME_ACME_EMAIL", "ops@example.com".to_owned()),
            ("DOWNTIME_SECRET_KEY", SECRET.to_owned()),
            ("DOWNTIME_ACME_RETRY_AFTER", "200ms".to_owned()),
        ]
    }
}

/// Starts `downtime serve` with `env` (on `bind` when given).
async fn replica(
    db: &TestDb,
    bind: Option<SocketAddr>,
    env: &[(&'static str, String)],
) -> (Server, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = match bind {
        Some(bind) => Server::start_on(bind, &db.url, &env).await,
        None => Server::start(&db.url, &env).await,
    };
    let at = server
        .base
        .strip_prefix("https://")
        .expect("an https base URL")
        .to_owned();
    (server, at)
}

/// The certificate `at` serves to a client asking for `localhost`, once it serves one that
/// `client` trusts and `wanted` accepts (within 30 s).
async fn serves(
    at: &str,
    client: &TlsConnector,
    wanted: impl Fn(&CertificateDer<'static>) -> bool,
) -> CertificateDer<'static> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(stream) = connect(at, client).await {
            let leaf = served(&stream);
            if wanted(&leaf) {
                return leaf;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{at} never served the certificate wanted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The domain's stored row.
async fn stored(db: &TestDb) -> entity::acme_certificate::Model {
    let conn = Database::connect(&db.url).await.expect("database");
    let row = entity::acme_certificate::Entity::find_by_id("localhost".to_owned())
        .one(&conn)
        .await
        .expect("read")
        .expect("a row for localhost");
    conn.close().await.expect("close");
    row
}

fn leaf_of(chain: &str) -> CertificateDer<'static> {
    CertificateDer::pem_slice_iter(chain.as_bytes())
        .next()
        .expect("a certificate")
        .expect("PEM")
}

fn count(log: &str, message: &str) -> usize {
    log.lines().filter(|line| line.contains(message)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_is_ordered_served_stored_sealed_renewed_and_kept_when_renewal_fails() {
    let db = sqlite();
    let bind = free_addr();
    // Pebble checks TLS-ALPN-01 on the first replica's HTTPS port.
    let mut pebble = Pebble::start(free_addr().port(), bind.port()).await;
    let client = pebble.issued_client().await;
    let (one, at_one) = replica(&db, Some(bind), &pebble.env()).await;

    let first = serves(&at_one, &client, |_| true).await;
    let stream = connect(&at_one, &client).await.expect("handshake");
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (_, status, _, body) = Conn::over(stream).await.get("/metrics", "*/*").await;
    assert_eq!(status, hyper::StatusCode::OK);
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains(
            r#"downtime_tls_certificate_expiry_timestamp_seconds{certificate="localhost"} "#
        ),
        "{body}"
    );

    // Only a client offering `acme-tls/1` alone is taken for an ACME server; with no
    // challenge in flight it gets no certificate at all.
    let mixed = pebble.client_offering(&[b"acme-tls/1", b"h2"]).await;
    let stream = connect(&at_one, &mixed).await.expect("handshake");
    assert_eq!(served(&stream), first);
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let acme_only = pebble.client_offering(&[b"acme-tls/1"]).await;
    assert!(connect(&at_one, &acme_only).await.is_err());

    // Stored for every replica: the chain as issued, the key sealed.
    let row = stored(&db).await;
    assert_eq!(leaf_of(row.chain.as_deref().expect("chain")), first);
    let sealed = row.sealed_key.expect("sealed key");
    assert!(
        sealed.starts_with("v1.") && !sealed.contains("PRIVATE"),
        "{sealed}"
    );
    assert!(row.not_after.is_some() && row.claimed_by.is_none());
    let conn = Database::connect(&db.url).await.expect("database");
    let accounts = entity::acme_account::Entity::find()
        .all(&conn)
        .await
        .expect("accounts");
    assert_eq!(accounts.len(), 1);
    assert!(!accounts[0].sealed_credentials.contains("private"));
    conn.close().await.expect("close");

    // A replica told to renew long before expiry (more than the certificate's life) renews at
    // once; Pebble checks the first replica, which answers the challenge the second published.
    let mut renewing = pebble.env();
    renewing.push(("DOWNTIME_ACME_RENEW_BEFORE", "3650days".to_owned()));
    renewing.push(("DOWNTIME_ACME_CHECK_EVERY", "1s".to_owned()));
    let (two, at_two) = replica(&db, None, &renewing).await;
    let renewed = serves(&at_one, &client, |leaf| *leaf != first).await;
    serves(&at_two, &client, |leaf| *leaf != first).await;

    // The ACME server goes away: the next renewal fails, and the working certificate stays.
    pebble.child.kill().await.expect("stop Pebble");
    let failed = eventually(Duration::from_secs(30), || async {
        let row = stored(&db).await;
        row.failures >= 1 && row.last_error.is_some()
    })
    .await;
    assert!(failed, "the failed renewal was not recorded");
    let current = leaf_of(stored(&db).await.chain.as_deref().expect("chain"));
    assert_eq!(serves(&at_one, &client, |_| true).await, current);
    assert_eq!(serves(&at_two, &client, |_| true).await, current);
    assert_ne!(current, first);
    let _ = renewed;

    let log_two = two.stop().await;
    assert!(
        count(
            &log_two,
            "cannot get a TLS certificate; still serving the one before"
        ) >= 1,
        "{log_two}"
    );
    assert!(
        count(&log_two, "a TLS certificate was issued") >= 1,
        "{log_two}"
    );
    let log_one = one.stop().await;
    assert_eq!(count(&log_one, "made an ACME account"), 1, "{log_one}");
    assert!(
        count(&log_one, "serving a new TLS certificate") >= 2,
        "{log_one}"
    );
    assert!(!log_one.contains(SECRET) && !log_two.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_01_is_answered_on_the_plain_http_address_which_redirects_the_rest() {
    let db = sqlite();
    let plain = free_addr();
    let pebble = Pebble::start(plain.port(), free_addr().port()).await;
    let client = pebble.issued_client().await;
    let mut env = pebble.env();
    env.push(("DOWNTIME_HTTP_BIND", plain.to_string()));
    let (server, at) = replica(&db, None, &env).await;
    let leaf = serves(&at, &client, |_| true).await;
    assert_eq!(
        leaf_of(stored(&db).await.chain.as_deref().expect("chain")),
        leaf
    );

    let http = crate::helpers::http();
    let unknown = http
        .get(format!(
            "http://{plain}/.well-known/acme-challenge/unknown-token"
        ))
        .send()
        .await
        .expect("request");
    assert_eq!(unknown.status(), reqwest::StatusCode::NOT_FOUND);
    let other = http
        .get(format!("http://{plain}/orders?page=2"))
        .header("host", "localhost")
        .send()
        .await
        .expect("request");
    assert_eq!(other.status(), reqwest::StatusCode::PERMANENT_REDIRECT);
    let log = server.stop().await;
    assert_eq!(count(&log, "a TLS certificate was issued"), 1, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(postgres_tests),
    ignore = "needs PostgreSQL: set DOWNTIME_TEST_POSTGRES_URL"
)]
async fn replicas_on_one_postgresql_database_order_once_and_serve_the_same_certificate() {
    let (db, _admin) = crate::helpers::postgres_only().await;
    let bind = free_addr();
    let pebble = Pebble::start(free_addr().port(), bind.port()).await;
    let client = pebble.issued_client().await;
    let env = pebble.env();
    let ((one, at_one), (two, at_two), (three, at_three)) = tokio::join!(
        replica(&db, Some(bind), &env),
        replica(&db, None, &env),
        replica(&db, None, &env),
    );
    let leaf = serves(&at_one, &client, |_| true).await;
    assert_eq!(serves(&at_two, &client, |_| true).await, leaf);
    assert_eq!(serves(&at_three, &client, |_| true).await, leaf);
    assert_eq!(
        leaf_of(stored(&db).await.chain.as_deref().expect("chain")),
        leaf
    );
    let logs = [one.stop().await, two.stop().await, three.stop().await];
    let issued: usize = logs
        .iter()
        .map(|log| count(log, "a TLS certificate was issued"))
        .sum();
    let ordered: usize = logs
        .iter()
        .map(|log| count(log, "ordering a TLS certificate"))
        .sum();
    assert_eq!((ordered, issued), (1, 1), "{logs:#?}");
    for log in &logs {
        assert_eq!(count(log, "serving a new TLS certificate"), 1, "{log}");
    }
}

#[tokio::test]
async fn acme_without_a_secret_key_or_with_a_wildcard_is_refused_at_start() {
    let db = sqlite();
    for (args, says) in [
        (&["--acme-domain", "example.com"][..], "--secret-key"),
        (&["--acme-domain", "*.example.com"][..], "wildcard"),
    ] {
        let out = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(args)
            .env("DATABASE_URL", &db.url)
            .env_remove("DOWNTIME_SECRET_KEY")
            .env_remove("RUST_LOG")
            .output()
            .await
            .expect("run downtime");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_the_secret_key_changes_a_new_account_and_certificate_are_made() {
    let db = sqlite();
    let bind = free_addr();
    let pebble = Pebble::start(free_addr().port(), bind.port()).await;
    let client = pebble.issued_client().await;
    let (before, at) = replica(&db, Some(bind), &pebble.env()).await;
    let first = serves(&at, &client, |_| true).await;
    before.stop().await;

    // Rotated on every replica (it also ends every session): what is stored does not open.
    let mut env = pebble.env();
    env.retain(|(name, _)| *name != "DOWNTIME_SECRET_KEY");
    env.push((
        "DOWNTIME_SECRET_KEY",
        "another secret key, thirty-two characters or more".to_owned(),
    ));
    let (after, at) = replica(&db, Some(bind), &env).await;
    let second = serves(&at, &client, |leaf| *leaf != first).await;
    assert_eq!(
        leaf_of(stored(&db).await.chain.as_deref().expect("chain")),
        second
    );
    let log = after.stop().await;
    assert_eq!(
        count(
            &log,
            "cannot serve the stored TLS certificate (every replica needs the same --secret-key)"
        ),
        1,
        "{log}"
    );
    assert_eq!(
        count(&log, "cannot use the stored ACME account; making a new one"),
        1,
        "{log}"
    );
    assert_eq!(count(&log, "a TLS certificate was issued"), 1, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_acme_server_configured_orders_a_certificate_from_it() {
    let db = sqlite();
    let bind = free_addr();
    // Say, Let's Encrypt's staging server first, then its production one.
    let staging = Pebble::start(free_addr().port(), bind.port()).await;
    let (before, at) = replica(&db, Some(bind), &staging.env()).await;
    serves(&at, &staging.issued_client().await, |_| true).await;
    before.stop().await;

    let production = Pebble::start(free_addr().port(), bind.port()).await;
    let (after, at) = replica(&db, Some(bind), &production.env()).await;
    // Verified against the production server's root: issued by it, not by staging.
    let leaf = serves(&at, &production.issued_client().await, |_| true).await;
    let row = stored(&db).await;
    assert_eq!(leaf_of(row.chain.as_deref().expect("chain")), leaf);
    assert_eq!(
        row.directory.as_deref(),
        Some(production.directory.as_str())
    );
    let log = after.stop().await;
    assert_eq!(count(&log, "a TLS certificate was issued"), 1, "{log}");
}
