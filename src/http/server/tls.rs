//! HTTPS on the serving address: TLS 1.3 and 1.2 with rustls, HTTP/2 or HTTP/1.1 by ALPN,
//! with a certificate from one of two sources:
//!
//! - PEM files ([`Tls::load`]), read again when they change or on `SIGHUP`;
//! - certificates handed over whole by their owner ([`Tls::automatic`] and
//!   [`Tls::serve_certificates`]: the ACME client), one per domain chosen by the name the
//!   client asks for, with the answers to TLS-ALPN-01 challenges ([`Tls::set_challenges`]).
//!
//! Either way a new certificate is served without a restart and without dropping a
//! connection: open connections keep the certificate they were made with, new ones get the
//! new. A pair that does not load is refused and the one before keeps serving.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use poem::http::HeaderValue;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest as _, Sha256};
use tokio::signal::unix::{SignalKind, signal};
use tokio_rustls::TlsAcceptor;

/// The protocols offered by ALPN, in the server's order of preference.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// The protocol an ACME server asks for when it checks a TLS-ALPN-01 challenge (RFC 8737):
/// the handshake is the whole of such a connection.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// Where the certificate and its key are read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, PEM: the site's certificate first, then its intermediates.
    pub cert: PathBuf,
    /// The private key, PEM: PKCS#8, or RSA (PKCS#1) or EC (SEC1).
    pub key: PathBuf,
}

/// How long before a certificate expires the log starts warning, once a day.
pub const WARN_BEFORE_EXPIRY: Duration = Duration::from_secs(14 * 24 * 3600);

/// How often certificates that come from no file are looked at for their expiry.
const EXPIRY_CHECK: Duration = Duration::from_secs(3600);

/// `Strict-Transport-Security` with `--hsts`: browsers come back over HTTPS only, for a year.
pub const HSTS: &str = "max-age=31536000";

/// The certificates the server presents now, swapped whole when a new one comes.
pub struct Tls {
    /// The files read, or `None` when the certificates are handed over.
    files: Option<TlsFiles>,
    hsts: Option<HeaderValue>,
    current: Arc<ArcSwap<Loaded>>,
    challenges: Arc<Challenges>,
    acceptor: TlsAcceptor,
    provider: Arc<CryptoProvider>,
}

/// The certificates as loaded: by the name each is for, the one for clients that name none
/// (or another), and the files' stamp when they were read.
#[derive(Debug, Default)]
struct Loaded {
    /// Each certificate's name (a domain, or the file) and pair, in the order given.
    certificates: Vec<Served>,
    /// Which of them serves which server name, lower case.
    by_name: HashMap<String, usize>,
    stamp: Option<Stamp>,
}

/// One certificate served.
#[derive(Debug)]
struct Served {
    name: String,
    key: Arc<CertifiedKey>,
    expires: Option<SystemTime>,
}

impl Served {
    fn new(name: String, key: CertifiedKey) -> Self {
        let expires = key.cert.first().and_then(|leaf| not_after(leaf));
        Served {
            name,
            key: Arc::new(key),
            expires,
        }
    }
}

impl Loaded {
    /// The pair from `files`, for every client.
    fn from_files(files: &TlsFiles, key: CertifiedKey, stamp: Stamp) -> Self {
        Loaded {
            certificates: vec![Served::new(files.cert.display().to_string(), key)],
            by_name: HashMap::new(),
            stamp: Some(stamp),
        }
    }

    /// The pair for a client that asks for `name` (none, or an unknown one: the first).
    fn pick(&self, name: Option<&str>) -> Option<&Arc<CertifiedKey>> {
        let named = name.and_then(|name| {
            self.by_name
                .get(name)
                .or_else(|| self.by_name.get(&name.to_ascii_lowercase()))
        });
        let served = match named {
            Some(&index) => self.certificates.get(index),
            None => self.certificates.first(),
        };
        served.map(|served| &served.key)
    }

    fn leaf(&self) -> Option<&CertificateDer<'static>> {
        self.certificates.first().and_then(|s| s.key.cert.first())
    }
}

/// The answers to ACME challenges of orders in flight.
#[derive(Debug, Default)]
struct Challenges {
    /// HTTP-01: token to key authorization, served on the plain-HTTP address.
    http: ArcSwap<HashMap<String, String>>,
    /// TLS-ALPN-01: domain (lower case) to the challenge's certificate.
    alpn: ArcSwap<HashMap<String, Arc<CertifiedKey>>>,
}

