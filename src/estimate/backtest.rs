//! The back-test: how good is the volume model on this estate? For every data type the model
//! can predict from the inventory alone (what is configured to flow into a workspace whose
//! `Usage` was read), predict GB/day without looking at the measurement, then compare with what
//! the workspace measured. Where a kind of source is off by more than [`TOLERANCE`], gap
//! estimates of the same kind are calibrated by the estate's own ratio (`Backtest::factor`).

use super::model::CostModel;
use super::EntraUsers;
use crate::inventory::{id_key, type_key, Snapshot, UsageByType, Workspace};
use crate::model::gap::Collects;
use crate::model::gap::Tier;
use crate::model::Finding;
use crate::support::numbers::round3;
use std::collections::BTreeMap;

/// A model within this fraction of the measurement is left as it is.
pub const TOLERANCE: f64 = 0.10;

pub use crate::model::cost::{Backtest, BacktestRow, DataTypeLine, Kind, KindCalibration};

/// An Entra category's table and modelled volume.
pub struct EntraVolume {
    pub table: &'static str,
    pub kind: Kind,
    pub gb_per_day: f64,
    pub basis: String,
}

/// Entra diagnostic category → its Log Analytics table.
pub fn entra_table(category: &str) -> Option<&'static str> {
    Some(match category.to_ascii_lowercase().as_str() {
        "signinlogs" => "SigninLogs",
        "auditlogs" => "AuditLogs",
        "noninteractiveusersigninlogs" => "AADNonInteractiveUserSignInLogs",
        "serviceprincipalsigninlogs" => "AADServicePrincipalSignInLogs",
        "managedidentitysigninlogs" => "AADManagedIdentitySignInLogs",
        "provisioninglogs" => "AADProvisioningLogs",
        "riskyusers" => "AADRiskyUsers",
        "userriskevents" => "AADUserRiskEvents",
        "riskyserviceprincipals" => "AADRiskyServicePrincipals",
        "serviceprincipalriskevents" => "AADServicePrincipalRiskEvents",
        "microsoftgraphactivitylogs" => "MicrosoftGraphActivityLogs",
        "adfssigninlogs" => "ADFSSignInLogs",
        _ => return None,
    })
}

/// The model's volume for one Entra category, or None when the model has no figure for it.
pub fn entra_volume(category: &str, users: &EntraUsers, m: &CostModel) -> Option<EntraVolume> {
    let table = entra_table(category)?;
    let per_user = |gb: f64, what: &str| (gb * users.count, format!("{what} × {}", users.phrase()));
    let signin = m.entra_signin_gb_per_user_day();
    let signin_what = format!(
        "{} sign-ins/user/day × {} KB",
        m.value("entra_signin_events_per_user_day"),
        m.value("entra_signin_kb_per_event")
    );
    let (kind, (gb, basis)) = match table {
        "SigninLogs" => (Kind::EntraPerUser, per_user(signin, &signin_what)),
        "AuditLogs" => (
            Kind::EntraPerUser,
            per_user(
                m.entra_audit_gb_per_user_day(),
                &format!(
                    "{} audit events/user/day × {} KB",
                    m.value("entra_audit_events_per_user_day"),
                    m.value("entra_audit_kb_per_event")
                ),
            ),
        ),
        "AADNonInteractiveUserSignInLogs" => {
            let ratio = m.value("entra_noninteractive_ratio");
            (
                Kind::EntraPerUser,
                per_user(
                    signin * ratio,
                    &format!("{signin_what} × non-interactive ratio {ratio}"),
                ),
            )
        }
        "AADProvisioningLogs" => (
            Kind::EntraPerUser,
            per_user(
                m.value("entra_provisioning_gb_per_user_day"),
                &format!(
                    "{} GB/user/day",
                    m.value("entra_provisioning_gb_per_user_day")
                ),
            ),
        ),
        "AADRiskyUsers"
        | "AADUserRiskEvents"
        | "AADRiskyServicePrincipals"
        | "AADServicePrincipalRiskEvents" => (
            Kind::EntraPerUser,
            per_user(
                m.value("entra_risk_gb_per_user_day"),
                &format!("{} GB/user/day", m.value("entra_risk_gb_per_user_day")),
            ),
        ),
        "AADServicePrincipalSignInLogs" => (
            Kind::EntraWorkload,
            (
                m.value("entra_service_principal_gb_day"),
                "tenant default for service-principal sign-ins (scales with workloads)".into(),
            ),
        ),
        "AADManagedIdentitySignInLogs" => (
            Kind::EntraWorkload,
            (
                m.value("entra_managed_identity_gb_day"),
                "tenant default for managed-identity sign-ins (scales with workloads)".into(),
            ),
        ),
        _ => return None,
    };
    Some(EntraVolume {
        table,
        kind,
        gb_per_day: gb,
        basis,
    })
}

