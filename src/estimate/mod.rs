//! Stage 4, estimate: what the estate ingests today (measured from each workspace's `Usage`
//! table) and what closing each logging gap would add per month, with the basis of every figure.
//!
//! Figures come from `checks/cost-model.toml` (each with a source), overridable with
//! `--pricing FILE`. Where the tenant already ingests a comparable data type, the estimate is
//! calibrated from that measurement and says so.

pub mod backtest;
pub mod model;
pub mod summary;

pub use summary::CostSummary;

use crate::inventory::{id_key, Snapshot, Workspace};
use crate::model::gap::Gap;
use crate::model::{CostEstimate, Finding, PlanOption, Status};
use crate::support::numbers::{round2, round3};
use backtest::{Backtest, Kind};
use model::CostModel;
use std::collections::BTreeMap;
use summary::{
    Commitment, EntraUserCount, GapTotals, MeasuredTotals, PlansNote, TierChoice, TypeVolume,
    WorkspaceCost,
};

/// Days per month used for monthly figures.
pub const DAYS_PER_MONTH: f64 = 30.0;

/// How many Entra users the sign-in estimates scale by, and where that number came from.
#[derive(Debug, Clone, PartialEq)]
pub struct EntraUsers {
    pub count: f64,
    /// `flag` or `assumed`. Never inferred from measured SigninLogs: the back-test compares the
    /// model with that measurement, and calibration carries what the count gets wrong.
    pub source: &'static str,
}

impl EntraUsers {
    pub fn phrase(&self) -> String {
        match self.source {
            "flag" => format!("{} users (--entra-users)", self.count),
            _ => format!(
                "{} users assumed (pass --entra-users for your count)",
                self.count
            ),
        }
    }
}

/// Measured billable GB/day, summed over every measured workspace.
#[derive(Debug, Default)]
pub struct Measured {
    pub by_workspace: Vec<WorkspaceCost>,
    pub gb_day: f64,
    pub usd_month: f64,
    pub not_measured: usize,
}

/// Whether a workspace is onboarded to Microsoft Sentinel, and the sentence that says so.
fn sentinel_of(ws: &Workspace, m: &CostModel) -> (bool, Option<String>) {
    match ws.sentinel_enabled {
        Some(true) if m.sentinel_classic() => (true, Some(format!("workspace {} is onboarded to Microsoft Sentinel, priced at its classic tier: Sentinel's per-GB charge on top of Log Analytics", ws.name))),
        Some(true) => (true, Some(format!("workspace {} is onboarded to Microsoft Sentinel, priced at Sentinel's simplified per-GB price that covers Log Analytics too (which tier a workspace has is not readable: a classic-tier workspace pays Log Analytics plus Sentinel's charge, sentinel_classic_tier = 1 in --pricing)", ws.name))),
        Some(false) => (false, None),
        None => (false, Some(format!("whether workspace {} is onboarded to Microsoft Sentinel is unknown: priced without Sentinel's charge, which would add to it", ws.name))),
    }
}

pub fn measure(snapshot: &Snapshot, m: &CostModel) -> Measured {
    let mut out = Measured::default();
    for sub in &snapshot.inventory.subscriptions {
        for ws in sub.workspaces.items() {
            let sentinel = ws.sentinel_enabled == Some(true);
            match (&ws.usage.value, &ws.usage.error) {
                (Some(rows), None) => {
                    let mut gb_day = 0.0;
                    let mut types = Vec::new();
                    for r in rows {
                        let d = r.gb_30d / 30.0;
                        if m.is_free(&r.data_type) {
                            continue;
                        }
                        gb_day += d;
                        types.push(TypeVolume {
                            data_type: r.data_type.clone(),
                            gb_per_day: round3(d),
                        });
                    }
                    let usd = gb_day * m.ingestion_price(sentinel) * DAYS_PER_MONTH;
                    out.gb_day += gb_day;
                    out.usd_month += usd;
                    out.by_workspace.push(WorkspaceCost {
                        id: ws.id.clone(),
                        name: ws.name.clone(),
                        status: "measured".into(),
                        gb_per_day: Some(round3(gb_day)),
                        usd_per_month: Some(round2(usd)),
                        by_type: Some(types),
                        error: None,
                        sentinel: ws.sentinel_enabled,
                    });
                }
                (_, err) => {
                    out.not_measured += 1;
                    out.by_workspace.push(WorkspaceCost {
                        id: ws.id.clone(),
                        name: ws.name.clone(),
                        status: "not_measured".into(),
                        error: Some(
                            err.as_ref()
                                .map(|e| e.summary())
                                .unwrap_or_else(|| "usage was not queried".into()),
                        ),
                        sentinel: ws.sentinel_enabled,
                        ..WorkspaceCost::default()
                    });
                }
            }
        }
    }
    out
}

