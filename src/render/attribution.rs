//! Flow-log attribution: `attribution.json` and `attribution.csv`, written beside the reports.
//!
//! Flow records carry IP addresses, not VM names, and addresses are reused as VMs come and go.
//! Each scan maps every private and public IP it saw to its network interface, the owner of
//! that interface (a VM, a scale-set instance, a private endpoint...) or of the public IP (a
//! load balancer, a gateway, a firewall...), its subnet, VNet and NSGs, and the enabled flow
//! logs that record it (with whether traffic analytics enriches them), stamped with the scan
//! time. With a history (`--attribution-history FILE`, or the attribution.json beside a
//! `--compare` results file) every IP-NIC-owner sighting keeps its first and last scan time, so
//! a flow record can be attributed to whoever held the address at that moment.

use crate::inventory::{id_key, last_segment, NetworkInterface, Snapshot};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

pub const JSON_FILE: &str = "attribution.json";
pub const CSV_FILE: &str = "attribution.csv";
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
    fn key(&self) -> (String, String, String) {
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

/// Reads a previous attribution.json for its history; errors name the file, line and column,
/// or the sighting whose time is not an RFC 3339 time. Times are brought to the canonical form
/// (UTC, whole seconds), in which string order is time order.
pub fn read_history(path: &Path) -> Result<Vec<Sighting>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read attribution history {}: {e}", path.display()))?;
    parse_history(&path.display().to_string(), &text)
}

fn parse_history(name: &str, text: &str) -> Result<Vec<Sighting>, String> {
    let prev: Attribution = serde_json::from_str(text).map_err(|e| {
        format!(
            "{name}:{}:{}: not a logposture attribution.json: {e}",
            e.line(),
            e.column()
        )
    })?;
    if prev.attribution_format > ATTRIBUTION_FORMAT {
        return Err(format!(
            "{name}: attribution format {} is newer than this logposture reads ({ATTRIBUTION_FORMAT})",
            prev.attribution_format
        ));
    }
    let mut history = prev.history;
    for (i, s) in history.iter_mut().enumerate() {
        let (Some(first), Some(last)) = (
            crate::timestamp::canonical(&s.first_seen),
            crate::timestamp::canonical(&s.last_seen),
        ) else {
            return Err(format!(
                "{name}: history[{i}] (ip {:?}): first_seen {:?} / last_seen {:?} is not an RFC 3339 time",
                s.ip, s.first_seen, s.last_seen
            ));
        };
        if first > last {
            return Err(format!(
                "{name}: history[{i}] (ip {:?}): first_seen {first} is after last_seen {last}",
                s.ip
            ));
        }
        (s.first_seen, s.last_seen) = (first, last);
    }
    Ok(history)
}

/// `--attribution-history FILE` held for one run: an exclusive lock on `FILE.lock` from the
/// moment the history is re-read until the extended history is renamed into place, so two
/// runs writing one history at once both keep their sightings. A history that is a symlink is
/// written through to its target, never replaced by a regular file.
pub struct HistoryFile {
    path: std::path::PathBuf,
    _lock: std::fs::File,
    /// The sightings in the file when the lock was taken.
    pub previous: Vec<Sighting>,
}

impl HistoryFile {
    pub fn open_locked(path: &Path) -> Result<Self, String> {
        let path = resolve_symlink(path)?;
        let lock_path = {
            let mut s = path.clone().into_os_string();
            s.push(".lock");
            std::path::PathBuf::from(s)
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, libc::O_NOFOLLOW);
        let lock = opts
            .open(&lock_path)
            .map_err(|e| format!("cannot open the history lock {}: {e}", lock_path.display()))?;
        lock.lock()
            .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
        let previous = if path.exists() {
            read_history(&path)?
        } else {
            Vec::new()
        };
        Ok(Self {
            path,
            _lock: lock,
            previous,
        })
    }

    /// Writes `a` (built from [`Self::previous`]) as the new history; the lock goes with `self`.
    pub fn commit(self, a: &Attribution) -> anyhow::Result<std::path::PathBuf> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attribution-history".into());
        let mut tmp = super::staging_file(&dir, &name)?;
        json_to(a, &mut tmp)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", self.path.display(), e.error))?;
        Ok(self.path)
    }
}