/// When `cert` stops being valid; `None` if it cannot be read as X.509 (rustls read it
/// already, so only an odd encoding).
pub fn not_after(cert: &CertificateDer<'_>) -> Option<SystemTime> {
    use x509_cert::der::Decode as _;
    let cert = x509_cert::Certificate::from_der(cert.as_ref()).ok()?;
    Some(SystemTime::UNIX_EPOCH + cert.tbs_certificate.validity.not_after.to_unix_duration())
}

/// Each file's modification time, size and inode: a change of any is a reason to read the
/// files again (a link swapped to a new file, as Kubernetes does with secrets, changes the
/// inode even when the times are equal).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp([Option<(SystemTime, u64, u64)>; 2]);

impl Stamp {
    fn of(files: &TlsFiles) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        let one = |path: &Path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len(), meta.ino()))
        };
        Stamp([one(&files.cert), one(&files.key)])
    }
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls")
            .field("files", &self.files)
            .field("certificate", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

/// What rustls asks on each handshake: the pair current then for the name asked, or the
/// challenge's certificate for an ACME server's TLS-ALPN-01 check.
#[derive(Debug)]
struct Current {
    loaded: Arc<ArcSwap<Loaded>>,
    challenges: Arc<Challenges>,
}

impl ResolvesServerCert for Current {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // An ACME server offers this protocol alone (RFC 8737, 3), and gets only the
        // challenge's certificate; a client offering others too is an ordinary client.
        let challenge = hello.alpn().is_some_and(|mut offered| {
            offered.next() == Some(ACME_TLS_ALPN) && offered.next().is_none()
        });
        if challenge {
            let name = hello.server_name()?.to_ascii_lowercase();
            return self.challenges.alpn.load().get(&name).cloned();
        }
        self.loaded.load().pick(hello.server_name()).cloned()
    }
}

impl Tls {
    /// Reads `files` and makes the server's TLS from them: TLS 1.3 and 1.2, ALPN `h2` and
    /// `http/1.1`; with `hsts`, every answer over it carries [`HSTS`] unless it has its own.
    ///
    /// # Errors
    /// A file cannot be read, holds no certificate or no usable key, or the key is not the
    /// certificate's; the message is one line naming the file.
    pub fn load(files: TlsFiles, hsts: bool) -> Result<Arc<Self>, String> {
        let provider = provider();
        let stamp = Stamp::of(&files);
        let loaded = Loaded::from_files(&files, read_pair(&files, &provider)?, stamp);
        Self::new(Some(files), loaded, hsts, provider)
    }

    /// The server's TLS with no certificate yet: each comes from
    /// [`serve_certificates`](Self::serve_certificates). Until the first, handshakes fail.
    /// ALPN offers `acme-tls/1` too, for TLS-ALPN-01 challenges.
    ///
    /// # Errors
    /// rustls refuses the settings (it does not).
    pub fn automatic(hsts: bool) -> Result<Arc<Self>, String> {
        Self::new(None, Loaded::default(), hsts, provider())
    }

    fn new(
        files: Option<TlsFiles>,
        loaded: Loaded,
        hsts: bool,
        provider: Arc<CryptoProvider>,
    ) -> Result<Arc<Self>, String> {
        let current = Arc::new(ArcSwap::from_pointee(loaded));
        let challenges = Arc::new(Challenges::default());
        let resolver = Current {
            loaded: Arc::clone(&current),
            challenges: Arc::clone(&challenges),
        };
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
        if files.is_none() {
            config.alpn_protocols.push(ACME_TLS_ALPN.to_vec());
        }
        Ok(Arc::new(Tls {
            files,
            hsts: hsts.then(|| HeaderValue::from_static(HSTS)),
            current,
            challenges,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            provider,
        }))
    }

