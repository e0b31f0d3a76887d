//! HTTPS on the serving address (`--tls-cert`, `--tls-key`), over real sockets: TLS 1.3 and
//! 1.2 with ECDSA and RSA keys and nothing older, HTTP/2 by ALPN with the gate applied as on
//! HTTP/1.1, certificates replaced on disk served without a restart (and a broken replacement
//! never served), `Secure` cookies, and a bad pair refused at start.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use downtime::state::Window;
use http_body_util::{BodyExt as _, Empty};
use hyper::StatusCode;
use hyper::http::HeaderMap;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ProtocolVersion, SupportedProtocolVersion};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::helpers::{BIN, LiveServer, TestDb, dev_config, eventually, sqlite, start};

mod acme;

/// A test CA: what the clients trust, and what signs the servers' certificates.
struct Ca {
    cert: CertificateDer<'static>,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

/// A certificate for `localhost` and its key, as the server's files hold them.
struct Pair {
    /// The certificate, then the CA's: a full chain.
    chain_pem: String,
    key_pem: String,
    leaf: CertificateDer<'static>,
}

fn pem(label: &str, der: &[u8]) -> String {
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

impl Ca {
    fn new() -> Self {
        let key = rcgen::KeyPair::generate().expect("CA key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "downtime test CA");
        let cert = params.self_signed(&key).expect("CA certificate");
        Ca {
            cert: cert.der().clone(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A certificate for `localhost` with `key`.
    fn sign(&self, key: &rcgen::KeyPair) -> Pair {
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        self.sign_with(key, params)
    }

    /// A certificate for `localhost` that expires at the start of `day` (UTC).
    fn expiring(&self, day: chrono::NaiveDate) -> Pair {
        use chrono::Datelike as _;
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        let month = u8::try_from(day.month()).expect("month");
        let dom = u8::try_from(day.day()).expect("day");
        params.not_after = rcgen::date_time_ymd(day.year(), month, dom);
        self.sign_with(&rcgen::KeyPair::generate().expect("key"), params)
    }

    fn sign_with(&self, key: &rcgen::KeyPair, params: rcgen::CertificateParams) -> Pair {
        let leaf = params.signed_by(key, &self.issuer).expect("certificate");
        Pair {
            chain_pem: format!(
                "{}{}",
                pem("CERTIFICATE", leaf.der()),
                pem("CERTIFICATE", &self.cert)
            ),
            key_pem: pem("PRIVATE KEY", &key.serialize_der()),
            leaf: leaf.der().clone(),
        }
    }

    fn ecdsa(&self) -> Pair {
        self.sign(&rcgen::KeyPair::generate().expect("key"))
    }

    /// An RSA key, which ring can use but not make: made by OpenSSL.
    fn rsa(&self, dir: &Path) -> Pair {
        let file = dir.join("rsa.pem");
        let made = std::process::Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .arg("-out")
            .arg(&file)
            .output()
            .expect("openssl (Debian's openssl package)");
        assert!(made.status.success(), "{made:?}");
        let pkcs8 = PrivatePkcs8KeyDer::from_pem_file(&file).expect("a PKCS#8 RSA key");
        let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)
            .expect("RSA key pair");
        self.sign(&key)
    }

    fn client(
        &self,
        versions: &[&'static SupportedProtocolVersion],
        alpn: &[&[u8]],
    ) -> TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.cert.clone()).expect("CA");
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(versions)
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        TlsConnector::from(Arc::new(config))
    }
}

/// Where a server's pair lives: replaced as certbot would, by a new file renamed over the old.
struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Files {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn cert(&self) -> PathBuf {
        self.dir.path().join("fullchain.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.path().join("privkey.pem")
    }

    fn write(&self, chain: &str, key: &str) {
        for (path, text) in [(self.cert(), chain), (self.key(), key)] {
            let new = path.with_extension("new");
            std::fs::write(&new, text).expect("write");
            std::fs::rename(&new, &path).expect("rename");
        }
    }
}

/// The settings of a live server on `files`, looking at them every 100 ms.
fn https_config(files: &Files) -> downtime::config::Config {
    let mut config = dev_config();
    config.auth.dev_idp = false;
    config.tls.tls_cert = Some(files.cert());
    config.tls.tls_key = Some(files.key());
    config.tls.tls_reload_poll = Duration::from_millis(100);
    config
}

/// A live server on `files`, and its database.
async fn https_server(files: &Files) -> (LiveServer, TestDb) {
    let db = sqlite();
    (start(&db, https_config(files)).await, db)
}

fn addr(server: &LiveServer) -> String {
    server
        .base
        .strip_prefix("https://")
        .expect("an https base URL")
        .to_owned()
}

async fn connect(addr: &str, client: &TlsConnector) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").expect("name");
    client.connect(name, tcp).await
}

fn served(stream: &TlsStream<TcpStream>) -> CertificateDer<'static> {
    let certs = stream
        .get_ref()
        .1
        .peer_certificates()
        .expect("certificates");
    certs[0].clone().into_owned()
}

/// One request on a connection, as HTTP/2 when ALPN chose it, HTTP/1.1 otherwise.
struct Conn {
    h2: Option<hyper::client::conn::http2::SendRequest<Empty<Bytes>>>,
    h1: Option<hyper::client::conn::http1::SendRequest<Empty<Bytes>>>,
}

impl Conn {
    async fn over(stream: TlsStream<TcpStream>) -> Self {
        let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = TokioIo::new(stream);
        if h2 {
            let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
                .await
                .expect("HTTP/2 handshake");
            tokio::spawn(conn);
            Conn {
                h2: Some(sender),
                h1: None,
            }
        } else {
            let (sender, conn) = hyper::client::conn::http1::handshake(io)
                .await
                .expect("HTTP/1.1 handshake");
            tokio::spawn(conn);
            Conn {
                h2: None,
                h1: Some(sender),
            }
        }
    }

    async fn get(
        &mut self,
        path: &str,
        accept: &str,
    ) -> (hyper::Version, StatusCode, HeaderMap, Bytes) {
        let req = hyper::Request::get(format!("https://localhost{path}")).header("accept", accept);
        let req = if self.h2.is_some() {
            req
        } else {
            req.header("host", "localhost")
        }
        .body(Empty::new())
        .expect("request");
        let resp = match (&mut self.h2, &mut self.h1) {
            (Some(h2), _) => h2.send_request(req).await,
            (None, Some(h1)) => h1.send_request(req).await,
            (None, None) => unreachable!("one of the two"),
        }
        .expect("an answer");
        let (parts, body) = resp.into_parts();
        let body = body.collect().await.expect("body").to_bytes();
        (parts.version, parts.status, parts.headers, body)
    }
}

const TLS13: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];
const TLS12: &[&SupportedProtocolVersion] = &[&rustls::version::TLS12];

#[tokio::test]
async fn https_speaks_tls_1_3_and_1_2_with_ecdsa_and_rsa_keys_and_nothing_older() {
    let ca = Ca::new();
    let files = Files::new();
    for pair in [ca.ecdsa(), ca.rsa(files.dir.path())] {
        files.write(&pair.chain_pem, &pair.key_pem);
        let (server, _db) = https_server(&files).await;
        for (versions, version) in [
            (TLS13, ProtocolVersion::TLSv1_3),
            (TLS12, ProtocolVersion::TLSv1_2),
        ] {
            let stream = connect(&addr(&server), &ca.client(versions, &[b"http/1.1"]))
                .await
                .expect("handshake");
            assert_eq!(stream.get_ref().1.protocol_version(), Some(version));
            assert_eq!(served(&stream), pair.leaf, "the whole chain checks out");
            let (_, status, _, body) = Conn::over(stream).await.get("/healthz", "*/*").await;
            assert_eq!(status, StatusCode::OK, "{body:?}");
        }
        // OpenSSL still speaks TLS 1.1 when told to lower its own floor; as a check that it
        // can connect at all, TLS 1.2 first.
        let openssl = |version: &'static str| {
            tokio::process::Command::new("openssl")
                .args(["s_client", "-connect", &addr(&server), version])
                .args(["-cipher", "DEFAULT:@SECLEVEL=0", "-servername", "localhost"])
                .stdin(std::process::Stdio::null())
                .output()
        };
        let tls12 = openssl("-tls1_2")
            .await
            .expect("openssl (Debian's openssl package)");
        let said = String::from_utf8_lossy(&tls12.stdout);
        assert!(tls12.status.success(), "{said}");
        assert!(!said.contains("Cipher is (NONE)"), "{said}");
        let tls11 = openssl("-tls1_1").await.expect("openssl");
        let said = String::from_utf8_lossy(&tls11.stdout);
        assert!(!tls11.status.success(), "TLS 1.1 was accepted: {said}");
        assert!(said.contains("Cipher is (NONE)"), "{said}");
        // Still serving after it.
        let stream = connect(&addr(&server), &ca.client(TLS13, &[])).await;
        assert!(stream.is_ok(), "{stream:?}");
    }
}

#[tokio::test]
async fn http2_is_chosen_by_alpn_and_gated_exactly_as_http1() {
    let ca = Ca::new();
    let files = Files::new();
    let pair = ca.ecdsa();
    files.write(&pair.chain_pem, &pair.key_pem);
    let (server, _db) = https_server(&files).await;
    server.switch_on(Window::off()).await;
    let mut answers = Vec::new();
    for alpn in [&b"h2"[..], b"http/1.1"] {
        let stream = connect(&addr(&server), &ca.client(TLS13, &[alpn]))
            .await
            .expect("handshake");
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(alpn));
        let mut conn = Conn::over(stream).await;
        let (version, status, headers, body) = conn.get("/", "application/json").await;
        let expected = if alpn == b"h2" {
            hyper::Version::HTTP_2
        } else {
            hyper::Version::HTTP_11
        };
        assert_eq!(version, expected);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers["content-type"], "application/problem+json");
        assert!(headers.contains_key("retry-after"));
        // Open while gated, on either.
        let (_, health, open_headers, _) = conn.get("/healthz", "*/*").await;
        assert_eq!(health, StatusCode::OK);
        assert!(
            !open_headers.contains_key("strict-transport-security"),
            "HSTS without --hsts"
        );
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1], "the same problem document on both");
    let problem: serde_json::Value = serde_json::from_slice(&answers[0]).expect("JSON");
    assert_eq!(problem["status"], 503);
}

