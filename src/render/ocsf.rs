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
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
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
    let mut h = sha2::Sha256::new();
    h.update(tenant.unwrap_or("").to_ascii_lowercase());
    h.update(b"\n");
    h.update(f.check_id.as_bytes());
    h.update(b"\n");
    h.update(crate::inventory::id_key(&f.resource_id));
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(43);
    out.push_str("logposture-");
    for b in &h.finalize()[..16] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
    out
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

// One finding as an OCSF Compliance Finding, borrowed from the finding and written as it
// is serialised (no per-finding JSON tree: a million findings are ~3 GB of OCSF). Fields are
// declared in alphabetical order, the order the file has always had.

#[derive(Serialize)]
struct Event<'a> {
    activity_id: u8,
    activity_name: &'static str,
    category_name: &'static str,
    category_uid: u8,
    class_name: &'static str,
    class_uid: u32,
    cloud: Cloud<'a>,
    compliance: &'a RawValue,
    finding_info: FindingInfo<'a>,
    message: &'a str,
    metadata: &'a RawValue,
    remediation: Remediation<'a>,
    resources: [Resource<'a>; 1],
    severity: &'static str,
    severity_id: u8,
    status: &'static str,
    status_code: &'static str,
    status_detail: &'a str,
    status_id: u8,
    time: i64,
    time_dt: &'a str,
    type_name: &'static str,
    type_uid: u32,
    unmapped: Unmapped<'a>,
}

#[derive(Serialize)]
struct Cloud<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<Account<'a>>,
    provider: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
}

#[derive(Serialize)]
struct Account<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    type_id: u8,
    uid: &'a str,
}

#[derive(Serialize)]
struct Compliance<'a> {
    control: &'a str,
    desc: &'a str,
    requirements: Vec<&'a str>,
    standards: Vec<&'a str>,
    status_id: u8,
}

#[derive(Serialize)]
struct FindingInfo<'a> {
    desc: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_seen_time: Option<i64>,
    title: &'a str,
    types: [&'a str; 1],
    uid: String,
}

#[derive(Serialize)]
struct Metadata<'a> {
    event_code: &'a str,
    product: Product<'a>,
    profiles: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_uid: Option<&'a str>,
    version: &'static str,
}

#[derive(Serialize)]
struct Product<'a> {
    name: &'a str,
    vendor_name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct Remediation<'a> {
    desc: std::borrow::Cow<'a, str>,
    references: &'a [String],
}

#[derive(Serialize)]
struct Resource<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<Group<'a>>,
    labels: Vec<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    #[serde(rename = "type")]
    kind: String,
    uid: &'a str,
}

#[derive(Serialize)]
struct Group<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Unmapped<'a> {
    area: &'a str,
    baseline: &'a str,
    // Cost and suppression as JSON trees: their keys sorted, as the file has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<Value>,
    evidence: &'a crate::model::evidence::Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<Value>,
}

/// What every event of one run shares.
struct Run<'a> {
    results: &'a Results,
    /// Per check: its `compliance` object for each compliance status id, and its `metadata`,
    /// written once (the standards and requirements are ~1.2 KB of every event, escaped once
    /// per check instead of once per finding).
    parts: HashMap<&'a str, CheckParts>,
    names: std::collections::BTreeMap<String, &'a str>,
    time: i64,
    baseline: String,
}

/// A check's pre-written parts of its events.
struct CheckParts {
    /// By compliance status id: Unknown 0, Pass 1, Fail 3, Other 99.
    compliance: [(u8, Box<RawValue>); 4],
    metadata: Box<RawValue>,
}

fn check_parts<'a>(
    results: &'a Results,
    reqs: &HashMap<&'a str, Vec<(&'a str, String)>>,
    f: &'a Finding,
) -> anyhow::Result<CheckParts> {
    let mut standards: Vec<&str> = Vec::new();
    let mut requirements: Vec<&str> = Vec::new();
    for (fw, r) in reqs.get(&*f.check_id).into_iter().flatten() {
        if !standards.contains(fw) {
            standards.push(fw);
        }
        requirements.push(r);
    }
    let compliance = |status_id| {
        serde_json::value::to_raw_value(&Compliance {
            control: &f.check_id,
            desc: &f.title,
            requirements: requirements.clone(),
            standards: standards.clone(),
            status_id,
        })
        .map(|raw| (status_id, raw))
    };
    Ok(CheckParts {
        compliance: [
            compliance(0)?,
            compliance(1)?,
            compliance(3)?,
            compliance(99)?,
        ],
        metadata: serde_json::value::to_raw_value(&Metadata {
            event_code: &f.check_id,
            product: Product {
                name: &results.tool.name,
                vendor_name: &results.tool.name,
                version: &results.tool.version,
            },
            profiles: ["cloud"],
            tenant_uid: results.tenant_id.as_deref(),
            version: OCSF_VERSION,
        })?,
    })
}

