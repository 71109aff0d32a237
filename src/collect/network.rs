//! Microsoft.Network: Network Watchers, their flow logs (NSG and VNet targets), NSGs with the
//! subnets and NICs they protect, and virtual networks with their subnet-to-NSG links.

use super::arm::ArmClient;
use super::lenient::{
    arm_id, bool_lenient, null_vec, opt_bool_lenient, opt_nonempty, opt_u32_lenient,
    require_properties, string_or_empty, Envelope,
};
use crate::inventory::{
    FlowLog, NetworkInterface, NetworkSecurityGroup, NetworkWatcher, ReadError, Subnet,
    VirtualNetwork,
};
use serde::Deserialize;

const NETWORK_API: &str = "2024-05-01";

#[derive(Debug, Deserialize)]
struct IdRef {
    #[serde(default, deserialize_with = "string_or_empty")]
    id: String,
}

type ArmWatcher = Envelope<WatcherProps>;

#[derive(Debug, Deserialize)]
struct WatcherProps {
    #[serde(
        rename = "provisioningState",
        default,
        deserialize_with = "opt_nonempty"
    )]
    provisioning_state: Option<String>,
}

pub async fn watchers(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<NetworkWatcher>, ReadError> {
    let items: Vec<ArmWatcher> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/networkWatchers",
            "networkWatchers.list",
            NETWORK_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "networkWatchers.list", errors);
    Ok(items
        .into_iter()
        .map(|w| NetworkWatcher {
            id: arm_id(&w.id),
            name: w.name,
            location: w.location,
            provisioning_state: w.properties.and_then(|p| p.provisioning_state),
        })
        .collect())
}

type ArmFlowLog = Envelope<FlowLogProps>;

#[derive(Debug, Default, Deserialize)]
struct FlowLogProps {
    #[serde(
        rename = "targetResourceId",
        default,
        deserialize_with = "string_or_empty"
    )]
    target_resource_id: String,
    #[serde(rename = "storageId", default, deserialize_with = "opt_nonempty")]
    storage_id: Option<String>,
    #[serde(default, deserialize_with = "bool_lenient")]
    enabled: bool,
    #[serde(rename = "retentionPolicy", default)]
    retention_policy: Option<RetentionPolicy>,
    #[serde(default)]
    format: Option<FlowLogFormat>,
    #[serde(rename = "flowAnalyticsConfiguration", default)]
    flow_analytics: Option<FlowAnalytics>,
}

#[derive(Debug, Default, Deserialize)]
struct RetentionPolicy {
    /// Unreadable (text, negative, null) stays None: unknown, not "0 = forever".
    #[serde(default, deserialize_with = "opt_u32_lenient")]
    days: Option<u32>,
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    enabled: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct FlowLogFormat {
    #[serde(rename = "type", default, deserialize_with = "opt_nonempty")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "opt_u32_lenient")]
    version: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
struct FlowAnalytics {
    #[serde(rename = "networkWatcherFlowAnalyticsConfiguration", default)]
    config: Option<TrafficAnalytics>,
}

#[derive(Debug, Default, Deserialize)]
struct TrafficAnalytics {
    #[serde(default, deserialize_with = "bool_lenient")]
    enabled: bool,
    #[serde(
        rename = "workspaceResourceId",
        default,
        deserialize_with = "opt_nonempty"
    )]
    workspace_resource_id: Option<String>,
    #[serde(
        rename = "trafficAnalyticsInterval",
        default,
        deserialize_with = "opt_u32_lenient"
    )]
    interval: Option<u32>,
}

