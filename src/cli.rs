//! The command line: `downtime serve|on|off|run|status|history|superuser|bypass|migrate|openapi`.
//!
//! Exit codes: 0 done; 1 the database failed (unreachable, corrupt, refused); 2 bad usage
//! (unknown flag, bad duration or date, invalid settings), and then nothing is written.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound as _, Utc};
use clap::{Args, Parser, Subcommand};

use crate::auth::superusers::{self, Kind};
use crate::bypass;
use crate::config::{Config, DatabaseArgs};
use crate::startup::{Application, Site, raise_open_files_limit};
use crate::state::{
    AuditEntry, Change, MaintenanceState, Mode, Phase, StateService, WindowInput, WriteError,
};
use crate::telemetry::LogFormat;
use crate::web::demo;

mod run;

/// Maintenance mode for Poem web applications: the server, and the switch.
#[derive(Debug, Parser)]
#[command(name = "downtime", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    database: DatabaseArgs,

    /// How log lines are written: `text`, or `json` (one object per line) for production.
    #[arg(
        long,
        global = true,
        env = "DOWNTIME_LOG_FORMAT",
        value_enum,
        default_value_t
    )]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the site behind the gate (the default command).
    Serve(Box<Config>),
    /// Switch maintenance on, now or for a window. What is not given is kept from the stored
    /// window: after `off`, its allowed addresses, open paths, status code and Retry-After.
    On(OnArgs),
    /// Switch maintenance off: the window's times, message, mode and scope go; the allowed
    /// addresses, open paths, status code and Retry-After stay for the next `on`.
    Off {
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Switch maintenance on, run a command (a migration, a deploy), then switch it off; the
    /// exit code is the command's. `downtime run --for 30m -- ./migrate.sh`
    Run(run::RunArgs),
    /// Show the current state.
    Status {
        /// Print JSON (stable field names) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show the latest changes, newest first.
    History {
        /// How many entries.
        #[arg(long, default_value_t = crate::state::DEFAULT_HISTORY, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Manage the superusers recorded in the database.
    #[command(subcommand)]
    Superuser(SuperuserCommand),
    /// Hand out secret links that let people without an account past the gate.
    #[command(subcommand)]
    Bypass(BypassCommand),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Print the OpenAPI document of the control API (the one committed in openapi/).
    Openapi,
}

#[derive(Debug, Subcommand)]
enum SuperuserCommand {
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

#[derive(Debug, Subcommand)]
enum BypassCommand {
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
struct BypassCreateArgs {
    /// How long the link lasts (`2h`, `3d`; at most 30 days).
    #[arg(long, value_name = "DURATION", value_parser = link_ttl)]
    ttl: Duration,
    /// What it is for, such as who it goes to.
    #[arg(long)]
    label: Option<String>,
    /// Where the link leads on the site (a path; default: the home page).
    #[arg(long, value_name = "PATH")]
    next: Option<String>,
    /// The site's public URL, as `serve` has it (default `http://127.0.0.1:3000`).
    #[arg(long, env = "DOWNTIME_BASE_URL")]
    base_url: Option<String>,
    /// Where downtime's routes are mounted, as `serve` has it.
    #[arg(long, env = "DOWNTIME_PREFIX", default_value = "", value_parser = crate::config::prefix)]
    prefix: String,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["email", "subject", "client"])))]
struct SuperuserArgs {
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

#[derive(Debug, Args)]
struct OnArgs {
    /// The message visitors see (plain text).
    #[arg(long)]
    message: Option<String>,
    /// How long the window lasts from now or from --from (`45m`, `2h 30m`).
    #[arg(long = "for", value_name = "DURATION", value_parser = window_length, conflicts_with = "until")]
    for_: Option<Duration>,
    /// When the window ends (RFC 3339, `2026-12-01T02:00:00Z`).
    #[arg(long, value_name = "TIME", value_parser = timestamp)]
    until: Option<DateTime<Utc>>,
    /// When the window starts, if not now (RFC 3339).
    #[arg(long, value_name = "TIME", value_parser = timestamp)]
    from: Option<DateTime<Utc>>,
    /// Let visitors read; refuse only writes.
    #[arg(long)]
    read_only: bool,
    /// Let this client address or network through (CIDR, repeatable: `--allow-ip 203.0.113.0/24`).
    #[arg(long = "allow-ip", value_name = "CIDR", value_parser = crate::state::parse_network)]
    allow_ips: Vec<ipnet::IpNet>,
    /// Keep this path prefix open (repeatable: `--open-path /status`).
    #[arg(long = "open-path", value_name = "PATH", value_parser = crate::state::parse_open_path)]
    open_paths: Vec<String>,
    /// `Retry-After` while no end time is known (`5m`).
    #[arg(long, value_name = "DURATION", value_parser = retry_after)]
    retry_after: Option<u32>,
    /// The status gated requests are answered with: 503 (the default), another 5xx, or 200 for
    /// load balancers that need it.
    #[arg(long, value_name = "CODE", value_parser = status_code)]
    status_code: Option<u16>,
    /// Close only this path prefix (repeatable: `--scope /checkout --scope /api/payments`);
    /// without it, the whole site.
    #[arg(long, value_name = "PATH", value_parser = crate::state::parse_open_path)]
    scope: Vec<String>,
    /// Why, for the audit log.
    #[arg(long)]
    reason: Option<String>,
}

/// A usage error found after parsing: printed on one line, exit code 2.
#[derive(Debug)]
struct Usage(String);

/// An exit code to end with, silently: the one `run`'s command ended with.
#[derive(Debug, thiserror::Error)]
#[error("exit {0}")]
struct Exit(u8);

/// Parses the command line; on a usage error prints one line and exits with code 2.
pub fn parse() -> Cli {
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => e.exit(),
        Err(e) => {
            eprintln!(
                "error: {} (see downtime --help)",
                first_paragraph(&e.render().to_string())
            );
            std::process::exit(2);
        }
    }
}

impl Cli {
    /// Whether this runs the server (which logs more than the short commands).
    pub fn is_serve(&self) -> bool {
        matches!(self.command, None | Some(Command::Serve(_)))
    }

    /// How to write log lines.
    pub fn log_format(&self) -> LogFormat {
        self.log_format
    }

    /// Runs the command.
    pub async fn run(self) -> ExitCode {
        match self.dispatch().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                if let Some(Exit(code)) = error.downcast_ref::<Exit>() {
                    return ExitCode::from(*code);
                }
                if let Some(Usage(message)) = error.downcast_ref::<Usage>() {
                    eprintln!("error: {message}");
                    return ExitCode::from(2);
                }
                if let Some(WriteError::Invalid(invalid)) = error.downcast_ref::<WriteError>() {
                    eprintln!("error: {invalid}");
                    return ExitCode::from(2);
                }
                // The outermost context says what failed, the root cause why; the layers between
                // repeat one another.
                let cause = error.root_cause().to_string();
                if cause == error.to_string() {
                    eprintln!("error: {error}");
                } else {
                    eprintln!("error: {error}: {cause}");
                }
                ExitCode::FAILURE
            }
        }
    }

    async fn dispatch(self) -> anyhow::Result<()> {
        let url = self.database.database_url;
        let command = match self.command {
            None => Command::Serve(Box::new(
                Config::from_env().map_err(|e| Usage(first_paragraph(&e)))?,
            )),
            Some(command) => command,
        };
        match command {
            Command::Serve(config) => {
                serve(Config {
                    database_url: url,
                    ..*config
                })
                .await?
            }
            Command::Superuser(command) => superuser(&url, command).await?,
            Command::Bypass(command) => bypass_links(&url, command).await?,
            Command::Openapi => println!("{}", crate::api::spec()),
            Command::Migrate => {
                StateService::open(&url).await?;
                println!("database is up to date");
            }
            Command::On(args) => {
                let input = args.input(Utc::now().trunc_subsecs(0))?;
                let service = StateService::open(&url).await?;
                let state = service
                    .switch_on(input, Change::by(actor()).because(args.reason))
                    .await?;
                println!("{}", summary(&state, Utc::now()));
            }
            Command::Run(args) => {
                let code = run::run(&url, args, actor()).await?;
                if code != 0 {
                    return Err(Exit(code).into());
                }
            }
            Command::Off { reason } => {
                let service = StateService::open(&url).await?;
                let state = service
                    .switch_off(Change::by(actor()).because(reason))
                    .await?;
                println!("{}", summary(&state, Utc::now()));
            }
            Command::Status { json } => {
                let state = StateService::open(&url).await?.current().await?;
                if json {
                    let status = StatusJson::new(&state, Utc::now());
                    println!("{}", serde_json::to_string_pretty(&status)?);
                } else {
                    print!("{}", describe(&state, Utc::now()));
                }
            }
            Command::History { limit, json } => {
                let entries = StateService::open(&url).await?.history(limit, None).await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&entries)?);
                } else if entries.is_empty() {
                    println!("no changes yet");
                } else {
                    for entry in &entries {
                        println!("{}", history_line(entry));
                    }
                }
            }
        }
        Ok(())
    }
}