#[tokio::test]
async fn a_certificate_replaced_on_disk_is_served_within_seconds_without_dropping_a_connection() {
    let ca = Ca::new();
    let files = Files::new();
    let (old, new) = (ca.ecdsa(), ca.ecdsa());
    files.write(&old.chain_pem, &old.key_pem);
    let (server, _db) = https_server(&files).await;
    let client = ca.client(TLS13, &[b"h2"]);
    let stream = connect(&addr(&server), &client).await.expect("handshake");
    assert_eq!(served(&stream), old.leaf);
    let mut open = Conn::over(stream).await;
    assert_eq!(open.get("/healthz", "*/*").await.1, StatusCode::OK);

    // A broken replacement (the new certificate with another key) is never served.
    let stranger = ca.ecdsa();
    files.write(&new.chain_pem, &stranger.key_pem);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let stream = connect(&addr(&server), &client).await.expect("handshake");
    assert_eq!(served(&stream), old.leaf, "the broken pair was taken");
    files.write("not a certificate", &new.key_pem);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let stream = connect(&addr(&server), &client).await.expect("handshake");
    assert_eq!(served(&stream), old.leaf, "the broken pair was taken");

    files.write(&new.chain_pem, &new.key_pem);
    let switched = eventually(Duration::from_secs(5), || async {
        let stream = connect(&addr(&server), &client).await.expect("handshake");
        served(&stream) == new.leaf
    })
    .await;
    assert!(switched, "the new certificate was never served");
    // The connection made before goes on with its own.
    assert_eq!(open.get("/healthz", "*/*").await.1, StatusCode::OK);
}

