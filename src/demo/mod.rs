//! The bundled demo tenant for `logposture scan --demo`: a realistic small estate (Contoso) with
//! passes and failures in every area, one subscription the identity may not read (403) and one
//! disabled subscription. Built in code so it always matches the snapshot format.

mod data_services;
mod trails;

use crate::inventory::*;
use std::collections::BTreeMap;

pub const TENANT: &str = "72f988bf-0000-4a1b-9c3d-5e6f7a8b9c0d";
pub const PROD: &str = "11111111-2222-4333-8444-555555555555";
pub const DEV: &str = "22222222-3333-4444-8555-666666666666";
pub const SANDBOX: &str = "33333333-4444-4555-8666-777777777777";
pub const LEGACY: &str = "44444444-5555-4666-8777-888888888888";

fn rg(sub: &str, rg: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}")
}

fn res(id: &str, t: &str, loc: &str) -> Resource {
    Resource {
        id: id.into(),
        name: last_segment(id),
        resource_type: t.into(),
        location: loc.into(),
        kind: None,
        tags: BTreeMap::from([("owner".to_string(), "platform-team".to_string())]),
    }
}

fn log(cat: &str, enabled: bool) -> LogSetting {
    LogSetting {
        category: Some(cat.into()),
        category_group: None,
        enabled,
    }
}

fn group(g: &str) -> LogSetting {
    LogSetting {
        category: None,
        category_group: Some(g.into()),
        enabled: true,
    }
}

fn setting(
    id: &str,
    name: &str,
    workspace: Option<&str>,
    storage: Option<&str>,
    logs: Vec<LogSetting>,
) -> DiagnosticSetting {
    // A resource's setting carries its metrics (AllMetrics off here); the activity log's has none.
    let activity_log = id
        .split('/')
        .nth(3)
        .is_some_and(|p| p.eq_ignore_ascii_case("providers"));
    DiagnosticSetting {
        id: id.into(),
        name: name.into(),
        workspace_id: workspace.map(str::to_string),
        storage_account_id: storage.map(str::to_string),
        logs,
        metrics: (!activity_log).then(|| {
            vec![MetricSetting {
                category: Some("AllMetrics".into()),
                enabled: false,
            }]
        }),
        ..Default::default()
    }
}

fn cats(list: &[(&str, &[&str])]) -> Read<TypeCategories> {
    Read::ok(TypeCategories::with_logs(list))
}

fn forbidden(sub: &str) -> ReadError {
    ReadError {
        scope: format!("/subscriptions/{sub}"),
        operation: "resources.list".into(),
        status: Some(403),
        code: Some("AuthorizationFailed".into()),
        message: format!("The client 'logposture-scanner' with object id '0a1b2c3d-0000-4000-8000-000000000001' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resources/read' over scope '/subscriptions/{sub}' or the scope is invalid. If access was recently granted, please refresh your credentials."),
    }
}