/// Security-event GB/day per Windows server at a tier (Custom and None: no figure).
pub fn security_event_gb_day(tier: Tier, m: &CostModel) -> f64 {
    match tier {
        Tier::All => m.value("security_events_all_gb_day"),
        Tier::Common => m.value("security_events_common_gb_day"),
        Tier::Minimal => m.value("security_events_minimal_gb_day"),
        Tier::None | Tier::Custom => 0.0,
    }
}

/// Tables traffic analytics writes (VNet-era and legacy).
pub const TRAFFIC_ANALYTICS_TABLES: &[&str] = &["NTANetAnalytics", "AzureNetworkAnalytics_CL"];

#[derive(Default)]
struct Prediction {
    kind: Option<Kind>,
    tables: Vec<String>,
    gb: f64,
    sources: BTreeMap<String, usize>,
    tenant_level: bool,
}

impl Prediction {
    fn add(&mut self, kind: Kind, tables: &[String], gb: f64, source: String) {
        self.kind = Some(kind);
        if self.tables.is_empty() {
            self.tables = tables.to_vec();
        }
        self.gb += gb;
        *self.sources.entry(source).or_default() += 1;
    }
}

/// Workspaces whose Usage was read completely, by id key.
fn measured_workspaces(snapshot: &Snapshot) -> BTreeMap<String, (&Workspace, &Vec<UsageByType>)> {
    snapshot
        .inventory
        .subscriptions
        .iter()
        .flat_map(|s| s.workspaces.items())
        .filter_map(|w| w.usage.complete().map(|u| (id_key(&w.id), (w, u))))
        .collect()
}

