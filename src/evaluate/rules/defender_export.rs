//! `defender_continuous_export`: Defender for Cloud exports its alerts (at the wanted
//! severities) to a workspace or an event hub, through an enabled workflow automation
//! (continuous export). Alerts that reach no SIEM are lost logs.

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, subscription_scope, EvalContext};
use crate::inventory::SecurityAutomation;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The event source that must be exported (`Alerts`; `Assessments` are recommendations).
    pub source: String,
    /// Severities the export must keep (CIS 5.0 8.1.5.2: at least Medium and High).
    pub severities: Vec<String>,
    /// Action types that count as export: `Workspace`, `EventHub` (a Logic App is a workflow,
    /// not a log destination).
    pub destinations: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            source: "Alerts".into(),
            severities: vec!["High".into(), "Medium".into()],
            destinations: vec!["Workspace".into(), "EventHub".into()],
        }
    }
}

pub const KIND: RuleKind = RuleKind {
    name: "defender_continuous_export",
    file: file!(),
    line: line!(),
    evidence: &["automations", "destinations", "severities", "source"],
    figures: &[],
    prepare: prepare::<Params>,
    describes: "Defender for Cloud continuous export (workflow automations): an enabled one sends the event source at the wanted severities to a workspace or an event hub",
    cost_basis: Some("none estimated: Defender for Cloud alerts are few; continuous export to a workspace ingests them into the SecurityAlert table"),
};

/// Whether `a` exports the source at every wanted severity to an accepted destination.
fn exports(p: &Params, a: &SecurityAutomation) -> bool {
    let to_destination = a
        .action_types
        .iter()
        .any(|t| p.destinations.iter().any(|d| d.eq_ignore_ascii_case(t)));
    let covers = a
        .sources
        .iter()
        .filter(|s| s.event_source.eq_ignore_ascii_case(&p.source))
        .any(|s| match &s.severities {
            None => true,
            Some(kept) => p
                .severities
                .iter()
                .all(|want| kept.iter().any(|k| k.eq_ignore_ascii_case(want))),
        });
    to_destination && covers
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(
                check,
                sub,
                &sub.security_automations,
                "the Defender for Cloud workflow automations",
            ) {
                out.push(f);
                continue;
            }
            let scope = subscription_scope(sub);
            let sid = Some(sub.subscription.id.as_str());
            let all = sub.security_automations.items();
            let evidence = json!({
                "source": p.source,
                "severities": p.severities,
                "destinations": p.destinations,
                "automations": all.iter().map(|a| json!({
                    "name": a.name,
                    "enabled": a.enabled,
                    "action_types": a.action_types,
                    "sources": a.sources.iter().map(|s| json!({ "event_source": s.event_source, "severities": s.severities })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            let wanted = format!(
                "{} ({} severity) to {}",
                p.source,
                and_list(&p.severities),
                p.destinations.join(" or ")
            );
            let exporting: Vec<&SecurityAutomation> =
                all.iter().filter(|a| exports(p, a)).collect();
            let f = if let Some(a) = exporting.iter().find(|a| a.enabled == Some(true)) {
                check.finding(
                    Status::Pass,
                    &scope,
                    sid,
                    format!("Continuous export {} sends {wanted}.", a.name),
                    evidence,
                )
            } else if let Some(a) = exporting.iter().find(|a| a.enabled.is_none()) {
                check.finding(
                    Status::NotAssessed,
                    &scope,
                    sid,
                    format!(
                        "Not assessed: automation {} would export {wanted}, but whether it is enabled cannot be read.",
                        a.name
                    ),
                    json!({ "automations": evidence["automations"], "error": { "code": "NotReported", "message": "isEnabled unreadable" } }),
                )
            } else {
                let why = if exporting.is_empty() {
                    format!("no workflow automation exports {wanted}")
                } else {
                    format!(
                        "the automations that would export {wanted} are disabled ({})",
                        and_list(&exporting.iter().map(|a| a.name.clone()).collect::<Vec<_>>())
                    )
                };
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!("Defender for Cloud alerts reach no SIEM: {why}."),
                    evidence,
                )
            };
            out.push(f);
        }
        out
    }
}
