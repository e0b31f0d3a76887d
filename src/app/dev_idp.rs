//! The development identity provider's set-up: the provider as the issuer, its seeded admin
//! and script client as superusers, and the refusal to run it anywhere but on loopback.

#[cfg(not(feature = "dev-idp"))]
use poem::Route;

use crate::config::Config;
use crate::http::SiteUrls;

#[cfg(feature = "dev-idp")]
pub use crate::dev_idp::DevIdp;

/// The development provider is not in this build (the `dev-idp` feature is off).
#[cfg(not(feature = "dev-idp"))]
#[derive(Clone, Debug)]
pub enum DevIdp {}

#[cfg(not(feature = "dev-idp"))]
impl DevIdp {
    /// Never called: there is no value of this type.
    pub fn routes(&self) -> Route {
        match *self {}
    }
}

/// Sets up the development provider when `config` asks for it: the provider as the issuer,
/// its seeded admin and script client as superusers.
///
/// # Errors
/// It is asked for off loopback (a bind address, base URL or trusted proxy that lets others
/// reach it), or this build does not have it.
pub(super) fn dev_idp(config: &mut Config, urls: &SiteUrls) -> anyhow::Result<Option<DevIdp>> {
    if !config.auth.dev_idp {
        return Ok(None);
    }
    #[cfg(feature = "dev-idp")]
    {
        use crate::dev_idp::{ADMIN, AUDIENCE, SCRIPT_CLIENT, WEB_CLIENT_ID, allowed_at};
        use secrecy::SecretString;
        let loopback_base = url_host_is_loopback(&urls.base_url);
        if !allowed_at(config.bind) || !loopback_base || !config.trusted_proxies.is_empty() {
            anyhow::bail!(
                "--dev-idp is for development on this machine only: bind to a loopback address such as 127.0.0.1 (not {}), with a loopback base URL and no trusted proxies",
                config.bind.ip()
            );
        }
        let idp = DevIdp::new(urls)?;
        tracing::warn!(
            target: "downtime::auth",
            issuer = idp.issuer(),
            "THE DEVELOPMENT IDENTITY PROVIDER IS ON: anyone who can reach this server can log in as a superuser. Never use --dev-idp in production."
        );
        let auth = &mut config.auth;
        auth.oidc_issuer = Some(idp.issuer().to_owned());
        auth.oidc_client_id = Some(WEB_CLIENT_ID.to_owned());
        auth.oidc_client_secret = Some(SecretString::from(idp.web_client_secret().to_owned()));
        auth.oidc_audience = Some(AUDIENCE.to_owned());
        auth.superuser_emails.push(ADMIN.email.to_owned());
        auth.superuser_clients.push(SCRIPT_CLIENT.0.to_owned());
        Ok(Some(idp))
    }
    #[cfg(not(feature = "dev-idp"))]
    {
        let _ = urls;
        anyhow::bail!(
            "--dev-idp is not available: this build has no development provider (the dev-idp feature is off)"
        )
    }
}

/// Whether `url`'s host is `localhost` or a loopback address.
#[cfg(feature = "dev-idp")]
fn url_host_is_loopback(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    crate::http::is_loopback_authority(authority)
}
