//! Microsoft Defender for Cloud plans (`Microsoft.Security/pricings`) of a subscription.

use super::arm::ArmClient;
use super::lenient::{bool_lenient, opt_nonempty, require_properties, string_or_empty, Envelope};
use crate::inventory::{DefenderPlan, ReadError};
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
            }
        })
        .collect())
}
