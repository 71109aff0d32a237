//! `network_watcher_regions`: a Network Watcher exists in every region that holds a virtual
//! network (CIS: "regions in use"). Findings are about `/subscriptions/{id}/locations/{region}`.

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, EvalContext};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};

/// Why closing a Network Watcher gap costs nothing.
const NW_FREE: &str = "no cost: Network Watcher itself is free; the flow logs it makes possible are priced under LP-FLOW-001 and LP-FLOW-002";
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

pub const KIND: RuleKind = RuleKind {
    name: "network_watcher_regions",
    file: file!(),
    line: line!(),
    evidence: &["region", "virtual_networks", "watchers"],
    figures: &[],
    prepare: prepare::<Params>,
    describes: "a Network Watcher in every region that has a virtual network",
    cost_basis: None,
};

/// `East US` and `eastus` are the same region.
pub fn region_key(r: &str) -> String {
    r.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(check, sub, &sub.virtual_networks, "the virtual networks") {
                out.push(f);
                continue;
            }
            let sid = sub.subscription.id.as_str();
            let regions: BTreeSet<String> = sub
                .virtual_networks
                .items()
                .iter()
                .map(|v| region_key(&v.location))
                .filter(|r| !r.is_empty())
                .collect();
            for region in regions {
                let rid = format!("/subscriptions/{sid}/locations/{region}");
                if let Some(e) = &sub.network_watchers.error {
                    out.push(check.not_assessed(&rid, Some(sid), "the Network Watchers", e));
                    continue;
                }
                let watchers: Vec<&crate::inventory::NetworkWatcher> = sub
                    .network_watchers
                    .items()
                    .iter()
                    .filter(|w| region_key(&w.location) == region)
                    .collect();
                let vnets: Vec<String> = sub
                    .virtual_networks
                    .items()
                    .iter()
                    .filter(|v| region_key(&v.location) == region)
                    .map(|v| v.name.clone())
                    .collect();
                let evidence = json!({ "region": region, "virtual_networks": vnets, "watchers": watchers.iter().map(|w| json!({"name": w.name, "provisioning_state": w.provisioning_state})).collect::<Vec<_>>() });
                // A watcher that failed to provision (or is being deleted) watches nothing.
                let working = watchers.iter().find(|w| {
                    w.provisioning_state
                        .as_deref()
                        .is_none_or(|s| s.eq_ignore_ascii_case("Succeeded"))
                });
                let mut f = if let Some(w) = working {
                    check.finding(
                        Status::Pass,
                        &rid,
                        Some(sid),
                        format!("Region {region} has Network Watcher {}.", w.name),
                        evidence,
                    )
                } else if let Some(w) = watchers.first() {
                    check.finding(Status::Fail, &rid, Some(sid), format!("Region {region}'s Network Watcher {} is {}, not Succeeded: it cannot take flow logs.", w.name, w.provisioning_state.as_deref().unwrap_or("unknown")), evidence)
                        .gap_if_failed(|| Gap::NoNewCost { reason: NW_FREE })
                } else {
                    check.finding(Status::Fail, &rid, Some(sid), format!("Region {region} has {} virtual network(s) but no Network Watcher, so no flow logs can be taken there.", vnets.len()), evidence)
                        .gap_if_failed(|| Gap::NoNewCost { reason: NW_FREE })
                };
                f.location = Some(region.clone());
                out.push(f);
            }
        }
        out
    }
}
