//! Stage 3, evaluate: turn a snapshot into findings against the baseline.
//!
//! Checks see only the [`Snapshot`]; they never touch HTTP. Each check definition in `checks/`
//! names a rule `kind`; the kind's Rust code (one file per kind under `rules/`) produces
//! findings. Missing data gives `not_assessed` with the error in evidence, never `pass`.
//! Suppressions are applied afterwards, in one place.

pub mod baseline;
pub mod frameworks;
pub mod gap;
pub mod placeholders;
pub mod rules;
pub mod suppressions;

use crate::inventory::{
    id_key, DataCollectionRule, Read, ReadError, Snapshot, StorageAccount, SubscriptionInventory,
};
use crate::results::{Finding, Status};
use baseline::{Baseline, CheckDef};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The snapshot plus indexes that several rules need.
pub struct EvalContext<'a> {
    pub snapshot: &'a Snapshot,
    /// Storage accounts that receive logs: id key → what sends to them.
    pub log_destinations: BTreeMap<String, Vec<String>>,
    /// Every storage account in scope by id key.
    pub storage_by_id: HashMap<String, (&'a SubscriptionInventory, &'a StorageAccount)>,
    /// Every data collection rule in scope by id key (a VM's rule may live in another subscription).
    pub dcr_by_id: HashMap<String, &'a DataCollectionRule>,
    /// True when some subscription's DCR list could not be read: an unknown rule is then unknown, not absent.
    pub dcr_list_incomplete: Option<ReadError>,
    /// Every resource's location by its id as listed (built once: per-resource checks need it).
    pub resource_locations: HashMap<&'a str, &'a str>,
    /// Every workspace in scope by id key (a destination may be in another subscription).
    pub workspace_by_id: HashMap<String, &'a crate::inventory::Workspace>,
}

impl<'a> EvalContext<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let inv = &snapshot.inventory;
        let mut log_destinations: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut add = |id: &Option<String>, what: String| {
            if let Some(id) = id {
                log_destinations.entry(id_key(id)).or_default().push(what);
            }
        };
        for s in inv.entra_diagnostic_settings.items() {
            add(
                &s.storage_account_id,
                format!("Entra ID diagnostic setting {}", s.name),
            );
        }
        for sub in &inv.subscriptions {
            for s in sub.activity_log_settings.items() {
                add(
                    &s.storage_account_id,
                    format!("activity log setting {} of {}", s.name, sub.subscription.id),
                );
            }
            for rd in &sub.resource_diagnostics {
                for s in rd.settings.items() {
                    add(
                        &s.storage_account_id,
                        format!("diagnostic setting {} of {}", s.name, rd.resource_id),
                    );
                }
            }
            for f in sub.flow_logs.items() {
                add(&f.storage_id, format!("flow log {}", f.name));
            }
        }
        for v in log_destinations.values_mut() {
            v.sort();
            v.dedup();
        }
        let mut storage_by_id = HashMap::new();
        let mut dcr_by_id = HashMap::new();
        let mut dcr_list_incomplete = None;
        for sub in &inv.subscriptions {
            for a in sub.storage_accounts.items() {
                storage_by_id.insert(id_key(&a.id), (sub, a));
            }
            for d in sub.data_collection_rules.items() {
                dcr_by_id.insert(id_key(&d.id), d);
            }
            if sub.scanned {
                if let Some(e) = &sub.data_collection_rules.error {
                    dcr_list_incomplete.get_or_insert(e.clone());
                }
            }
        }
        let resource_locations = inv
            .subscriptions
            .iter()
            .flat_map(|s| s.resources.items())
            .map(|r| (r.id.as_str(), r.location.as_str()))
            .collect();
        let workspace_by_id = inv
            .subscriptions
            .iter()
            .flat_map(|s| s.workspaces.items())
            .map(|w| (id_key(&w.id), w))
            .collect();
        Self {
            snapshot,
            log_destinations,
            storage_by_id,
            dcr_by_id,
            dcr_list_incomplete,
            resource_locations,
            workspace_by_id,
        }
    }

    pub fn subscriptions(&self) -> &'a [SubscriptionInventory] {
        &self.snapshot.inventory.subscriptions
    }
}

impl CheckDef {
    /// A finding of this check about one resource.
    pub fn finding(
        &self,
        status: Status,
        resource_id: &str,
        subscription_id: Option<&str>,
        message: impl Into<String>,
        evidence: Value,
    ) -> Finding {
        Finding {
            check_id: self.id.clone(),
            title: self.title.clone(),
            severity: self.severity,
            area: self.area.clone(),
            status,
            resource_id: resource_id.to_string(),
            subscription_id: subscription_id.map(str::to_string),
            location: None,
            message: message.into(),
            evidence,
            remediation: self.remediation.clone(),
            references: self.references.clone(),
            suppression: None,
            cost: None,
            azure_policy: self.azure_policy.clone(),
            gap: None,
            collects: None,
        }
    }

