//! Stage 4, estimate: what the estate ingests today (measured from each workspace's `Usage`
//! table) and what closing each logging gap would add per month, with the basis of every figure.
//!
//! Figures come from `checks/cost-model.toml` (each with a source), overridable with
//! `--pricing FILE`. Where the tenant already ingests a comparable data type, the estimate is
//! calibrated from that measurement and says so.

pub mod model;
pub mod summary;

pub use summary::CostSummary;

use crate::evaluate::gap::Gap;
use crate::evaluate::rules::security_events::Tier;
use crate::inventory::{id_key, Snapshot};
use crate::results::{CostEstimate, Finding, Status};
use model::CostModel;
use std::collections::BTreeMap;
use summary::{
    Commitment, EntraUserCount, GapTotals, MeasuredTotals, TierChoice, TypeVolume, WorkspaceCost,
};

/// Days per month used for monthly figures.
pub const DAYS_PER_MONTH: f64 = 30.0;

/// How many Entra users the sign-in estimates scale by, and where that number came from.
#[derive(Debug, Clone, PartialEq)]
pub struct EntraUsers {
    pub count: f64,
    /// `flag`, `inferred` (from measured SigninLogs) or `assumed`.
    pub source: &'static str,
}

/// Measured billable GB/day by data type, summed over every measured workspace.
#[derive(Debug, Default)]
pub struct Measured {
    pub by_type_gb_day: BTreeMap<String, f64>,
    pub by_workspace: Vec<WorkspaceCost>,
    pub gb_day: f64,
    pub usd_month: f64,
    pub not_measured: usize,
    /// Enabled flow logs feeding traffic analytics (what measured NTA volume divides by).
    pub traffic_analytics_flow_logs: usize,
    /// Windows VMs in scope (what measured SecurityEvent volume divides by).
    pub windows_vms: usize,
}

pub fn measure(snapshot: &Snapshot, m: &CostModel) -> Measured {
    // Counted once here: estimating each finding must not rescan the estate.
    let subs = &snapshot.inventory.subscriptions;
    let mut out = Measured {
        traffic_analytics_flow_logs: subs
            .iter()
            .flat_map(|s| s.flow_logs.items())
            .filter(|f| f.enabled && f.traffic_analytics_enabled)
            .count(),
        windows_vms: subs
            .iter()
            .flat_map(|s| s.virtual_machines.items())
            .filter(|v| v.is_windows())
            .count(),
        ..Measured::default()
    };
    let price = m.price("analytics_gb");
    for sub in &snapshot.inventory.subscriptions {
        for ws in sub.workspaces.items() {
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
                        *out.by_type_gb_day.entry(r.data_type.clone()).or_default() += d;
                        types.push(TypeVolume {
                            data_type: r.data_type.clone(),
                            gb_per_day: round3(d),
                        });
                    }
                    let usd = gb_day * price * DAYS_PER_MONTH;
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
                        ..WorkspaceCost::default()
                    });
                }
            }
        }
    }
    out
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Entra user count: the flag wins, else inferred from measured interactive sign-ins, else the
/// model's assumption.
pub fn entra_users(flag: Option<u64>, measured: &Measured, m: &CostModel) -> EntraUsers {
    if let Some(n) = flag {
        return EntraUsers {
            count: n as f64,
            source: "flag",
        };
    }
    let per_user = m.value("entra_signin_gb_per_user_day");
    if let Some(gb) = measured
        .by_type_gb_day
        .get("SigninLogs")
        .filter(|g| **g > 0.0)
    {
        if per_user > 0.0 {
            return EntraUsers {
                count: (gb / per_user).round().max(1.0),
                source: "inferred",
            };
        }
    }
    EntraUsers {
        count: m.value("entra_default_users"),
        source: "assumed",
    }
}

fn estimate(gb_day: f64, usd_month: f64, method: &str, basis: String) -> CostEstimate {
    CostEstimate {
        gb_per_day: round3(gb_day),
        usd_per_month: round2(usd_month),
        method: method.into(),
        basis,
        analytics_gb_per_day: 0.0,
    }
}