/// The file a symlink points at (followed to the end); other paths as they are.
fn resolve_symlink(path: &Path) -> Result<std::path::PathBuf, String> {
    match path.symlink_metadata() {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|e| {
            format!(
                "attribution history {} is a symlink that cannot be followed: {e}",
                path.display()
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}

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
    let index = crate::evaluate::rules::flow_logs::FlowLogIndex::new(subs);
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
                crate::evaluate::rules::and_list(&failed),
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
        if let Some(s) = seen.get(&sighting_of(a, &scan_time).key()) {
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
fn covering_logs(
    index: &crate::evaluate::rules::flow_logs::FlowLogIndex,
    nic: &NetworkInterface,
) -> Vec<CoveringFlowLog> {
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

fn sighting_of(a: &Address, scan_time: &str) -> Sighting {
    Sighting {
        ip: a.ip.clone(),
        network_interface_id: a.network_interface_id.clone(),
        owner_id: a.owner_id.clone(),
        owner_kind: a.owner_kind.clone(),
        first_seen: scan_time.to_string(),
        last_seen: scan_time.to_string(),
    }
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
        let now = sighting_of(a, scan_time);
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

const CSV_HEADER: &[&str] = &[
    "ip",
    "kind",
    "current",
    "first_seen",
    "last_seen",
    "owner_kind",
    "owner_name",
    "owner_id",
    "network_interface_id",
    "subnet_id",
    "vnet_id",
    "nsg_ids",
    "flow_logs",
    "traffic_analytics",
    "subscription_id",
    "scan_time",
];

/// attribution.csv: one row per sighting (current addresses with their full mapping, earlier
/// owners with their time range), every field quoted, formula-leading values neutralised.
pub fn csv_to(a: &Attribution, mut w: impl Write) -> anyhow::Result<()> {
    let row = |cells: Vec<String>| -> String {
        cells
            .iter()
            .map(|c| super::csv::field(c))
            .collect::<Vec<_>>()
            .join(",")
    };
    writeln!(
        w,
        "{}",
        row(CSV_HEADER.iter().map(|h| h.to_string()).collect())
    )?;
    let current: HashMap<(String, String, String), &Address> = a
        .addresses
        .iter()
        .map(|x| (sighting_of(x, &a.scan_time).key(), x))
        .collect();
    for s in &a.history {
        // Current sightings carry the full mapping; earlier owners only their time range.
        let now = current.get(&s.key());
        let detail = |f: &dyn Fn(&Address) -> String| now.map(|x| f(x)).unwrap_or_default();
        let cells = vec![
            s.ip.clone(),
            detail(&|x| x.kind.clone()),
            if now.is_some() { "yes" } else { "no" }.to_string(),
            s.first_seen.clone(),
            s.last_seen.clone(),
            s.owner_kind.clone(),
            s.owner_id.as_deref().map(last_segment).unwrap_or_default(),
            s.owner_id.clone().unwrap_or_default(),
            s.network_interface_id.clone().unwrap_or_default(),
            detail(&|x| x.subnet_id.clone().unwrap_or_default()),
            detail(&|x| x.vnet_id.clone().unwrap_or_default()),
            detail(&|x| x.nsg_ids.join(" ")),
            detail(&|x| {
                x.flow_logs
                    .iter()
                    .map(|f| format!("{} ({})", f.id, f.scope))
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            detail(&|x| {
                if x.flow_logs.iter().any(|f| f.traffic_analytics) {
                    "yes".into()
                } else {
                    "no".into()
                }
            }),
            detail(&|x| x.subscription_id.clone()),
            a.scan_time.clone(),
        ];
        writeln!(w, "{}", row(cells))?;
    }
    Ok(())
}

/// attribution.json.
pub fn json_to(a: &Attribution, mut w: impl Write) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut w, a)?;
    w.write_all(b"\n")?;
    Ok(())
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
    fn csv_cells_cannot_become_formulas() {
        let mut snap = crate::demo::snapshot();
        let nics = snap.inventory.subscriptions[0]
            .network_interfaces
            .value
            .as_mut()
            .unwrap();
        nics[0].virtual_machine_id = Some("=HYPERLINK(\"http://x\")".into());
        let a = build(&snap, &[]);
        let mut out = Vec::new();
        csv_to(&a, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
        assert!(!text.contains(",\"=HYPERLINK"));
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
