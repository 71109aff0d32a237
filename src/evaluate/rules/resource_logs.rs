//! `resource_logs`: every resource whose type supports diagnostic settings exports its logs.
//! `coverage = "all"` wants every log category (the `allLogs` group counts); `coverage = "audit"`
//! wants the categories of the `audit` group (all categories when the type has no audit group).

use super::{settings_evidence, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, EvalContext};
use crate::inventory::{type_key, DiagnosticSetting, Read, TypeCategories};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
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
    /// The categories that matter, instead of `coverage`: each entry is a list of
    /// alternatives, one of which must be exported (`[["kube-audit", "kube-audit-admin"],
    /// ["guard"]]`). An entry none of whose categories the type offers is left out, and said.
    pub categories: Vec<Vec<String>>,
    /// Resources whose `kind` contains one of these (e.g. `functionapp`) are left to other checks.
    pub exclude_kinds: Vec<String>,
    /// Only resources whose `kind` contains one of these (empty: any kind).
    pub kinds: Vec<String>,
    /// The cost model's `resource_log_mb_day` entry that prices this check's gap, when not the
    /// resource type's own (e.g. an app's small audit logs rather than its HTTP logs).
    pub cost_type: Option<String>,
    /// Say so when the logs land in AzureDiagnostics rather than resource-specific tables.
    pub prefer_dedicated: bool,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            resource_types: vec![],
            exclude_types: vec![],
            coverage: "all".into(),
            audit_sufficient_types: vec![],
            categories: vec![],
            exclude_kinds: vec![],
            kinds: vec![],
            cost_type: None,
            prefer_dedicated: false,
        }
    }
}

