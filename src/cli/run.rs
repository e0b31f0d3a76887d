//! `downtime run --for 30m -- CMD ARGS…`: maintenance on around a command (a migration, a
//! deploy), off again when it succeeds. With `--hold`, requests wait while it runs instead of
//! seeing the page, which they get only if it fails or runs too long.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use chrono::{SubsecRound as _, Utc};
use clap::{Args, ValueEnum};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::signal::unix::{SignalKind, signal};

use super::{Exit, actor};
use crate::state::{Change, Mode, WindowInput};

/// What happens to maintenance when the command fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(super) enum OnFailure {
    /// Maintenance stays on, until its `--for` runs out or someone switches it off.
    Stay,
    /// Maintenance goes off.
    Off,
}

#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// The message visitors see (plain text).
    #[arg(long)]
    message: Option<String>,
    /// The fail-safe: the window ends after this long, even if downtime itself is killed
    /// (`30m`, `2h`). Optional with --hold, whose requests wait a bounded time anyway.
    #[arg(long = "for", value_name = "DURATION", value_parser = super::state::window_length, required_unless_present = "hold")]
    for_: Option<Duration>,
    /// Hold requests while the command runs instead of showing the page: for work measured
    /// in seconds, such as a restart or a short migration.
    #[arg(long)]
    hold: bool,
    /// With --hold: the longest each request waits before it gets the page (`30s`, at most
    /// `5m`); the stored one (30 s unless changed) when not given.
    #[arg(long, value_name = "DURATION", value_parser = super::state::hold_timeout, requires = "hold")]
    hold_timeout: Option<u32>,
    /// With --hold: when the command is still running after this long, show the page
    /// (ordinary full maintenance) until it ends (`1m`); by default, after the hold timeout.
    #[arg(long, value_name = "DURATION", value_parser = super::state::window_length, requires = "hold")]
    switch_to_page_after: Option<Duration>,
    /// When the command fails: maintenance stays on, or goes off.
    #[arg(long, value_enum, default_value_t = OnFailure::Stay)]
    on_failure: OnFailure,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

/// The command's end: the exit code to pass on, and a few words for the audit log.
struct Outcome {
    code: u8,
    success: bool,
    words: String,
}

/// Runs `args`: on, the command, then off unless it failed and maintenance should stay.
///
/// # Errors
/// [`Exit`] with the code to end with when the command fails: its own, or 128 + the signal
/// that ended it. Otherwise, the database fails, or the window is invalid (then the command
/// does not run).
pub(super) async fn run(url: &str, args: RunArgs) -> anyhow::Result<()> {
    let actor = actor();
    let name = program_name(&args.command);
    let service = super::database(url).await?;
    let now = Utc::now().trunc_subsecs(0);
    let ends_at = match args.for_ {
        Some(length) => Some(now + chrono::Duration::from_std(length)?),
        None => None,
    };
    let input = WindowInput {
        message: args.message,
        mode: args.hold.then_some(Mode::Hold),
        starts_at: Some(None),
        ends_at: Some(ends_at),
        hold_timeout_secs: args.hold_timeout,
        ..WindowInput::default()
    };
    let change = |words: String| {
        Change::by(actor.clone()).because(Some(format!("downtime run: {name} {words}")))
    };
    let started = service.switch_on(input, change("started".into())).await?;
    let until = ends_at.map_or_else(|| "switched off".to_owned(), |end| end.to_rfc3339());
    let what = if args.hold {
        "holding requests"
    } else {
        "maintenance on"
    };
    eprintln!("downtime: {what} until {until}; running {name}");

    // A hold lasts while the command is quick; past that, visitors are better told.
    let page_after = args.hold.then(|| {
        args.switch_to_page_after
            .unwrap_or(Duration::from_secs(u64::from(
                started.window.hold_timeout_secs,
            )))
    });
    let waited = page_after.map_or(0, |after| after.as_secs());
    let (outcome, holding) = run_watched(&args.command, page_after, || async {
        let still = format!("still running after {waited}s; showing the page");
        show_page(&service, change(still)).await?;
        eprintln!("downtime: {name} still running; showing the maintenance page");
        Ok(())
    })
    .await?;
    eprintln!("downtime: {name} {}", outcome.words);
    if outcome.success || args.on_failure == OnFailure::Off {
        service.switch_off(change(outcome.words)).await?;
        eprintln!("downtime: maintenance off");
    } else if holding {
        // A failed command leaves the site in ordinary maintenance: nobody should wait on it.
        show_page(
            &service,
            change(format!("{}; maintenance stays on", outcome.words)),
        )
        .await?;
        eprintln!(
            "downtime: maintenance stays on, with the page (until its end, or `downtime off`)"
        );
    } else {
        // The same window again, so the failure is in the audit log; it ends at its time.
        service
            .apply(
                service.current().await?.window,
                change(format!("{}; maintenance stays on", outcome.words)),
            )
            .await?;
        eprintln!("downtime: maintenance stays on (until its end, or `downtime off`)");
    }
    match outcome.code {
        0 => Ok(()),
        code => Err(Exit(code).into()),
    }
}

