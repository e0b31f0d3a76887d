//! The in-memory snapshot every request reads, and the poll that keeps it in step with the database.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, Guard};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::{MaintenanceState, Store};

/// The current state, shared by every request: reading it takes no lock and does no I/O.
/// Other code can [`subscribe`](Live::subscribe) to its changes.
#[derive(Clone, Debug)]
pub struct Live {
    current: Arc<ArcSwap<MaintenanceState>>,
    changes: Arc<watch::Sender<Arc<MaintenanceState>>>,
}

impl Live {
    /// Starts from `state`.
    pub fn new(state: MaintenanceState) -> Self {
        let state = Arc::new(state);
        Live {
            current: Arc::new(ArcSwap::new(Arc::clone(&state))),
            changes: Arc::new(watch::channel(state).0),
        }
    }

    /// Every change of the state from now on, whoever made it (this process, the CLI, another
    /// replica): `changed().await`, then `borrow()` the new state. A slow subscriber sees the
    /// latest state, not every step.
    pub fn subscribe(&self) -> watch::Receiver<Arc<MaintenanceState>> {
        self.changes.subscribe()
    }

    /// The current snapshot.
    pub fn load(&self) -> Guard<Arc<MaintenanceState>> {
        self.current.load()
    }

    /// Makes `state` current unless a newer version is already live (a slow poll must not
    /// undo a write that overtook it). Returns whether it replaced the snapshot.
    pub fn publish(&self, state: MaintenanceState) -> bool {
        let new = Arc::new(state);
        let previous = self.current.rcu(|current| {
            if current.version < new.version {
                Arc::clone(&new)
            } else {
                Arc::clone(current)
            }
        });
        let replaced = previous.version < new.version;
        if replaced {
            self.changes.send_replace(Arc::clone(&new));
            tracing::info!(
                target: "downtime::state",
                version = new.version,
                enabled = new.enabled,
                mode = %new.mode,
                updated_by = %new.updated_by,
                "maintenance state changed"
            );
        }
        replaced
    }
}

/// Polls the stored version every `every` and reloads the state when it moved, so a change made
/// by the CLI or another replica reaches this process without a restart.
///
/// When the database goes away the last known state stays live; one warning is logged when
/// polling starts failing and one line when it recovers.
pub fn spawn_poller(store: Store, live: Live, every: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            ticks.tick().await;
            let result = match store.version().await {
                Ok(version) if version == live.load().version => Ok(()),
                Ok(_) => store.current().await.map(|state| {
                    live.publish(state);
                }),
                Err(e) => Err(e),
            };
            match result {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!(target: "downtime::state", "database reachable again");
                }
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(target: "downtime::state", %error, "cannot poll the state; serving the last known one");
                }
                _ => {}
            }
        }
    })
}
