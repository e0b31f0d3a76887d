//! Automatic certificates (ACME, RFC 8555; `--acme-domain`): one certificate per domain,
//! ordered from Let's Encrypt or any ACME server, stored in the database so that every
//! replica serves the same one, and renewed before it expires.
//!
//! Every replica runs [`start`]'s task. It serves what the database holds (each private key
//! sealed with `--secret-key`), answers the challenges of any order in flight (whichever
//! replica the ACME server reaches must answer), and, when a certificate is due, claims its
//! order in the database: one replica orders it, the others serve the result when it is
//! stored. A failed order is tried again later, backing off, and the certificate that still
//! works keeps serving.
//!
//! It imports `state` (the database and its change notices), `http` (the server's TLS and
//! the client's trusted roots) and the `entity` crate.

mod client;
mod order;
mod seal;
mod store;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use instant_acme::{Account, ChallengeType};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::http::server::{Tls, fingerprint};
use crate::state::{StateService, Table};
use client::Client;
use seal::Sealer;
use store::{Answer, Store, Stored};

/// Let's Encrypt's production directory: the default ACME server.
pub const LETS_ENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// How long before expiry a certificate is renewed, by default.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// How long one order may take, all of it; a replica's claim on an order outlasts it.
const ORDER_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a failed order waits at most before the next try.
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// How the ACME server checks that this server answers for a domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Challenge {
    /// TLS-ALPN-01, on the HTTPS address: no plain-HTTP port needed.
    #[value(name = "tls-alpn-01")]
    TlsAlpn01,
    /// HTTP-01, on the plain-HTTP address (`--http-bind`), which must be port 80 to the world.
    #[value(name = "http-01")]
    Http01,
}

impl Challenge {
    fn kind(self) -> ChallengeType {
        match self {
            Challenge::TlsAlpn01 => ChallengeType::TlsAlpn01,
            Challenge::Http01 => ChallengeType::Http01,
        }
    }
}

/// What to order, from where, and when.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The domains, lower case, each with a certificate of its own; the first is served to
    /// clients that name none of them.
    pub domains: Vec<String>,
    /// Where the ACME server may write about the account (expiry notices).
    pub email: Option<String>,
    /// The ACME server's directory URL.
    pub directory: String,
    /// A PEM file of CA certificates to trust for the ACME server, besides the usual roots.
    pub ca_file: Option<PathBuf>,
    /// Renew this long before expiry. Longer than a certificate's life, it renews at every
    /// `check_every`.
    pub renew_before: Duration,
    /// How the ACME server checks the domains.
    pub challenge: Challenge,
    /// The least time between two orders of a domain, and the most between two looks at
    /// what is due.
    pub check_every: Duration,
    /// How long the first retry after a failed order waits; it doubles with each failure.
    pub retry_after: Duration,
    /// How often to read the database when no change notice comes, and how long to give the
    /// other replicas to learn a challenge's answer before the ACME server checks it.
    pub poll: Duration,
}

/// Starts this replica's ACME task: it serves the stored certificates over `tls` and orders
/// those that are due, until aborted.
///
/// # Errors
/// `--acme-ca` cannot be read.
pub fn start(
    settings: Settings,
    service: &StateService,
    tls: Arc<Tls>,
    secret: &SecretString,
) -> anyhow::Result<JoinHandle<()>> {
    let client = Client::new(settings.ca_file.as_deref())?;
    let mut tag = [0u8; 6];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut tag);
    let acme = Acme {
        store: Store::new(service.db().clone()),
        service: service.clone(),
        started: Utc::now(),
        sealer: Sealer::new(secret),
        tls,
        client,
        owner: format!("{}-{}", std::process::id(), crate::http::hex(&tag)),
        settings,
        answered: tokio::sync::Mutex::default(),
        answers_failing: AtomicBool::new(false),
    };
    let changes = service.database_changes(Table::Acme);
    // Challenges are answered on their own: another replica's order may need this one's
    // answer while this one is in an order of its own.
    Ok(tokio::spawn(async move {
        tokio::join!(acme.run(changes.clone()), acme.answer_all(changes));
    }))
}

