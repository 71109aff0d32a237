//! `app_insights`: a subscription that runs App Service apps has Application Insights (CIS
//! "Ensure Application Insights are Configured"). Workspace-based components are named as such.

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, subscription_scope, EvalContext};
use crate::inventory::ReadError;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// Judge only subscriptions with App Service apps (others: not applicable).
    pub only_with_apps: bool,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            only_with_apps: true,
        }
    }
}

pub const KIND: RuleKind = RuleKind {
    name: "app_insights",
    file: file!(),
    line: line!(),
    evidence: &["app_location", "app_resource_group", "apps", "components"],
    figures: &[],
    prepare: prepare::<Params>,
    describes: "Application Insights components per subscription (Microsoft.Insights/components)",
    cost_basis: None,
};

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            let sid = Some(sub.subscription.id.as_str());
            let scope = subscription_scope(sub);
            if let Some(f) = gate(
                check,
                sub,
                &sub.app_insights,
                "the Application Insights components",
            ) {
                out.push(f);
                continue;
            }
            let components = sub.app_insights.items();
            let apps = sub.web_apps.complete().map(|a| a.len());
            if !components.is_empty() {
                let names: Vec<String> = components
                    .iter()
                    .map(|c| match &c.workspace_id {
                        Some(_) => format!("{} (workspace-based)", c.name),
                        None => {
                            format!("{} (classic, retired: migrate to workspace-based)", c.name)
                        }
                    })
                    .collect();
                out.push(check.finding(
                    Status::Pass,
                    &scope,
                    sid,
                    format!("Application Insights is configured: {}.", and_list(&names)),
                    json!({ "components": components, "apps": apps }),
                ));
                continue;
            }
            match apps {
                Some(0) if self.only_with_apps => out.push(check.finding(
                    Status::NotApplicable,
                    &scope,
                    sid,
                    "No App Service app in this subscription: nothing for Application Insights to instrument.",
                    json!({ "apps": 0 }),
                )),
                None if self.only_with_apps => {
                    let e = sub.web_apps.error.clone().unwrap_or_else(|| {
                        ReadError::unknown(
                            &scope,
                            "sites.list",
                            "NotCollected",
                            "the App Service apps were not collected",
                        )
                    });
                    out.push(check.not_assessed(&scope, sid, "whether the subscription runs App Service apps", &e));
                }
                _ => {
                    // The fix creates the component beside the first app: its region and group.
                    let first = sub.web_apps.items().first();
                    let mut evidence = json!({ "components": [], "apps": apps });
                    if let Some(a) = first.filter(|a| !a.location.is_empty()) {
                        evidence["app_location"] = json!(a.location);
                    }
                    if let Some(rg) = first.and_then(|a| crate::support::ids::resource_group(&a.id)) {
                        evidence["app_resource_group"] = json!(rg);
                    }
                    out.push(check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!(
                        "No Application Insights component in this subscription{}: application requests, failures and dependencies are not recorded.",
                        apps.map(|n| format!(", which runs {n} App Service apps")).unwrap_or_default()
                    ),
                    evidence,
                ))
                }
            }
        }
        out
    }
}
