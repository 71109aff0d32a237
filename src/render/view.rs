//! The report view model: what the HTML and Markdown templates see. Ordering, grouping, labels
//! and chart geometry are decided here so templates stay declarative. Values are raw strings:
//! handlebars escapes them (HTML escaping for the HTML report, Markdown escaping for report.md).

use crate::model::cost::{TierChoice, WorkspaceCost};
use crate::model::{Finding, Results, Severity, Status, AREAS};
use crate::support::numbers::round2;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Serialize)]
pub struct View {
    pub tool: String,
    pub version: String,
    pub tenant_id: String,
    pub started_at: String,
    pub finished_at: String,
    pub baseline: String,
    pub score: Option<u32>,
    pub totals: Totals,
    pub severities: Vec<SeverityRow>,
    pub areas: Vec<AreaView>,
    pub subscriptions: Vec<SubView>,
    pub subscriptions_not_assessed: Vec<SubView>,
    /// The first [`SUBS_NAMED`] of them, named in the warnings; the rest are counted.
    pub subscriptions_not_assessed_listed: Vec<SubView>,
    pub subscriptions_not_assessed_more: usize,
    pub cost: Option<CostView>,
    pub errors: Vec<ErrorView>,
    pub suppressed: Vec<FindingView>,
    pub suppression_notes: Vec<Value>,
    pub drift: Option<Value>,
    pub frameworks: Vec<FrameworkView>,
    pub statement: StatementView,
    pub matrix: MatrixView,
    /// The printed page's running header: tenant and date, reduced to characters safe in a
    /// CSS string.
    pub page_header: String,
    pub page_date: String,
    pub findings_total: usize,
    pub findings_shown: usize,
    pub truncated: bool,
    pub gating_note: String,
    /// The few gaps to close first, beside the summary.
    pub fix_first: Vec<FixFirstView>,
    /// The history's last runs (`--history`, or the demo's).
    pub trend: Option<super::trend::TrendView>,
    /// `--owner-tag`: the tag, and each owner's failures (empty without it).
    pub owner_tag: String,
    pub owners: Vec<OwnerRow>,
}

/// One owner's share of the gaps (`--owner-tag`).
#[derive(Debug, Serialize)]
pub struct OwnerRow {
    pub owner: String,
    pub fail: usize,
    pub not_assessed: usize,
    pub cost: String,
}

/// One line of "fix these first".
#[derive(Debug, Serialize)]
pub struct FixFirstView {
    pub severity: &'static str,
    pub check_id: String,
    pub title: String,
    pub resource_name: String,
    pub subscription_name: String,
    /// Monthly cost to close, or why there is none.
    pub cost: String,
}

/// How many gaps "fix these first" lists.
pub const FIX_FIRST: usize = 5;

/// Failing findings, most severe first; within a severity the cheapest to close first (the
/// most posture for the money), a finding without a known cost after those with one.
fn fix_first(r: &Results, names: &BTreeMap<String, &str>, currency: &str) -> Vec<FixFirstView> {
    let mut fails: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    let cost_key = |f: &Finding| -> (bool, i64) {
        match f.cost.as_ref().filter(|c| c.method != "not_measured") {
            Some(c) => (false, (c.usd_per_month * 100.0).round() as i64),
            None => (true, 0),
        }
    };
    fails.sort_by_cached_key(|f| {
        (
            f.severity,
            cost_key(f),
            f.check_id.clone(),
            f.resource_id.to_ascii_lowercase(),
        )
    });
    fails
        .into_iter()
        .take(FIX_FIRST)
        .map(|f| {
            let sub_name = f
                .subscription_id
                .as_deref()
                .and_then(|s| names.get(&s.to_ascii_lowercase()))
                .map(|n| n.to_string())
                .unwrap_or_default();
            let id = f.resource_id.to_ascii_lowercase();
            // Whole-scope findings read better by what they are than by an id's last segment.
            let (resource_name, subscription_name) = if id == "/providers/microsoft.aadiam" {
                ("Entra ID tenant".to_string(), String::new())
            } else if f
                .subscription_id
                .as_deref()
                .is_some_and(|s| id == format!("/subscriptions/{}", s.to_ascii_lowercase()))
                && !sub_name.is_empty()
            {
                (format!("subscription {sub_name}"), String::new())
            } else {
                (crate::inventory::last_segment(&f.resource_id), sub_name)
            };
            FixFirstView {
                severity: f.severity.as_str(),
                check_id: f.check_id.to_string(),
                title: f.title.to_string(),
                resource_name,
                subscription_name,
                cost: match f.cost.as_ref() {
                    Some(c) if c.method == "not_measured" => "cost unknown".into(),
                    Some(c) if c.method == "included" => format!(
                        "priced with {}",
                        c.included_in
                            .as_deref()
                            .and_then(|x| x.split(" on ").next())
                            .unwrap_or("another finding")
                    ),
                    Some(c) if c.usd_per_month == 0.0 => "no added cost".into(),
                    Some(c) => format!("{}/month", money(currency, c.usd_per_month)),
                    None => "no ingestion cost".into(),
                },
            }
        })
        .collect()
}

