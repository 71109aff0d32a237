//! `logposture merge`: combine the results.json of several shards (`--shard K/N` runs) into one
//! results set with one summary. Shards cover disjoint subscriptions; tenant-level findings
//! (Entra) appear in every shard and are kept once.

use crate::inventory::id_key;
use crate::results::{Results, Summary};
use serde_json::{json, Value};
use std::collections::BTreeSet;

pub fn merge(mut parts: Vec<Results>) -> anyhow::Result<Results> {
    if parts.is_empty() {
        anyhow::bail!("nothing to merge");
    }
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
        merged.errors.extend(p.errors);
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