/// The program's name alone, for the audit log: arguments may hold secrets.
fn program_name(command: &[String]) -> String {
    command
        .first()
        .map(|program| {
            Path::new(program)
                .file_name()
                .map_or_else(|| program.clone(), |n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default()
}

/// Runs `command`; if it is still running after `page_after`, calls `show_page` once. Returns
/// how it ended, and whether the page was never shown (the hold still stands).
async fn run_watched<F, Fut>(
    command: &[String],
    page_after: Option<Duration>,
    show_page: F,
) -> anyhow::Result<(Outcome, bool)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let command = run_command(command);
    tokio::pin!(command);
    let Some(page_after) = page_after else {
        return Ok((command.await, false));
    };
    tokio::select! {
        outcome = &mut command => Ok((outcome, true)),
        () = tokio::time::sleep(page_after) => {
            show_page().await?;
            Ok((command.await, false))
        }
    }
}

/// Turns the hold into full maintenance: waiting requests get the page, and so do new ones.
async fn show_page(service: &crate::state::StateService, change: Change) -> anyhow::Result<()> {
    let full = WindowInput {
        mode: Some(Mode::Full),
        ..WindowInput::default()
    };
    service.patch(full, change).await?;
    Ok(())
}

/// Runs the command with this process's terminal, passing SIGINT and SIGTERM on to it.
async fn run_command(command: &[String]) -> Outcome {
    let failed_to_start = |error: std::io::Error| Outcome {
        code: 127,
        success: false,
        words: format!("could not start ({})", error.kind()),
    };
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return failed_to_start(std::io::Error::other("cannot listen for signals"));
    };
    let Some((program, rest)) = command.split_first() else {
        return failed_to_start(std::io::ErrorKind::NotFound.into());
    };
    let mut child = match tokio::process::Command::new(program)
        .args(rest)
        .stdin(Stdio::inherit())
        .spawn()
    {
        Ok(child) => child,
        Err(error) => return failed_to_start(error),
    };
    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .map(Pid::from_raw);
    let forward = |sig: Signal| {
        if let Some(pid) = pid {
            let _ = kill(pid, sig);
        }
    };
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            _ = interrupt.recv() => forward(Signal::SIGINT),
            _ = terminate.recv() => forward(Signal::SIGTERM),
        }
    };
    ended(status)
}

/// What the command's exit status means for `run`'s exit code and the audit log.
fn ended(status: std::io::Result<ExitStatus>) -> Outcome {
    match status {
        Ok(status) => {
            use std::os::unix::process::ExitStatusExt as _;
            match (status.code(), status.signal()) {
                (Some(0), _) => Outcome {
                    code: 0,
                    success: true,
                    words: "succeeded".into(),
                },
                (Some(code), _) => Outcome {
                    code: u8::try_from(code).unwrap_or(1),
                    success: false,
                    words: format!("failed (exit {code})"),
                },
                (None, Some(sig)) => Outcome {
                    code: u8::try_from(128 + sig).unwrap_or(1),
                    success: false,
                    words: format!("ended by signal {sig}"),
                },
                (None, None) => Outcome {
                    code: 1,
                    success: false,
                    words: "ended".into(),
                },
            }
        }
        Err(error) => Outcome {
            code: 1,
            success: false,
            words: format!("could not be waited for ({})", error.kind()),
        },
    }
}
