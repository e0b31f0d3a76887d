//! One meaning of on and off: every entry point (the library, the API, the admin page, the
//! CLI's `on`/`off` and `run`, `MAINTENANCE_MODE`, automatic maintenance) drives the same
//! scenario and must leave the same windows and audit entries.

use std::sync::atomic::Ordering;
use std::time::Duration;

use downtime::DowntimeBuilder;
use downtime::config::{Config, Toggle};
use downtime::dev_idp;
use downtime::state::{Change, Mode, StateService, Window, WindowInput};
use reqwest::StatusCode;

use crate::helpers::admin::{ADMIN, submit};
use crate::helpers::{
    Api, Browser, LiveServer, Proxy, Running, TestDb, Upstream, databases, dev_config, downtime,
    eventually, login, start, start_upstream,
};

#[derive(Clone, Copy, Debug)]
enum Entry {
    Library,
    Api,
    Admin,
    Cli,
    Run,
    Environment,
    Automatic,
}

/// The window prepared while maintenance is off: a message, a mode and a scope set ahead, and
/// the standing settings.
fn prepared() -> Window {
    Window {
        mode: Mode::ReadOnly,
        message: Some("Upgrading the database".into()),
        scope: vec!["/shop".into()],
        ..standing()
    }
}

/// What off leaves: only the standing settings.
fn standing() -> Window {
    Window {
        retry_after_secs: 120,
        allowed_ips: vec!["203.0.113.0/24".parse().expect("cidr")],
        open_paths: vec!["/status".into()],
        status_code: 502,
        ..Window::off()
    }
}

/// The surface an entry point needs, kept alive while it drives on and off.
enum Surface {
    None,
    Api(Api),
    Admin(LiveServer, Browser),
    Proxy {
        proxy: Proxy,
        app: Upstream,
        _upstream: Running,
    },
}

async fn open(entry: Entry, db: &TestDb) -> (Surface, StateService) {
    match entry {
        Entry::Api => {
            let api = Api::start(db).await;
            let service = api.server.service.clone();
            (Surface::Api(api), service)
        }
        Entry::Admin => {
            let server = start(db, dev_config()).await;
            let mut browser = Browser::new();
            login(&server, &mut browser, dev_idp::ADMIN.subject, ADMIN).await;
            let service = server.service.clone();
            (Surface::Admin(server, browser), service)
        }
        Entry::Automatic => {
            let app = Upstream::default();
            let upstream = start_upstream(&app).await;
            let proxy = Proxy::start(db, &upstream.url(), |config| {
                config.proxy.auto_maintenance_after = Some(Duration::from_millis(200));
            })
            .await;
            let service = proxy.downtime.state().clone();
            (
                Surface::Proxy {
                    proxy,
                    app,
                    _upstream: upstream,
                },
                service,
            )
        }
        _ => (
            Surface::None,
            StateService::open(&db.url).await.expect("open"),
        ),
    }
}

/// Switches maintenance on (`on`) or off through `entry`, and waits until it is stored.
async fn switch(
    entry: Entry,
    surface: &mut Surface,
    db: &TestDb,
    service: &StateService,
    on: bool,
) {
    match (entry, &mut *surface) {
        (Entry::Library, _) => {
            let change = Change::by("library");
            if on {
                service.switch_on(WindowInput::default(), change).await
            } else {
                service.switch_off(change).await
            }
            .expect("switched");
        }
        (Entry::Api, Surface::Api(api)) => {
            let resp = api.patch(&format!(r#"{{"enabled": {on}}}"#), None).await;
            assert_eq!(resp.status(), StatusCode::OK);
        }
        (Entry::Admin, Surface::Admin(server, browser)) => {
            let action = if on { "on" } else { "off" };
            let resp = submit(server, browser, "/state", &[("action", action)]).await;
            assert_eq!(resp.status(), StatusCode::SEE_OTHER);
        }
        (Entry::Cli, _) => {
            let out = downtime(&db.url, &[if on { "on" } else { "off" }]).await;
            assert!(out.status.success(), "{out:?}");
        }
        (Entry::Run, _) if on => {
            // One run is both halves: on for an hour, the command, then off.
            let out = downtime(&db.url, &["run", "--for", "1h", "--", "true"]).await;
            assert!(out.status.success(), "{out:?}");
        }
        (Entry::Run, _) => {}
        (Entry::Environment, _) => {
            let mut config = Config {
                database_url: db.url.clone(),
                maintenance_mode: Some(if on { Toggle::On } else { Toggle::Off }),
                ..Config::default()
            };
            config.auth.base_url = Some("http://localhost".into());
            let built = DowntimeBuilder::from_config(config)
                .build()
                .await
                .expect("build");
            built.stop();
        }
        (Entry::Automatic, Surface::Proxy { proxy, app, .. }) => {
            app.down.store(on, Ordering::SeqCst);
            let state = proxy.downtime.state().clone();
            let reached = eventually(Duration::from_secs(10), || async {
                state.current().await.expect("state").window.enabled == on
            })
            .await;
            assert!(reached, "automatic maintenance switched {on}");
        }
        _ => unreachable!("the surface matches the entry"),
    }
}

#[tokio::test]
async fn every_entry_point_means_the_same_by_on_and_off() {
    let entries = [
        (Entry::Library, "library"),
        (Entry::Api, "client:"),
        (Entry::Admin, dev_idp::ADMIN.email),
        (Entry::Cli, "cli:ada"),
        (Entry::Run, "cli:ada"),
        (Entry::Environment, "environment"),
        (Entry::Automatic, "upstream-health"),
    ];
    for db in databases().await {
        for (entry, actor) in entries {
            let case = format!("{entry:?} on {}", db.kind);
            let (mut surface, service) = open(entry, &db).await;
            let seeded = service
                .apply(prepared(), Change::by("seed"))
                .await
                .expect("seed");

            switch(entry, &mut surface, &db, &service, true).await;
            switch(entry, &mut surface, &db, &service, false).await;

            let stored = service.current().await.expect("state");
            assert_eq!(
                stored.window,
                standing(),
                "{case}: off keeps the standing settings"
            );
            let history = service.history(3, None).await.expect("history");
            let [off, on, seed] = &history[..] else {
                panic!("{case}: {history:?}");
            };
            assert_eq!(seed.after, seeded, "{case}");
            for entry in [on, off] {
                assert!(entry.actor.starts_with(actor), "{case}: {}", entry.actor);
            }
            assert_eq!(on.before, seeded, "{case}");
            let mut started = on.after.window.clone();
            if matches!(entry, Entry::Run) {
                assert!(started.ends_at.is_some(), "{case}: run sets an end");
                started.ends_at = None;
            }
            assert_eq!(
                started,
                Window {
                    enabled: true,
                    ..prepared()
                },
                "{case}: on starts the prepared window now"
            );
            assert_eq!(off.before, on.after, "{case}");
            assert_eq!(off.after, stored, "{case}");
            drop(surface);
        }
    }
}
