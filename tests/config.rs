//! Bad input gets a clear error naming the file and line: baseline, suppressions, pricing,
//! snapshot. Also the `checks` commands and suppression behaviour.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cli.rs"]
mod cli;
use cli::run;

use logposture::app::Assessment;
use logposture::cli::EvalArgs;
use logposture::model::{Severity, Status};
use std::path::PathBuf;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn baseline_syntax_error_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "mine.toml",
        "[[check]]\nid = \"LP-RET-001\"\nseverity = \"high\"\nparams = { min_days = }\n",
    );
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--baseline",
        p.to_str().unwrap(),
        "--output",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("mine.toml:4"), "{err}");
    assert!(
        !dir.path().join("results.json").exists(),
        "nothing evaluated"
    );
}

#[test]
fn baseline_semantic_errors_name_each_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "mine.toml",
        "[[check]]\nid = \"LP-RET-001\"\nseverity = \"urgent\"\n\n[[check]]\nid = \"MY-001\"\ntitle = \"t\"\narea = \"retention\"\nseverity = \"low\"\nkind = \"nonsense\"\nremediation = \"r\"\n\n[[check]]\nid = \"MY-002\"\ntitle = \"t\"\n",
    );
    let (code, _, err) = run(&["checks", "list", "--baseline", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("mine.toml:2") && err.contains("unknown severity"),
        "{err}"
    );
    assert!(
        err.contains("mine.toml:10") && err.contains("unknown kind"),
        "{err}"
    );
    assert!(
        err.contains("mine.toml:14") && err.contains("lacks area, severity, kind, remediation"),
        "{err}"
    );
}

#[test]
fn bad_params_are_rejected_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "mine.toml",
        "[[check]]\nid = \"LP-RET-001\"\n[check.params]\nmin_dayz = 10\n",
    );
    let (code, _, err) = run(&["checks", "list", "--baseline", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("mine.toml:2") && err.contains("min_dayz"),
        "{err}"
    );
}

#[test]
fn custom_property_check_from_toml() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "custom.toml",
        r#"[[check]]
id = "ACME-001"
title = "Workspaces keep data a year"
area = "retention"
severity = "low"
kind = "property"
remediation = "Raise retention."
[check.params]
resource_type = "Microsoft.OperationalInsights/workspaces"
path = "/retention_in_days"
op = "gte"
value = 365
"#,
    );
    let a = Assessment::load(&EvalArgs {
        baselines: vec![p],
        suppressions: None,
        fail_on: Severity::High.into(),
        pricing: vec![],
        entra_users: None,
        compare: None,
    })
    .unwrap();
    let r = a.assess(
        &logposture::demo::snapshot(),
        time::macros::date!(2026 - 11 - 02),
    );
    let mine: Vec<_> = r
        .findings
        .iter()
        .filter(|f| &*f.check_id == "ACME-001")
        .collect();
    assert!(
        mine.iter().any(|f| f.status == Status::Fail),
        "90 < 365 fails"
    );
    assert!(
        mine.iter().any(|f| f.status == Status::NotAssessed),
        "forbidden subscription"
    );
}

#[test]
fn suppressions_apply_expire_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "accepted.toml",
        r#"[[suppression]]
check = "LP-NW-001"
resource = "/subscriptions/*/locations/eastus"
reason = "Dev region, no production traffic"
owner = "netsec@contoso.example"
expires = 2027-06-30

[[suppression]]
check = "LP-DEF-002"
reason = "Budget approved next quarter"
owner = "ciso@contoso.example"
expires = 2020-01-01

