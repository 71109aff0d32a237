//! `syslog_coverage`: every Linux VM sends its authentication Syslog (the `auth` and
//! `authpriv` facilities, at `min_level` or more severe) to a workspace, through an associated
//! data collection rule. The Linux counterpart of the Windows security-event check: logons,
//! sudo and sshd record there.

use super::{Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, EvalContext};
use crate::inventory::{id_key, SyslogSource};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Syslog severities, most severe first (RFC 5424 order, as DCRs name them).
const LEVELS: [&str; 8] = [
    "Emergency",
    "Alert",
    "Critical",
    "Error",
    "Warning",
    "Notice",
    "Info",
    "Debug",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub facilities: Vec<String>,
    /// The least severe level that must be collected (`Info`: Info and everything above it).
    pub min_level: String,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            facilities: vec!["auth".into(), "authpriv".into()],
            min_level: "Info".into(),
        }
    }
}

fn prepare(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    if !LEVELS.iter().any(|l| l.eq_ignore_ascii_case(&p.min_level)) {
        return Err(format!(
            "params.min_level must be one of {}, not {:?}",
            LEVELS.join(", "),
            p.min_level
        ));
    }
    if p.facilities.is_empty() {
        return Err("params.facilities must name at least one facility".into());
    }
    Ok(Arc::new(p))
}

pub const KIND: RuleKind = RuleKind {
    name: "syslog_coverage",
    file: file!(),
    line: line!(),
    evidence: &["associated_rules", "cef_forwarder", "missing", "min_level", "os_type", "rules_outside_scope", "syslog_sources"],
    figures: &[],
    prepare,
    describes: "Linux VMs: associated data collection rules collect the auth and authpriv Syslog facilities at the minimum level into a workspace",
    cost_basis: Some("not estimated: no sourced default volume of authentication Syslog per Linux server; measure the Syslog table's Usage to price it"),
};

/// The levels a source must list to collect `min` and everything more severe.
fn needed_levels(min: &str) -> Vec<&'static str> {
    let at = LEVELS
        .iter()
        .position(|l| l.eq_ignore_ascii_case(min))
        .unwrap_or(LEVELS.len() - 1);
    LEVELS[..=at].to_vec()
}

/// Whether `src` collects `facility` at every needed level.
fn collects(src: &SyslogSource, facility: &str, levels: &[&str]) -> bool {
    let any = |list: &[String], want: &str| {
        list.iter()
            .any(|x| x == "*" || x.eq_ignore_ascii_case(want))
    };
    any(&src.facilities, facility) && levels.iter().all(|l| any(&src.levels, l))
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let levels = needed_levels(&self.min_level);
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(check, sub, &sub.virtual_machines, "the virtual machines") {
                out.push(f);
                continue;
            }
            let sid = Some(sub.subscription.id.as_str());
            let linux = sub.virtual_machines.items().iter().filter(|v| {
                v.os_type
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case("linux"))
            });
            for vm in linux {
                let assoc = match (&vm.dcr_associations.value, &vm.dcr_associations.error) {
                    (Some(a), None) => a,
                    (_, Some(e)) => {
                        out.push(check.not_assessed(
                            &vm.id,
                            sid,
                            "the VM's data collection rule associations",
                            e,
                        ));
                        continue;
                    }
                    _ => continue,
                };
                let mut sources = Vec::new();
                let mut unknown = Vec::new();
                for rid in assoc {
                    match ctx.dcr_by_id.get(&id_key(rid)) {
                        // Only what reaches a workspace counts.
                        Some(d) if !d.workspace_destinations.is_empty() => {
                            sources.extend(d.syslog.iter().cloned())
                        }
                        Some(_) => {}
                        None => unknown.push(rid.clone()),
                    }
                }
                // A CEF forwarder's CommonSecurityLog source keeps CEF messages only: the VM's
                // own logons are not among them.
                let cef_forwarder = sources.iter().any(SyslogSource::feeds_cef);
                let missing: Vec<String> = self
                    .facilities
                    .iter()
                    .filter(|f| {
                        !sources
                            .iter()
                            .any(|s| s.feeds_syslog() && collects(s, f, &levels))
                    })
                    .cloned()
                    .collect();
                let evidence = json!({
                    "os_type": vm.os_type,
                    "associated_rules": assoc,
                    "syslog_sources": sources.iter().map(|s| json!({ "facilities": s.facilities, "levels": s.levels, "streams": s.streams })).collect::<Vec<_>>(),
                    "cef_forwarder": cef_forwarder,
                    "missing": missing,
                    "min_level": self.min_level,
                    "rules_outside_scope": unknown,
                });
                let mut f = if missing.is_empty() {
                    check.finding(
                        Status::Pass,
                        &vm.id,
                        sid,
                        format!(
                            "Linux VM {} sends {} Syslog at {} or above to a workspace.",
                            vm.name,
                            and_list(&self.facilities),
                            self.min_level
                        ),
                        evidence,
                    )
                } else if !unknown.is_empty() {
                    let e =
                        ctx.dcr_list_incomplete
                            .clone()
                            .unwrap_or(crate::inventory::ReadError {
                                scope: unknown.join(", "),
                                operation: "dataCollectionRules.list".into(),
                                status: None,
                                code: Some("OutOfScope".into()),
                                message: "the associated rule is outside the scanned subscriptions"
                                    .into(),
                            });
                    check.not_assessed(&vm.id, sid, "an associated data collection rule", &e)
                } else if assoc.is_empty() {
                    check.finding(Status::Fail, &vm.id, sid, format!("Linux VM {} has no data collection rule: its logons, sudo and sshd messages (Syslog auth and authpriv) are not collected.", vm.name), evidence)
                } else {
                    let forwarder = if cef_forwarder {
                        " It forwards CEF to CommonSecurityLog, which keeps CEF messages only, not the forwarder's own logons."
                    } else {
                        ""
                    };
                    check.finding(Status::Fail, &vm.id, sid, format!("Linux VM {} does not send Syslog facilities {} at {} or above to a workspace: its logons and privilege use are not collected.{forwarder}", vm.name, and_list(&missing), self.min_level), evidence)
                };
                f.location = Some(vm.location.clone()).filter(|l| !l.is_empty());
                out.push(f.gap_if_failed(|| Gap::Unpriced {
                    reason: "not estimated: no sourced default volume of authentication Syslog per Linux server; measure the Syslog table's Usage to price it",
                }));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_or_above_needs_every_level_from_emergency_to_info() {
        assert_eq!(needed_levels("Info").len(), 7);
        let src = |f: &[&str], l: &[&str]| SyslogSource {
            facilities: f.iter().map(|s| s.to_string()).collect(),
            levels: l.iter().map(|s| s.to_string()).collect(),
            streams: vec!["Microsoft-Syslog".into()],
        };
        let levels = needed_levels("Info");
        assert!(collects(&src(&["*"], &["*"]), "auth", &levels));
        assert!(collects(&src(&["auth"], &LEVELS), "auth", &levels));
        // Notice and above only: Info messages (most sshd logons) are lost.
        assert!(!collects(&src(&["auth"], &LEVELS[..6]), "auth", &levels));
        assert!(!collects(&src(&["cron"], &["*"]), "auth", &levels));
    }
}
