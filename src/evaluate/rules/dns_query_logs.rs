//! `dns_query_logging`: every virtual network's DNS queries are recorded somewhere.
//!
//! Azure-provided DNS (168.63.129.16) keeps no query log. A VNet on it is recorded only when a
//! DNS security policy linked to it exports DnsResponse (table DNSQueryLogs) through a
//! diagnostic setting. A VNet whose `dhcpOptions.dnsServers` are an Azure Firewall's private
//! addresses is recorded when that firewall's DNS proxy is on (its own setting, or its policy's)
//! and its diagnostic settings export AZFWDnsQuery or the legacy AzureFirewallDnsProxy. Any
//! other DNS server keeps its logs itself: not assessed, with the addresses as evidence.

use super::{covered_categories, prepare, settings_evidence, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, EvalContext};
use crate::inventory::{
    id_key, type_key, AzureFirewall, DnsSecurityPolicy, FirewallPolicy, ReadError,
    ResourceDiagnostics,
};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// Azure's virtual public IP: listing it as a DNS server is still Azure-provided DNS.
pub const AZURE_DNS: &str = "168.63.129.16";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Categories of a DNS security policy that record queries.
    pub policy_categories: Vec<String>,
    /// Categories of an Azure Firewall that record proxied queries (any one suffices).
    pub firewall_categories: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            policy_categories: vec!["DnsResponse".into()],
            firewall_categories: vec!["AZFWDnsQuery".into(), "AzureFirewallDnsProxy".into()],
        }
    }
}

pub const KIND: RuleKind = RuleKind {
    name: "dns_query_logging",
    file: file!(),
    line: line!(),
    evidence: &["dns_servers", "firewall_dns_servers", "firewalls_unreadable", "linked_dns_security_policies", "network_interfaces_with_own_dns_servers", "other_dns_servers", "policies_unreadable_in_subscriptions", "uses_azure_dns", "wanted_firewall_categories", "wanted_policy_categories"],
    figures: &["dns_queries_per_vm_day", "dns_query_record_bytes"],
    prepare: prepare::<Params>,
    describes: "every VNet's DNS queries are logged: a linked DNS security policy exporting DnsResponse (Azure-provided DNS), or an Azure Firewall DNS proxy exporting its DNS logs; other DNS servers are not assessed",
    cost_basis: Some("queries per VM per day (model) × bytes per DNSQueryLogs record × the VMs in the VNet, at the workspace's per-GB rate (Basic plan shown as an option)"),
};

/// Whether one log source (a policy or a firewall) exports the wanted categories.
enum Export {
    Yes(Vec<String>),
    No(String),
    Unknown(ReadError),
}

/// Everything the rule looks up across subscriptions: a policy may link a VNet of another
/// subscription, and a VNet may use a firewall in a hub subscription.
struct Index<'a> {
    policies_by_vnet: HashMap<String, Vec<&'a DnsSecurityPolicy>>,
    /// Failed policy or link reads by subscription (lower-case id). A VNet's own subscription
    /// failing makes an unlinked VNet unknown; other subscriptions failing are named in the
    /// finding (a policy there may link it), not turned into a tenant-wide "not assessed".
    policies_failed: HashMap<String, ReadError>,
    firewalls_by_ip: HashMap<String, &'a AzureFirewall>,
    firewalls_incomplete: Option<ReadError>,
    firewall_policies: HashMap<String, &'a FirewallPolicy>,
    firewall_policies_incomplete: Option<ReadError>,
    diagnostics: HashMap<String, &'a ResourceDiagnostics>,
    /// VMs with a NIC in each VNet (id key), for the gap's price.
    vms_by_vnet: HashMap<String, u32>,
    /// NICs that resolve through their own DNS servers, by VNet (id key): (NIC name, servers).
    nic_overrides: HashMap<String, Vec<(String, Vec<String>)>>,
}

fn first_error(slot: &mut Option<ReadError>, e: Option<&ReadError>) {
    if let (None, Some(e)) = (&slot, e) {
        *slot = Some(e.clone());
    }
}

