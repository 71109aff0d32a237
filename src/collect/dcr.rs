//! Azure Monitor Agent coverage: data collection rules (Windows event xPath queries, Syslog
//! facilities and levels, streams, workspace destinations), the subscription's virtual machines
//! (OS type), and each VM's data collection rule associations.

use super::arm::ArmClient;
use super::lenient::{arm_id, null_vec, opt_nonempty, require_properties, Envelope};
use crate::inventory::{DataCollectionRule, Read, ReadError, SyslogSource, VirtualMachine};
use serde::Deserialize;

const DCR_API: &str = "2022-06-01";
const COMPUTE_API: &str = "2024-07-01";
pub const SECURITY_EVENT_STREAM: &str = "Microsoft-SecurityEvent";

type ArmDcr = Envelope<DcrProps>;

#[derive(Debug, Default, Deserialize)]
struct DcrProps {
    #[serde(rename = "dataSources", default)]
    data_sources: Option<DataSources>,
    #[serde(default)]
    destinations: Option<Destinations>,
    #[serde(rename = "dataFlows", default, deserialize_with = "null_vec")]
    data_flows: Vec<DataFlow>,
}

#[derive(Debug, Default, Deserialize)]
struct DataSources {
    #[serde(rename = "windowsEventLogs", default, deserialize_with = "null_vec")]
    windows_event_logs: Vec<WindowsEventSource>,
    #[serde(default, deserialize_with = "null_vec")]
    syslog: Vec<SyslogProps>,
}

#[derive(Debug, Default, Deserialize)]
struct SyslogProps {
    #[serde(default, deserialize_with = "null_vec")]
    streams: Vec<String>,
    #[serde(rename = "facilityNames", default, deserialize_with = "null_vec")]
    facility_names: Vec<String>,
    #[serde(rename = "logLevels", default, deserialize_with = "null_vec")]
    log_levels: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct WindowsEventSource {
    #[serde(default, deserialize_with = "null_vec")]
    streams: Vec<String>,
    #[serde(rename = "xPathQueries", default, deserialize_with = "null_vec")]
    x_path_queries: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Destinations {
    #[serde(rename = "logAnalytics", default, deserialize_with = "null_vec")]
    log_analytics: Vec<LaDestination>,
}

#[derive(Debug, Default, Deserialize)]
struct LaDestination {
    #[serde(
        rename = "workspaceResourceId",
        default,
        deserialize_with = "opt_nonempty"
    )]
    workspace_resource_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct DataFlow {
    #[serde(default, deserialize_with = "null_vec")]
    streams: Vec<String>,
}

pub async fn rules(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<DataCollectionRule>, ReadError> {
    let items: Vec<ArmDcr> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Insights/dataCollectionRules",
            "dataCollectionRules.list",
            DCR_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "dataCollectionRules.list", errors);
    Ok(items
        .into_iter()
        .filter_map(|d| {
            let p = d.properties.unwrap_or_default();
            let mut rule = DataCollectionRule {
                id: arm_id(&d.id),
                name: d.name,
                location: d.location,
                ..Default::default()
            };
            let sources = p.data_sources.unwrap_or_default();
            for src in sources.syslog {
                for s in &src.streams {
                    if !rule.streams.contains(s) {
                        rule.streams.push(s.clone());
                    }
                }
                if src.streams.is_empty() {
                    // A source must name its stream; without one what it feeds is unknown, so
                    // the rule is left out (the list is partial: its VMs are not assessed).
                    errors.push(ReadError {
                        scope: rule.id.clone(),
                        operation: "dataCollectionRules.list".into(),
                        status: Some(200),
                        code: Some("MalformedPayload".into()),
                        message: "a Syslog data source names no stream".into(),
                    });
                    return None;
                }
                rule.syslog.push(SyslogSource {
                    facilities: src.facility_names,
                    levels: src.log_levels,
                    streams: src.streams,
                });
            }
            for src in sources.windows_event_logs {
                let security = src
                    .streams
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(SECURITY_EVENT_STREAM));
                if security {
                    rule.security_event_xpaths.extend(src.x_path_queries);
                } else {
                    rule.other_windows_event_xpaths.extend(src.x_path_queries);
                }
                for s in src.streams {
                    if !rule.streams.contains(&s) {
                        rule.streams.push(s);
                    }
                }
            }
            for flow in p.data_flows {
                for s in flow.streams {
                    if !rule.streams.contains(&s) {
                        rule.streams.push(s);
                    }
                }
            }
            rule.workspace_destinations = p
                .destinations
                .unwrap_or_default()
                .log_analytics
                .into_iter()
                .filter_map(|l| l.workspace_resource_id.map(|w| arm_id(&w)))
                .collect();
            Some(rule)
        })
        .collect())
}

type ArmVm = Envelope<VmProps>;

#[derive(Debug, Default, Deserialize)]
struct VmProps {
    #[serde(rename = "storageProfile", default)]
    storage_profile: Option<StorageProfile>,
    #[serde(rename = "osProfile", default)]
    os_profile: Option<OsProfile>,
}

#[derive(Debug, Default, Deserialize)]
struct StorageProfile {
    #[serde(rename = "osDisk", default)]
    os_disk: Option<OsDisk>,
}

