//! Azure SQL auditing. `sql_auditing`: every logical server audits (server policy on with a
//! destination; databases that audit themselves under a server with auditing off are reported
//! as evidence, not as a pass: CIS audits the server setting). `sql_audit_retention`: the
//! audit records are kept longer than `more_than_days` at one of their destinations: storage
//! (`retentionDays`, 0 = forever), or the Log Analytics workspace that the `master` database's
//! diagnostic setting sends SQLSecurityAuditEvents to (table retention, else the workspace's).

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::index::WorkspaceIndex;
use crate::evaluate::{for_each_item, EvalContext};
use crate::inventory::{last_segment, DiagnosticSetting, Read, ReadError, SqlAuditing, SqlServer};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditingParams {}

pub const AUDITING: RuleKind = RuleKind {
    name: "sql_auditing",
    file: file!(),
    line: line!(),
    evidence: &[
        "audit_actions_and_groups",
        "azure_monitor_target",
        "databases",
        "destinations",
        "policy",
        "retention_days",
        "storage_endpoint",
        "unaudited",
    ],
    figures: &["resource_log_default_mb_day"],
    prepare: prepare::<AuditingParams>,
    describes: "Azure SQL server auditing (auditingSettings), database policies where the server's is off, and whether the records reach a destination",
    cost_basis: Some("MB/day of SQLSecurityAuditEvents per server (resource_log_mb_day of microsoft.sql/servers) at the Analytics per-GB rate"),
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionParams {
    /// CIS: "greater than 90 days".
    pub more_than_days: u32,
}

impl Default for RetentionParams {
    fn default() -> Self {
        Self { more_than_days: 90 }
    }
}

pub const RETENTION: RuleKind = RuleKind {
    name: "sql_audit_retention",
    file: file!(),
    line: line!(),
    evidence: &["kept", "more_than_days", "unknown"],
    figures: &[],
    prepare: prepare::<RetentionParams>,
    describes: "how long SQL audit records are kept at their destinations (storage retentionDays, workspace or table retention)",
    cost_basis: Some("none estimated: keeping audit records longer costs storage or workspace retention only"),
};

/// The master database's settings that export SQL audit records (SQLSecurityAuditEvents,
/// or the audit / allLogs group it belongs to).
fn audit_exports(settings: &[DiagnosticSetting]) -> Vec<&DiagnosticSetting> {
    settings
        .iter()
        .filter(|s| s.has_destination())
        .filter(|s| {
            s.logs.iter().any(|l| {
                l.enabled
                    && (l
                        .category
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case("SQLSecurityAuditEvents"))
                        || l.category_group.as_deref().is_some_and(|g| {
                            g.eq_ignore_ascii_case("audit") || g.eq_ignore_ascii_case("allLogs")
                        }))
            })
        })
        .collect()
}

/// Where a policy's records go, in words; Err when that cannot be known.
fn destinations(
    policy: &SqlAuditing,
    master: &Read<Vec<DiagnosticSetting>>,
) -> Result<Vec<String>, ReadError> {
    let mut out = Vec::new();
    if let Some(ep) = &policy.storage_endpoint {
        out.push(format!("storage {ep}"));
    }
    if policy.azure_monitor_target == Some(true) {
        match master.complete() {
            Some(settings) => {
                for s in audit_exports(settings) {
                    out.extend(s.destinations());
                }
            }
            None if out.is_empty() => {
                return Err(master.error.clone().unwrap_or_else(|| {
                    synthetic(
                        "NotCollected",
                        "the master database's diagnostic settings were not read",
                    )
                }))
            }
            None => {}
        }
    }
    Ok(out)
}

fn synthetic(code: &str, message: &str) -> ReadError {
    ReadError::unknown("", "evaluate", code, message)
}

fn gap() -> Gap {
    Gap::ResourceLogs {
        resource_type: "microsoft.sql/servers".into(),
        required: 1,
        missing: 1,
    }
}

impl Rule for AuditingParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        for_each_item(
            check,
            ctx,
            |s| &s.sql_servers,
            "the subscription's SQL servers",
            |server, sid, out| out.push(judge_server(check, server, sid)),
        )
    }
}

