//! Findings and results: the model every renderer reads. `results.json` (schema_version 1) is
//! this struct serialised; its field names are the external contract.

use crate::inventory::{ReadError, SubscriptionRef, ToolInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

pub mod attribution;
pub mod cost;
pub mod evidence;
pub mod frameworks;
pub mod gap;
pub mod history;
pub mod output;
pub mod placeholders;
pub mod policy;

pub const RESULTS_SCHEMA_VERSION: u32 = 1;

/// The owner of findings whose resource lacks the `--owner-tag` tag.
pub const NO_OWNER: &str = "no owner";

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Fail,
    NotAssessed,
    Pass,
    Suppressed,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NotAssessed => "not_assessed",
            Status::NotApplicable => "not_applicable",
            Status::Suppressed => "suppressed",
        }
    }
}

/// Ordered from most to least severe, so `Critical < High` in comparisons.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// True when `self` is as severe as `threshold` or more.
    pub fn at_least(self, threshold: Severity) -> bool {
        self <= threshold
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Ok(Severity::Critical),
            "high" => Ok(Severity::High),
            "medium" => Ok(Severity::Medium),
            "low" => Ok(Severity::Low),
            "info" => Ok(Severity::Info),
            other => Err(format!(
                "unknown severity {other:?} (expected critical, high, medium, low or info)"
            )),
        }
    }
}

/// The areas of the contract, in report order.
pub const AREAS: [&str; 11] = [
    "activity-log",
    "resource-logs",
    "entra-logs",
    "flow-logs",
    "network-watcher",
    "retention",
    "security-events",
    "defender",
    "log-storage",
    "alerts",
    "arrival",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuppressionInfo {
    pub reason: String,
    pub owner: String,
    pub expires: String,
    /// Where the suppression was written: file and line.
    pub source: String,
}

/// What closing a logging gap would add: volume and monthly cost, and how it was worked out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CostEstimate {
    pub gb_per_day: f64,
    pub usd_per_month: f64,
    /// `measured`, `calibrated` or `model`; `none` (the fix adds nothing to the bill, basis
    /// says why), `included` (the volume is priced once, on the finding `included_in` names)
    /// or `not_measured` (unknown).
    pub method: String,
    /// One sentence: which figures and counts the estimate rests on.
    pub basis: String,
    /// The part of `gb_per_day` ingested into Log Analytics (what commitment tiers price);
    /// flow-log collection and retention are not.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub analytics_gb_per_day: f64,
    /// The workspace the new data would land in (what its commitment tier and Sentinel
    /// charge depend on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// The same gap closed with the cheaper Basic table plan for the tables that accept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_plan: Option<PlanOption>,
    /// Where this gap's volume is priced when another finding asks for the same data (the
    /// same resource's logs, the VNet flow log that also covers an NSG): `CHECK on RESOURCE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub included_in: Option<String>,
}

/// A cheaper table plan for a gap: its monthly cost, the tables it applies to, what it gives up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlanOption {
    pub plan: String,
    pub usd_per_month: f64,
    pub tables: Vec<String>,
    pub gives_up: String,
    pub source: String,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// A finding in memory; a results.json holds it as [`output::FindingRecord`], written through
