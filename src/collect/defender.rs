//! Microsoft Defender for Cloud plans (`Microsoft.Security/pricings`) and workflow automations
//! (`Microsoft.Security/automations`: continuous export) and security contacts of a subscription.

use super::arm::ArmClient;
use super::lenient::{
    bool_lenient, opt_bool_lenient, opt_nonempty, require_properties, string_or_empty, Envelope,
};
use crate::inventory::{
    AutomationSource, DefenderPlan, PlanExtension, ReadError, SecurityAutomation, SecurityContact,
};
use serde::Deserialize;

const PRICINGS_API: &str = "2024-01-01";
/// Automations - List: the version Microsoft's REST reference documents (learn.microsoft.com
/// rest/api/defenderforcloud/automations/list).
const AUTOMATIONS_API: &str = "2023-12-01-preview";
/// Security Contacts - List: the version with notification sources (alerts, attack paths).
const CONTACTS_API: &str = "2023-12-01-preview";

type ArmPricing = Envelope<PricingProps>;

#[derive(Debug, Default, Deserialize)]
struct PricingProps {
    #[serde(rename = "pricingTier", default, deserialize_with = "string_or_empty")]
    pricing_tier: String,
    #[serde(rename = "subPlan", default, deserialize_with = "opt_nonempty")]
    sub_plan: Option<String>,
    #[serde(default, deserialize_with = "bool_lenient")]
    deprecated: bool,
    /// Kept raw: a value that is not a list of extensions is unknown, not an error of the
    /// whole plan list.
    #[serde(default)]
    extensions: Option<serde_json::Value>,
}

#[derive(Debug, Default, Deserialize)]
struct ExtensionProps {
    #[serde(default, deserialize_with = "string_or_empty")]
    name: String,
    /// `"True"` / `"False"` as strings in the published examples.
    #[serde(rename = "isEnabled", default, deserialize_with = "opt_bool_lenient")]
    is_enabled: Option<bool>,
}

/// The plan's extensions, or None when ARM's value is absent or not a list of them.
fn extensions(v: Option<serde_json::Value>) -> Option<Vec<PlanExtension>> {
    let list: Vec<ExtensionProps> = serde_json::from_value(v?).ok()?;
    Some(
        list.into_iter()
            .filter(|e| !e.name.is_empty())
            .map(|e| PlanExtension {
                name: e.name,
                enabled: e.is_enabled,
            })
            .collect(),
    )
}

pub async fn plans(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<DefenderPlan>, ReadError> {
    let items: Vec<ArmPricing> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Security/pricings",
            "pricings.list",
            PRICINGS_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "pricings.list", errors);
    Ok(items
        .into_iter()
        .filter(|p| !p.name.is_empty())
        .map(|p| {
            let props = p.properties.unwrap_or_default();
            DefenderPlan {
                name: p.name,
                pricing_tier: props.pricing_tier,
                sub_plan: props.sub_plan,
                deprecated: props.deprecated,
                extensions: extensions(props.extensions),
            }
        })
        .collect())
}

type ArmAutomation = Envelope<AutomationProps>;

#[derive(Debug, Default, Deserialize)]
struct AutomationProps {
    #[serde(rename = "isEnabled", default, deserialize_with = "opt_bool_lenient")]
    is_enabled: Option<bool>,
    #[serde(default, deserialize_with = "super::lenient::null_vec")]
    sources: Vec<SourceProps>,
    #[serde(default, deserialize_with = "super::lenient::null_vec")]
    actions: Vec<ActionProps>,
}

#[derive(Debug, Default, Deserialize)]
struct SourceProps {
    #[serde(rename = "eventSource", default, deserialize_with = "string_or_empty")]
    event_source: String,
    #[serde(
        rename = "ruleSets",
        default,
        deserialize_with = "super::lenient::null_vec"
    )]
    rule_sets: Vec<RuleSetProps>,
}

#[derive(Debug, Default, Deserialize)]
struct RuleSetProps {
    #[serde(default, deserialize_with = "super::lenient::null_vec")]
    rules: Vec<RuleProps>,
}

#[derive(Debug, Default, Deserialize)]
struct RuleProps {
    #[serde(
        rename = "propertyJPath",
        default,
        deserialize_with = "string_or_empty"
    )]
    property_j_path: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    operator: String,
    #[serde(
        rename = "expectedValue",
        default,
        deserialize_with = "string_or_empty"
    )]
    expected_value: String,
}

#[derive(Debug, Default, Deserialize)]
struct ActionProps {
    #[serde(rename = "actionType", default, deserialize_with = "string_or_empty")]
    action_type: String,
}

/// The severities a source's rule sets keep (rule sets are alternatives; the rules of one all
/// hold): None when some rule set does not filter on severity, so every severity is kept.
fn severities(rule_sets: &[RuleSetProps]) -> Option<Vec<String>> {
    if rule_sets.is_empty() {
        return None;
    }
    let mut kept = Vec::new();
    for set in rule_sets {
        let on_severity: Vec<&RuleProps> = set
            .rules
            .iter()
            .filter(|r| {
                r.property_j_path
                    .rsplit('.')
                    .next()
                    .is_some_and(|p| p.eq_ignore_ascii_case("severity"))
            })
            .collect();
        // A rule set that filters on severity other than by equality cannot be read as a list.
        if on_severity.is_empty()
            || on_severity
                .iter()
                .any(|r| !r.operator.eq_ignore_ascii_case("equals"))
        {
            return None;
        }
        kept.extend(on_severity.iter().map(|r| r.expected_value.clone()));
    }
    Some(kept)
}

