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

#[path = "checks/data_services.rs"]
mod data_services;
#[path = "checks/trails.rs"]
mod trails;

fn cases() -> Vec<Case> {
    let mut v = vec![
        // activity-log
        case!(
            "LP-ACT-001",
            "union of two settings covers the four categories",
            sub_scope,
            Pass,
            |s| {
                sub(s).activity_log_settings = Read::ok(vec![
                    to_ws("a", vec![log("Administrative"), log("Security")]),
                    to_storage("b", vec![log("Policy"), log("Alert")]),
                ]);
            }
        ),
        case!(
            "LP-ACT-001",
            "Policy and Alert missing",
            sub_scope,
            Fail,
            |s| {
                sub(s).activity_log_settings = Read::ok(vec![to_ws(
                    "a",
                    vec![log("Administrative"), log("Security")],
                )]);
            }
        ),
        case!("LP-ACT-001", "no setting at all", sub_scope, Fail, |_| {}),
        case!(
            "LP-ACT-001",
            "event hub only is not retention",
            sub_scope,
            Fail,
            |s| {
                let eh = DiagnosticSetting {
                    name: "eh".into(),
                    event_hub_authorization_rule_id: Some(
                        "/x/namespaces/n/authorizationrules/r".into(),
                    ),
                    logs: vec![
                        log("Administrative"),
                        log("Security"),
                        log("Policy"),
                        log("Alert"),
                    ],
                    ..Default::default()
                };
                sub(s).activity_log_settings = Read::ok(vec![eh]);
            }
        ),
        case!(
            "LP-ACT-001",
            "settings unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).activity_log_settings = Read::failed(forbidden())
        ),
        case!(
            "LP-ACT-001",
            "disabled subscription",
            sub_scope,
            NotApplicable,
            |s| {
                sub(s).scanned = false;
                sub(s).subscription.state = "Disabled".into();
            }
        ),
        // resource-logs
        case!(
            "LP-RES-001",
            "allLogs covers every category",
            || rid("Microsoft.EventHub/namespaces/evh"),
            Pass,
            |s| {
                with_resource_diag(
                    s,
                    &rid("Microsoft.EventHub/namespaces/evh"),
                    "Microsoft.EventHub/namespaces",
                    Read::ok(vec![to_ws("d", vec![group("allLogs")])]),
                );
            }
        ),
        case!(
            "LP-RES-001",
            "audit group is not all categories",
            || rid("Microsoft.EventHub/namespaces/evh"),
            Fail,
            |s| {
                with_resource_diag(
                    s,
                    &rid("Microsoft.EventHub/namespaces/evh"),
                    "Microsoft.EventHub/namespaces",
                    Read::ok(vec![to_ws("d", vec![group("audit")])]),
                );
            }
        ),
        case!(
            "LP-RES-001",
            "settings unreadable",
            || rid("Microsoft.EventHub/namespaces/evh"),
            NotAssessed,
            |s| {
                with_resource_diag(
                    s,
                    &rid("Microsoft.EventHub/namespaces/evh"),
                    "Microsoft.EventHub/namespaces",
                    Read::failed(forbidden()),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "audit group covers AuditEvent",
            kv_id,
            Pass,
            |s| {
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![to_ws("d", vec![group("audit")])]),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "explicit AuditEvent category",
            kv_id,
            Pass,
            |s| {
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![to_ws("d", vec![log("AuditEvent")])]),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "setting without destination exports nothing",
            kv_id,
            Fail,
            |s| {
                let no_dest = DiagnosticSetting {
                    name: "nowhere".into(),
                    logs: vec![group("allLogs")],
                    ..Default::default()
                };
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![no_dest]),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "disabled category does not count",
            kv_id,
            Fail,
            |s| {
                let off = LogSetting {
                    category: Some("AuditEvent".into()),
                    category_group: None,
                    enabled: false,
                };
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![to_ws("d", vec![off])]),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "category support unknown",
            kv_id,
            NotAssessed,
            |s| {
                with_resource_diag(s, &kv_id(), "Microsoft.KeyVault/vaults", Read::ok(vec![]));
                s.inventory.diagnostic_categories.insert(
                    "microsoft.keyvault/vaults".into(),
                    Read::failed(forbidden()),
                );
            }
        ),
        case!("LP-RES-003", "workspace audit exported", ws_id, Pass, |s| {
            with_resource_diag(
                s,
                &ws_id(),
                "Microsoft.OperationalInsights/workspaces",
                Read::ok(vec![to_ws("d", vec![log("Audit")])]),
            );
        }),
        case!(
            "LP-RES-003",
            "workspace without setting",
            ws_id,
            Fail,
            |s| {
                with_resource_diag(
                    s,
                    &ws_id(),
                    "Microsoft.OperationalInsights/workspaces",
                    Read::ok(vec![]),
                );
            }
        ),
        case!(
            "LP-RES-003",
            "workspace settings unreadable",
            ws_id,
            NotAssessed,
            |s| {
                with_resource_diag(
                    s,
                    &ws_id(),
                    "Microsoft.OperationalInsights/workspaces",
                    Read::failed(forbidden()),
                );
            }
        ),
        case!("LP-RES-004", "Key Vault with allLogs", kv_id, Pass, |s| {
            with_resource_diag(
                s,
                &kv_id(),
                "Microsoft.KeyVault/vaults",
                Read::ok(vec![to_ws("d", vec![group("allLogs")])]),
            );
        }),
        case!(
            "LP-RES-004",
            "Key Vault with only audit fails the all-categories check",
            kv_id,
            Fail,
            |s| {
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![to_ws("d", vec![group("audit")])]),
                );
            }
        ),
        case!(
            "LP-RES-004",
            "Key Vault settings unreadable",
            kv_id,
            NotAssessed,
            |s| {
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::failed(forbidden()),
                );
            }
        ),
        // entra-logs
        case!(
            "LP-ENTRA-001",
            "every category across two settings",
            || "/providers/microsoft.aadiam".into(),
            Pass,
            |s| {
                let mut a = all_entra();
                let b = a.split_off(4);
                s.inventory.entra_diagnostic_settings =
                    Read::ok(vec![to_ws("a", a), to_storage("b", b)]);
            }
        ),
        case!(
            "LP-ENTRA-001",
            "non-interactive disabled",
            || "/providers/microsoft.aadiam".into(),
            Fail,
            |s| {
                let mut logs = all_entra();
                logs[2].enabled = false;
                s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws("a", logs)]);
            }
        ),
        case!(
            "LP-ENTRA-001",
            "403 without a tenant role",
            || "/providers/microsoft.aadiam".into(),
            NotAssessed,
            |s| {
                s.inventory.entra_diagnostic_settings = Read::failed(forbidden());
            }
        ),
        case!(
            "LP-ENTRA-002",
            "Graph activity exported",
            || "/providers/microsoft.aadiam".into(),
            Pass,
            |s| {
                s.inventory.entra_diagnostic_settings =
                    Read::ok(vec![to_ws("a", vec![log("MicrosoftGraphActivityLogs")])]);
            }
        ),
        case!(
            "LP-ENTRA-002",
            "sign-ins exported, Graph activity not",
            || "/providers/microsoft.aadiam".into(),
            Fail,
            |s| {
                s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws("a", all_entra())]);
            }
        ),
        case!(
            "LP-ENTRA-002",
            "403 without a tenant role",
            || "/providers/microsoft.aadiam".into(),
            NotAssessed,
            |s| s.inventory.entra_diagnostic_settings = Read::failed(forbidden())
        ),
        case!(
            "LP-ENTRA-003",
            "a tenant without ADFS or Global Secure Access exports what it has",
            || "/providers/microsoft.aadiam".into(),
            Pass,
            |s| {
                let have = ["RiskyUsers", "UserRiskEvents"];
                s.inventory.entra_log_categories =
                    Read::ok(have.iter().map(|c| c.to_string()).collect());
                s.inventory.entra_diagnostic_settings =
                    Read::ok(vec![to_ws("a", have.iter().map(|c| log(c)).collect())]);
            }
        ),
        case!(
            "LP-ENTRA-003",
            "offered risk logs not exported",
            || "/providers/microsoft.aadiam".into(),
            Fail,
            |s| {
                s.inventory.entra_log_categories =
                    Read::ok(vec!["RiskyUsers".into(), "UserRiskEvents".into()]);
                s.inventory.entra_diagnostic_settings =
                    Read::ok(vec![to_ws("a", vec![log("RiskyUsers")])]);
            }
        ),
        case!(
            "LP-ENTRA-003",
            "the tenant's categories unreadable",
            || "/providers/microsoft.aadiam".into(),
            NotAssessed,
            |s| {
                s.inventory.entra_log_categories = Read::failed(forbidden());
                s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws("a", all_entra())]);
            }
        ),
        // flow-logs
        case!("LP-FLOW-001", "own NSG flow log", nsg_id, Pass, |s| {
            sub(s).network_security_groups = Read::ok(vec![nsg_on_subnet()]);
            sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 90, true)]);
        }),
        case!(
            "LP-FLOW-001",
            "VNet flow log covers the NSG of its subnet",
            nsg_id,
            Pass,
            |s| {
                sub(s).network_security_groups = Read::ok(vec![nsg_on_subnet()]);
                sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 90, true)]);
            }
        ),
        case!(
            "LP-FLOW-001",
            "NIC-attached NSG covered through the NIC's subnet",
            nsg_id,
            Pass,
            |s| {
                let nic = rid("Microsoft.Network/networkInterfaces/nic");
                sub(s).network_security_groups = Read::ok(vec![NetworkSecurityGroup {
                    id: nsg_id(),
                    name: "nsg".into(),
                    network_interface_ids: vec![nic.clone()],
                    ..Default::default()
                }]);
                sub(s).network_interfaces = Read::ok(vec![NetworkInterface {
                    id: nic,
                    subnet_ids: vec![format!("{}/subnets/a", vnet_id())],
                    ..Default::default()
                }]);
                sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 90, true)]);
            }
        ),
        case!(
            "LP-FLOW-001",
            "disabled flow log covers nothing",
            nsg_id,
            Fail,
            |s| {
                sub(s).network_security_groups = Read::ok(vec![nsg_on_subnet()]);
                let mut fl = flow_log(&nsg_id(), true, 90, true);
                fl.enabled = false;
                sub(s).flow_logs = Read::ok(vec![fl]);
            }
        ),
        case!(
            "LP-FLOW-001",
            "flow logs of a watcher unreadable",
            nsg_id,
            NotAssessed,
            |s| {
                sub(s).network_security_groups = Read::ok(vec![nsg_on_subnet()]);
                sub(s).flow_logs = Read::partial(vec![], Some(forbidden()));
            }
        ),
        case!(
            "LP-FLOW-001",
            "unattached NSG",
            nsg_id,
            NotApplicable,
            |s| {
                sub(s).network_security_groups = Read::ok(vec![NetworkSecurityGroup {
                    id: nsg_id(),
                    name: "nsg".into(),
                    ..Default::default()
                }]);
            }
        ),
        case!("LP-FLOW-002", "VNet flow log", vnet_id, Pass, |s| {
            sub(s).virtual_networks = Read::ok(vec![vnet()]);
            sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 90, true)]);
        }),
        case!("LP-FLOW-002", "only an NSG flow log", vnet_id, Fail, |s| {
            sub(s).virtual_networks = Read::ok(vec![vnet()]);
            sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 90, true)]);
        }),
        case!(
            "LP-FLOW-002",
            "VNets unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).virtual_networks = Read::failed(forbidden())
        ),
        case!(
            "LP-FLOW-003",
            "retention 0 days keeps indefinitely",
            fl_id,
            Pass,
            |s| sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 0, true)])
        ),
        case!(
            "LP-FLOW-003",
            "retention policy disabled deletes nothing",
            fl_id,
            Pass,
            |s| sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), false, 7, true)])
        ),
        case!("LP-FLOW-003", "30 days is too short", fl_id, Fail, |s| {
            sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 30, true)])
        }),
        case!(
            "LP-FLOW-003",
            "watchers unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).network_watchers = Read::failed(forbidden())
        ),
        case!("LP-FLOW-004", "traffic analytics on", fl_id, Pass, |s| {
            sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 0, true)])
        }),
        case!("LP-FLOW-004", "traffic analytics off", fl_id, Fail, |s| {
            sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 0, false)])
        }),
        case!(
            "LP-FLOW-004",
            "watchers unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).network_watchers = Read::failed(forbidden())
        ),
        case!("LP-FLOW-005", "VNet flow log", fl_id, Pass, |s| sub(s)
            .flow_logs =
            Read::ok(vec![flow_log(&vnet_id(), true, 0, true)])),
        case!("LP-FLOW-005", "NSG flow log retiring", fl_id, Fail, |s| {
            sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 0, true)])
        }),
        case!(
            "LP-FLOW-005",
            "watchers unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).network_watchers = Read::failed(forbidden())
        ),
        // network-watcher
        case!(
            "LP-NW-001",
            "watcher in the VNet's region (display name vs short name)",
            region,
            Pass,
            |s| {
                sub(s).virtual_networks = Read::ok(vec![vnet()]);
                sub(s).network_watchers = Read::ok(vec![NetworkWatcher {
                    id: "/nw".into(),
                    name: "nw".into(),
                    location: "westeurope".into(),
                    provisioning_state: None,
                }]);
            }
        ),
        case!(
            "LP-NW-001",
            "no watcher in a region with a VNet",
            region,
            Fail,
            |s| sub(s).virtual_networks = Read::ok(vec![vnet()])
        ),
        case!(
            "LP-NW-001",
            "the region's watcher failed to provision",
            region,
            Fail,
            |s| {
                sub(s).virtual_networks = Read::ok(vec![vnet()]);
                sub(s).network_watchers = Read::ok(vec![NetworkWatcher {
                    id: "/nw".into(),
                    name: "nw".into(),
                    location: "westeurope".into(),
                    provisioning_state: Some("Failed".into()),
                }]);
            }
        ),
        case!(
            "LP-NW-001",
            "watchers unreadable",
            region,
            NotAssessed,
            |s| {
                sub(s).virtual_networks = Read::ok(vec![vnet()]);
                sub(s).network_watchers = Read::failed(forbidden());
            }
        ),
        // retention
        case!("LP-RET-001", "90 days", ws_id, Pass, |s| sub(s)
            .workspaces =
            Read::ok(vec![workspace(90, vec![])])),
        case!("LP-RET-001", "30 days", ws_id, Fail, |s| sub(s)
            .workspaces =
            Read::ok(vec![workspace(30, vec![])])),
        case!(
            "LP-RET-001",
            "workspaces unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).workspaces = Read::failed(forbidden())
        ),
        case!(
            "LP-RET-002",
            "table total retention overrides a short workspace",
            || table_id("SecurityEvent"),
            Pass,
            |s| {
                sub(s).workspaces = Read::ok(vec![workspace(
                    30,
                    vec![table("SecurityEvent", Some(90), Some(365))],
                )]);
            }
        ),
        case!(
            "LP-RET-002",
            "table inherits a short workspace",
            || table_id("SecurityEvent"),
            Fail,
            |s| {
                sub(s).workspaces = Read::ok(vec![workspace(
                    90,
                    vec![table("SecurityEvent", None, None)],
                )]);
            }
        ),
        case!(
            "LP-RET-002",
            "table override shorter than the workspace",
            || table_id("SecurityEvent"),
            Fail,
            |s| {
                sub(s).workspaces = Read::ok(vec![workspace(
                    730,
                    vec![table("SecurityEvent", Some(30), Some(30))],
                )]);
            }
        ),
        case!(
            "LP-RET-002",
            "a table's own retention unreadable is not the long workspace's",
            || table_id("SecurityEvent"),
            NotAssessed,
            |s| {
                let mut t = table("SecurityEvent", None, None);
                t.retention_is_default = false;
                t.total_retention_is_default = false;
                sub(s).workspaces = Read::ok(vec![workspace(730, vec![t])]);
            }
        ),
        case!("LP-RET-002", "tables unreadable", ws_id, NotAssessed, |s| {
            let mut w = workspace(90, vec![]);
            w.tables = Read::failed(forbidden());
            sub(s).workspaces = Read::ok(vec![w]);
        }),
        // security-events
        case!("LP-SEC-001", "Security!* is All", vm_id, Pass, |s| {
            sub(s).virtual_machines = Read::ok(vec![windows_vm(Read::ok(vec![dcr_id()]))]);
            sub(s).data_collection_rules = Read::ok(vec![dcr(&["Security!*"])]);
        }),
        case!(
            "LP-SEC-001",
            "a handful of event ids is custom, below Common",
            vm_id,
            Fail,
            |s| {
                let q = format!(
                    "Security!*[System[({})]]",
                    CMN.iter()
                        .map(|i| format!("EventID={i}"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                );
                sub(s).virtual_machines = Read::ok(vec![windows_vm(Read::ok(vec![dcr_id()]))]);
                sub(s).data_collection_rules = Read::ok(vec![DataCollectionRule {
                    security_event_xpaths: vec![q],
                    ..dcr(&[])
                }]);
            }
        ),
        case!("LP-SEC-001", "no rule associated", vm_id, Fail, |s| sub(
            s
        )
        .virtual_machines =
            Read::ok(vec![windows_vm(Read::ok(vec![]))])),
        case!(
            "LP-SEC-001",
            "legacy workspace tier Recommended counts",
            vm_id,
            Pass,
            |s| {
                sub(s).virtual_machines = Read::ok(vec![windows_vm(Read::ok(vec![]))]);
                let mut w = workspace(90, vec![]);
                w.security_event_tier = Read::ok(LegacySecurityEvents::tier("Recommended"));
                sub(s).workspaces = Read::ok(vec![w]);
            }
        ),
        case!(
            "LP-SEC-001",
            "associations unreadable",
            vm_id,
            NotAssessed,
            |s| sub(s).virtual_machines = Read::ok(vec![windows_vm(Read::failed(forbidden()))])
        ),
        case!("LP-SEC-002", "legacy tier All", ws_id, Pass, |s| {
            let mut w = workspace(90, vec![]);
            w.security_event_tier = Read::ok(LegacySecurityEvents::tier("All"));
            sub(s).workspaces = Read::ok(vec![w]);
        }),
        case!(
            "LP-SEC-002",
            "legacy tier Minimal fails",
            ws_id,
            Fail,
            |s| {
                let mut w = workspace(90, vec![]);
                w.security_event_tier = Read::ok(LegacySecurityEvents::tier("Minimal"));
                sub(s).workspaces = Read::ok(vec![w]);
            }
        ),
        case!(
            "LP-SEC-002",
            "data source unreadable",
            ws_id,
            NotAssessed,
            |s| {
                let mut w = workspace(90, vec![]);
                w.security_event_tier = Read::failed(forbidden());
                sub(s).workspaces = Read::ok(vec![w]);
            }
        ),
        // defender
        case!(
            "LP-DEF-001",
            "servers on",
            || pricing("VirtualMachines"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![plan("VirtualMachines", "Standard")])
        ),
        case!(
            "LP-DEF-001",
            "servers off",
            || pricing("VirtualMachines"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![plan("VirtualMachines", "Free")])
        ),
        case!(
            "LP-DEF-001",
            "pricings unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).defender_plans = Read::failed(forbidden())
        ),
        case!(
            "LP-DEF-002",
            "Key Vault plan on",
            || pricing("KeyVaults"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![plan("KeyVaults", "Standard")])
        ),
        case!(
            "LP-DEF-002",
            "Key Vault plan off",
            || pricing("KeyVaults"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![plan("KeyVaults", "Free")])
        ),
        case!(
            "LP-DEF-002",
            "pricings unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).defender_plans = Read::failed(forbidden())
        ),
        case!(
            "LP-DEF-003",
            "servers on Plan 2",
            || pricing("VirtualMachines"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![sub_plan("VirtualMachines", "P2")])
        ),
        case!(
            "LP-DEF-003",
            "servers on Plan 1",
            || pricing("VirtualMachines"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![sub_plan("VirtualMachines", "P1")])
        ),
        case!(
            "LP-DEF-003",
            "sub-plan not reported",
            || pricing("VirtualMachines"),
            NotAssessed,
            |s| sub(s).defender_plans = Read::ok(vec![plan("VirtualMachines", "Standard")])
        ),
        case!(
            "LP-DEF-004",
            "CSPM on",
            || pricing("CloudPosture"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![plan("CloudPosture", "Standard")])
        ),
        case!(
            "LP-DEF-004",
            "Cosmos DB plan off",
            || pricing("CosmosDbs"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![plan("CosmosDbs", "Free")])
        ),
        case!(
            "LP-DEF-004",
            "pricings unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).defender_plans = Read::failed(forbidden())
        ),
        // log-storage
        case!("LP-STOR-001", "public access disabled", st_id, Pass, |s| {
            log_storage(s, storage(Some(false), false, None))
        }),
        case!("LP-STOR-001", "public access not set", st_id, Fail, |s| {
            log_storage(s, storage(None, false, None))
        }),
        case!(
            "LP-STOR-001",
            "storage list unreadable",
            st_id,
            NotAssessed,
            |s| {
                log_storage(s, storage(None, false, None));
                sub(s).storage_accounts = Read::failed(forbidden());
            }
        ),
        case!("LP-STOR-002", "customer-managed key", st_id, Pass, |s| {
            log_storage(s, storage(Some(false), true, None))
        }),
        case!("LP-STOR-002", "Microsoft-managed key", st_id, Fail, |s| {
            log_storage(s, storage(Some(false), false, None))
        }),
        case!(
            "LP-STOR-002",
            "storage list unreadable",
            st_id,
            NotAssessed,
            |s| {
                log_storage(s, storage(None, false, None));
                sub(s).storage_accounts = Read::failed(forbidden());
            }
        ),
        case!("LP-STOR-003", "immutable", st_id, Pass, |s| log_storage(
            s,
            storage(Some(false), true, Some(true))
        )),
        case!("LP-STOR-003", "mutable", st_id, Fail, |s| log_storage(
            s,
            storage(Some(false), true, None)
        )),
        case!(
            "LP-STOR-003",
            "storage list unreadable",
            st_id,
            NotAssessed,
            |s| {
                log_storage(s, storage(None, false, None));
                sub(s).storage_accounts = Read::failed(forbidden());
            }
        ),
    ];
    // alerts: one kind, twelve operations.
    for (id, op) in ALERTS {
        v.push(Case {
            check: id,
            name: "alert on the operation",
            setup: ALERT_SETUPS[op_index(op)],
            resource: sub_scope,
            expect: Status::Pass,
        });
        v.push(Case {
            check: id,
            name: "no alert",
            setup: |_| {},
            resource: sub_scope,
            expect: Status::Fail,
        });
        v.push(Case {
            check: id,
            name: "alerts unreadable",
            setup: |s| sub(s).activity_log_alerts = Read::failed(forbidden()),
            resource: sub_scope,
            expect: Status::NotAssessed,
        });
    }
    // CIS 5.0 6.1.2.x audit procedure: what makes an alert not count.
    let alert_case = |name: &'static str, expect: Status, setup: fn(&mut Snapshot)| Case {
        check: "LP-ALERT-003",
        name,
        setup,
        resource: sub_scope,
        expect,
    };
    v.push(alert_case(
        "action group without receivers",
        Status::Fail,
        |s| {
            sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[2].1, true)]);
            sub(s).action_groups = Read::ok(vec![action_group("ops", true, 0)]);
        },
    ));
    v.push(alert_case("action group disabled", Status::Fail, |s| {
        sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[2].1, true)]);
        sub(s).action_groups = Read::ok(vec![action_group("ops", false, 3)]);
    }));
    v.push(alert_case("action group deleted", Status::Fail, |s| {
        sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[2].1, true)]);
        sub(s).action_groups = Read::ok(vec![]);
    }));
    v.push(alert_case("no action group at all", Status::Fail, |s| {
        let mut a = alert(ALERTS[2].1, true);
        a.action_groups.clear();
        sub(s).activity_log_alerts = Read::ok(vec![a]);
    }));
    v.push(alert_case("filters on level", Status::Fail, |s| {
        let mut a = alert(ALERTS[2].1, true);
        a.conditions.push(AlertCondition {
            field: "level".into(),
            equals: "Critical".into(),
        });
        sub(s).activity_log_alerts = Read::ok(vec![a]);
    }));
    v.push(alert_case("filters on caller", Status::Fail, |s| {
        let mut a = alert(ALERTS[2].1, true);
        a.conditions.push(AlertCondition {
            field: "caller".into(),
            equals: "admin@contoso.example".into(),
        });
        sub(s).activity_log_alerts = Read::ok(vec![a]);
    }));
    v.push(alert_case(
        "action groups unreadable",
        Status::NotAssessed,
        |s| {
            sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[2].1, true)]);
            sub(s).action_groups = Read::failed(forbidden());
        },
    ));
    v.push(alert_case("action group in an unscanned subscription", Status::NotAssessed, |s| {
        let mut a = alert(ALERTS[2].1, true);
        a.action_groups = vec!["/subscriptions/99999999-0000-4000-8000-000000000000/resourceGroups/rg/providers/microsoft.insights/actionGroups/central".into()];
        sub(s).activity_log_alerts = Read::ok(vec![a]);
    }));
    // Service Health (CIS 5.0 6.1.2.11): an alert on the category, not an operation.
    v.push(Case {
        check: "LP-ALERT-013",
        name: "service health alert",
        setup: |s| {
            let mut a = alert("", true);
            a.conditions = vec![AlertCondition {
                field: "category".into(),
                equals: "ServiceHealth".into(),
            }];
            sub(s).activity_log_alerts = Read::ok(vec![a]);
        },
        resource: sub_scope,
        expect: Status::Pass,
    });
    v.push(Case {
        check: "LP-ALERT-013",
        name: "an administrative alert is not a service health alert",
        setup: ALERT_SETUPS[0],
        resource: sub_scope,
        expect: Status::Fail,
    });
    v.push(Case {
        check: "LP-ALERT-013",
        name: "alerts unreadable",
        setup: |s| sub(s).activity_log_alerts = Read::failed(forbidden()),
        resource: sub_scope,
        expect: Status::NotAssessed,
    });
    v.extend(data_services::cases());
    v.extend(trails::cases());
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
    }
}