/// The statement of assessment, formatted for the first page.
#[derive(Debug, Serialize)]
pub struct StatementView {
    pub scope: String,
    pub identity: String,
    pub roles: Vec<crate::model::RoleNeeded>,
    pub tool: String,
    pub baseline: String,
    pub baseline_sha256: String,
    pub baseline_modified: bool,
    pub baseline_changes: Vec<crate::model::BaselineChange>,
    pub disabled: String,
    pub suppressions: Vec<crate::model::SuppressionListed>,
    pub coverage: String,
    pub scan_window: String,
    pub generated_at: String,
    pub warnings: Vec<String>,
}

/// Checks × subscriptions: one cell per pair with the counts behind its status.
#[derive(Debug, Serialize)]
pub struct MatrixView {
    pub columns: Vec<MatrixColumn>,
    pub rows: Vec<MatrixRow>,
}

#[derive(Debug, Serialize)]
pub struct MatrixColumn {
    pub label: String,
    pub title: String,
}

#[derive(Debug, Serialize)]
pub struct MatrixRow {
    pub check_id: String,
    pub title: String,
    pub severity: &'static str,
    pub controls: String,
    pub cells: Vec<MatrixCell>,
}

#[derive(Debug, Serialize)]
pub struct MatrixCell {
    /// fail, not_assessed, pass, suppressed, not_applicable or none (no finding).
    pub class: &'static str,
    pub label: String,
}

/// One line of the cost waterfall, formatted.
#[derive(Debug, Serialize)]
pub struct WaterfallRow {
    pub label: String,
    pub amount: String,
    pub basis: String,
    /// start, add, total or saving (for styling).
    pub kind: String,
}

/// A framework's controls as the reports show them.
#[derive(Debug, Serialize)]
pub struct FrameworkView {
    pub name: String,
    pub summary: String,
    pub controls: Vec<ControlView>,
}

#[derive(Debug, Serialize)]
pub struct ControlView {
    pub id: String,
    pub title: String,
    pub checks: String,
    pub status: &'static str,
    /// CSS class: fail, na, pass or none.
    pub class: &'static str,
    /// Why it is not covered, or how logposture judges it differently (a deviation).
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub pass: usize,
    pub fail: usize,
    pub not_assessed: usize,
    pub not_applicable: usize,
    pub suppressed: usize,
}

#[derive(Debug, Serialize)]
pub struct SeverityRow {
    pub severity: &'static str,
    pub count: usize,
    pub bar: u32,
}

#[derive(Debug, Serialize)]
pub struct AreaView {
    pub area: String,
    pub title: &'static str,
    pub score: Option<u32>,
    pub score_label: String,
    pub bar: u32,
    pub pass: usize,
    pub fail: usize,
    pub not_assessed: usize,
    pub not_applicable: usize,
    pub suppressed: usize,
    pub gap_cost: String,
    pub findings: Vec<FindingView>,
    pub hidden: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub check_id: String,
    pub title: String,
    pub severity: &'static str,
    pub status: &'static str,
    pub status_label: &'static str,
    pub resource_id: String,
    pub resource_name: String,
    pub subscription_id: String,
    pub subscription_name: String,
    pub location: String,
    pub message: String,
    pub evidence: String,
    pub remediation: String,
    pub references: String,
    pub cost: String,
    pub cost_basis: String,
    /// The same gap on the cheaper Basic plan, when its tables accept it.
    pub cheaper_plan: String,
    pub suppression: String,
    pub area: String,
    /// Resource group and subscription, for the reader who knows names, not ids.
    pub resource_group: String,
    /// Sort keys for the HTML table: severity rank (status first) and monthly cost.
    pub sev_rank: u32,
    pub cost_value: String,
    /// Evidence on one line (the printed appendix).
    pub evidence_compact: String,
    pub azure_policy: String,
    /// With a history: "since 2026-08-17 (77 days)" for a failure.
    pub failing_since: String,
    /// With a history: "fixed after 77 days (failing since 2026-08-17)" for a new pass.
    pub fixed: String,
    /// `--owner-tag`: the resource's value of the tag, or "no owner"; empty without it.
    pub owner: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubView {
    pub id: String,
    pub name: String,
    pub state: String,
    pub fail: usize,
    pub not_assessed: usize,
    pub pass: usize,
    pub not_applicable: usize,
    pub suppressed: usize,
}

#[derive(Debug, Serialize)]
pub struct CostView {
    pub currency: String,
    pub measured_month: String,
    pub measured_gb_day: String,
    pub gaps_month: String,
    pub gaps_gb_day: String,
    pub workspaces_not_measured: u64,
    pub commitment_current: String,
    pub commitment_with_gaps: String,
    pub entra_users: String,
    pub by_area: Vec<CostBar>,
    pub workspaces: Vec<WorkspaceCost>,
    pub waterfall: Vec<WaterfallRow>,
    /// "Prices as of 2025-06 (17 months before this report)".
    pub prices_dated: String,
    pub backtest: BacktestView,
    pub workspace_tiers: Vec<WorkspaceTierRow>,
    /// Gaps whose tables accept the Basic plan, side by side with Analytics.
    pub cheaper_plans: Vec<PlanRow>,
    pub basic_gives_up: String,
    pub auxiliary: String,
    pub plans_source: String,
    /// What the cost to close leaves out, said beside it (never silently).
    pub not_included: String,
}

/// "How good is this estimate on your estate".
#[derive(Debug, Default, Serialize)]
pub struct BacktestView {
    pub lines: Vec<BacktestLine>,
    pub median_error: String,
    pub calibration: Vec<String>,
    pub not_compared: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct BacktestLine {
    pub data_type: String,
    pub kind: String,
    pub predicted: String,
    pub measured: String,
    pub ratio: String,
    pub basis: String,
}

#[derive(Debug, Serialize)]
pub struct WorkspaceTierRow {
    pub name: String,
    pub sentinel: String,
    pub today_gb_day: String,
    pub gaps_gb_day: String,
    pub current: String,
    pub with_gaps: String,
    /// A commitment tier beats pay-as-you-go once the gaps are closed.
    pub tier_wins: bool,
}

#[derive(Debug, Serialize)]
pub struct PlanRow {
    pub check_id: String,
    pub resource_name: String,
    pub tables: String,
    pub analytics: String,
    pub basic: String,
    pub saving: String,
}

#[derive(Debug, Serialize)]
pub struct CostBar {
    pub area: String,
    pub amount: String,
    pub bar: u32,
}

#[derive(Debug, Serialize)]
pub struct ErrorView {
    pub scope: String,
    pub operation: String,
    pub status: String,
    pub code: String,
    pub message: String,
}

pub fn area_title(a: &str) -> &'static str {
    match a {
        "activity-log" => "Activity log",
        "resource-logs" => "Resource logs",
        "entra-logs" => "Entra ID logs",
        "flow-logs" => "Flow logs",
        "network-watcher" => "Network Watcher",
        "retention" => "Retention",
        "security-events" => "Windows security events",
        "defender" => "Defender for Cloud",
        "log-storage" => "Log storage",
        "alerts" => "Activity-log alerts",
        "arrival" => "Arrival (logs received)",
        _ => "Other",
    }
}

fn status_label(s: Status) -> &'static str {
    match s {
        Status::Pass => "Pass",
        Status::Fail => "Fail",
        Status::NotAssessed => "Not assessed",
        Status::NotApplicable => "Not applicable",
        Status::Suppressed => "Suppressed",
    }
}

