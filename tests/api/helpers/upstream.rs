//! An upstream app over a real socket, and downtime in front of it as a reverse proxy: what
//! the proxy's tests and the edge tests stand on.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use downtime::config::Config;
use downtime::gate::Superusers;
use downtime::http::server::serve;
use downtime::state::{Change, Window};
use downtime::{Downtime, DowntimeBuilder};
use futures_util::{SinkExt as _, StreamExt as _};
use poem::web::websocket::{Message as WsMessage, WebSocket};
use poem::web::{Data, Json, Path};
use poem::{
    Body, EndpointExt, IntoResponse, Request, Response, Route, get, handler, http::StatusCode, post,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use super::db::TestDb;

/// What the upstream saw and what the test can make it do.
#[derive(Clone, Default)]
pub struct Upstream {
    /// Requests that reached `/count`.
    pub counted: Arc<AtomicUsize>,
    /// The events `/sse` sends, as the test releases them.
    pub events: Arc<Mutex<Option<mpsc::Receiver<String>>>>,
    /// While set, every echo (and so `HEAD /`, the health check) answers 503.
    pub down: Arc<AtomicBool>,
}

/// The upstream app's routes.
mod app {
    use super::*;

    #[handler]
    pub async fn echo(req: &Request, body: Body, upstream: Data<&Upstream>) -> Response {
        if upstream.down.load(Ordering::SeqCst) {
            return Response::builder()
                .status(StatusCode::SERVICE_UNAVAILABLE)
                .body("down");
        }
        let body = body.into_vec().await.unwrap_or_default();
        let headers: Vec<(String, String)> = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        Json(json!({
            "method": req.method().as_str(),
            "path": req.original_uri().path(),
            "query": req.original_uri().query(),
            "headers": headers,
            "body": String::from_utf8_lossy(&body),
            "peer": req.remote_addr().to_string(),
        }))
        .with_header("x-upstream", "echo")
        .into_response()
    }

    /// Reads the body as it comes and answers how many bytes there were.
    #[handler]
    pub async fn count(body: Body, upstream: Data<&Upstream>) -> String {
        upstream.counted.fetch_add(1, Ordering::SeqCst);
        let mut stream = std::pin::pin!(body.into_bytes_stream());
        let mut total = 0usize;
        while let Some(Ok(chunk)) = stream.next().await {
            total += chunk.len();
        }
        total.to_string()
    }

    /// `n` bytes of `x`, made and sent 64 KiB at a time.
    #[handler]
    pub fn download(Path(n): Path<usize>) -> Body {
        const CHUNK: usize = 64 * 1024;
        let chunks = n.div_ceil(CHUNK);
        Body::from_bytes_stream(futures_util::stream::iter((0..chunks).map(move |i| {
            let len = CHUNK.min(n - i * CHUNK);
            Ok::<_, io::Error>(Bytes::from(vec![b'x'; len]))
        })))
    }

    #[handler]
    pub fn cookies() -> Response {
        Response::builder()
            .header("set-cookie", "sessionid=abc; Path=/; HttpOnly")
            .header("set-cookie", "csrftoken=def; Path=/")
            .body("two cookies")
    }

    #[handler]
    pub fn redirect(Path(kind): Path<String>) -> Response {
        let location = if kind == "absolute" {
            "http://elsewhere.example/landing?from=app"
        } else {
            "/next?step=2"
        };
        Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header("location", location)
            .finish()
    }

    #[handler]
    pub fn status(Path(code): Path<u16>) -> Response {
        Response::builder()
            .status(StatusCode::from_u16(code).unwrap_or(StatusCode::IM_A_TEAPOT))
            .body(format!("the app says {code}"))
    }

    /// A body already compressed, which must arrive byte for byte.
    #[handler]
    pub fn gzip() -> Response {
        Response::builder()
            .header("content-encoding", "gzip")
            .content_type("text/plain")
            .body(&[0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad][..])
    }

    /// Server-sent events, each sent when the test releases it.
    #[handler]
    pub async fn sse(upstream: Data<&Upstream>) -> Response {
        let Some(rx) = upstream.events.lock().await.take() else {
            return StatusCode::GONE.into_response();
        };
        let events = futures_util::stream::unfold(rx, |mut rx| async move {
            let event = rx.recv().await?;
            Some((
                Ok::<_, io::Error>(Bytes::from(format!("data: {event}\n\n"))),
                rx,
            ))
        });
        Response::builder()
            .content_type("text/event-stream")
            .body(Body::from_bytes_stream(events))
    }

    /// A WebSocket that echoes text messages back.
    #[handler]
    pub fn ws(ws: WebSocket) -> impl IntoResponse {
        ws.on_upgrade(|mut socket| async move {
            while let Some(Ok(message)) = socket.next().await {
                if let WsMessage::Text(text) = message
                    && socket
                        .send(WsMessage::Text(format!("echo: {text}")))
                        .await
                        .is_err()
                {
                    break;
                }
            }
        })
    }

    /// Never answers.
    #[handler]
    pub async fn slow() -> &'static str {
        std::future::pending::<()>().await;
        "never"
    }
}

