//! Who is this, and are they a superuser? OpenID Connect login for browsers (a signed and
//! encrypted session cookie), bearer tokens for scripts, and the superuser rules.
//!
//! Auth never gates: it answers [`crate::gate::Superusers`] for the gate and
//! [`Auth::require_superuser_token`] for the API's security schemes.

mod config;
mod error;
mod principal;
pub mod provider;
mod revoked;
pub mod routes;
pub mod session;
pub mod superusers;
mod tokens;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use poem::Request;
use poem::http::header;
use poem::session::Session;
use poem::web::cookie::CookieKey;

pub use config::{AuthConfig, on_off};
pub use error::AuthError;
pub use principal::{Claims, Principal, SESSION_USER, SessionUser};
use provider::{Provider, ProviderSettings};
use revoked::Revoked;
use superusers::Registry;
use tokens::VerifiedTokens;

use crate::gate::Superusers;
use crate::http::SiteUrls;
use crate::state::{StateService, Table};

/// The authentication service: cheap to clone.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Option<Arc<Provider>>,
    registry: Registry,
    groups_claim: String,
    scopes: Vec<String>,
    session_ttl: Duration,
    urls: SiteUrls,
    verified: VerifiedTokens,
    session_key: CookieKey,
    revoked: Revoked,
    /// The development provider mints superuser tokens for anyone who asks it: its tokens and
    /// sessions count only on requests addressed to this machine by name.
    loopback_only: bool,
    session_cookie: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Auth {
    /// Builds the service; when an issuer is configured, discovery starts in the background
    /// (the server starts even while the provider is down).
    ///
    /// # Errors
    /// The settings are inconsistent (an issuer without a client id), or the database fails
    /// while loading the stored superusers.
    pub async fn build(
        config: &AuthConfig,
        service: &StateService,
        urls: SiteUrls,
        poll: Duration,
        session_key: CookieKey,
    ) -> anyhow::Result<Auth> {
        let configured = superusers::Configured {
            emails: config.superuser_emails.clone(),
            groups: config.superuser_groups.clone(),
            clients: config.superuser_clients.clone(),
        };
        let stored = superusers::Store::new(service);
        let registry = Registry::load(&stored, configured).await?;
        let revoked = Revoked::load(service).await?;
        let mut tasks = vec![
            registry.follow(stored, poll, service.database_changes(Table::Superusers)),
            revoked.follow(poll, service.database_changes(Table::EndedSessions)),
        ];
        let provider = match &config.oidc_issuer {
            None => None,
            Some(issuer) => {
                let client_id = config.oidc_client_id.clone().ok_or_else(|| {
                    anyhow::anyhow!(
                        "DOWNTIME_OIDC_ISSUER is set but DOWNTIME_OIDC_CLIENT_ID is not"
                    )
                })?;
                let settings = ProviderSettings {
                    issuer: issuer.clone(),
                    audience: config
                        .oidc_audience
                        .clone()
                        .unwrap_or_else(|| client_id.clone()),
                    client_id,
                    client_secret: config.oidc_client_secret.clone(),
                    redirect_uri: urls.own("/auth/callback"),
                    introspection: config.oidc_introspection,
                };
                let provider = Arc::new(Provider::new(settings, provider::http_client()?));
                tasks.push(Arc::clone(&provider).spawn());
                Some(provider)
            }
        };
        Ok(Auth {
            inner: Arc::new(Inner {
                provider,
                registry,
                groups_claim: config.groups_claim.clone(),
                scopes: config
                    .oidc_scopes
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                session_ttl: config.session_ttl,
                urls,
                verified: VerifiedTokens::default(),
                session_key,
                revoked,
                loopback_only: config.dev_idp,
                session_cookie: config.session_cookie.clone(),
                tasks,
            }),
        })
    }

    /// Stops following the stored superusers and the provider's keys.
    pub fn stop(&self) {
        for task in &self.inner.tasks {
            task.abort();
        }
    }

    /// The provider, when login is configured.
    pub fn provider(&self) -> Option<&Arc<Provider>> {
        self.inner.provider.as_ref()
    }

    fn verified(&self) -> &VerifiedTokens {
        &self.inner.verified
    }

    /// The logged-in user of the session cookie, unless the login expired: from the session
    /// the `/auth` routes keep, or else decrypted from the cookie itself.
    pub fn session_user(&self, req: &Request) -> Option<SessionUser> {
        let user = match req.extensions().get::<Session>() {
            Some(session) => session.get::<SessionUser>(SESSION_USER),
            None => session::decode_user(req, &self.inner.session_key, &self.inner.session_cookie),
        }?;
        let current = user.expires_at > Utc::now().timestamp()
            && !user.session_id.is_empty()
            && !self.inner.revoked.contains(&user.session_id);
        current.then_some(user)
    }

    /// Ends `user`'s session on every replica: its cookie, wherever it was copied to, no
    /// longer logs anyone in.
    ///
    /// # Errors
    /// The database fails (the session is still refused by this replica).
    pub async fn end_session(&self, user: &SessionUser) -> Result<(), sea_orm::DbErr> {
        let expires_at = chrono::DateTime::from_timestamp(user.expires_at, 0).unwrap_or_default();
        self.inner
            .revoked
            .revoke(&user.session_id, expires_at)
            .await
    }

    /// This site's client id at the provider, when login is configured.
    pub fn client_id(&self) -> Option<&str> {
        self.inner
            .provider
            .as_ref()
            .map(|p| p.settings().client_id.as_str())
    }

    /// Where this site is reachable.
    pub fn urls(&self) -> &SiteUrls {
        &self.inner.urls
    }

    /// The scopes asked at login.
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// How long a login lasts.
    pub fn session_ttl(&self) -> Duration {
        self.inner.session_ttl
    }

    /// Whether `principal` is a superuser.
    pub fn is_superuser(&self, principal: &Principal) -> bool {
        self.inner.registry.allows(principal)
    }

    /// Turns verified claims into a principal.
    pub fn principal(&self, claims: Claims) -> Principal {
        claims.into_principal(&self.inner.groups_claim)
    }

    /// Who sent `req`: a bearer token when there is an `Authorization` header (and then only
    /// that), else the session cookie. `Ok(None)` means anonymous.
    ///
    /// # Errors
    /// A bad token is [`AuthError::Unauthenticated`]; an unreachable provider
    /// [`AuthError::Unavailable`].
    pub async fn authenticate(&self, req: &Request) -> Result<Option<Principal>, AuthError> {
        self.check_host(req)?;
        if let Some(value) = req.headers().get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or(AuthError::Unauthenticated("malformed Authorization header"))?;
            return self.bearer(token).await.map(Some);
        }
        Ok(self.session_user(req).map(|user| user.principal))
    }

    /// With the development provider, refuses credentials on a request whose `Host` is not
    /// a loopback name (a DNS-rebinding page, or a reverse proxy publishing this server).
    ///
    /// # Errors
    /// [`AuthError::Unauthenticated`] for such a request.
    pub fn check_host(&self, req: &Request) -> Result<(), AuthError> {
        if self.inner.loopback_only && !crate::http::host_is_loopback(req) {
            return Err(AuthError::Unauthenticated(
                "the development provider's logins count on a loopback host only",
            ));
        }
        Ok(())
    }

    /// The superuser a bearer token belongs to.
    ///
    /// # Errors
    /// 401 for a bad token, 403 when not a superuser, 503 when the provider is down.
    pub async fn require_superuser_token(&self, token: &str) -> Result<Principal, AuthError> {
        let principal = self.bearer(token).await?;
        self.superuser_or_forbidden(principal)
    }

    fn superuser_or_forbidden(&self, principal: Principal) -> Result<Principal, AuthError> {
        if self.is_superuser(&principal) {
            Ok(principal)
        } else {
            tracing::info!(target: "downtime::auth", actor = %principal.actor(), "not a superuser");
            Err(AuthError::Forbidden)
        }
    }
}

impl Superusers for Auth {
    async fn is_superuser(&self, req: &Request) -> bool {
        match self.authenticate(req).await {
            Ok(Some(principal)) => self.is_superuser(&principal),
            _ => false,
        }
    }
}