/// The estimate's volume lands in Log Analytics (ingestion a commitment tier can price).
fn ingested(mut c: CostEstimate) -> CostEstimate {
    c.analytics_gb_per_day = c.gb_per_day;
    c
}

fn users_phrase(u: &EntraUsers) -> String {
    match u.source {
        "flag" => format!("{} users (--entra-users)", u.count),
        "inferred" => format!("{} users inferred from measured SigninLogs volume", u.count),
        _ => format!(
            "{} users assumed (pass --entra-users for your count)",
            u.count
        ),
    }
}

/// Volume of one Entra category per day: (gb_day, method, basis).
fn entra_category(
    cat: &str,
    users: &EntraUsers,
    measured: &Measured,
    m: &CostModel,
) -> (f64, &'static str, String) {
    let per = |name: &str| m.value(name) * users.count;
    let signin_measured = measured
        .by_type_gb_day
        .get("SigninLogs")
        .copied()
        .filter(|g| *g > 0.0);
    match cat.to_ascii_lowercase().as_str() {
        "signinlogs" => (per("entra_signin_gb_per_user_day"), "model", format!("{} GB/user/day × {}", m.value("entra_signin_gb_per_user_day"), users_phrase(users))),
        "auditlogs" => (per("entra_audit_gb_per_user_day"), "model", format!("{} GB/user/day × {}", m.value("entra_audit_gb_per_user_day"), users_phrase(users))),
        "noninteractiveusersigninlogs" => {
            let ratio = m.value("entra_noninteractive_ratio");
            match signin_measured {
                Some(gb) => (gb * ratio, "calibrated", format!("measured SigninLogs {:.3} GB/day × non-interactive ratio {ratio}", gb)),
                None => (per("entra_signin_gb_per_user_day") * ratio, "model", format!("interactive sign-ins {} GB/user/day × ratio {ratio} × {}", m.value("entra_signin_gb_per_user_day"), users_phrase(users))),
            }
        }
        "serviceprincipalsigninlogs" => (m.value("entra_service_principal_gb_day"), "model", "tenant default for service-principal sign-ins (scales with workloads: measure before relying on it)".into()),
        "managedidentitysigninlogs" => (m.value("entra_managed_identity_gb_day"), "model", "tenant default for managed-identity sign-ins (scales with workloads)".into()),
        "provisioninglogs" => (per("entra_provisioning_gb_per_user_day"), "model", format!("{} GB/user/day × {}", m.value("entra_provisioning_gb_per_user_day"), users_phrase(users))),
        "riskyusers" | "userriskevents" | "riskyserviceprincipals" | "serviceprincipalriskevents" => {
            (per("entra_risk_gb_per_user_day"), "model", format!("{} GB/user/day × {}", m.value("entra_risk_gb_per_user_day"), users_phrase(users)))
        }
        _ => (per("entra_audit_gb_per_user_day"), "model", format!("no figure for {cat}: audit-log rate used")),
    }
}

/// Cost of closing one logging gap.
pub fn for_gap(
    gap: &Gap,
    snapshot: &Snapshot,
    measured: &Measured,
    users: &EntraUsers,
    m: &CostModel,
) -> CostEstimate {
    let c = cost_of_gap(gap, snapshot, measured, users, m);
    match gap {
        Gap::EntraCategories { .. }
        | Gap::ResourceLogs { .. }
        | Gap::SecurityEvents { .. }
        | Gap::TrafficAnalytics => ingested(c),
        Gap::ActivityLog
        | Gap::FlowLogCoverage
        | Gap::FlowLogRetention { .. }
        | Gap::NoNewCost { .. }
        | Gap::WorkspaceRetention { .. }
        | Gap::TableRetention { .. } => c,
    }
}

