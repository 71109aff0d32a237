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