    /// A pair for [`serve_certificates`](Self::serve_certificates) or
    /// [`set_challenges`](Self::set_challenges): `chain` (the certificate first) and its key.
    ///
    /// # Errors
    /// The key is not usable, or not the certificate's.
    pub fn pair(
        &self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<CertifiedKey, String> {
        if chain.is_empty() {
            return Err("no certificate".to_owned());
        }
        CertifiedKey::from_der(chain, key, &self.provider).map_err(|e| e.to_string())
    }

    /// The pair of a TLS-ALPN-01 challenge (RFC 8737): `cert` carries the critical
    /// `acmeIdentifier` extension, which the check [`pair`](Self::pair) makes refuses, and
    /// goes only to ACME servers.
    ///
    /// # Errors
    /// The key is not usable.
    pub fn challenge_pair(
        &self,
        cert: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
    ) -> Result<CertifiedKey, String> {
        let key = self
            .provider
            .key_provider
            .load_private_key(key)
            .map_err(|e| e.to_string())?;
        Ok(CertifiedKey::new(vec![cert], key))
    }

    /// Serves `certificates` from now on, each for the domain it is named by (the first also
    /// to clients that name none of them), in place of those served before.
    pub fn serve_certificates(&self, certificates: Vec<(String, CertifiedKey)>) {
        let mut by_name = HashMap::new();
        let certificates: Vec<Served> = certificates
            .into_iter()
            .enumerate()
            .map(|(index, (name, key))| {
                by_name.insert(name.to_ascii_lowercase(), index);
                Served::new(name, key)
            })
            .collect();
        self.current.store(Arc::new(Loaded {
            certificates,
            by_name,
            stamp: None,
        }));
    }

    /// Answers these challenges from now on, in place of those before: HTTP-01 tokens with
    /// their key authorizations, and TLS-ALPN-01 domains with their certificates.
    pub fn set_challenges(
        &self,
        http: HashMap<String, String>,
        alpn: HashMap<String, CertifiedKey>,
    ) {
        self.challenges.http.store(Arc::new(http));
        let alpn = alpn
            .into_iter()
            .map(|(domain, key)| (domain.to_ascii_lowercase(), Arc::new(key)))
            .collect();
        self.challenges.alpn.store(Arc::new(alpn));
    }

    /// Whether the certificates are handed over (by ACME) rather than read from files.
    pub fn is_automatic(&self) -> bool {
        self.files.is_none()
    }

    /// The key authorization an HTTP-01 challenge's `token` is answered with, when an order in
    /// flight asks for it.
    pub fn http_challenge(&self, token: &str) -> Option<String> {
        self.challenges.http.load().get(token).cloned()
    }

    /// What a new connection's handshake is made with.
    pub(super) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// The `Strict-Transport-Security` every answer gets, with `--hsts`.
    pub(super) fn hsts(&self) -> Option<&HeaderValue> {
        self.hsts.as_ref()
    }

    /// The SHA-256 of the (first) certificate served now, in hex: what the log names it by.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.current.load().leaf())
    }

    /// Each certificate served now, by its name (its domain, or its file), with when it
    /// expires if that could be read.
    pub fn expiries(&self) -> Vec<(String, Option<SystemTime>)> {
        self.current
            .load()
            .certificates
            .iter()
            .map(|served| (served.name.clone(), served.expires))
            .collect()
    }

    /// Warns in the log about each certificate served now that expires within
    /// [`WARN_BEFORE_EXPIRY`] (or has); returns whether it did.
    pub fn warn_if_expiring(&self) -> bool {
        let now = SystemTime::now();
        let mut warned = false;
        for served in &self.current.load().certificates {
            let Some(expires) = served.expires else {
                continue;
            };
            let left = expires.duration_since(now).unwrap_or_default();
            if left > WARN_BEFORE_EXPIRY {
                continue;
            }
            warned = true;
            let expires_at = humantime::format_rfc3339_seconds(expires);
            let name = &served.name;
            let certificate = fingerprint(served.key.cert.first());
            if left.is_zero() {
                tracing::warn!(target: "downtime::tls", %expires_at, %name, %certificate, "the TLS certificate has expired: browsers refuse the site; renew it");
            } else {
                let days_left = left.as_secs() / (24 * 3600);
                tracing::warn!(target: "downtime::tls", %expires_at, days_left, %name, %certificate, "the TLS certificate expires soon; renew it");
            }
        }
        warned
    }