fn cost_of_gap(
    gap: &Gap,
    snapshot: &Snapshot,
    measured: &Measured,
    users: &EntraUsers,
    m: &CostModel,
) -> CostEstimate {
    let price = m.price("analytics_gb");
    match gap {
        Gap::EntraCategories { categories } => {
            let mut gb = 0.0;
            let mut parts = Vec::new();
            let mut method = "model";
            for c in categories {
                let (g, meth, basis) = entra_category(c, users, measured, m);
                if meth == "calibrated" {
                    method = "calibrated";
                }
                gb += g;
                parts.push(format!("{c}: {:.3} GB/day ({basis})", g));
            }
            estimate(gb, gb * price * DAYS_PER_MONTH, method, format!("{}; at {} per GB (Analytics).", parts.join("; "), m.money(price)))
        }
        Gap::ActivityLog => estimate(0.0, 0.0, "model", "AzureActivity ingestion into Log Analytics is free; only storage-account archive or retention beyond the free days costs.".into()),
        Gap::ResourceLogs { resource_type, required, missing } => {
            let (mb, src) = m.resource_log_mb_day(resource_type);
            let share = if *missing > 0 { (*missing as f64 / (*required).max(1) as f64).min(1.0) } else { 1.0 };
            let gb = mb / 1000.0 * share;
            estimate(gb, gb * price * DAYS_PER_MONTH, "model", format!("{mb} MB/day for {resource_type} ({src}) × {:.0}% of categories missing; at {} per GB.", share * 100.0, m.money(price)))
        }
        Gap::FlowLogCoverage => {
            let per = m.value("flow_log_gb_per_target_day");
            let calibrated = measured.by_type_gb_day.get("NTANetAnalytics").or(measured.by_type_gb_day.get("AzureNetworkAnalytics_CL")).copied();
            // Measured traffic-analytics volume comes from the flow logs that feed it.
            let targets = measured.traffic_analytics_flow_logs.max(1);
            let (gb, method, basis) = match calibrated {
                Some(total) if total > 0.0 => (total / targets as f64, "calibrated", format!("measured traffic-analytics volume {:.3} GB/day over {targets} flow log(s) feeding it", total)),
                _ => (per, "model", format!("{per} GB/day per NSG or VNet (model default)")),
            };
            let usd = gb * DAYS_PER_MONTH * (m.price("flow_log_collection_gb") + m.price("blob_cool_gb_month"));
            estimate(gb, usd, method, format!("{basis}; collection {} per GB plus cool storage {} per GB-month.", m.money(m.price("flow_log_collection_gb")), m.money(m.price("blob_cool_gb_month"))))
        }
        Gap::FlowLogRetention { current_days, minimum_days } => {
            // Steady state: the blobs of (minimum - current) more days stay in the account.
            let gb_day = m.value("flow_log_gb_per_target_day");
            let extra_days = minimum_days.saturating_sub(*current_days);
            let stored_gb = gb_day * f64::from(extra_days);
            let p = m.price("blob_cool_gb_month");
            estimate(0.0, stored_gb * p, "model", format!("no new ingestion: the flow log already exists; keeping {minimum_days} instead of {current_days} days stores {extra_days} more days × {gb_day} GB/day (model default per flow log) = {stored_gb:.1} GB in cool blob storage at {} per GB-month.", m.money(p)))
        }
        Gap::NoNewCost { reason } => estimate(0.0, 0.0, "model", (*reason).to_string()),
        Gap::TrafficAnalytics => {
            let gb = m.value("flow_log_gb_per_target_day");
            let p = m.price("traffic_analytics_60min_gb");
            estimate(gb, gb * DAYS_PER_MONTH * (p + price), "model", format!("{gb} GB/day of flow logs × traffic analytics processing {} per GB (60-minute) plus ingestion into Analytics at {}.", m.money(p), m.money(price)))
        }
        Gap::SecurityEvents { current, target } => {
            let vol = |t: Tier| match t {
                Tier::All => m.value("security_events_all_gb_day"),
                Tier::Common => m.value("security_events_common_gb_day"),
                Tier::Minimal => m.value("security_events_minimal_gb_day"),
                Tier::None | Tier::Custom => 0.0,
            };
            let (current, target) = (*current, *target);
            let gap = (vol(target) - vol(current)).max(0.0);
            let measured_se = measured.by_type_gb_day.get("SecurityEvent").copied().filter(|g| *g > 0.0);
            let (gb, method, basis) = match measured_se {
                Some(se) => {
                    let servers = measured.windows_vms.max(1);
                    let per = se / servers as f64;
                    let g = if vol(current) > 0.0 { (per * vol(target) / vol(current) - per).max(0.0) } else { per.max(gap) };
                    (g, "calibrated", format!("measured SecurityEvent {:.3} GB/day over {servers} Windows VMs, scaled from {} to {}", se, current.name(), target.name()))
                }
                None => (gap, "model", format!("{} {} GB/day minus {} {} GB/day per Windows server", target.name(), vol(target), current.name(), vol(current))),
            };
            estimate(gb, gb * price * DAYS_PER_MONTH, method, format!("{basis}; at {} per GB. Defender for Servers Plan 2 includes {} GB/day per server of free security data.", m.money(price), m.value("defender_servers_p2_allowance_gb_day")))
        }
        Gap::WorkspaceRetention { workspace_id, current_days, minimum_days } => {
            retention_cost(snapshot, m, workspace_id, None, |free| {
                let extra = (f64::from(*minimum_days).max(free) - f64::from(*current_days).max(free)).max(0.0);
                (extra, 0.0)
            })
        }
        Gap::TableRetention { workspace_id, table, interactive_days, total_days, minimum_interactive_days, minimum_total_days } => {
            retention_cost(snapshot, m, workspace_id, Some(table), |free| {
                let (cur_i, cur_t) = (f64::from(*interactive_days), f64::from(*total_days));
                let (min_i, min_t) = (f64::from(*minimum_interactive_days), f64::from(*minimum_total_days));
                let extra_interactive = (min_i.max(free) - cur_i.max(free)).max(0.0);
                let extra_long = (min_t - cur_t.max(cur_i.max(min_i))).max(0.0);
                (extra_interactive, extra_long)
            })
        }
    }
}

