//! `activity_log_alert`: an enabled activity-log alert covering the subscription fires on an
//! operation (e.g. `Microsoft.Network/networkSecurityGroups/write`).

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, subscription_scope, EvalContext};
use crate::inventory::{id_key, ActivityLogAlert};
use crate::results::{Finding, Status};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub operation: String,
}

pub const KIND: RuleKind = RuleKind {
    name: "activity_log_alert",
    file: file!(),
    prepare: prepare::<Params>,
    describes: "an enabled activity-log alert on an operation name, scoped to the subscription",
    cost_basis: None,
};

/// The alert fires on `operation` for `scope`: enabled, scoped at or above the subscription,
/// condition names the operation, and any category condition is Administrative.
pub fn alert_matches(a: &ActivityLogAlert, operation: &str, subscription_scope: &str) -> bool {
    let sub = id_key(subscription_scope);
    let scoped = a.scopes.is_empty()
        || a.scopes
            .iter()
            .any(|s| sub.starts_with(&id_key(s)) || id_key(s) == sub);
    let names_op = a.conditions.iter().any(|c| {
        c.field.eq_ignore_ascii_case("operationName") && c.equals.eq_ignore_ascii_case(operation)
    });
    let category_ok = a
        .conditions
        .iter()
        .filter(|c| c.field.eq_ignore_ascii_case("category"))
        .all(|c| c.equals.eq_ignore_ascii_case("Administrative"));
    a.enabled && scoped && names_op && category_ok
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(
                check,
                sub,
                &sub.activity_log_alerts,
                "the activity-log alerts",
            ) {
                out.push(f);
                continue;
            }
            let scope = subscription_scope(sub);
            let sid = Some(sub.subscription.id.as_str());
            let matching: Vec<&ActivityLogAlert> = sub
                .activity_log_alerts
                .items()
                .iter()
                .filter(|a| alert_matches(a, &p.operation, &scope))
                .collect();
            let disabled: Vec<String> = sub
                .activity_log_alerts
                .items()
                .iter()
                .filter(|a| {
                    !a.enabled
                        && a.conditions
                            .iter()
                            .any(|c| c.equals.eq_ignore_ascii_case(&p.operation))
                })
                .map(|a| a.name.clone())
                .collect();
            let evidence = json!({
                "operation": p.operation,
                "matching_alerts": matching.iter().map(|a| json!({"name": a.name, "action_groups": a.action_groups})).collect::<Vec<_>>(),
                "disabled_alerts": disabled,
            });
            let f = if let Some(a) = matching.first() {
                check.finding(
                    Status::Pass,
                    &scope,
                    sid,
                    format!("Alert {} fires on {}.", a.name, p.operation),
                    evidence,
                )
            } else if !disabled.is_empty() {
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!(
                        "The alert on {} exists but is disabled ({}).",
                        p.operation,
                        disabled.join(", ")
                    ),
                    evidence,
                )
            } else {
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!("No activity-log alert fires on {}.", p.operation),
                    evidence,
                )
            };
            out.push(f);
        }
        out
    }
}
