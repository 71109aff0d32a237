//! What a history (`--history FILE`) adds to the results: since when each failing finding has
//! failed, how long a fixed one stayed open, and the trend over the last runs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A finding that failed in the run before this one and passes now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimeToFix {
    /// Scan time of the first run of the failing streak this run ended.
    pub failing_since: String,
    /// Scan time of this run, the first that saw it pass.
    pub fixed_at: String,
    /// Days between the two, to a tenth.
    pub days: f64,
}

/// The last runs of the same tenant and scope, oldest first, this one last.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Trend {
    pub runs: Vec<TrendRun>,
    /// Runs of this scope the history holds (the trend shows the last ones).
    pub runs_recorded: usize,
    /// Where the history is kept (its file name), or that it is the bundled demo history.
    pub source: String,
    /// True when the earlier runs are the bundled demo history (`scan --demo`), not scans.
    #[serde(default)]
    pub demo: bool,
}

/// One run's totals as the history recorded them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TrendRun {
    pub started_at: String,
    pub fail: usize,
    pub not_assessed: usize,
    pub pass: usize,
    pub suppressed: usize,
    /// Passed share of assessed findings, 0–100 (none when nothing was assessed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u32>,
    /// The same per area.
    pub score_by_area: BTreeMap<String, Option<u32>>,
    /// Monthly cost of closing the gaps that run found.
    pub cost_to_close: f64,
    pub currency: String,
    pub subscriptions: usize,
    /// The effective baseline differs from the run before (checks added, changed or removed):
    /// counts on either side are not like for like.
    #[serde(default)]
    pub baseline_changed: bool,
}
