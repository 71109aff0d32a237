//! Every check: a passing, a failing and a not-assessed case over small inventories, plus the
//! semantic decisions of ../shared/reference/semantics.md spelled out as named cases.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use logposture::evaluate::{self, baseline};
use logposture::inventory::*;
use logposture::model::{Finding, Status};
use std::collections::{BTreeMap, BTreeSet};

const SUB: &str = "99999999-0000-4000-8000-000000000001";

fn rid(tail: &str) -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg/providers/{tail}")
}
fn ws_id() -> String {
    rid("Microsoft.OperationalInsights/workspaces/law")
}
fn st_id() -> String {
    rid("Microsoft.Storage/storageAccounts/stlogs")
}
fn kv_id() -> String {
    rid("Microsoft.KeyVault/vaults/kv")
}
fn nsg_id() -> String {
    rid("Microsoft.Network/networkSecurityGroups/nsg")
}
fn vnet_id() -> String {
    rid("Microsoft.Network/virtualNetworks/vnet")
}
fn vm_id() -> String {
    rid("Microsoft.Compute/virtualMachines/vm")
}
fn dcr_id() -> String {
    rid("Microsoft.Insights/dataCollectionRules/dcr")
}
fn fl_id() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/nw/flowLogs/fl")
}
fn sub_scope() -> String {
    format!("/subscriptions/{SUB}")
}
fn region() -> String {
    format!("/subscriptions/{SUB}/locations/westeurope")
}
fn table_id(t: &str) -> String {
    format!("{}/tables/{t}", ws_id())
}
fn pricing(plan: &str) -> String {
    format!("/subscriptions/{SUB}/providers/Microsoft.Security/pricings/{plan}")
}

fn forbidden() -> ReadError {
    ReadError {
        scope: sub_scope(),
        operation: "x.list".into(),
        status: Some(403),
        code: Some("AuthorizationFailed".into()),
        message: "no".into(),
    }
}

fn log(c: &str) -> LogSetting {
    LogSetting {
        category: Some(c.into()),
        category_group: None,
        enabled: true,
    }
}
fn group(g: &str) -> LogSetting {
    LogSetting {
        category: None,
        category_group: Some(g.into()),
        enabled: true,
    }
}
fn to_ws(name: &str, logs: Vec<LogSetting>) -> DiagnosticSetting {
    DiagnosticSetting {
        id: format!("x/{name}"),
        name: name.into(),
        workspace_id: Some(ws_id()),
        logs,
        ..Default::default()
    }
}
fn to_storage(name: &str, logs: Vec<LogSetting>) -> DiagnosticSetting {
    DiagnosticSetting {
        id: format!("x/{name}"),
        name: name.into(),
        storage_account_id: Some(st_id()),
        logs,
        ..Default::default()
    }
}

fn workspace(retention: u32, tables: Vec<WorkspaceTable>) -> Workspace {
    Workspace {
        id: ws_id(),
        name: "law".into(),
        location: "westeurope".into(),
        customer_id: "c".into(),
        retention_in_days: Some(retention),
        tables: Read::ok(tables),
        security_event_tier: Read::ok(LegacySecurityEvents::default()),
        windows_event_logs: Read::ok(vec![]),
        usage: Read::ok(vec![]),
        ..Default::default()
    }
}

fn table(name: &str, interactive: Option<u32>, total: Option<u32>) -> WorkspaceTable {
    WorkspaceTable {
        name: name.into(),
        plan: Some("Analytics".into()),
        retention_in_days: interactive,
        total_retention_in_days: total,
        retention_is_default: interactive.is_none(),
        total_retention_is_default: total.is_none(),
    }
}

fn flow_log(target: &str, retention_enabled: bool, days: u32, ta: bool) -> FlowLog {
    FlowLog {
        id: fl_id(),
        name: "fl".into(),
        location: "westeurope".into(),
        target_resource_id: target.into(),
        enabled: true,
        storage_id: Some(st_id()),
        retention_enabled: Some(retention_enabled),
        retention_days: Some(days),
        traffic_analytics_enabled: ta,
        traffic_analytics_interval_minutes: Some(60),
        ..Default::default()
    }
}

fn nsg_on_subnet() -> NetworkSecurityGroup {
    NetworkSecurityGroup {
        id: nsg_id(),
        name: "nsg".into(),
        location: "westeurope".into(),
        subnet_ids: vec![format!("{}/subnets/a", vnet_id())],
        ..Default::default()
    }
}

