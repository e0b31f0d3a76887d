//! A switch of protocols (WebSocket, any `Upgrade`) passed on: the two connections joined
//! byte for byte, for as long as the gate would still let the request through.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use poem::http::StatusCode;
use poem::{OnUpgrade, Response};
use tracing::Instrument as _;

use super::headers;
use super::limits::Slot;
use super::pool::Pooled;
use crate::gate::TunnelCheck;
use crate::state::Live;

/// Answers the client's switch with the upstream's 101, then joins the two connections once
/// both have switched, copying bytes both ways until either side closes, or until the state
/// changes so that the gate would no longer pass the request that opened it (`watch`).
pub(super) fn tunnel(
    client: OnUpgrade,
    mut resp: hyper::Response<Incoming>,
    pooled: Pooled,
    watch: Option<(TunnelCheck, Live)>,
) -> Response {
    let upstream = hyper::upgrade::on(&mut resp);
    // The connection hands itself over once it has been polled past the 101; the request's
    // place in flight is held as long as the tunnel is open.
    let (connection, slot) = pooled.into_connection();
    tokio::spawn(
        async move {
            let _slot: Option<Slot> = slot;
            let ((), (client, upstream)) =
                tokio::join!(connection, async { tokio::join!(client, upstream) });
            match (client, upstream) {
                (Ok(mut client), Ok(upstream)) => {
                    let mut upstream = TokioIo::new(upstream);
                    tokio::select! {
                        copied = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {
                            if let Err(error) = copied {
                                tracing::debug!(%error, "upgraded connection ended");
                            }
                        }
                        () = gated_later(watch) => {
                            tracing::debug!("upgraded connection closed: maintenance covers it now");
                        }
                    }
                }
                (client, upstream) => tracing::warn!(
                    client = client.err().map(|e| e.to_string()),
                    upstream = upstream.err().map(|e| e.to_string()),
                    "the protocol switch failed"
                ),
            }
        }
        .in_current_span(),
    );
    let (mut parts, _) = resp.into_parts();
    headers::strip_hop_by_hop(&mut parts.headers, true);
    let mut resp = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .finish();
    *resp.headers_mut() = parts.headers;
    resp
}

/// Completes once the state is one in which the gate would stop the tunnel's request; never
/// without a check (a superuser's tunnel, or a proxy with no state to follow).
async fn gated_later(watch: Option<(TunnelCheck, Live)>) {
    let Some((check, live)) = watch else {
        return std::future::pending().await;
    };
    let mut changes = live.subscribe();
    // A change between the gate's decision and now counts too.
    if !check.passes(&live.load()) {
        return;
    }
    while changes.changed().await.is_ok() {
        let state = Arc::clone(&changes.borrow_and_update());
        if !check.passes(&state) {
            return;
        }
    }
    std::future::pending().await
}