impl<'a> Index<'a> {
    fn new(ctx: &'a EvalContext) -> Self {
        let mut ix = Index {
            policies_by_vnet: HashMap::new(),
            policies_failed: HashMap::new(),
            firewalls_by_ip: HashMap::new(),
            firewalls_incomplete: None,
            firewall_policies: HashMap::new(),
            firewall_policies_incomplete: None,
            diagnostics: HashMap::new(),
            vms_by_vnet: HashMap::new(),
            nic_overrides: HashMap::new(),
        };
        for sub in ctx.subscriptions().iter().filter(|s| s.scanned) {
            let mut failed = sub.dns_security_policies.error.clone();
            for p in sub.dns_security_policies.items() {
                first_error(&mut failed, p.virtual_network_ids.error.as_ref());
                for v in p.virtual_network_ids.items() {
                    ix.policies_by_vnet.entry(id_key(v)).or_default().push(p);
                }
            }
            if let Some(e) = failed {
                ix.policies_failed
                    .insert(sub.subscription.id.to_ascii_lowercase(), e);
            }
            first_error(&mut ix.firewalls_incomplete, sub.firewalls.error.as_ref());
            for f in sub.firewalls.items() {
                for ip in &f.private_ips {
                    ix.firewalls_by_ip.insert(ip.trim().to_string(), f);
                }
            }
            first_error(
                &mut ix.firewall_policies_incomplete,
                sub.firewall_policies.error.as_ref(),
            );
            for p in sub.firewall_policies.items() {
                ix.firewall_policies.insert(id_key(&p.id), p);
            }
            for d in &sub.resource_diagnostics {
                ix.diagnostics.insert(id_key(&d.resource_id), d);
            }
            let mut vms_seen: HashMap<String, std::collections::BTreeSet<String>> = HashMap::new();
            for nic in sub.network_interfaces.items() {
                let own: Vec<String> = nic
                    .dns_servers
                    .iter()
                    .filter(|d| d.trim() != AZURE_DNS)
                    .cloned()
                    .collect();
                if !own.is_empty() {
                    for s in &nic.subnet_ids {
                        ix.nic_overrides
                            .entry(crate::inventory::flow_log_index::vnet_of_subnet(s))
                            .or_default()
                            .push((nic.name.clone(), own.clone()));
                    }
                }
                let Some(vm) = &nic.virtual_machine_id else {
                    continue;
                };
                for s in &nic.subnet_ids {
                    vms_seen
                        .entry(crate::inventory::flow_log_index::vnet_of_subnet(s))
                        .or_default()
                        .insert(id_key(vm));
                }
            }
            for (vnet, vms) in vms_seen {
                *ix.vms_by_vnet.entry(vnet).or_default() += vms.len() as u32;
            }
        }
        ix
    }

    /// Whether `resource_id`'s diagnostic settings export any of `wanted`.
    fn exports(
        &self,
        ctx: &EvalContext,
        resource_id: &str,
        resource_type: &str,
        wanted: &[String],
        what: &str,
    ) -> Export {
        let Some(d) = self.diagnostics.get(&id_key(resource_id)) else {
            return Export::Unknown(ReadError::unknown(
                resource_id,
                "diagnosticSettings.list",
                "NotCollected",
                format!("the diagnostic settings of {what} were not read (outside the scan, or its type's categories unknown)"),
            ));
        };
        let settings = match (&d.settings.value, &d.settings.error) {
            (Some(s), None) => s,
            (_, Some(e)) => return Export::Unknown(e.clone()),
            (None, None) => return Export::No(format!("{what} has no diagnostic setting")),
        };
        let offered = ctx
            .snapshot
            .inventory
            .diagnostic_categories
            .get(&type_key(resource_type))
            .and_then(|c| c.complete())
            .map(|c| c.log_categories.clone())
            .unwrap_or_default();
        let covered = covered_categories(settings, &offered, |_| true);
        let hit: Vec<String> = wanted
            .iter()
            .filter(|c| covered.contains("*") || covered.contains(&c.to_ascii_lowercase()))
            .cloned()
            .collect();
        if !hit.is_empty() {
            let names: Vec<String> = settings.iter().map(|s| s.name.clone()).collect();
            Export::Yes(vec![format!(
                "{what} exports {} through {}",
                and_list(&hit),
                and_list(&names)
            )])
        } else if settings.is_empty() {
            Export::No(format!("{what} has no diagnostic setting"))
        } else {
            Export::No(format!(
                "no diagnostic setting of {what} exports {}",
                wanted.join(" or ")
            ))
        }
    }

