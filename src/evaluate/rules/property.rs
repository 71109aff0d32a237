//! `property`: a generic rule users can write in TOML without code. For every inventory object
//! of `resource_type`, the value at JSON pointer `path` (into the snapshot's normalised object)
//! must satisfy `op` against `value`.
//!
//! Types with a dedicated inventory list (storage accounts, workspaces, VMs, NSGs, VNets, flow
//! logs, data collection rules, network watchers) use it; any other type uses the ARM resources
//! list (id, name, type, location, kind, tags).

use super::{Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{gate, EvalContext};
use crate::inventory::{type_key, Read, SubscriptionInventory};
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub resource_type: String,
    pub path: String,
    /// eq, ne, gte, gt, lte, lt, exists, absent, contains, in
    pub op: String,
    pub value: Option<toml::Value>,
    /// Status when the path is missing: `fail` (default) or `not_applicable`.
    pub when_missing: Option<WhenMissing>,
}

/// What a missing property means for a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenMissing {
    Fail,
    NotApplicable,
}

const OPS: [&str; 10] = [
    "eq", "ne", "gte", "gt", "lte", "lt", "exists", "absent", "contains", "in",
];

/// Parses and checks the params once, at load.
fn validate(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    if p.resource_type.is_empty() {
        return Err("params.resource_type is required".into());
    }
    if !p.path.starts_with('/') {
        return Err(format!(
            "params.path must be a JSON pointer starting with '/', not {:?}",
            p.path
        ));
    }
    if !OPS.contains(&p.op.as_str()) {
        return Err(format!(
            "params.op must be one of {}, not {:?}",
            OPS.join(", "),
            p.op
        ));
    }
    if !matches!(p.op.as_str(), "exists" | "absent") && p.value.is_none() {
        return Err(format!("params.value is required for op {:?}", p.op));
    }
    Ok(Arc::new(p))
}

pub const KIND: RuleKind = RuleKind {
    name: "property",
    file: file!(),
    line: line!(),
    evidence: &["expected", "observed", "op", "path"],
    figures: &[],
    prepare: validate,
    describes:
        "generic: resource type + JSON pointer + operator + value, over the normalised inventory",
    cost_basis: None,
};

fn objects(sub: &SubscriptionInventory, t: &str) -> (Read<Vec<Value>>, &'static str) {
    fn conv<T: serde::Serialize>(r: &Read<Vec<T>>) -> Read<Vec<Value>> {
        Read {
            value: r.value.as_ref().map(|v| {
                v.iter()
                    .filter_map(|x| serde_json::to_value(x).ok())
                    .collect()
            }),
            error: r.error.clone(),
        }
    }
    match t {
        "microsoft.storage/storageaccounts" => (conv(&sub.storage_accounts), "storage accounts"),
        "microsoft.operationalinsights/workspaces" => (conv(&sub.workspaces), "workspaces"),
        "microsoft.compute/virtualmachines" => (conv(&sub.virtual_machines), "virtual machines"),
        "microsoft.network/networksecuritygroups" => (conv(&sub.network_security_groups), "NSGs"),
        "microsoft.network/virtualnetworks" => (conv(&sub.virtual_networks), "virtual networks"),
        "microsoft.network/networkwatchers" => (conv(&sub.network_watchers), "Network Watchers"),
        "microsoft.network/networkwatchers/flowlogs" => (conv(&sub.flow_logs), "flow logs"),
        "microsoft.insights/datacollectionrules" => {
            (conv(&sub.data_collection_rules), "data collection rules")
        }
        _ => {
            let r = &sub.resources;
            let v = Read {
                value: r.value.as_ref().map(|v| {
                    v.iter()
                        .filter(|x| type_key(&x.resource_type) == t)
                        .filter_map(|x| serde_json::to_value(x).ok())
                        .collect()
                }),
                error: r.error.clone(),
            };
            (v, "resources")
        }
    }
}

fn to_json(v: &toml::Value) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn cmp_num(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

fn loosely_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        (Value::Number(_), Value::Number(_)) => cmp_num(a, b) == Some(std::cmp::Ordering::Equal),
        _ => a == b,
    }
}

/// Does the observed value satisfy the operator?
pub fn holds(op: &str, observed: Option<&Value>, expected: &Value) -> bool {
    use std::cmp::Ordering::*;
    match (op, observed) {
        ("exists", o) => o.is_some_and(|v| !v.is_null()),
        ("absent", o) => o.is_none_or(Value::is_null),
        (_, None) => false,
        ("eq", Some(o)) => loosely_equal(o, expected),
        ("ne", Some(o)) => !loosely_equal(o, expected),
        ("gte", Some(o)) => matches!(cmp_num(o, expected), Some(Greater | Equal)),
        ("gt", Some(o)) => matches!(cmp_num(o, expected), Some(Greater)),
        ("lte", Some(o)) => matches!(cmp_num(o, expected), Some(Less | Equal)),
        ("lt", Some(o)) => matches!(cmp_num(o, expected), Some(Less)),
        ("contains", Some(Value::Array(items))) => items.iter().any(|i| loosely_equal(i, expected)),
        ("contains", Some(Value::String(s))) => expected
            .as_str()
            .is_some_and(|e| s.to_ascii_lowercase().contains(&e.to_ascii_lowercase())),
        ("in", Some(o)) => expected
            .as_array()
            .is_some_and(|a| a.iter().any(|e| loosely_equal(o, e))),
        _ => false,
    }
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let t = type_key(&p.resource_type);
        let expected = p.value.as_ref().map(to_json).unwrap_or(Value::Null);
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            let (objs, what) = objects(sub, &t);
            if let Some(f) = gate(check, sub, &objs, what) {
                out.push(f);
                continue;
            }
            let sid = Some(sub.subscription.id.as_str());
            for o in objs.items() {
                let id = o
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let name = o
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&id)
                    .to_string();
                let observed = o.pointer(&p.path);
                let evidence = json!({ "path": p.path, "observed": observed, "op": p.op, "expected": expected });
                let f = if observed.is_none() && p.when_missing == Some(WhenMissing::NotApplicable)
                {
                    check.finding(
                        Status::NotApplicable,
                        &id,
                        sid,
                        format!("{name}: {} is not set.", p.path),
                        evidence,
                    )
                } else if holds(&p.op, observed, &expected) {
                    check.finding(
                        Status::Pass,
                        &id,
                        sid,
                        format!("{name}: {} {} {}.", p.path, p.op, expected),
                        evidence,
                    )
                } else {
                    let seen = observed
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "not set".into());
                    check.finding(
                        Status::Fail,
                        &id,
                        sid,
                        format!(
                            "{name}: {} is {seen}; the check wants {} {}.",
                            p.path, p.op, expected
                        ),
                        evidence,
                    )
                };
                out.push(f);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators() {
        assert!(holds("gte", Some(&json!(90)), &json!(90)));
        assert!(!holds("gt", Some(&json!(30)), &json!(90)));
        assert!(holds("eq", Some(&json!("Standard")), &json!("standard")));
        assert!(holds("in", Some(&json!("b")), &json!(["a", "b"])));
        assert!(holds("absent", None, &Value::Null));
        assert!(!holds("eq", None, &json!(1)));
    }
}
