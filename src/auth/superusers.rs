//! Who is a superuser: principals recorded in the database (`downtime superuser add`), plus
//! configured e-mail addresses (verified only), groups and client ids.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, SubsecRound as _, Utc};
use entity::superuser as row;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::Principal;
use crate::state::{Follower, Reader, Reload, StateService};

/// What a stored rule matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A verified e-mail address (compared without case).
    Email,
    /// An issuer + subject pair: one account at one provider.
    Subject,
    /// An OAuth client id, for scripts using client-credentials tokens.
    Client,
}

impl Kind {
    /// The stored name: `email`, `subject` or `client`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Subject => "subject",
            Kind::Client => "client",
        }
    }

    fn parse(stored: &str) -> Option<Self> {
        [Kind::Email, Kind::Subject, Kind::Client]
            .into_iter()
            .find(|kind| kind.as_str() == stored)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stored superuser rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Insertion order.
    pub id: i64,
    /// What it matches.
    pub kind: Kind,
    /// The issuer, for `subject`; empty otherwise.
    pub issuer: String,
    /// The e-mail (lower case), subject or client id.
    pub value: String,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: DateTime<Utc>,
}

fn normalise(kind: Kind, issuer: Option<&str>, value: &str) -> (String, String) {
    let value = value.trim();
    match kind {
        Kind::Email => (String::new(), value.to_lowercase()),
        Kind::Subject => (
            issuer.unwrap_or_default().trim().to_owned(),
            value.to_owned(),
        ),
        Kind::Client => (String::new(), value.to_owned()),
    }
}

/// The `superuser` table: the one way to add, remove and list the stored rules, for the CLI
/// and the server alike. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    /// Where the rules are read: the follower's reads run on the change listener's connection.
    reader: Reader,
}

/// What changes whenever a rule is added or removed: the number of rows and the highest id.
type Fingerprint = (i64, i64);

impl Store {
    /// The table in `service`'s database.
    pub fn new(service: &StateService) -> Self {
        Store {
            db: service.db().clone(),
            reader: service.reader().clone(),
        }
    }

    /// Records a superuser; `false` when it was already there.
    ///
    /// # Errors
    /// The database fails.
    pub async fn add(
        &self,
        kind: Kind,
        issuer: Option<&str>,
        value: &str,
        added_by: &str,
    ) -> Result<bool, DbErr> {
        let (issuer, value) = normalise(kind, issuer, value);
        let model = row::ActiveModel {
            kind: Set(kind.as_str().to_owned()),
            issuer: Set(issuer),
            value: Set(value),
            added_by: Set(added_by.to_owned()),
            added_at: Set(Utc::now().trunc_subsecs(6)),
            ..Default::default()
        };
        let inserted = row::Entity::insert(model)
            .on_conflict(
                OnConflict::columns([row::Column::Kind, row::Column::Issuer, row::Column::Value])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(inserted > 0)
    }

    /// Removes a superuser; `false` when there was none.
    ///
    /// # Errors
    /// The database fails.
    pub async fn remove(
        &self,
        kind: Kind,
        issuer: Option<&str>,
        value: &str,
    ) -> Result<bool, DbErr> {
        let (issuer, value) = normalise(kind, issuer, value);
        let deleted = row::Entity::delete_many()
            .filter(row::Column::Kind.eq(kind.as_str()))
            .filter(row::Column::Issuer.eq(issuer))
            .filter(row::Column::Value.eq(value))
            .exec(&self.db)
            .await?;
        Ok(deleted.rows_affected > 0)
    }

    /// Every stored superuser, oldest first.
    ///
    /// # Errors
    /// The database fails.
    pub async fn list(&self) -> Result<Vec<Entry>, DbErr> {
        Ok(row::Entity::find()
            .order_by_asc(row::Column::Id)
            .all(&self.reader)
            .await?
            .into_iter()
            // A kind this version does not know (written by a newer one) matches nobody.
            .filter_map(|m| {
                Some(Entry {
                    id: m.id,
                    kind: Kind::parse(&m.kind)?,
                    issuer: m.issuer,
                    value: m.value,
                    added_by: m.added_by,
                    added_at: m.added_at,
                })
            })
            .collect())
    }

    /// A cheap query that tells whether the table changed since the last one.
    async fn fingerprint(&self) -> Result<Fingerprint, DbErr> {
        let found = row::Entity::find()
            .select_only()
            .column_as(Expr::from(Func::count(Expr::col(row::Column::Id))), "count")
            .column_as(Expr::from(Func::max(Expr::col(row::Column::Id))), "max")
            .into_tuple::<(i64, Option<i64>)>()
            .one(&self.reader)
            .await?;
        Ok(found.map_or((0, 0), |(count, max)| (count, max.unwrap_or(0))))
    }
}

/// The configured rules.
#[derive(Clone, Debug, Default)]
pub struct Configured {
    /// E-mail addresses (matched only when the provider says they are verified).
    pub emails: Vec<String>,
    /// Values of the groups claim.
    pub groups: Vec<String>,
    /// Client ids (client-credentials tokens).
    pub clients: Vec<String>,
}

/// Every superuser rule, the stored ones kept in memory so that asking costs no I/O.
#[derive(Clone)]
pub struct Registry {
    configured: Arc<Configured>,
    stored: Arc<ArcSwap<Vec<Entry>>>,
}

impl Registry {
    /// Loads the stored rules once.
    ///
    /// # Errors
    /// The database fails.
    pub async fn load(store: &Store, configured: Configured) -> Result<Self, DbErr> {
        let configured = Configured {
            emails: configured
                .emails
                .iter()
                .map(|e| e.trim().to_lowercase())
                .collect(),
            ..configured
        };
        Ok(Registry {
            configured: Arc::new(configured),
            stored: Arc::new(ArcSwap::from_pointee(store.list().await?)),
        })
    }

