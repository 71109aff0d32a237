//! Microsoft.Network: Network Watchers, their flow logs (NSG and VNet targets), NSGs with the
//! subnets and NICs they protect, and virtual networks with their subnet-to-NSG links.

use super::arm::ArmClient;
use super::lenient::{
    arm_id, bool_lenient, null_vec, opt_bool_lenient, opt_nonempty, opt_u32_lenient,
    require_properties, string_or_empty, Envelope, IdRef,
};
use crate::inventory::{
    AzureFirewall, FirewallPolicy, FlowLog, LoadBalancer, LoadBalancerFrontend, NetworkInterface,
    NetworkSecurityGroup, NetworkWatcher, NicIpConfiguration, PublicIpAddress, ReadError, Subnet,
    VirtualNetwork,
};
use serde::Deserialize;

const NETWORK_API: &str = "2024-05-01";
/// The scale-set NIC list is only published at this version.
const VMSS_NIC_API: &str = "2018-10-01";

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
    #[serde(rename = "dhcpOptions", default)]
    dhcp_options: Option<DhcpOptions>,
}

#[derive(Debug, Default, Deserialize)]
struct DhcpOptions {
    /// Not a list of strings: the VNet item is unreadable (its DNS is unknown, never "Azure DNS").
    #[serde(rename = "dnsServers", default, deserialize_with = "null_vec")]
    dns_servers: Vec<String>,
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
        .map(|v| {
            let p = v.properties.unwrap_or_default();
            VirtualNetwork {
                id: arm_id(&v.id),
                name: v.name,
                location: v.location,
                dns_servers: dns_servers(p.dhcp_options),
                subnets: p
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
            }
        })
        .collect())
}

/// A VNet's `dhcpOptions` or a NIC's `dnsSettings`: the servers listed, blanks dropped (none:
/// the VNet's DNS, or Azure-provided DNS).
fn dns_servers(d: Option<DhcpOptions>) -> Vec<String> {
    d.map(|d| d.dns_servers)
        .unwrap_or_default()
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

type ArmNic = Envelope<NicProps>;

#[derive(Debug, Default, Deserialize)]
struct NicProps {
    #[serde(rename = "ipConfigurations", default, deserialize_with = "null_vec")]
    ip_configurations: Vec<IpConfiguration>,
    #[serde(rename = "networkSecurityGroup", default)]
    network_security_group: Option<IdRef>,
    #[serde(rename = "virtualMachine", default)]
    virtual_machine: Option<IdRef>,
    #[serde(rename = "privateEndpoint", default)]
    private_endpoint: Option<IdRef>,
    #[serde(rename = "privateLinkService", default)]
    private_link_service: Option<IdRef>,
    #[serde(rename = "dnsSettings", default)]
    dns_settings: Option<DhcpOptions>,
}

#[derive(Debug, Default, Deserialize)]
struct IpConfiguration {
    #[serde(default, deserialize_with = "string_or_empty")]
    name: String,
    #[serde(default)]
    properties: Option<IpConfigurationProps>,
}

#[derive(Debug, Default, Deserialize)]
struct IpConfigurationProps {
    #[serde(default)]
    subnet: Option<IdRef>,
    #[serde(
        rename = "privateIPAddress",
        default,
        deserialize_with = "opt_nonempty"
    )]
    private_ip: Option<String>,
    #[serde(rename = "publicIPAddress", default)]
    public_ip: Option<IdRef>,
}

fn present_id(r: Option<IdRef>) -> Option<String> {
    r.map(|r| arm_id(&r.id)).filter(|i| !i.is_empty())
}

fn to_nic(n: ArmNic) -> NetworkInterface {
    let p = n.properties.unwrap_or_default();
    let ip_configurations: Vec<NicIpConfiguration> = p
        .ip_configurations
        .into_iter()
        .map(|c| {
            let cp = c.properties.unwrap_or_default();
            NicIpConfiguration {
                name: c.name,
                private_ip: cp.private_ip,
                public_ip_id: present_id(cp.public_ip),
                subnet_id: present_id(cp.subnet),
            }
        })
        .collect();
    let mut subnet_ids: Vec<String> = ip_configurations
        .iter()
        .filter_map(|c| c.subnet_id.clone())
        .collect();
    subnet_ids.dedup();
    NetworkInterface {
        id: arm_id(&n.id),
        name: n.name,
        location: n.location,
        subnet_ids,
        ip_configurations,
        network_security_group_id: present_id(p.network_security_group),
        virtual_machine_id: present_id(p.virtual_machine),
        private_endpoint_id: present_id(p.private_endpoint),
        private_link_service_id: present_id(p.private_link_service),
        dns_servers: dns_servers(p.dns_settings),
    }
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
    Ok(items.into_iter().map(to_nic).collect())
}

