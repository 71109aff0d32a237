//! `defender_security_contact`: Defender for Cloud e-mails someone about what it finds. One
//! requirement per check: the Owner role notified, an additional (security team) address,
//! alert notifications, attack-path notifications. An alert that reaches nobody is a lost log.

use super::{Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, subscription_scope, EvalContext};
use crate::inventory::SecurityContact;
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// What the contact must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// CIS 5.0 8.1.12: `notificationsByRole` On, with Owner among the roles.
    OwnerRole,
    /// CIS 5.0 8.1.13: at least one additional e-mail address.
    AdditionalEmail,
    /// CIS 5.0 8.1.14: alert notifications at some minimal severity.
    AlertNotifications,
    /// CIS 5.0 8.1.15: attack-path notifications at some minimal risk level.
    AttackPathNotifications,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub require: Requirement,
}

fn prepare(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    Ok(Arc::new(p))
}

pub const KIND: RuleKind = RuleKind {
    name: "defender_security_contact",
    file: file!(),
    line: line!(),
    evidence: &["contacts", "require"],
    figures: &[],
    prepare,
    describes: "Defender for Cloud security contacts: owner-role notification, an additional address, alert and attack-path notifications",
    cost_basis: Some("none: e-mail notifications cost nothing"),
};

/// Whether `c` meets `r`: Some(true/false), None when the value it rests on cannot be read.
fn meets(r: Requirement, c: &SecurityContact) -> Option<bool> {
    if c.enabled == Some(false) {
        return Some(false);
    }
    let met = match r {
        Requirement::OwnerRole => {
            c.roles_state.as_deref()?.eq_ignore_ascii_case("on")
                && c.roles.iter().any(|x| x.eq_ignore_ascii_case("owner"))
        }
        Requirement::AdditionalEmail => !c.emails.is_empty(),
        Requirement::AlertNotifications => c.alert_minimal_severity.is_some(),
        Requirement::AttackPathNotifications => c.attack_path_minimal_risk.is_some(),
    };
    // A contact whose state is unknown cannot be counted on.
    if met && c.enabled.is_none() {
        return None;
    }
    Some(met)
}

fn wanted(r: Requirement) -> &'static str {
    match r {
        Requirement::OwnerRole => "notifies the subscription's Owners",
        Requirement::AdditionalEmail => "names an additional (security team) e-mail address",
        Requirement::AlertNotifications => "e-mails about security alerts",
        Requirement::AttackPathNotifications => "e-mails about attack paths",
    }
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(
                check,
                sub,
                &sub.security_contacts,
                "the Defender for Cloud security contacts",
            ) {
                out.push(f);
                continue;
            }
            let scope = subscription_scope(sub);
            let sid = Some(sub.subscription.id.as_str());
            let contacts = sub.security_contacts.items();
            let evidence = json!({
                "require": format!("{:?}", self.require),
                "contacts": contacts.iter().map(|c| json!({
                    "name": c.name,
                    "enabled": c.enabled,
                    "emails": c.emails.len(),
                    "roles_state": c.roles_state,
                    "roles": c.roles,
                    "alert_minimal_severity": c.alert_minimal_severity,
                    "attack_path_minimal_risk": c.attack_path_minimal_risk,
                })).collect::<Vec<_>>(),
            });
            let verdicts: Vec<(&SecurityContact, Option<bool>)> = contacts
                .iter()
                .map(|c| (c, meets(self.require, c)))
                .collect();
            let what = wanted(self.require);
            let f = if let Some((c, _)) = verdicts.iter().find(|(_, v)| *v == Some(true)) {
                check.finding(
                    Status::Pass,
                    &scope,
                    sid,
                    format!("Security contact {} {what}.", c.name),
                    evidence,
                )
            } else if let Some((c, _)) = verdicts.iter().find(|(_, v)| v.is_none()) {
                check.finding(
                    Status::NotAssessed,
                    &scope,
                    sid,
                    format!("Not assessed: whether security contact {} {what} cannot be read.", c.name),
                    json!({ "contacts": evidence["contacts"], "error": { "code": "NotReported", "message": "a value of the security contact is missing" } }),
                )
            } else if contacts.is_empty() {
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!("No Defender for Cloud security contact is configured: none {what}."),
                    evidence,
                )
            } else {
                check.finding(
                    Status::Fail,
                    &scope,
                    sid,
                    format!("No Defender for Cloud security contact {what}."),
                    evidence,
                )
            };
            out.push(f);
        }
        out
    }
}
