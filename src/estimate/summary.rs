//! The `cost` section of results.json, typed: what every renderer, `merge` and the summary
//! line read. Field names are the results.json contract (schema_version 1).

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
    /// Monthly cost of the failing findings, per area.
    pub by_area: BTreeMap<String, f64>,
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

pub const COMMITMENT_NOTE: &str = "Commitment tiers apply per workspace or dedicated cluster: this assumes the volume lands in one.";

impl GapTotals {
    /// Totals of the failing findings' costs (suppressed findings carry a cost but are not a gap).
    pub fn of(findings: &[Finding]) -> Self {
        let mut t = GapTotals::default();
        for f in findings.iter().filter(|f| f.status == Status::Fail) {
            if let Some(c) = &f.cost {
                t.gb_per_day += c.gb_per_day;
                t.usd_per_month += c.usd_per_month;
                *t.by_area.entry(f.area.clone()).or_default() += c.usd_per_month;
                t.findings_costed += 1;
            }
        }
        t.gb_per_day = round3(t.gb_per_day);
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
        let measured = MeasuredTotals::of(
            parts
                .into_iter()
                .flat_map(|p| p.measured.workspaces)
                .collect(),
        );
        let gaps = GapTotals::of(merged_findings);
        Ok(CostSummary {
            commitment: Commitment {
                current: best_commitment(measured.gb_per_day, m),
                with_gaps_closed: best_commitment(measured.gb_per_day + gaps.gb_per_day, m),
                note: COMMITMENT_NOTE.into(),
            },
            entra_users,
            gaps,
            measured,
            ..first
        })
    }
}