fn prod() -> SubscriptionInventory {
    let g = rg(PROD, "rg-prod-core");
    let ws = format!("{g}/providers/Microsoft.OperationalInsights/workspaces/law-prod-weu");
    let kv = format!("{g}/providers/Microsoft.KeyVault/vaults/kv-prod-payments");
    let kv2 = format!("{g}/providers/Microsoft.KeyVault/vaults/kv-prod-certs");
    let sql = format!("{g}/providers/Microsoft.Sql/servers/sql-prod-orders/databases/orders");
    let app = format!("{g}/providers/Microsoft.Web/sites/app-prod-checkout");
    let st = format!("{g}/providers/Microsoft.Storage/storageAccounts/stprodlogarchive");
    let vnet = format!("{g}/providers/Microsoft.Network/virtualNetworks/vnet-prod-weu");
    let vnet_neu = format!("{g}/providers/Microsoft.Network/virtualNetworks/vnet-prod-neu");
    let nsg_web = format!("{g}/providers/Microsoft.Network/networkSecurityGroups/nsg-prod-web");
    let nsg_data = format!("{g}/providers/Microsoft.Network/networkSecurityGroups/nsg-prod-data");
    let nsg_neu = format!("{g}/providers/Microsoft.Network/networkSecurityGroups/nsg-prod-dr");
    let vm1 = format!("{g}/providers/Microsoft.Compute/virtualMachines/vm-prod-dc01");
    let vm2 = format!("{g}/providers/Microsoft.Compute/virtualMachines/vm-prod-app01");
    let vm3 = format!("{g}/providers/Microsoft.Compute/virtualMachines/vm-prod-lnx01");
    let dcr =
        format!("{g}/providers/Microsoft.Insights/dataCollectionRules/dcr-windows-security-common");
    let nw = format!("/subscriptions/{PROD}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_westeurope");
    let mut resources = vec![
        res(
            &ws,
            "Microsoft.OperationalInsights/workspaces",
            "westeurope",
        ),
        res(&kv, "Microsoft.KeyVault/vaults", "westeurope"),
        res(&kv2, "Microsoft.KeyVault/vaults", "westeurope"),
        res(&sql, "Microsoft.Sql/servers/databases", "westeurope"),
        res(&app, "Microsoft.Web/sites", "westeurope"),
        res(&st, "Microsoft.Storage/storageAccounts", "westeurope"),
        res(&vnet, "Microsoft.Network/virtualNetworks", "westeurope"),
        res(
            &vnet_neu,
            "Microsoft.Network/virtualNetworks",
            "northeurope",
        ),
        res(
            &nsg_web,
            "Microsoft.Network/networkSecurityGroups",
            "westeurope",
        ),
        res(
            &nsg_data,
            "Microsoft.Network/networkSecurityGroups",
            "westeurope",
        ),
        res(
            &nsg_neu,
            "Microsoft.Network/networkSecurityGroups",
            "northeurope",
        ),
        res(&vm1, "Microsoft.Compute/virtualMachines", "westeurope"),
        res(&vm2, "Microsoft.Compute/virtualMachines", "westeurope"),
        res(&vm3, "Microsoft.Compute/virtualMachines", "westeurope"),
        res(&nw, "Microsoft.Network/networkWatchers", "westeurope"),
    ];
    let data = data_services::prod(&g, &ws, &st);
    resources.extend(data.resources);
    let trail = trails::prod(&g, &ws, &vnet, &vnet_neu, [&vm1, &vm2, &vm3]);
    resources.extend(trail.resources);
    resources.sort_by_key(|r| id_key(&r.id));
    let diag = |rid: &str, t: &str, settings: Vec<DiagnosticSetting>| ResourceDiagnostics {
        resource_id: rid.into(),
        resource_type: t.into(),
        settings: Read::ok(settings),
    };
    let ds = |rid: &str, name: &str, logs: Vec<LogSetting>| {
        setting(
            &format!("{rid}/providers/microsoft.insights/diagnosticSettings/{name}"),
            name,
            Some(&ws),
            None,
            logs,
        )
    };
    SubscriptionInventory {
        subscription: SubscriptionRef { id: PROD.into(), name: "contoso-prod".into(), state: "Enabled".into() },
        resources: Read::ok(resources),
        activity_log_settings: Read::ok(vec![
            setting(&format!("/subscriptions/{PROD}/providers/microsoft.insights/diagnosticSettings/activity-to-law"), "activity-to-law", Some(&ws), None, vec![log("Administrative", true), log("Security", true), log("ServiceHealth", true), log("Alert", true), log("Recommendation", false)]),
            setting(&format!("/subscriptions/{PROD}/providers/microsoft.insights/diagnosticSettings/activity-archive"), "activity-archive", None, Some(&st), vec![log("Policy", true), log("Administrative", true)]),
        ]),
        resource_diagnostics: [vec![
            diag(&ws, "Microsoft.OperationalInsights/workspaces", vec![ds(&ws, "law-audit", vec![group("audit")])]),
            diag(&kv, "Microsoft.KeyVault/vaults", vec![ds(&kv, "kv-all", vec![group("allLogs")])]),
            diag(&kv2, "Microsoft.KeyVault/vaults", vec![ds(&kv2, "kv-audit", vec![group("audit")])]),
            diag(&sql, "Microsoft.Sql/servers/databases", vec![ds(&sql, "sql-audit", vec![log("SQLSecurityAuditEvents", true), log("Errors", true)])]),
            diag(&app, "Microsoft.Web/sites", vec![]),
            diag(&nsg_web, "Microsoft.Network/networkSecurityGroups", vec![ds(&nsg_web, "nsg-all", vec![group("allLogs")])]),
            diag(&nsg_data, "Microsoft.Network/networkSecurityGroups", vec![ds(&nsg_data, "nsg-all", vec![group("allLogs")])]),
            diag(&nsg_neu, "Microsoft.Network/networkSecurityGroups", vec![]),
            diag(
                &format!("{st}/blobServices/default"),
                "Microsoft.Storage/storageAccounts/blobServices",
                vec![ds(&format!("{st}/blobServices/default"), "blob-audit", vec![group("allLogs")])],
            ),
        ], data.diagnostics, trail.diagnostics].concat(),
        network_watchers: Read::ok(vec![NetworkWatcher { id: nw.clone(), name: "NetworkWatcher_westeurope".into(), location: "westeurope".into(), provisioning_state: Some("Succeeded".into()) }]),
        flow_logs: Read::ok(vec![
            FlowLog {
                id: format!("{nw}/flowLogs/fl-vnet-prod-weu"),
                name: "fl-vnet-prod-weu".into(),
                location: "westeurope".into(),
                target_resource_id: vnet.clone(),
                enabled: true,
                storage_id: Some(st.clone()),
                retention_enabled: Some(true),
                retention_days: Some(0),
                format: Some("JSON".into()),
                format_version: Some(2),
                traffic_analytics_enabled: true,
                traffic_analytics_interval_minutes: Some(10),
                traffic_analytics_workspace_id: Some(ws.clone()),
            },
            FlowLog {
                id: format!("{nw}/flowLogs/fl-nsg-prod-web"),
                name: "fl-nsg-prod-web".into(),
                location: "westeurope".into(),
                target_resource_id: nsg_web.clone(),
                enabled: true,
                storage_id: Some(st.clone()),
                retention_enabled: Some(true),
                retention_days: Some(30),
                format: Some("JSON".into()),
                format_version: Some(2),
                traffic_analytics_enabled: false,
                traffic_analytics_interval_minutes: None,
                traffic_analytics_workspace_id: None,
            },
        ]),
        network_security_groups: Read::ok(vec![
            NetworkSecurityGroup { id: nsg_web.clone(), name: "nsg-prod-web".into(), location: "westeurope".into(), subnet_ids: vec![format!("{vnet}/subnets/web")], network_interface_ids: vec![], tags: BTreeMap::new() },
            NetworkSecurityGroup { id: nsg_data.clone(), name: "nsg-prod-data".into(), location: "westeurope".into(), subnet_ids: vec![format!("{vnet}/subnets/data")], network_interface_ids: vec![], tags: BTreeMap::new() },
            NetworkSecurityGroup { id: nsg_neu.clone(), name: "nsg-prod-dr".into(), location: "northeurope".into(), subnet_ids: vec![format!("{vnet_neu}/subnets/dr")], network_interface_ids: vec![], tags: BTreeMap::new() },
        ]),
        virtual_networks: Read::ok(vec![
            VirtualNetwork {
                id: vnet.clone(),
                name: "vnet-prod-weu".into(),
                location: "westeurope".into(),
                subnets: vec![
                    Subnet { id: format!("{vnet}/subnets/web"), name: "web".into(), network_security_group_id: Some(nsg_web.clone()) },
                    Subnet { id: format!("{vnet}/subnets/data"), name: "data".into(), network_security_group_id: Some(nsg_data.clone()) },
                ],
                dns_servers: vec![],
            },
            VirtualNetwork {
                id: vnet_neu.clone(),
                name: "vnet-prod-neu".into(),
                location: "northeurope".into(),
                subnets: vec![Subnet { id: format!("{vnet_neu}/subnets/dr"), name: "dr".into(), network_security_group_id: Some(nsg_neu.clone()) }],
                dns_servers: vec![],
            },
        ]),
        network_interfaces: Read::ok(trail.network_interfaces),
        public_ip_addresses: Read::ok(trail.public_ip_addresses),
        load_balancers: Read::ok(trail.load_balancers),
        dns_security_policies: Read::ok(trail.dns_security_policies),
        jit_policies: Read::ok(trail.jit_policies),
        // Continuous export of High and Medium alerts to the workspace (dev has none).
        security_automations: Read::ok(vec![SecurityAutomation {
            id: format!("/subscriptions/{PROD}/resourceGroups/rg-prod-core/providers/Microsoft.Security/automations/ExportToWorkspace"),
            name: "ExportToWorkspace".into(),
            enabled: Some(true),
            sources: vec![AutomationSource {
                event_source: "Alerts".into(),
                severities: Some(vec!["high".into(), "medium".into()]),
            }],
            action_types: vec!["Workspace".into()],
        }]),
        // The subscription is locked against deletion: the activity-log export with it.
        management_locks: Read::ok(vec![ManagementLock {
            id: format!("/subscriptions/{PROD}/providers/Microsoft.Authorization/locks/no-delete"),
            name: "no-delete".into(),
            level: Some("CanNotDelete".into()),
        }]),
        // Owners and the security team hear of High alerts; attack paths reach nobody.
        security_contacts: Read::ok(vec![SecurityContact {
            name: "default".into(),
            enabled: Some(true),
            emails: vec!["secops@contoso.example".into()],
            roles_state: Some("On".into()),
            roles: vec!["Owner".into()],
            alert_minimal_severity: Some("High".into()),
            attack_path_minimal_risk: None,
        }]),
        workspaces: Read::ok(vec![Workspace {
            id: ws.clone(),
            name: "law-prod-weu".into(),
            location: "westeurope".into(),
            customer_id: "a1b2c3d4-0000-4000-8000-00000000aaaa".into(),
            sku: Some("PerGB2018".into()),
            retention_in_days: Some(90),
            daily_quota_gb: None,
            resource_permissions_access: Some(true),
            tables: Read::ok(vec![
                WorkspaceTable { name: "SecurityEvent".into(), plan: Some("Analytics".into()), retention_in_days: Some(90), total_retention_in_days: Some(365), retention_is_default: true, total_retention_is_default: false },
                WorkspaceTable { name: "SigninLogs".into(), plan: Some("Analytics".into()), retention_in_days: Some(90), total_retention_in_days: Some(90), retention_is_default: true, total_retention_is_default: true },
                WorkspaceTable { name: "AzureActivity".into(), plan: Some("Analytics".into()), retention_in_days: Some(90), total_retention_in_days: Some(730), retention_is_default: true, total_retention_is_default: false },
            ]),
            security_event_tier: Read::ok(LegacySecurityEvents::default()),
            windows_event_logs: Read::ok(vec![]),
            usage: Read::ok(vec![
                UsageByType { data_type: "SigninLogs".into(), gb_30d: 12.0 },
                UsageByType { data_type: "AuditLogs".into(), gb_30d: 2.7 },
                UsageByType { data_type: "SecurityEvent".into(), gb_30d: 11.4 },
                UsageByType { data_type: "AADServicePrincipalSignInLogs".into(), gb_30d: 2.1 },
                UsageByType { data_type: "AADRiskyUsers".into(), gb_30d: 0.03 },
                UsageByType { data_type: "AADUserRiskEvents".into(), gb_30d: 0.09 },
                UsageByType { data_type: "MicrosoftGraphActivityLogs".into(), gb_30d: 3.6 },
                UsageByType { data_type: "AzureDiagnostics".into(), gb_30d: 5.4 },
                UsageByType { data_type: "NTANetAnalytics".into(), gb_30d: 0.9 },
                UsageByType { data_type: "Perf".into(), gb_30d: 6.0 },
            ]),
            sentinel_enabled: Some(true),
            arrival: BTreeMap::new(),
        }]),
        data_collection_rules: Read::ok(vec![DataCollectionRule {
            id: dcr.clone(),
            name: "dcr-windows-security-common".into(),
            location: "westeurope".into(),
            security_event_xpaths: vec!["Security!*".into()],
            other_windows_event_xpaths: vec!["System!*[System[(Level=1 or Level=2)]]".into()],
            streams: vec!["Microsoft-SecurityEvent".into(), "Microsoft-WindowsEvent".into()],
            workspace_destinations: vec![ws.clone()],
            syslog: vec![],
        }, DataCollectionRule {
            // The Linux VM's rule collects cron and daemon messages, no authentication.
            id: format!("{g}/providers/Microsoft.Insights/dataCollectionRules/dcr-linux-base"),
            name: "dcr-linux-base".into(),
            location: "westeurope".into(),
            security_event_xpaths: vec![],
            other_windows_event_xpaths: vec![],
            streams: vec!["Microsoft-Syslog".into()],
            workspace_destinations: vec![ws.clone()],
            syslog: vec![SyslogSource {
                facilities: vec!["cron".into(), "daemon".into()],
                levels: vec!["Warning".into(), "Error".into(), "Critical".into(), "Alert".into(), "Emergency".into()],
                streams: vec!["Microsoft-Syslog".into()],
            }],
        }]),
        virtual_machines: Read::ok(vec![
            VirtualMachine { id: vm1.clone(), name: "vm-prod-dc01".into(), location: "westeurope".into(), os_type: Some("Windows".into()), dcr_associations: Read::ok(vec![dcr.clone()]), tags: BTreeMap::new(), ..Default::default() },
            VirtualMachine { id: vm2.clone(), name: "vm-prod-app01".into(), location: "westeurope".into(), os_type: Some("Windows".into()), dcr_associations: Read::ok(vec![]), tags: BTreeMap::new(), ..Default::default() },
            VirtualMachine { id: vm3.clone(), name: "vm-prod-lnx01".into(), location: "westeurope".into(), os_type: Some("Linux".into()), dcr_associations: Read::ok(vec![format!("{g}/providers/Microsoft.Insights/dataCollectionRules/dcr-linux-base")]), tags: BTreeMap::new(), ..Default::default() },
        ]),
        defender_plans: Read::ok(vec![
            DefenderPlan { name: "VirtualMachines".into(), pricing_tier: "Standard".into(), sub_plan: Some("P2".into()), deprecated: false, extensions: Some(vec![PlanExtension { name: "AgentlessVmScanning".into(), enabled: Some(true) }, PlanExtension { name: "FileIntegrityMonitoring".into(), enabled: Some(false) }]) },
            DefenderPlan { name: "KeyVaults".into(), pricing_tier: "Standard".into(), sub_plan: None, deprecated: false, extensions: None },
            DefenderPlan { name: "StorageAccounts".into(), pricing_tier: "Standard".into(), sub_plan: Some("DefenderForStorageV2".into()), deprecated: false, extensions: None },
            DefenderPlan { name: "Arm".into(), pricing_tier: "Standard".into(), sub_plan: None, deprecated: false, extensions: None },
            DefenderPlan { name: "SqlServers".into(), pricing_tier: "Free".into(), sub_plan: None, deprecated: false, extensions: None },
            DefenderPlan { name: "AppServices".into(), pricing_tier: "Free".into(), sub_plan: None, deprecated: false, extensions: None },
            DefenderPlan { name: "Containers".into(), pricing_tier: "Free".into(), sub_plan: None, deprecated: false, extensions: None },
            DefenderPlan { name: "Dns".into(), pricing_tier: "Free".into(), sub_plan: None, deprecated: true, extensions: None },
        ]),
        activity_log_alerts: Read::ok(vec![
            alert(PROD, "alert-policy-assignment-write", "Microsoft.Authorization/policyAssignments/write", true),
            alert(PROD, "alert-policy-assignment-delete", "Microsoft.Authorization/policyAssignments/delete", true),
            alert(PROD, "alert-nsg-write", "Microsoft.Network/networkSecurityGroups/write", true),
            alert(PROD, "alert-nsg-delete", "Microsoft.Network/networkSecurityGroups/delete", false),
            ActivityLogAlert {
                conditions: vec![
                    AlertCondition { field: "category".into(), equals: "ServiceHealth".into() },
                    AlertCondition { field: "properties.incidentType".into(), equals: "Incident".into() },
                ],
                ..alert(PROD, "alert-service-health", "", true)
            },
            // Notifies an action group without receivers: it alerts nobody.
            ActivityLogAlert {
                action_groups: vec![format!("/subscriptions/{PROD}/resourceGroups/rg-monitoring/providers/microsoft.insights/actionGroups/unattended")],
                ..alert(PROD, "alert-public-ip-write", "Microsoft.Network/publicIPAddresses/write", true)
            },
        ]),
        action_groups: Read::ok(vec![
            ActionGroup {
                id: format!("/subscriptions/{PROD}/resourceGroups/rg-monitoring/providers/microsoft.insights/actionGroups/secops"),
                name: "secops".into(),
                enabled: Some(true),
                receivers: 2,
            },
            ActionGroup {
                id: format!("/subscriptions/{PROD}/resourceGroups/rg-monitoring/providers/microsoft.insights/actionGroups/unattended"),
                name: "unattended".into(),
                enabled: Some(true),
                receivers: 0,
            },
        ]),
        sql_servers: Read::ok(data.sql_servers),
        database_servers: Read::ok(data.database_servers),
        web_apps: Read::ok(data.web_apps),
        app_insights: Read::ok(data.app_insights),
        storage_accounts: Read::ok(vec![StorageAccount {
            id: st.clone(),
            name: "stprodlogarchive".into(),
            location: "westeurope".into(),
            allow_blob_public_access: Some(false),
            public_network_access: Some("Disabled".into()),
            key_source: Some("Microsoft.Keyvault".into()),
            immutability_enabled: Some(true),
            tags: BTreeMap::new(),
        }]),
        ..SubscriptionInventory::empty(SubscriptionRef::default())
    }
}

