//! Rule kinds: the Rust logic behind each `kind` named in `checks/*.toml`. One file per kind;
//! this file is the registry.

pub mod activity_log_alert;
pub mod activity_log_export;
pub mod activity_log_lock;
pub mod app_insights;
pub mod arrival;
pub mod defender_export;
pub mod defender_plan;
pub mod dns_query_logs;
pub mod entra_logs;
pub mod flow_logs;
pub mod jit_trail;
pub mod linux_syslog;
pub mod log_storage;
pub mod network_watcher_regions;
pub mod property;
pub mod resource_logs;
pub mod retention;
pub mod security_contacts;
pub mod security_events;
pub mod server_parameters;
pub mod sql_auditing;

use super::baseline::{parse_params, CheckDef};
use super::EvalContext;
use crate::inventory::DiagnosticSetting;
use crate::model::Finding;
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use std::sync::Arc;

/// A rule kind with its params parsed and validated: what a check evaluates. Built once, when
/// the baseline loads (so a bad baseline fails there, naming file and line); evaluation never
/// re-reads the TOML or falls back to defaults.
pub trait Rule: std::fmt::Debug + Send + Sync {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding>;
}

pub struct RuleKind {
    pub name: &'static str,
    /// The source file that implements the kind (`checks explain` names it).
    pub file: &'static str,
    /// The line of this declaration, for load errors that name the kind.
    pub line: u32,
    /// The top-level evidence keys the kind writes (besides [`COMMON_EVIDENCE`]): a check's
    /// remediation may name `{evidence.KEY}` only for these, checked when the baseline loads.
    pub evidence: &'static [&'static str],
    /// The cost-model figures pricing this kind's gap reads: loading the cost model fails,
    /// naming the kind, when one is missing.
    pub figures: &'static [&'static str],
    /// Parses and validates the check's params into the rule that evaluates it.
    pub prepare: fn(&toml::Table) -> Result<Arc<dyn Rule>, String>,
    /// What the kind assesses, for `checks explain`.
    pub describes: &'static str,
    /// How closing this kind's gap is priced (its failing findings carry a
    /// [`Gap`](crate::model::gap::Gap)); None: not a logging gap, no cost.
    pub cost_basis: Option<&'static str>,
}

/// Evidence keys the shared gates write for every kind: a read error, a subscription's state.
pub const COMMON_EVIDENCE: &[&str] = &["error", "state", "disabled_at"];

pub const KINDS: &[RuleKind] = &[
    activity_log_export::KIND,
    activity_log_lock::KIND,
    resource_logs::KIND,
    entra_logs::KIND,
    flow_logs::COVERAGE,
    flow_logs::RETENTION,
    flow_logs::TRAFFIC_ANALYTICS,
    flow_logs::NSG_RETIREMENT,
    network_watcher_regions::KIND,
    retention::WORKSPACE,
    retention::TABLES,
    security_events::VM_COVERAGE,
    security_events::LEGACY_TIER,
    linux_syslog::KIND,
    defender_plan::KIND,
    defender_export::KIND,
    security_contacts::KIND,
    log_storage::KIND,
    activity_log_alert::KIND,
    property::KIND,
    sql_auditing::AUDITING,
    sql_auditing::RETENTION,
    server_parameters::PARAMETER,
    server_parameters::RETIRED,
    app_insights::KIND,
    dns_query_logs::KIND,
    jit_trail::KIND,
    flow_logs::VM_COVERAGE,
    arrival::KIND,
];

pub fn find(name: &str) -> Option<&'static RuleKind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The baseline loader's hook: unknown kinds and bad params are errors.
pub fn validate(kind: &str, params: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    match find(kind) {
        Some(k) => (k.prepare)(params),
        None => Err(format!(
            "unknown kind {kind:?} (known: {})",
            KINDS.iter().map(|k| k.name).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// `prepare` for kinds whose params need no check beyond their types.
pub(crate) fn prepare<P: Rule + DeserializeOwned + 'static>(
    params: &toml::Table,
) -> Result<Arc<dyn Rule>, String> {
    Ok(Arc::new(parse_params::<P>(params)?))
}

/// Which log categories a set of diagnostic settings exports.
///
/// Only enabled entries of settings that have a destination count. `allLogs` covers every
/// category the resource offers; `audit` (or any group) covers the categories listed in that
/// group; an explicit category covers itself.
pub fn covered_categories(
    settings: &[DiagnosticSetting],
    offered: &[crate::inventory::LogCategory],
    accept: impl Fn(&DiagnosticSetting) -> bool,
) -> BTreeSet<String> {
    let mut covered = BTreeSet::new();
    for s in settings.iter().filter(|s| s.has_destination() && accept(s)) {
        for l in s.logs.iter().filter(|l| l.enabled) {
            if let Some(c) = &l.category {
                covered.insert(c.to_ascii_lowercase());
            }
            if let Some(g) = &l.category_group {
                if g.eq_ignore_ascii_case("allLogs") {
                    covered.insert("*".to_string());
                    covered.extend(offered.iter().map(|c| c.name.to_ascii_lowercase()));
                } else {
                    covered.extend(
                        offered
                            .iter()
                            .filter(|c| c.groups.iter().any(|cg| cg.eq_ignore_ascii_case(g)))
                            .map(|c| c.name.to_ascii_lowercase()),
                    );
                }
            }
        }
    }
    covered
}

/// Settings as evidence: name, destinations, enabled categories/groups.
pub fn settings_evidence(settings: &[DiagnosticSetting]) -> serde_json::Value {
    serde_json::Value::Array(
        settings
            .iter()
            .map(|s| {
                let enabled: Vec<String> = s
                    .logs
                    .iter()
                    .filter(|l| l.enabled)
                    .filter_map(|l| {
                        l.category
                            .clone()
                            .or_else(|| l.category_group.as_ref().map(|g| format!("group:{g}")))
                    })
                    .collect();
                let disabled: Vec<String> = s
                    .logs
                    .iter()
                    .filter(|l| !l.enabled)
                    .filter_map(|l| {
                        l.category
                            .clone()
                            .or_else(|| l.category_group.as_ref().map(|g| format!("group:{g}")))
                    })
                    .collect();
                serde_json::json!({
                    "name": s.name,
                    "destinations": s.destinations(),
                    "enabled": enabled,
                    "disabled": disabled,
                })
            })
            .collect(),
    )
}
