//! The cost and volume model: `checks/cost-model.toml`, built in, with `--pricing FILE` merged
//! over it figure by figure. Every figure must carry a source.

/// No price, size or count in the cost model comes near this; a larger one is a typo that
/// would print absurd costs.
pub const MAX_FIGURE: f64 = 1e9;

use crate::support::toml_diag::{line_of, toml_error};
use serde::Deserialize;
use std::collections::BTreeMap;

pub const BUILTIN: &str = include_str!("../../checks/cost-model.toml");
pub const BUILTIN_NAME: &str = "checks/cost-model.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub value: f64,
    #[serde(default)]
    pub unit: String,
    pub source: String,
    /// When the source was read or published; required in the built-in model.
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub confidence: String,
    /// The price's meter in the Azure Retail Prices API (`pricing update` reads it).
    #[serde(default)]
    pub retail: Option<RetailMeter>,
}

/// A meter of the Azure Retail Prices API: service, product (where several carry the meter)
/// and meter name, as the API's items name them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetailMeter {
    pub service: String,
    #[serde(default)]
    pub product: Option<String>,
    pub meter: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeVolume {
    pub value: f64,
    pub source: String,
    #[serde(default)]
    pub date: Option<String>,
    /// Resource-specific tables the type writes with `logAnalyticsDestinationType` Dedicated.
    #[serde(default)]
    pub tables: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentTier {
    pub gb_per_day: f64,
    pub discount_percent: f64,
    pub source: String,
    #[serde(default)]
    pub date: Option<String>,
}

/// A Microsoft Sentinel (simplified) commitment tier: its daily price in the model's currency.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentinelCommitmentTier {
    pub gb_per_day: f64,
    pub usd_per_day: f64,
    pub source: String,
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    currency: Option<String>,
    region_factor: Option<f64>,
    priced_region: Option<String>,
    model_date: Option<String>,
    /// Where the prices come from (`pricing update` writes the Retail Prices API, region,
    /// currency and date).
    price_source: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFree {
    types: Vec<String>,
    source: String,
    #[serde(default)]
    date: Option<String>,
}

/// Which tables the cheaper table plans accept, and what they give up, with the source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TablePlans {
    pub source: String,
    pub date: String,
    /// Azure tables that accept the Basic plan.
    pub basic: Vec<String>,
    pub basic_gives_up: String,
    /// Why (or where) the Auxiliary plan applies.
    pub auxiliary: String,
}

impl TablePlans {
    /// The source with the date it was read, as reports cite it.
    pub fn cited(&self) -> String {
        format!("{} (read {})", self.source, self.date)
    }

    pub fn basic_allowed(&self, table: &str) -> bool {
        self.basic.iter().any(|t| t.eq_ignore_ascii_case(table))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    #[serde(default)]
    meta: RawMeta,
    #[serde(default)]
    figure: BTreeMap<String, Figure>,
    #[serde(default)]
    resource_log_mb_day: BTreeMap<String, TypeVolume>,
    #[serde(default)]
    commitment_tier: Vec<CommitmentTier>,
    #[serde(default)]
    sentinel_commitment_tier: Vec<SentinelCommitmentTier>,
    #[serde(default)]
    free_data_types: Option<RawFree>,
    #[serde(default)]
    table_plans: Option<TablePlans>,
}

#[derive(Debug, Clone)]
pub struct CostModel {
    pub currency: String,
    pub region_factor: f64,
    pub priced_region: String,
    pub model_date: String,
    pub price_source: String,
    pub figures: BTreeMap<String, Figure>,
    pub resource_log_mb_day: BTreeMap<String, TypeVolume>,
    pub commitment_tiers: Vec<CommitmentTier>,
    pub sentinel_commitment_tiers: Vec<SentinelCommitmentTier>,
    pub free_data_types: Vec<String>,
    pub free_data_types_source: String,
    pub table_plans: TablePlans,
    /// Files merged over the built-in model.
    pub overrides: Vec<String>,
}

/// Figures the estimator reads whatever the findings: the ingestion prices every priced gap
/// uses (and the commitment tiers' base), the default Entra user count and what the back-test
/// predicts from. The figures each rule kind's gap reads are declared by the kind
/// (`RuleKind::figures`) and checked as [`FigureReader`]s: a missing figure is a load error,
/// never a silent zero.
pub const ESTIMATOR_FIGURES: &[&str] = &[
    "analytics_gb",
    "sentinel_gb",
    "sentinel_simplified_gb",
    "sentinel_classic_tier",
    "basic_gb",
    "entra_default_users",
    // The back-test's predictions.
    "entra_signin_kb_per_event",
    "entra_signin_events_per_user_day",
    "entra_audit_kb_per_event",
    "entra_audit_events_per_user_day",
    "entra_noninteractive_ratio",
    "entra_service_principal_gb_day",
    "entra_managed_identity_gb_day",
    "entra_provisioning_gb_per_user_day",
    "entra_risk_gb_per_user_day",
    "security_events_minimal_gb_day",
    "security_events_common_gb_day",
    "security_events_all_gb_day",
    "flow_log_gb_per_target_day",
    "traffic_analytics_output_ratio",
    "resource_log_default_mb_day",
];

/// Who reads which figures: a rule kind, named with where it is declared.
#[derive(Debug, Clone)]
pub struct FigureReader {
    pub who: String,
    pub figures: &'static [&'static str],
}