    /// Reloads the stored rules from `store` whenever the table changes: when `changes` says
    /// the database moved, and every `every` in case it cannot.
    pub fn follow(
        &self,
        store: Store,
        every: Duration,
        changes: watch::Receiver<()>,
    ) -> JoinHandle<()> {
        let stored = Arc::clone(&self.stored);
        let follower = Follower::new("the superusers", every, changes);
        tokio::spawn(async move {
            let seen = store.fingerprint().await.ok();
            let rules = StoredRules {
                store,
                stored,
                seen,
            };
            follower.run(rules).await;
        })
    }

    /// Whether `p` is a superuser under any rule.
    pub fn allows(&self, p: &Principal) -> bool {
        let verified_email = p
            .email
            .as_deref()
            .filter(|_| p.email_verified)
            .map(str::to_lowercase);
        let c = &self.configured;
        if verified_email
            .as_ref()
            .is_some_and(|e| c.emails.contains(e))
            || p.groups.iter().any(|g| c.groups.contains(g))
            || p.client_id
                .as_ref()
                .is_some_and(|id| c.clients.contains(id))
        {
            return true;
        }
        self.stored.load().iter().any(|entry| match entry.kind {
            Kind::Email => verified_email.as_deref() == Some(entry.value.as_str()),
            Kind::Subject => entry.issuer == p.issuer && entry.value == p.subject,
            Kind::Client => p.client_id.as_deref() == Some(entry.value.as_str()),
        })
    }
}

/// The stored rules as [`Registry::follow`] keeps them.
struct StoredRules {
    store: Store,
    stored: Arc<ArcSwap<Vec<Entry>>>,
    /// The table's fingerprint when last read: the whole list is read only when it moves.
    seen: Option<Fingerprint>,
}

impl Reload for StoredRules {
    type Error = DbErr;

    async fn reload(&mut self) -> Result<(), DbErr> {
        let now = self.store.fingerprint().await?;
        if self.seen != Some(now) {
            let entries = self.store.list().await?;
            tracing::info!(target: "downtime::auth", count = entries.len(), "superusers reloaded");
            self.stored.store(Arc::new(entries));
            self.seen = Some(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            issuer: "https://id.example".into(),
            subject: "u1".into(),
            email: Some("Ada@Example.com".into()),
            email_verified: true,
            name: None,
            groups: vec!["staff".into()],
            client_id: None,
        }
    }

    fn rules(configured: Configured, stored: Vec<Entry>) -> Registry {
        let configured = Configured {
            emails: configured.emails.iter().map(|e| e.to_lowercase()).collect(),
            ..configured
        };
        Registry {
            configured: Arc::new(configured),
            stored: Arc::new(ArcSwap::from_pointee(stored)),
        }
    }

    fn entry(kind: Kind, issuer: &str, value: &str) -> Entry {
        Entry {
            id: 1,
            kind,
            issuer: issuer.into(),
            value: value.into(),
            added_by: "test".into(),
            added_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn configured_rules_match_verified_emails_groups_and_clients() {
        let by_email = rules(
            Configured {
                emails: vec!["ada@example.com".into()],
                ..Default::default()
            },
            vec![],
        );
        assert!(by_email.allows(&principal()));
        let unverified = Principal {
            email_verified: false,
            ..principal()
        };
        assert!(!by_email.allows(&unverified));

        let by_group = rules(
            Configured {
                groups: vec!["staff".into()],
                ..Default::default()
            },
            vec![],
        );
        assert!(by_group.allows(&principal()));
        assert!(!by_group.allows(&Principal {
            groups: vec!["Staff".into()],
            ..principal()
        }));

        let by_client = rules(
            Configured {
                clients: vec!["ci".into()],
                ..Default::default()
            },
            vec![],
        );
        assert!(!by_client.allows(&principal()));
        assert!(by_client.allows(&Principal {
            client_id: Some("ci".into()),
            ..principal()
        }));

        assert!(!rules(Configured::default(), vec![]).allows(&principal()));
    }

    #[test]
    fn stored_rules_match_by_kind() {
        assert!(
            rules(
                Configured::default(),
                vec![entry(Kind::Email, "", "ada@example.com")]
            )
            .allows(&principal())
        );
        assert!(
            rules(
                Configured::default(),
                vec![entry(Kind::Subject, "https://id.example", "u1")]
            )
            .allows(&principal())
        );
        assert!(
            !rules(
                Configured::default(),
                vec![entry(Kind::Subject, "https://other.example", "u1")]
            )
            .allows(&principal())
        );
        assert!(
            !rules(Configured::default(), vec![entry(Kind::Client, "", "u1")]).allows(&principal())
        );
        let unverified = Principal {
            email_verified: false,
            ..principal()
        };
        assert!(
            !rules(
                Configured::default(),
                vec![entry(Kind::Email, "", "ada@example.com")]
            )
            .allows(&unverified)
        );
    }
}
