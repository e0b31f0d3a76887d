//! Who a request comes from: the principal, the claims it is read from, and the session user.

use serde::{Deserialize, Deserializer, Serialize};

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
    pub(crate) nonce: Option<String>,
    #[serde(default)]
    at_hash: Option<String>,
    #[serde(default)]
    c_hash: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    cid: Option<String>,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    pub(crate) exp: Option<i64>,
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
    /// Whether these are an ID token's claims (a login's proof for this site, never meant as
    /// an API credential): they bind a `nonce`, hash the tokens issued with them, or say so
    /// (Keycloak's `"typ": "ID"`). When the API's audience is the login client's own id (the
    /// default), an ID token's `aud` matches too, so a token for that audience must also carry
    /// the scopes or roles every access token has and no ID token does.
    pub fn is_id_token(&self, login_client: Option<&str>) -> bool {
        let says_id = self
            .other
            .get("typ")
            .and_then(serde_json::Value::as_str)
            .is_some_and(|typ| typ.eq_ignore_ascii_case("ID"));
        let for_login_client = login_client.is_some_and(|client| match self.other.get("aud") {
            Some(serde_json::Value::String(aud)) => aud == client,
            Some(serde_json::Value::Array(auds)) => auds.iter().any(|a| a == client),
            _ => false,
        });
        let has_scopes = ["scope", "scp", "roles"]
            .iter()
            .any(|claim| self.other.contains_key(*claim));
        self.nonce.is_some()
            || self.at_hash.is_some()
            || self.c_hash.is_some()
            || says_id
            || (for_login_client && !has_scopes)
    }

    /// The client a token stands for, when it was issued to a client itself (client
    /// credentials), not to a user through that client. Every access token names its client
    /// (`client_id` in RFC 9068 and Keycloak, `cid` at Okta, `azp`); it is the principal only
    /// when the subject is the client too: the same id (RFC 9068, Okta), `<id>@clients`
    /// (Auth0), or Keycloak's `service-account-<id>` user.
    fn client_itself(&self) -> Option<String> {
        let client = self
            .client_id
            .as_ref()
            .or(self.cid.as_ref())
            .or(self.azp.as_ref())?;
        let stands_for_client = self.sub == *client
            || self.sub == format!("{client}@clients")
            || self.preferred_username.as_deref()
                == Some(format!("service-account-{client}").as_str());
        stands_for_client.then(|| client.clone())
    }

    pub(crate) fn into_principal(self, groups_claim: &str) -> Principal {
        let groups = match self.other.get(groups_claim) {
            Some(serde_json::Value::Array(values)) => values
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        let client_id = self.client_itself();
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
    /// A random id, by which logout ends the session on every replica (empty in cookies from
    /// before it existed, which no longer count).
    #[serde(default)]
    pub session_id: String,
    /// The anti-CSRF token for this session's forms (logout).
    pub csrf: String,
}

/// The session key holding [`SessionUser`].
pub const SESSION_USER: &str = "user";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn principal(claims: serde_json::Value) -> Principal {
        serde_json::from_value::<Claims>(claims)
            .expect("claims")
            .into_principal("groups")
    }

    #[test]
    fn only_tokens_that_stand_for_the_client_are_client_principals() {
        let base = json!({ "iss": "https://idp", "sub": "ci-bot" });
        let with = |extra: serde_json::Value| {
            let mut claims = base.clone();
            if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
                c.extend(e.clone());
            }
            principal(claims).client_id
        };
        // Client credentials, as each provider spells them.
        assert_eq!(
            with(json!({ "client_id": "ci-bot" })),
            Some("ci-bot".into())
        );
        assert_eq!(with(json!({ "cid": "ci-bot" })), Some("ci-bot".into()));
        assert_eq!(
            principal(json!({ "iss": "i", "sub": "ci-bot@clients", "azp": "ci-bot" })).client_id,
            Some("ci-bot".into())
        );
        assert_eq!(
            principal(json!({
                "iss": "i", "sub": "5f2c", "azp": "ci-bot",
                "preferred_username": "service-account-ci-bot"
            }))
            .client_id,
            Some("ci-bot".into())
        );
        // A user's token through that client names the client, but is the user's.
        for user_token in [
            json!({ "iss": "i", "sub": "alice", "client_id": "ci-bot" }),
            json!({ "iss": "i", "sub": "alice", "cid": "ci-bot" }),
            json!({ "iss": "i", "sub": "alice", "azp": "ci-bot" }),
        ] {
            assert_eq!(principal(user_token).client_id, None);
        }
    }

    #[test]
    fn id_tokens_are_told_from_access_tokens() {
        let parse = |v: serde_json::Value| serde_json::from_value::<Claims>(v).expect("claims");
        let id = |v| parse(v).is_id_token(Some("web"));
        assert!(id(json!({ "iss": "i", "sub": "s", "nonce": "n" })));
        assert!(id(json!({ "iss": "i", "sub": "s", "at_hash": "h" })));
        assert!(id(
            json!({ "iss": "i", "sub": "s", "typ": "ID", "scope": "x" })
        ));
        // For the login client with no scopes: an ID token, whatever else it lacks.
        assert!(id(json!({ "iss": "i", "sub": "s", "aud": "web" })));
        assert!(id(json!({ "iss": "i", "sub": "s", "aud": ["api", "web"] })));
        assert!(!id(
            json!({ "iss": "i", "sub": "s", "aud": "web", "scope": "openid" })
        ));
        assert!(!id(
            json!({ "iss": "i", "sub": "s", "aud": "web", "scp": ["write"] })
        ));
        // Another audience: an API's token, scopes or not (Azure's app tokens carry roles).
        assert!(!id(json!({ "iss": "i", "sub": "s", "aud": "api" })));
        assert!(!id(
            json!({ "iss": "i", "sub": "s", "typ": "Bearer", "aud": "api" })
        ));
    }
}
