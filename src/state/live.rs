//! The in-memory snapshot every request reads, and the clock that moves its phase.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, Guard};
use chrono::{DateTime, SecondsFormat, Utc};
use tokio::sync::watch;

use super::timeline::{CLOCK, Event};
use super::{MaintenanceState, Phase};

/// The state, and where its window stands: the phase moves by itself when a scheduled window
/// starts or ends (see [`Live::keep_time`]), so the gate reads it instead of the clock.
/// Dereferences to the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    state: MaintenanceState,
    phase: Phase,
}

impl Snapshot {
    fn at(state: MaintenanceState, now: DateTime<Utc>) -> Self {
        let phase = state.phase(now);
        Snapshot { state, phase }
    }

    /// Where the window stands now.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether visitors are gated now.
    pub fn is_active(&self) -> bool {
        self.phase == Phase::Active
    }

    /// Whether requests the gate would refuse wait instead: a hold window is active.
    pub fn holds_requests(&self) -> bool {
        self.is_active() && self.state.window.mode == super::Mode::Hold
    }

    /// When the phase moves next by itself: a scheduled window's start, an active one's end.
    pub fn next_change(&self) -> Option<DateTime<Utc>> {
        match self.phase {
            Phase::Scheduled => self.state.window.starts_at,
            Phase::Active => self.state.window.ends_at,
            Phase::Off | Phase::Ended => None,
        }
    }
}

impl Deref for Snapshot {
    type Target = MaintenanceState;

    fn deref(&self) -> &MaintenanceState {
        &self.state
    }
}

/// The current state, shared by every request: reading it takes no lock and does no I/O.
/// Other code can [`subscribe`](Live::subscribe) to its changes.
#[derive(Clone, Debug)]
pub struct Live {
    current: Arc<ArcSwap<Snapshot>>,
    changes: Arc<watch::Sender<Arc<Snapshot>>>,
}

/// The longest the clock sleeps without looking again (the wall clock may be set meanwhile).
const MAX_SLEEP: Duration = Duration::from_secs(60);

impl Live {
    /// Starts from `state`.
    pub fn new(state: MaintenanceState) -> Self {
        let snapshot = Arc::new(Snapshot::at(state, Utc::now()));
        Live {
            current: Arc::new(ArcSwap::new(Arc::clone(&snapshot))),
            changes: Arc::new(watch::channel(snapshot).0),
        }
    }

    /// Every change from now on: of the state, whoever made it (this process, the CLI, another
    /// replica), and of its phase when a window starts or ends by itself. `changed().await`,
    /// then `borrow()` the new snapshot. A slow subscriber sees the latest, not every step.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.changes.subscribe()
    }

    /// The current snapshot.
    pub fn load(&self) -> Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// Moves the phase on when the window's start or end has come; returns whether it did.
    /// [`Live::keep_time`] calls it on time; calling it early changes nothing.
    pub fn tick(&self, now: DateTime<Utc>) -> bool {
        let previous = self.current.rcu(|current| {
            if current.state.phase(now) == current.phase {
                Arc::clone(current)
            } else {
                Arc::new(Snapshot::at(current.state.clone(), now))
            }
        });
        let current = self.current.load_full();
        let moved = !Arc::ptr_eq(&previous, &current);
        if moved {
            self.changes.send_replace(Arc::clone(&current));
            log_start_or_end(&previous, &current);
        }
        moved
    }

    /// Runs the clock: sleeps until the current window's next start or end, then moves the
    /// phase and tells subscribers; a new state resets it. Runs until dropped.
    pub async fn keep_time(&self) {
        let mut changes = self.subscribe();
        loop {
            let wait = self
                .load()
                .next_change()
                .and_then(|at| (at - Utc::now()).to_std().ok())
                .map_or(MAX_SLEEP, |until| until.min(MAX_SLEEP));
            tokio::select! {
                () = tokio::time::sleep(wait) => {
                    self.tick(Utc::now());
                }
                changed = changes.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Makes `state` current unless a newer version is already live (a slow poll must not
    /// undo a write that overtook it). Returns whether it replaced the snapshot.
    pub fn publish(&self, state: MaintenanceState) -> bool {
        let new = Arc::new(Snapshot::at(state, Utc::now()));
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
            log_start_or_end(&previous, &new);
        }
        replaced
    }
}

/// Logs the start or the end of gating, if `current` brings one after `previous`: one event an
/// alert can key on (`event`), with when it happened and who did it (`clock` when its time
/// came), the same on every replica that sees it.
fn log_start_or_end(previous: &Snapshot, current: &Snapshot) {
    if previous.is_active() == current.is_active() {
        return;
    }
    let state = &current.state;
    let (at, by) = if state.phase(state.updated_at) == current.phase {
        (state.updated_at, state.updated_by.as_str())
    } else {
        let time = if current.is_active() {
            state.window.starts_at
        } else {
            state.window.ends_at
        };
        (time.unwrap_or(state.updated_at), CLOCK)
    };
    if current.is_active() {
        tracing::info!(
            target: "downtime::state",
            event = Event::MaintenanceStarted.name(),
            at = %at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            by,
            version = state.version,
            mode = %state.window.mode,
            ends_at = state
                .window
                .ends_at
                .map(|end| end.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            "maintenance started"
        );
    } else {
        tracing::info!(
            target: "downtime::state",
            event = Event::MaintenanceEnded.name(),
            at = %at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            by,
            version = state.version,
            "maintenance ended"
        );
    }
}
