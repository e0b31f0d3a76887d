//! The stored state: versions, the audit log, concurrency, `MAINTENANCE_MODE`, and following changes.

use std::time::Duration;

use downtime::DowntimeBuilder;
use downtime::config::{Config, Toggle};
use downtime::state::{Change, Invalid, Live, Mode, Phase, StateService, Window, WriteError};

use crate::helpers::{databases, eventually};

#[tokio::test]
async fn a_change_stores_the_state_and_one_audit_row() {
    for db in databases().await {
        let store = StateService::open(&db.url).await.expect("store");
        let initial = store.current().await.expect("state");
        assert_eq!(initial.version, 1);
        assert!(!initial.window.enabled);
        assert!(store.history(10, None).await.expect("history").is_empty());

        let settings = Window {
            enabled: true,
            mode: Mode::ReadOnly,
            message: Some("Upgrading".into()),
            ..Window::off()
        };
        let change = Change::by("cli:ada").because(Some("migration 42".into()));
        let after = store.apply(settings.clone(), change).await.expect("apply");

        assert_eq!(after.version, 2);
        assert_eq!(after.updated_by, "cli:ada");
        assert_eq!(store.current().await.expect("state"), after, "{}", db.kind);
        let history = store.history(10, None).await.expect("history");
        assert_eq!(history.len(), 1);
        let row = &history[0];
        assert_eq!(row.version, 2);
        assert_eq!(row.actor, "cli:ada");
        assert_eq!(row.reason.as_deref(), Some("migration 42"));
        assert!(!row.before.window.enabled);
        assert_eq!(row.before.version, 1);
        assert_eq!(row.after.window, settings);
        assert_eq!(row.after, after);
        assert_eq!(row.at, after.updated_at);
    }
}

#[tokio::test]
async fn a_stale_version_or_invalid_settings_write_nothing() {
    for db in databases().await {
        let store = StateService::open(&db.url).await.expect("store");
        let stale = Change::by("test").if_version(Some(7));
        let err = store.apply(Window::off(), stale).await.expect_err("stale");
        assert!(
            matches!(err, WriteError::Conflict { current: 1 }),
            "{err:?}"
        );

        let long = Window {
            message: Some("x".repeat(2001)),
            ..Window::off()
        };
        let err = store
            .apply(long, Change::by("test"))
            .await
            .expect_err("too long");
        assert!(
            matches!(&err, WriteError::Invalid(invalid) if invalid.0 == [Invalid::MessageTooLong(2001)]),
            "{err:?}"
        );

        assert_eq!(
            store.current().await.expect("state").version,
            1,
            "{}",
            db.kind
        );
        assert!(store.history(10, None).await.expect("history").is_empty());
    }
}

#[tokio::test]
async fn concurrent_writers_from_two_connections_lose_no_update() {
    for db in databases().await {
        let a = StateService::open(&db.url).await.expect("store a");
        let b = StateService::open(&db.url).await.expect("store b");
        let writes = (0..10).map(|i| {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let settings = Window {
                    enabled: i % 3 == 0,
                    ..Window::off()
                };
                store
                    .apply(settings, Change::by(format!("writer{i}")))
                    .await
            })
        });
        for write in writes.collect::<Vec<_>>() {
            write.await.expect("join").expect("apply");
        }
        assert_eq!(a.current().await.expect("state").version, 11, "{}", db.kind);
        let history = a.history(100, None).await.expect("history");
        let mut versions: Vec<i64> = history.iter().map(|e| e.version).collect();
        versions.sort_unstable();
        assert_eq!(versions, (2..=11).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn maintenance_mode_at_start_is_applied_and_audited_once() {
    for db in databases().await {
        let start = |toggle: Option<Toggle>| {
            DowntimeBuilder::from_config(Config {
                database_url: db.url.clone(),
                maintenance_mode: toggle,
                ..Config::default()
            })
            .build()
        };
        let downtime = start(Some(Toggle::On)).await.expect("on");
        assert!(
            downtime.state().live().load().window.enabled,
            "the live state follows at once"
        );
        downtime.stop();
        let store = StateService::open(&db.url).await.expect("store");
        let state = store.current().await.expect("state");
        assert!(state.window.enabled);
        assert_eq!(state.updated_by, "environment");
        let history = store.history(10, None).await.expect("history");
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].actor, "environment");
        assert_eq!(history[0].reason.as_deref(), Some("MAINTENANCE_MODE=on"));

        // A restart with the same setting changes nothing; unset changes nothing either.
        start(Some(Toggle::On)).await.expect("on again").stop();
        start(None).await.expect("unset").stop();
        assert_eq!(
            store.history(10, None).await.expect("history").len(),
            1,
            "{}",
            db.kind
        );

        start(Some(Toggle::Off)).await.expect("off").stop();
        assert!(!store.current().await.expect("state").window.enabled);
        let history = store.history(10, None).await.expect("history");
        assert_eq!(history[0].reason.as_deref(), Some("MAINTENANCE_MODE=off"));
    }
}

