//! The ACME tables: each domain's certificate and the claim on its next order, the accounts,
//! and the answers to challenges in flight. Portable queries only, for SQLite and PostgreSQL
//! alike.

use chrono::{DateTime, Utc};
use entity::{acme_account, acme_certificate as certificate, acme_challenge as challenge};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait as _, Condition, DatabaseConnection, DbErr, EntityTrait as _, QueryFilter as _,
    Set, UpdateMany,
};

pub(super) use certificate::Model as Stored;
pub(super) use challenge::Model as Answer;

/// A certificate as issued, ready to store.
pub(super) struct Issued {
    /// The chain, PEM.
    pub chain: String,
    /// The private key, sealed.
    pub sealed_key: String,
    pub not_after: DateTime<Utc>,
    /// The directory URL of the ACME server that issued it.
    pub directory: String,
}

/// The ACME tables: the one way to them. Cheap to clone.
#[derive(Clone, Debug)]
pub(super) struct Store {
    db: DatabaseConnection,
}

impl Store {
    pub(super) fn new(db: DatabaseConnection) -> Self {
        Store { db }
    }

    /// Makes a row for each of `domains` that has none, due at once.
    pub(super) async fn add_domains(
        &self,
        domains: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        let rows = domains.iter().map(|domain| certificate::ActiveModel {
            domain: Set(domain.clone()),
            chain: Set(None),
            sealed_key: Set(None),
            not_after: Set(None),
            issued_at: Set(None),
            directory: Set(None),
            claimed_by: Set(None),
            claimed_until: Set(None),
            next_attempt_at: Set(now),
            failures: Set(0),
            last_error: Set(None),
        });
        certificate::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([certificate::Column::Domain])
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// The rows of `domains`.
    pub(super) async fn certificates(&self, domains: &[String]) -> Result<Vec<Stored>, DbErr> {
        certificate::Entity::find()
            .filter(certificate::Column::Domain.is_in(domains))
            .all(&self.db)
            .await
    }

    /// Claims the next order of `seen`'s domain for `owner` until `until`, if it may start
    /// now, nobody holds it, and no certificate was stored since `seen` was read: the one
    /// update concurrent replicas race on, which only one of them wins.
    pub(super) async fn claim(
        &self,
        seen: &Stored,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let unchanged = match seen.issued_at {
            Some(at) => certificate::Column::IssuedAt.eq(at),
            None => certificate::Column::IssuedAt.is_null(),
        };
        let claimed = certificate::Entity::update_many()
            .col_expr(certificate::Column::ClaimedBy, Expr::value(owner))
            .col_expr(certificate::Column::ClaimedUntil, Expr::value(until))
            .filter(certificate::Column::Domain.eq(&seen.domain))
            .filter(unchanged)
            .filter(certificate::Column::NextAttemptAt.lte(now))
            .filter(
                Condition::any()
                    .add(certificate::Column::ClaimedUntil.is_null())
                    .add(certificate::Column::ClaimedUntil.lt(now)),
            )
            .exec(&self.db)
            .await?;
        Ok(claimed.rows_affected == 1)
    }

    /// Stores the certificate `owner` ordered for `domain` and lets go of the claim.
    pub(super) async fn issued(
        &self,
        domain: &str,
        owner: &str,
        issued: Issued,
        now: DateTime<Utc>,
    ) -> Result<bool, DbErr> {
        let stored = releasing(domain, owner)
            .col_expr(certificate::Column::Chain, Expr::value(issued.chain))
            .col_expr(
                certificate::Column::SealedKey,
                Expr::value(issued.sealed_key),
            )
            .col_expr(certificate::Column::NotAfter, Expr::value(issued.not_after))
            .col_expr(certificate::Column::IssuedAt, Expr::value(now))
            .col_expr(
                certificate::Column::Directory,
                Expr::value(issued.directory),
            )
            .col_expr(certificate::Column::NextAttemptAt, Expr::value(now))
            .col_expr(certificate::Column::Failures, Expr::value(0))
            .col_expr(certificate::Column::LastError, Expr::value(None::<String>))
            .exec(&self.db)
            .await?;
        Ok(stored.rows_affected == 1)
    }

    /// Records `owner`'s failed order for `domain` (the `failures`-th in a row) and lets go of
    /// the claim; the next starts at `next`.
    pub(super) async fn failed(
        &self,
        domain: &str,
        owner: &str,
        failures: i32,
        error: &str,
        next: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        releasing(domain, owner)
            .col_expr(certificate::Column::Failures, Expr::value(failures))
            .col_expr(certificate::Column::LastError, Expr::value(error))
            .col_expr(certificate::Column::NextAttemptAt, Expr::value(next))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The sealed credentials of the account at `directory`, if there is one.
    pub(super) async fn account(&self, directory: &str) -> Result<Option<String>, DbErr> {
        Ok(acme_account::Entity::find_by_id(directory.to_owned())
            .one(&self.db)
            .await?
            .map(|row| row.sealed_credentials))
    }

    /// Stores a new account's credentials for `directory` in place of `replacing` (none, or
    /// one that does not open), unless another replica stored one first; returns those kept.
    pub(super) async fn put_account(
        &self,
        directory: &str,
        replacing: Option<&str>,
        sealed: String,
        now: DateTime<Utc>,
    ) -> Result<String, DbErr> {
        match replacing {
            None => {
                acme_account::Entity::insert(acme_account::ActiveModel {
                    directory: Set(directory.to_owned()),
                    sealed_credentials: Set(sealed.clone()),
                    created_at: Set(now),
                })
                .on_conflict(
                    OnConflict::column(acme_account::Column::Directory)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await?;
            }
            Some(old) => {
                acme_account::Entity::update_many()
                    .col_expr(
                        acme_account::Column::SealedCredentials,
                        Expr::value(sealed.clone()),
                    )
                    .col_expr(acme_account::Column::CreatedAt, Expr::value(now))
                    .filter(acme_account::Column::Directory.eq(directory))
                    .filter(acme_account::Column::SealedCredentials.eq(old))
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(self.account(directory).await?.unwrap_or(sealed))
    }

    /// How many orders of `domain` failed in a row, as stored now.
    pub(super) async fn failures(&self, domain: &str) -> Result<i32, DbErr> {
        Ok(certificate::Entity::find_by_id(domain.to_owned())
            .one(&self.db)
            .await?
            .map_or(0, |row| row.failures))
    }

    /// Publishes the answer to a challenge for every replica, until `expires`.
    pub(super) async fn add_answer(&self, answer: Answer) -> Result<(), DbErr> {
        let row = challenge::ActiveModel {
            name: Set(answer.name),
            domain: Set(answer.domain),
            key_authorization: Set(answer.key_authorization),
            expires_at: Set(answer.expires_at),
        };
        challenge::Entity::insert(row)
            .on_conflict(
                OnConflict::column(challenge::Column::Name)
                    .update_columns([
                        challenge::Column::Domain,
                        challenge::Column::KeyAuthorization,
                        challenge::Column::ExpiresAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Withdraws the answers named, and any whose time has passed.
    pub(super) async fn remove_answers(
        &self,
        names: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), DbErr> {
        challenge::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(challenge::Column::Name.is_in(names))
                    .add(challenge::Column::ExpiresAt.lt(now)),
            )
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// The answers to give now.
    pub(super) async fn answers(&self, now: DateTime<Utc>) -> Result<Vec<Answer>, DbErr> {
        challenge::Entity::find()
            .filter(challenge::Column::ExpiresAt.gte(now))
            .all(&self.db)
            .await
    }
}

/// An update of `domain`'s row, made only while `owner` holds its claim, that lets go of it.
fn releasing(domain: &str, owner: &str) -> UpdateMany<certificate::Entity> {
    certificate::Entity::update_many()
        .col_expr(certificate::Column::ClaimedBy, Expr::value(None::<String>))
        .col_expr(
            certificate::Column::ClaimedUntil,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(certificate::Column::Domain.eq(domain))
        .filter(certificate::Column::ClaimedBy.eq(owner))
}
