//! Microsoft.OperationalInsights: Log Analytics workspaces (retention, SKU, daily cap, access
//! mode), their tables' retention, the legacy agents' security-event tier and Windows event
//! sources, and billable volume by data type from the `Usage` table (Log Analytics query API).

use super::arm::ArmClient;
use super::lenient::{
    arm_id, bool_lenient, null_vec, opt_bool_lenient, opt_f64_lenient, opt_nonempty,
    opt_u32_lenient, require_properties, string_or_empty, Envelope,
};
use crate::inventory::{
    LegacySecurityEvents, Read, ReadError, UsageByType, Workspace, WorkspaceTable,
};
use serde::Deserialize;

const WORKSPACES_API: &str = "2022-10-01";
const DATA_SOURCES_API: &str = "2020-08-01";
const SENTINEL_API: &str = "2024-09-01";

/// Billable GB by data type over 30 days (`Quantity` is MB).
pub const USAGE_QUERY: &str = "Usage | where TimeGenerated > ago(30d) | where IsBillable == true | summarize GB = sum(Quantity) / 1000. by DataType";

type ArmWorkspace = Envelope<WorkspaceProps>;

#[derive(Debug, Default, Deserialize)]
struct WorkspaceProps {
    #[serde(rename = "customerId", default, deserialize_with = "string_or_empty")]
    customer_id: String,
    #[serde(default)]
    sku: Option<Sku>,
    #[serde(
        rename = "retentionInDays",
        default,
        deserialize_with = "opt_u32_lenient"
    )]
    retention_in_days: Option<u32>,
    #[serde(rename = "workspaceCapping", default)]
    capping: Option<Capping>,
    #[serde(default)]
    features: Option<Features>,
}

#[derive(Debug, Default, Deserialize)]
struct Sku {
    #[serde(default, deserialize_with = "opt_nonempty")]
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Capping {
    #[serde(rename = "dailyQuotaGb", default, deserialize_with = "opt_f64_lenient")]
    daily_quota_gb: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct Features {
    #[serde(
        rename = "enableLogAccessUsingOnlyResourcePermissions",
        default,
        deserialize_with = "opt_bool_lenient"
    )]
    resource_permissions: Option<bool>,
}

type ArmTable = Envelope<TableProps>;

#[derive(Debug, Default, Deserialize)]
struct TableProps {
    #[serde(default, deserialize_with = "opt_nonempty")]
    plan: Option<String>,
    #[serde(
        rename = "retentionInDays",
        default,
        deserialize_with = "opt_u32_lenient"
    )]
    retention_in_days: Option<u32>,
    #[serde(
        rename = "totalRetentionInDays",
        default,
        deserialize_with = "opt_u32_lenient"
    )]
    total_retention_in_days: Option<u32>,
    #[serde(
        rename = "retentionInDaysAsDefault",
        default,
        deserialize_with = "bool_lenient"
    )]
    retention_is_default: bool,
    #[serde(
        rename = "totalRetentionInDaysAsDefault",
        default,
        deserialize_with = "bool_lenient"
    )]
    total_retention_is_default: bool,
}

#[derive(Debug, Deserialize)]
struct ArmDataSource {
    #[serde(default)]
    properties: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct SecurityEventProps {
    #[serde(
        rename = "Tier",
        alias = "tier",
        default,
        deserialize_with = "opt_nonempty"
    )]
    tier: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WindowsEventProps {
    #[serde(rename = "eventLogName", default, deserialize_with = "string_or_empty")]
    event_log_name: String,
    #[serde(rename = "eventTypes", default, deserialize_with = "null_vec")]
    _event_types: Vec<serde_json::Value>,
}

/// Workspaces of a subscription, without their per-workspace reads.
pub async fn list(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<Workspace>, ReadError> {
    let items: Vec<ArmWorkspace> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.OperationalInsights/workspaces",
            "workspaces.list",
            WORKSPACES_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "workspaces.list", errors);
    Ok(items
        .into_iter()
        .map(|w| {
            let p = w.properties.unwrap_or_default();
            Workspace {
                id: arm_id(&w.id),
                name: w.name,
                location: w.location,
                customer_id: p.customer_id,
                sku: p.sku.and_then(|s| s.name),
                retention_in_days: p.retention_in_days,
                daily_quota_gb: p.capping.and_then(|c| c.daily_quota_gb),
                resource_permissions_access: p.features.and_then(|f| f.resource_permissions),
                ..Default::default()
            }
        })
        .collect())
}

