//! Which enabled flow log records which NSG, VNet, subnet or NIC, indexed once for a whole
//! inventory: the flow-log rules and attribution both read it.

use super::{id_key, FlowLog, NetworkInterface, SubscriptionInventory};
use std::collections::HashMap;

/// `/subscriptions/../virtualNetworks/v/subnets/s` → the VNet's id key.
pub fn vnet_of_subnet(subnet_id: &str) -> String {
    let k = id_key(subnet_id);
    match k.find("/subnets/") {
        Some(i) => k[..i].to_string(),
        None => k,
    }
}

/// Where enabled flow logs record traffic, indexed once for a whole inventory (a NIC's subnet
/// or flow log may sit in another subscription).
pub struct FlowLogIndex<'a> {
    /// Enabled flow logs by their target's id key.
    pub by_target: HashMap<String, &'a FlowLog>,
    subnet_nsg: HashMap<String, &'a str>,
}

impl<'a> FlowLogIndex<'a> {
    pub fn new(subs: &'a [SubscriptionInventory]) -> Self {
        let by_target = subs
            .iter()
            .flat_map(|s| s.flow_logs.items())
            .filter(|f| f.enabled)
            .map(|f| (id_key(&f.target_resource_id), f))
            .collect();
        let subnet_nsg = subs
            .iter()
            .flat_map(|s| s.virtual_networks.items())
            .flat_map(|v| v.subnets.iter())
            .filter_map(|s| {
                s.network_security_group_id
                    .as_deref()
                    .map(|n| (id_key(&s.id), n))
            })
            .collect();
        Self {
            by_target,
            subnet_nsg,
        }
    }

    /// The NSG of a subnet, if it has one.
    pub fn subnet_nsg(&self, subnet_id: &str) -> Option<&'a str> {
        self.subnet_nsg.get(&id_key(subnet_id)).copied()
    }

    /// The enabled flow logs recording a NIC's traffic, each with what it targets (`NIC`, `NSG`,
    /// `subnet` or `VNet`) and the target's id: on the NIC, its NSG, its subnets, their NSGs or
    /// their VNets.
    pub fn covering(&self, nic: &NetworkInterface) -> Vec<(&'a FlowLog, &'static str, String)> {
        let mut targets: Vec<(String, &'static str)> = vec![(nic.id.clone(), "NIC")];
        targets.extend(
            nic.network_security_group_id
                .iter()
                .map(|n| (n.clone(), "NSG")),
        );
        for s in &nic.subnet_ids {
            targets.push((s.clone(), "subnet"));
            if let Some(n) = self.subnet_nsg(s) {
                targets.push((n.to_string(), "NSG"));
            }
            targets.push((vnet_of_subnet(s), "VNet"));
        }
        let mut out: Vec<(&'a FlowLog, &'static str, String)> = targets
            .into_iter()
            .filter_map(|(t, scope)| self.by_target.get(&id_key(&t)).map(|f| (*f, scope, t)))
            .collect();
        out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        out.dedup_by(|a, b| a.0.id == b.0.id);
        out
    }
}
