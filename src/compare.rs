//! `--compare`: what changed since an earlier results.json (new, fixed, still failing, no
//! longer assessed or in scope), by (check, resource).

use crate::model::{Drift, DriftItem, Finding, Results, Status};

/// `/subscriptions/{id}` of a (lower-cased) resource id.
fn subscription_of(id: &str) -> Option<String> {
    let rest = id.strip_prefix("/subscriptions/")?;
    let sid = rest.split('/').next().filter(|s| !s.is_empty())?;
    Some(format!("/subscriptions/{sid}"))
}

/// Findings of `now` against `prev`, by (check, resource).
pub fn drift(prev: &Results, now: &Results) -> Drift {
    use crate::inventory::id_key;
    use std::collections::{BTreeMap, BTreeSet};
    let key = |f: &Finding| (f.check_id.to_string(), id_key(&f.resource_id));
    let statuses: BTreeMap<(String, String), Status> =
        now.findings.iter().map(|f| (key(f), f.status)).collect();
    // A check that is disabled now yields one not-applicable finding on "/".
    let disabled: BTreeSet<&str> = now
        .findings
        .iter()
        .filter(|f| f.resource_id == "/" && f.status == Status::NotApplicable)
        .map(|f| f.check_id.as_ref())
        .collect();
    let checks_now: BTreeSet<&str> = now.findings.iter().map(|f| f.check_id.as_ref()).collect();
    let item = |(c, r): &(String, String)| DriftItem {
        check_id: c.clone(),
        resource_id: r.clone(),
    };
    let before: BTreeSet<(String, String)> = prev
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(key)
        .collect();
    let unreadable: BTreeSet<String> = now
        .subscriptions_not_assessed()
        .iter()
        .map(|s| format!("/subscriptions/{}", s.id).to_ascii_lowercase())
        .collect();
    let mut d = Drift {
        previous_finished_at: prev.finished_at.clone(),
        ..Drift::default()
    };
    for k in &before {
        match statuses.get(k) {
            Some(Status::Fail) => d.still_failing += 1,
            Some(Status::Pass) => d.resolved_items.push(item(k)),
            Some(Status::NotAssessed) => d.no_longer_assessed.push(item(k)),
            Some(Status::Suppressed) => d.newly_suppressed.push(item(k)),
            _ if disabled.contains(k.0.as_str()) || !checks_now.contains(k.0.as_str()) => {
                d.check_removed.push(item(k))
            }
            // The resource is gone from the results because its subscription could not be
            // read (a 403, say): it is still in scope, its evidence is lost, not assessed.
            None | Some(Status::NotApplicable)
                if subscription_of(&k.1).is_some_and(|s| {
                    unreadable.contains(&s)
                        || statuses.get(&(k.0.clone(), s)) == Some(&Status::NotAssessed)
                }) =>
            {
                d.no_longer_assessed.push(item(k))
            }
            Some(Status::NotApplicable) | None => d.no_longer_in_scope.push(item(k)),
        }
    }
    d.new = now
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(key)
        .filter(|k| !before.contains(k))
        .map(|k| item(&k))
        .collect();
    d.new_failures = d.new.len();
    d.resolved = d.resolved_items.len();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo_results(snap: &crate::inventory::Snapshot) -> Results {
        let a = crate::app::Assessment::load(&crate::cli::EvalArgs::builtin()).unwrap();
        a.assess(snap, time::macros::date!(2026 - 11 - 02))
    }

    #[test]
    fn a_subscription_that_answers_403_keeps_its_failures_as_no_longer_assessed() {
        let snap = crate::demo::snapshot();
        let before = demo_results(&snap);
        let dev = format!("/subscriptions/{}", crate::demo::DEV);
        let dev_failures = before
            .findings
            .iter()
            .filter(|f| {
                f.status == Status::Fail && f.resource_id.to_ascii_lowercase().starts_with(&dev)
            })
            .count();
        assert!(dev_failures > 0);
        // The same estate, but dev now answers 403 to every read.
        // (the demo's sandbox subscription is the one answering 403: dev takes its shape).
        let mut later = snap.clone();
        let forbidden = later
            .inventory
            .subscriptions
            .iter()
            .find(|s| s.subscription.id == crate::demo::SANDBOX)
            .unwrap()
            .clone();
        let sub = later
            .inventory
            .subscriptions
            .iter_mut()
            .find(|s| s.subscription.id == crate::demo::DEV)
            .unwrap();
        *sub = crate::inventory::SubscriptionInventory {
            subscription: sub.subscription.clone(),
            ..forbidden
        };
        let now = demo_results(&later);
        let d = drift(&before, &now);
        let lost: Vec<&DriftItem> = d
            .no_longer_in_scope
            .iter()
            .filter(|i| i.resource_id.starts_with(&dev))
            .collect();
        assert!(
            lost.is_empty(),
            "still in scope, not 'no longer in scope': {lost:?}"
        );
        assert_eq!(
            d.no_longer_assessed
                .iter()
                .filter(|i| i.resource_id.starts_with(&dev))
                .count(),
            dev_failures,
            "{d:?}"
        );
        // A subscription that left the scan is out of scope.
        let mut gone = snap.clone();
        gone.inventory
            .subscriptions
            .retain(|s| s.subscription.id != crate::demo::DEV);
        gone.scope
            .subscriptions
            .retain(|s| s.id != crate::demo::DEV);
        let d = drift(&before, &demo_results(&gone));
        assert!(d
            .no_longer_in_scope
            .iter()
            .any(|i| i.resource_id.starts_with(&dev)));
    }
}
