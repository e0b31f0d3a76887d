//! One order, start to end: the claim, the account, the challenges answered, the certificate
//! for a new key, and what is stored of how it went.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use instant_acme::{
    Account, AccountCredentials, AuthorizationStatus, Identifier, NewAccount, NewOrder, Order,
    OrderStatus, RetryPolicy,
};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

use super::store::{Answer, Issued, Stored};
use super::{Acme, Challenge, HTTP_01, ORDER_TIMEOUT, Serving, TLS_ALPN_01, backoff};
use crate::http::server::not_after;

impl Acme {
    /// Claims and makes `row`'s order, and stores what came of it; whether it was this
    /// replica's to make.
    ///
    /// # Errors
    /// The claim could not be asked for.
    pub(super) async fn order(
        &self,
        row: &Stored,
        serving: &mut Serving,
    ) -> Result<bool, sea_orm::DbErr> {
        let domain = &row.domain;
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(ORDER_TIMEOUT * 2).unwrap_or_default();
        if !self.store.claim(row, &self.owner, now, until).await? {
            return Ok(false);
        }
        let renewing = row.chain.is_some();
        tracing::info!(target: "downtime::acme", %domain, directory = %self.settings.directory, renewing, "ordering a TLS certificate");
        let mut published = Vec::new();
        let ordered =
            tokio::time::timeout(ORDER_TIMEOUT, self.issue(domain, serving, &mut published))
                .await
                .unwrap_or_else(|_| {
                    Err(anyhow::anyhow!(
                        "the order took longer than {ORDER_TIMEOUT:?}"
                    ))
                });
        let now = Utc::now();
        if let Err(error) = self.store.remove_answers(&published, now).await {
            tracing::warn!(target: "downtime::acme", %domain, %error, "cannot withdraw the ACME challenges");
        }
        let stored = match ordered {
            Ok(issued) => {
                let not_after = issued.not_after;
                let stored = self.store.issued(domain, &self.owner, issued, now).await;
                if let Ok(true) = stored {
                    tracing::info!(target: "downtime::acme", %domain, expires_at = %not_after.to_rfc3339(), "a TLS certificate was issued");
                    let life = (not_after - now).to_std().unwrap_or_default();
                    if self.settings.renew_before >= life {
                        tracing::warn!(target: "downtime::acme", %domain, "the certificate lives less long than --acme-renew-before: it is renewed at every check");
                    }
                }
                stored.map(|_| ())
            }
            Err(error) => {
                // The count as claimed: `row` may be older than another replica's failure.
                let failures = self
                    .store
                    .failures(domain)
                    .await
                    .unwrap_or(row.failures)
                    .saturating_add(1);
                let retry = backoff(self.settings.retry_after, failures);
                let next = now + chrono::Duration::from_std(retry).unwrap_or_default();
                let error = format!("{error:#}");
                tracing::warn!(target: "downtime::acme", %domain, %error, failures, retry_at = %next.to_rfc3339(), "cannot get a TLS certificate; still serving the one before, if any");
                self.store
                    .failed(domain, &self.owner, failures, &error, next)
                    .await
            }
        };
        if let Err(error) = stored {
            tracing::warn!(target: "downtime::acme", %domain, %error, "cannot store how the order went");
        }
        Ok(true)
    }

    /// One order for `domain`, start to end: its challenges answered (their names added to
    /// `published`), then the certificate for a new key.
    async fn issue(
        &self,
        domain: &str,
        serving: &mut Serving,
        published: &mut Vec<String>,
    ) -> anyhow::Result<Issued> {
        let account = self.account(serving).await?;
        let identifiers = [Identifier::Dns(domain.to_owned())];
        let mut order = account
            .new_order(&NewOrder::new(&identifiers))
            .await
            .context("the ACME server refused the order")?;
        self.answer_challenges(&mut order, domain, published)
            .await?;
        let retries = RetryPolicy::new()
            .initial_delay(Duration::from_millis(250))
            .backoff(1.5)
            .timeout(ORDER_TIMEOUT / 4);
        let status = match order.poll_ready(&retries).await {
            Ok(status) => status,
            Err(error) => {
                let detail = self.failed_challenges(&mut order).await;
                anyhow::bail!("the ACME server did not validate {domain}: {error}{detail}");
            }
        };
        if status != OrderStatus::Ready {
            let why = order
                .state()
                .error
                .as_ref()
                .map_or_else(|| format!("{status:?}"), ToString::to_string);
            let detail = self.failed_challenges(&mut order).await;
            anyhow::bail!("the ACME server did not validate {domain}: {why}{detail}");
        }
        self.certificate(&mut order, domain, &retries).await
    }

