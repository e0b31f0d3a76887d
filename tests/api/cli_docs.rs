//! The CLI's own documentation: `serve --help`, the shell completions and the man page, and the
//! README's commands that install them.

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::BIN;

/// Runs `downtime args…` in `dir` with no database configured, and waits for it.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("run downtime")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The names of downtime's commands, from the parser's own definition.
fn command_names() -> Vec<String> {
    let names: Vec<String> = downtime::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for name in [
        "serve",
        "on",
        "off",
        "status",
        "bypass",
        "completions",
        "man",
    ] {
        assert!(names.iter().any(|n| n == name), "no `{name}` in {names:?}");
    }
    names
}

#[test]
fn serve_help_groups_its_options_under_headings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_in(dir.path(), &["serve", "--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);

    let headings: Vec<&str> = help
        .lines()
        .filter(|l| !l.starts_with(' ') && l.ends_with(':'))
        .collect();
    assert_eq!(
        headings,
        [
            "Options:",
            "Serving:",
            "Maintenance page:",
            "Proxy (--upstream):",
            "Database and replicas:",
            "Login:",
            "Webhooks:",
            "Observability:",
            "Connections:",
            "HTTPS:",
            "Global options:",
        ],
        "{help}"
    );
    // Only clap's own --help and --version are left without a heading.
    let ungrouped: Vec<&str> = help
        .split("\n\n")
        .skip_while(|block| !block.starts_with("Options:"))
        .take_while(|block| !block.starts_with("Serving:"))
        .flat_map(str::lines)
        .filter(|l| l.trim_start().starts_with('-'))
        .map(str::trim)
        .collect();
    assert_eq!(ungrouped, ["-h, --help", "-V, --version"], "{help}");
    for (heading, flag) in [
        ("Serving:", "--bind <BIND>"),
        ("Proxy (--upstream):", "--upstream <UPSTREAM>"),
        ("Login:", "--secret-key <SECRET_KEY>"),
        ("Database and replicas:", "--poll-interval <POLL_INTERVAL>"),
        ("Observability:", "--metrics-token <METRICS_TOKEN>"),
        ("Global options:", "--database-url <DATABASE_URL>"),
    ] {
        let section = help
            .split(&format!("\n{heading}\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {heading} in {help}"));
        let section = section.split("\n\n\n").next().unwrap_or(section);
        let under = section
            .lines()
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .any(|l| l.trim() == flag);
        assert!(under, "{flag} is not under {heading}: {help}");
    }
}

#[test]
fn serve_help_names_variables_without_values() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = "do-not-print-this-key-0123456789abcdef";
    for help_flag in ["--help", "-h"] {
        let out = run_in(
            dir.path(),
            &["serve", help_flag],
            &[
                ("DOWNTIME_SECRET_KEY", secret),
                ("DOWNTIME_OIDC_CLIENT_SECRET", secret),
                ("DOWNTIME_METRICS_TOKEN", secret),
                ("DOWNTIME_WEBHOOK_SECRET", secret),
                ("DOWNTIME_PREFIX", "/set-by-the-environment"),
            ],
        );
        let help = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{help}");
        // Unset, clap would print `[env: DOWNTIME_BIND=]`, as if set to nothing.
        assert!(!help.contains("=]"), "{help}");
        assert!(help.contains("[env: DOWNTIME_BIND]"), "{help}");
        assert!(help.contains("[env: DOWNTIME_SECRET_KEY]"), "{help}");
        assert!(!help.contains(secret), "a secret is shown: {help}");
        assert!(!help.contains("/set-by-the-environment"), "{help}");
    }
    assert!(
        !dir.path().join("downtime.db").exists(),
        "--help made a database"
    );
}