/// NICs of a Uniform scale set's instances: not in the subscription's NIC list, one list per
/// scale set (`virtualMachineScaleSets/{name}/networkInterfaces`, served by Microsoft.Network).
pub async fn scale_set_interfaces(
    client: &ArmClient,
    scale_set_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<NetworkInterface>, ReadError> {
    let path = format!("{scale_set_id}/networkInterfaces");
    let items: Vec<ArmNic> = client
        .list(
            scale_set_id,
            "virtualMachineScaleSets.networkInterfaces.list",
            &path,
            VMSS_NIC_API,
            &[],
            errors,
        )
        .await?;
    let items = require_properties(
        items,
        "virtualMachineScaleSets.networkInterfaces.list",
        errors,
    );
    Ok(items.into_iter().map(to_nic).collect())
}

type ArmPublicIp = Envelope<PublicIpProps>;

#[derive(Debug, Default, Deserialize)]
struct PublicIpProps {
    #[serde(rename = "ipAddress", default, deserialize_with = "opt_nonempty")]
    ip_address: Option<String>,
    #[serde(rename = "ipConfiguration", default)]
    ip_configuration: Option<IdRef>,
}

pub async fn public_ip_addresses(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<PublicIpAddress>, ReadError> {
    let items: Vec<ArmPublicIp> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/publicIPAddresses",
            "publicIPAddresses.list",
            NETWORK_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "publicIPAddresses.list", errors);
    Ok(items
        .into_iter()
        .map(|ip| {
            let p = ip.properties.unwrap_or_default();
            PublicIpAddress {
                id: arm_id(&ip.id),
                name: ip.name,
                location: ip.location,
                ip_address: p.ip_address,
                ip_configuration_id: present_id(p.ip_configuration),
            }
        })
        .collect())
}

type ArmLoadBalancer = Envelope<LoadBalancerProps>;

#[derive(Debug, Default, Deserialize)]
struct LoadBalancerProps {
    #[serde(
        rename = "frontendIPConfigurations",
        default,
        deserialize_with = "null_vec"
    )]
    frontends: Vec<IpConfiguration>,
}

pub async fn load_balancers(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<LoadBalancer>, ReadError> {
    let items: Vec<ArmLoadBalancer> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/loadBalancers",
            "loadBalancers.list",
            NETWORK_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "loadBalancers.list", errors);
    Ok(items
        .into_iter()
        .map(|lb| LoadBalancer {
            id: arm_id(&lb.id),
            name: lb.name,
            location: lb.location,
            frontends: lb
                .properties
                .unwrap_or_default()
                .frontends
                .into_iter()
                .map(|f| {
                    let p = f.properties.unwrap_or_default();
                    LoadBalancerFrontend {
                        name: f.name,
                        private_ip: p.private_ip,
                        subnet_id: present_id(p.subnet),
                    }
                })
                .collect(),
        })
        .collect())
}

type ArmFirewall = Envelope<FirewallProps>;

#[derive(Debug, Default, Deserialize)]
struct FirewallProps {
    #[serde(rename = "ipConfigurations", default, deserialize_with = "null_vec")]
    ip_configurations: Vec<IpConfiguration>,
    #[serde(rename = "firewallPolicy", default)]
    firewall_policy: Option<IdRef>,
    /// String values (`"true"`, `"True"`); other keys are ignored.
    #[serde(rename = "additionalProperties", default)]
    additional_properties: Option<serde_json::Map<String, serde_json::Value>>,
}

/// `"true"` / `"false"` in any case, or a JSON boolean; anything else is unknown.
fn text_bool(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

pub async fn firewalls(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<AzureFirewall>, ReadError> {
    let items: Vec<ArmFirewall> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/azureFirewalls",
            "azureFirewalls.list",
            NETWORK_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "azureFirewalls.list", errors);
    Ok(items
        .into_iter()
        .map(|f| {
            let p = f.properties.unwrap_or_default();
            // Absent: the proxy is off (Azure's default); present but unreadable: unknown.
            let dns_proxy = match p.additional_properties.as_ref().and_then(|m| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("Network.DNS.EnableProxy"))
            }) {
                None => Some(false),
                Some((_, v)) => text_bool(v),
            };
            AzureFirewall {
                id: arm_id(&f.id),
                name: f.name,
                location: f.location,
                private_ips: p
                    .ip_configurations
                    .into_iter()
                    .filter_map(|c| c.properties.and_then(|cp| cp.private_ip))
                    .collect(),
                firewall_policy_id: present_id(p.firewall_policy),
                dns_proxy,
            }
        })
        .collect())
}

type ArmFirewallPolicy = Envelope<FirewallPolicyProps>;

#[derive(Debug, Default, Deserialize)]
struct FirewallPolicyProps {
    #[serde(rename = "dnsSettings", default)]
    dns_settings: Option<FirewallDnsSettings>,
}

#[derive(Debug, Default, Deserialize)]
struct FirewallDnsSettings {
    #[serde(rename = "enableProxy", default, deserialize_with = "opt_bool_lenient")]
    enable_proxy: Option<bool>,
}

pub async fn firewall_policies(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<FirewallPolicy>, ReadError> {
    let items: Vec<ArmFirewallPolicy> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/firewallPolicies",
            "firewallPolicies.list",
            NETWORK_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "firewallPolicies.list", errors);
    Ok(items
        .into_iter()
        .map(|f| {
            let p = f.properties.unwrap_or_default();
            FirewallPolicy {
                id: arm_id(&f.id),
                name: f.name,
                // A policy without dnsSettings has the proxy off (Azure's default).
                dns_proxy: match p.dns_settings {
                    None => Some(false),
                    Some(d) => d.enable_proxy,
                },
            }
        })
        .collect())
}
