//! Storage accounts of a subscription (public blob access, key source, immutability). The
//! evaluation decides which of them receive logs, from diagnostic settings and flow logs.

use super::arm::ArmClient;
use super::lenient::{arm_id, opt_bool_lenient, opt_nonempty, require_properties, Envelope};
use crate::inventory::{ReadError, StorageAccount};
use serde::Deserialize;

const STORAGE_API: &str = "2023-05-01";

type ArmStorage = Envelope<StorageProps>;

#[derive(Debug, Default, Deserialize)]
struct StorageProps {
    #[serde(
        rename = "allowBlobPublicAccess",
        default,
        deserialize_with = "opt_bool_lenient"
    )]
    allow_blob_public_access: Option<bool>,
    #[serde(
        rename = "publicNetworkAccess",
        default,
        deserialize_with = "opt_nonempty"
    )]
    public_network_access: Option<String>,
    #[serde(default)]
    encryption: Option<Encryption>,
    #[serde(rename = "immutableStorageWithVersioning", default)]
    immutability: Option<Immutability>,
}

#[derive(Debug, Default, Deserialize)]
struct Encryption {
    #[serde(rename = "keySource", default, deserialize_with = "opt_nonempty")]
    key_source: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Immutability {
    #[serde(default, deserialize_with = "opt_bool_lenient")]
    enabled: Option<bool>,
}

pub async fn accounts(
    client: &ArmClient,
    subscription_id: &str,
    errors: &mut Vec<ReadError>,
) -> Result<Vec<StorageAccount>, ReadError> {
    let items: Vec<ArmStorage> = client
        .list_in_subscription(
            subscription_id,
            "providers/Microsoft.Storage/storageAccounts",
            "storageAccounts.list",
            STORAGE_API,
            errors,
        )
        .await?;
    let items = require_properties(items, "storageAccounts.list", errors);
    Ok(items
        .into_iter()
        .map(|s| {
            let p = s.properties.unwrap_or_default();
            StorageAccount {
                id: arm_id(&s.id),
                name: s.name,
                location: s.location,
                allow_blob_public_access: p.allow_blob_public_access,
                public_network_access: p.public_network_access,
                key_source: p.encryption.and_then(|e| e.key_source),
                immutability_enabled: p.immutability.and_then(|i| i.enabled),
                tags: s.tags,
            }
        })
        .collect())
}
