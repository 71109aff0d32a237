//! `--suppressions FILE`: accepted risks, each with a reason, an owner and a mandatory expiry.
//!
//! ```toml
//! [[suppression]]
//! check = "LP-FLOW-001"                      # a check id, or "*"
//! resource = "/subscriptions/*/resourceGroups/lab-*/*"   # optional; * matches anything
//! reason = "Lab network, no production data"
//! owner = "netsec@example.com"
//! expires = 2027-03-31
//! ```
//! Expired suppressions stop applying and are reported; unknown check ids are an error that
//! names the line.

use super::baseline::Baseline;
use crate::inventory::id_key;
use crate::model::{Finding, Status, SuppressionInfo, SuppressionNote};
use crate::support::toml_diag::{line_of, toml_error};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Clone)]
pub struct Suppression {
    pub check: String,
    pub resource: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires: time::Date,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    suppression: Vec<Spanned<RawSuppression>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppression {
    check: String,
    resource: Option<String>,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<toml::value::Datetime>,
}

#[derive(Debug, thiserror::Error)]
#[error("suppressions are not valid:\n{}", .problems.join("\n"))]
pub struct SuppressionError {
    pub problems: Vec<String>,
}

pub fn parse(
    file: &str,
    text: &str,
    baseline: &Baseline,
) -> Result<Vec<Suppression>, SuppressionError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| SuppressionError {
        problems: vec![toml_error(file, text, &e)],
    })?;
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for s in raw.suppression {
        let at = format!("{file}:{}", line_of(text, s.span().start));
        let s = s.into_inner();
        if s.check != "*" && baseline.get(&s.check).is_none() {
            problems.push(format!(
                "{at}: unknown check id {:?} (see `logposture checks list`)",
                s.check
            ));
            continue;
        }
        let reason = s.reason.filter(|r| !r.trim().is_empty());
        let owner = s.owner.filter(|o| !o.trim().is_empty());
        let (Some(reason), Some(owner)) = (reason, owner) else {
            problems.push(format!(
                "{at}: suppression of {} needs a reason and an owner",
                s.check
            ));
            continue;
        };
        let Some(expires) = s.expires.and_then(|d| d.date) else {
            problems.push(format!(
                "{at}: suppression of {} needs an expiry date, e.g. expires = 2027-03-31",
                s.check
            ));
            continue;
        };
        let Ok(month) = time::Month::try_from(expires.month) else {
            problems.push(format!("{at}: invalid expiry month"));
            continue;
        };
        let Ok(date) = time::Date::from_calendar_date(i32::from(expires.year), month, expires.day)
        else {
            problems.push(format!("{at}: invalid expiry date"));
            continue;
        };
        if s.check == "*" && s.resource.as_deref().is_none_or(matches_everything) {
            problems.push(format!("{at}: check = \"*\" needs a resource pattern that names something (a subscription, resource group or resource); suppressing everything is not allowed"));
            continue;
        }
        out.push(Suppression {
            check: s.check,
            resource: s.resource,
            reason,
            owner,
            expires: date,
            source: at,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(SuppressionError { problems })
    }
}

/// `*` matches any run of characters; comparison ignores case (ARM ids are case-insensitive).
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = id_key(pattern).chars().collect();
    let t: Vec<char> = id_key(text).chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// A resource pattern with nothing literal in it but ARM's fixed words (`*`, `/*`,
/// `/subscriptions/*/*`) matches every resource.
fn matches_everything(pattern: &str) -> bool {
    pattern
        .split('/')
        .map(|seg| seg.trim_matches('*').to_ascii_lowercase())
        .all(|seg| {
            seg.is_empty()
                || matches!(
                    seg.as_str(),
                    "subscriptions" | "resourcegroups" | "providers"
                )
        })
}

impl Suppression {
    fn matches(&self, f: &Finding) -> bool {
        (self.check == "*" || self.check.eq_ignore_ascii_case(&f.check_id))
            && self
                .resource
                .as_deref()
                .is_none_or(|r| glob_match(r, &f.resource_id))
    }
    fn note(&self, state: &str) -> SuppressionNote {
        SuppressionNote {
            check_id: self.check.clone(),
            resource: self.resource.clone(),
            owner: self.owner.clone(),
            expires: self.expires.to_string(),
            source: self.source.clone(),
            state: state.to_string(),
        }
    }
}

/// Mark matching failures as suppressed. Returns notes on expired and unmatched suppressions.
pub fn apply(
    findings: &mut [Finding],
    suppressions: &[Suppression],
    today: time::Date,
) -> Vec<SuppressionNote> {
    let mut notes = Vec::new();
    for s in suppressions {
        if s.expires < today {
            notes.push(s.note("expired"));
            continue;
        }
        let mut used = false;
        for f in findings
            .iter_mut()
            .filter(|f| f.status == Status::Fail && s.matches(f))
        {
            f.status = Status::Suppressed;
            f.suppression = Some(Box::new(SuppressionInfo {
                reason: s.reason.clone(),
                owner: s.owner.clone(),
                expires: s.expires.to_string(),
                source: s.source.clone(),
            }));
            used = true;
        }
        if !used {
            notes.push(s.note("unmatched"));
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "/subscriptions/*/resourceGroups/lab-*",
            "/subscriptions/1/resourcegroups/LAB-x"
        ));
        assert!(!glob_match("/subscriptions/2/*", "/subscriptions/1/x"));
        assert!(glob_match("*", "/anything"));
    }
}
