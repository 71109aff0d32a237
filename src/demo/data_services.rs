//! The demo tenant's data and edge services: SQL auditing, PostgreSQL / MySQL parameters,
//! App Service, Application Insights and the resource types with their own checks, each with
//! passes and failures.

use super::{cats, group, log, res, setting};
use crate::inventory::*;
use std::collections::BTreeMap;

/// What prod adds for these services.
pub struct DataServices {
    pub resources: Vec<Resource>,
    pub diagnostics: Vec<ResourceDiagnostics>,
    pub sql_servers: Vec<SqlServer>,
    pub database_servers: Vec<DatabaseServer>,
    pub web_apps: Vec<WebApp>,
    pub app_insights: Vec<AppInsightsComponent>,
}

fn diag(rid: &str, t: &str, settings: Vec<DiagnosticSetting>) -> ResourceDiagnostics {
    ResourceDiagnostics {
        resource_id: rid.into(),
        resource_type: t.into(),
        settings: Read::ok(settings),
    }
}

fn to_ws(rid: &str, name: &str, ws: &str, logs: Vec<LogSetting>) -> DiagnosticSetting {
    setting(
        &format!("{rid}/providers/microsoft.insights/diagnosticSettings/{name}"),
        name,
        Some(ws),
        None,
        logs,
    )
}

