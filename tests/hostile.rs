//! A hostile or broken ARM on loopback: ids that point elsewhere, echoed tokens, lists without
//! `value`, unreadable values, stalls, endless throttling and paging, names that break formats,
//! empty scopes. Each test drives the real binary against the emulator's hostile routes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use logposture::model::{Results, Status};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use support::tenant::{self, NW, S1};
use support::{load_fixture, ArmEmulator, Route, CLIENT_SECRET, TOKEN};

const SUB: &str = "/subscriptions/aaaaaaaa-1111-4111-8111-111111111111";

struct Scan {
    code: i32,
    stderr: String,
    results: Option<Results>,
    dir: tempfile::TempDir,
}

async fn scan(emu: &ArmEmulator, extra: &[&str]) -> Scan {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let snap = dir.path().join("snapshot.json");
    let mut args = vec![
        "scan".to_string(),
        "--quiet".into(),
        "--output".into(),
        out.to_str().unwrap().into(),
        "--format".into(),
        "json,sarif,junit,md,html".into(),
        "--snapshot-out".into(),
        snap.to_str().unwrap().into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = support::run_logposture(emu, &argv).await;
    let results = support::cli::read_results(out.join("results.json"))
        .ok()
        .map(|t| logposture::app::parse_results("results.json", &t).expect("results.json parses"));
    Scan {
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        results,
        dir,
    }
}

fn status_of(r: &Results, check: &str, resource_suffix: &str) -> Option<Status> {
    r.findings
        .iter()
        .find(|f| {
            &*f.check_id == check
                && f.resource_id
                    .to_lowercase()
                    .ends_with(&resource_suffix.to_lowercase())
        })
        .map(|f| f.status)
}

fn every_file(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(every_file(&p));
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn ids_pointing_at_another_host_never_get_a_request() {
    let foreign = ArmEmulator::start().await;
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let other = foreign.url();
    // A watcher whose id is an absolute URL, one with a UNC-style id, and a workspace likewise.
    emu.json(
        &format!("{SUB}/providers/Microsoft.Network/networkWatchers"),
        json!({ "value": [
            { "id": format!("{other}/subscriptions/x/networkWatchers/nw"), "name": "nw-evil", "location": "westeurope", "properties": { "provisioningState": "Succeeded" } },
            { "id": format!("\\\\{}\\nw", foreign.addr), "name": "nw-unc", "location": "westeurope", "properties": { "provisioningState": "Succeeded" } }
        ]}),
    );
    emu.json(
        &format!("{SUB}/providers/Microsoft.OperationalInsights/workspaces"),
        json!({ "value": [
            { "id": format!("{other}/ws"), "name": "law-evil", "location": "westeurope", "properties": { "customerId": format!("../../{}", foreign.addr), "retentionInDays": 90 } }
        ]}),
    );
    let s = scan(&emu, &[]).await;
    let r = s.results.expect("results written");
    assert_eq!(
        foreign.requests().len(),
        0,
        "the foreign host was asked: {:?}",
        foreign.requests()
    );
    let refused: Vec<_> = r
        .errors
        .iter()
        .filter(|e| e.code.as_deref() == Some("InvalidRequestUrl"))
        .collect();
    assert!(
        refused.iter().any(|e| e.operation == "flowLogs.list")
            && refused.iter().any(|e| e.operation == "tables.list"),
        "{:?}",
        r.errors
    );
    // Flow logs that could not be read make the network area not assessed, never a pass.
    assert_ne!(status_of(&r, "LP-FLOW-001", "nsg-web"), Some(Status::Pass));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_echoed_token_or_secret_never_reaches_an_output_file() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.route(
        &format!("{SUB}/providers/Microsoft.Network/networkSecurityGroups"),
        Route::EchoAuth(400),
    );
    emu.route(
        "/providers/microsoft.aadiam/diagnosticSettings",
        Route::EchoAuth(403),
    );
    // A payload that carries the token in a name, as a reflecting proxy might.
    emu.json(
        &format!("{SUB}/providers/Microsoft.Storage/storageAccounts"),
        json!({ "value": [ { "id": format!("{SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1"), "name": format!("Bearer {TOKEN}"), "location": "westeurope", "properties": {} } ] }),
    );
    let s = scan(&emu, &[]).await;
    assert!(s.results.is_some(), "{}", s.stderr);
    let files = every_file(s.dir.path());
    assert!(files.len() >= 6, "{files:?}");
    for (name, bytes) in &files {
        assert!(!contains(bytes, TOKEN), "the token is in {name}");
        assert!(
            !contains(bytes, CLIENT_SECRET),
            "the client secret is in {name}"
        );
    }
    assert!(!s.stderr.contains(TOKEN));
    let r = s.results.unwrap();
    assert!(
        r.errors.iter().any(
            |e| e.message.contains("[REDACTED]") && e.operation == "networkSecurityGroups.list"
        ),
        "{:?}",
        r.errors
    );
}

/// Every check but `keep` disabled, as a baseline override file.
fn only_check(dir: &Path, keep: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args(["checks", "list"])
        .output()
        .unwrap();
    let mut toml = String::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let id = line.split_whitespace().next().unwrap_or_default();
        if id.starts_with("LP-") && id != keep {
            toml.push_str(&format!("[[check]]\nid = \"{id}\"\nenabled = false\n\n"));
        }
    }
    let p = dir.join("only.toml");
    std::fs::write(&p, toml).unwrap();
    p.to_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_list_answered_200_without_value_is_a_read_error_not_an_empty_list() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = only_check(tmp.path(), "LP-SEC-001");
    let vms = format!("{SUB}/providers/Microsoft.Compute/virtualMachines");

    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let before = scan(&emu, &["--subscription", S1, "--baseline", &baseline]).await;
    assert_eq!(
        before.code, 1,
        "the Windows VM fails LP-SEC-001: {}",
        before.stderr
    );

    for body in [
        json!({}),
        json!({ "value": null }),
        json!({ "error": { "code": "InternalError", "message": "try later" } }),
    ] {
        let emu = ArmEmulator::start().await;
        tenant::serve(&emu);
        emu.json(&vms, body.clone());
        let s = scan(&emu, &["--subscription", S1, "--baseline", &baseline]).await;
        let r = s.results.expect("results written");
        assert_eq!(s.code, 3, "{body}: {}", s.stderr);
        assert!(
            r.errors
                .iter()
                .any(|e| e.operation == "virtualMachines.list"),
            "{body}: {:?}",
            r.errors
        );
        let sec: Vec<_> = r
            .findings
            .iter()
            .filter(|f| &*f.check_id == "LP-SEC-001")
            .collect();
        assert!(!sec.is_empty(), "{body}: the findings vanished");
        assert!(
            sec.iter().all(|f| f.status == Status::NotAssessed),
            "{body}: {sec:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unreadable_flow_log_retention_is_not_assessed() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let s = scan(&emu, &[]).await;
    assert_eq!(
        status_of(s.results.as_ref().unwrap(), "LP-FLOW-003", "fl-vnet-main"),
        Some(Status::Fail),
        "30 days fails the 90-day minimum"
    );
    for days in [json!("thirty"), Value::Null, json!(-30)] {
        let mut flow_logs = load_fixture("arm/flow-logs.json");
        flow_logs["value"][1]["properties"]["retentionPolicy"]["days"] = days.clone();
        emu.json(&format!("{NW}/flowLogs"), flow_logs);
        let s = scan(&emu, &[]).await;
        let r = s.results.unwrap();
        assert_eq!(
            status_of(&r, "LP-FLOW-003", "fl-vnet-main"),
            Some(Status::NotAssessed),
            "days = {days}"
        );
    }
    // An item without properties is an unreadable item: its list is partial.
    let mut flow_logs = load_fixture("arm/flow-logs.json");
    flow_logs["value"][1]
        .as_object_mut()
        .unwrap()
        .remove("properties");
    emu.json(&format!("{NW}/flowLogs"), flow_logs);
    let r = scan(&emu, &[]).await.results.unwrap();
    assert!(
        r.errors.iter().any(
            |e| e.operation == "flowLogs.list" && e.code.as_deref() == Some("MalformedPayload")
        ),
        "{:?}",
        r.errors
    );
    assert_ne!(
        status_of(&r, "LP-FLOW-003", "fl-vnet-main"),
        Some(Status::Pass)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_body_ends_within_the_request_timeout() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.route(
        &format!("{SUB}/providers/Microsoft.Network/networkSecurityGroups"),
        Route::StallBody(load_fixture("arm/nsgs.json").to_string()),
    );
    let started = Instant::now();
    let s = scan(&emu, &["--request-timeout", "3"]).await;
    let took = started.elapsed();
    // One timed-out read (3 s) plus the tenant's own throttled read (1 s) and the rest.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let r = s.results.expect("results written");
    assert!(
        r.errors
            .iter()
            .any(|e| e.operation == "networkSecurityGroups.list"
                && e.message.contains("no complete response within 3s")),
        "{:?}",
        r.errors
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_token_endpoint_ends_within_the_request_timeout() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.stall_token_endpoint();
    let started = Instant::now();
    let s = scan(&emu, &["--request-timeout", "2"]).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.code, 2, "{}", s.stderr);
    assert!(
        s.stderr.contains("token request did not finish within 2s"),
        "{}",
        s.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_retry_after_gives_the_read_up_instead_of_holding_the_scan() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.route(
        &format!("{SUB}/providers/Microsoft.Network/networkSecurityGroups"),
        Route::Throttle {
            times: 1000,
            retry_after: 100_000,
            then: Box::new(Route::Json(json!({ "value": [] }))),
        },
    );
    let started = Instant::now();
    let s = scan(&emu, &[]).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let r = s.results.expect("results written");
    let e = r
        .errors
        .iter()
        .find(|e| e.operation == "networkSecurityGroups.list")
        .expect("the throttled read is recorded");
    assert_eq!(e.status, Some(429));
    assert!(e.message.contains("throttle budget"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread")]
async fn max_duration_ends_the_scan_with_what_was_read() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.route(
        &format!("{SUB}/providers/Microsoft.Network/networkSecurityGroups"),
        Route::Slow(
            Duration::from_secs(60),
            Box::new(Route::Json(json!({ "value": [] }))),
        ),
    );
    let started = Instant::now();
    let s = scan(&emu, &["--max-duration", "3"]).await;
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let r = s.results.expect("results written with what was collected");
    assert!(r
        .errors
        .iter()
        .any(|e| e.operation == "networkSecurityGroups.list"));
}

#[tokio::test(flavor = "multi_thread")]
async fn names_that_break_formats_do_not() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let rg = format!("{SUB}/resourceGroups/rg-sec/providers/Microsoft.KeyVault/vaults");
    let hostile = format!("{rg}/kv-\u{FFFE}\u{FFFF}-\u{1b}[31mred-\u{0}-a\\|b|c");
    let huge = format!("{rg}/kv-{}", "x".repeat(1_000_000));
    let mut resources = load_fixture("arm/resources-pages.json")["pages"][0].clone();
    for id in [&hostile, &huge] {
        resources.as_array_mut().unwrap().push(json!({
            "id": id, "name": id.rsplit('/').next(), "type": "Microsoft.KeyVault/vaults", "location": "westeurope"
        }));
    }
    emu.json(&format!("{SUB}/resources"), json!({ "value": resources }));
    let s = scan(&emu, &[]).await;
    let r = s.results.expect("results written");
    assert!(r
        .findings
        .iter()
        .any(|f| f.resource_id.contains("\u{FFFE}")));
    let out = s.dir.path().join("out");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    roxmltree::Document::parse(&junit).expect("junit.xml parses");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for (name, text) in [("report.md", &md), ("report.html", &html)] {
        assert!(!text.contains('\u{1b}'), "ESC in {name}");
        assert!(!text.contains('\u{0}'), "NUL in {name}");
        assert!(!text.contains('\u{FFFE}'), "U+FFFE in {name}");
    }
    assert!(
        md.len() <= logposture::render::MARKDOWN_LIMIT,
        "{}",
        md.len()
    );
    // Each table keeps one cell count on every row: the name's `\|` and `|` are escaped.
    let cells = |line: &str| {
        line.replace("\\\\", "")
            .replace("\\|", "")
            .matches('|')
            .count()
    };
    let mut table: Vec<&str> = Vec::new();
    for line in md.lines().chain(std::iter::once("")) {
        if line.starts_with('|') {
            table.push(line);
            continue;
        }
        if let Some(first) = table.first() {
            for row in &table {
                assert_eq!(cells(row), cells(first), "row split: {row}");
            }
        }
        table.clear();
    }
    assert!(md.contains("red-"), "the hostile name is listed");
    // JSON keeps the whole value.
    assert!(r.findings.iter().any(|f| f.resource_id.len() > 1_000_000));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_report_write_leaves_no_results_json() {
    let tmp = tempfile::tempdir().unwrap();
    let templates = tmp.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    // A template that fails while rendering, after results.json could have been written.
    std::fs::write(templates.join("report.md.hbs"), "# Report\n{{eq}}\n").unwrap();
    let out = tmp.path().join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "scan",
            "--demo",
            "--quiet",
            "--format",
            "json,html,md",
            "--output",
        ])
        .arg(&out)
        .arg("--templates")
        .arg(&templates)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_scope_is_a_configuration_error_not_a_green_gate() {
    // An identity that sees no subscription.
    let emu = ArmEmulator::start().await;
    emu.json("/subscriptions", json!({ "value": [] }));
    let s = scan(&emu, &[]).await;
    assert_eq!(s.code, 2, "{}", s.stderr);
    assert!(s.stderr.contains("nothing to scan"), "{}", s.stderr);
    assert!(s.results.is_none());
    let s = scan(&emu, &["--allow-empty"]).await;
    assert_ne!(s.code, 2, "{}", s.stderr);
    assert!(s.results.is_some());

    // A management group that does not exist.
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.route(
        "/providers/Microsoft.Management/managementGroups/mg-typo/descendants",
        Route::Error(404, "NotFound", "'mg-typo' not found".into()),
    );
    let s = scan(&emu, &["--management-group", "mg-typo"]).await;
    assert_eq!(s.code, 2, "{}", s.stderr);
    assert!(
        s.stderr
            .contains("management group \"mg-typo\" was not found"),
        "{}",
        s.stderr
    );

    // A token that cannot be an HTTP header.
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.issue_token("abc\r\nX-Injected: 1");
    let s = scan(&emu, &[]).await;
    assert_eq!(s.code, 2, "{}", s.stderr);
    assert!(
        s.stderr.contains("not allowed in an HTTP header"),
        "{}",
        s.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endless_chain_of_next_links_stops_early() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.route(
        &format!("{SUB}/providers/Microsoft.Network/virtualNetworks"),
        Route::Endless,
    );
    let s = scan(&emu, &[]).await;
    let r = s.results.unwrap();
    let e = r
        .errors
        .iter()
        .find(|e| e.operation == "virtualNetworks.list")
        .expect("recorded");
    assert_eq!(e.code.as_deref(), Some("InvalidNextLink"));
    let pages = emu.count(|q| q.path.ends_with("/virtualNetworks"));
    assert!(pages <= 60, "{pages} pages read");
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_without_rows_is_not_measured() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.json(
        &format!("/v1/workspaces/{}/query", tenant::CUSTOMER_ID),
        json!({ "tables": [ { "name": "PrimaryResult", "columns": [ { "name": "DataType", "type": "string" }, { "name": "GB", "type": "real" } ], "rows": [] } ] }),
    );
    let s = scan(&emu, &[]).await;
    let r = s.results.unwrap();
    assert!(
        r.errors
            .iter()
            .any(|e| e.code.as_deref() == Some("UsageNotReadable")),
        "{:?}",
        r.errors
    );
    assert_eq!(
        r.cost.measured.workspaces_measured, 0,
        "{:?}",
        r.cost.measured
    );
    assert!(r.cost.measured.workspaces.iter().all(|w| !w.is_measured()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unwritable_output_is_found_before_any_azure_read() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-dir");
    std::fs::write(&blocker, "a file where the output directory should go").unwrap();
    let o = support::run_logposture(
        &emu,
        &[
            "scan",
            "--quiet",
            "--output",
            blocker.join("out").to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("output directory"));
    assert_eq!(
        emu.requests().len(),
        0,
        "ARM was read before the output was checked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn merging_the_same_shard_twice_is_refused() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let s = scan(&emu, &[]).await;
    let results = s.dir.path().join("out").join("results.json");
    let out = s.dir.path().join("merged");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args(["merge", "--quiet", "--output"])
        .arg(&out)
        .arg(&results)
        .arg(&results)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(S1) && err.contains("overlap"), "{err}");
}

/// Every output file as text, for "no absurd number printed" checks.
fn every_text(dir: &Path) -> String {
    every_file(dir)
        .into_iter()
        .map(|(name, bytes)| format!("== {name}\n{}", String::from_utf8_lossy(&bytes)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_beyond_any_real_volume_is_not_measured() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    for gb in [json!(1e306), json!("1e308"), json!(f64::MAX)] {
        let mut usage = load_fixture("arm/usage-query.json");
        usage["tables"][0]["rows"][0][1] = gb.clone();
        emu.json(
            &format!("/v1/workspaces/{}/query", tenant::CUSTOMER_ID),
            usage,
        );
        let s = scan(&emu, &[]).await;
        let r = s.results.as_ref().expect("results.json written");
        let e = r
            .errors
            .iter()
            .find(|e| e.code.as_deref() == Some("UsageNotReadable"))
            .unwrap_or_else(|| panic!("{gb}: {:?} {}", r.errors, s.stderr));
        assert!(e.message.contains("SigninLogs"), "{}", e.message);
        assert_eq!(r.cost.measured.workspaces_measured, 0, "{gb}");
        let text = every_text(&s.dir.path().join("out"));
        for absurd in ["inf GB", "inf\"", "NaN", "9,223,372,036,854,775,807", "e30"] {
            assert!(!text.contains(absurd), "{gb}: {absurd:?} printed");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retention_beyond_any_real_value_is_not_assessed() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let mut flow_logs = load_fixture("arm/flow-logs.json");
    flow_logs["value"][1]["properties"]["retentionPolicy"]["days"] = json!(4_000_000_000u64);
    emu.json(&format!("{NW}/flowLogs"), flow_logs);
    let r = scan(&emu, &[]).await.results.unwrap();
    assert_eq!(
        status_of(&r, "LP-FLOW-003", "fl-vnet-main"),
        Some(Status::NotAssessed)
    );
    assert!(
        r.errors
            .iter()
            .any(|e| e.code.as_deref() == Some("ValueOutOfRange")
                && e.scope.ends_with("fl-vnet-main")
                && e.message.contains("4000000000")),
        "{:?}",
        r.errors
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_diagnostic_setting_without_properties_is_not_assessed() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let before = scan(&emu, &[]).await.results.unwrap();
    assert_eq!(
        status_of(&before, "LP-RES-002", "kv-payments"),
        Some(Status::Pass)
    );
    let mut settings = load_fixture("arm/kv1-diagnostic-settings.json");
    settings["value"][0]
        .as_object_mut()
        .unwrap()
        .remove("properties");
    emu.json(
        &format!(
            "{}/providers/Microsoft.Insights/diagnosticSettings",
            tenant::kv1()
        ),
        settings,
    );
    let mut activity = load_fixture("arm/activity-log-settings.json");
    activity["value"][0].as_object_mut().unwrap().remove("id");
    emu.json(
        &format!("{SUB}/providers/Microsoft.Insights/diagnosticSettings"),
        activity,
    );
    let r = scan(&emu, &[]).await.results.unwrap();
    assert_eq!(
        status_of(&r, "LP-RES-002", "kv-payments"),
        Some(Status::NotAssessed),
        "a setting without properties is unreadable, not 'sends nowhere': {:?}",
        r.errors
    );
    assert_eq!(status_of(&r, "LP-ACT-001", S1), Some(Status::NotAssessed));
    let malformed: Vec<_> = r
        .errors
        .iter()
        .filter(|e| e.code.as_deref() == Some("MalformedPayload"))
        .map(|e| e.operation.as_str())
        .collect();
    assert!(
        malformed.contains(&"diagnosticSettings.list")
            && malformed.contains(&"subscriptionDiagnosticSettings.list"),
        "{malformed:?}"
    );
}

/// Names and contents of every entry in `dir`, recursively, symlinks as their targets' names.
fn listing(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(&p).unwrap();
        if meta.is_dir() {
            for (n, b) in listing(&p) {
                out.push((format!("{name}/{n}"), b));
            }
        } else if meta.file_type().is_symlink() {
            out.push((
                name,
                std::fs::read_link(&p)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes(),
            ));
        } else {
            out.push((name, std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_remediation_folder_is_refused_before_any_azure_read() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir_all(out.join("remediation")).unwrap();
    std::fs::write(out.join("remediation/my-own-plan.sh"), "echo mine\n").unwrap();
    std::fs::write(out.join("report.md"), "last week's report\n").unwrap();
    std::fs::write(out.join("results.json"), "{}\n").unwrap();
    let before = listing(&out);
    let o = support::run_logposture(
        &emu,
        &["scan", "--quiet", "--output", out.to_str().unwrap()],
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("was not written by logposture"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(emu.requests().len(), 0, "ARM was read before the refusal");
    assert_eq!(listing(&out), before, "the refused folder changed");
}