#[tokio::test]
async fn cookies_are_secure_over_https() {
    let ca = Ca::new();
    let files = Files::new();
    let pair = ca.ecdsa();
    files.write(&pair.chain_pem, &pair.key_pem);
    let (server, _db) = https_server(&files).await;
    let stream = connect(&addr(&server), &ca.client(TLS13, &[b"http/1.1"]))
        .await
        .expect("handshake");
    let mut conn = Conn::over(stream).await;
    let link = server
        .downtime
        .bypass()
        .create(
            downtime::bypass::LinkRequest {
                ttl: Duration::from_secs(600),
                label: None,
                next: None,
            },
            "test",
        )
        .await
        .expect("a bypass link");
    let url = link.url("");
    let (_, status, headers, _) = conn.get(&url, "text/html").await;
    assert!(status.is_redirection(), "{status}");
    let cookie = headers["set-cookie"].to_str().expect("cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("; HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn a_bad_pair_at_start_is_one_line_and_exit_2() {
    let ca = Ca::new();
    let files = Files::new();
    let (pair, other) = (ca.ecdsa(), ca.ecdsa());
    files.write(&pair.chain_pem, &other.key_pem);
    let db = sqlite();
    let missing = files.dir.path().join("missing.pem");
    for (cert, key, says) in [
        (
            files.cert(),
            files.key(),
            "is not the key of the certificate",
        ),
        (missing.clone(), files.key(), "--tls-cert"),
        (files.cert(), missing, "--tls-key"),
    ] {
        let out = tokio::process::Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--tls-cert"])
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .env("DATABASE_URL", &db.url)
            .env_remove("RUST_LOG")
            .output()
            .await
            .expect("run downtime");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(says),
            "{stderr}"
        );
    }
}

#[tokio::test]
async fn a_client_that_never_finishes_its_handshake_is_let_go() {
    let ca = Ca::new();
    let files = Files::new();
    let pair = ca.ecdsa();
    files.write(&pair.chain_pem, &pair.key_pem);
    let mut config = https_config(&files);
    config.server.tls_handshake_timeout = Duration::from_millis(300);
    let db = sqlite();
    let server = start(&db, config).await;
    use tokio::io::AsyncReadExt as _;
    let mut silent = TcpStream::connect(addr(&server)).await.expect("connect");
    let started = std::time::Instant::now();
    let mut byte = [0u8; 1];
    let closed = tokio::time::timeout(Duration::from_secs(5), silent.read(&mut byte))
        .await
        .expect("closed in time");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    // The others are served meanwhile and after.
    let stream = connect(&addr(&server), &ca.client(TLS13, &[])).await;
    assert!(stream.is_ok(), "{stream:?}");
}

#[tokio::test]
async fn the_app_behind_is_told_https_and_spoken_to_over_http1() {
    use crate::helpers::upstream::{Upstream, seen, start_upstream};
    let ca = Ca::new();
    let files = Files::new();
    let pair = ca.ecdsa();
    files.write(&pair.chain_pem, &pair.key_pem);
    let app = start_upstream(&Upstream::default()).await;
    let mut config = https_config(&files);
    config.proxy.upstream = Some(app.url().parse().expect("URL"));
    let db = sqlite();
    let server = crate::helpers::start_site(&db, config, downtime::startup::Site::Upstream).await;
    let stream = connect(&addr(&server), &ca.client(TLS13, &[b"h2"]))
        .await
        .expect("handshake");
    let mut conn = Conn::over(stream).await;
    let (version, status, headers, body) = conn.get("/orders?page=2", "application/json").await;
    assert_eq!(version, hyper::Version::HTTP_2);
    assert_eq!(status, StatusCode::OK, "{body:?}");
    assert_eq!(headers["x-upstream"], "echo");
    let echo: serde_json::Value = serde_json::from_slice(&body).expect("the echo");
    assert_eq!(echo["path"], "/orders");
    assert_eq!(seen(&echo, "x-forwarded-proto"), ["https"]);
    assert_eq!(
        seen(&echo, "host"),
        ["localhost"],
        "the h2 authority as Host"
    );
}

#[tokio::test]
async fn plain_http_is_sent_to_the_same_url_over_https_and_hsts_is_opt_in() {
    let ca = Ca::new();
    let files = Files::new();
    let pair = ca.ecdsa();
    files.write(&pair.chain_pem, &pair.key_pem);
    let http = crate::helpers::free_addr();
    let mut config = https_config(&files);
    config.tls.http_bind = Some(http);
    config.tls.hsts = true;
    // certbot --webroot -w DIR writes its challenge under DIR/.well-known/acme-challenge/.
    let webroot = tempfile::tempdir().expect("webroot");
    let challenges = webroot.path().join(".well-known/acme-challenge");
    std::fs::create_dir_all(&challenges).expect("challenges");
    std::fs::write(challenges.join("tok3n_A-1"), "tok3n_A-1.thumbprint").expect("write");
    config.tls.acme_webroot = Some(webroot.path().to_owned());
    let db = sqlite();
    let server = start(&db, config).await;
    // During maintenance too: the gate is not asked.
    server.switch_on(Window::off()).await;
    let port = addr(&server).rsplit(':').next().expect("port").to_owned();

    let answer = crate::helpers::raw(
        http,
        "POST /orders?page=2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 308"), "{answer}");
    let location = format!("location: https://localhost:{port}/orders?page=2\r\n");
    assert!(answer.to_ascii_lowercase().contains(&location), "{answer}");
    assert!(
        !answer
            .to_ascii_lowercase()
            .contains("strict-transport-security"),
        "HSTS over plain HTTP: {answer}"
    );

    let get = |path: &str| {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        async move { crate::helpers::raw(http, &request).await }
    };
    let challenge = get("/.well-known/acme-challenge/tok3n_A-1").await;
    assert!(challenge.starts_with("HTTP/1.1 200"), "{challenge}");
    assert!(
        challenge.ends_with("\r\n\r\ntok3n_A-1.thumbprint"),
        "{challenge}"
    );
    let unknown = get("/.well-known/acme-challenge/other").await;
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    let outside = get("/.well-known/acme-challenge/..%2f..%2fetc%2fpasswd").await;
    assert!(outside.starts_with("HTTP/1.1 308"), "{outside}");

    let stream = connect(&addr(&server), &ca.client(TLS13, &[b"h2"]))
        .await
        .expect("handshake");
    let (_, _, headers, _) = Conn::over(stream).await.get("/healthz", "*/*").await;
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");
}

