//! Windows security events. `security_event_coverage`: every Windows VM sends security events at
//! least at `min_tier`, through an associated data collection rule whose Microsoft-SecurityEvent
//! xPath queries reach that event set, or (if allowed) a legacy workspace tier.
//! `security_event_legacy_tier`: a workspace's legacy `SecurityEventCollectionConfiguration` tier
//! is at least `min_tier` (Recommended = Common).
//!
//! xPath classification: `Security!*` (or any Security query without an EventID filter) is All;
//! otherwise the EventIDs named are compared with the Minimal and Common sets (parameters, from
//! Microsoft's "Windows security event sets" list).

use super::{Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{for_each_item, gate, EvalContext};
use crate::inventory::{id_key, LegacySecurityEvents};
use crate::model::gap::{Collects, Gap, Tier};
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub min_tier: String,
    pub accept_legacy_tier: bool,
    pub minimal_event_ids: Vec<u32>,
    pub common_event_ids: Vec<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_tier: "Common".into(),
            accept_legacy_tier: true,
            minimal_event_ids: vec![],
            common_event_ids: vec![],
        }
    }
}

/// The params with the minimum tier parsed once, at load.
fn parse(t: &toml::Table) -> Result<(Params, Tier), String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    let min = Tier::parse(&p.min_tier).ok_or_else(|| {
        format!(
            "params.min_tier must be Minimal, Common or All, not {:?}",
            p.min_tier
        )
    })?;
    Ok((p, min))
}

/// `security_event_coverage` with its validated params.
#[derive(Debug)]
pub struct VmCoverage {
    params: Params,
    min: Tier,
}

/// `security_event_legacy_tier` with its validated params (only the minimum tier matters).
#[derive(Debug)]
pub struct LegacyTier {
    min: Tier,
}

fn prepare_vm_coverage(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let (params, min) = parse(t)?;
    Ok(Arc::new(VmCoverage { params, min }))
}

fn prepare_legacy_tier(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let (_, min) = parse(t)?;
    Ok(Arc::new(LegacyTier { min }))
}

pub const VM_COVERAGE: RuleKind = RuleKind {
    name: "security_event_coverage",
    file: file!(),
    line: line!(),
    evidence: &["associated_rules", "dcr_tier", "event_ids_named", "legacy_workspace_tier", "minimum_tier", "os_type", "rules_outside_scope", "rules_with_security_events"],
    figures: &["security_events_minimal_gb_day", "security_events_common_gb_day", "security_events_all_gb_day", "defender_servers_p2_allowance_gb_day"],
    prepare: prepare_vm_coverage,
    describes: "Windows VMs: tier of security events sent by associated data collection rules (or legacy workspace tier)",    cost_basis: Some("difference between the target tier's and the current tier's GB/day per Windows server (calibrated by the back-test against measured SecurityEvent), at the destination workspace's per-GB rate; Defender for Servers P2 allowance noted"),
};

pub const LEGACY_TIER: RuleKind = RuleKind {
    name: "security_event_legacy_tier",
    file: file!(),
    line: line!(),
    evidence: &["minimum_tier", "tier"],
    figures: &["security_events_minimal_gb_day", "security_events_common_gb_day", "security_events_all_gb_day", "defender_servers_p2_allowance_gb_day"],
    prepare: prepare_legacy_tier,
    describes: "legacy SecurityEventCollectionConfiguration tier of workspaces that have one",    cost_basis: Some("difference between the target tier's and the current tier's GB/day per Windows server (calibrated by the back-test against measured SecurityEvent), at the destination workspace's per-GB rate; Defender for Servers P2 allowance noted"),
};

/// AppLocker's event IDs in the Minimal and Common sets: Microsoft's generated DCRs collect
/// them from the AppLocker channels (`Microsoft-Windows-AppLocker/EXE and DLL`, `.../MSI and
/// Script`), not from the Security channel.
const APPLOCKER_EVENT_IDS: std::ops::RangeInclusive<u32> = 8001..=8007;

