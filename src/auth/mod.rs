//! Who is this, and are they a superuser? OpenID Connect login for browsers (a signed and
//! encrypted session cookie), bearer tokens for scripts, and the superuser rules.
//!
//! Auth never gates: it answers [`crate::gate::Superusers`] for the gate and
//! [`Auth::require_superuser`] for the API.

pub mod dev_idp;
pub mod provider;
pub mod routes;
pub mod session;
pub mod superusers;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use clap::{Args, ValueEnum};
use poem::http::header;
use poem::session::Session;
use poem::web::cookie::CookieKey;
use poem::{IntoResponse, Request, Response};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer, Serialize};

use crate::gate::Superusers;
use provider::{Provider, ProviderSettings, TokenError};

/// `on` or `off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// Login and superuser settings.
#[derive(Args, Clone, Debug, Default)]
pub struct AuthConfig {
    /// The OpenID Connect issuer URL (discovery at `<issuer>/.well-known/openid-configuration`).
    #[arg(long, env = "DOWNTIME_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// This application's client id at the provider.
    #[arg(long, env = "DOWNTIME_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// This application's client secret.
    #[arg(long, env = "DOWNTIME_OIDC_CLIENT_SECRET", hide_env_values = true, value_parser = secret)]
    pub oidc_client_secret: Option<SecretString>,

    /// The `aud` expected in API access tokens (default: the client id).
    #[arg(long, env = "DOWNTIME_OIDC_AUDIENCE")]
    pub oidc_audience: Option<String>,

    /// Scopes asked at login.
    #[arg(
        long,
        env = "DOWNTIME_OIDC_SCOPES",
        default_value = "openid email profile"
    )]
    pub oidc_scopes: String,

    /// Accept opaque access tokens through RFC 7662 introspection.
    #[arg(
        long,
        env = "DOWNTIME_OIDC_INTROSPECTION",
        value_enum,
        ignore_case = true,
        default_value = "off"
    )]
    pub oidc_introspection: Option<Switch>,

    /// The public URL of this site; the redirect URI is `<base>/auth/callback`
    /// (default: `http://<bind address>`).
    #[arg(long, env = "DOWNTIME_BASE_URL")]
    pub base_url: Option<String>,

    /// Key for the session cookie (32 characters or more); when unset, one is generated once
    /// and stored in the database so every replica shares it.
    #[arg(long, env = "DOWNTIME_SECRET_KEY", hide_env_values = true, value_parser = secret)]
    pub secret_key: Option<SecretString>,

    /// Superusers by e-mail, comma-separated (matched only when the provider verified it).
    #[arg(long, env = "DOWNTIME_SUPERUSER_EMAILS", value_delimiter = ',')]
    pub superuser_emails: Vec<String>,

    /// Superusers by group, comma-separated values of the groups claim.
    #[arg(long, env = "DOWNTIME_SUPERUSER_GROUPS", value_delimiter = ',')]
    pub superuser_groups: Vec<String>,

    /// The claim holding groups or roles.
    #[arg(
        long,
        env = "DOWNTIME_SUPERUSER_GROUPS_CLAIM",
        default_value = "groups"
    )]
    pub groups_claim: String,

    /// Superusers by OAuth client id (client-credentials tokens from scripts), comma-separated.
    #[arg(long, env = "DOWNTIME_SUPERUSER_CLIENTS", value_delimiter = ',')]
    pub superuser_clients: Vec<String>,

    /// How long a browser login lasts.
    #[arg(long, env = "DOWNTIME_SESSION_TTL", default_value = "8h", value_parser = humantime::parse_duration)]
    pub session_ttl: Duration,

    /// Run the development identity provider inside the server (loopback only, never in
    /// production) and log in with it.
    #[arg(long, env = "DOWNTIME_DEV_IDP")]
    pub dev_idp: bool,
}

fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value.to_owned()))
}

/// Who a request comes from, as the provider described them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The provider (`iss`).
    pub issuer: String,
    /// The account at that provider (`sub`).
    pub subject: String,
    /// Their e-mail address, if given.
    pub email: Option<String>,
    /// Whether the provider verified that address.
    pub email_verified: bool,
    /// A display name, if given.
    pub name: Option<String>,
    /// Values of the configured groups claim.
    pub groups: Vec<String>,
    /// For tokens issued to a client itself (client credentials): its id.
    pub client_id: Option<String>,
}

impl Principal {
    /// How the audit log names them: a verified e-mail, `client:<id>`, or `<sub> at <iss>`.
    pub fn actor(&self) -> String {
        match (&self.email, &self.client_id) {
            (Some(email), _) if self.email_verified => email.clone(),
            (_, Some(client)) => format!("client:{client}"),
            _ => format!("{} at {}", self.subject, self.issuer),
        }
    }
}

