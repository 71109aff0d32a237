//! Flow-log rule kinds.
//!
//! Coverage: an NSG is covered by its own enabled flow log, or by an enabled flow log on a
//! subnet it protects, on a NIC it protects, or on the VNet holding any such subnet (NIC subnets
//! are found through the NIC list). A VNet is covered by a VNet-level flow log, or when every
//! subnet has its own. Retention: `retentionPolicy.enabled = false` or `days = 0` keep logs
//! indefinitely (pass); `0 < days < minimum` fails.

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, EvalContext};
use crate::inventory::flow_log_index::vnet_of_subnet;
use crate::inventory::{id_key, FlowLog, SubscriptionInventory};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoverageParams {
    /// `nsg` or `vnet`.
    pub target: String,
}

impl Default for CoverageParams {
    fn default() -> Self {
        Self {
            target: "nsg".into(),
        }
    }
}

fn validate_coverage(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: CoverageParams = crate::evaluate::baseline::parse_params(t)?;
    if p.target != "nsg" && p.target != "vnet" {
        return Err(format!(
            "params.target must be \"nsg\" or \"vnet\", not {:?}",
            p.target
        ));
    }
    Ok(Arc::new(p))
}

pub const COVERAGE: RuleKind = RuleKind {
    name: "flow_log_coverage",
    file: file!(),
    line: line!(),
    evidence: &["covered_by", "network_interfaces", "subnets", "subnets_without_own_flow_log", "vnet_flow_log"],
    figures: &["flow_log_gb_per_target_day", "flow_log_collection_gb", "blob_cool_gb_month", "flow_log_free_gb_month"],
    prepare: validate_coverage,
    describes: "every NSG (or VNet) is covered by an enabled flow log; VNet and subnet flow logs cover the NSGs of their subnets",    cost_basis: Some("raw GB/day per NSG or VNet (model) × flow-log collection and cool storage prices, after the subscription's free 5 GB/month"),
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionParams {
    pub min_days: u32,
}

impl Default for RetentionParams {
    fn default() -> Self {
        Self { min_days: 90 }
    }
}

pub const RETENTION: RuleKind = RuleKind {
    name: "flow_log_retention",
    file: file!(),
    line: line!(),
    evidence: &["minimum_days", "retention_days", "retention_policy_enabled", "storage_id"],
    figures: &["flow_log_gb_per_target_day", "blob_cool_gb_month"],
    prepare: prepare::<RetentionParams>,
    describes: "enabled flow logs keep data at least min_days (0 days or a disabled policy means indefinitely)",    cost_basis: Some("no new ingestion: the flow log's GB/day × the extra days kept, in cool blob storage per GB-month"),
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficParams {
    /// Longest accepted processing interval in minutes (10 or 60); 0 accepts any.
    pub max_interval_minutes: u32,
}

pub const TRAFFIC_ANALYTICS: RuleKind = RuleKind {
    name: "flow_log_traffic_analytics",
    file: file!(),
    line: line!(),
    evidence: &["interval_minutes", "traffic_analytics_enabled", "workspace"],
    figures: &["flow_log_gb_per_target_day", "traffic_analytics_output_ratio", "traffic_analytics_60min_gb"],
    prepare: prepare::<TrafficParams>,
    describes: "enabled flow logs feed traffic analytics",    cost_basis: Some("raw GB/day of flow logs × traffic analytics processing per GB, plus its aggregated output (calibrated from measured NTANetAnalytics) ingested at the workspace's per-GB rate"),
};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetirementParams {
    pub retirement_date: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VmCoverageParams {}

pub const VM_COVERAGE: RuleKind = RuleKind {
    name: "vm_flow_log_coverage",
    file: file!(),
    line: line!(),
    evidence: &["network_interfaces", "uncovered"],
    figures: &[],
    prepare: prepare::<VmCoverageParams>,
    describes: "every VM's network interfaces are covered by an enabled flow log (on the NIC, its NSG, its subnet, the subnet's NSG or the VNet), so a flow record's IP can be tied to the VM",
    cost_basis: Some("priced once per VNet on the VNet coverage check (LP-FLOW-002), not per VM"),
};

pub const NSG_RETIREMENT: RuleKind = RuleKind {
    name: "nsg_flow_log_retirement",
    file: file!(),
    line: line!(),
    evidence: &["retires", "target"],
    figures: &[],
    prepare: prepare::<RetirementParams>,
    describes: "NSG flow logs are retiring; VNet flow logs are the migration path",
    cost_basis: None,
};

impl Rule for CoverageParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let mut out = Vec::new();
        // Index every flow log read; a flow log lives in the watcher of its target's subscription,
        // so only that subscription's failed flow-log reads make an uncovered target unknown.
        let index = &ctx.flow_logs;
        let by_target = &index.by_target;
        for sub in ctx.subscriptions() {
            let logs_incomplete = sub.flow_logs.error.as_ref();
            if p.target == "nsg" {
                nsg_coverage(check, sub, by_target, logs_incomplete, &mut out);
            } else {
                vnet_coverage(check, sub, by_target, logs_incomplete, &mut out);
            }
        }
        out
    }
}

fn nsg_coverage(
    check: &CheckDef,
    sub: &SubscriptionInventory,
    by_target: &HashMap<String, &FlowLog>,
    logs_incomplete: Option<&crate::inventory::ReadError>,
    out: &mut Vec<Finding>,
) {
    if let Some(f) = gate(
        check,
        sub,
        &sub.network_security_groups,
        "the network security groups",
    ) {
        out.push(f);
        return;
    }
    let sid = Some(sub.subscription.id.as_str());
    let nic_subnets: HashMap<String, Vec<String>> = sub
        .network_interfaces
        .items()
        .iter()
        .map(|n| (id_key(&n.id), n.subnet_ids.clone()))
        .collect();
    for nsg in sub.network_security_groups.items() {
        let mut subnets: Vec<String> = nsg.subnet_ids.clone();
        let mut nic_subnet_unknown = false;
        for nic in &nsg.network_interface_ids {
            match nic_subnets.get(&id_key(nic)) {
                Some(s) => subnets.extend(s.iter().cloned()),
                None => nic_subnet_unknown = true,
            }
        }
        let mut covered_by: Vec<String> = Vec::new();
        if let Some(f) = by_target.get(&id_key(&nsg.id)) {
            covered_by.push(format!("NSG flow log {}", f.name));
        }
        for s in &subnets {
            if let Some(f) = by_target.get(&id_key(s)) {
                covered_by.push(format!("subnet flow log {}", f.name));
            }
            if let Some(f) = by_target.get(&vnet_of_subnet(s)) {
                covered_by.push(format!(
                    "VNet flow log {} on {}",
                    f.name,
                    crate::inventory::last_segment(&vnet_of_subnet(s))
                ));
            }
        }
        for nic in &nsg.network_interface_ids {
            if let Some(f) = by_target.get(&id_key(nic)) {
                covered_by.push(format!("NIC flow log {}", f.name));
            }
        }
        covered_by.sort();
        covered_by.dedup();
        let evidence = json!({
            "subnets": nsg.subnet_ids,
            "network_interfaces": nsg.network_interface_ids,
            "covered_by": covered_by,
        });
        let mut f = if nsg.subnet_ids.is_empty() && nsg.network_interface_ids.is_empty() {
            check.finding(Status::NotApplicable, &nsg.id, sid, format!("NSG {} is not attached to any subnet or network interface, so it sees no traffic.", nsg.name), evidence)
        } else if !covered_by.is_empty() {
            check.finding(
                Status::Pass,
                &nsg.id,
                sid,
                format!("NSG {} is covered by {}.", nsg.name, covered_by.join(", ")),
                evidence,
            )
        } else if let Some(err) = logs_incomplete {
            check.not_assessed(
                &nsg.id,
                sid,
                "the flow logs of at least one Network Watcher",
                err,
            )
        } else if nic_subnet_unknown && sub.network_interfaces.error.is_some() {
            let err = sub
                .network_interfaces
                .error
                .clone()
                .unwrap_or_else(unreachable_error);
            check.not_assessed(
                &nsg.id,
                sid,
                "the network interfaces this NSG protects",
                &err,
            )
        } else {
            check.finding(Status::Fail, &nsg.id, sid, format!("NSG {} has no enabled flow log, and no VNet or subnet flow log covers the traffic it filters.", nsg.name), evidence)
        };
        f.location = Some(nsg.location.clone()).filter(|l| !l.is_empty());
        out.push(f.gap_if_failed(|| Gap::FlowLogCoverage));
    }
}

fn unreachable_error() -> crate::inventory::ReadError {
    crate::inventory::ReadError {
        scope: String::new(),
        operation: "networkInterfaces.list".into(),
        status: None,
        code: None,
        message: "network interfaces were not read".into(),
    }
}

fn vnet_coverage(
    check: &CheckDef,
    sub: &SubscriptionInventory,
    by_target: &HashMap<String, &FlowLog>,
    logs_incomplete: Option<&crate::inventory::ReadError>,
    out: &mut Vec<Finding>,
) {
    if let Some(f) = gate(check, sub, &sub.virtual_networks, "the virtual networks") {
        out.push(f);
        return;
    }
    let sid = Some(sub.subscription.id.as_str());
    for vnet in sub.virtual_networks.items() {
        let own = by_target.get(&id_key(&vnet.id));
        let uncovered: Vec<String> = vnet
            .subnets
            .iter()
            .filter(|s| !by_target.contains_key(&id_key(&s.id)))
            .map(|s| s.name.clone())
            .collect();
        let evidence = json!({
            "vnet_flow_log": own.map(|f| f.name.clone()),
            "subnets": vnet.subnets.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
            "subnets_without_own_flow_log": uncovered,
        });
        let mut f = if let Some(fl) = own {
            check.finding(
                Status::Pass,
                &vnet.id,
                sid,
                format!(
                    "VNet {} has the enabled VNet flow log {}.",
                    vnet.name, fl.name
                ),
                evidence,
            )
        } else if !vnet.subnets.is_empty() && uncovered.is_empty() {
            check.finding(
                Status::Pass,
                &vnet.id,
                sid,
                format!(
                    "Every subnet of VNet {} has its own enabled flow log.",
                    vnet.name
                ),
                evidence,
            )
        } else if let Some(err) = logs_incomplete {
            check.not_assessed(
                &vnet.id,
                sid,
                "the flow logs of at least one Network Watcher",
                err,
            )
        } else {
            check.finding(Status::Fail, &vnet.id, sid, format!("VNet {} has no enabled VNet flow log; traffic without an NSG flow log is not recorded.", vnet.name), evidence)
        };
        f.location = Some(vnet.location.clone()).filter(|l| !l.is_empty());
        out.push(f.gap_if_failed(|| Gap::FlowLogCoverage));
    }
}

fn each_enabled_log(
    check: &CheckDef,
    ctx: &EvalContext,
    mut judge: impl FnMut(&FlowLog, Option<&str>) -> Finding,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for sub in ctx.subscriptions() {
        if let Some(f) = gate(check, sub, &sub.network_watchers, "the Network Watchers") {
            out.push(f);
            continue;
        }
        if let Some(e) = &sub.flow_logs.error {
            out.push(check.not_assessed(
                &crate::evaluate::subscription_scope(sub),
                Some(&sub.subscription.id),
                "the flow logs of at least one Network Watcher",
                e,
            ));
        }
        for fl in sub.flow_logs.items().iter().filter(|f| f.enabled) {
            let mut f = judge(fl, Some(sub.subscription.id.as_str()));
            f.location = Some(fl.location.clone()).filter(|l| !l.is_empty());
            out.push(f);
        }
    }
    out
}

impl Rule for RetentionParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        each_enabled_log(check, ctx, |fl, sid| {
            let evidence = json!({
                "retention_policy_enabled": fl.retention_enabled,
                "retention_days": fl.retention_days,
                "minimum_days": p.min_days,
                "storage_id": fl.storage_id,
            });
            let pass =
                |why: String| check.finding(Status::Pass, &fl.id, sid, why, evidence.clone());
            match (fl.retention_enabled, fl.retention_days) {
            (Some(false), _) => pass(format!(
                "Flow log {} has no retention policy: nothing is deleted.",
                fl.name
            )),
            // With days 0 or at least the minimum the answer is the same whether or not the
            // policy is on.
            (_, Some(0)) => pass(format!(
                "Flow log {} keeps data indefinitely (retention 0 days).",
                fl.name
            )),
            (_, Some(d)) if d >= p.min_days => {
                pass(format!("Flow log {} keeps data {d} days.", fl.name))
            }
            (Some(true), Some(d)) => check
                .finding(
                    Status::Fail,
                    &fl.id,
                    sid,
                    format!(
                        "Flow log {} deletes data after {d} days; the baseline wants at least {}.",
                        fl.name, p.min_days
                    ),
                    evidence,
                )
                .gap_if_failed(|| Gap::FlowLogRetention {
                    current_days: d,
                    minimum_days: p.min_days,
                }),
            _ => check.finding(
                Status::NotAssessed,
                &fl.id,
                sid,
                format!(
                    "Not assessed: flow log {} reports no readable retention policy (enabled and days); how long it keeps data is unknown.",
                    fl.name
                ),
                evidence,
            ),
        }
        })
    }
}

