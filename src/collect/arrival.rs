//! Proof that logs arrive: for every pipeline the scan found configured into a workspace, the
//! workspace is asked (Log Analytics query API) when it last received data from each source.
//! One bounded query per workspace and table family, over the last 7 days, summarised by the
//! source's key (`_ResourceId`, subscription, table): never a scan of raw rows into the report.
//! The queries are pinned here (the tests' query API answers only these).
//!
//! Tables on the Basic or Auxiliary plan are billed per GB a query scans: a family that would
//! read one is not queried unless `--query-paid-tables`, and is recorded as not queried.

use super::arm::ArmClient;
use crate::inventory::{
    id_key, DiagnosticSetting, LastSeen, Read, ReadError, SubscriptionInventory, Workspace,
};
use std::collections::{BTreeMap, BTreeSet};

/// The window every arrival query reads (ISO 8601 for the API's `timespan`).
pub const WINDOW: &str = "P7D";

/// Resource-specific tables resource logs land in (besides AzureDiagnostics), queried where
/// the workspace has them.
pub const RESOURCE_TABLES: &[&str] = &[
    "AGWAccessLogs",
    "AGWFirewallLogs",
    "AKSAudit",
    "AKSAuditAdmin",
    "AKSControlPlane",
    "AZFWApplicationRule",
    "AZFWDnsQuery",
    "AZFWNetworkRule",
    "AZKVAuditLogs",
    "ApiManagementGatewayLogs",
    "AppServiceAuditLogs",
    "AppServiceHTTPLogs",
    "CDBDataPlaneRequests",
    "DNSQueryLogs",
    "LAQueryLogs",
    "MicrosoftAzureBastionAuditLogs",
    "SQLSecurityAuditEvents",
    "StorageBlobLogs",
    "StorageFileLogs",
    "StorageQueueLogs",
    "StorageTableLogs",
];

/// The Entra tables of the always-on categories (see `evaluate::rules::arrival`).
pub const ENTRA_TABLES: &[&str] = &[
    "SigninLogs",
    "AADNonInteractiveUserSignInLogs",
    "AADServicePrincipalSignInLogs",
    "AuditLogs",
    "MicrosoftGraphActivityLogs",
];

/// Traffic analytics of VNet flow logs (schema: Network Watcher "Traffic analytics schema").
const TRAFFIC_VNET: &str = "NTANetAnalytics | where TimeGenerated > ago(7d) and SubType == \"FlowLog\" | summarize LastSeen = max(TimeGenerated) by Key = tolower(FlowLogResourceId)";
/// Traffic analytics of NSG flow logs (retired for new flow logs; existing ones still write).
const TRAFFIC_NSG: &str = "AzureNetworkAnalytics_CL | where TimeGenerated > ago(7d) and SubType_s == \"FlowLog\" | summarize LastSeen = max(TimeGenerated) by Key = tolower(NSGList_s)";

/// The pinned query of a family; `resource_tables` are the resource-specific tables the
/// workspace has (the resource family only).
pub fn query(family: &str, resource_tables: &[&str]) -> Option<String> {
    let q = match family {
        "activity" => "AzureActivity | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(SubscriptionId)".to_string(),
        "entra" => format!(
            "union isfuzzy=true withsource=SourceTable {} | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(SourceTable)",
            ENTRA_TABLES.join(", ")
        ),
        "resource" => {
            let mut tables = vec!["AzureDiagnostics"];
            tables.extend(resource_tables);
            format!(
                "union isfuzzy=true {} | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(_ResourceId)",
                tables.join(", ")
            )
        }
        "security_events" => "SecurityEvent | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(_ResourceId)".to_string(),
        "syslog" => "Syslog | where TimeGenerated > ago(7d) and Facility in (\"auth\", \"authpriv\") | summarize LastSeen = max(TimeGenerated) by Key = tolower(_ResourceId)".to_string(),
        "heartbeat" => "Heartbeat | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(_ResourceId)".to_string(),
        // Flow records only (SubType FlowLog): Microsoft documents the other subtypes as
        // internal. VNet flow logs land in NTANetAnalytics, keyed by the flow log
        // (`rg/watcher/flowlog`); NSG flow logs in AzureNetworkAnalytics_CL, keyed by the NSG
        // (`subscription/rg/nsg`). isfuzzy: a workspace without the NSG table still answers.
        "traffic" => format!(
            "union isfuzzy=true ({TRAFFIC_VNET}), ({TRAFFIC_NSG})"
        ),
        _ => return None,
    };
    Some(q)
}

