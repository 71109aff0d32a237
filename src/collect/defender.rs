//! Microsoft Defender for Cloud plans (`Microsoft.Security/pricings`) of a subscription.

use super::arm::ArmClient;
use super::lenient::{
    bool_lenient, opt_bool_lenient, opt_nonempty, require_properties, string_or_empty, Envelope,
};
use crate::inventory::{DefenderPlan, PlanExtension, ReadError};
use serde::Deserialize;

const PRICINGS_API: &str = "2024-01-01";

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
}
