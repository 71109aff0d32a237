//! Running the built binary in tests: one helper for every test file that runs the CLI.
//! Included with `#[path = "support/cli.rs"] mod cli;` so it needs none of the emulator.

#![allow(dead_code)]

use std::process::Command;

/// Runs `logposture ARGS`; returns exit code (-1 if killed), stdout and stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run logposture: {e}"));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A results.json the tool wrote, read and validated against the shipped JSON Schema
/// (`src/model/results.schema.json`): every results.json a test reads goes through here.
pub fn read_results(path: impl AsRef<std::path::Path>) -> std::io::Result<String> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)?;
    if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) {
        assert_results_schema(&doc, &path.display().to_string());
    }
    Ok(text)
}

/// Panics with every schema error of `doc`, naming `what`.
pub fn assert_results_schema(doc: &serde_json::Value, what: &str) {
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let v = VALIDATOR.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(logposture::model::output::RESULTS_SCHEMA)
                .unwrap_or_else(|e| panic!("results.schema.json is not JSON: {e}"));
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("results.schema.json does not compile: {e}"))
    });
    let errors: Vec<String> = v
        .iter_errors(doc)
        .take(20)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not follow results.schema.json:\n{}",
        errors.join("\n")
    );
}

/// The built-in cost model with only the `[figure.NAME]` tables `keep` accepts (tests remove
/// figures to prove what reads them).
pub fn builtin_cost_model_keeping(keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in logposture::estimate::model::BUILTIN.lines() {
        if let Some(name) = line
            .strip_prefix("[figure.")
            .and_then(|r| r.strip_suffix(']'))
        {
            skipping = !keep(name);
        } else if line.starts_with('[') {
            skipping = false;
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Starts `logposture evaluate -q SNAPSHOT --output OUT ARGS...` without waiting for it: the
/// parallel writers of a history. Its stderr is piped for the failure message.
pub fn spawn_evaluate(
    snapshot: &std::path::Path,
    out: &std::path::Path,
    args: &[&str],
) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args(["evaluate", "-q"])
        .arg(snapshot)
        .arg("--output")
        .arg(out)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run logposture: {e}"))
}