    /// [`warn_if_expiring`](Self::warn_if_expiring), unless it warned within the last day
    /// (`warned`, unset for each new certificate).
    fn warn_daily(&self, warned: &mut Option<tokio::time::Instant>) {
        if warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(24 * 3600))
            && self.warn_if_expiring()
        {
            *warned = Some(tokio::time::Instant::now());
        }
    }

    /// Reads the files again if they changed since they were last read (or whatever, when
    /// `force`), unless they are still the `broken` ones, and serves the new pair if it loads.
    fn look(&self, force: bool, broken: Option<&Stamp>) -> Looked {
        let Some(files) = &self.files else {
            return Looked::Unchanged;
        };
        let stamp = Stamp::of(files);
        if !force && (Some(&stamp) == self.current.load().stamp.as_ref() || broken == Some(&stamp))
        {
            return Looked::Unchanged;
        }
        match read_pair(files, &self.provider) {
            Ok(key) => {
                let loaded = Loaded::from_files(files, key, stamp);
                let same = loaded.leaf() == self.current.load().leaf();
                self.current.store(Arc::new(loaded));
                if same {
                    Looked::Unchanged
                } else {
                    Looked::Replaced
                }
            }
            Err(error) => Looked::Failed(stamp, error),
        }
    }

    /// Reads the files again whenever they change (looking every `every`) and on `SIGHUP`,
    /// and logs each new certificate, each pair that does not load, and a certificate close to
    /// its expiry (once a day), until the task is aborted. Certificates handed over (ACME)
    /// come from no file: for them only the expiry is looked at, and `SIGHUP` is ignored.
    ///
    /// # Errors
    /// `SIGHUP` cannot be listened for.
    pub fn watch(
        self: &Arc<Self>,
        every: Duration,
    ) -> std::io::Result<tokio::task::JoinHandle<()>> {
        let mut hangup = signal(SignalKind::hangup())?;
        let tls = Arc::clone(self);
        Ok(tokio::spawn(async move {
            // A pair written one file at a time is broken between the two writes: a failure
            // is told when the same files fail at the next look too (then not read again until
            // they change), and at once on SIGHUP.
            let mut failed: Option<(Stamp, bool)> = None;
            // Once a day, and for each new certificate.
            let mut warned: Option<tokio::time::Instant> = None;
            if tls.files.is_none() {
                loop {
                    tls.warn_daily(&mut warned);
                    tokio::select! {
                        () = tokio::time::sleep(EXPIRY_CHECK) => {}
                        _ = hangup.recv() => {}
                    }
                }
            }
            loop {
                tls.warn_daily(&mut warned);
                let asked = tokio::select! {
                    () = tokio::time::sleep(every) => false,
                    _ = hangup.recv() => true,
                };
                let told = failed
                    .clone()
                    .filter(|(_, told)| *told)
                    .map(|(stamp, _)| stamp);
                let reading = Arc::clone(&tls);
                // Reading files may block: not on the runtime's workers.
                let looking =
                    tokio::task::spawn_blocking(move || reading.look(asked, told.as_ref()));
                let Ok(looked) = looking.await else {
                    continue;
                };
                match looked {
                    Looked::Unchanged => {
                        if asked {
                            failed = None;
                            tracing::info!(target: "downtime::tls", certificate = %tls.fingerprint(), "SIGHUP: the TLS certificate is unchanged");
                        }
                    }
                    Looked::Replaced => {
                        failed = None;
                        warned = None;
                        tracing::info!(target: "downtime::tls", certificate = %tls.fingerprint(), "serving a new TLS certificate");
                    }
                    Looked::Failed(stamp, error) => {
                        let (again, told) = match &failed {
                            Some((before, told)) => (*before == stamp, *told),
                            None => (false, false),
                        };
                        let tell = asked || (again && !told);
                        if tell {
                            tracing::warn!(target: "downtime::tls", %error, "cannot load the new TLS certificate; still serving the one before");
                        }
                        failed = Some((stamp, tell || (again && told)));
                    }
                }
            }
        }))
    }
}

/// What a look at the files found.
enum Looked {
    /// Nothing new to serve.
    Unchanged,
    /// A new certificate is served.
    Replaced,
    /// The files as stamped do not load.
    Failed(Stamp, String),
}

/// The crypto provider: named here, not the process default, as for TLS to the upstream.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The SHA-256 of `leaf`, in hex: what the log names a certificate by.
pub fn fingerprint(leaf: Option<&CertificateDer<'_>>) -> String {
    let leaf = leaf.map_or(&[][..], |c| c.as_ref());
    crate::http::hex(&Sha256::digest(leaf))
}

/// The pair `files` name, checked to belong together.
fn read_pair(files: &TlsFiles, provider: &CryptoProvider) -> Result<CertifiedKey, String> {
    let (cert, key) = (&files.cert, &files.key);
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| format!("--tls-cert {}: {}", cert.display(), pem_error(&e)))?;
    if chain.is_empty() {
        return Err(format!(
            "--tls-cert {}: no certificate in this file (PEM, the site's certificate first)",
            cert.display()
        ));
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("--tls-key {}: {}", key.display(), pem_error(&e)))?;
    CertifiedKey::from_der(chain, private, provider).map_err(|error| match error {
        rustls::Error::InconsistentKeys(_) => format!(
            "--tls-key {} is not the key of the certificate in --tls-cert {}",
            key.display(),
            cert.display()
        ),
        other => format!(
            "--tls-key {}: not a usable RSA, ECDSA or Ed25519 key ({other})",
            key.display()
        ),
    })
}

/// What went wrong reading a PEM file, in words.
fn pem_error(error: &rustls::pki_types::pem::Error) -> String {
    use rustls::pki_types::pem::Error;
    match error {
        Error::Io(error) => format!("cannot read it: {error}"),
        Error::NoItemsFound => "no key in this file (PEM, unencrypted)".to_owned(),
        other => format!("not a valid PEM file: {other:?}"),
    }
}
