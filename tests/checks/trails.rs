//! Cases of the investigation-trail checks (checks/trails.toml and LP-FLOW-006).

use super::*;

const JIT_OP: &str = "Microsoft.Security/locations/jitNetworkAccessPolicies/initiate/action";

fn policy_id() -> String {
    rid("Microsoft.Network/dnsResolverPolicies/dnspol")
}
fn fw_id() -> String {
    rid("Microsoft.Network/azureFirewalls/fw")
}
fn fw_policy_id() -> String {
    rid("Microsoft.Network/firewallPolicies/fwpol")
}
fn nic_id() -> String {
    rid("Microsoft.Network/networkInterfaces/vm-nic")
}

/// The case VNet, on Azure DNS unless `dns` names servers.
fn with_vnet(s: &mut Snapshot, dns: &[&str]) {
    sub(s).virtual_networks = Read::ok(vec![VirtualNetwork {
        dns_servers: dns.iter().map(|d| d.to_string()).collect(),
        ..vnet()
    }]);
}

/// A DNS security policy linked to the case VNet, its settings exporting `logs` (None: unreadable).
fn with_policy(s: &mut Snapshot, logs: Option<Vec<LogSetting>>) {
    s.inventory.diagnostic_categories.insert(
        "microsoft.network/dnsresolverpolicies".into(),
        cats(&[("DnsResponse", &["allLogs"])]),
    );
    let settings = match logs {
        None => Read::failed(forbidden()),
        Some(l) => Read::ok(vec![to_ws("dns", l)]),
    };
    with_resource_diag(
        s,
        &policy_id(),
        "Microsoft.Network/dnsResolverPolicies",
        settings,
    );
    sub(s).dns_security_policies = Read::ok(vec![DnsSecurityPolicy {
        id: policy_id(),
        name: "dnspol".into(),
        location: "westeurope".into(),
        virtual_network_ids: Read::ok(vec![vnet_id()]),
    }]);
}

/// An Azure Firewall at 10.0.0.4 whose policy sets the DNS proxy to `proxy`, exporting `logs`.
fn with_firewall(s: &mut Snapshot, proxy: Option<bool>, logs: &[&str]) {
    s.inventory.diagnostic_categories.insert(
        "microsoft.network/azurefirewalls".into(),
        cats(&[
            ("AZFWDnsQuery", &["allLogs"]),
            ("AZFWNetworkRule", &["allLogs"]),
        ]),
    );
    with_resource_diag(
        s,
        &fw_id(),
        "Microsoft.Network/azureFirewalls",
        Read::ok(vec![to_ws("fw", logs.iter().map(|c| log(c)).collect())]),
    );
    sub(s).firewalls = Read::ok(vec![AzureFirewall {
        id: fw_id(),
        name: "fw".into(),
        location: "westeurope".into(),
        private_ips: vec!["10.0.0.4".into()],
        firewall_policy_id: Some(fw_policy_id()),
        dns_proxy: Some(false),
    }]);
    sub(s).firewall_policies = Read::ok(vec![FirewallPolicy {
        id: fw_policy_id(),
        name: "fwpol".into(),
        dns_proxy: proxy,
    }]);
}

fn with_jit(s: &mut Snapshot) {
    sub(s).jit_policies = Read::ok(vec![JitPolicy {
        id: rid("Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default"),
        name: "default".into(),
        location: "westeurope".into(),
        virtual_machine_ids: vec![vm_id()],
    }]);
}

/// Administrative and Security to the case workspace, whose AzureActivity table keeps `total` days.
fn activity_to_workspace(s: &mut Snapshot, total: u32) {
    sub(s).activity_log_settings = Read::ok(vec![to_ws(
        "act",
        vec![log("Administrative"), log("Security")],
    )]);
    sub(s).workspaces = Read::ok(vec![workspace(
        90,
        vec![table("AzureActivity", None, Some(total))],
    )]);
}

/// The case VM with one NIC in subnet `a` of the case VNet (its NSG `nsg`).
fn with_vm_nic(s: &mut Snapshot) {
    sub(s).virtual_machines = Read::ok(vec![VirtualMachine {
        id: vm_id(),
        name: "vm".into(),
        location: "westeurope".into(),
        os_type: Some("Linux".into()),
        dcr_associations: Read::ok(vec![]),
        ..Default::default()
    }]);
    sub(s).virtual_networks = Read::ok(vec![vnet()]);
    sub(s).network_interfaces = Read::ok(vec![NetworkInterface {
        id: nic_id(),
        name: "vm-nic".into(),
        subnet_ids: vec![format!("{}/subnets/a", vnet_id())],
        virtual_machine_id: Some(vm_id()),
        ..Default::default()
    }]);
}

