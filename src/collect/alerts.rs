//! Activity-log alert rules of a subscription (`Microsoft.Insights/activityLogAlerts`).

use super::arm::ArmClient;
use super::lenient::{arm_id, null_vec, require_properties, string_or_empty, Envelope};
use crate::inventory::{
    ActionGroup as InventoryActionGroup, ActivityLogAlert, AlertCondition, ReadError,
};
use serde::Deserialize;

const ALERTS_API: &str = "2020-10-01";
const ACTION_GROUPS_API: &str = "2023-01-01";

type ArmAlert = Envelope<AlertProps>;

#[derive(Debug, Default, Deserialize)]
struct AlertProps {
    #[serde(
        default = "enabled_by_default",
        deserialize_with = "bool_lenient_default_true"
    )]
    enabled: bool,
    #[serde(default, deserialize_with = "null_vec")]
    scopes: Vec<String>,
    #[serde(default)]
    condition: Option<Condition>,
    #[serde(default)]
    actions: Option<Actions>,
}

fn enabled_by_default() -> bool {
    true
}

/// ARM omits `enabled` when it is the default (true). A value that is there but cannot be
/// read makes the item unreadable (not assessed), never an enabled alert.
fn bool_lenient_default_true<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    match v {
        None | Some(serde_json::Value::Null) => Ok(true),
        Some(v) => super::lenient::opt_bool_lenient(v)
            .ok()
            .flatten()
            .ok_or_else(|| serde::de::Error::custom("`enabled` is not a boolean")),
    }
}

#[derive(Debug, Default, Deserialize)]
struct Condition {
    #[serde(rename = "allOf", default, deserialize_with = "null_vec")]
    all_of: Vec<Leaf>,
}

#[derive(Debug, Default, Deserialize)]
struct Leaf {
    #[serde(default, deserialize_with = "string_or_empty")]
    field: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    equals: String,
    #[serde(rename = "anyOf", default, deserialize_with = "null_vec")]
    any_of: Vec<Leaf>,
}

#[derive(Debug, Default, Deserialize)]
struct Actions {
    #[serde(rename = "actionGroups", default, deserialize_with = "null_vec")]
    action_groups: Vec<ActionGroup>,
}

#[derive(Debug, Default, Deserialize)]
struct ActionGroup {
    #[serde(
        rename = "actionGroupId",
        default,
        deserialize_with = "string_or_empty"
    )]
    action_group_id: String,
}

pub async fn activity_log_alerts(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<ActivityLogAlert>, ReadError> {
    let items: Vec<ArmAlert> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Insights/activityLogAlerts",
            "activityLogAlerts.list",
            ALERTS_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "activityLogAlerts.list", errors);
    Ok(items
        .into_iter()
        .map(|a| {
            let p = a.properties.unwrap_or_default();
            let mut conditions = Vec::new();
            for leaf in p.condition.unwrap_or_default().all_of {
                if !leaf.field.is_empty() {
                    conditions.push(AlertCondition {
                        field: leaf.field,
                        equals: leaf.equals,
                    });
                }
                // anyOf groups: any one of the alternatives matches; keep them all for the check.
                for alt in leaf.any_of {
                    if !alt.field.is_empty() {
                        conditions.push(AlertCondition {
                            field: alt.field,
                            equals: alt.equals,
                        });
                    }
                }
            }
            ActivityLogAlert {
                id: arm_id(&a.id),
                name: a.name,
                enabled: p.enabled,
                scopes: p.scopes.into_iter().map(|s| arm_id(&s)).collect(),
                conditions,
                action_groups: p
                    .actions
                    .unwrap_or_default()
                    .action_groups
                    .into_iter()
                    .map(|g| g.action_group_id)
                    .filter(|g| !g.is_empty())
                    .collect(),
            }
        })
        .collect())
}

type ArmActionGroup = Envelope<ActionGroupProps>;

/// The receiver lists of an action group (every kind ARM has), counted, not read.
#[derive(Debug, Default, Deserialize)]
struct ActionGroupProps {
    #[serde(default, deserialize_with = "super::lenient::opt_bool_lenient")]
    enabled: Option<bool>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

const RECEIVER_LISTS: [&str; 11] = [
    "emailReceivers",
    "smsReceivers",
    "webhookReceivers",
    "itsmReceivers",
    "azureAppPushReceivers",
    "automationRunbookReceivers",
    "voiceReceivers",
    "logicAppReceivers",
    "azureFunctionReceivers",
    "armRoleReceivers",
    "eventHubReceivers",
];

/// Action groups of a subscription, with their receiver counts.
pub async fn action_groups(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<InventoryActionGroup>, ReadError> {
    let items: Vec<ArmActionGroup> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Insights/actionGroups",
            "actionGroups.list",
            ACTION_GROUPS_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "actionGroups.list", errors);
    Ok(items
        .into_iter()
        .map(|g| {
            let p = g.properties.unwrap_or_default();
            let receivers = RECEIVER_LISTS
                .iter()
                .filter_map(|k| p.rest.get(*k).and_then(|v| v.as_array()))
                .map(|a| a.len() as u32)
                .sum();
            InventoryActionGroup {
                id: arm_id(&g.id),
                name: g.name,
                enabled: p.enabled,
                receivers,
            }
        })
        .collect())
}
