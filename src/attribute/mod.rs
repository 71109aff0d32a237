//! Stage attribute (beside evaluate): who held each IP address a flow log records.
//!
//! Flow records carry IP addresses, not VM names, and addresses are reused as VMs come and go.
//! Each scan maps every private and public IP it saw to its network interface, the owner of
//! that interface (a VM, a scale-set instance, a private endpoint...) or of the public IP (a
//! load balancer, a gateway, a firewall...), its subnet, VNet and NSGs, and the enabled flow
//! logs that record it (with whether traffic analytics enriches them), stamped with the scan
//! time. With a history (`--attribution-history FILE`, or the attribution.json beside a
//! `--compare` results file) every IP-NIC-owner sighting keeps its first and last scan time, so
//! a flow record can be attributed to whoever held the address at that moment.
//!
//! `render::attribution` writes the map this stage builds as attribution.json and .csv.

pub mod history;

pub use history::{read_history, HistoryFile};

use crate::inventory::flow_log_index::FlowLogIndex;
use crate::inventory::{id_key, NetworkInterface, Snapshot};
use crate::model::attribution::{
    Address, Attribution, CoveringFlowLog, Sighting, ATTRIBUTION_FORMAT,
};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// What owns an ARM id that an IP configuration hangs off: the resource, its kind.
fn owner_of_ip_configuration(ip_config_id: &str) -> (String, String) {
    // `/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/lb/frontendIPConfigurations/fe`
    let parts: Vec<&str> = ip_config_id.trim_end_matches('/').split('/').collect();
    let Some(p) = parts
        .iter()
        .position(|s| s.eq_ignore_ascii_case("providers"))
    else {
        return ("unknown".into(), ip_config_id.to_string());
    };
    // providers / namespace / type / name: the owning resource ends at its name.
    let end = (p + 4).min(parts.len());
    let owner = parts[..end].join("/");
    let kind = match parts.get(p + 2).map(|t| t.to_ascii_lowercase()).as_deref() {
        Some("loadbalancers") => "load balancer".to_string(),
        Some("virtualnetworkgateways") => "virtual network gateway".to_string(),
        Some("applicationgateways") => "application gateway".to_string(),
        Some("azurefirewalls") => "Azure Firewall".to_string(),
        Some("bastionhosts") => "Bastion host".to_string(),
        Some("networkinterfaces") => "network interface".to_string(),
        Some("virtualmachinescalesets") => "scale-set instance".to_string(),
        Some(other) => other.to_string(),
        None => "unknown".to_string(),
    };
    (kind, owner)
}

fn nic_owner(nic: &NetworkInterface) -> (String, Option<String>) {
    if let Some(vm) = &nic.virtual_machine_id {
        let kind = if id_key(vm).contains("/virtualmachinescalesets/") {
            "scale-set instance"
        } else {
            "virtual machine"
        };
        return (kind.into(), Some(vm.clone()));
    }
    if let Some(pe) = &nic.private_endpoint_id {
        return ("private endpoint".into(), Some(pe.clone()));
    }
    if let Some(pls) = &nic.private_link_service_id {
        return ("private link service".into(), Some(pls.clone()));
    }
    // A scale-set NIC without `virtualMachine`: its id names the instance.
    let key = id_key(&nic.id);
    if let Some(i) = key.find("/networkinterfaces/") {
        if key[..i].contains("/virtualmachinescalesets/") {
            return ("scale-set instance".into(), Some(nic.id[..i].to_string()));
        }
    }
    ("unattached network interface".into(), None)
}

/// Numeric order (10.0.0.9 before 10.0.0.10); text order for anything unparsable.
fn ip_order(s: &str) -> (Option<IpAddr>, &str) {
    (s.parse().ok(), s)
}

/// A syntactically valid IP from Azure, normalised; anything else is not an address.
fn ip(s: &str) -> Option<String> {
    s.trim().parse::<IpAddr>().ok().map(|a| a.to_string())
}

