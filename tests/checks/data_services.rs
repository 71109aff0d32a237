//! Cases of the data and edge service checks (checks/data-services.toml).

use super::*;

fn sql_id() -> String {
    rid("Microsoft.Sql/servers/sql")
}
fn pg_id() -> String {
    rid("Microsoft.DBforPostgreSQL/flexibleServers/pg")
}
fn my_id() -> String {
    rid("Microsoft.DBforMySQL/flexibleServers/my")
}
fn single_id() -> String {
    rid("Microsoft.DBforPostgreSQL/servers/pg-old")
}

/// What each type offers to diagnostic settings in these cases.
fn offered(t: &str) -> Read<TypeCategories> {
    let all: &[&str] = &["allLogs"];
    let audit: &[&str] = &["audit", "allLogs"];
    match t.to_ascii_lowercase().as_str() {
        "microsoft.sql/managedinstances" => cats(&[
            ("SQLSecurityAuditEvents", audit),
            ("ResourceUsageStats", all),
        ]),
        "microsoft.web/sites" => cats(&[
            ("AppServiceHTTPLogs", all),
            ("AppServiceAuditLogs", audit),
            ("AppServiceIPSecAuditLogs", audit),
            ("FunctionAppLogs", all),
        ]),
        "microsoft.containerservice/managedclusters" => cats(&[
            ("kube-apiserver", all),
            ("kube-audit", audit),
            ("kube-audit-admin", audit),
            ("guard", audit),
        ]),
        "microsoft.network/azurefirewalls" => cats(&[
            ("AzureFirewallNetworkRule", all),
            ("AzureFirewallApplicationRule", all),
            ("AzureFirewallDnsProxy", all),
            ("AZFWNetworkRule", all),
            ("AZFWApplicationRule", all),
            ("AZFWDnsQuery", all),
        ]),
        "microsoft.network/applicationgateways" => cats(&[
            ("ApplicationGatewayAccessLog", all),
            ("ApplicationGatewayFirewallLog", all),
        ]),
        "microsoft.cdn/profiles" => cats(&[
            ("FrontDoorAccessLog", all),
            ("FrontDoorWebApplicationFirewallLog", all),
        ]),
        "microsoft.network/bastionhosts" => cats(&[("BastionAuditLogs", audit)]),
        "microsoft.apimanagement/service" => cats(&[("GatewayLogs", audit)]),
        "microsoft.documentdb/databaseaccounts" => {
            cats(&[("DataPlaneRequests", all), ("ControlPlaneRequests", audit)])
        }
        _ => cats(&[
            ("StorageRead", audit),
            ("StorageWrite", audit),
            ("StorageDelete", audit),
        ]),
    }
}

/// A resource of type `t` whose settings export `logs` (None: settings unreadable).
fn resource(s: &mut Snapshot, tail: &str, t: &str, kind: &str, logs: Option<&[&str]>) {
    s.inventory
        .diagnostic_categories
        .insert(t.to_ascii_lowercase(), offered(t));
    let settings = match logs {
        None => Read::failed(forbidden()),
        Some([]) => Read::ok(vec![]),
        Some(l) => Read::ok(vec![to_ws("d", l.iter().map(|c| log(c)).collect())]),
    };
    with_resource_diag(s, &rid(tail), t, settings);
    if !kind.is_empty() {
        let sb = sub(s);
        if let Some(r) = sb.resources.value.as_mut().and_then(|v| v.last_mut()) {
            r.kind = Some(kind.into());
        }
    }
}

macro_rules! resource_cases {
    ($v:ident, $check:expr, $tail:expr, $t:expr, $kind:expr, $pass:expr, $fail:expr) => {
        $v.push(case!(
            $check,
            "exports the categories that matter",
            || rid($tail),
            Pass,
            |s| resource(s, $tail, $t, $kind, Some($pass))
        ));
        $v.push(case!($check, "misses one", || rid($tail), Fail, |s| {
            resource(s, $tail, $t, $kind, Some($fail))
        }));
        $v.push(case!($check, "no setting", || rid($tail), Fail, |s| {
            resource(s, $tail, $t, $kind, Some(&[]))
        }));
        $v.push(case!(
            $check,
            "settings unreadable",
            || rid($tail),
            NotAssessed,
            |s| resource(s, $tail, $t, $kind, None)
        ));
    };
}

