//! The app in this process, over Poem's test client: no socket, one request at a time.

use downtime::config::Config;
use downtime::gate::Superusers;
use downtime::state::{Change, MaintenanceState, StateService, Window};
use downtime::web::demo;
use downtime::{Downtime, DowntimeBuilder};
use poem::endpoint::BoxEndpoint;
use poem::test::{TestClient, TestResponse};
use poem::{EndpointExt, Response};

use super::db::TestDb;

/// The app over a test client, and the service behind it.
pub struct TestApp {
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    pub service: StateService,
}

/// The demo site behind downtime, as `downtime serve` builds it (the demo under the body limit,
/// downtime around it, the superusers the ones auth knows), over the test client.
pub async fn spawn_app(db: &TestDb) -> TestApp {
    spawn(db, Config::default(), |downtime| downtime.auth().clone()).await
}

/// The app with other settings and another answer to "is this a superuser?".
pub async fn spawn_app_with<S: Superusers>(db: &TestDb, config: Config, superusers: S) -> TestApp {
    spawn(db, config, |_| superusers).await
}

async fn spawn<S: Superusers>(
    db: &TestDb,
    mut config: Config,
    pick: impl FnOnce(&Downtime) -> S,
) -> TestApp {
    config.database_url = db.url.clone();
    config.auth.base_url = Some("http://localhost".into());
    let downtime = DowntimeBuilder::from_config(config)
        .build()
        .await
        .expect("build downtime");
    let superusers = pick(&downtime);
    // What `serve` serves; `Application::build` puts `around` on it, which is `around_with`
    // asking auth.
    let site = demo::served().expect("demo site");
    let app = downtime
        .around_with(site, superusers)
        .with(crate::spec_check::SpecCheck)
        .boxed();
    TestApp {
        client: TestClient::new(app),
        service: downtime.state().clone(),
    }
}

impl TestApp {
    /// Switches maintenance on with `settings` (enabled forced on).
    pub async fn switch_on(&self, settings: Window) -> MaintenanceState {
        let settings = Window {
            enabled: true,
            ..settings
        };
        self.service
            .apply(settings, Change::by("test"))
            .await
            .expect("switch on")
    }

    /// Switches maintenance on, with no window or message.
    pub async fn on(&self) -> MaintenanceState {
        self.switch_on(Window::off()).await
    }

    /// GET `path` as a browser would ask.
    pub async fn browse(&self, path: &str) -> TestResponse {
        self.client
            .get(path)
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
    }

    /// `GET /healthz`.
    pub async fn healthz(&self) -> TestResponse {
        self.client.get("/healthz").send().await
    }

    /// `GET /readyz`.
    pub async fn readyz(&self) -> TestResponse {
        self.client.get("/readyz").send().await
    }

    /// `GET /api/status`: the public status.
    pub async fn status(&self) -> TestResponse {
        self.client.get("/api/status").send().await
    }

    /// `GET /maintenance/feed.atom`.
    pub async fn feed(&self) -> TestResponse {
        self.client.get("/maintenance/feed.atom").send().await
    }
}

/// The response body as text.
pub async fn text(resp: TestResponse) -> String {
    resp.0.into_body().into_string().await.expect("body")
}

/// The response body as JSON.
pub async fn json(resp: TestResponse) -> serde_json::Value {
    serde_json::from_str(&text(resp).await).expect("JSON body")
}

/// The value of header `name`, when present and visible ASCII.
pub fn header<'a>(resp: &'a TestResponse, name: &str) -> Option<&'a str> {
    resp.0.headers().get(name).and_then(|v| v.to_str().ok())
}
