//! The command line: `downtime serve|on|off|run|status|history|superuser|bypass|migrate|openapi`,
//! and its own documentation: `downtime completions|man`.
//!
//! Exit codes: 0 done; 1 the database failed (unreachable, corrupt, refused); 2 bad usage
//! (unknown flag, bad duration or date, invalid settings), and then nothing is written.

use std::sync::OnceLock;

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

use crate::config::{Config, DatabaseArgs, heading};
use crate::state::{StateService, WriteError};
use crate::telemetry::LogFormat;

mod bypass;
mod docs;
mod run;
mod serve;
mod state;
mod superuser;

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
        default_value_t,
        help_heading = heading::GLOBAL
    )]
    log_format: LogFormat,

    /// Who the audit log says made a change (`cli:<NAME>`); by default the login name.
    #[arg(
        long,
        global = true,
        env = "DOWNTIME_ACTOR",
        value_name = "NAME",
        help_heading = heading::GLOBAL
    )]
    actor: Option<String>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the site behind the gate (the default command).
    Serve(Box<Config>),
    /// Switch maintenance on, now or for a window. What is not given is kept from the stored
    /// window: after `off`, its allowed addresses, open paths, status code and Retry-After.
    On(state::OnArgs),
    /// Hold requests instead of refusing them, for maintenance measured in seconds (a
    /// restart, a short migration): each waits up to --hold-timeout, then gets the page; all
    /// go on when `downtime off` ends the window (or its --for or --until does). Takes the
    /// flags of `on`.
    Hold(state::OnArgs),
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
        /// Exit with 3 while maintenance gates visitors, as `downtime check` does.
        #[arg(long)]
        exit_code: bool,
    },
    /// Exit with 0 while the site is open and 3 while maintenance gates visitors (a full,
    /// read-only or hold window, or a scope, that has started and not ended), for jobs that
    /// should not run meanwhile: `downtime check && ./nightly-report`. Prints the state on one
    /// line.
    Check {
        /// Print nothing; only the exit code tells.
        #[arg(long, short)]
        quiet: bool,
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
    Superuser(superuser::SuperuserCommand),
    /// Hand out secret links that let people without an account past the gate.
    #[command(subcommand)]
    Bypass(bypass::BypassCommand),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Print the OpenAPI document of the control API (the one committed in openapi/).
    Openapi,
    /// Print the shell completion script:
    /// `downtime completions bash > ~/.local/share/bash-completion/completions/downtime`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of `downtime`, or write one page per command into a
    /// directory: `downtime man --dir /usr/local/share/man/man1`.
    Man {
        /// Write `downtime.1` and `downtime-<command>.1` here instead, and list them.
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

/// A usage error found after parsing: printed on one line, exit code 2.
#[derive(Debug)]
struct Usage(String);

/// An exit code to end with, silently: the one `run`'s command ended with, or
/// [`GATED_EXIT_CODE`].
#[derive(Debug, thiserror::Error)]
#[error("exit {0}")]
struct Exit(u8);

/// The exit code of `downtime check` (and `status --exit-code`) while maintenance gates
/// visitors: neither success nor one of the failures (1, 2) every command shares.
pub const GATED_EXIT_CODE: u8 = 3;

/// The command line's definition, as `--help`, the completions and the man page show it.
pub fn command() -> clap::Command {
    docs::hide_env_values(Cli::command())
}

/// Parses the command line; on a usage error prints one line and exits with code 2.
pub fn parse() -> Cli {
    let mut command = command();
    let parsed = command
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|mut matches| Cli::from_arg_matches_mut(&mut matches))
        .map_err(|e| e.format(&mut command));
    match parsed {
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

    /// Runs the command and returns the process's exit code.
    pub async fn run(self) -> u8 {
        match self.dispatch().await {
            Ok(()) => 0,
            Err(error) => exit_code(&error),
        }
    }

    async fn dispatch(self) -> anyhow::Result<()> {
        if let Some(actor) = self.actor.filter(|a| !a.trim().is_empty()) {
            ACTOR.set(actor.trim().to_owned()).ok();
        }
        let url = self.database.database_url;
        let command = match self.command {
            None => Command::Serve(Box::new(
                Config::from_env().map_err(|e| Usage(first_paragraph(&e)))?,
            )),
            Some(command) => command,
        };
        // Named after the command's own output, so an error stays one line.
        let names_database = !matches!(
            command,
            Command::Serve(_)
                | Command::Check { .. }
                | Command::Openapi
                | Command::Completions { .. }
                | Command::Man { .. }
        );
        let done = match command {
            Command::Serve(config) => serve::serve(url.clone(), *config).await,
            Command::On(args) => state::on(&url, args).await,
            Command::Hold(args) => state::hold(&url, args).await,
            Command::Off { reason } => state::off(&url, reason).await,
            Command::Run(args) => run::run(&url, args).await,
            Command::Status { json, exit_code } => state::status(&url, json, exit_code).await,
            Command::Check { quiet } => state::check(&url, quiet).await,
            Command::History { limit, json } => state::history(&url, limit, json).await,
            Command::Superuser(command) => superuser::manage(&url, command).await,
            Command::Bypass(command) => bypass::manage(&url, command).await,
            Command::Migrate => migrate(&url).await,
            Command::Openapi => openapi(),
            Command::Completions { shell } => docs::completions(shell),
            Command::Man { dir } => docs::man(dir.as_deref()),
        };
        if done.is_ok() && names_database {
            eprintln!("database: {}", crate::state::redact(&url));
        }
        done
    }
}

/// The database a command works on, which must exist: only `serve` and `migrate` create one.
pub(super) async fn database(url: &str) -> anyhow::Result<StateService> {
    StateService::open_existing(url).await
}

/// The exit code `error` ends with: `run`'s command's own, silently; otherwise the error is
/// printed on one line, with 2 for bad usage (nothing was written) and 1 for the rest.
fn exit_code(error: &anyhow::Error) -> u8 {
    if let Some(Exit(code)) = error.downcast_ref::<Exit>() {
        return *code;
    }
    if let Some(Usage(message)) = error.downcast_ref::<Usage>() {
        eprintln!("error: {message}");
        return 2;
    }
    if let Some(WriteError::Invalid(invalid)) = error.downcast_ref::<WriteError>() {
        eprintln!("error: {invalid}");
        return 2;
    }
    // The outermost context says what failed, the root cause why; the layers between
    // repeat one another.
    let cause = error.root_cause().to_string();
    if cause == error.to_string() {
        eprintln!("error: {error}");
    } else {
        eprintln!("error: {error}: {cause}");
    }
    1
}

/// `downtime migrate`: opening the state service runs the migrations.
async fn migrate(url: &str) -> anyhow::Result<()> {
    StateService::open(url).await?;
    println!("database is up to date");
    Ok(())
}

/// `downtime openapi`.
fn openapi() -> anyhow::Result<()> {
    println!("{}", crate::api::spec());
    Ok(())
}

/// clap's message up to its first blank line, on one line, without the `error: ` prefix, and
/// its suggestion when it has one (`tip: a similar subcommand exists: 'off'`).
fn first_paragraph(text: &str) -> String {
    let mut joined = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    for tip in text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("tip:"))
    {
        joined.push_str("; ");
        joined.push_str(tip);
    }
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// `cli:<login name>`, for the audit log.
fn actor() -> String {
    let name = ACTOR.get().cloned().unwrap_or_else(login_name);
    format!("cli:{name}")
}

/// `--actor`, once the command line is read.
static ACTOR: OnceLock<String> = OnceLock::new();

/// `$USER`, `$LOGNAME`, the name of the process's uid, or `uid:<n>`: never "unknown", so the
/// audit log can always tell who it was.
fn login_name() -> String {
    let set = |var| {
        std::env::var(var)
            .ok()
            .filter(|v: &String| !v.trim().is_empty())
    };
    set("USER").or_else(|| set("LOGNAME")).unwrap_or_else(|| {
        let uid = nix::unistd::getuid();
        match nix::unistd::User::from_uid(uid) {
            Ok(Some(user)) => user.name,
            _ => format!("uid:{uid}"),
        }
    })
}

/// A time as every command prints it: to the second, in UTC.
fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
