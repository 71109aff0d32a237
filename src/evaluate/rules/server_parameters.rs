//! PostgreSQL and MySQL flexible servers. `server_parameter`: one logging server parameter has
//! the wanted value (`equals`, `greater_than`, or a comma-separated list that `contains` an
//! item, or one of several equivalent items). `retired_database_servers`: no single server is left, the offer Microsoft retired
//! (its parameters are not read or guessed).

use super::{Rule, RuleKind};
use crate::evaluate::baseline::{parse_params, CheckDef};
use crate::evaluate::{for_each_item, gate, subscription_scope, EvalContext};
use crate::inventory::{DatabaseServer, ReadError};
use crate::model::gap::Gap;
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ParameterParams {
    /// `postgresql` or `mysql`.
    pub engine: String,
    pub parameter: String,
    pub equals: Option<String>,
    pub greater_than: Option<f64>,
    /// An item the comma-separated value must hold: one name, or a list of equivalent names
    /// (`["CONNECTION", "CONNECTION_V2"]`), any of which passes.
    #[serde(deserialize_with = "one_or_many")]
    pub contains: Option<Vec<String>>,
}

/// `"X"` or `["X", "Y"]`.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(Some(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    }))
}

fn validate(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: ParameterParams = parse_params(t)?;
    if p.engine != "postgresql" && p.engine != "mysql" {
        return Err(format!(
            "params.engine must be \"postgresql\" or \"mysql\", not {:?}",
            p.engine
        ));
    }
    let tests = [
        p.equals.is_some(),
        p.greater_than.is_some(),
        p.contains.is_some(),
    ];
    if tests.iter().filter(|t| **t).count() != 1 {
        return Err("params: give exactly one of equals, greater_than, contains".into());
    }
    if p.parameter.is_empty() {
        return Err("params.parameter is required".into());
    }
    if p.contains
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.iter().any(|x| x.trim().is_empty()))
    {
        return Err("params.contains: give one or more non-empty items".into());
    }
    Ok(Arc::new(p))
}

pub const PARAMETER: RuleKind = RuleKind {
    name: "server_parameter",
    file: file!(),
    line: line!(),
    evidence: &["engine", "parameter", "value", "version", "wanted"],
    figures: &[],
    prepare: validate,
    describes: "a logging server parameter of PostgreSQL / MySQL flexible servers (configurations)",
    cost_basis: None,
};

fn engine_name(engine: &str) -> &'static str {
    if engine == "mysql" {
        "MySQL"
    } else {
        "PostgreSQL"
    }
}

impl ParameterParams {
    fn wanted(&self) -> String {
        match (&self.equals, self.greater_than, &self.contains) {
            (Some(v), _, _) => v.clone(),
            (_, Some(n), _) => format!("more than {n}"),
            (_, _, Some(c)) => format!("a list including {}", c.join(" or ")),
            _ => String::new(),
        }
    }

    fn holds(&self, value: &str) -> Option<bool> {
        let v = value.trim();
        match (&self.equals, self.greater_than, &self.contains) {
            (Some(want), _, _) => Some(v.eq_ignore_ascii_case(want)),
            (_, Some(n), _) => v.parse::<f64>().ok().map(|x| x > n),
            (_, _, Some(items)) => Some(
                v.split(',')
                    .any(|x| items.iter().any(|item| x.trim().eq_ignore_ascii_case(item))),
            ),
            _ => None,
        }
    }

    fn judge(&self, check: &CheckDef, s: &DatabaseServer, sid: Option<&str>) -> Finding {
        let engine = engine_name(&s.engine);
        let param = &self.parameter;
        let params = match (&s.parameters.value, &s.parameters.error) {
            (Some(v), _) => v,
            (None, Some(e)) => {
                return check.not_assessed(&s.id, sid, "the server's parameters", e);
            }
            (None, None) => {
                return check.not_assessed(
                    &s.id,
                    sid,
                    "the server's parameters",
                    &not_reported("the parameters were not collected"),
                )
            }
        };
        let Some(value) = params.get(&param.to_ascii_lowercase()) else {
            return self.absent(check, s, sid);
        };
        let evidence = json!({ "engine": s.engine, "parameter": param, "value": value, "wanted": self.wanted() });
        let shown = if value.is_empty() {
            "empty"
        } else {
            value.as_str()
        };
        match self.holds(value) {
            None => check.finding(
                Status::NotAssessed,
                &s.id,
                sid,
                format!("Not assessed: {engine} server {} reports {param} = {shown:?}, which is not a number.", s.name),
                json!({ "engine": s.engine, "parameter": param, "value": value, "error": not_reported("not a number") }),
            ),
            Some(true) => check.finding(
                Status::Pass,
                &s.id,
                sid,
                format!("{engine} server {}: {param} is {shown}.", s.name),
                evidence,
            ),
            Some(false) => check
                .finding(
                    Status::Fail,
                    &s.id,
                    sid,
                    format!("{engine} server {}: {param} is {shown}, the baseline wants {}.", s.name, self.wanted()),
                    evidence,
                )
                .gap_if_failed(|| Gap::NoNewCost {
                    reason: "no cost: the server writes these to its own log files; exporting them (a diagnostic setting) is priced under resource logs",
                }),
        }
    }
}