/// A server on a free port; stopped when the handle is dropped.
pub struct Running {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Running {
    /// Serves `app` the way `downtime serve` does.
    pub async fn start<E: poem::Endpoint + 'static>(app: E) -> Running {
        Running::start_at("127.0.0.1:0", app).await
    }

    /// Serves `app` on `bind` (`[::1]:0` to be reached over IPv6).
    pub async fn start_at<E: poem::Endpoint + 'static>(bind: &str, app: E) -> Running {
        let listener = tokio::net::TcpListener::bind(bind).await.expect("bind");
        let addr = listener.local_addr().expect("socket address");
        let task = tokio::spawn(async move {
            let _ = serve(listener, app, std::future::pending(), Duration::ZERO).await;
        });
        Running { addr, task }
    }

    /// `http://` and the address.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Serves the upstream app's routes, sharing `upstream` with the test.
pub async fn start_upstream(upstream: &Upstream) -> Running {
    let routes = Route::new()
        .at("/count", post(app::count))
        .at("/download/:n", get(app::download))
        .at("/cookies", get(app::cookies))
        .at("/redirect/:kind", get(app::redirect))
        .at("/status/:code", get(app::status).post(app::status))
        .at("/gzip", get(app::gzip))
        .at("/sse", get(app::sse))
        .at("/slow", get(app::slow))
        .at("/ws", get(app::ws))
        .at("/*path", app::echo)
        .at("/", app::echo)
        .data(upstream.clone());
    Running::start(routes).await
}

/// downtime in front of an upstream, over a real socket.
pub struct Proxy {
    pub downtime: Downtime,
    pub server: Running,
}

impl Proxy {
    /// downtime on `db` in front of `upstream`, with `tweak`'s changes to the settings;
    /// superusers are the ones auth knows.
    pub async fn start(db: &TestDb, upstream: &str, tweak: impl FnOnce(&mut Config)) -> Proxy {
        Proxy::start_with(db, upstream, tweak, |d| d.auth().clone()).await
    }

    /// Like [`Proxy::start`], listening on `bind` (`[::1]:0` to be reached over IPv6).
    pub async fn start_at(
        db: &TestDb,
        upstream: &str,
        bind: &str,
        tweak: impl FnOnce(&mut Config),
    ) -> Proxy {
        Proxy::start_at_with(db, upstream, bind, tweak, |d| d.auth().clone()).await
    }

    /// Like [`Proxy::start`], asking `superusers` who passes.
    pub async fn start_with<S: Superusers>(
        db: &TestDb,
        upstream: &str,
        tweak: impl FnOnce(&mut Config),
        superusers: impl FnOnce(&Downtime) -> S,
    ) -> Proxy {
        Proxy::start_at_with(db, upstream, "127.0.0.1:0", tweak, superusers).await
    }

    async fn start_at_with<S: Superusers>(
        db: &TestDb,
        upstream: &str,
        bind: &str,
        tweak: impl FnOnce(&mut Config),
        superusers: impl FnOnce(&Downtime) -> S,
    ) -> Proxy {
        let mut config = Config {
            database_url: db.url.clone(),
            ..Config::default()
        };
        config.auth.base_url = Some("http://localhost".into());
        config.proxy.upstream = Some(upstream.parse().expect("upstream URL"));
        tweak(&mut config);
        let downtime = DowntimeBuilder::from_config(config)
            .build()
            .await
            .expect("build downtime");
        let superusers = superusers(&downtime);
        let upstream = downtime.upstream().expect("an upstream").clone();
        let site = downtime
            .around_with(upstream, superusers)
            .with(crate::spec_check::SpecCheck);
        let server = Running::start_at(bind, site).await;
        Proxy { downtime, server }
    }

    /// The URL of `path` on the proxy.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// Switches maintenance on.
    pub async fn switch_on(&self) {
        self.apply(Window::on()).await;
    }

    /// Stores `window` in-process, as the API or the CLI would.
    pub async fn apply(&self, window: Window) {
        self.downtime
            .state()
            .apply(window, Change::by("test"))
            .await
            .expect("apply the window");
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.downtime.stop();
    }
}

/// Sends `request` as written on a fresh connection and reads the answer to the end.
pub async fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered in time")
        .expect("read answer");
    String::from_utf8_lossy(&answer).into_owned()
}

/// The JSON body of a raw answer.
pub fn raw_json(answer: &str) -> Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|_| panic!("JSON body in {answer:?}"))
}

/// The values of header `name` the upstream saw, from an echo.
pub fn seen<'a>(echo: &'a Value, name: &str) -> Vec<&'a str> {
    echo["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|pair| pair[0] == name)
        .filter_map(|pair| pair[1].as_str())
        .collect()
}
