//! A Poem app of its own (pages and a JSON route) with the whole of downtime in front of it:
//! the gate, the maintenance page, the control API with Swagger UI, login, health checks.
//!
//! It reads the same environment variables as `downtime serve` (`DATABASE_URL`,
//! `DOWNTIME_BIND`, `DOWNTIME_PREFIX`, the `DOWNTIME_OIDC_*` and `DOWNTIME_SUPERUSER_*` ones…),
//! so it can run beside the CLI on one database:
//!
//! ```sh
//! DOWNTIME_PREFIX=/_downtime cargo run --example embed
//! cargo run -- on --message "Back soon"    # from another terminal: the shop is gated
//! ```

use poem::listener::TcpListener;
use poem::web::{Html, Json};
use poem::{Route, Server, get, handler};
use serde_json::{Value, json};

#[handler]
fn shop() -> Html<&'static str> {
    Html(
        "<!doctype html><title>Shop</title><h1>The shop</h1><p><a href=\"/products\">Products</a></p>",
    )
}

#[handler]
fn products() -> Json<Value> {
    Json(json!([{ "id": 1, "name": "Teapot" }, { "id": 2, "name": "Kettle" }]))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    downtime::telemetry::init(true, downtime::telemetry::LogFormat::default());
    let config = downtime::Config::from_env().map_err(anyhow::Error::msg)?;
    let bind = config.bind;
    let downtime = downtime::DowntimeBuilder::from_config(config)
        .build()
        .await?;
    let app = Route::new()
        .at("/", get(shop))
        .at("/products", get(products));
    println!(
        "shop listening on http://{bind} (downtime's routes under \"{}\")",
        downtime.prefix()
    );
    Server::new(TcpListener::bind(bind))
        .run(downtime.around(app))
        .await?;
    downtime.stop();
    Ok(())
}