/// `downtime serve`: the upstream app, or the demo site, behind downtime, until a signal.
async fn serve(config: Config) -> anyhow::Result<()> {
    config.webhook.check().map_err(Usage)?;
    let site = match &config.proxy.upstream {
        Some(_) => Site::Upstream,
        // The demo's form and JSON routes read bodies: the same limit as downtime's own routes
        // (the proxy limits what it forwards by itself, streaming).
        None => Site::App(demo::served()?),
    };
    raise_open_files_limit(config.server.max_connections);
    let app = Application::build(config, site).await?;
    println!("downtime listening on http://{}", app.local_addr());
    let _ = std::io::stdout().flush();
    tracing::info!(addr = %app.local_addr(), "listening");
    app.run_until_stopped().await?;
    Ok(())
}

/// `downtime superuser add|remove|list`.
async fn superuser(url: &str, command: SuperuserCommand) -> anyhow::Result<()> {
    let superusers = superusers::Store::new(&StateService::open(url).await?);
    match command {
        SuperuserCommand::Add(args) => {
            let (kind, issuer, value) = args.rule();
            let verb = if superusers.add(kind, issuer, value, &actor()).await? {
                "added superuser"
            } else {
                "already a superuser"
            };
            println!("{verb}: {}", args.describe());
        }
        SuperuserCommand::Remove(args) => {
            let (kind, issuer, value) = args.rule();
            if !superusers.remove(kind, issuer, value).await? {
                return Err(Usage(format!("no such superuser: {}", args.describe())).into());
            }
            println!("removed superuser: {}", args.describe());
        }
        SuperuserCommand::List { json } => {
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
        }
    }
    Ok(())
}

