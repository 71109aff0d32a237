//! The stages import one way, read from the crate's own `crate::`/`super::` paths:
//!
//! ```text
//! support → inventory → model → { collect, demo | evaluate | attribute } → estimate → history → render → app
//! ```
//!
//! A stage imports only the stages listed for it below; rule files are leaves (a rule never
//! imports another rule: what two rules share lives in the evaluation index). Test modules at
//! the end of a file (`#[cfg(test)] mod tests`) are left out: a test may build a whole run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The stage of a module path (`evaluate::rules::dns_query_logs` → `evaluate`).
fn stage_of(module: &[String]) -> &'static str {
    match module.first().map(String::as_str) {
        Some("support") => "support",
        Some("inventory") => "inventory",
        Some("model") => "model",
        Some("collect") => "collect",
        Some("demo") => "demo",
        Some("evaluate") => "evaluate",
        Some("attribute") => "attribute",
        Some("estimate") => "estimate",
        Some("history") => "history",
        Some("render") => "render",
        // Command wiring: may use every stage.
        Some(
            "app" | "cli" | "merge" | "compare" | "checks_cmd" | "history_cmd" | "pricing_cmd"
            | "export_cmd" | "main" | "lib",
        )
        | None => "app",
        Some("timestamp") => panic!("timestamp lives in support"),
        Some(other) => {
            panic!("module `{other}` belongs to no stage: add it to tests/architecture.rs")
        }
    }
}

/// What each stage may import besides itself.
fn allowed(stage: &str) -> &'static [&'static str] {
    match stage {
        "support" => &[],
        "inventory" => &["support"],
        "model" => &["inventory", "support"],
        "collect" | "demo" => &["inventory", "support"],
        "evaluate" | "attribute" => &["model", "inventory", "support"],
        "estimate" => &["model", "inventory", "support"],
        // The posture history stores results; it reads no Azure and renders nothing.
        "history" => &["model", "inventory", "support"],
        "render" => &["model", "inventory", "support"],
        _ => &["*"],
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src is readable") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/evaluate/rules/mod.rs` → `[evaluate, rules]`; `src/lib.rs` → `[]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file's code before its trailing test module.
fn code_without_tests(text: &str) -> &str {
    let mut at = text.len();
    for (i, _) in text.match_indices("#[cfg(test)]") {
        if text[i..]
            .trim_start_matches("#[cfg(test)]")
            .trim_start()
            .starts_with("mod tests")
        {
            at = i;
            break;
        }
    }
    &text[..at]
}

/// Every module a file's code names through `crate::` or `super::` (grouped `use a::{b, c}`
/// counts each member), resolved to an absolute module path. Only the path's leading
/// lowercase segments are kept: `crate::model::Finding` → `model`.
fn references(module: &[String], code: &str) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        for (i, _) in code.match_indices(start) {
            // Only whole words: not `my_crate::` nor `pub(crate)`.
            if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
                continue;
            }
            let rest = &code[i..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let path: Vec<&str> = rest[..end].split("::").filter(|s| !s.is_empty()).collect();
            let mut base: Vec<String> = if path[0] == "crate" {
                Vec::new()
            } else {
                // `super` from `a/b.rs` (module a::b) is `a`; from `a/b/mod.rs` also `a`.
                let mut b = module.to_vec();
                b.pop();
                b
            };
            let mut segs = path[1..].iter().peekable();
            while segs.peek() == Some(&&"super") {
                segs.next();
                base.pop();
            }
            let lower: Vec<String> = segs
                .take_while(|s| s.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .map(|s| s.to_string())
                .collect();
            // `use super::{a, b}`: the members follow the brace.
            if rest[end..].starts_with('{') && lower.is_empty() {
                let close = rest[end..].find('}').unwrap_or(0);
                for m in rest[end + 1..end + close].split(',') {
                    let m = m.trim().split("::").next().unwrap_or("");
                    if m.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && m != "self" {
                        let mut p = base.clone();
                        p.push(m.to_string());
                        out.insert(p);
                    }
                }
            }
            let mut p = base;
            p.extend(lower);
            out.insert(p);
        }
    }
    out
}

/// Items are functions or modules: keep only the prefix that is a module of the crate.
fn known_module(p: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    let mut p = p.to_vec();
    while !p.is_empty() && !modules.contains(&p) {
        p.pop();
    }
    p
}

#[test]
fn stages_import_one_way_and_rules_are_leaves() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut problems = BTreeSet::new();
    let mut stage_edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("readable");
        let module = module_of(&src, f);
        let from = stage_of(&module);
        let shown = f
            .strip_prefix(src.parent().unwrap())
            .unwrap()
            .display()
            .to_string();
        for r in references(&module, code_without_tests(&text)) {
            let target = known_module(&r, &modules);
            let to = stage_of(&target);
            if to != from {
                stage_edges.entry(from).or_default().insert(to);
                let ok = allowed(from);
                if !ok.contains(&"*") && !ok.contains(&to) {
                    problems.insert(format!(
                        "{shown} ({from}) imports {} ({to})",
                        target.join("::")
                    ));
                }
            }
            // Rule files are leaves.
            let is_rule = |m: &[String]| m.len() == 3 && m[0] == "evaluate" && m[1] == "rules";
            if is_rule(&module) && is_rule(&target) && target != module {
                problems.insert(format!(
                    "{shown} (a rule) imports the rule {}: shared indexes belong in evaluate::index",
                    target.join("::")
                ));
            }
        }
    }
    // No cycle between stages (implied by the table; checked so a loosened table cannot hide one).
    fn reaches<'a>(
        g: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        from: &'a str,
        to: &str,
        seen: &mut BTreeSet<&'a str>,
    ) -> bool {
        g.get(from)
            .into_iter()
            .flatten()
            .any(|&n| n == to || (seen.insert(n) && reaches(g, n, to, seen)))
    }
    for (&a, outs) in &stage_edges {
        for &b in outs {
            if reaches(&stage_edges, b, a, &mut BTreeSet::new()) {
                problems.insert(format!("import cycle between stages {a} and {b}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_reader_resolves_grouped_and_relative_paths() {
    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let refs = references(
        &m("evaluate::rules::dns"),
        "use super::{and_list, flow_logs::X, Rule};\nuse crate::model::Finding; pub(crate) fn f() {}",
    );
    assert!(refs.contains(&m("evaluate::rules::flow_logs")), "{refs:?}");
    assert!(refs.contains(&m("evaluate::rules::and_list")), "{refs:?}");
    assert!(refs.contains(&m("model")), "{refs:?}");
    assert!(
        !refs.iter().any(|r| r.is_empty()),
        "pub(crate) is no path: {refs:?}"
    );
}
