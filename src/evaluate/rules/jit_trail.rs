//! `jit_activity_retention`: where just-in-time VM access is configured, its trail (the
//! `jitNetworkAccessPolicies/initiate/action` request and the NSG rule writes it causes, in the
//! activity log's Administrative and Security categories) is kept at least `min_days`.
//!
//! Azure keeps the activity log 90 days by itself. Beyond that a category must reach a
//! destination that keeps it: a workspace (the AzureActivity table's total retention in force),
//! or storage / event hub / partner, whose retention this scan cannot read (not assessed, unless
//! another destination passes).

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::index::jit_gate;
use crate::evaluate::index::WorkspaceIndex;
use crate::evaluate::{subscription_scope, EvalContext};
use crate::inventory::{last_segment, DiagnosticSetting, ReadError, SubscriptionInventory};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;

/// How long Azure keeps the activity log without any export.
pub const AZURE_ACTIVITY_DAYS: u32 = 90;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub min_days: u32,
    pub categories: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_days: 365,
            categories: vec!["Administrative".into(), "Security".into()],
        }
    }
}

pub const KIND: RuleKind = RuleKind {
    name: "jit_activity_retention",
    file: file!(),
    line: line!(),
    evidence: &["categories", "details", "jit_policies", "minimum_days", "vms_under_jit"],
    figures: &["free_retention_days", "free_retention_days_sentinel", "interactive_retention_gb_month", "long_term_retention_gb_month"],
    prepare: prepare::<Params>,
    describes: "subscriptions with JIT VM access policies keep the activity log's Administrative and Security categories at least min_days (AzureActivity table retention in a workspace; Azure itself keeps 90 days)",
    cost_basis: Some("AzureActivity ingestion is free; a short AzureActivity table is priced as its table retention"),
};

/// How long one destination keeps a category.
enum Kept {
    /// A workspace: its id, the AzureActivity table's days, and how they were found.
    Workspace(String, crate::evaluate::index::TableDays, String),
    Unknown(String),
}

fn kept(s: &DiagnosticSetting, workspaces: &WorkspaceIndex) -> Vec<Kept> {
    let mut out = Vec::new();
    if let Some(w) = &s.workspace_id {
        out.push(
            match crate::evaluate::index::table_days(workspaces, w, "AzureActivity") {
                Ok(t) => {
                    let how = format!("workspace {} ({})", last_segment(w), t.how);
                    Kept::Workspace(w.clone(), t, how)
                }
                Err(why) => Kept::Unknown(format!("workspace {}: {why}", last_segment(w))),
            },
        );
    }
    if let Some(st) = &s.storage_account_id {
        out.push(Kept::Unknown(format!(
            "storage account {}: its lifecycle rules are not read",
            last_segment(st)
        )));
    }
    if s.event_hub_authorization_rule_id.is_some() || s.marketplace_partner_id.is_some() {
        out.push(Kept::Unknown(
            "an event hub or partner: retention is decided downstream".into(),
        ));
    }
    out
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let workspaces = &ctx.workspace_by_id;
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            let vms = match jit_gate(check, sub) {
                Ok(vms) => vms,
                Err(f) => {
                    out.push(*f);
                    continue;
                }
            };
            let scope = subscription_scope(sub);
            let sid = Some(sub.subscription.id.as_str());
            if let Some(f) = crate::evaluate::gate_complete(
                check,
                sub,
                &sub.activity_log_settings,
                "the activity log's diagnostic settings",
            ) {
                out.push(f);
                continue;
            }
            out.push(self.judge(check, sub, workspaces, &vms, &scope, sid));
        }
        out
    }
}

