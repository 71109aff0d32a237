//! Scope resolution: which subscriptions to read (all visible, a list, or a management group's
//! descendants), with their names and states, and the ARM resources list of each.

use super::arm::ArmClient;
use super::lenient::{arm_id, opt_nonempty, string_or_empty, tags};
use crate::inventory::{ReadError, Resource, SubscriptionRef};
use serde::Deserialize;

const SUBSCRIPTIONS_API: &str = "2022-12-01";
const MANAGEMENT_GROUPS_API: &str = "2023-04-01";
const RESOURCES_API: &str = "2021-04-01";

#[derive(Debug, Deserialize)]
struct ArmSubscription {
    #[serde(
        rename = "subscriptionId",
        default,
        deserialize_with = "string_or_empty"
    )]
    subscription_id: String,
    #[serde(rename = "displayName", default, deserialize_with = "string_or_empty")]
    display_name: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    state: String,
    #[serde(rename = "tenantId", default, deserialize_with = "opt_nonempty")]
    tenant_id: Option<String>,
}

impl ArmSubscription {
    fn into_ref(self) -> SubscriptionRef {
        SubscriptionRef {
            id: self.subscription_id,
            name: self.display_name,
            state: if self.state.is_empty() {
                "Unknown".into()
            } else {
                self.state
            },
        }
    }
}

#[derive(Debug, Deserialize)]
struct Descendant {
    #[serde(rename = "type", default, deserialize_with = "string_or_empty")]
    kind: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    name: String,
    #[serde(default)]
    properties: Option<DescendantProps>,
}

#[derive(Debug, Deserialize)]
struct DescendantProps {
    #[serde(rename = "displayName", default, deserialize_with = "string_or_empty")]
    display_name: String,
}

/// The subscriptions a scan covers, the tenant they belong to, and the reads that failed.
pub struct ResolvedScope {
    pub subscriptions: Vec<SubscriptionRef>,
    pub tenant_id: Option<String>,
}

/// Every subscription the identity can read.
pub async fn list_visible(
    client: &ArmClient,
    errors: &mut Vec<ReadError>,
) -> Result<ResolvedScope, ReadError> {
    let subs: Vec<ArmSubscription> = client
        .list(
            "/subscriptions",
            "subscriptions.list",
            "/subscriptions",
            SUBSCRIPTIONS_API,
            &[],
            errors,
        )
        .await?;
    let tenant_id = subs.iter().find_map(|s| s.tenant_id.clone());
    let subscriptions = subs
        .into_iter()
        .filter(|s| !s.subscription_id.is_empty())
        .map(ArmSubscription::into_ref)
        .collect();
    Ok(ResolvedScope {
        subscriptions,
        tenant_id,
    })
}

/// One named subscription. A failed read keeps it in scope as state `Unknown`, so it shows as
/// not assessed rather than vanishing from the report.
pub async fn get_one(
    client: &ArmClient,
    id: &str,
    errors: &mut Vec<ReadError>,
) -> (SubscriptionRef, Option<String>) {
    let path = format!("/subscriptions/{id}");
    match client
        .get_json::<ArmSubscription>(&path, "subscriptions.get", &path, SUBSCRIPTIONS_API, &[])
        .await
    {
        Ok(s) => {
            let tenant = s.tenant_id.clone();
            let mut r = s.into_ref();
            if r.id.is_empty() {
                r.id = id.to_string();
            }
            (r, tenant)
        }
        Err(e) => {
            errors.push(e);
            (
                SubscriptionRef {
                    id: id.to_string(),
                    name: String::new(),
                    state: "Unknown".into(),
                },
                None,
            )
        }
    }
}

/// Subscriptions below a management group (any depth).
pub async fn management_group_subscriptions(
    client: &ArmClient,
    group: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<SubscriptionRef>, ReadError> {
    let path = format!("/providers/Microsoft.Management/managementGroups/{group}/descendants");
    let items: Vec<Descendant> = client
        .list(
            &path,
            "managementGroups.descendants",
            &path,
            MANAGEMENT_GROUPS_API,
            &[],
            errors,
        )
        .await?;
    Ok(items
        .into_iter()
        .filter(|d| {
            d.kind
                .eq_ignore_ascii_case("Microsoft.Management/managementGroups/subscriptions")
        })
        .map(|d| SubscriptionRef {
            id: d.name,
            name: d.properties.map(|p| p.display_name).unwrap_or_default(),
            state: "Unknown".into(),
        })
        .collect())
}

#[derive(Debug, Deserialize)]
struct ArmResource {
    #[serde(default, deserialize_with = "string_or_empty")]
    id: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    name: String,
    #[serde(rename = "type", default, deserialize_with = "string_or_empty")]
    resource_type: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    location: String,
    #[serde(default, deserialize_with = "opt_nonempty")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "tags")]
    tags: std::collections::BTreeMap<String, String>,
}

/// The ARM resources list of a subscription (all pages).
pub async fn list_resources(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<Resource>, ReadError> {
    let items: Vec<ArmResource> = client
        .list_in_subscription(
            subscription_id,
            "resources",
            "resources.list",
            RESOURCES_API,
            errors,
        )
        .await?;
    Ok(items
        .into_iter()
        .filter(|r| !r.id.is_empty())
        .map(|r| Resource {
            id: arm_id(&r.id),
            name: r.name,
            resource_type: r.resource_type,
            location: r.location,
            kind: r.kind,
            tags: r.tags,
        })
        .collect())
}