/// The tables a family's query reads in `ws`.
fn tables_read(family: &str, ws: &Workspace) -> Vec<String> {
    let has = |t: &str| {
        ws.tables
            .items()
            .iter()
            .any(|x| x.name.eq_ignore_ascii_case(t))
    };
    match family {
        "activity" => vec!["AzureActivity".into()],
        "entra" => ENTRA_TABLES.iter().map(|t| t.to_string()).collect(),
        "resource" => std::iter::once("AzureDiagnostics")
            .chain(RESOURCE_TABLES.iter().copied().filter(|t| has(t)))
            .map(str::to_string)
            .collect(),
        "security_events" => vec!["SecurityEvent".into()],
        "syslog" => vec!["Syslog".into()],
        "heartbeat" => vec!["Heartbeat".into()],
        "traffic" => vec!["NTANetAnalytics".into(), "AzureNetworkAnalytics_CL".into()],
        _ => Vec::new(),
    }
}

/// Tables of `names` on a plan billed per query (Basic, Auxiliary) in `ws`.
fn paid_tables(ws: &Workspace, names: &[String]) -> Vec<String> {
    ws.tables
        .items()
        .iter()
        .filter(|t| names.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
        .filter(|t| {
            t.plan.as_deref().is_some_and(|p| {
                p.eq_ignore_ascii_case("Basic") || p.eq_ignore_ascii_case("Auxiliary")
            })
        })
        .map(|t| t.name.clone())
        .collect()
}

fn sends_to(s: &DiagnosticSetting) -> Option<String> {
    s.workspace_id
        .as_deref()
        .filter(|_| s.sends_logs())
        .map(id_key)
}

/// Which families each workspace (id key) must be asked about: where a configured pipeline
/// sends that data.
pub fn needed(
    subs: &[SubscriptionInventory],
    entra: &[DiagnosticSetting],
) -> BTreeMap<String, BTreeSet<&'static str>> {
    let mut out: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let mut add = |ws: String, family: &'static str| {
        out.entry(ws).or_default().insert(family);
    };
    for s in entra {
        if let Some(ws) = sends_to(s) {
            add(ws, "entra");
        }
    }
    let rules: BTreeMap<String, &crate::inventory::DataCollectionRule> = subs
        .iter()
        .flat_map(|s| s.data_collection_rules.items())
        .map(|r| (id_key(&r.id), r))
        .collect();
    for sub in subs {
        for s in sub.activity_log_settings.items() {
            if let Some(ws) = sends_to(s) {
                add(ws, "activity");
            }
        }
        for rd in &sub.resource_diagnostics {
            for s in rd.settings.items() {
                if let Some(ws) = sends_to(s) {
                    add(ws, "resource");
                }
            }
        }
        // SQL audit to a workspace: the master database's setting carries the records.
        for server in sub.sql_servers.items() {
            for s in server.master_diagnostic_settings.items() {
                if let Some(ws) = sends_to(s) {
                    add(ws, "resource");
                }
            }
        }
        for ws in sub
            .flow_logs
            .items()
            .iter()
            .filter_map(|f| f.traffic_analytics_workspace())
        {
            add(id_key(ws), "traffic");
        }
        for vm in sub.virtual_machines.items() {
            for r in vm.dcr_associations.items() {
                let Some(rule) = rules.get(&id_key(r)) else {
                    continue;
                };
                for ws in &rule.workspace_destinations {
                    add(id_key(ws), "heartbeat");
                    if !rule.security_event_xpaths.is_empty() {
                        add(id_key(ws), "security_events");
                    }
                    if !rule.syslog.is_empty() {
                        add(id_key(ws), "syslog");
                    }
                }
            }
        }
    }
    out
}

