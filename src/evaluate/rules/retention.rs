//! Retention rule kinds. `workspace_retention`: a workspace keeps data at least `min_days`.
//! `table_retention`: security tables keep data (interactive and total) at least the baseline;
//! a table's own retention, when not the default, overrides the workspace's for that table.

use super::{prepare, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::index::effective_retention;
use crate::evaluate::{for_each_item, EvalContext};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkspaceParams {
    pub min_days: u32,
}

impl Default for WorkspaceParams {
    fn default() -> Self {
        Self { min_days: 90 }
    }
}

pub const WORKSPACE: RuleKind = RuleKind {
    name: "workspace_retention",
    file: file!(),
    line: line!(),
    evidence: &["minimum_days", "retention_in_days", "sku"],
    figures: &["free_retention_days", "free_retention_days_sentinel", "interactive_retention_gb_month", "long_term_retention_gb_month"],
    prepare: prepare::<WorkspaceParams>,
    describes: "Log Analytics workspace retentionInDays against a minimum",    cost_basis: Some("the workspace's measured GB/day × extra days beyond the free retention × interactive retention price per GB-month"),
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TableParams {
    pub tables: Vec<String>,
    pub min_interactive_days: u32,
    pub min_total_days: u32,
}

impl Default for TableParams {
    fn default() -> Self {
        Self {
            tables: vec!["SecurityEvent".into()],
            min_interactive_days: 90,
            min_total_days: 365,
        }
    }
}

pub const TABLES: RuleKind = RuleKind {
    name: "table_retention",
    file: file!(),
    line: line!(),
    evidence: &["effective_interactive_days", "effective_total_days", "minimum_interactive_days", "minimum_total_days", "plan", "retention_is_default", "table_retention_days", "table_total_retention_days", "total_retention_is_default", "workspace_retention_days"],
    figures: &["free_retention_days", "free_retention_days_sentinel", "interactive_retention_gb_month", "long_term_retention_gb_month"],
    prepare: prepare::<TableParams>,
    describes: "interactive and total retention of named security tables, table settings overriding the workspace",    cost_basis: Some("the table's measured GB/day × extra days beyond the free retention × interactive or long-term retention price per GB-month"),
};

impl Rule for WorkspaceParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        for_each_item(
            check,
            ctx,
            |s| &s.workspaces,
            "the Log Analytics workspaces",
            |ws, sid, out| {
                let evidence = json!({ "retention_in_days": ws.retention_in_days, "minimum_days": p.min_days, "sku": ws.sku });
                let mut f = match ws.retention_in_days {
                    None => check.finding(
                        Status::NotAssessed,
                        &ws.id,
                        sid,
                        format!(
                            "Not assessed: workspace {} did not report retentionInDays.",
                            ws.name
                        ),
                        evidence,
                    ),
                    Some(d) if d >= p.min_days => check.finding(
                        Status::Pass,
                        &ws.id,
                        sid,
                        format!("Workspace {} keeps data {d} days.", ws.name),
                        evidence,
                    ),
                    Some(d) => check
                        .finding(
                            Status::Fail,
                            &ws.id,
                            sid,
                            format!(
                                "Workspace {} keeps data {d} days; the baseline wants at least {}.",
                                ws.name, p.min_days
                            ),
                            evidence,
                        )
                        .gap_if_failed(|| Gap::WorkspaceRetention {
                            workspace_id: ws.id.clone(),
                            current_days: d,
                            minimum_days: p.min_days,
                        }),
                };
                f.location = Some(ws.location.clone()).filter(|l| !l.is_empty());
                out.push(f);
            },
        )
    }
}

impl Rule for TableParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        for_each_item(
            check,
            ctx,
            |s| &s.workspaces,
            "the Log Analytics workspaces",
            |ws, sid, out| {
                let tables = match (&ws.tables.value, &ws.tables.error) {
                    (Some(t), None) => t,
                    (_, Some(e)) => {
                        out.push(check.not_assessed(&ws.id, sid, "the workspace's tables", e));
                        return;
                    }
                    _ => return,
                };
                for name in &p.tables {
                    let Some(t) = tables.iter().find(|t| t.name.eq_ignore_ascii_case(name)) else {
                        continue;
                    };
                    let rid = format!("{}/tables/{}", ws.id, t.name);
                    let (interactive, total) = effective_retention(ws, t);
                    let evidence = json!({
                        "workspace_retention_days": ws.retention_in_days,
                        "table_retention_days": t.retention_in_days,
                        "table_total_retention_days": t.total_retention_in_days,
                        "retention_is_default": t.retention_is_default,
                        "total_retention_is_default": t.total_retention_is_default,
                        "effective_interactive_days": interactive,
                        "effective_total_days": total,
                        "plan": t.plan,
                        "minimum_interactive_days": p.min_interactive_days,
                        "minimum_total_days": p.min_total_days,
                    });
                    let mut short = Vec::new();
                    if interactive.is_some_and(|d| d < p.min_interactive_days) {
                        short.push(format!(
                            "interactive {} days < {}",
                            interactive.unwrap_or(0),
                            p.min_interactive_days
                        ));
                    }
                    if total.is_some_and(|d| d < p.min_total_days) {
                        short.push(format!(
                            "total {} days < {}",
                            total.unwrap_or(0),
                            p.min_total_days
                        ));
                    }
                    let mut f = if interactive.is_none() || total.is_none() {
                        let mut evidence = evidence;
                        evidence["error"] = json!("the table's retentionInDays / totalRetentionInDays could not be read (absent or not a number) and it is not on the workspace default");
                        check.finding(
                            Status::NotAssessed,
                            &rid,
                            sid,
                            format!(
                            "Not assessed: retention of table {} in workspace {} is not reported.",
                            t.name, ws.name
                        ),
                            evidence,
                        )
                    } else if short.is_empty() {
                        check.finding(Status::Pass, &rid, sid, format!("Table {} in workspace {} keeps data {} days interactively and {} in total.", t.name, ws.name, interactive.unwrap_or(0), total.unwrap_or(0)), evidence)
                    } else {
                        check
                            .finding(
                                Status::Fail,
                                &rid,
                                sid,
                                format!(
                                    "Table {} in workspace {} is kept too briefly: {}.",
                                    t.name,
                                    ws.name,
                                    short.join(", ")
                                ),
                                evidence,
                            )
                            .gap_if_failed(|| Gap::TableRetention {
                                workspace_id: ws.id.clone(),
                                table: t.name.clone(),
                                interactive_days: interactive.unwrap_or(0),
                                total_days: total.unwrap_or(0),
                                minimum_interactive_days: p.min_interactive_days,
                                minimum_total_days: p.min_total_days,
                            })
                    };
                    f.location = Some(ws.location.clone()).filter(|l| !l.is_empty());
                    out.push(f);
                }
            },
        )
    }
}
