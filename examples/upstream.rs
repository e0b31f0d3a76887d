//! The proxy benchmark's upstream app: the demo site as a bare Poem app (as `examples/bare.rs`),
//! plus `/bench/download/{bytes}`, which streams that many bytes, `/bench/upload`, which
//! reads a body as it comes and answers its length, and `/bench/hit`, whose arrival times
//! (milliseconds since the epoch) `/bench/hits` hands over, one a line, and forgets.
//! `UPSTREAM_BIND` chooses the address (default `127.0.0.1:3200`).

use bytes::Bytes;
use futures_util::StreamExt as _;
use poem::listener::TcpListener;
use poem::middleware::{CatchPanic, Tracing};
use poem::web::Path;
use poem::{Body, EndpointExt, Route, Server, get, handler, post};

/// `bytes` zero bytes, made and sent 64 KiB at a time, so the app holds no more than that.
#[handler]
fn download(Path(bytes): Path<u64>) -> Body {
    const CHUNK: u64 = 64 * 1024;
    let chunk = Bytes::from(vec![0u8; CHUNK as usize]);
    let chunks = futures_util::stream::iter((0..bytes.div_ceil(CHUNK)).map(move |i| {
        let len = CHUNK.min(bytes - i * CHUNK) as usize;
        Ok::<_, std::io::Error>(chunk.slice(..len))
    }));
    Body::from_bytes_stream(chunks)
}

/// When each `/bench/hit` arrived, for the hold benchmark's release rate.
static HITS: std::sync::Mutex<Vec<u128>> = std::sync::Mutex::new(Vec::new());

#[handler]
fn hit() -> &'static str {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    HITS.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(now);
    "hit"
}

#[handler]
fn hits() -> String {
    let hits = std::mem::take(
        &mut *HITS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    hits.iter().map(|at| format!("{at}\n")).collect()
}

/// Counts the body's bytes without keeping them.
#[handler]
async fn upload(body: Body) -> poem::Result<String> {
    let mut stream = std::pin::pin!(body.into_bytes_stream());
    let mut total = 0u64;
    while let Some(chunk) = stream.next().await {
        total += chunk.map_err(poem::error::BadRequest)?.len() as u64;
    }
    Ok(total.to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    downtime::telemetry::init(true, downtime::telemetry::LogFormat::default());
    let bind = std::env::var("UPSTREAM_BIND").unwrap_or_else(|_| "127.0.0.1:3200".into());
    let app = Route::new()
        .at("/bench/download/:bytes", get(download))
        .at("/bench/upload", post(upload))
        .at("/bench/hit", get(hit))
        .at("/bench/hits", get(hits))
        .nest("/", downtime::web::demo::site()?)
        .with(CatchPanic::new())
        .with(Tracing);
    println!("upstream listening on http://{bind}");
    Server::new(TcpListener::bind(bind))
        .run_with_graceful_shutdown(
            app,
            async {
                let _ = tokio::signal::ctrl_c().await;
            },
            Some(std::time::Duration::from_secs(5)),
        )
        .await?;
    Ok(())
}
