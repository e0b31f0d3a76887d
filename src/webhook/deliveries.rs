//! The `webhook_delivery` table: recording events as deliveries, claiming a delivery,
//! recording how an attempt went. Portable queries only, for SQLite and PostgreSQL alike. The
//! changes themselves are the audit log's, read through the state service; other events keep
//! the body they were recorded with.

use chrono::{DateTime, Utc};
use entity::webhook_delivery as row;
use rand::RngCore as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait as _, Condition, DatabaseConnection, DbErr, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _, Set, TryInsertResult,
};

use super::Event;
use crate::state::StateService;
use crate::state::timeline::{self, Occurrence};

pub(super) use row::Model as Delivery;

/// Waiting for its next attempt (or in one, while claimed). Not `pending`, the name of
/// versions that knew only changes: such a replica, still running during an upgrade, finds
/// nothing of these to send.
pub(super) const PENDING: &str = "queued";
/// A receiver accepted it.
pub(super) const DELIVERED: &str = "delivered";
/// Given up.
pub(super) const FAILED: &str = "failed";

/// One webhook URL as the table knows it.
#[derive(Clone, Debug)]
pub(super) struct Target {
    /// SHA-256 of the URL, hex.
    pub key: String,
    /// The URL without credentials or query.
    pub endpoint: String,
}

/// The `webhook_delivery` table: the one way to it. Cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Deliveries {
    db: DatabaseConnection,
}

impl Deliveries {
    /// The table in `service`'s database.
    pub(super) fn new(service: &StateService) -> Self {
        Deliveries {
            db: service.db().clone(),
        }
    }

    /// The newest change recorded for `target`, if any.
    pub(super) async fn last_recorded(&self, target: &Target) -> Result<Option<i64>, DbErr> {
        Ok(row::Entity::find()
            .select_only()
            .column_as(row::Column::AuditId.max(), "last")
            .filter(row::Column::Target.eq(&target.key))
            .filter(row::Column::Event.eq(Event::MaintenanceChanged.name()))
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await?
            .flatten())
    }

    /// Records a pending delivery of each change to `target`; rows another replica made
    /// first are kept as they are.
    pub(super) async fn add(
        &self,
        target: &Target,
        changes: &[i64],
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let rows = changes.iter().map(|&audit_id| {
            let key = timeline::change_key(audit_id);
            queued(
                new_id(),
                target,
                Event::MaintenanceChanged,
                key,
                audit_id,
                None,
                now,
            )
        });
        self.insert(rows).await?;
        Ok(())
    }

    /// Records a pending delivery of `event` (about change `audit_id`) to `target`, with the
    /// body `body` makes from the delivery's id, unless a replica recorded it first: `true`
    /// when this call made the row.
    pub(super) async fn add_event(
        &self,
        target: &Target,
        event: &Occurrence,
        audit_id: i64,
        now: DateTime<Utc>,
        body: impl FnOnce(&str) -> Result<String, String>,
    ) -> Result<bool, DbErr> {
        let id = new_id();
        let body = body(&id).map_err(DbErr::Custom)?;
        let key = event.key.clone();
        let row = queued(id, target, event.event, key, audit_id, Some(body), now);
        let made = self.insert([row]).await?;
        Ok(matches!(made, TryInsertResult::Inserted(n) if n > 0))
    }

    /// Inserts `rows`, keeping any another replica made first (one per URL and event).
    async fn insert(
        &self,
        rows: impl IntoIterator<Item = row::ActiveModel>,
    ) -> Result<TryInsertResult<u64>, DbErr> {
        row::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([row::Column::Target, row::Column::EventKey])
            .exec_without_returning(&self.db)
            .await
    }