/// [`FindingOut`].
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Check id, title, area, references and policy are the check's own, shared by all its
    /// findings (an estate of 500,000 resources has a million findings of ~90 checks).
    pub check_id: Arc<str>,
    pub title: Arc<str>,
    pub severity: Severity,
    pub area: Arc<str>,
    pub status: Status,
    pub resource_id: String,
    pub subscription_id: Option<String>,
    pub location: Option<String>,
    pub message: String,
    pub evidence: evidence::Evidence,
    /// The check's remediation, shared by its findings. While `remediation_params` is set it
    /// is the check's template, filled in for this finding only when written
    /// ([`Finding::remediation_text`]): a filled copy per finding was ~400 bytes each.
    pub remediation: Arc<str>,
    /// The check's parameters, when `remediation` still holds the template's placeholders.
    pub remediation_params: Option<Arc<toml::Table>>,
    pub references: Arc<[String]>,
    // Boxed: most findings have none, and a million findings are held at once.
    pub suppression: Option<Box<SuppressionInfo>>,
    pub cost: Option<Box<CostEstimate>>,
    /// The built-in Azure Policy that closes this check's gap at scale, when there is one.
    pub azure_policy: Option<Arc<crate::model::policy::AzurePolicy>>,
    /// The resource's Azure tags (owner, cost centre...) as the resource list reported them.
    pub tags: std::collections::BTreeMap<String, String>,
    /// With a history (`--history`): the scan time of the first run of this failing streak.
    pub failing_since: Option<String>,
    /// With a history: a finding that failed before and passes in this run, and how long it
    /// was open.
    pub time_to_fix: Option<Box<crate::model::history::TimeToFix>>,
    /// The logging gap a failing finding reports, for the estimator; not serialised.
    pub gap: Option<Box<crate::model::gap::Gap>>,
    /// What the resource already sends, for the estimator's back-test; not serialised.
    pub collects: Option<Box<crate::model::gap::Collects>>,
}

/// A finding as every JSON output writes it (results.json, and read back by
/// [`output::FindingRecord`]): the remediation filled in, the evidence as its JSON.
#[derive(Serialize)]
struct FindingOut<'a> {
    check_id: &'a str,
    title: &'a str,
    severity: Severity,
    area: &'a str,
    status: Status,
    resource_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_id: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: &'a Option<String>,
    message: &'a str,
    evidence: &'a evidence::Evidence,
    remediation: std::borrow::Cow<'a, str>,
    references: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: &'a Option<Box<SuppressionInfo>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: &'a Option<Box<CostEstimate>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    azure_policy: &'a Option<Arc<crate::model::policy::AzurePolicy>>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    tags: &'a std::collections::BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failing_since: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_to_fix: &'a Option<Box<crate::model::history::TimeToFix>>,
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Every field named: a new one fails to compile here until it is written (or skipped).
        let Finding {
            check_id,
            title,
            severity,
            area,
            status,
            resource_id,
            subscription_id,
            location,
            message,
            evidence,
            remediation: _,
            remediation_params: _,
            references,
            suppression,
            cost,
            azure_policy,
            tags,
            failing_since,
            time_to_fix,
            gap: _,
            collects: _,
        } = self;
        FindingOut {
            check_id,
            title,
            severity: *severity,
            area,
            status: *status,
            resource_id,
            subscription_id,
            location,
            message,
            evidence,
            remediation: self.remediation_text(),
            references,
            suppression,
            cost,
            azure_policy,
            tags,
            failing_since,
            time_to_fix,
        }
        .serialize(s)
    }
}

