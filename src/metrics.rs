//! `/metrics`: what downtime sees, for Prometheus, in the OpenMetrics text format.
//!
//! Each module counts what it sees in plain atomics of its own (the gate's [`GateStats`], the
//! API's [`WriteStats`], the state follower's [`SyncStats`], the proxy's error counts); this
//! module only reads them when a scrape comes, through a collector of the official Prometheus
//! client. The request path therefore takes no lock, allocates nothing and looks nothing up
//! for the metrics. Every label value comes from a fixed list: no path, address or user ever
//! becomes a label.
//!
//! Only the configured networks (loopback by default) may read the metrics, or anyone with the
//! metrics token as `Authorization: Bearer`.

use std::fmt;
use std::sync::Arc;

use clap::Args;
use ipnet::IpNet;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use strum::VariantArray as _;

use crate::api::writes::{WriteResult, WriteStats};
use crate::gate::hold::Holds;
use crate::gate::{GateStats, Gated, Pass, Reason};
use crate::http::Problem;
use crate::http::server::Tls;
use crate::proxy::{Upstream, UpstreamError};
use crate::state::{Mode, StateService, SyncStats};
use crate::webhook::{Event, WebhookStats};

/// The path of the metrics, under downtime's prefix.
pub const PATH: &str = "/metrics";

/// The media type of the OpenMetrics text format, which Prometheus asks for first.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The shortest metrics token accepted: it is the only thing between the metrics and anyone
/// outside the allowed networks.
pub const MIN_TOKEN_CHARS: usize = 16;

/// Who may read `/metrics`, as flags and environment variables of `downtime serve`.
#[derive(Args, Clone, Debug)]
pub struct MetricsConfig {
    /// Networks (CIDR, comma-separated) whose clients may read `/metrics` without a token; the
    /// client's address is found as the gate finds it (`X-Forwarded-For` only from trusted
    /// proxies).
    #[arg(
        long,
        env = "DOWNTIME_METRICS_ALLOW",
        value_delimiter = ',',
        default_values = ["127.0.0.0/8", "::1/128"],
        value_parser = crate::state::parse_network
    )]
    pub metrics_allow: Vec<IpNet>,

    /// A token that lets a scraper anywhere read `/metrics`, sent as `Authorization: Bearer
    /// <token>` (16 characters or more).
    // Checked when downtime is built, not here: a refusal by the parser would print the value.
    #[arg(long, env = "DOWNTIME_METRICS_TOKEN", hide_env_values = true, value_parser = secret)]
    pub metrics_token: Option<SecretString>,
}

impl Default for MetricsConfig {
    /// The same values as the flags' defaults: loopback only, no token.
    fn default() -> Self {
        MetricsConfig {
            metrics_allow: loopback(),
            metrics_token: None,
        }
    }
}

/// `127.0.0.0/8` and `::1/128`.
pub fn loopback() -> Vec<IpNet> {
    vec![
        IpNet::V4(ipnet::Ipv4Net::new_assert(
            std::net::Ipv4Addr::new(127, 0, 0, 0),
            8,
        )),
        IpNet::V6(ipnet::Ipv6Net::new_assert(
            std::net::Ipv6Addr::LOCALHOST,
            128,
        )),
    ]
}

fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value.to_owned()))
}

/// A metrics token: at least [`MIN_TOKEN_CHARS`] characters, none of them blank.
///
/// # Errors
/// Too short, or holds whitespace (which a header could not carry intact). The message never
/// repeats the value: it is a secret, even when refused.
pub fn token(value: &str) -> Result<SecretString, String> {
    check_token(value)?;
    Ok(SecretString::from(value.to_owned()))
}

fn check_token(value: &str) -> Result<(), String> {
    if value.chars().any(char::is_whitespace) {
        return Err("the metrics token must not contain spaces".into());
    }
    if value.chars().count() < MIN_TOKEN_CHARS {
        return Err(format!(
            "the metrics token must be {MIN_TOKEN_CHARS} characters or more"
        ));
    }
    Ok(())
}

