//! `entra_logs`: the tenant's Entra ID diagnostic settings export every required category;
//! the failing finding names each missing or disabled one.

use super::{prepare, settings_evidence, Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::index::Destination;
use crate::evaluate::EvalContext;
use crate::inventory::ENTRA_SCOPE;
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub required_categories: Vec<String>,
    pub destinations: Vec<Destination>,
    /// Require a category only when the tenant offers it (its licences and services produce it:
    /// no ADFS, no Global Secure Access, no P2 means no such logs). Those it does not offer are
    /// named in the evidence, not failed.
    pub only_if_offered: bool,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            required_categories: vec!["AuditLogs".into(), "SignInLogs".into()],
            only_if_offered: false,
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
    line: line!(),
    evidence: &["disabled", "extend_body", "extend_setting", "extend_url", "licence_required", "logs_json", "missing", "not_offered_by_tenant", "required", "settings"],
    figures: &["entra_signin_events_per_user_day", "entra_signin_kb_per_event", "entra_audit_events_per_user_day", "entra_audit_kb_per_event", "entra_noninteractive_ratio", "entra_provisioning_gb_per_user_day", "entra_risk_gb_per_user_day", "entra_service_principal_gb_day", "entra_managed_identity_gb_day", "entra_default_users"],
    prepare: prepare::<Params>,
    describes: "tenant Entra ID diagnostic settings (/providers/microsoft.aadiam): union of enabled categories with a destination",    cost_basis: Some("per missing category: Entra users × events per user × KB per event (sign-in 11.5 KB, audit 2 KB); non-interactive = interactive × ratio; service-principal and managed-identity sign-ins use tenant defaults; calibrated by the back-test against measured Entra tables; priced at the destination workspace's per-GB rate (plus Sentinel's where onboarded), Basic plan shown beside it for tables that accept it"),
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
            if licence_missing(err) {
                return vec![check.finding(
                    Status::NotApplicable,
                    ENTRA_SCOPE,
                    None,
                    format!("Not available on this licence: exporting Entra ID logs needs Microsoft Entra ID P1 or P2, and ARM's answer says the tenant has neither ({}). Without it these logs exist only in Entra, for 7 days.", err.message),
                    json!({ "licence_required": "Microsoft Entra ID P1 or P2", "error": err }),
                )];
            }
            return vec![check.not_assessed(
                ENTRA_SCOPE,
                None,
                "the Entra ID diagnostic settings (Microsoft documents the Security Administrator role; a service principal needs an Azure role assignment at scope /providers/Microsoft.aadiam)",
                err,
            )];
        }
        let settings = read.items();
        // Which required categories the tenant can produce at all.
        let offered = &ctx.snapshot.inventory.entra_log_categories;
        let (required, not_offered): (Vec<String>, Vec<String>) = if p.only_if_offered {
            match offered.complete() {
                Some(list) => p
                    .required_categories
                    .iter()
                    .cloned()
                    .partition(|c| list.iter().any(|o| o.eq_ignore_ascii_case(c))),
                None => {
                    let e = offered.error.clone().unwrap_or_else(|| {
                        crate::inventory::ReadError::unknown(
                            ENTRA_SCOPE,
                            "aadiam.diagnosticSettingsCategories.list",
                            "NotCollected",
                            "the tenant's log categories were not collected",
                        )
                    });
                    return vec![check.not_assessed(
                        ENTRA_SCOPE,
                        None,
                        "the log categories this tenant offers (needed to tell a missing category from one the tenant cannot produce)",
                        &e,
                    )];
                }
            }
        } else {
            (p.required_categories.clone(), Vec::new())
        };
        if required.is_empty() {
            return vec![check.finding(
                Status::NotApplicable,
                ENTRA_SCOPE,
                None,
                format!(
                    "This tenant offers none of {}: its licences and services do not produce them.",
                    and_list(&not_offered)
                ),
                json!({ "not_offered_by_tenant": not_offered }),
            )];
        }
        let accepted = |s: &crate::inventory::DiagnosticSetting| {
            crate::evaluate::index::accepts(s, &p.destinations)
        };
        let covered = super::covered_categories(settings, &[], accepted);
        let all = covered.contains("*");
        let disabled: Vec<String> = required
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
        let missing: Vec<String> = required
            .iter()
            .filter(|c| !all && !covered.contains(&c.to_ascii_lowercase()) && !disabled.contains(c))
            .cloned()
            .collect();
        // The `logs` of a new setting that sends what no setting sends today (and nothing an
        // existing setting already sends, which Azure would refuse): the fix plan's body.
        let logs_json = serde_json::Value::Array(
            missing
                .iter()
                .chain(&disabled)
                .map(|c| json!({ "category": c, "enabled": true }))
                .collect(),
        )
        .to_string();
        let mut evidence = json!({
            "settings": settings_evidence(settings),
            "required": required,
            "missing": missing,
            "disabled": disabled,
            "not_offered_by_tenant": not_offered,
            "logs_json": logs_json,
        });
        if !missing.is_empty() || !disabled.is_empty() {
            extension(settings, &missing, &disabled, &mut evidence);
        }
        // Named, so an auditor sees they were considered and why they are not required.
        let unavailable = if not_offered.is_empty() {
            String::new()
        } else {
            format!(
                " Not offered by this tenant, so not required: {}.",
                and_list(&not_offered)
            )
        };
        let f = if settings.is_empty() {
            check.finding(Status::Fail, ENTRA_SCOPE, None, format!("The tenant has no Entra ID diagnostic setting: {} are kept only 7–30 days in Entra and cannot be searched with other logs.{unavailable}", and_list(&required)), evidence)
        } else if missing.is_empty() && disabled.is_empty() {
            check.finding(
                Status::Pass,
                ENTRA_SCOPE,
                None,
                format!("Entra ID exports {}.{unavailable}", and_list(&required)),
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
                    "Entra ID diagnostic settings do not export every required category: {}.{unavailable}",
                    parts.join("; ")
                ),
                evidence,
            )
        };
        let mut categories: Vec<String> = missing.iter().chain(&disabled).cloned().collect();
        if categories.is_empty() {
            categories = required.clone();
        }
        vec![f.gap_if_failed(|| Gap::EntraCategories { categories })]
    }
}