impl Params {
    fn judge(
        &self,
        check: &CheckDef,
        sub: &SubscriptionInventory,
        workspaces: &WorkspaceIndex,
        vms: &[String],
        scope: &str,
        sid: Option<&str>,
    ) -> Finding {
        let settings = sub.activity_log_settings.items();
        let mut ok = Vec::new();
        let mut short = Vec::new();
        let mut unknown = Vec::new();
        // The shortest known workspace destination that fails: what the gap prices.
        let mut short_workspace: Option<(String, crate::evaluate::index::TableDays)> = None;
        let mut per_category = Vec::new();
        for cat in &self.categories {
            let mut kept_by: Vec<Kept> = Vec::new();
            for s in settings.iter().filter(|s| s.has_destination()) {
                let covered = super::covered_categories(std::slice::from_ref(s), &[], |_| true);
                if covered.contains("*") || covered.contains(&cat.to_ascii_lowercase()) {
                    kept_by.extend(kept(s, workspaces));
                }
            }
            for k in &kept_by {
                if let Kept::Workspace(w, t, _) = k {
                    if t.total < self.min_days
                        && short_workspace
                            .as_ref()
                            .is_none_or(|(_, x)| t.total < x.total)
                    {
                        short_workspace = Some((w.clone(), t.clone()));
                    }
                }
            }
            let best = kept_by
                .iter()
                .filter_map(|k| match k {
                    Kept::Workspace(_, t, how) => Some((t.total, how.clone())),
                    Kept::Unknown(_) => None,
                })
                .max_by_key(|(d, _)| *d);
            let unknowns: Vec<String> = kept_by
                .iter()
                .filter_map(|k| match k {
                    Kept::Unknown(w) => Some(w.clone()),
                    Kept::Workspace(..) => None,
                })
                .collect();
            per_category.push(json!({
                "category": cat,
                "longest_known_days": best.as_ref().map(|(d, _)| d),
                "kept_by": best.as_ref().map(|(_, h)| h),
                "unknown_destinations": unknowns,
            }));
            match best {
                Some((d, how)) if d >= self.min_days => ok.push(format!("{cat} {d} days in {how}")),
                _ if AZURE_ACTIVITY_DAYS >= self.min_days => ok.push(format!(
                    "{cat} {AZURE_ACTIVITY_DAYS} days in the activity log itself"
                )),
                _ if !unknowns.is_empty() => {
                    unknown.push(format!("{cat}: {}", unknowns.join("; ")))
                }
                Some((d, how)) => short.push(format!(
                    "{cat} only {} days ({how})",
                    d.max(AZURE_ACTIVITY_DAYS)
                )),
                None => short.push(format!(
                    "{cat} is not exported, so Azure keeps it {AZURE_ACTIVITY_DAYS} days"
                )),
            }
        }
        let evidence = json!({
            "vms_under_jit": vms,
            "jit_policies": sub.jit_policies.items().iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
            "minimum_days": self.min_days,
            "categories": per_category,
        });
        let vm_list = and_list(vms);
        if !short.is_empty() {
            let f = check.finding(Status::Fail, scope, sid, format!("JIT access to {vm_list} leaves its trail in the activity log, which is kept too briefly: {} (the baseline wants {} days).", short.join("; "), self.min_days), evidence);
            return match short_workspace {
                // Only the total retention is short: interactive days stay as they are.
                Some((w, t)) => f.gap_if_failed(|| Gap::TableRetention {
                    workspace_id: w,
                    table: "AzureActivity".into(),
                    interactive_days: t.interactive,
                    total_days: t.total,
                    minimum_interactive_days: t.interactive,
                    minimum_total_days: self.min_days,
                }),
                None => f.gap_if_failed(|| Gap::ActivityLog),
            };
        }
        if !unknown.is_empty() {
            let e = ReadError::unknown(
                scope,
                "activityLog.destinations",
                "RetentionUnknown",
                unknown.join("; "),
            );
            let mut f = check.not_assessed(
                scope,
                sid,
                "how long the activity log's destinations keep the JIT trail",
                &e,
            );
            f.evidence = json!({"error": e, "details": evidence}).into();
            return f;
        }
        check.finding(
            Status::Pass,
            scope,
            sid,
            format!(
                "JIT access to {vm_list} is kept long enough: {}.",
                ok.join("; ")
            ),
            evidence,
        )
    }
}
