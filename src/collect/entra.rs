//! Entra ID (Azure AD) tenant diagnostic settings (`/providers/microsoft.aadiam/diagnosticSettings`)
//! and the log categories the tenant offers (`.../diagnosticSettingsCategories`: what its
//! licences produce). Not in the Monitor crate, so read with narrow models. Microsoft documents
//! the Security Administrator role for these settings; a service principal can instead be given
//! an Azure role assignment at scope `/providers/Microsoft.aadiam`. Without either, ARM answers
//! 403 AuthorizationFailed.

use super::arm::ArmClient;
use super::lenient::{arm_id, bool_lenient, null_vec, opt_nonempty, require_properties, Envelope};
use crate::inventory::{DiagnosticSetting, LogSetting, ReadError};
use serde::Deserialize;

pub use crate::inventory::ENTRA_SCOPE;
const AADIAM_API: &str = "2017-04-01";

type AadSetting = Envelope<AadProps>;

#[derive(Debug, Default, Deserialize)]
struct AadProps {
    #[serde(
        rename = "storageAccountId",
        default,
        deserialize_with = "opt_nonempty"
    )]
    storage_account_id: Option<String>,
    #[serde(rename = "workspaceId", default, deserialize_with = "opt_nonempty")]
    workspace_id: Option<String>,
    #[serde(
        rename = "eventHubAuthorizationRuleId",
        default,
        deserialize_with = "opt_nonempty"
    )]
    event_hub_authorization_rule_id: Option<String>,
    #[serde(rename = "eventHubName", default, deserialize_with = "opt_nonempty")]
    event_hub_name: Option<String>,
    #[serde(
        rename = "marketplacePartnerId",
        default,
        deserialize_with = "opt_nonempty"
    )]
    marketplace_partner_id: Option<String>,
    #[serde(default, deserialize_with = "null_vec")]
    logs: Vec<AadLog>,
}

#[derive(Debug, Deserialize)]
struct AadLog {
    #[serde(default, deserialize_with = "opt_nonempty")]
    category: Option<String>,
    #[serde(rename = "categoryGroup", default, deserialize_with = "opt_nonempty")]
    category_group: Option<String>,
    #[serde(default, deserialize_with = "bool_lenient")]
    enabled: bool,
}

pub async fn tenant_settings(
    client: &ArmClient,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<DiagnosticSetting>, ReadError> {
    let path = format!("{ENTRA_SCOPE}/diagnosticSettings");
    let items: Vec<AadSetting> = client
        .list(
            ENTRA_SCOPE,
            "aadiam.diagnosticSettings.list",
            &path,
            AADIAM_API,
            &[],
            errors,
        )
        .await?;
    let items = require_properties(items, "aadiam.diagnosticSettings.list", errors);
    Ok(items
        .into_iter()
        .map(|s| {
            let p = s.properties.unwrap_or_default();
            DiagnosticSetting {
                id: arm_id(&s.id),
                name: s.name,
                workspace_id: p.workspace_id,
                storage_account_id: p.storage_account_id,
                event_hub_authorization_rule_id: p.event_hub_authorization_rule_id,
                event_hub_name: p.event_hub_name,
                marketplace_partner_id: p.marketplace_partner_id,
                destination_type: None,
                logs: p
                    .logs
                    .into_iter()
                    .map(|l| LogSetting {
                        category: l.category,
                        category_group: l.category_group,
                        enabled: l.enabled,
                    })
                    .collect(),
                metrics: None,
            }
        })
        .collect())
}

#[derive(Debug, Default, Deserialize)]
struct CategoryProps {
    #[serde(rename = "categoryType", default, deserialize_with = "opt_nonempty")]
    category_type: Option<String>,
}

/// Log categories the tenant offers to diagnostic settings (metrics left out).
pub async fn tenant_categories(
    client: &ArmClient,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<String>, ReadError> {
    let path = format!("{ENTRA_SCOPE}/diagnosticSettingsCategories");
    let items: Vec<Envelope<CategoryProps>> = client
        .list(
            ENTRA_SCOPE,
            "aadiam.diagnosticSettingsCategories.list",
            &path,
            AADIAM_API,
            &[],
            errors,
        )
        .await?;
    Ok(items
        .into_iter()
        .filter(|c| !c.name.is_empty())
        .filter(|c| {
            c.properties
                .as_ref()
                .and_then(|p| p.category_type.as_deref())
                .is_none_or(|t| t.eq_ignore_ascii_case("Logs"))
        })
        .map(|c| c.name)
        .collect())
}