/// `downtime bypass create|list|revoke`.
async fn bypass_links(url: &str, command: BypassCommand) -> anyhow::Result<()> {
    let links = bypass::LinkStore::new(&StateService::open(url).await?);
    let usage = |error: bypass::BypassError| -> anyhow::Error {
        match error {
            bypass::BypassError::Database(e) => e.into(),
            refused => Usage(refused.to_string()).into(),
        }
    };
    match command {
        BypassCommand::Create(args) => {
            let request = bypass::LinkRequest {
                ttl: args.ttl,
                label: args.label,
                next: args.next,
            };
            let new = links.create(request, &actor()).await.map_err(usage)?;
            let base = args.base_url.as_deref().unwrap_or("http://127.0.0.1:3000");
            let link_url = new.url(&format!("{}{}", base.trim_end_matches('/'), args.prefix));
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
        }
        BypassCommand::List { json } => {
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
                println!("{line}");
            }
        }
        BypassCommand::Revoke { id } => {
            let link = links.revoke(id.trim(), &actor()).await.map_err(usage)?;
            println!("revoked bypass link {}", link.id);
        }
    }
    Ok(())
}

fn link_ttl(value: &str) -> Result<Duration, String> {
    let ttl = humantime::parse_duration(value).map_err(|e| format!("{e} (try 2h or 3d)"))?;
    if ttl < Duration::from_secs(1) || ttl > bypass::MAX_TTL {
        return Err("must be between 1s and 30 days".into());
    }
    Ok(ttl)
}

