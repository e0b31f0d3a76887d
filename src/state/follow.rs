//! Keeping a copy in memory of a shared table in step with the database: the state, the
//! superusers, the bypass links and the ended sessions are each read again whenever another
//! process may have changed them, by one [`Follower`], so they all wake, poll and report an
//! outage the same way.

use std::fmt::Display;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// When a follower of the shared tables looks again: as soon as it is told the database moved
/// ([`super::StateService::database_changes`]), and every `every` as a safety net.
pub struct Wakeups {
    ticks: tokio::time::Interval,
    changes: watch::Receiver<()>,
}

impl Wakeups {
    /// Polling every `every`, and woken by `changes`. The first poll comes after `every`, not
    /// at once: the copy was just loaded, and the change source nudges everyone as soon as it
    /// is connected (PostgreSQL's listener, SQLite's first data version). Reloading at once
    /// as well would make every starting replica read all its tables through the pool, a
    /// connection each, before its listener is there to answer them.
    pub fn new(every: Duration, changes: watch::Receiver<()>) -> Self {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Wakeups { ticks, changes }
    }

    /// Waits for the next reason to look. Once nobody can nudge any more, only the poll
    /// remains.
    pub async fn next(&mut self) {
        tokio::select! {
            _ = self.ticks.tick() => {}
            Ok(()) = self.changes.changed() => {}
        }
    }
}

/// A copy in memory of one table, which a [`Follower`] reads again.
pub trait Reload: Send + 'static {
    /// Why the table could not be read.
    type Error: Display + Send;

    /// Reads the table and brings the copy up to date; on an error the copy stays as it was.
    fn reload(&mut self) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Reloads one table's copy whenever the database may have moved, and every `every` in case
/// nobody said so.
///
/// A database that goes away leaves the last copy in use. Polling every few seconds through
/// an outage would log a line each time, so the follower logs one warning when reloading
/// starts failing and one line when it works again.
pub struct Follower {
    /// The table as the log names it: `the state`, `the superusers`…
    what: &'static str,
    wakeups: Wakeups,
    failing: bool,
}

impl Follower {
    /// A follower of `what`, woken by `changes` and polling every `every`.
    pub fn new(what: &'static str, every: Duration, changes: watch::Receiver<()>) -> Self {
        Follower {
            what,
            wakeups: Wakeups::new(every, changes),
            failing: false,
        }
    }

    /// Keeps `copy` in step until dropped: on every nudge and every poll.
    pub async fn run(mut self, mut copy: impl Reload) {
        loop {
            self.wakeups.next().await;
            let result = copy.reload().await;
            self.report(result);
        }
    }

    /// [`Follower::run`] in a task of its own; stop it by aborting the handle.
    pub fn spawn(self, copy: impl Reload) -> JoinHandle<()> {
        tokio::spawn(self.run(copy))
    }

    fn report<E: Display>(&mut self, result: Result<(), E>) {
        let what = self.what;
        match result {
            Ok(()) if self.failing => {
                self.failing = false;
                tracing::info!(target: "downtime::state", "database reachable again; following {what}");
            }
            Err(error) if !self.failing => {
                self.failing = true;
                tracing::warn!(target: "downtime::state", %error, "cannot read {what}; serving the last known copy");
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    /// Counts its reloads, failing the first `failures` of them.
    struct Counted {
        reloads: Arc<AtomicUsize>,
        failures: usize,
    }

    impl Reload for Counted {
        type Error = &'static str;

        async fn reload(&mut self) -> Result<(), &'static str> {
            let done = self.reloads.fetch_add(1, Ordering::SeqCst);
            if done < self.failures {
                Err("the database is away")
            } else {
                Ok(())
            }
        }
    }

    fn counted(failures: usize) -> (Counted, Arc<AtomicUsize>) {
        let reloads = Arc::new(AtomicUsize::new(0));
        let copy = Counted {
            reloads: Arc::clone(&reloads),
            failures,
        };
        (copy, reloads)
    }

    async fn until(reloads: &AtomicUsize, at_least: usize) {
        let reached = async {
            while reloads.load(Ordering::SeqCst) < at_least {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), reached)
            .await
            .expect("the follower reloads in time");
    }

    #[tokio::test]
    async fn a_nudge_reloads_at_once_without_waiting_for_the_poll() {
        let (nudge, changes) = watch::channel(());
        let (copy, reloads) = counted(0);
        let follower = Follower::new("the test table", Duration::from_secs(3600), changes);
        let task = follower.spawn(copy);
        nudge.send_replace(());
        until(&reloads, 1).await;
        nudge.send_replace(());
        until(&reloads, 2).await;
        task.abort();
    }

    #[tokio::test]
    async fn the_poll_reloads_when_nobody_nudges() {
        let (_nudge, changes) = watch::channel(());
        let (copy, reloads) = counted(0);
        let task = Follower::new("the test table", Duration::from_millis(20), changes).spawn(copy);
        until(&reloads, 4).await;
        task.abort();
    }

    /// Log lines written to memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn an_outage_is_one_warning_and_its_end_one_line() {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        // The test's runtime has one thread, so the follower logs to this subscriber.
        let _logging = tracing::subscriber::set_default(subscriber);
        let (_nudge, changes) = watch::channel(());
        let (copy, reloads) = counted(5);
        let task = Follower::new("the test table", Duration::from_millis(10), changes).spawn(copy);
        until(&reloads, 8).await;
        task.abort();

        let text = String::from_utf8(logs.0.lock().expect("log buffer").clone()).expect("utf-8");
        let warnings = text.matches("cannot read the test table").count();
        let recoveries = text.matches("database reachable again").count();
        assert_eq!((warnings, recoveries), (1, 1), "{text}");
        assert!(text.contains("the database is away"), "{text}");
    }
}