[[suppression]]
check = "LP-ALERT-001"
resource = "/subscriptions/nope"
reason = "never matches"
owner = "me"
expires = 2030-01-01
"#,
    );
    let a = Assessment::load(&EvalArgs {
        baselines: vec![],
        suppressions: Some(p),
        fail_on: Severity::High.into(),
        pricing: vec![],
        entra_users: None,
        compare: None,
    })
    .unwrap();
    let r = a.assess(
        &logposture::demo::snapshot(),
        time::macros::date!(2026 - 11 - 02),
    );
    let nw = r
        .findings
        .iter()
        .find(|f| &*f.check_id == "LP-NW-001" && f.resource_id.ends_with("/eastus"))
        .unwrap();
    assert_eq!(nw.status, Status::Suppressed);
    assert_eq!(
        nw.suppression.as_ref().unwrap().owner,
        "netsec@contoso.example"
    );
    assert!(nw
        .suppression
        .as_ref()
        .unwrap()
        .source
        .ends_with("accepted.toml:1"));
    assert!(
        r.findings
            .iter()
            .any(|f| &*f.check_id == "LP-DEF-002" && f.status == Status::Fail),
        "expired suppression no longer applies"
    );
    let states: Vec<(&str, &str)> = r
        .suppression_notes
        .iter()
        .map(|n| (n.check_id.as_ref(), n.state.as_str()))
        .collect();
    assert!(
        states.contains(&("LP-DEF-002", "expired"))
            && states.contains(&("LP-ALERT-001", "unmatched")),
        "{states:?}"
    );
    assert_eq!(r.summary.suppressed, 1);
}

#[test]
fn suppression_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.toml", "[[suppression]]\ncheck = \"LP-NOPE-999\"\nreason = \"x\"\nowner = \"y\"\nexpires = 2027-01-01\n\n[[suppression]]\ncheck = \"LP-NW-001\"\nreason = \"x\"\nowner = \"y\"\n");
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--suppressions",
        p.to_str().unwrap(),
        "--output",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("s.toml:1") && err.contains("unknown check id \"LP-NOPE-999\""),
        "{err}"
    );
    assert!(err.contains("s.toml:7") && err.contains("expiry"), "{err}");
}

#[test]
fn broken_snapshot_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "snap.json",
        "{\n  \"snapshot_format\": 1,\n  \"tool\": oops\n}\n",
    );
    let (code, _, err) = run(&[
        "evaluate",
        p.to_str().unwrap(),
        "--output",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("snap.json") && err.contains("line 3"), "{err}");
    let (code, _, err) = run(&["evaluate", "/nonexistent/snap.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/snap.json"), "{err}");
}

#[test]
fn checks_list_and_explain() {
    let (code, out, _) = run(&["checks", "list"]);
    assert_eq!(code, 0);
    for id in [
        "LP-ACT-001",
        "LP-ENTRA-001",
        "LP-FLOW-001",
        "LP-SEC-001",
        "LP-ALERT-012",
    ] {
        assert!(out.contains(id), "{id} listed");
    }
    let (code, out, _) = run(&["checks", "explain", "LP-ENTRA-001"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("NonInteractiveUserSignInLogs")
            && out.contains("Cost basis")
            && out.contains("calibrated"),
        "{out}"
    );
    assert!(
        out.contains("checks/entra-logs.toml:"),
        "where it is defined"
    );
    let (code, _, err) = run(&["checks", "explain", "LP-NOPE"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown check id"));
}

/// `scan --demo --pricing FILE` with FILE holding `text`: (exit code, stderr).
fn scan_demo_with_pricing(dir: &tempfile::TempDir, name: &str, text: &str) -> (i32, String) {
    let p = write(dir, name, text);
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--pricing",
        p.to_str().unwrap(),
        "--output",
        dir.path().to_str().unwrap(),
    ]);
    (code, err)
}

#[test]
fn pricing_file_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let (code, err) = scan_demo_with_pricing(
        &dir,
        "p.toml",
        "[figure.analytics_gbb]\nvalue = 3.0\nsource = \"x\"\n",
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("p.toml:1") && err.contains("analytics_gbb"),
        "{err}"
    );
    let (code, err) = scan_demo_with_pricing(
        &dir,
        "q.toml",
        "[figure.analytics_gb]\nvalue = 3.0\nsource = \"\"\n",
    );
    assert_eq!(code, 2);
    assert!(err.contains("needs a source"), "{err}");
}

