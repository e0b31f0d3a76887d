//! The sender of one process: records new events (changes, and what the clock does to the
//! window) as deliveries, claims the due ones, and makes each attempt in a task of its own,
//! so a slow receiver holds up nothing else.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound as _, TimeDelta, Utc};
use rand::RngCore as _;
use reqwest::header::CONTENT_TYPE;
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::deliveries::{Deliveries, Delivery, Outcome, Target};
use super::payload::{self, EventPayload, Payload};
use super::{Chat, Event, Format, Webhook, WebhookUrl, change_kind};
use super::{Counted, DELIVERY_HEADER, EVENT, EVENT_HEADER, Retry, SIGNATURE_HEADER, WebhookStats};
use crate::http::hex;
use crate::state::timeline::{self, CLOCK, Occurrence, Told};
use crate::state::{AuditEntry, MaintenanceState, StateService, StoreError, Table, Wakeups};

/// Attempts under way at once in one process; more due deliveries wait for a free slot (or
/// another replica).
const MAX_IN_FLIGHT: usize = 16;
/// Changes recorded per query, and due deliveries read per look.
const BATCH: u64 = 100;
/// An event of the clock recorded later than this after its time is marked late: every
/// replica was down (or cut off from the database) when it fell due.
const LATE: TimeDelta = TimeDelta::seconds(10);
/// How far back the audit log is searched for the change that switched a window on.
const SWITCH_ON_SEARCH: u64 = 50;

/// A receiver, with what its deliveries need.
struct Destination {
    url: WebhookUrl,
    /// Its own secret, or the shared one.
    secret: SecretString,
    format: Format,
    target: Target,
    events: BTreeSet<Event>,
}

impl Destination {
    fn wants(&self, event: Event) -> bool {
        self.events.contains(&event)
    }
}

/// Everything the sender needs; shared by its attempts.
pub(super) struct Sender {
    /// The audit log, whose entries are the changes to deliver.
    service: StateService,
    deliveries: Deliveries,
    destinations: Vec<Destination>,
    retry: Retry,
    client: reqwest::Client,
    stats: Arc<WebhookStats>,
    /// This process in `claimed_by`.
    owner: String,
    /// The newest change when the process started.
    baseline: i64,
    /// How long before a scheduled start reminders go.
    remind_before: Vec<Duration>,
    /// Writes `format=slack`'s messages.
    chat: Chat,
}

