//! Findings and results: the model every renderer reads. `results.json` (schema_version 1) is
//! this struct serialised; its field names are the external contract.

use crate::inventory::{ReadError, SubscriptionRef, ToolInfo};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const RESULTS_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
pub const AREAS: [&str; 10] = [
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
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuppressionInfo {
    pub reason: String,
    pub owner: String,
    pub expires: String,
    /// Where the suppression was written: file and line.
    pub source: String,
}

/// What closing a logging gap would add: volume and monthly cost, and how it was worked out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostEstimate {
    pub gb_per_day: f64,
    pub usd_per_month: f64,
    /// `measured`, `calibrated` or `model`.
    pub method: String,
    /// One sentence: which figures and counts the estimate rests on.
    pub basis: String,
    /// The part of `gb_per_day` ingested into Log Analytics (what commitment tiers price);
    /// flow-log collection and retention are not.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub analytics_gb_per_day: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub check_id: String,
    pub title: String,
    pub severity: Severity,
    pub area: String,
    pub status: Status,
    pub resource_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub message: String,
    pub evidence: serde_json::Value,
    pub remediation: String,
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppression: Option<SuppressionInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostEstimate>,
    /// The logging gap a failing finding reports, for the estimator; not serialised.
    #[serde(skip)]
    pub gap: Option<crate::evaluate::gap::Gap>,
}

impl Finding {
    /// Attach the gap this finding reports, when it failed.
    pub fn gap_if_failed(mut self, gap: impl FnOnce() -> crate::evaluate::gap::Gap) -> Self {
        if self.status == Status::Fail {
            self.gap = Some(gap());
        }
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
            by_area.entry(f.area.clone()).or_default().add(f.status);
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultsScope {
    pub subscriptions: Vec<SubscriptionRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BaselineInfo {
    pub name: String,
    pub version: String,
    pub checks: usize,
    /// Baseline files beyond the built-in one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
}

/// A suppression that no longer applies or never matched: both are worth an auditor's look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// `/subscriptions/{id}` of a (lower-cased) resource id.
fn subscription_of(id: &str) -> Option<String> {
    let rest = id.strip_prefix("/subscriptions/")?;
    let sid = rest.split('/').next().filter(|s| !s.is_empty())?;
    Some(format!("/subscriptions/{sid}"))
}

/// Findings of `now` against `prev`, by (check, resource).
pub fn drift(prev: &Results, now: &Results) -> Drift {
    use crate::inventory::id_key;
    use std::collections::{BTreeMap, BTreeSet};
    let key = |f: &Finding| (f.check_id.clone(), id_key(&f.resource_id));
    let statuses: BTreeMap<(String, String), Status> =
        now.findings.iter().map(|f| (key(f), f.status)).collect();
    // A check that is disabled now yields one not-applicable finding on "/".
    let disabled: BTreeSet<&str> = now
        .findings
        .iter()
        .filter(|f| f.resource_id == "/" && f.status == Status::NotApplicable)
        .map(|f| f.check_id.as_str())
        .collect();
    let checks_now: BTreeSet<&str> = now.findings.iter().map(|f| f.check_id.as_str()).collect();
    let item = |(c, r): &(String, String)| DriftItem {
        check_id: c.clone(),
        resource_id: r.clone(),
    };
    let before: BTreeSet<(String, String)> = prev
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(key)
        .collect();
    let mut d = Drift {
        previous_finished_at: prev.finished_at.clone(),
        ..Drift::default()
    };
    for k in &before {
        match statuses.get(k) {
            Some(Status::Fail) => d.still_failing += 1,
            Some(Status::Pass) => d.resolved_items.push(item(k)),
            Some(Status::NotAssessed) => d.no_longer_assessed.push(item(k)),
            Some(Status::Suppressed) => d.newly_suppressed.push(item(k)),
            _ if disabled.contains(k.0.as_str()) || !checks_now.contains(k.0.as_str()) => {
                d.check_removed.push(item(k))
            }
            // The resource is gone from the results because its whole subscription could
            // not be read: not assessed, not out of scope.
            None if subscription_of(&k.1)
                .is_some_and(|s| statuses.get(&(k.0.clone(), s)) == Some(&Status::NotAssessed)) =>
            {
                d.no_longer_assessed.push(item(k))
            }
            Some(Status::NotApplicable) | None => d.no_longer_in_scope.push(item(k)),
        }
    }
    d.new = now
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(key)
        .filter(|k| !before.contains(k))
        .map(|k| item(&k))
        .collect();
    d.new_failures = d.new.len();
    d.resolved = d.resolved_items.len();
    d
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftItem {
    pub check_id: String,
    pub resource_id: String,
}

/// The evaluated, costed results of one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    pub cost: crate::estimate::CostSummary,
    pub errors: Vec<ReadError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppression_notes: Vec<SuppressionNote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    /// Each framework's controls (CIS 5.0, MCSB, PCI DSS 4.0 req. 10, ISO 27001:2022) judged
    /// from the findings: met, not met, not assessed, not covered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<crate::evaluate::frameworks::FrameworkResult>,
}

impl Results {
    /// Results of one snapshot: its scope and timing, the findings (suppressions and costs
    /// applied), the cost section and every failed read.
    pub fn assemble(
        snapshot: &crate::inventory::Snapshot,
        baseline: BaselineInfo,
        findings: Vec<Finding>,
        cost: crate::estimate::CostSummary,
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
        }
    }

    /// Subscriptions in scope whose evidence is incomplete (a failed read, or never read).
    pub fn subscriptions_not_assessed(&self) -> Vec<&SubscriptionRef> {
        self.scope
            .subscriptions
            .iter()
            .filter(|s| {
                let prefix = format!("/subscriptions/{}", s.id).to_ascii_lowercase();
                self.findings.iter().any(|f| {
                    f.status == Status::NotAssessed && f.resource_id.to_ascii_lowercase() == prefix
                })
            })
            .collect()
    }

    /// The contract's exit code: 1 gating failure, 3 incomplete evidence, 0 clean.
    pub fn exit_code(&self, fail_on: Severity) -> i32 {
        let gating = self
            .findings
            .iter()
            .any(|f| f.status == Status::Fail && f.severity.at_least(fail_on));
        if gating {
            return 1;
        }
        let incomplete = !self.errors.is_empty()
            || self
                .findings
                .iter()
                .any(|f| f.status == Status::NotAssessed);
        if incomplete {
            3
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_threshold() {
        assert!(Severity::Critical.at_least(Severity::High));
        assert!(Severity::High.at_least(Severity::High));
        assert!(!Severity::Medium.at_least(Severity::High));
    }
}