#[tokio::test]
async fn without_a_webroot_or_acme_a_challenge_is_redirected_like_any_request() {
    let ca = Ca::new();
    let files = Files::new();
    let pair = ca.ecdsa();
    files.write(&pair.chain_pem, &pair.key_pem);
    let http = crate::helpers::free_addr();
    let mut config = https_config(&files);
    config.tls.http_bind = Some(http);
    let db = sqlite();
    let _server = start(&db, config).await;
    // The app (or whatever answers HTTPS) may answer it: an ACME server follows the redirect.
    let answer = crate::helpers::raw(
        http,
        "GET /.well-known/acme-challenge/tok3n HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 308"), "{answer}");
}

#[tokio::test]
async fn sighup_reads_the_certificate_again_and_a_broken_one_is_logged_and_not_served() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let ca = Ca::new();
    let files = Files::new();
    let (old, new) = (ca.ecdsa(), ca.ecdsa());
    files.write(&old.chain_pem, &old.key_pem);
    let db = sqlite();
    let (cert, key) = (files.cert(), files.key());
    let env = [
        ("DOWNTIME_TLS_CERT", cert.to_str().expect("path")),
        ("DOWNTIME_TLS_KEY", key.to_str().expect("path")),
        // Only SIGHUP makes it look.
        ("DOWNTIME_TLS_RELOAD_POLL", "1h"),
    ];
    let server = crate::helpers::Server::start(&db.url, &env).await;
    let at = server
        .base
        .strip_prefix("https://")
        .expect("https")
        .to_owned();
    let pid = Pid::from_raw(i32::try_from(server.child.id().expect("pid")).expect("pid"));
    let client = ca.client(TLS13, &[]);
    let leaf = || async { served(&connect(&at, &client).await.expect("handshake")) };
    assert_eq!(leaf().await, old.leaf);

    files.write(&new.chain_pem, &old.key_pem);
    kill(pid, Signal::SIGHUP).expect("SIGHUP");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(leaf().await, old.leaf, "a broken pair was served");

    files.write(&new.chain_pem, &new.key_pem);
    kill(pid, Signal::SIGHUP).expect("SIGHUP");
    let switched = eventually(Duration::from_secs(5), || async {
        leaf().await == new.leaf
    })
    .await;
    assert!(switched, "SIGHUP did not bring the new certificate");
    let log = server.stop().await;
    let warned: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("cannot load the new TLS certificate"))
        .collect();
    assert_eq!(warned.len(), 1, "{log}");
    assert!(
        warned[0].contains("is not the key of the certificate"),
        "{log}"
    );
    assert!(log.contains("serving a new TLS certificate"), "{log}");
}

