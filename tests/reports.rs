//! Every report format on the demo tenant: snapshots (insta), SARIF schema validation, JUnit as
//! XML, HTML self-containment and escaping, Markdown size limit, drift.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use logposture::app::Assessment;
use logposture::cli::EvalArgs;
use logposture::inventory::{Read, Resource, ResourceDiagnostics};
use logposture::model::{Results, Severity, Status};
use logposture::render::{self, Format, Templates};
use std::path::PathBuf;

#[path = "support/cli.rs"]
mod cli;
use std::process::Command;

fn eval_args() -> EvalArgs {
    logposture::cli::EvalArgs::builtin()
}

fn demo_results() -> Results {
    let a = Assessment::load(&eval_args()).expect("built-in configuration loads");
    let today = time::macros::date!(2026 - 11 - 02);
    a.assess(&logposture::demo::snapshot(), today)
}

fn templates() -> Templates {
    Templates::load(None).expect("built-in templates")
}

/// Three findings of the demo (a costed failure, a not-assessed one, a pass): small snapshots
/// whose diffs can be read, beside the whole-demo ones.
fn small_results() -> Results {
    let mut r = demo_results();
    let pick = |check: &str, status: Status| {
        r.findings
            .iter()
            .find(|f| &*f.check_id == check && f.status == status)
            .cloned()
            .unwrap_or_else(|| panic!("{check} {status:?} in the demo"))
    };
    let findings = vec![
        pick("LP-ENTRA-001", Status::Fail),
        pick("LP-ACT-001", Status::NotAssessed),
        pick("LP-RET-001", Status::Pass),
    ];
    r.summary = logposture::model::Summary::of(&findings);
    r.findings = findings;
    r.errors.truncate(1);
    r
}

#[test]
fn small_snapshots_per_format() {
    let r = small_results();
    let json = render::json(&r).unwrap();
    cli::assert_results_schema(&serde_json::from_str(&json).unwrap(), "small results.json");
    insta::assert_snapshot!("small_results_json", json);
    insta::assert_snapshot!("small_report_md", templates().markdown(&r).unwrap());
    insta::assert_snapshot!("small_results_sarif", render::sarif::render(&r).unwrap());
    insta::assert_snapshot!("small_junit_xml", render::junit::render(&r));
    insta::assert_snapshot!("small_report_html", templates().html(&r).unwrap());
    let mut ocsf = Vec::new();
    render::ocsf::render_to(&r, &mut ocsf).unwrap();
    insta::assert_snapshot!("small_findings_ocsf", String::from_utf8(ocsf).unwrap());
}

/// The small results as the third weekly run of a history: the two runs before it failed the
/// workspace retention that passes now. Failing since, time to fix and the trend, in every
/// format.
#[test]
fn small_snapshots_with_a_history() {
    let mut r = small_results();
    let mut h = logposture::history::History::in_memory("posture.db").unwrap();
    for (started, finished) in [
        ("2026-10-19T06:00:00Z", "2026-10-19T06:03:41Z"),
        ("2026-10-26T06:00:00Z", "2026-10-26T06:03:41Z"),
    ] {
        let mut earlier = r.clone();
        earlier.started_at = started.into();
        earlier.finished_at = finished.into();
        for f in &mut earlier.findings {
            if &*f.check_id == "LP-RET-001" {
                f.status = Status::Fail;
            }
        }
        earlier.summary = logposture::model::Summary::of(&earlier.findings);
        h.record(&earlier, logposture::history::Source::Scan)
            .unwrap();
    }
    logposture::history::remember(&mut h, &mut r, logposture::history::Source::Scan).unwrap();
    let entra = r
        .findings
        .iter()
        .find(|f| &*f.check_id == "LP-ENTRA-001")
        .unwrap();
    assert_eq!(entra.failing_since.as_deref(), Some("2026-10-19T06:00:00Z"));
    let ret = r
        .findings
        .iter()
        .find(|f| &*f.check_id == "LP-RET-001")
        .unwrap();
    assert_eq!(
        ret.time_to_fix.as_ref().unwrap().failing_since,
        "2026-10-19T06:00:00Z"
    );
    let json = render::json(&r).unwrap();
    cli::assert_results_schema(&serde_json::from_str(&json).unwrap(), "small results.json");
    insta::assert_snapshot!("history_results_json", json);
    insta::assert_snapshot!("history_report_md", templates().markdown(&r).unwrap());
    insta::assert_snapshot!("history_results_sarif", render::sarif::render(&r).unwrap());
    insta::assert_snapshot!("history_report_html", templates().html(&r).unwrap());
    let mut csv = Vec::new();
    render::csv::render_to(&r, &mut csv).unwrap();
    insta::assert_snapshot!("history_findings_csv", String::from_utf8(csv).unwrap());
}

