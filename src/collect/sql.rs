//! Azure SQL: each logical server's auditing policy (`auditingSettings`), where its records go
//! (storage with its retention, and the `master` database's diagnostic settings when the Azure
//! Monitor target is on), and the databases' own policies where the server's is off.
//!
//! ARM has no subscription-wide list of auditing policies: one read per server, plus one per
//! database only where the server does not audit (the server policy covers every database).

use super::arm::ArmClient;
use super::diagnostics;
use super::lenient::{
    arm_id, null_vec, opt_bool_lenient, opt_nonempty, opt_u32_lenient, require_properties, Envelope,
};
use crate::inventory::{
    id_key, type_key, Read, ReadError, Resource, SqlAuditing, SqlDatabase, SqlServer,
};
use serde::Deserialize;

const SQL_API: &str = "2021-11-01";

#[derive(Debug, Default, Deserialize)]
struct AuditingProps {
    #[serde(default, deserialize_with = "opt_nonempty")]
    state: Option<String>,
    #[serde(rename = "storageEndpoint", default, deserialize_with = "opt_nonempty")]
    storage_endpoint: Option<String>,
    #[serde(
        rename = "retentionDays",
        default,
        deserialize_with = "opt_u32_lenient"
    )]
    retention_days: Option<u32>,
    #[serde(
        rename = "isAzureMonitorTargetEnabled",
        default,
        deserialize_with = "opt_bool_lenient"
    )]
    azure_monitor_target: Option<bool>,
    #[serde(
        rename = "auditActionsAndGroups",
        default,
        deserialize_with = "null_vec"
    )]
    audit_actions_and_groups: Vec<String>,
}

/// The servers among the subscription's resources, with their auditing read.
pub async fn servers(
    client: &ArmClient,
    resources: &[Resource],
) -> (Vec<SqlServer>, Vec<ReadError>) {
    let servers: Vec<&Resource> = resources
        .iter()
        .filter(|r| type_key(&r.resource_type) == "microsoft.sql/servers")
        .collect();
    let read = futures::future::join_all(servers.into_iter().map(|s| async move {
        let mut errors = Vec::new();
        let server = server(client, s, resources, &mut errors).await;
        (server, errors)
    }))
    .await;
    super::with_all_errors(read)
}

async fn server(
    client: &ArmClient,
    s: &Resource,
    resources: &[Resource],
    errors: &mut Vec<ReadError>,
) -> SqlServer {
    let server_policy = auditing(client, &s.id, "sql.serverAuditingSettings.list").await;
    let server_policy = record(server_policy, errors);
    let mut out = SqlServer {
        id: s.id.clone(),
        name: s.name.clone(),
        location: s.location.clone(),
        auditing: server_policy.clone(),
        ..Default::default()
    };
    let Some(policy) = server_policy.complete() else {
        return out;
    };
    if policy.azure_monitor_target == Some(true) {
        // Audit records for Log Analytics and event hubs leave through master's settings.
        let master = format!("{}/databases/master", s.id);
        let mut item_errors = Vec::new();
        let settings = diagnostics::resource_settings(client, &master, &mut item_errors).await;
        if let Err(e) = &settings {
            errors.push(e.clone());
        }
        errors.extend(item_errors.iter().cloned());
        out.master_diagnostic_settings = super::with_item_errors(settings, &item_errors);
    }
    if policy.enabled() == Some(false) {
        let prefix = format!("{}/databases/", id_key(&s.id));
        let dbs = resources.iter().filter(|r| {
            type_key(&r.resource_type) == "microsoft.sql/servers/databases"
                && id_key(&r.id).starts_with(&prefix)
                && !r.name.eq_ignore_ascii_case("master")
        });
        let read = futures::future::join_all(dbs.map(|db| async move {
            let a = auditing(client, &db.id, "sql.databaseAuditingSettings.list").await;
            (db, a)
        }))
        .await;
        for (db, a) in read {
            out.databases.push(SqlDatabase {
                id: db.id.clone(),
                name: db.name.clone(),
                auditing: record(a, errors),
            });
        }
    }
    out
}

fn record<T>(r: Result<T, ReadError>, errors: &mut Vec<ReadError>) -> Read<T> {
    if let Err(e) = &r {
        errors.push(e.clone());
    }
    Read::from_result(r)
}

/// The `default` policy of a server or database (the list has exactly that one).
async fn auditing(client: &ArmClient, parent: &str, op: &str) -> Result<SqlAuditing, ReadError> {
    let path = format!("{parent}/auditingSettings");
    let mut item_errors = Vec::new();
    let items: Vec<Envelope<AuditingProps>> = client
        .list(parent, op, &path, SQL_API, &[], &mut item_errors)
        .await?;
    let items = require_properties(items, op, &mut item_errors);
    if let Some(e) = item_errors.into_iter().next() {
        return Err(e);
    }
    let policy = items
        .into_iter()
        .find(|i| i.name.eq_ignore_ascii_case("default") || i.name.is_empty())
        .and_then(|i| i.properties)
        .ok_or_else(|| ReadError {
            scope: arm_id(parent),
            operation: op.to_string(),
            status: Some(200),
            code: Some("MissingPolicy".into()),
            message: "the auditing settings list has no `default` policy".into(),
        })?;
    Ok(SqlAuditing {
        state: policy.state,
        storage_endpoint: policy.storage_endpoint,
        retention_days: policy.retention_days,
        azure_monitor_target: policy.azure_monitor_target,
        audit_actions_and_groups: policy.audit_actions_and_groups,
    })
}