#[test]
fn a_wildcard_suppression_must_name_something() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for pattern in ["*", "/*", "/subscriptions/*/resourceGroups/*/*"] {
        text.push_str(&format!("[[suppression]]\ncheck = \"*\"\nresource = \"{pattern}\"\nreason = \"x\"\nowner = \"y\"\nexpires = 2030-01-01\n\n"));
    }
    // A real scope is fine.
    text.push_str("[[suppression]]\ncheck = \"*\"\nresource = \"/subscriptions/*/resourceGroups/lab-*/*\"\nreason = \"lab\"\nowner = \"y\"\nexpires = 2030-01-01\n");
    let p = write(&dir, "s.toml", &text);
    let (code, _, err) = run(&[
        "scan",
        "--demo",
        "--suppressions",
        p.to_str().unwrap(),
        "--output",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    for line in [1, 8, 15] {
        assert!(
            err.contains(&format!("s.toml:{line}: check = \"*\"")),
            "{err}"
        );
    }
    assert!(!err.contains("s.toml:22"), "{err}");
}

#[test]
fn thousands_of_checks_load_with_their_lines() {
    // Loading was quadratic in the number of checks; 8,000 overrides must load (the bench
    // `evaluate` prints how long) and errors still name the right line.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..8000 {
        text.push_str(&format!("[[check]]\nid = \"X-{i}\"\ntitle = \"t\"\narea = \"retention\"\nseverity = \"low\"\nkind = \"property\"\nremediation = \"r\"\nenabled = false\n[check.params]\nresource_type = \"Microsoft.KeyVault/vaults\"\npath = \"/tags/owner\"\nop = \"exists\"\n\n"));
    }
    text.push_str("[[check]]\nid = \"X-0\"\nseverity = \"extreme\"\n");
    let p = write(&dir, "many.toml", &text);
    let texts = vec![(p.display().to_string(), text.clone())];
    let Err(err) =
        logposture::evaluate::baseline::load(&texts, logposture::evaluate::rules::validate)
    else {
        panic!("the last check is invalid");
    };
    // The error names the line of the last check's id: the second-to-last line.
    let last_line = text.lines().count() - 1;
    assert!(
        err.to_string().contains(&format!("many.toml:{last_line}")),
        "{err}"
    );
}