#[test]
fn small_findings_csv_snapshot() {
    let mut csv = Vec::new();
    render::csv::render_to(&small_results(), &mut csv).unwrap();
    insta::assert_snapshot!("small_findings_csv", String::from_utf8(csv).unwrap());
}

#[test]
fn results_json_snapshot() {
    let r = demo_results();
    let json = render::json(&r).unwrap();
    cli::assert_results_schema(&serde_json::from_str(&json).unwrap(), "demo results.json");
    insta::assert_snapshot!("demo_results_json", json);
}

/// results.json is a finding per line (issue 32: a sixth smaller than indented, and a grep or a
/// diff shows whole findings), each line a complete JSON object equal to the finding read back.
#[test]
fn results_json_holds_one_finding_per_line() {
    let r = demo_results();
    let json = render::json(&r).unwrap();
    let lines: Vec<&str> = json
        .lines()
        .filter(|l| l.starts_with("{\"check_id\""))
        .collect();
    assert_eq!(lines.len(), r.findings.len());
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    for (line, f) in lines.iter().zip(doc["findings"].as_array().unwrap()) {
        let one: serde_json::Value = serde_json::from_str(line.trim_end_matches(',')).unwrap();
        assert_eq!(&one, f);
    }
    assert!(json.starts_with("{\n\"schema_version\":"), "a key per line");
    assert!(json.ends_with("\n}\n"));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(
        "demo_report_md",
        templates().markdown(&demo_results()).unwrap()
    );
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(
        "demo_results_sarif",
        render::sarif::render(&demo_results()).unwrap()
    );
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!("demo_junit_xml", render::junit::render(&demo_results()));
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(
        "demo_report_html",
        templates().html(&demo_results()).unwrap()
    );
}

/// An estate with many unreadable subscriptions names the first twenty in its warnings and
/// counts the rest (the report's first screen stayed a wall of ids at a hundred); the count
/// card still counts them all.
#[test]
fn incomplete_evidence_names_twenty_subscriptions_and_counts_the_rest() {
    let mut r = demo_results();
    let template = r
        .findings
        .iter()
        .find(|f| f.status == Status::NotAssessed)
        .cloned()
        .unwrap();
    for i in 0..25 {
        let id = format!("{i:08x}-0000-4000-8000-00000000abcd");
        r.scope
            .subscriptions
            .push(logposture::inventory::SubscriptionRef {
                id: id.clone(),
                name: format!("unread-{i}"),
                state: "Enabled".into(),
            });
        let mut f = template.clone();
        f.resource_id = format!("/subscriptions/{id}");
        f.subscription_id = Some(id);
        r.findings.push(f);
    }
    let not_assessed = r.subscriptions_not_assessed().len();
    assert!(not_assessed >= 25);
    let more = not_assessed - 20;
    let html = templates().html(&r).unwrap();
    let md = templates().markdown(&r).unwrap();
    // The warnings themselves (the subscriptions table further down lists every one).
    let warning = |text: &str, start: &str| {
        let i = text.find(start).unwrap();
        text[i..].lines().take(2).collect::<Vec<_>>().join("\n")
    };
    for (name, w) in [
        (
            "report.html",
            warning(&html, "<strong>Incomplete evidence.</strong>"),
        ),
        ("report.md", warning(&md, "> Evidence is incomplete")),
    ] {
        assert!(w.contains(&format!(" and {more} more")), "{name}: {w}");
        assert!(w.contains("unread-0 ("), "{name}");
        assert!(
            !w.contains("unread-24 ("),
            "{name} names only the first twenty"
        );
    }
    assert!(html.contains(&format!("<div class=\"big na\">{not_assessed}</div>")));
}

