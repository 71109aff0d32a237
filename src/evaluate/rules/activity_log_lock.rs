//! `activity_log_export_lock`: the subscription's activity-log export cannot be deleted by
//! anyone who can edit resources. A management lock on the subscription (or on the setting
//! itself) blocks the delete; where the subscription uses locks but none covers the export, it
//! fails. What is read: the subscription's management locks only. Azure Policy `denyAction`
//! assignments are not read, which the verdicts say.

use super::{Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, subscription_scope, EvalContext};
use crate::inventory::ManagementLock;
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Ask for the lock in every subscription, also where no lock is used at all (by default
    /// such a subscription is not applicable: the estate does not protect with locks there).
    pub require_everywhere: bool,
}

fn prepare(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    Ok(Arc::new(p))
}

pub const KIND: RuleKind = RuleKind {
    name: "activity_log_export_lock",
    file: file!(),
    line: line!(),
    evidence: &["covering_locks", "locks_in_subscription", "settings", "not_read"],
    figures: &[],
    prepare,
    describes: "a CanNotDelete or ReadOnly management lock on the subscription (or the setting) protects its activity-log diagnostic settings; Azure Policy denyAction is not read",
    cost_basis: Some("none: a lock costs nothing"),
};

const NOT_READ: &str = "Azure Policy denyAction assignments are not read";

/// Whether a lock's level blocks deletion: Some(true/false), None when it cannot be read.
fn blocks_delete(l: &ManagementLock) -> Option<bool> {
    let level = l.level.as_deref()?;
    if level.eq_ignore_ascii_case("CanNotDelete") || level.eq_ignore_ascii_case("ReadOnly") {
        Some(true)
    } else if level.eq_ignore_ascii_case("NotSpecified") {
        None
    } else {
        Some(false)
    }
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            let settings_read = &sub.activity_log_settings;
            if let Some(f) = gate(
                check,
                sub,
                settings_read,
                "the activity log's diagnostic settings",
            ) {
                out.push(f);
                continue;
            }
            let scope = subscription_scope(sub);
            let sid = Some(sub.subscription.id.as_str());
            let settings = settings_read.items();
            if settings.is_empty() {
                out.push(check.finding(
                    Status::NotApplicable,
                    &scope,
                    sid,
                    "No activity-log export to protect: LP-ACT-001 reports the missing export.",
                    json!({ "settings": [] }),
                ));
                continue;
            }
            if let Some(f) = gate(check, sub, &sub.management_locks, "the management locks") {
                out.push(f);
                continue;
            }
            let locks = sub.management_locks.items();
            let sub_scope = scope.to_ascii_lowercase();
            let protected_scopes: Vec<String> = std::iter::once(sub_scope.clone())
                .chain(settings.iter().map(|s| s.id.to_ascii_lowercase()))
                .collect();
            let candidates: Vec<&ManagementLock> = locks
                .iter()
                .filter(|l| l.scope().is_some_and(|s| protected_scopes.contains(&s)))
                .collect();
            let names: Vec<&str> = settings.iter().map(|s| s.name.as_str()).collect();
            let evidence = json!({
                "settings": names,
                "locks_in_subscription": locks.len(),
                "covering_locks": candidates.iter().map(|l| json!({
                    "name": l.name,
                    "scope": l.scope(),
                    "level": l.level,
                })).collect::<Vec<_>>(),
                "not_read": NOT_READ,
            });
            let export = format!("its activity-log export ({})", names.join(", "));
            let f = if let Some(l) = candidates.iter().find(|l| blocks_delete(l) == Some(true)) {
                let on = if l.scope().as_deref() == Some(sub_scope.as_str()) {
                    "the subscription"
                } else {
                    "the diagnostic setting"
                };
                check.finding(
                    Status::Pass,
                    &scope,
                    sid,
                    format!(
                        "Lock {} ({}) on {on} protects {export} from deletion.",
                        l.name,
                        l.level.as_deref().unwrap_or_default()
                    ),
                    evidence,
                )
            } else if let Some(l) = candidates.iter().find(|l| blocks_delete(l).is_none()) {
                check.finding(
                    Status::NotAssessed,
                    &scope,
                    sid,
                    format!("Not assessed: the level of lock {} cannot be read.", l.name),
                    json!({ "covering_locks": evidence["covering_locks"], "error": {
                        "code": "NotReported", "message": "the lock's level is missing or NotSpecified" } }),
                )
            } else if let Some(e) = &sub.management_locks.error {
                // A lock that could not be read may be the one that covers the export.
                check.not_assessed(&scope, sid, "the management locks", e)
            } else if locks.is_empty() && !self.require_everywhere {
                check.finding(
                    Status::NotApplicable,
                    &scope,
                    sid,
                    format!(
                        "The subscription uses no management lock, so none is asked for {export} ({NOT_READ})."
                    ),
                    evidence,
                )
            } else {
                let uses = if locks.is_empty() {
                    "The subscription has no management lock".to_string()
                } else {
                    format!(
                        "The subscription uses {} management lock(s), but none on the subscription or the setting",
                        locks.len()
                    )
                };
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!(
                        "{uses}: anyone who can edit its diagnostic settings can delete {export} and stop the record of changes ({NOT_READ}: one that protects the export is a reason to suppress this finding)."
                    ),
                    evidence,
                )
            };
            out.push(f.gap_if_failed(|| Gap::NoNewCost {
                reason: "no cost: a management lock is free and adds no log volume",
            }));
        }
        out
    }
}
