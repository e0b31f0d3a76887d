//! `downtime completions` and `downtime man`: written from the same clap definition as the
//! parser, so they name exactly the commands and flags it takes.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap_complete::Shell;

/// `command` with no environment variable's value shown, in it or its subcommands.
///
/// clap shows an unset variable as `[env: NAME=]`, which reads as set but empty, and a set one
/// with its value, which would put a secret on screen and the build machine's settings in a
/// generated man page; the variable's name is what a reader needs.
pub(super) fn hide_env_values(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| arg.hide_env_values(true))
        .mut_subcommands(hide_env_values)
}

/// `downtime completions SHELL`: the script on standard output.
pub(super) fn completions(shell: Shell) -> anyhow::Result<()> {
    // Into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut super::command(), "downtime", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)
        .and_then(|()| out.flush())
        .context("writing the completions")
}

/// `downtime man`: the page of `downtime` on standard output; with `dir`, one page per command
/// written there, each path printed.
pub(super) fn man(dir: Option<&Path>) -> anyhow::Result<()> {
    // `help` is clap's, not a command of downtime's to document.
    let command = super::command().disable_help_subcommand(true);
    let Some(dir) = dir else {
        let mut out = std::io::stdout().lock();
        page(command)
            .render(&mut out)
            .and_then(|()| out.flush())
            .context("writing the man page")?;
        return Ok(());
    };
    if !dir.is_dir() {
        anyhow::bail!("{} is not a directory", dir.display());
    }
    let mut command = command;
    command.build();
    write_pages(command, dir)
}

/// Writes `command`'s page and its subcommands' into `dir`, printing each path.
fn write_pages(command: clap::Command, dir: &Path) -> anyhow::Result<()> {
    let man = page(command.clone());
    let path = man
        .generate_to(dir)
        .with_context(|| format!("writing {}", dir.join(man.get_filename()).display()))?;
    println!("{}", path.display());
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir)?;
    }
    Ok(())
}

/// The page of `command`, its footer naming downtime (not the subcommand) and the version.
fn page(command: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(command).source(concat!("downtime ", env!("CARGO_PKG_VERSION")))
}