fn audit_policy(state: &str, storage_days: Option<u32>, monitor: bool) -> SqlAuditing {
    SqlAuditing {
        state: Some(state.into()),
        storage_endpoint: storage_days.map(|_| "https://st.blob.core.windows.net/".into()),
        retention_days: storage_days,
        azure_monitor_target: Some(monitor),
        audit_actions_and_groups: vec![],
    }
}

fn sql_server(
    s: &mut Snapshot,
    auditing: Read<SqlAuditing>,
    master: Vec<DiagnosticSetting>,
    dbs: Vec<SqlDatabase>,
) {
    sub(s).sql_servers = Read::ok(vec![SqlServer {
        id: sql_id(),
        name: "sql".into(),
        location: "westeurope".into(),
        auditing,
        master_diagnostic_settings: Read::ok(master),
        databases: dbs,
    }]);
}

fn db(name: &str, state: &str) -> SqlDatabase {
    SqlDatabase {
        id: format!("{}/databases/{name}", sql_id()),
        name: name.into(),
        auditing: Read::ok(audit_policy(state, None, false)),
    }
}

fn servers(s: &mut Snapshot, list: Vec<DatabaseServer>) {
    sub(s).database_servers = Read::ok(list);
}

fn pg(params: &[(&str, &str)]) -> DatabaseServer {
    DatabaseServer {
        id: pg_id(),
        name: "pg".into(),
        location: "westeurope".into(),
        engine: "postgresql".into(),
        deployment: "flexible".into(),
        parameters: Read::ok(
            params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        version: Read::default(),
    }
}

fn my(params: &[(&str, &str)]) -> DatabaseServer {
    DatabaseServer {
        id: my_id(),
        name: "my".into(),
        engine: "mysql".into(),
        ..pg(params)
    }
}

fn pg_unreadable() -> DatabaseServer {
    DatabaseServer {
        parameters: Read::failed(forbidden()),
        ..pg(&[])
    }
}

fn web_app(s: &mut Snapshot) {
    sub(s).web_apps = Read::ok(vec![WebApp {
        id: rid("Microsoft.Web/sites/app"),
        name: "app".into(),
        kind: "app".into(),
        ..Default::default()
    }]);
}

macro_rules! parameter_cases {
    ($v:ident, $check:expr, $server:ident, $param:expr, $good:expr, $bad:expr) => {
        $v.push(case!(
            $check,
            "parameter as wanted",
            || concat_id($server),
            Pass,
            |s| servers(s, vec![$server(&[($param, $good)])])
        ));
        $v.push(case!(
            $check,
            "parameter not as wanted",
            || concat_id($server),
            Fail,
            |s| servers(s, vec![$server(&[($param, $bad)])])
        ));
        $v.push(case!(
            $check,
            "parameter not reported",
            || concat_id($server),
            NotAssessed,
            |s| servers(s, vec![$server(&[])])
        ));
    };
}

/// The id of the server a builder makes.
fn concat_id(server: fn(&[(&str, &str)]) -> DatabaseServer) -> String {
    server(&[]).id
}

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    // SQL auditing
    v.push(case!(
        "LP-SQL-001",
        "server auditing to storage",
        sql_id,
        Pass,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Enabled", Some(0), false)),
            vec![],
            vec![]
        )
    ));
    v.push(case!(
        "LP-SQL-001",
        "to Azure Monitor through master's setting",
        sql_id,
        Pass,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Enabled", None, true)),
            vec![to_ws("audit", vec![log("SQLSecurityAuditEvents")])],
            vec![]
        )
    ));
    v.push(case!(
        "LP-SQL-001",
        "server off, every database audits itself: evidence, not a pass (CIS 3.0 5.1.1 audits the server)",
        sql_id,
        Fail,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Disabled", None, false)),
            vec![],
            vec![db("a", "Enabled"), db("b", "Enabled")]
        )
    ));
    v.push(case!(
        "LP-SQL-001",
        "server off, one database not audited",
        sql_id,
        Fail,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Disabled", None, false)),
            vec![],
            vec![db("a", "Enabled"), db("b", "Disabled")]
        )
    ));
    v.push(case!(
        "LP-SQL-001",
        "on, but Azure Monitor target without a setting on master",
        sql_id,
        Fail,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Enabled", None, true)),
            vec![to_ws("other", vec![log("Errors")])],
            vec![]
        )
    ));
    v.push(case!(
        "LP-SQL-001",
        "policy unreadable",
        sql_id,
        NotAssessed,
        |s| sql_server(s, Read::failed(forbidden()), vec![], vec![])
    ));
    v.push(case!(
        "LP-SQL-001",
        "state not reported",
        sql_id,
        NotAssessed,
        |s| sql_server(s, Read::ok(SqlAuditing::default()), vec![], vec![])
    ));
    v.push(case!(
        "LP-SQL-001",
        "a database's policy unreadable",
        sql_id,
        NotAssessed,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Disabled", None, false)),
            vec![],
            vec![SqlDatabase {
                auditing: Read::failed(forbidden()),
                ..db("a", "Enabled")
            }]
        )
    ));
    v.push(case!(
        "LP-SQL-001",
        "SQL servers unreadable",
        sub_scope,
        NotAssessed,
        |s| sub(s).sql_servers = Read::failed(forbidden())
    ));
    // SQL audit retention
    v.push(case!(
        "LP-SQL-002",
        "storage keeps them forever (0)",
        sql_id,
        Pass,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Enabled", Some(0), false)),
            vec![],
            vec![]
        )
    ));
    v.push(case!(
        "LP-SQL-002",
        "storage keeps 30 days, the workspace 120",
        sql_id,
        Pass,
        |s| {
            sub(s).workspaces = Read::ok(vec![workspace(120, vec![])]);
            sql_server(
                s,
                Read::ok(audit_policy("Enabled", Some(30), true)),
                vec![to_ws("audit", vec![log("SQLSecurityAuditEvents")])],
                vec![],
            );
        }
    ));
    v.push(case!(
        "LP-SQL-002",
        "storage keeps 90 days: not more than 90",
        sql_id,
        Fail,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Enabled", Some(90), false)),
            vec![],
            vec![]
        )
    ));
    v.push(case!(
        "LP-SQL-002",
        "the workspace's AzureDiagnostics table keeps 30 days",
        sql_id,
        Fail,
        |s| {
            sub(s).workspaces = Read::ok(vec![workspace(
                365,
                vec![table("AzureDiagnostics", Some(30), Some(30))],
            )]);
            sql_server(
                s,
                Read::ok(audit_policy("Enabled", None, true)),
                vec![to_ws("audit", vec![group("audit")])],
                vec![],
            );
        }
    ));
    v.push(case!(
        "LP-SQL-002",
        "workspace tables unreadable: its 365 days may not hold for the audit table",
        sql_id,
        NotAssessed,
        |s| {
            let mut w = workspace(365, vec![]);
            w.tables = Read::failed(forbidden());
            sub(s).workspaces = Read::ok(vec![w]);
            sql_server(
                s,
                Read::ok(audit_policy("Enabled", None, true)),
                vec![to_ws("audit", vec![log("SQLSecurityAuditEvents")])],
                vec![],
            );
        }
    ));
    v.push(case!(
        "LP-SQL-002",
        "workspace not in this scan",
        sql_id,
        NotAssessed,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Enabled", None, true)),
            vec![to_ws("audit", vec![log("SQLSecurityAuditEvents")])],
            vec![]
        )
    ));
    v.push(case!(
        "LP-SQL-002",
        "policy unreadable",
        sql_id,
        NotAssessed,
        |s| sql_server(s, Read::failed(forbidden()), vec![], vec![])
    ));
    v.push(case!(
        "LP-SQL-002",
        "no auditing: nothing to keep",
        sql_id,
        NotApplicable,
        |s| sql_server(
            s,
            Read::ok(audit_policy("Disabled", None, false)),
            vec![],
            vec![]
        )
    ));
    // PostgreSQL / MySQL parameters
    parameter_cases!(v, "LP-DB-001", pg, "log_checkpoints", "on", "off");
    parameter_cases!(
        v,
        "LP-DB-002",
        pg,
        "connection_throttle.enable",
        "ON",
        "off"
    );
    // A complete parameter list without it, from a server whose version was read: the server
    // does not offer it (not applicable, naming the version), never not assessed on every run.
    v.push(case!(
        "LP-DB-002",
        "absent from a version 16 server's complete parameter list",
        || concat_id(pg),
        NotApplicable,
        |s| servers(
            s,
            vec![DatabaseServer {
                version: Read::ok("16".into()),
                ..pg(&[("log_checkpoints", "on")])
            }]
        )
    ));
    v.push(case!(
        "LP-DB-002",
        "absent, and the server's version unreadable",
        || concat_id(pg),
        NotAssessed,
        |s| servers(
            s,
            vec![DatabaseServer {
                version: Read::failed(forbidden()),
                ..pg(&[])
            }]
        )
    ));
    v.push(case!(
        "LP-DB-002",
        "absent from a partial parameter list, version read",
        || concat_id(pg),
        NotAssessed,
        |s| servers(
            s,
            vec![DatabaseServer {
                parameters: Read::partial(Default::default(), Some(forbidden())),
                version: Read::ok("16".into()),
                ..pg(&[])
            }]
        )
    ));
    v.push(case!(
        "LP-DB-002",
        "off on a version 16 server is a failure like any other",
        || concat_id(pg),
        Fail,
        |s| servers(
            s,
            vec![DatabaseServer {
                version: Read::ok("16".into()),
                ..pg(&[("connection_throttle.enable", "off")])
            }]
        )
    ));
    parameter_cases!(v, "LP-DB-003", pg, "logfiles.retention_days", "7", "3");
    parameter_cases!(v, "LP-DB-004", pg, "log_connections", "on", "off");
    parameter_cases!(v, "LP-DB-005", pg, "log_disconnections", "on", "off");
    parameter_cases!(v, "LP-DB-006", my, "audit_log_enabled", "ON", "OFF");
    parameter_cases!(
        v,
        "LP-DB-007",
        my,
        "audit_log_events",
        "DDL, CONNECTION",
        "DDL,DCL,QUERY"
    );
    v.push(case!(
        "LP-DB-001",
        "parameters unreadable",
        pg_id,
        NotAssessed,
        |s| servers(s, vec![pg_unreadable()])
    ));
    v.push(case!(
        "LP-DB-003",
        "retention not a number",
        pg_id,
        NotAssessed,
        |s| servers(s, vec![pg(&[("logfiles.retention_days", "seven")])])
    ));
    v.push(case!(
        "LP-DB-007",
        "CONNECTION is a whole item, not a prefix",
        my_id,
        Fail,
        |s| servers(s, vec![my(&[("audit_log_events", "CONNECTION_ADMIN")])])
    ));
    v.push(case!(
        "LP-DB-007",
        "CONNECTION_V2, the detailed connection events, passes",
        my_id,
        Pass,
        |s| servers(s, vec![my(&[("audit_log_events", "DDL,CONNECTION_V2")])])
    ));
    v.push(case!(
        "LP-DB-006",
        "a default MySQL server with the audit log off fails (CIS 3.0 5.3.3 and 5.3.4)",
        my_id,
        Fail,
        |s| servers(
            s,
            vec![my(&[
                ("audit_log_enabled", "OFF"),
                ("audit_log_events", "CONNECTION")
            ])]
        )
    ));
    v.push(case!(
        "LP-DB-008",
        "flexible servers only",
        sub_scope,
        Pass,
        |s| servers(s, vec![pg(&[])])
    ));
    v.push(case!(
        "LP-DB-008",
        "a retired single server",
        single_id,
        Fail,
        |s| servers(
            s,
            vec![DatabaseServer {
                id: single_id(),
                name: "pg-old".into(),
                deployment: "single".into(),
                parameters: Read::default(),
                ..pg(&[])
            }]
        )
    ));
    v.push(case!(
        "LP-DB-008",
        "servers unreadable",
        sub_scope,
        NotAssessed,
        |s| sub(s).database_servers = Read::failed(forbidden())
    ));
    // App Service and Application Insights
    resource_cases!(
        v,
        "LP-APP-001",
        "Microsoft.Web/sites/app",
        "Microsoft.Web/sites",
        "app",
        &["AppServiceHTTPLogs"],
        &["AppServiceAuditLogs"]
    );
    resource_cases!(
        v,
        "LP-APP-002",
        "Microsoft.Web/sites/app",
        "Microsoft.Web/sites",
        "app,linux",
        &["AppServiceAuditLogs", "AppServiceIPSecAuditLogs"],
        &["AppServiceHTTPLogs", "AppServiceAuditLogs"]
    );
    resource_cases!(
        v,
        "LP-APP-003",
        "Microsoft.Web/sites/fn",
        "Microsoft.Web/sites",
        "functionapp",
        &["FunctionAppLogs"],
        &["AppServiceHTTPLogs"]
    );
    v.push(case!(
        "LP-APP-004",
        "a workspace-based component",
        sub_scope,
        Pass,
        |s| {
            web_app(s);
            sub(s).app_insights = Read::ok(vec![AppInsightsComponent {
                id: rid("Microsoft.Insights/components/appi"),
                name: "appi".into(),
                workspace_id: Some(ws_id()),
                ..Default::default()
            }]);
        }
    ));
    v.push(case!(
        "LP-APP-004",
        "apps without Application Insights",
        sub_scope,
        Fail,
        web_app
    ));
    v.push(case!(
        "LP-APP-004",
        "no app: nothing to instrument",
        sub_scope,
        NotApplicable,
        |_| {}
    ));
    v.push(case!(
        "LP-APP-004",
        "components unreadable",
        sub_scope,
        NotAssessed,
        |s| sub(s).app_insights = Read::failed(forbidden())
    ));
    v.push(case!(
        "LP-APP-004",
        "apps unreadable and no component",
        sub_scope,
        NotAssessed,
        |s| sub(s).web_apps = Read::failed(forbidden())
    ));
    // The types a responder reads first
    resource_cases!(
        v,
        "LP-SQL-003",
        "Microsoft.Sql/managedInstances/mi",
        "Microsoft.Sql/managedInstances",
        "",
        &["SQLSecurityAuditEvents"],
        &["ResourceUsageStats"]
    );
    resource_cases!(
        v,
        "LP-AKS-001",
        "Microsoft.ContainerService/managedClusters/aks",
        "Microsoft.ContainerService/managedClusters",
        "",
        &["kube-audit-admin", "guard"],
        &["kube-audit", "kube-apiserver"]
    );
    resource_cases!(
        v,
        "LP-FW-001",
        "Microsoft.Network/azureFirewalls/fw",
        "Microsoft.Network/azureFirewalls",
        "",
        &[
            "AZFWNetworkRule",
            "AzureFirewallApplicationRule",
            "AZFWDnsQuery"
        ],
        &["AZFWNetworkRule", "AZFWApplicationRule"]
    );
    resource_cases!(
        v,
        "LP-WAF-001",
        "Microsoft.Network/applicationGateways/agw",
        "Microsoft.Network/applicationGateways",
        "",
        &[
            "ApplicationGatewayAccessLog",
            "ApplicationGatewayFirewallLog"
        ],
        &["ApplicationGatewayAccessLog"]
    );
    resource_cases!(
        v,
        "LP-WAF-002",
        "Microsoft.Cdn/profiles/afd",
        "Microsoft.Cdn/profiles",
        "",
        &["FrontDoorAccessLog", "FrontDoorWebApplicationFirewallLog"],
        &["FrontDoorAccessLog"]
    );
    resource_cases!(
        v,
        "LP-BAS-001",
        "Microsoft.Network/bastionHosts/bas",
        "Microsoft.Network/bastionHosts",
        "",
        &["BastionAuditLogs"],
        &["Other"]
    );
    resource_cases!(
        v,
        "LP-APIM-001",
        "Microsoft.ApiManagement/service/apim",
        "Microsoft.ApiManagement/service",
        "",
        &["GatewayLogs"],
        &["Other"]
    );
    resource_cases!(
        v,
        "LP-COSMOS-001",
        "Microsoft.DocumentDB/databaseAccounts/cosmos",
        "Microsoft.DocumentDB/databaseAccounts",
        "",
        &["DataPlaneRequests"],
        &["ControlPlaneRequests"]
    );
    resource_cases!(
        v,
        "LP-STLOG-001",
        "Microsoft.Storage/storageAccounts/st/blobServices/default",
        "Microsoft.Storage/storageAccounts/blobServices",
        "",
        &["StorageRead", "StorageWrite", "StorageDelete"],
        &["StorageWrite", "StorageDelete"]
    );
    resource_cases!(
        v,
        "LP-STLOG-002",
        "Microsoft.Storage/storageAccounts/st/queueServices/default",
        "Microsoft.Storage/storageAccounts/queueServices",
        "",
        &["StorageRead", "StorageWrite", "StorageDelete"],
        &["StorageRead"]
    );
    resource_cases!(
        v,
        "LP-STLOG-003",
        "Microsoft.Storage/storageAccounts/st/tableServices/default",
        "Microsoft.Storage/storageAccounts/tableServices",
        "",
        &["StorageRead", "StorageWrite", "StorageDelete"],
        &[]
    );
    v
}
