//! The timeline of a window: which events a change makes, and which the clock makes when a
//! window starts or ends by its times or a reminder falls due. Pure functions of the state, so
//! every replica names each event alike ([`Occurrence::key`]) and the webhooks' table keeps
//! one, and the feed lists the same starts and ends the webhooks tell.
//!
//! An event belongs to the change or to the clock, never to both: the clock makes a window's
//! start (or end, or reminder) only when its time comes after the state's last change, so a
//! window switched on with a start already past is `started` by that change alone.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::{AuditEntry, MaintenanceState, Phase};

/// An event of the timeline, as webhooks name it (`Downtime-Event`, the payload's `event`,
/// `events=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Event {
    /// A change of the state, whatever it was: `maintenance.changed`.
    MaintenanceChanged,
    /// A window with a start ahead was set: `maintenance.scheduled`.
    MaintenanceScheduled,
    /// A scheduled window starts in one of `--remind-before`'s offsets: `maintenance.reminder`.
    MaintenanceReminder,
    /// A window began gating visitors, switched on or by its start time: `maintenance.started`.
    MaintenanceStarted,
    /// A window stopped gating visitors, switched off or by its end time: `maintenance.ended`.
    MaintenanceEnded,
}

impl Event {
    /// Every event, in the order `events=` lists them in messages.
    pub const ALL: [Event; 5] = [
        Event::MaintenanceChanged,
        Event::MaintenanceScheduled,
        Event::MaintenanceReminder,
        Event::MaintenanceStarted,
        Event::MaintenanceEnded,
    ];

    /// Its place in [`Event::ALL`].
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The event's name.
    pub const fn name(self) -> &'static str {
        match self {
            Event::MaintenanceChanged => "maintenance.changed",
            Event::MaintenanceScheduled => "maintenance.scheduled",
            Event::MaintenanceReminder => "maintenance.reminder",
            Event::MaintenanceStarted => "maintenance.started",
            Event::MaintenanceEnded => "maintenance.ended",
        }
    }
}

/// Who the payload names for what the clock did.
pub const CLOCK: &str = "clock";

/// The reminders sent before a scheduled window by default: a day and an hour ahead.
pub const DEFAULT_REMIND_BEFORE: [Duration; 2] =
    [Duration::from_secs(24 * 3600), Duration::from_secs(3600)];

/// The events besides `maintenance.changed`: the ones this module makes.
pub const TIMELINE: [Event; 4] = [
    Event::MaintenanceScheduled,
    Event::MaintenanceReminder,
    Event::MaintenanceStarted,
    Event::MaintenanceEnded,
];

/// One event of the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// What happened.
    pub event: Event,
    /// What names it on every replica.
    pub key: String,
    /// When it happened, or fell due.
    pub at: DateTime<Utc>,
    /// For a reminder: how long before the start.
    pub remind_before: Option<Duration>,
}

/// An event of the timeline as it is told (in a webhook's body, in a chat message): what
/// happened, by whom, to which window.
#[derive(Clone, Copy, Debug)]
pub struct Told<'a> {
    /// What happened, and when.
    pub occurrence: &'a Occurrence,
    /// Recorded well after it happened, by a replica that came back after every replica had
    /// been down at that time.
    pub late: bool,
    /// Who made the change, or [`CLOCK`].
    pub actor: &'a str,
    /// Why, if the change's author said.
    pub reason: Option<&'a str>,
    /// The window it is about (for an end by a change, the window that ended).
    pub window: &'a MaintenanceState,
    /// For a start or an end: when the window began gating visitors, when known.
    pub started_at: Option<DateTime<Utc>>,
}

impl Told<'_> {
    /// For an end whose start is known: how long the window gated visitors.
    pub fn lasted(&self) -> Option<TimeDelta> {
        let at = self.occurrence.at;
        self.started_at
            .filter(|_| self.occurrence.event == Event::MaintenanceEnded)
            .map(|start| at - start)
    }
}