    /// Pending deliveries to these targets that nobody holds, soonest first.
    pub(super) async fn unclaimed(
        &self,
        targets: &[Target],
        now: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Delivery>, DbErr> {
        row::Entity::find()
            .filter(row::Column::Status.eq(PENDING))
            .filter(row::Column::Target.is_in(targets.iter().map(|t| t.key.as_str())))
            .filter(free(now))
            .order_by_asc(row::Column::NextAttemptAt)
            .order_by_asc(row::Column::AuditId)
            .limit(limit)
            .all(&self.db)
            .await
    }

    /// Claims delivery `id` for `owner` until `until`, if it is due and nobody holds it: the
    /// one update concurrent replicas race on, which only one of them wins.
    pub(super) async fn claim(
        &self,
        id: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let claimed = row::Entity::update_many()
            .col_expr(row::Column::ClaimedBy, Expr::value(owner))
            .col_expr(row::Column::ClaimedUntil, Expr::value(until))
            .filter(row::Column::Id.eq(id))
            .filter(row::Column::Status.eq(PENDING))
            .filter(row::Column::NextAttemptAt.lte(now))
            .filter(free(now))
            .exec(&self.db)
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    /// Records the `attempts`-th attempt's outcome and lets go of the claim; `false` when the
    /// claim had lapsed and another replica took the delivery over meanwhile.
    pub(super) async fn record(
        &self,
        delivery: &Delivery,
        owner: &str,
        attempts: i32,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let mut update = row::Entity::update_many()
            .col_expr(row::Column::Attempts, Expr::value(attempts))
            .col_expr(row::Column::ClaimedBy, Expr::value(None::<String>))
            .col_expr(
                row::Column::ClaimedUntil,
                Expr::value(None::<DateTime<Utc>>),
            );
        update = match outcome {
            Outcome::Delivered => update
                .col_expr(row::Column::Status, Expr::value(DELIVERED))
                .col_expr(row::Column::DeliveredAt, Expr::value(now))
                .col_expr(row::Column::LastError, Expr::value(None::<String>)),
            Outcome::RetryAt(at, error) => update
                .col_expr(row::Column::NextAttemptAt, Expr::value(at))
                .col_expr(row::Column::LastError, Expr::value(error)),
            Outcome::GivenUp(error) => update
                .col_expr(row::Column::Status, Expr::value(FAILED))
                .col_expr(row::Column::LastError, Expr::value(error)),
        };
        let recorded = update
            .filter(row::Column::Id.eq(&delivery.id))
            .filter(row::Column::ClaimedBy.eq(owner))
            .exec(&self.db)
            .await?;
        Ok(recorded.rows_affected == 1)
    }
}

/// A new delivery, due at once.
fn queued(
    id: String,
    target: &Target,
    event: Event,
    event_key: String,
    audit_id: i64,
    body: Option<String>,
    now: DateTime<Utc>,
) -> row::ActiveModel {
    row::ActiveModel {
        id: Set(id),
        audit_id: Set(audit_id),
        event: Set(event.name().to_owned()),
        event_key: Set(event_key),
        body: Set(body),
        target: Set(target.key.clone()),
        endpoint: Set(target.endpoint.clone()),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        claimed_by: Set(None),
        claimed_until: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        last_error: Set(None),
    }
}

fn free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(row::Column::ClaimedUntil.is_null())
        .add(row::Column::ClaimedUntil.lt(now))
}

/// How an attempt ended, to record.
pub(super) enum Outcome {
    /// The receiver accepted it.
    Delivered,
    /// Failed; try again then.
    RetryAt(DateTime<Utc>, String),
    /// Failed for good.
    GivenUp(String),
}

/// 128 random bits, hex: a delivery's id, unique across databases too, so a receiver fed by
/// several sites can still tell deliveries apart.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    crate::http::hex(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Change, Window};
    use chrono::TimeDelta;

    async fn open(url: &str) -> StateService {
        StateService::open(url).await.expect("open")
    }

    fn target() -> Target {
        Target {
            key: "0".repeat(64),
            endpoint: "http://127.0.0.1:9/hook".into(),
        }
    }

    #[tokio::test]
    async fn replicas_record_a_delivery_once_and_only_one_claims_it() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("d.db").display());
        let replicas = [open(&url).await, open(&url).await, open(&url).await];
        replicas[0]
            .apply(Window::on(), Change::by("test"))
            .await
            .expect("change");
        let change = replicas[0]
            .newest_audit_id(None)
            .await
            .expect("read")
            .expect("a change");
        let now = Utc::now();
        for replica in &replicas {
            Deliveries::new(replica)
                .add(&target(), &[change], now)
                .await
                .expect("add");
        }
        let table = Deliveries::new(&replicas[0]);
        let rows = table.unclaimed(&[target()], now, 10).await.expect("read");
        assert_eq!(rows.len(), 1, "{rows:?}");
        let row = &rows[0];

        let claims = replicas.iter().enumerate().map(|(i, replica)| {
            let owner = format!("replica-{i}");
            let id = row.id.clone();
            let deliveries = Deliveries::new(replica);
            async move {
                let until = now + TimeDelta::seconds(40);
                deliveries.claim(&id, &owner, now, until).await
            }
        });
        let won: Vec<bool> = futures_util::future::join_all(claims)
            .await
            .into_iter()
            .map(|r| r.expect("claim"))
            .collect();
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
        let owner = format!(
            "replica-{}",
            won.iter().position(|w| *w).unwrap_or_default()
        );
        assert!(
            table
                .unclaimed(&[target()], now, 10)
                .await
                .expect("read")
                .is_empty()
        );

        // Only the holder records; then the row waits for its retry, free but not due.
        let later = now + TimeDelta::seconds(5);
        let retry = || Outcome::RetryAt(later, "answered 500".into());
        assert!(
            !table
                .record(row, "someone-else", 1, retry(), now)
                .await
                .expect("record")
        );
        assert!(
            table
                .record(row, &owner, 1, retry(), now)
                .await
                .expect("record")
        );
        let until = now + TimeDelta::seconds(40);
        assert!(
            !table
                .claim(&row.id, "replica-x", now, until)
                .await
                .expect("claim")
        );
        assert!(
            table
                .claim(&row.id, "replica-x", later, until)
                .await
                .expect("claim")
        );
        // A claim that lapsed (its holder died) is taken over.
        let lapsed = until + TimeDelta::seconds(1);
        assert!(
            !table
                .claim(&row.id, "replica-y", later, until)
                .await
                .expect("claim")
        );
        assert!(
            table
                .claim(&row.id, "replica-y", lapsed, lapsed)
                .await
                .expect("claim")
        );
        assert!(
            table
                .record(row, "replica-y", 2, Outcome::Delivered, lapsed)
                .await
                .expect("record")
        );
        assert!(
            !table
                .claim(&row.id, "replica-z", lapsed + TimeDelta::days(1), lapsed)
                .await
                .expect("claim")
        );
    }
}
