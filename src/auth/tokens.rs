//! Bearer tokens: JWTs verified against the provider's keys, or opaque tokens asked about by
//! RFC 7662 introspection; both answers remembered for a while.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use chrono::Utc;
use tokio::sync::Semaphore;

use super::provider::{Provider, TokenError};
use super::{Auth, AuthError, Claims, Principal};

/// Answers already given about tokens: a verified JWT until it expires (checking a signature
/// costs far more than the rest of a request), an introspected token until it expires, a
/// refused opaque token for [`REFUSED_FOR_SECS`] (so one junk token repeated is one call to the
/// provider). Bounded, and keyed by the whole token, so a forged one is never found.
pub(super) struct VerifiedTokens {
    tokens: Mutex<HashMap<String, (Verdict, i64)>>,
    /// Introspection calls in flight: a flood of distinct junk tokens waits here instead of
    /// opening a connection to the provider each.
    introspecting: Semaphore,
    /// The last token refused, for a moment: the API's two security schemes (Swagger UI's and
    /// a plain bearer token) each check the same header, and one request should cost one
    /// verification and one log line.
    last_refusal: Mutex<Option<(String, &'static str, Instant)>>,
}

/// How long [`VerifiedTokens::last_refusal`] is believed: one request's worth.
const REFUSAL_MEMORY: std::time::Duration = std::time::Duration::from_secs(1);

type Verdict = Result<Principal, &'static str>;

const MAX_VERIFIED_TOKENS: usize = 1024;
/// How long a refused opaque token is remembered.
pub(super) const REFUSED_FOR_SECS: i64 = 30;
/// How long an active introspection answer without `exp` is trusted.
const ACTIVE_WITHOUT_EXPIRY_SECS: i64 = 60;
const CONCURRENT_INTROSPECTIONS: usize = 8;

impl Default for VerifiedTokens {
    fn default() -> Self {
        VerifiedTokens {
            tokens: Mutex::default(),
            introspecting: Semaphore::new(CONCURRENT_INTROSPECTIONS),
            last_refusal: Mutex::default(),
        }
    }
}

impl VerifiedTokens {
    /// Why `token` was refused a moment ago, if it was.
    fn recent_refusal(&self, token: &str) -> Option<&'static str> {
        let last = self.last_refusal.lock().ok()?;
        let (refused, reason, at) = last.as_ref()?;
        (refused == token && at.elapsed() < REFUSAL_MEMORY).then_some(*reason)
    }

    fn refused(&self, token: &str, reason: &'static str) {
        if let Ok(mut last) = self.last_refusal.lock() {
            *last = Some((token.to_owned(), reason, Instant::now()));
        }
    }

    fn get(&self, token: &str) -> Option<Verdict> {
        let tokens = self.tokens.lock().ok()?;
        let (verdict, expires) = tokens.get(token)?;
        (*expires > Utc::now().timestamp()).then(|| verdict.clone())
    }

    fn insert(&self, token: &str, verdict: &Verdict, expires: Option<i64>) {
        let Some(expires) = expires else { return };
        let Ok(mut tokens) = self.tokens.lock() else {
            return;
        };
        if tokens.len() >= MAX_VERIFIED_TOKENS {
            let now = Utc::now().timestamp();
            tokens.retain(|_, (_, exp)| *exp > now);
        }
        if tokens.len() < MAX_VERIFIED_TOKENS {
            tokens.insert(token.to_owned(), (verdict.clone(), expires));
        }
    }
}

impl Auth {
    /// The principal a bearer token stands for.
    pub(super) async fn bearer(&self, token: &str) -> Result<Principal, AuthError> {
        let Some(provider) = self.provider() else {
            return Err(AuthError::Unauthenticated(
                "no identity provider is configured",
            ));
        };
        if let Some(reason) = self.verified().recent_refusal(token) {
            return Err(AuthError::Unauthenticated(reason));
        }
        let looks_like_jwt = token.split('.').count() == 3;
        let verified = if looks_like_jwt || !provider.settings().introspection {
            self.jwt(provider, token).await
        } else {
            self.introspected(provider, token).await
        };
        verified.map_err(|e| match e {
            TokenError::Unavailable => AuthError::Unavailable,
            TokenError::Invalid(reason) => {
                self.verified().refused(token, reason);
                tracing::info!(target: "downtime::auth", reason, "bearer token refused");
                AuthError::Unauthenticated(reason)
            }
        })
    }

