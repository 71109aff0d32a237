//! `logposture merge`: combine the results.json of several shards (`--shard K/N` runs) into one
//! results set with one summary. Shards cover disjoint subscriptions; tenant-level findings
//! (Entra) appear in every shard and are kept once.

use crate::inventory::{id_key, Snapshot};
use crate::results::{Results, Summary};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Shards cover disjoint subscriptions. The same subscription in two inputs (the same shard
/// given twice, shards of different splits) would count its cost and errors twice: refused,
/// naming the subscription.
fn reject_overlap<'a>(
    inputs: impl Iterator<Item = (Option<&'a str>, Vec<&'a str>)>,
) -> anyhow::Result<()> {
    let mut owner: std::collections::BTreeMap<String, String> = Default::default();
    for (i, (shard, subs)) in inputs.enumerate() {
        let label = match shard {
            Some(s) => format!("input {} (shard {s})", i + 1),
            None => format!("input {}", i + 1),
        };
        for sub in subs {
            if let Some(first) = owner.insert(sub.to_ascii_lowercase(), label.clone()) {
                anyhow::bail!(
                    "subscription {sub} is in {first} and in {label}: the inputs overlap (the same shard twice?); give each shard once"
                );
            }
        }
    }
    Ok(())
}

pub fn merge(mut parts: Vec<Results>) -> anyhow::Result<Results> {
    if parts.is_empty() {
        anyhow::bail!("nothing to merge");
    }
    reject_overlap(parts.iter().map(|p| {
        (
            p.scope.shard.as_deref(),
            p.scope
                .subscriptions
                .iter()
                .map(|s| s.id.as_str())
                .collect(),
        )
    }))?;
    parts.sort_by(|a, b| a.scope.shard.cmp(&b.scope.shard));
    let tenants: BTreeSet<String> = parts.iter().filter_map(|p| p.tenant_id.clone()).collect();
    if tenants.len() > 1 {
        anyhow::bail!(
            "the results come from different tenants ({}); merge shards of one scan only",
            tenants.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let mut merged = parts.remove(0);
    merged.scope.shard = None;
    let mut seen: BTreeSet<(String, String)> = merged
        .findings
        .iter()
        .map(|f| (f.check_id.clone(), id_key(&f.resource_id)))
        .collect();
    let mut subs: BTreeSet<String> = merged
        .scope
        .subscriptions
        .iter()
        .map(|s| s.id.to_ascii_lowercase())
        .collect();
    for p in parts {
        merged.started_at = merged.started_at.min(p.started_at.clone());
        merged.finished_at = merged.finished_at.max(p.finished_at.clone());
        for s in p.scope.subscriptions {
            if subs.insert(s.id.to_ascii_lowercase()) {
                merged.scope.subscriptions.push(s);
            }
        }
        for f in p.findings {
            if seen.insert((f.check_id.clone(), id_key(&f.resource_id))) {
                merged.findings.push(f);
            }
        }
        // Tenant-level reads (Entra) fail the same way in every shard: one entry each.
        for e in p.errors {
            if !merged.errors.contains(&e) {
                merged.errors.push(e);
            }
        }
        merged.suppression_notes.extend(p.suppression_notes);
        merged.cost = add_costs(&merged.cost, &p.cost);
    }
    merged
        .scope
        .subscriptions
        .sort_by_key(|s| s.id.to_ascii_lowercase());
    merged.summary = Summary::of(&merged.findings);
    Ok(merged)
}

/// Sum the measured and gap figures; per-workspace lists are concatenated.
fn add_costs(a: &Value, b: &Value) -> Value {
    let mut out = a.clone();
    let num = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_f64).unwrap_or(0.0);
    for p in [
        "/measured/gb_per_day",
        "/measured/usd_per_month",
        "/gaps/gb_per_day",
        "/gaps/usd_per_month",
    ] {
        if let Some(slot) = out.pointer_mut(p) {
            *slot = json!(((num(a, p) + num(b, p)) * 1000.0).round() / 1000.0);
        }
    }
    if let (Some(Value::Array(x)), Some(Value::Array(y))) = (
        out.pointer_mut("/measured/workspaces").cloned(),
        b.pointer("/measured/workspaces"),
    ) {
        let mut all = x;
        all.extend(y.iter().cloned());
        if let Some(slot) = out.pointer_mut("/measured/workspaces") {
            *slot = Value::Array(all);
        }
    }
    if let (Some(Value::Object(x)), Some(Value::Object(y))) = (
        out.pointer("/gaps/by_area").cloned(),
        b.pointer("/gaps/by_area"),
    ) {
        let mut m = x;
        for (k, v) in y {
            let sum = m.get(k).and_then(Value::as_f64).unwrap_or(0.0) + v.as_f64().unwrap_or(0.0);
            m.insert(k.clone(), json!((sum * 100.0).round() / 100.0));
        }
        if let Some(slot) = out.pointer_mut("/gaps/by_area") {
            *slot = Value::Object(m);
        }
    }
    out
}

/// Merge shard snapshots into one: subscriptions and errors concatenated, categories united,
/// the tenant-level Entra read taken from a shard that completed it.
pub fn merge_snapshots(mut parts: Vec<Snapshot>) -> anyhow::Result<Snapshot> {
    if parts.is_empty() {
        anyhow::bail!("nothing to merge");
    }
    let tenants: BTreeSet<String> = parts.iter().filter_map(|p| p.tenant_id.clone()).collect();
    if tenants.len() > 1 {
        anyhow::bail!("the snapshots come from different tenants; merge shards of one scan only");
    }
    reject_overlap(parts.iter().map(|p| {
        (
            p.scope.shard.as_deref(),
            p.scope
                .subscriptions
                .iter()
                .map(|s| s.id.as_str())
                .collect(),
        )
    }))?;
    parts.sort_by(|a, b| a.scope.shard.cmp(&b.scope.shard));
    let mut merged = parts.remove(0);
    merged.scope.shard = None;
    for p in parts {
        merged.started_at = merged.started_at.min(p.started_at);
        merged.finished_at = merged.finished_at.max(p.finished_at);
        let known: BTreeSet<String> = merged
            .scope
            .subscriptions
            .iter()
            .map(|s| s.id.to_ascii_lowercase())
            .collect();
        merged.scope.subscriptions.extend(
            p.scope
                .subscriptions
                .into_iter()
                .filter(|s| !known.contains(&s.id.to_ascii_lowercase())),
        );
        merged.inventory.subscriptions.extend(
            p.inventory
                .subscriptions
                .into_iter()
                .filter(|s| !known.contains(&s.subscription.id.to_ascii_lowercase())),
        );
        for (k, v) in p.inventory.diagnostic_categories {
            let keep_new = merged
                .inventory
                .diagnostic_categories
                .get(&k)
                .is_none_or(|old| !old.is_complete());
            if keep_new {
                merged.inventory.diagnostic_categories.insert(k, v);
            }
        }
        if !merged.inventory.entra_diagnostic_settings.is_complete()
            && p.inventory.entra_diagnostic_settings.is_complete()
        {
            merged.inventory.entra_diagnostic_settings = p.inventory.entra_diagnostic_settings;
        }
        for e in p.errors {
            if !merged.errors.contains(&e) {
                merged.errors.push(e);
            }
        }
        merged.stats.requests += p.stats.requests;
        merged.stats.retries += p.stats.retries;
        merged.stats.throttled += p.stats.throttled;
        merged.stats.failed_reads += p.stats.failed_reads;
        merged.stats.duration_ms = merged.stats.duration_ms.max(p.stats.duration_ms);
    }
    merged
        .scope
        .subscriptions
        .sort_by_key(|s| s.id.to_ascii_lowercase());
    merged
        .inventory
        .subscriptions
        .sort_by_key(|s| s.subscription.id.to_ascii_lowercase());
    Ok(merged)
}
