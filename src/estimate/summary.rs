//! The `cost` section of results.json, typed: what every renderer, `merge` and the summary
//! line read. Field names are the results.json contract (schema_version 1).

use super::model::CostModel;
use super::{best_commitment, best_commitment_for};
use crate::inventory::id_key;
use crate::model::{Finding, Status};
use crate::support::numbers::{round2, round3};
use std::collections::BTreeMap;

pub use crate::model::cost::*;

impl PlansNote {
    pub fn of(m: &CostModel) -> Self {
        PlansNote {
            source: m.table_plans.cited(),
            basic_gives_up: m.table_plans.basic_gives_up.clone(),
            auxiliary: m.table_plans.auxiliary.clone(),
        }
    }
}

impl GapTotals {
    /// Totals of the failing findings' costs (suppressed findings carry a cost but are not a gap).
    pub fn of(findings: &[Finding]) -> Self {
        let mut t = GapTotals::default();
        for f in findings.iter().filter(|f| f.status == Status::Fail) {
            if let Some(c) = &f.cost {
                t.gb_per_day += c.gb_per_day;
                t.analytics_gb_per_day += c.analytics_gb_per_day;
                t.usd_per_month += c.usd_per_month;
                *t.by_area.entry(f.area.to_string()).or_default() += c.usd_per_month;
                let methods = t.methods_by_area.entry(f.area.to_string()).or_default();
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

/// Why shards' cost sections cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum CostMergeError {
    #[error(
        "the inputs are priced in different currencies ({0}); merge results priced the same way"
    )]
    Currencies(String),
    #[error("nothing to merge")]
    Nothing,
}

impl CostSummary {
    /// The summary of several shards' results (`merge`): workspaces counted once, gap totals
    /// recomputed from the merged findings (a tenant-level finding such as Entra's is in every
    /// shard but costs once), and the commitment tiers chosen again for the merged volume.
    pub fn merge(
        parts: Vec<CostSummary>,
        merged_findings: &[Finding],
        m: &CostModel,
    ) -> Result<CostSummary, CostMergeError> {
        let currencies: std::collections::BTreeSet<&str> =
            parts.iter().map(|p| p.currency.as_str()).collect();
        if currencies.len() > 1 {
            return Err(CostMergeError::Currencies(
                currencies.into_iter().collect::<Vec<_>>().join(", "),
            ));
        }
        let Some(first) = parts.first().cloned() else {
            return Err(CostMergeError::Nothing);
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
                    current: best_commitment_for(today, m, w.sentinel == Some(true)),
                    with_gaps_closed: best_commitment_for(today + add, m, w.sentinel == Some(true)),
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
        for area in crate::model::AREAS {
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
