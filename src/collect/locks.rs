//! Management locks of a subscription (`Microsoft.Authorization/locks`): one list read returns
//! the locks at the subscription, on its resource groups and on its resources.

use super::arm::ArmClient;
use super::lenient::{opt_nonempty, require_properties, Envelope};
use crate::inventory::{ManagementLock, ReadError};
use serde::Deserialize;

/// Management Locks - List At Subscription Level (learn.microsoft.com rest/api/resources
/// management-locks/list-at-subscription-level).
const LOCKS_API: &str = "2020-05-01";

#[derive(Debug, Default, Deserialize)]
struct LockProps {
    /// `CanNotDelete`, `ReadOnly` or `NotSpecified`.
    #[serde(default, deserialize_with = "opt_nonempty")]
    level: Option<String>,
}

pub async fn locks(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<ManagementLock>, ReadError> {
    let items: Vec<Envelope<LockProps>> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Authorization/locks",
            "locks.list",
            LOCKS_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "locks.list", errors);
    let mut out = Vec::with_capacity(items.len());
    for l in items {
        // Without its id a lock's scope is unknown; it may be the one that covers the export,
        // so the list is partial, not complete without it.
        if l.id.is_empty() {
            errors.push(ReadError {
                scope: format!("/subscriptions/{subscription_id}"),
                operation: "locks.list".into(),
                status: Some(200),
                code: Some("MalformedPayload".into()),
                message: format!("lock {:?} has no id: its scope is unknown", l.name),
            });
            continue;
        }
        out.push(ManagementLock {
            id: l.id,
            name: l.name,
            level: l.properties.and_then(|p| p.level),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::inventory::ManagementLock;

    fn lock(id: &str) -> ManagementLock {
        ManagementLock {
            id: id.into(),
            name: "l".into(),
            level: Some("CanNotDelete".into()),
        }
    }

    #[test]
    fn a_lock_scope_is_its_id_before_the_locks_segment() {
        assert_eq!(
            lock("/subscriptions/S/providers/Microsoft.Authorization/locks/l").scope(),
            Some("/subscriptions/s".into())
        );
        assert_eq!(
            lock("/subscriptions/S/resourceGroups/RG/PROVIDERS/microsoft.authorization/LOCKS/l")
                .scope(),
            Some("/subscriptions/s/resourcegroups/rg".into())
        );
        // Not a lock's id: no scope, so it covers nothing.
        assert_eq!(lock("/subscriptions/S").scope(), None);
        assert_eq!(lock("l").scope(), None);
    }
}