#[test]
fn checks_list_by_framework_shows_every_cis_control_and_the_uncovered_ones() {
    let (code, out, err) = run(&["checks", "list", "--framework", "cis-5.0"]);
    assert_eq!(code, 0, "{err}");
    // Every CIS 5.0 6.1 control, in order, each with its checks or marked as not covered.
    let ids = [
        "6.1.1.1", "6.1.1.2", "6.1.1.3", "6.1.1.4", "6.1.1.5", "6.1.1.6", "6.1.1.7", "6.1.1.8",
        "6.1.1.9", "6.1.1.10", "6.1.2.1", "6.1.2.2", "6.1.2.3", "6.1.2.4", "6.1.2.5", "6.1.2.6",
        "6.1.2.7", "6.1.2.8", "6.1.2.9", "6.1.2.10", "6.1.2.11", "6.1.3.1", "6.1.4", "6.1.5",
        "7.5", "7.6", "7.8",
    ];
    let mut at = 0;
    for id in ids {
        let pos = out[at..]
            .find(&format!("\n{id} "))
            .unwrap_or_else(|| panic!("{id} missing or out of order:\n{out}"));
        at += pos + 1;
    }
    assert!(out.contains("25 of 27 controls covered"), "{out}");
    // The network-logging controls of section 7, and the deviations stated, not silent.
    for (id, check) in [
        ("7.5", "LP-FLOW-003"),
        ("7.6", "LP-NW-001"),
        ("7.8", "LP-FLOW-003"),
    ] {
        let block = out.split(&format!("\n{id} ")).nth(1).unwrap();
        assert!(
            block.lines().nth(1).unwrap().contains(check),
            "{id}: {block}"
        );
    }
    for id in ["6.1.1.2", "6.1.1.7", "6.1.3.1", "7.6"] {
        let block: String = out
            .split(&format!("\n{id} "))
            .nth(1)
            .unwrap()
            .lines()
            .take_while(|l| !l.is_empty())
            .collect();
        assert!(block.contains("deviation"), "{id}: {block}");
    }
    for uncovered in ["6.1.1.10", "6.1.5"] {
        let block = out.split(&format!("\n{uncovered} ")).nth(1).unwrap();
        let first_lines: String = block.lines().take(2).collect();
        assert!(
            first_lines.contains("NOT COVERED"),
            "{uncovered}: {first_lines}"
        );
    }
    let block = out.split("\n6.1.1.8 ").nth(1).unwrap();
    assert!(block.lines().nth(1).unwrap().contains("LP-ENTRA-002"));
    let block = out.split("\n6.1.1.6 ").nth(1).unwrap();
    assert!(block.lines().nth(1).unwrap().contains("LP-APP-001"));
    // CIS 6.0: its own numbering beside 5.0 (App Service HTTP logs left 6.1.1, so VNet flow
    // logs are 6.1.1.6 and Intune 6.1.1.9), what is not covered said.
    let (code, six, err) = run(&["checks", "list", "--framework", "cis-6.0"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        six.contains("CIS Microsoft Azure Foundations Benchmark v6.0.0"),
        "{six}"
    );
    assert!(six.contains("24 of 26 controls covered"), "{six}");
    for (id, first_check) in [
        ("6.1.1.6", "LP-FLOW-002"),
        ("6.1.1.7", "LP-ENTRA-002"),
        ("6.1.1.8", "LP-ENTRA-001"),
        ("6.1.2.11", "LP-ALERT-013"),
        ("7.8", "LP-FLOW-003"),
    ] {
        let block = six.split(&format!("\n{id} ")).nth(1).unwrap();
        assert!(
            block.lines().nth(1).unwrap().contains(first_check),
            "{id}: {block}"
        );
    }
    let intune = six.split("\n6.1.1.9 ").nth(1).unwrap();
    assert!(
        intune.lines().nth(1).unwrap().contains("NOT COVERED"),
        "{intune}"
    );
    // The storage and database logging controls, from CIS 3.0.0, with their CIS titles.
    let (code, out, err) = run(&["checks", "list", "--framework", "cis-3.0-data"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("12 of 12 controls covered"), "{out}");
    for (id, check) in [
        ("4.13", "LP-STLOG-001"),
        ("5.1.1", "LP-SQL-001"),
        ("5.1.6", "LP-SQL-002"),
        ("5.2.4", "LP-DB-003"),
        ("5.3.4", "LP-DB-006"),
        ("5.3.4", "LP-DB-007"),
    ] {
        let block: Vec<&str> = out
            .split(&format!("\n{id} "))
            .nth(1)
            .unwrap_or_else(|| panic!("{id}: {out}"))
            .lines()
            .take_while(|l| !l.is_empty())
            .collect();
        assert!(
            block[1..].iter().any(|l| l.trim_start().starts_with(check)),
            "{id}: {block:?}"
        );
    }
    assert!(out.contains("Ensure that 'Auditing' Retention is 'greater than 90 days'"));
    // Every data-service check is under MCSB; PCI DSS is 4.0.1.
    let (code, mcsb, err) = run(&["checks", "list", "--framework", "mcsb"]);
    assert_eq!(code, 0, "{err}");
    let (_, all, _) = run(&["checks", "list"]);
    for id in all.split_whitespace().filter(|w| {
        [
            "LP-SQL-",
            "LP-DB-",
            "LP-APP-",
            "LP-AKS-",
            "LP-FW-",
            "LP-WAF-",
            "LP-BAS-",
            "LP-APIM-",
            "LP-COSMOS-",
            "LP-STLOG-",
        ]
        .iter()
        .any(|p| w.starts_with(p))
    }) {
        assert!(mcsb.contains(id), "{id} is under no MCSB control:\n{mcsb}");
    }
    // The frameworks logging auditors are asked about in the US and the EU.
    for (id, controls) in [
        (
            "nist-800-53-au",
            ["AU-2", "AU-3", "AU-6", "AU-9", "AU-11", "AU-12"].as_slice(),
        ),
        ("soc2-cc7.2", ["CC7.2"].as_slice()),
        (
            "nis2",
            ["3.2.1", "3.2.3.a", "3.2.3.d", "3.2.4", "3.2.5"].as_slice(),
        ),
    ] {
        let (code, out, err) = run(&["checks", "list", "--framework", id]);
        assert_eq!(code, 0, "{id}: {err}");
        for c in controls {
            let block = out
                .split(&format!("\n{c} "))
                .nth(1)
                .unwrap_or_else(|| panic!("{id} lacks {c}: {out}"));
            assert!(
                block.lines().nth(1).unwrap().contains("LP-"),
                "{id} {c}: {block}"
            );
        }
    }
    let (code, pci, err) = run(&["checks", "list", "--framework", "pci-dss-4.0.1"]);
    assert_eq!(code, 0, "{err}");
    assert!(pci.contains("PCI DSS v4.0.1"), "{pci}");
    let (code, _, err) = run(&["checks", "list", "--framework", "nope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown framework") && err.contains("cis-5.0"),
        "{err}"
    );
}

#[test]
fn a_remediation_naming_evidence_its_kind_does_not_write_is_refused_with_file_line_and_kind() {
    let dir = tempfile::tempdir().unwrap();
    // `plan` is what defender_plan writes; `plans` would print `<evidence.plans>` in the command.
    let p = write(
        &dir,
        "mine.toml",
        "[[check]]\nid = \"LP-DEF-002\"\nremediation = \"az security pricing create --name {evidence.plans}\"\n",
    );
    let (code, _, err) = run(&["checks", "list", "--baseline", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("mine.toml:2"), "{err}");
    assert!(err.contains("{evidence.plans}"), "{err}");
    assert!(
        err.contains("kind defender_plan (src/evaluate/rules/defender_plan.rs:"),
        "{err}"
    );
    assert!(err.contains("it writes: plan,"), "{err}");

    // The key the kind does write loads.
    let ok = write(
        &dir,
        "ok.toml",
        "[[check]]\nid = \"LP-DEF-002\"\nremediation = \"az security pricing create --name {evidence.plan}\"\n",
    );
    let (code, _, err) = run(&["checks", "list", "--baseline", ok.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

/// The built-in cost model without `[figure.NAME]`.
fn cost_model_without(name: &str) -> String {
    assert!(
        logposture::estimate::model::BUILTIN.contains(&format!("[figure.{name}]")),
        "figure {name} in the built-in model"
    );
    cli::builtin_cost_model_keeping(|f| f != name)
}

#[test]
fn a_cost_model_without_a_figure_a_kind_reads_is_refused_naming_the_kind() {
    use logposture::estimate::model::CostModel;
    let readers = logposture::app::figure_readers();
    // The DNS figures were the ones the old hand list forgot.
    let text = cost_model_without("dns_queries_per_vm_day");
    let err = CostModel::load_from("checks/cost-model.toml", &text, &[], &readers)
        .unwrap_err()
        .to_string();
    assert!(err.contains("checks/cost-model.toml"), "{err}");
    assert!(
        err.contains("figure dns_queries_per_vm_day is missing"),
        "{err}"
    );
    assert!(
        err.contains("kind dns_query_logging (src/evaluate/rules/dns_query_logs.rs:"),
        "{err}"
    );
    // Every figure any kind declares is guarded the same way.
    for r in &readers {
        for f in r.figures {
            let text = cost_model_without(f);
            let err = CostModel::load_from("checks/cost-model.toml", &text, &[], &readers)
                .expect_err(f)
                .to_string();
            assert!(err.contains(&format!("figure {f} is missing")), "{err}");
            assert!(err.contains(&r.who), "{f}: {err}");
        }
    }
    // The whole built-in model loads.
    CostModel::load(&[], &readers).unwrap();
}

/// CIS 3.0 5.3.4 asks connection events of the MySQL audit log, which records nothing while
/// audit_log_enabled is OFF: a server auditing CONNECTION with the log off does not meet it.
#[test]
fn a_mysql_server_with_the_audit_log_off_does_not_meet_5_3_4() {
    let mut snap = logposture::demo::snapshot();
    let mut changed = 0;
    for sub in &mut snap.inventory.subscriptions {
        for s in sub.database_servers.value.iter_mut().flatten() {
            if s.engine == "mysql" {
                if let Some(p) = s.parameters.value.as_mut() {
                    p.insert("audit_log_enabled".into(), "OFF".into());
                    p.insert("audit_log_events".into(), "CONNECTION".into());
                    changed += 1;
                }
            }
        }
    }
    assert!(changed > 0, "the demo has a MySQL flexible server");
    let a = logposture::app::Assessment::load(&logposture::cli::EvalArgs::builtin()).unwrap();
    let r = a.assess(&snap, time::macros::date!(2026 - 11 - 02));
    let control = r
        .frameworks
        .iter()
        .find(|f| f.id == "cis-3.0-data")
        .and_then(|f| f.controls.iter().find(|c| c.id == "5.3.4"))
        .unwrap();
    assert_eq!(control.checks, ["LP-DB-006", "LP-DB-007"]);
    assert_eq!(
        control.status,
        logposture::model::frameworks::ControlStatus::NotMet,
        "{control:?}"
    );
    assert!(control.fail >= 1, "{control:?}");
}
