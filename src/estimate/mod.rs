//! Stage 4, estimate: what the estate ingests today (measured from each workspace's `Usage`
//! table) and what closing each logging gap would add per month, with the basis of every figure.
//!
//! Figures come from `checks/cost-model.toml` (each with a source), overridable with
//! `--pricing FILE`. Where the tenant already ingests a comparable data type, the estimate is
//! calibrated from that measurement and says so.

pub mod model;

use crate::evaluate::baseline::Baseline;
use crate::inventory::{type_key, Snapshot};
use crate::results::{CostEstimate, Finding, Status};
use model::CostModel;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

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
    pub by_workspace: Vec<Value>,
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
                        types.push(json!({ "data_type": r.data_type, "gb_per_day": round3(d) }));
                    }
                    let usd = gb_day * price * DAYS_PER_MONTH;
                    out.gb_day += gb_day;
                    out.usd_month += usd;
                    out.by_workspace.push(json!({
                        "id": ws.id, "name": ws.name, "status": "measured",
                        "gb_per_day": round3(gb_day), "usd_per_month": round2(usd), "by_type": types,
                    }));
                }
                (_, err) => {
                    out.not_measured += 1;
                    out.by_workspace.push(json!({
                        "id": ws.id, "name": ws.name, "status": "not_measured",
                        "error": err.as_ref().map(|e| e.summary()).unwrap_or_else(|| "usage was not queried".into()),
                    }));
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
    }
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