/// The attribution map of `snapshot`, its history merged with `previous`.
pub fn build(snapshot: &Snapshot, previous: &[Sighting]) -> Attribution {
    let scan_time = snapshot.started_at.clone();
    let subs = &snapshot.inventory.subscriptions;
    let index = FlowLogIndex::new(subs);
    let public_ips: HashMap<String, &crate::inventory::PublicIpAddress> = subs
        .iter()
        .flat_map(|s| s.public_ip_addresses.items())
        .map(|p| (id_key(&p.id), p))
        .collect();
    let mut incomplete = Vec::new();
    // Resources whose address is not an IP: named, never mapped as if it were one.
    let mut unreadable: Vec<String> = Vec::new();
    let mut addresses = Vec::new();
    let mut bound_public_ips = std::collections::HashSet::new();
    for sub in subs.iter().filter(|s| s.scanned) {
        let parts = [
            ("network interfaces", &sub.network_interfaces.error),
            ("public IP addresses", &sub.public_ip_addresses.error),
            ("virtual networks", &sub.virtual_networks.error),
            ("flow logs", &sub.flow_logs.error),
            ("load balancers", &sub.load_balancers.error),
        ];
        let failed: Vec<String> = parts
            .iter()
            .filter(|(_, e)| e.is_some())
            .map(|(w, _)| w.to_string())
            .collect();
        if let Some(e) = parts.iter().find_map(|(_, e)| e.as_ref()) {
            incomplete.push(format!(
                "subscription {}: {} not (fully) read, first error {} {} on {}",
                sub.subscription.id,
                crate::support::text::and_list(&failed),
                e.status
                    .map(|s| format!("HTTP {s}"))
                    .unwrap_or_else(|| "no response".into()),
                e.code.as_deref().unwrap_or("-"),
                e.operation
            ));
        }
        for nic in sub.network_interfaces.items() {
            let (owner_kind, owner_id) = nic_owner(nic);
            let flow_logs = covering_logs(&index, nic);
            for c in &nic.ip_configurations {
                let subnet = c.subnet_id.clone();
                let mut nsgs: Vec<String> = nic.network_security_group_id.iter().cloned().collect();
                if let Some(n) = subnet.as_deref().and_then(|s| index.subnet_nsg(s)) {
                    nsgs.push(n.to_string());
                }
                let address = |ip: String, kind: &str, public_ip_id: Option<String>| Address {
                    ip,
                    kind: kind.into(),
                    subscription_id: sub.subscription.id.clone(),
                    owner_kind: owner_kind.clone(),
                    owner_id: owner_id.clone(),
                    network_interface_id: Some(nic.id.clone()),
                    public_ip_id,
                    subnet_id: subnet.clone(),
                    // The VNet as ARM spells it (the subnet id up to `/subnets/`).
                    vnet_id: subnet.as_deref().and_then(vnet_id_of),
                    nsg_ids: nsgs.clone(),
                    flow_logs: flow_logs.clone(),
                    first_seen: scan_time.clone(),
                    last_seen: scan_time.clone(),
                };
                match c.private_ip.as_deref().map(ip) {
                    Some(Some(p)) => addresses.push(address(p, "private", None)),
                    Some(None) => unreadable.push(nic.id.clone()),
                    None => {}
                }
                if let Some(pid) = &c.public_ip_id {
                    bound_public_ips.insert(id_key(pid));
                    if let Some(p) = public_ips
                        .get(&id_key(pid))
                        .and_then(|p| p.ip_address.as_deref())
                        .and_then(ip)
                    {
                        addresses.push(address(p, "public", Some(pid.clone())));
                    }
                }
            }
        }
        // Internal load balancers' frontends: private addresses that flows go to.
        for lb in sub.load_balancers.items() {
            for fe in &lb.frontends {
                let Some(raw) = fe.private_ip.as_deref() else {
                    continue;
                };
                let Some(addr) = ip(raw) else {
                    unreadable.push(lb.id.clone());
                    continue;
                };
                let subnet = fe.subnet_id.clone();
                let vnet = subnet.as_deref().and_then(vnet_id_of);
                // No NIC: the subnet, its NSG and the VNet are what a flow log can target.
                let pseudo = NetworkInterface {
                    subnet_ids: subnet.iter().cloned().collect(),
                    ..Default::default()
                };
                addresses.push(Address {
                    ip: addr,
                    kind: "private".into(),
                    subscription_id: sub.subscription.id.clone(),
                    owner_kind: "load balancer".into(),
                    owner_id: Some(lb.id.clone()),
                    network_interface_id: None,
                    public_ip_id: None,
                    nsg_ids: subnet
                        .as_deref()
                        .and_then(|s| index.subnet_nsg(s))
                        .map(|n| vec![n.to_string()])
                        .unwrap_or_default(),
                    flow_logs: covering_logs(&index, &pseudo),
                    subnet_id: subnet,
                    vnet_id: vnet,
                    first_seen: scan_time.clone(),
                    last_seen: scan_time.clone(),
                });
            }
        }
        // Public IPs of load balancers, gateways, firewalls...: owner from the IP configuration.
        for p in sub.public_ip_addresses.items() {
            if bound_public_ips.contains(&id_key(&p.id)) {
                continue;
            }
            let Some(addr) = p.ip_address.as_deref().and_then(ip) else {
                if p.ip_address.is_some() {
                    unreadable.push(p.id.clone());
                }
                continue;
            };
            let (owner_kind, owner_id) = match &p.ip_configuration_id {
                Some(c) => {
                    let (k, o) = owner_of_ip_configuration(c);
                    (k, Some(o))
                }
                None => ("unattached public IP".to_string(), None),
            };
            addresses.push(Address {
                ip: addr,
                kind: "public".into(),
                subscription_id: sub.subscription.id.clone(),
                owner_kind,
                owner_id,
                network_interface_id: None,
                public_ip_id: Some(p.id.clone()),
                subnet_id: None,
                vnet_id: None,
                nsg_ids: vec![],
                flow_logs: vec![],
                first_seen: scan_time.clone(),
                last_seen: scan_time.clone(),
            });
        }
    }
    if !unreadable.is_empty() {
        incomplete.push(format!(
            "{} address(es) that are not IP addresses were left out: {}",
            unreadable.len(),
            unreadable.join(", ")
        ));
    }
    addresses.sort_by(|a, b| {
        (ip_order(&a.ip), &a.network_interface_id).cmp(&(ip_order(&b.ip), &b.network_interface_id))
    });
    let history = merge_history(previous, &addresses, &scan_time);
    let seen: HashMap<(String, String, String), &Sighting> =
        history.iter().map(|s| (s.key(), s)).collect();
    for a in &mut addresses {
        if let Some(s) = seen.get(&Sighting::of(a, &scan_time).key()) {
            a.first_seen = s.first_seen.clone();
            a.last_seen = s.last_seen.clone();
        }
    }
    Attribution {
        attribution_format: ATTRIBUTION_FORMAT,
        scan_time,
        tenant_id: snapshot.tenant_id.clone(),
        incomplete,
        addresses,
        history,
    }
}

