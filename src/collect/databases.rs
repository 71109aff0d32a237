//! Azure Database for PostgreSQL and MySQL: the logging server parameters of each flexible
//! server (`configurations`), and the retired single servers, which are listed but not read.
//!
//! A server reports a few hundred parameters over several pages; only the logging ones are kept
//! in the snapshot (names starting with the prefixes below).

use super::arm::ArmClient;
use super::lenient::{require_properties, Envelope};
use crate::inventory::{type_key, DatabaseServer, Read, ReadError, Resource};
use serde::Deserialize;
use std::collections::BTreeMap;

const POSTGRES_API: &str = "2024-08-01";
const MYSQL_API: &str = "2023-12-30";

/// Parameters kept: what decides what a server logs and how long it keeps its log files.
const LOGGING_PREFIXES: [&str; 6] = [
    "log_",
    "logfiles.",
    "connection_throttle",
    "audit_log_",
    "pgaudit.",
    "require_secure_transport",
];

/// PostgreSQL parameters a check asks for that a server may not offer (reported absent on
/// some servers): where one is missing from the complete list, the server's version is read
/// (one GET), the evidence that the server does not offer it.
const VERSION_EVIDENCE: [&str; 1] = ["connection_throttle.enable"];

#[derive(Debug, Default, Deserialize)]
struct ServerProps {
    #[serde(default, deserialize_with = "super::lenient::opt_nonempty")]
    version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigurationProps {
    /// None when ARM sends no value: unknown, never read as an empty setting.
    #[serde(default)]
    value: Option<String>,
}

/// (engine, deployment, api-version) of a resource type this file reads.
fn kind_of(resource_type: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match type_key(resource_type).as_str() {
        "microsoft.dbforpostgresql/flexibleservers" => {
            Some(("postgresql", "flexible", POSTGRES_API))
        }
        "microsoft.dbformysql/flexibleservers" => Some(("mysql", "flexible", MYSQL_API)),
        "microsoft.dbforpostgresql/servers" => Some(("postgresql", "single", POSTGRES_API)),
        "microsoft.dbformysql/servers" => Some(("mysql", "single", MYSQL_API)),
        _ => None,
    }
}

pub async fn servers(
    client: &ArmClient,
    resources: &[Resource],
) -> (Vec<DatabaseServer>, Vec<ReadError>) {
    let read = futures::future::join_all(resources.iter().filter_map(|r| {
        let (engine, deployment, api) = kind_of(&r.resource_type)?;
        Some(async move {
            let mut server = DatabaseServer {
                id: r.id.clone(),
                name: r.name.clone(),
                location: r.location.clone(),
                engine: engine.into(),
                deployment: deployment.into(),
                parameters: Read::default(),
                version: Read::default(),
            };
            let mut errors = Vec::new();
            if deployment == "flexible" {
                let r = parameters(client, &r.id, api, &mut errors).await;
                if let Err(e) = &r {
                    errors.push(e.clone());
                }
                let absent = r.as_ref().is_ok_and(|p| {
                    engine == "postgresql" && VERSION_EVIDENCE.iter().any(|k| !p.contains_key(*k))
                });
                server.parameters = super::with_item_errors(r, &errors);
                if absent {
                    let op = "flexibleServers.get";
                    let doc = client
                        .get_json::<Envelope<ServerProps>>(&server.id, op, &server.id, api, &[])
                        .await;
                    server.version = match doc.map(|d| d.properties.and_then(|p| p.version)) {
                        Ok(Some(v)) => Read::ok(v),
                        Ok(None) => Read::failed(ReadError {
                            scope: server.id.clone(),
                            operation: op.into(),
                            status: Some(200),
                            code: Some("MalformedPayload".into()),
                            message: "the server reports no properties.version".into(),
                        }),
                        Err(e) => Read::failed(e),
                    };
                    if let Some(e) = &server.version.error {
                        errors.push(e.clone());
                    }
                }
            }
            (server, errors)
        })
    }))
    .await;
    super::with_all_errors(read)
}

async fn parameters(
    client: &ArmClient,
    server_id: &str,
    api: &str,
    errors: &mut Vec<ReadError>,
) -> Result<BTreeMap<String, String>, ReadError> {
    let op = "configurations.list";
    let path = format!("{server_id}/configurations");
    let items: Vec<Envelope<ConfigurationProps>> =
        client.list(server_id, op, &path, api, &[], errors).await?;
    let items = require_properties(items, op, errors);
    let mut out = BTreeMap::new();
    for c in items {
        let name = c.name.to_ascii_lowercase();
        if !LOGGING_PREFIXES.iter().any(|p| name.starts_with(p)) {
            continue;
        }
        match c.properties.and_then(|p| p.value) {
            Some(v) => {
                out.insert(name, v);
            }
            // Recorded (the parameters become partial): a check on it is not assessed.
            None => errors.push(ReadError {
                scope: super::lenient::arm_id(&c.id),
                operation: op.to_string(),
                status: Some(200),
                code: Some("MalformedPayload".into()),
                message: format!("parameter {name} has no value"),
            }),
        }
    }
    Ok(out)
}