/// Cost of a finding that is a logging gap; None for findings that are not.
/// Cost of closing the gap a finding of rule `kind` reports; None for kinds that are not
/// logging gaps (alerts, Defender plans, storage protection, custom property checks).
pub fn for_finding(
    f: &Finding,
    kind: &str,
    snapshot: &Snapshot,
    measured: &Measured,
    users: &EntraUsers,
    m: &CostModel,
) -> Option<CostEstimate> {
    let price = m.price("analytics_gb");
    let ev = &f.evidence;
    let strs = |key: &str| -> Vec<String> {
        ev.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    match kind {
        "entra_logs" => {
            let mut cats = strs("missing");
            cats.extend(strs("disabled"));
            if cats.is_empty() {
                cats = strs("required");
            }
            let mut gb = 0.0;
            let mut parts = Vec::new();
            let mut method = "model";
            for c in &cats {
                let (g, meth, basis) = entra_category(c, users, measured, m);
                if meth == "calibrated" {
                    method = "calibrated";
                }
                gb += g;
                parts.push(format!("{c}: {:.3} GB/day ({basis})", g));
            }
            Some(estimate(gb, gb * price * DAYS_PER_MONTH, method, format!("{}; at {} per GB (Analytics).", parts.join("; "), m.money(price))))
        }
        "activity_log_export" => Some(estimate(0.0, 0.0, "model", "AzureActivity ingestion into Log Analytics is free; only storage-account archive or retention beyond the free days costs.".into())),
        "resource_logs" => {
            let t = ev.get("resource_type").and_then(Value::as_str).map(type_key).unwrap_or_default();
            let (mb, src) = m.resource_log_mb_day(&t);
            let required = strs("required").len().max(1) as f64;
            let missing = strs("missing").len() as f64;
            let share = if missing > 0.0 { (missing / required).min(1.0) } else { 1.0 };
            let gb = mb / 1000.0 * share;
            Some(estimate(gb, gb * price * DAYS_PER_MONTH, "model", format!("{mb} MB/day for {t} ({src}) × {:.0}% of categories missing; at {} per GB.", share * 100.0, m.money(price))))
        }
        "flow_log_coverage" => {
            let per = m.value("flow_log_gb_per_target_day");
            let calibrated = measured.by_type_gb_day.get("NTANetAnalytics").or(measured.by_type_gb_day.get("AzureNetworkAnalytics_CL")).copied();
            // Measured traffic-analytics volume comes from the flow logs that feed it.
            let targets = measured.traffic_analytics_flow_logs.max(1);
            let (gb, method, basis) = match calibrated {
                Some(total) if total > 0.0 => (total / targets as f64, "calibrated", format!("measured traffic-analytics volume {:.3} GB/day over {targets} flow log(s) feeding it", total)),
                _ => (per, "model", format!("{per} GB/day per NSG or VNet (model default)")),
            };
            let usd = gb * DAYS_PER_MONTH * (m.price("flow_log_collection_gb") + m.price("blob_cool_gb_month"));
            Some(estimate(gb, usd, method, format!("{basis}; collection {} per GB plus cool storage {} per GB-month.", m.money(m.price("flow_log_collection_gb")), m.money(m.price("blob_cool_gb_month")))))
        }
        "flow_log_traffic_analytics" => {
            let gb = m.value("flow_log_gb_per_target_day");
            let p = m.price("traffic_analytics_60min_gb");
            Some(estimate(gb, gb * DAYS_PER_MONTH * (p + price), "model", format!("{gb} GB/day of flow logs × traffic analytics processing {} per GB (60-minute) plus ingestion into Analytics at {}.", m.money(p), m.money(price))))
        }
        "security_event_coverage" | "security_event_legacy_tier" => {
            let current = ev.get("dcr_tier").and_then(Value::as_str).or(ev.get("tier").and_then(Value::as_str)).unwrap_or("None");
            let target = ev.get("minimum_tier").and_then(Value::as_str).unwrap_or("Common");
            let vol = |t: &str| match t.to_ascii_lowercase().as_str() {
                "all" => m.value("security_events_all_gb_day"),
                "common" | "recommended" => m.value("security_events_common_gb_day"),
                "minimal" => m.value("security_events_minimal_gb_day"),
                _ => 0.0,
            };
            let gap = (vol(target) - vol(current)).max(0.0);
            let measured_se = measured.by_type_gb_day.get("SecurityEvent").copied().filter(|g| *g > 0.0);
            let (gb, method, basis) = match measured_se {
                Some(se) => {
                    let servers = measured.windows_vms.max(1);
                    let per = se / servers as f64;
                    let g = if vol(current) > 0.0 { (per * vol(target) / vol(current) - per).max(0.0) } else { per.max(gap) };
                    (g, "calibrated", format!("measured SecurityEvent {:.3} GB/day over {servers} Windows VMs, scaled from {current} to {target}", se))
                }
                None => (gap, "model", format!("{target} {} GB/day minus {current} {} GB/day per Windows server", vol(target), vol(current))),
            };
            Some(estimate(gb, gb * price * DAYS_PER_MONTH, method, format!("{basis}; at {} per GB. Defender for Servers Plan 2 includes {} GB/day per server of free security data.", m.money(price), m.value("defender_servers_p2_allowance_gb_day"))))
        }
        "workspace_retention" => retention_cost(f, snapshot, m, false),
        "table_retention" => retention_cost(f, snapshot, m, true),
        _ => None,
    }
}

/// Raising retention: extra GB kept × price per GB-month, from the workspace's measured volume
/// (the whole workspace, or one table when `table_level`).
fn retention_cost(
    f: &Finding,
    snapshot: &Snapshot,
    m: &CostModel,
    table_level: bool,
) -> Option<CostEstimate> {
    let ev = &f.evidence;
    let ws = snapshot
        .inventory
        .subscriptions
        .iter()
        .flat_map(|s| s.workspaces.items())
        .find(|w| {
            f.resource_id
                .to_ascii_lowercase()
                .starts_with(&w.id.to_ascii_lowercase())
        })?;
    let sentinel = ws.sentinel_enabled.unwrap_or(false);
    let free = if sentinel {
        m.value("free_retention_days_sentinel")
    } else {
        m.value("free_retention_days")
    };
    let Some(rows) = ws.usage.complete() else {
        return Some(estimate(0.0, 0.0, "not_measured", format!("workspace {} volume is not measured ({}), so the retention cost cannot be computed", ws.name, ws.usage.error.as_ref().map(|e| e.summary()).unwrap_or_else(|| "usage not queried".into()))));
    };
    let gb_day_of = |table: Option<&str>| -> f64 {
        rows.iter()
            .filter(|r| {
                table.is_none_or(|t| r.data_type.eq_ignore_ascii_case(t))
                    && !m.is_free(&r.data_type)
            })
            .map(|r| r.gb_30d / 30.0)
            .sum()
    };
    let num = |k: &str| ev.get(k).and_then(Value::as_f64);
    if !table_level {
        let min = num("minimum_days").unwrap_or(0.0);
        let cur = num("retention_in_days").unwrap_or(30.0);
        let gb = gb_day_of(None);
        let extra_days = (min.max(free) - cur.max(free)).max(0.0);
        let usd = gb * extra_days * m.price("interactive_retention_gb_month");
        return Some(estimate(0.0, usd, "measured", format!("measured {:.3} GB/day × {extra_days} more days beyond the {free} free days × {} per GB-month", gb, m.money(m.price("interactive_retention_gb_month")))));
    }
    let table = f.resource_id.rsplit('/').next();
    let gb = gb_day_of(table);
    let cur_i = num("effective_interactive_days").unwrap_or(0.0);
    let cur_t = num("effective_total_days").unwrap_or(cur_i);
    let min_i = num("minimum_interactive_days").unwrap_or(0.0);
    let min_t = num("minimum_total_days").unwrap_or(0.0);
    let extra_interactive = (min_i.max(free) - cur_i.max(free)).max(0.0);
    let new_i = cur_i.max(min_i);
    let extra_long = (min_t - cur_t.max(new_i)).max(0.0);
    let usd = gb
        * (extra_interactive * m.price("interactive_retention_gb_month")
            + extra_long * m.price("long_term_retention_gb_month"));
    Some(estimate(0.0, usd, "measured", format!("measured {:.3} GB/day in {} × ({extra_interactive} more interactive days × {} + {extra_long} more long-term days × {}) per GB-month", gb, table.unwrap_or("the table"), m.money(m.price("interactive_retention_gb_month")), m.money(m.price("long_term_retention_gb_month")))))
}

/// Cheapest way to pay for `gb_day` of Analytics ingestion: pay-as-you-go or a commitment tier.
pub fn best_commitment(gb_day: f64, m: &CostModel) -> Value {
    let price = m.price("analytics_gb");
    let payg = gb_day * price * DAYS_PER_MONTH;
    let mut best = json!({ "tier": "pay-as-you-go", "usd_per_month": round2(payg), "saving_usd_per_month": 0.0 });
    let mut best_cost = payg;
    for t in &m.commitment_tiers {
        let rate = price * (1.0 - t.discount_percent / 100.0);
        // The tier is paid in full; volume above it is billed at the tier's effective rate.
        let cost = (t.gb_per_day.max(gb_day)) * rate * DAYS_PER_MONTH;
        if cost < best_cost {
            best_cost = cost;
            best = json!({
                "tier": format!("{} GB/day commitment", t.gb_per_day),
                "usd_per_month": round2(cost),
                "saving_usd_per_month": round2(payg - cost),
                "source": t.source,
            });
        }
    }
    best
}

/// Attach costs to failing logging findings and build the `cost` section of results. The
/// baseline says which rule kind produced each finding, and so which cost model applies.
pub fn apply(
    findings: &mut [Finding],
    snapshot: &Snapshot,
    baseline: &Baseline,
    m: &CostModel,
    entra_users_flag: Option<u64>,
) -> Value {
    let kinds: HashMap<String, String> = baseline
        .checks
        .iter()
        .map(|c| (c.id.clone(), c.kind.clone()))
        .collect();
    let measured = measure(snapshot, m);
    let users = entra_users(entra_users_flag, &measured, m);
    let mut gap_gb = 0.0;
    let mut gap_usd = 0.0;
    let mut by_area: BTreeMap<String, f64> = BTreeMap::new();
    let mut costed = 0;
    for f in findings
        .iter_mut()
        .filter(|f| matches!(f.status, Status::Fail | Status::Suppressed))
    {
        let Some(kind) = kinds.get(&f.check_id) else {
            continue;
        };
        if let Some(c) = for_finding(f, kind, snapshot, &measured, &users, m) {
            if f.status == Status::Fail {
                gap_gb += c.gb_per_day;
                gap_usd += c.usd_per_month;
                *by_area.entry(f.area.clone()).or_default() += c.usd_per_month;
                costed += 1;
            }
            f.cost = Some(c);
        }
    }
    let factor = m.region_factor;
    json!({
        "currency": m.currency,
        "region_factor": factor,
        "priced_region": m.priced_region,
        "model_date": m.model_date,
        "entra_users": { "count": users.count, "source": users.source },
        "measured": {
            "gb_per_day": round3(measured.gb_day),
            "usd_per_month": round2(measured.usd_month),
            "workspaces_measured": measured.by_workspace.len() - measured.not_measured,
            "workspaces_not_measured": measured.not_measured,
            "workspaces": measured.by_workspace,
        },
        "gaps": {
            "gb_per_day": round3(gap_gb),
            "usd_per_month": round2(gap_usd),
            "findings_costed": costed,
            "by_area": by_area.into_iter().map(|(k, v)| (k, json!(round2(v)))).collect::<serde_json::Map<_, _>>(),
        },
        "commitment": {
            "current": best_commitment(measured.gb_day, m),
            "with_gaps_closed": best_commitment(measured.gb_day + gap_gb, m),
            "note": "Commitment tiers apply per workspace or dedicated cluster: this assumes the volume lands in one.",
        },
    })
}