impl Sender {
    /// A sender to `webhooks`, signing with their own secrets or `shared`: the settings have
    /// passed [`super::WebhookConfig::check`], so each has one.
    pub(super) async fn new(
        service: &StateService,
        webhooks: &[Webhook],
        shared: Option<&SecretString>,
        retry: Retry,
        remind_before: &[Duration],
        stats: Arc<WebhookStats>,
        chat: Chat,
    ) -> anyhow::Result<Self> {
        let mut destinations: Vec<Destination> = Vec::new();
        for hook in webhooks {
            let Some(secret) = hook.secret.as_ref().or(shared) else {
                anyhow::bail!("--webhook {} has no secret to sign with", hook.url);
            };
            let key = hex(&Sha256::digest(hook.url.as_str().as_bytes()));
            if destinations.iter().all(|d| d.target.key != key) {
                let endpoint = hook.url.endpoint();
                destinations.push(Destination {
                    url: hook.url.clone(),
                    secret: secret.clone(),
                    format: hook.format,
                    target: Target { key, endpoint },
                    events: hook.events.clone(),
                });
            }
        }
        let client = reqwest::Client::builder()
            // A redirect is a failed attempt: following it would send the signed body to
            // wherever a receiver points, and hide a moved endpoint from the logs.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(retry.timeout.min(Duration::from_secs(5)))
            .timeout(retry.timeout)
            .user_agent(concat!("downtime/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let baseline = service.newest_audit_id(None).await?.unwrap_or(0);
        let mut tag = [0u8; 4];
        rand::rngs::OsRng.fill_bytes(&mut tag);
        Ok(Sender {
            service: service.clone(),
            deliveries: Deliveries::new(service),
            destinations,
            retry,
            client,
            stats,
            owner: format!("{}-{}", std::process::id(), hex(&tag)),
            baseline,
            remind_before: remind_before.to_vec(),
            chat,
        })
    }

    /// Looks for work whenever a change is made here, whenever the database says another
    /// process committed, when a retry falls due, when an attempt ends, and every `poll`.
    pub(super) async fn run(self, poll: Duration) {
        let mut wakeups = Wakeups::new(poll, self.service.database_changes(Table::State));
        let mut changes = self.service.live().subscribe();
        let sender = Arc::new(self);
        let mut floors = HashMap::new();
        let mut recorded = HashSet::new();
        let mut attempts = JoinSet::new();
        let mut next_due: Option<Instant> = None;
        let mut failing = false;
        loop {
            let due = async {
                match next_due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = wakeups.next() => {}
                Ok(()) = changes.changed() => {}
                () = due => {}
                Some(_) = attempts.join_next(), if !attempts.is_empty() => {}
            }
            match sender.look(&mut floors, &mut recorded, &mut attempts).await {
                Ok(due) => {
                    next_due = due;
                    if failing {
                        failing = false;
                        tracing::info!(target: "downtime::webhook", "database reachable again; sending webhooks");
                    }
                }
                Err(error) => {
                    next_due = None;
                    if !failing {
                        failing = true;
                        tracing::warn!(target: "downtime::webhook", %error, "cannot read the webhook deliveries; trying again");
                    }
                }
            }
        }
    }

    /// Records a delivery of every event not yet recorded, then claims and starts what is
    /// due; returns when the next pending delivery, or the clock's next event, falls due.
    async fn look(
        self: &Arc<Self>,
        floors: &mut HashMap<String, i64>,
        recorded: &mut HashSet<String>,
        attempts: &mut JoinSet<()>,
    ) -> Result<Option<Instant>, StoreError> {
        let now = now();
        let newest = self.service.newest_audit_id(None).await?;
        if let Some(newest) = newest {
            // Each change read once, however many URLs want its events.
            let mut read = HashMap::new();
            for to in &self.destinations {
                let target = &to.target;
                let mut floor = match floors.get(&target.key) {
                    Some(floor) => *floor,
                    None => self.floor(target, now).await?,
                };
                // Every change up to `floor` has its rows for this target. The audit log's ids
                // grow in commit order, so nothing can appear below a floor later.
                while floor < newest {
                    let changes = self.service.audit_ids_after(floor, BATCH).await?;
                    let Some(&last) = changes.last() else { break };
                    if to.wants(Event::MaintenanceChanged) {
                        self.deliveries.add(target, &changes, now).await?;
                    }
                    for &change in &changes {
                        self.record_change_events(to, change, &mut read, now)
                            .await?;
                    }
                    floor = last;
                }
                floors.insert(target.key.clone(), floor);
            }
        }
        let by_clock = self
            .record_clock_events(recorded, newest.unwrap_or(0), now)
            .await?;
        let targets: Vec<Target> = self.destinations.iter().map(|d| d.target.clone()).collect();
        let mut free = MAX_IN_FLIGHT.saturating_sub(attempts.len());
        let mut soonest: Option<DateTime<Utc>> = None;
        let until = shift(now, self.retry.lease(), true);
        for delivery in self.deliveries.unclaimed(&targets, now, BATCH).await? {
            if delivery.next_attempt_at > now {
                soonest = Some(soonest.map_or(delivery.next_attempt_at, |s| {
                    s.min(delivery.next_attempt_at)
                }));
            } else if free > 0
                && self
                    .deliveries
                    .claim(&delivery.id, &self.owner, now, until)
                    .await?
            {
                free -= 1;
                let sender = Arc::clone(self);
                attempts.spawn(async move { sender.attempt(delivery).await });
            }
        }
        let soonest = [soonest, by_clock].into_iter().flatten().min();
        Ok(soonest
            .and_then(|at| Instant::now().checked_add((at - now).to_std().unwrap_or_default())))
    }

    /// Records, for `to`, the events change `id` makes besides itself (a start, an end, a
    /// schedule), as far as `to` wants them; `read` keeps the changes read so far.
    async fn record_change_events(
        &self,
        to: &Destination,
        id: i64,
        read: &mut HashMap<i64, Option<AuditEntry>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let wanted = |o: &Occurrence| to.wants(o.event);
        if !timeline::TIMELINE.iter().any(|e| to.wants(*e)) {
            return Ok(());
        }
        if let Entry::Vacant(vacant) = read.entry(id) {
            vacant.insert(self.service.audit_entry(id).await?);
        }
        let Some(Some(change)) = read.get(&id) else {
            return Ok(());
        };
        for occurrence in timeline::of_change(change).iter().filter(|o| wanted(o)) {
            let (window, started_at) = match occurrence.event {
                Event::MaintenanceEnded => {
                    (&change.before, self.began(&change.before, Some(id)).await?)
                }
                Event::MaintenanceStarted => (&change.after, Some(change.at)),
                _ => (&change.after, None),
            };
            let told = Told {
                occurrence,
                late: false,
                actor: &change.actor,
                reason: change.reason.as_deref(),
                window,
                started_at,
            };
            self.deliveries
                .add_event(&to.target, occurrence, id, now, |delivery| {
                    told_body(&told, to.format, &self.chat, delivery)
                })
                .await?;
        }
        Ok(())
    }

    /// Records what the clock has done to the live window that is not recorded yet (here or
    /// by another replica), as events about change `change` (the newest), and logs each one
    /// this replica records first; returns when the clock does something next.
    async fn record_clock_events(
        &self,
        recorded: &mut HashSet<String>,
        change: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let snapshot = arc_swap::Guard::into_inner(self.service.live().load());
        let state: &MaintenanceState = &snapshot;
        let made = timeline::of_clock(state, now, &self.remind_before);
        // Only this window's events can come again: the rest are forgotten.
        recorded.retain(|key| made.iter().any(|o| &o.key == key));
        for occurrence in &made {
            if recorded.contains(&occurrence.key) {
                continue;
            }
            let started_at = match occurrence.event {
                Event::MaintenanceStarted => Some(occurrence.at),
                Event::MaintenanceEnded => self.began(state, None).await?,
                _ => None,
            };
            let told = Told {
                occurrence,
                late: now - occurrence.at > LATE,
                actor: CLOCK,
                reason: None,
                window: state,
                started_at,
            };
            let mut first = false;
            for to in self
                .destinations
                .iter()
                .filter(|d| d.wants(occurrence.event))
            {
                first |= self
                    .deliveries
                    .add_event(&to.target, occurrence, change, now, |delivery| {
                        told_body(&told, to.format, &self.chat, delivery)
                    })
                    .await?;
            }
            if first {
                tracing::info!(target: "downtime::webhook", event = occurrence.event.name(), at = %occurrence.at, late = told.late, version = state.version, "maintenance timeline event recorded");
            }
            recorded.insert(occurrence.key.clone());
        }
        Ok(timeline::next_by_clock(state, now, &self.remind_before))
    }

    /// When `window` began gating visitors: its start time, or the change (up to change
    /// `upto`, excluded) that switched it on, whichever came later; `None` when neither is
    /// known.
    async fn began(
        &self,
        window: &MaintenanceState,
        upto: Option<i64>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let history = self.service.history(SWITCH_ON_SEARCH, upto).await?;
        let switched_on = history
            .iter()
            .find(|c| !c.before.window.enabled && c.after.window.enabled)
            .map(|c| c.at);
        Ok(match (window.window.starts_at, switched_on) {
            (Some(start), Some(on)) => Some(start.max(on)),
            (start, on) => start.or(on),
        })
    }

    /// The change after which `target` still needs rows, when this sender starts: its newest
    /// row's (changes too old to send excepted), or the baseline for a URL no replica has
    /// sent to yet.
    async fn floor(&self, target: &Target, now: DateTime<Utc>) -> Result<i64, StoreError> {
        let Some(last) = self.deliveries.last_recorded(target).await? else {
            return Ok(self.baseline);
        };
        let oldest = shift(now, self.retry.give_up_after, false);
        let too_old = self.service.newest_audit_id(Some(oldest)).await?;
        Ok(last.max(too_old.unwrap_or(0)))
    }

    /// One attempt at a delivery this process has claimed, and its record.
    async fn attempt(self: Arc<Self>, delivery: Delivery) {
        let Some(to) = self
            .destinations
            .iter()
            .find(|d| d.target.key == delivery.target)
        else {
            return;
        };
        let log = Log {
            endpoint: &to.target.endpoint,
            delivery: &delivery.id,
        };
        let (at, body) = match self.prepare(to, &delivery, &log).await {
            Ok(prepared) => prepared,
            Err(Some(error)) => {
                return self
                    .give_up(&delivery, delivery.attempts, error, &log)
                    .await;
            }
            Err(None) => return,
        };
        let deadline = shift(at, self.retry.give_up_after, true);
        let attempts = delivery.attempts.saturating_add(1);
        let event = delivery.event.as_str();
        // Counted once recorded, so whoever reads the counters finds the table agreeing.
        match self.post(to, &delivery.id, event, body).await {
            Ok(()) => {
                tracing::info!(target: "downtime::webhook", url = log.endpoint, delivery = log.delivery, event, attempts, "webhook delivered");
                self.record(&delivery, attempts, Outcome::Delivered, &log)
                    .await;
                self.count(&delivery, Counted::Delivered);
            }
            Err(error) => {
                let pause = self
                    .retry
                    .delay(u32::try_from(attempts).unwrap_or(u32::MAX));
                let next = shift(now(), pause, true);
                if next > deadline {
                    self.count(&delivery, Counted::FailedAttempt);
                    self.give_up(&delivery, attempts, error, &log).await;
                } else {
                    tracing::warn!(target: "downtime::webhook", url = log.endpoint, delivery = log.delivery, event, attempts, %error, retry_in = %humantime::format_duration(pause), "webhook attempt failed");
                    self.record(&delivery, attempts, Outcome::RetryAt(next, error), &log)
                        .await;
                    self.count(&delivery, Counted::FailedAttempt);
                }
            }
        }
    }

    /// When the event `delivery` is about was recorded (for a change, made) and the body that
    /// sends it, or why not to send it: `Err(Some(why))` gives the delivery up, `Err(None)`
    /// leaves its claim to lapse, so the next look (here or elsewhere) tries again.
    async fn prepare(
        &self,
        to: &Destination,
        delivery: &Delivery,
        log: &Log<'_>,
    ) -> Result<(DateTime<Utc>, Vec<u8>), Option<String>> {
        if let Some(body) = &delivery.body {
            return Ok((delivery.created_at, body.clone().into_bytes()));
        }
        let change = match self.service.audit_entry(delivery.audit_id).await {
            Ok(Some(change)) => change,
            Ok(None) => return Err(Some("the change is no longer in the audit log".into())),
            // Reading it again would not help.
            Err(StoreError::Corrupt(error)) => {
                return Err(Some(format!("the change is unreadable: {error}")));
            }
            Err(error) => {
                tracing::warn!(target: "downtime::webhook", url = log.endpoint, delivery = log.delivery, %error, "cannot read the change to deliver");
                return Err(None);
            }
        };
        // A retry was scheduled before the deadline and is made even if a little late; a
        // change first seen after it (every server was down) is not sent at all.
        let deadline = shift(change.at, self.retry.give_up_after, true);
        if delivery.attempts == 0 && now() > deadline {
            return Err(Some(format!(
                "not sent: the change is older than {}",
                humantime::format_duration(self.retry.give_up_after)
            )));
        }
        let body = body(to.format, &self.chat, delivery, &change).map_err(Some)?;
        Ok((change.at, body))
    }

    /// Counts how an attempt at `delivery` went, by its event.
    fn count(&self, delivery: &Delivery, counted: Counted) {
        if let Ok(event) = delivery.event.parse::<Event>() {
            self.stats.count(event, counted);
        }
    }

    async fn give_up(&self, delivery: &Delivery, attempts: i32, error: String, log: &Log<'_>) {
        tracing::warn!(target: "downtime::webhook", url = log.endpoint, delivery = log.delivery, attempts, %error, "webhook given up");
        self.record(delivery, attempts, Outcome::GivenUp(error), log)
            .await;
        self.count(delivery, Counted::GivenUp);
    }

    async fn record(&self, delivery: &Delivery, attempts: i32, outcome: Outcome, log: &Log<'_>) {
        let recorded = self
            .deliveries
            .record(delivery, &self.owner, attempts, outcome, now())
            .await;
        match recorded {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(target: "downtime::webhook", url = log.endpoint, delivery = log.delivery, "the claim on a webhook delivery lapsed during its attempt; another replica may send it again");
            }
            Err(error) => {
                tracing::warn!(target: "downtime::webhook", url = log.endpoint, delivery = log.delivery, %error, "cannot record a webhook attempt; it will be made again once the claim lapses");
            }
        }
    }

    /// POSTs `body` to `to`, signed now with its secret; `Ok` when the receiver answers 2xx.
    async fn post(
        &self,
        to: &Destination,
        delivery: &str,
        event: &str,
        body: Vec<u8>,
    ) -> Result<(), String> {
        let signature = payload::signature(&to.secret, Utc::now().timestamp(), &to.url, &body);
        let response = self
            .client
            .post(to.url.as_str())
            .header(CONTENT_TYPE, to.format.content_type())
            .header(EVENT_HEADER, event)
            .header(DELIVERY_HEADER, delivery)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await
            .map_err(|e| self.describe(e))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(format!("answered {status} (redirects are not followed)"))
        } else {
            Err(format!("answered {status}"))
        }
    }

