//! The demo tenant's investigation trails: a VNet logged by a DNS security policy and one on
//! Azure DNS without any, just-in-time access on two VMs, and the NICs and public IPs that
//! flow-log attribution maps.

use super::{group, setting};
use crate::inventory::*;

/// What prod adds for the trails.
pub struct Trails {
    pub resources: Vec<Resource>,
    pub diagnostics: Vec<ResourceDiagnostics>,
    pub network_interfaces: Vec<NetworkInterface>,
    pub public_ip_addresses: Vec<PublicIpAddress>,
    pub load_balancers: Vec<LoadBalancer>,
    pub dns_security_policies: Vec<DnsSecurityPolicy>,
    pub jit_policies: Vec<JitPolicy>,
}

/// A NIC with one IP configuration.
pub fn nic(
    id: &str,
    private_ip: &str,
    subnet: &str,
    public_ip: Option<&str>,
    vm: Option<&str>,
) -> NetworkInterface {
    NetworkInterface {
        id: id.into(),
        name: last_segment(id),
        location: String::new(),
        subnet_ids: vec![subnet.into()],
        ip_configurations: vec![NicIpConfiguration {
            name: "ipconfig1".into(),
            private_ip: Some(private_ip.into()),
            public_ip_id: public_ip.map(String::from),
            subnet_id: Some(subnet.into()),
        }],
        network_security_group_id: None,
        virtual_machine_id: vm.map(String::from),
        private_endpoint_id: None,
        private_link_service_id: None,
        dns_servers: vec![],
    }
}

/// `g`: prod's resource group id; `vnet`: the VNet the DNS security policy covers; `vnet_neu`:
/// the one left on Azure DNS without a policy; `vms`: dc01, app01, lnx01.
pub fn prod(g: &str, ws: &str, vnet: &str, vnet_neu: &str, vms: [&str; 3]) -> Trails {
    let policy = format!("{g}/providers/Microsoft.Network/dnsResolverPolicies/dnspol-prod-weu");
    let net = format!("{g}/providers/Microsoft.Network");
    let pip_app = format!("{net}/publicIPAddresses/pip-prod-app01");
    let pip_lb = format!("{net}/publicIPAddresses/pip-prod-lb-web");
    let nic_app = format!("{net}/networkInterfaces/vm-prod-app01-nic");
    let mut pe = nic(
        &format!("{net}/networkInterfaces/pe-kv-prod-payments.nic.0c1d2e3f"),
        "10.0.2.10",
        &format!("{vnet}/subnets/data"),
        None,
        None,
    );
    pe.private_endpoint_id = Some(format!("{net}/privateEndpoints/pe-kv-prod-payments"));
    Trails {
        resources: vec![super::res(
            &policy,
            "Microsoft.Network/dnsResolverPolicies",
            "westeurope",
        )],
        diagnostics: vec![ResourceDiagnostics {
            resource_id: policy.clone(),
            resource_type: "Microsoft.Network/dnsResolverPolicies".into(),
            settings: Read::ok(vec![setting(
                &format!("{policy}/providers/microsoft.insights/diagnosticSettings/dns-to-law"),
                "dns-to-law",
                Some(ws),
                None,
                vec![group("allLogs")],
            )]),
        }],
        network_interfaces: vec![
            nic(
                &format!("{net}/networkInterfaces/vm-prod-dc01-nic"),
                "10.0.1.4",
                &format!("{vnet}/subnets/web"),
                None,
                Some(vms[0]),
            ),
            nic(
                &nic_app,
                "10.0.1.5",
                &format!("{vnet}/subnets/web"),
                Some(&pip_app),
                Some(vms[1]),
            ),
            nic(
                &format!("{net}/networkInterfaces/vm-prod-lnx01-nic"),
                "10.1.0.4",
                &format!("{vnet_neu}/subnets/dr"),
                None,
                Some(vms[2]),
            ),
            pe,
        ],
        public_ip_addresses: vec![
            PublicIpAddress {
                id: pip_app.clone(),
                name: "pip-prod-app01".into(),
                location: "westeurope".into(),
                ip_address: Some("20.61.14.7".into()),
                ip_configuration_id: Some(format!("{nic_app}/ipConfigurations/ipconfig1")),
            },
            PublicIpAddress {
                id: pip_lb,
                name: "pip-prod-lb-web".into(),
                location: "westeurope".into(),
                ip_address: Some("20.61.14.20".into()),
                ip_configuration_id: Some(format!(
                    "{net}/loadBalancers/lb-prod-web/frontendIPConfigurations/fe-web"
                )),
            },
        ],
        load_balancers: vec![LoadBalancer {
            id: format!("{net}/loadBalancers/lbi-prod-data"),
            name: "lbi-prod-data".into(),
            location: "westeurope".into(),
            frontends: vec![LoadBalancerFrontend {
                name: "fe-sql-listener".into(),
                private_ip: Some("10.0.2.20".into()),
                subnet_id: Some(format!("{vnet}/subnets/data")),
            }],
        }],
        dns_security_policies: vec![DnsSecurityPolicy {
            id: policy,
            name: "dnspol-prod-weu".into(),
            location: "westeurope".into(),
            virtual_network_ids: Read::ok(vec![vnet.to_string()]),
        }],
        jit_policies: vec![JitPolicy {
            id: format!("{g}/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default"),
            name: "default".into(),
            location: "westeurope".into(),
            virtual_machine_ids: vec![vms[0].to_string(), vms[1].to_string()],
        }],
    }
}