impl MetricsConfig {
    /// Checks the token, when one is set (see [`token`]).
    ///
    /// # Errors
    /// As [`token`]'s.
    pub fn validate(&self) -> Result<(), String> {
        match &self.metrics_token {
            Some(token) => check_token(token.expose_secret()),
            None => Ok(()),
        }
    }
}

/// Where the numbers come from; read at every scrape.
pub struct Sources {
    /// The state: the live snapshot, and how closely it is followed.
    pub service: StateService,
    /// The gate's counters.
    pub gate: Arc<GateStats>,
    /// The requests hold windows keep waiting.
    pub holds: Arc<Holds>,
    /// The control API's writes.
    pub writes: Arc<WriteStats>,
    /// The reverse proxy, in proxy mode.
    pub upstream: Option<Upstream>,
    /// The webhook sender's deliveries, when webhooks are configured.
    pub webhooks: Option<Arc<WebhookStats>>,
    /// The certificate served over HTTPS, when it is on.
    pub tls: Option<Arc<Tls>>,
}

impl fmt::Debug for Sources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sources").finish_non_exhaustive()
    }
}

/// The `/metrics` endpoint: the collector's exposition for allowed clients, a problem document
/// for the others.
///
/// # Errors
/// None as `poem::Error`: a refusal is a 403 problem document, or a 401 with
/// `WWW-Authenticate: Bearer` when a token is configured.
pub struct MetricsEndpoint {
    registry: Registry,
    allow: Vec<IpNet>,
    token: Option<SecretString>,
    trusted_proxies: Vec<IpNet>,
}

impl fmt::Debug for MetricsEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the token.
        f.debug_struct("MetricsEndpoint")
            .field("allow", &self.allow)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl MetricsEndpoint {
    /// Serves what `sources` count to the clients `config` lets in, finding each client's
    /// address as the gate does (believing `X-Forwarded-For` from `trusted_proxies` only).
    pub fn new(sources: Sources, config: &MetricsConfig, trusted_proxies: Vec<IpNet>) -> Self {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(sources));
        MetricsEndpoint {
            registry,
            allow: config.metrics_allow.clone(),
            token: config.metrics_token.clone(),
            trusted_proxies,
        }
    }

    /// `None` when `req` may read the metrics, or the refusal to send.
    fn refusal(&self, req: &Request) -> Option<Response> {
        let allowed = crate::http::client_ip(req, &self.trusted_proxies)
            .is_some_and(|ip| self.allow.iter().any(|net| net.contains(&ip)));
        if allowed {
            return None;
        }
        let Some(token) = &self.token else {
            return Some(
                Problem::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "Metrics not served here",
                    "The metrics are served only to the configured networks.",
                )
                .into_response(),
            );
        };
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split_once(' ')
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            })
            .map(|(_, token)| token.trim());
        let challenge = match presented {
            Some(presented) if same_secret(presented, token.expose_secret()) => return None,
            Some(_) => "Bearer realm=\"downtime metrics\", error=\"invalid_token\"",
            None => "Bearer realm=\"downtime metrics\"",
        };
        let mut resp = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            "Send the metrics token as Authorization: Bearer, or scrape from an allowed network.",
        )
        .into_response();
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(challenge),
        );
        Some(resp)
    }
}

/// Compares digests in constant time, so neither the token's characters nor its length show
/// in how long a refusal takes.
fn same_secret(presented: &str, expected: &str) -> bool {
    let presented = Sha256::digest(presented.as_bytes());
    let expected = Sha256::digest(expected.as_bytes());
    presented.ct_eq(&expected).into()
}

impl Endpoint for MetricsEndpoint {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        if let Some(refusal) = self.refusal(&req) {
            return Ok(refusal);
        }
        let mut body = String::with_capacity(4096);
        if let Err(error) = prometheus_client::encoding::text::encode(&mut body, &self.registry) {
            tracing::error!(%error, "cannot encode the metrics");
            return Ok(Problem::from_status(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The metrics cannot be encoded.",
            )
            .into_response());
        }
        Ok(Response::builder()
            .content_type(CONTENT_TYPE)
            .header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
            .body(body))
    }
}