/// A finding's cost for people: the monthly figure in the configured currency, or "unknown"
/// with the reason when it could not be measured (never a zero that reads as free).
pub fn cost_phrase(c: &crate::model::CostEstimate, currency: &str) -> String {
    if c.method == "not_measured" {
        format!("unknown ({})", c.basis)
    } else {
        format!("{}/month", money(currency, c.usd_per_month))
    }
}

pub fn money(currency: &str, x: f64) -> String {
    // Inputs are bounded where they are read; a figure past this is still never printed as a
    // saturated integer.
    if !x.is_finite() || x.abs() >= 1e15 {
        return "unknown (beyond any real figure)".into();
    }
    // Every amount with its cents, so figures side by side read alike ("$2.20", "$23.00") and
    // a small one never rounds to "$0", which would read as free.
    let cents = (x * 100.0).round() as i64;
    let digits = (cents.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    let amount = format!("{grouped}.{:02}", cents.abs() % 100);
    if currency == "USD" {
        format!("{sign}${amount}")
    } else {
        format!("{sign}{amount} {currency}")
    }
}

fn finding_view(
    r: &Results,
    f: &Finding,
    names: &BTreeMap<String, &str>,
    detail: bool,
) -> FindingView {
    let currency = r.currency();
    let scan_time = r.started_at.as_str();
    let sub = f.subscription_id.clone().unwrap_or_default();
    FindingView {
        check_id: f.check_id.to_string(),
        title: f.title.to_string(),
        severity: f.severity.as_str(),
        status: f.status.as_str(),
        status_label: status_label(f.status),
        resource_id: f.resource_id.clone(),
        resource_name: crate::inventory::last_segment(&f.resource_id),
        subscription_name: names
            .get(&sub.to_ascii_lowercase())
            .map(|n| n.to_string())
            .unwrap_or_default(),
        subscription_id: sub,
        location: f.location.clone().unwrap_or_default(),
        message: f.message.clone(),
        // Markdown shows no evidence: skip formatting it for thousands of rows.
        evidence: if detail {
            serde_json::to_string_pretty(&f.evidence.value()).unwrap_or_default()
        } else {
            String::new()
        },
        remediation: if detail {
            f.remediation_text().into_owned()
        } else {
            String::new()
        },
        references: f.references.join(", "),
        cost: f
            .cost
            .as_ref()
            .map(|c| match c.method.as_str() {
                // The reason is in cost_basis, shown beside it.
                "not_measured" => "unknown: the volume was not measured".to_string(),
                "none" => "no cost to close (why: below)".to_string(),
                "included" => format!(
                    "priced once, with {}",
                    c.included_in.as_deref().unwrap_or("another finding")
                ),
                method => format!(
                    "{}/month ({:.2} GB/day, {})",
                    money(currency, c.usd_per_month),
                    c.gb_per_day,
                    match method {
                        "measured" => "measured",
                        "calibrated" => "calibrated from your estate",
                        _ => "model estimate",
                    }
                ),
            })
            .unwrap_or_default(),
        cost_basis: f.cost.as_ref().map(|c| c.basis.clone()).unwrap_or_default(),
        cheaper_plan: f
            .cost
            .as_ref()
            .and_then(|c| c.basic_plan.as_ref())
            .map(|p| {
                format!(
                    "{}/month with {} on the {} plan (gives up: {})",
                    money(currency, p.usd_per_month),
                    p.tables.join(", "),
                    p.plan,
                    p.gives_up
                )
            })
            .unwrap_or_default(),
        suppression: f
            .suppression
            .as_ref()
            .map(|s| format!("{} (owner {}, expires {})", s.reason, s.owner, s.expires))
            .unwrap_or_default(),
        area: f.area.to_string(),
        resource_group: crate::support::ids::resource_group(&f.resource_id)
            .unwrap_or_default()
            .to_string(),
        sev_rank: u32::from(status_rank(f.status)) * 10 + f.severity as u32,
        cost_value: f
            .cost
            .as_ref()
            .filter(|c| c.method != "not_measured")
            .map(|c| format!("{:.2}", c.usd_per_month))
            .unwrap_or_default(),
        evidence_compact: if detail {
            let full = serde_json::to_string(&f.evidence).unwrap_or_default();
            match full.char_indices().nth(EVIDENCE_PRINT_CHARS) {
                Some((cut, _)) => format!("{}… (shortened: see results.json)", &full[..cut]),
                None => full,
            }
        } else {
            String::new()
        },
        azure_policy: f
            .azure_policy
            .as_ref()
            .map(|p| format!("{} ({})", p.name, p.id))
            .unwrap_or_default(),
        failing_since: f
            .failing_since
            .as_deref()
            .map(|since| since_text(since, scan_time))
            .unwrap_or_default(),
        fixed: f
            .time_to_fix
            .as_ref()
            .map(|t| {
                format!(
                    "fixed after {} (failing since {})",
                    days_text(t.days),
                    t.failing_since.get(..10).unwrap_or(&t.failing_since)
                )
            })
            .unwrap_or_default(),
        owner: r.owner_of(f).unwrap_or_default(),
    }
}

/// Failing and not-assessed findings and the cost to close them, per owner (`--owner-tag`),
/// the most failures first; "no owner" last.
fn owner_rows(r: &Results) -> Vec<OwnerRow> {
    if r.owner_tag.is_none() {
        return Vec::new();
    }
    let mut by: BTreeMap<String, (usize, usize, f64)> = BTreeMap::new();
    for f in &r.findings {
        let Some(owner) = r.owner_of(f) else { continue };
        let e = by.entry(owner).or_default();
        match f.status {
            Status::Fail => {
                e.0 += 1;
                e.2 += f
                    .cost
                    .as_ref()
                    .filter(|c| c.method != "not_measured")
                    .map_or(0.0, |c| c.usd_per_month);
            }
            Status::NotAssessed => e.1 += 1,
            _ => {}
        }
    }
    let mut rows: Vec<OwnerRow> = by
        .into_iter()
        .filter(|(_, (fail, na, _))| fail + na > 0)
        .map(|(owner, (fail, not_assessed, usd))| OwnerRow {
            cost: money(r.currency(), usd),
            owner,
            fail,
            not_assessed,
        })
        .collect();
    rows.sort_by_key(|o| (o.owner == crate::model::NO_OWNER, std::cmp::Reverse(o.fail)));
    rows
}

/// "1 day", "12 days", "0.5 days".
fn days_text(days: f64) -> String {
    if days == 1.0 {
        "1 day".into()
    } else if days.fract() == 0.0 {
        format!("{days:.0} days")
    } else {
        format!("{days:.1} days")
    }
}

/// "2026-08-17 (77 days)": the date a failing streak began and its age at this scan; the
/// first run of the history shows "first run".
fn since_text(since: &str, scan_time: &str) -> String {
    let date = since.get(..10).unwrap_or(since);
    if since == scan_time {
        return format!("{date} (this run)");
    }
    let days = crate::support::timestamp::parse(since)
        .zip(crate::support::timestamp::parse(scan_time))
        .map(|(a, b)| ((b - a).as_seconds_f64() / 86_400.0 * 10.0).round() / 10.0);
    match days {
        Some(d) => format!("{date} ({})", days_text(d)),
        None => date.to_string(),
    }
}

/// Reading order of statuses: failures first, not applicable last.
fn status_rank(s: Status) -> u8 {
    match s {
        Status::Fail => 0,
        Status::NotAssessed => 1,
        Status::Suppressed => 2,
        Status::Pass => 3,
        Status::NotApplicable => 4,
    }
}

fn rank(f: &Finding) -> (u8, Severity, std::sync::Arc<str>, String) {
    (
        status_rank(f.status),
        f.severity,
        f.check_id.clone(),
        f.resource_id.to_ascii_lowercase(),
    )
}

/// Evidence characters per finding in the printed appendix.
const EVIDENCE_PRINT_CHARS: usize = 500;

/// Findings listed per area in the HTML report: failures first; the rest are counted. Large
/// estates get every finding in results.json/SARIF/JUnit; the HTML stays readable and small.
pub const HTML_PER_AREA: usize = 300;

/// Subscriptions named in the incomplete-evidence warnings; beyond them a count (an estate of
/// hundreds of subscriptions would otherwise open its report with a wall of ids).
pub const SUBS_NAMED: usize = 20;

/// Build the view. `limit` caps how many findings are listed in all (failures first); the rest
/// are counted as hidden so the report can say so.
pub fn build(r: &Results, limit: usize) -> View {
    build_with(r, limit, usize::MAX, false)
}

/// Like [`build`], also capping the findings listed per area.
pub fn build_with(r: &Results, limit: usize, per_area: usize, failures_only: bool) -> View {
    build_sorted(
        r,
        &in_report_order(r, failures_only),
        limit,
        per_area,
        failures_only,
    )
}

/// The findings a report lists (failures only, or all), worst first.
pub fn in_report_order(r: &Results, failures_only: bool) -> Vec<&Finding> {
    let mut sorted: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| !failures_only || f.status == Status::Fail)
        .collect();
    sorted.sort_by_cached_key(|f| rank(f));
    sorted
}

