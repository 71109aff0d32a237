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
    evidence: &["accepted_destinations", "missing", "required", "settings"],
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
            let evidence = json!({
                "settings": settings_evidence(settings),
                "required": p.required_categories,
                "missing": missing,
                "accepted_destinations": p.destinations,
            });
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

pub fn display_name(name: &str, id: &str) -> String {
    if name.is_empty() {
        id.to_string()
    } else {
        format!("{name} ({id})")
    }
}