/// Entra user count: the flag, else the model's assumption (the back-test then calibrates).
pub fn entra_users(flag: Option<u64>, m: &CostModel) -> EntraUsers {
    match flag {
        Some(n) => EntraUsers {
            count: n as f64,
            source: "flag",
        },
        None => EntraUsers {
            count: m.value("entra_default_users"),
            source: "assumed",
        },
    }
}

fn estimate(gb_day: f64, usd_month: f64, method: &str, basis: String) -> CostEstimate {
    CostEstimate {
        gb_per_day: round3(gb_day),
        usd_per_month: round2(usd_month),
        method: method.into(),
        basis,
        ..CostEstimate::default()
    }
}

/// Everything a gap's price depends on, computed once per scan: the lookups a finding needs
/// are indexed here, so pricing stays linear in the number of findings.
pub struct Context<'a> {
    pub users: &'a EntraUsers,
    pub backtest: &'a Backtest,
    pub m: &'a CostModel,
    /// Workspaces by id key.
    workspaces: BTreeMap<String, &'a Workspace>,
    /// Where a resource's diagnostic settings already send logs (first workspace).
    resource_workspace: BTreeMap<String, &'a Workspace>,
    /// Where a VM's data collection rules already send (first workspace).
    vm_workspace: BTreeMap<String, &'a Workspace>,
    /// The tenant's Entra settings' first workspace.
    entra_workspace: Option<&'a Workspace>,
    /// The largest measured workspace per subscription (lower-case id), and in the estate.
    largest_in_subscription: BTreeMap<String, &'a Workspace>,
    largest: Option<&'a Workspace>,
    /// Subscriptions (lower-case ids) on Defender for Servers Plan 2, with its data allowance.
    servers_p2: std::collections::BTreeSet<String>,
    /// Virtual machines by id key (which findings' resources are VMs).
    vms: std::collections::BTreeSet<String>,
}

/// Where a gap's data would land in Log Analytics, and why that workspace.
struct Destination<'a> {
    workspace: Option<&'a Workspace>,
    why: &'static str,
}