/// The VNet of a subnet id, as ARM spells it (the id up to `/subnets/`).
fn vnet_id_of(subnet: &str) -> Option<String> {
    subnet
        .to_ascii_lowercase()
        .find("/subnets/")
        .map(|i| subnet[..i].to_string())
}

/// The enabled flow logs recording a NIC's (or a subnet's, for a NIC-less address) traffic.
fn covering_logs(index: &FlowLogIndex, nic: &NetworkInterface) -> Vec<CoveringFlowLog> {
    index
        .covering(nic)
        .into_iter()
        .map(|(f, scope, _)| CoveringFlowLog {
            id: f.id.clone(),
            scope: scope.to_string(),
            traffic_analytics: f.traffic_analytics_enabled,
            traffic_analytics_workspace_id: f.traffic_analytics_workspace_id.clone(),
        })
        .collect()
}

/// Earlier sightings, extended by this scan's: a pair seen again keeps its first time and takes
/// this scan's as its last; a pair not seen keeps its times (the address moved on).
fn merge_history(previous: &[Sighting], current: &[Address], scan_time: &str) -> Vec<Sighting> {
    let mut by_key: BTreeMap<(String, String, String), Sighting> = BTreeMap::new();
    for s in previous {
        let e = by_key.entry(s.key()).or_insert_with(|| s.clone());
        // The same pair twice in a hand-edited file: widest range wins.
        if s.first_seen < e.first_seen {
            e.first_seen = s.first_seen.clone();
        }
        if s.last_seen > e.last_seen {
            e.last_seen = s.last_seen.clone();
        }
    }
    for a in current {
        let now = Sighting::of(a, scan_time);
        by_key
            .entry(now.key())
            .and_modify(|e| {
                if scan_time > e.last_seen.as_str() {
                    e.last_seen = scan_time.to_string();
                }
                if scan_time < e.first_seen.as_str() {
                    e.first_seen = scan_time.to_string();
                }
                e.owner_kind = now.owner_kind.clone();
            })
            .or_insert(now);
    }
    let mut out: Vec<Sighting> = by_key.into_values().collect();
    out.sort_by(|a, b| (ip_order(&a.ip), &a.first_seen).cmp(&(ip_order(&b.ip), &b.first_seen)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_that_is_not_an_ip_is_left_out_and_said() {
        let mut snap = crate::demo::snapshot();
        let nics = snap.inventory.subscriptions[0]
            .network_interfaces
            .value
            .as_mut()
            .unwrap();
        nics[0].ip_configurations[0].private_ip = Some("<script>x</script>".into());
        let a = build(&snap, &[]);
        assert!(a.addresses.iter().all(|x| !x.ip.contains('<')));
        assert!(a.incomplete.iter().any(|i| i.contains("not IP addresses")));
    }

    #[test]
    fn history_keeps_the_first_and_last_time_of_each_owner() {
        let snap = crate::demo::snapshot();
        let first = build(&snap, &[]);
        let mut later = snap.clone();
        later.started_at = "2026-12-01T00:00:00Z".into();
        let second = build(&later, &first.history);
        let dc = second.history.iter().find(|s| s.ip == "10.0.1.4").unwrap();
        assert_eq!(
            (dc.first_seen.as_str(), dc.last_seen.as_str()),
            ("2026-11-02T06:00:00Z", "2026-12-01T00:00:00Z")
        );
    }
}
