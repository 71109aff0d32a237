//! What an auditor and an engineer get beyond the findings: the statement of assessment, the
//! control matrix, remediation with real ids, the fix plan scripts, findings.csv, and the CLI
//! details around them (`--fail-on none`, demo scoping, `--templates`, exit-code reasons).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cli.rs"]
mod cli;
use cli::run;

use logposture::app::Assessment;
use logposture::cli::EvalArgs;
use logposture::model::{Results, Status};
use logposture::render::view;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn demo_results() -> Results {
    let a = Assessment::load(&EvalArgs::builtin()).unwrap();
    a.assess(
        &logposture::demo::snapshot(),
        time::macros::date!(2026 - 11 - 02),
    )
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lp-audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_statement_names_identity_baseline_hash_and_read_coverage() {
    let r = demo_results();
    let st = &r.statement;
    let id = st.identity.as_ref().expect("the demo records its identity");
    assert!(id.app_id.is_some() && id.object_id.is_some());
    assert_eq!(r.baseline.sha256.len(), 64);
    assert!(r.baseline.sha256.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(!r.baseline.modified && r.baseline.changes.is_empty());
    assert_eq!(st.coverage.requests, 212);
    assert_eq!(st.coverage.failed_reads, r.errors.len() as u64);
    assert_eq!(st.coverage.subscriptions_in_scope, 4);
    assert_eq!(st.coverage.subscriptions_incomplete, 1);
    assert!(st.roles_needed.iter().any(|r| r.role == "Reader"));
    let v = view::build(&r, usize::MAX);
    assert!(v.statement.identity.contains("app id 9f8e7d6c"));
    assert!(v.statement.coverage.contains("212 request(s)"));
}

#[test]
fn an_override_is_visible_and_the_title_follows_the_parameter() {
    let dir = tmp("override");
    let file = dir.join("stricter.toml");
    std::fs::write(
        &file,
        "[[check]]\nid = \"LP-RET-001\"\nseverity = \"high\"\n[check.params]\nmin_days = 180\n\n[[check]]\nid = \"LP-FLOW-004\"\nenabled = false\n",
    )
    .unwrap();
    let mut args = EvalArgs::builtin();
    args.baselines = vec![file.clone()];
    let a = Assessment::load(&args).unwrap();
    let r = a.assess(
        &logposture::demo::snapshot(),
        time::macros::date!(2026 - 11 - 02),
    );
    let builtin = demo_results();
    assert!(r.baseline.modified);
    assert_ne!(r.baseline.sha256, builtin.baseline.sha256);
    let changes: Vec<String> = r
        .baseline
        .changes
        .iter()
        .map(|c| format!("{} {}", c.check_id, c.change))
        .collect();
    let name = file.display().to_string();
    assert!(
        changes
            .iter()
            .any(|c| c.starts_with("LP-RET-001 severity medium → high") && c.contains(&name)),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.starts_with("LP-RET-001 params.min_days 90 → 180")),
        "{changes:?}"
    );
    assert!(changes
        .iter()
        .any(|c| c.starts_with("LP-FLOW-004 disabled")));
    assert_eq!(r.baseline.disabled, vec!["LP-FLOW-004".to_string()]);
    // The title states the threshold the finding is judged by.
    let f = r
        .findings
        .iter()
        .find(|f| &*f.check_id == "LP-RET-001")
        .unwrap();
    assert_eq!(
        &*f.title,
        "Log Analytics workspaces keep data at least 180 days"
    );
    let html = logposture::render::Templates::load(None)
        .unwrap()
        .html(&r)
        .unwrap();
    assert!(html.contains("Modified baseline."));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_control_matrix_has_a_row_per_check_and_a_column_per_subscription() {
    let r = demo_results();
    let v = view::build(&r, usize::MAX);
    let m = &v.matrix;
    assert_eq!(
        m.columns.len(),
        r.scope.subscriptions.len() + 1,
        "plus Tenant"
    );
    assert_eq!(m.columns.last().unwrap().label, "Tenant");
    let checks: std::collections::BTreeSet<&str> =
        r.findings.iter().map(|f| f.check_id.as_ref()).collect();
    assert_eq!(m.rows.len(), checks.len());
    // Each cell's counts add up to the findings of that check in that subscription.
    for (i, sub) in r.scope.subscriptions.iter().enumerate() {
        for row in &m.rows {
            let fails = r
                .findings
                .iter()
                .filter(|f| {
                    *f.check_id == row.check_id
                        && f.status == Status::Fail
                        && f.subscription_id.as_deref() == Some(sub.id.as_str())
                })
                .count();
            let cell = &row.cells[i];
            if fails > 0 {
                assert_eq!(cell.class, "fail", "{} {}", row.check_id, sub.id);
                assert!(cell.label.starts_with(&format!("{fails} fail")));
            } else {
                assert_ne!(cell.class, "fail");
            }
        }
    }
    let entra = m
        .rows
        .iter()
        .find(|r| &*r.check_id == "LP-ENTRA-001")
        .unwrap();
    assert_eq!(entra.cells.last().unwrap().class, "fail");
    assert!(entra.controls.contains("6.1.1.9"));
}

#[test]
fn remediation_carries_the_findings_real_ids() {
    let r = demo_results();
    let placeholder = regex_like_placeholder;
    for f in r.findings.iter().filter(|f| f.status == Status::Fail) {
        assert!(
            !placeholder(&f.remediation_text()),
            "{} on {}: unfilled placeholder in {:?}",
            f.check_id,
            f.resource_id,
            f.remediation_text()
        );
    }
    let kv = r
        .findings
        .iter()
        .find(|f| &*f.check_id == "LP-RES-002" && f.status == Status::Fail)
        .unwrap();
    assert!(kv
        .remediation_text()
        .contains(&format!("--resource {}", kv.resource_id)));
    let ret = r
        .findings
        .iter()
        .find(|f| &*f.check_id == "LP-RET-002" && f.status == Status::Fail)
        .unwrap();
    assert!(ret
        .remediation_text()
        .contains("--workspace-name law-prod-weu"));
    assert!(ret
        .remediation_text()
        .contains("--total-retention-time 365"));
}

/// `<word>` or `{word}` left in a text: what a user would have to fill by hand.
fn regex_like_placeholder(s: &str) -> bool {
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let close = match c {
            b'<' => b'>',
            b'{' => b'}',
            _ => continue,
        };
        let rest = &b[i + 1..];
        let n = rest
            .iter()
            .take_while(|c| c.is_ascii_lowercase() || **c == b'_' || **c == b'-' || **c == b'.')
            .count();
        if n > 0 && rest.get(n) == Some(&close) {
            return true;
        }
    }
    false
}

fn write_fake_az(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let az = bin.join("az");
    // Records each call's arguments, one per line, so the test sees how the shell split them.
    std::fs::write(
        &az,
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> \"$AZ_LOG\"\necho --- >> \"$AZ_LOG\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// Every choice a plan reads, set as a user would.
const CHOICES: [(&str, &str); 9] = [
    (
        "WORKSPACE_ID",
        "/subscriptions/x/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w",
    ),
    ("ACTION_GROUP_ID", "ag"),
    ("ALERT_RESOURCE_GROUP", "rg"),
    ("FLOW_LOG_STORAGE_ID", "st"),
    ("KEY_VAULT_URI", "https://kv"),
    ("KEY_NAME", "k"),
    ("DCR_ID", "dcr"),
    ("SYSLOG_DCR_ID", "dcr-syslog"),
    ("DNS_RESOURCE_GROUP", "rg-dns"),
];

/// The fix plans of `r`, written under `dir/out`; returns `dir/out`.
fn write_plans(r: &logposture::model::Results, dir: &Path) -> PathBuf {
    let out = dir.join("out");
    logposture::render::write_all(
        r,
        &[logposture::render::Format::Fix],
        &out,
        &logposture::render::Templates::load(None).unwrap(),
        None,
    )
    .unwrap();
    out
}

#[test]
fn the_fix_plan_is_a_script_per_subscription_that_a_hostile_name_cannot_subvert() {
    let dir = tmp("fix");
    let pwned = dir.join("pwned");
    let mut snap = logposture::demo::snapshot();
    // A Key Vault whose name tries to run a command and to end a comment line.
    let evil = format!(
        "kv$(touch {})\n$(touch {}) 'x",
        pwned.display(),
        pwned.display()
    );
    let sub = &mut snap.inventory.subscriptions[0];
    for rd in &mut sub.resource_diagnostics {
        if rd.resource_id.contains("Microsoft.KeyVault/vaults/") {
            let prefix = rd.resource_id.rsplit_once('/').unwrap().0.to_string();
            rd.resource_id = format!("{prefix}/{evil}");
        }
    }
    let a = Assessment::load(&EvalArgs::builtin()).unwrap();
    let r = a.assess(&snap, time::macros::date!(2026 - 11 - 02));
    let out = write_plans(&r, &dir);
    let plan_dir = out.join("remediation");
    let prod = plan_dir.join(format!("{}.sh", logposture::demo::PROD));
    let text = std::fs::read_to_string(&prod).unwrap();
    assert!(text.starts_with("#!/usr/bin/env bash\n"));
    assert!(text.contains("set -euo pipefail"));
    assert!(text.contains(": \"${WORKSPACE_ID:?"));
    assert!(text.contains(&format!(
        "az account set --subscription {}",
        logposture::demo::PROD
    )));
    assert!(plan_dir.join("tenant.sh").exists(), "Entra findings");
    assert!(
        !text.contains("<resource") && !text.contains("{resource"),
        "placeholders left"
    );
    // Run it with a fake az: nothing but az runs, and the hostile name is one argument.
    let bin = write_fake_az(&dir);
    let log = dir.join("az.log");
    let status = Command::new("bash")
        .arg(&prod)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("AZ_LOG", &log)
        .envs(CHOICES)
        .status()
        .unwrap();
    assert!(status.success(), "the plan runs with every choice set");
    assert!(!pwned.exists(), "a resource name ran a command");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(
        calls
            .lines()
            .any(|l| l.ends_with("?$(touch") || l.contains("kv$(touch")),
        "the hostile name reached az as data: {calls}"
    );
    // And without the choices it stops before any change.
    let _ = std::fs::remove_file(&log);
    let status = Command::new("bash")
        .arg(&prod)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("AZ_LOG", &log)
        .env_remove("WORKSPACE_ID")
        .status()
        .unwrap();
    assert!(!status.success());
    assert!(!log.exists(), "no az call before the choices are set");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn findings_csv_has_a_row_per_finding_and_no_formulas() {
    let mut r = demo_results();
    r.findings[0].message = "=cmd|' /C calc'!A0".into();
    let mut buf = Vec::new();
    logposture::render::csv::render_to(&r, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // contoso-legacy is Disabled: its 61 identical not-applicable findings are one row.
    let legacy = "/subscriptions/44444444-5555-4666-8777-888888888888";
    let skipped = r
        .findings
        .iter()
        .filter(|f| f.resource_id == legacy)
        .count();
    assert!(skipped > 1);
    assert_eq!(lines.len(), r.findings.len() - skipped + 1 + 1);
    let legacy_rows: Vec<&&str> = lines.iter().filter(|l| l.contains(legacy)).collect();
    assert_eq!(legacy_rows.len(), 1, "{legacy_rows:?}");
    assert!(legacy_rows[0].starts_with("\"*\",\"Subscription not scanned\""));
    assert!(legacy_rows[0].contains("is Disabled"));
    assert!(lines[0].starts_with("\"check_id\",\"title\",\"severity\",\"status\""));
    assert!(text.contains("\"'=cmd|' /C calc'!A0\""));
    assert!(!text.contains(",\"=cmd"));
    // The last column is the resource's tags (owners split the work), from the resource list.
    assert!(lines[0].ends_with(",\"tags\""), "{}", lines[0]);
    let tagged = r
        .findings
        .iter()
        .find(|f| !f.tags.is_empty())
        .expect("a tagged finding");
    assert_eq!(
        tagged.tags.get("owner").map(String::as_str),
        Some("platform-team")
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&tagged.resource_id) && l.ends_with(",\"owner=platform-team\"")),
        "{text}"
    );
    // A tag value is Azure's data: it cannot become a formula either.
    let mut r = demo_results();
    let i = r.findings.iter().position(|f| !f.tags.is_empty()).unwrap();
    r.findings[i].tags = BTreeMap::from([("=owner".to_string(), "x".to_string())]);
    let mut buf = Vec::new();
    logposture::render::csv::render_to(&r, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    assert!(text.contains(",\"'=owner=x\""), "{text}");
}

#[test]
fn fail_on_none_reports_without_gating_and_stderr_says_why() {
    let out = tmp("failnone");
    let o = out.display().to_string();
    let (code, _, err) = run(&["scan", "--demo", "--output", &o, "--format", "json"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("exit 1: ") && err.contains("at or above --fail-on high"),
        "{err}"
    );
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--output",
        &o,
        "--format",
        "json",
        "--fail-on",
        "none",
    ]);
    assert_eq!(
        code, 3,
        "failures do not gate; incomplete evidence still says 3"
    );
    assert!(
        err.contains("exit 3: evidence incomplete") && err.contains("--fail-on none"),
        "{err}"
    );
    let (code, _, err) = run(&["scan", "--demo", "--fail-on", "sometimes"]);
    assert_eq!(code, 2);
    assert!(err.contains("none"), "{err}");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn the_demo_honours_scope_flags_and_collect_demo_writes_a_snapshot() {
    let out = tmp("demoscope");
    let o = out.display().to_string();
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--subscription",
        logposture::demo::PROD,
        "--output",
        &o,
        "--format",
        "json",
        "-q",
    ]);
    assert!(code == 1 || code == 3, "{err}");
    let r: Results = logposture::app::parse_results(
        "results.json",
        &cli::read_results(out.join("results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(r.scope.subscriptions.len(), 1);
    assert!(r.findings.iter().all(|f| f
        .subscription_id
        .as_deref()
        .is_none_or(|s| s == logposture::demo::PROD)));
    let (code, _, err) = run(&["scan", "--demo", "--management-group", "mg-root"]);
    assert_eq!(code, 2);
    assert!(err.contains("no management groups"), "{err}");
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--subscription",
        "00000000-0000-0000-0000-000000000000",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("has no subscription"), "{err}");
    let snap = out.join("demo.snapshot.json");
    let (code, _, err) = run(&[
        "collect",
        "--demo",
        "--snapshot-out",
        &snap.display().to_string(),
        "-q",
    ]);
    assert_eq!(code, 3, "the demo has failed reads: {err}");
    assert!(logposture::inventory::Snapshot::load(&snap).is_ok());
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_missing_templates_directory_is_an_error() {
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--templates",
        "/nonexistent/templates",
        "--output",
        &tmp("tpl").display().to_string(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--templates /nonexistent/templates"), "{err}");
}

/// `logposture cost`: the budget figure alone, as a table and as the results.json `cost` object.
#[test]
fn cost_command_prints_the_cost_section_alone() {
    let (code, out, err) = run(&["cost", "--demo"]);
    assert_eq!(code, 3, "the demo's evidence is incomplete: {err}");
    for s in [
        "Measured today",
        "With every gap closed",
        "How good is this estimate on your estate",
        "Per workspace",
        "Basic table plan",
        "Prices as of 2025-06",
    ] {
        assert!(out.contains(s), "{s} in:\n{out}");
    }
    let (_, json, _) = run(&["cost", "--demo", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON on stdout");
    assert!(v["backtest"]["rows"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
    assert!(v["waterfall"].as_array().is_some_and(|w| !w.is_empty()));

    // From an existing results.json: the same figures, no scan.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    run(&[
        "scan", "--demo", "--output", out_dir, "--format", "json", "-q",
    ]);
    let results = dir.path().join("results.json");
    let (code, json2, err) = run(&["cost", "--results", results.to_str().unwrap(), "--json"]);
    assert_eq!(code, 3, "{err}");
    let v2: serde_json::Value = serde_json::from_str(&json2).unwrap();
    assert_eq!(v["gaps"], v2["gaps"]);
    assert_eq!(v["backtest"], v2["backtest"]);
}

#[test]
fn scan_demo_writes_the_attribution_map_and_a_bad_history_file_stops_before_any_read() {
    let out = tmp("attribution");
    let o = out.display().to_string();
    let (code, _, err) = run(&["scan", "--demo", "--output", &o]);
    assert_eq!(code, 1, "{err}");
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("attribution.json")).unwrap())
            .unwrap();
    let addr = |ip: &str| {
        a["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["ip"] == ip)
            .cloned()
            .unwrap_or_else(|| panic!("{ip} mapped"))
    };
    // A VM's public IP → its NIC → the VM, the VNet flow log with traffic analytics.
    let app = addr("20.61.14.7");
    assert!(app["owner_id"]
        .as_str()
        .unwrap()
        .ends_with("/vm-prod-app01"));
    assert!(app["flow_logs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["scope"] == "VNet" && f["traffic_analytics"] == true));
    assert_eq!(addr("10.0.2.10")["owner_kind"], "private endpoint");
    assert_eq!(addr("20.61.14.20")["owner_kind"], "load balancer");
    assert_eq!(
        addr("10.1.0.4")["flow_logs"],
        serde_json::json!([]),
        "lnx01 is not covered"
    );
    assert_eq!(a["scan_time"], "2026-11-02T06:00:00Z");
    assert!(a["incomplete"][0].as_str().unwrap().contains("33333333"));
    let csv = std::fs::read_to_string(out.join("attribution.csv")).unwrap();
    assert!(csv.starts_with("\"ip\",\"kind\",\"current\",\"first_seen\""));
    assert_eq!(
        csv.lines().count(),
        a["addresses"].as_array().unwrap().len() + 1
    );

    // A history that is not an attribution file: exit 2 naming it, before anything is read.
    let bad = out.join("history.json");
    std::fs::write(&bad, "{\n  \"history\": 42\n}\n").unwrap();
    let b = bad.display().to_string();
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--output",
        &o,
        "--attribution-history",
        &b,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("history.json:") && err.contains("not a logposture attribution.json"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(out);
}

/// `--format compliance`: one CSV per framework with a row per control, statuses and counts as
/// the report's framework tables give them; a folder the user made is never replaced.
#[test]
fn compliance_files_have_a_row_per_control_of_each_framework() {
    let out = tmp("compliance");
    let o = out.display().to_string();
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "-q",
        "--output",
        &o,
        "--format",
        "json,compliance",
    ]);
    assert_eq!(code, 1, "{err}");
    let results: Results = logposture::app::parse_results(
        "results.json",
        &cli::read_results(out.join("results.json")).unwrap(),
    )
    .unwrap();
    assert!(!results.frameworks.is_empty());
    let dir = out.join("compliance");
    for fw in &results.frameworks {
        let text = std::fs::read_to_string(dir.join(format!("{}.csv", fw.id.to_ascii_lowercase())))
            .unwrap_or_else(|e| panic!("{}: {e}", fw.id));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "control_id,title,status,checks,pass,fail,not_assessed,not_covered_because,note"
        );
        assert_eq!(lines.len() - 1, fw.controls.len(), "{}", fw.id);
        for (line, c) in lines[1..].iter().zip(&fw.controls) {
            assert!(line.starts_with(&format!("\"{}\",", c.id)), "{line}");
            assert!(
                line.contains(&format!("\"{}\"", c.status.label())),
                "{line}"
            );
            assert!(
                line.contains(&format!(",{},{},{},", c.pass, c.fail, c.not_assessed)),
                "{line}"
            );
        }
        let not_covered = fw
            .controls
            .iter()
            .filter(|c| c.status.label() == "not covered")
            .count();
        assert_eq!(not_covered, fw.not_covered, "{}", fw.id);
    }
    // A deviation is stated beside the covered control it concerns.
    let cis = std::fs::read_to_string(dir.join("cis-5.0.csv")).unwrap();
    let row = cis.lines().find(|l| l.starts_with("\"6.1.1.2\"")).unwrap();
    assert!(row.ends_with("\"\",\"deviation: the categories may be spread over several diagnostic settings (CIS asks one setting with all of them)\""), "{row}");
    // Written again over its own folder; a folder the user made is refused before any read.
    let (code, _, _) = run(&[
        "scan",
        "--demo",
        "-q",
        "--output",
        &o,
        "--format",
        "compliance",
    ]);
    assert_eq!(code, 1);
    let mine = tmp("compliance-mine");
    std::fs::create_dir_all(mine.join("compliance")).unwrap();
    std::fs::write(mine.join("compliance/notes.txt"), "mine").unwrap();
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "-q",
        "--output",
        &mine.display().to_string(),
        "--format",
        "compliance",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("was not written by logposture"), "{err}");
    assert_eq!(
        std::fs::read_to_string(mine.join("compliance/notes.txt")).unwrap(),
        "mine"
    );
}

/// `--owner-tag`: each team finds its own gaps: a table of failures and cost per owner in HTML
/// and Markdown, an owner filter in HTML, the tag in results.json; resources without the tag
/// are under "no owner".
#[test]
fn owner_tag_groups_the_gaps_by_team() {
    let out = tmp("owners");
    let o = out.display().to_string();
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "-q",
        "--output",
        &o,
        "--format",
        "html,md,json",
        "--owner-tag",
        "Owner",
    ]);
    assert_eq!(code, 1, "{err}");
    let results: Results = logposture::app::parse_results(
        "results.json",
        &cli::read_results(out.join("results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(results.owner_tag.as_deref(), Some("Owner"));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let table: Vec<&str> = md
        .split("**Gaps by owner** (tag Owner)")
        .nth(1)
        .unwrap()
        .lines()
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Owner"))
        .collect();
    // The tag key matches without case (Azure's tags do), and the untagged come last.
    assert!(table[0].starts_with("| platform-team |"), "{table:?}");
    assert!(
        table.last().unwrap().starts_with("| no owner |"),
        "{table:?}"
    );
    let failing: usize = table
        .iter()
        .map(|l| {
            l.split('|')
                .nth(2)
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(failing, results.summary.fail);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"f-owner\"") && html.contains("data-owner=\"platform-team\""));
    assert!(html.contains("data-owner=\"no owner\""));
    // Without the option nothing changes.
    let (code, _, _) = run(&[
        "scan", "--demo", "-q", "--output", &o, "--format", "html,md",
    ]);
    assert_eq!(code, 1);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("id=\"f-owner\"") && !html.contains("data-owner="));
    let _ = std::fs::remove_dir_all(out);
}

/// Issue 26, cases 6-8: a value the scan could not fill never reaches a command line (bash
/// would read `<resource_group>` as a redirection), a value starting with `-` never reaches az
/// as an option, and bidi controls never reach the script.
#[test]
fn fix_plans_never_run_a_hole_an_option_or_a_hidden_character() {
    let dir = tmp("fix-holes");
    let mut snap = logposture::demo::snapshot();
    let sub = &mut snap.inventory.subscriptions[0];
    // A PostgreSQL server whose id has no resource group: {resource_group} cannot be filled.
    if let Some(servers) = sub.database_servers.value.as_mut() {
        for s in servers.iter_mut().filter(|s| s.engine == "postgresql") {
            s.id = format!(
                "/subscriptions/{}/providers/Microsoft.DBforPostgreSQL/flexibleServers/{}",
                logposture::demo::PROD,
                s.name
            );
        }
    }
    // A flow log named like an option, a Key Vault name with a right-to-left override.
    if let Some(logs) = sub.flow_logs.value.as_mut() {
        for fl in logs.iter_mut().filter(|f| f.name == "fl-nsg-prod-web") {
            let prefix = fl.id.rsplit_once('/').unwrap().0.to_string();
            fl.id = format!("{prefix}/--debug");
            fl.name = "--debug".into();
        }
    }
    for rd in &mut sub.resource_diagnostics {
        if rd.resource_id.contains("Microsoft.KeyVault/vaults/") {
            let prefix = rd.resource_id.rsplit_once('/').unwrap().0.to_string();
            rd.resource_id = format!("{prefix}/kv\u{202E}txt.exe");
        }
    }
    let a = Assessment::load(&EvalArgs::builtin()).unwrap();
    let r = a.assess(&snap, time::macros::date!(2026 - 11 - 02));
    let out = write_plans(&r, &dir);
    let prod = out
        .join("remediation")
        .join(format!("{}.sh", logposture::demo::PROD));
    let text = std::fs::read_to_string(&prod).unwrap();
    for line in text.lines().filter(|l| l.starts_with("az ")) {
        assert!(
            !line.contains("<resource_group>"),
            "a hole in a command: {line}"
        );
        assert!(
            !line.contains(" --debug"),
            "a name read as an option: {line}"
        );
    }
    assert!(
        text.contains("#   (not run: the scan could not fill resource_group) az postgres"),
        "the unfillable command is kept as a comment saying why"
    );
    assert!(
        text.contains("--name=--debug"),
        "the value joined to its option"
    );
    assert!(!text.contains('\u{202E}'), "no bidi control in the script");
    assert!(
        text.contains("no command here"),
        "manual findings are counted in the header"
    );
    // bash -n accepts it, and it runs to its end from a folder holding a file named like the
    // placeholder (where `<resource_group>` would have fed az that file).
    let syntax = Command::new("bash").arg("-n").arg(&prod).status().unwrap();
    assert!(syntax.success());
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(work.join("resource_group"), "not for az\n").unwrap();
    let bin = write_fake_az(&dir);
    let log = dir.join("az.log");
    let status = Command::new("bash")
        .arg(&prod)
        .current_dir(&work)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("AZ_LOG", &log)
        .envs(CHOICES)
        .status()
        .unwrap();
    assert!(status.success(), "the plan runs to its end");
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.lines().any(|l| l == "--name=--debug"), "{calls}");
    assert!(!calls.lines().any(|l| l == "--debug"));
    let left: Vec<String> = std::fs::read_dir(&work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["resource_group"], "nothing written into the folder");
    // One change asked by two checks (Plan 2 for LP-DEF-001 and LP-DEF-003) runs once, with
    // its subscription.
    let dev = std::fs::read_to_string(
        out.join("remediation")
            .join(format!("{}.sh", logposture::demo::DEV)),
    )
    .unwrap();
    let p2 = format!(
        "az security pricing create --subscription {} --name VirtualMachines --tier Standard --subplan P2",
        logposture::demo::DEV
    );
    assert_eq!(dev.lines().filter(|l| *l == p2).count(), 1, "{dev}");
    // The disabled NSG-delete alert is enabled, not duplicated by a new one.
    assert!(text.contains("az monitor activity-log alert update --ids /subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-monitoring/providers/microsoft.insights/activityLogAlerts/alert-nsg-delete --enabled true"));
    assert!(
        !text.contains("Microsoft.Network/networkSecurityGroups/delete --action-group"),
        "no twin of the disabled alert"
    );
    // A region's watcher is configured before a flow log is created in it.
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle));
    let (watcher, flow) = (
        line_of("az network watcher configure"),
        line_of("az network watcher flow-log create"),
    );
    assert!(
        watcher.is_some() && flow.is_some() && watcher < flow,
        "{text}"
    );
    assert!(dev.contains(&format!("#   (already above) {p2}")));
    let _ = std::fs::remove_dir_all(dir);
}

/// Issue 26, item 2: the Entra fix runs as written: its body is inline JSON, its URL relative
/// so az sends it to the active cloud. Where a setting already sends to a workspace, the body
/// is that setting with the missing categories added (its own workspace); without one, a new
/// setting sends them to $WORKSPACE_ID.
#[test]
fn the_entra_fix_sends_a_complete_body_to_the_active_cloud() {
    let ws =
        "/subscriptions/x/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/w";
    // The Entra plan's az rest calls for `snap`: (url, body).
    let rest_calls = |snap: &logposture::inventory::Snapshot, name: &str| {
        let dir = tmp(name);
        let a = Assessment::load(&EvalArgs::builtin()).unwrap();
        let r = a.assess(snap, time::macros::date!(2026 - 11 - 02));
        let out = write_plans(&r, &dir);
        let plan = out.join("remediation").join("tenant.sh");
        let bin = write_fake_az(&dir);
        let log = dir.join("az.log");
        let status = Command::new("bash")
            .arg(&plan)
            .current_dir(&dir)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("AZ_LOG", &log)
            .env("WORKSPACE_ID", ws)
            .status()
            .unwrap();
        assert!(status.success(), "the plan runs to its end");
        let calls = std::fs::read_to_string(&log).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let missing: Vec<String> = r
            .findings
            .iter()
            .find(|f| &*f.check_id == "LP-ENTRA-001")
            .unwrap()
            .evidence
            .value()["missing"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        let calls: Vec<(String, serde_json::Value)> = calls
            .split("---\n")
            .filter(|c| c.starts_with("rest\n"))
            .map(|call| {
                let args: Vec<&str> = call.lines().collect();
                let arg = |o: &str| args[args.iter().position(|a| *a == o).unwrap() + 1];
                let url = arg("--url").to_string();
                assert!(url.starts_with("/providers/microsoft.aadiam/"), "{url}");
                (
                    url,
                    serde_json::from_str(arg("--body")).expect("the body is JSON"),
                )
            })
            .collect();
        (calls, missing)
    };
    let categories = |body: &serde_json::Value| -> Vec<String> {
        body["properties"]["logs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["enabled"] == true)
            .map(|l| l["category"].as_str().unwrap().to_string())
            .collect()
    };

    // The demo's entra-to-sentinel sends to law-prod-weu: it is extended, keeping what it sends.
    let snap = logposture::demo::snapshot();
    let existing = snap.inventory.entra_diagnostic_settings.items()[0].clone();
    let (calls, missing) = rest_calls(&snap, "fix-entra");
    assert!(!calls.is_empty());
    for (url, body) in &calls {
        assert!(
            url.contains(&format!("/diagnosticSettings/{}?", existing.name)),
            "{url}"
        );
        assert_eq!(
            body["properties"]["workspaceId"].as_str(),
            existing.workspace_id.as_deref()
        );
    }
    let last = categories(&calls.last().unwrap().1);
    for c in existing
        .logs
        .iter()
        .filter(|l| l.enabled)
        .filter_map(|l| l.category.clone())
        .chain(missing)
    {
        assert!(last.contains(&c), "{c} in {last:?}");
    }

    // No setting: a new one sends the missing categories to the chosen workspace.
    let mut bare = logposture::demo::snapshot();
    bare.inventory.entra_diagnostic_settings = logposture::inventory::Read::ok(Vec::new());
    let (calls, missing) = rest_calls(&bare, "fix-entra-bare");
    let core = calls
        .iter()
        .find(|(u, _)| u.contains("logposture-entra-core"))
        .expect("a new setting");
    assert_eq!(core.1["properties"]["workspaceId"], ws);
    let sent = categories(&core.1);
    for c in &missing {
        assert!(sent.contains(c), "{c} in {sent:?}");
    }
}

/// Issue 26, item 1: where a resource already has a setting that sends to a workspace, the
/// plan extends that setting (its name, its workspace, its metrics) and never adds a second one
/// beside it, which Azure would refuse for a category sent twice to one workspace.
#[test]
fn fix_plans_extend_the_setting_that_already_sends_to_a_workspace() {
    let dir = tmp("fix-extend");
    let snap = logposture::demo::snapshot();
    let r = demo_results();
    let out = write_plans(&r, &dir);
    let mut plans = String::new();
    for e in std::fs::read_dir(out.join("remediation")).unwrap() {
        plans.push_str(&std::fs::read_to_string(e.unwrap().path()).unwrap());
    }
    let mut checked = 0;
    for rd in snap
        .inventory
        .subscriptions
        .iter()
        .flat_map(|s| s.resource_diagnostics.iter())
    {
        let settings = rd.settings.items();
        let Some(ws_setting) = settings.iter().find(|s| s.workspace_id.is_some()) else {
            continue;
        };
        let resource = format!(" --resource {} ", rd.resource_id);
        for line in plans.lines().filter(|l| {
            l.starts_with("az monitor diagnostic-settings create ") && l.contains(&resource)
        }) {
            assert!(
                line.contains(&format!("--name {} ", ws_setting.name)),
                "a second setting beside {}: {line}",
                ws_setting.name
            );
            assert!(line.contains(&format!(
                "--workspace {} ",
                ws_setting.workspace_id.as_deref().unwrap()
            )));
            assert!(line.contains("--metrics "), "its metrics are kept: {line}");
            checked += 1;
        }
    }
    assert!(checked >= 5, "{checked} extensions checked");
    let _ = std::fs::remove_dir_all(dir);
}
