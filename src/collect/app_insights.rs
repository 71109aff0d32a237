//! Application Insights: the components of a subscription (one list), with the workspace each
//! workspace-based component writes to.

use super::arm::ArmClient;
use super::lenient::{arm_id, opt_nonempty, require_properties, Envelope};
use crate::inventory::{AppInsightsComponent, ReadError};
use serde::Deserialize;

const COMPONENTS_API: &str = "2020-02-02";

/// The list spells its properties in PascalCase.
#[derive(Debug, Default, Deserialize)]
struct ComponentProps {
    #[serde(
        rename = "WorkspaceResourceId",
        default,
        deserialize_with = "opt_nonempty"
    )]
    workspace_id: Option<String>,
    #[serde(rename = "IngestionMode", default, deserialize_with = "opt_nonempty")]
    ingestion_mode: Option<String>,
}

pub async fn components(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<AppInsightsComponent>, ReadError> {
    let op = "components.list";
    let items: Vec<Envelope<ComponentProps>> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Insights/components",
            op,
            COMPONENTS_API,
            errors,
        )
        .await?;
    let items = require_properties(items, op, errors);
    Ok(items
        .into_iter()
        .map(|c| {
            let p = c.properties.unwrap_or_default();
            AppInsightsComponent {
                id: arm_id(&c.id),
                name: c.name,
                location: c.location,
                workspace_id: p.workspace_id.map(|w| arm_id(&w)),
                ingestion_mode: p.ingestion_mode,
            }
        })
        .collect())
}