impl<'a> Context<'a> {
    pub fn new(
        snapshot: &'a Snapshot,
        users: &'a EntraUsers,
        backtest: &'a Backtest,
        m: &'a CostModel,
    ) -> Self {
        let subs = &snapshot.inventory.subscriptions;
        let workspaces: BTreeMap<String, &Workspace> = subs
            .iter()
            .flat_map(|s| s.workspaces.items())
            .map(|w| (id_key(&w.id), w))
            .collect();
        fn first_known<'w, 's>(
            workspaces: &BTreeMap<String, &'w Workspace>,
            mut ids: impl Iterator<Item = &'s String>,
        ) -> Option<&'w Workspace> {
            ids.find_map(|w| workspaces.get(&id_key(w)).copied())
        }
        let mut resource_workspace = BTreeMap::new();
        for r in subs.iter().flat_map(|s| s.resource_diagnostics.iter()) {
            let ids = r
                .settings
                .items()
                .iter()
                .filter_map(|s| s.workspace_id.as_ref());
            if let Some(w) = first_known(&workspaces, ids) {
                resource_workspace
                    .entry(id_key(&r.resource_id))
                    .or_insert(w);
            }
        }
        // The rules in inventory order, so a VM with several rules lands where the first sends.
        let dcr_workspaces: BTreeMap<String, (usize, &Vec<String>)> = subs
            .iter()
            .flat_map(|s| s.data_collection_rules.items())
            .enumerate()
            .map(|(i, d)| (id_key(&d.id), (i, &d.workspace_destinations)))
            .collect();
        let mut vm_workspace = BTreeMap::new();
        for v in subs.iter().flat_map(|s| s.virtual_machines.items()) {
            let mut rules: Vec<(usize, &Vec<String>)> = v
                .dcr_associations
                .items()
                .iter()
                .filter_map(|r| dcr_workspaces.get(&id_key(r)).copied())
                .collect();
            rules.sort_by_key(|(i, _)| *i);
            if let Some(w) = first_known(&workspaces, rules.iter().flat_map(|(_, d)| d.iter())) {
                vm_workspace.entry(id_key(&v.id)).or_insert(w);
            }
        }
        let entra_workspace = first_known(
            &workspaces,
            snapshot
                .inventory
                .entra_diagnostic_settings
                .items()
                .iter()
                .filter_map(|s| s.workspace_id.as_ref()),
        );
        // Largest by measured volume; unmeasured workspaces are never picked.
        fn largest_of<'w>(ws: impl Iterator<Item = &'w Workspace>) -> Option<&'w Workspace> {
            ws.filter_map(|w| {
                w.usage
                    .complete()
                    .map(|u| (w, u.iter().map(|r| r.gb_30d).sum::<f64>()))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(w, _)| w)
        }
        let largest_in_subscription = subs
            .iter()
            .filter_map(|s| {
                largest_of(s.workspaces.items().iter())
                    .map(|w| (s.subscription.id.to_ascii_lowercase(), w))
            })
            .collect();
        let largest = largest_of(subs.iter().flat_map(|s| s.workspaces.items()));
        let servers_p2 = subs
            .iter()
            .filter(|s| {
                s.defender_plans.items().iter().any(|p| {
                    p.name.eq_ignore_ascii_case("VirtualMachines")
                        && p.pricing_tier.eq_ignore_ascii_case("Standard")
                        && p.sub_plan
                            .as_deref()
                            .is_some_and(|x| x.eq_ignore_ascii_case("P2"))
                })
            })
            .map(|s| s.subscription.id.to_ascii_lowercase())
            .collect();
        let vms = subs
            .iter()
            .flat_map(|s| s.virtual_machines.items())
            .map(|v| id_key(&v.id))
            .collect();
        Context {
            users,
            backtest,
            m,
            workspaces,
            resource_workspace,
            vm_workspace,
            entra_workspace,
            largest_in_subscription,
            largest,
            servers_p2,
            vms,
        }
    }

    fn workspace(&self, id: &str) -> Option<&'a Workspace> {
        self.workspaces.get(&id_key(id)).copied()
    }

    /// The workspace a finding's new data would go to: where the resource (or tenant) already
    /// sends logs, else the largest measured workspace near it.
    fn destination(&self, f: &Finding, gap: &Gap) -> Destination<'a> {
        // A gap of a workspace (its legacy security-event tier, say) lands in that workspace.
        if let Some(w) = self.workspace(&f.resource_id) {
            return Destination {
                workspace: Some(w),
                why: "the workspace itself",
            };
        }
        let existing = match gap {
            Gap::EntraCategories { .. } => self.entra_workspace,
            Gap::ResourceLogs { .. } => self
                .resource_workspace
                .get(&id_key(&f.resource_id))
                .copied(),
            Gap::SecurityEvents { .. } => self.vm_workspace.get(&id_key(&f.resource_id)).copied(),
            _ => None,
        };
        match existing {
            Some(w) => Destination {
                workspace: Some(w),
                why: "where its logs already go",
            },
            None => Destination {
                workspace: f
                    .subscription_id
                    .as_deref()
                    .and_then(|s| self.largest_in_subscription.get(&s.to_ascii_lowercase()))
                    .copied()
                    .or(self.largest),
                why: "assumed: the largest measured workspace nearest to it",
            },
        }
    }
}

/// A modelled volume, calibrated when the back-test found the model off for its kind.
fn calibrated(ctx: &Context, kind: Kind, gb: f64, basis: String) -> (f64, &'static str, String) {
    match ctx.backtest.factor(kind) {
        Some((f, why)) => (gb * f, "calibrated", format!("{basis} {why}")),
        None => (gb, "model", basis),
    }
}