#[test]
fn demo_results_follow_the_contract() {
    let r = demo_results();
    assert_eq!(r.schema_version, 1);
    assert_eq!(r.exit_code(Severity::High), 1, "the demo has high failures");
    assert_eq!(
        r.exit_code(Severity::Critical),
        1,
        "the demo has a critical Entra gap"
    );
    let statuses: std::collections::BTreeSet<Status> =
        r.findings.iter().map(|f| f.status).collect();
    assert!(
        statuses.contains(&Status::Pass)
            && statuses.contains(&Status::Fail)
            && statuses.contains(&Status::NotAssessed)
    );
    for area in logposture::model::AREAS {
        let c = r
            .summary
            .by_area
            .get(area)
            .unwrap_or_else(|| panic!("area {area} in the demo"));
        // Entra is one tenant-level finding: it can only fail or pass.
        let needs_pass = area != "entra-logs";
        assert!(
            c.fail > 0 && (c.pass > 0 || !needs_pass),
            "area {area} has passes and failures in the demo: {c:?}"
        );
    }
    assert_eq!(
        r.subscriptions_not_assessed().len(),
        1,
        "one forbidden subscription"
    );
    for f in r.findings.iter().filter(|f| f.status == Status::Fail) {
        let logging_gap = matches!(
            f.area.as_ref(),
            "entra-logs" | "resource-logs" | "security-events" | "activity-log"
        ) || matches!(
            f.check_id.as_ref(),
            "LP-FLOW-001" | "LP-FLOW-002" | "LP-FLOW-004" | "LP-RET-001" | "LP-RET-002"
        );
        if logging_gap {
            let c = f
                .cost
                .as_ref()
                .unwrap_or_else(|| panic!("{} on {} has a cost", f.check_id, f.resource_id));
            assert!(!c.basis.is_empty());
        }
    }
    assert!(
        serde_json::to_value(&r.cost).unwrap()["measured"]["usd_per_month"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(
        serde_json::to_value(&r.cost).unwrap()["gaps"]["usd_per_month"]
            .as_f64()
            .unwrap()
            > 0.0
    );
}

/// The official SARIF 2.1.0 schema, vendored in tests/schemas (see its README for source and
/// licence); `SARIF_SCHEMA` may point at another copy.
fn sarif_schema() -> Option<serde_json::Value> {
    let path = std::env::var("SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests")
                .join("schemas")
                .join("sarif-2.1.0-rtm.5.json")
        });
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let schema = sarif_schema().expect("tests/schemas/sarif-2.1.0-rtm.5.json is readable JSON");
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    let doc: serde_json::Value =
        serde_json::from_str(&render::sarif::render(&demo_results()).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF schema errors:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_meets_github_code_scanning_rules() {
    let r = demo_results();
    let doc: serde_json::Value = serde_json::from_str(&render::sarif::render(&r).unwrap()).unwrap();
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        r.findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .count(),
        "one result per unsuppressed failure"
    );
    let mut prints = std::collections::BTreeSet::new();
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        assert!(rules[idx]["help"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        let uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            uri.starts_with("azure/") && !uri.contains("://"),
            "repository-relative location: {uri}"
        );
        assert!(
            res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .starts_with('/')
        );
        assert!(
            prints.insert(
                res["partialFingerprints"]["logposture/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            ),
            "fingerprints are unique"
        );
    }
    // Stable across runs: same input, same fingerprints.
    let again: serde_json::Value =
        serde_json::from_str(&render::sarif::render(&demo_results()).unwrap()).unwrap();
    assert_eq!(again["runs"][0]["results"], run["results"]);
}

#[test]
fn junit_parses_as_xml_with_failures_and_skips() {
    let r = demo_results();
    let xml = render::junit::render(&r);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    let failures = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .count();
    let skipped = doc
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .count();
    assert_eq!(failures, r.summary.fail);
    assert_eq!(skipped, r.summary.not_assessed + r.summary.suppressed);
    assert_eq!(
        cases,
        r.findings
            .iter()
            .filter(|f| f.status != Status::NotApplicable)
            .count()
    );
}

#[test]
fn html_is_self_contained() {
    let html = templates().html(&demo_results()).unwrap();
    let lower = html.to_lowercase();
    for attr in [
        "src=\"http",
        "href=\"http",
        "src='http",
        "href='http",
        "url(http",
        "@import",
        "src=\"//",
        "href=\"//",
    ] {
        assert!(
            !lower.contains(attr),
            "external reference {attr} in report.html"
        );
    }
    assert!(lower.contains("<style>") && lower.contains("class=\"bar"));
}

#[test]
fn markup_from_azure_never_reaches_html_unescaped() {
    let payload = "<img src=x onerror=alert(1)>";
    let mut snap = logposture::demo::snapshot();
    snap.scope.subscriptions[0].name = format!("prod {payload}");
    snap.inventory.subscriptions[0].subscription.name = format!("prod {payload}");
    let evil_id = format!(
        "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Web/sites/{payload}",
        logposture::demo::PROD
    );
    let sub = &mut snap.inventory.subscriptions[0];
    let mut tags = std::collections::BTreeMap::new();
    tags.insert("owner".to_string(), payload.to_string());
    sub.resources.value.as_mut().unwrap().push(Resource {
        id: evil_id.clone(),
        name: payload.into(),
        resource_type: "Microsoft.Web/sites".into(),
        location: "westeurope".into(),
        kind: None,
        tags,
    });
    sub.resource_diagnostics.push(ResourceDiagnostics {
        resource_id: evil_id,
        resource_type: "Microsoft.Web/sites".into(),
        settings: Read::ok(vec![]),
    });
    let a = Assessment::load(&eval_args()).unwrap();
    let r = a.assess(&snap, time::macros::date!(2026 - 11 - 02));
    let html = templates().html(&r).unwrap();
    assert!(!html.contains(payload), "raw markup in report.html");
    assert!(!html.contains("<img"), "an <img> tag from Azure data");
    assert!(
        html.contains("&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;"),
        "escaped form is shown"
    );
    let md = templates().markdown(&r).unwrap();
    assert!(!md.contains("<img"), "raw markup in report.md");
}

#[test]
fn markdown_stays_under_githubs_comment_limit() {
    let mut r = demo_results();
    let template = r
        .findings
        .iter()
        .find(|f| f.status == Status::Fail)
        .unwrap()
        .clone();
    for i in 0..3000 {
        let mut f = template.clone();
        f.resource_id = format!("{}-{i}", f.resource_id);
        r.findings.push(f);
    }
    r.summary = logposture::model::Summary::of(&r.findings);
    let md = templates().markdown(&r).unwrap();
    assert!(
        md.len() <= render::MARKDOWN_LIMIT,
        "{} characters",
        md.len()
    );
    assert!(md.contains("to stay under GitHub's comment size limit"));
}

#[test]
fn compare_reports_new_resolved_and_still_failing() {
    let before = demo_results();
    let mut snap = logposture::demo::snapshot();
    // law-dev (30 days, failing LP-RET-001) is raised to two years: resolved. law-prod-weu
    // (passing) drops to 7 days: a new failure.
    for sub in &mut snap.inventory.subscriptions {
        for ws in sub.workspaces.value.iter_mut().flatten() {
            match ws.name.as_str() {
                "law-dev" => ws.retention_in_days = Some(730),
                "law-prod-weu" => ws.retention_in_days = Some(7),
                _ => {}
            }
        }
    }
    let after = Assessment::load(&eval_args())
        .unwrap()
        .assess(&snap, time::macros::date!(2026 - 11 - 02));
    let d = logposture::compare::drift(&before, &after);
    let names = |items: &[logposture::model::DriftItem]| {
        items
            .iter()
            .map(|i| {
                format!(
                    "{} {}",
                    i.check_id,
                    i.resource_id.rsplit('/').next().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(
        names(&d.new).contains(&"LP-RET-001 law-prod-weu".to_string()),
        "{:?}",
        d.new
    );
    assert!(
        names(&d.resolved_items).contains(&"LP-RET-001 law-dev".to_string()),
        "{:?}",
        d.resolved_items
    );
    assert_eq!(d.new_failures, d.new.len());
    assert_eq!(d.resolved, d.resolved_items.len());
    assert!(d.new_failures >= 1 && d.resolved >= 1);
    assert!(d.still_failing > 10);
    // Against itself: nothing new, nothing resolved.
    let same = logposture::compare::drift(&before, &before);
    assert_eq!((same.new_failures, same.resolved), (0, 0));
    assert_eq!(same.still_failing, before.summary.fail);
}

#[test]
fn drift_never_counts_lost_evidence_as_a_fix() {
    let before = demo_results();
    // The same estate, but every read of one subscription now fails (403), one failure is
    // suppressed, and one failing check is disabled.
    let mut snap = logposture::demo::snapshot();
    let forbidden = logposture::inventory::ReadError {
        scope: "/subscriptions/22222222-3333-4444-8555-666666666666".into(),
        operation: "resources.list".into(),
        status: Some(403),
        code: Some("AuthorizationFailed".into()),
        message: "no access".into(),
    };
    let dev = snap
        .inventory
        .subscriptions
        .iter_mut()
        .find(|s| s.subscription.id.starts_with("22222222"))
        .unwrap();
    *dev = logposture::inventory::SubscriptionInventory::unreadable(
        dev.subscription.clone(),
        forbidden.clone(),
    );

    let after = Assessment::load(&eval_args())
        .unwrap()
        .assess(&snap, time::macros::date!(2026 - 11 - 02));
    let d = logposture::compare::drift(&before, &after);
    assert_eq!(d.resolved, 0, "{:?}", d.resolved_items);
    assert!(
        d.no_longer_assessed
            .iter()
            .any(|i| &*i.check_id == "LP-RET-001" && i.resource_id.ends_with("law-dev")),
        "{:?}",
        d.no_longer_assessed
    );
}

#[test]
fn scan_demo_writes_all_five_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "scan",
            "--demo",
            "--quiet",
            "--format",
            "html,md,json,sarif,junit",
            "--output",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "demo has high failures; stderr {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        Format::Html,
        Format::Markdown,
        Format::Json,
        Format::Sarif,
        Format::Junit,
    ] {
        let p = dir.path().join(f.file_name());
        assert!(
            p.exists() && std::fs::metadata(&p).unwrap().len() > 100,
            "{} written",
            p.display()
        );
    }
    // --compare against itself: nothing new, nothing resolved, in every format.
    let prev = dir.path().join("results.json");
    let dir2 = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "scan",
            "--demo",
            "--quiet",
            "--format",
            "html,md,json",
            "--compare",
        ])
        .arg(&prev)
        .arg("--output")
        .arg(dir2.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Results = logposture::app::parse_results(
        "results.json",
        &cli::read_results(dir2.path().join("results.json")).unwrap(),
    )
    .unwrap();
    let d = r.drift.expect("drift section");
    assert_eq!((d.new_failures, d.resolved), (0, 0));
    assert!(std::fs::read_to_string(dir2.path().join("report.md"))
        .unwrap()
        .contains("Since the previous run"));
    assert!(std::fs::read_to_string(dir2.path().join("report.html"))
        .unwrap()
        .contains("Since the previous run"));
    let a = Assessment::load(&logposture::cli::EvalArgs::builtin()).unwrap();
    let mut r2 = a.assess(
        &logposture::demo::snapshot(),
        time::macros::date!(2026 - 11 - 02),
    );
    r2.drift = Some(logposture::compare::drift(&demo_results(), &r2));
    let sarif: serde_json::Value =
        serde_json::from_str(&render::sarif::render(&r2).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["properties"]["drift"]["newFailures"], 0);
    let junit = render::junit::render(&r2);
    assert!(
        junit.contains("name=\"drift.still_failing\""),
        "drift in JUnit"
    );
    roxmltree::Document::parse(&junit).expect("JUnit with drift is XML");
}

#[test]
fn costs_use_the_configured_currency_and_unmeasured_reads_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let pricing = dir.path().join("eur.toml");
    std::fs::write(&pricing, "[meta]\ncurrency = \"EUR\"\n\n[figure.analytics_gb]\nvalue = 3.00\nunit = \"EUR/GB\"\nsource = \"EA price sheet 2026-10\"\n").unwrap();
    let out = dir.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "scan",
            "--demo",
            "--quiet",
            "--format",
            "html,md,json,sarif",
            "--pricing",
        ])
        .arg(&pricing)
        .arg("--output")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.sarif")).unwrap()).unwrap();
    let texts: Vec<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"]["text"].as_str().unwrap().to_string())
        .filter(|t| t.contains("Estimated cost to close"))
        .collect();
    assert!(!texts.is_empty());
    assert!(texts.iter().all(|t| !t.contains('$')), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("EUR")), "{texts:?}");
    // law-dev's Usage could not be read: its retention cost is unknown, never $0 or a raw enum.
    let law_dev = texts
        .iter()
        .find(|t| t.contains("law-dev") && t.contains("keeps data"))
        .expect("LP-RET-001 on law-dev");
    assert!(law_dev.contains("unknown"), "{law_dev}");
    for name in ["report.md", "report.html", "results.sarif"] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(!text.contains("not_measured"), "raw enum in {name}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("unknown: the volume was not measured"));
}

#[test]
fn the_cost_waterfall_adds_up_on_the_demo() {
    let r = demo_results();
    let w = &r.cost.waterfall;
    assert!(w.len() >= 4, "{w:?}");
    let cents = |x: f64| (x * 100.0).round() as i64;
    assert_eq!(w[0].kind, "start");
    assert_eq!(
        cents(w[0].usd_per_month),
        cents(r.cost.measured.usd_per_month)
    );
    // Every total equals the lines before it; the first total is today plus every area.
    let mut running = 0i64;
    for step in w {
        match step.kind.as_str() {
            "start" => running = cents(step.usd_per_month),
            "add" | "saving" => running += cents(step.usd_per_month),
            "total" => assert_eq!(
                cents(step.usd_per_month),
                running,
                "{} does not add up: {w:?}",
                step.label
            ),
            other => panic!("unknown kind {other}"),
        }
    }
    let first_total = w.iter().find(|s| s.kind == "total").unwrap();
    let areas: f64 = r.cost.gaps.by_area.values().sum();
    assert!((first_total.usd_per_month - (r.cost.measured.usd_per_month + areas)).abs() < 0.02);
    // The best pricing line is the commitment choice for the closed-gap volume.
    let last = w.last().unwrap();
    let saving = r.cost.commitment.with_gaps_closed.saving_usd_per_month;
    assert!((last.usd_per_month - (first_total.usd_per_month - saving)).abs() < 0.02);
    // Each area line says how its figure was reached; unmeasured workspaces are named.
    assert!(w
        .iter()
        .filter(|s| s.kind == "add")
        .all(|s| !s.basis.is_empty()));
    assert!(w[0].basis.contains("law-dev"), "{}", w[0].basis);
}

/// The shipped schema is the one the output type generates: a change to results.json's shape
/// shows up as a change to this file in review. `UPDATE_SCHEMA=1` rewrites it.
#[test]
fn the_shipped_results_schema_is_the_output_types() {
    let generated = logposture::model::output::schema_json();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/model/results.schema.json");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    assert!(
        generated == logposture::model::output::RESULTS_SCHEMA,
        "src/model/results.schema.json is out of date: run UPDATE_SCHEMA=1 cargo test --test reports the_shipped_results_schema"
    );
}

