//! Just-in-time VM access policies (`Microsoft.Security/jitNetworkAccessPolicies`): which VMs
//! open management ports on request. The requests themselves live only in the activity log.

use super::arm::ArmClient;
use super::lenient::{arm_id, null_vec, require_properties, Envelope, IdRef};
use crate::inventory::{JitPolicy, ReadError};
use serde::Deserialize;

const JIT_API: &str = "2020-01-01";

#[derive(Debug, Default, Deserialize)]
struct JitProps {
    #[serde(rename = "virtualMachines", default, deserialize_with = "null_vec")]
    virtual_machines: Vec<IdRef>,
}

pub async fn policies(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<JitPolicy>, ReadError> {
    let items: Vec<Envelope<JitProps>> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Security/jitNetworkAccessPolicies",
            "jitNetworkAccessPolicies.list",
            JIT_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "jitNetworkAccessPolicies.list", errors);
    Ok(items
        .into_iter()
        .map(|p| JitPolicy {
            id: arm_id(&p.id),
            name: p.name,
            location: p.location,
            virtual_machine_ids: p
                .properties
                .unwrap_or_default()
                .virtual_machines
                .into_iter()
                .map(|v| arm_id(&v.id))
                .filter(|v| !v.is_empty())
                .collect(),
        })
        .collect())
}