/// Cost of closing one logging gap.
pub fn for_gap(f: &Finding, gap: &Gap, ctx: &Context) -> CostEstimate {
    let m = ctx.m;
    let ingest =
        |gb: f64, method: &str, basis: String, basic_gb: f64, basic_tables: Vec<String>| {
            let dest = ctx.destination(f, gap);
            let (sentinel, sentinel_note) = dest
                .workspace
                .map(|w| sentinel_of(w, m))
                .unwrap_or((false, None));
            let price = m.ingestion_price(sentinel);
            let usd = gb * price * DAYS_PER_MONTH;
            let where_ = match dest.workspace {
                Some(w) => format!("into workspace {} ({})", w.name, dest.why),
                None => "no workspace measured to land in".to_string(),
            };
            let mut basis = format!("{basis}; {where_} at {} per GB", m.money(price));
            if let Some(n) = sentinel_note {
                basis = format!("{basis} ({n})");
            }
            let mut c = estimate(gb, usd, method, format!("{basis}."));
            c.analytics_gb_per_day = round3(gb);
            c.workspace_id = dest.workspace.map(|w| w.id.clone());
            if basic_gb > 0.0 && !basic_tables.is_empty() {
                let basic_price = m.price("basic_gb");
                let rest = (gb - basic_gb).max(0.0);
                c.basic_plan = Some(PlanOption {
                    plan: "Basic".into(),
                    usd_per_month: round2((basic_gb * basic_price + rest * price) * DAYS_PER_MONTH),
                    tables: basic_tables,
                    gives_up: m.table_plans.basic_gives_up.clone(),
                    source: m.table_plans.cited(),
                });
            }
            c
        };
    match gap {
        Gap::EntraCategories { categories } => {
            let (mut gb, mut basic_gb, mut basic_tables) = (0.0, 0.0, Vec::new());
            let mut parts = Vec::new();
            let mut method = "model";
            for c in categories {
                let (g, meth, basis, table) = match backtest::entra_volume(c, ctx.users, m) {
                    Some(v) => {
                        let (g, meth, basis) = calibrated(ctx, v.kind, v.gb_per_day, v.basis);
                        (g, meth, basis, Some(v.table))
                    }
                    None => {
                        let g = m.entra_audit_gb_per_user_day() * ctx.users.count;
                        let (g, meth, basis) = calibrated(ctx, Kind::EntraPerUser, g, format!("no figure for {c}: the audit-log rate × {}", ctx.users.phrase()));
                        (g, meth, basis, backtest::entra_table(c))
                    }
                };
                if meth == "calibrated" {
                    method = "calibrated";
                }
                if let Some(t) = table.filter(|t| m.table_plans.basic_allowed(t)) {
                    basic_gb += g;
                    basic_tables.push(t.to_string());
                }
                gb += g;
                parts.push(format!("{c}: {g:.3} GB/day ({basis})"));
            }
            ingest(gb, method, parts.join("; "), basic_gb, basic_tables)
        }
        Gap::ActivityLog => estimate(0.0, 0.0, "model", "AzureActivity ingestion into Log Analytics is free; only storage-account archive or retention beyond the free days costs.".into()),
        Gap::ResourceLogs { resource_type, required, missing } => {
            let key = crate::inventory::type_key(resource_type);
            let (mb, src) = m.resource_log_mb_day(&key);
            let share = if *missing > 0 { (*missing as f64 / (*required).max(1) as f64).min(1.0) } else { 1.0 };
            let (gb, method, basis) = calibrated(ctx, Kind::ResourceLogs, mb / 1000.0 * share, format!("{mb} MB/day for {resource_type} ({src}) × {:.0}% of categories missing", share * 100.0));
            let tables = m.resource_tables(&key).to_vec();
            let all_basic = !tables.is_empty() && tables.iter().all(|t| m.table_plans.basic_allowed(t));
            if all_basic {
                ingest(gb, method, basis, gb, tables)
            } else {
                ingest(gb, method, basis, 0.0, Vec::new())
            }
        }
        Gap::FlowLogCoverage => {
            let per = m.value("flow_log_gb_per_target_day");
            let p = m.price("flow_log_collection_gb") + m.price("blob_cool_gb_month");
            estimate(per, per * DAYS_PER_MONTH * p, "model", format!("{per} GB/day of raw flow records per NSG or VNet (model default: raw volume is not in any workspace to measure); collection {} per GB plus cool storage {} per GB-month", m.money(m.price("flow_log_collection_gb")), m.money(m.price("blob_cool_gb_month"))))
        }
        Gap::DnsQueryLogs { vms } => {
            let (q, bytes) = (m.value("dns_queries_per_vm_day"), m.value("dns_query_record_bytes"));
            let gb = f64::from(*vms) * q * bytes / 1e9;
            let basis = format!("{vms} VM(s) with a NIC in the VNet × {q} queries/VM/day × {bytes} bytes per DNSQueryLogs record (model defaults, low confidence: no official rate; other resolvers in the VNet are not counted; the DNS security policy's own charge is not priced)");
            let tables = vec!["DNSQueryLogs".to_string()];
            if m.table_plans.basic_allowed("DNSQueryLogs") {
                ingest(gb, "model", basis, gb, tables)
            } else {
                ingest(gb, "model", basis, 0.0, Vec::new())
            }
        }
        Gap::FlowLogRetention { current_days, minimum_days } => {
            // Steady state: the blobs of (minimum - current) more days stay in the account.
            let gb_day = m.value("flow_log_gb_per_target_day");
            let extra_days = minimum_days.saturating_sub(*current_days);
            let stored_gb = gb_day * f64::from(extra_days);
            let p = m.price("blob_cool_gb_month");
            estimate(0.0, stored_gb * p, "model", format!("no new ingestion: the flow log already exists; keeping {minimum_days} instead of {current_days} days stores {extra_days} more days × {gb_day} GB/day (model default per flow log; the storage account's size is not read) = {stored_gb:.1} GB in cool blob storage at {} per GB-month.", m.money(p)))
        }
        Gap::NoNewCost { reason } => estimate(0.0, 0.0, "none", (*reason).to_string()),
        Gap::Unpriced { reason } => estimate(0.0, 0.0, "not_measured", (*reason).to_string()),
        Gap::TrafficAnalytics => {
            let raw = m.value("flow_log_gb_per_target_day");
            let ratio = m.value("traffic_analytics_output_ratio");
            let ta = m.price("traffic_analytics_60min_gb");
            let (out_gb, method, out_basis) = calibrated(ctx, Kind::TrafficAnalytics, raw * ratio, format!("output {raw} GB/day raw × {ratio}"));
            let mut c = ingest(out_gb, method, format!("processing {raw} GB/day of raw flow logs at {} per GB (60-minute interval); {out_basis} into NTANetAnalytics", m.money(ta)), 0.0, Vec::new());
            c.usd_per_month = round2(c.usd_per_month + raw * ta * DAYS_PER_MONTH);
            c
        }
        Gap::SecurityEvents { current, target } => {
            let (cur, tgt) = (backtest::security_event_gb_day(*current, m), backtest::security_event_gb_day(*target, m));
            let today = match current {
                crate::model::gap::Tier::None => "with none collected today".to_string(),
                // A custom query set is not sized: counted as nothing, so the estimate is high.
                crate::model::gap::Tier::Custom => "with today's custom event set counted as 0 GB/day (its size is not modelled)".to_string(),
                _ => format!("minus {} {cur} GB/day collected today", current.name()),
            };
            let (gb, method, basis) = calibrated(ctx, Kind::SecurityEvents, (tgt - cur).max(0.0), format!("{} {tgt} GB/day per Windows server {today}", target.name()));
            let allowance = m.value("defender_servers_p2_allowance_gb_day");
            let on_p2 = f.subscription_id.as_deref().is_some_and(|s| ctx.servers_p2.contains(&s.to_ascii_lowercase()));
            let is_vm = ctx.vms.contains(&id_key(&f.resource_id));
            if on_p2 && is_vm {
                // The allowance covers a server's security data up to `allowance` a day: only
                // what the new tier adds above it is billed.
                let factor = if tgt > cur { gb / (tgt - cur) } else { 1.0 };
                let cur_c = cur * factor;
                let billable = ((cur_c + gb - allowance).max(0.0) - (cur_c - allowance).max(0.0)).max(0.0);
                let mut c = ingest(billable, method, format!("{basis}; Defender for Servers Plan 2 on the subscription includes {allowance} GB/day of security data per server free (a daily allowance pooled over the workspace's protected servers, applied per server here, where the workspace collects for Defender for Cloud), leaving {billable:.3} of {gb:.3} GB/day billable"), 0.0, Vec::new());
                c.gb_per_day = round3(gb);
                c
            } else {
                let mut c = ingest(gb, method, basis, 0.0, Vec::new());
                if is_vm {
                    c.basis = format!("{} Defender for Servers Plan 2 (not on this subscription) would include {allowance} GB/day per server of security data.", c.basis);
                }
                c
            }
        }
        Gap::WorkspaceRetention { workspace_id, current_days, minimum_days } => {
            retention_cost(ctx, workspace_id, None, |free| {
                let extra = (f64::from(*minimum_days).max(free) - f64::from(*current_days).max(free)).max(0.0);
                (extra, 0.0)
            })
        }
        Gap::TableRetention { workspace_id, table, interactive_days, total_days, minimum_interactive_days, minimum_total_days } => {
            retention_cost(ctx, workspace_id, Some(table), |free| {
                let (cur_i, cur_t) = (f64::from(*interactive_days), f64::from(*total_days));
                let (min_i, min_t) = (f64::from(*minimum_interactive_days), f64::from(*minimum_total_days));
                let extra_interactive = (min_i.max(free) - cur_i.max(free)).max(0.0);
                let extra_long = (min_t - cur_t.max(cur_i.max(min_i))).max(0.0);
                (extra_interactive, extra_long)
            })
        }
    }
}

