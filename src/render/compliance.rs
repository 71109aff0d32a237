//! `compliance/<framework>.csv`: each framework's controls as judged over the scan, one row per
//! control, the file an auditor's spreadsheet expects. Quoted like findings.csv.

use super::csv::field;
use crate::model::Results;

const HEADER: &[&str] = &[
    "control_id",
    "title",
    "status",
    "checks",
    "pass",
    "fail",
    "not_assessed",
    "not_covered_because",
    "note",
];

/// (file name, CSV text) per framework judged in `r`.
pub fn files(r: &Results) -> Vec<(String, String)> {
    r.frameworks
        .iter()
        .map(|fw| {
            let mut out = HEADER.join(",");
            out.push_str("\r\n");
            for c in &fw.controls {
                let row = [
                    field(&c.id),
                    field(&c.title),
                    field(c.status.label()),
                    field(&c.checks.join(" ")),
                    c.pass.to_string(),
                    c.fail.to_string(),
                    c.not_assessed.to_string(),
                    // Why it is not covered, or (covered) how logposture's judgement differs.
                    field(
                        c.note
                            .as_deref()
                            .filter(|_| c.checks.is_empty())
                            .unwrap_or(""),
                    ),
                    field(
                        c.note
                            .as_deref()
                            .filter(|_| !c.checks.is_empty())
                            .unwrap_or(""),
                    ),
                ];
                out.push_str(&row.join(","));
                out.push_str("\r\n");
            }
            (format!("{}.csv", file_stem(&fw.id)), out)
        })
        .collect()
}

/// A framework id as a file name: letters, digits, `.` and `-` (ids come from the baseline,
/// which a user may override).
fn file_stem(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('.').to_string();
    if s.is_empty() {
        "framework".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_ids_cannot_leave_the_folder() {
        assert_eq!(file_stem("../../etc/passwd"), "-..-etc-passwd");
        assert_eq!(file_stem("CIS 5.0"), "cis-5.0");
        assert_eq!(file_stem(".."), "framework");
    }
}
