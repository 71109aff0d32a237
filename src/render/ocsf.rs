//! findings.ocsf.json: every finding as an OCSF 1.5.0 Compliance Finding (class_uid 2003), the
//! format SIEMs and security data lakes (Amazon Security Lake, Sentinel's OCSF parsers, Splunk)
//! read, and the one Prowler writes. A JSON array, streamed one finding at a time.
//!
//! Mapping: the check is `compliance.control`, the frameworks whose controls it covers are
//! `compliance.standards` and their controls `compliance.requirements`; the verdict is
//! `compliance.status_id` (Pass 1, Fail 3, not assessed Unknown 0, not applicable Other 99) and
//! `status_code`; a suppressed failure keeps Fail and has the finding status Suppressed. The
//! subscription is `cloud.account` (type Azure Subscription, the cloud profile); the resource
//! carries its type, region, resource group and tags. `finding_info.uid` is a hash of the
//! tenant, the check and the resource: the same finding has the same uid in every run.

use crate::model::{Finding, Results, Severity, Status};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;

pub const FILE: &str = "findings.ocsf.json";
const OCSF_VERSION: &str = "1.5.0";

fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// `compliance.status_id`: Pass 1, Fail 3, Unknown 0, Other 99.
fn compliance_status(s: Status) -> u8 {
    match s {
        Status::Pass => 1,
        Status::Fail | Status::Suppressed => 3,
        Status::NotAssessed => 0,
        Status::NotApplicable => 99,
    }
}

/// The ARM type in a resource id (`Microsoft.KeyVault/vaults`), or what the scope is.
fn resource_type(id: &str) -> String {
    let parts: Vec<&str> = id.trim_matches('/').split('/').collect();
    let Some(p) = parts
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
    else {
        return if parts.len() == 2 {
            "Microsoft.Resources/subscriptions".into()
        } else {
            "Microsoft.Resources/resourceGroups".into()
        };
    };
    let rest = &parts[p + 1..];
    // Namespace, then every type segment (names sit between them: servers/a/databases/b).
    let mut t = vec![rest.first().copied().unwrap_or_default().to_string()];
    t.extend(rest.iter().skip(1).step_by(2).map(|s| s.to_string()));
    t.join("/")
}

