//! HTTPS on the serving address: a certificate and key from PEM files, TLS 1.3 and 1.2 with
//! rustls, HTTP/2 or HTTP/1.1 by ALPN, and the pair read again when its files change or on
//! `SIGHUP`, without a restart and without dropping a connection: open connections keep the
//! certificate they were made with, new ones get the new. A pair that does not load is
//! refused and the one before keeps serving.

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

/// `Strict-Transport-Security` with `--hsts`: browsers come back over HTTPS only, for a year.
pub const HSTS: &str = "max-age=31536000";

/// The certificate the server presents now, swapped whole when the files change.
pub struct Tls {
    files: TlsFiles,
    hsts: Option<HeaderValue>,
    current: Arc<ArcSwap<Loaded>>,
    acceptor: TlsAcceptor,
    provider: Arc<CryptoProvider>,
}

/// One pair as loaded, when its certificate expires, and the files' stamp when they were read.
#[derive(Debug)]
struct Loaded {
    key: Arc<CertifiedKey>,
    expires: Option<SystemTime>,
    stamp: Stamp,
}

impl Loaded {
    fn new(key: CertifiedKey, stamp: Stamp) -> Self {
        let expires = key.cert.first().and_then(|leaf| not_after(leaf));
        Loaded {
            key: Arc::new(key),
            expires,
            stamp,
        }
    }
}

/// When `cert` stops being valid; `None` if it cannot be read as X.509 (rustls read it
/// already, so only an odd encoding).
fn not_after(cert: &CertificateDer<'_>) -> Option<SystemTime> {
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

/// What rustls asks on each handshake: the pair current then.
#[derive(Debug)]
struct Current(Arc<ArcSwap<Loaded>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0.load().key))
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
        // Named here, not the process default, as for the upstream's TLS.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let stamp = Stamp::of(&files);
        let loaded = Loaded::new(read_pair(&files, &provider)?, stamp);
        let current = Arc::new(ArcSwap::from_pointee(loaded));
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| format!("cannot set up TLS: {e}"))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Current(Arc::clone(&current))));
        config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(Tls {
            files,
            hsts: hsts.then(|| HeaderValue::from_static(HSTS)),
            current,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            provider,
        }))
    }

    /// What a new connection's handshake is made with.
    pub(super) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// The `Strict-Transport-Security` every answer gets, with `--hsts`.
    pub(super) fn hsts(&self) -> Option<&HeaderValue> {
        self.hsts.as_ref()
    }

    /// The SHA-256 of the certificate served now, in hex: what the log names it by.
    pub fn fingerprint(&self) -> String {
        let loaded = self.current.load();
        let leaf = loaded.key.cert.first().map_or(&[][..], |c| c.as_ref());
        Sha256::digest(leaf)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// When the certificate served now expires, if it could be read.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.current.load().expires
    }

    /// Warns in the log when the certificate served now expires within
    /// [`WARN_BEFORE_EXPIRY`] (or has); returns whether it did.
    pub fn warn_if_expiring(&self) -> bool {
        let Some(expires) = self.expires_at() else {
            return false;
        };
        let left = expires
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        if left > WARN_BEFORE_EXPIRY {
            return false;
        }
        let expires_at = humantime::format_rfc3339_seconds(expires);
        if left.is_zero() {
            tracing::warn!(target: "downtime::tls", %expires_at, certificate = %self.fingerprint(), "the TLS certificate has expired: browsers refuse the site; renew it");
        } else {
            let days_left = left.as_secs() / (24 * 3600);
            tracing::warn!(target: "downtime::tls", %expires_at, days_left, certificate = %self.fingerprint(), "the TLS certificate expires soon; renew it");
        }
        true
    }

    /// Reads the files again if they changed since they were last read (or whatever, when
    /// `force`), unless they are still the `broken` ones, and serves the new pair if it loads.
    fn look(&self, force: bool, broken: Option<&Stamp>) -> Looked {
        let stamp = Stamp::of(&self.files);
        if !force && (stamp == self.current.load().stamp || broken == Some(&stamp)) {
            return Looked::Unchanged;
        }
        match read_pair(&self.files, &self.provider) {
            Ok(key) => {
                let loaded = Loaded::new(key, stamp);
                let same = loaded.key.cert == self.current.load().key.cert;
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
    /// its expiry (once a day), until the task is aborted.
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
            loop {
                if warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(24 * 3600))
                    && tls.warn_if_expiring()
                {
                    warned = Some(tokio::time::Instant::now());
                }
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