impl Rule for TrafficParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        each_enabled_log(check, ctx, |fl, sid| {
            let evidence = json!({
                "traffic_analytics_enabled": fl.traffic_analytics_enabled,
                "interval_minutes": fl.traffic_analytics_interval_minutes,
                "workspace": fl.traffic_analytics_workspace_id,
            });
            let interval_ok = p.max_interval_minutes == 0
                || fl
                    .traffic_analytics_interval_minutes
                    .is_none_or(|i| i <= p.max_interval_minutes);
            if fl.traffic_analytics_enabled && interval_ok {
                check.finding(
                    Status::Pass,
                    &fl.id,
                    sid,
                    format!("Flow log {} feeds traffic analytics.", fl.name),
                    evidence,
                )
            } else if fl.traffic_analytics_enabled {
                check.finding(Status::Fail, &fl.id, sid, format!("Flow log {} processes traffic analytics only every {} minutes; the baseline wants {} or less.", fl.name, fl.traffic_analytics_interval_minutes.unwrap_or(0), p.max_interval_minutes), evidence)
            } else {
                check.finding(Status::Fail, &fl.id, sid, format!("Flow log {} does not feed traffic analytics, so flows are not queryable in a workspace.", fl.name), evidence)
            }
            .gap_if_failed(|| Gap::TrafficAnalytics)
        })
    }
}

