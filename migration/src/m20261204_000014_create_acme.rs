//! Creates the tables of automatic certificates (ACME, `--acme-domain`), shared by every
//! replica so they all serve the same certificate and one of them orders it:
//!
//! - `acme_certificate`: one row per domain, with its certificate chain, its private key
//!   (sealed with `--secret-key`), the ACME server that issued it, and the claim and
//!   back-off of the replica that orders it;
//! - `acme_account`: the account at each ACME server (its key sealed the same way);
//! - `acme_challenge`: the answers to the challenges of an order in flight, which whichever
//!   replica the ACME server reaches must give.
//!
//! On PostgreSQL, a change to a certificate or a challenge notifies the replicas, as for the
//! other shared tables.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const NOTIFY_UP: &str = r#"
DROP TRIGGER IF EXISTS downtime_notify ON acme_certificate;
CREATE TRIGGER downtime_notify AFTER INSERT OR UPDATE OF chain OR DELETE ON acme_certificate
    FOR EACH STATEMENT EXECUTE FUNCTION downtime_notify_table();

DROP TRIGGER IF EXISTS downtime_notify ON acme_challenge;
CREATE TRIGGER downtime_notify AFTER INSERT OR UPDATE OR DELETE ON acme_challenge
    FOR EACH STATEMENT EXECUTE FUNCTION downtime_notify_table();
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AcmeCertificate::Table)
                    .if_not_exists()
                    .col(string_len(AcmeCertificate::Domain, 253).primary_key())
                    .col(text_null(AcmeCertificate::Chain))
                    .col(text_null(AcmeCertificate::SealedKey))
                    .col(timestamp_with_time_zone_null(AcmeCertificate::NotAfter))
                    .col(timestamp_with_time_zone_null(AcmeCertificate::IssuedAt))
                    .col(string_len_null(AcmeCertificate::Directory, 512))
                    .col(string_len_null(AcmeCertificate::ClaimedBy, 64))
                    .col(timestamp_with_time_zone_null(AcmeCertificate::ClaimedUntil))
                    .col(timestamp_with_time_zone(AcmeCertificate::NextAttemptAt))
                    .col(integer(AcmeCertificate::Failures).default(0))
                    .col(text_null(AcmeCertificate::LastError))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AcmeAccount::Table)
                    .if_not_exists()
                    .col(string_len(AcmeAccount::Directory, 512).primary_key())
                    .col(text(AcmeAccount::SealedCredentials))
                    .col(timestamp_with_time_zone(AcmeAccount::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AcmeChallenge::Table)
                    .if_not_exists()
                    .col(string_len(AcmeChallenge::Name, 320).primary_key())
                    .col(string_len(AcmeChallenge::Domain, 253))
                    .col(text(AcmeChallenge::KeyAuthorization))
                    .col(timestamp_with_time_zone(AcmeChallenge::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(NOTIFY_UP)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AcmeChallenge::Table.into_iden(),
            AcmeAccount::Table.into_iden(),
            AcmeCertificate::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AcmeCertificate {
    Table,
    Domain,
    Chain,
    SealedKey,
    NotAfter,
    IssuedAt,
    Directory,
    ClaimedBy,
    ClaimedUntil,
    NextAttemptAt,
    Failures,
    LastError,
}

#[derive(DeriveIden)]
enum AcmeAccount {
    Table,
    Directory,
    SealedCredentials,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AcmeChallenge {
    Table,
    Name,
    Domain,
    KeyAuthorization,
    ExpiresAt,
}
