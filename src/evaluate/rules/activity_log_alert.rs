//! `activity_log_alert`: an enabled activity-log alert covering the subscription fires on an
//! operation (e.g. `Microsoft.Network/networkSecurityGroups/write`).

use super::{Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, subscription_scope, EvalContext};
use crate::inventory::{id_key, ActionGroup, ActivityLogAlert};
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    /// The operation the alert must fire on (`operationName`), e.g.
    /// `Microsoft.Network/networkSecurityGroups/write`.
    pub operation: Option<String>,
    /// Or the event category it must fire on (`ServiceHealth`), for alerts that are not about
    /// one operation.
    pub category: Option<String>,
    /// Judge only subscriptions that have this (others are not applicable): `jit_policies`.
    pub only_with: Option<OnlyWith>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnlyWith {
    /// Just-in-time VM access policies.
    JitPolicies,
}

/// Exactly one of operation and category.
fn validate(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    match (&p.operation, &p.category) {
        (Some(o), None) if !o.trim().is_empty() => Ok(Arc::new(p)),
        (None, Some(c)) if !c.trim().is_empty() => Ok(Arc::new(p)),
        _ => Err("params need exactly one of operation or category".into()),
    }
}

pub const KIND: RuleKind = RuleKind {
    name: "activity_log_alert",
    file: file!(),
    line: line!(),
    evidence: &["alerts_that_do_not_count", "alerts_with_unknown_action_groups", "category", "counted_alert", "disabled_alert_id", "jit_policies", "operation", "vms_under_jit"],
    figures: &[],
    prepare: validate,
    describes: "an enabled activity-log alert on an operation (or event category) covering the subscription, not filtered on level, status or caller (a category alert on nothing but its category: every service, region and event type), notifying an existing, enabled action group that has a receiver",
    cost_basis: None,
};

/// Conditions that narrow an alert so it can miss the event (CIS 5.0 6.1.2.x audit procedure).
const NARROWING_FIELDS: [&str; 4] = ["level", "status", "caller", "properties.status"];

/// Service Health's event types (`properties.incidentType`): CIS 6.0 6.1.2.11 audits
/// "Event types=All", so an alert that lists fewer than these misses some.
const SERVICE_HEALTH_EVENT_TYPES: [&str; 5] = [
    "Incident",
    "Maintenance",
    "Informational",
    "ActionRequired",
    "Security",
];

/// Why an alert on `target` can miss it: each narrowing condition, as `field = value`.
fn narrowing(a: &ActivityLogAlert, target: &Target) -> Vec<String> {
    let shown = |c: &crate::inventory::AlertCondition| format!("{} = {}", c.field, c.equals);
    match target {
        Target::Operation(_) => a
            .conditions
            .iter()
            .filter(|c| {
                NARROWING_FIELDS
                    .iter()
                    .any(|f| c.field.eq_ignore_ascii_case(f))
            })
            .map(shown)
            .collect(),
        // A category alert (Service Health) counts for every service, region and event type:
        // any other condition narrows it, except event types that list them all.
        Target::Category(_) => {
            let types: HashSet<String> = a
                .conditions
                .iter()
                .filter(|c| c.field.eq_ignore_ascii_case("properties.incidentType"))
                .map(|c| c.equals.to_ascii_lowercase())
                .collect();
            let all_types = SERVICE_HEALTH_EVENT_TYPES
                .iter()
                .all(|t| types.contains(&t.to_ascii_lowercase()));
            a.conditions
                .iter()
                .filter(|c| !c.field.eq_ignore_ascii_case("category"))
                .filter(|c| !(all_types && c.field.eq_ignore_ascii_case("properties.incidentType")))
                .map(shown)
                .collect()
        }
    }
}

/// What the alert must fire on.
enum Target<'a> {
    Operation(&'a str),
    Category(&'a str),
}

impl Params {
    fn target(&self) -> Target<'_> {
        match (&self.operation, &self.category) {
            (Some(o), _) => Target::Operation(o),
            (None, Some(c)) => Target::Category(c),
            // Excluded at load (validate).
            (None, None) => Target::Category(""),
        }
    }
    fn describe(&self) -> String {
        match self.target() {
            Target::Operation(o) => o.to_string(),
            Target::Category(c) => format!("{c} events"),
        }
    }
}

fn scoped(a: &ActivityLogAlert, subscription_scope: &str) -> bool {
    let sub = id_key(subscription_scope);
    a.scopes.is_empty()
        || a.scopes
            .iter()
            .any(|s| sub.starts_with(&id_key(s)) || id_key(s) == sub)
}

fn fires_on(a: &ActivityLogAlert, target: &Target) -> bool {
    let field_is = |c: &crate::inventory::AlertCondition, f: &str, v: &str| {
        c.field.eq_ignore_ascii_case(f) && c.equals.eq_ignore_ascii_case(v)
    };
    match target {
        Target::Operation(op) => {
            a.conditions
                .iter()
                .any(|c| field_is(c, "operationName", op))
                && a.conditions
                    .iter()
                    .filter(|c| c.field.eq_ignore_ascii_case("category"))
                    .all(|c| c.equals.eq_ignore_ascii_case("Administrative"))
        }
        Target::Category(cat) => a.conditions.iter().any(|c| field_is(c, "category", cat)),
    }
}

