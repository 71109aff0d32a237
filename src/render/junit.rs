//! JUnit XML for CI test views: one test suite per area, one test case per check × resource.
//! Failures are `<failure>`, not-assessed and suppressed findings are `<skipped>` with the reason.

use crate::results::{Results, Status, AREAS};

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(r: &Results) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let total = r
        .findings
        .iter()
        .filter(|f| f.status != Status::NotApplicable)
        .count();
    let failures = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .count();
    let skipped = r
        .findings
        .iter()
        .filter(|f| matches!(f.status, Status::NotAssessed | Status::Suppressed))
        .count();
    out.push_str(&format!(
        "<testsuites name=\"logposture\" tests=\"{total}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\" timestamp=\"{}\">\n",
        xml_escape(&r.finished_at)
    ));
    for area in AREAS {
        let cases: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.area == area && f.status != Status::NotApplicable)
            .collect();
        if cases.is_empty() {
            continue;
        }
        let fails = cases.iter().filter(|f| f.status == Status::Fail).count();
        let skips = cases
            .iter()
            .filter(|f| matches!(f.status, Status::NotAssessed | Status::Suppressed))
            .count();
        out.push_str(&format!(
            "  <testsuite name=\"{area}\" tests=\"{}\" failures=\"{fails}\" skipped=\"{skips}\" errors=\"0\">\n",
            cases.len()
        ));
        for f in cases {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\">\n",
                xml_escape(&format!("{}.{}", f.area, f.check_id)),
                xml_escape(&format!("{} {}", f.check_id, f.resource_id))
            ));
            match f.status {
                Status::Fail => out.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                    f.severity.as_str(),
                    xml_escape(&f.message),
                    xml_escape(&format!("{}\n\nRemediation:\n{}", f.message, f.remediation))
                )),
                Status::NotAssessed => out.push_str(&format!(
                    "      <skipped message=\"{}\"/>\n",
                    xml_escape(&f.message)
                )),
                Status::Suppressed => {
                    let why = f
                        .suppression
                        .as_ref()
                        .map(|s| {
                            format!(
                                "suppressed: {} (owner {}, expires {})",
                                s.reason, s.owner, s.expires
                            )
                        })
                        .unwrap_or_else(|| "suppressed".into());
                    out.push_str(&format!(
                        "      <skipped message=\"{}\"/>\n",
                        xml_escape(&why)
                    ))
                }
                _ => {}
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
