//! Diagnostic settings through the generated Monitor client (`azure_mgmt_monitor`,
//! 2021-05-01-preview): the subscription activity log's settings, each resource's settings, and
//! the categories a resource type offers (read once per type, from its first resource).

use super::arm::{bad_url, parse_list_body, read_error, ArmClient};
use super::guard;
use super::lenient::arm_id;
use crate::inventory::{
    DiagnosticSetting, LogCategory, LogSetting, MetricSetting, ReadError, TypeCategories,
};
use azure_mgmt_monitor::package_2021_05_preview_diagnostics::models;

/// The generated subscription-level and resource-level setting types have the same fields but
/// are different types: one conversion for both. A setting without `properties` or without an
/// id cannot be judged (no properties would read as "sends nowhere", a fail): it is an item
/// error, which makes the list partial and its checks not assessed.
macro_rules! from_model {
    ($r:expr, $dest:expr, $metrics:expr, $scope:expr, $op:expr, $errors:expr) => {{
        let r = $r;
        let id = arm_id(r.resource.id.as_deref().unwrap_or_default());
        let name = r.resource.name.unwrap_or_default();
        match r.properties {
            None => {
                $errors.push(malformed($scope, $op, &id, &name, "`properties`"));
                None
            }
            Some(_) if id.is_empty() => {
                $errors.push(malformed($scope, $op, &id, &name, "id"));
                None
            }
            Some(p) => {
                let destination_type: fn(&_) -> Option<String> = $dest;
                let destination_type = destination_type(&p);
                let metrics: fn(&_) -> Option<Vec<MetricSetting>> = $metrics;
                let metrics = metrics(&p);
                Some(DiagnosticSetting {
                    id,
                    name,
                    workspace_id: none_if_blank(p.workspace_id),
                    storage_account_id: none_if_blank(p.storage_account_id),
                    event_hub_authorization_rule_id: none_if_blank(
                        p.event_hub_authorization_rule_id,
                    ),
                    event_hub_name: none_if_blank(p.event_hub_name),
                    marketplace_partner_id: none_if_blank(p.marketplace_partner_id),
                    destination_type,
                    logs: p
                        .logs
                        .into_iter()
                        .map(|l| LogSetting {
                            category: none_if_blank(l.category),
                            category_group: none_if_blank(l.category_group),
                            enabled: l.enabled,
                        })
                        .collect(),
                    metrics,
                })
            }
        }
    }};
}

fn malformed(scope: &str, op: &str, id: &str, name: &str, missing: &str) -> ReadError {
    ReadError {
        scope: if id.is_empty() {
            format!("{scope} (a setting without id named {name:?})")
        } else {
            id.to_string()
        },
        operation: op.to_string(),
        status: Some(200),
        code: Some("MalformedPayload".into()),
        message: format!("the diagnostic setting has no readable {missing}; it cannot be judged"),
    }
}

fn none_if_blank(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v != "-")
}

/// Settings of the subscription's activity log.
pub async fn activity_log_settings(
    client: &ArmClient,
    subscription_id: &str,
    item_errors: &mut Vec<ReadError>,
) -> Result<Vec<DiagnosticSetting>, ReadError> {
    let scope = format!("/subscriptions/{subscription_id}");
    let op = "subscriptionDiagnosticSettings.list";
    guard::check_segment(subscription_id).map_err(|m| bad_url(&scope, op, m))?;
    let bytes = async {
        client
            .monitor()
            .subscription_diagnostic_settings_client()
            .list(subscription_id)
            .send()
            .await?
            .into_raw_response()
            .into_body()
            .collect()
            .await
    }
    .await
    .map_err(|e| read_error(&scope, op, &e))?;
    let body: models::SubscriptionDiagnosticSettingsResourceCollection =
        parse_list_body(&scope, op, &bytes)?;
    Ok(body
        .value
        .into_iter()
        .filter_map(|r| {
            from_model!(
                r,
                |_: &models::SubscriptionDiagnosticSettings| None,
                |_: &models::SubscriptionDiagnosticSettings| None,
                &scope,
                op,
                item_errors
            )
        })
        .collect())
}

/// The generated client joins `{endpoint}/{uri}`; give it the id without its leading slash.
/// The id comes from ARM data: it must be an ARM path, or no request is made.
fn resource_uri(resource_id: &str, op: &str) -> Result<String, ReadError> {
    guard::check_arm_path(resource_id).map_err(|m| bad_url(resource_id, op, m))?;
    Ok(resource_id.trim_start_matches('/').to_string())
}

/// Send a generated Monitor list request and return the raw body (checked by the caller).
macro_rules! monitor_list_body {
    ($client:expr, $uri:expr) => {
        async {
            $client
                .list($uri)
                .send()
                .await?
                .into_raw_response()
                .into_body()
                .collect()
                .await
        }
    };
}

/// Settings of one resource.
pub async fn resource_settings(
    client: &ArmClient,
    resource_id: &str,
    item_errors: &mut Vec<ReadError>,
) -> Result<Vec<DiagnosticSetting>, ReadError> {
    let op = "diagnosticSettings.list";
    let uri = resource_uri(resource_id, op)?;
    let bytes = monitor_list_body!(client.monitor().diagnostic_settings_client(), uri)
        .await
        .map_err(|e| read_error(resource_id, op, &e))?;
    let body: models::DiagnosticSettingsResourceCollection =
        parse_list_body(resource_id, op, &bytes)?;
    Ok(body
        .value
        .into_iter()
        .filter_map(|r| {
            from_model!(
                r,
                |p: &models::DiagnosticSettings| none_if_blank(
                    p.log_analytics_destination_type.clone()
                ),
                |p: &models::DiagnosticSettings| Some(
                    p.metrics
                        .iter()
                        .map(|m| MetricSetting {
                            category: none_if_blank(m.category.clone()),
                            enabled: m.enabled,
                        })
                        .collect()
                ),
                resource_id,
                op,
                item_errors
            )
        })
        .collect())
}

/// What a resource type offers. `ResourceTypeNotSupported` (400) and an empty list both mean
/// the type has no diagnostic settings; that is an answer, not an error.
pub async fn type_categories(
    client: &ArmClient,
    resource_id: &str,
) -> Result<TypeCategories, ReadError> {
    let op = "diagnosticSettingsCategories.list";
    let uri = resource_uri(resource_id, op)?;
    let result =
        monitor_list_body!(client.monitor().diagnostic_settings_category_client(), uri).await;
    let body: models::DiagnosticSettingsCategoryResourceCollection = match result {
        Ok(bytes) => parse_list_body(resource_id, op, &bytes)?,
        Err(e) => {
            let err = read_error(resource_id, op, &e);
            let unsupported = err.status == Some(400)
                && err
                    .code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("ResourceTypeNotSupported"));
            if unsupported {
                return Ok(TypeCategories {
                    supported: false,
                    learnt_from: resource_id.to_string(),
                    ..Default::default()
                });
            }
            return Err(err);
        }
    };
    let mut out = TypeCategories {
        supported: false,
        learnt_from: resource_id.to_string(),
        ..Default::default()
    };
    for c in body.value {
        let name = c.resource.name.unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        let props = c.properties.unwrap_or_default();
        match props.category_type {
            Some(models::diagnostic_settings_category::CategoryType::Metrics) => {
                out.metric_categories.push(name)
            }
            _ => out.log_categories.push(LogCategory {
                name,
                groups: props.category_groups,
            }),
        }
    }
    out.supported = !out.log_categories.is_empty() || !out.metric_categories.is_empty();
    Ok(out)
}