fn judge_server(check: &CheckDef, server: &SqlServer, sid: Option<&str>) -> Finding {
    let name = &server.name;
    let policy = match (&server.auditing.value, &server.auditing.error) {
        (Some(p), None) => p,
        (_, Some(e)) => {
            return check.not_assessed(&server.id, sid, "the server's auditing policy", e)
        }
        (None, None) => {
            return check.not_assessed(
                &server.id,
                sid,
                "the server's auditing policy",
                &synthetic("NotCollected", "the auditing policy was not read"),
            )
        }
    };
    let evidence = json!({
        "state": policy.state,
        "storage_endpoint": policy.storage_endpoint,
        "retention_days": policy.retention_days,
        "azure_monitor_target": policy.azure_monitor_target,
        "audit_actions_and_groups": policy.audit_actions_and_groups,
    });
    match policy.enabled() {
        None => check.finding(
            Status::NotAssessed,
            &server.id,
            sid,
            format!("Not assessed: ARM did not report whether auditing is on for SQL server {name}."),
            json!({ "policy": evidence, "error": synthetic("NotReported", "auditingSettings without state") }),
        ),
        Some(true) => match destinations(policy, &server.master_diagnostic_settings) {
            Err(e) => check.not_assessed(
                &server.id,
                sid,
                "where the server's audit records go (the master database's diagnostic settings)",
                &e,
            ),
            Ok(d) if d.is_empty() => check
                .finding(
                    Status::Fail,
                    &server.id,
                    sid,
                    format!("SQL server {name} has auditing on, but its records reach no destination: no storage account, and no diagnostic setting on the master database exports SQLSecurityAuditEvents."),
                    json!({ "policy": evidence, "destinations": d }),
                )
                .gap_if_failed(gap),
            Ok(d) => check.finding(
                Status::Pass,
                &server.id,
                sid,
                format!("SQL server {name} audits every database to {}.", and_list(&d)),
                json!({ "policy": evidence, "destinations": d }),
            ),
        },
        Some(false) => judge_databases(check, server, sid, evidence),
    }
}

/// Server auditing off: the databases' own policies decide.
fn judge_databases(
    check: &CheckDef,
    server: &SqlServer,
    sid: Option<&str>,
    policy: serde_json::Value,
) -> Finding {
    let name = &server.name;
    if let Some(e) = server
        .databases
        .iter()
        .find_map(|d| d.auditing.error.as_ref())
    {
        return check.not_assessed(&server.id, sid, "a database's auditing policy", e);
    }
    let unaudited: Vec<String> = server
        .databases
        .iter()
        .filter(|d| {
            d.auditing
                .value
                .as_ref()
                .is_none_or(|a| a.enabled() != Some(true))
        })
        .map(|d| d.name.clone())
        .collect();
    let databases: Vec<_> = server
        .databases
        .iter()
        .map(|d| json!({ "name": d.name, "state": d.auditing.value.as_ref().and_then(|a| a.state.clone()) }))
        .collect();
    let evidence = json!({ "policy": policy, "databases": databases, "unaudited": unaudited });
    let message = if server.databases.is_empty() || !unaudited.is_empty() {
        let what = if server.databases.is_empty() {
            String::new()
        } else {
            format!(
                " and databases {} have no auditing of their own",
                and_list(&unaudited)
            )
        };
        format!("SQL server {name} has auditing off{what}: logins, queries and permission changes are not recorded.")
    } else {
        // CIS 3.0 5.1.1 audits the server's setting: databases that audit themselves are
        // evidence, not a pass (a new database is not audited, and where their records go is
        // not checked here).
        format!(
            "SQL server {name} has server auditing off. Each of its {} databases audits itself, but a database added tomorrow will not: turn on server auditing.",
            server.databases.len()
        )
    };
    check
        .finding(Status::Fail, &server.id, sid, message, evidence)
        .gap_if_failed(gap)
}

impl Rule for RetentionParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let workspaces = &ctx.workspace_by_id;
        for_each_item(
            check,
            ctx,
            |s| &s.sql_servers,
            "the subscription's SQL servers",
            |server, sid, out| {
                let Some(policy) = server.auditing.complete() else {
                    if let Some(e) = &server.auditing.error {
                        out.push(check.not_assessed(
                            &server.id,
                            sid,
                            "the server's auditing policy",
                            e,
                        ));
                    }
                    return;
                };
                if policy.enabled() == Some(true) {
                    out.push(self.judge(
                        check,
                        &server.id,
                        &server.name,
                        policy,
                        &server.master_diagnostic_settings,
                        workspaces,
                        sid,
                    ));
                    return;
                }
                let audited: Vec<_> = server
                    .databases
                    .iter()
                    .filter_map(|d| Some((d, d.auditing.complete()?)))
                    .filter(|(_, a)| a.enabled() == Some(true))
                    .collect();
                if audited.is_empty() {
                    out.push(check.finding(
                        Status::NotApplicable,
                        &server.id,
                        sid,
                        format!("SQL server {} does not audit, so there is no audit retention to judge (see the auditing check).", server.name),
                        json!({ "state": policy.state }),
                    ));
                }
                for (db, a) in audited {
                    // Database policies send to Azure Monitor through the database's own settings,
                    // which are not read here: storage retention only.
                    out.push(self.judge(
                        check,
                        &db.id,
                        &db.name,
                        a,
                        &Read::ok(vec![]),
                        workspaces,
                        sid,
                    ));
                }
            },
        )
    }
}

