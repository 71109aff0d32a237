//! What a scheduled user meets over months: suppressions that expire, results files from
//! other versions, shards scanned far apart, output folders reused and tampered with, a
//! history written by parallel runs, and pipes closed early. Each runs the real binary (or
//! the same `app::run` in-process, where the test must know the process id).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cli.rs"]
mod cli;

use cli::run;
use logposture::model::Results;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn results_in(dir: &Path) -> Results {
    let text = cli::read_results(dir.join("results.json")).unwrap();
    logposture::app::parse_results("results.json", &text).unwrap()
}

#[test]
fn expired_and_unmatched_suppressions_keep_every_report_and_the_exit_code() {
    let t = tmp();
    let supp = t.path().join("suppressions.toml");
    std::fs::write(
        &supp,
        r#"
[[suppression]]
check = "LP-RET-001"
reason = "expired, no resource"
owner = "ops"
expires = 2020-01-01

[[suppression]]
check = "LP-RET-001"
resource = "/subscriptions/00000000-0000-0000-0000-000000000000/nothing"
reason = "unmatched, with resource"
owner = "ops"
expires = 2099-01-01

[[suppression]]
check = "LP-NW-001"
resource = "/subscriptions/00000000-0000-0000-0000-000000000000/gone"
reason = "expired, with resource"
owner = "ops"
expires = 2021-06-30

[[suppression]]
check = "LP-RES-001"
reason = "unmatched or active, no resource"
owner = "ops"
expires = 2099-01-01
"#,
    )
    .unwrap();
    let plain = t.path().join("plain");
    let (code_plain, _, _) = run(&["scan", "--demo", "-q", "--output", &s(&plain)]);
    let out = t.path().join("out");
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "-q",
        "--output",
        &s(&out),
        "--suppressions",
        &s(&supp),
    ]);
    assert_eq!(code, code_plain, "{err}");
    assert_eq!(code, 1, "{err}");
    for f in [
        "report.html",
        "report.md",
        "results.json",
        "findings.csv",
        "remediation",
        "attribution.json",
        "attribution.csv",
    ] {
        assert!(out.join(f).exists(), "{f} missing: {err}");
    }
    let r = results_in(&out);
    let state = |reason: &str| {
        r.statement
            .suppressions
            .iter()
            .find(|x| x.reason == reason)
            .map(|x| x.state.clone())
    };
    assert_eq!(state("expired, no resource").as_deref(), Some("expired"));
    assert_eq!(state("expired, with resource").as_deref(), Some("expired"));
    assert_eq!(
        state("unmatched, with resource").as_deref(),
        Some("unmatched")
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("expired, no resource (owner ops, expires 2020-01-01, expired)"));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("unmatched, with resource"));
}