/// A results.json read back through the output type writes the same JSON: what merge and
/// --compare read is what was written.
#[test]
fn results_json_reads_back_through_the_output_type_unchanged() {
    let json = render::json(&demo_results()).unwrap();
    let file: logposture::model::output::ResultsFile = serde_json::from_str(&json).unwrap();
    let again: serde_json::Value = serde_json::to_value(&file).unwrap();
    let written: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(again, written);
}

/// The schema refuses what the numeric guards exist to stop: a `null` where a figure belongs.
#[test]
fn the_results_schema_refuses_a_null_figure() {
    let json = render::json(&demo_results()).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    doc["cost"]["gaps"]["usd_per_month"] = serde_json::Value::Null;
    let r = std::panic::catch_unwind(|| cli::assert_results_schema(&doc, "tampered"));
    assert!(r.is_err(), "a null cost figure passed the schema");
}

/// The OCSF 1.5.0 Compliance Finding schema, vendored in tests/schemas (see its README).
fn ocsf_schema() -> serde_json::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/schemas/ocsf-1.5.0-compliance-finding.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// `scan --demo --format ocsf,compliance`: one OCSF Compliance Finding per finding, each valid
/// against the class's schema and naming only attributes the class (or the cloud profile)
/// defines; one CSV per framework with a row per control.
#[test]
fn ocsf_and_compliance_files_from_the_demo_validate() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let (code, _, stderr) = cli::run(&[
        "scan",
        "--demo",
        "--quiet",
        "--fail-on",
        "none",
        "--format",
        "ocsf,compliance",
        "--output",
        out.to_str().unwrap(),
    ]);
    // 3: the demo has a subscription the identity cannot read (evidence incomplete).
    assert_eq!(code, 3, "{stderr}");
    let events: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("findings.ocsf.json")).unwrap())
            .unwrap();
    let r = demo_results();
    assert_eq!(events.len(), r.findings.len(), "one event per finding");
    let schema = ocsf_schema();
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    // Attribute names the class defines, per object (the schema allows unknown ones: a typo
    // would pass validation, so names are checked here).
    let props = |def: Option<&str>| -> Vec<String> {
        let node = match def {
            None => &schema,
            Some(d) => &schema["$defs"][d],
        };
        node["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    let mut uids = std::collections::BTreeSet::new();
    for e in &events {
        let errors: Vec<String> = validator
            .iter_errors(e)
            .map(|x| format!("{x} at {}", x.instance_path))
            .collect();
        assert!(errors.is_empty(), "{errors:?}\n{e}");
        assert_eq!(e["class_uid"], 2003);
        for (object, def) in [
            (e, None),
            (&e["compliance"], Some("Compliance")),
            (&e["finding_info"], Some("FindingInformation")),
            (&e["resources"][0], Some("ResourceDetails")),
            (&e["metadata"], Some("Metadata")),
            (&e["metadata"]["product"], Some("Product")),
            (&e["remediation"], Some("Remediation")),
        ] {
            let known = props(def);
            for k in object.as_object().unwrap().keys() {
                // `cloud` is the OCSF cloud profile's attribute (metadata.profiles says so).
                assert!(
                    known.contains(k) || (def.is_none() && k == "cloud"),
                    "{k} in {def:?}"
                );
            }
        }
        assert!(uids.insert(e["finding_info"]["uid"].as_str().unwrap().to_string()));
    }
    // The same finding has the same uid in another run (here: the results evaluated again).
    let mut again = Vec::new();
    render::ocsf::render_to(&r, &mut again).unwrap();
    let again: Vec<serde_json::Value> = serde_json::from_slice(&again).unwrap();
    let again: std::collections::BTreeSet<String> = again
        .iter()
        .map(|e| e["finding_info"]["uid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(uids, again);
    // A failing Key Vault finding: its subscription, type, region, tags and framework controls.
    let kv = events
        .iter()
        .find(|e| e["compliance"]["control"] == "LP-RES-004" && e["status_code"] == "FAIL")
        .expect("LP-RES-004 fails in the demo");
    assert_eq!(kv["compliance"]["status_id"], 3);
    assert_eq!(kv["resources"][0]["type"], "Microsoft.KeyVault/vaults");
    assert_eq!(kv["cloud"]["account"]["type"], "Azure Subscription");
    assert!(kv["remediation"]["desc"].as_str().unwrap().contains("az "));

    // Compliance: one CSV per framework, a row per control.
    for fw in &r.frameworks {
        let text = std::fs::read_to_string(out.join("compliance").join(format!("{}.csv", fw.id)))
            .unwrap_or_else(|e| panic!("{}: {e}", fw.id));
        assert_eq!(text.lines().count(), fw.controls.len() + 1, "{}", fw.id);
    }
}