/// The volume a gap adds, as a key shared by every finding that asks for the same data: a
/// resource's logs (its all-categories and audit-categories checks), or the VNet whose flow log
/// also covers an NSG attached to its subnets. None: the gap's volume is its own.
fn volume_keys(f: &Finding, nsg_vnets: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    match f.gap.as_deref() {
        Some(Gap::ResourceLogs { .. }) => vec![format!("logs {}", id_key(&f.resource_id))],
        Some(Gap::FlowLogCoverage) => {
            let key = id_key(&f.resource_id);
            match nsg_vnets.get(&key) {
                Some(vnets) => vnets.iter().map(|v| format!("flow {v}")).collect(),
                None => vec![format!("flow {key}")],
            }
        }
        _ => Vec::new(),
    }
}

/// One volume, one price: where several failing findings ask for the same data, the largest
/// estimate is kept (a VNet's own flow log first) and the others are priced at zero with
/// `included_in` pointing at it, so the totals count it once.
fn price_each_volume_once(findings: &mut [Finding], snapshot: &Snapshot, m: &CostModel) {
    // NSG → the VNets whose subnets it protects.
    let mut nsg_vnets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for vnet in snapshot
        .inventory
        .subscriptions
        .iter()
        .flat_map(|s| s.virtual_networks.items())
    {
        for nsg in vnet
            .subnets
            .iter()
            .filter_map(|s| s.network_security_group_id.as_ref())
        {
            let list = nsg_vnets.entry(id_key(nsg)).or_default();
            let v = id_key(&vnet.id);
            if !list.contains(&v) {
                list.push(v);
            }
        }
    }
    // The priced finding of each key: a VNet's own (its key is its id) before an NSG's, then
    // the largest figure, then the first in baseline order.
    let mut owner: BTreeMap<String, usize> = BTreeMap::new();
    let priced = |f: &Finding| {
        f.cost
            .as_ref()
            .is_some_and(|c| c.method != "not_measured" && c.method != "none")
    };
    for (i, f) in findings.iter().enumerate() {
        if !matches!(f.status, Status::Fail | Status::Suppressed) || !priced(f) {
            continue;
        }
        for key in volume_keys(f, &nsg_vnets) {
            let own = |g: &Finding| key == format!("flow {}", id_key(&g.resource_id));
            let usd = |g: &Finding| g.cost.as_ref().map_or(0.0, |c| c.usd_per_month);
            owner
                .entry(key.clone())
                .and_modify(|j| {
                    let cur = &findings[*j];
                    let better = (own(f), usd(f)) > (own(cur), usd(cur));
                    if better {
                        *j = i;
                    }
                })
                .or_insert(i);
        }
    }
    let owners: BTreeMap<String, (usize, String)> = owner
        .into_iter()
        .map(|(k, i)| {
            let f = &findings[i];
            (k, (i, format!("{} on {}", f.check_id, f.resource_id)))
        })
        .collect();
    for (i, f) in findings.iter_mut().enumerate() {
        let keys = volume_keys(f, &nsg_vnets);
        // Included where any of its volumes is priced on another finding.
        let Some((_, at)) = keys
            .iter()
            .filter_map(|k| owners.get(k))
            .find(|(j, _)| *j != i)
        else {
            continue;
        };
        let at = at.clone();
        if !matches!(f.status, Status::Fail | Status::Suppressed) || !priced(f) {
            continue;
        }
        if let Some(c) = f.cost.as_mut() {
            c.basis = format!(
                "priced once, on {at}: the same data closes both (this finding alone would add {}/month, {:.3} GB/day).",
                m.money(c.usd_per_month),
                c.gb_per_day
            );
            c.usd_per_month = 0.0;
            c.gb_per_day = 0.0;
            c.analytics_gb_per_day = 0.0;
            c.basic_plan = None;
            c.method = "included".into();
            c.included_in = Some(at);
        }
    }
}

