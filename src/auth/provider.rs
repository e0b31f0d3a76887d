//! The OpenID Connect provider: discovery, its signing keys (JWKS), token verification,
//! the authorization-code client, and RFC 7662 introspection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::{BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenType};
use oauth2::{
    AuthType, AuthUrl, Client, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, ExtraTokenFields, IntrospectionUrl, RedirectUrl, StandardRevocableToken,
    StandardTokenIntrospectionResponse, StandardTokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

/// How long verification may trust a JWKS before fetching it again.
const JWKS_MAX_AGE: Duration = Duration::from_secs(600);
/// An unknown `kid` triggers at most one JWKS fetch per this interval.
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(30);
/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 60;

/// The token endpoint's answer, with the OpenID Connect `id_token`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct IdTokenFields {
    /// The ID token (a JWT), present when the `openid` scope was granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenFields {}

/// Introspection answers keep every member, so e-mail and groups claims are available.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct IntrospectionExtra {
    /// Every member not named by RFC 7662.
    #[serde(flatten)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}

impl ExtraTokenFields for IntrospectionExtra {}

type TokenResponse = StandardTokenResponse<IdTokenFields, BasicTokenType>;
type Introspection = StandardTokenIntrospectionResponse<IntrospectionExtra, BasicTokenType>;

/// The OAuth 2.0 client for the configured provider: authorization and token endpoints set,
/// introspection when the provider has one.
pub type OidcClient = Client<
    BasicErrorResponse,
    TokenResponse,
    Introspection,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The discovery document's members we use.
#[derive(Clone, Debug, Deserialize)]
pub struct Discovery {
    /// Must equal the configured issuer exactly.
    pub issuer: String,
    /// Where browsers are sent to log in.
    pub authorization_endpoint: String,
    /// Where codes are exchanged for tokens.
    pub token_endpoint: String,
    /// The signing keys.
    pub jwks_uri: String,
    /// RFC 8414 / OIDC logout, when the provider has it.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// RFC 7662, when the provider has it.
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    /// How the client may authenticate at the token endpoint.
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

/// What the provider published, once discovery succeeded.
pub struct Discovered {
    /// The discovery document.
    pub doc: Discovery,
    /// The OAuth client built from it.
    pub client: OidcClient,
}

/// The provider's settings.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    /// The issuer URL; discovery is `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// This application's client id (the `aud` of ID tokens).
    pub client_id: String,
    /// This application's client secret.
    pub client_secret: Option<SecretString>,
    /// The `aud` expected in API access tokens.
    pub audience: String,
    /// Where the provider sends browsers back: `<base>/auth/callback`.
    pub redirect_uri: String,
    /// Accept opaque tokens through RFC 7662 introspection.
    pub introspection: bool,
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The provider could not be reached (discovery or keys missing).
    #[error("the identity provider is unreachable")]
    Unavailable,
    /// The token is malformed, forged, expired, or meant for someone else. The reason is a
    /// fixed text: nothing from the token itself, which may be an attacker's, is repeated.
    #[error("invalid token: {0}")]
    Invalid(&'static str),
}

/// Why the JWT library refused a token, in words of our own.
fn refusal(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind;
    match kind {
        ErrorKind::ExpiredSignature => "expired",
        ErrorKind::ImmatureSignature => "not valid yet",
        ErrorKind::InvalidAudience => "meant for another audience",
        ErrorKind::InvalidIssuer => "from another issuer",
        ErrorKind::InvalidSignature => "bad signature",
        ErrorKind::MissingRequiredClaim(_) => "a required claim is missing",
        ErrorKind::InvalidAlgorithm => "algorithm not allowed",
        _ => "malformed token",
    }
}

/// The configured provider, discovered in the background.
pub struct Provider {
    settings: ProviderSettings,
    http: reqwest::Client,
    discovered: ArcSwapOption<Discovered>,
    keys: ArcSwap<Vec<Jwk>>,
    refresh: Mutex<Option<Instant>>,
}

impl Provider {
    /// A provider that is not discovered yet.
    pub fn new(settings: ProviderSettings, http: reqwest::Client) -> Self {
        Provider {
            settings,
            http,
            discovered: ArcSwapOption::empty(),
            keys: ArcSwap::from_pointee(Vec::new()),
            refresh: Mutex::new(None),
        }
    }

    /// The settings it was made with.
    pub fn settings(&self) -> &ProviderSettings {
        &self.settings
    }

    /// The discovered metadata and client, or `Unavailable` until discovery succeeds.
    ///
    /// # Errors
    /// Discovery has not succeeded yet.
    pub fn discovered(&self) -> Result<Arc<Discovered>, TokenError> {
        self.discovered.load_full().ok_or(TokenError::Unavailable)
    }

    /// Discovers the provider, retrying with backoff until it answers, then refreshes the keys
    /// every ten minutes. Runs for the life of the process.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut wait = Duration::from_millis(250);
            loop {
                match self.discover().await {
                    Ok(()) => break,
                    Err(error) => {
                        tracing::warn!(target: "downtime::auth", issuer = %self.settings.issuer, %error, retry_in = ?wait, "identity provider unreachable; login answers 503 meanwhile");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(30));
                    }
                }
            }
            tracing::info!(target: "downtime::auth", issuer = %self.settings.issuer, "identity provider discovered");
            loop {
                tokio::time::sleep(JWKS_MAX_AGE).await;
                if let Err(error) = self.fetch_keys().await {
                    tracing::warn!(target: "downtime::auth", %error, "cannot refresh the provider's keys; keeping the old ones");
                }
            }
        })
    }

    async fn discover(&self) -> anyhow::Result<()> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.settings.issuer.trim_end_matches('/')
        );
        let doc: Discovery = self
            .http
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if doc.issuer != self.settings.issuer {
            anyhow::bail!(
                "the provider says its issuer is {:?}, not {:?}",
                doc.issuer,
                self.settings.issuer
            );
        }
        let auth_type = if doc.token_endpoint_auth_methods_supported.is_empty()
            || doc
                .token_endpoint_auth_methods_supported
                .iter()
                .any(|m| m == "client_secret_basic")
        {
            AuthType::BasicAuth
        } else {
            AuthType::RequestBody
        };
        let introspection = doc
            .introspection_endpoint
            .clone()
            .map(IntrospectionUrl::new)
            .transpose()?;
        let mut client = Client::new(ClientId::new(self.settings.client_id.clone()))
            .set_auth_uri(AuthUrl::new(doc.authorization_endpoint.clone())?)
            .set_token_uri(TokenUrl::new(doc.token_endpoint.clone())?)
            .set_introspection_url_option(introspection)
            .set_redirect_uri(RedirectUrl::new(self.settings.redirect_uri.clone())?)
            .set_auth_type(auth_type);
        if let Some(secret) = &self.settings.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
        }
        self.discovered.store(Some(Arc::new(Discovered {
            doc: doc.clone(),
            client,
        })));
        self.fetch_keys().await
    }

    async fn fetch_keys(&self) -> anyhow::Result<()> {
        let discovered = self.discovered()?;
        #[derive(Deserialize)]
        struct RawSet {
            keys: Vec<serde_json::Value>,
        }
        let raw: RawSet = self
            .http
            .get(&discovered.doc.jwks_uri)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        // Keys we cannot use (encryption keys, unknown types) are skipped, not fatal.
        let keys: Vec<Jwk> = raw
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
            .filter(|k| !allowed_algorithms(k).is_empty())
            .collect();
        tracing::debug!(target: "downtime::auth", count = keys.len(), "provider keys fetched");
        self.keys.store(Arc::new(keys));
        Ok(())
    }

    /// Fetches the keys again unless that happened less than 30 s ago (an unknown `kid` may
    /// mean the provider rotated its keys, or an attacker trying to make us hammer it).
    async fn refresh_keys_rate_limited(&self) {
        let mut last = self.refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < JWKS_MIN_REFRESH) {
            return;
        }
        *last = Some(Instant::now());
        if let Err(error) = self.fetch_keys().await {
            tracing::warn!(target: "downtime::auth", %error, "cannot refresh the provider's keys");
        }
    }

    fn find_key(&self, kid: Option<&str>) -> Option<Jwk> {
        let keys = self.keys.load();
        match kid {
            Some(kid) => keys
                .iter()
                .find(|k| k.common.key_id.as_deref() == Some(kid))
                .cloned(),
            None if keys.len() == 1 => keys.first().cloned(),
            None => None,
        }
    }

    /// Verifies a JWT signed by the provider: signature with an algorithm the key allows
    /// (never `none`, never HMAC), issuer, `audience`, `exp` and `nbf` with 60 s leeway.
    ///
    /// # Errors
    /// [`TokenError::Unavailable`] before discovery; [`TokenError::Invalid`] otherwise.
    pub async fn verify<C: DeserializeOwned>(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<C, TokenError> {
        let discovered = self.discovered()?;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| TokenError::Invalid("malformed token"))?;
        let jwk = match self.find_key(header.kid.as_deref()) {
            Some(jwk) => jwk,
            None => {
                self.refresh_keys_rate_limited().await;
                self.find_key(header.kid.as_deref())
                    .ok_or(TokenError::Invalid("unknown signing key"))?
            }
        };
        if !allowed_algorithms(&jwk).contains(&header.alg) {
            return Err(TokenError::Invalid(
                "algorithm not allowed for the signing key",
            ));
        }
        let key =
            DecodingKey::from_jwk(&jwk).map_err(|_| TokenError::Invalid("unusable signing key"))?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&discovered.doc.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<C>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(refusal(e.kind())))
    }

    /// Whether `token` is a JWT this provider signed for `audience`, checked with the keys
    /// already fetched (never a call to the provider) and whatever its expiry: what the proxy
    /// keeps from the app, since it opens downtime's API.
    pub fn signed_for(&self, token: &str, audience: &str) -> bool {
        let Ok(discovered) = self.discovered() else {
            return false;
        };
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return false;
        };
        let Some(jwk) = self.find_key(header.kid.as_deref()) else {
            return false;
        };
        if !allowed_algorithms(&jwk).contains(&header.alg) {
            return false;
        }
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            return false;
        };
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.set_issuer(&[&discovered.doc.issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["iss", "aud"]);
        jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).is_ok()
    }

    /// RFC 7662: asks the provider whether an opaque token is active, and about whom.
    ///
    /// # Errors
    /// Introspection is off or unsupported, the provider fails, or the token is inactive.
    pub async fn introspect(&self, token: &str) -> Result<Introspection, TokenError> {
        if !self.settings.introspection {
            return Err(TokenError::Invalid("not a JWT, and introspection is off"));
        }
        let discovered = self.discovered()?;
        let token = oauth2::AccessToken::new(token.to_owned());
        let answer = discovered
            .client
            .introspect(&token)
            .map_err(|_| TokenError::Invalid("the provider has no introspection endpoint"))?
            .request_async(&self.http)
            .await
            .map_err(|e| {
                tracing::warn!(target: "downtime::auth", error = %e, "token introspection failed");
                TokenError::Unavailable
            })?;
        if oauth2::TokenIntrospectionResponse::active(&answer) {
            Ok(answer)
        } else {
            Err(TokenError::Invalid("inactive token"))
        }
    }

    /// The HTTP client (no redirects followed).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

/// The algorithms a key may verify, from its type and curve (and its `alg`, when set).
/// Symmetric keys allow nothing: a public JWKS must never turn into an HMAC secret.
pub fn allowed_algorithms(jwk: &Jwk) -> Vec<Algorithm> {
    use Algorithm::*;
    let by_type: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => &[RS256, RS384, RS512, PS256, PS384, PS512],
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => &[ES256],
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P384 => &[ES384],
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => &[EdDSA],
        _ => &[],
    };
    let pinned: Option<Algorithm> = jwk
        .common
        .key_algorithm
        .and_then(|a| serde_json::to_value(a).ok())
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()));
    by_type
        .iter()
        .copied()
        .filter(|alg| pinned.is_none_or(|p| p == *alg))
        .collect()
}

/// A reqwest client for talking to the provider: no redirects (an open redirect there must not
/// become a request from here to anywhere), short timeouts.
///
/// # Errors
/// The TLS backend cannot start.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()?)
}
