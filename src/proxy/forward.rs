//! Forwarding one request: its target and headers as sent, its body watched, its answer
//! streamed back, and an upgrade joined into a tunnel.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures_util::FutureExt as _;
use http_body_util::combinators::BoxBody;
use hyper::body::Incoming;
use poem::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version, header};
use poem::{Body, Endpoint, OnUpgrade, Request, Response};

use super::body::{BodyWatch, Outgoing};
use super::failure::{Failure, error_chain};
use super::headers::{self, Hop};
use super::pool::{Pooled, SendError};
use super::tunnel::tunnel;
use super::{Inner, Upstream};
use crate::gate::TunnelCheck;
use crate::http::{client_ip, client_proto};
use crate::path::SentTarget;

impl Endpoint for Upstream {
    type Output = Response;

    // Not an `async fn`, which would keep a copy of the request beside the forwarding.
    fn call(&self, req: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        let asker = Asker::of(&req);
        // A combinator, not an `async` block: awaiting a captured future copies it.
        self.inner.forward(req).map(move |forwarded| {
            Ok(match forwarded {
                Ok(resp) => resp,
                Err(failure) => self.inner.answer(failure, &asker),
            })
        })
    }
}

const ASKED_COUNT: usize = 5;

/// The headers a failure's answer is chosen from: its format (`Accept`, and the signs of a
/// script) and its language (`Accept-Language`, the language cookie).
const ASKED: [HeaderName; ASKED_COUNT] = [
    header::ACCEPT,
    header::ACCEPT_LANGUAGE,
    header::COOKIE,
    HeaderName::from_static("x-requested-with"),
    HeaderName::from_static("sec-fetch-mode"),
];

/// What a failure's answer is negotiated from, kept aside before the request goes upstream:
/// the URI (for `?lang=`) and the [`ASKED`] headers. Clones of parsed values share their
/// bytes, so this costs no copy on the way through.
pub(super) struct Asker {
    pub(super) uri: Uri,
    values: [Option<HeaderValue>; ASKED_COUNT],
}

impl Asker {
    pub(super) fn of(req: &Request) -> Self {
        let headers = req.headers();
        Asker {
            uri: req.uri().clone(),
            values: ASKED.map(|name| headers.get(name).cloned()),
        }
    }

    /// The headers the answer is negotiated from (built only when a failure is answered).
    pub(super) fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in ASKED.iter().zip(&self.values) {
            if let Some(value) = value {
                headers.insert(name.clone(), value.clone());
            }
        }
        headers
    }
}

impl Inner {
    pub(super) async fn forward(&self, req: Request) -> Result<Response, Failure> {
        if req.method() == Method::CONNECT {
            return Err(Failure::ConnectMethod);
        }
        self.refuse_announced_oversize(&req)?;
        let peer = req
            .remote_addr()
            .as_socket_addr()
            .map(|addr| addr.ip().to_canonical());
        let trusted =
            peer.is_some_and(|ip: IpAddr| self.trusted_proxies.iter().any(|net| net.contains(&ip)));
        let client = client_ip(&req, &self.trusted_proxies);
        let slot = self
            .limits
            .acquire(client)
            .await
            .map_err(Failure::Refused)?;
        // A switch of protocols (WebSocket…) is passed on only when this connection can make
        // it (HTTP/1.1); otherwise the request goes as a plain one.
        let client_upgrade = headers::wants_upgrade(req.headers())
            .then(|| req.take_upgrade().ok())
            .flatten();
        let hop = Hop {
            peer,
            trusted,
            client,
            proto: client_proto(&req, &self.trusted_proxies),
            host: None,
        };
        let (out, watch, tunnel_check) = self.outbound(req, hop, client_upgrade.is_some());
        let client_upgrade = client_upgrade.map(|c| (c, tunnel_check));

        let answer = self.pool.send(&self.origin, out, Some(slot));
        tokio::pin!(answer);
        // The timeout runs from the end of the request body: an upload may take as long as the
        // client needs (at the pace the body rules allow), but then the upstream must answer
        // in time.
        if let Some(watch) = &watch {
            tokio::select! {
                answered = &mut answer => return self.answered(answered, Some(watch), client_upgrade),
                () = watch.sent.notified() => {}
            }
        }
        let answered = match tokio::time::timeout(self.response_timeout, &mut answer).await {
            Ok(answered) => answered,
            Err(_) => return Err(Failure::Timeout(self.response_timeout)),
        };
        self.answered(answered, watch.as_deref(), client_upgrade)
    }

    /// 413 at once for a body announced over the limit; one that grows past it on the way is
    /// cut by its [`BodyWatch`].
    fn refuse_announced_oversize(&self, req: &Request) -> Result<(), Failure> {
        let announced = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match self.max_body {
            Some(max) if announced.is_some_and(|n| n > max as u64) => Err(Failure::TooLarge(max)),
            _ => Ok(()),
        }
    }