fn vnet() -> VirtualNetwork {
    VirtualNetwork {
        id: vnet_id(),
        name: "vnet".into(),
        location: "West Europe".into(),
        subnets: vec![Subnet {
            id: format!("{}/subnets/a", vnet_id()),
            name: "a".into(),
            network_security_group_id: Some(nsg_id()),
        }],
        dns_servers: vec![],
    }
}

fn windows_vm(assoc: Read<Vec<String>>) -> VirtualMachine {
    VirtualMachine {
        id: vm_id(),
        name: "vm".into(),
        location: "westeurope".into(),
        os_type: Some("Windows".into()),
        dcr_associations: assoc,
        tags: BTreeMap::new(),
        ..Default::default()
    }
}

fn dcr(xpaths: &[&str]) -> DataCollectionRule {
    DataCollectionRule {
        id: dcr_id(),
        name: "dcr".into(),
        location: "westeurope".into(),
        security_event_xpaths: xpaths.iter().map(|s| s.to_string()).collect(),
        streams: vec!["Microsoft-SecurityEvent".into()],
        ..Default::default()
    }
}

fn storage(public: Option<bool>, cmk: bool, immutable: Option<bool>) -> StorageAccount {
    StorageAccount {
        id: st_id(),
        name: "stlogs".into(),
        location: "westeurope".into(),
        allow_blob_public_access: public,
        key_source: Some(
            if cmk {
                "Microsoft.Keyvault"
            } else {
                "Microsoft.Storage"
            }
            .into(),
        ),
        immutability_enabled: immutable,
        ..Default::default()
    }
}

fn alert(op: &str, enabled: bool) -> ActivityLogAlert {
    ActivityLogAlert {
        id: rid("microsoft.insights/activityLogAlerts/a"),
        name: "a".into(),
        enabled,
        scopes: vec![sub_scope()],
        conditions: vec![
            AlertCondition {
                field: "category".into(),
                equals: "Administrative".into(),
            },
            AlertCondition {
                field: "operationName".into(),
                equals: op.into(),
            },
        ],
        action_groups: vec![ag_id("ops")],
    }
}

fn ag_id(name: &str) -> String {
    rid(&format!("microsoft.insights/actionGroups/{name}"))
}

fn action_group(name: &str, enabled: bool, receivers: u32) -> ActionGroup {
    ActionGroup {
        id: ag_id(name),
        name: name.into(),
        enabled: Some(enabled),
        receivers,
    }
}

fn cats(list: &[(&str, &[&str])]) -> Read<TypeCategories> {
    Read::ok(TypeCategories::with_logs(list))
}

/// A clean, complete, empty subscription and tenant.
fn base() -> Snapshot {
    let sub = SubscriptionInventory {
        action_groups: Read::ok(vec![action_group("ops", true, 1)]),
        ..SubscriptionInventory::empty(SubscriptionRef {
            id: SUB.into(),
            name: "sub".into(),
            state: "Enabled".into(),
        })
    };

    let mut categories = BTreeMap::new();
    categories.insert(
        "microsoft.keyvault/vaults".into(),
        cats(&[
            ("AuditEvent", &["audit", "allLogs"]),
            ("AzurePolicyEvaluationDetails", &["allLogs"]),
        ]),
    );
    categories.insert(
        "microsoft.operationalinsights/workspaces".into(),
        cats(&[
            ("Audit", &["audit", "allLogs"]),
            ("SummaryLogs", &["allLogs"]),
        ]),
    );
    categories.insert(
        "microsoft.eventhub/namespaces".into(),
        cats(&[
            ("OperationalLogs", &["allLogs"]),
            ("RuntimeAuditLogs", &["audit", "allLogs"]),
        ]),
    );
    Snapshot {
        snapshot_format: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        tenant_id: Some("t".into()),
        cloud: "public".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:01:00Z".into(),
        scope: ScanScope {
            subscriptions: vec![sub.subscription.clone()],
            ..Default::default()
        },
        inventory: Inventory {
            subscriptions: vec![sub],
            entra_diagnostic_settings: Read::ok(vec![]),
            // The tenant offers every category CIS 5.0 names unless a case says otherwise.
            entra_log_categories: Read::ok(
                [
                    "AuditLogs",
                    "SignInLogs",
                    "NonInteractiveUserSignInLogs",
                    "ServicePrincipalSignInLogs",
                    "ManagedIdentitySignInLogs",
                    "ProvisioningLogs",
                    "ADFSSignInLogs",
                    "RiskyUsers",
                    "UserRiskEvents",
                    "NetworkAccessTrafficLogs",
                    "RiskyServicePrincipals",
                    "ServicePrincipalRiskEvents",
                    "EnrichedOffice365AuditLogs",
                    "MicrosoftGraphActivityLogs",
                    "RemoteNetworkHealthLogs",
                    "NetworkAccessAlerts",
                ]
                .map(String::from)
                .to_vec(),
            ),
            diagnostic_categories: categories,
            arrival_collected: true,
        },
        errors: vec![],
        stats: CollectionStats::default(),
        identity: None,
    }
}