/// One finding as an OCSF Compliance Finding.
fn event<'a>(run: &'a Run<'a>, f: &'a Finding) -> anyhow::Result<Event<'a>> {
    let results = run.results;
    let (severity_id, severity_name) = severity(f.severity);
    let parts = run
        .parts
        .get(&*f.check_id)
        .ok_or_else(|| anyhow::anyhow!("no OCSF parts for check {}", f.check_id))?;
    let status_id = compliance_status(f.status);
    let compliance = parts
        .compliance
        .iter()
        .find(|(id, _)| *id == status_id)
        .map(|(_, raw)| &**raw)
        .ok_or_else(|| anyhow::anyhow!("no OCSF compliance status {status_id}"))?;
    let suppressed = f.status == Status::Suppressed;
    Ok(Event {
        activity_id: 1,
        activity_name: "Create",
        category_name: "Findings",
        category_uid: 2,
        class_name: "Compliance Finding",
        class_uid: 2003,
        cloud: Cloud {
            account: f.subscription_id.as_deref().map(|sub| Account {
                name: run
                    .names
                    .get(&sub.to_ascii_lowercase())
                    .copied()
                    .unwrap_or(sub),
                kind: "Azure Subscription",
                type_id: 13,
                uid: sub,
            }),
            provider: "Azure",
            region: f.location.as_deref(),
        },
        compliance,
        finding_info: FindingInfo {
            desc: &f.message,
            first_seen_time: f.failing_since.as_deref().and_then(millis),
            title: &f.title,
            types: [&f.area],
            uid: uid(results.tenant_id.as_deref(), f),
        },
        message: &f.title,
        metadata: &parts.metadata,
        remediation: Remediation {
            desc: f.remediation_text(),
            references: &f.references,
        },
        resources: [Resource {
            group: crate::support::ids::resource_group(&f.resource_id).map(|name| Group { name }),
            labels: f.tags.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            name: crate::inventory::last_segment(&f.resource_id),
            region: f.location.as_deref(),
            kind: resource_type(&f.resource_id),
            uid: &f.resource_id,
        }],
        severity: severity_name,
        severity_id,
        status: if suppressed { "Suppressed" } else { "New" },
        status_code: match f.status {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotAssessed => "NOT_ASSESSED",
            Status::NotApplicable => "NOT_APPLICABLE",
            Status::Suppressed => "SUPPRESSED",
        },
        status_detail: &f.message,
        status_id: if suppressed { 3 } else { 1 },
        time: run.time,
        time_dt: &results.finished_at,
        type_name: "Compliance Finding: Create",
        type_uid: 200301,
        unmapped: Unmapped {
            area: &f.area,
            baseline: &run.baseline,
            cost: f.cost.as_ref().map(serde_json::to_value).transpose()?,
            evidence: &f.evidence,
            suppression: f
                .suppression
                .as_ref()
                .map(serde_json::to_value)
                .transpose()?,
        },
    })
}

/// Writes the JSON array, one finding at a time.
pub fn render_to(results: &Results, w: &mut dyn Write) -> anyhow::Result<()> {
    let reqs = requirements(results);
    let mut parts = HashMap::new();
    for f in &results.findings {
        if !parts.contains_key(&*f.check_id) {
            parts.insert(&*f.check_id, check_parts(results, &reqs, f)?);
        }
    }
    let run = Run {
        results,
        parts,
        names: results.subscription_names(),
        time: millis(&results.finished_at).unwrap_or(0),
        baseline: format!("{} {}", results.baseline.name, results.baseline.version),
    };
    w.write_all(b"[")?;
    for (i, f) in results.findings.iter().enumerate() {
        w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *w, &event(&run, f)?)?;
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
