//! DNS security policies (`Microsoft.Network/dnsResolverPolicies`) and their virtual network
//! links: the only way Azure-provided DNS records a VNet's queries (DnsResponse → DNSQueryLogs).
//! Their diagnostic settings are read with every other resource's.

use super::arm::ArmClient;
use super::lenient::{arm_id, require_properties, Envelope, IdRef};
use crate::inventory::{DnsSecurityPolicy, ReadError};
use serde::Deserialize;

const DNS_RESOLVER_API: &str = "2025-05-01";

#[derive(Debug, Default, Deserialize)]
struct PolicyProps {}

#[derive(Debug, Default, Deserialize)]
struct LinkProps {
    #[serde(rename = "virtualNetwork", default)]
    virtual_network: Option<IdRef>,
}

/// The subscription's policies, each with its VNet links read (one list per policy).
pub async fn policies(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<DnsSecurityPolicy>, ReadError> {
    let items: Vec<Envelope<PolicyProps>> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Network/dnsResolverPolicies",
            "dnsResolverPolicies.list",
            DNS_RESOLVER_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "dnsResolverPolicies.list", errors);
    let read = futures::future::join_all(items.into_iter().map(|p| async move {
        let id = arm_id(&p.id);
        let mut e = Vec::new();
        let links = links(client, &id, &mut e).await;
        let links = super::with_item_errors(links, &e);
        if let Some(err) = &links.error {
            if !e.contains(err) {
                e.push(err.clone());
            }
        }
        let policy = DnsSecurityPolicy {
            id,
            name: p.name,
            location: p.location,
            virtual_network_ids: links,
        };
        (policy, e)
    }))
    .await;
    let (policies, link_errors) = super::with_all_errors(read);
    errors.extend(link_errors);
    Ok(policies)
}

async fn links(
    client: &ArmClient,
    policy_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<String>, ReadError> {
    let path = format!("{policy_id}/virtualNetworkLinks");
    let items: Vec<Envelope<LinkProps>> = client
        .list(
            policy_id,
            "dnsResolverPolicies.virtualNetworkLinks.list",
            &path,
            DNS_RESOLVER_API,
            &[],
            errors,
        )
        .await?;
    let items = require_properties(
        items,
        "dnsResolverPolicies.virtualNetworkLinks.list",
        errors,
    );
    Ok(items
        .into_iter()
        .filter_map(|l| l.properties.and_then(|p| p.virtual_network))
        .map(|v| arm_id(&v.id))
        .filter(|v| !v.is_empty())
        .collect())
}