/// The alert fires on `operation` for `scope`: enabled, scoped at or above the subscription,
/// condition names the operation, and any category condition is Administrative. (Action groups
/// and narrowing filters are judged by the rule.)
pub fn alert_matches(a: &ActivityLogAlert, operation: &str, subscription_scope: &str) -> bool {
    a.enabled && scoped(a, subscription_scope) && fires_on(a, &Target::Operation(operation))
}

/// Whether an alert's action groups reach anyone.
enum Reach {
    Someone,
    Nobody(String),
    Unknown(String),
}

fn reach(
    a: &ActivityLogAlert,
    groups: &HashMap<String, &ActionGroup>,
    readable: &HashSet<String>,
) -> Reach {
    if a.action_groups.is_empty() {
        return Reach::Nobody("it has no action group".into());
    }
    let mut why = Vec::new();
    let mut unknown = Vec::new();
    for g in &a.action_groups {
        let name = crate::inventory::last_segment(g);
        match groups.get(&id_key(g)) {
            Some(ag) if ag.enabled == Some(false) => {
                why.push(format!("action group {name} is disabled"))
            }
            Some(ag) if ag.receivers == 0 => {
                why.push(format!("action group {name} has no receiver"))
            }
            Some(_) => return Reach::Someone,
            None => {
                let sub = id_key(g)
                    .strip_prefix("/subscriptions/")
                    .and_then(|r| r.split('/').next())
                    .unwrap_or_default()
                    .to_string();
                if readable.contains(&sub) {
                    why.push(format!("action group {name} does not exist"));
                } else {
                    unknown.push(format!("action group {name} is outside the scanned subscriptions or could not be read"));
                }
            }
        }
    }
    if unknown.is_empty() {
        Reach::Nobody(why.join("; "))
    } else {
        Reach::Unknown(unknown.join("; "))
    }
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let target = p.target();
        let what = p.describe();
        // Action groups of every subscription in scope: an alert may notify another's.
        let mut groups: HashMap<String, &ActionGroup> = HashMap::new();
        let mut readable: HashSet<String> = HashSet::new();
        for sub in ctx.subscriptions() {
            for g in sub.action_groups.items() {
                groups.insert(id_key(&g.id), g);
            }
            if sub.action_groups.is_complete() {
                readable.insert(sub.subscription.id.to_ascii_lowercase());
            }
        }
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
            let mut jit_vms = None;
            if p.only_with == Some(OnlyWith::JitPolicies) {
                match crate::evaluate::index::jit_gate(check, sub) {
                    Ok(vms) => jit_vms = Some(vms),
                    Err(f) => {
                        out.push(*f);
                        continue;
                    }
                }
            }
            // Every alert on the target for this subscription, with why it does or does not count.
            let mut counted = None;
            let mut to_enable: Option<&crate::inventory::ActivityLogAlert> = None;
            let mut problems = Vec::new();
            let mut unknown = Vec::new();
            for a in sub
                .activity_log_alerts
                .items()
                .iter()
                .filter(|a| scoped(a, &scope) && fires_on(a, &target))
            {
                let narrowing = narrowing(a, &target);
                if !a.enabled {
                    problems.push(format!("{} is disabled", a.name));
                    // Enabling it would close the gap: the fix enables it, never adds a twin.
                    if narrowing.is_empty()
                        && matches!(reach(a, &groups, &readable), Reach::Someone)
                    {
                        to_enable.get_or_insert(a);
                    }
                } else if !narrowing.is_empty() {
                    problems.push(format!(
                        "{} only fires when {}",
                        a.name,
                        narrowing.join(" and ")
                    ));
                } else {
                    match reach(a, &groups, &readable) {
                        Reach::Someone => {
                            counted.get_or_insert(a);
                        }
                        Reach::Nobody(why) => {
                            problems.push(format!("{} alerts nobody: {why}", a.name))
                        }
                        Reach::Unknown(why) => unknown.push(format!("{}: {why}", a.name)),
                    }
                }
            }
            let evidence = json!({
                "operation": p.operation,
                "category": p.category,
                "counted_alert": counted.map(|a| json!({"name": a.name, "action_groups": a.action_groups})),
                "alerts_that_do_not_count": problems,
                "alerts_with_unknown_action_groups": unknown,
                "disabled_alert_id": to_enable.map(|a| a.id.clone()),
            });
            let mut evidence = evidence;
            if let Some(vms) = &jit_vms {
                evidence["vms_under_jit"] = json!(vms);
            }
            let f = if let Some(a) = counted {
                check.finding(
                    Status::Pass,
                    &scope,
                    sid,
                    format!(
                        "Alert {} fires on {what} and notifies an action group with receivers.",
                        a.name
                    ),
                    evidence,
                )
            } else if let (false, Some(e)) = (unknown.is_empty(), sub.action_groups.error.as_ref())
            {
                check.not_assessed(&scope, sid, "the action groups its alerts notify", e)
            } else if !unknown.is_empty() {
                let e = crate::inventory::ReadError {
                    scope: scope.clone(),
                    operation: "actionGroups.list".into(),
                    status: None,
                    code: Some("OutOfScope".into()),
                    message: unknown.join("; "),
                };
                check.not_assessed(
                    &scope,
                    sid,
                    &format!("the action group the alert on {what} notifies"),
                    &e,
                )
            } else if !problems.is_empty() {
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!("No alert on {what} counts: {}.", problems.join("; ")),
                    evidence,
                )
            } else {
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!("No activity-log alert fires on {what}."),
                    evidence,
                )
            };
            out.push(f);
        }
        out
    }
}