    /// A firewall's DNS proxy: its policy's setting when it has a policy, else its own.
    fn proxy(&self, fw: &AzureFirewall) -> Result<bool, ReadError> {
        let Some(pid) = &fw.firewall_policy_id else {
            return fw.dns_proxy.ok_or_else(|| {
                ReadError::unknown(
                    &fw.id,
                    "azureFirewalls.list",
                    "Unreadable",
                    "additionalProperties[\"Network.DNS.EnableProxy\"] is not true or false",
                )
            });
        };
        match self.firewall_policies.get(&id_key(pid)) {
            Some(p) => p.dns_proxy.ok_or_else(|| {
                ReadError::unknown(
                    &p.id,
                    "firewallPolicies.list",
                    "Unreadable",
                    "dnsSettings.enableProxy is not true or false",
                )
            }),
            None => Err(self
                .firewall_policies_incomplete
                .clone()
                .unwrap_or_else(|| {
                    ReadError::unknown(
                        pid,
                        "firewallPolicies.list",
                        "OutOfScope",
                        "the firewall's policy is not in the scanned subscriptions",
                    )
                })),
        }
    }
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let ix = Index::new(ctx);
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(check, sub, &sub.virtual_networks, "the virtual networks") {
                out.push(f);
                continue;
            }
            let sid = Some(sub.subscription.id.as_str());
            for vnet in sub.virtual_networks.items() {
                let mut f = self.judge(check, ctx, &ix, vnet, sid);
                // NICs with their own DNS servers bypass the VNet's: said, never hidden.
                if let Some(nics) = ix.nic_overrides.get(&id_key(&vnet.id)) {
                    f.evidence.set(
                        "network_interfaces_with_own_dns_servers",
                        json!(nics
                            .iter()
                            .map(|(n, d)| json!({"network_interface": n, "dns_servers": d}))
                            .collect::<Vec<_>>()),
                    );
                    f.message = format!(
                        "{} {} network interface(s) in it resolve through their own DNS servers instead (see evidence); their queries are logged, or not, there.",
                        f.message,
                        nics.len()
                    );
                }
                f.location = Some(vnet.location.clone()).filter(|l| !l.is_empty());
                let vms = ix.vms_by_vnet.get(&id_key(&vnet.id)).copied().unwrap_or(0);
                out.push(f.gap_if_failed(|| Gap::DnsQueryLogs { vms }));
            }
        }
        out
    }
}