/// One replica's ACME client and what it serves.
struct Acme {
    settings: Settings,
    store: Store,
    service: StateService,
    sealer: Sealer,
    tls: Arc<Tls>,
    client: Client,
    /// This replica in `claimed_by`.
    owner: String,
    /// When this replica started: a certificate from another ACME server stored before is
    /// from an older setting, one stored since from a replica that disagrees.
    started: DateTime<Utc>,
    /// Held from reading the answers to applying them, so an older read never undoes a newer.
    answered: tokio::sync::Mutex<Answered>,
    /// Whether reading the answers fails: told once, not at every poll.
    answers_failing: AtomicBool,
}

/// What this replica serves now, to tell when the database holds something new.
#[derive(Default)]
struct Serving {
    /// By domain.
    certificates: HashMap<String, Held>,
    /// The account, once loaded or made.
    account: Option<Account>,
}

/// One domain's certificate as this replica knows it.
#[derive(Default)]
struct Held {
    /// The chain stored last read.
    chain: String,
    /// The pair served: the stored one, or the one before when that does not open here.
    pair: Option<CertifiedKey>,
    /// Whether the pair served is the stored one.
    current: bool,
}

/// The challenges answered now: name to key authorization, and the TLS-ALPN-01 certificates
/// made for them.
#[derive(Default)]
struct Answered {
    answers: HashMap<String, String>,
    alpn: HashMap<String, (String, CertifiedKey)>,
}

impl Acme {
    /// Answers the challenges the database holds, whenever it may have changed.
    async fn answer_all(&self, mut changes: watch::Receiver<()>) {
        loop {
            self.answer().await;
            tokio::select! {
                () = tokio::time::sleep(self.between_reads(self.settings.poll)) => {}
                Ok(()) = changes.changed() => {}
            }
        }
    }

    /// How long to go without reading the ACME tables, at most, when nothing is due before:
    /// `poll` when changes may go unannounced, else [`AT_REST`], as the changes that matter
    /// (a certificate stored, an answer published) wake the task at once.
    fn between_reads(&self, poll: Duration) -> Duration {
        if self.service.sync_stats().pushed() {
            poll.max(AT_REST)
        } else {
            poll
        }
    }

