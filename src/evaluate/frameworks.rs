//! Framework mappings (`checks/frameworks.toml`): which checks cover which control of CIS
//! Microsoft Azure Foundations 5.0, the Microsoft cloud security benchmark, PCI DSS 4.0
//! requirement 10 and ISO/IEC 27001:2022, and each control's verdict from a scan's findings.

use super::baseline::Baseline;
use crate::model::frameworks::{ControlResult, ControlStatus, FrameworkResult};
use crate::model::{Finding, Status};
use crate::support::toml_diag::toml_error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const BUILTIN_FILE: (&str, &str) = (
    "checks/frameworks.toml",
    include_str!("../../checks/frameworks.toml"),
);

#[derive(Debug, Clone, Deserialize)]
struct RawFile {
    #[serde(default)]
    framework: Vec<Framework>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Framework {
    pub id: String,
    pub name: String,
    #[serde(default, rename = "control")]
    pub controls: Vec<Control>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    pub id: String,
    pub title: String,
    /// The checks that together cover the control; empty: not covered by logposture.
    #[serde(default)]
    pub checks: Vec<String>,
    /// Why a control is not covered, or how the checks cover it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Every problem with the framework mappings, each naming the file (and line or control).
#[derive(Debug, thiserror::Error)]
#[error("framework mappings are not valid:\n{}", .problems.join("\n"))]
pub struct FrameworkError {
    pub problems: Vec<String>,
}

/// The built-in mappings, every check id checked against the baseline (a typo is an error that
/// names the file, control and id).
pub fn load(baseline: &Baseline) -> Result<Vec<Framework>, FrameworkError> {
    let (file, text) = BUILTIN_FILE;
    let raw: RawFile = toml::from_str(text).map_err(|e| FrameworkError {
        problems: vec![toml_error(file, text, &e)],
    })?;
    let mut problems = Vec::new();
    for f in &raw.framework {
        for c in &f.controls {
            for id in &c.checks {
                if baseline.get(id).is_none() {
                    problems.push(format!(
                        "{file}: {} control {} names unknown check {id}",
                        f.id, c.id
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(raw.framework)
    } else {
        Err(FrameworkError { problems })
    }
}

pub fn judge(frameworks: &[Framework], findings: &[Finding]) -> Vec<FrameworkResult> {
    let mut by_check: BTreeMap<String, Vec<Status>> = BTreeMap::new();
    for f in findings {
        by_check
            .entry(f.check_id.to_ascii_uppercase())
            .or_default()
            .push(f.status);
    }
    frameworks
        .iter()
        .map(|fw| {
            let controls: Vec<ControlResult> = fw
                .controls
                .iter()
                .map(|c| {
                    let statuses: Vec<Status> = c
                        .checks
                        .iter()
                        .flat_map(|id| {
                            by_check
                                .get(&id.to_ascii_uppercase())
                                .cloned()
                                .unwrap_or_default()
                        })
                        .collect();
                    let count = |s: Status| statuses.iter().filter(|x| **x == s).count();
                    let fail = count(Status::Fail) + count(Status::Suppressed);
                    let not_assessed = count(Status::NotAssessed);
                    let pass = count(Status::Pass);
                    let status = if c.checks.is_empty() {
                        ControlStatus::NotCovered
                    } else if fail > 0 {
                        ControlStatus::NotMet
                    } else if not_assessed > 0 {
                        ControlStatus::NotAssessed
                    } else if pass > 0 {
                        ControlStatus::Met
                    } else {
                        ControlStatus::NotApplicable
                    };
                    ControlResult {
                        id: c.id.clone(),
                        title: c.title.clone(),
                        checks: c.checks.clone(),
                        status,
                        fail,
                        not_assessed,
                        pass,
                        note: c.note.clone(),
                    }
                })
                .collect();
            let n = |s: ControlStatus| controls.iter().filter(|c| c.status == s).count();
            FrameworkResult {
                id: fw.id.clone(),
                name: fw.name.clone(),
                met: n(ControlStatus::Met),
                not_met: n(ControlStatus::NotMet),
                not_assessed: n(ControlStatus::NotAssessed),
                not_covered: n(ControlStatus::NotCovered),
                controls,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_is_met_only_when_no_check_fails_or_goes_unjudged() {
        let fw = vec![Framework {
            id: "f".into(),
            name: "F".into(),
            controls: vec![
                Control {
                    id: "1".into(),
                    title: "a".into(),
                    checks: vec!["A".into()],
                    note: None,
                },
                Control {
                    id: "2".into(),
                    title: "b".into(),
                    checks: vec!["A".into(), "B".into()],
                    note: None,
                },
                Control {
                    id: "3".into(),
                    title: "c".into(),
                    checks: vec!["C".into()],
                    note: None,
                },
                Control {
                    id: "4".into(),
                    title: "d".into(),
                    checks: vec![],
                    note: None,
                },
                Control {
                    id: "5".into(),
                    title: "e".into(),
                    checks: vec!["D".into()],
                    note: None,
                },
            ],
        }];
        let findings = vec![
            Finding::for_test("A", Status::Pass),
            Finding::for_test("B", Status::Suppressed),
            Finding::for_test("C", Status::NotAssessed),
            Finding::for_test("C", Status::Pass),
            Finding::for_test("D", Status::NotApplicable),
        ];
        let r = &judge(&fw, &findings)[0];
        let st: Vec<ControlStatus> = r.controls.iter().map(|c| c.status).collect();
        assert_eq!(
            st,
            [
                ControlStatus::Met,
                ControlStatus::NotMet,
                ControlStatus::NotAssessed,
                ControlStatus::NotCovered,
                ControlStatus::NotApplicable
            ]
        );
        assert_eq!(
            (r.met, r.not_met, r.not_assessed, r.not_covered),
            (1, 1, 1, 1)
        );
    }
}