/// A read of the Entra settings that failed because the tenant has no P1/P2 licence. ARM's exact
/// answer for a Free tenant is not published; these are the shapes seen in Microsoft's messages
/// ("needs Azure AD P1 or P2", "premium license", "NonPremiumTenant"). Anything else stays
/// not assessed.
fn licence_missing(e: &crate::inventory::ReadError) -> bool {
    let text =
        format!("{} {}", e.code.as_deref().unwrap_or_default(), e.message).to_ascii_lowercase();
    [
        "premium licen",
        "nonpremiumtenant",
        "p1 or p2",
        "p1/p2",
        "aad premium",
        "entra id premium",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

/// Where a setting already sends Entra logs to a workspace (and nowhere else, by category),
/// the fix re-writes that setting with its categories plus the missing and disabled ones: the
/// full body, its own workspace (a second setting may not send a category to the same
/// workspace, and Entra allows five settings). Writes `extend_setting`, `extend_url` (relative:
/// az resolves it against the active cloud) and `extend_body`.
fn extension(
    settings: &[crate::inventory::DiagnosticSetting],
    missing: &[String],
    disabled: &[String],
    evidence: &mut serde_json::Value,
) {
    let Some(s) = settings.iter().find(|s| {
        s.workspace_id.is_some()
            && s.storage_account_id.is_none()
            && s.event_hub_authorization_rule_id.is_none()
            && s.marketplace_partner_id.is_none()
            && s.logs.iter().all(|l| l.category.is_some())
    }) else {
        return;
    };
    let wanted = |c: &str| {
        missing
            .iter()
            .chain(disabled)
            .any(|m| m.eq_ignore_ascii_case(c))
    };
    let mut logs: Vec<serde_json::Value> = s
        .logs
        .iter()
        .filter_map(|l| l.category.as_ref().map(|c| (c, l.enabled)))
        .map(|(c, on)| json!({ "category": c, "enabled": on || wanted(c) }))
        .collect();
    for m in missing {
        if !s.logs.iter().any(|l| {
            l.category
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(m))
        }) {
            logs.push(json!({ "category": m, "enabled": true }));
        }
    }
    let name: String = s
        .name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    evidence["extend_setting"] = json!(s.name);
    evidence["extend_url"] = json!(format!(
        "/providers/microsoft.aadiam/diagnosticSettings/{name}?api-version=2017-04-01"
    ));
    evidence["extend_body"] = json!(json!({
        "properties": { "workspaceId": s.workspace_id, "logs": logs }
    })
    .to_string());
}