fn alert(sub: &str, name: &str, op: &str, enabled: bool) -> ActivityLogAlert {
    ActivityLogAlert {
        id: format!("/subscriptions/{sub}/resourceGroups/rg-monitoring/providers/microsoft.insights/activityLogAlerts/{name}"),
        name: name.into(),
        enabled,
        scopes: vec![format!("/subscriptions/{sub}")],
        conditions: vec![
            AlertCondition { field: "category".into(), equals: "Administrative".into() },
            AlertCondition { field: "operationName".into(), equals: op.into() },
        ],
        action_groups: vec![format!("/subscriptions/{sub}/resourceGroups/rg-monitoring/providers/microsoft.insights/actionGroups/secops")],
    }
}

fn dev() -> SubscriptionInventory {
    let g = rg(DEV, "rg-dev");
    let ws = format!("{g}/providers/Microsoft.OperationalInsights/workspaces/law-dev");
    let kv = format!("{g}/providers/Microsoft.KeyVault/vaults/kv-dev-shared");
    let st = format!("{g}/providers/Microsoft.Storage/storageAccounts/stdevdiag");
    let vnet = format!("{g}/providers/Microsoft.Network/virtualNetworks/vnet-dev");
    let nsg = format!("{g}/providers/Microsoft.Network/networkSecurityGroups/nsg-dev-app");
    let nsg_orphan =
        format!("{g}/providers/Microsoft.Network/networkSecurityGroups/nsg-dev-unused");
    let nic = format!("{g}/providers/Microsoft.Network/networkInterfaces/vm-dev-build01-nic");
    let vm = format!("{g}/providers/Microsoft.Compute/virtualMachines/vm-dev-build01");
    let dcr = format!("{g}/providers/Microsoft.Insights/dataCollectionRules/dcr-dev-minimal");
    let mut resources = vec![
        res(&ws, "Microsoft.OperationalInsights/workspaces", "eastus"),
        res(&kv, "Microsoft.KeyVault/vaults", "eastus"),
        res(&st, "Microsoft.Storage/storageAccounts", "eastus"),
        res(&vnet, "Microsoft.Network/virtualNetworks", "eastus"),
        res(&nsg, "Microsoft.Network/networkSecurityGroups", "eastus"),
        res(
            &nsg_orphan,
            "Microsoft.Network/networkSecurityGroups",
            "eastus",
        ),
        res(&nic, "Microsoft.Network/networkInterfaces", "eastus"),
        res(&vm, "Microsoft.Compute/virtualMachines", "eastus"),
    ];
    resources.sort_by_key(|r| id_key(&r.id));
    let usage_denied = ReadError {
        scope: ws.clone(),
        operation: "logAnalytics.query".into(),
        status: Some(403),
        code: Some("InsufficientAccessError".into()),
        message:
            "The provided credentials have insufficient access to perform the requested operation"
                .into(),
    };
    SubscriptionInventory {
        subscription: SubscriptionRef {
            id: DEV.into(),
            name: "contoso-dev".into(),
            state: "Enabled".into(),
        },
        // Locks are used (on the resource group), but none protects the activity-log export.
        management_locks: Read::ok(vec![ManagementLock {
            id: format!("{g}/providers/Microsoft.Authorization/locks/rg-dev-no-delete"),
            name: "rg-dev-no-delete".into(),
            level: Some("CanNotDelete".into()),
        }]),
        resources: Read::ok(resources),
        activity_log_settings: Read::ok(vec![setting(
            &format!(
                "/subscriptions/{DEV}/providers/microsoft.insights/diagnosticSettings/dev-activity"
            ),
            "dev-activity",
            Some(&ws),
            None,
            vec![
                log("Administrative", true),
                log("Security", true),
                log("Policy", false),
            ],
        )]),
        resource_diagnostics: vec![
            ResourceDiagnostics {
                resource_id: kv.clone(),
                resource_type: "Microsoft.KeyVault/vaults".into(),
                settings: Read::ok(vec![]),
            },
            ResourceDiagnostics {
                resource_id: ws.clone(),
                resource_type: "Microsoft.OperationalInsights/workspaces".into(),
                settings: Read::ok(vec![]),
            },
            ResourceDiagnostics {
                resource_id: nsg.clone(),
                resource_type: "Microsoft.Network/networkSecurityGroups".into(),
                settings: Read::ok(vec![setting(
                    &format!("{nsg}/providers/microsoft.insights/diagnosticSettings/to-storage"),
                    "to-storage",
                    None,
                    Some(&st),
                    vec![log("NetworkSecurityGroupEvent", true)],
                )]),
            },
            ResourceDiagnostics {
                resource_id: format!("{st}/blobServices/default"),
                resource_type: "Microsoft.Storage/storageAccounts/blobServices".into(),
                settings: Read::ok(vec![]),
            },
            ResourceDiagnostics {
                resource_id: nsg_orphan.clone(),
                resource_type: "Microsoft.Network/networkSecurityGroups".into(),
                settings: Read::ok(vec![]),
            },
        ],
        network_security_groups: Read::ok(vec![
            NetworkSecurityGroup {
                id: nsg.clone(),
                name: "nsg-dev-app".into(),
                location: "eastus".into(),
                subnet_ids: vec![],
                network_interface_ids: vec![nic.clone()],
                tags: BTreeMap::new(),
            },
            NetworkSecurityGroup {
                id: nsg_orphan.clone(),
                name: "nsg-dev-unused".into(),
                location: "eastus".into(),
                subnet_ids: vec![],
                network_interface_ids: vec![],
                tags: BTreeMap::new(),
            },
        ]),
        virtual_networks: Read::ok(vec![VirtualNetwork {
            id: vnet.clone(),
            name: "vnet-dev".into(),
            location: "eastus".into(),
            subnets: vec![Subnet {
                id: format!("{vnet}/subnets/build"),
                name: "build".into(),
                network_security_group_id: None,
            }],
            // Domain controllers elsewhere resolve for dev: their query logs are theirs.
            dns_servers: vec!["10.50.0.4".into(), "10.50.0.5".into()],
        }]),
        network_interfaces: Read::ok(vec![NetworkInterface {
            network_security_group_id: Some(nsg.clone()),
            ..trails::nic(
                &nic,
                "10.60.1.4",
                &format!("{vnet}/subnets/build"),
                None,
                Some(&vm),
            )
        }]),
        workspaces: Read::ok(vec![Workspace {
            id: ws.clone(),
            name: "law-dev".into(),
            location: "eastus".into(),
            customer_id: "a1b2c3d4-0000-4000-8000-00000000bbbb".into(),
            sku: Some("PerGB2018".into()),
            retention_in_days: Some(30),
            daily_quota_gb: Some(5.0),
            resource_permissions_access: Some(false),
            tables: Read::ok(vec![WorkspaceTable {
                name: "SecurityEvent".into(),
                plan: Some("Analytics".into()),
                retention_in_days: Some(30),
                total_retention_in_days: Some(30),
                retention_is_default: true,
                total_retention_is_default: true,
            }]),
            security_event_tier: Read::ok(LegacySecurityEvents::tier("Minimal")),
            windows_event_logs: Read::ok(vec!["System".into(), "Application".into()]),
            usage: Read::failed(usage_denied.clone()),
            sentinel_enabled: Some(false),
            arrival: BTreeMap::new(),
        }]),
        data_collection_rules: Read::ok(vec![DataCollectionRule {
            id: dcr.clone(),
            name: "dcr-dev-minimal".into(),
            location: "eastus".into(),
            security_event_xpaths: vec![
                "Security!*[System[(EventID=4624 or EventID=4625 or EventID=4688)]]".into(),
            ],
            other_windows_event_xpaths: vec![],
            streams: vec!["Microsoft-SecurityEvent".into()],
            workspace_destinations: vec![ws.clone()],
            syslog: vec![],
        }]),
        virtual_machines: Read::ok(vec![VirtualMachine {
            id: vm,
            name: "vm-dev-build01".into(),
            location: "eastus".into(),
            os_type: Some("Windows".into()),
            dcr_associations: Read::ok(vec![dcr]),
            tags: BTreeMap::new(),
            ..Default::default()
        }]),
        defender_plans: Read::ok(vec![
            DefenderPlan {
                name: "VirtualMachines".into(),
                pricing_tier: "Free".into(),
                sub_plan: None,
                deprecated: false,
                extensions: None,
            },
            DefenderPlan {
                name: "KeyVaults".into(),
                pricing_tier: "Free".into(),
                sub_plan: None,
                deprecated: false,
                extensions: None,
            },
            DefenderPlan {
                name: "Arm".into(),
                pricing_tier: "Standard".into(),
                sub_plan: None,
                deprecated: false,
                extensions: None,
            },
        ]),
        database_servers: Read::ok(data_services::dev_database_servers(&g)),
        storage_accounts: Read::ok(vec![StorageAccount {
            id: st,
            name: "stdevdiag".into(),
            location: "eastus".into(),
            allow_blob_public_access: Some(true),
            public_network_access: Some("Enabled".into()),
            key_source: Some("Microsoft.Storage".into()),
            immutability_enabled: None,
            tags: BTreeMap::new(),
        }]),
        ..SubscriptionInventory::empty(SubscriptionRef::default())
    }
}