    /// Publishes the answer to each pending challenge of `order` (their names added to
    /// `published`), gives the other replicas time to learn them, and tells the ACME server
    /// they are ready.
    async fn answer_challenges(
        &self,
        order: &mut Order,
        domain: &str,
        published: &mut Vec<String>,
    ) -> anyhow::Result<()> {
        let expires_at = Utc::now() + chrono::Duration::from_std(ORDER_TIMEOUT).unwrap_or_default();
        let kind = self.settings.challenge.kind();
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization?;
            match authorization.status {
                AuthorizationStatus::Pending => {}
                AuthorizationStatus::Valid => continue,
                other => anyhow::bail!("the domain's authorization is {other:?}"),
            }
            let challenge = authorization.challenge(kind.clone()).with_context(|| {
                format!("the ACME server offers no {kind:?} challenge for {domain}")
            })?;
            let name = match self.settings.challenge {
                Challenge::Http01 => format!("{HTTP_01}{}", challenge.token),
                Challenge::TlsAlpn01 => format!("{TLS_ALPN_01}{domain}"),
            };
            let answer = Answer {
                name: name.clone(),
                domain: domain.to_owned(),
                key_authorization: challenge.key_authorization().as_str().to_owned(),
                expires_at,
            };
            self.store.add_answer(answer).await?;
            published.push(name);
        }
        if published.is_empty() {
            return Ok(());
        }
        self.answer().await;
        // The other replicas hear of the answers by a change notice, or at their next poll;
        // the ACME server may reach any of them.
        let heard = if self.service.sync_stats().pushed() {
            Duration::from_millis(500)
        } else {
            self.settings.poll + Duration::from_millis(500)
        };
        tokio::time::sleep(heard.min(ORDER_TIMEOUT / 4)).await;
        // Already fetched: this goes over the authorizations again without asking the server.
        let mut authorizations = order.authorizations();
        while let Some(authorization) = authorizations.next().await {
            let mut authorization = authorization?;
            if authorization.status != AuthorizationStatus::Pending {
                continue;
            }
            if let Some(mut challenge) = authorization.challenge(kind.clone()) {
                challenge.set_ready().await?;
            }
        }
        Ok(())
    }

    /// The certificate of a validated `order`, for a new key (ECDSA P-256), with the key
    /// sealed: checked to serve before it is stored.
    async fn certificate(
        &self,
        order: &mut Order,
        domain: &str,
        retries: &RetryPolicy,
    ) -> anyhow::Result<Issued> {
        let key = rcgen::KeyPair::generate()?;
        let mut params = rcgen::CertificateParams::new(vec![domain.to_owned()])?;
        params.distinguished_name = rcgen::DistinguishedName::new();
        let csr = params.serialize_request(&key)?;
        order.finalize_csr(csr.der()).await?;
        let chain = order.poll_certificate(retries).await?;
        let key_der = key.serialize_der();
        let leaf = CertificateDer::pem_slice_iter(chain.as_bytes())
            .next()
            .and_then(Result::ok)
            .context("the ACME server sent no certificate")?;
        let not_after = not_after(&leaf).context("the issued certificate has no expiry")?;
        let sealed_key = self.sealer.seal(&key_der, domain);
        self.pair(domain, &chain, &sealed_key)
            .map_err(anyhow::Error::msg)?;
        Ok(Issued {
            chain,
            sealed_key,
            not_after: DateTime::<Utc>::from(not_after),
            directory: self.settings.directory.clone(),
        })
    }

    /// What the ACME server said about the challenges that failed, for the log.
    async fn failed_challenges(&self, order: &mut Order) -> String {
        let mut said = String::new();
        let mut authorizations = order.authorizations();
        while let Some(Ok(mut authorization)) = authorizations.next().await {
            if authorization.refresh().await.is_err() {
                continue;
            }
            for challenge in &authorization.challenges {
                if let Some(error) = &challenge.error {
                    said.push_str(&format!(" ({error})"));
                }
            }
        }
        said
    }

    /// The account at the ACME server: the stored one, or a new one stored for every
    /// replica.
    async fn account(&self, serving: &mut Serving) -> anyhow::Result<Account> {
        if let Some(account) = &serving.account {
            return Ok(account.clone());
        }
        let directory = &self.settings.directory;
        let stored = self.store.account(directory).await?;
        // An account sealed with another secret key is of no use here: replaced.
        let opened = stored
            .as_deref()
            .map(|sealed| self.sealer.open(sealed, directory));
        let sealed = match (&stored, opened) {
            (Some(sealed), Some(Ok(_))) => sealed.clone(),
            (_, opened) => {
                if let Some(Err(error)) = opened {
                    tracing::warn!(target: "downtime::acme", %directory, %error, "cannot use the stored ACME account; making a new one");
                }
                let mailto = self.settings.email.as_ref().map(|e| format!("mailto:{e}"));
                let contact: Vec<&str> = mailto.iter().map(String::as_str).collect();
                let new = NewAccount {
                    contact: &contact,
                    terms_of_service_agreed: true,
                    only_return_existing: false,
                };
                let (_, credentials) = self
                    .builder()
                    .create(&new, directory.clone(), None)
                    .await
                    .context("the ACME server refused a new account")?;
                let sealed = self
                    .sealer
                    .seal(&serde_json::to_vec(&credentials)?, directory);
                tracing::info!(target: "downtime::acme", %directory, "made an ACME account");
                // Another replica may have stored one first: all use that one.
                self.store
                    .put_account(directory, stored.as_deref(), sealed, Utc::now())
                    .await?
            }
        };
        let credentials: AccountCredentials = serde_json::from_slice(
            &self
                .sealer
                .open(&sealed, directory)
                .map_err(anyhow::Error::msg)?,
        )?;
        let account = self
            .builder()
            .from_credentials(credentials)
            .await
            .context("cannot reach the ACME server")?;
        serving.account = Some(account.clone());
        Ok(account)
    }

    fn builder(&self) -> instant_acme::AccountBuilder {
        Account::builder_with_http(Box::new(self.client.clone()))
    }
}