/// The claims we read from ID tokens, access tokens and introspection answers.
#[derive(Debug, Deserialize)]
pub struct Claims {
    iss: String,
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_string")]
    email_verified: bool,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    cid: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

/// Some providers send `"email_verified": "true"`.
fn bool_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<Flag>::deserialize(d)? {
        Some(Flag::Bool(b)) => b,
        Some(Flag::Text(t)) => t.eq_ignore_ascii_case("true"),
        None => false,
    })
}

impl Claims {
    fn into_principal(self, groups_claim: &str) -> Principal {
        let groups = match self.other.get(groups_claim) {
            Some(serde_json::Value::Array(values)) => values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        // A token issued to a client itself names it in `client_id` (Keycloak, RFC 9068), `cid`
        // (Okta), or `azp` with a subject that is the client (Auth0's `<id>@clients`).
        let client_id = self.client_id.or(self.cid).or_else(|| {
            self.azp
                .filter(|azp| self.sub == *azp || self.sub == format!("{azp}@clients"))
        });
        Principal {
            issuer: self.iss,
            subject: self.sub,
            email: self.email,
            email_verified: self.email_verified,
            name: self.name,
            groups,
            client_id,
        }
    }
}

/// What the session cookie holds once logged in.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionUser {
    /// Who.
    pub principal: Principal,
    /// Unix time after which the login no longer counts, whatever the cookie says.
    pub expires_at: i64,
    /// The anti-CSRF token for this session's forms (logout).
    pub csrf: String,
}

/// The session key holding [`SessionUser`].
pub const SESSION_USER: &str = "user";

/// Why a request is not allowed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials at all: 401 with a plain `WWW-Authenticate: Bearer` challenge.
    #[error("authentication required")]
    MissingCredentials,
    /// Invalid credentials: 401 with an `invalid_token` challenge saying why.
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    /// Valid credentials, but not a superuser: 403.
    #[error("not a superuser")]
    Forbidden,
    /// The identity provider is unreachable: 503.
    #[error("the identity provider is unreachable")]
    Unavailable,
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        crate::api::error::ApiError::from(self).into_response()
    }
}

/// The authentication service: cheap to clone.
#[derive(Clone)]
pub struct Auth {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Option<Arc<Provider>>,
    rules: superusers::Rules,
    groups_claim: String,
    scopes: Vec<String>,
    session_ttl: Duration,
    base_url: String,
    verified: VerifiedTokens,
    session_key: CookieKey,
}

/// JWTs already verified, until they expire: checking a signature costs far more than the
/// rest of a request. Bounded, and keyed by the whole token, so a forged one is never found.
#[derive(Default)]
struct VerifiedTokens {
    tokens: std::sync::Mutex<HashMap<String, (Principal, i64)>>,
}

const MAX_VERIFIED_TOKENS: usize = 1024;

impl VerifiedTokens {
    fn get(&self, token: &str) -> Option<Principal> {
        let tokens = self.tokens.lock().ok()?;
        let (principal, expires) = tokens.get(token)?;
        (*expires > Utc::now().timestamp()).then(|| principal.clone())
    }

    fn insert(&self, token: &str, principal: &Principal, expires: Option<i64>) {
        let Some(expires) = expires else { return };
        let Ok(mut tokens) = self.tokens.lock() else {
            return;
        };
        if tokens.len() >= MAX_VERIFIED_TOKENS {
            let now = Utc::now().timestamp();
            tokens.retain(|_, (_, exp)| *exp > now);
        }
        if tokens.len() < MAX_VERIFIED_TOKENS {
            tokens.insert(token.to_owned(), (principal.clone(), expires));
        }
    }
}

