//! The `cost` section of results.json, typed: what every renderer, `merge` and the summary
//! line read. Field names are the results.json contract (schema_version 1).

use super::backtest::Backtest;
use super::model::CostModel;
use super::{best_commitment, round2, round3};
use crate::inventory::id_key;
use crate::results::{Finding, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    pub commitment: Commitment,
    pub currency: String,
    pub entra_users: EntraUserCount,
    pub gaps: GapTotals,
    pub measured: MeasuredTotals,
    pub model_date: String,
    pub priced_region: String,
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlansNote {
    pub source: String,
    pub basic_gives_up: String,
    pub auxiliary: String,
}

impl PlansNote {
    pub fn of(m: &CostModel) -> Self {
        PlansNote {
            source: m.table_plans.cited(),
            basic_gives_up: m.table_plans.basic_gives_up.clone(),
            auxiliary: m.table_plans.auxiliary.clone(),
        }
    }
}

/// One line of the cost waterfall.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Commitment {
    pub current: TierChoice,
    pub note: String,
    pub with_gaps_closed: TierChoice,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TierChoice {
    pub saving_usd_per_month: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `pay-as-you-go` or `N GB/day commitment`.
    pub tier: String,
    pub usd_per_month: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MeasuredTotals {
    pub gb_per_day: f64,
    pub usd_per_month: f64,
    pub workspaces: Vec<WorkspaceCost>,
    pub workspaces_measured: usize,
    pub workspaces_not_measured: usize,
}

/// One workspace's measured billable volume, or why it was not measured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeVolume {
    pub data_type: String,
    pub gb_per_day: f64,
}

pub const COMMITMENT_NOTE: &str = "Commitment tiers apply per workspace or dedicated cluster: this line assumes the whole volume lands in one; the per-workspace table shows the tier each workspace would take. Discounts apply to the Log Analytics part; Microsoft Sentinel's own commitment tiers are not modelled.";

impl GapTotals {
    /// Totals of the failing findings' costs (suppressed findings carry a cost but are not a gap).
    pub fn of(findings: &[Finding]) -> Self {
        let mut t = GapTotals::default();
        for f in findings.iter().filter(|f| f.status == Status::Fail) {
            if let Some(c) = &f.cost {
                t.gb_per_day += c.gb_per_day;
                t.analytics_gb_per_day += c.analytics_gb_per_day;
                t.usd_per_month += c.usd_per_month;
                *t.by_area.entry(f.area.clone()).or_default() += c.usd_per_month;
                let methods = t.methods_by_area.entry(f.area.clone()).or_default();
                if !methods.contains(&c.method) {
                    methods.push(c.method.clone());
                    methods.sort();
                }
                t.findings_costed += 1;
            }
        }
        t.gb_per_day = round3(t.gb_per_day);
        t.analytics_gb_per_day = round3(t.analytics_gb_per_day);
        t.usd_per_month = round2(t.usd_per_month);
        for v in t.by_area.values_mut() {
            *v = round2(*v);
        }
        t
    }
}

impl MeasuredTotals {
    /// Totals over workspaces, each counted once however many inputs list it.
    pub fn of(workspaces: Vec<WorkspaceCost>) -> Self {
        let mut seen = std::collections::BTreeSet::new();
        let workspaces: Vec<WorkspaceCost> = workspaces
            .into_iter()
            .filter(|w| seen.insert(id_key(&w.id)))
            .collect();
        let measured: Vec<&WorkspaceCost> = workspaces.iter().filter(|w| w.is_measured()).collect();
        MeasuredTotals {
            gb_per_day: round3(measured.iter().filter_map(|w| w.gb_per_day).sum()),
            usd_per_month: round2(measured.iter().filter_map(|w| w.usd_per_month).sum()),
            workspaces_measured: measured.len(),
            workspaces_not_measured: workspaces.len() - measured.len(),
            workspaces,
        }
    }
}

impl CostSummary {
    /// The summary of several shards' results (`merge`): workspaces counted once, gap totals
    /// recomputed from the merged findings (a tenant-level finding such as Entra's is in every
    /// shard but costs once), and the commitment tiers chosen again for the merged volume.
    pub fn merge(
        parts: Vec<CostSummary>,
        merged_findings: &[Finding],
        m: &CostModel,
    ) -> Result<CostSummary, String> {
        let currencies: std::collections::BTreeSet<&str> =
            parts.iter().map(|p| p.currency.as_str()).collect();
        if currencies.len() > 1 {
            return Err(format!(
                "the inputs are priced in different currencies ({}); merge results priced the same way",
                currencies.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        let Some(first) = parts.first().cloned() else {
            return Err("nothing to merge".into());
        };
        let entra_users = parts
            .iter()
            .map(|p| p.entra_users.clone())
            .max_by_key(EntraUserCount::rank)
            .unwrap_or_default();
        let parts_backtest: Vec<Backtest> = parts.iter().map(|p| p.backtest.clone()).collect();
        let measured = MeasuredTotals::of(
            parts
                .into_iter()
                .flat_map(|p| p.measured.workspaces)
                .collect(),
        );
        let gaps = GapTotals::of(merged_findings);
        let backtest = Backtest::merge(parts_backtest);
        Ok(CostSummary {
            commitment: Commitment {
                current: best_commitment(measured.gb_per_day, m),
                with_gaps_closed: best_commitment(
                    measured.gb_per_day + gaps.analytics_gb_per_day,
                    m,
                ),
                note: COMMITMENT_NOTE.into(),
            },
            entra_users,
            gaps,
            measured,
            backtest,
            workspace_tiers: Vec::new(),
            ..first
        }
        .with_workspace_tiers(merged_findings, m)
        .with_waterfall())
    }

    /// Per-workspace volumes (measured + the gaps that land there) and the best pricing for
    /// each: a commitment tier is bought per workspace, so the estate-wide figure can mislead.
    pub fn with_workspace_tiers(mut self, findings: &[Finding], m: &CostModel) -> Self {
        let mut gaps: BTreeMap<String, f64> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.status == Status::Fail) {
            if let Some((ws, gb)) = f
                .cost
                .as_ref()
                .and_then(|c| c.workspace_id.as_ref().map(|w| (w, c.analytics_gb_per_day)))
            {
                *gaps.entry(id_key(ws)).or_default() += gb;
            }
        }
        self.workspace_tiers = self
            .measured
            .workspaces
            .iter()
            .map(|w| {
                let today = w.gb_per_day.unwrap_or(0.0);
                let add = round3(gaps.get(&id_key(&w.id)).copied().unwrap_or(0.0));
                WorkspaceTier {
                    id: w.id.clone(),
                    name: w.name.clone(),
                    sentinel: w.sentinel,
                    measured_gb_per_day: today,
                    measured: w.is_measured(),
                    gaps_gb_per_day: add,
                    current: best_commitment(today, m),
                    with_gaps_closed: best_commitment(today + add, m),
                }
            })
            .collect();
        self
    }

    /// The waterfall from today's measured cost through each area's gaps to the cost with every
    /// gap closed and its best pricing. Built from rounded figures so every line adds up.
    pub fn with_waterfall(mut self) -> Self {
        let method_label = |m: &str| match m {
            "measured" => "measured",
            "calibrated" => "calibrated from your estate",
            "not_measured" => "unknown: not measured (counted as 0)",
            _ => "model estimate",
        };
        let not_measured: Vec<&str> = self
            .measured
            .workspaces
            .iter()
            .filter(|w| !w.is_measured())
            .map(|w| w.name.as_str())
            .collect();
        let mut steps = vec![WaterfallStep {
            kind: "start".into(),
            label: "Measured today".into(),
            area: None,
            usd_per_month: round2(self.measured.usd_per_month),
            basis: if not_measured.is_empty() {
                format!(
                    "measured in {} workspace(s)",
                    self.measured.workspaces_measured
                )
            } else {
                format!(
                    "measured in {} workspace(s); not measured, so not included: {}",
                    self.measured.workspaces_measured,
                    not_measured.join(", ")
                )
            },
        }];
        let mut total = round2(self.measured.usd_per_month);
        for area in crate::results::AREAS {
            let Some(usd) = self.gaps.by_area.get(area) else {
                continue;
            };
            let methods = self
                .gaps
                .methods_by_area
                .get(area)
                .map(|m| {
                    m.iter()
                        .map(|x| method_label(x))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            total = round2(total + round2(*usd));
            steps.push(WaterfallStep {
                kind: "add".into(),
                label: format!("+ closing the {area} gaps"),
                area: Some(area.to_string()),
                usd_per_month: round2(*usd),
                basis: methods,
            });
        }
        steps.push(WaterfallStep {
            kind: "total".into(),
            label: "With every gap closed (pay-as-you-go)".into(),
            area: None,
            usd_per_month: total,
            basis: "today plus every area above".into(),
        });
        let tier = &self.commitment.with_gaps_closed;
        if tier.saving_usd_per_month > 0.0 {
            steps.push(WaterfallStep {
                kind: "saving".into(),
                label: format!("− {} instead of pay-as-you-go", tier.tier),
                area: None,
                usd_per_month: -round2(tier.saving_usd_per_month),
                basis: format!(
                    "on the Log Analytics ingestion only ({:.2} GB/day measured + {:.2} GB/day from the gaps)",
                    self.measured.gb_per_day, self.gaps.analytics_gb_per_day
                ),
            });
            total = round2(total - round2(tier.saving_usd_per_month));
        }
        steps.push(WaterfallStep {
            kind: "total".into(),
            label: "Best pricing with every gap closed".into(),
            area: None,
            usd_per_month: total,
            basis: self.commitment.note.clone(),
        });
        self.waterfall = steps;
        self
    }
}
