//! downtime's route table: every declared route answers where it is declared (not the app),
//! and is open or gated during maintenance as declared, at the root and under a prefix.

use downtime::app::{Answer, ROUTES};
use downtime::config::Config;
use poem::endpoint::make_sync;
use poem::{Response, Route};
use reqwest::StatusCode;

use crate::helpers::{LiveServer, dev_config, sqlite, start_site};

/// The team's app: it answers every path, and says so in a header.
fn app() -> Route {
    Route::new().nest(
        "/",
        make_sync(|_| Response::builder().header("x-app", "yes").body("the app")),
    )
}

async fn get(server: &LiveServer, path: &str) -> reqwest::Response {
    server
        .http
        .get(server.url(path))
        .header("accept", "application/json")
        .send()
        .await
        .expect("GET")
}

/// Whether the gate answered `resp` with maintenance rather than letting it through.
fn gated(resp: &reqwest::Response) -> bool {
    resp.status() == StatusCode::SERVICE_UNAVAILABLE
        && resp.headers().get("retry-after").is_some()
        && resp.headers().get("x-app").is_none()
}

#[tokio::test]
async fn every_route_in_the_table_answers_and_is_open_as_declared() {
    for prefix in ["", "/_downtime"] {
        let db = sqlite();
        let config = Config {
            prefix: prefix.into(),
            ..dev_config()
        };
        let server = start_site(&db, config, app()).await;
        server.maintenance_on().await;

        for route in ROUTES {
            let path = format!("{prefix}{}", route.path);
            // Below the path too, where the route answers more than itself.
            let below = format!("{path}/below");
            let probes: &[&str] = match route.answer {
                Answer::Nest(_) => &[&path, &below],
                Answer::At(_) | Answer::Api => &[&path],
            };
            for probe in probes {
                let resp = get(&server, probe).await;
                assert!(
                    resp.headers().get("x-app").is_none(),
                    "{probe}: {route:?} is answered by the app ({})",
                    resp.status()
                );
                assert_eq!(
                    gated(&resp),
                    !route.open,
                    "{probe}: {route:?} ({})",
                    resp.status()
                );
            }
        }
        // What the table does not declare is the app's, and gated.
        for path in ["/", "/shop", &format!("{prefix}/undeclared"), "/api/orders"] {
            let resp = get(&server, path).await;
            assert!(gated(&resp), "{path}: {}", resp.status());
        }
        server.maintenance_off().await;
        let resp = get(&server, &format!("{prefix}/undeclared")).await;
        assert_eq!(
            resp.headers()["x-app"],
            "yes",
            "{prefix}: the app keeps the rest"
        );
        assert_eq!(resp.status(), StatusCode::OK);
    }
}