fn log_storage(s: &mut Snapshot, a: StorageAccount) {
    sub(s).storage_accounts = Read::ok(vec![a]);
    sub(s).activity_log_settings =
        Read::ok(vec![to_storage("archive", vec![log("Administrative")])]);
}

const ALERTS: [(&str, &str); 12] = [
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
];

fn op_index(op: &str) -> usize {
    ALERTS.iter().position(|(_, o)| *o == op).unwrap_or(0)
}

macro_rules! alert_setup {
    ($i:expr) => {
        |s: &mut Snapshot| sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[$i].1, true)])
    };
}

const ALERT_SETUPS: [fn(&mut Snapshot); 12] = [
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
                    !f.message.is_empty() && !f.remediation.is_empty(),
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
        let got = seen.get(check.id.as_str()).cloned().unwrap_or_default();
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
        f.evidence["missing"],
        serde_json::json!(["Policy", "Alert"])
    );
}

#[test]
fn forbidden_subscription_is_never_a_pass() {
    let mut s = base();
    let e = forbidden();
    let sb = sub(&mut s);
    sb.resources = Read::failed(e.clone());
    sb.activity_log_settings = Read::failed(e.clone());
    sb.network_watchers = Read::failed(e.clone());
    sb.network_security_groups = Read::failed(e.clone());
    sb.virtual_networks = Read::failed(e.clone());
    sb.workspaces = Read::failed(e.clone());
    sb.virtual_machines = Read::failed(e.clone());
    sb.defender_plans = Read::failed(e.clone());
    sb.activity_log_alerts = Read::failed(e.clone());
    sb.sql_servers = Read::failed(e.clone());
    sb.database_servers = Read::failed(e.clone());
    sb.web_apps = Read::failed(e.clone());
    sb.app_insights = Read::failed(e.clone());
    sb.dns_security_policies = Read::failed(e.clone());
    sb.jit_policies = Read::failed(e.clone());
    sb.storage_accounts = Read::failed(e);
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
        f.evidence["not_offered_by_tenant"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
}