/// A stable id: the same tenant, check and resource give the same uid in every run.
pub fn uid(tenant: Option<&str>, f: &Finding) -> String {
    use sha2::Digest as _;
    let key = format!(
        "{}\n{}\n{}",
        tenant.unwrap_or("").to_ascii_lowercase(),
        f.check_id,
        crate::inventory::id_key(&f.resource_id)
    );
    let h = sha2::Sha256::digest(key.as_bytes());
    let hex: String = h[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("logposture-{hex}")
}

fn millis(rfc3339: &str) -> Option<i64> {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Which frameworks' controls each check covers: check id → (framework name, requirement).
fn requirements(results: &Results) -> HashMap<&str, Vec<(&str, String)>> {
    let mut out: HashMap<&str, Vec<(&str, String)>> = HashMap::new();
    for fw in &results.frameworks {
        // The standard's name without its scope note ("PCI DSS v4.0.1 — Requirement 10: ...").
        let standard = fw.name.split(" — ").next().unwrap_or(&fw.name).trim();
        for c in &fw.controls {
            for check in &c.checks {
                out.entry(check.as_str())
                    .or_default()
                    .push((standard, format!("{standard} {}", c.id)));
            }
        }
    }
    out
}

/// One finding as an OCSF Compliance Finding.
fn event(
    results: &Results,
    f: &Finding,
    reqs: &HashMap<&str, Vec<(&str, String)>>,
    names: &std::collections::BTreeMap<String, &str>,
) -> Value {
    let (severity_id, severity_name) = severity(f.severity);
    let status_id = compliance_status(f.status);
    let time = millis(&results.finished_at).unwrap_or(0);
    let mut standards: Vec<&str> = Vec::new();
    let mut requirements: Vec<&str> = Vec::new();
    for (fw, r) in reqs.get(f.check_id.as_str()).into_iter().flatten() {
        if !standards.contains(fw) {
            standards.push(fw);
        }
        requirements.push(r);
    }
    let labels: Vec<String> = f.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut resource = json!({
        "uid": f.resource_id,
        "name": crate::inventory::last_segment(&f.resource_id),
        "type": resource_type(&f.resource_id),
        "labels": labels,
    });
    if let Some(l) = &f.location {
        resource["region"] = json!(l);
    }
    if let Some(rg) = crate::support::ids::resource_group(&f.resource_id) {
        resource["group"] = json!({ "name": rg });
    }
    let mut e = json!({
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2003,
        "class_name": "Compliance Finding",
        "type_uid": 200301,
        "type_name": "Compliance Finding: Create",
        "time": time,
        "time_dt": results.finished_at,
        "severity_id": severity_id,
        "severity": severity_name,
        "status_id": if f.status == Status::Suppressed { 3 } else { 1 },
        "status": if f.status == Status::Suppressed { "Suppressed" } else { "New" },
        "status_code": f.status.as_str().to_ascii_uppercase(),
        "status_detail": f.message,
        "message": f.title,
        "compliance": {
            "control": f.check_id,
            "desc": f.title,
            "standards": standards,
            "requirements": requirements,
            "status_id": status_id,
        },
        "finding_info": {
            "uid": uid(results.tenant_id.as_deref(), f),
            "title": f.title,
            "desc": f.message,
            "types": [f.area],
        },
        "resources": [resource],
        "remediation": {
            "desc": f.remediation,
            "references": f.references,
        },
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": results.tool.name,
                "vendor_name": results.tool.name,
                "version": results.tool.version,
            },
            "event_code": f.check_id,
            "profiles": ["cloud"],
        },
        "unmapped": {
            "area": f.area,
            "evidence": f.evidence,
            "baseline": format!("{} {}", results.baseline.name, results.baseline.version),
        },
    });
    if let Some(t) = &results.tenant_id {
        e["metadata"]["tenant_uid"] = json!(t);
    }
    if let Some(since) = f.failing_since.as_deref().and_then(millis) {
        e["finding_info"]["first_seen_time"] = json!(since);
    }
    let mut cloud = json!({ "provider": "Azure" });
    if let Some(sub) = &f.subscription_id {
        cloud["account"] = json!({
            "uid": sub,
            "name": names.get(&sub.to_ascii_lowercase()).copied().unwrap_or(sub.as_str()),
            "type_id": 13,
            "type": "Azure Subscription",
        });
    }
    if let Some(l) = &f.location {
        cloud["region"] = json!(l);
    }
    e["cloud"] = cloud;
    if let Some(c) = &f.cost {
        e["unmapped"]["cost"] = json!(c);
    }
    if let Some(s) = &f.suppression {
        e["unmapped"]["suppression"] = json!(s);
    }
    e
}

/// Writes the JSON array, one finding at a time.
pub fn render_to(results: &Results, w: &mut dyn Write) -> anyhow::Result<()> {
    let reqs = requirements(results);
    let names = results.subscription_names();
    w.write_all(b"[")?;
    for (i, f) in results.findings.iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *w, &event(results, f, &reqs, &names))?;
    }
    w.write_all(b"\n]\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_types_from_ids() {
        assert_eq!(
            resource_type(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv"
            ),
            "Microsoft.KeyVault/vaults"
        );
        assert_eq!(
            resource_type(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Sql/servers/a/databases/b"
            ),
            "Microsoft.Sql/servers/databases"
        );
        assert_eq!(
            resource_type("/subscriptions/s"),
            "Microsoft.Resources/subscriptions"
        );
        assert_eq!(
            resource_type("/providers/microsoft.aadiam"),
            "microsoft.aadiam"
        );
    }
}
