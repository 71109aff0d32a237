//! `activity_log_export`: each subscription's activity log goes to a workspace or storage
//! account, and the union of enabled settings covers the required categories.

use super::{prepare, settings_evidence, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::index::{accepts, Destination};
use crate::evaluate::{gate_complete, subscription_scope, EvalContext};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub required_categories: Vec<String>,
    /// Destinations that keep the log: `workspace`, `storage`, `event_hub`, `partner`. Any
    /// other value is a load error naming the line, never a silent "not accepted".
    pub destinations: Vec<Destination>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            required_categories: ["Administrative", "Security", "Policy", "Alert"]
                .map(String::from)
                .to_vec(),
            // As CIS 5.0 6.1.1.1 accepts: any destination.
            destinations: vec![
                Destination::Workspace,
                Destination::Storage,
                Destination::EventHub,
                Destination::Partner,
            ],
        }
    }
}

pub const KIND: RuleKind = RuleKind {
    name: "activity_log_export",
    file: file!(),
    line: line!(),
    evidence: &["accepted_destinations", "extend_blocked", "extend_logs_json", "extend_setting", "extend_workspace_id", "missing", "required", "settings", "workspace_setting"],
    figures: &[],
    prepare: prepare::<Params>,
    describes: "subscription activity-log diagnostic settings: union of enabled categories sent to an accepted destination",    cost_basis: Some("AzureActivity ingestion is free: the gap costs nothing in Log Analytics"),
};

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate_complete(
                check,
                sub,
                &sub.activity_log_settings,
                "the activity log's diagnostic settings",
            ) {
                out.push(f);
                continue;
            }
            let settings = sub.activity_log_settings.items();
            let covered = super::covered_categories(settings, &[], |s| accepts(s, &p.destinations));
            let all = covered.contains("*");
            let missing: Vec<String> = p
                .required_categories
                .iter()
                .filter(|c| !all && !covered.contains(&c.to_ascii_lowercase()))
                .cloned()
                .collect();
            let scope = subscription_scope(sub);
            let sid = Some(sub.subscription.id.as_str());
            let mut evidence = json!({
                "settings": settings_evidence(settings),
                "required": p.required_categories,
                "missing": missing,
                "accepted_destinations": p.destinations,
            });
            if !missing.is_empty() {
                extension(settings, &missing, &mut evidence);
            }
            let name = display_name(&sub.subscription.name, &sub.subscription.id);
            let f = if settings.is_empty() {
                check.finding(Status::Fail, &scope, sid, format!("Subscription {name} has no activity-log diagnostic setting: its activity log is kept for 90 days only and is not searchable with other logs."), evidence)
            } else if !settings.iter().any(|s| accepts(s, &p.destinations)) {
                check.finding(Status::Fail, &scope, sid, format!("Subscription {name} exports its activity log only to destinations the baseline does not accept (it wants {}).", p.destinations.iter().map(|d| d.as_str()).collect::<Vec<_>>().join(" or ")), evidence)
            } else if missing.is_empty() {
                check.finding(
                    Status::Pass,
                    &scope,
                    sid,
                    format!(
                        "Subscription {name} exports {} of its activity log.",
                        and_list(&p.required_categories)
                    ),
                    evidence,
                )
            } else {
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!(
                        "Subscription {name} does not export the activity-log categories {}.",
                        and_list(&missing)
                    ),
                    evidence,
                )
            };
            out.push(f.gap_if_failed(|| Gap::ActivityLog));
        }
        out
    }
}

/// How the fix adds `missing` where a setting already sends the activity log to a workspace:
/// that setting, re-written with its categories plus the missing ones (a second setting sending
/// a category to the same workspace is refused by Azure). Writes `workspace_setting` and either
/// the `extend_*` values or `extend_blocked` (the setting also sends elsewhere, which the
/// command would drop).
fn extension(
    settings: &[crate::inventory::DiagnosticSetting],
    missing: &[String],
    evidence: &mut serde_json::Value,
) {
    let Some(s) = settings.iter().find(|s| s.workspace_id.is_some()) else {
        return;
    };
    evidence["workspace_setting"] = json!(s.name);
    if s.storage_account_id.is_some()
        || s.event_hub_authorization_rule_id.is_some()
        || s.marketplace_partner_id.is_some()
        || s.logs.iter().any(|l| l.category_group.is_some())
    {
        evidence["extend_blocked"] = json!(format!(
            "{} also sends to {} or exports category groups",
            s.name,
            s.destinations().join(" and ")
        ));
        return;
    }
    let mut logs: Vec<serde_json::Value> = s
        .logs
        .iter()
        .filter_map(|l| l.category.as_ref().map(|c| (c, l.enabled)))
        .map(|(c, on)| {
            let wanted = missing.iter().any(|m| m.eq_ignore_ascii_case(c));
            json!({ "category": c, "enabled": on || wanted })
        })
        .collect();
    for m in missing {
        let present = s.logs.iter().any(|l| {
            l.category
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(m))
        });
        if !present {
            logs.push(json!({ "category": m, "enabled": true }));
        }
    }
    evidence["extend_setting"] = json!(s.name);
    evidence["extend_workspace_id"] = json!(s.workspace_id);
    evidence["extend_logs_json"] = json!(serde_json::Value::Array(logs).to_string());
}

pub fn display_name(name: &str, id: &str) -> String {
    if name.is_empty() {
        id.to_string()
    } else {
        format!("{name} ({id})")
    }
}