fn sandbox() -> SubscriptionInventory {
    SubscriptionInventory::unreadable(
        SubscriptionRef {
            id: SANDBOX.into(),
            name: "contoso-sandbox".into(),
            state: "Enabled".into(),
        },
        forbidden(SANDBOX),
    )
}

/// The demo snapshot, with fixed timestamps so reports are reproducible.
pub fn snapshot() -> Snapshot {
    let mut snap = configured();
    with_arrival(&mut snap);
    snap
}

/// What the demo's workspaces say they received (the arrival queries): prod's receives from
/// every source but the hub firewall (silent 9 days, so nothing in the 7-day window) and the
/// queue service (last record 3 days before the scan); dev's workspace cannot be queried by
/// the scanning identity (the same 403 as its Usage). vm-prod-lnx01 has a rule but no Azure
/// Monitor Agent; vm-dev-build01 is deallocated.
fn with_arrival(snap: &mut Snapshot) {
    use crate::inventory::LastSeen;
    let recent = |key: &str, t: &str| LastSeen {
        key: key.to_ascii_lowercase(),
        last_seen: format!("2026-11-02T{t}Z"),
    };
    let subs = &mut snap.inventory.subscriptions;
    let prod_ws = format!("/subscriptions/{PROD}/resourceGroups/rg-prod-core/providers/Microsoft.OperationalInsights/workspaces/law-prod-weu");
    let mut resource = Vec::new();
    for rd in &subs[0].resource_diagnostics {
        let to_prod = rd.settings.items().iter().any(|s| {
            s.sends_logs()
                && s.workspace_id
                    .as_deref()
                    .is_some_and(|w| w.eq_ignore_ascii_case(&prod_ws))
        });
        if !to_prod || rd.resource_id.ends_with("/azureFirewalls/afw-prod-hub") {
            continue;
        }
        if rd.resource_id.ends_with("/queueServices/default") {
            resource.push(LastSeen {
                key: rd.resource_id.to_ascii_lowercase(),
                last_seen: "2026-10-30T11:42:07Z".into(),
            });
        } else {
            resource.push(recent(&rd.resource_id, "05:51:30"));
        }
    }
    // SQL auditing arrives from the servers' master databases.
    for server in subs[0].sql_servers.items() {
        if server
            .master_diagnostic_settings
            .items()
            .iter()
            .any(|s| s.sends_logs() && s.workspace_id.is_some())
        {
            resource.push(recent(
                &format!("{}/databases/master", server.id),
                "05:52:10",
            ));
        }
    }
    let vm = |name: &str| {
        format!("/subscriptions/{PROD}/resourceGroups/rg-prod-core/providers/Microsoft.Compute/virtualMachines/{name}")
    };
    let arrival = BTreeMap::from([
        ("resource".to_string(), Read::ok(resource)),
        (
            "activity".to_string(),
            Read::ok(vec![recent(PROD, "05:58:12")]),
        ),
        (
            "entra".to_string(),
            Read::ok(
                [
                    "SigninLogs",
                    "AuditLogs",
                    "AADServicePrincipalSignInLogs",
                    "MicrosoftGraphActivityLogs",
                    "AADNonInteractiveUserSignInLogs",
                ]
                .iter()
                .map(|t| recent(t, "05:59:40"))
                .collect(),
            ),
        ),
        (
            "security_events".to_string(),
            Read::ok(vec![recent(&vm("vm-prod-dc01"), "05:59:58")]),
        ),
        (
            "heartbeat".to_string(),
            Read::ok(vec![recent(&vm("vm-prod-dc01"), "05:59:59")]),
        ),
        // NTANetAnalytics names a VNet flow log `rg/watcher/flowlog` (Microsoft's schema).
        (
            "traffic".to_string(),
            Read::ok(vec![recent(
                "NetworkWatcherRG/NetworkWatcher_westeurope/fl-vnet-prod-weu",
                "05:50:00",
            )]),
        ),
    ]);
    if let Some(ws) = subs[0]
        .workspaces
        .value
        .as_mut()
        .and_then(|w| w.first_mut())
    {
        ws.arrival = arrival;
    }
    for v in subs[0].virtual_machines.value.iter_mut().flatten() {
        v.power_state = Some("running".into());
        if !v.dcr_associations.items().is_empty() {
            v.monitor_agent = Read::ok(if v.name == "vm-prod-lnx01" {
                None
            } else {
                Some("Succeeded".into())
            });
        }
    }
    if let Some(ws) = subs[1]
        .workspaces
        .value
        .as_mut()
        .and_then(|w| w.first_mut())
    {
        let denied = ws.usage.error.clone();
        for family in ["resource", "activity", "security_events", "heartbeat"] {
            if let Some(e) = &denied {
                ws.arrival
                    .insert(family.to_string(), Read::failed(e.clone()));
            }
        }
    }
    for v in subs[1].virtual_machines.value.iter_mut().flatten() {
        v.power_state = Some("deallocated".into());
        v.monitor_agent = Read::ok(Some("Succeeded".into()));
    }
}

