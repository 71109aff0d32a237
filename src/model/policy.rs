//! The Azure Policy that fixes a check's gap at scale, as the baseline names it.

use serde::Deserialize;

/// A built-in Azure Policy definition or initiative (policy set).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AzurePolicy {
    pub name: String,
    /// `/providers/Microsoft.Authorization/policy(Set)Definitions/{guid}`.
    pub id: String,
}