#[test]
fn bash_completions_are_valid_bash_and_name_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_in(dir.path(), &["completions", "bash"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let script = stdout(&out);
    let file = dir.path().join("downtime.bash");
    std::fs::write(&file, &script).expect("write the script");
    let checked = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("CI has bash");
    assert!(
        checked.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(script.contains("complete -F _downtime"), "{script}");
    for name in command_names() {
        assert!(
            script.contains(&format!("downtime__subcmd__{name}")),
            "no {name}"
        );
    }
    // And the flags of `serve`, which the parser takes.
    assert!(script.contains("--upstream"), "{script}");
    assert!(
        !dir.path().join("downtime.db").exists(),
        "completions made a database"
    );
    // Nothing for stderr, so nothing ends up in the script when both are redirected.
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn zsh_and_fish_completions_name_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let zsh = stdout(&run_in(dir.path(), &["completions", "zsh"], &[]));
    assert!(zsh.starts_with("#compdef downtime"), "{zsh}");
    let fish = stdout(&run_in(dir.path(), &["completions", "fish"], &[]));
    for name in command_names() {
        assert!(zsh.contains(&format!("'{name}:")), "zsh: no {name}");
        assert!(fish.contains(&format!("-a \"{name}\"")), "fish: no {name}");
    }
    let unknown = run_in(dir.path(), &["completions", "tcsh"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn the_man_page_is_roff_and_lists_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_in(dir.path(), &["man"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    assert!(page.contains("\n.TH downtime 1 "), "{page}");
    let commands = page
        .split(".SH SUBCOMMANDS")
        .nth(1)
        .expect("a SUBCOMMANDS section");
    for name in command_names() {
        assert!(
            commands.contains(&format!("downtime\\-{name}(1)")),
            "no {name}: {commands}"
        );
    }
    assert!(!commands.contains("downtime\\-help(1)"), "{commands}");
    assert!(page.contains("\\fBDATABASE_URL\\fR environment variable"));
}

#[test]
fn man_dir_writes_a_page_per_command_and_names_each() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_in(dir.path(), &["man", "--dir", "."], &[]);
    assert_eq!(out.status.code(), Some(0));
    let written: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    assert!(written.contains(&"./downtime.1".to_owned()), "{written:?}");
    for name in command_names() {
        assert!(
            written.contains(&format!("./downtime-{name}.1")),
            "{name}: {written:?}"
        );
    }
    assert!(written.contains(&"./downtime-bypass-create.1".to_owned()));
    for path in &written {
        let page = std::fs::read_to_string(dir.path().join(path)).expect("a written page");
        assert!(page.contains("\n.TH "), "{path}");
    }
    let serve = std::fs::read_to_string(dir.path().join("downtime-serve.1")).expect("serve");
    assert!(serve.contains("\n.SH \"PROXY (--UPSTREAM)\"\n"), "{serve}");
    let title = format!(
        "\n.TH downtime-serve 1  \"downtime {}\"",
        env!("CARGO_PKG_VERSION")
    );
    assert!(serve.contains(&title), "{serve}");
    assert!(serve.contains("\\fBDOWNTIME_SECRET_KEY\\fR environment variable"));

    let missing = run_in(dir.path(), &["man", "--dir", "no/such/dir"], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr).trim(),
        "error: no/such/dir is not a directory"
    );
}

/// The README's commands that install the completions and the man page, run as written.
#[test]
fn the_readme_installs_completions_and_the_man_page() {
    let readme = include_str!("../../README.md");
    let section = readme
        .split("### Shell completions and the man page")
        .nth(1)
        .expect("the README's section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a sh block");
    let home = tempfile::tempdir().expect("temp dir");
    let bin = Path::new(BIN).parent().expect("the binary's directory");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", block])
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("PATH", path)
        .env_remove("DATABASE_URL")
        .output()
        .expect("CI has bash");
    assert!(
        out.status.success(),
        "{block}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = |rel: &str| {
        std::fs::read_to_string(home.path().join(rel))
            .unwrap_or_else(|e| panic!("{rel} not installed: {e}"))
    };
    assert!(installed(".local/share/bash-completion/completions/downtime").contains("_downtime"));
    assert!(installed(".zfunc/_downtime").starts_with("#compdef downtime"));
    assert!(installed(".config/fish/completions/downtime.fish").contains("complete -c downtime"));
    assert!(installed(".local/share/man/man1/downtime-serve.1").contains(".TH "));
    assert!(!home.path().join("downtime.db").exists());
}
