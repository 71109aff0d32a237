//! `resource_logs`: every resource whose type supports diagnostic settings exports its logs.
//! `coverage = "all"` wants every log category (the `allLogs` group counts); `coverage = "audit"`
//! wants the categories of the `audit` group (all categories when the type has no audit group).

use super::{and_list, settings_evidence, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::gap::Gap;
use crate::evaluate::{gate, EvalContext};
use crate::inventory::{type_key, Read, TypeCategories};
use crate::results::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Lower-case ARM types this check covers; empty means every type that supports settings.
    pub resource_types: Vec<String>,
    /// Types left to other checks (e.g. the Key Vault one) when `resource_types` is empty.
    pub exclude_types: Vec<String>,
    /// `all` or `audit`.
    pub coverage: String,
    /// Types for which the `audit` group is enough even under `coverage = "all"`.
    pub audit_sufficient_types: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            resource_types: vec![],
            exclude_types: vec![],
            coverage: "all".into(),
            audit_sufficient_types: vec![],
        }
    }
}

/// Parses and checks the params once, at load.
fn validate(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    if p.coverage != "all" && p.coverage != "audit" {
        return Err(format!(
            "params.coverage must be \"all\" or \"audit\", not {:?}",
            p.coverage
        ));
    }
    Ok(Arc::new(p))
}

pub const KIND: RuleKind = RuleKind {
    name: "resource_logs",
    file: file!(),
    prepare: validate,
    describes: "per-resource diagnostic settings against the log categories the type offers (diagnosticSettingsCategories)",    cost_basis: Some("MB/day per resource by type (resource_log_mb_day) × share of categories missing, at the Analytics per-GB rate"),
};

fn matches(list: &[String], t: &str) -> bool {
    list.iter().any(|x| x.eq_ignore_ascii_case(t))
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let cats = &ctx.snapshot.inventory.diagnostic_categories;
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            let sid = Some(sub.subscription.id.as_str());
            // Disabled: not applicable; resources unreadable: not assessed (as every kind does).
            if let Some(f) = gate(check, sub, &sub.resources, "the subscription's resources") {
                out.push(f);
                continue;
            }
            let locations: std::collections::HashMap<&str, &str> = sub
                .resources
                .items()
                .iter()
                .map(|r| (r.id.as_str(), r.location.as_str()))
                .collect();
            for rd in &sub.resource_diagnostics {
                let tkey = type_key(&rd.resource_type);
                let in_scope = if p.resource_types.is_empty() {
                    !matches(&p.exclude_types, &tkey)
                } else {
                    matches(&p.resource_types, &tkey)
                };
                if !in_scope {
                    continue;
                }
                let offered = match cats.get(&tkey) {
                    Some(Read {
                        value: Some(c),
                        error: None,
                    }) => c.clone(),
                    Some(Read { error: Some(e), .. }) => {
                        out.push(check.not_assessed(
                            &rd.resource_id,
                            sid,
                            "the diagnostic categories of this resource type",
                            e,
                        ));
                        continue;
                    }
                    _ => TypeCategories::default(),
                };
                if offered.log_categories.is_empty() {
                    continue; // metrics only: no log to export
                }
                let settings = match (&rd.settings.value, &rd.settings.error) {
                    (Some(v), None) => v,
                    (_, Some(e)) => {
                        out.push(check.not_assessed(
                            &rd.resource_id,
                            sid,
                            "the resource's diagnostic settings",
                            e,
                        ));
                        continue;
                    }
                    (None, None) => continue,
                };
                let audit_only = p.coverage == "audit" || matches(&p.audit_sufficient_types, &tkey);
                let audit_set: Vec<String> = offered
                    .log_categories
                    .iter()
                    .filter(|c| c.groups.iter().any(|g| g.eq_ignore_ascii_case("audit")))
                    .map(|c| c.name.clone())
                    .collect();
                let required: Vec<String> = if audit_only && !audit_set.is_empty() {
                    audit_set
                } else {
                    offered
                        .log_categories
                        .iter()
                        .map(|c| c.name.clone())
                        .collect()
                };
                let covered =
                    super::covered_categories(settings, &offered.log_categories, |_| true);
                let missing: Vec<String> = required
                    .iter()
                    .filter(|c| !covered.contains(&c.to_ascii_lowercase()))
                    .cloned()
                    .collect();
                let name = display_name(&rd.resource_id);
                let evidence = json!({
                    "resource_type": rd.resource_type,
                    "settings": settings_evidence(settings),
                    "required": required,
                    "missing": missing,
                    "coverage": if audit_only { "audit" } else { "all" },
                });
                let mut f = if settings
                    .iter()
                    .all(|s| !s.has_destination() || s.logs.iter().all(|l| !l.enabled))
                {
                    check.finding(
                        Status::Fail,
                        &rd.resource_id,
                        sid,
                        format!(
                            "{} {name} has no diagnostic setting that exports logs.",
                            rd.resource_type
                        ),
                        evidence,
                    )
                } else if missing.is_empty() {
                    check.finding(
                        Status::Pass,
                        &rd.resource_id,
                        sid,
                        format!(
                            "{} {name} exports {} log categories.",
                            rd.resource_type,
                            required.len()
                        ),
                        evidence,
                    )
                } else {
                    check.finding(
                        Status::Fail,
                        &rd.resource_id,
                        sid,
                        format!(
                            "{} {name} does not export the log categories {}.",
                            rd.resource_type,
                            and_list(&missing)
                        ),
                        evidence,
                    )
                };
                f = f.gap_if_failed(|| Gap::ResourceLogs {
                    resource_type: type_key(&rd.resource_type),
                    required: required.len(),
                    missing: missing.len(),
                });
                // Storage service children are not in the resources list: use their account's.
                f.location = locations
                    .get(rd.resource_id.as_str())
                    .or_else(|| parent_of_service(&rd.resource_id).and_then(|p| locations.get(p)))
                    .map(|l| l.to_string())
                    .filter(|l| !l.is_empty());
                out.push(f);
            }
        }
        out
    }
}

/// `…/storageAccounts/st1/blobServices/default` → `st1/blobServices`; other ids → their name.
fn display_name(id: &str) -> String {
    match parent_of_service(id) {
        Some(parent) => {
            let svc = id[parent.len()..]
                .trim_matches('/')
                .split('/')
                .next()
                .unwrap_or_default();
            format!("{}/{svc}", crate::inventory::last_segment(parent))
        }
        None => crate::inventory::last_segment(id),
    }
}

/// The storage account of a service child id, if it is one.
fn parent_of_service(id: &str) -> Option<&str> {
    let rest = id.strip_suffix("/default")?;
    let (parent, svc) = rest.rsplit_once('/')?;
    crate::inventory::STORAGE_SERVICES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(svc))
        .then_some(parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_service_children_are_named_after_their_account() {
        let id = "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default";
        assert_eq!(display_name(id), "st1/blobServices");
        assert_eq!(
            parent_of_service(id),
            Some(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/st1"
            )
        );
        assert_eq!(
            display_name("/x/providers/Microsoft.KeyVault/vaults/kv"),
            "kv"
        );
    }
}