/// Tables, data sources and usage of one workspace, filled in place.
pub async fn fill_details(
    client: &ArmClient,
    ws: &mut Workspace,
    measure_usage: bool,
    errors: &mut Vec<ReadError>,
) {
    let tables_path = format!("{}/tables", ws.id);
    let mut e0 = Vec::new();
    let tables = client.list::<ArmTable>(
        &ws.id,
        "tables.list",
        &tables_path,
        WORKSPACES_API,
        &[],
        &mut e0,
    );
    let ds_path = format!("{}/dataSources", ws.id);
    let sec_filter = [("$filter", "kind='SecurityEventCollectionConfiguration'")];
    let win_filter = [("$filter", "kind='WindowsEvent'")];
    // Microsoft Sentinel's "Security Events" connector keeps the legacy tier in its own kind.
    let sentinel_filter = [(
        "$filter",
        "kind='SecurityInsightsSecurityEventCollectionConfiguration'",
    )];
    let mut e1 = Vec::new();
    let mut e2 = Vec::new();
    let mut e3 = Vec::new();
    let security = client.list::<ArmDataSource>(
        &ws.id,
        "dataSources.list",
        &ds_path,
        DATA_SOURCES_API,
        &sec_filter,
        &mut e1,
    );
    let windows = client.list::<ArmDataSource>(
        &ws.id,
        "dataSources.list",
        &ds_path,
        DATA_SOURCES_API,
        &win_filter,
        &mut e2,
    );
    let sentinel = client.list::<ArmDataSource>(
        &ws.id,
        "dataSources.list",
        &ds_path,
        DATA_SOURCES_API,
        &sentinel_filter,
        &mut e3,
    );
    // Onboarded to Microsoft Sentinel: one `default` onboarding state; an empty list means not
    // onboarded. It changes the price per GB and the free retention days.
    let onboarding_path = format!(
        "{}/providers/Microsoft.SecurityInsights/onboardingStates",
        ws.id
    );
    let mut e4 = Vec::new();
    let onboarding = client.list::<serde_json::Value>(
        &ws.id,
        "sentinelOnboardingStates.list",
        &onboarding_path,
        SENTINEL_API,
        &[],
        &mut e4,
    );
    let (tables, security, windows, sentinel, onboarding) =
        futures::join!(tables, security, windows, sentinel, onboarding);
    let tables_item_error = e0.first().cloned();
    errors.extend(e0);
    errors.extend(e1);
    errors.extend(e2);
    errors.extend(e3);
    ws.sentinel_enabled = match onboarding {
        // A list with unreadable items is not proof either way.
        Ok(items) if e4.is_empty() => Some(!items.is_empty()),
        Ok(_) => None,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    errors.extend(e4);

    ws.tables = Read::from_result(tables.map(|ts| {
        ts.into_iter()
            .filter(|t| !t.name.is_empty())
            .map(|t| {
                let p = t.properties.unwrap_or_default();
                WorkspaceTable {
                    name: t.name,
                    plan: p.plan,
                    retention_in_days: p.retention_in_days,
                    total_retention_in_days: p.total_retention_in_days,
                    retention_is_default: p.retention_is_default,
                    total_retention_is_default: p.total_retention_is_default,
                }
            })
            .collect()
    }));
    if let (Some(e), None) = (tables_item_error, &ws.tables.error) {
        // A table that could not be read may be the one a check needs: not assessed.
        ws.tables.error = Some(e);
    }
    let tier_of = |items: Vec<ArmDataSource>| {
        items
            .into_iter()
            .filter_map(|d| d.properties)
            .filter_map(|p| serde_json::from_value::<SecurityEventProps>(p).ok())
            .find_map(|p| p.tier)
    };
    // Either data source may hold the tier; both must be read to know there is none.
    ws.security_event_tier = Read::from_result(
        security
            .and_then(|a| sentinel.map(|b| tier_of(a).or(tier_of(b))))
            .map(|tier| LegacySecurityEvents { tier }),
    );
    ws.windows_event_logs = Read::from_result(windows.map(|items| {
        items
            .into_iter()
            .filter_map(|d| d.properties)
            .filter_map(|p| serde_json::from_value::<WindowsEventProps>(p).ok())
            .map(|p| p.event_log_name)
            .filter(|n| !n.is_empty())
            .collect()
    }));
    if measure_usage {
        ws.usage = Read::from_result(measure(client, ws).await);
    }
}

/// 30 days of billable GB by data type. A 403 leaves the workspace "not measured".
async fn measure(client: &ArmClient, ws: &Workspace) -> Result<Vec<UsageByType>, ReadError> {
    if ws.customer_id.is_empty() {
        return Err(ReadError {
            scope: ws.id.clone(),
            operation: "logAnalytics.query".into(),
            status: None,
            code: Some("NoCustomerId".into()),
            message: "the workspace has no customerId to query".into(),
        });
    }
    let result = client
        .query_workspace(&ws.id, &ws.customer_id, USAGE_QUERY)
        .await?;
    let not_measured = |why: &str| ReadError {
        scope: ws.id.clone(),
        operation: "logAnalytics.query".into(),
        status: Some(200),
        code: Some("UsageNotReadable".into()),
        message: format!("the Usage query answered {why}; volume is not measured"),
    };
    let mut out = Vec::new();
    let mut answered = false;
    for table in result.tables {
        let dt = table.columns.iter().position(|c| c.name == "DataType");
        let gb = table.columns.iter().position(|c| c.name == "GB");
        let (Some(dt), Some(gb)) = (dt, gb) else {
            continue;
        };
        answered = true;
        for row in table.rows {
            let name = row
                .get(dt)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            let value = row.get(gb).and_then(|v| {
                v.as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            });
            match (name.is_empty(), value) {
                (false, Some(v)) if crate::inventory::bounds::gb_30d(v) => out.push(UsageByType {
                    data_type: name,
                    gb_30d: v,
                }),
                (false, Some(v)) => {
                    return Err(not_measured(&format!(
                        "{v} GB for {name} in 30 days, beyond any real volume"
                    )))
                }
                // One unreadable row makes every total unreliable.
                _ => {
                    return Err(not_measured(
                        "a row without a data type or a readable GB value",
                    ))
                }
            }
        }
    }
    if !answered {
        return Err(not_measured("without the DataType and GB columns"));
    }
    // A workspace that logs anything has billable Usage rows; none at all is more likely an
    // answer we cannot trust than a free workspace, and zero must never be a measured figure.
    if out.is_empty() {
        return Err(not_measured("no rows"));
    }
    out.sort_by(|a, b| a.data_type.cmp(&b.data_type));
    Ok(out)
}