/// [`build_with`] over findings already in [`in_report_order`] (report.md tries several limits
/// on one sort: a million findings are not sorted again for each).
pub fn build_sorted(
    r: &Results,
    sorted: &[&Finding],
    limit: usize,
    per_area: usize,
    failures_only: bool,
) -> View {
    let names = r.subscription_names();
    let currency = r.currency();

    let mut shown = 0usize;
    let mut areas = Vec::new();
    let gaps_by_area = &r.cost.gaps.by_area;
    for area in AREAS {
        let in_area: Vec<&&Finding> = sorted.iter().filter(|f| &*f.area == area).collect();
        if in_area.is_empty() {
            continue;
        }
        let counts = r.summary.by_area.get(area).cloned().unwrap_or_default();
        let mut list = Vec::new();
        let mut hidden = 0;
        for f in &in_area {
            if shown < limit && list.len() < per_area {
                list.push(finding_view(r, f, &names, !failures_only));
                shown += 1;
            } else {
                hidden += 1;
            }
        }
        let score = counts.score();
        areas.push(AreaView {
            area: area.to_string(),
            title: area_title(area),
            score,
            score_label: score
                .map(|s| format!("{s}%"))
                .unwrap_or_else(|| "n/a".into()),
            bar: score.unwrap_or(0),
            pass: counts.pass,
            fail: counts.fail,
            not_assessed: counts.not_assessed,
            not_applicable: counts.not_applicable,
            suppressed: counts.suppressed,
            gap_cost: gaps_by_area
                .get(area)
                .map(|v| money(currency, *v))
                .unwrap_or_default(),
            findings: list,
            hidden,
        });
    }

    let max_sev = Severity::ALL
        .iter()
        .map(|s| r.summary.by_severity.get(s.as_str()).copied().unwrap_or(0))
        .max()
        .unwrap_or(0)
        .max(1);
    let severities = Severity::ALL
        .iter()
        .map(|s| {
            let count = r.summary.by_severity.get(s.as_str()).copied().unwrap_or(0);
            SeverityRow {
                severity: s.as_str(),
                count,
                bar: ((count as f64 / max_sev as f64) * 100.0).round() as u32,
            }
        })
        .collect();

    let total = crate::model::StatusCounts {
        pass: r.summary.pass,
        fail: r.summary.fail,
        not_assessed: r.summary.not_assessed,
        not_applicable: r.summary.not_applicable,
        suppressed: r.summary.suppressed,
    };

    let cost = cost_view(r, currency);
    let per_sub = counts_per_subscription(r);
    let sub_view = |s: &crate::inventory::SubscriptionRef| {
        let c = per_sub
            .get(&s.id.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default();
        SubView {
            id: s.id.clone(),
            name: s.name.clone(),
            state: s.state.clone(),
            fail: c.fail,
            not_assessed: c.not_assessed,
            pass: c.pass,
            not_applicable: c.not_applicable,
            suppressed: c.suppressed,
        }
    };
    let not_assessed: Vec<SubView> = r
        .subscriptions_not_assessed()
        .into_iter()
        .map(sub_view)
        .collect();
    View {
        tool: r.tool.name.clone(),
        version: r.tool.version.clone(),
        tenant_id: r.tenant_id.clone().unwrap_or_else(|| "unknown".into()),
        started_at: r.started_at.clone(),
        finished_at: r.finished_at.clone(),
        baseline: format!(
            "{} {} ({} checks)",
            r.baseline.name, r.baseline.version, r.baseline.checks
        ),
        score: total.score(),
        totals: Totals {
            pass: total.pass,
            fail: total.fail,
            not_assessed: total.not_assessed,
            not_applicable: total.not_applicable,
            suppressed: total.suppressed,
        },
        severities,
        areas,
        subscriptions: r.scope.subscriptions.iter().map(sub_view).collect(),
        subscriptions_not_assessed_listed: not_assessed.iter().take(SUBS_NAMED).cloned().collect(),
        subscriptions_not_assessed_more: not_assessed.len().saturating_sub(SUBS_NAMED),
        subscriptions_not_assessed: not_assessed,
        cost,
        errors: r
            .errors
            .iter()
            .map(|e| ErrorView {
                scope: e.scope.clone(),
                operation: e.operation.clone(),
                status: e
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                code: e.code.clone().unwrap_or_default(),
                message: e.message.clone(),
            })
            .collect(),
        suppressed: sorted
            .iter()
            .filter(|f| f.status == Status::Suppressed)
            .map(|f| finding_view(r, f, &names, !failures_only))
            .collect(),
        suppression_notes: r
            .suppression_notes
            .iter()
            .filter_map(|n| serde_json::to_value(n).ok())
            .collect(),
        // Every list present (results.json leaves empty ones out; strict templates need them).
        drift: r.drift.as_ref().and_then(|d| {
            let mut v = serde_json::to_value(d).ok()?;
            if let Some(o) = v.as_object_mut() {
                for k in [
                    "new",
                    "resolved_items",
                    "no_longer_assessed",
                    "newly_suppressed",
                    "check_removed",
                    "no_longer_in_scope",
                ] {
                    o.entry(k).or_insert_with(|| Value::Array(Vec::new()));
                }
            }
            Some(v)
        }),
        frameworks: r
            .frameworks
            .iter()
            .map(|f| {
                use crate::model::frameworks::ControlStatus as C;
                FrameworkView {
                    name: f.name.clone(),
                    summary: format!(
                        "{} of {} controls met, {} not met, {} not assessed, {} not covered by logposture",
                        f.met,
                        f.controls.len(),
                        f.not_met,
                        f.not_assessed,
                        f.not_covered
                    ),
                    controls: f
                        .controls
                        .iter()
                        .map(|c| ControlView {
                            id: c.id.clone(),
                            title: c.title.clone(),
                            checks: c.checks.join(", "),
                            note: c.note.clone().unwrap_or_default(),
                            status: c.status.label(),
                            class: match c.status {
                                C::NotMet => "fail",
                                C::NotAssessed => "na",
                                C::Met => "pass",
                                C::NotApplicable | C::NotCovered => "none",
                            },
                        })
                        .collect(),
                }
            })
            .collect(),
        statement: statement_view(r),
        fix_first: fix_first(r, &names, currency),
        trend: r.trend.as_ref().and_then(super::trend::view),
        owner_tag: r.owner_tag.clone().unwrap_or_default(),
        owners: owner_rows(r),
        matrix: matrix_view(r),
        page_header: css_safe(&format!(
            "logposture — tenant {}",
            r.tenant_id.as_deref().unwrap_or("unknown")
        )),
        page_date: css_safe(&r.finished_at),
        findings_total: sorted.len(),
        findings_shown: shown,
        truncated: shown < sorted.len(),
        gating_note: String::new(),
    }
}

/// Letters, digits, spaces and `-:.—` only: nothing that could end a CSS string.
fn css_safe(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " -:.—".contains(*c))
        .take(120)
        .collect()
}

