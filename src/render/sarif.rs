//! SARIF 2.1.0 for GitHub code scanning: one rule per check (with help text), one result per
//! unsuppressed failure. GitHub needs a repository-relative physical location, so each result
//! points at `azure/<resource id>`; the resource id is also the logical location. Fingerprints
//! hash check id and lower-cased resource id, so alerts track across runs.

use crate::model::{Results, Severity, Status};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` (0.0–10.0) drives its critical/high/medium/low labels.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

pub fn fingerprint(check_id: &str, resource_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(check_id.as_bytes());
    h.update(b"\n");
    h.update(crate::inventory::id_key(resource_id).as_bytes());
    let d = h.finalize();
    d.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A relative URI for a resource: path segments percent-encoded (names may hold any Unicode).
pub fn artifact_uri(resource_id: &str) -> String {
    let mut out = String::from("azure");
    for seg in resource_id.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        for b in seg.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

pub fn render(r: &Results) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    render_to(r, &mut buf)?;
    Ok(String::from_utf8(buf)?)
}

/// Results serialised one at a time, so the document never exists whole in memory.
struct LazyResults<'a> {
    results: &'a Results,
    index: &'a BTreeMap<&'a str, usize>,
}

impl serde::Serialize for LazyResults<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.results
                .findings
                .iter()
                .filter(|f| f.status == Status::Fail)
                .map(|f| {
                    result(
                        f,
                        self.index.get(&*f.check_id).copied().unwrap_or(0),
                        self.results.currency(),
                    )
                }),
        )
    }
}

#[derive(serde::Serialize)]
struct Doc<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(serde::Serialize)]
struct Run<'a> {
    tool: Value,
    #[serde(rename = "automationDetails")]
    automation_details: Value,
    invocations: Value,
    results: LazyResults<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<Value>,
}

// A result borrowed from its finding, written as it is serialised (no JSON tree per failing
// finding). Fields in alphabetical order: the order the file has always had.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text,
    partial_fingerprints: Fingerprints,
    properties: Properties<'a>,
    rule_id: &'a str,
    rule_index: usize,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    logical_locations: [LogicalLocation<'a>; 1],
    physical_location: PhysicalLocation,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: Uri,
    region: Region,
}

#[derive(serde::Serialize)]
struct Uri {
    uri: String,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(serde::Serialize)]
struct Text {
    text: String,
}

#[derive(serde::Serialize)]
struct Fingerprints {
    #[serde(rename = "logposture/v1")]
    v1: String,
}

/// A result's properties: area, severity, subscription, and (with a history) since when it fails.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Properties<'a> {
    area: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    failing_since: Option<&'a str>,
    severity: &'static str,
    subscription_id: Option<&'a str>,
}

fn result<'a>(f: &'a crate::model::Finding, rule_index: usize, currency: &str) -> SarifResult<'a> {
    let mut text = f.message.clone();
    if let Some(c) = &f.cost {
        text.push_str(&format!(
            " Estimated cost to close: {}.",
            super::view::cost_phrase(c, currency)
        ));
    }
    SarifResult {
        level: level(f.severity),
        locations: [Location {
            logical_locations: [LogicalLocation {
                fully_qualified_name: &f.resource_id,
                kind: "resource",
            }],
            physical_location: PhysicalLocation {
                artifact_location: Uri {
                    uri: artifact_uri(&f.resource_id),
                },
                region: Region { start_line: 1 },
            },
        }],
        message: Text { text },
        partial_fingerprints: Fingerprints {
            v1: fingerprint(&f.check_id, &f.resource_id),
        },
        properties: Properties {
            area: &f.area,
            failing_since: f.failing_since.as_deref(),
            severity: f.severity.as_str(),
            subscription_id: f.subscription_id.as_deref(),
        },
        rule_id: &f.check_id,
        rule_index,
    }
}

/// Where a built-in check is defined, on the project's repository at this version; checks
/// from the user's own baseline files have no public page.
fn help_uri(source: &str, version: &str) -> Option<String> {
    let (file, line) = source.rsplit_once(':')?;
    if !file.starts_with("checks/") || !file.ends_with(".toml") || file.contains("..") {
        return None;
    }
    let line: u32 = line.parse().ok()?;
    Some(format!(
        "https://github.com/logposture/logposture/blob/v{version}/{file}#L{line}"
    ))
}

pub fn render_to(r: &Results, w: &mut impl std::io::Write) -> anyhow::Result<()> {
    // Rules: every check that produced a finding, in id order.
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let defs: BTreeMap<&str, &crate::model::CheckInfo> =
        r.checks.iter().map(|c| (c.id.as_str(), c)).collect();
    for f in &r.findings {
        rules.entry(f.check_id.to_string()).or_insert_with(|| {
            let def = defs.get(f.check_id.as_ref());
            // The rule's own text (placeholders unfilled) when results.json has it; older
            // results only have the finding's.
            let own = f.remediation_text();
            let remediation = def.map_or(own.as_ref(), |d| d.remediation.as_ref());
            let rationale = def.map_or("", |d| d.rationale.as_str());
            let policy = def
                .and_then(|d| d.azure_policy.as_ref())
                .map(|p| format!("\n\nAt scale: Azure Policy \"{}\" ({})", p.name, p.id))
                .unwrap_or_default();
            let help = format!(
                "{}\n\n{rationale}\n\nRemediation:\n{remediation}{policy}\n\nReferences: {}",
                f.title,
                f.references.join(", ")
            );
            let help_md = format!(
                "**{}**\n\n{rationale}\n\n**Remediation**\n\n```\n{remediation}\n```{policy}\n\nReferences: {}",
                f.title,
                f.references.join(", ")
            );
            let mut rule = json!({
                "id": f.check_id,
                "name": f.check_id.replace('-', ""),
                "shortDescription": { "text": f.title },
                "fullDescription": { "text": if rationale.is_empty() { f.title.as_ref() } else { rationale } },
                "help": { "text": help, "markdown": help_md },
                "defaultConfiguration": { "level": level(f.severity) },
                "properties": {
                    "tags": ["security", "logging", f.area],
                    "security-severity": security_severity(f.severity),
                    "precision": "high",
                },
            });
            if let (Some(uri), Some(obj)) = (
                def.and_then(|d| help_uri(&d.source, &r.tool.version)),
                rule.as_object_mut(),
            ) {
                obj.insert("helpUri".into(), Value::String(uri));
            }
            rule
        });
    }
    let ids: Vec<String> = rules.keys().cloned().collect();
    let index: BTreeMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let doc = Doc {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: json!({ "driver": {
                "name": r.tool.name,
                "version": r.tool.version,
                "semanticVersion": r.tool.version,
                "informationUri": "https://github.com/logposture/logposture",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }}),
            automation_details: json!({ "id": format!("logposture/{}/", r.tenant_id.clone().unwrap_or_else(|| "tenant".into())) }),
            invocations: json!([{
                "executionSuccessful": true,
                "startTimeUtc": r.started_at,
                "endTimeUtc": r.finished_at,
                "toolExecutionNotifications": r.errors.iter().map(|e| json!({
                    "level": "warning",
                    "message": { "text": e.summary() },
                })).collect::<Vec<_>>(),
            }]),
            results: LazyResults {
                results: r,
                index: &index,
            },
            // --compare: new, resolved and still-failing counts against the previous run.
            properties: r.drift.as_ref().map(|d| {
                json!({ "drift": {
                    "previousFinishedAt": d.previous_finished_at,
                    "newFailures": d.new_failures,
                    "resolved": d.resolved,
                    "stillFailing": d.still_failing,
                }})
            }),
        }],
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")?;
    Ok(())
}