    /// `not_assessed` because a read failed; the error is the evidence.
    pub fn not_assessed(
        &self,
        resource_id: &str,
        subscription_id: Option<&str>,
        what: &str,
        error: &ReadError,
    ) -> Finding {
        self.finding(
            Status::NotAssessed,
            resource_id,
            subscription_id,
            format!(
                "Not assessed: {what} could not be read ({}).",
                short_error(error)
            ),
            json!({ "error": error }),
        )
    }
}

fn short_error(e: &ReadError) -> String {
    let status = e
        .status
        .map(|s| format!("HTTP {s}"))
        .unwrap_or_else(|| "no response".into());
    match &e.code {
        Some(c) => format!("{status} {c}"),
        None => status,
    }
}

pub fn subscription_scope(sub: &SubscriptionInventory) -> String {
    format!("/subscriptions/{}", sub.subscription.id)
}

/// Subscription-level gate for a check that reads `read`: a disabled subscription is
/// `not_applicable`, a failed read is `not_assessed`; `None` means go ahead.
pub fn gate<T>(
    check: &CheckDef,
    sub: &SubscriptionInventory,
    read: &Read<T>,
    what: &str,
) -> Option<Finding> {
    let scope = subscription_scope(sub);
    if !sub.scanned {
        return Some(check.finding(
            Status::NotApplicable,
            &scope,
            Some(&sub.subscription.id),
            format!(
                "Subscription {} is {}: it was listed but not read.",
                sub.subscription.id, sub.subscription.state
            ),
            json!({ "state": sub.subscription.state }),
        ));
    }
    if read.value.is_none() {
        let err = read.error.clone().unwrap_or_else(|| {
            ReadError::unknown(
                &scope,
                what,
                "NotCollected",
                "this part of the inventory was not collected",
            )
        });
        return Some(check.not_assessed(&scope, Some(&sub.subscription.id), what, &err));
    }
    None
}

/// [`gate`] for a list judged as a whole (a setting anywhere in it may satisfy the check): a
/// list with unreadable items is not assessed too, since the unreadable one may be the one
/// that passes.
pub fn gate_complete<T>(
    check: &CheckDef,
    sub: &SubscriptionInventory,
    read: &Read<T>,
    what: &str,
) -> Option<Finding> {
    if let Some(f) = gate(check, sub, read, what) {
        return Some(f);
    }
    let e = read.error.as_ref()?;
    Some(check.not_assessed(
        &subscription_scope(sub),
        Some(&sub.subscription.id),
        what,
        e,
    ))
}

fn evaluate_check(check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
    let mut f = check.rule.evaluate(check, ctx);
    f.sort_by_cached_key(|a| id_key(&a.resource_id));
    // The command a user copies names this finding's resource, not `<resource-id>`.
    if !placeholders::has_any(&check.remediation) {
        return f;
    }
    for finding in &mut f {
        finding.remediation =
            placeholders::fill_remediation(&check.remediation, finding, &check.params);
    }
    f
}

/// For checks over one list of every subscription (workspaces, VMs, ...): gate each
/// subscription (disabled → not applicable, list unreadable → not assessed), then let `judge`
/// add the findings for each item.
pub fn for_each_item<'a, T: 'a>(
    check: &CheckDef,
    ctx: &'a EvalContext,
    list: impl Fn(&'a SubscriptionInventory) -> &'a Read<Vec<T>>,
    what: &str,
    mut judge: impl FnMut(&'a T, Option<&'a str>, &mut Vec<Finding>),
) -> Vec<Finding> {
    let mut out = Vec::new();
    for sub in ctx.subscriptions() {
        let read = list(sub);
        if let Some(f) = gate(check, sub, read, what) {
            out.push(f);
            continue;
        }
        for item in read.items() {
            judge(item, Some(sub.subscription.id.as_str()), &mut out);
        }
    }
    out
}

/// Evaluate every enabled check; disabled checks yield nothing. Output order is stable.
pub fn run(snapshot: &Snapshot, baseline: &Baseline) -> Vec<Finding> {
    let ctx = EvalContext::new(snapshot);
    let enabled: Vec<&CheckDef> = baseline.checks.iter().filter(|c| c.enabled).collect();
    // Checks are independent: spread them over the cores, then keep baseline order.
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let mut per_check: Vec<Vec<Finding>> = vec![Vec::new(); enabled.len()];
    std::thread::scope(|scope| {
        let ctx = &ctx;
        let enabled = &enabled;
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    (w..enabled.len())
                        .step_by(workers)
                        .map(|i| (i, evaluate_check(enabled[i], ctx)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            match h.join() {
                Ok(results) => {
                    for (i, f) in results {
                        per_check[i] = f;
                    }
                }
                // A panicking rule is a bug: surface it, never drop its findings silently.
                Err(p) => std::panic::resume_unwind(p),
            }
        }
    });
    let mut findings: Vec<Finding> = per_check.into_iter().flatten().collect();
    // Disabled checks stay visible to auditors: one not-applicable finding for the whole scope.
    for check in baseline.checks.iter().filter(|c| !c.enabled) {
        findings.push(check.finding(
            Status::NotApplicable,
            "/",
            None,
            format!(
                "Check {} is disabled by the baseline ({}).",
                check.id, check.source
            ),
            json!({ "disabled_at": check.source }),
        ));
    }
    findings
}
