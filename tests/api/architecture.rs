//! The module directions written in `src/lib.rs`, checked against the crate's own imports: a
//! change that brings back a circle between top-level modules, or an import the directions
//! forbid, fails here rather than in review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each top-level module may not import (from `src/lib.rs`); `None` for a leaf, which
/// imports nothing else from the crate.
const FORBIDDEN: &[(&str, Option<&[&str]>)] = &[
    ("http", None),
    ("path", None),
    (
        "state",
        Some(&[
            "http", "gate", "auth", "api", "web", "admin", "proxy", "app", "bypass", "webhook",
            "metrics", "acme",
        ]),
    ),
    (
        "gate",
        Some(&["auth", "api", "admin", "proxy", "app", "metrics"]),
    ),
    ("auth", Some(&["api", "web", "admin", "proxy", "app"])),
    ("web", Some(&["auth", "api", "admin", "app"])),
    (
        "bypass",
        Some(&["gate", "auth", "api", "web", "admin", "proxy", "app"]),
    ),
    ("proxy", Some(&["auth", "api", "admin", "app", "config"])),
    (
        "webhook",
        Some(&["gate", "auth", "api", "web", "admin", "proxy", "app"]),
    ),
    // ACME reads and writes its tables and hands certificates to the server loop; nothing
    // of the site's requests.
    (
        "acme",
        Some(&[
            "gate", "auth", "api", "web", "admin", "proxy", "app", "bypass", "webhook", "metrics",
            "config",
        ]),
    ),
    ("api", Some(&["web", "admin", "app"])),
    ("admin", Some(&["api", "app"])),
    // The request helpers live in `http`: telemetry needs nothing else.
    (
        "telemetry",
        Some(&[
            "state", "gate", "auth", "api", "web", "admin", "proxy", "app", "bypass", "webhook",
            "metrics", "acme",
        ]),
    ),
];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text without its `#[cfg(test)] mod … { … }` blocks: tests may import anything.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let Some(open) = after.find('{').filter(|o| after[..*o].contains("mod ")) else {
            out.push_str("#[cfg(test)]");
            rest = &after["#[cfg(test)]".len()..];
            continue;
        };
        let mut depth = 0usize;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Each top-level module and the other top-level modules it imports (`crate::x`).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| f.strip_prefix(&src).ok()?.components().next())
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(first) = file
            .strip_prefix(&src)
            .ok()
            .and_then(|r| r.components().next())
        else {
            continue;
        };
        let me = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if !modules.contains(&me) {
            continue;
        }
        let text = without_tests(&std::fs::read_to_string(file).expect("read"));
        let uses = graph.entry(me.clone()).or_default();
        for (at, _) in text.match_indices("crate::") {
            let name: String = text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if name != me && modules.contains(&name) {
                uses.insert(name);
            }
        }
    }
    graph
}

#[test]
fn modules_import_only_what_the_directions_in_lib_rs_allow() {
    let graph = imports();
    let mut broken = Vec::new();
    for (module, forbidden) in FORBIDDEN {
        let uses = graph.get(*module).cloned().unwrap_or_default();
        match forbidden {
            None if !uses.is_empty() => {
                broken.push(format!("{module} is a leaf but imports {uses:?}"))
            }
            None => {}
            Some(forbidden) => {
                for other in uses.iter().filter(|u| forbidden.contains(&u.as_str())) {
                    broken.push(format!("{module} imports {other}"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "imports against src/lib.rs: {broken:#?}");
}

#[test]
fn no_two_top_level_modules_import_each_other_even_through_others() {
    let graph = imports();
    // Every module that can reach itself lies on a circle.
    let reaches = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = graph
            .get(from)
            .map(|u| u.iter().map(String::as_str).collect())
            .unwrap_or_default();
        while let Some(next) = todo.pop() {
            if seen.insert(next.to_owned()) {
                todo.extend(graph.get(next).into_iter().flatten().map(String::as_str));
            }
        }
        seen
    };
    let circular: Vec<&String> = graph.keys().filter(|m| reaches(m).contains(*m)).collect();
    assert!(
        circular.is_empty(),
        "modules on an import circle: {circular:?}"
    );
}

#[test]
fn the_checker_sees_imports_and_skips_test_modules() {
    let text = "use crate::state::Live;\n#[cfg(test)]\nmod tests {\n    use crate::api::X;\n    fn f() { if true { } }\n}\nfn g() -> crate::http::Problem { todo!() }\n";
    let kept = without_tests(text);
    assert!(kept.contains("crate::state") && kept.contains("crate::http"));
    assert!(!kept.contains("crate::api"), "{kept}");
    let graph = imports();
    assert!(graph["gate"].contains("state"), "the gate reads the state");
    assert!(graph["app"].len() > 5, "the builder assembles the rest");
}