/// Event IDs named in one xPath query, or None when it selects every Security event. Queries on
/// the AppLocker channels count towards the sets too; other channels count for nothing.
pub fn xpath_event_ids(query: &str) -> Option<BTreeSet<u32>> {
    let q = query.trim();
    let (channel, filter) = q.split_once('!').unwrap_or((q, "*"));
    let channel = channel.trim();
    let applocker = channel
        .to_ascii_lowercase()
        .starts_with("microsoft-windows-applocker/");
    if !channel.eq_ignore_ascii_case("Security") && !applocker {
        return Some(BTreeSet::new());
    }
    let lower = filter.to_ascii_lowercase();
    if !lower.contains("eventid") {
        if applocker {
            // Every AppLocker event of that channel: the AppLocker IDs, not every Security event.
            return Some(APPLOCKER_EVENT_IDS.collect());
        }
        return None; // `Security!*` or a filter on level/keywords only: every event id
    }
    // Scan bytes, not str slices: queries come from Azure and may hold any Unicode.
    let mut ids = BTreeSet::new();
    let bytes = lower.as_bytes();
    let needle = b"eventid";
    let mut i = 0;
    while i + needle.len() <= bytes.len() {
        if &bytes[i..i + needle.len()] != needle {
            i += 1;
            continue;
        }
        let mut j = i + needle.len();
        while j < bytes.len() && bytes[j] == b' ' {
            j += 1;
        }
        if j < bytes.len() && bytes[j] == b'=' {
            j += 1;
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            let mut n: u64 = 0;
            let mut digits = 0;
            while j < bytes.len() && bytes[j].is_ascii_digit() && digits < 10 {
                n = n * 10 + u64::from(bytes[j] - b'0');
                digits += 1;
                j += 1;
            }
            if digits > 0 && n <= u64::from(u32::MAX) {
                ids.insert(n as u32);
            }
        }
        i = j.max(i + 1);
    }
    Some(ids)
}

/// The tier a set of Security xPath queries reaches.
pub fn classify(queries: &[String], minimal: &[u32], common: &[u32]) -> (Tier, BTreeSet<u32>) {
    let mut ids = BTreeSet::new();
    for q in queries {
        match xpath_event_ids(q) {
            None => return (Tier::All, BTreeSet::new()),
            Some(s) => ids.extend(s),
        }
    }
    let has_all = |set: &[u32]| !set.is_empty() && set.iter().all(|i| ids.contains(i));
    let tier = if has_all(common) {
        Tier::Common
    } else if has_all(minimal) {
        Tier::Minimal
    } else if ids.is_empty() {
        Tier::None
    } else {
        Tier::Custom
    };
    (tier, ids)
}