/// Run the back-test over the snapshot (and what the rules found flowing, for security events).
pub fn run(
    snapshot: &Snapshot,
    findings: &[Finding],
    users: &EntraUsers,
    m: &CostModel,
) -> Backtest {
    let measured = measured_workspaces(snapshot);
    let mut preds: BTreeMap<(String, String), Prediction> = BTreeMap::new();
    let mut not_compared = vec![
        "AzureActivity: ingestion is free, so the billable Usage query does not measure it"
            .to_string(),
    ];
    let mut add =
        |ws: &str, kind: Kind, tables: Vec<String>, gb: f64, source: String, tenant: bool| {
            let key = id_key(ws);
            if !measured.contains_key(&key) || gb <= 0.0 {
                return;
            }
            let p = preds.entry((key, tables.join(" + "))).or_default();
            p.add(kind, &tables, gb, source);
            p.tenant_level |= tenant;
        };

    // Entra: every category a tenant setting sends to a measured workspace.
    let offered = snapshot.inventory.entra_log_categories.items();
    for s in snapshot.inventory.entra_diagnostic_settings.items() {
        let Some(ws) = &s.workspace_id else { continue };
        let mut cats: Vec<String> = Vec::new();
        for l in s.logs.iter().filter(|l| l.enabled) {
            match (&l.category, &l.category_group) {
                (Some(c), _) => cats.push(c.clone()),
                (None, Some(_)) => cats.extend(offered.iter().cloned()),
                _ => {}
            }
        }
        cats.sort_by_key(|c| c.to_ascii_lowercase());
        cats.dedup_by_key(|c| c.to_ascii_lowercase());
        for c in cats {
            if let Some(v) = entra_volume(&c, users, m) {
                add(
                    ws,
                    v.kind,
                    vec![v.table.to_string()],
                    v.gb_per_day,
                    v.basis,
                    true,
                );
            }
        }
    }

    // Security events: Windows VMs whose data collection rules send them to a workspace.
    for f in findings {
        if let Some(Collects::SecurityEvents { tier, workspaces }) = f.collects.as_deref() {
            let gb = security_event_gb_day(*tier, m);
            for ws in workspaces {
                add(
                    ws,
                    Kind::SecurityEvents,
                    vec!["SecurityEvent".into()],
                    gb,
                    format!("Windows VM at {} ({gb} GB/day)", tier.name()),
                    false,
                );
            }
        }
    }

    let raw = m.value("flow_log_gb_per_target_day");
    let out_ratio = m.value("traffic_analytics_output_ratio");
    for sub in &snapshot.inventory.subscriptions {
        // Traffic analytics: aggregated output of each enabled flow log that feeds it.
        for fl in sub.flow_logs.items() {
            if let Some(ws) = fl.traffic_analytics_workspace() {
                add(
                    ws,
                    Kind::TrafficAnalytics,
                    TRAFFIC_ANALYTICS_TABLES
                        .iter()
                        .map(|t| t.to_string())
                        .collect(),
                    raw * out_ratio,
                    format!("flow log ({raw} GB/day raw × output ratio {out_ratio})"),
                    false,
                );
            }
        }
        // Resource logs: each resource's settings that send logs to a workspace.
        for rd in &sub.resource_diagnostics {
            let key = type_key(&rd.resource_type);
            let (mb, _) = m.resource_log_mb_day(&key);
            let share = enabled_share(snapshot, &key, rd.settings.items());
            for s in rd.settings.items().iter().filter(|s| s.sends_logs()) {
                let Some(ws) = &s.workspace_id else { continue };
                let tables: Vec<String> = if s.is_dedicated() {
                    let t = m.resource_tables(&key);
                    if t.is_empty() {
                        not_compared.push(format!(
                            "{}: sends resource-specific tables the model does not name",
                            rd.resource_type
                        ));
                        continue;
                    }
                    t.to_vec()
                } else {
                    vec!["AzureDiagnostics".into()]
                };
                add(
                    ws,
                    Kind::ResourceLogs,
                    tables,
                    mb / 1000.0 * share,
                    format!(
                        "{} ({mb} MB/day{})",
                        rd.resource_type,
                        if share < 1.0 {
                            format!(" × {:.0}% of categories", share * 100.0)
                        } else {
                            String::new()
                        }
                    ),
                    false,
                );
            }
        }
    }
    not_compared.sort();
    not_compared.dedup();

    let mut rows = Vec::new();
    for ((key, label), p) in preds {
        let Some((ws, usage)) = measured.get(&key) else {
            continue;
        };
        let Some(kind) = p.kind else { continue };
        let got: f64 = usage
            .iter()
            .filter(|u| {
                p.tables
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(&u.data_type))
            })
            .map(|u| u.gb_30d / 30.0)
            .sum();
        let basis = p
            .sources
            .iter()
            .map(|(s, n)| {
                if *n > 1 {
                    format!("{n} × {s}")
                } else {
                    s.clone()
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        rows.push(BacktestRow {
            data_type: label,
            kind: kind.name().into(),
            workspace_id: ws.id.clone(),
            workspace: ws.name.clone(),
            predicted_gb_per_day: round3(p.gb),
            measured_gb_per_day: round3(got),
            ratio: ratio(got, p.gb),
            basis,
            tenant_level: p.tenant_level,
        });
    }
    Backtest::from_rows(rows, not_compared)
}

/// Share of a type's offered log categories the settings enable (a category group counts as
/// all of them; unknown offer counts as all).
fn enabled_share(
    snapshot: &Snapshot,
    type_key: &str,
    settings: &[crate::inventory::DiagnosticSetting],
) -> f64 {
    let logs = settings
        .iter()
        .flat_map(|s| s.logs.iter())
        .filter(|l| l.enabled);
    let mut named = std::collections::BTreeSet::new();
    for l in logs {
        match &l.category {
            Some(c) => {
                named.insert(c.to_ascii_lowercase());
            }
            None => return 1.0,
        }
    }
    let offered = snapshot
        .inventory
        .diagnostic_categories
        .get(type_key)
        .and_then(|r| r.complete())
        .map(|t| t.log_categories.len())
        .unwrap_or(0);
    if offered == 0 {
        1.0
    } else {
        (named.len() as f64 / offered as f64).min(1.0)
    }
}

fn ratio(measured: f64, predicted: f64) -> Option<f64> {
    (predicted > 0.0).then(|| (measured / predicted * 100.0).round() / 100.0)
}

impl Backtest {
    /// Aggregates, calibration and median error from per-workspace rows (also used by `merge`).
    pub fn from_rows(rows: Vec<BacktestRow>, not_compared: Vec<String>) -> Self {
        let mut bt = Backtest {
            rows,
            not_compared,
            tolerance_percent: TOLERANCE * 100.0,
            ..Backtest::default()
        };
        let lines = bt.by_data_type();
        let mut errors: Vec<f64> = lines
            .iter()
            .filter(|l| l.measured_gb_per_day > 0.0 && l.predicted_gb_per_day > 0.0)
            .map(|l| {
                (l.predicted_gb_per_day - l.measured_gb_per_day).abs() / l.measured_gb_per_day
                    * 100.0
            })
            .collect();
        errors.sort_by(f64::total_cmp);
        bt.median_abs_error_percent = median(&errors).map(|e| e.round());
        let mut by_kind: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        // A data type configured but not arriving says nothing about the model's rate.
        for l in lines.iter().filter(|l| l.measured_gb_per_day > 0.0) {
            let e = by_kind.entry(l.kind.clone()).or_default();
            e.0 += l.predicted_gb_per_day;
            e.1 += l.measured_gb_per_day;
        }
        for kind in Kind::ALL {
            let Some((p, got)) = by_kind.get(kind.name()) else {
                continue;
            };
            if *p <= 0.0 {
                continue;
            }
            let factor = (got / p * 100.0).round() / 100.0;
            bt.calibration.push(KindCalibration {
                kind: kind.name().into(),
                label: kind.label().into(),
                predicted_gb_per_day: round3(*p),
                measured_gb_per_day: round3(*got),
                factor,
                applied: (factor - 1.0).abs() > TOLERANCE,
            });
        }
        bt
    }

    /// Rows summed per data type over workspaces.
    pub fn by_data_type(&self) -> Vec<DataTypeLine> {
        let mut map: BTreeMap<(String, String), DataTypeLine> = BTreeMap::new();
        for r in &self.rows {
            let l = map
                .entry((r.kind.clone(), r.data_type.clone()))
                .or_insert_with(|| DataTypeLine {
                    data_type: r.data_type.clone(),
                    kind: r.kind.clone(),
                    basis: r.basis.clone(),
                    ..DataTypeLine::default()
                });
            l.workspaces += 1;
            l.predicted_gb_per_day = round3(l.predicted_gb_per_day + r.predicted_gb_per_day);
            l.measured_gb_per_day = round3(l.measured_gb_per_day + r.measured_gb_per_day);
            if l.workspaces > 1 {
                l.basis = format!("{} workspaces", l.workspaces);
            }
        }
        let mut out: Vec<DataTypeLine> = map.into_values().collect();
        for l in &mut out {
            l.ratio = ratio(l.measured_gb_per_day, l.predicted_gb_per_day);
        }
        out
    }

    /// The calibration gap estimates of `kind` use: (factor, sentence for the basis).
    pub fn factor(&self, kind: Kind) -> Option<(f64, String)> {
        let c = self
            .calibration
            .iter()
            .find(|c| c.kind == kind.name() && c.applied)?;
        Some((
            c.factor,
            format!(
                "× {:.2} calibrated from your estate (back-test: {} measured {:.3} GB/day where the model predicted {:.3})",
                c.factor, c.label, c.measured_gb_per_day, c.predicted_gb_per_day
            ),
        ))
    }

    /// The back-tests of several shards: per-workspace rows of subscription sources summed,
    /// tenant-level rows (Entra, predicted in every shard) counted once.
    pub fn merge(parts: Vec<Backtest>) -> Backtest {
        let mut map: BTreeMap<(String, String), BacktestRow> = BTreeMap::new();
        let mut not_compared = Vec::new();
        for part in parts {
            not_compared.extend(part.not_compared);
            for r in part.rows {
                let key = (id_key(&r.workspace_id), r.data_type.clone());
                match map.get_mut(&key) {
                    None => {
                        map.insert(key, r);
                    }
                    Some(e) if r.tenant_level => {
                        e.predicted_gb_per_day = e.predicted_gb_per_day.max(r.predicted_gb_per_day);
                    }
                    Some(e) => {
                        e.predicted_gb_per_day =
                            round3(e.predicted_gb_per_day + r.predicted_gb_per_day);
                        e.basis = format!("{}; {}", e.basis, r.basis);
                    }
                }
            }
        }
        let rows: Vec<BacktestRow> = map
            .into_values()
            .map(|mut r| {
                r.ratio = ratio(r.measured_gb_per_day, r.predicted_gb_per_day);
                r
            })
            .collect();
        not_compared.sort();
        not_compared.dedup();
        Backtest::from_rows(rows, not_compared)
    }
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}