impl Params {
    fn judge(
        &self,
        check: &CheckDef,
        ctx: &EvalContext,
        ix: &Index,
        vnet: &crate::inventory::VirtualNetwork,
        sid: Option<&str>,
    ) -> Finding {
        let servers: Vec<&String> = vnet
            .dns_servers
            .iter()
            .filter(|s| s.trim() != AZURE_DNS)
            .collect();
        // A DNS server must be an IP address; anything else is an unreadable answer.
        if servers
            .iter()
            .any(|s| s.trim().parse::<std::net::IpAddr>().is_err())
        {
            let e = ReadError::unknown(
                &vnet.id,
                "virtualNetworks.list",
                "MalformedPayload",
                "dhcpOptions.dnsServers holds an entry that is not an IP address",
            );
            return check.not_assessed(&vnet.id, sid, "the VNet's DNS servers", &e);
        }
        let linked = ix
            .policies_by_vnet
            .get(&id_key(&vnet.id))
            .cloned()
            .unwrap_or_default();
        let policy_results: Vec<(&DnsSecurityPolicy, Export)> = linked
            .iter()
            .map(|p| {
                let what = format!("DNS security policy {}", p.name);
                let e = ix.exports(
                    ctx,
                    &p.id,
                    "Microsoft.Network/dnsResolverPolicies",
                    &self.policy_categories,
                    &what,
                );
                (*p, e)
            })
            .collect();
        let policy_evidence: Vec<serde_json::Value> = policy_results
            .iter()
            .map(|(p, e)| {
                let settings = ix
                    .diagnostics
                    .get(&id_key(&p.id))
                    .map(|d| settings_evidence(d.settings.items()))
                    .unwrap_or(json!([]));
                json!({"policy": p.id, "exports": matches!(e, Export::Yes(_)), "settings": settings})
            })
            .collect();
        let mut evidence = json!({
            "dns_servers": vnet.dns_servers,
            "uses_azure_dns": servers.is_empty(),
            "linked_dns_security_policies": policy_evidence,
            "wanted_policy_categories": self.policy_categories,
        });
        let name = &vnet.name;
        let rid = vnet.id.as_str();
        if servers.is_empty() {
            if let Some((_, Export::Yes(why))) = policy_results
                .iter()
                .find(|(_, e)| matches!(e, Export::Yes(_)))
            {
                return check.finding(
                    Status::Pass,
                    rid,
                    sid,
                    format!(
                        "VNet {name} uses Azure-provided DNS and its queries are logged: {}.",
                        why.join("; ")
                    ),
                    evidence,
                );
            }
            if let Some((_, Export::Unknown(e))) = policy_results
                .iter()
                .find(|(_, e)| matches!(e, Export::Unknown(_)))
            {
                return check.not_assessed(
                    rid,
                    sid,
                    "the diagnostic settings of the DNS security policy linked to this VNet",
                    e,
                );
            }
            if !policy_results.is_empty() {
                let why: Vec<String> = policy_results
                    .iter()
                    .filter_map(|(_, e)| match e {
                        Export::No(w) => Some(w.clone()),
                        _ => None,
                    })
                    .collect();
                return check.finding(Status::Fail, rid, sid, format!("VNet {name} uses Azure-provided DNS and is linked to a DNS security policy, but its queries are not logged: {}.", why.join("; ")), evidence);
            }
            let own = sid.map(str::to_ascii_lowercase).unwrap_or_default();
            if let Some(e) = ix.policies_failed.get(&own) {
                return check.not_assessed(
                    rid,
                    sid,
                    "the DNS security policies of this VNet's subscription and their VNet links",
                    e,
                );
            }
            let mut elsewhere: Vec<String> = ix.policies_failed.keys().cloned().collect();
            elsewhere.sort();
            let caveat = if elsewhere.is_empty() {
                String::new()
            } else {
                evidence["policies_unreadable_in_subscriptions"] = json!(elsewhere);
                format!(" (the DNS security policies of {} other subscription(s) could not be read; a policy there linking this VNet would change this)", elsewhere.len())
            };
            return check.finding(Status::Fail, rid, sid, format!("VNet {name} uses Azure-provided DNS, which keeps no query log, and no DNS security policy is linked to it: nobody can say which names its machines resolved{caveat}."), evidence);
        }

        // Custom DNS servers: each is a firewall DNS proxy we can judge, or someone else's server.
        let mut logged = Vec::new();
        let mut gaps = Vec::new();
        let mut unknown: Vec<ReadError> = Vec::new();
        let mut custom = Vec::new();
        let mut firewalls = Vec::new();
        for s in &servers {
            let Some(fw) = ix.firewalls_by_ip.get(s.trim()) else {
                custom.push(s.to_string());
                continue;
            };
            firewalls.push(json!({"server": s, "firewall": fw.id}));
            let what = format!("Azure Firewall {}", fw.name);
            match ix.proxy(fw) {
                Err(e) => unknown.push(e),
                Ok(false) => gaps.push(format!("{s} is {what}, whose DNS proxy is off")),
                Ok(true) => match ix.exports(
                    ctx,
                    &fw.id,
                    "Microsoft.Network/azureFirewalls",
                    &self.firewall_categories,
                    &what,
                ) {
                    Export::Yes(why) => logged.extend(why),
                    Export::No(why) => {
                        gaps.push(format!("{s} is the DNS proxy of {what}, but {why}"))
                    }
                    Export::Unknown(e) => unknown.push(e),
                },
            }
        }
        evidence["firewall_dns_servers"] = json!(firewalls);
        evidence["other_dns_servers"] = json!(custom);
        evidence["wanted_firewall_categories"] = json!(self.firewall_categories);
        if !gaps.is_empty() {
            return check.finding(
                Status::Fail,
                rid,
                sid,
                format!(
                    "VNet {name} resolves through DNS servers whose queries are not logged: {}.",
                    gaps.join("; ")
                ),
                evidence,
            );
        }
        if let Some(e) = unknown.first() {
            return check.not_assessed(
                rid,
                sid,
                "the Azure Firewall (or its policy) this VNet uses as DNS server",
                e,
            );
        }
        if !custom.is_empty() {
            // An unreadable firewall list may hide that a server is a firewall: still not assessed.
            let maybe_firewall = match &ix.firewalls_incomplete {
                Some(e) => {
                    evidence["firewalls_unreadable"] = json!(e);
                    " (or an Azure Firewall in a subscription whose firewalls could not be read)"
                }
                None => "",
            };
            evidence["error"] = json!(format!("custom DNS servers {}: their query logs live on those servers, which ARM does not describe", custom.join(", ")));
            return check.finding(Status::NotAssessed, rid, sid, format!("Not assessed: VNet {name} uses custom DNS servers {}{maybe_firewall}; their query logs live on those servers, outside what Azure Resource Manager can show.", custom.join(", ")), evidence);
        }
        check.finding(
            Status::Pass,
            rid,
            sid,
            format!("VNet {name} resolves through Azure Firewall DNS proxy and its queries are logged: {}.", logged.join("; ")),
            evidence,
        )
    }
}
