//! Building [`Downtime`] from its settings: the database, login, the pages, the gate's rules,
//! the proxy and the background work, in the order each needs the others.

use std::sync::Arc;

use anyhow::Context as _;

use super::{Downtime, DowntimeBuilder, Parts, dev_idp, routes};
use crate::auth::{Auth, session};
use crate::bypass::{BypassLinks, CookieSettings};
use crate::config::{Config, Toggle};
use crate::gate::Rules;
use crate::gate::hold::Holds;
use crate::http::SiteUrls;
use crate::http::server::Tls;
use crate::proxy::{OwnCredential, Upstream, UpstreamSettings, UpstreamUrl};
use crate::state::{Change, Connections, StateService, Table, WindowInput};
use crate::web::page::{PageOptions, Pages};
use crate::webhook::{Chat, Webhooks};

impl DowntimeBuilder {
    /// Opens the database (migrating it), applies `maintenance_mode`, starts following the
    /// state, and prepares login and the page.
    ///
    /// # Errors
    /// The database cannot be opened, a setting is inconsistent (`dev_idp` off loopback, an
    /// issuer without a client id, a login provider without a base URL or listening address, a webhook without a secret, a metrics token too short), or a page override is broken;
    /// the message says which.
    pub async fn build(self) -> anyhow::Result<Downtime> {
        let mut config = self.config;
        // Settings given in code meet the flags' checks too.
        config.validate().map_err(anyhow::Error::msg)?;
        // A pair that does not load stops the start before anything else is opened.
        let tls = match config.tls.files() {
            Some(files) => Some(Tls::load(files, config.tls.hsts)),
            None if config.tls.enabled() => Some(Tls::automatic(config.tls.hsts)),
            None => None,
        }
        .transpose()
        .map_err(anyhow::Error::msg)?;
        let urls = site_urls(&config, self.bind_known)?;
        let connections = Connections::server(config.db_max_connections);
        let service = StateService::open_with(&config.database_url, connections).await?;
        let pages = Arc::new(pages(&config)?);
        let chat: Chat = {
            let pages = Arc::clone(&pages);
            Arc::new(move |told| pages.chat(told))
        };
        // Before `maintenance_mode` is applied: that change is delivered like any other.
        let webhooks = Webhooks::prepare(&config.webhook, &service, chat).await?;
        apply_environment(&service, config.maintenance_mode).await?;
        // The latest server's URL is the one the CLI's links point at.
        service.record_site_url(&urls.own("")).await?;
        let dev_idp = dev_idp::dev_idp(&mut config, &urls)?;
        let session_key = session::cookie_key(config.auth.secret_key.as_ref(), &service).await?;
        let auth = Auth::build(
            &config.auth,
            &service,
            urls.clone(),
            config.poll_interval,
            session_key.clone(),
        )
        .await?;
        // Served over HTTPS, or behind something that is: cookies go over HTTPS only.
        let secure_cookies = config.tls.enabled() || urls.base_url.starts_with("https://");
        let bypass = BypassLinks::load(
            &service,
            &session_key,
            CookieSettings {
                name: config.bypass_cookie.clone(),
                secure: secure_cookies,
            },
        )
        .await?;
        let bypass_follower = bypass.follow(
            config.poll_interval,
            service.database_changes(Table::BypassLinks),
        );
        let console = Arc::new(crate::admin::Console::new(Arc::clone(&pages))?);
        let rules = gate_rules(&config, &urls, dev_idp.is_some());
        let upstream = match &config.proxy.upstream {
            Some(url) => Some(Upstream::with_pages(
                upstream_settings(&config, url, &auth, &rules),
                Arc::clone(&pages),
                Some(service.live().clone()),
            )?),
            None => None,
        };
        let auto_maintenance = match (&upstream, config.proxy.auto_maintenance_after) {
            (Some(upstream), Some(after)) => Some(crate::proxy::health::watch(
                upstream.clone(),
                service.clone(),
                after,
            )),
            _ => None,
        };
        let follower = if config.poll_only {
            service.follow_by_poll(config.poll_interval)
        } else {
            service.follow(config.poll_interval)
        };
        // Serve once changes made elsewhere reach this process, so `/readyz` is ready from the
        // first request; a listener that cannot connect (the log says why) delays the start
        // by this much at most, and readiness then waits for it.
        if !config.poll_only && !service.sync_stats().pushed_within(FIRST_LISTEN).await {
            tracing::warn!(
                "changes made elsewhere are not pushed yet; /readyz answers 503 until they are"
            );
        }
        let webhooks = webhooks.start(config.poll_interval);
        let tls = tls
            .map(|tls| start_tls(&config, &service, tls))
            .transpose()?;
        let host_check = crate::http::HostCheck::new(&urls.base_url);
        let holds = Holds::new(service.live().clone(), config.hold_limits());
        Ok(Downtime {
            parts: Arc::new(Parts {
                secure_cookies,
                urls,
                config,
                service,
                auth,
                pages,
                console,
                rules,
                session_key,
                dev_idp,
                upstream,
                auto_maintenance,
                follower,
                bypass,
                bypass_follower,
                webhooks,
                gate_stats: Arc::default(),
                holds,
                api_writes: Arc::default(),
                host_check,
                tls,
            }),
        })
    }
}