#[tokio::test]
async fn a_certificate_near_its_expiry_is_warned_about_and_its_expiry_is_a_metric() {
    let ca = Ca::new();
    let files = Files::new();
    let day = (chrono::Utc::now() + chrono::TimeDelta::days(10)).date_naive();
    let pair = ca.expiring(day);
    files.write(&pair.chain_pem, &pair.key_pem);
    let db = sqlite();
    let (cert, key) = (files.cert(), files.key());
    let env = [
        ("DOWNTIME_TLS_CERT", cert.to_str().expect("path")),
        ("DOWNTIME_TLS_KEY", key.to_str().expect("path")),
    ];
    let server = crate::helpers::Server::start(&db.url, &env).await;
    let at = server
        .base
        .strip_prefix("https://")
        .expect("https")
        .to_owned();
    let stream = connect(&at, &ca.client(TLS13, &[]))
        .await
        .expect("handshake");
    let (_, status, _, body) = Conn::over(stream).await.get("/metrics", "*/*").await;
    assert_eq!(status, StatusCode::OK);
    let body = String::from_utf8_lossy(&body);
    let expiry = day
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp();
    let line = format!(
        "downtime_tls_certificate_expiry_timestamp_seconds{{certificate=\"{}\"}} {expiry}\n",
        cert.display()
    );
    assert!(body.contains(&line), "{body}");
    let log = server.stop().await;
    let warned: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("the TLS certificate expires soon"))
        .collect();
    assert_eq!(warned.len(), 1, "{log}");
    assert!(
        warned[0].contains("days_left=9") || warned[0].contains("days_left=10"),
        "{log}"
    );
}