/// Parses and checks the params once, at load.
fn validate(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    if p.categories
        .iter()
        .any(|alternatives| alternatives.is_empty())
    {
        return Err("params.categories: every entry needs at least one category".into());
    }
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
    line: line!(),
    evidence: &["coverage", "extend_blocked", "extend_logs_json", "extend_metrics_json", "extend_resource_specific", "extend_setting", "extend_workspace_id", "missing", "not_offered", "offered", "required", "resource_type", "settings", "workspace_setting"],
    figures: &["resource_log_default_mb_day"],
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
        let no_categories = TypeCategories::default();
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            let sid = Some(sub.subscription.id.as_str());
            // Disabled: not applicable; resources unreadable: not assessed (as every kind does).
            if let Some(f) = gate(check, sub, &sub.resources, "the subscription's resources") {
                out.push(f);
                continue;
            }
            let locations = &ctx.resource_locations;
            // Only checks that filter on kind need the map (it spans every resource).
            let kinds = if p.kinds.is_empty() && p.exclude_kinds.is_empty() {
                Default::default()
            } else {
                resource_kinds(sub)
            };
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
                let kind = kinds
                    .get(&crate::inventory::id_key(&rd.resource_id))
                    .map(|k| k.to_ascii_lowercase())
                    .unwrap_or_default();
                let kind_has =
                    |list: &[String]| list.iter().any(|x| kind.contains(&x.to_ascii_lowercase()));
                if kind_has(&p.exclude_kinds) || (!p.kinds.is_empty() && !kind_has(&p.kinds)) {
                    continue;
                }
                let offered = match cats.get(&tkey) {
                    Some(Read {
                        value: Some(c),
                        error: None,
                    }) => c,
                    Some(Read { error: Some(e), .. }) => {
                        out.push(check.not_assessed(
                            &rd.resource_id,
                            sid,
                            "the diagnostic categories of this resource type",
                            e,
                        ));
                        continue;
                    }
                    _ => &no_categories,
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
                let covered =
                    super::covered_categories(settings, &offered.log_categories, |_| true);
                let Some(req) = requirement(p, &tkey, offered) else {
                    out.push(check.finding(
                        Status::NotApplicable,
                        &rd.resource_id,
                        sid,
                        format!(
                            "{} {} does not offer the log categories this check asks for ({}).",
                            rd.resource_type,
                            display_name(&rd.resource_id),
                            and_list(&p.categories.iter().map(|a| a.join(" or ")).collect::<Vec<_>>())
                        ),
                        json!({ "resource_type": rd.resource_type, "offered": offered.log_categories.iter().map(|c| c.name.clone()).collect::<Vec<_>>() }),
                    ));
                    continue;
                };
                let missing: Vec<String> = req
                    .groups
                    .iter()
                    .filter(|alternatives| {
                        !alternatives
                            .iter()
                            .any(|c| covered.contains(&c.to_ascii_lowercase()))
                    })
                    .map(|alternatives| alternatives.join(" or "))
                    .collect();
                let required: Vec<String> = req.groups.iter().map(|a| a.join(" or ")).collect();
                let name = display_name(&rd.resource_id);
                let mut evidence = json!({
                    "resource_type": rd.resource_type,
                    "settings": settings_evidence(settings),
                    "required": required,
                    "missing": missing,
                    "coverage": req.coverage,
                });
                if !req.not_offered.is_empty() {
                    evidence["not_offered"] = json!(req.not_offered);
                }
                if !missing.is_empty() {
                    extension(settings, &req, &covered, offered, &mut evidence);
                }
                let not_offered_note = if req.not_offered.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} not offered by this type, not asked)",
                        and_list(&req.not_offered)
                    )
                };
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
                    let table_note = if p.prefer_dedicated
                        && !settings
                            .iter()
                            .any(|s| s.workspace_id.is_some() && s.is_dedicated())
                    {
                        " Its workspace export writes AzureDiagnostics, not the resource-specific tables Microsoft recommends (set the destination table to Resource specific)."
                    } else {
                        ""
                    };
                    check.finding(
                        Status::Pass,
                        &rd.resource_id,
                        sid,
                        format!(
                            "{} {name} exports {}{not_offered_note}.{table_note}",
                            rd.resource_type,
                            if req.named {
                                // Name what is exported, not the alternatives.
                                and_list(
                                    &req.groups
                                        .iter()
                                        .filter_map(|a| {
                                            a.iter()
                                                .find(|c| covered.contains(&c.to_ascii_lowercase()))
                                                .cloned()
                                        })
                                        .collect::<Vec<_>>(),
                                )
                            } else {
                                format!("{} log categories", required.len())
                            }
                        ),
                        evidence,
                    )
                } else {
                    check.finding(
                        Status::Fail,
                        &rd.resource_id,
                        sid,
                        format!(
                            "{} {name} does not export the log categories {}{not_offered_note}.",
                            rd.resource_type,
                            and_list(&missing)
                        ),
                        evidence,
                    )
                };
                f = f.gap_if_failed(|| Gap::ResourceLogs {
                    resource_type: p
                        .cost_type
                        .clone()
                        .unwrap_or_else(|| type_key(&rd.resource_type)),
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

/// What a resource of this type must export under these params.
struct Requirement {
    /// Each entry: alternatives, one of which must be exported.
    groups: Vec<Vec<String>>,
    /// Named categories the type does not offer (left out).
    not_offered: Vec<String>,
    /// `all`, `audit` or `named`, for evidence.
    coverage: &'static str,
    /// Whether the message names the categories (named) or counts them.
    named: bool,
}

/// None: the check names categories and the type offers none of them.
/// The fix acts on what exists: where a setting already sends to a workspace, the plan extends
/// it (same name, its destination, its metrics, its categories plus the missing ones: a create
/// is an upsert) rather than adding a second setting Azure would refuse for a category sent
/// twice to one workspace. Writes `workspace_setting` and either the `extend_*` values or
/// `extend_blocked` (why it cannot be extended from the command line).
fn extension(
    settings: &[DiagnosticSetting],
    req: &Requirement,
    covered: &std::collections::BTreeSet<String>,
    offered: &TypeCategories,
    evidence: &mut serde_json::Value,
) {
    let Some(s) = settings.iter().find(|s| s.workspace_id.is_some()) else {
        return;
    };
    evidence["workspace_setting"] = json!(s.name);
    let blocked = |evidence: &mut serde_json::Value, why: String| {
        evidence["extend_blocked"] = json!(why);
    };
    let others: Vec<&str> = [
        s.storage_account_id.as_ref().map(|_| "a storage account"),
        s.event_hub_authorization_rule_id
            .as_ref()
            .map(|_| "an event hub"),
        s.marketplace_partner_id
            .as_ref()
            .map(|_| "a partner solution"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !others.is_empty() {
        return blocked(
            evidence,
            format!("{} also sends to {}", s.name, others.join(" and ")),
        );
    }
    let Some(metrics) = &s.metrics else {
        return blocked(
            evidence,
            format!("the metrics of {} were not recorded by this scan", s.name),
        );
    };
    let uses_groups = s.logs.iter().any(|l| l.category_group.is_some());
    let offers = |c: &String| {
        offered
            .log_categories
            .iter()
            .any(|o| o.name.eq_ignore_ascii_case(c))
    };
    // Per missing requirement: the first alternative the type offers.
    let add: Vec<String> = req
        .groups
        .iter()
        .filter(|alts| {
            !alts
                .iter()
                .any(|c| covered.contains(&c.to_ascii_lowercase()))
        })
        .filter_map(|alts| alts.iter().find(|c| offers(c)).or(alts.first()).cloned())
        .collect();
    let mut logs: Vec<serde_json::Value> = Vec::new();
    for l in &s.logs {
        let mut e = serde_json::Map::new();
        if let Some(c) = &l.category {
            e.insert("category".into(), json!(c));
        } else if let Some(g) = &l.category_group {
            e.insert("categoryGroup".into(), json!(g));
        } else {
            continue;
        }
        let wanted = l
            .category
            .as_ref()
            .is_some_and(|c| add.iter().any(|a| a.eq_ignore_ascii_case(c)));
        e.insert("enabled".into(), json!(l.enabled || wanted));
        logs.push(serde_json::Value::Object(e));
    }
    if uses_groups {
        // A setting of category groups is extended by a group, never by single categories.
        let group = match req.coverage {
            "all" => "allLogs",
            "audit" => "audit",
            _ => {
                return blocked(
                    evidence,
                    format!(
                        "{} exports category groups; add {} to it in the portal",
                        s.name,
                        and_list(&add)
                    ),
                )
            }
        };
        logs.retain(|l| l.get("categoryGroup").is_none_or(|g| g != group));
        logs.push(json!({ "categoryGroup": group, "enabled": true }));
    } else {
        for c in &add {
            let present = s.logs.iter().any(|l| {
                l.category
                    .as_deref()
                    .is_some_and(|x| x.eq_ignore_ascii_case(c))
            });
            if !present {
                logs.push(json!({ "category": c, "enabled": true }));
            }
        }
    }
    let metrics: Vec<serde_json::Value> = metrics
        .iter()
        .filter_map(|m| {
            m.category
                .as_ref()
                .map(|c| json!({ "category": c, "enabled": m.enabled }))
        })
        .collect();
    evidence["extend_setting"] = json!(s.name);
    evidence["extend_workspace_id"] = json!(s.workspace_id);
    evidence["extend_resource_specific"] = json!(if s.is_dedicated() { "true" } else { "false" });
    evidence["extend_logs_json"] = json!(serde_json::Value::Array(logs).to_string());
    evidence["extend_metrics_json"] = json!(serde_json::Value::Array(metrics).to_string());
}

fn requirement(p: &Params, tkey: &str, offered: &TypeCategories) -> Option<Requirement> {
    if !p.categories.is_empty() {
        let is_offered = |c: &String| {
            offered
                .log_categories
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(c))
        };
        let (groups, absent): (Vec<_>, Vec<_>) = p
            .categories
            .iter()
            .cloned()
            .partition(|alternatives| alternatives.iter().any(is_offered));
        if groups.is_empty() {
            return None;
        }
        return Some(Requirement {
            groups,
            not_offered: absent.iter().map(|a| a.join(" or ")).collect(),
            coverage: "named",
            named: true,
        });
    }
    let audit_only = p.coverage == "audit" || matches(&p.audit_sufficient_types, tkey);
    let audit_set: Vec<Vec<String>> = offered
        .log_categories
        .iter()
        .filter(|c| c.groups.iter().any(|g| g.eq_ignore_ascii_case("audit")))
        .map(|c| vec![c.name.clone()])
        .collect();
    let groups = if audit_only && !audit_set.is_empty() {
        audit_set
    } else {
        offered
            .log_categories
            .iter()
            .map(|c| vec![c.name.clone()])
            .collect()
    };
    Some(Requirement {
        groups,
        not_offered: vec![],
        coverage: if audit_only { "audit" } else { "all" },
        named: false,
    })
}

/// Resource kinds by id key: the App Service list's (authoritative for apps), else the
/// resource list's.
fn resource_kinds(
    sub: &crate::inventory::SubscriptionInventory,
) -> std::collections::HashMap<String, String> {
    let mut kinds: std::collections::HashMap<String, String> = sub
        .resources
        .items()
        .iter()
        .filter_map(|r| Some((crate::inventory::id_key(&r.id), r.kind.clone()?)))
        .collect();
    for app in sub.web_apps.items().iter().filter(|a| !a.kind.is_empty()) {
        kinds.insert(crate::inventory::id_key(&app.id), app.kind.clone());
    }
    kinds
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
