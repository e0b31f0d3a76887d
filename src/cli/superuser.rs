//! `downtime superuser add|remove|list`: the superusers recorded in the database.

use clap::{Args, Subcommand};

use super::{Usage, actor, rfc3339};
use crate::auth::superusers::{Kind, Store};

#[derive(Debug, Subcommand)]
pub(super) enum SuperuserCommand {
    /// Record a superuser.
    Add(SuperuserArgs),
    /// Remove a recorded superuser.
    Remove(SuperuserArgs),
    /// List the recorded superusers (configured ones are not listed).
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["email", "subject", "client"])))]
pub(super) struct SuperuserArgs {
    /// A verified e-mail address.
    #[arg(long, value_parser = email)]
    email: Option<String>,
    /// A subject (`sub`) at the issuer given with --issuer.
    #[arg(long, requires = "issuer")]
    subject: Option<String>,
    /// The issuer of --subject.
    #[arg(long, requires = "subject")]
    issuer: Option<String>,
    /// An OAuth client id (client-credentials tokens from scripts).
    #[arg(long)]
    client: Option<String>,
}

impl SuperuserArgs {
    fn rule(&self) -> (Kind, Option<&str>, &str) {
        match (&self.email, &self.subject, &self.client) {
            (Some(email), _, _) => (Kind::Email, None, email),
            (_, Some(subject), _) => (Kind::Subject, self.issuer.as_deref(), subject),
            (_, _, Some(client)) => (Kind::Client, None, client),
            _ => (Kind::Client, None, ""),
        }
    }

    fn describe(&self) -> String {
        match self.rule() {
            (Kind::Email, _, v) => format!("e-mail {v}"),
            (Kind::Subject, issuer, v) => format!("subject {v} at {}", issuer.unwrap_or_default()),
            (Kind::Client, _, v) => format!("client {v}"),
        }
    }
}

fn email(value: &str) -> Result<String, String> {
    let value = value.trim();
    match value.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !value.contains(char::is_whitespace) =>
        {
            Ok(value.to_owned())
        }
        _ => Err(format!("{value:?} is not an e-mail address")),
    }
}

/// `downtime superuser …`: runs the subcommand against `url`'s database.
pub(super) async fn manage(url: &str, command: SuperuserCommand) -> anyhow::Result<()> {
    let superusers = Store::new(&super::database(url).await?);
    match command {
        SuperuserCommand::Add(args) => add(&superusers, &args).await,
        SuperuserCommand::Remove(args) => remove(&superusers, &args).await,
        SuperuserCommand::List { json } => list(&superusers, json).await,
    }
}

/// `downtime superuser add`: adding one already recorded is no error.
async fn add(superusers: &Store, args: &SuperuserArgs) -> anyhow::Result<()> {
    let (kind, issuer, value) = args.rule();
    let verb = if superusers.add(kind, issuer, value, &actor()).await? {
        "added superuser"
    } else {
        "already a superuser"
    };
    println!("{verb}: {}", args.describe());
    Ok(())
}

/// `downtime superuser remove`: removing one not recorded is a usage error, so a typo shows.
async fn remove(superusers: &Store, args: &SuperuserArgs) -> anyhow::Result<()> {
    let (kind, issuer, value) = args.rule();
    if !superusers.remove(kind, issuer, value).await? {
        return Err(Usage(format!("no such superuser: {}", args.describe())).into());
    }
    println!("removed superuser: {}", args.describe());
    Ok(())
}

/// `downtime superuser list`.
async fn list(superusers: &Store, json: bool) -> anyhow::Result<()> {
    let entries = superusers.list().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    if entries.is_empty() {
        println!("no superusers recorded");
    }
    for e in &entries {
        let who = match e.kind {
            Kind::Subject => format!("{} at {}", e.value, e.issuer),
            Kind::Email | Kind::Client => e.value.clone(),
        };
        println!(
            "{:<8} {who}  (added by {} at {})",
            e.kind,
            e.added_by,
            rfc3339(e.added_at)
        );
    }
    Ok(())
}