/// Writes one family with one sample per label value.
fn family<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder<'_>,
    (name, help, kind): (&str, &str, MetricType),
    label: &'static str,
    samples: impl IntoIterator<Item = (&'static str, M)>,
) -> fmt::Result {
    let mut metric = encoder.encode_descriptor(name, help, None, kind)?;
    for (value, sample) in samples {
        sample.encode(metric.encode_family(&[(label, value)])?)?;
    }
    Ok(())
}

impl Collector for Sources {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        self.encode_state(&mut encoder)?;
        self.encode_sync(&mut encoder)?;
        self.encode_requests(&mut encoder)?;
        self.encode_deliveries(&mut encoder)?;
        self.encode_tls(&mut encoder)
    }
}

impl Sources {
    /// Whether maintenance is on, and the version served.
    fn encode_state(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let state = self.service.live().load();
        let active =
            |mode: Mode| ConstGauge::new(i64::from(state.is_active() && state.window.mode == mode));
        family(
            encoder,
            (
                "downtime_maintenance_active",
                "Whether maintenance gates visitors now (1) or not (0), by mode.",
                MetricType::Gauge,
            ),
            "mode",
            Mode::VARIANTS
                .iter()
                .map(|&mode| (mode.as_str(), active(mode))),
        )?;
        ConstGauge::new(state.version).encode(encoder.encode_descriptor(
            "downtime_state_version",
            "The version of the maintenance state this process serves.",
            None,
            MetricType::Gauge,
        )?)?;
        drop(state);
        Ok(())
    }