#[tokio::test]
async fn the_live_state_follows_a_change_made_elsewhere_within_a_second() {
    for db in databases().await {
        let server = StateService::open(&db.url).await.expect("store");
        let live = server.live().clone();
        let mut changes = live.subscribe();
        let poller = server.follow(Duration::from_millis(100));

        let other_process = StateService::open(&db.url).await.expect("second store");
        other_process
            .apply(
                Window {
                    enabled: true,
                    ..Window::off()
                },
                Change::by("elsewhere"),
            )
            .await
            .expect("apply");

        let seen = eventually(Duration::from_secs(1), || async {
            live.load().window.enabled
        })
        .await;
        assert!(seen, "{}: the change did not arrive within 1 s", db.kind);
        assert_eq!(live.load().updated_by, "elsewhere");
        // Subscribers hear of it too.
        tokio::time::timeout(Duration::from_secs(1), changes.changed())
            .await
            .expect("notified in time")
            .expect("sender alive");
        assert_eq!(changes.borrow().updated_by, "elsewhere");
        poller.abort();
    }
}

#[tokio::test]
async fn a_slow_poll_never_undoes_a_newer_state() {
    let db = crate::helpers::sqlite();
    let store = StateService::open(&db.url).await.expect("store");
    let old = store.current().await.expect("state");
    let new = store
        .apply(
            Window {
                enabled: true,
                ..Window::off()
            },
            Change::by("test"),
        )
        .await
        .expect("apply");
    let live = Live::new(new.clone());
    assert!(!live.publish(old));
    assert_eq!(live.load().version, new.version);
}

#[tokio::test]
async fn a_scheduled_window_starts_and_ends_on_time_with_no_write() {
    for db in databases().await {
        let service = StateService::open(&db.url).await.expect("store");
        let live = service.live().clone();
        let mut changes = live.subscribe();
        // A poll of a minute: only the clock can move the phase within the test.
        let follower = service.follow(Duration::from_secs(60));
        let now = chrono::Utc::now();
        let (starts, ends) = (
            now + chrono::TimeDelta::milliseconds(400),
            now + chrono::TimeDelta::milliseconds(900),
        );
        service
            .apply(
                Window {
                    enabled: true,
                    starts_at: Some(starts),
                    ends_at: Some(ends),
                    ..Window::off()
                },
                Change::by("test"),
            )
            .await
            .expect("schedule");
        let version = live.load().version;
        assert_eq!(live.load().phase(), Phase::Scheduled, "{}", db.kind);
        for (expected, at) in [(Phase::Active, starts), (Phase::Ended, ends)] {
            let told = tokio::time::timeout(Duration::from_secs(3), async {
                loop {
                    changes.changed().await.expect("changes");
                    if changes.borrow_and_update().phase() == expected {
                        return chrono::Utc::now();
                    }
                }
            })
            .await
            .unwrap_or_else(|_| panic!("{}: never {expected:?}", db.kind));
            assert!(told >= at, "{}: {expected:?} before its time", db.kind);
            // On time: within a tick of the clock, not at some later poll or request.
            let late = (told - at).num_milliseconds();
            assert!(late < 250, "{}: {expected:?} {late} ms late", db.kind);
            assert_eq!(live.load().version, version, "no write moved it");
        }
        follower.abort();
    }
}
