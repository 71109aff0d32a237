//! Compliance frameworks' controls as judged over a scan (the judging is `evaluate::frameworks`).

use serde::{Deserialize, Serialize};

/// A control's verdict over a scan.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ControlStatus {
    /// A check of the control failed (or its failure is suppressed: accepted, not met).
    NotMet,
    /// No failure, but a check could not be judged somewhere.
    NotAssessed,
    /// Every finding of its checks passes (or is not applicable).
    Met,
    /// Its checks found nothing to judge (disabled, or nothing of that kind in scope).
    NotApplicable,
    /// No logposture check covers it.
    NotCovered,
}

impl ControlStatus {
    pub fn label(self) -> &'static str {
        match self {
            ControlStatus::NotMet => "not met",
            ControlStatus::NotAssessed => "not assessed",
            ControlStatus::Met => "met",
            ControlStatus::NotApplicable => "not applicable",
            ControlStatus::NotCovered => "not covered",
        }
    }
}

/// One control's verdict with the counts behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ControlResult {
    pub id: String,
    pub title: String,
    pub checks: Vec<String>,
    pub status: ControlStatus,
    pub fail: usize,
    pub not_assessed: usize,
    pub pass: usize,
    /// The mapping's note: why no logposture check covers the control, or how logposture
    /// judges it differently from the framework's text (a deviation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A framework's controls judged over a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FrameworkResult {
    pub id: String,
    pub name: String,
    pub met: usize,
    pub not_met: usize,
    pub not_assessed: usize,
    pub not_covered: usize,
    pub controls: Vec<ControlResult>,
}
