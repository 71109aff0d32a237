//! Optional: Microsoft's published REST API examples (../shared/azure-api-examples, present in
//! the development checkout and CI, absent in a user's clone) go through the real collector
//! unchanged, proving the narrow models accept real payloads. Skipped when the folder is absent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use support::{ArmEmulator, Route};

fn examples_dir() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/azure-api-examples");
    p.is_dir().then_some(p)
}

fn body(dir: &Path, file: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    doc["responses"]["200"]["body"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn microsofts_examples_parse_through_the_collector() {
    let Some(dir) = examples_dir() else {
        eprintln!("../shared/azure-api-examples not present: skipped");
        return;
    };
    let sub = "fb9f25f9-5785-4510-a38f-a62f188eb9f8";
    let s = format!("/subscriptions/{sub}");
    let emu = ArmEmulator::start().await;

    // The subscription list: Microsoft's example, with its placeholder nextLink ("...") removed
    // here and checked separately below.
    let mut subs = body(&dir, "resources/GetSubscriptions.json");
    subs["value"][0]["subscriptionId"] = json!(sub);
    subs.as_object_mut().unwrap().remove("nextLink");
    emu.json("/subscriptions", subs);

    // A Logic App so the per-resource diagnostic-settings models run on the examples too.
    let workflow = format!("{s}/resourceGroups/apptest/providers/Microsoft.Logic/workflows/wf1");
    emu.json(&format!("{s}/resources"), json!({"value": [{"id": workflow, "name": "wf1", "type": "Microsoft.Logic/workflows", "location": "westus"}]}));
    emu.json(
        &format!("{workflow}/providers/Microsoft.Insights/diagnosticSettingsCategories"),
        body(
            &dir,
            "diagnostic-settings/listDiagnosticSettingsCategories.json",
        ),
    );
    emu.json(
        &format!("{workflow}/providers/Microsoft.Insights/diagnosticSettings"),
        body(&dir, "diagnostic-settings/listDiagnosticSettings.json"),
    );
    emu.json(
        &format!("{s}/providers/Microsoft.Insights/diagnosticSettings"),
        body(
            &dir,
            "diagnostic-settings/listSubscriptionDiagnosticSettings.json",
        ),
    );

    let watchers = body(&dir, "network/NetworkWatcherListAll.json");
    for w in watchers["value"].as_array().unwrap() {
        emu.json(
            &format!("{}/flowLogs", w["id"].as_str().unwrap()),
            body(&dir, "network/NetworkWatcherFlowLogList.json"),
        );
    }
    emu.json(
        &format!("{s}/providers/Microsoft.Network/networkWatchers"),
        watchers,
    );
    emu.json(
        &format!("{s}/providers/Microsoft.Network/networkSecurityGroups"),
        body(&dir, "network/NetworkSecurityGroupListAll.json"),
    );
    emu.json(
        &format!("{s}/providers/Microsoft.Network/virtualNetworks"),
        body(&dir, "network/VirtualNetworkListAll.json"),
    );

    let workspaces = body(&dir, "log-analytics/WorkspacesSubscriptionList.json");
    for w in workspaces["value"].as_array().unwrap() {
        let id = w["id"].as_str().unwrap();
        emu.json(
            &format!("{id}/tables"),
            body(&dir, "log-analytics/TablesList.json"),
        );
        emu.route_q(
            &format!("{id}/dataSources"),
            "windowsevent",
            Route::Json(body(
                &dir,
                "log-analytics/DataSourcesListByWorkspace.TRUNCATED-first3.json",
            )),
        );
    }
    emu.json(
        &format!("{s}/providers/Microsoft.OperationalInsights/workspaces"),
        workspaces,
    );
    emu.json(
        &format!("{s}/providers/Microsoft.Insights/dataCollectionRules"),
        body(
            &dir,
            "monitor-dcr/DataCollectionRulesListBySubscription.json",
        ),
    );
    emu.json(
        &format!("{s}/providers/Microsoft.Security/pricings"),
        body(&dir, "security/ListPricings_example.json"),
    );
    emu.json(
        &format!("{s}/providers/Microsoft.Insights/activityLogAlerts"),
        body(
            &dir,
            "monitor-alerts/ActivityLogAlertRule_ListBySubscriptionId.json",
        ),
    );
    emu.json(
        &format!("{s}/providers/Microsoft.Storage/storageAccounts"),
        body(&dir, "storage/StorageAccountList.json"),
    );
    emu.json(
        "/providers/microsoft.aadiam/diagnosticSettings",
        body(&dir, "aadiam/listDiagnosticSettings.json"),
    );

    let out = tempfile::tempdir().unwrap();
    let snap_path = out.path().join("s.json");
    let o = support::run_logposture(
        &emu,
        &[
            "collect",
            "--no-usage",
            "--subscription",
            sub,
            "--snapshot-out",
            snap_path.to_str().unwrap(),
        ],
    )
    .await;
    let snap = logposture::inventory::Snapshot::load(&snap_path)
        .unwrap_or_else(|e| panic!("{e}; {}", String::from_utf8_lossy(&o.stderr)));
    let malformed: Vec<_> = snap
        .errors
        .iter()
        .filter(|e| e.code.as_deref() == Some("MalformedPayload"))
        .collect();
    assert!(
        malformed.is_empty(),
        "Microsoft's examples rejected: {malformed:#?}"
    );
    let s1 = &snap.inventory.subscriptions[0];
    assert_eq!(s1.network_watchers.items().len(), 2);
    assert!(!s1.flow_logs.items().is_empty());
    assert!(s1.flow_logs.items().iter().any(|f| f.id.contains("тц1")));
    assert!(!s1.network_security_groups.items().is_empty());
    assert!(!s1.virtual_networks.items().is_empty());
    assert!(!s1.workspaces.items().is_empty());
    // TablesList sends "False"/"True" strings for the *AsDefault booleans.
    let tables = s1.workspaces.items()[0].tables.items();
    let surface = tables
        .iter()
        .find(|t| t.name == "SurfaceHubDns")
        .expect("table listed");
    assert!(!surface.retention_is_default && surface.total_retention_is_default);
    assert!(!s1.data_collection_rules.items().is_empty());
    assert!(s1
        .defender_plans
        .items()
        .iter()
        .any(|p| p.name == "VirtualMachines"));
    assert!(!s1.activity_log_alerts.items().is_empty());
    assert_eq!(s1.storage_accounts.items().len(), 6);
    assert!(s1
        .storage_accounts
        .items()
        .iter()
        .all(|a| a.allow_blob_public_access.is_none()));
    assert_eq!(
        s1.activity_log_settings.items()[0].logs[0]
            .category_group
            .as_deref(),
        Some("allLogs")
    );
    assert_eq!(
        snap.inventory.entra_diagnostic_settings.items()[0].id,
        "/providers/Microsoft.Aadiam/diagnosticSettings/mysetting"
    );
    let wf = s1
        .resource_diagnostics
        .iter()
        .find(|d| d.resource_id == workflow)
        .expect("workflow settings read");
    assert_eq!(
        wf.settings.items()[0].workspace_id,
        None,
        "workspaceId \"\" means no workspace"
    );

    // The placeholder nextLink of GetSubscriptions ("...") is an error, not a crash or a loop.
    let emu2 = ArmEmulator::start().await;
    emu2.json(
        "/subscriptions",
        body(&dir, "resources/GetSubscriptions.json"),
    );
    let snap_path2 = out.path().join("s2.json");
    let o = support::run_logposture(
        &emu2,
        &[
            "collect",
            "--no-usage",
            "--snapshot-out",
            snap_path2.to_str().unwrap(),
        ],
    )
    .await;
    // Nothing could be scanned: a configuration-level failure (exit 2), with the snapshot kept.
    assert_eq!(o.status.code(), Some(2));
    let snap2 = logposture::inventory::Snapshot::load(&snap_path2).unwrap();
    assert!(
        snap2
            .errors
            .iter()
            .any(|e| e.code.as_deref() == Some("InvalidNextLink")),
        "{:?}",
        snap2.errors
    );
}