fn configured() -> Snapshot {
    let mut categories = BTreeMap::new();
    categories.insert(
        "microsoft.network/dnsresolverpolicies".to_string(),
        cats(&[("DnsResponse", &["allLogs"])]),
    );
    categories.insert(
        "microsoft.keyvault/vaults".to_string(),
        cats(&[
            ("AuditEvent", &["audit", "allLogs"]),
            ("AzurePolicyEvaluationDetails", &["allLogs"]),
        ]),
    );
    categories.insert(
        "microsoft.operationalinsights/workspaces".to_string(),
        cats(&[
            ("Audit", &["audit", "allLogs"]),
            ("SummaryLogs", &["allLogs"]),
        ]),
    );
    categories.insert(
        "microsoft.sql/servers/databases".to_string(),
        cats(&[
            ("SQLSecurityAuditEvents", &["audit", "allLogs"]),
            ("Errors", &["allLogs"]),
            ("Timeouts", &["allLogs"]),
            ("Blocks", &["allLogs"]),
            ("Deadlocks", &["allLogs"]),
        ]),
    );
    categories.insert(
        "microsoft.web/sites".to_string(),
        cats(&[
            ("AppServiceHTTPLogs", &["allLogs"]),
            ("AppServiceAuditLogs", &["audit", "allLogs"]),
            ("AppServiceConsoleLogs", &["allLogs"]),
            ("AppServiceAppLogs", &["allLogs"]),
        ]),
    );
    categories.insert(
        "microsoft.network/networksecuritygroups".to_string(),
        cats(&[
            ("NetworkSecurityGroupEvent", &["allLogs"]),
            ("NetworkSecurityGroupRuleCounter", &["allLogs"]),
        ]),
    );
    categories.insert(
        "microsoft.storage/storageaccounts".to_string(),
        Read::ok(TypeCategories {
            supported: true,
            log_categories: vec![],
            metric_categories: vec!["Transaction".into(), "Capacity".into()],
            learnt_from: String::new(),
        }),
    );
    categories.insert(
        "microsoft.storage/storageaccounts/blobservices".to_string(),
        cats(&[
            ("StorageRead", &["audit", "allLogs"]),
            ("StorageWrite", &["audit", "allLogs"]),
            ("StorageDelete", &["audit", "allLogs"]),
        ]),
    );
    categories.insert(
        "microsoft.compute/virtualmachines".to_string(),
        Read::ok(TypeCategories::default()),
    );
    categories.insert(
        "microsoft.network/virtualnetworks".to_string(),
        cats(&[("VMProtectionAlerts", &["allLogs"])]),
    );
    data_services::categories(&mut categories);
    let errors = vec![
        forbidden(SANDBOX),
        dev().workspaces.items()[0]
            .usage
            .error
            .clone()
            .unwrap_or_else(|| forbidden(DEV)),
    ];
    let prod_ws = format!(
        "{}/providers/Microsoft.OperationalInsights/workspaces/law-prod-weu",
        rg(PROD, "rg-prod-core")
    );
    let subs = vec![
        prod(),
        dev(),
        sandbox(),
        SubscriptionInventory {
            subscription: SubscriptionRef {
                id: LEGACY.into(),
                name: "contoso-legacy".into(),
                state: "Disabled".into(),
            },
            scanned: false,
            ..Default::default()
        },
    ];
    Snapshot {
        snapshot_format: SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        tenant_id: Some(TENANT.into()),
        cloud: "public".into(),
        started_at: "2026-11-02T06:00:00Z".into(),
        finished_at: "2026-11-02T06:03:41Z".into(),
        scope: ScanScope {
            subscriptions: subs.iter().map(|s| s.subscription.clone()).collect(),
            ..Default::default()
        },
        inventory: Inventory {
            subscriptions: subs,
            entra_diagnostic_settings: Read::ok(vec![setting(
                "/providers/microsoft.aadiam/diagnosticSettings/entra-to-sentinel",
                "entra-to-sentinel",
                Some(&prod_ws),
                None,
                vec![
                    log("AuditLogs", true),
                    log("SignInLogs", true),
                    log("NonInteractiveUserSignInLogs", false),
                    log("ServicePrincipalSignInLogs", true),
                    log("RiskyUsers", true),
                    log("UserRiskEvents", true),
                    log("MicrosoftGraphActivityLogs", true),
                ],
            )]),
            // A P2 tenant without ADFS or Global Secure Access: those categories are not offered.
            entra_log_categories: Read::ok(
                [
                    "AuditLogs",
                    "SignInLogs",
                    "NonInteractiveUserSignInLogs",
                    "ServicePrincipalSignInLogs",
                    "ManagedIdentitySignInLogs",
                    "ProvisioningLogs",
                    "RiskyUsers",
                    "UserRiskEvents",
                    "RiskyServicePrincipals",
                    "ServicePrincipalRiskEvents",
                    "EnrichedOffice365AuditLogs",
                    "MicrosoftGraphActivityLogs",
                ]
                .map(String::from)
                .to_vec(),
            ),
            diagnostic_categories: categories,
            arrival_collected: true,
        },
        errors,
        stats: CollectionStats {
            requests: 212,
            retries: 3,
            throttled: 2,
            failed_reads: 2,
            duration_ms: 221_000,
        },
        identity: Some(crate::inventory::ScanIdentity {
            tenant_id: Some(TENANT.into()),
            object_id: Some("5b0c7d2e-1f3a-4c6b-9e8d-2a4f6c8e0b1d".into()),
            app_id: Some("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a".into()),
            app_name: Some("logposture-scanner (demo)".into()),
            user: None,
            kind: "service principal or managed identity".into(),
        }),
    }
}

