//! Serving a Poem endpoint over TCP: HTTP/1.1 with upgrades (WebSocket), and HTTP/2 for
//! clients that speak it from the first byte, as Poem's `Server` does.
//!
//! The difference is on every request's path: Poem's server splits each connection into two
//! halves behind a lock and boxes them, and calls the endpoint through two more boxed layers.
//! Here the socket is handed to hyper as it is and the endpoint is called directly, which a
//! reverse proxy, doing little else per request, feels in its throughput.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Endpoint, IntoResponse as _, Request};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long to wait before accepting again after `accept` failed: out of file descriptors
/// (`EMFILE`) the listener stays readable, and retrying at once would spin a core.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `endpoint` on `listener` until `shutdown` completes; then stops accepting, lets each
/// connection finish the request it is answering (for up to `drain`) and closes the rest.
///
/// # Errors
/// The listener has no local address.
pub async fn serve<E>(
    listener: TcpListener,
    endpoint: E,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> io::Result<()>
where
    E: Endpoint + 'static,
{
    let local = LocalAddr(listener.local_addr()?.into());
    let endpoint = Arc::new(endpoint);
    let (stop, stopping) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => {
                tracing::info!(open = connections.len(), "draining the open connections");
                break;
            }
            // Finished connections are reaped as they end, so the set holds only live ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection(
                        stream,
                        local.clone(),
                        RemoteAddr(peer.into()),
                        Arc::clone(&endpoint),
                        stopping.clone(),
                    ));
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
        }
    }
    drop(listener);
    // Every connection is told at once; the receivers never see the sender dropped first.
    let _ = stop.send(true);
    let drained = tokio::time::timeout(drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            open = connections.len(),
            "closing the connections still open after the drain"
        );
    }
    // Dropping the set aborts whatever is left.
    tracing::info!("server stopped");
    Ok(())
}

/// One client connection, until it closes or, once `stopping` turns true, until its request
/// in flight is answered.
async fn connection<E: Endpoint + 'static>(
    stream: TcpStream,
    local: LocalAddr,
    remote: RemoteAddr,
    endpoint: Arc<E>,
    mut stopping: watch::Receiver<bool>,
) {
    // The answer's head and a small body go out in one write; the client is not left waiting
    // on Nagle's algorithm for the rest.
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let endpoint = Arc::clone(&endpoint);
        let req = Request::from((req, local.clone(), remote.clone(), Scheme::HTTP));
        // The request moves straight into the endpoint's future (`get_response` would keep a
        // copy of its own): hyper moves this future once per request, so its size counts.
        async move {
            // `E::call`, not `Arc`'s: Poem's `Endpoint for Arc<T>` is an `async fn`, which
            // would keep a second copy of the request.
            let resp = match E::call(&endpoint, req).await {
                Ok(resp) => resp.into_response(),
                Err(err) => err.into_response(),
            };
            Ok::<_, Infallible>(hyper::Response::from(resp))
        }
    });
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}
