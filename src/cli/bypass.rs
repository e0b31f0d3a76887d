//! `downtime bypass create|list|revoke`: secret links past the gate, handed out from a shell.

use std::time::Duration;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};

use super::{Usage, actor, rfc3339};
use crate::bypass::{BypassError, BypassLink, LinkRequest, LinkStore, MAX_TTL};
use crate::state::StateService;

#[derive(Debug, Subcommand)]
pub(super) enum BypassCommand {
    /// Create a link and print its URL (shown this once: share it like a password).
    Create(BypassCreateArgs),
    /// List the links: active ones, and expired or revoked ones from the last 90 days.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a link: it and the cookies it set stop working on every replica.
    Revoke {
        /// The link's id, as `bypass list` shows it.
        id: String,
    },
}

#[derive(Debug, Args)]
pub(super) struct BypassCreateArgs {
    /// How long the link lasts (`2h`, `3d`; at most 30 days).
    #[arg(long, value_name = "DURATION", value_parser = link_ttl)]
    ttl: Duration,
    /// What it is for, such as who it goes to.
    #[arg(long)]
    label: Option<String>,
    /// Where the link leads on the site (a path; default: the home page).
    #[arg(long, value_name = "PATH")]
    next: Option<String>,
    /// The site's public URL, as `serve` has it (default: the one the latest server recorded
    /// in the database when it started).
    #[arg(long, env = "DOWNTIME_BASE_URL")]
    base_url: Option<String>,
    /// Where downtime's routes are mounted, as `serve` has it (with `--base-url`).
    #[arg(long, env = "DOWNTIME_PREFIX", default_value = "", value_parser = crate::config::prefix)]
    prefix: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn link_ttl(value: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(value).map_err(|e| format!("{e} (try 2h or 3d)"))?;
    if ttl < Duration::from_secs(1) || ttl > MAX_TTL {
        return Err("must be between 1s and 30 days".into());
    }
    Ok(ttl)
}

/// `downtime bypass …`: runs the subcommand against `url`'s database.
pub(super) async fn manage(url: &str, command: BypassCommand) -> anyhow::Result<()> {
    let service = super::database(url).await?;
    let links = LinkStore::new(&service);
    match command {
        BypassCommand::Create(args) => {
            let site = site_url(&service, &args).await?;
            create(&links, args, &site).await
        }
        BypassCommand::List { json } => list(&links, json).await,
        BypassCommand::Revoke { id } => revoke(&links, &id).await,
    }
}

/// A refused value or an unknown id is the caller's mistake (exit code 2); only the
/// database's failures are downtime's.
fn refused(error: BypassError) -> anyhow::Error {
    match error {
        BypassError::Database(e) => e.into(),
        refused => Usage(refused.to_string()).into(),
    }
}

/// `downtime bypass create`: the URL is printed this once, since the store keeps
/// only a hash of its secret.
async fn create(links: &LinkStore, args: BypassCreateArgs, site: &str) -> anyhow::Result<()> {
    let request = LinkRequest {
        ttl: args.ttl,
        label: args.label,
        next: args.next,
    };
    let new = links.create(request, &actor()).await.map_err(refused)?;
    let link_url = new.url(site);
    if args.json {
        let json = serde_json::json!({ "url": link_url, "link": new.link });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{link_url}");
        println!(
            "bypass link {} lets its holder past the gate until {}",
            new.link.id,
            rfc3339(new.link.expires_at)
        );
    }
    Ok(())
}

/// Where downtime's routes are reached: `--base-url` (and `--prefix`), or what the latest
/// server recorded; said on stderr, so a wrong one is seen before the link is sent.
async fn site_url(service: &StateService, args: &BypassCreateArgs) -> anyhow::Result<String> {
    if let Some(base) = &args.base_url {
        let url = format!("{}{}", base.trim_end_matches('/'), args.prefix);
        eprintln!("site: {url} (from --base-url)");
        return Ok(url);
    }
    match service.site_url().await? {
        Some((url, at)) => {
            eprintln!(
                "site: {url} (recorded by the server that started at {})",
                rfc3339(at)
            );
            Ok(url)
        }
        None => Err(Usage(
            "no server has recorded its URL in this database yet: start one, or give --base-url https://…".into(),
        )
        .into()),
    }
}

/// `downtime bypass list`.
async fn list(links: &LinkStore, json: bool) -> anyhow::Result<()> {
    let listed = links.list().await?;
    let now = Utc::now();
    if json {
        let items: Vec<_> = listed
            .iter()
            .map(|l| serde_json::json!({ "status": l.status(now), "link": l }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&items)?);
        return Ok(());
    }
    if listed.is_empty() {
        println!("no bypass links");
    }
    for link in &listed {
        println!("{}", list_line(link, now));
    }
    Ok(())
}

/// One link in the text of `downtime bypass list`.
fn list_line(link: &BypassLink, now: DateTime<Utc>) -> String {
    let mut line = format!(
        "{}  {:<7}  until {}  by {}",
        link.id,
        link.status(now),
        rfc3339(link.expires_at),
        link.created_by
    );
    if let Some(by) = &link.revoked_by {
        line.push_str(&format!(", revoked by {by}"));
    }
    if let Some(label) = &link.label {
        line.push_str(&format!("  \"{label}\""));
    }
    line
}

/// `downtime bypass revoke`.
async fn revoke(links: &LinkStore, id: &str) -> anyhow::Result<()> {
    let link = links.revoke(id.trim(), &actor()).await.map_err(refused)?;
    println!("revoked bypass link {}", link.id);
    Ok(())
}