/// Starts what keeps the certificates served current: the task that reads the files again
/// (and warns before expiry), and with ACME the one that orders them.
///
/// # Errors
/// `SIGHUP` cannot be listened for, or `--acme-ca` cannot be read.
fn start_tls(
    config: &Config,
    service: &StateService,
    tls: Arc<Tls>,
) -> anyhow::Result<(Arc<Tls>, Vec<tokio::task::JoinHandle<()>>)> {
    let mut tasks = vec![
        tls.watch(config.tls.tls_reload_poll)
            .context("cannot listen for SIGHUP")?,
    ];
    match (
        config.tls.acme(config.poll_interval),
        &config.auth.secret_key,
    ) {
        (Some(acme), Some(secret)) => {
            tracing::info!(target: "downtime::tls", domains = ?acme.domains, directory = %acme.directory, "serving HTTPS with certificates from ACME");
            tasks.push(crate::acme::start(acme, service, Arc::clone(&tls), secret)?);
        }
        _ => {
            tracing::info!(target: "downtime::tls", certificate = %tls.fingerprint(), "serving HTTPS");
        }
    }
    Ok((tls, tasks))
}

/// How long a starting server waits for its change listener before it serves anyway.
const FIRST_LISTEN: std::time::Duration = std::time::Duration::from_secs(3);

/// Where the site is reachable: `--base-url`, or the first `--acme-domain`, or the address it
/// listens on when that is known (`bind_known`).
///
/// # Errors
/// A login provider is on and neither is known: its redirects would lead nowhere.
fn site_urls(config: &Config, bind_known: bool) -> anyhow::Result<SiteUrls> {
    let scheme = if config.tls.enabled() {
        "https"
    } else {
        "http"
    };
    // With ACME, the first domain's certificate is where clients reach the site.
    let certified = config
        .tls
        .acme_domains
        .first()
        .map(|domain| match config.bind.port() {
            443 => format!("https://{domain}"),
            port => format!("https://{domain}:{port}"),
        });
    let base_url = match (&config.auth.base_url, certified) {
        (Some(url), _) => url.clone(),
        (None, Some(certified)) => certified,
        (None, None) if bind_known => format!("{scheme}://{}", config.bind),
        (None, None) if config.auth.oidc_issuer.is_some() || config.auth.dev_idp => anyhow::bail!(
            "login needs the site's base URL: set base_url (--base-url, DOWNTIME_BASE_URL) to where browsers reach the site, or listening_on with the address the app's listener is bound to"
        ),
        // Without login, only bypass links and the feed name the site; the default keeps
        // them working on this machine.
        (None, None) => format!("{scheme}://{}", config.bind),
    };
    Ok(SiteUrls {
        base_url: base_url.trim_end_matches('/').to_owned(),
        prefix: config.prefix.clone(),
    })
}

