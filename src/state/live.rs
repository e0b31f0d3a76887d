//! The in-memory snapshot every request reads.

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};
use tokio::sync::watch;

use super::MaintenanceState;

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
                enabled = new.window.enabled,
                mode = %new.window.mode,
                updated_by = %new.updated_by,
                "maintenance state changed"
            );
        }
        replaced
    }
}