#[derive(Debug, thiserror::Error)]
#[error("cost model is not valid:\n{}", .problems.join("\n"))]
pub struct ModelError {
    pub problems: Vec<String>,
}

fn parse(file: &str, text: &str) -> Result<RawModel, ModelError> {
    toml::from_str(text).map_err(|e| ModelError {
        problems: vec![toml_error(file, text, &e)],
    })
}

impl CostModel {
    /// The built-in model with `overrides` (file name, text) merged over it in order; every
    /// figure the estimator and `readers` read must be there.
    pub fn load(
        overrides: &[(String, String)],
        readers: &[FigureReader],
    ) -> Result<Self, ModelError> {
        Self::load_from(BUILTIN_NAME, BUILTIN, overrides, readers)
    }

    /// [`Self::load`] with another base model (`name`, `text`): tests remove figures from it.
    pub fn load_from(
        builtin_name: &str,
        builtin: &str,
        overrides: &[(String, String)],
        readers: &[FigureReader],
    ) -> Result<Self, ModelError> {
        let base = parse(builtin_name, builtin)?;
        let mut m = CostModel {
            currency: base.meta.currency.unwrap_or_else(|| "USD".into()),
            region_factor: base.meta.region_factor.unwrap_or(1.0),
            priced_region: base.meta.priced_region.unwrap_or_default(),
            model_date: base.meta.model_date.unwrap_or_default(),
            price_source: base.meta.price_source.unwrap_or_default(),
            figures: base.figure,
            resource_log_mb_day: base.resource_log_mb_day,
            commitment_tiers: base.commitment_tier,
            sentinel_commitment_tiers: base.sentinel_commitment_tier,
            free_data_types: base
                .free_data_types
                .clone()
                .map(|f| f.types)
                .unwrap_or_default(),
            free_data_types_source: base
                .free_data_types
                .map(|f| match f.date {
                    Some(d) => format!("{} ({d})", f.source),
                    None => f.source,
                })
                .unwrap_or_default(),
            table_plans: base.table_plans.unwrap_or_default(),
            overrides: Vec::new(),
        };
        let mut problems = Vec::new();
        // The built-in model says when each figure was read: reports show how old prices are.
        for (k, f) in &m.figures {
            if f.date.as_deref().is_none_or(|d| d.trim().is_empty()) {
                problems.push(format!("{builtin_name}: figure {k} needs a date"));
            }
        }
        for (file, text) in overrides {
            let raw = match parse(file, text) {
                Ok(r) => r,
                Err(e) => {
                    problems.extend(e.problems);
                    continue;
                }
            };
            m.overrides.push(file.clone());
            if let Some(c) = raw.meta.currency {
                m.currency = c;
            }
            if let Some(f) = raw.meta.region_factor {
                if !(f.is_finite() && f > 0.0) {
                    let line = text
                        .find("region_factor")
                        .map(|o| line_of(text, o))
                        .unwrap_or(1);
                    problems.push(format!(
                        "{file}:{line}: region_factor must be a positive number"
                    ));
                }
                m.region_factor = f;
            }
            if let Some(r) = raw.meta.priced_region {
                m.priced_region = r;
            }
            if let Some(d) = raw.meta.model_date {
                m.model_date = d;
            }
            if let Some(p) = raw.meta.price_source {
                m.price_source = p;
            }
            for (k, v) in raw.figure {
                let line = text
                    .find(&format!("[figure.{k}]"))
                    .map(|o| line_of(text, o))
                    .unwrap_or(1);
                if !m.figures.contains_key(&k) {
                    problems.push(format!("{file}:{line}: unknown figure {k:?} (see checks/cost-model.toml for the names)"));
                    continue;
                }
                if v.source.trim().is_empty() {
                    problems.push(format!("{file}:{line}: figure {k} needs a source"));
                }
                if !(v.value.is_finite() && (0.0..=MAX_FIGURE).contains(&v.value)) {
                    problems.push(format!(
                        "{file}:{line}: figure {k} must be a number from 0 to {MAX_FIGURE:e}"
                    ));
                }
                m.figures.insert(k, v);
            }
            m.resource_log_mb_day.extend(raw.resource_log_mb_day);
            if !raw.commitment_tier.is_empty() {
                m.commitment_tiers = raw.commitment_tier;
            }
            if !raw.sentinel_commitment_tier.is_empty() {
                m.sentinel_commitment_tiers = raw.sentinel_commitment_tier;
            }
            if let Some(f) = raw.free_data_types {
                m.free_data_types = f.types;
                m.free_data_types_source = f.source;
            }
            if let Some(p) = raw.table_plans {
                m.table_plans = p;
            }
        }
        for name in ESTIMATOR_FIGURES {
            if !m.figures.contains_key(*name) {
                problems.push(format!(
                    "{builtin_name}: figure {name} is missing: the estimator reads it"
                ));
            }
        }
        for r in readers {
            for name in r.figures {
                if !m.figures.contains_key(*name) {
                    problems.push(format!(
                        "{builtin_name}: figure {name} is missing: {} reads it",
                        r.who
                    ));
                }
            }
        }
        for (k, f) in &m.figures {
            if f.source.trim().is_empty() {
                problems.push(format!("figure {k} has no source"));
            }
        }
        if problems.is_empty() {
            Ok(m)
        } else {
            Err(ModelError { problems })
        }
    }