fn sub(s: &mut Snapshot) -> &mut SubscriptionInventory {
    &mut s.inventory.subscriptions[0]
}

fn with_resource_diag(s: &mut Snapshot, id: &str, t: &str, settings: Read<Vec<DiagnosticSetting>>) {
    let sb = sub(s);
    sb.resources
        .value
        .get_or_insert_with(Vec::new)
        .push(Resource {
            id: id.into(),
            name: last_segment(id),
            resource_type: t.into(),
            location: "westeurope".into(),
            ..Default::default()
        });
    sb.resource_diagnostics.push(ResourceDiagnostics {
        resource_id: id.into(),
        resource_type: t.into(),
        settings,
    });
}

fn all_entra() -> Vec<LogSetting> {
    [
        "AuditLogs",
        "SignInLogs",
        "NonInteractiveUserSignInLogs",
        "ServicePrincipalSignInLogs",
        "ManagedIdentitySignInLogs",
        "ProvisioningLogs",
        "RiskyUsers",
        "UserRiskEvents",
    ]
    .iter()
    .map(|c| log(c))
    .collect()
}

/// The built-in baseline, loaded once for every case.
fn load() -> &'static baseline::Baseline {
    static BASELINE: std::sync::OnceLock<baseline::Baseline> = std::sync::OnceLock::new();
    BASELINE.get_or_init(|| {
        baseline::load(&[], evaluate::rules::validate).expect("built-in baseline is valid")
    })
}

/// The findings of one check: only that check is evaluated.
fn findings(s: &Snapshot, check: &str) -> Vec<Finding> {
    let def = load()
        .get(check)
        .unwrap_or_else(|| panic!("no check {check}"));
    evaluate::run_check(s, def)
}

struct Case {
    check: &'static str,
    name: &'static str,
    setup: fn(&mut Snapshot),
    resource: fn() -> String,
    expect: Status,
}

macro_rules! case {
    ($check:expr, $name:expr, $res:expr, $expect:ident, $setup:expr) => {
        Case {
            check: $check,
            name: $name,
            setup: $setup,
            resource: $res,
            expect: Status::$expect,
        }
    };
}

const CMN: [u32; 3] = [4624, 4625, 4688];

#[path = "checks/activity_log.rs"]
mod activity_log;
#[path = "checks/alerts.rs"]
mod alerts;
#[path = "checks/arrival.rs"]
mod arrival;
#[path = "checks/data_services.rs"]
mod data_services;
#[path = "checks/defender.rs"]
mod defender;
#[path = "checks/entra_logs.rs"]
mod entra_logs;
#[path = "checks/flow_logs.rs"]
mod flow_logs;
#[path = "checks/log_storage.rs"]
mod log_storage;
#[path = "checks/network_watcher.rs"]
mod network_watcher;
#[path = "checks/resource_logs.rs"]
mod resource_logs;
#[path = "checks/retention.rs"]
mod retention;
#[path = "checks/security_events.rs"]
mod security_events;
#[path = "checks/trails.rs"]
mod trails;

fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(activity_log::cases());
    v.extend(resource_logs::cases());
    v.extend(entra_logs::cases());
    v.extend(flow_logs::cases());
    v.extend(network_watcher::cases());
    v.extend(retention::cases());
    v.extend(security_events::cases());
    v.extend(defender::cases());
    v.extend(log_storage::cases());
    v.extend(alerts::cases());
    v.extend(data_services::cases());
    v.extend(trails::cases());
    v.extend(arrival::cases());
    v
}

fn sub_plan(name: &str, sub_plan: &str) -> DefenderPlan {
    DefenderPlan {
        sub_plan: Some(sub_plan.into()),
        ..plan(name, "Standard")
    }
}

fn plan(name: &str, tier: &str) -> DefenderPlan {
    DefenderPlan {
        name: name.into(),
        pricing_tier: tier.into(),
        sub_plan: None,
        deprecated: false,
        extensions: None,
    }
}

