//! findings.csv: one row per finding (RFC 4180: every field quoted, quotes doubled). With a
//! history, `failing_since` and `days_to_fix` say since when a failure is open and how long a
//! fixed one was; the last column holds the resource's tags as `key=value; key=value`. Values
//! from Azure that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
//! are prefixed with `'`: a resource name must not become a formula in an analyst's sheet.

use crate::model::Results;
use std::io::Write;

const HEADER: &[&str] = &[
    "check_id",
    "title",
    "severity",
    "status",
    "area",
    "subscription_id",
    "subscription_name",
    "resource_group",
    "resource_name",
    "resource_id",
    "location",
    "message",
    "cost_per_month",
    "currency",
    "cost_method",
    "suppression",
    "references",
    "failing_since",
    "days_to_fix",
    "tags",
];

pub(crate) fn field(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 3);
    // Writing to a Vec cannot fail.
    let _ = write_field(&mut out, s);
    String::from_utf8(out).unwrap_or_default()
}

/// One field as [`field`] gives it, written straight to `w` (a million rows of twenty fields:
/// no string built per field).
fn write_field(w: &mut impl Write, s: &str) -> std::io::Result<()> {
    w.write_all(b"\"")?;
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        w.write_all(b"'")?;
    }
    let mut rest = s;
    while let Some(i) = rest.find('"') {
        w.write_all(&rest.as_bytes()[..=i])?;
        w.write_all(b"\"")?;
        rest = &rest[i + 1..];
    }
    w.write_all(rest.as_bytes())?;
    w.write_all(b"\"")
}

fn write_row(w: &mut impl Write, row: &[&str]) -> std::io::Result<()> {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_field(w, v)?;
    }
    w.write_all(b"\n")
}

pub fn render_to(r: &Results, mut w: impl Write) -> anyhow::Result<()> {
    let names = r.subscription_names();
    let currency = r.currency();
    write_row(&mut w, HEADER)?;
    // A subscription that was listed but not read (Disabled, Deleted) has one not-applicable
    // finding per check, all saying the same: one row says it.
    let skipped: std::collections::BTreeMap<String, &str> = r
        .scope
        .subscriptions
        .iter()
        .filter(|s| !s.is_readable_state() && s.state != "Unknown")
        .map(|s| {
            (
                format!("/subscriptions/{}", s.id).to_ascii_lowercase(),
                s.id.as_str(),
            )
        })
        .collect();
    let mut said: std::collections::BTreeSet<String> = Default::default();
    for f in &r.findings {
        let sub = f.subscription_id.as_deref().unwrap_or("");
        let key = f.resource_id.to_ascii_lowercase();
        if f.status == crate::model::Status::NotApplicable && skipped.contains_key(&key) {
            if said.insert(key.clone()) {
                let name = names.get(&sub.to_ascii_lowercase()).copied().unwrap_or("");
                let row = [
                    "*",
                    "Subscription not scanned",
                    "info",
                    "not_applicable",
                    "",
                    sub,
                    name,
                    "",
                    sub,
                    f.resource_id.as_str(),
                    "",
                    f.message.as_str(),
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ];
                write_row(&mut w, &row)?;
            }
            continue;
        }
        let (cost, method) = match &f.cost {
            Some(c) if c.method == "not_measured" => (String::new(), "unknown (not measured)"),
            Some(c) => (format!("{:.2}", c.usd_per_month), c.method.as_str()),
            None => (String::new(), ""),
        };
        let row = [
            f.check_id.as_ref(),
            f.title.as_ref(),
            f.severity.as_str(),
            f.status.as_str(),
            f.area.as_ref(),
            sub,
            names.get(&sub.to_ascii_lowercase()).copied().unwrap_or(""),
            crate::support::ids::resource_group(&f.resource_id).unwrap_or(""),
            &crate::inventory::last_segment(&f.resource_id),
            f.resource_id.as_str(),
            f.location.as_deref().unwrap_or(""),
            f.message.as_str(),
            &cost,
            if cost.is_empty() { "" } else { currency },
            method,
            &f.suppression
                .as_ref()
                .map(|s| format!("{} (owner {}, expires {})", s.reason, s.owner, s.expires))
                .unwrap_or_default(),
            &f.references.join("; "),
            f.failing_since.as_deref().unwrap_or(""),
            &f.time_to_fix
                .as_ref()
                .map(|t| format!("{:.1}", t.days))
                .unwrap_or_default(),
            &f.tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        ];
        write_row(&mut w, &row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_and_quotes_are_neutralised() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("plain"), "\"plain\"");
        assert_eq!(field("a\"b\"\""), "\"a\"\"b\"\"\"\"\"");
        assert_eq!(field("-1"), "\"'-1\"");
        assert_eq!(field(""), "\"\"");
    }
}