fn pages(config: &Config) -> anyhow::Result<Pages> {
    let options = PageOptions {
        default_language: config.default_language.clone(),
        prefix: config.prefix.clone(),
        page_dir: config.page_dir.clone(),
    };
    Ok(Pages::new(&options)?.with_lang_cookie(&config.lang_cookie))
}

/// The gate's rules: the page under the prefix, downtime's open routes (from the route
/// table), the configured open paths, and who is believed about the client's address.
fn gate_rules(config: &Config, urls: &SiteUrls, dev_idp: bool) -> Rules {
    let mut rules = Rules::mounted_at(&config.prefix);
    let own_open = routes::served(dev_idp).filter(|r| r.open);
    rules
        .open_paths
        .extend(own_open.map(|r| urls.own_path(r.path)));
    rules.open_paths.extend(config.open_paths.iter().cloned());
    rules.json_paths.extend(config.json_paths.iter().cloned());
    rules.serve_in_place = config.serve_in_place;
    rules.trusted_proxies = config.trusted_proxies.clone();
    rules
}

/// The settings of the proxy to `url`; `auth` tells it which credentials are downtime's own.
fn upstream_settings(
    config: &Config,
    url: &UpstreamUrl,
    auth: &Auth,
    rules: &Rules,
) -> UpstreamSettings {
    let proxy = &config.proxy;
    let auth = auth.clone();
    UpstreamSettings {
        url: url.clone(),
        host: proxy.upstream_host.clone(),
        connect_timeout: proxy.upstream_connect_timeout,
        response_timeout: proxy.upstream_timeout,
        max_body: config.max_body,
        body_pace: Some(proxy.body_pace()),
        max_connections: proxy.upstream_max_connections,
        max_per_client: proxy.upstream_max_per_client,
        trusted_proxies: config.trusted_proxies.clone(),
        ca_file: proxy.upstream_ca.clone(),
        own_cookies: vec![
            config.auth.session_cookie.clone(),
            config.bypass_cookie.clone(),
        ],
        json_paths: rules.json_paths.clone(),
        own_credential: Some(OwnCredential(Arc::new(move |value| {
            auth.holds_own_token(value)
        }))),
    }
}

/// Applies `MAINTENANCE_MODE` when set, like any other change (actor `environment`), unless the
/// stored state already says the same.
async fn apply_environment(service: &StateService, toggle: Option<Toggle>) -> anyhow::Result<()> {
    let Some(toggle) = toggle else { return Ok(()) };
    let current = service.current().await?;
    let on = toggle == Toggle::On;
    let already = if on {
        current.is_active(chrono::Utc::now())
    } else {
        !current.window.enabled
    };
    if already {
        return Ok(());
    }
    let change = Change::by("environment").because(Some(format!(
        "MAINTENANCE_MODE={}",
        if on { "on" } else { "off" }
    )));
    if on {
        service.switch_on(WindowInput::default(), change).await?;
    } else {
        service.switch_off(change).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_defaults_to_the_first_acme_domain_over_https() {
        let mut config = Config::default();
        config.tls.acme_domains = vec!["shop.example.com".into(), "www.shop.example.com".into()];
        config.bind = "0.0.0.0:443".parse().expect("addr");
        let urls = site_urls(&config, true).expect("urls");
        assert_eq!(urls.base_url, "https://shop.example.com");
        config.bind = "0.0.0.0:8443".parse().expect("addr");
        let urls = site_urls(&config, true).expect("urls");
        assert_eq!(urls.base_url, "https://shop.example.com:8443");
        config.auth.base_url = Some("https://example.com/".into());
        let urls = site_urls(&config, true).expect("urls");
        assert_eq!(urls.base_url, "https://example.com", "--base-url wins");
    }
}
