//! TLS as a client (to the upstream, to an ACME server): the Mozilla roots, the system's,
//! and a private CA's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

/// Where the system keeps its trusted certificates, by family: Debian, Ubuntu and Alpine;
/// Fedora and RHEL; openSUSE; macOS and the BSDs. `SSL_CERT_FILE` comes first when set.
const SYSTEM_ROOTS: [&str; 4] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// TLS to a server: the Mozilla roots built in, the system's, and `ca_file`'s (given as
/// `flag`, which the errors name).
///
/// # Errors
/// `ca_file` cannot be read or holds no certificate.
pub fn client_config(ca_file: Option<&Path>, flag: &str) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let system = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(SYSTEM_ROOTS.iter().map(PathBuf::from))
        .find(|path| path.is_file());
    if let Some(path) = system {
        // A system bundle may hold certificates rustls refuses; the rest still count.
        let certs = CertificateDer::pem_file_iter(&path)
            .into_iter()
            .flatten()
            .filter_map(Result::ok);
        roots.add_parsable_certificates(certs);
    }
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<_, _>>())
            .with_context(|| {
                format!("{flag} {}: cannot read the CA certificates", path.display())
            })?;
        anyhow::ensure!(
            !certs.is_empty(),
            "{flag} {}: no certificate in this file (PEM wanted)",
            path.display()
        );
        for cert in certs {
            roots.add(cert).with_context(|| {
                format!("{flag} {}: a certificate is not usable", path.display())
            })?;
        }
    }
    // The crypto provider named here, not the process default, so nothing else in the
    // process can change (or leave unset) how this TLS is done.
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}