/// The first `flow_log_free_gb_month` of flow logs per subscription are free: what the enabled
/// flow logs do not already use comes off the new ones' collection cost, in finding order.
fn apply_flow_log_allowance(findings: &mut [Finding], snapshot: &Snapshot, m: &CostModel) {
    let free = m.value("flow_log_free_gb_month");
    let per = m.value("flow_log_gb_per_target_day") * DAYS_PER_MONTH;
    let price = m.price("flow_log_collection_gb");
    // Per subscription: enabled flow logs, the GB/month they use, and the allowance left.
    let mut left: BTreeMap<String, (usize, f64, f64)> = snapshot
        .inventory
        .subscriptions
        .iter()
        .map(|sub| {
            let enabled = sub.flow_logs.items().iter().filter(|f| f.enabled).count();
            let used = enabled as f64 * per;
            (
                sub.subscription.id.to_ascii_lowercase(),
                (enabled, used, (free - used).max(0.0)),
            )
        })
        .collect();
    for f in findings
        .iter_mut()
        .filter(|f| {
            f.status == Status::Fail && matches!(f.gap.as_deref(), Some(Gap::FlowLogCoverage))
        })
        // Priced once elsewhere: nothing of its own to take off.
        .filter(|f| f.cost.as_ref().is_some_and(|c| c.method != "included"))
    {
        let Some((enabled, used, left)) = f
            .subscription_id
            .as_deref()
            .and_then(|s| left.get_mut(&s.to_ascii_lowercase()))
        else {
            continue;
        };
        let Some(c) = f.cost.as_mut() else { continue };
        let covered = left.min(c.gb_per_day * DAYS_PER_MONTH);
        *left -= covered;
        c.usd_per_month = round2((c.usd_per_month - covered * price).max(0.0));
        c.basis = if covered > 0.0 {
            format!("{}; {covered:.1} GB/month of it within the subscription's free {free} GB/month (its {enabled} enabled flow log(s) use about {used:.1}).", c.basis)
        } else {
            format!("{}; the subscription's free {free} GB/month is already used (about {used:.1} GB/month by its enabled flow logs, or by the gaps above).", c.basis)
        };
    }
}