impl Rule for RetirementParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let date = if p.retirement_date.is_empty() {
            "30 September 2027".to_string()
        } else {
            p.retirement_date.clone()
        };
        each_enabled_log(check, ctx, |fl, sid| {
            let evidence = json!({ "target": fl.target_resource_id, "retires": date });
            // Without a readable target, whether it is an NSG flow log is unknown.
            if !crate::inventory::id_key(&fl.target_resource_id).contains("/providers/") {
                let e = crate::inventory::ReadError::unknown(
                    &fl.id,
                    "flowLogs.list",
                    "NotReported",
                    "the flow log's targetResourceId is missing or not a resource id",
                );
                return check.not_assessed(&fl.id, sid, "the flow log's target", &e);
            }
            if fl.targets_nsg() {
                check.finding(Status::Fail, &fl.id, sid, format!("Flow log {} is an NSG flow log; NSG flow logs retire on {date}: replace it with a VNet flow log.", fl.name), evidence)
                    .gap_if_failed(|| Gap::NoNewCost { reason: "no cost: a VNet flow log is collected and stored at the same prices as the NSG flow log it replaces (delete the NSG flow log once the VNet one records)" })
            } else {
                check.finding(
                    Status::Pass,
                    &fl.id,
                    sid,
                    format!("Flow log {} is not an NSG flow log.", fl.name),
                    evidence,
                )
            }
        })
    }
}