#[test]
fn a_results_file_of_an_unknown_schema_version_is_refused() {
    let t = tmp();
    let shard = t.path().join("a");
    run(&[
        "scan",
        "--demo",
        "-q",
        "--output",
        &s(&shard),
        "--format",
        "json",
    ]);
    let text = cli::read_results(shard.join("results.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["schema_version"] = Value::from(99);
    let future = t.path().join("future.json");
    std::fs::write(&future, serde_json::to_string(&v).unwrap()).unwrap();
    let out = t.path().join("out");
    let (code, _, err) = run(&["merge", &s(&future), "--output", &s(&out)]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("future.json") && err.contains("schema_version 99"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "-q",
        "--output",
        &s(&out),
        "--compare",
        &s(&future),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("future.json") && err.contains("schema_version 99"),
        "{err}"
    );
    assert!(!out.join("results.json").exists());
}

/// Two shards of the demo, the second's scan window moved `days_apart` days later.
fn shards(dir: &Path, days_apart: i64) -> (PathBuf, PathBuf) {
    let mut paths = Vec::new();
    for (k, shift) in [(1, 0), (2, days_apart)] {
        let out = dir.join(format!("shard{k}"));
        run(&[
            "scan",
            "--demo",
            "-q",
            "--shard",
            &format!("{k}/2"),
            "--output",
            &s(&out),
            "--format",
            "json",
        ]);
        let path = out.join("results.json");
        let mut v: Value = serde_json::from_str(&cli::read_results(&path).unwrap()).unwrap();
        for field in ["started_at", "finished_at"] {
            let t = time::OffsetDateTime::parse(
                v[field].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
                + time::Duration::days(shift);
            v[field] = Value::from(logposture::support::timestamp::format(t));
        }
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        paths.push(path);
    }
    (paths.remove(0), paths.remove(0))
}

#[test]
fn merging_shards_scanned_far_apart_warns_and_states_it() {
    let t = tmp();
    let (a, b) = shards(t.path(), 660);
    let out = t.path().join("merged");
    let (code, _, err) = run(&["merge", &s(&a), &s(&b), "--output", &s(&out)]);
    assert!(code == 1 || code == 3, "{err}");
    assert!(
        // 660 days between the starts, less the first shard's few minutes of scanning.
        err.contains("warning: the shards were scanned 659 day(s) apart"),
        "{err}"
    );
    let r = results_in(&out);
    assert_eq!(r.statement.warnings.len(), 1, "{:?}", r.statement.warnings);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| Warnings | **the shards were scanned 659 day(s) apart"));
    // Whole seconds everywhere the tool stamps a time.
    for t in [&r.started_at, &r.finished_at, &r.statement.generated_at] {
        assert!(!t.contains('.'), "{t}");
        assert!(logposture::support::timestamp::canonical(t).as_deref() == Some(t.as_str()));
    }
    // Within the allowed age: no warning.
    let (_, _, err) = run(&[
        "merge",
        &s(&a),
        &s(&b),
        "--output",
        &s(&out),
        "--max-shard-age",
        "700",
    ]);
    assert!(!err.contains("warning"), "{err}");
    assert!(results_in(&out).statement.warnings.is_empty());
    let (a, b) = shards(&t.path().join("close"), 7);
    let (_, _, err) = run(&["merge", &s(&a), &s(&b), "--output", &s(&out)]);
    assert!(
        !err.contains("warning"),
        "7 days apart is within the default: {err}"
    );
}

#[test]
fn a_closed_stdout_ends_quietly_and_ignored_options_are_refused() {
    for args in [&["checks", "list"][..], &["cost", "--demo"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_logposture"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before the first line is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(2), "{args:?}: {err}");
    }
    for args in [
        &["cost", "--demo", "--fail-on", "low"][..],
        &["cost", "--demo", "--compare", "x.json"][..],
        &["cost", "--results", "x.json", "--baseline", "b.toml"][..],
        &["cost", "--results", "x.json", "--subscription", "s"][..],
    ] {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?} accepted: {err}");
    }
}

#[test]
fn every_option_has_help_and_framework_help_names_every_framework() {
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            let id = a.get_id().as_str();
            if a.is_hide_set() || id == "help" || id == "version" {
                continue;
            }
            if a.get_help().is_none() && a.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&logposture::cli::Cli::command(), "logposture", &mut missing);
    assert!(missing.is_empty(), "options without help: {missing:?}");
    let (_, help, _) = run(&["checks", "list", "--help"]);
    let frameworks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("checks/frameworks.toml"),
    )
    .unwrap();
    let table: toml::Value = toml::from_str(&frameworks).unwrap();
    for f in table["framework"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        assert!(help.contains(id), "--framework help omits {id}: {help}");
    }
}

/// The demo snapshot with its first NIC attached to `vm`: each gives a sighting of its own.
fn snapshot_with_owner(dir: &Path, vm: &str) -> PathBuf {
    let mut snap = logposture::demo::snapshot();
    let nics = snap.inventory.subscriptions[0]
        .network_interfaces
        .value
        .as_mut()
        .unwrap();
    nics[0].virtual_machine_id = Some(format!(
        "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{vm}",
        logposture::demo::PROD
    ));
    let p = dir.join(format!("{vm}.json"));
    std::fs::write(&p, serde_json::to_string(&snap).unwrap()).unwrap();
    p
}

fn owners_in(history: &Path) -> Vec<String> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(history).unwrap()).unwrap();
    v["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["owner_id"].as_str())
        .map(|o| o.rsplit('/').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn parallel_runs_writing_one_attribution_history_keep_every_sighting() {
    let t = tmp();
    let writers = ["vm-a", "vm-b", "vm-c", "vm-d"];
    let snaps: Vec<PathBuf> = writers
        .iter()
        .map(|vm| snapshot_with_owner(t.path(), vm))
        .collect();
    for round in 0..5 {
        let history = t.path().join(format!("history-{round}.json"));
        let children: Vec<_> = snaps
            .iter()
            .enumerate()
            .map(|(i, snap)| {
                cli::spawn_evaluate(
                    snap,
                    &t.path().join(format!("out-{round}-{i}")),
                    &[
                        "--format",
                        "attribution",
                        "--attribution-history",
                        &s(&history),
                    ],
                )
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert!(
                o.status.code().is_some_and(|c| c != 2),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let owners = owners_in(&history);
        for vm in writers {
            assert!(
                owners.iter().any(|o| o == vm),
                "round {round}: the sighting of {vm} was lost: {owners:?}"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn a_history_behind_a_symlink_is_written_through_and_hostile_times_are_refused() {
    let t = tmp();
    let real = t.path().join("real-history.json");
    let link = t.path().join("history.json");
    let snap = snapshot_with_owner(t.path(), "vm-a");
    let out = t.path().join("out");
    let evaluate = |history: &Path| {
        run(&[
            "evaluate",
            "-q",
            &s(&snap),
            "--format",
            "attribution",
            "--output",
            &s(&out),
            "--attribution-history",
            &s(history),
        ])
    };
    evaluate(&real);
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let (code, _, err) = evaluate(&link);
    assert_ne!(code, 2, "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the symlink was replaced by a regular file"
    );
    assert!(owners_in(&real).contains(&"vm-a".to_string()));

    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    v["history"][0]["last_seen"] = Value::from("zzzz");
    std::fs::write(&real, serde_json::to_string(&v).unwrap()).unwrap();
    let (code, _, err) = evaluate(&real);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("real-history.json") && err.contains("\"zzzz\""),
        "{err}"
    );
}

/// The names earlier versions used for their temporary files, all predictable from the pid.
fn old_temporary_names(out: &Path, history: &Path, pid: u32) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = [
        "report.html",
        "report.md",
        "results.json",
        "results.sarif",
        "junit.xml",
        "findings.csv",
        "remediation",
    ]
    .iter()
    .map(|n| out.join(format!(".{n}.partial-{pid}")))
    .collect();
    v.push(out.join(format!("attribution.partial-{pid}")));
    v.push(out.join(format!(".logposture-write-check-{pid}")));
    v.push(history.with_extension(format!("partial-{pid}")));
    v
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn symlinks_planted_at_temporary_names_are_never_followed() {
    use clap::Parser;
    let t = tmp();
    let out = t.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let history = out.join("history.json");
    let victims = t.path().join("victims");
    std::fs::create_dir_all(&victims).unwrap();
    let mut planted = Vec::new();
    for (i, name) in old_temporary_names(&out, &history, std::process::id())
        .into_iter()
        .enumerate()
    {
        let victim = victims.join(format!("victim-{i}"));
        std::fs::write(&victim, format!("precious {i}\n")).unwrap();
        std::os::unix::fs::symlink(&victim, &name).unwrap();
        planted.push((name, victim, format!("precious {i}\n")));
    }
    let cli = logposture::cli::Cli::parse_from([
        "logposture",
        "scan",
        "--demo",
        "-q",
        "--output",
        &s(&out),
        "--format",
        "html,md,json,sarif,junit,csv,fix,attribution",
        "--attribution-history",
        &s(&history),
    ]);
    let code = logposture::app::run(cli).await.unwrap();
    assert_eq!(code, 1);
    for (name, victim, content) in planted {
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            content,
            "{} was followed",
            name.display()
        );
        assert!(std::fs::symlink_metadata(&name)
            .unwrap()
            .file_type()
            .is_symlink());
    }
    assert!(out.join("results.json").is_file() && history.is_file());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 24,
        .. proptest::prelude::ProptestConfig::default()
    })]

    /// Numbers at every extreme, as a snapshot file may hold them: whatever the tool writes
    /// reads back into --compare and merge, and prints no inf, NaN or saturated integer.
    #[test]
    fn every_results_json_reads_back_whatever_the_numbers(
        gb in proptest::prop_oneof![
            proptest::prelude::Just(0.0f64),
            proptest::prelude::Just(f64::MIN_POSITIVE),
            proptest::prelude::Just(1e306),
            proptest::prelude::Just(f64::MAX),
            proptest::prelude::Just(logposture::inventory::bounds::MAX_GB_30D),
            proptest::prelude::Just(logposture::inventory::bounds::MAX_GB_30D * 1.000_001),
            0.0f64..1e9,
        ],
        days in proptest::prop_oneof![
            proptest::prelude::Just(0u32),
            proptest::prelude::Just(u32::MAX),
            proptest::prelude::Just(logposture::inventory::bounds::MAX_DAYS),
            proptest::prelude::Just(logposture::inventory::bounds::MAX_DAYS + 1),
            0u32..100_000,
        ],
    ) {
        let mut snap = logposture::demo::snapshot();
        for sub in &mut snap.inventory.subscriptions {
            for ws in sub.workspaces.value.iter_mut().flatten() {
                ws.retention_in_days = Some(days);
                for u in ws.usage.value.iter_mut().flatten() {
                    u.gb_30d = gb;
                }
                for t in ws.tables.value.iter_mut().flatten() {
                    t.total_retention_in_days = Some(days);
                }
            }
            for f in sub.flow_logs.value.iter_mut().flatten() {
                f.retention_days = Some(days);
            }
        }
        // Through a file, as `evaluate` reads it.
        let text = serde_json::to_string(&snap).unwrap();
        let snap = logposture::inventory::Snapshot::from_json("extreme.json", &text).unwrap();
        let a = logposture::app::Assessment::load(&logposture::cli::EvalArgs::builtin()).unwrap();
        let r = a.assess(&snap, time::macros::date!(2026 - 11 - 02));
        let json = logposture::render::json(&r).unwrap();
        let back = logposture::app::parse_results("results.json", &json).unwrap();
        let model = logposture::estimate::model::CostModel::load(&[], &logposture::app::figure_readers()).unwrap();
        let merged = logposture::merge::merge(vec![back.clone()], &model).unwrap();
        logposture::compare::drift(&back, &merged);
        let md = logposture::render::Templates::load(None).unwrap().markdown(&r).unwrap();
        let mut csv = Vec::new();
        logposture::render::csv::render_to(&r, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        for text in [&json, &md, &csv] {
            let absurd = text
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == ','))
                .find(|w| {
                    matches!(w.to_ascii_lowercase().as_str(), "inf" | "nan" | "infinity")
                        || w.contains("9,223,372,036,854,775,807")
                        || w.contains("9223372036854775807")
                });
            proptest::prop_assert!(absurd.is_none(), "{absurd:?} printed (gb {gb}, days {days})");
        }
    }
}

/// What ended a run is typed by what the user has to fix: a caller tells an output folder it
/// cannot write from a bad input file or refused options without reading the message.
#[tokio::test(flavor = "multi_thread")]
async fn errors_say_which_part_to_fix() {
    use clap::Parser;
    use logposture::app::AppError;
    let t = tmp();
    let kind = |args: &[&str]| {
        let mut argv = vec!["logposture"];
        argv.extend_from_slice(args);
        logposture::cli::Cli::parse_from(argv)
    };
    // A report path that is a directory: the output.
    let out = t.path().join("out");
    std::fs::create_dir_all(out.join("report.html")).unwrap();
    let e = logposture::app::run(kind(&["scan", "--demo", "-q", "--output", &s(&out)]))
        .await
        .unwrap_err();
    assert!(
        matches!(e.downcast_ref::<AppError>(), Some(AppError::Output(_))),
        "{e:#}"
    );
    // A results.json of another schema: an input.
    let bad = t.path().join("old.json");
    std::fs::write(&bad, "{\"schema_version\": 99}").unwrap();
    let out2 = t.path().join("out2");
    let e = logposture::app::run(kind(&[
        "scan",
        "--demo",
        "-q",
        "--output",
        &s(&out2),
        "--compare",
        &s(&bad),
    ]))
    .await
    .unwrap_err();
    assert!(
        matches!(e.downcast_ref::<AppError>(), Some(AppError::Input(_))),
        "{e:#}"
    );
    // A baseline problem keeps its own type, with every problem's file and line.
    let base = t.path().join("mine.toml");
    std::fs::write(
        &base,
        "[[check]]\nid = \"LP-RET-001\"\nseverity = \"urgent\"\n",
    )
    .unwrap();
    let e = logposture::app::run(kind(&["checks", "list", "--baseline", &s(&base)]))
        .await
        .unwrap_err();
    match e.downcast_ref::<AppError>() {
        Some(AppError::Baseline(b)) => assert!(b.problems[0].contains("mine.toml:2"), "{b}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(logposture::app::error_exit_code(&e), 2);
}