#[derive(Debug, Default, Deserialize)]
struct OsDisk {
    #[serde(rename = "osType", default, deserialize_with = "opt_nonempty")]
    os_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct OsProfile {
    #[serde(rename = "windowsConfiguration", default)]
    windows_configuration: Option<serde_json::Value>,
    #[serde(rename = "linuxConfiguration", default)]
    linux_configuration: Option<serde_json::Value>,
}

pub async fn virtual_machines(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<VirtualMachine>, ReadError> {
    let items: Vec<ArmVm> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Compute/virtualMachines",
            "virtualMachines.list",
            COMPUTE_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "virtualMachines.list", errors);
    Ok(items
        .into_iter()
        .map(|v| {
            let p = v.properties.unwrap_or_default();
            let from_disk = p
                .storage_profile
                .and_then(|s| s.os_disk)
                .and_then(|d| d.os_type);
            let from_profile =
                p.os_profile
                    .and_then(|o| match (o.windows_configuration, o.linux_configuration) {
                        (Some(_), _) => Some("Windows".to_string()),
                        (_, Some(_)) => Some("Linux".to_string()),
                        _ => None,
                    });
            VirtualMachine {
                id: arm_id(&v.id),
                name: v.name,
                location: v.location,
                os_type: from_disk.or(from_profile),
                dcr_associations: Read::default(),
                tags: v.tags,
                ..VirtualMachine::default()
            }
        })
        .collect())
}

type ArmAssociation = Envelope<AssociationProps>;

#[derive(Debug, Default, Deserialize)]
struct AssociationProps {
    #[serde(
        rename = "dataCollectionRuleId",
        default,
        deserialize_with = "opt_nonempty"
    )]
    data_collection_rule_id: Option<String>,
}

/// Data collection rules associated with one VM (endpoint associations are skipped).
pub async fn associations(
    client: &ArmClient,
    vm_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<String>, ReadError> {
    let path = format!("{vm_id}/providers/Microsoft.Insights/dataCollectionRuleAssociations");
    let items: Vec<ArmAssociation> = client
        .list(
            vm_id,
            "dataCollectionRuleAssociations.list",
            &path,
            DCR_API,
            &[],
            errors,
        )
        .await?;
    let items = require_properties(items, "dataCollectionRuleAssociations.list", errors);
    Ok(items
        .into_iter()
        .filter_map(|a| a.properties.and_then(|p| p.data_collection_rule_id))
        .map(|id| arm_id(&id))
        .collect())
}

#[derive(Debug, Default, Deserialize)]
struct ExtensionProps {
    #[serde(default)]
    publisher: Option<String>,
    #[serde(rename = "type", default)]
    extension_type: Option<String>,
    #[serde(rename = "provisioningState", default)]
    provisioning_state: Option<String>,
}

/// The Azure Monitor Agent among a VM's extensions: its provisioning state, or None when the
/// VM has none (a rule associated with it then collects nothing).
pub async fn monitor_agent(
    client: &ArmClient,
    vm_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Option<String>, ReadError> {
    let path = format!("{vm_id}/extensions");
    let items: Vec<Envelope<ExtensionProps>> = client
        .list(
            vm_id,
            "virtualMachines.extensions.list",
            &path,
            COMPUTE_API,
            &[],
            errors,
        )
        .await?;
    let items = require_properties(items, "virtualMachines.extensions.list", errors);
    let agent = items.into_iter().filter_map(|e| e.properties).find(|p| {
        p.publisher
            .as_deref()
            .is_some_and(|x| x.eq_ignore_ascii_case("Microsoft.Azure.Monitor"))
            && p.extension_type.as_deref().is_some_and(|t| {
                t.eq_ignore_ascii_case("AzureMonitorWindowsAgent")
                    || t.eq_ignore_ascii_case("AzureMonitorLinuxAgent")
            })
    });
    match agent {
        None => Ok(None),
        Some(ExtensionProps {
            provisioning_state: Some(state),
            ..
        }) if !state.is_empty() => Ok(Some(state)),
        // The agent is there but its state cannot be read: unknown, never "failed".
        Some(_) => Err(ReadError {
            scope: vm_id.to_string(),
            operation: "virtualMachines.extensions.list".into(),
            status: Some(200),
            code: Some("MalformedPayload".into()),
            message: "the Azure Monitor Agent extension has no readable provisioningState".into(),
        }),
    }
}

#[derive(Debug, Default, Deserialize)]
struct StatusProps {
    #[serde(rename = "instanceView", default)]
    instance_view: Option<InstanceView>,
}

#[derive(Debug, Default, Deserialize)]
struct InstanceView {
    #[serde(default, deserialize_with = "null_vec")]
    statuses: Vec<StatusItem>,
}

#[derive(Debug, Default, Deserialize)]
struct StatusItem {
    #[serde(default)]
    code: Option<String>,
}

/// Every VM's power state (`running`, `deallocated`...) by lower-case id, from one list
/// with `statusOnly=true`.
pub async fn power_states(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<(String, String)>, ReadError> {
    let scope = format!("/subscriptions/{subscription_id}");
    let path = format!("{scope}/providers/Microsoft.Compute/virtualMachines");
    let items: Vec<Envelope<StatusProps>> = client
        .list(
            &scope,
            "virtualMachines.list(statusOnly)",
            &path,
            COMPUTE_API,
            &[("statusOnly", "true")],
            errors,
        )
        .await?;
    Ok(items
        .into_iter()
        .filter_map(|v| {
            let state = v
                .properties?
                .instance_view?
                .statuses
                .into_iter()
                .filter_map(|s| s.code)
                .find_map(|c| c.strip_prefix("PowerState/").map(str::to_ascii_lowercase))?;
            Some((crate::inventory::id_key(&arm_id(&v.id)), state))
        })
        .collect())
}
