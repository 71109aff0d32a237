//! Stage 3, evaluate: turn a snapshot into findings against the baseline.
//!
//! Checks see only the [`Snapshot`]; they never touch HTTP. Each check definition in `checks/`
//! names a rule `kind`; the kind's Rust code (one file per kind under `rules/`) produces
//! findings. Missing data gives `not_assessed` with the error in evidence, never `pass`.
//! Suppressions are applied afterwards, in one place.

pub mod baseline;
pub mod frameworks;
pub mod index;
/// Moved to the model (a finding fills its remediation when written); kept under this path.
pub use crate::model::placeholders;
pub mod rules;
pub mod suppressions;

use crate::inventory::{id_key, Read, ReadError, Snapshot, SubscriptionInventory};
use crate::model::{Finding, Status};
use baseline::{Baseline, CheckDef};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;

pub use index::EvalContext;

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
            evidence: crate::model::evidence::Evidence::compacted(evidence),
            remediation: self.remediation.clone(),
            remediation_params: None,
            references: self.references.clone(),
            suppression: None,
            cost: None,
            azure_policy: self.azure_policy.clone(),
            tags: Default::default(),
            failing_since: None,
            time_to_fix: None,
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
    // Every test run proves the kinds' evidence declarations (what `{evidence.KEY}` may name).
    #[cfg(debug_assertions)]
    undeclared_evidence(check, &f);
    f.sort_by_cached_key(|a| id_key(&a.resource_id));
    // The command a user copies names this finding's resource, not `<resource-id>`: filled in
    // when written (`Finding::remediation_text`), from the check's text and parameters.
    let params = placeholders::has_any(&check.remediation).then(|| Arc::new(check.params.clone()));
    for finding in &mut f {
        finding.remediation_params.clone_from(&params);
        // Finished: kept as compact text (see `model::evidence`); most already are.
        finding.evidence.compact();
    }
    // Copied into the run's one list next: no spare capacity held beside it meanwhile.
    f.shrink_to_fit();
    f
}

/// Panics (debug builds: every test) when a rule writes an evidence key its kind does not
/// declare; `LOGPOSTURE_EVIDENCE_REPORT=1` prints them instead (for updating declarations).
#[cfg(debug_assertions)]
fn undeclared_evidence(check: &CheckDef, findings: &[Finding]) {
    let Some(kind) = rules::find(&check.kind) else {
        return;
    };
    for f in findings {
        let evidence = f.evidence.value();
        let Some(obj) = evidence.as_object() else {
            continue;
        };
        for k in obj.keys() {
            if !kind.evidence.contains(&k.as_str()) && !rules::COMMON_EVIDENCE.contains(&k.as_str())
            {
                if std::env::var_os("LOGPOSTURE_EVIDENCE_REPORT").is_some() {
                    eprintln!("UNDECLARED-EVIDENCE {} {k}", kind.name);
                } else {
                    panic!(
                        "kind {} ({}:{}) writes evidence key {k:?} it does not declare",
                        kind.name, kind.file, kind.line
                    );
                }
            }
        }
    }
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

/// Each finding gets its resource's tags from the resource list (owners and cost centres are
/// how teams split the work); resources the list does not hold (subscriptions, tables) get none.
fn attach_tags(findings: &mut [Finding], snapshot: &Snapshot) {
    let tags: HashMap<String, &std::collections::BTreeMap<String, String>> = snapshot
        .inventory
        .subscriptions
        .iter()
        .flat_map(|s| s.resources.items())
        .filter(|r| !r.tags.is_empty())
        .map(|r| (id_key(&r.id), &r.tags))
        .collect();
    if tags.is_empty() {
        return;
    }
    for f in findings {
        if let Some(t) = tags.get(&id_key(&f.resource_id)) {
            f.tags = (*t).clone();
        }
    }
}

/// The findings of one enabled check, as [`run`] gives them (tests of one rule kind).
pub fn run_check(snapshot: &Snapshot, check: &CheckDef) -> Vec<Finding> {
    evaluate_check(check, &EvalContext::new(snapshot))
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
    // Taken from a shared counter, not dealt round-robin: a few checks (every resource's
    // diagnostic settings, arrival) hold most findings, and two of them dealt to one worker
    // left the other idle.
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let ctx = &ctx;
        let enabled = &enabled;
        let next = &next;
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(check) = enabled.get(i) else { break };
                        done.push((i, evaluate_check(check, ctx)));
                    }
                    done
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
    // Sized once (never regrown while a million findings are moved in), each check's vector
    // freed as soon as its findings are moved.
    let mut findings: Vec<Finding> =
        Vec::with_capacity(per_check.iter().map(Vec::len).sum::<usize>() + baseline.checks.len());
    for mut v in per_check {
        findings.append(&mut v);
    }
    attach_tags(&mut findings, snapshot);
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
