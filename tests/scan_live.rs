//! `logposture scan` against the loopback ARM tenant: the verdicts in results.json follow the
//! documented semantics in every area, and the exit code gates on high failures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use logposture::model::{Results, Status};
use support::tenant::{self, S1, S2, S3};
use support::{ArmEmulator, Route};

async fn scan(emu: &ArmEmulator, extra: &[&str]) -> (i32, Results, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap().to_string();
    let snap = dir
        .path()
        .join("snapshot.json")
        .to_str()
        .unwrap()
        .to_string();
    let mut args = vec![
        "scan",
        "--quiet",
        "--output",
        out.as_str(),
        "--format",
        "json,sarif,junit,md,html",
        "--snapshot-out",
        snap.as_str(),
    ];
    args.extend_from_slice(extra);
    let output = support::run_logposture(emu, &args).await;
    let text = support::cli::read_results(dir.path().join("results.json")).unwrap_or_else(|e| {
        panic!(
            "no results.json ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (
        output.status.code().unwrap_or(-1),
        logposture::app::parse_results("results.json", &text).expect("results.json parses"),
        dir,
    )
}

fn status(r: &Results, check: &str, resource_suffix: &str) -> Status {
    let hits: Vec<_> = r
        .findings
        .iter()
        .filter(|f| {
            &*f.check_id == check
                && f.resource_id
                    .to_lowercase()
                    .ends_with(&resource_suffix.to_lowercase())
        })
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{check} on …{resource_suffix}: {:?}",
        r.findings
            .iter()
            .filter(|f| &*f.check_id == check)
            .map(|f| (&f.resource_id, f.status))
            .collect::<Vec<_>>()
    );
    hits[0].status
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_verdicts_follow_the_semantics() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let (code, r, dir) = scan(&emu, &[]).await;
    assert_eq!(code, 1, "a high failure exists");
    // The statement of assessment names the identity from the token and counts the reads.
    let who = r
        .statement
        .identity
        .as_ref()
        .expect("identity from the token");
    assert_eq!(
        who.app_id.as_deref(),
        Some("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")
    );
    assert_eq!(
        who.object_id.as_deref(),
        Some("0c1d2e3f-4a5b-4c6d-8e7f-901234567890")
    );
    assert_eq!(who.kind, "service principal or managed identity");
    assert!(r.statement.coverage.requests > 0);
    assert_eq!(r.statement.coverage.failed_reads, r.errors.len() as u64);
    assert!(!r.statement.generated_at.is_empty());

    // activity-log: Administrative/Security/Alert to the workspace + Policy to storage = union passes.
    assert_eq!(status(&r, "LP-ACT-001", S1), Status::Pass);
    // Forbidden subscription: not assessed; disabled: not applicable.
    assert_eq!(status(&r, "LP-ACT-001", S2), Status::NotAssessed);
    assert_eq!(status(&r, "LP-ACT-001", S3), Status::NotApplicable);
    // resource-logs: allLogs and audit groups.
    assert_eq!(
        status(&r, "LP-RES-002", "kv-payments"),
        Status::Pass,
        "allLogs covers AuditEvent"
    );
    assert_eq!(
        status(&r, "LP-RES-002", "kv-certs"),
        Status::Pass,
        "audit group covers AuditEvent"
    );
    assert_eq!(
        status(&r, "LP-RES-004", "kv-certs"),
        Status::Fail,
        "audit only is not all categories"
    );
    assert_eq!(status(&r, "LP-RES-003", "law-sec"), Status::Pass);
    assert_eq!(
        status(&r, "LP-RES-001", "nsg-web"),
        Status::Fail,
        "no setting"
    );
    assert_eq!(
        status(&r, "LP-RES-001", "nsg-data"),
        Status::NotAssessed,
        "malformed payload"
    );
    // entra-logs: names the missing and disabled categories.
    let entra = r
        .findings
        .iter()
        .find(|f| &*f.check_id == "LP-ENTRA-001")
        .unwrap();
    assert_eq!(entra.status, Status::Fail);
    assert_eq!(entra.resource_id, "/providers/microsoft.aadiam");
    assert!(
        entra
            .message
            .contains("disabled NonInteractiveUserSignInLogs")
            && entra.message.contains("ServicePrincipalSignInLogs"),
        "{}",
        entra.message
    );
    // flow-logs: own NSG flow log; NIC-attached NSG covered by the VNet flow log; retention.
    assert_eq!(status(&r, "LP-FLOW-001", "nsg-web"), Status::Pass);
    assert_eq!(
        status(&r, "LP-FLOW-001", "nsg-data"),
        Status::Pass,
        "VNet flow log covers the NIC's subnet"
    );
    assert_eq!(status(&r, "LP-FLOW-002", "vnet-main"), Status::Pass);
    assert_eq!(
        status(&r, "LP-FLOW-003", "fl-nsg-web"),
        Status::Pass,
        "retention disabled keeps indefinitely"
    );
    assert_eq!(
        status(&r, "LP-FLOW-003", "fl-vnet-main"),
        Status::Fail,
        "30 days < 90"
    );
    assert_eq!(
        status(&r, "LP-FLOW-005", "fl-nsg-web"),
        Status::Fail,
        "NSG flow log retiring"
    );
    // network-watcher: region with a VNet has the watcher.
    assert_eq!(
        status(&r, "LP-NW-001", &format!("{S1}/locations/westeurope")),
        Status::Pass
    );
    // retention: workspace 30 days; SecurityEvent inherits it; SigninLogs overrides to 90/730.
    assert_eq!(status(&r, "LP-RET-001", "law-sec"), Status::Fail);
    assert_eq!(
        status(&r, "LP-RET-002", "tables/SecurityEvent"),
        Status::Fail
    );
    assert_eq!(
        status(&r, "LP-RET-002", "tables/SigninLogs"),
        Status::Pass,
        "table overrides workspace"
    );
    // security-events: 3 event ids is custom, below Common; legacy tier Minimal fails.
    assert_eq!(status(&r, "LP-SEC-001", "vm-win01"), Status::Fail);
    assert_eq!(status(&r, "LP-SEC-002", "law-sec"), Status::Fail);
    // defender, log storage, alerts.
    assert_eq!(
        status(&r, "LP-DEF-001", "pricings/VirtualMachines"),
        Status::Pass
    );
    assert_eq!(status(&r, "LP-DEF-002", "pricings/KeyVaults"), Status::Fail);
    assert_eq!(
        status(&r, "LP-STOR-001", "stlogarchive"),
        Status::Fail,
        "allowBlobPublicAccess not set"
    );
    assert_eq!(status(&r, "LP-STOR-002", "stlogarchive"), Status::Pass);
    // Its action group (read from ARM) has an email and a webhook receiver.
    assert_eq!(status(&r, "LP-ALERT-001", S1), Status::Pass);
    assert_eq!(status(&r, "LP-ALERT-003", S1), Status::Fail);

    // Errors, summary and cost are in results.json; the snapshot was saved alongside.
    assert_eq!(r.errors.len(), 2);
    assert!(r.summary.fail > 0 && r.summary.not_assessed > 0 && r.summary.pass > 0);
    assert!(
        serde_json::to_value(&r.cost).unwrap()["measured"]["usd_per_month"]
            .as_f64()
            .unwrap()
            > 0.0,
        "measured from the Usage table"
    );
    for f in r.findings.iter().filter(|f| {
        f.status == Status::Fail
            && matches!(
                f.area.as_ref(),
                "entra-logs" | "resource-logs" | "security-events"
            )
    }) {
        assert!(
            f.cost.as_ref().is_some_and(|c| !c.basis.is_empty()),
            "{} {} has a cost basis",
            f.check_id,
            f.resource_id
        );
    }
    let entra_cost = entra.cost.as_ref().unwrap();
    assert_eq!(
        entra_cost.method, "calibrated",
        "non-interactive calibrated from measured SigninLogs: {}",
        entra_cost.basis
    );
    assert!(dir.path().join("snapshot.json").exists());

    // The offline evaluation of the saved snapshot gives the same findings.
    let out2 = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "evaluate",
            dir.path().join("snapshot.json").to_str().unwrap(),
            "--quiet",
            "--format",
            "json",
            "--output",
            out2.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let r2: Results = logposture::app::parse_results(
        "results.json",
        &support::cli::read_results(out2.path().join("results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        r2.findings, r.findings,
        "evaluate SNAPSHOT gives the live scan's findings"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_on_and_incomplete_evidence_exit_codes() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let (code, _, _) = scan(&emu, &["--fail-on", "critical"]).await;
    assert_eq!(code, 1, "Entra is a critical failure");

    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    // Drop every gating failure with a baseline that disables the failing high/critical checks.
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("relaxed.toml");
    std::fs::write(&base, "[[check]]\nid = \"LP-ENTRA-001\"\nenabled = false\n[[check]]\nid = \"LP-ENTRA-002\"\nenabled = false\n[[check]]\nid = \"LP-STOR-001\"\nseverity = \"low\"\n[[check]]\nid = \"LP-SEC-001\"\nseverity = \"medium\"\n[[check]]\nid = \"LP-SEC-003\"\nseverity = \"medium\"\n[[check]]\nid = \"LP-ARR-002\"\nseverity = \"medium\"\n[[check]]\nid = \"LP-ARR-003\"\nseverity = \"medium\"\n[[check]]\nid = \"LP-ARR-004\"\nseverity = \"medium\"\n").unwrap();
    let (code, r, _) = scan(&emu, &["--baseline", base.to_str().unwrap()]).await;
    let entra: Vec<_> = r
        .findings
        .iter()
        .filter(|f| &*f.check_id == "LP-ENTRA-001")
        .collect();
    assert_eq!(entra.len(), 1);
    assert_eq!(
        entra[0].status,
        Status::NotApplicable,
        "a disabled check is listed as not applicable"
    );
    assert_eq!(
        code, 3,
        "no gating failure but a forbidden subscription: evidence incomplete"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_query_forbidden_means_not_measured() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.route(
        &format!("/v1/workspaces/{}/query", tenant::CUSTOMER_ID),
        Route::Error(
            403,
            "InsufficientAccessError",
            "The provided credentials have insufficient access to perform the requested operation"
                .into(),
        ),
    );
    let (_, r, _) = scan(&emu, &[]).await;
    let ws = &serde_json::to_value(&r.cost).unwrap()["measured"]["workspaces"][0].clone();
    assert_eq!(ws["status"], "not_measured");
    assert_eq!(
        serde_json::to_value(&r.cost).unwrap()["measured"]["workspaces_not_measured"],
        1
    );
    assert_eq!(
        serde_json::to_value(&r.cost).unwrap()["measured"]["usd_per_month"],
        0.0
    );
    let ret = r
        .findings
        .iter()
        .find(|f| &*f.check_id == "LP-RET-001")
        .unwrap();
    assert_eq!(
        ret.cost.as_ref().unwrap().method,
        "not_measured",
        "a 403 is never a zero cost"
    );
    assert!(r
        .errors
        .iter()
        .any(|e| e.operation == "logAnalytics.query" && e.status == Some(403)));
}

#[tokio::test(flavor = "multi_thread")]
async fn shards_merge_into_the_unsharded_result() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let (_, full, _) = scan(&emu, &[]).await;
    let (_, s1, d1) = scan(&emu, &["--shard", "1/2"]).await;
    let (_, s2, d2) = scan(&emu, &["--shard", "2/2"]).await;
    let n1 = s1.scope.subscriptions.len();
    let n2 = s2.scope.subscriptions.len();
    assert_eq!(n1 + n2, 3, "every subscription in exactly one shard");

    let key = |r: &Results| {
        let mut v: Vec<(String, String, Status)> = r
            .findings
            .iter()
            .map(|f| {
                (
                    f.check_id.to_string(),
                    f.resource_id.to_lowercase(),
                    f.status,
                )
            })
            .collect();
        v.sort();
        v
    };
    let out = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_logposture");
    // Results merge.
    let o = std::process::Command::new(bin)
        .args(["merge", "--quiet", "--format", "json", "--output"])
        .arg(out.path().join("r"))
        .arg(d1.path().join("results.json"))
        .arg(d2.path().join("results.json"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let merged: Results = logposture::app::parse_results(
        "results.json",
        &support::cli::read_results(out.path().join("r/results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(key(&merged), key(&full));
    assert_eq!(merged.summary, full.summary);
    // The same findings in the same order, with the same costs, and the same cost section:
    // a tenant-level finding (Entra) in both shards costs once.
    let costs = |r: &Results| {
        r.findings
            .iter()
            .map(|f| {
                (
                    f.check_id.to_string(),
                    f.resource_id.to_lowercase(),
                    f.cost.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(costs(&merged), costs(&full));
    assert_eq!(merged.cost, full.cost);
    assert!(full.cost.gaps.usd_per_month > 0.0);
    // Snapshot merge, evaluated together.
    let o = std::process::Command::new(bin)
        .args(["merge", "--quiet", "--format", "json", "--output"])
        .arg(out.path().join("s"))
        .arg("--snapshot-out")
        .arg(out.path().join("merged-snapshot.json"))
        .arg(d1.path().join("snapshot.json"))
        .arg(d2.path().join("snapshot.json"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let merged: Results = logposture::app::parse_results(
        "results.json",
        &support::cli::read_results(out.path().join("s/results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(key(&merged), key(&full));
    assert!(out.path().join("merged-snapshot.json").exists());
}