impl Rule for VmCoverage {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = &self.params;
        let min = self.min;
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(check, sub, &sub.virtual_machines, "the virtual machines") {
                out.push(f);
                continue;
            }
            let sid = Some(sub.subscription.id.as_str());
            let legacy: Vec<(String, Tier)> = sub
                .workspaces
                .items()
                .iter()
                .filter_map(|w| {
                    w.security_event_tier
                        .complete()
                        .and_then(|t| t.tier.as_ref())
                        .map(|t| (w.name.clone(), Tier::from_legacy(t)))
                })
                .collect();
            for vm in sub
                .virtual_machines
                .items()
                .iter()
                .filter(|v| v.is_windows())
            {
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
                let mut queries = Vec::new();
                let mut rules = Vec::new();
                let mut unknown = Vec::new();
                let mut workspaces = Vec::new();
                for rid in assoc {
                    match ctx.dcr_by_id.get(&id_key(rid)) {
                        Some(d) => {
                            if !d.security_event_xpaths.is_empty() {
                                rules.push(d.name.clone());
                                workspaces.extend(d.workspace_destinations.iter().cloned());
                            }
                            queries.extend(d.security_event_xpaths.iter().cloned());
                        }
                        None => unknown.push(rid.clone()),
                    }
                }
                let (tier, ids) = classify(&queries, &p.minimal_event_ids, &p.common_event_ids);
                let best_legacy = legacy.iter().max_by_key(|(_, t)| *t).cloned();
                let evidence = json!({
                    "os_type": vm.os_type,
                    "associated_rules": assoc,
                    "rules_with_security_events": rules,
                    "dcr_tier": tier.name(),
                    "event_ids_named": ids.len(),
                    "rules_outside_scope": unknown,
                    "legacy_workspace_tier": best_legacy.as_ref().map(|(w, t)| format!("{w}: {}", t.name())),
                    "minimum_tier": min.name(),
                });
                let mut f = if tier >= min {
                    check.finding(
                        Status::Pass,
                        &vm.id,
                        sid,
                        format!(
                            "VM {} sends {} security events through {}.",
                            vm.name,
                            tier.name(),
                            rules.join(", ")
                        ),
                        evidence,
                    )
                } else if let Some((w, t)) =
                    best_legacy.filter(|(_, t)| p.accept_legacy_tier && *t >= min)
                {
                    check.finding(Status::Pass, &vm.id, sid, format!("VM {} has no data collection rule at {}, but workspace {w} collects {} security events from legacy agents (retired August 2024: move to a data collection rule).", vm.name, min.name(), t.name()), evidence)
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
                    check.finding(Status::Fail, &vm.id, sid, format!("Windows VM {} has no data collection rule: its security events (logons, privilege use, process creation) are not collected.", vm.name), evidence)
                } else {
                    check.finding(Status::Fail, &vm.id, sid, format!("Windows VM {} sends security events only at tier {}; the baseline wants {}.", vm.name, tier.name(), min.name()), evidence)
                };
                f.location = Some(vm.location.clone()).filter(|l| !l.is_empty());
                if tier > Tier::None && !workspaces.is_empty() {
                    f.collects = Some(Box::new(Collects::SecurityEvents { tier, workspaces }));
                }
                out.push(f.gap_if_failed(|| Gap::SecurityEvents {
                    current: tier,
                    target: min,
                }));
            }
        }
        out
    }
}

impl Rule for LegacyTier {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let min = self.min;
        for_each_item(
            check,
            ctx,
            |s| &s.workspaces,
            "the Log Analytics workspaces",
            |ws, sid, out| {
                let tier = match (&ws.security_event_tier.value, &ws.security_event_tier.error) {
                    (_, Some(e)) => {
                        out.push(check.not_assessed(
                            &ws.id,
                            sid,
                            "the workspace's security-event data source",
                            e,
                        ));
                        return;
                    }
                    (Some(LegacySecurityEvents { tier: Some(t) }), None) => t.clone(),
                    _ => return, // no legacy configuration: nothing to judge
                };
                let t = Tier::from_legacy(&tier);
                let evidence = json!({ "tier": tier, "minimum_tier": min.name() });
                let f = if t >= min {
                    check.finding(
                        Status::Pass,
                        &ws.id,
                        sid,
                        format!(
                            "Workspace {} collects {tier} security events from legacy agents.",
                            ws.name
                        ),
                        evidence,
                    )
                } else {
                    check.finding(Status::Fail, &ws.id, sid, format!("Workspace {} collects security events from legacy agents only at tier {tier}; the baseline wants {} (Recommended).", ws.name, min.name()), evidence)
                };
                out.push(f.gap_if_failed(|| Gap::SecurityEvents {
                    current: t,
                    target: min,
                }));
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpaths_are_classified_by_event_ids() {
        assert_eq!(xpath_event_ids("Security!*"), None);
        assert_eq!(xpath_event_ids("Security!*[System[(Level=1)]]"), None);
        let ids = xpath_event_ids("Security!*[System[(EventID=4624 or EventID = 4625)]]").unwrap();
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), vec![4624, 4625]);
        assert!(xpath_event_ids("System!*").unwrap().is_empty());
        let (t, _) = classify(&["Security!*[System[(EventID=1)]]".into()], &[1], &[1, 2]);
        assert_eq!(t, Tier::Minimal);
        let (t, _) = classify(
            &["Security!*[System[(EventID=1 or EventID=2)]]".into()],
            &[1],
            &[1, 2],
        );
        assert_eq!(t, Tier::Common);
        let (t, _) = classify(&["Security!*[System[(EventID=9)]]".into()], &[1], &[1, 2]);
        assert_eq!(t, Tier::Custom);
    }
}