/// Raising retention: measured GB/day of the workspace (or one table) × the extra interactive
/// and long-term days `extra(free_days)` returns × their prices per GB-month.
fn retention_cost(
    ctx: &Context,
    workspace_id: &str,
    table: Option<&str>,
    extra: impl Fn(f64) -> (f64, f64),
) -> CostEstimate {
    let m = ctx.m;
    let Some(ws) = ctx.workspace(workspace_id) else {
        return estimate(0.0, 0.0, "not_measured", format!("workspace {workspace_id} is not in the snapshot, so the retention cost cannot be computed"));
    };
    let sentinel = ws.sentinel_enabled.unwrap_or(false);
    let free = if sentinel {
        m.value("free_retention_days_sentinel")
    } else {
        m.value("free_retention_days")
    };
    let Some(rows) = ws.usage.complete() else {
        return estimate(0.0, 0.0, "not_measured", format!("workspace {} volume is not measured ({}), so the retention cost cannot be computed", ws.name, ws.usage.error.as_ref().map(|e| e.summary()).unwrap_or_else(|| "usage not queried".into())));
    };
    // A table with its own retention is not changed by the workspace's (and is priced by its
    // own finding): the workspace figure leaves it out, so no volume is priced twice.
    let own_retention: Vec<&str> = ws
        .tables
        .items()
        .iter()
        .filter(|t| !t.retention_is_default || !t.total_retention_is_default)
        .map(|t| t.name.as_str())
        .collect();
    let gb: f64 = rows
        .iter()
        .filter(|r| {
            let counted = match table {
                Some(t) => r.data_type.eq_ignore_ascii_case(t),
                None => !own_retention
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&r.data_type)),
            };
            counted && !m.is_free(&r.data_type)
        })
        .map(|r| r.gb_30d / 30.0)
        .sum();
    let (extra_interactive, extra_long) = extra(free);
    let (pi, pl) = (
        m.price("interactive_retention_gb_month"),
        m.price("long_term_retention_gb_month"),
    );
    let usd = gb * (extra_interactive * pi + extra_long * pl);
    let basis = match table {
        None => format!("measured {:.3} GB/day × {extra_interactive} more days beyond the {free} free days × {} per GB-month", gb, m.money(pi)),
        Some(t) => format!("measured {:.3} GB/day in {t} × ({extra_interactive} more interactive days × {} + {extra_long} more long-term days × {}) per GB-month", gb, m.money(pi), m.money(pl)),
    };
    estimate(0.0, usd, "measured", basis)
}