    /// The request as it goes upstream: the target as sent, its headers made fit, its body
    /// watched; and the tunnel check the gate left for an upgrade.
    fn outbound(
        &self,
        req: Request,
        hop: Hop,
        upgrading: bool,
    ) -> (
        hyper::Request<Outgoing>,
        Option<Arc<BodyWatch>>,
        Option<TunnelCheck>,
    ) {
        let (mut parts, body) = req.into_parts();
        // The target as the client sent it: the gate judged every reading of it, and an app
        // may give `%2F` a meaning of its own.
        let target = parts
            .extensions
            .remove::<SentTarget>()
            .map(|sent| sent.0)
            .or_else(|| parts.uri.path_and_query().cloned());
        let uri = target.map_or_else(|| Uri::from_static("/"), Uri::from);
        let tunnel_check = parts.extensions.remove::<TunnelCheck>();
        let mut headers = parts.headers;
        self.headers_for_upstream(&mut headers, &parts.uri, hop, upgrading);
        let (body, watch) =
            Outgoing::new(body, self.max_body.map(|max| max as u64), self.body_pace);
        let mut out = hyper::Request::new(body);
        *out.method_mut() = parts.method;
        *out.uri_mut() = uri;
        *out.version_mut() = Version::HTTP_11;
        *out.headers_mut() = headers;
        (out, watch, tunnel_check)
    }

    /// The client's headers made fit for the upstream: hop-by-hop ones and downtime's own
    /// credentials removed, forwarding ones set, and `Host`.
    pub(super) fn headers_for_upstream(
        &self,
        headers: &mut poem::http::HeaderMap,
        uri: &Uri,
        hop: Hop<'_>,
        upgrade: bool,
    ) {
        // A request in absolute form names its host in the URI, and its `Host` is to be
        // ignored (RFC 9112 §3.2.2); HTTP/2 clients name it there (`:authority`) too.
        let client_host = uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            .or_else(|| headers.get(header::HOST).cloned());
        headers::strip_hop_by_hop(headers, upgrade);
        headers::strip_cookies(headers, &self.own_cookies);
        // A superuser's token opens downtime's API until it expires: the app, and its logs,
        // must not hold it. The app's own schemes and tokens go through.
        if let Some(own) = &self.own_credential
            && headers
                .get_all(header::AUTHORIZATION)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .any(|v| (own.0)(v))
        {
            headers.remove(header::AUTHORIZATION);
        }
        // The client's `Expect: 100-continue` is answered by this server as soon as the body
        // is read; the client library upstream sends the body at once, so it must not ask.
        headers.remove(header::EXPECT);
        headers::set_forwarding(
            headers,
            &Hop {
                host: client_host.as_ref(),
                ..hop
            },
        );
        let host = self
            .host
            .clone()
            .or(client_host)
            .unwrap_or_else(|| self.url_host());
        headers.insert(header::HOST, host);
    }

    /// What the upstream's answer becomes: the response, or why there is none.
    pub(super) fn answered(
        &self,
        answered: Result<(hyper::Response<Incoming>, Pooled), SendError>,
        watch: Option<&BodyWatch>,
        client_upgrade: Option<(OnUpgrade, Option<TunnelCheck>)>,
    ) -> Result<Response, Failure> {
        let (resp, pooled) = match answered {
            Ok(answer) => answer,
            Err(_) if watch.is_some_and(|w| w.too_large.load(Ordering::Relaxed)) => {
                return Err(Failure::TooLarge(self.max_body.unwrap_or_default()));
            }
            Err(_) if watch.is_some_and(|w| w.too_slow.load(Ordering::Relaxed)) => {
                return Err(Failure::SlowBody);
            }
            Err(SendError::Connect(error)) => {
                return Err(Failure::Unreachable(error_chain(&*error)));
            }
            Err(SendError::Http(error)) => return Err(Failure::BadAnswer(error_chain(&error))),
            Err(SendError::Closed) => {
                return Err(Failure::BadAnswer(
                    "the connection closed before the answer".into(),
                ));
            }
        };
        if matches!(
            resp.status(),
            StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
        ) && !self.maintenance_on()
        {
            let retry_after = resp.headers().get(header::RETRY_AFTER).cloned();
            return Err(Failure::Upstream(resp.status(), retry_after));
        }
        if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
            return match client_upgrade {
                Some((client, check)) => {
                    let watch = check.zip(self.live.clone());
                    Ok(tunnel(client, resp, pooled, watch))
                }
                None => Err(Failure::BadAnswer(
                    "101 Switching Protocols to a request that asked for no switch".into(),
                )),
            };
        }
        let (mut parts, body) = resp.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers, false);
        let body = BoxBody::new(self.pool.body(body, pooled));
        let mut resp = Response::builder()
            .status(parts.status)
            .body(Body::from(body));
        *resp.headers_mut() = parts.headers;
        Ok(resp)
    }
}