fn log_storage(s: &mut Snapshot, a: StorageAccount) {
    sub(s).storage_accounts = Read::ok(vec![a]);
    sub(s).activity_log_settings =
        Read::ok(vec![to_storage("archive", vec![log("Administrative")])]);
}

const ALERTS: [(&str, &str); 15] = [
    (
        "LP-ALERT-001",
        "Microsoft.Authorization/policyAssignments/write",
    ),
    (
        "LP-ALERT-002",
        "Microsoft.Authorization/policyAssignments/delete",
    ),
    (
        "LP-ALERT-003",
        "Microsoft.Network/networkSecurityGroups/write",
    ),
    (
        "LP-ALERT-004",
        "Microsoft.Network/networkSecurityGroups/delete",
    ),
    (
        "LP-ALERT-005",
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
    ),
    (
        "LP-ALERT-006",
        "Microsoft.Network/networkSecurityGroups/securityRules/delete",
    ),
    ("LP-ALERT-007", "Microsoft.Security/securitySolutions/write"),
    (
        "LP-ALERT-008",
        "Microsoft.Security/securitySolutions/delete",
    ),
    ("LP-ALERT-009", "Microsoft.Sql/servers/firewallRules/write"),
    ("LP-ALERT-010", "Microsoft.Sql/servers/firewallRules/delete"),
    ("LP-ALERT-011", "Microsoft.Network/publicIPAddresses/write"),
    ("LP-ALERT-012", "Microsoft.Network/publicIPAddresses/delete"),
    (
        "LP-ALERT-014",
        "Microsoft.Insights/diagnosticSettings/write",
    ),
    (
        "LP-ALERT-015",
        "Microsoft.Insights/diagnosticSettings/delete",
    ),
    (
        "LP-ALERT-016",
        "Microsoft.OperationalInsights/workspaces/delete",
    ),
];

fn op_index(op: &str) -> usize {
    ALERTS.iter().position(|(_, o)| *o == op).unwrap_or(0)
}

macro_rules! alert_setup {
    ($i:expr) => {
        |s: &mut Snapshot| sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[$i].1, true)])
    };
}

const ALERT_SETUPS: [fn(&mut Snapshot); 15] = [
    alert_setup!(0),
    alert_setup!(1),
    alert_setup!(2),
    alert_setup!(3),
    alert_setup!(4),
    alert_setup!(5),
    alert_setup!(6),
    alert_setup!(7),
    alert_setup!(8),
    alert_setup!(9),
    alert_setup!(10),
    alert_setup!(11),
    alert_setup!(12),
    alert_setup!(13),
    alert_setup!(14),
];