    async fn run(&self, mut changes: watch::Receiver<()>) {
        let mut serving = Serving::default();
        let mut added = false;
        // An outage of the database is told once, and its end.
        let mut failing = false;
        loop {
            let now = Utc::now();
            let read = async {
                if !added {
                    self.store.add_domains(&self.settings.domains, now).await?;
                }
                self.store.certificates(&self.settings.domains).await
            };
            let rows = match read.await {
                Ok(rows) => {
                    added = true;
                    if std::mem::take(&mut failing) {
                        tracing::info!(target: "downtime::acme", "the stored certificates can be read again");
                    }
                    rows
                }
                Err(error) => {
                    if !std::mem::replace(&mut failing, true) {
                        tracing::warn!(target: "downtime::acme", %error, "cannot read the stored certificates; still serving those read before, and trying again");
                    }
                    Vec::new()
                }
            };
            self.serve(&rows, &mut serving);
            let mut ordered = false;
            let mut wait = None;
            for row in &rows {
                if self.may_order_at(row, &serving) > now || !self.due(row, &serving, now) {
                    continue;
                }
                match self.order(row, &mut serving).await {
                    Ok(made) => ordered |= made,
                    Err(error) => {
                        if !std::mem::replace(&mut failing, true) {
                            tracing::warn!(target: "downtime::acme", %error, "cannot claim a certificate's order; trying again");
                        }
                        wait = Some(self.settings.poll);
                        break;
                    }
                }
            }
            if ordered {
                // Serve what was just stored.
                continue;
            }
            let wait = wait.unwrap_or_else(|| self.wait(&rows, &serving, now));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                Ok(()) = changes.changed() => {}
            }
        }
    }

    /// Whether `row`'s domain needs a certificate: it has none this replica can serve, the
    /// one it has expires within `renew_before`, or it is another ACME server's.
    fn due(&self, row: &Stored, serving: &Serving, now: DateTime<Utc>) -> bool {
        self.due_at(row, serving).is_none_or(|at| at <= now)
    }

    /// Whether this replica serves the certificate `row` holds (its key opened here).
    fn serves(&self, row: &Stored, serving: &Serving) -> bool {
        serving
            .certificates
            .get(&row.domain)
            .is_some_and(|held| held.current)
    }

    /// When `row`'s certificate is due for renewal; `None` when it is due now: this replica
    /// cannot serve it, or another ACME server issued it (the one configured changed).
    fn due_at(&self, row: &Stored, serving: &Serving) -> Option<DateTime<Utc>> {
        let ours = row.directory.as_deref() == Some(self.settings.directory.as_str());
        let not_after = row
            .not_after
            .filter(|_| ours && self.serves(row, serving))?;
        let before = chrono::Duration::from_std(self.settings.renew_before).ok()?;
        not_after.checked_sub_signed(before)
    }

    /// When an order for `row` may start: after the back-off of a failure (shared by every
    /// replica), after another replica's claim on the order lapses, and, while this replica
    /// has a certificate to serve for the domain, `check_every` (this replica's) after the
    /// stored one was issued.
    ///
    /// So a replica with nothing to serve orders at once (after the secret key changed, say),
    /// and so does one started with another ACME server than the stored certificate's (from
    /// staging to production); while replicas disagree, during a rolling update or with
    /// different secret keys, each orders at most once per `check_every`.
    fn may_order_at(&self, row: &Stored, serving: &Serving) -> DateTime<Utc> {
        let every = chrono::Duration::from_std(self.settings.check_every).unwrap_or_default();
        let has_one = serving
            .certificates
            .get(&row.domain)
            .is_some_and(|held| held.pair.is_some());
        let ours = row.directory.as_deref() == Some(self.settings.directory.as_str());
        let renewal = row
            .issued_at
            .filter(|issued| has_one && (ours || *issued >= self.started))
            .map(|issued| issued + every);
        [Some(row.next_attempt_at), row.claimed_until, renewal]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(row.next_attempt_at)
    }

    /// How long to sleep: until the next order may start, at most `check_every` and `poll`.
    fn wait(&self, rows: &[Stored], serving: &Serving, now: DateTime<Utc>) -> Duration {
        let soonest = rows
            .iter()
            .map(|row| {
                let due = self.due_at(row, serving).unwrap_or(now);
                due.max(self.may_order_at(row, serving))
            })
            .min();
        let until = soonest.map_or(self.settings.poll, |at| {
            (at - now).to_std().unwrap_or_default()
        });
        until
            .min(self.settings.check_every)
            .min(self.between_reads(self.settings.poll))
            .max(Duration::from_millis(100))
    }

    /// Serves the certificates `rows` hold, if they differ from those served.
    fn serve(&self, rows: &[Stored], serving: &mut Serving) {
        let mut changed = false;
        for row in rows {
            let (Some(chain), Some(sealed)) = (&row.chain, &row.sealed_key) else {
                continue;
            };
            if serving
                .certificates
                .get(&row.domain)
                .is_some_and(|held| held.chain == *chain)
            {
                continue;
            }
            let pair = self.pair(&row.domain, chain, sealed);
            match &pair {
                Ok(pair) => {
                    let expires_at = row.not_after.map(|at| at.to_rfc3339());
                    let certificate = fingerprint(pair.cert.first());
                    tracing::info!(target: "downtime::tls", domain = %row.domain, expires_at, %certificate, "serving a new TLS certificate");
                }
                Err(error) => {
                    tracing::error!(target: "downtime::acme", domain = %row.domain, %error, "cannot serve the stored TLS certificate (every replica needs the same --secret-key); ordering a new one, and serving the one before meanwhile");
                }
            }
            // A pair that does not open here keeps the one served before, if any, and the
            // domain is due for an order of this replica's own.
            let pair = pair.ok();
            let usable = pair.is_some();
            let entry = serving.certificates.entry(row.domain.clone()).or_default();
            entry.chain.clone_from(chain);
            if let Some(pair) = pair {
                entry.pair = Some(pair);
            }
            entry.current = usable;
            changed = true;
        }
        if changed {
            let pairs = self
                .settings
                .domains
                .iter()
                .filter_map(|domain| {
                    let pair = serving.certificates.get(domain)?.pair.clone()?;
                    Some((domain.clone(), pair))
                })
                .collect();
            self.tls.serve_certificates(pairs);
        }
    }

    /// The pair a stored chain and sealed key make.
    pub(super) fn pair(
        &self,
        domain: &str,
        chain: &str,
        sealed: &str,
    ) -> Result<CertifiedKey, String> {
        let key = self.sealer.open(sealed, domain)?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("the stored certificate is not PEM: {e:?}"))?;
        self.tls
            .pair(chain, PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)))
    }

    /// Answers the challenges the database holds, if they differ from those answered.
    pub(super) async fn answer(&self) {
        let mut answered = self.answered.lock().await;
        let answers = match self.store.answers(Utc::now()).await {
            Ok(answers) => {
                self.answers_failing.store(false, Ordering::Relaxed);
                answers
            }
            Err(error) => {
                if !self.answers_failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(target: "downtime::acme", %error, "cannot read the ACME challenges; trying again");
                }
                return;
            }
        };
        let answers: HashMap<String, Answer> = answers
            .into_iter()
            .map(|answer| (answer.name.clone(), answer))
            .collect();
        let same = answers.len() == answered.answers.len()
            && answers.iter().all(|(name, answer)| {
                answered.answers.get(name) == Some(&answer.key_authorization)
            });
        if same {
            return;
        }
        let mut http = HashMap::new();
        let mut alpn = HashMap::new();
        for (name, answer) in &answers {
            if let Some(token) = name.strip_prefix(HTTP_01) {
                http.insert(token.to_owned(), answer.key_authorization.clone());
            } else if name.starts_with(TLS_ALPN_01) {
                let made = match answered.alpn.get(name) {
                    Some((for_answer, pair)) if *for_answer == answer.key_authorization => {
                        Ok(pair.clone())
                    }
                    _ => self.challenge_pair(&answer.domain, &answer.key_authorization),
                };
                match made {
                    Ok(pair) => {
                        answered.alpn.insert(
                            name.clone(),
                            (answer.key_authorization.clone(), pair.clone()),
                        );
                        alpn.insert(answer.domain.clone(), pair);
                    }
                    Err(error) => {
                        tracing::warn!(target: "downtime::acme", domain = %answer.domain, %error, "cannot make the TLS-ALPN-01 certificate");
                    }
                }
            }
        }
        answered.alpn.retain(|name, _| answers.contains_key(name));
        answered.answers = answers
            .into_iter()
            .map(|(name, answer)| (name, answer.key_authorization))
            .collect();
        self.tls.set_challenges(http, alpn);
    }

    /// The self-signed certificate a TLS-ALPN-01 check expects (RFC 8737): for `domain`,
    /// with the SHA-256 of the key authorization in its `acmeIdentifier` extension.
    fn challenge_pair(
        &self,
        domain: &str,
        key_authorization: &str,
    ) -> Result<CertifiedKey, String> {
        let digest = Sha256::digest(key_authorization.as_bytes());
        let mut params =
            rcgen::CertificateParams::new(vec![domain.to_owned()]).map_err(|e| e.to_string())?;
        params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(&digest)];
        let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
        let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
        let der = PrivatePkcs8KeyDer::from(key.serialize_der());
        self.tls
            .challenge_pair(cert.der().clone(), PrivateKeyDer::Pkcs8(der))
    }
}

/// The prefixes of a challenge's name in the database.
const HTTP_01: &str = "http-01:";
const TLS_ALPN_01: &str = "tls-alpn-01:";

/// How long a replica whose changes are pushed goes without reading the ACME tables.
const AT_REST: Duration = Duration::from_secs(300);

/// How long to wait after the `failures`-th failed order in a row: `first`, doubling, at most
/// a day.
fn backoff(first: Duration, failures: i32) -> Duration {
    let doublings = u32::try_from(failures.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    first.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_orders_back_off_doubling_to_a_day() {
        let minute = Duration::from_secs(60);
        assert_eq!(backoff(minute, 1), minute);
        assert_eq!(backoff(minute, 2), minute * 2);
        assert_eq!(backoff(minute, 4), minute * 8);
        assert_eq!(backoff(minute, 30), MAX_BACKOFF);
        assert_eq!(backoff(minute, i32::MAX), MAX_BACKOFF);
    }
}
