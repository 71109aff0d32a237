//! `defender_plan`: the named Defender for Cloud plans are on (Standard tier) in every
//! subscription. Plans the subscription does not offer, or deprecated ones, are not applicable.

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, subscription_scope, EvalContext};
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub plans: Vec<String>,
    /// The sub-plan the Standard tier must be on (`P2` for Servers); absent: any.
    pub sub_plan: Option<String>,
    /// A component of the plan that must be on (`FileIntegrityMonitoring`); absent: none.
    pub extension: Option<String>,
}

/// What each Defender for Servers sub-plan gives, for messages.
fn sub_plan_note(plan: &str, sub_plan: &str) -> &'static str {
    match (plan.to_ascii_lowercase().as_str(), sub_plan.to_ascii_uppercase().as_str()) {
        ("virtualmachines", "P1") => "Plan 1: Defender for Endpoint integration only; no 500 MB/day per server of free security data, no file integrity monitoring, no agentless scanning",
        ("virtualmachines", "P2") => "Plan 2: Defender for Endpoint plus 500 MB/day per server of free security data ingestion, file integrity monitoring, agentless scanning and just-in-time VM access",
        _ => "",
    }
}

pub const KIND: RuleKind = RuleKind {
    name: "defender_plan",
    file: file!(),
    line: line!(),
    evidence: &["plan", "pricing_tier", "sub_plan", "deprecated", "extension", "extensions"],
    figures: &[],
    prepare: prepare::<Params>,
    describes: "Microsoft Defender for Cloud pricing tier of the named plans (and sub-plan, and a component of the plan)",
    cost_basis: None,
};

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(
                check,
                sub,
                &sub.defender_plans,
                "the Defender for Cloud plans",
            ) {
                out.push(f);
                continue;
            }
            let sid = Some(sub.subscription.id.as_str());
            for plan in &p.plans {
                let rid = format!(
                    "{}/providers/Microsoft.Security/pricings/{plan}",
                    subscription_scope(sub)
                );
                let found = sub
                    .defender_plans
                    .items()
                    .iter()
                    .find(|d| d.name.eq_ignore_ascii_case(plan));
                let f = match found {
                    None => check.finding(
                        Status::NotApplicable,
                        &rid,
                        sid,
                        format!("Defender plan {plan} is not offered in this subscription."),
                        json!({ "plan": plan }),
                    ),
                    Some(d) if d.deprecated => check.finding(
                        Status::NotApplicable,
                        &rid,
                        sid,
                        format!("Defender plan {plan} is deprecated."),
                        json!({ "plan": plan, "deprecated": true }),
                    ),
                    Some(d) => {
                        let evidence = json!({ "plan": d.name, "pricing_tier": d.pricing_tier, "sub_plan": d.sub_plan });
                        let on = d.pricing_tier.eq_ignore_ascii_case("Standard");
                        let note = d
                            .sub_plan
                            .as_deref()
                            .map(|s| sub_plan_note(plan, s))
                            .filter(|n| !n.is_empty())
                            .map(|n| format!(" {n}."))
                            .unwrap_or_default();
                        let sp = d
                            .sub_plan
                            .as_deref()
                            .map(|s| format!(" ({s})"))
                            .unwrap_or_default();
                        match (&p.sub_plan, &d.sub_plan) {
                            (Some(want), Some(got)) if on && !want.eq_ignore_ascii_case(got) => check.finding(
                                Status::Fail,
                                &rid,
                                sid,
                                format!("Defender plan {plan} is on {got}, not {want}.{note}"),
                                evidence,
                            ),
                            (Some(want), None) if on => check.finding(
                                Status::NotAssessed,
                                &rid,
                                sid,
                                format!("Not assessed: Defender plan {plan} is on, but ARM did not report its sub-plan (the baseline wants {want})."),
                                json!({ "plan": d.name, "pricing_tier": d.pricing_tier, "error": { "code": "NotReported", "message": "subPlan missing" } }),
                            ),
                            _ if on => match &p.extension {
                                Some(ext) => judge_extension(check, &rid, sid, plan, d, ext),
                                None => check.finding(
                                    Status::Pass,
                                    &rid,
                                    sid,
                                    format!("Defender plan {plan} is on{sp}.{note}"),
                                    evidence,
                                ),
                            },
                            _ => check.finding(Status::Fail, &rid, sid, format!("Defender plan {plan} is off (tier {}): its security alerts and telemetry are not produced.", if d.pricing_tier.is_empty() { "unknown" } else { &d.pricing_tier }), evidence),
                        }
                    }
                };
                out.push(f);
            }
        }
        out
    }
}

/// A plan that is on: is its component `ext` on? Unknown when ARM did not list the plan's
/// components or the component's state cannot be read.
fn judge_extension(
    check: &CheckDef,
    rid: &str,
    sid: Option<&str>,
    plan: &str,
    d: &crate::inventory::DefenderPlan,
    ext: &str,
) -> Finding {
    let Some(list) = &d.extensions else {
        return check.finding(
            Status::NotAssessed,
            rid,
            sid,
            format!("Not assessed: Defender plan {plan} is on, but ARM did not list its components, so whether {ext} is on is unknown."),
            json!({ "plan": d.name, "extension": ext, "error": { "code": "NotReported", "message": "extensions missing" } }),
        );
    };
    let evidence = json!({
        "plan": d.name,
        "pricing_tier": d.pricing_tier,
        "sub_plan": d.sub_plan,
        "extension": ext,
        "extensions": list.iter().map(|e| json!({ "name": e.name, "enabled": e.enabled })).collect::<Vec<_>>(),
    });
    match list.iter().find(|e| e.name.eq_ignore_ascii_case(ext)).map(|e| e.enabled) {
        Some(Some(true)) => check.finding(
            Status::Pass,
            rid,
            sid,
            format!("Defender plan {plan} is on with {ext}."),
            evidence,
        ),
        Some(None) => check.finding(
            Status::NotAssessed,
            rid,
            sid,
            format!("Not assessed: Defender plan {plan} lists {ext}, but whether it is enabled cannot be read."),
            json!({ "plan": d.name, "extension": ext, "error": { "code": "NotReported", "message": "isEnabled unreadable" } }),
        ),
        Some(Some(false)) => check.finding(
            Status::Fail,
            rid,
            sid,
            format!("Defender plan {plan} is on, but its {ext} component is off."),
            evidence,
        ),
        None => check.finding(
            Status::Fail,
            rid,
            sid,
            format!("Defender plan {plan} is on, but its components do not include {ext}: it is off."),
            evidence,
        ),
    }
}