/// Flow logs of one watcher.
pub async fn flow_logs(
    client: &ArmClient,
    watcher: &NetworkWatcher,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<FlowLog>, ReadError> {
    let path = format!("{}/flowLogs", watcher.id);
    let items: Vec<ArmFlowLog> = client
        .list(
            &watcher.id,
            "flowLogs.list",
            &path,
            NETWORK_API,
            &[],
            errors,
        )
        .await?;
    let items = require_properties(items, "flowLogs.list", errors);
    Ok(items
        .into_iter()
        .map(|f| {
            let p = f.properties.unwrap_or_default();
            let retention = p.retention_policy.unwrap_or_default();
            let ta = p.flow_analytics.and_then(|a| a.config).unwrap_or_default();
            let format = p.format.unwrap_or_default();
            FlowLog {
                id: arm_id(&f.id),
                name: f.name,
                location: f.location,
                target_resource_id: arm_id(&p.target_resource_id),
                enabled: p.enabled,
                storage_id: p.storage_id,
                retention_enabled: retention.enabled,
                retention_days: retention.days,
                format: format.kind,
                format_version: format.version,
                traffic_analytics_enabled: ta.enabled,
                traffic_analytics_interval_minutes: ta.interval,
                traffic_analytics_workspace_id: ta.workspace_resource_id,
            }
        })
        .collect())
}

type ArmNsg = Envelope<NsgProps>;

#[derive(Debug, Default, Deserialize)]
struct NsgProps {
    #[serde(default, deserialize_with = "null_vec")]
    subnets: Vec<IdRef>,
    #[serde(rename = "networkInterfaces", default, deserialize_with = "null_vec")]
    network_interfaces: Vec<IdRef>,
}

pub async fn security_groups(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<NetworkSecurityGroup>, ReadError> {
    let items: Vec<ArmNsg> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/networkSecurityGroups",
            "networkSecurityGroups.list",
            NETWORK_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "networkSecurityGroups.list", errors);
    Ok(items
        .into_iter()
        .map(|n| {
            let p = n.properties.unwrap_or_default();
            NetworkSecurityGroup {
                id: arm_id(&n.id),
                name: n.name,
                location: n.location,
                subnet_ids: p
                    .subnets
                    .into_iter()
                    .map(|s| arm_id(&s.id))
                    .filter(|s| !s.is_empty())
                    .collect(),
                network_interface_ids: p
                    .network_interfaces
                    .into_iter()
                    .map(|s| arm_id(&s.id))
                    .filter(|s| !s.is_empty())
                    .collect(),
                tags: n.tags,
            }
        })
        .collect())
}

type ArmVnet = Envelope<VnetProps>;

#[derive(Debug, Default, Deserialize)]
struct VnetProps {
    #[serde(default, deserialize_with = "null_vec")]
    subnets: Vec<ArmSubnet>,
}

type ArmSubnet = Envelope<SubnetProps>;

#[derive(Debug, Default, Deserialize)]
struct SubnetProps {
    #[serde(rename = "networkSecurityGroup", default)]
    network_security_group: Option<IdRef>,
}

pub async fn virtual_networks(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<VirtualNetwork>, ReadError> {
    let items: Vec<ArmVnet> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/virtualNetworks",
            "virtualNetworks.list",
            NETWORK_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "virtualNetworks.list", errors);
    Ok(items
        .into_iter()
        .map(|v| VirtualNetwork {
            id: arm_id(&v.id),
            name: v.name,
            location: v.location,
            subnets: v
                .properties
                .unwrap_or_default()
                .subnets
                .into_iter()
                .map(|s| Subnet {
                    id: arm_id(&s.id),
                    name: s.name,
                    network_security_group_id: s
                        .properties
                        .and_then(|p| p.network_security_group)
                        .map(|n| arm_id(&n.id))
                        .filter(|i| !i.is_empty()),
                })
                .collect(),
        })
        .collect())
}

type ArmNic = Envelope<NicProps>;

#[derive(Debug, Default, Deserialize)]
struct NicProps {
    #[serde(rename = "ipConfigurations", default, deserialize_with = "null_vec")]
    ip_configurations: Vec<IpConfiguration>,
}

#[derive(Debug, Default, Deserialize)]
struct IpConfiguration {
    #[serde(default)]
    properties: Option<IpConfigurationProps>,
}

#[derive(Debug, Default, Deserialize)]
struct IpConfigurationProps {
    #[serde(default)]
    subnet: Option<IdRef>,
}

pub async fn network_interfaces(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<NetworkInterface>, ReadError> {
    let items: Vec<ArmNic> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/networkInterfaces",
            "networkInterfaces.list",
            NETWORK_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "networkInterfaces.list", errors);
    Ok(items
        .into_iter()
        .map(|n| {
            let mut subnet_ids: Vec<String> = n
                .properties
                .unwrap_or_default()
                .ip_configurations
                .into_iter()
                .filter_map(|c| c.properties.and_then(|p| p.subnet).map(|s| arm_id(&s.id)))
                .filter(|s| !s.is_empty())
                .collect();
            subnet_ids.dedup();
            NetworkInterface {
                id: arm_id(&n.id),
                subnet_ids,
            }
        })
        .collect())
}