#[test]
fn every_check_case() {
    let mut failures = Vec::new();
    for c in cases() {
        let mut s = base();
        (c.setup)(&mut s);
        let fs = findings(&s, c.check);
        let want = (c.resource)().to_lowercase();
        let got: Vec<(String, Status)> = fs
            .iter()
            .map(|f| (f.resource_id.to_lowercase(), f.status))
            .collect();
        match fs.iter().find(|f| f.resource_id.to_lowercase() == want) {
            Some(f) if f.status == c.expect => {
                assert!(
                    !f.message.is_empty() && !f.remediation_text().is_empty(),
                    "{} {}: message and remediation",
                    c.check,
                    c.name
                );
                if f.status == Status::NotAssessed {
                    assert!(
                        f.evidence.get("error").is_some(),
                        "{} {}: not assessed names the error",
                        c.check,
                        c.name
                    );
                }
            }
            _ => failures.push(format!(
                "{} — {}: expected {:?} on {want}, got {got:?}",
                c.check, c.name, c.expect
            )),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// No check without its three cases: adding a check to checks/ without tests fails here.
#[test]
fn every_check_has_pass_fail_and_not_assessed_cases() {
    let mut seen: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for c in cases() {
        seen.entry(c.check)
            .or_default()
            .insert(format!("{:?}", c.expect));
    }
    for check in &load().checks {
        let got = seen.get(&*check.id).cloned().unwrap_or_default();
        for want in ["Pass", "Fail", "NotAssessed"] {
            assert!(got.contains(want), "{} has no {want} case", check.id);
        }
    }
}

#[test]
fn entra_failure_names_each_missing_and_disabled_category() {
    let mut s = base();
    s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws(
        "a",
        vec![
            log("AuditLogs"),
            log("SignInLogs"),
            LogSetting {
                category: Some("NonInteractiveUserSignInLogs".into()),
                category_group: None,
                enabled: false,
            },
        ],
    )]);
    let f = &findings(&s, "LP-ENTRA-001")[0];
    for c in [
        "ServicePrincipalSignInLogs",
        "ManagedIdentitySignInLogs",
        "ProvisioningLogs",
    ] {
        assert!(f.message.contains(c), "message names {c}: {}", f.message);
    }
    assert!(
        f.message.contains("disabled NonInteractiveUserSignInLogs"),
        "{}",
        f.message
    );
}

#[test]
fn activity_log_failure_names_missing_categories() {
    let mut s = base();
    sub(&mut s).activity_log_settings = Read::ok(vec![to_ws(
        "a",
        vec![log("Administrative"), log("Security")],
    )]);
    let f = &findings(&s, "LP-ACT-001")[0];
    assert!(f.message.contains("Policy and Alert"), "{}", f.message);
    assert_eq!(
        f.evidence.value()["missing"],
        serde_json::json!(["Policy", "Alert"])
    );
}

#[test]
fn forbidden_subscription_is_never_a_pass() {
    let mut s = base();
    let e = forbidden();
    // Every list the subscription has (a list added later included) answers 403.
    sub(&mut s).mark_all_failed(e);
    let all = evaluate::run(&s, load());
    let subscription_findings: Vec<&Finding> = all
        .iter()
        .filter(|f| f.subscription_id.as_deref() == Some(SUB))
        .collect();
    assert!(!subscription_findings.is_empty());
    assert!(
        subscription_findings
            .iter()
            .all(|f| f.status == Status::NotAssessed),
        "{:?}",
        subscription_findings
            .iter()
            .map(|f| (&f.check_id, f.status))
            .collect::<Vec<_>>()
    );
}

#[test]
fn defender_for_servers_plan_1_is_reported_as_plan_1() {
    let mut s = base();
    sub(&mut s).defender_plans = Read::ok(vec![sub_plan("VirtualMachines", "P1")]);
    let f = &findings(&s, "LP-DEF-001")[0];
    assert_eq!(f.status, Status::Pass, "Plan 1 is on");
    assert!(
        f.message.contains("(P1)") && f.message.contains("Plan 1"),
        "{}",
        f.message
    );
    assert!(f.message.contains("no 500 MB/day"), "{}", f.message);
    let f = &findings(&s, "LP-DEF-003")[0];
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("on P1, not P2"), "{}", f.message);
}

#[test]
fn applocker_channel_queries_count_towards_the_minimal_set() {
    use logposture::evaluate::rules::security_events::classify;
    use logposture::model::gap::Tier;
    let b = load();
    let params = &b.get("LP-SEC-001").unwrap().params;
    let ids = |k: &str| -> Vec<u32> {
        params[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_integer().unwrap() as u32)
            .collect()
    };
    let (minimal, common) = (ids("minimal_event_ids"), ids("common_event_ids"));
    // As Microsoft's generated "Minimal" DCR writes it: Security IDs on the Security channel,
    // AppLocker's 8001-8007 on the AppLocker channels.
    let security: Vec<String> = minimal
        .iter()
        .filter(|i| !(8001..=8007).contains(*i))
        .map(|i| format!("EventID={i}"))
        .collect();
    let queries = vec![
        format!("Security!*[System[({})]]", security.join(" or ")),
        "Microsoft-Windows-AppLocker/EXE and DLL!*[System[(EventID=8001 or EventID=8002 or EventID=8003 or EventID=8004)]]".to_string(),
        "Microsoft-Windows-AppLocker/MSI and Script!*[System[(EventID=8005 or EventID=8006 or EventID=8007)]]".to_string(),
    ];
    assert_eq!(classify(&queries, &minimal, &common).0, Tier::Minimal);
    // Without the AppLocker channels the same Security query is short of Minimal.
    assert_eq!(classify(&queries[..1], &minimal, &common).0, Tier::Custom);
    // A whole AppLocker channel is AppLocker's events, not every Security event.
    let (t, _) = classify(
        &["Microsoft-Windows-AppLocker/EXE and DLL!*".to_string()],
        &minimal,
        &common,
    );
    assert_ne!(t, Tier::All);
}