impl RetentionParams {
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &self,
        check: &CheckDef,
        id: &str,
        name: &str,
        policy: &SqlAuditing,
        master: &Read<Vec<DiagnosticSetting>>,
        workspaces: &WorkspaceIndex,
        sid: Option<&str>,
    ) -> Finding {
        let want = self.more_than_days;
        // (destination, days kept; None = forever) and the destinations whose retention is unknown.
        let mut kept: Vec<(String, Option<u32>)> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        if let Some(ep) = &policy.storage_endpoint {
            match policy.retention_days {
                Some(0) => kept.push((format!("storage {ep}"), None)),
                Some(d) => kept.push((format!("storage {ep}"), Some(d))),
                None => unknown.push(format!("storage {ep} (retentionDays not reported)")),
            }
        }
        if policy.azure_monitor_target == Some(true) {
            match master.complete() {
                None => {
                    unknown.push("the master database's diagnostic settings (not readable)".into())
                }
                Some(settings) => {
                    for s in audit_exports(settings) {
                        if let Some(w) = &s.workspace_id {
                            match workspace_days(workspaces, w, s.is_dedicated()) {
                                Ok((days, basis)) => kept.push((
                                    format!("workspace {} ({basis})", last_segment(w)),
                                    Some(days),
                                )),
                                Err(why) => {
                                    unknown.push(format!("workspace {} ({why})", last_segment(w)))
                                }
                            }
                        }
                        if s.workspace_id.is_none()
                            && (s.event_hub_authorization_rule_id.is_some()
                                || s.marketplace_partner_id.is_some())
                        {
                            unknown.push(format!(
                                "{} (kept wherever its consumer keeps it)",
                                s.destinations().join(", ")
                            ));
                        }
                        if let Some(st) = &s.storage_account_id {
                            // Diagnostic settings to storage keep blobs until a lifecycle rule deletes them.
                            unknown.push(format!(
                                "storage {} (lifecycle rules not read)",
                                last_segment(st)
                            ));
                        }
                    }
                }
            }
        }
        let words = |k: &(String, Option<u32>)| match k.1 {
            None => format!("{} keeps them forever", k.0),
            Some(d) => format!("{} keeps them {d} days", k.0),
        };
        let evidence = json!({
            "more_than_days": want,
            "kept": kept.iter().map(|(d, days)| json!({ "destination": d, "days": days })).collect::<Vec<_>>(),
            "unknown": unknown,
        });
        if let Some(best) = kept.iter().find(|(_, d)| d.is_none_or(|d| d > want)) {
            return check.finding(
                Status::Pass,
                id,
                sid,
                format!("SQL audit records of {name}: {}.", words(best)),
                evidence,
            );
        }
        if !unknown.is_empty() {
            let mut e = evidence;
            e["error"] = json!(synthetic(
                "RetentionUnknown",
                &format!("retention unknown at {}", and_list(&unknown))
            ));
            return check.finding(
                Status::NotAssessed,
                id,
                sid,
                format!(
                    "Not assessed: how long {name}'s audit records are kept is unknown at {}.",
                    and_list(&unknown)
                ),
                e,
            );
        }
        if kept.is_empty() {
            return check.finding(
                Status::Fail,
                id,
                sid,
                format!("SQL audit records of {name} are kept nowhere: the policy has no destination."),
                evidence,
            ).gap_if_failed(|| Gap::NoNewCost { reason: "no cost: nothing new is ingested; keeping audit records longer costs storage or retention, not estimated here" });
        }
        check
            .finding(
                Status::Fail,
                id,
                sid,
                format!(
                    "SQL audit records of {name} are kept {want} days or less: {} (the baseline wants more than {want}).",
                    and_list(&kept.iter().map(words).collect::<Vec<_>>())
                ),
                evidence,
            )
            .gap_if_failed(|| Gap::NoNewCost { reason: "no cost: nothing new is ingested; keeping audit records longer costs storage or retention, not estimated here" })
    }
}

/// Days a workspace keeps SQL audit records (their table's total retention in force).
fn workspace_days(
    workspaces: &WorkspaceIndex,
    id: &str,
    dedicated: bool,
) -> Result<(u32, String), &'static str> {
    let table = if dedicated {
        "SQLSecurityAuditEvents"
    } else {
        "AzureDiagnostics"
    };
    crate::evaluate::index::table_days(workspaces, id, table).map(|t| (t.total, t.how))
}