/// Asks every workspace in `subs` about the families pipelines send it, in parallel (the
/// client keeps the query API's concurrency limit).
pub async fn read(
    client: &ArmClient,
    subs: &mut [SubscriptionInventory],
    entra: &[DiagnosticSetting],
    query_paid_tables: bool,
) -> Vec<ReadError> {
    let wanted = needed(subs, entra);
    let mut jobs = Vec::new();
    for (si, sub) in subs.iter().enumerate() {
        for (wi, ws) in sub.workspaces.items().iter().enumerate() {
            let Some(families) = wanted.get(&id_key(&ws.id)) else {
                continue;
            };
            for family in families {
                jobs.push((si, wi, *family, ws.clone()));
            }
        }
    }
    let answers =
        futures::future::join_all(jobs.into_iter().map(|(si, wi, family, ws)| async move {
            (
                si,
                wi,
                family,
                ask(client, &ws, family, query_paid_tables).await,
            )
        }))
        .await;
    let mut errors = Vec::new();
    for (si, wi, family, answer) in answers {
        if let Some(e) = &answer.error {
            errors.push(e.clone());
        }
        if let Some(ws) = subs[si]
            .workspaces
            .value
            .as_mut()
            .and_then(|w| w.get_mut(wi))
        {
            ws.arrival.insert(family.to_string(), answer);
        }
    }
    errors
}

/// One family of one workspace.
async fn ask(
    client: &ArmClient,
    ws: &Workspace,
    family: &str,
    query_paid_tables: bool,
) -> Read<Vec<LastSeen>> {
    let operation = "logAnalytics.query(arrival)";
    if ws.customer_id.is_empty() {
        return Read::failed(ReadError::unknown(
            &ws.id,
            operation,
            "NoCustomerId",
            "the workspace has no customerId to query",
        ));
    }
    let tables = tables_read(family, ws);
    let paid = paid_tables(ws, &tables);
    if !paid.is_empty() && !query_paid_tables {
        return Read::failed(ReadError {
            scope: ws.id.clone(),
            operation: operation.into(),
            status: None,
            code: Some("PaidTableNotQueried".into()),
            message: format!(
                "{} is on a plan billed per GB a query scans: not queried without --query-paid-tables",
                crate::support::text::and_list(&paid)
            ),
        });
    }
    let resource_tables: Vec<&str> = tables
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "AzureDiagnostics")
        .collect();
    let Some(kql) = query(family, &resource_tables) else {
        return Read::default();
    };
    let result = match client
        .query_workspace_window(&ws.id, &ws.customer_id, &kql, WINDOW)
        .await
    {
        Ok(r) => r,
        Err(e) => return Read::failed(e),
    };
    let mut out = Vec::new();
    let mut bad = None;
    for table in result.tables {
        let key = table.columns.iter().position(|c| c.name == "Key");
        let seen = table.columns.iter().position(|c| c.name == "LastSeen");
        let (Some(key), Some(seen)) = (key, seen) else {
            continue;
        };
        for row in table.rows {
            let k = row.get(key).and_then(|v| v.as_str()).unwrap_or_default();
            let t = row.get(seen).and_then(|v| v.as_str()).unwrap_or_default();
            let valid =
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .is_ok();
            if k.is_empty() || k.len() > 2048 || !valid {
                bad = Some(ReadError {
                    scope: ws.id.clone(),
                    operation: operation.into(),
                    status: Some(200),
                    code: Some("MalformedPayload".into()),
                    message: "a row of the arrival query has no key or no readable time".into(),
                });
                continue;
            }
            out.push(LastSeen {
                key: k.to_lowercase(),
                last_seen: t.to_string(),
            });
        }
    }
    Read::partial(out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_has_a_bounded_query() {
        for f in crate::inventory::ARRIVAL_FAMILIES {
            let q = query(f, &["AZKVAuditLogs"]).unwrap();
            assert!(
                q.contains("ago(7d)") && q.contains("summarize LastSeen = max(TimeGenerated)"),
                "{q}"
            );
        }
        assert!(query("resource", &["AZKVAuditLogs"])
            .unwrap()
            .contains("AzureDiagnostics, AZKVAuditLogs"));
    }
}