/// Raising retention: measured GB/day of the workspace (or one table) × the extra interactive
/// and long-term days `extra(free_days)` returns × their prices per GB-month.
fn retention_cost(
    snapshot: &Snapshot,
    m: &CostModel,
    workspace_id: &str,
    table: Option<&str>,
    extra: impl Fn(f64) -> (f64, f64),
) -> CostEstimate {
    let key = id_key(workspace_id);
    let Some(ws) = snapshot
        .inventory
        .subscriptions
        .iter()
        .flat_map(|s| s.workspaces.items())
        .find(|w| id_key(&w.id) == key)
    else {
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
    let gb: f64 = rows
        .iter()
        .filter(|r| {
            table.is_none_or(|t| r.data_type.eq_ignore_ascii_case(t)) && !m.is_free(&r.data_type)
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
    let price = m.price("analytics_gb");
    let payg = gb_day * price * DAYS_PER_MONTH;
    let mut best = TierChoice {
        tier: "pay-as-you-go".into(),
        usd_per_month: round2(payg),
        saving_usd_per_month: 0.0,
        source: None,
    };
    let mut best_cost = payg;
    for t in &m.commitment_tiers {
        let rate = price * (1.0 - t.discount_percent / 100.0);
        // The tier is paid in full; volume above it is billed at the tier's effective rate.
        let cost = (t.gb_per_day.max(gb_day)) * rate * DAYS_PER_MONTH;
        if cost < best_cost {
            best_cost = cost;
            best = TierChoice {
                tier: format!("{} GB/day commitment", t.gb_per_day),
                usd_per_month: round2(cost),
                saving_usd_per_month: round2(payg - cost),
                source: Some(t.source.clone()),
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
    let users = entra_users(entra_users_flag, &measured, m);
    for f in findings
        .iter_mut()
        .filter(|f| matches!(f.status, Status::Fail | Status::Suppressed))
    {
        if let Some(gap) = &f.gap {
            f.cost = Some(for_gap(gap, snapshot, &measured, &users, m));
        }
    }
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
    }
    .with_waterfall()
}