    /// Why a request failed, without its URL (which may hold a token).
    fn describe(&self, error: reqwest::Error) -> String {
        if error.is_timeout() {
            return format!(
                "no answer within {}",
                humantime::format_duration(self.retry.timeout)
            );
        }
        let what = if error.is_connect() {
            "cannot connect"
        } else {
            "request failed"
        };
        let error = error.without_url();
        let mut cause: &dyn std::error::Error = &error;
        while let Some(source) = cause.source() {
            cause = source;
        }
        format!("{what}: {cause}")
    }
}

/// The fields every line about one delivery has.
struct Log<'a> {
    endpoint: &'a str,
    delivery: &'a str,
}

/// The body a delivery sends, in the URL's format: the change as the audit log has it.
fn body(
    format: Format,
    chat: &Chat,
    delivery: &Delivery,
    change: &AuditEntry,
) -> Result<Vec<u8>, String> {
    let payload = Payload {
        id: &delivery.id,
        event: EVENT,
        change: change_kind(&change.before, &change.after),
        actor: &change.actor,
        reason: change.reason.as_deref(),
        version: change.version,
        at: change.at,
        before: &change.before,
        after: &change.after,
    };
    match format {
        Format::Json => serde_json::to_vec(&payload).map_err(|e| e.to_string()),
        Format::Slack => {
            let occurrence = Occurrence {
                event: Event::MaintenanceChanged,
                key: timeline::change_key(change.id),
                at: change.at,
                remind_before: None,
            };
            let told = Told {
                occurrence: &occurrence,
                late: false,
                actor: &change.actor,
                reason: change.reason.as_deref(),
                window: &change.after,
                started_at: None,
            };
            chat_body(chat, &told).map(String::into_bytes)
        }
    }
}