impl Finding {
    /// The remediation as the user reads it: the check's text with this finding's resource,
    /// evidence and the check's parameters filled in.
    pub fn remediation_text(&self) -> std::borrow::Cow<'_, str> {
        match &self.remediation_params {
            Some(params) => placeholders::fill_remediation(&self.remediation, self, params).into(),
            None => std::borrow::Cow::Borrowed(&self.remediation),
        }
    }

    /// Attach the gap this finding reports, when it failed.
    pub fn gap_if_failed(mut self, gap: impl FnOnce() -> crate::model::gap::Gap) -> Self {
        if self.status == Status::Fail {
            self.gap = Some(Box::new(gap()));
        }
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusCounts {
    pub pass: usize,
    pub fail: usize,
    pub not_assessed: usize,
    pub not_applicable: usize,
    pub suppressed: usize,
}

impl StatusCounts {
    pub fn add(&mut self, s: Status) {
        match s {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::NotAssessed => self.not_assessed += 1,
            Status::NotApplicable => self.not_applicable += 1,
            Status::Suppressed => self.suppressed += 1,
        }
    }
    /// Passed share of assessed findings, 0–100; None when nothing was assessed.
    pub fn score(&self) -> Option<u32> {
        let assessed = self.pass + self.fail;
        (assessed > 0).then(|| ((self.pass as f64 / assessed as f64) * 100.0).round() as u32)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub not_assessed: usize,
    pub not_applicable: usize,
    pub suppressed: usize,
    pub by_area: BTreeMap<String, StatusCounts>,
    /// Unsuppressed failures per severity.
    pub by_severity: BTreeMap<String, usize>,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Self {
        let mut total = StatusCounts::default();
        let mut by_area: BTreeMap<String, StatusCounts> = BTreeMap::new();
        let mut by_severity: BTreeMap<String, usize> = Severity::ALL
            .iter()
            .map(|s| (s.as_str().to_string(), 0))
            .collect();
        for f in findings {
            total.add(f.status);
            by_area.entry(f.area.to_string()).or_default().add(f.status);
            if f.status == Status::Fail {
                *by_severity
                    .entry(f.severity.as_str().to_string())
                    .or_default() += 1;
            }
        }
        Self {
            pass: total.pass,
            fail: total.fail,
            not_assessed: total.not_assessed,
            not_applicable: total.not_applicable,
            suppressed: total.suppressed,
            by_area,
            by_severity,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ResultsScope {
    pub subscriptions: Vec<SubscriptionRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineInfo {
    pub name: String,
    pub version: String,
    pub checks: usize,
    /// Baseline files beyond the built-in one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// SHA-256 of the effective baseline: same hash, same rules.
    #[serde(default)]
    pub sha256: String,
    /// True when `--baseline` files changed or added checks.
    #[serde(default)]
    pub modified: bool,
    /// Every change the override files made, with file and line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<BaselineChange>,
    /// Checks the effective baseline disables.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BaselineChange {
    pub check_id: String,
    pub change: String,
}

/// The statement of assessment: what an auditor needs to rely on the report. Scope, timing,
/// tool and baseline are elsewhere in [`Results`]; this adds who scanned with which rights,
/// how complete the reading was and which risks were accepted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Statement {
    /// When the report was produced (the scan window is `started_at`..`finished_at`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub generated_at: String,
    #[serde(default)]
    pub cloud: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<crate::inventory::ScanIdentity>,
    #[serde(default)]
    pub roles_needed: Vec<RoleNeeded>,
    #[serde(default)]
    pub coverage: ReadCoverage,
    /// Every suppression in force or configured, with owner, expiry and state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionListed>,
    /// What a reader must know before relying on the report (shards scanned far apart).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RoleNeeded {
    pub role: String,
    pub scope: String,
    pub reads: String,
}

/// The roles a complete scan needs (README "Roles").
pub fn roles_needed() -> Vec<RoleNeeded> {
    let r = |role: &str, scope: &str, reads: &str| RoleNeeded {
        role: role.into(),
        scope: scope.into(),
        reads: reads.into(),
    };
    vec![
        r("Reader", "each subscription (or a management group above them)", "diagnostic settings, flow logs, workspaces, data collection rules, Defender plans, alerts, storage accounts"),
        r("Log Analytics Reader", "the workspaces", "measured volume (Usage table); without it cost is not measured"),
        r("Reader (Azure role) at /providers/Microsoft.aadiam, or the Security Administrator Entra role", "the tenant", "Entra ID diagnostic settings and their categories"),
    ]
}

/// How complete the reading was, from the collector's own counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReadCoverage {
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
    pub failed_reads: u64,
    pub duration_ms: u64,
    pub subscriptions_in_scope: usize,
    pub subscriptions_read: usize,
    /// Read, but with at least one failed read behind a not-assessed finding.
    pub subscriptions_incomplete: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuppressionListed {
    pub check_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: String,
    pub source: String,
    /// `active` (it matched findings), `expired` or `unmatched`.
    pub state: String,
    pub findings: usize,
}

/// A suppression that no longer applies or never matched: both are worth an auditor's look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SuppressionNote {
    pub check_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub owner: String,
    pub expires: String,
    pub source: String,
    /// `expired` or `unmatched`.
    pub state: String,
}

/// Comparison with a previous `results.json` (`--compare`). A finding that failed before and
/// does not fail now is *resolved* only when it now passes: lost evidence (not assessed), a new
/// suppression, a disabled or removed check, or a resource out of scope is never a fix.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Drift {
    pub previous_finished_at: String,
    pub new_failures: usize,
    /// Failed before, pass now.
    pub resolved: usize,
    pub still_failing: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub new: Vec<DriftItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_items: Vec<DriftItem>,
    /// Failed before, not assessed now (a read failed): unknown, not fixed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_longer_assessed: Vec<DriftItem>,
    /// Failed before, suppressed now: accepted, not fixed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub newly_suppressed: Vec<DriftItem>,
    /// Failed before; the check is disabled or gone from the baseline now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub check_removed: Vec<DriftItem>,
    /// Failed before; the resource is not applicable or not in the results now (deleted,
    /// disabled subscription, out of scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub no_longer_in_scope: Vec<DriftItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DriftItem {
    pub check_id: String,
    pub resource_id: String,
}

/// The evaluated, costed results of one snapshot, in memory. Serialised with the field names
/// of [`output::ResultsFile`], which is what a results.json is read back as.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub started_at: String,
    pub finished_at: String,
    pub tenant_id: Option<String>,
    pub scope: ResultsScope,
    pub baseline: BaselineInfo,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    pub cost: crate::model::cost::CostSummary,
    pub errors: Vec<ReadError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppression_notes: Vec<SuppressionNote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// Each framework's controls (CIS 5.0, MCSB, PCI DSS 4.0.1 req. 10, ISO 27001:2022) judged
    /// from the findings: met, not met, not assessed, not covered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<crate::model::frameworks::FrameworkResult>,
    /// Who scanned with which rights, read coverage, accepted risks.
    #[serde(default)]
    pub statement: Statement,
    /// With a history (`--history`, or the demo's): this run and the ones before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<crate::model::history::Trend>,
    /// `--owner-tag`: the resource tag whose value names the team that owns a finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_tag: Option<String>,
    /// The checks as defined in the effective baseline (rationale and remediation templates,
    /// where each is defined): what SARIF rules and auditors read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CheckInfo {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub area: String,
    pub enabled: bool,
    pub rationale: String,
    /// Generic: `<resource_id>` where a finding has its resource; each finding carries its own.
    pub remediation: String,
    pub references: Vec<String>,
    /// `file:line` of the definition (or its last override).
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_policy: Option<crate::model::policy::AzurePolicy>,
}

impl Results {
    /// Results of one snapshot: its scope and timing, the findings (suppressions and costs
    /// applied), the cost section and every failed read.
    pub fn assemble(
        snapshot: &crate::inventory::Snapshot,
        baseline: BaselineInfo,
        findings: Vec<Finding>,
        cost: crate::model::cost::CostSummary,
        suppression_notes: Vec<SuppressionNote>,
    ) -> Self {
        Results {
            schema_version: RESULTS_SCHEMA_VERSION,
            tool: ToolInfo::current(),
            started_at: snapshot.started_at.clone(),
            finished_at: snapshot.finished_at.clone(),
            tenant_id: snapshot.tenant_id.clone(),
            scope: ResultsScope {
                subscriptions: snapshot.scope.subscriptions.clone(),
                management_group: snapshot.scope.management_group.clone(),
                shard: snapshot.scope.shard.clone(),
            },
            baseline,
            summary: Summary::of(&findings),
            findings,
            cost,
            errors: snapshot.errors.clone(),
            suppression_notes,
            drift: None,
            frameworks: Vec::new(),
            checks: Vec::new(),
            trend: None,
            owner_tag: None,
            statement: Statement {
                warnings: Vec::new(),
                generated_at: String::new(),
                cloud: snapshot.cloud.clone(),
                identity: snapshot.identity.clone(),
                roles_needed: roles_needed(),
                coverage: ReadCoverage {
                    requests: snapshot.stats.requests,
                    retries: snapshot.stats.retries,
                    throttled: snapshot.stats.throttled,
                    failed_reads: snapshot
                        .stats
                        .failed_reads
                        .max(snapshot.errors.len() as u64),
                    duration_ms: snapshot.stats.duration_ms,
                    subscriptions_in_scope: snapshot.scope.subscriptions.len(),
                    subscriptions_read: snapshot
                        .inventory
                        .subscriptions
                        .iter()
                        .filter(|s| s.scanned)
                        .count(),
                    subscriptions_incomplete: 0,
                },
                suppressions: Vec::new(),
            },
        }
        .with_incomplete_count()
    }

    fn with_incomplete_count(mut self) -> Self {
        self.statement.coverage.subscriptions_incomplete = self.subscriptions_not_assessed().len();
        self
    }

    /// Subscription names by lower-cased id, for reports that show names beside ids.
    pub fn subscription_names(&self) -> std::collections::BTreeMap<String, &str> {
        self.scope
            .subscriptions
            .iter()
            .map(|s| (s.id.to_ascii_lowercase(), s.name.as_str()))
            .collect()
    }

    /// The owner of `f` under `--owner-tag`: its resource's value of that tag (the key matched
    /// without case, as Azure does), or `no owner`; None without `--owner-tag`.
    pub fn owner_of(&self, f: &Finding) -> Option<String> {
        let tag = self.owner_tag.as_deref()?;
        Some(
            f.tags
                .iter()
                .find(|(k, v)| k.eq_ignore_ascii_case(tag) && !v.trim().is_empty())
                .map(|(_, v)| v.trim().to_string())
                .unwrap_or_else(|| NO_OWNER.to_string()),
        )
    }

    /// The currency costs are in (`USD` when results predate the field).
    pub fn currency(&self) -> &str {
        if self.cost.currency.is_empty() {
            "USD"
        } else {
            &self.cost.currency
        }
    }

    /// Subscriptions in scope whose evidence is incomplete (a failed read, or never read).
    pub fn subscriptions_not_assessed(&self) -> Vec<&SubscriptionRef> {
        // One pass over the findings (not one per subscription: that grew with the estate
        // squared).
        let flagged: std::collections::HashSet<String> = self
            .findings
            .iter()
            .filter(|f| f.status == Status::NotAssessed)
            .filter_map(|f| {
                let key = f.resource_id.to_ascii_lowercase();
                key.strip_prefix("/subscriptions/")
                    .filter(|id| !id.is_empty() && !id.contains('/'))
                    .map(str::to_string)
            })
            .collect();
        self.scope
            .subscriptions
            .iter()
            .filter(|s| flagged.contains(&s.id.to_ascii_lowercase()))
            .collect()
    }

    /// The contract's exit code: 1 gating failure, 3 incomplete evidence, 0 clean.
    pub fn exit_code(&self, fail_on: impl Into<FailOn>) -> i32 {
        self.exit_status(fail_on.into()).0
    }

    /// The exit code and why, in one line for stderr: which failures gate, what is
    /// incomplete, which suppressions expired.
    pub fn exit_status(&self, fail_on: FailOn) -> (i32, String) {
        let gating: Vec<&Finding> = match fail_on.0 {
            Some(t) => self
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail && f.severity.at_least(t))
                .collect(),
            None => Vec::new(),
        };
        let not_assessed = self
            .findings
            .iter()
            .filter(|f| f.status == Status::NotAssessed)
            .count();
        let expired = self
            .suppression_notes
            .iter()
            .filter(|n| n.state == "expired")
            .count();
        let mut extra = Vec::new();
        if expired > 0 {
            extra.push(format!(
                "{expired} suppression(s) expired: their findings count again"
            ));
        }
        let (code, mut why) = if let (false, Some(t)) = (gating.is_empty(), fail_on.0) {
            let mut checks: Vec<&str> = gating.iter().map(|f| f.check_id.as_ref()).collect();
            checks.dedup();
            let shown = checks
                .iter()
                .take(8)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if checks.len() > 8 { ", ..." } else { "" };
            (
                1,
                format!(
                    "exit 1: {} unsuppressed failure(s) at or above --fail-on {} ({shown}{more})",
                    gating.len(),
                    t.as_str()
                ),
            )
        } else if !self.errors.is_empty() || not_assessed > 0 {
            (
                3,
                format!(
                    "exit 3: evidence incomplete: {} read error(s), {not_assessed} finding(s) not assessed{}",
                    self.errors.len(),
                    match fail_on.0 {
                        Some(t) => format!("; no failure at or above {}", t.as_str()),
                        None => "; failures do not gate (--fail-on none)".into(),
                    }
                ),
            )
        } else {
            (
                0,
                match fail_on.0 {
                    Some(t) => format!(
                        "exit 0: complete evidence, no unsuppressed failure at or above {}",
                        t.as_str()
                    ),
                    None => {
                        "exit 0: complete evidence; failures do not gate (--fail-on none)".into()
                    }
                },
            )
        };
        for e in extra {
            why.push_str("; ");
            why.push_str(&e);
        }
        (code, why)
    }
}

/// `--fail-on`: the lowest severity whose failures give exit 1, or none (report only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailOn(pub Option<Severity>);

impl From<Severity> for FailOn {
    fn from(s: Severity) -> Self {
        FailOn(Some(s))
    }
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s.eq_ignore_ascii_case("none") {
            Ok(FailOn(None))
        } else {
            s.parse::<Severity>()
                .map(|s| FailOn(Some(s)))
                .map_err(|e| format!("{e} (or none: report without gating on failures)"))
        }
    }
}