    /// When each certificate served over HTTPS expires, by its name (its domain, or its file).
    fn encode_tls(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let Some(tls) = &self.tls else {
            return Ok(());
        };
        let expiries = tls.expiries();
        if expiries.is_empty() {
            return Ok(());
        }
        let mut metric = encoder.encode_descriptor(
            "downtime_tls_certificate_expiry_timestamp",
            "When each certificate served over HTTPS expires (by its domain, or its file), in seconds since the Unix epoch: alert when it comes within days.",
            Some(&Unit::Seconds),
            MetricType::Gauge,
        )?;
        for (name, expires) in &expiries {
            let Some(expires) = expires else {
                continue;
            };
            let secs = expires
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs());
            ConstGauge::new(i64::try_from(secs).unwrap_or(i64::MAX))
                .encode(metric.encode_family(&[("certificate", name.as_str())])?)?;
        }
        Ok(())
    }

    /// How closely this process follows the stored state.
    fn encode_sync(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let sync: &SyncStats = self.service.sync_stats();
        ConstGauge::new(sync.since_last_sync().as_secs_f64()).encode(
            encoder.encode_descriptor(
                "downtime_state_sync_age",
                "Seconds since this process last read the stored state successfully.",
                Some(&Unit::Seconds),
                MetricType::Gauge,
            )?,
        )?;
        ConstGauge::new(i64::from(sync.pushed())).encode(encoder.encode_descriptor(
            "downtime_changes_pushed",
            "Whether other processes' changes reach this one at once (1: PostgreSQL's change listener is connected, or SQLite's file is watched) or only by the poll (0).",
            None,
            MetricType::Gauge,
        )?)?;
        ConstCounter::new(sync.listener_reconnects()).encode(encoder.encode_descriptor(
            "downtime_listener_reconnects",
            "Times PostgreSQL's change listener connected again after losing its connection.",
            None,
            MetricType::Counter,
        )?)?;
        Ok(())
    }

    /// What the gate and the control API did with requests.
    fn encode_requests(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let mut gated = encoder.encode_descriptor(
            "downtime_gated_requests",
            "Requests the gate answered itself, by answer (redirect, page, json) and reason.",
            None,
            MetricType::Counter,
        )?;
        for &answer in Gated::VARIANTS {
            for &reason in Reason::VARIANTS {
                let labels = [("answer", answer.as_str()), ("reason", reason.as_str())];
                ConstCounter::new(self.gate.gated(answer, reason))
                    .encode(gated.encode_family(&labels)?)?;
            }
        }

        family(
            encoder,
            (
                "downtime_passed_requests",
                "Requests let through while maintenance is active, by reason.",
                MetricType::Counter,
            ),
            "reason",
            Pass::VARIANTS
                .iter()
                .copied()
                .filter(|pass| *pass != Pass::Inactive)
                .map(|pass| (pass.as_str(), ConstCounter::new(self.gate.passed(pass)))),
        )?;

        self.encode_holds(encoder)?;

        family(
            encoder,
            (
                "downtime_api_writes",
                "Writes to the maintenance state through the control API, by result.",
                MetricType::Counter,
            ),
            "result",
            WriteResult::VARIANTS.iter().map(|&result| {
                (
                    result.as_str(),
                    ConstCounter::new(self.writes.count(result)),
                )
            }),
        )?;
        Ok(())
    }

    /// What hold windows did with the requests they kept waiting.
    fn encode_holds(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        let holds = self.holds.stats();
        ConstGauge::new(i64::try_from(holds.held()).unwrap_or(i64::MAX)).encode(
            encoder.encode_descriptor(
                "downtime_held_requests",
                "Requests waiting now for a hold window to end.",
                None,
                MetricType::Gauge,
            )?,
        )?;
        family(
            encoder,
            (
                "downtime_hold_outcomes",
                "Requests a hold window kept or would have kept waiting, by outcome: released \
                 when it ended, answered after the hold timeout (timed_out), answered at once \
                 because the queue was full (refused), given up by their clients (abandoned).",
                MetricType::Counter,
            ),
            "outcome",
            [
                ("released", ConstCounter::new(holds.released())),
                ("timed_out", ConstCounter::new(holds.timed_out())),
                ("refused", ConstCounter::new(holds.refused())),
                ("abandoned", ConstCounter::new(holds.abandoned())),
            ],
        )?;
        holds.waited().encode(encoder.encode_descriptor(
            "downtime_hold_wait",
            "How long requests waited in hold windows.",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?)
    }

    /// What reached the webhook receivers and the upstream app.
    fn encode_deliveries(&self, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        if let Some(webhooks) = &self.webhooks {
            let mut metric = encoder.encode_descriptor(
                "downtime_webhook_deliveries",
                "Webhook work by this process, by event and result: deliveries accepted, \
                 attempts that failed (each is retried), deliveries given up.",
                None,
                MetricType::Counter,
            )?;
            for event in Event::ALL {
                let sent = webhooks.of(event);
                for (result, n) in [
                    ("delivered", sent.delivered),
                    ("failed_attempt", sent.failed_attempts),
                    ("given_up", sent.given_up),
                ] {
                    ConstCounter::new(n).encode(
                        metric.encode_family(&[("event", event.name()), ("result", result)])?,
                    )?;
                }
            }
        }

        if let Some(upstream) = &self.upstream {
            family(
                encoder,
                (
                    "downtime_upstream_errors",
                    "Requests the upstream app gave no usable answer to, by kind.",
                    MetricType::Counter,
                ),
                "kind",
                UpstreamError::VARIANTS
                    .iter()
                    .map(|&kind| (kind.as_str(), ConstCounter::new(upstream.errors(kind)))),
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_unbroken_and_never_repeated_in_refusals() {
        assert!(token("0123456789abcdef").is_ok());
        let short = token("hunter2").expect_err("short");
        assert!(!short.contains("hunter2"), "{short}");
        let spaced = token("0123456789 abcdef").expect_err("spaced");
        assert!(!spaced.contains("abcdef"), "{spaced}");
    }

    #[test]
    fn secrets_compare_equal_only_when_equal() {
        assert!(same_secret("0123456789abcdef", "0123456789abcdef"));
        assert!(!same_secret("0123456789abcdeF", "0123456789abcdef"));
        assert!(!same_secret("0123456789abcdef0", "0123456789abcdef"));
        assert!(!same_secret("", "0123456789abcdef"));
    }

    #[test]
    fn the_default_networks_are_loopback() {
        let nets: Vec<String> = loopback().iter().map(ToString::to_string).collect();
        assert_eq!(nets, ["127.0.0.0/8", "::1/128"]);
    }
}