pub async fn automations(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<SecurityAutomation>, ReadError> {
    let items: Vec<ArmAutomation> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Security/automations",
            "automations.list",
            AUTOMATIONS_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "automations.list", errors);
    Ok(items
        .into_iter()
        .filter(|a| !a.name.is_empty())
        .map(|a| {
            let p = a.properties.unwrap_or_default();
            SecurityAutomation {
                id: super::lenient::arm_id(&a.id),
                name: a.name,
                enabled: p.is_enabled,
                sources: p
                    .sources
                    .into_iter()
                    .filter(|s| !s.event_source.is_empty())
                    .map(|s| AutomationSource {
                        severities: severities(&s.rule_sets),
                        event_source: s.event_source,
                    })
                    .collect(),
                action_types: p
                    .actions
                    .into_iter()
                    .map(|x| x.action_type)
                    .filter(|t| !t.is_empty())
                    .collect(),
            }
        })
        .collect())
}

type ArmContact = Envelope<ContactProps>;

#[derive(Debug, Default, Deserialize)]
struct ContactProps {
    #[serde(rename = "isEnabled", default, deserialize_with = "opt_bool_lenient")]
    is_enabled: Option<bool>,
    /// Addresses separated by `;` (or `,`).
    #[serde(default, deserialize_with = "string_or_empty")]
    emails: String,
    #[serde(rename = "notificationsByRole", default)]
    notifications_by_role: Option<ByRole>,
    #[serde(
        rename = "notificationsSources",
        default,
        deserialize_with = "super::lenient::null_vec"
    )]
    notifications_sources: Vec<NotificationSource>,
}

#[derive(Debug, Default, Deserialize)]
struct ByRole {
    #[serde(default, deserialize_with = "opt_nonempty")]
    state: Option<String>,
    #[serde(default, deserialize_with = "super::lenient::null_vec")]
    roles: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
struct NotificationSource {
    #[serde(rename = "sourceType", default, deserialize_with = "string_or_empty")]
    source_type: String,
    #[serde(rename = "minimalSeverity", default, deserialize_with = "opt_nonempty")]
    minimal_severity: Option<String>,
    #[serde(
        rename = "minimalRiskLevel",
        default,
        deserialize_with = "opt_nonempty"
    )]
    minimal_risk_level: Option<String>,
}

pub async fn security_contacts(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<SecurityContact>, ReadError> {
    let items: Vec<ArmContact> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Security/securityContacts",
            "securityContacts.list",
            CONTACTS_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "securityContacts.list", errors);
    Ok(items
        .into_iter()
        .filter(|c| !c.name.is_empty())
        .map(|c| {
            let p = c.properties.unwrap_or_default();
            let by_role = p.notifications_by_role.unwrap_or_default();
            let source = |kind: &str| {
                p.notifications_sources
                    .iter()
                    .find(|s| s.source_type.eq_ignore_ascii_case(kind))
            };
            SecurityContact {
                name: c.name,
                enabled: p.is_enabled,
                emails: p
                    .emails
                    .split([';', ','])
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .map(str::to_string)
                    .collect(),
                roles_state: by_role.state,
                roles: by_role.roles,
                alert_minimal_severity: source("Alert").and_then(|s| s.minimal_severity.clone()),
                attack_path_minimal_risk: source("AttackPath")
                    .and_then(|s| s.minimal_risk_level.clone()),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn extensions_that_are_not_a_list_are_unknown_and_unreadable_states_stay_unknown() {
        assert_eq!(extensions(None), None);
        assert_eq!(extensions(Some(json!("FileIntegrityMonitoring"))), None);
        assert_eq!(extensions(Some(json!([{ "name": 3 }]))), Some(vec![]));
        let got = extensions(Some(json!([
            { "name": "FileIntegrityMonitoring", "isEnabled": "True" },
            { "name": "AgentlessVmScanning", "isEnabled": "maybe" }
        ])))
        .unwrap();
        assert_eq!(got[0].enabled, Some(true));
        assert_eq!(got[1].enabled, None);
    }

    fn rule_set(rules: &[(&str, &str, &str)]) -> RuleSetProps {
        RuleSetProps {
            rules: rules
                .iter()
                .map(|(path, op, value)| RuleProps {
                    property_j_path: path.to_string(),
                    operator: op.to_string(),
                    expected_value: value.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn an_export_keeps_every_severity_unless_each_rule_set_names_one() {
        assert_eq!(severities(&[]), None);
        let by_severity = [
            rule_set(&[("Severity", "Equals", "high")]),
            rule_set(&[("properties.metadata.severity", "Equals", "medium")]),
        ];
        assert_eq!(
            severities(&by_severity),
            Some(vec!["high".to_string(), "medium".to_string()])
        );
        // A rule set on something else keeps every severity; so does one that cannot be read
        // as a list of severities (a comparison other than equality).
        assert_eq!(
            severities(&[
                rule_set(&[("Severity", "Equals", "high")]),
                rule_set(&[("AlertType", "Contains", "VM_")])
            ]),
            None
        );
        assert_eq!(
            severities(&[rule_set(&[("Severity", "NotEquals", "low")])]),
            None
        );
    }
}
