//! Chat messages telling a window's timeline, for webhooks with `format=slack`: one line of
//! what happened, then who did it, why, and whether it is told late, in the words of the
//! pages' Fluent messages (`chat.ftl`), so a page directory can reword them too.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use fluent_templates::Loader as _;
use fluent_templates::fluent_bundle::FluentValue;
use unic_langid::LanguageIdentifier;

use super::locale::{Messages, duration_parts};
use crate::state::timeline::{CLOCK, Event, Told};
use crate::state::{Mode, Phase};

/// The message telling `told` in `lang`, escaped for Slack's `text` (so a window's message
/// cannot mention `<!channel>` or make a link).
pub(crate) fn text(messages: &Messages, lang: &LanguageIdentifier, told: &Told<'_>) -> String {
    let say = |id: &str, args: &[(&'static str, FluentValue<'static>)]| {
        let args: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        messages.lookup_with_args(lang, id, &args)
    };
    let at = told.occurrence.at;
    // The day is left out when it is the day of the event itself.
    let when = |time: DateTime<Utc>| {
        let format = if time.date_naive() == at.date_naive() {
            "%H:%M UTC"
        } else {
            "%Y-%m-%d %H:%M UTC"
        };
        FluentValue::from(time.format(format).to_string())
    };
    let span = |secs: u64| {
        let (id, count) = duration_parts(secs);
        FluentValue::from(say(id, &[("count", FluentValue::from(count))]))
    };
    let window = &told.window.window;
    let until = FluentValue::from(match window.ends_at {
        Some(end) => say("chat-until", &[("end", when(end))]),
        None => say("chat-until-further-notice", &[]),
    });
    let what = FluentValue::from(match window.message.as_deref().map(str::trim) {
        Some(message) if !message.is_empty() => message.to_owned(),
        _ => say(
            match window.mode {
                Mode::Full => "chat-mode-full",
                Mode::ReadOnly => "chat-mode-read-only",
                Mode::Hold => "chat-mode-hold",
            },
            &[],
        ),
    });
    let start = when(window.starts_at.unwrap_or(at));
    let actor = FluentValue::from(told.actor.to_owned());
    let headline = match told.occurrence.event {
        Event::MaintenanceScheduled => say(
            "chat-scheduled",
            &[("start", start), ("until", until), ("what", what)],
        ),
        Event::MaintenanceReminder => {
            let before = told.occurrence.remind_before.unwrap_or_default();
            say(
                "chat-reminder",
                &[
                    ("in", span(before.as_secs())),
                    ("until", until),
                    ("what", what),
                ],
            )
        }
        Event::MaintenanceStarted => say("chat-started", &[("until", until), ("what", what)]),
        Event::MaintenanceEnded => match told.lasted() {
            Some(lasted) => {
                let secs = u64::try_from(lasted.num_seconds()).unwrap_or_default();
                say("chat-ended-after", &[("lasted", span(secs))])
            }
            None => say("chat-ended", &[]),
        },
        Event::MaintenanceChanged => match told.window.phase(at) {
            Phase::Scheduled => say(
                "chat-changed-scheduled",
                &[
                    ("actor", actor.clone()),
                    ("start", start),
                    ("until", until),
                    ("what", what),
                ],
            ),
            Phase::Active => say(
                "chat-changed-active",
                &[("actor", actor.clone()), ("until", until), ("what", what)],
            ),
            Phase::Off | Phase::Ended => say("chat-changed-off", &[("actor", actor.clone())]),
        },
    };
    let mut lines = vec![headline];
    if told.actor != CLOCK && told.occurrence.event != Event::MaintenanceChanged {
        lines.push(say("chat-by", &[("actor", actor)]));
    }
    if let Some(reason) = told.reason {
        lines.push(say("chat-reason", &[("reason", reason.to_owned().into())]));
    }
    if told.late {
        let full = at.format("%Y-%m-%d %H:%M UTC").to_string();
        lines.push(say("chat-late", &[("at", full.into())]));
    }
    slack_escaped(&lines.join("\n"))
}

/// `text` with the three characters Slack's `text` treats as markup escaped, as it asks.
fn slack_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}