fn counts_per_subscription(r: &Results) -> BTreeMap<String, crate::model::StatusCounts> {
    let mut m: BTreeMap<String, crate::model::StatusCounts> = BTreeMap::new();
    for f in &r.findings {
        if let Some(s) = &f.subscription_id {
            m.entry(s.to_ascii_lowercase()).or_default().add(f.status);
        }
    }
    m
}

fn statement_view(r: &Results) -> StatementView {
    let st = &r.statement;
    let subs = r.scope.subscriptions.len();
    let mut scope = match &r.scope.management_group {
        Some(g) => format!("management group {g}: {subs} subscription(s)"),
        None => format!("{subs} subscription(s)"),
    };
    scope.push_str(&format!(
        " in tenant {} ({} cloud)",
        r.tenant_id.as_deref().unwrap_or("unknown"),
        if st.cloud.is_empty() {
            "public"
        } else {
            st.cloud.as_str()
        }
    ));
    let identity = match &st.identity {
        Some(i) => {
            let mut parts = vec![i.kind.clone()];
            if let Some(n) = &i.app_name {
                parts.push(n.clone());
            }
            if let Some(u) = &i.user {
                parts.push(u.clone());
            }
            if let Some(a) = &i.app_id {
                parts.push(format!("app id {a}"));
            }
            if let Some(o) = &i.object_id {
                parts.push(format!("object id {o}"));
            }
            if let Some(t) = &i.tenant_id {
                parts.push(format!("tenant {t}"));
            }
            parts.join(", ")
        }
        None => "not recorded (the access token was not a readable JWT, or the results predate this field)".into(),
    };
    let c = &st.coverage;
    let coverage = format!(
        "{} of {} subscription(s) read, {} with incomplete evidence; {} request(s), {} failed read(s), {} throttled (429), {} retried; collection took {}",
        c.subscriptions_read,
        c.subscriptions_in_scope,
        c.subscriptions_incomplete,
        c.requests,
        c.failed_reads,
        c.throttled,
        c.retries,
        duration_text(c.duration_ms)
    );
    StatementView {
        scope,
        identity,
        roles: st.roles_needed.clone(),
        tool: format!("{} {}", r.tool.name, r.tool.version),
        baseline: format!(
            "{} {} ({} checks enabled){}",
            r.baseline.name,
            r.baseline.version,
            r.baseline.checks,
            if r.baseline.overrides.is_empty() {
                String::new()
            } else {
                format!(", with {}", r.baseline.overrides.join(", "))
            }
        ),
        baseline_sha256: r.baseline.sha256.clone(),
        baseline_modified: r.baseline.modified,
        baseline_changes: r.baseline.changes.clone(),
        disabled: r.baseline.disabled.join(", "),
        suppressions: st.suppressions.clone(),
        coverage,
        scan_window: format!("{} – {}", r.started_at, r.finished_at),
        generated_at: st.generated_at.clone(),
        warnings: st.warnings.clone(),
    }
}

