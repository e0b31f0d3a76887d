//! Login and superuser settings, as flags, environment variables or code.

use std::time::Duration;

use clap::Args;
use secrecy::SecretString;

use super::session;

/// Login and superuser settings.
#[derive(Args, Clone, Debug)]
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

    /// Accept opaque access tokens through RFC 7662 introspection (`on` or `off`).
    #[arg(
        long,
        env = "DOWNTIME_OIDC_INTROSPECTION",
        value_name = "on|off",
        value_parser = on_off,
        default_value = "off",
        action = clap::ArgAction::Set
    )]
    pub oidc_introspection: bool,

    /// The public URL of this site; the redirect URI is `<base>/auth/callback`
    /// (default: `https://<first --acme-domain>` with ACME, else `http://<bind address>`).
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

    /// The session cookie's name: change it if the site behind uses the same one.
    #[arg(long, env = "DOWNTIME_SESSION_COOKIE", default_value = session::COOKIE_NAME, value_parser = crate::http::cookie_name)]
    pub session_cookie: String,

    /// How long a browser login lasts.
    #[arg(long, env = "DOWNTIME_SESSION_TTL", default_value = "8h", value_parser = humantime::parse_duration)]
    pub session_ttl: Duration,

    /// Run the development identity provider inside the server (loopback only, never in
    /// production) and log in with it.
    #[arg(long, env = "DOWNTIME_DEV_IDP")]
    pub dev_idp: bool,
}

impl Default for AuthConfig {
    /// The same values as the flags' defaults: no provider, no superusers.
    fn default() -> Self {
        AuthConfig {
            oidc_issuer: None,
            oidc_client_id: None,
            oidc_client_secret: None,
            oidc_audience: None,
            oidc_scopes: "openid email profile".into(),
            oidc_introspection: false,
            base_url: None,
            secret_key: None,
            superuser_emails: Vec::new(),
            superuser_groups: Vec::new(),
            groups_claim: "groups".into(),
            superuser_clients: Vec::new(),
            session_cookie: session::COOKIE_NAME.into(),
            session_ttl: Duration::from_secs(8 * 3600),
            dev_idp: false,
        }
    }
}

fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value.to_owned()))
}

/// `on` or `off` (also `true`/`false`, `1`/`0`), as switches are written in the environment.
pub fn on_off(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => Err(format!("{other:?} is neither on nor off")),
    }
}