/// Cheapest way to pay for `gb_day` of Analytics ingestion: pay-as-you-go or a commitment tier.
pub fn best_commitment(gb_day: f64, m: &CostModel) -> TierChoice {
    best_commitment_for(gb_day, m, false)
}

/// As [`best_commitment`], for a workspace onboarded to Sentinel when `sentinel`: its
/// simplified tiers (one daily price for Log Analytics and Sentinel), unless the model prices
/// Sentinel at the classic tier.
pub fn best_commitment_for(gb_day: f64, m: &CostModel, sentinel: bool) -> TierChoice {
    if sentinel && !m.sentinel_classic() && !m.sentinel_commitment_tiers.is_empty() {
        let tiers = m.sentinel_commitment_tiers.iter().map(|t| {
            let rate = t.usd_per_day * m.region_factor / t.gb_per_day;
            (t.gb_per_day, rate, "Sentinel commitment", &t.source)
        });
        return cheapest(gb_day, m.price("sentinel_simplified_gb"), tiers);
    }
    let price = m.price("analytics_gb");
    let tiers = m.commitment_tiers.iter().map(|t| {
        let rate = price * (1.0 - t.discount_percent / 100.0);
        (t.gb_per_day, rate, "commitment", &t.source)
    });
    cheapest(gb_day, price, tiers)
}

/// Pay-as-you-go at `payg_price`, or the cheapest tier (GB/day, effective rate per GB, name,
/// source): a tier is paid in full, volume above it at the tier's effective rate.
fn cheapest<'a>(
    gb_day: f64,
    payg_price: f64,
    tiers: impl Iterator<Item = (f64, f64, &'static str, &'a String)>,
) -> TierChoice {
    let payg = gb_day * payg_price * DAYS_PER_MONTH;
    let mut best = TierChoice {
        tier: "pay-as-you-go".into(),
        usd_per_month: round2(payg),
        saving_usd_per_month: 0.0,
        source: None,
    };
    let mut best_cost = payg;
    for (tier_gb, rate, name, source) in tiers {
        let cost = tier_gb.max(gb_day) * rate * DAYS_PER_MONTH;
        if cost < best_cost {
            best_cost = cost;
            best = TierChoice {
                tier: format!("{tier_gb} GB/day {name}"),
                usd_per_month: round2(cost),
                saving_usd_per_month: round2(payg - cost),
                source: Some(source.clone()),
            };
        }
    }
    best
}

/// Attach costs to failing logging findings (those whose rule reported a [`Gap`]) and build the
/// `cost` section of results.
pub fn apply(
    findings: &mut [Finding],
    snapshot: &Snapshot,
    m: &CostModel,
    entra_users_flag: Option<u64>,
) -> CostSummary {
    let measured = measure(snapshot, m);
    let users = entra_users(entra_users_flag, m);
    let backtest = backtest::run(snapshot, findings, &users, m);
    let ctx = Context::new(snapshot, &users, &backtest, m);
    for f in findings
        .iter_mut()
        .filter(|f| matches!(f.status, Status::Fail | Status::Suppressed))
    {
        let cost = f.gap.as_ref().map(|gap| for_gap(f, gap, &ctx));
        if cost.is_some() {
            f.cost = cost.map(Box::new);
        }
    }
    price_each_volume_once(findings, snapshot, m);
    apply_flow_log_allowance(findings, snapshot, m);
    let gaps = GapTotals::of(findings);
    let measured_totals = MeasuredTotals {
        gb_per_day: round3(measured.gb_day),
        usd_per_month: round2(measured.usd_month),
        workspaces_measured: measured.by_workspace.len() - measured.not_measured,
        workspaces_not_measured: measured.not_measured,
        workspaces: measured.by_workspace,
    };
    CostSummary {
        currency: m.currency.clone(),
        region_factor: m.region_factor,
        priced_region: m.priced_region.clone(),
        model_date: m.model_date.clone(),
        price_source: m.price_source.clone(),
        entra_users: EntraUserCount {
            count: users.count,
            source: users.source.into(),
        },
        commitment: Commitment {
            current: best_commitment(measured.gb_day, m),
            with_gaps_closed: best_commitment(measured.gb_day + gaps.analytics_gb_per_day, m),
            note: summary::COMMITMENT_NOTE.into(),
        },
        measured: measured_totals,
        gaps,
        waterfall: Vec::new(),
        backtest,
        workspace_tiers: Vec::new(),
        plans: PlansNote::of(m),
    }
    .with_workspace_tiers(findings, m)
    .with_waterfall()
}