    /// Entra sign-in GB per user per day: events per user × KB per event.
    pub fn entra_signin_gb_per_user_day(&self) -> f64 {
        self.value("entra_signin_events_per_user_day") * self.value("entra_signin_kb_per_event")
            / 1e6
    }

    /// Entra audit GB per user per day: events per user × KB per event.
    pub fn entra_audit_gb_per_user_day(&self) -> f64 {
        self.value("entra_audit_events_per_user_day") * self.value("entra_audit_kb_per_event") / 1e6
    }

    /// Per-GB ingestion price of a workspace: Analytics, plus Microsoft Sentinel's charge on a
    /// workspace onboarded to Sentinel (classic pricing; the simplified rate is the sum).
    /// The per-GB Analytics ingestion price of a workspace: Log Analytics alone, or with
    /// Sentinel its simplified combined price (classic tier: Log Analytics plus the surcharge,
    /// when `sentinel_classic_tier` is 1).
    pub fn ingestion_price(&self, sentinel: bool) -> f64 {
        match (sentinel, self.sentinel_classic()) {
            (false, _) => self.price("analytics_gb"),
            (true, true) => self.price("analytics_gb") + self.price("sentinel_gb"),
            (true, false) => self.price("sentinel_simplified_gb"),
        }
    }

    /// Whether Sentinel workspaces are priced at the classic tier.
    pub fn sentinel_classic(&self) -> bool {
        self.value("sentinel_classic_tier") >= 0.5
    }

    /// Resource-specific tables of a resource type (empty: AzureDiagnostics only, as far as
    /// the model knows).
    pub fn resource_tables(&self, type_key: &str) -> &[String] {
        self.resource_log_mb_day
            .get(type_key)
            .map(|v| v.tables.as_slice())
            .unwrap_or(&[])
    }

    /// A volume or count, as written.
    pub fn value(&self, name: &str) -> f64 {
        self.figures.get(name).map(|f| f.value).unwrap_or(0.0)
    }

    /// A price, with the region/currency factor applied.
    pub fn price(&self, name: &str) -> f64 {
        self.value(name) * self.region_factor
    }

    pub fn money(&self, x: f64) -> String {
        if self.currency == "USD" {
            format!("${x:.2}")
        } else {
            format!("{x:.2} {}", self.currency)
        }
    }

    pub fn is_free(&self, data_type: &str) -> bool {
        self.free_data_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(data_type))
    }

    /// MB/day for a resource type, and the source of that figure.
    pub fn resource_log_mb_day(&self, type_key: &str) -> (f64, String) {
        match self.resource_log_mb_day.get(type_key) {
            Some(v) => (v.value, v.source.clone()),
            None => (
                self.value("resource_log_default_mb_day"),
                "model default for types without their own figure".into(),
            ),
        }
    }
}
