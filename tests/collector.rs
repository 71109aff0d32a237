//! The collector against the loopback ARM emulator, through the real binary: credential →
//! token → ARM with paging, retries, throttling and failures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use logposture::inventory::{LegacySecurityEvents, Snapshot};
use std::time::Duration;
use support::tenant::{self, S1, S2, S3};
use support::{ArmEmulator, Route, CLIENT_SECRET, TOKEN};

async fn collect(emu: &ArmEmulator, extra: &[&str]) -> (std::process::Output, Snapshot, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.json");
    let out_s = out.to_str().unwrap().to_string();
    let mut args = vec!["collect", "--snapshot-out", out_s.as_str()];
    args.extend_from_slice(extra);
    let output = support::run_logposture(emu, &args).await;
    let text = std::fs::read_to_string(&out).unwrap_or_else(|e| {
        panic!(
            "no snapshot ({e}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let snap = Snapshot::from_json("snapshot.json", &text).expect("snapshot parses");
    (output, snap, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn collect_pages_retries_and_records_failures() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let (output, snap, text) = collect(&emu, &[]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(3),
        "exit code 3: evidence incomplete; stderr: {stderr}"
    );

    // Scope: all three subscriptions listed, the disabled one not read.
    let ids: Vec<&str> = snap
        .scope
        .subscriptions
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(ids, vec![S1, S2, S3]);
    let s1 = &snap.inventory.subscriptions[0];
    assert_eq!(s1.subscription.name, "Contoso Prod – Zürich ☁");
    let s3 = &snap.inventory.subscriptions[2];
    assert!(!s3.scanned, "disabled subscription is listed but skipped");
    assert_eq!(
        emu.count(|r| r.path.contains(S3)),
        0,
        "no read spent on a disabled subscription"
    );

    // Paging: every page of the resources list.
    assert_eq!(
        s1.resources.items().len(),
        9,
        "three pages of three resources"
    );
    assert_eq!(
        emu.count(|r| r.path.ends_with(&format!("{S1}/resources"))),
        3
    );

    // One error entry per failed read: the forbidden subscription and the malformed payload.
    let summary: Vec<String> = snap
        .errors
        .iter()
        .map(|e| format!("{} {:?} {:?} {}", e.operation, e.status, e.code, e.scope))
        .collect();
    assert_eq!(snap.errors.len(), 2, "errors: {summary:#?}");
    let forbidden = snap
        .errors
        .iter()
        .find(|e| e.status == Some(403))
        .expect("403 recorded");
    assert_eq!(forbidden.code.as_deref(), Some("AuthorizationFailed"));
    assert_eq!(forbidden.scope, format!("/subscriptions/{S2}"));
    let malformed = snap
        .errors
        .iter()
        .find(|e| e.code.as_deref() == Some("MalformedPayload"))
        .expect("malformed recorded");
    assert_eq!(malformed.scope, tenant::nsg2());
    let s2 = &snap.inventory.subscriptions[1];
    assert!(
        s2.activity_log_settings
            .error
            .as_ref()
            .is_some_and(|e| e.is_forbidden()),
        "forbidden subscription is not assessed"
    );
    assert!(
        emu.count(|r| r.path.contains(S2)) == 1,
        "a forbidden subscription costs one read"
    );

    // The throttled read was retried after Retry-After and not lost.
    assert_eq!(
        emu.count(|r| r.path.ends_with("Microsoft.Network/networkWatchers")),
        2
    );
    assert_eq!(s1.network_watchers.items().len(), 1);
    assert_eq!(s1.network_watchers.items()[0].name, "тц1");
    assert_eq!(
        s1.flow_logs.items().len(),
        2,
        "flow logs of the non-ASCII watcher"
    );
    assert!(snap.stats.throttled >= 1);

    // Categories are learnt once per resource type, not per resource.
    let category_reads = emu.count(|r| {
        r.path.ends_with("diagnosticSettingsCategories") && !r.path.contains("microsoft.aadiam")
    });
    let mut types: std::collections::BTreeSet<String> = s1
        .resources
        .items()
        .iter()
        .map(|r| r.resource_type.to_lowercase())
        .collect();
    // Storage accounts' blob/file/queue/table services carry their own data-plane log settings.
    for svc in logposture::collect::STORAGE_SERVICES {
        types.insert(format!(
            "microsoft.storage/storageaccounts/{}",
            svc.to_lowercase()
        ));
    }
    assert_eq!(
        category_reads,
        types.len(),
        "one categories read per type ({types:?})"
    );
    assert!(
        !snap.inventory.diagnostic_categories["microsoft.compute/virtualmachines"]
            .value
            .as_ref()
            .unwrap()
            .supported
    );
    assert_eq!(
        emu.count(|r| r
            .path
            .ends_with("virtualMachines/vm-win01/providers/Microsoft.Insights/diagnosticSettings")),
        0,
        "no settings read for an unsupported type"
    );

    // Category groups preserved; empty-string workspace ids mean no workspace.
    let kv1 = s1
        .resource_diagnostics
        .iter()
        .find(|d| d.resource_id == tenant::kv1())
        .unwrap();
    let s = &kv1.settings.items()[0];
    assert_eq!(s.logs[0].category_group.as_deref(), Some("allLogs"));
    assert_eq!(s.workspace_id, None);
    assert!(s.storage_account_id.is_some());
    let kv2 = s1
        .resource_diagnostics
        .iter()
        .find(|d| d.resource_id == tenant::kv2())
        .unwrap();
    assert_eq!(
        kv2.settings.items()[0].logs[0].category_group.as_deref(),
        Some("audit")
    );
    let nsg2 = s1
        .resource_diagnostics
        .iter()
        .find(|d| d.resource_id == tenant::nsg2())
        .unwrap();
    assert!(
        nsg2.settings.error.is_some(),
        "malformed payload leaves that resource not assessed"
    );

    // Quirks: string booleans, null type, ids without leading slash.
    let ws = &s1.workspaces.items()[0];
    let sec = ws
        .tables
        .items()
        .iter()
        .find(|t| t.name == "SecurityEvent")
        .unwrap();
    assert!(sec.retention_is_default && sec.total_retention_is_default);
    assert_eq!(
        ws.security_event_tier.value,
        Some(LegacySecurityEvents::tier("Minimal"))
    );
    assert_eq!(ws.windows_event_logs.items(), ["System".to_string()]);
    assert_eq!(
        ws.usage.items().len(),
        4,
        "usage measured through the logs endpoint"
    );
    assert!(s1.activity_log_settings.items()[0]
        .id
        .starts_with("/subscriptions/"));
    let entra = snap.inventory.entra_diagnostic_settings.items();
    assert_eq!(entra.len(), 1);
    assert_eq!(entra[0].logs.len(), 3);
    let vm = &s1.virtual_machines.items()[0];
    assert_eq!(
        vm.dcr_associations.items().len(),
        1,
        "the endpoint association is not a rule"
    );
    assert_eq!(
        s1.defender_plans
            .items()
            .iter()
            .find(|p| p.name == "Dns")
            .map(|p| p.deprecated),
        Some(true)
    );
    // Continuous export: the published Logic App example on assessments, and the export of
    // High and Medium alerts to a workspace (a string boolean read as true).
    let autos = s1.security_automations.items();
    assert_eq!(autos.len(), 2);
    assert_eq!(autos[0].action_types, ["LogicApp"]);
    assert_eq!(autos[0].sources[0].severities, None);
    assert_eq!(autos[1].enabled, Some(true));
    assert_eq!(
        autos[1].sources[0].severities.as_deref(),
        Some(["high".to_string(), "medium".to_string()].as_slice())
    );
    // Syslog sources of the published DCR example, and a Linux VM whose associations are read.
    let syslog = &s1.data_collection_rules.items()[0].syslog;
    assert_eq!(syslog.len(), 2);
    assert_eq!(syslog[0].facilities, ["cron"]);
    assert_eq!(syslog[0].streams, ["Microsoft-Syslog"]);
    let lnx = s1
        .virtual_machines
        .items()
        .iter()
        .find(|v| v.name == "vm-lnx01")
        .unwrap();
    assert_eq!(lnx.dcr_associations.complete().map(Vec::len), Some(0));
    // The security contact: addresses split, roles, and both notification sources.
    let contacts = s1.security_contacts.items();
    assert_eq!(contacts[0].emails, ["john@contoso.com", "jane@contoso.com"]);
    assert_eq!(contacts[0].roles, ["Owner"]);
    assert_eq!(contacts[0].alert_minimal_severity.as_deref(), Some("Low"));
    assert_eq!(
        contacts[0].attack_path_minimal_risk.as_deref(),
        Some("Critical")
    );
    // The locks: the published example's resource-group lock and one on the subscription.
    let locks = s1.management_locks.items();
    assert_eq!(locks.len(), 2);
    assert_eq!(locks[0].level.as_deref(), Some("ReadOnly"));
    assert_eq!(
        locks[1].scope().as_deref(),
        Some(format!("/subscriptions/{S1}").as_str())
    );
    // The plan's components, with the string booleans of the published example.
    let vms = s1
        .defender_plans
        .items()
        .iter()
        .find(|p| p.name == "VirtualMachines")
        .unwrap();
    let ext: Vec<(&str, Option<bool>)> = vms
        .extensions
        .as_ref()
        .unwrap()
        .iter()
        .map(|e| (e.name.as_str(), e.enabled))
        .collect();
    assert_eq!(
        ext,
        [
            ("MdeDesignatedSubscription", Some(false)),
            ("AgentlessVmScanning", Some(true))
        ]
    );
    assert_eq!(
        s1.data_collection_rules.items()[0]
            .security_event_xpaths
            .len(),
        2
    );

    // Every ARM request carried the bearer token and an api-version; the secret never leaks.
    assert!(emu.requests().iter().all(|r| r.authorized));
    assert!(emu
        .requests()
        .iter()
        .filter(|r| !r.path.starts_with("/v1/"))
        .all(|r| r.query.contains("api-version=")));
    assert!(emu.tokens_issued() >= 1);
    for hay in [
        text.as_str(),
        &stderr,
        &String::from_utf8_lossy(&output.stdout),
    ] {
        assert!(!hay.contains(CLIENT_SECRET), "client secret leaked");
        assert!(!hay.contains(TOKEN), "access token leaked");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn subscription_list_and_exclusions() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let (output, snap, _) = collect(&emu, &["--subscription", S1, "--no-usage"]).await;
    assert_eq!(
        output.status.code(),
        Some(3),
        "the malformed payload still makes evidence incomplete"
    );
    assert_eq!(snap.scope.subscriptions.len(), 1);
    assert_eq!(
        snap.scope.subscriptions[0].name, "",
        "GET /subscriptions/{{id}} answered an empty list, not a subscription"
    );
    assert_eq!(
        emu.count(|r| r.path.starts_with("/v1/")),
        0,
        "--no-usage sends no query"
    );

    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.route(
        &format!(
            "{}/providers/Microsoft.Insights/diagnosticSettings",
            tenant::nsg2()
        ),
        Route::Json(serde_json::json!({"value": []})),
    );
    let (output, snap, _) = collect(&emu, &["--exclude-subscription", S2]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "no failed read: exit 0; errors {:?}",
        snap.errors
    );
    assert_eq!(snap.scope.subscriptions.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn management_group_scope() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    emu.json(
        "/providers/Microsoft.Management/managementGroups/mg-prod/descendants",
        serde_json::json!({"value": [
            {"id": "/providers/Microsoft.Management/managementGroups/mg-child", "type": "Microsoft.Management/managementGroups", "name": "mg-child", "properties": {"displayName": "Child", "parent": {"id": "/providers/Microsoft.Management/managementGroups/mg-prod"}}},
            {"id": format!("/subscriptions/{S1}"), "type": "Microsoft.Management/managementGroups/subscriptions", "name": S1, "properties": {"displayName": "Contoso Prod", "parent": {"id": "/providers/Microsoft.Management/managementGroups/mg-child"}}}
        ], "nextLink": null}),
    );
    let (_, snap, _) = collect(&emu, &["--management-group", "mg-prod", "--no-usage"]).await;
    assert_eq!(snap.scope.subscriptions.len(), 1);
    assert_eq!(snap.scope.subscriptions[0].id, S1);
    assert_eq!(
        snap.scope.subscriptions[0].state, "Enabled",
        "state joined from the subscription list"
    );
    assert_eq!(snap.scope.management_group.as_deref(), Some("mg-prod"));
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_and_slow_answers_are_retried_then_recorded() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let sub = format!("/subscriptions/{S1}");
    emu.route(
        &format!("{sub}/providers/Microsoft.Storage/storageAccounts"),
        Route::Error(503, "ServiceUnavailable", "try later".into()),
    );
    emu.route(
        &format!("{sub}/providers/Microsoft.Security/pricings"),
        Route::Slow(
            std::time::Duration::from_secs(3),
            Box::new(Route::Json(serde_json::json!({"value": []}))),
        ),
    );
    emu.route(
        &format!("{sub}/providers/Microsoft.Insights/activityLogAlerts"),
        Route::Error(404, "ResourceNotFound", "not here".into()),
    );
    let (_, snap, _) = collect(&emu, &["--no-usage", "--request-timeout", "1"]).await;
    let storage_err = snap
        .errors
        .iter()
        .find(|e| e.operation == "storageAccounts.list")
        .expect("503 recorded after retries");
    assert_eq!(storage_err.status, Some(503));
    assert!(
        emu.count(|r| r.path.ends_with("storageAccounts")) > 1,
        "5xx was retried"
    );
    let slow = snap
        .errors
        .iter()
        .find(|e| e.operation == "pricings.list")
        .expect("timeout recorded");
    assert_eq!(slow.code.as_deref(), Some("NetworkError"));
    assert!(snap
        .errors
        .iter()
        .any(|e| e.status == Some(404) && e.code.as_deref() == Some("ResourceNotFound")));
    let s1 = &snap.inventory.subscriptions[0];
    assert!(
        s1.storage_accounts.error.is_some() && s1.network_watchers.is_complete(),
        "one failure does not stop the rest"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn login_failure_is_exit_2_without_secrets() {
    let emu = ArmEmulator::start().await;
    // No route for the token endpoint of another authority: point the authority at a closed port.
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "collect",
            "--snapshot-out",
            "/tmp/never.json",
            "--arm-endpoint",
            &emu.url(),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AZURE_TENANT_ID", support::TENANT)
        .env("AZURE_CLIENT_ID", "00000000-0000-4000-8000-0000000000c1")
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        .env("AZURE_AUTHORITY_HOST", "https://127.0.0.1:9")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(!stderr.contains(CLIENT_SECRET));
    assert_eq!(emu.requests().len(), 0, "nothing read without a token");
}

#[tokio::test(flavor = "multi_thread")]
async fn workload_identity_federation_from_a_token_file() {
    // CI OIDC / AKS: no secret, a federated token in AZURE_FEDERATED_TOKEN_FILE.
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("federated-token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.ci-oidc-assertion.sig").unwrap();
    let snap = dir.path().join("s.json");
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "collect",
            "--no-usage",
            "--subscription",
            S1,
            "--snapshot-out",
            snap.to_str().unwrap(),
            "--arm-endpoint",
            &emu.url(),
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AZURE_TENANT_ID", support::TENANT)
        .env("AZURE_CLIENT_ID", "00000000-0000-4000-8000-0000000000c1")
        .env("AZURE_FEDERATED_TOKEN_FILE", &token_file)
        .env("AZURE_AUTHORITY_HOST", emu.login_url())
        .env("LOGPOSTURE_CA_CERT", &emu.ca().pem)
        .output()
        .await
        .unwrap();
    assert!(snap.exists(), "{}", String::from_utf8_lossy(&output.stderr));
    let bodies = emu.token_bodies();
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("client_assertion=") && b.contains("ci-oidc-assertion")),
        "token requested with the federated assertion: {bodies:?}"
    );
    assert!(emu.requests().iter().all(|r| r.authorized));
}

#[tokio::test(flavor = "multi_thread")]
async fn sentinel_onboarding_is_read_and_a_denied_read_stays_unknown() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let (_, snap, _) = collect(&emu, &["--subscription", tenant::S1]).await;
    let ws = &snap.inventory.subscriptions[0].workspaces.items()[0];
    assert_eq!(
        ws.sentinel_enabled,
        Some(true),
        "one 'default' onboarding state"
    );

    let path = format!(
        "{}/providers/Microsoft.SecurityInsights/onboardingStates",
        tenant::ws()
    );
    emu.route(&path, Route::Json(serde_json::json!({ "value": [] })));
    let (_, snap, _) = collect(&emu, &["--subscription", tenant::S1]).await;
    let ws = &snap.inventory.subscriptions[0].workspaces.items()[0];
    assert_eq!(
        ws.sentinel_enabled,
        Some(false),
        "empty list: not onboarded"
    );

    emu.route(
        &path,
        Route::Error(
            403,
            "AuthorizationFailed",
            "no access to Microsoft.SecurityInsights".into(),
        ),
    );
    let (_, snap, _) = collect(&emu, &["--subscription", tenant::S1]).await;
    let ws = &snap.inventory.subscriptions[0].workspaces.items()[0];
    assert_eq!(
        ws.sentinel_enabled, None,
        "a 403 is unknown, not 'no Sentinel'"
    );
    assert!(snap
        .errors
        .iter()
        .any(|e| e.operation == "sentinelOnboardingStates.list" && e.status == Some(403)));
}

#[tokio::test(flavor = "multi_thread")]
async fn sentinel_security_event_data_source_gives_the_legacy_tier() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let ds = format!("{}/dataSources", tenant::ws());
    // The Defender data source is absent; Sentinel's "Security Events" connector holds the tier.
    emu.route_q(
        &ds,
        "kind='securityeventcollectionconfiguration'",
        Route::Json(serde_json::json!({ "value": [] })),
    );
    emu.route_q(
        &ds,
        "securityinsightssecurityeventcollectionconfiguration",
        Route::Json(serde_json::json!({ "value": [ {
            "id": format!("{ds}/SecurityEventCollectionConfiguration"),
            "name": "SecurityEventCollectionConfiguration",
            "kind": "SecurityInsightsSecurityEventCollectionConfiguration",
            "properties": { "tier": "All", "tierSetMethod": "Custom" }
        } ] })),
    );
    let (_, snap, _) = collect(&emu, &["--subscription", tenant::S1]).await;
    let ws = &snap.inventory.subscriptions[0].workspaces.items()[0];
    assert_eq!(
        ws.security_event_tier.value,
        Some(LegacySecurityEvents::tier("All"))
    );
}

/// Subscriptions are read side by side, each keeping its own reads in flight: with ARM answering
/// in 150 ms, eight subscriptions together keep well over the old global cap of 16 requests at
/// the server at once (the scan's pace is set per subscription, not by one global queue).
#[tokio::test(flavor = "multi_thread")]
async fn eight_subscriptions_are_read_concurrently_under_latency() {
    let emu = ArmEmulator::start().await;
    let subs: Vec<serde_json::Value> = (1..=8u32)
        .map(|i| {
            let id = format!("{i:08x}-0000-4000-8000-00000000000{i}");
            serde_json::json!({
                "id": format!("/subscriptions/{id}"),
                "subscriptionId": id,
                "tenantId": "8f3e1c2a-5b7d-4e9f-a1c3-2d4b6f8e0a1c",
                "displayName": format!("Sub {i}"),
                "state": "Enabled"
            })
        })
        .collect();
    emu.json("/subscriptions", serde_json::json!({ "value": subs }));
    // Every other read: an empty list, after ARM-like latency.
    emu.set_default(Route::Slow(
        Duration::from_millis(150),
        Box::new(Route::Json(serde_json::json!({ "value": [] }))),
    ));
    let (output, snap, _) = collect(&emu, &["--no-usage"]).await;
    assert!(
        output.status.success() || output.status.code() == Some(3),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(snap.inventory.subscriptions.len(), 8);
    let peak = emu.peak_in_flight();
    assert!(peak > 16, "the server saw at most {peak} requests at once");

    // An explicit --concurrency is still a hard cap.
    let emu = ArmEmulator::start().await;
    emu.json("/subscriptions", serde_json::json!({ "value": subs }));
    emu.set_default(Route::Slow(
        Duration::from_millis(150),
        Box::new(Route::Json(serde_json::json!({ "value": [] }))),
    ));
    collect(&emu, &["--no-usage", "--concurrency", "6"]).await;
    assert!(emu.peak_in_flight() <= 6, "{}", emu.peak_in_flight());
}

/// Data services: SQL auditing (server, master's settings, databases where the server's is
/// off), flexible-server parameters over pages, App Service sites and Application Insights,
/// each from fixtures modelled on Microsoft's published examples.
#[tokio::test(flavor = "multi_thread")]
async fn data_services_are_read_per_server_and_judged() {
    use logposture::model::Status;
    use serde_json::json;
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let sub = format!("/subscriptions/{S1}");
    let rg = format!("{sub}/resourceGroups/rg-sec/providers");
    let ledger = format!("{rg}/Microsoft.Sql/servers/sql-ledger");
    let legacy = format!("{rg}/Microsoft.Sql/servers/sql-legacy");
    let pg = format!("{rg}/Microsoft.DBforPostgreSQL/flexibleServers/psql-pay");
    let my = format!("{rg}/Microsoft.DBforMySQL/flexibleServers/mysql-cms");
    let single = format!("{rg}/Microsoft.DBforPostgreSQL/servers/psql-old");
    let pg_new = format!("{rg}/Microsoft.DBforPostgreSQL/flexibleServers/psql-new");
    let item = |id: &str, t: &str| json!({ "id": id, "name": id.rsplit('/').next().unwrap(), "type": t, "location": "westeurope" });
    let mut pages = tenant::resource_pages();
    pages.push(vec![
        item(&ledger, "Microsoft.Sql/servers"),
        item(
            &format!("{ledger}/databases/master"),
            "Microsoft.Sql/servers/databases",
        ),
        item(&legacy, "Microsoft.Sql/servers"),
        item(
            &format!("{legacy}/databases/master"),
            "Microsoft.Sql/servers/databases",
        ),
        item(
            &format!("{legacy}/databases/billing"),
            "Microsoft.Sql/servers/databases",
        ),
        item(
            &format!("{legacy}/databases/reports"),
            "Microsoft.Sql/servers/databases",
        ),
        item(&pg, "Microsoft.DBforPostgreSQL/flexibleServers"),
        item(&my, "Microsoft.DBforMySQL/flexibleServers"),
        item(&single, "Microsoft.DBforPostgreSQL/servers"),
        item(&pg_new, "Microsoft.DBforPostgreSQL/flexibleServers"),
    ]);
    emu.route(&format!("{sub}/resources"), Route::Pages(pages));
    emu.fixture(
        &format!("{ledger}/auditingSettings"),
        "arm/sql-server-auditing.json",
    );
    emu.json(
        &format!("{ledger}/databases/master/providers/Microsoft.Insights/diagnosticSettings"),
        json!({ "value": [{
            "id": format!("{ledger}/databases/master/providers/microsoft.insights/diagnosticSettings/audit"),
            "name": "audit",
            "properties": { "workspaceId": tenant::ws(), "logs": [{ "category": "SQLSecurityAuditEvents", "enabled": true }] }
        }] }),
    );
    emu.fixture(
        &format!("{legacy}/auditingSettings"),
        "arm/sql-server-auditing-disabled.json",
    );
    emu.fixture(
        &format!("{legacy}/databases/billing/auditingSettings"),
        "arm/sql-database-auditing.json",
    );
    emu.route(
        &format!("{legacy}/databases/reports/auditingSettings"),
        Route::Error(403, "AuthorizationFailed", "no read on reports".into()),
    );
    let pg_pages: Vec<Vec<serde_json::Value>> =
        support::load_fixture("arm/postgres-configurations-pages.json")["pages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_array().cloned().unwrap())
            .collect();
    // psql-new offers the same parameters but connection_throttle.*: its version is read.
    let without_throttle: Vec<Vec<serde_json::Value>> = pg_pages
        .iter()
        .map(|page| {
            page.iter()
                .filter(|c| {
                    !c["name"]
                        .as_str()
                        .unwrap()
                        .starts_with("connection_throttle")
                })
                .cloned()
                .collect()
        })
        .collect();
    emu.route(&format!("{pg}/configurations"), Route::Pages(pg_pages));
    emu.route(
        &format!("{pg_new}/configurations"),
        Route::Pages(without_throttle),
    );
    emu.fixture(&pg_new, "arm/postgres-server.json");
    emu.fixture(
        &format!("{my}/configurations"),
        "arm/mysql-configurations.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Web/sites"),
        "arm/sites.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Insights/components"),
        "arm/app-insights-components.json",
    );

    let (_, snap, _) = collect(&emu, &[]).await;
    let s1 = &snap.inventory.subscriptions[0];

    // SQL: the enabled server's policy and master's settings; the disabled one's databases.
    let sql = s1.sql_servers.complete().expect("SQL servers read");
    assert_eq!(sql.len(), 2);
    let l = sql.iter().find(|s| s.name == "sql-ledger").unwrap();
    let policy = l.auditing.complete().unwrap();
    assert_eq!(
        (
            policy.enabled(),
            policy.retention_days,
            policy.azure_monitor_target
        ),
        (Some(true), Some(120), Some(true))
    );
    assert_eq!(l.master_diagnostic_settings.items().len(), 1);
    assert!(
        l.databases.is_empty(),
        "the server policy covers its databases: none read"
    );
    let g = sql.iter().find(|s| s.name == "sql-legacy").unwrap();
    assert_eq!(g.auditing.complete().unwrap().enabled(), Some(false));
    assert_eq!(
        g.auditing.complete().unwrap().storage_endpoint,
        None,
        "empty string is no endpoint"
    );
    let names: Vec<&str> = g.databases.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["billing", "reports"],
        "master is never read as a database"
    );
    assert!(g.databases[1]
        .auditing
        .error
        .as_ref()
        .unwrap()
        .is_forbidden());
    assert_eq!(
        emu.count(|r| r
            .path
            .ends_with("sql-ledger/databases/master/auditingSettings")),
        0
    );

    // Parameters: both pages, logging ones only; the single server is not read.
    let dbs = s1.database_servers.complete().expect("database servers");
    let p = dbs.iter().find(|s| s.name == "psql-pay").unwrap();
    let params = p.parameters.complete().unwrap();
    assert_eq!(
        params.get("log_connections").map(String::as_str),
        Some("off")
    );
    assert_eq!(
        params.get("logfiles.retention_days").map(String::as_str),
        Some("3")
    );
    assert!(!params.contains_key("allow_in_place_tablespaces"));
    // The version is read only where connection_throttle.enable is missing.
    assert!(p.version.is_unread());
    assert_eq!(
        emu.count(|r| r.path.ends_with("flexibleServers/psql-pay")),
        0
    );
    let new = dbs.iter().find(|s| s.name == "psql-new").unwrap();
    assert!(!new
        .parameters
        .complete()
        .unwrap()
        .contains_key("connection_throttle.enable"));
    assert_eq!(new.version.complete().map(String::as_str), Some("16"));
    let m = dbs.iter().find(|s| s.name == "mysql-cms").unwrap();
    assert_eq!(
        m.parameters
            .complete()
            .unwrap()
            .get("audit_log_events")
            .map(String::as_str),
        Some("CONNECTION,DDL")
    );
    let old = dbs.iter().find(|s| s.name == "psql-old").unwrap();
    assert_eq!(
        (old.deployment.as_str(), old.parameters.value.is_none()),
        ("single", true)
    );
    assert_eq!(
        emu.count(|r| r.path.contains("psql-old/configurations")),
        0,
        "a retired server's parameters are not read"
    );

    // Sites and components: kinds, the item without properties recorded, `tags: ""` accepted.
    let apps = s1.web_apps.items();
    assert_eq!(apps.len(), 2);
    assert!(
        s1.web_apps.error.is_some(),
        "app-broken made the list partial"
    );
    let func = apps.iter().find(|a| a.name == "func-jobs").unwrap();
    assert!(func.is_function_app());
    assert_eq!(func.sku.as_deref(), Some("Dynamic"));
    let portal = apps.iter().find(|a| a.name == "app-portal").unwrap();
    assert_eq!(
        (portal.location.as_str(), portal.http_logging_enabled),
        ("East US", Some(false))
    );
    let ai = s1.app_insights.complete().expect("components");
    assert_eq!(ai.len(), 1);
    assert!(ai[0]
        .workspace_id
        .as_deref()
        .unwrap()
        .ends_with("/workspaces/law-sec"));

    // And the verdicts on what was read.
    let baseline =
        logposture::evaluate::baseline::load(&[], logposture::evaluate::rules::validate).unwrap();
    let findings = logposture::evaluate::run(&snap, &baseline);
    let status = |check: &str, id: &str| {
        findings
            .iter()
            .find(|f| &*f.check_id == check && f.resource_id.eq_ignore_ascii_case(id))
            .map(|f| f.status)
    };
    assert_eq!(status("LP-SQL-001", &ledger), Some(Status::Pass));
    assert_eq!(
        status("LP-SQL-002", &ledger),
        Some(Status::Pass),
        "storage keeps 120 days"
    );
    assert_eq!(
        status("LP-SQL-001", &legacy),
        Some(Status::NotAssessed),
        "one database unreadable"
    );
    assert_eq!(status("LP-DB-004", &pg), Some(Status::Fail));
    assert_eq!(status("LP-DB-003", &pg), Some(Status::Fail));
    assert_eq!(status("LP-DB-001", &pg), Some(Status::Pass));
    assert_eq!(status("LP-DB-002", &pg_new), Some(Status::NotApplicable));
    assert_eq!(status("LP-DB-007", &my), Some(Status::Pass));
    assert_eq!(status("LP-DB-008", &single), Some(Status::Fail));
}

/// The resources of the trails tests: the tenant's, plus a DNS security policy, a firewall with
/// its policy, public IPs and a scale set (rare types are listed only where they exist).
fn serve_trails(emu: &ArmEmulator) {
    use serde_json::json;
    let sub = format!("/subscriptions/{S1}");
    let net = |t: &str| tenant::rid(&format!("Microsoft.Network/{t}"));
    let item = |id: &str, t: &str| json!({ "id": id, "name": id.rsplit('/').next().unwrap(), "type": t, "location": "westeurope" });
    let mut pages = tenant::resource_pages();
    pages.push(vec![
        item(
            &net("dnsResolverPolicies/dnspol-weu"),
            "Microsoft.Network/dnsResolverPolicies",
        ),
        item(
            &net("dnsResolverPolicies/dnspol-locked"),
            "Microsoft.Network/dnsResolverPolicies",
        ),
        item(
            &net("azureFirewalls/afw-hub"),
            "Microsoft.Network/azureFirewalls",
        ),
        item(
            &net("firewallPolicies/fwpol-hub"),
            "Microsoft.Network/firewallPolicies",
        ),
        item(
            &net("publicIPAddresses/pip-win01"),
            "Microsoft.Network/publicIPAddresses",
        ),
        item(
            &net("loadBalancers/lbi-sql"),
            "Microsoft.Network/loadBalancers",
        ),
        item(
            &net("virtualNetworks/vnet-hub"),
            "Microsoft.Network/virtualNetworks",
        ),
        item(
            &tenant::rid("Microsoft.Compute/virtualMachineScaleSets/vmss-web"),
            "Microsoft.Compute/virtualMachineScaleSets",
        ),
    ]);
    emu.route(&format!("{sub}/resources"), Route::Pages(pages));
    // vnet-main on Azure DNS (an empty list, as published), vnet-hub resolving through the firewall.
    let mut vnets = support::load_fixture("arm/vnets.json");
    let list = vnets["value"].as_array_mut().unwrap();
    list[0]["properties"]["dhcpOptions"] = json!({ "dnsServers": [] });
    list.push(json!({
        "id": net("virtualNetworks/vnet-hub"), "name": "vnet-hub", "location": "westeurope",
        "type": "Microsoft.Network/virtualNetworks",
        "properties": { "subnets": [], "dhcpOptions": { "dnsServers": ["10.9.0.4"] } }
    }));
    emu.json(
        &format!("{sub}/providers/Microsoft.Network/virtualNetworks"),
        vnets,
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Network/publicIPAddresses"),
        "arm/public-ips.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Network/loadBalancers"),
        "arm/load-balancers.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Network/azureFirewalls"),
        "arm/azure-firewalls.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Network/firewallPolicies"),
        "arm/firewall-policies.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Network/dnsResolverPolicies"),
        "arm/dns-resolver-policies.json",
    );
    emu.fixture(
        &format!(
            "{}/virtualNetworkLinks",
            net("dnsResolverPolicies/dnspol-weu")
        ),
        "arm/dns-policy-vnet-links.json",
    );
    emu.route(
        &format!(
            "{}/virtualNetworkLinks",
            net("dnsResolverPolicies/dnspol-locked")
        ),
        Route::Error(
            403,
            "AuthorizationFailed",
            "no read on dnspol-locked".into(),
        ),
    );
    emu.fixture(
        &format!(
            "{}/networkInterfaces",
            tenant::rid("Microsoft.Compute/virtualMachineScaleSets/vmss-web")
        ),
        "arm/vmss-nics.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Security/jitNetworkAccessPolicies"),
        "arm/jit-policies.json",
    );
    // What the policy and the firewall offer and export.
    let cats = "/providers/Microsoft.Insights/diagnosticSettingsCategories";
    let diag = "/providers/Microsoft.Insights/diagnosticSettings";
    let category = |id: &str, c: &str| json!({ "id": format!("{id}{cats}/{c}"), "name": c, "properties": { "categoryType": "Logs", "categoryGroups": ["allLogs"] } });
    for (id, offered, exported) in [
        (
            net("dnsResolverPolicies/dnspol-weu"),
            vec!["DnsResponse"],
            "DnsResponse",
        ),
        (
            net("dnsResolverPolicies/dnspol-locked"),
            vec!["DnsResponse"],
            "DnsResponse",
        ),
        (
            net("azureFirewalls/afw-hub"),
            vec!["AZFWNetworkRule", "AZFWDnsQuery"],
            "AZFWDnsQuery",
        ),
    ] {
        emu.json(
            &format!("{id}{cats}"),
            json!({ "value": offered.iter().map(|c| category(&id, c)).collect::<Vec<_>>() }),
        );
        emu.json(
            &format!("{id}{diag}"),
            json!({ "value": [{
                "id": format!("{id}/providers/microsoft.insights/diagnosticSettings/to-law"),
                "name": "to-law",
                "properties": { "workspaceId": tenant::ws(), "logAnalyticsDestinationType": "Dedicated",
                                "logs": [{ "category": exported, "enabled": true }] }
            }] }),
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn investigation_trails_are_read_from_their_lists() {
    use logposture::model::Status;
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    serve_trails(&emu);
    let (_, snap, _) = collect(&emu, &[]).await;
    let s1 = &snap.inventory.subscriptions[0];

    // NICs: addresses and owners; the scale set's instance NIC from its own list.
    let nics = s1.network_interfaces.complete().expect("NICs read");
    let vm_nic = nics.iter().find(|n| n.name == "vm-win01-nic").unwrap();
    assert_eq!(
        vm_nic.ip_configurations[0].private_ip.as_deref(),
        Some("10.0.2.4")
    );
    assert!(vm_nic
        .virtual_machine_id
        .as_deref()
        .unwrap()
        .ends_with("/vm-win01"));
    assert!(vm_nic.ip_configurations[0]
        .public_ip_id
        .as_deref()
        .unwrap()
        .ends_with("/pip-win01"));
    let pe = nics
        .iter()
        .find(|n| n.private_endpoint_id.is_some())
        .unwrap();
    assert_eq!(
        pe.ip_configurations[0].private_ip.as_deref(),
        Some("10.0.2.10")
    );
    let vmss = nics
        .iter()
        .find(|n| n.name == "vmss-web-nic")
        .expect("scale-set NIC");
    assert!(vmss
        .virtual_machine_id
        .as_deref()
        .unwrap()
        .ends_with("vmss-web/virtualMachines/0"));

    let lb = &s1.load_balancers.complete().expect("load balancers")[0];
    assert_eq!(lb.frontends[0].private_ip.as_deref(), Some("10.0.2.20"));
    let pips = s1.public_ip_addresses.complete().expect("public IPs");
    assert_eq!(pips.len(), 3);
    assert_eq!(
        pips.iter()
            .find(|p| p.name == "pip-spare")
            .unwrap()
            .ip_address,
        None
    );

    // The firewall's classic key says off, its policy says on: the policy decides.
    let fw = &s1.firewalls.complete().expect("firewalls")[0];
    assert_eq!(
        (fw.private_ips.as_slice(), fw.dns_proxy),
        (&["10.9.0.4".to_string()][..], Some(false))
    );
    assert_eq!(
        s1.firewall_policies.complete().unwrap()[0].dns_proxy,
        Some(true)
    );

    // DNS security policies: links of one read (one VNet in another subscription), the other's denied.
    let policies = s1.dns_security_policies.items();
    assert_eq!(policies.len(), 2);
    let weu = policies.iter().find(|p| p.name == "dnspol-weu").unwrap();
    assert_eq!(weu.virtual_network_ids.complete().unwrap().len(), 2);
    let locked = policies.iter().find(|p| p.name == "dnspol-locked").unwrap();
    assert!(locked
        .virtual_network_ids
        .error
        .as_ref()
        .unwrap()
        .is_forbidden());
    assert!(
        s1.dns_security_policies.error.is_some(),
        "a policy with unknown links makes the list partial"
    );

    let jit = s1.jit_policies.complete().expect("JIT policies");
    assert!(jit[0].virtual_machine_ids[0].ends_with("/vm-win01"));
    let hub = s1
        .virtual_networks
        .items()
        .iter()
        .find(|v| v.name == "vnet-hub")
        .unwrap();
    assert_eq!(hub.dns_servers, ["10.9.0.4"]);

    // Verdicts on what was read.
    let baseline =
        logposture::evaluate::baseline::load(&[], logposture::evaluate::rules::validate).unwrap();
    let findings = logposture::evaluate::run(&snap, &baseline);
    let status = |check: &str, tail: &str| {
        findings
            .iter()
            .find(|f| &*f.check_id == check && f.resource_id.ends_with(tail))
            .map(|f| (f.status, f.message.clone()))
    };
    let (main, why) = status("LP-DNS-001", "/vnet-main").unwrap();
    assert_eq!(main, Status::Pass, "{why}");
    let (hub, why) = status("LP-DNS-001", "/vnet-hub").unwrap();
    assert_eq!(
        hub,
        Status::Pass,
        "firewall DNS proxy exporting AZFWDnsQuery: {why}"
    );
    let (jit_alert, why) = status("LP-JIT-002", S1).unwrap();
    assert_eq!(jit_alert, Status::Fail, "{why}");
    assert!(findings
        .iter()
        .any(|f| &*f.check_id == "LP-JIT-002"
            && f.evidence.value()["vms_under_jit"][0] == "vm-win01"));
}

#[tokio::test(flavor = "multi_thread")]
async fn rare_types_are_listed_only_where_the_resource_list_holds_them() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let (_, snap, _) = collect(&emu, &[]).await;
    let s1 = &snap.inventory.subscriptions[0];
    for list in [
        "/providers/Microsoft.Network/azureFirewalls",
        "/providers/Microsoft.Network/firewallPolicies",
        "/providers/Microsoft.Network/dnsResolverPolicies",
        "/providers/Microsoft.Network/publicIPAddresses",
    ] {
        assert_eq!(
            emu.count(|r| r.path.ends_with(list)),
            0,
            "{list} read without need"
        );
    }
    assert!(s1.firewalls.is_complete() && s1.firewalls.items().is_empty());
    // JIT policies are not in the resource list: always read.
    assert_eq!(
        emu.count(|r| r
            .path
            .ends_with("/providers/Microsoft.Security/jitNetworkAccessPolicies")),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn attribution_keeps_both_owners_of_a_nic_moved_between_vms() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    serve_trails(&emu);
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("attribution-history.json");
    let scan = |out: std::path::PathBuf| {
        let history = history.clone();
        let emu = &emu;
        async move {
            let out_s = out.to_str().unwrap().to_string();
            let h = history.to_str().unwrap().to_string();
            let o = support::run_logposture(
                emu,
                &[
                    "scan",
                    "--output",
                    &out_s,
                    "--format",
                    "json,attribution",
                    "--attribution-history",
                    &h,
                    "--quiet",
                ],
            )
            .await;
            let text = std::fs::read_to_string(out.join("attribution.json")).unwrap_or_else(|e| {
                panic!(
                    "no attribution.json ({e}); stderr: {}",
                    String::from_utf8_lossy(&o.stderr)
                )
            });
            let csv = std::fs::read_to_string(out.join("attribution.csv")).unwrap();
            (
                serde_json::from_str::<serde_json::Value>(&text).unwrap(),
                csv,
            )
        }
    };
    let (first, _) = scan(dir.path().join("first")).await;
    let t1 = first["scan_time"].as_str().unwrap().to_string();
    for ip in ["20.61.14.20", "10.0.2.20"] {
        assert!(
            first["addresses"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["ip"] == ip && a["owner_kind"] == "load balancer"),
            "{ip}: a load balancer's frontend"
        );
    }

    // Between scans the NIC (and its address 10.0.2.4) is detached and given to vm-win02.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut nics = support::load_fixture("arm/nics.json");
    nics["value"][0]["properties"]["virtualMachine"]["id"] =
        serde_json::json!(tenant::rid("Microsoft.Compute/virtualMachines/vm-win02"));
    emu.json(
        &format!("/subscriptions/{S1}/providers/Microsoft.Network/networkInterfaces"),
        nics,
    );
    let (second, csv) = scan(dir.path().join("second")).await;
    let t2 = second["scan_time"].as_str().unwrap().to_string();
    assert!(t1 < t2, "{t1} then {t2}");

    let owners: Vec<(String, String, String)> = second["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["ip"] == "10.0.2.4")
        .map(|s| {
            (
                s["owner_id"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                s["first_seen"].as_str().unwrap().to_string(),
                s["last_seen"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        owners,
        [
            ("vm-win01".to_string(), t1.clone(), t1.clone()),
            ("vm-win02".to_string(), t2.clone(), t2.clone())
        ],
        "both owners of the address, each with the time range it held it"
    );
    // Addresses nobody moved span both scans.
    let pe = second["addresses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["ip"] == "10.0.2.10")
        .unwrap();
    assert_eq!(
        (pe["first_seen"].as_str(), pe["last_seen"].as_str()),
        (Some(t1.as_str()), Some(t2.as_str()))
    );
    // The CSV has both rows: the earlier owner no longer current.
    let rows: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("\"10.0.2.4\""))
        .collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows
        .iter()
        .any(|r| r.contains("\"no\"") && r.contains("vm-win01")));
    assert!(rows
        .iter()
        .any(|r| r.contains("\"yes\"") && r.contains("vm-win02")));
    // The history file is the same document, ready for the next scan.
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&history).unwrap()).unwrap();
    assert_eq!(kept["history"], second["history"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn arm_over_tls_speaks_http2_on_a_few_reused_connections() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let dir = tempfile::tempdir().unwrap();
    let front = support::tls_front::start_with(emu.url(), emu.ca()).await;
    let snap = dir.path().join("snapshot.json");
    let ca = front.ca_pem.to_str().unwrap().to_string();
    // ARM and Log Analytics behind TLS with the test CA, which signs the login authority too.
    let output = support::logposture_cmd(&emu)
        .args(["collect", "--quiet", "--snapshot-out"])
        .arg(&snap)
        .args([
            "--arm-endpoint",
            &front.url,
            "--logs-endpoint",
            &front.url,
            "--ca-cert",
            &ca,
        ])
        .output()
        .await
        .unwrap();
    let text = std::fs::read_to_string(&snap).unwrap_or_else(|e| {
        panic!(
            "no snapshot ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let snap = Snapshot::from_json("snapshot.json", &text).unwrap();
    assert!(
        snap.inventory.subscriptions[0].resources.is_complete(),
        "S1 read over TLS (paged resource list included)"
    );
    let c = &front.counts;
    let (h2, h1, conns) = (
        c.http2.load(std::sync::atomic::Ordering::SeqCst),
        c.http1.load(std::sync::atomic::Ordering::SeqCst),
        c.connections.load(std::sync::atomic::Ordering::SeqCst),
    );
    assert!(
        h2 > 40 && h1 == 0,
        "every read over HTTP/2: {h2} h2, {h1} http/1.1"
    );
    assert!(
        conns <= 2,
        "{h2} reads multiplexed over {conns} TLS connection(s)"
    );

    // A front signed by a CA nobody trusts fails verification: nothing is read, nothing
    // trusted (the login authority's CA is still trusted, so this is ARM's refusal).
    let stranger = support::tls_front::start(emu.url(), dir.path()).await;
    let output = support::logposture_cmd(&emu)
        .args(["collect", "--quiet", "--snapshot-out"])
        .arg(dir.path().join("untrusted.json"))
        .args([
            "--arm-endpoint",
            &stranger.url,
            "--logs-endpoint",
            &stranger.url,
        ])
        .output()
        .await
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("certificate"),
        "the reason is said: {stderr}"
    );
    let s = &stranger.counts;
    assert_eq!(
        s.http2.load(std::sync::atomic::Ordering::SeqCst)
            + s.http1.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no request got through an unverified connection"
    );
}

/// A Syslog source that names no stream feeds something unknown: its rule is left out and the
/// list is partial, so the Linux VM associated with it is not assessed (never failed or passed).
#[tokio::test(flavor = "multi_thread")]
async fn a_syslog_source_without_a_stream_makes_its_rule_unknown() {
    use logposture::model::Status;
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let mut dcrs = support::load_fixture("arm/dcrs.json");
    for rule in dcrs["value"].as_array_mut().unwrap() {
        if let Some(sources) = rule["properties"]["dataSources"]["syslog"].as_array_mut() {
            for src in sources {
                src.as_object_mut().unwrap().remove("streams");
            }
        }
    }
    emu.json(
        &format!("/subscriptions/{S1}/providers/Microsoft.Insights/dataCollectionRules"),
        dcrs,
    );
    // The Linux VM uses the rule whose Syslog sources lost their streams.
    emu.fixture(
        &format!(
            "{}/providers/Microsoft.Insights/dataCollectionRuleAssociations",
            tenant::linux_vm()
        ),
        "arm/dcr-associations.json",
    );
    let (_, snap, _) = collect(&emu, &["--subscription", S1, "--no-usage"]).await;
    let s1 = &snap.inventory.subscriptions[0];
    let err = s1.data_collection_rules.error.as_ref().expect("partial");
    assert_eq!(err.code.as_deref(), Some("MalformedPayload"));
    assert!(err.message.contains("no stream"), "{}", err.message);
    let baseline =
        logposture::evaluate::baseline::load(&[], logposture::evaluate::rules::validate).unwrap();
    let linux: Vec<_> = logposture::evaluate::run(&snap, &baseline)
        .into_iter()
        .filter(|f| &*f.check_id == "LP-SEC-003")
        .collect();
    assert!(!linux.is_empty());
    assert!(
        linux.iter().all(|f| f.status == Status::NotAssessed),
        "{:?}",
        linux
            .iter()
            .map(|f| (&f.resource_id, f.status))
            .collect::<Vec<_>>()
    );
}

/// Issue 29: every workspace a configured pipeline sends to is asked, with the pinned queries
/// only, when it last received each family; a denied query is recorded, not guessed; the VMs'
/// agent and power state are read.
#[tokio::test(flavor = "multi_thread")]
async fn arrival_is_asked_of_each_destination_workspace_with_pinned_queries() {
    use support::last_seen_table;
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let cid = tenant::CUSTOMER_ID;
    let kv = tenant::kv1().to_ascii_lowercase();
    let win = tenant::vm().to_ascii_lowercase();
    emu.arrival(
        cid,
        "resource",
        Route::Json(last_seen_table(&[(&kv, "2026-11-02T05:59:00Z")])),
    );
    emu.arrival(
        cid,
        "activity",
        Route::Json(last_seen_table(&[(S1, "2026-11-02T05:58:00Z")])),
    );
    emu.arrival(
        cid,
        "entra",
        Route::Error(
            403,
            "InsufficientAccessError",
            "The provided credentials have insufficient access to perform the requested operation"
                .into(),
        ),
    );
    emu.arrival(
        cid,
        "security_events",
        Route::Json(last_seen_table(&[(&win, "2026-11-02T05:57:00Z")])),
    );
    emu.arrival(
        cid,
        "heartbeat",
        Route::Json(last_seen_table(&[(&win, "2026-11-02T05:59:59Z")])),
    );
    let (_, snap, _) = collect(&emu, &["--subscription", S1]).await;
    assert!(
        emu.unknown_queries().is_empty(),
        "{:?}",
        emu.unknown_queries()
    );
    let ws = &snap.inventory.subscriptions[0].workspaces.items()[0];
    let families: Vec<&String> = ws.arrival.keys().collect();
    assert!(
        families.contains(&&"resource".to_string()) && families.contains(&&"activity".to_string()),
        "{families:?}"
    );
    assert_eq!(ws.arrival["resource"].items()[0].key, kv);
    assert_eq!(
        ws.arrival["activity"].items()[0].last_seen,
        "2026-11-02T05:58:00Z"
    );
    let entra = &ws.arrival["entra"];
    assert!(entra.value.is_none() && entra.error.as_ref().unwrap().status == Some(403));
    // One query per workspace and family, never more.
    let asked = emu.arrival_queries();
    let distinct: std::collections::BTreeSet<_> = asked.iter().collect();
    assert_eq!(asked.len(), distinct.len(), "{asked:?}");
    // The agent and power state of the VMs.
    let vms = snap.inventory.subscriptions[0].virtual_machines.items();
    let w = vms.iter().find(|v| v.name == "vm-win01").unwrap();
    assert_eq!(w.power_state.as_deref(), Some("running"));
    assert!(!w.dcr_associations.items().is_empty());
    assert_eq!(w.monitor_agent.value, Some(Some("Succeeded".to_string())));
    assert!(
        families.contains(&&"security_events".to_string())
            && families.contains(&&"heartbeat".to_string()),
        "{families:?}"
    );
    let l = vms.iter().find(|v| v.name == "vm-lnx01").unwrap();
    assert_eq!(l.power_state.as_deref(), Some("deallocated"));
}

/// A table on the Basic plan is billed per GB a query scans: its family is not queried, and
/// says so, unless --query-paid-tables.
#[tokio::test(flavor = "multi_thread")]
async fn a_basic_table_is_not_queried_without_query_paid_tables() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let mut tables = support::load_fixture("arm/tables.json");
    for t in tables["value"].as_array_mut().unwrap() {
        if t["name"] == "SecurityEvent" {
            t["properties"]["plan"] = serde_json::json!("Basic");
        }
    }
    emu.json(&format!("{}/tables", tenant::ws()), tables);
    let (_, snap, _) = collect(&emu, &["--subscription", S1]).await;
    let ws = &snap.inventory.subscriptions[0].workspaces.items()[0];
    if let Some(sec) = ws.arrival.get("security_events") {
        assert_eq!(
            sec.error.as_ref().unwrap().code.as_deref(),
            Some("PaidTableNotQueried")
        );
        assert!(!emu
            .arrival_queries()
            .iter()
            .any(|(_, f)| f == "security_events"));
        let (_, snap, _) = collect(&emu, &["--subscription", S1, "--query-paid-tables"]).await;
        let ws = &snap.inventory.subscriptions[0].workspaces.items()[0];
        assert!(ws.arrival["security_events"].is_complete());
        assert!(emu
            .arrival_queries()
            .iter()
            .any(|(_, f)| f == "security_events"));
    } else {
        panic!(
            "the test tenant's Windows VM sends security events to its workspace: {:?}",
            ws.arrival.keys()
        );
    }
}

/// An Azure Monitor Agent extension whose provisioning state cannot be read is unknown (the
/// agent check is not assessed), never a failed agent.
#[tokio::test(flavor = "multi_thread")]
async fn an_agent_without_a_readable_state_is_unknown() {
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let mut ext = support::load_fixture("arm/vm-extensions.json");
    ext["value"][0]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("provisioningState");
    emu.json(&format!("{}/extensions", tenant::vm()), ext);
    let (_, snap, _) = collect(&emu, &["--subscription", S1]).await;
    let vm = snap.inventory.subscriptions[0]
        .virtual_machines
        .items()
        .iter()
        .find(|v| v.name == "vm-win01")
        .unwrap()
        .clone();
    assert!(vm.monitor_agent.value.is_none(), "{:?}", vm.monitor_agent);
    assert_eq!(
        vm.monitor_agent.error.unwrap().code.as_deref(),
        Some("MalformedPayload")
    );
}

/// Issue 29, traffic analytics: a flow log whose traffic analytics writes to a workspace in
/// scope gets that workspace asked (pinned query, both traffic analytics tables) when it last
/// wrote the flow log's records; the answer, keyed as NTANetAnalytics names the flow log,
/// passes LP-ARR-008.
#[tokio::test(flavor = "multi_thread")]
async fn traffic_analytics_arrival_is_asked_of_its_workspace() {
    use support::last_seen_table;
    let emu = ArmEmulator::start().await;
    tenant::serve(&emu);
    let mut logs = support::load_fixture("arm/flow-logs.json");
    logs["value"][1]["properties"]["flowAnalyticsConfiguration"] = serde_json::json!({
        "networkWatcherFlowAnalyticsConfiguration": {
            "enabled": true,
            "workspaceId": tenant::CUSTOMER_ID,
            "workspaceRegion": "westeurope",
            "workspaceResourceId": tenant::ws(),
            "trafficAnalyticsInterval": 10
        }
    });
    emu.json(&format!("{}/flowLogs", tenant::NW), logs);
    // An hour before this scan (the verdict is judged against the scan's own end).
    let hour_ago = (time::OffsetDateTime::now_utc() - time::Duration::hours(1))
        .replace_nanosecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    emu.arrival(
        tenant::CUSTOMER_ID,
        "traffic",
        Route::Json(last_seen_table(&[(
            "networkwatcherrg/тц1/fl-vnet-main",
            &hour_ago,
        )])),
    );
    let (_, snap, _) = collect(&emu, &["--subscription", S1]).await;
    assert!(
        emu.unknown_queries().is_empty(),
        "{:?}",
        emu.unknown_queries()
    );
    assert!(emu
        .arrival_queries()
        .iter()
        .any(|(c, f)| c == tenant::CUSTOMER_ID && f == "traffic"));
    let ws = &snap.inventory.subscriptions[0].workspaces.items()[0];
    assert_eq!(ws.arrival["traffic"].items()[0].last_seen, hour_ago);
    let baseline = logposture::evaluate::baseline::load(&[], logposture::evaluate::rules::validate)
        .expect("built-in baseline is valid");
    let findings = logposture::evaluate::run(&snap, &baseline);
    let f: Vec<_> = findings
        .iter()
        .filter(|f| &*f.check_id == "LP-ARR-008")
        .collect();
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].resource_id.ends_with("/fl-vnet-main"), "{f:?}");
    assert_eq!(f[0].status, logposture::model::Status::Pass, "{f:?}");
}