impl Rule for VmCoverageParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let index = &ctx.flow_logs;
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            if let Some(f) = gate(check, sub, &sub.virtual_machines, "the virtual machines") {
                out.push(f);
                continue;
            }
            let sid = Some(sub.subscription.id.as_str());
            let mut nics_of: HashMap<String, Vec<&crate::inventory::NetworkInterface>> =
                HashMap::new();
            for n in sub.network_interfaces.items() {
                if let Some(vm) = &n.virtual_machine_id {
                    nics_of.entry(id_key(vm)).or_default().push(n);
                }
            }
            for vm in sub.virtual_machines.items() {
                let nics = nics_of.get(&id_key(&vm.id)).cloned().unwrap_or_default();
                let per_nic: Vec<(String, Vec<String>)> = nics
                    .iter()
                    .map(|n| {
                        let covered = index
                            .covering(n)
                            .into_iter()
                            .map(|(f, scope, target)| {
                                format!(
                                    "{scope} flow log {} on {}",
                                    f.name,
                                    crate::inventory::last_segment(&target)
                                )
                            })
                            .collect::<Vec<_>>();
                        (n.name.clone(), covered)
                    })
                    .collect();
                let uncovered: Vec<String> = per_nic
                    .iter()
                    .filter(|(_, c)| c.is_empty())
                    .map(|(n, _)| n.clone())
                    .collect();
                let evidence = json!({
                    "network_interfaces": per_nic.iter().map(|(n, c)| json!({"name": n, "covered_by": c})).collect::<Vec<_>>(),
                    "uncovered": uncovered,
                });
                let mut f = if nics.is_empty() {
                    let e = sub.network_interfaces.error.clone().unwrap_or_else(|| {
                        crate::inventory::ReadError::unknown(
                            &vm.id,
                            "networkInterfaces.list",
                            "NotReported",
                            "no network interface names this VM",
                        )
                    });
                    check.not_assessed(&vm.id, sid, "the network interfaces of this VM", &e)
                } else if uncovered.is_empty() {
                    let all: Vec<String> = per_nic.iter().flat_map(|(_, c)| c.clone()).collect();
                    check.finding(Status::Pass, &vm.id, sid, format!("Every network interface of VM {} is covered by an enabled flow log ({}).", vm.name, crate::support::text::and_list(&all)), evidence)
                } else if let Some(err) = &sub.flow_logs.error {
                    check.not_assessed(
                        &vm.id,
                        sid,
                        "the flow logs of at least one Network Watcher",
                        err,
                    )
                } else {
                    check.finding(Status::Fail, &vm.id, sid, format!("VM {}: no enabled flow log covers its network interface{} {}, so its traffic cannot be tied to it after an incident.", vm.name, if uncovered.len() == 1 { "" } else { "s" }, crate::support::text::and_list(&uncovered)), evidence)
                };
                f.location = Some(vm.location.clone()).filter(|l| !l.is_empty());
                out.push(f.gap_if_failed(|| Gap::NoNewCost { reason: "no cost: the VNet flow log that covers this VM is priced once, on the VNet's LP-FLOW-002 finding" }));
            }
        }
        out
    }
}