pub fn cases() -> Vec<Case> {
    vec![
        // LP-DNS-001
        case!(
            "LP-DNS-001",
            "Azure DNS with a linked policy exporting DnsResponse through allLogs",
            vnet_id,
            Pass,
            |s| {
                with_vnet(s, &[]);
                with_policy(s, Some(vec![group("allLogs")]));
            }
        ),
        case!(
            "LP-DNS-001",
            "168.63.129.16 listed explicitly is still Azure DNS",
            vnet_id,
            Pass,
            |s| {
                with_vnet(s, &["168.63.129.16"]);
                with_policy(s, Some(vec![log("DnsResponse")]));
            }
        ),
        case!(
            "LP-DNS-001",
            "Azure DNS without any policy keeps no query log",
            vnet_id,
            Fail,
            |s| {
                with_vnet(s, &[]);
            }
        ),
        case!(
            "LP-DNS-001",
            "a linked policy whose setting exports nothing",
            vnet_id,
            Fail,
            |s| {
                with_vnet(s, &[]);
                with_policy(s, Some(vec![]));
            }
        ),
        case!(
            "LP-DNS-001",
            "the linked policy's settings are unreadable",
            vnet_id,
            NotAssessed,
            |s| {
                with_vnet(s, &[]);
                with_policy(s, None);
            }
        ),
        case!(
            "LP-DNS-001",
            "the subscription's policy list failed",
            vnet_id,
            NotAssessed,
            |s| {
                with_vnet(s, &[]);
                sub(s).dns_security_policies = Read::failed(forbidden());
            }
        ),
        case!(
            "LP-DNS-001",
            "a policy's VNet links could not be read",
            vnet_id,
            NotAssessed,
            |s| {
                with_vnet(s, &[]);
                with_policy(s, Some(vec![group("allLogs")]));
                if let Some(p) = sub(s).dns_security_policies.value.as_mut() {
                    p[0].virtual_network_ids = Read::failed(forbidden());
                }
            }
        ),
        case!(
            "LP-DNS-001",
            "custom DNS servers keep their own logs",
            vnet_id,
            NotAssessed,
            |s| {
                with_vnet(s, &["10.50.0.4", "10.50.0.5"]);
            }
        ),
        case!(
            "LP-DNS-001",
            "firewall DNS proxy on (policy) exporting AZFWDnsQuery",
            vnet_id,
            Pass,
            |s| {
                with_vnet(s, &["10.0.0.4"]);
                with_firewall(s, Some(true), &["AZFWDnsQuery"]);
            }
        ),
        case!(
            "LP-DNS-001",
            "firewall DNS proxy on, legacy AzureFirewallDnsProxy category",
            vnet_id,
            Pass,
            |s| {
                with_vnet(s, &["10.0.0.4"]);
                with_firewall(s, Some(true), &["AzureFirewallDnsProxy"]);
            }
        ),
        case!(
            "LP-DNS-001",
            "firewall DNS proxy on but its DNS logs not exported",
            vnet_id,
            Fail,
            |s| {
                with_vnet(s, &["10.0.0.4"]);
                with_firewall(s, Some(true), &["AZFWNetworkRule"]);
            }
        ),
        case!("LP-DNS-001", "firewall DNS proxy off", vnet_id, Fail, |s| {
            with_vnet(s, &["10.0.0.4"]);
            with_firewall(s, Some(false), &["AZFWDnsQuery"]);
        }),
        case!(
            "LP-DNS-001",
            "firewall policy's DNS proxy setting unreadable",
            vnet_id,
            NotAssessed,
            |s| {
                with_vnet(s, &["10.0.0.4"]);
                with_firewall(s, None, &["AZFWDnsQuery"]);
            }
        ),
        case!(
            "LP-DNS-001",
            "a firewall plus an unknown server: the unknown one is not assessed",
            vnet_id,
            NotAssessed,
            |s| {
                with_vnet(s, &["10.0.0.4", "10.9.9.9"]);
                with_firewall(s, Some(true), &["AZFWDnsQuery"]);
            }
        ),
        case!(
            "LP-DNS-001",
            "a DNS server entry that is not an IP address",
            vnet_id,
            NotAssessed,
            |s| {
                with_vnet(s, &["<script>alert(1)</script>"]);
                with_policy(s, Some(vec![group("allLogs")]));
            }
        ),
        case!(
            "LP-DNS-001",
            "VNets unreadable",
            sub_scope,
            NotAssessed,
            |s| {
                sub(s).virtual_networks = Read::failed(forbidden());
            }
        ),
        // LP-JIT-001
        case!(
            "LP-JIT-001",
            "AzureActivity kept 730 days in the workspace",
            sub_scope,
            Pass,
            |s| {
                with_jit(s);
                activity_to_workspace(s, 730);
            }
        ),
        case!(
            "LP-JIT-001",
            "AzureActivity kept 90 days: shorter than 365",
            sub_scope,
            Fail,
            |s| {
                with_jit(s);
                activity_to_workspace(s, 90);
            }
        ),
        case!(
            "LP-JIT-001",
            "activity log not exported: Azure keeps 90 days",
            sub_scope,
            Fail,
            |s| {
                with_jit(s);
            }
        ),
        case!(
            "LP-JIT-001",
            "only a storage account keeps it: lifecycle not read",
            sub_scope,
            NotAssessed,
            |s| {
                with_jit(s);
                sub(s).activity_log_settings = Read::ok(vec![to_storage(
                    "act",
                    vec![log("Administrative"), log("Security")],
                )]);
            }
        ),
        case!(
            "LP-JIT-001",
            "the workspace's tables are unreadable",
            sub_scope,
            NotAssessed,
            |s| {
                with_jit(s);
                activity_to_workspace(s, 730);
                if let Some(w) = sub(s).workspaces.value.as_mut() {
                    w[0].tables = Read::failed(forbidden());
                }
            }
        ),
        case!(
            "LP-JIT-001",
            "JIT policies unreadable",
            sub_scope,
            NotAssessed,
            |s| {
                sub(s).jit_policies = Read::failed(forbidden());
            }
        ),
        case!(
            "LP-JIT-001",
            "no JIT policy: nothing to keep",
            sub_scope,
            NotApplicable,
            |_| {}
        ),
        // LP-JIT-002
        case!(
            "LP-JIT-002",
            "an alert on the initiate operation",
            sub_scope,
            Pass,
            |s| {
                with_jit(s);
                sub(s).activity_log_alerts = Read::ok(vec![alert(JIT_OP, true)]);
            }
        ),
        case!(
            "LP-JIT-002",
            "JIT configured without an alert",
            sub_scope,
            Fail,
            |s| {
                with_jit(s);
            }
        ),
        case!(
            "LP-JIT-002",
            "JIT policies unreadable",
            sub_scope,
            NotAssessed,
            |s| {
                sub(s).jit_policies = Read::failed(forbidden());
            }
        ),
        case!(
            "LP-JIT-002",
            "no JIT policy: no alert needed",
            sub_scope,
            NotApplicable,
            |_| {}
        ),
        // LP-FLOW-006
        case!(
            "LP-FLOW-006",
            "the VNet flow log covers the VM's NIC",
            vm_id,
            Pass,
            |s| {
                with_vm_nic(s);
                sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 90, true)]);
            }
        ),
        case!(
            "LP-FLOW-006",
            "the subnet's NSG flow log covers the VM's NIC",
            vm_id,
            Pass,
            |s| {
                with_vm_nic(s);
                sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 90, true)]);
            }
        ),
        case!("LP-FLOW-006", "no flow log anywhere", vm_id, Fail, |s| {
            with_vm_nic(s);
        }),
        case!(
            "LP-FLOW-006",
            "a disabled VNet flow log covers nothing",
            vm_id,
            Fail,
            |s| {
                with_vm_nic(s);
                let mut fl = flow_log(&vnet_id(), true, 90, true);
                fl.enabled = false;
                sub(s).flow_logs = Read::ok(vec![fl]);
            }
        ),
        case!(
            "LP-FLOW-006",
            "a watcher's flow logs unreadable",
            vm_id,
            NotAssessed,
            |s| {
                with_vm_nic(s);
                sub(s).flow_logs = Read::partial(vec![], Some(forbidden()));
            }
        ),
        case!(
            "LP-FLOW-006",
            "the VM's NICs unreadable",
            vm_id,
            NotAssessed,
            |s| {
                with_vm_nic(s);
                sub(s).network_interfaces = Read::failed(forbidden());
            }
        ),
    ]
}

#[test]
fn a_nic_with_its_own_dns_servers_is_named_on_its_vnet() {
    let mut s = base();
    with_vnet(&mut s, &[]);
    with_policy(&mut s, Some(vec![group("allLogs")]));
    sub(&mut s).network_interfaces = Read::ok(vec![NetworkInterface {
        id: nic_id(),
        name: "vm-nic".into(),
        subnet_ids: vec![format!("{}/subnets/a", vnet_id())],
        dns_servers: vec!["10.50.0.4".into()],
        ..Default::default()
    }]);
    let f = findings(&s, "LP-DNS-001");
    let v = f.iter().find(|f| f.resource_id == vnet_id()).unwrap();
    assert_eq!(
        v.status,
        Status::Pass,
        "the VNet's own resolution is logged"
    );
    assert!(
        v.message.contains("1 network interface(s)"),
        "{}",
        v.message
    );
    assert_eq!(
        v.evidence.value()["network_interfaces_with_own_dns_servers"][0]["dns_servers"][0],
        "10.50.0.4"
    );
}
