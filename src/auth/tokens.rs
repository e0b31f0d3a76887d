//! Bearer tokens: JWTs verified against the provider's keys (and remembered until they
//! expire), or opaque tokens asked about by RFC 7662 introspection.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;

use super::provider::{Provider, TokenError};
use super::{Auth, AuthError, Claims, Principal};

/// JWTs already verified, until they expire: checking a signature costs far more than the
/// rest of a request. Bounded, and keyed by the whole token, so a forged one is never found.
#[derive(Default)]
pub(super) struct VerifiedTokens {
    tokens: Mutex<HashMap<String, (Principal, i64)>>,
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
    /// The principal a bearer token stands for.
    pub(super) async fn bearer(&self, token: &str) -> Result<Principal, AuthError> {
        let Some(provider) = self.provider() else {
            return Err(AuthError::Unauthenticated(
                "no identity provider is configured",
            ));
        };
        let looks_like_jwt = token.split('.').count() == 3;
        let verified = if looks_like_jwt || !provider.settings().introspection {
            self.jwt(provider, token).await
        } else {
            self.introspected(provider, token).await
        };
        verified.map_err(|e| match e {
            TokenError::Unavailable => AuthError::Unavailable,
            TokenError::Invalid(reason) => {
                tracing::info!(target: "downtime::auth", reason, "bearer token refused");
                AuthError::Unauthenticated(reason)
            }
        })
    }

    async fn jwt(&self, provider: &Provider, token: &str) -> Result<Principal, TokenError> {
        if let Some(known) = self.verified().get(token) {
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
        self.verified().insert(token, &principal, expires);
        Ok(principal)
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
                "introspected token from another issuer",
            ));
        }
        if let Some(audiences) = answer.aud()
            && !audiences.iter().any(|a| *a == provider.settings().audience)
        {
            return Err(TokenError::Invalid(
                "introspected token for another audience",
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
            .map_err(|_| TokenError::Invalid("malformed introspection answer"))?;
        Ok(self.principal(claims))
    }
}
