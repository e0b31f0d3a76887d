//! The README's sections on running behind a load balancer, on logging in with a provider and
//! on hold windows: every flag they name is one downtime has, and every command they show is
//! one it accepts.

use clap::{CommandFactory as _, Parser as _};
use downtime::cli::Cli;

const README: &str = include_str!("../../README.md");
const SECTIONS: [&str; 3] = [
    "## Behind a load balancer or TLS terminator",
    "## Log in with your provider",
    "## Hold instead of refuse",
];

/// The text of the section that starts with `heading`, up to the next `## ` heading.
fn section(heading: &str) -> &'static str {
    let start = README
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("no {heading:?} in the README"));
    let body = &README[start + 1..];
    let end = body[heading.len()..]
        .find("\n## ")
        .map_or(body.len(), |at| at + heading.len());
    &body[..end]
}

/// Every long flag of every command, `--help` aside.
fn known_flags() -> Vec<String> {
    fn walk(command: &clap::Command, flags: &mut Vec<String>) {
        for arg in command.get_arguments() {
            if let Some(long) = arg.get_long() {
                flags.push(format!("--{long}"));
            }
        }
        for sub in command.get_subcommands() {
            walk(sub, flags);
        }
    }
    let mut flags = Vec::new();
    walk(&Cli::command(), &mut flags);
    flags
}

/// `line` split into words as a POSIX shell splits them (quotes removed, nothing expanded, a
/// comment dropped).
fn words(line: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut started) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '#') if !started => break,
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (_, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quote in {line:?}");
    if started {
        words.push(word);
    }
    words
}

/// The `downtime …` commands of a section: in its shell blocks (continued lines joined) and in
/// its inline code.
fn commands(text: &str) -> Vec<String> {
    let mut commands = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            in_shell = trimmed == "```sh";
            continue;
        }
        if in_shell {
            pending.push_str(trimmed.trim_end_matches('\\'));
            pending.push(' ');
            if !trimmed.ends_with('\\') {
                if pending.starts_with("downtime ") {
                    commands.push(pending.trim().to_owned());
                }
                pending.clear();
            }
        }
    }
    for (i, span) in text.split('`').enumerate() {
        if i % 2 == 1 && span.starts_with("downtime ") {
            commands.push(span.to_owned());
        }
    }
    commands
}

#[test]
fn every_flag_the_edge_and_login_sections_name_exists() {
    let known = known_flags();
    for heading in SECTIONS {
        let text = section(heading);
        let mut named = 0;
        for (at, _) in text.match_indices("`--") {
            let flag: String = text[at + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            assert!(
                known.contains(&flag),
                "{heading}: {flag} is no flag of downtime"
            );
            named += 1;
        }
        assert!(named > 5, "{heading}: the flags were not found");
    }
}

#[test]
fn every_command_the_edge_and_login_sections_show_parses() {
    let mut parsed = 0;
    for heading in SECTIONS {
        for command in commands(section(heading)) {
            if let Err(error) = Cli::try_parse_from(words(&command)) {
                panic!("{heading}: {command:?} is refused: {error}");
            }
            parsed += 1;
        }
    }
    assert!(parsed >= 4, "the commands were not found");
}

#[test]
fn the_shell_splitter_keeps_quoted_words_whole() {
    assert_eq!(
        words(r#"downtime on --message "Back soon" --for '45m'"#),
        ["downtime", "on", "--message", "Back soon", "--for", "45m"]
    );
    assert_eq!(words("a \"\" b"), ["a", "", "b"]);
    assert_eq!(words("downtime off   # and back"), ["downtime", "off"]);
    assert_eq!(words("a#b"), ["a#b"]);
}