/// The body of delivery `id` telling `told`, in `format`.
fn told_body(told: &Told<'_>, format: Format, chat: &Chat, id: &str) -> Result<String, String> {
    let occurrence = told.occurrence;
    let payload = EventPayload {
        id,
        event: occurrence.event.name(),
        at: occurrence.at,
        late: told.late,
        actor: told.actor,
        reason: told.reason,
        window: told.window,
        started_at: told.started_at,
        lasted_secs: told.lasted().map(|lasted| lasted.num_seconds()),
        starts_in_secs: occurrence.remind_before.map(|d| d.as_secs()),
    };
    match format {
        Format::Json => serde_json::to_string(&payload).map_err(|e| e.to_string()),
        Format::Slack => chat_body(chat, told),
    }
}

/// A chat message: `{"text": …}`, what Slack-compatible incoming webhooks take.
fn chat_body(chat: &Chat, told: &Told<'_>) -> Result<String, String> {
    serde_json::to_string(&serde_json::json!({ "text": chat(told) })).map_err(|e| e.to_string())
}

/// `at` moved `by` later (or earlier), stopping at the end of time instead of overflowing:
/// retry bounds come from code, and may be huge.
fn shift(at: DateTime<Utc>, by: Duration, later: bool) -> DateTime<Utc> {
    let by = TimeDelta::from_std(by).unwrap_or(TimeDelta::MAX);
    let shifted = if later {
        at.checked_add_signed(by)
    } else {
        at.checked_sub_signed(by)
    };
    shifted.unwrap_or(if later {
        DateTime::<Utc>::MAX_UTC
    } else {
        DateTime::<Utc>::MIN_UTC
    })
}

/// Now, to the microsecond: what both databases store.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