impl Auth {
    /// Builds the service; when an issuer is configured, discovery starts in the background
    /// (the server starts even while the provider is down).
    ///
    /// # Errors
    /// The settings are inconsistent (an issuer without a client id, a bad base URL), or the
    /// database fails while loading the stored superusers.
    pub async fn build(
        config: &AuthConfig,
        db: &sea_orm::DatabaseConnection,
        base_url: &str,
        poll: Duration,
        session_key: CookieKey,
    ) -> anyhow::Result<Auth> {
        let configured = superusers::Configured {
            emails: config.superuser_emails.clone(),
            groups: config.superuser_groups.clone(),
            clients: config.superuser_clients.clone(),
        };
        let rules = superusers::Rules::load(db, configured).await?;
        rules.follow(db.clone(), poll);
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
                    redirect_uri: format!("{}/auth/callback", base_url.trim_end_matches('/')),
                    introspection: config.oidc_introspection == Some(Switch::On),
                };
                let provider = Arc::new(Provider::new(settings, provider::http_client()?));
                Arc::clone(&provider).spawn();
                Some(provider)
            }
        };
        Ok(Auth {
            inner: Arc::new(Inner {
                provider,
                rules,
                groups_claim: config.groups_claim.clone(),
                scopes: config
                    .oidc_scopes
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                session_ttl: config.session_ttl,
                base_url: base_url.trim_end_matches('/').to_owned(),
                verified: VerifiedTokens::default(),
                session_key,
            }),
        })
    }

    /// The provider, when login is configured.
    pub fn provider(&self) -> Option<&Arc<Provider>> {
        self.inner.provider.as_ref()
    }

    /// The logged-in user of the session cookie, unless the login expired: from the session
    /// the `/auth` routes keep, or else decrypted from the cookie itself.
    pub fn session_user(&self, req: &Request) -> Option<SessionUser> {
        let user = match req.extensions().get::<Session>() {
            Some(session) => session.get::<SessionUser>(SESSION_USER),
            None => session::decode_user(req, &self.inner.session_key),
        }?;
        (user.expires_at > Utc::now().timestamp()).then_some(user)
    }

    /// This site's client id at the provider, when login is configured.
    pub fn client_id(&self) -> Option<&str> {
        self.inner
            .provider
            .as_ref()
            .map(|p| p.settings().client_id.as_str())
    }

    /// The public base URL.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
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
        self.inner.rules.allows(principal)
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
                .ok_or_else(|| {
                    AuthError::Unauthenticated("malformed Authorization header".into())
                })?;
            return self.bearer(token).await.map(Some);
        }
        Ok(self.session_user(req).map(|user| user.principal))
    }

    async fn bearer(&self, token: &str) -> Result<Principal, AuthError> {
        let Some(provider) = &self.inner.provider else {
            return Err(AuthError::Unauthenticated(
                "no identity provider is configured".into(),
            ));
        };
        let audience = provider.settings().audience.clone();
        let looks_like_jwt = token.split('.').count() == 3;
        let verified = if looks_like_jwt || !provider.settings().introspection {
            if let Some(known) = self.inner.verified.get(token) {
                return Ok(known);
            }
            provider.verify::<Claims>(token, &audience).await.map(|c| {
                let expires = c.exp;
                let principal = self.principal(c);
                self.inner.verified.insert(token, &principal, expires);
                principal
            })
        } else {
            self.introspected(provider, token).await
        };
        verified.map_err(|e| match e {
            TokenError::Unavailable => AuthError::Unavailable,
            TokenError::Invalid(reason) => {
                tracing::info!(target: "downtime::auth", %reason, "bearer token refused");
                AuthError::Unauthenticated(reason)
            }
        })
    }

    async fn introspected(
        &self,
        provider: &Provider,
        token: &str,
    ) -> Result<Principal, TokenError> {
        use oauth2::TokenIntrospectionResponse as _;
        let answer = provider.introspect(token).await?;
        let mut claims = answer.extra_fields().claims.clone();
        let issuer = answer
            .iss()
            .map_or_else(|| provider.settings().issuer.clone(), str::to_owned);
        if issuer != provider.settings().issuer {
            return Err(TokenError::Invalid(
                "introspected token from another issuer".into(),
            ));
        }
        if let Some(audiences) = answer.aud()
            && !audiences.iter().any(|a| *a == provider.settings().audience)
        {
            return Err(TokenError::Invalid(
                "introspected token for another audience".into(),
            ));
        }
        claims.insert("iss".into(), issuer.into());
        let sub = answer
            .sub()
            .or(answer.client_id().map(|c| c.as_str()))
            .unwrap_or_default();
        claims.insert("sub".into(), sub.into());
        if let Some(client) = answer.client_id() {
            claims.insert("azp".into(), client.as_str().into());
        }
        let claims: Claims = serde_json::from_value(serde_json::Value::Object(claims))
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        Ok(self.principal(claims))
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

    /// The principal behind `req`, if a superuser.
    ///
    /// # Errors
    /// 401 without (valid) credentials, 403 when not a superuser, 503 when the provider is down.
    pub async fn require_superuser(&self, req: &Request) -> Result<Principal, AuthError> {
        let principal = self
            .authenticate(req)
            .await?
            .ok_or(AuthError::MissingCredentials)?;
        self.superuser_or_forbidden(principal)
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

/// Whether `addr` may host the development provider: loopback only.
pub fn dev_idp_allowed(addr: SocketAddr) -> bool {
    addr.ip().is_loopback()
}