fn params(list: &[(&str, &str)]) -> Read<BTreeMap<String, String>> {
    Read::ok(
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

pub fn prod(g: &str, ws: &str, st: &str) -> DataServices {
    let sql = format!("{g}/providers/Microsoft.Sql/servers/sql-prod-orders");
    let sql_legacy = format!("{g}/providers/Microsoft.Sql/servers/sql-prod-reporting");
    let reports_db = format!("{sql_legacy}/databases/reports");
    let psql =
        format!("{g}/providers/Microsoft.DBforPostgreSQL/flexibleServers/psql-prod-payments");
    let mysql = format!("{g}/providers/Microsoft.DBforMySQL/flexibleServers/mysql-prod-cms");
    let api = format!("{g}/providers/Microsoft.Web/sites/app-prod-api");
    let func = format!("{g}/providers/Microsoft.Web/sites/func-prod-events");
    let checkout = format!("{g}/providers/Microsoft.Web/sites/app-prod-checkout");
    let appi = format!("{g}/providers/Microsoft.Insights/components/appi-prod-checkout");
    let aks = format!("{g}/providers/Microsoft.ContainerService/managedClusters/aks-prod-weu");
    let afw = format!("{g}/providers/Microsoft.Network/azureFirewalls/afw-prod-hub");
    let agw = format!("{g}/providers/Microsoft.Network/applicationGateways/agw-prod-web");
    let bastion = format!("{g}/providers/Microsoft.Network/bastionHosts/bas-prod-weu");
    let afd = format!("{g}/providers/Microsoft.Cdn/profiles/afd-prod-global");
    let apim = format!("{g}/providers/Microsoft.ApiManagement/service/apim-prod");
    let cosmos = format!("{g}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-prod-orders");
    let queue = format!("{st}/queueServices/default");
    let table = format!("{st}/tableServices/default");
    let with_kind = |id: &str, t: &str, kind: &str| Resource {
        kind: Some(kind.into()),
        ..res(id, t, "westeurope")
    };
    let resources = vec![
        res(&sql, "Microsoft.Sql/servers", "westeurope"),
        res(&sql_legacy, "Microsoft.Sql/servers", "westeurope"),
        res(&reports_db, "Microsoft.Sql/servers/databases", "westeurope"),
        res(
            &psql,
            "Microsoft.DBforPostgreSQL/flexibleServers",
            "westeurope",
        ),
        res(&mysql, "Microsoft.DBforMySQL/flexibleServers", "westeurope"),
        with_kind(&api, "Microsoft.Web/sites", "app,linux"),
        with_kind(&func, "Microsoft.Web/sites", "functionapp,linux"),
        res(&appi, "Microsoft.Insights/components", "westeurope"),
        res(
            &aks,
            "Microsoft.ContainerService/managedClusters",
            "westeurope",
        ),
        res(&afw, "Microsoft.Network/azureFirewalls", "westeurope"),
        res(&agw, "Microsoft.Network/applicationGateways", "westeurope"),
        res(&bastion, "Microsoft.Network/bastionHosts", "westeurope"),
        res(&afd, "Microsoft.Cdn/profiles", "global"),
        res(&apim, "Microsoft.ApiManagement/service", "westeurope"),
        res(
            &cosmos,
            "Microsoft.DocumentDB/databaseAccounts",
            "westeurope",
        ),
    ];
    let diagnostics = vec![
        diag(
            &api,
            "Microsoft.Web/sites",
            vec![to_ws(
                &api,
                "app-logs",
                ws,
                vec![
                    log("AppServiceHTTPLogs", true),
                    log("AppServiceAuditLogs", true),
                    log("AppServiceIPSecAuditLogs", true),
                ],
            )],
        ),
        diag(
            &func,
            "Microsoft.Web/sites",
            vec![to_ws(
                &func,
                "func-logs",
                ws,
                vec![log("FunctionAppLogs", true)],
            )],
        ),
        diag(
            &aks,
            "Microsoft.ContainerService/managedClusters",
            vec![to_ws(
                &aks,
                "aks-audit",
                ws,
                vec![log("kube-audit-admin", true), log("guard", true)],
            )],
        ),
        // Legacy categories into AzureDiagnostics, and no DNS proxy log.
        diag(
            &afw,
            "Microsoft.Network/azureFirewalls",
            vec![to_ws(
                &afw,
                "afw-legacy",
                ws,
                vec![
                    log("AzureFirewallNetworkRule", true),
                    log("AzureFirewallApplicationRule", true),
                ],
            )],
        ),
        diag(
            &agw,
            "Microsoft.Network/applicationGateways",
            vec![to_ws(
                &agw,
                "agw-access",
                ws,
                vec![
                    log("ApplicationGatewayAccessLog", true),
                    log("ApplicationGatewayFirewallLog", false),
                ],
            )],
        ),
        diag(&bastion, "Microsoft.Network/bastionHosts", vec![]),
        diag(
            &afd,
            "Microsoft.Cdn/profiles",
            vec![DiagnosticSetting {
                destination_type: Some("Dedicated".into()),
                ..to_ws(&afd, "afd-all", ws, vec![group("allLogs")])
            }],
        ),
        diag(
            &apim,
            "Microsoft.ApiManagement/service",
            vec![DiagnosticSetting {
                destination_type: Some("Dedicated".into()),
                ..to_ws(&apim, "apim-gateway", ws, vec![log("GatewayLogs", true)])
            }],
        ),
        diag(
            &cosmos,
            "Microsoft.DocumentDB/databaseAccounts",
            vec![to_ws(&cosmos, "cosmos-metrics-only", ws, vec![])],
        ),
        diag(
            &queue,
            "Microsoft.Storage/storageAccounts/queueServices",
            vec![to_ws(
                &queue,
                "queue-writes",
                ws,
                vec![log("StorageWrite", true)],
            )],
        ),
        diag(
            &table,
            "Microsoft.Storage/storageAccounts/tableServices",
            vec![],
        ),
        diag(
            &psql,
            "Microsoft.DBforPostgreSQL/flexibleServers",
            vec![to_ws(
                &psql,
                "psql-logs",
                ws,
                vec![log("PostgreSQLLogs", true)],
            )],
        ),
        diag(
            &mysql,
            "Microsoft.DBforMySQL/flexibleServers",
            vec![to_ws(
                &mysql,
                "mysql-audit",
                ws,
                vec![log("MySqlAuditLogs", true), log("MySqlSlowLogs", true)],
            )],
        ),
    ];
    let sql_servers = vec![
        SqlServer {
            id: sql.clone(),
            name: "sql-prod-orders".into(),
            location: "westeurope".into(),
            auditing: Read::ok(SqlAuditing {
                state: Some("Enabled".into()),
                storage_endpoint: Some("https://stprodlogarchive.blob.core.windows.net/".into()),
                retention_days: Some(30),
                azure_monitor_target: Some(true),
                audit_actions_and_groups: vec![
                    "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP".into(),
                    "FAILED_DATABASE_AUTHENTICATION_GROUP".into(),
                    "BATCH_COMPLETED_GROUP".into(),
                ],
            }),
            master_diagnostic_settings: Read::ok(vec![to_ws(
                &format!("{sql}/databases/master"),
                "sql-audit-to-law",
                ws,
                vec![log("SQLSecurityAuditEvents", true)],
            )]),
            databases: vec![],
        },
        SqlServer {
            id: sql_legacy.clone(),
            name: "sql-prod-reporting".into(),
            location: "westeurope".into(),
            auditing: Read::ok(SqlAuditing {
                state: Some("Disabled".into()),
                retention_days: Some(0),
                azure_monitor_target: Some(false),
                ..Default::default()
            }),
            master_diagnostic_settings: Read::default(),
            databases: vec![SqlDatabase {
                id: reports_db,
                name: "reports".into(),
                auditing: Read::ok(SqlAuditing {
                    state: Some("Disabled".into()),
                    ..Default::default()
                }),
            }],
        },
    ];
    let database_servers = vec![
        DatabaseServer {
            id: psql,
            name: "psql-prod-payments".into(),
            location: "westeurope".into(),
            engine: "postgresql".into(),
            deployment: "flexible".into(),
            parameters: params(&[
                ("log_checkpoints", "on"),
                ("log_connections", "on"),
                ("log_disconnections", "off"),
                ("connection_throttle.enable", "on"),
                ("logfiles.retention_days", "3"),
            ]),
            version: Read::default(),
        },
        DatabaseServer {
            id: mysql,
            name: "mysql-prod-cms".into(),
            location: "westeurope".into(),
            engine: "mysql".into(),
            deployment: "flexible".into(),
            parameters: params(&[("audit_log_enabled", "ON"), ("audit_log_events", "DDL,DCL")]),
            version: Read::default(),
        },
    ];
    let app = |id: &str, kind: &str, sku: &str| WebApp {
        id: id.into(),
        name: last_segment(id),
        location: "westeurope".into(),
        kind: kind.into(),
        state: Some("Running".into()),
        sku: Some(sku.into()),
        server_farm_id: Some(format!("{g}/providers/Microsoft.Web/serverfarms/asp-prod")),
        http_logging_enabled: Some(false),
    };
    let web_apps = vec![
        app(&checkout, "app", "PremiumV3"),
        app(&api, "app,linux", "PremiumV3"),
        app(&func, "functionapp,linux", "ElasticPremium"),
    ];
    let app_insights = vec![AppInsightsComponent {
        id: appi,
        name: "appi-prod-checkout".into(),
        location: "westeurope".into(),
        workspace_id: Some(ws.to_string()),
        ingestion_mode: Some("LogAnalytics".into()),
    }];
    DataServices {
        resources,
        diagnostics,
        sql_servers,
        database_servers,
        web_apps,
        app_insights,
    }
}

/// Dev keeps one retired PostgreSQL single server.
pub fn dev_database_servers(g: &str) -> Vec<DatabaseServer> {
    vec![DatabaseServer {
        id: format!("{g}/providers/Microsoft.DBforPostgreSQL/servers/psql-dev-legacy"),
        name: "psql-dev-legacy".into(),
        location: "eastus".into(),
        engine: "postgresql".into(),
        deployment: "single".into(),
        parameters: Read::default(),
        version: Read::default(),
    }]
}

/// What each of these types offers to diagnostic settings (as their categories lists say).
pub fn categories(into: &mut BTreeMap<String, Read<TypeCategories>>) {
    let all = &["allLogs"][..];
    let audit = &["audit", "allLogs"][..];
    let mut add = |t: &str, list: &[(&str, &[&str])]| {
        into.insert(t.to_string(), cats(list));
    };
    add(
        "microsoft.containerservice/managedclusters",
        &[
            ("kube-apiserver", all),
            ("kube-audit", audit),
            ("kube-audit-admin", audit),
            ("kube-controller-manager", all),
            ("kube-scheduler", all),
            ("cluster-autoscaler", all),
            ("guard", audit),
            ("cloud-controller-manager", all),
        ],
    );
    add(
        "microsoft.network/azurefirewalls",
        &[
            ("AzureFirewallApplicationRule", all),
            ("AzureFirewallNetworkRule", all),
            ("AzureFirewallDnsProxy", all),
            ("AZFWNetworkRule", all),
            ("AZFWApplicationRule", all),
            ("AZFWNatRule", all),
            ("AZFWThreatIntel", all),
            ("AZFWIdpsSignature", all),
            ("AZFWDnsQuery", all),
        ],
    );
    add(
        "microsoft.network/applicationgateways",
        &[
            ("ApplicationGatewayAccessLog", all),
            ("ApplicationGatewayPerformanceLog", all),
            ("ApplicationGatewayFirewallLog", all),
        ],
    );
    add(
        "microsoft.network/bastionhosts",
        &[("BastionAuditLogs", audit)],
    );
    add(
        "microsoft.cdn/profiles",
        &[
            ("FrontDoorAccessLog", all),
            ("FrontDoorHealthProbeLog", all),
            ("FrontDoorWebApplicationFirewallLog", all),
        ],
    );
    add(
        "microsoft.apimanagement/service",
        &[
            ("GatewayLogs", audit),
            ("WebSocketConnectionLogs", all),
            ("DeveloperPortalAuditLogs", audit),
        ],
    );
    add(
        "microsoft.documentdb/databaseaccounts",
        &[
            ("DataPlaneRequests", all),
            ("QueryRuntimeStatistics", all),
            ("PartitionKeyStatistics", all),
            ("ControlPlaneRequests", audit),
        ],
    );
    add(
        "microsoft.storage/storageaccounts/queueservices",
        &[
            ("StorageRead", audit),
            ("StorageWrite", audit),
            ("StorageDelete", audit),
        ],
    );
    add(
        "microsoft.storage/storageaccounts/tableservices",
        &[
            ("StorageRead", audit),
            ("StorageWrite", audit),
            ("StorageDelete", audit),
        ],
    );
    add(
        "microsoft.dbforpostgresql/flexibleservers",
        &[
            ("PostgreSQLLogs", all),
            ("PostgreSQLFlexSessions", all),
            ("PostgreSQLFlexQueryStoreRuntime", all),
        ],
    );
    add(
        "microsoft.dbformysql/flexibleservers",
        &[("MySqlSlowLogs", all), ("MySqlAuditLogs", audit)],
    );
    add(
        "microsoft.web/sites",
        &[
            ("AppServiceHTTPLogs", all),
            ("AppServiceAuditLogs", audit),
            ("AppServiceIPSecAuditLogs", audit),
            ("AppServiceConsoleLogs", all),
            ("AppServiceAppLogs", all),
            ("AppServicePlatformLogs", all),
            ("FunctionAppLogs", all),
        ],
    );
}
