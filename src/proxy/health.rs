//! Automatic maintenance (`--auto-maintenance-after 30s`): when the upstream app has failed for
//! that long, maintenance switches on by itself, and off again once the app answers, unless
//! someone else has taken charge of it in between.

use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

use super::Upstream;
use crate::state::{Change, MaintenanceState, StateService, WindowInput};

/// The actor of the changes made here, in the audit log.
pub const ACTOR: &str = "upstream-health";

/// What the latest checks of the upstream found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Health {
    /// Whether the latest check got an answer (any status but 502, 503 or 504).
    pub answering: bool,
    /// How many checks have run.
    pub checks: u64,
}

/// How often the upstream is checked for a given `after`: often enough to act within about a
/// fifth of it, never more than 5 times a second nor less than every 5 seconds.
pub fn check_interval(after: Duration) -> Duration {
    (after / 5).clamp(Duration::from_millis(200), Duration::from_secs(5))
}

/// Checks `upstream` until aborted, switching maintenance on through `service` once it has
/// failed for `after`, and off when it answers again if this was the last to switch it.
pub fn watch(upstream: Upstream, service: StateService, after: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(check_interval(after));
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut failing_since: Option<Instant> = None;
        // One switch on per outage: an operator who switches it off during the outage means it.
        let mut acted = false;
        let mut checks = 0u64;
        loop {
            ticks.tick().await;
            let answering = upstream.check().await;
            if answering {
                failing_since = None;
                acted = false;
                switch_off_if_ours(&service).await;
            } else {
                let since = *failing_since.get_or_insert_with(Instant::now);
                if !acted && since.elapsed() >= after {
                    acted = true;
                    switch_on(&service, after).await;
                }
            }
            checks += 1;
            upstream
                .inner
                .health
                .send_replace(Health { answering, checks });
        }
    })
}

async fn switch_on(service: &StateService, after: Duration) {
    let current = MaintenanceState::clone(&service.live().load());
    if current.is_active(Utc::now()) {
        return;
    }
    let reason = format!(
        "the upstream has not answered for {}",
        humantime::format_duration(after)
    );
    match service
        .switch_on(
            WindowInput::default(),
            Change::by(ACTOR).because(Some(reason)),
        )
        .await
    {
        Ok(_) => tracing::warn!(
            target: "downtime::proxy",
            after = %humantime::format_duration(after),
            "the upstream is down: maintenance switched on"
        ),
        Err(error) => {
            tracing::error!(target: "downtime::proxy", %error, "cannot switch maintenance on");
        }
    }
}

async fn switch_off_if_ours(service: &StateService) {
    let current = MaintenanceState::clone(&service.live().load());
    if !current.window.enabled || current.updated_by != ACTOR {
        return;
    }
    let change = Change::by(ACTOR).because(Some("the upstream answers again".into()));
    match service.switch_off(change).await {
        Ok(_) => tracing::info!(
            target: "downtime::proxy",
            "the upstream answers again: maintenance switched off"
        ),
        Err(error) => {
            tracing::error!(target: "downtime::proxy", %error, "cannot switch maintenance off");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_come_often_enough_but_not_too_often() {
        assert_eq!(
            check_interval(Duration::from_secs(30)),
            Duration::from_secs(5)
        );
        assert_eq!(
            check_interval(Duration::from_secs(10)),
            Duration::from_secs(2)
        );
        assert_eq!(
            check_interval(Duration::from_millis(300)),
            Duration::from_millis(200)
        );
    }
}
