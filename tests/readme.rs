//! The README's claims, checked against the tool, so they cannot drift: the quick-start command
//! writes every file the README says it does with the exit code it says, the fix-plan count is
//! the demo's, every `(default X)` in the flags table is the CLI's default, and CI runs the
//! README's test command. (The printed page count is checked in tests/report_width.rs.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cli.rs"]
mod cli;

use clap::CommandFactory;
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The two set-up commands: the first two ```sh blocks of the quick start.
fn quick_start() -> (String, String) {
    let text = readme();
    let start = text.find("## Quick start").unwrap();
    let blocks: Vec<&str> = text[start..]
        .split("```sh\n")
        .skip(1)
        .take(2)
        .map(|b| b.split("```").next().unwrap().trim())
        .collect();
    (blocks[0].to_string(), blocks[1].to_string())
}

#[test]
fn the_quick_start_writes_what_the_readme_lists() {
    let (demo, tests) = quick_start();
    let args = demo
        .strip_prefix("cargo run --release -- ")
        .expect("the demo command runs the binary through cargo");
    let out = tempfile::tempdir().unwrap();
    let mut argv: Vec<&str> = args.split_whitespace().collect();
    let dir = out.path().display().to_string();
    argv.extend(["--output", &dir, "--quiet"]);
    let (code, _, err) = cli::run(&argv);
    let text = readme();
    let listed = text
        .split_once("The demo writes `./logposture-report/` with ")
        .unwrap()
        .1
        .split_once("exits with code ")
        .unwrap();
    let stated_code: i32 = listed.1[..1].parse().unwrap();
    assert_eq!(code, stated_code, "{err}");
    let names: Vec<&str> = listed
        .0
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|n| n.contains('.') || n.ends_with('/'))
        .collect();
    assert!(names.len() >= 8, "{names:?}");
    for n in names {
        let n = n.trim_end_matches('/');
        if n == "tenant.sh" {
            assert!(out.path().join("remediation").join(n).exists());
            continue;
        }
        assert!(
            out.path().join(n).exists(),
            "the README lists {n}; the demo did not write it"
        );
    }
    // "2 of the demo's 4"
    let (plans, subs) = listed
        .0
        .split_once(" of the demo's ")
        .map(|(a, b)| {
            (
                a.rsplit(' ').next().unwrap().parse::<usize>().unwrap(),
                b.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap(),
            )
        })
        .unwrap();
    let written = std::fs::read_dir(out.path().join("remediation"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sh") && n != "tenant.sh")
        .count();
    assert_eq!(written, plans);
    assert_eq!(logposture::demo::snapshot().scope.subscriptions.len(), subs);
    // CI runs the README's test command.
    let ci =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == tests),
        "{tests:?} not in .ci/run"
    );
}

#[test]
fn every_default_the_readme_states_is_the_clis() {
    let text = readme();
    let cmd = logposture::cli::Cli::command();
    let mut args: Vec<clap::Arg> = Vec::new();
    fn collect(c: &clap::Command, out: &mut Vec<clap::Arg>) {
        out.extend(c.get_arguments().cloned());
        for s in c.get_subcommands() {
            collect(s, out);
        }
    }
    collect(&cmd, &mut args);
    let mut checked = 0;
    for line in text.lines().filter(|l| l.starts_with("| `--")) {
        let cell = line.split(" | ").next().unwrap();
        // Each "`--flag VALUE` (default X)" in the first cell.
        for part in cell.split("`--").skip(1) {
            let Some((flag, rest)) = part.split_once('`') else {
                continue;
            };
            let name = flag.split([' ', '=']).next().unwrap();
            let Some(default) = rest.trim_start().strip_prefix("(default") else {
                continue;
            };
            let stated = default
                .split(')')
                .next()
                .unwrap()
                .trim_start_matches(':')
                .trim()
                .trim_matches('`');
            let arg = args
                .iter()
                .find(|a| a.get_long() == Some(name))
                .unwrap_or_else(|| panic!("README names --{name}, the CLI has no such flag"));
            let actual: Vec<String> = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            match actual.as_slice() {
                [] => assert_eq!(
                    stated, "adaptive",
                    "--{name} has no fixed default; the README says {stated}"
                ),
                [v] => assert_eq!(stated, v, "--{name}: README says {stated}, the CLI {v}"),
                more => panic!("--{name}: several defaults {more:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} defaults found in the README");
}