fn duration_text(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{}.{}s", s, (ms % 1000) / 100)
    }
}

/// The control matrix: one row per check (baseline order), one column per subscription and
/// one for tenant-level findings. A cell's status is its worst finding's; the label counts.
fn matrix_view(r: &Results) -> MatrixView {
    let mut columns: Vec<(String, MatrixColumn)> = r
        .scope
        .subscriptions
        .iter()
        .map(|s| {
            (
                s.id.to_ascii_lowercase(),
                MatrixColumn {
                    label: s.name.clone(),
                    title: s.id.clone(),
                },
            )
        })
        .collect();
    let has_tenant = r
        .findings
        .iter()
        .any(|f| f.subscription_id.is_none() && f.resource_id != "/");
    if has_tenant {
        columns.push((
            String::new(),
            MatrixColumn {
                label: "Tenant".into(),
                title: "tenant-level (Entra ID)".into(),
            },
        ));
    }
    let mut controls: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for fw in r.frameworks.iter().filter(|f| f.id.starts_with("cis")) {
        for c in &fw.controls {
            for id in &c.checks {
                controls
                    .entry(id.to_ascii_uppercase())
                    .or_default()
                    .push(c.id.clone());
            }
        }
    }
    let mut order: Vec<String> = Vec::new();
    let mut cells: BTreeMap<(String, String), crate::model::StatusCounts> = BTreeMap::new();
    let mut meta: BTreeMap<String, (String, &'static str)> = BTreeMap::new();
    for f in &r.findings {
        if !meta.contains_key(&*f.check_id) {
            order.push(f.check_id.to_string());
            meta.insert(
                f.check_id.to_string(),
                (f.title.to_string(), f.severity.as_str()),
            );
        }
        let col = f
            .subscription_id
            .as_deref()
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        cells
            .entry((f.check_id.to_string(), col))
            .or_default()
            .add(f.status);
    }
    let rows = order
        .into_iter()
        .map(|id| {
            let (title, severity) = meta.get(&id).cloned().unwrap_or_default();
            MatrixRow {
                controls: controls
                    .get(&id.to_ascii_uppercase())
                    .map(|c| c.join(", "))
                    .unwrap_or_default(),
                cells: columns
                    .iter()
                    .map(|(key, _)| matrix_cell(cells.get(&(id.clone(), key.clone()))))
                    .collect(),
                check_id: id,
                title,
                severity,
            }
        })
        .collect();
    MatrixView {
        columns: columns.into_iter().map(|(_, c)| c).collect(),
        rows,
    }
}

fn matrix_cell(c: Option<&crate::model::StatusCounts>) -> MatrixCell {
    let Some(c) = c else {
        return MatrixCell {
            class: "none",
            label: "–".into(),
        };
    };
    let class = if c.fail > 0 {
        "fail"
    } else if c.not_assessed > 0 {
        "not_assessed"
    } else if c.pass > 0 {
        "pass"
    } else if c.suppressed > 0 {
        "suppressed"
    } else {
        "not_applicable"
    };
    let mut parts = Vec::new();
    for (n, what) in [
        (c.fail, "fail"),
        (c.not_assessed, "not assessed"),
        (c.pass, "pass"),
        (c.suppressed, "supp."),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if parts.is_empty() {
        parts.push("not applicable".into());
    }
    MatrixCell {
        class,
        label: parts.join(" · "),
    }
}

/// Whole months between a `YYYY-MM` price date and an RFC 3339 report time.
fn months_between(model_date: &str, generated_at: &str) -> Option<i64> {
    let ym = |s: &str| -> Option<i64> {
        let y: i64 = s.get(0..4)?.parse().ok()?;
        let m: i64 = s.get(5..7)?.parse().ok()?;
        Some(y * 12 + m - 1)
    };
    Some(ym(generated_at)? - ym(model_date)?)
}

fn backtest_view(b: &crate::model::cost::Backtest) -> BacktestView {
    let gb = |x: f64| format!("{x:.3}");
    BacktestView {
        lines: b
            .by_data_type()
            .into_iter()
            .map(|l| BacktestLine {
                kind: crate::model::cost::Kind::label_of(&l.kind).to_string(),
                predicted: gb(l.predicted_gb_per_day),
                measured: gb(l.measured_gb_per_day),
                ratio: match l.ratio {
                    Some(r) if l.measured_gb_per_day > 0.0 => format!("{r:.2}×"),
                    Some(_) => "nothing measured".into(),
                    None => "—".into(),
                },
                basis: l.basis,
                data_type: l.data_type,
            })
            .collect(),
        median_error: b
            .median_abs_error_percent
            .map(|e| format!("{e:.0}%"))
            .unwrap_or_else(|| "n/a (nothing to compare)".into()),
        calibration: b
            .calibration
            .iter()
            .map(|c| {
                if c.applied {
                    format!("{}: measured {:.3} GB/day where the model predicted {:.3}: gap estimates of this kind are multiplied by {:.2} (calibrated from your estate).", c.label, c.measured_gb_per_day, c.predicted_gb_per_day, c.factor)
                } else {
                    format!("{}: the model is within {:.0}% of what was measured ({:.2}×): gap estimates use the model as is.", c.label, b.tolerance_percent, c.factor)
                }
            })
            .collect(),
        not_compared: b.not_compared.clone(),
    }
}

/// The failing findings the cost to close does not price: Defender plans (billed per server,
/// resource or core, not by log volume) and gaps whose volume is unknown.
fn not_included(r: &Results) -> String {
    let failing = r.findings.iter().filter(|f| f.status == Status::Fail);
    let (mut defender, mut unknown) = (0, 0);
    for f in failing {
        match &f.cost {
            None if &*f.area == "defender" => defender += 1,
            Some(c) if c.method == "not_measured" => unknown += 1,
            _ => {}
        }
    }
    let mut parts = Vec::new();
    if defender > 0 {
        parts.push(format!(
            "Defender plans ({defender} failing finding(s): billed per server or resource, not per GB)"
        ));
    }
    if unknown > 0 {
        parts.push(format!("{unknown} gap(s) of unknown volume"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("Not included: {}.", parts.join(" and "))
    }
}

pub fn cost_view(r: &Results, currency: &str) -> Option<CostView> {
    let c = &r.cost;
    let max = c
        .gaps
        .by_area
        .values()
        .copied()
        .fold(0.0f64, f64::max)
        .max(1.0);
    let tier = |t: &TierChoice| -> String {
        let name = if t.tier.is_empty() {
            "pay-as-you-go"
        } else {
            t.tier.as_str()
        };
        if t.saving_usd_per_month > 0.0 {
            format!(
                "{name}: {} per month (saves {})",
                money(currency, t.usd_per_month),
                money(currency, t.saving_usd_per_month)
            )
        } else {
            format!("{name}: {} per month", money(currency, t.usd_per_month))
        }
    };
    Some(CostView {
        currency: currency.to_string(),
        measured_month: money(currency, c.measured.usd_per_month),
        measured_gb_day: format!("{:.2}", c.measured.gb_per_day),
        gaps_month: money(currency, c.gaps.usd_per_month),
        gaps_gb_day: format!("{:.2}", c.gaps.gb_per_day),
        workspaces_not_measured: c.measured.workspaces_not_measured as u64,
        commitment_current: tier(&c.commitment.current),
        commitment_with_gaps: tier(&c.commitment.with_gaps_closed),
        entra_users: format!("{} ({})", c.entra_users.count, c.entra_users.source),
        by_area: c
            .gaps
            .by_area
            .iter()
            .map(|(a, v)| CostBar {
                area: area_title(a).to_string(),
                amount: money(currency, *v),
                bar: ((v / max) * 100.0).round() as u32,
            })
            .collect(),
        workspaces: c.measured.workspaces.clone(),
        prices_dated: {
            let age = match months_between(&c.model_date, &r.statement.generated_at) {
                Some(n) if n > 0 => format!("Prices as of {} ({n} month(s) before this report): check them against the pricing pages.", c.model_date),
                _ => format!("Prices as of {}.", c.model_date),
            };
            if c.price_source.is_empty() {
                age
            } else {
                format!("{age} Source: {}.", c.price_source)
            }
        },
        backtest: backtest_view(&c.backtest),
        workspace_tiers: c
            .workspace_tiers
            .iter()
            .map(|w| WorkspaceTierRow {
                name: w.name.clone(),
                sentinel: match w.sentinel {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "unknown".into(),
                },
                today_gb_day: if w.measured {
                    format!("{:.2}", w.measured_gb_per_day)
                } else {
                    "not measured".into()
                },
                gaps_gb_day: format!("{:.2}", w.gaps_gb_per_day),
                current: if w.measured {
                    tier(&w.current)
                } else {
                    "unknown: not measured".into()
                },
                with_gaps: if w.measured {
                    tier(&w.with_gaps_closed)
                } else {
                    format!(
                        "{} for the gaps alone (today's volume not measured)",
                        tier(&w.with_gaps_closed)
                    )
                },
                tier_wins: w.with_gaps_closed.saving_usd_per_month > 0.0,
            })
            .collect(),
        cheaper_plans: r
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .filter_map(|f| {
                let c = f.cost.as_ref()?;
                let p = c.basic_plan.as_ref()?;
                Some(PlanRow {
                    check_id: f.check_id.to_string(),
                    resource_name: crate::inventory::last_segment(&f.resource_id),
                    tables: p.tables.join(", "),
                    analytics: money(currency, c.usd_per_month),
                    basic: money(currency, p.usd_per_month),
                    saving: money(currency, round2(c.usd_per_month - p.usd_per_month)),
                })
            })
            .collect(),
        basic_gives_up: c.plans.basic_gives_up.clone(),
        auxiliary: c.plans.auxiliary.clone(),
        plans_source: c.plans.source.clone(),
        not_included: not_included(r),
        waterfall: c
            .waterfall
            .iter()
            .map(|w| WaterfallRow {
                label: match &w.area {
                    Some(a) => format!("+ closing the {} gaps", area_title(a)),
                    None => w.label.clone(),
                },
                amount: match w.kind.as_str() {
                    "add" => format!("+{}", money(currency, w.usd_per_month)),
                    "saving" => format!("−{}", money(currency, -w.usd_per_month)),
                    _ => money(currency, w.usd_per_month),
                },
                basis: w.basis.clone(),
                kind: w.kind.clone(),
            })
            .collect(),
    })
}
