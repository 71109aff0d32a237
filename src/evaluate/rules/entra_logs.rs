//! `entra_logs`: the tenant's Entra ID diagnostic settings export every required category;
//! the failing finding names each missing or disabled one.

use super::activity_log_export::Destination;
use super::{and_list, prepare, settings_evidence, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::gap::Gap;
use crate::evaluate::EvalContext;
use crate::inventory::ENTRA_SCOPE;
use crate::results::{Finding, Status};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub required_categories: Vec<String>,
    pub destinations: Vec<Destination>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            required_categories: vec!["AuditLogs".into(), "SignInLogs".into()],
            destinations: vec![
                Destination::Workspace,
                Destination::Storage,
                Destination::EventHub,
                Destination::Partner,
            ],
        }
    }
}

pub const KIND: RuleKind = RuleKind {
    name: "entra_logs",
    file: file!(),
    prepare: prepare::<Params>,
    describes: "tenant Entra ID diagnostic settings (/providers/microsoft.aadiam): union of enabled categories with a destination",    cost_basis: Some("per missing category: Entra users × GB/user/day (sign-in 4 GB/month per 1,000 users, audit 0.9 GB/month per 1,000 users, Microsoft Learn); non-interactive = interactive × ratio, calibrated from measured SigninLogs when ingested; service-principal and managed-identity sign-ins use tenant defaults; priced at the Analytics per-GB rate"),
};

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let read = &ctx.snapshot.inventory.entra_diagnostic_settings;
        if read.value.is_none() {
            let Some(err) = &read.error else {
                return vec![check.finding(
                    Status::NotAssessed,
                    ENTRA_SCOPE,
                    None,
                    "Not assessed: Entra ID diagnostic settings were not collected.",
                    json!({}),
                )];
            };
            return vec![check.not_assessed(
            ENTRA_SCOPE,
            None,
            "the Entra ID diagnostic settings (needs Security Reader or Global Reader in Entra ID)",
            err,
        )];
        }
        let settings = read.items();
        let accepted = |s: &crate::inventory::DiagnosticSetting| {
            crate::evaluate::rules::activity_log_export::accepts(s, &p.destinations)
        };
        let covered = super::covered_categories(settings, &[], accepted);
        let all = covered.contains("*");
        let disabled: Vec<String> = p
            .required_categories
            .iter()
            .filter(|c| !all && !covered.contains(&c.to_ascii_lowercase()))
            .filter(|c| {
                settings.iter().any(|s| {
                    s.logs.iter().any(|l| {
                        !l.enabled
                            && l.category
                                .as_deref()
                                .is_some_and(|x| x.eq_ignore_ascii_case(c))
                    })
                })
            })
            .cloned()
            .collect();
        let missing: Vec<String> = p
            .required_categories
            .iter()
            .filter(|c| !all && !covered.contains(&c.to_ascii_lowercase()) && !disabled.contains(c))
            .cloned()
            .collect();
        let evidence = json!({
            "settings": settings_evidence(settings),
            "required": p.required_categories,
            "missing": missing,
            "disabled": disabled,
        });
        let f = if settings.is_empty() {
            check.finding(Status::Fail, ENTRA_SCOPE, None, format!("The tenant has no Entra ID diagnostic setting: {} are kept only 7–30 days in Entra and cannot be searched with other logs.", and_list(&p.required_categories)), evidence)
        } else if missing.is_empty() && disabled.is_empty() {
            check.finding(
                Status::Pass,
                ENTRA_SCOPE,
                None,
                format!("Entra ID exports {}.", and_list(&p.required_categories)),
                evidence,
            )
        } else {
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("missing {}", and_list(&missing)));
            }
            if !disabled.is_empty() {
                parts.push(format!("disabled {}", and_list(&disabled)));
            }
            check.finding(
                Status::Fail,
                ENTRA_SCOPE,
                None,
                format!(
                    "Entra ID diagnostic settings do not export every required category: {}.",
                    parts.join("; ")
                ),
                evidence,
            )
        };
        let mut categories: Vec<String> = missing.iter().chain(&disabled).cloned().collect();
        if categories.is_empty() {
            categories = p.required_categories.clone();
        }
        vec![f.gap_if_failed(|| Gap::EntraCategories { categories })]
    }
}