/// A subscription named in the scope flags that the demo tenant does not have.
#[derive(Debug, thiserror::Error)]
#[error("the demo tenant has no subscription {id} (it has {known})")]
pub struct UnknownSubscription {
    pub id: String,
    pub known: String,
}

/// The demo tenant narrowed the way a live scan would be: `--subscription`,
/// `--exclude-subscription` and `--shard` apply; a subscription the demo does not have is an
/// error naming it (as a live scan would find nothing to read).
pub fn snapshot_scoped(
    only: &[String],
    exclude: &[String],
    shard: Option<crate::inventory::Shard>,
) -> Result<Snapshot, UnknownSubscription> {
    let mut snap = snapshot();
    let known: Vec<String> = snap
        .scope
        .subscriptions
        .iter()
        .map(|s| s.id.to_ascii_lowercase())
        .collect();
    for id in only.iter().chain(exclude) {
        if !known.contains(&id.to_ascii_lowercase()) {
            return Err(UnknownSubscription {
                id: id.clone(),
                known: known.join(", "),
            });
        }
    }
    let keep = |id: &str| {
        let id = id.to_ascii_lowercase();
        (only.is_empty() || only.iter().any(|o| o.eq_ignore_ascii_case(&id)))
            && !exclude.iter().any(|e| e.eq_ignore_ascii_case(&id))
            && shard.is_none_or(|s| s.includes(&id))
    };
    snap.scope.subscriptions.retain(|s| keep(&s.id));
    snap.inventory
        .subscriptions
        .retain(|s| keep(&s.subscription.id));
    snap.errors.retain(|e| {
        e.scope
            .strip_prefix("/subscriptions/")
            .map(|rest| keep(rest.split('/').next().unwrap_or_default()))
            .unwrap_or(true)
    });
    snap.scope.requested_subscriptions = only.to_vec();
    snap.scope.excluded_subscriptions = exclude.to_vec();
    snap.scope.shard = shard.map(|s| s.to_string());
    Ok(snap)
}