#[test]
fn a_tenant_without_p1_or_p2_is_not_failed_as_critical() {
    let mut s = base();
    // As Microsoft words it for tenants without a premium licence.
    s.inventory.entra_diagnostic_settings = Read::failed(ReadError {
        scope: "/providers/microsoft.aadiam".into(),
        operation: "aadiam.diagnosticSettings.list".into(),
        status: Some(400),
        code: Some("BadRequest".into()),
        message:
            "In order to export Sign-in data, your organization needs Azure AD P1 or P2 license."
                .into(),
    });
    for check in ["LP-ENTRA-001", "LP-ENTRA-002"] {
        let f = &findings(&s, check)[0];
        assert_eq!(f.status, Status::NotApplicable, "{check}: {}", f.message);
        assert!(
            f.message.contains("Not available on this licence"),
            "{}",
            f.message
        );
    }
    // Any other failure is still not assessed, never not applicable.
    s.inventory.entra_diagnostic_settings = Read::failed(forbidden());
    assert_eq!(findings(&s, "LP-ENTRA-001")[0].status, Status::NotAssessed);
}

#[test]
fn categories_a_tenant_cannot_produce_are_named_not_failed() {
    let mut s = base();
    s.inventory.entra_log_categories = Read::ok(vec!["RiskyUsers".into(), "UserRiskEvents".into()]);
    s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws(
        "a",
        vec![log("RiskyUsers"), log("UserRiskEvents")],
    )]);
    let f = &findings(&s, "LP-ENTRA-003")[0];
    assert_eq!(f.status, Status::Pass);
    assert!(
        f.message.contains("ADFSSignInLogs") && f.message.contains("not required"),
        "{}",
        f.message
    );
    assert_eq!(
        f.evidence.value()["not_offered_by_tenant"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
}

#[test]
fn activity_log_lock_can_be_asked_for_everywhere() {
    let strict = baseline::load(
        &[(
            "strict.toml".into(),
            "[[check]]\nid = \"LP-ACT-002\"\n[check.params]\nrequire_everywhere = true\n".into(),
        )],
        evaluate::rules::validate,
    )
    .unwrap();
    let mut s = base();
    sub(&mut s).activity_log_settings = Read::ok(vec![to_ws("a", vec![log("Administrative")])]);
    let by_default = &findings(&s, "LP-ACT-002")[0];
    assert_eq!(by_default.status, Status::NotApplicable);
    assert!(
        by_default.message.contains("denyAction"),
        "{}",
        by_default.message
    );
    let all = evaluate::run(&s, &strict);
    let f = all.iter().find(|f| &*f.check_id == "LP-ACT-002").unwrap();
    assert_eq!(f.status, Status::Fail, "{}", f.message);
    assert!(
        f.message.contains("has no management lock"),
        "{}",
        f.message
    );
}

#[test]
fn a_cef_forwarder_is_named_and_a_legacy_snapshot_source_still_counts() {
    let mut s = base();
    let vm = VirtualMachine {
        id: vm_id(),
        name: "vm".into(),
        location: "westeurope".into(),
        os_type: Some("Linux".into()),
        dcr_associations: Read::ok(vec![dcr_id()]),
        ..Default::default()
    };
    sub(&mut s).virtual_machines = Read::ok(vec![vm]);
    let rule = |streams: Vec<String>| DataCollectionRule {
        id: dcr_id(),
        name: "dcr".into(),
        workspace_destinations: vec![ws_id()],
        syslog: vec![SyslogSource {
            facilities: vec!["*".into()],
            levels: vec!["*".into()],
            streams,
        }],
        ..Default::default()
    };
    sub(&mut s).data_collection_rules =
        Read::ok(vec![rule(vec!["Microsoft-CommonSecurityLog".into()])]);
    let f = &findings(&s, "LP-SEC-003")[0];
    assert_eq!(f.status, Status::Fail);
    assert!(f.message.contains("CommonSecurityLog"), "{}", f.message);
    assert_eq!(f.evidence.value()["cef_forwarder"], true);
    // A snapshot written before streams were recorded: its sources fed Syslog.
    sub(&mut s).data_collection_rules = Read::ok(vec![rule(vec![])]);
    assert_eq!(findings(&s, "LP-SEC-003")[0].status, Status::Pass);
}

#[test]
fn a_conditional_remediation_line_must_name_evidence_its_kind_writes() {
    let bad = "[[check]]\nid = \"LP-ALERT-004\"\nremediation = \"\"\"\n[if evidence.no_such_key] az monitor activity-log alert update --ids x --enabled true\"\"\"\n";
    let e = baseline::load(
        &[("mine.toml".into(), bad.into())],
        evaluate::rules::validate,
    )
    .expect_err("refused");
    let text = e.to_string();
    assert!(
        text.contains("no_such_key") && text.contains("LP-ALERT-004"),
        "{text}"
    );
}