impl ParameterParams {
    /// The parameter is not among the server's. A complete list without it, from a server
    /// whose version was read, is a server that does not offer it: not applicable, naming the
    /// version (never "not assessed" on every run). Otherwise it is not assessed.
    fn absent(&self, check: &CheckDef, s: &DatabaseServer, sid: Option<&str>) -> Finding {
        let engine = engine_name(&s.engine);
        let param = &self.parameter;
        let what = format!("parameter {param}");
        if let Some(e) = &s.parameters.error {
            return check.not_assessed(&s.id, sid, &what, e);
        }
        match (&s.version.value, &s.version.error) {
            (Some(version), _) => check.finding(
                Status::NotApplicable,
                &s.id,
                sid,
                format!(
                    "{engine} server {} (version {version}) does not offer {param}: it is absent from the server's complete parameter list, so there is nothing to set. The check applies again if Azure offers it.",
                    s.name
                ),
                json!({ "engine": s.engine, "parameter": param, "version": version }),
            ),
            (None, Some(e)) => check.not_assessed(&s.id, sid, &what, e),
            (None, None) => check.not_assessed(
                &s.id,
                sid,
                &what,
                &not_reported(&format!("{param} is not among the server's parameters")),
            ),
        }
    }
}

fn not_reported(message: &str) -> ReadError {
    ReadError::unknown("", "configurations.list", "NotReported", message)
}

impl Rule for ParameterParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        for_each_item(
            check,
            ctx,
            |s| &s.database_servers,
            "the subscription's database servers",
            |server, sid, out| {
                if server.engine == self.engine && server.deployment == "flexible" {
                    out.push(self.judge(check, server, sid));
                }
            },
        )
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetiredParams {}

pub const RETIRED: RuleKind = RuleKind {
    name: "retired_database_servers",
    file: file!(),
    line: line!(),
    evidence: &["deployment", "engine", "flexible_servers", "retired_on"],
    figures: &[],
    prepare: super::prepare::<RetiredParams>,
    describes: "PostgreSQL / MySQL single servers, an offer Microsoft retired",
    cost_basis: None,
};

/// When Microsoft retired each single-server offer.
fn retired_on(engine: &str) -> &'static str {
    if engine == "mysql" {
        "2024-09-16"
    } else {
        "2025-03-28"
    }
}

impl Rule for RetiredParams {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let mut out = Vec::new();
        for sub in ctx.subscriptions() {
            let sid = Some(sub.subscription.id.as_str());
            if let Some(f) = gate(
                check,
                sub,
                &sub.database_servers,
                "the subscription's database servers",
            ) {
                out.push(f);
                continue;
            }
            let servers = sub.database_servers.items();
            let single: Vec<&DatabaseServer> = servers
                .iter()
                .filter(|s| s.deployment == "single")
                .collect();
            for s in &single {
                let engine = engine_name(&s.engine);
                out.push(
                    check
                        .finding(
                            Status::Fail,
                            &s.id,
                            sid,
                            format!(
                                "{engine} single server {} is an offer Microsoft retired on {}: its logging is no longer supported, and its parameters are not assessed. Migrate it to a flexible server.",
                                s.name,
                                retired_on(&s.engine)
                            ),
                            json!({ "engine": s.engine, "deployment": s.deployment, "retired_on": retired_on(&s.engine) }),
                        )
                        .gap_if_failed(|| Gap::NoNewCost { reason: "no cost: a migration, not a logging cost" }),
                );
            }
            if single.is_empty() {
                out.push(check.finding(
                    Status::Pass,
                    &subscription_scope(sub),
                    sid,
                    format!(
                        "No retired PostgreSQL or MySQL single server in this subscription ({} flexible).",
                        servers.len()
                    ),
                    json!({ "flexible_servers": servers.len() }),
                ));
            }
        }
        out
    }
}