#[cfg(test)]
impl Finding {
    /// A finding of `check_id` with `status` and nothing else, for unit tests.
    pub(crate) fn for_test(check_id: &str, status: Status) -> Finding {
        Finding {
            check_id: check_id.into(),
            title: "".into(),
            severity: Severity::Low,
            area: "alerts".into(),
            status,
            resource_id: "/subscriptions/x".into(),
            subscription_id: None,
            location: None,
            message: String::new(),
            evidence: serde_json::Value::Null.into(),
            remediation: "".into(),
            remediation_params: None,
            references: Arc::new([]),
            suppression: None,
            cost: None,
            azure_policy: None,
            tags: Default::default(),
            failing_since: None,
            time_to_fix: None,
            gap: None,
            collects: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(remediation: &str, params: Option<toml::Table>) -> Finding {
        Finding {
            resource_id:
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv".into(),
            subscription_id: Some("s".into()),
            evidence: serde_json::json!({"plan": "P2"}).into(),
            remediation: remediation.into(),
            remediation_params: params.map(Arc::new),
            ..Finding::for_test("LP-T-001", Status::Fail)
        }
    }

    /// A finding evaluated here fills its check's template when written; one read back from a
    /// results.json keeps its text as written, even if that text looks like a placeholder
    /// (a resource name is Azure's data: it is never filled in a second time).
    #[test]
    fn remediation_is_filled_from_the_template_only() {
        let text = "az x --resource {resource_id} --days {param.days} --plan {evidence.plan}";
        let params: toml::Table = toml::from_str("days = 90").unwrap();
        let mut f = finding(text, Some(params));
        f.evidence.compact();
        assert_eq!(
            f.remediation_text(),
            "az x --resource /subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv --days 90 --plan P2"
        );
        let written = serde_json::to_value(&f).unwrap();
        assert_eq!(written["remediation"], f.remediation_text().as_ref());
        let read_back = finding("az y --name {resource_id}", None);
        assert_eq!(read_back.remediation_text(), "az y --name {resource_id}");
    }

    #[test]
    fn severity_threshold() {
        assert!(Severity::Critical.at_least(Severity::High));
        assert!(Severity::High.at_least(Severity::High));
        assert!(!Severity::Medium.at_least(Severity::High));
    }
}
