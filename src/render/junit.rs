//! JUnit XML for CI test views: one test suite per area, one test case per check × resource.
//! Failures are `<failure>`, not-assessed and suppressed findings are `<skipped>` with the reason.

use crate::model::{Results, Status, AREAS};

pub fn xml_escape(s: &str) -> std::borrow::Cow<'_, str> {
    // Most values need nothing: no copy for them (a 100,000-resource report escapes millions).
    let clean = s.bytes().all(|b| {
        b >= 0x20 && !matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0xEF)
            || matches!(b, b'\t' | b'\n' | b'\r')
    });
    if clean {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters and the non-characters U+FFFE/U+FFFF,
            // even escaped: one in a resource name would make the whole file unparseable.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

pub fn render(r: &Results) -> String {
    let mut buf = Vec::new();
    // Writing into memory cannot fail.
    let _ = render_to(r, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

pub fn render_to(r: &Results, out: &mut impl std::io::Write) -> std::io::Result<()> {
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
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
    writeln!(
        out,
        "<testsuites name=\"logposture\" tests=\"{total}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\" timestamp=\"{}\">",
        xml_escape(&r.finished_at)
    )?;
    if let Some(d) = &r.drift {
        // --compare: drift counts as suite properties, which CI test views show.
        writeln!(out, "  <properties>")?;
        for (name, value) in [
            (
                "drift.previous_finished_at",
                xml_escape(&d.previous_finished_at).into_owned(),
            ),
            ("drift.new_failures", d.new_failures.to_string()),
            ("drift.resolved", d.resolved.to_string()),
            ("drift.still_failing", d.still_failing.to_string()),
        ] {
            writeln!(out, "    <property name=\"{name}\" value=\"{value}\"/>")?;
        }
        writeln!(out, "  </properties>")?;
    }
    for area in AREAS {
        let cases: Vec<_> = r
            .findings
            .iter()
            .filter(|f| &*f.area == area && f.status != Status::NotApplicable)
            .collect();
        if cases.is_empty() {
            continue;
        }
        let fails = cases.iter().filter(|f| f.status == Status::Fail).count();
        let skips = cases
            .iter()
            .filter(|f| matches!(f.status, Status::NotAssessed | Status::Suppressed))
            .count();
        writeln!(
            out,
            "  <testsuite name=\"{area}\" tests=\"{}\" failures=\"{fails}\" skipped=\"{skips}\" errors=\"0\">",
            cases.len()
        )?;
        for f in cases {
            writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">",
                xml_escape(&format!("{}.{}", f.area, f.check_id)),
                xml_escape(&format!("{} {}", f.check_id, f.resource_id))
            )?;
            match f.status {
                Status::Fail => writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    f.severity.as_str(),
                    xml_escape(&f.message),
                    xml_escape(&format!(
                        "{}\n\nRemediation:\n{}",
                        f.message,
                        f.remediation_text()
                    ))
                )?,
                Status::NotAssessed => writeln!(
                    out,
                    "      <skipped message=\"{}\"/>",
                    xml_escape(&f.message)
                )?,
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
                    writeln!(out, "      <skipped message=\"{}\"/>", xml_escape(&why))?
                }
                _ => {}
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}
