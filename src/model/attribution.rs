//! The flow-log attribution map as data: every address a scan saw with its owner and the flow
//! logs that record it, and the sightings history. Built by `attribute`, written by `render`.

use crate::inventory::id_key;
use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning; older files are read, newer ones refused.
pub const ATTRIBUTION_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    pub attribution_format: u32,
    /// When the scan that produced `addresses` started (RFC 3339, UTC).
    pub scan_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Reads that failed: addresses they would have shown are missing from this map.
    #[serde(default)]
    pub incomplete: Vec<String>,
    /// Every address this scan saw.
    pub addresses: Vec<Address>,
    /// Every IP-NIC-owner sighting of this and earlier scans, oldest first per IP.
    #[serde(default)]
    pub history: Vec<Sighting>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub ip: String,
    /// `private` or `public`.
    pub kind: String,
    pub subscription_id: String,
    /// `virtual machine`, `scale-set instance`, `private endpoint`, `private link service`,
    /// `load balancer`, `virtual network gateway`, `application gateway`, `Azure Firewall`,
    /// `Bastion host`, `unattached network interface`, `unattached public IP`, or the ARM type.
    pub owner_kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interface_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_ip_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vnet_id: Option<String>,
    #[serde(default)]
    pub nsg_ids: Vec<String>,
    /// Enabled flow logs that record this address's traffic.
    #[serde(default)]
    pub flow_logs: Vec<CoveringFlowLog>,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoveringFlowLog {
    pub id: String,
    /// What the flow log targets: `NIC`, `NSG`, `subnet` or `VNet`.
    pub scope: String,
    pub traffic_analytics: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_analytics_workspace_id: Option<String>,
}

/// One IP held by one NIC (or none) of one owner, from the first scan that saw it to the last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sighting {
    pub ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_interface_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    pub owner_kind: String,
    pub first_seen: String,
    pub last_seen: String,
}

impl Sighting {
    /// `a` as seen at `scan_time` only.
    pub fn of(a: &Address, scan_time: &str) -> Sighting {
        Sighting {
            ip: a.ip.clone(),
            network_interface_id: a.network_interface_id.clone(),
            owner_id: a.owner_id.clone(),
            owner_kind: a.owner_kind.clone(),
            first_seen: scan_time.to_string(),
            last_seen: scan_time.to_string(),
        }
    }

    /// What makes two sightings the same: the IP, the NIC and the owner (ids compared
    /// case-insensitively).
    pub fn key(&self) -> (String, String, String) {
        (
            self.ip.clone(),
            self.network_interface_id
                .as_deref()
                .map(id_key)
                .unwrap_or_default(),
            self.owner_id.as_deref().map(id_key).unwrap_or_default(),
        )
    }
}