    /// Whether an `Authorization` value carries a bearer token for downtime: one it verified
    /// already, or a JWT its provider signed for its audience (checked with the keys in
    /// memory). No I/O: the proxy asks it for every request that carries a bearer token.
    pub fn holds_own_token(&self, authorization: &str) -> bool {
        let Some(token) = authorization
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
            .and_then(|_| authorization.get(7..))
            .map(str::trim)
        else {
            return false;
        };
        let Some(provider) = self.provider() else {
            return false;
        };
        self.verified()
            .get(token)
            .is_some_and(|verdict| verdict.is_ok())
            || provider.signed_for(token, &provider.settings().audience)
    }

    async fn jwt(&self, provider: &Provider, token: &str) -> Result<Principal, TokenError> {
        if let Some(Ok(known)) = self.verified().get(token) {
            return Ok(known);
        }
        let claims: Claims = provider
            .verify(token, &provider.settings().audience)
            .await?;
        // An ID token proves a login to this site; it is not a credential for its API.
        if claims.is_id_token(self.client_id()) {
            return Err(TokenError::Invalid("an ID token is not an access token"));
        }
        let expires = claims.exp;
        let principal = self.principal(claims);
        self.verified()
            .insert(token, &Ok(principal.clone()), expires);
        Ok(principal)
    }

    /// An opaque token, as the provider's introspection endpoint describes it, remembered
    /// (refusals too, briefly); at most a few calls at once.
    async fn introspected(
        &self,
        provider: &Provider,
        token: &str,
    ) -> Result<Principal, TokenError> {
        let cache = self.verified();
        if let Some(known) = cache.get(token) {
            return known.map_err(TokenError::Invalid);
        }
        let _permit = cache
            .introspecting
            .acquire()
            .await
            .map_err(|_| TokenError::Unavailable)?;
        // Another request may have asked about the same token while this one waited.
        if let Some(known) = cache.get(token) {
            return known.map_err(TokenError::Invalid);
        }
        let now = Utc::now().timestamp();
        match self.introspect(provider, token).await {
            Ok((principal, expires)) => {
                let until = expires.unwrap_or(now + ACTIVE_WITHOUT_EXPIRY_SECS);
                cache.insert(token, &Ok(principal.clone()), Some(until));
                Ok(principal)
            }
            Err(TokenError::Invalid(reason)) => {
                cache.insert(token, &Err(reason), Some(now + REFUSED_FOR_SECS));
                Err(TokenError::Invalid(reason))
            }
            Err(TokenError::Unavailable) => Err(TokenError::Unavailable),
        }
    }

    /// Asks the provider; the principal and when the token expires.
    async fn introspect(
        &self,
        provider: &Provider,
        token: &str,
    ) -> Result<(Principal, Option<i64>), TokenError> {
        use oauth2::TokenIntrospectionResponse as _;
        let answer = provider.introspect(token).await?;
        let mut claims = answer.extra_fields().claims.clone();
        let issuer = answer
            .iss()
            .map_or_else(|| provider.settings().issuer.clone(), str::to_owned);
        if issuer != provider.settings().issuer {
            return Err(TokenError::Invalid(
                "introspected token from another issuer",
            ));
        }
        // Without an audience, a token another resource server at the same provider was
        // given could be replayed here.
        let for_us = answer
            .aud()
            .is_some_and(|audiences| audiences.iter().any(|a| *a == provider.settings().audience));
        if !for_us {
            return Err(TokenError::Invalid(
                "introspected token not for this audience",
            ));
        }
        let expires = answer.exp().map(|exp| exp.timestamp());
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
            .map_err(|_| TokenError::Invalid("malformed introspection answer"))?;
        Ok((self.principal(claims), expires))
    }
}