/// clap's message up to its first blank line, on one line, without the `error: ` prefix.
fn first_paragraph(text: &str) -> String {
    let joined = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

impl OnArgs {
    /// What these flags give: the rest comes from the stored window (see `state`), and the
    /// state service checks the rules when switching on.
    fn input(&self, now: DateTime<Utc>) -> anyhow::Result<WindowInput> {
        let ends_at = match (self.for_, self.until) {
            (Some(length), _) => {
                let length =
                    chrono::Duration::from_std(length).map_err(|e| Usage(e.to_string()))?;
                Some(self.from.unwrap_or(now) + length)
            }
            (None, until) => until,
        };
        let given_times = self.from.is_some() || ends_at.is_some();
        let text = |items: &[String]| (!items.is_empty()).then(|| items.to_vec());
        Ok(WindowInput {
            enabled: Some(true),
            mode: self.read_only.then_some(Mode::ReadOnly),
            message: self.message.clone(),
            starts_at: given_times.then_some(self.from),
            ends_at: given_times.then_some(ends_at),
            retry_after_secs: self.retry_after,
            allowed_ips: (!self.allow_ips.is_empty())
                .then(|| self.allow_ips.iter().map(ToString::to_string).collect()),
            open_paths: text(&self.open_paths),
            scope: text(&self.scope),
            status_code: self.status_code,
        })
    }
}

fn window_length(value: &str) -> Result<Duration, String> {
    let length = humantime::parse_duration(value).map_err(|e| format!("{e} (try 45m or 2h)"))?;
    if length < Duration::from_secs(1) || length > Duration::from_secs(366 * 24 * 3600) {
        return Err("must be between 1s and a year".into());
    }
    Ok(length)
}

fn status_code(value: &str) -> Result<u16, String> {
    value
        .parse()
        .ok()
        .filter(|code| crate::state::is_gate_status(*code))
        .ok_or_else(|| format!("{value:?} is not 200 or a server error (500 to 599)"))
}

fn retry_after(value: &str) -> Result<u32, String> {
    let secs = humantime::parse_duration(value)
        .map_err(|e| format!("{e} (try 5m)"))?
        .as_secs();
    u32::try_from(secs)
        .ok()
        .filter(|s| (1..=crate::state::MAX_RETRY_AFTER_SECS).contains(s))
        .ok_or_else(|| "must be between 1s and 7 days".into())
}

fn timestamp(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e} (expected RFC 3339, such as 2026-12-01T02:00:00Z)"))
}

/// `cli:<login name>`, for the audit log.
fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn phase_word(state: &MaintenanceState, now: DateTime<Utc>) -> String {
    match state.phase(now) {
        Phase::Off => "OFF".into(),
        Phase::Active => format!("ON ({})", state.window.mode),
        Phase::Scheduled => format!("SCHEDULED ({})", state.window.mode),
        Phase::Ended => "ENDED (the window is over)".into(),
    }
}

/// One line after `on` or `off`.
fn summary(state: &MaintenanceState, now: DateTime<Utc>) -> String {
    let mut line = format!("maintenance {}", phase_word(state, now));
    if let Some(start) = state.window.starts_at.filter(|s| *s > now) {
        line.push_str(&format!(" from {}", rfc3339(start)));
    }
    if let Some(end) = state.window.ends_at {
        line.push_str(&format!(" until {}", rfc3339(end)));
    }
    line.push_str(&format!(", version {}", state.version));
    line
}

/// The text of `downtime status`.
fn describe(state: &MaintenanceState, now: DateTime<Utc>) -> String {
    let mut out = format!("maintenance: {}\n", phase_word(state, now));
    if let Some(message) = &state.window.message {
        out.push_str(&format!("message:     {message}\n"));
    }
    if let Some(start) = state.window.starts_at {
        out.push_str(&format!("starts:      {}\n", rfc3339(start)));
    }
    if let Some(end) = state.window.ends_at {
        out.push_str(&format!("ends:        {}\n", rfc3339(end)));
    }
    if state.window.enabled {
        out.push_str(&format!(
            "retry after: {}s\n",
            state.window.retry_after_secs
        ));
    }
    out.push_str(&format!(
        "version:     {} (by {} at {})\n",
        state.version,
        state.updated_by,
        rfc3339(state.updated_at)
    ));
    out
}

fn history_line(entry: &AuditEntry) -> String {
    let after = &entry.after.window;
    let what = if after.enabled {
        format!("on ({})", after.mode)
    } else {
        "off".to_owned()
    };
    let mut line = format!(
        "v{:<4} {}  {:<10} {}",
        entry.version,
        rfc3339(entry.at),
        what,
        entry.actor
    );
    if let Some(reason) = &entry.reason {
        line.push_str(&format!("  \"{reason}\""));
    }
    line
}

/// `downtime status --json`: stable names for scripts.
#[derive(serde::Serialize)]
struct StatusJson<'a> {
    active: bool,
    phase: Phase,
    #[serde(flatten)]
    state: &'a MaintenanceState,
}

impl<'a> StatusJson<'a> {
    fn new(state: &'a MaintenanceState, now: DateTime<Utc>) -> Self {
        let phase = state.phase(now);
        StatusJson {
            active: phase == Phase::Active,
            phase,
            state,
        }
    }
}
