//! What the estimate stage found, as data: the cost summary, per-workspace tiers and the
//! back-test. The arithmetic that fills these is `estimate`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CostSummary {
    pub commitment: Commitment,
    pub currency: String,
    pub entra_users: EntraUserCount,
    pub gaps: GapTotals,
    pub measured: MeasuredTotals,
    pub model_date: String,
    pub priced_region: String,
    /// Where the prices come from: the pricing pages, a --pricing file, or the Retail Prices
    /// API with its region, currency and date.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub price_source: String,
    pub region_factor: f64,
    /// Today's cost, plus each area's gaps, to the cost with every gap closed and the best
    /// pricing for it: lines that add up, each with what it rests on.
    #[serde(default)]
    pub waterfall: Vec<WaterfallStep>,
    /// How good the volume model is on this estate: predicted against measured.
    #[serde(default)]
    pub backtest: Backtest,
    /// Per workspace: today's volume, what the gaps add to it, and the cheapest pricing.
    #[serde(default)]
    pub workspace_tiers: Vec<WorkspaceTier>,
    /// Where the cheaper table plans come from and what they give up.
    #[serde(default)]
    pub plans: PlansNote,
}

/// One workspace's volume with and without the gaps it would receive, and its best pricing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkspaceTier {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentinel: Option<bool>,
    /// Measured today (0 when not measured).
    pub measured_gb_per_day: f64,
    pub measured: bool,
    pub gaps_gb_per_day: f64,
    pub current: TierChoice,
    pub with_gaps_closed: TierChoice,
}

/// The sources behind the Basic/Auxiliary comparison.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PlansNote {
    pub source: String,
    pub basic_gives_up: String,
    pub auxiliary: String,
}

/// One line of the cost waterfall.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WaterfallStep {
    /// `start`, `add`, `total` or `saving`.
    pub kind: String,
    pub label: String,
    /// The area an `add` line is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// The line's amount: a running total for `start` and `total`, a change otherwise.
    pub usd_per_month: f64,
    /// How the figure was reached (measured, calibrated from your estate, model).
    pub basis: String,
}

/// The cheapest way to pay for today's volume, and for the volume with every gap closed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Commitment {
    pub current: TierChoice,
    pub note: String,
    pub with_gaps_closed: TierChoice,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TierChoice {
    pub saving_usd_per_month: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `pay-as-you-go` or `N GB/day commitment`.
    pub tier: String,
    pub usd_per_month: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EntraUserCount {
    pub count: f64,
    /// `flag`, `inferred` (from measured SigninLogs) or `assumed`.
    pub source: String,
}

impl EntraUserCount {
    /// How much the count can be trusted: a flag over an inference over an assumption.
    pub fn rank(&self) -> u8 {
        match self.source.as_str() {
            "flag" => 2,
            "inferred" => 1,
            _ => 0,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GapTotals {
    /// The part of `gb_per_day` ingested into Log Analytics.
    #[serde(default)]
    pub analytics_gb_per_day: f64,
    /// Monthly cost of the failing findings, per area.
    pub by_area: BTreeMap<String, f64>,
    /// How each area's figures were reached (measured, calibrated, model).
    #[serde(default)]
    pub methods_by_area: BTreeMap<String, Vec<String>>,
    pub findings_costed: usize,
    pub gb_per_day: f64,
    pub usd_per_month: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MeasuredTotals {
    pub gb_per_day: f64,
    pub usd_per_month: f64,
    pub workspaces: Vec<WorkspaceCost>,
    pub workspaces_measured: usize,
    pub workspaces_not_measured: usize,
}

/// One workspace's measured billable volume, or why it was not measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkspaceCost {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_type: Option<Vec<TypeVolume>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gb_per_day: Option<f64>,
    pub id: String,
    pub name: String,
    /// `measured` or `not_measured`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd_per_month: Option<f64>,
    /// Onboarded to Microsoft Sentinel (None: could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentinel: Option<bool>,
}

impl WorkspaceCost {
    pub fn is_measured(&self) -> bool {
        self.status == "measured"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TypeVolume {
    pub data_type: String,
    pub gb_per_day: f64,
}

pub const COMMITMENT_NOTE: &str = "Commitment tiers apply per workspace or dedicated cluster: this line assumes the whole volume lands in one; the per-workspace table shows the tier each workspace would take. Discounts apply to the Log Analytics part; Microsoft Sentinel's own commitment tiers are not modelled.";

/// What a prediction scales with: gap estimates of one kind share the estate's ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Entra tables that scale with users (sign-ins, audit, provisioning, risk).
    EntraPerUser,
    /// Entra service-principal and managed-identity sign-ins (scale with workloads).
    EntraWorkload,
    SecurityEvents,
    TrafficAnalytics,
    ResourceLogs,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::EntraPerUser,
        Kind::EntraWorkload,
        Kind::SecurityEvents,
        Kind::TrafficAnalytics,
        Kind::ResourceLogs,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::EntraPerUser => "entra_per_user",
            Kind::EntraWorkload => "entra_workload",
            Kind::SecurityEvents => "security_events",
            Kind::TrafficAnalytics => "traffic_analytics",
            Kind::ResourceLogs => "resource_logs",
        }
    }
    /// The label of a kind by its results.json name.
    pub fn label_of(name: &str) -> &'static str {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .map(Kind::label)
            .unwrap_or("other")
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::EntraPerUser => "Entra ID logs per user",
            Kind::EntraWorkload => "Entra ID workload sign-ins",
            Kind::SecurityEvents => "Windows security events per server",
            Kind::TrafficAnalytics => "Traffic analytics per flow log",
            Kind::ResourceLogs => "Resource logs per resource",
        }
    }
}

/// One data type in one workspace: predicted from the inventory, measured from `Usage`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BacktestRow {
    /// The table (or tables, joined with " + ") compared.
    pub data_type: String,
    pub kind: String,
    pub workspace_id: String,
    pub workspace: String,
    pub predicted_gb_per_day: f64,
    pub measured_gb_per_day: f64,
    /// measured / predicted; absent when nothing was predicted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// What the prediction counted (sources and figures).
    pub basis: String,
    /// A tenant-wide source (Entra): every shard predicts it, `merge` counts it once.
    #[serde(default)]
    pub tenant_level: bool,
}

/// The estate's ratio for one kind of source, and whether gap estimates use it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct KindCalibration {
    pub kind: String,
    pub label: String,
    pub predicted_gb_per_day: f64,
    pub measured_gb_per_day: f64,
    pub factor: f64,
    /// True when the model is off by more than the tolerance, so gap estimates of this kind
    /// are multiplied by `factor`.
    pub applied: bool,
}

/// The `cost.backtest` section of results.json.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Backtest {
    pub rows: Vec<BacktestRow>,
    /// Median over data types (with something measured) of |predicted − measured| / measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_abs_error_percent: Option<f64>,
    pub calibration: Vec<KindCalibration>,
    /// What the back-test could not compare, and why.
    #[serde(default)]
    pub not_compared: Vec<String>,
    pub tolerance_percent: f64,
}

/// One data type aggregated over workspaces, for display.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DataTypeLine {
    pub data_type: String,
    pub kind: String,
    pub workspaces: usize,
    pub predicted_gb_per_day: f64,
    pub measured_gb_per_day: f64,
    pub ratio: Option<f64>,
    pub basis: String,
}