fn key(event: Event, rest: &str) -> String {
    format!("{}:{rest}", event.name())
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `maintenance.changed`'s key for change `audit_id`.
pub fn change_key(audit_id: i64) -> String {
    key(Event::MaintenanceChanged, &audit_id.to_string())
}

/// What `change` makes besides `maintenance.changed`: `scheduled` when it sets a start ahead
/// (or moves one), `started` when visitors are gated from then on and were not before,
/// `ended` for the reverse.
pub fn of_change(change: &AuditEntry) -> Vec<Occurrence> {
    let (before, after) = (
        change.before.phase(change.at),
        change.after.phase(change.at),
    );
    let made = |event: Event| Occurrence {
        event,
        key: key(event, &change.id.to_string()),
        at: change.at,
        remind_before: None,
    };
    let mut made_here = Vec::new();
    let moved = change.before.window.starts_at != change.after.window.starts_at;
    if after == Phase::Scheduled && (before != Phase::Scheduled || moved) {
        made_here.push(made(Event::MaintenanceScheduled));
    }
    match (before == Phase::Active, after == Phase::Active) {
        (false, true) => made_here.push(made(Event::MaintenanceStarted)),
        (true, false) => made_here.push(made(Event::MaintenanceEnded)),
        _ => {}
    }
    made_here
}

/// What the clock has made of `state` by `now` that no change made: its start and its end
/// once their times have passed, and the latest reminder due before a start still ahead
/// (only for offsets still ahead when the state was last changed).
pub fn of_clock(
    state: &MaintenanceState,
    now: DateTime<Utc>,
    remind_before: &[Duration],
) -> Vec<Occurrence> {
    let window = &state.window;
    if !window.enabled {
        return Vec::new();
    }
    let since = state.updated_at;
    let mut made = Vec::new();
    if let Some(start) = window.starts_at.filter(|s| *s > since && *s <= now) {
        made.push(Occurrence {
            event: Event::MaintenanceStarted,
            key: key(Event::MaintenanceStarted, &format!("at:{}", time(start))),
            at: start,
            remind_before: None,
        });
    }
    let started = window.starts_at.unwrap_or(since);
    if let Some(end) = window
        .ends_at
        .filter(|e| *e > since && *e > started && *e <= now)
    {
        made.push(Occurrence {
            event: Event::MaintenanceEnded,
            key: key(Event::MaintenanceEnded, &format!("at:{}", time(end))),
            at: end,
            remind_before: None,
        });
    }
    if let Some(start) = window.starts_at.filter(|s| now < *s) {
        let due = reminders(start, since, remind_before)
            .filter(|(at, _)| *at <= now)
            .max_by_key(|(at, _)| *at);
        if let Some((at, before)) = due {
            made.push(Occurrence {
                event: Event::MaintenanceReminder,
                key: key(
                    Event::MaintenanceReminder,
                    &format!("{}-{}s", time(start), before.as_secs()),
                ),
                at,
                remind_before: Some(before),
            });
        }
    }
    made
}

/// When the clock makes its next event for `state` after `now`, if it will.
pub fn next_by_clock(
    state: &MaintenanceState,
    now: DateTime<Utc>,
    remind_before: &[Duration],
) -> Option<DateTime<Utc>> {
    let window = &state.window;
    if !window.enabled {
        return None;
    }
    let since = state.updated_at;
    let ahead = |at: &DateTime<Utc>| *at > now && *at > since;
    let reminder = window.starts_at.and_then(|start| {
        reminders(start, since, remind_before)
            .map(|(at, _)| at)
            .filter(ahead)
            .min()
    });
    [window.starts_at, window.ends_at, reminder]
        .into_iter()
        .flatten()
        .filter(ahead)
        .min()
}

/// The reminders of a start at `start` set at `since`: each offset's time, if after `since`.
fn reminders(
    start: DateTime<Utc>,
    since: DateTime<Utc>,
    remind_before: &[Duration],
) -> impl Iterator<Item = (DateTime<Utc>, Duration)> + '_ {
    remind_before.iter().filter_map(move |before| {
        let at = start - TimeDelta::from_std(*before).ok()?;
        (at > since).then_some((at, *before))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Window;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::days(1) + TimeDelta::minutes(minutes)
    }

    fn window(set: i64, from: Option<i64>, until: Option<i64>) -> MaintenanceState {
        MaintenanceState {
            window: Window {
                enabled: true,
                starts_at: from.map(at),
                ends_at: until.map(at),
                ..Window::off()
            },
            updated_at: at(set),
            ..MaintenanceState::initial()
        }
    }

    fn events(made: &[Occurrence]) -> Vec<(Event, DateTime<Utc>)> {
        made.iter().map(|o| (o.event, o.at)).collect()
    }

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn the_clock_starts_and_ends_a_window_set_before_its_times() {
        // Set at 0 for 60 to 120, reminders an hour and a minute ahead.
        let state = window(0, Some(60), Some(120));
        let remind = [HOUR, Duration::from_secs(60)];
        assert_eq!(events(&of_clock(&state, at(30), &remind)), []);
        assert_eq!(next_by_clock(&state, at(30), &remind), Some(at(59)));
        assert_eq!(
            events(&of_clock(&state, at(59), &remind)),
            [(Event::MaintenanceReminder, at(59))]
        );
        assert_eq!(next_by_clock(&state, at(59), &remind), Some(at(60)));
        assert_eq!(
            events(&of_clock(&state, at(61), &remind)),
            [(Event::MaintenanceStarted, at(60))]
        );
        assert_eq!(next_by_clock(&state, at(61), &remind), Some(at(120)));
        assert_eq!(
            events(&of_clock(&state, at(121), &remind)),
            [
                (Event::MaintenanceStarted, at(60)),
                (Event::MaintenanceEnded, at(120))
            ]
        );
        assert_eq!(next_by_clock(&state, at(121), &remind), None);
        // Every replica names them alike.
        assert_eq!(
            of_clock(&state, at(121), &remind),
            of_clock(&state, at(500), &remind)
        );
    }

    #[test]
    fn a_reminder_already_past_when_the_window_was_set_is_never_sent() {
        // Set 30 minutes before its start: the hour's reminder was already past.
        let state = window(30, Some(60), None);
        assert_eq!(events(&of_clock(&state, at(45), &[HOUR])), []);
        assert_eq!(next_by_clock(&state, at(45), &[HOUR]), Some(at(60)));
    }

    #[test]
    fn a_change_owns_what_happens_at_its_own_time() {
        // Switched on with a start already past: the change started it, not the clock.
        let state = window(10, Some(5), Some(20));
        assert_eq!(
            events(&of_clock(&state, at(25), &[])),
            [(Event::MaintenanceEnded, at(20))]
        );
        let off = MaintenanceState {
            window: Window::off(),
            ..state.clone()
        };
        let change = |before: &MaintenanceState, after: &MaintenanceState, when| AuditEntry {
            id: 7,
            version: 2,
            actor: "cli:ada".into(),
            reason: None,
            at: at(when),
            before: before.clone(),
            after: after.clone(),
        };
        let on = change(&off, &state, 10);
        assert_eq!(
            events(&of_change(&on)),
            [(Event::MaintenanceStarted, at(10))]
        );
        let scheduled = change(&off, &window(0, Some(60), None), 0);
        assert_eq!(
            events(&of_change(&scheduled)),
            [(Event::MaintenanceScheduled, at(0))]
        );
        let switched_off = change(&state, &off, 15);
        assert_eq!(
            events(&of_change(&switched_off)),
            [(Event::MaintenanceEnded, at(15))]
        );
        // Off after the clock ended it: nothing more ends.
        assert_eq!(events(&of_change(&change(&state, &off, 30))), []);
        assert_eq!(of_change(&on)[0].key, "maintenance.started:7");
    }
}
