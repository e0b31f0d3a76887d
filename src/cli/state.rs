//! `downtime on|off|status|history`: the switch, and what it says about the state.

use std::time::Duration;

use chrono::{DateTime, SubsecRound as _, Utc};
use clap::Args;

use super::{Exit, GATED_EXIT_CODE, Usage, actor, rfc3339};
use crate::state::{AuditEntry, Change, MaintenanceState, Mode, Phase, WindowInput};

#[derive(Debug, Args)]
pub(super) struct OnArgs {
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
    /// In a hold window, the longest each request waits before it gets the maintenance
    /// answer (`30s`, at most `5m`); kept for later windows like `--retry-after`.
    #[arg(long, value_name = "DURATION", value_parser = hold_timeout)]
    hold_timeout: Option<u32>,
    /// Why, for the audit log.
    #[arg(long)]
    reason: Option<String>,
}

/// `downtime on`: the flags are checked before the database is opened, so a bad one writes
/// nothing.
pub(super) async fn on(url: &str, args: OnArgs) -> anyhow::Result<()> {
    let input = args.input(Utc::now().trunc_subsecs(0))?;
    switch_on(url, input, args.reason).await
}

/// `downtime hold`: `on` in hold mode.
pub(super) async fn hold(url: &str, args: OnArgs) -> anyhow::Result<()> {
    if args.read_only {
        return Err(Usage("--read-only does not go with hold: a hold window holds every request full maintenance would refuse".into()).into());
    }
    let mut input = args.input(Utc::now().trunc_subsecs(0))?;
    input.mode = Some(Mode::Hold);
    switch_on(url, input, args.reason).await
}

async fn switch_on(url: &str, input: WindowInput, reason: Option<String>) -> anyhow::Result<()> {
    let service = super::database(url).await?;
    let state = service
        .switch_on(input, Change::by(actor()).because(reason))
        .await?;
    println!("{}", summary(&state, Utc::now()));
    Ok(())
}

/// `downtime off`.
pub(super) async fn off(url: &str, reason: Option<String>) -> anyhow::Result<()> {
    let service = super::database(url).await?;
    let state = service
        .switch_off(Change::by(actor()).because(reason))
        .await?;
    println!("{}", summary(&state, Utc::now()));
    Ok(())
}

/// `downtime status`.
pub(super) async fn status(url: &str, json: bool, exit_code: bool) -> anyhow::Result<()> {
    let state = super::database(url).await?.current().await?;
    let now = Utc::now();
    if json {
        let status = StatusJson::new(&state, now);
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", describe(&state, now));
    }
    if exit_code {
        gated_exit(&state, now)
    } else {
        Ok(())
    }
}

/// `downtime check`.
pub(super) async fn check(url: &str, quiet: bool) -> anyhow::Result<()> {
    let state = super::database(url).await?.current().await?;
    let now = Utc::now();
    if !quiet {
        println!("{}", summary(&state, now));
    }
    gated_exit(&state, now)
}

/// Ends with [`GATED_EXIT_CODE`] while `state` gates visitors at `now`.
fn gated_exit(state: &MaintenanceState, now: DateTime<Utc>) -> anyhow::Result<()> {
    if state.is_active(now) {
        return Err(Exit(GATED_EXIT_CODE).into());
    }
    Ok(())
}

/// `downtime history`.
pub(super) async fn history(url: &str, limit: u64, json: bool) -> anyhow::Result<()> {
    let entries = super::database(url).await?.history(limit, None).await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
    } else if entries.is_empty() {
        println!("no changes yet");
    } else {
        for entry in &entries {
            println!("{}", history_line(entry));
        }
    }
    Ok(())
}

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
            hold_timeout_secs: self.hold_timeout,
        })
    }
}

/// A window's length, for `on --for` and `run --for`.
pub(super) fn window_length(value: &str) -> Result<Duration, String> {
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

/// A hold timeout, for `hold --hold-timeout` and `run --hold-timeout`.
pub(super) fn hold_timeout(value: &str) -> Result<u32, String> {
    use crate::state::{MAX_HOLD_TIMEOUT_SECS, MIN_HOLD_TIMEOUT_SECS};
    let secs = humantime::parse_duration(value)
        .map_err(|e| format!("{e} (try 30s)"))?
        .as_secs();
    u32::try_from(secs)
        .ok()
        .filter(|s| (MIN_HOLD_TIMEOUT_SECS..=MAX_HOLD_TIMEOUT_SECS).contains(s))
        .ok_or_else(|| {
            format!("must be between {MIN_HOLD_TIMEOUT_SECS}s and {MAX_HOLD_TIMEOUT_SECS}s")
        })
}

fn timestamp(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("{e} (expected RFC 3339, such as 2026-12-01T02:00:00Z)"))
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
    if state.window.enabled && state.window.mode == Mode::Hold {
        out.push_str(&format!(
            "holds each:  up to {}s\n",
            state.window.hold_timeout_secs
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
