//! `results.json`, schema_version 1, as a type of its own: what `merge`, `--compare` and the
//! history read back. The in-memory [`Results`] carries what a file never holds (each failing
//! finding's typed gap, what a resource already sends); it is written with the same field
//! names and cannot be read from a file. The contract is written down as a JSON Schema,
//! `src/model/results.schema.json`, generated from this type and checked by the tests.

use super::cost::CostSummary;
use super::frameworks::FrameworkResult;
use super::history::{TimeToFix, Trend};
use super::policy::AzurePolicy;
use super::{
    BaselineInfo, CheckInfo, CostEstimate, Drift, Finding, Results, ResultsScope, Severity,
    Statement, Status, Summary, SuppressionInfo, SuppressionNote,
};
use crate::inventory::{ReadError, ToolInfo};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The schema a results.json follows (its `schema_version` is [`super::RESULTS_SCHEMA_VERSION`]).
pub const RESULTS_SCHEMA: &str = include_str!("results.schema.json");

/// One results.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(title = "logposture results.json", description = "schema_version 1")]
pub struct ResultsFile {
    #[schemars(extend("const" = 1))]
    pub schema_version: u32,
    pub tool: ToolInfo,
    pub started_at: String,
    pub finished_at: String,
    pub tenant_id: Option<String>,
    pub scope: ResultsScope,
    pub baseline: BaselineInfo,
    pub summary: Summary,
    pub findings: Vec<FindingRecord>,
    pub cost: CostSummary,
    pub errors: Vec<ReadError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppression_notes: Vec<SuppressionNote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<Drift>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<FrameworkResult>,
    #[serde(default)]
    pub statement: Statement,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckInfo>,
}

/// One finding as a results.json holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FindingRecord {
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_policy: Option<AzurePolicy>,
    /// The resource's Azure tags (owner, cost centre...) as the resource list reported them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
    /// With a history (`--history`): the scan time of the first run of this failing streak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
    /// With a history: failed in the run before, passes in this one; how long it was open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_fix: Option<TimeToFix>,
}

/// Shares the strings findings repeat (check id, title, area, remediation, references) while
/// results are read back, as evaluation shares them: a merge of many shards holds each once.
#[derive(Default)]
struct Interner {
    // The shared text itself is the key: a text held once, not once as key and once as value
    // (each finding's own remediation text is unique).
    text: std::collections::HashSet<Arc<str>>,
    lists: std::collections::HashMap<Vec<String>, Arc<[String]>>,
    policies: Vec<Arc<AzurePolicy>>,
}

impl Interner {
    fn text(&mut self, s: String) -> Arc<str> {
        if let Some(a) = self.text.get(s.as_str()) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        self.text.insert(a.clone());
        a
    }

    fn list(&mut self, l: Vec<String>) -> Arc<[String]> {
        if let Some(a) = self.lists.get(&l) {
            return a.clone();
        }
        let a: Arc<[String]> = l.clone().into();
        self.lists.insert(l, a.clone());
        a
    }

    fn policy(&mut self, p: AzurePolicy) -> Arc<AzurePolicy> {
        if let Some(a) = self.policies.iter().find(|a| ***a == p) {
            return a.clone();
        }
        let a = Arc::new(p);
        self.policies.push(a.clone());
        a
    }

    /// A finding read back: its gap was priced when it was written (`cost`), so none is kept.
    fn finding(&mut self, r: FindingRecord) -> Finding {
        Finding {
            check_id: self.text(r.check_id),
            title: self.text(r.title),
            severity: r.severity,
            area: self.text(r.area),
            status: r.status,
            resource_id: r.resource_id,
            subscription_id: r.subscription_id,
            location: r.location,
            message: r.message,
            // Compact at once: a merge holds every shard's findings.
            evidence: crate::model::evidence::Evidence::compacted(r.evidence),
            remediation: self.text(r.remediation),
            remediation_params: None,
            references: self.list(r.references),
            suppression: r.suppression.map(Box::new),
            cost: r.cost.map(Box::new),
            azure_policy: r.azure_policy.map(|p| self.policy(p)),
            tags: r.tags,
            failing_since: r.failing_since,
            time_to_fix: r.time_to_fix.map(Box::new),
            gap: None,
            collects: None,
        }
    }
}

impl From<ResultsFile> for Results {
    fn from(f: ResultsFile) -> Self {
        Results {
            schema_version: f.schema_version,
            tool: f.tool,
            started_at: f.started_at,
            finished_at: f.finished_at,
            tenant_id: f.tenant_id,
            scope: f.scope,
            baseline: f.baseline,
            summary: f.summary,
            findings: {
                let mut interner = Interner::default();
                f.findings
                    .into_iter()
                    .map(|r| interner.finding(r))
                    .collect()
            },
            cost: f.cost,
            errors: f.errors,
            suppression_notes: f.suppression_notes,
            drift: f.drift,
            frameworks: f.frameworks,
            statement: f.statement,
            trend: f.trend,
            owner_tag: f.owner_tag,
            checks: f.checks,
        }
    }
}

/// The JSON Schema of [`ResultsFile`], as `results.schema.json` holds it.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ResultsFile);
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}
