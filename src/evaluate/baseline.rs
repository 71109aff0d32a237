//! The baseline: check definitions kept as TOML in `checks/` (built in at compile time) and
//! optionally overridden or extended by `--baseline FILE`. Thresholds, category lists and
//! severities are parameters; the logic of each `kind` is Rust (see `rules/`).
//!
//! Loading is two-phase: raw TOML (with spans) → validated [`CheckDef`]s. Every problem is
//! reported with its file and line, all of them at once.

use super::rules::Rule;
use crate::model::policy::AzurePolicy;
use crate::model::{Severity, AREAS};
use crate::support::toml_diag::{toml_error, Lines};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use toml::Spanned;

/// The built-in baseline, one file per area, compiled into the binary.
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "checks/baseline.toml",
        include_str!("../../checks/baseline.toml"),
    ),
    (
        "checks/activity-log.toml",
        include_str!("../../checks/activity-log.toml"),
    ),
    (
        "checks/resource-logs.toml",
        include_str!("../../checks/resource-logs.toml"),
    ),
    (
        "checks/entra-logs.toml",
        include_str!("../../checks/entra-logs.toml"),
    ),
    (
        "checks/flow-logs.toml",
        include_str!("../../checks/flow-logs.toml"),
    ),
    (
        "checks/trails.toml",
        include_str!("../../checks/trails.toml"),
    ),
    (
        "checks/network-watcher.toml",
        include_str!("../../checks/network-watcher.toml"),
    ),
    (
        "checks/retention.toml",
        include_str!("../../checks/retention.toml"),
    ),
    (
        "checks/security-events.toml",
        include_str!("../../checks/security-events.toml"),
    ),
    (
        "checks/defender.toml",
        include_str!("../../checks/defender.toml"),
    ),
    (
        "checks/log-storage.toml",
        include_str!("../../checks/log-storage.toml"),
    ),
    (
        "checks/alerts.toml",
        include_str!("../../checks/alerts.toml"),
    ),
    (
        "checks/data-services.toml",
        include_str!("../../checks/data-services.toml"),
    ),
    (
        "checks/arrival.toml",
        include_str!("../../checks/arrival.toml"),
    ),
];

/// One validated check.
#[derive(Debug, Clone)]
pub struct CheckDef {
    /// Shared with every finding of the check (see `model::Finding`).
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub area: Arc<str>,
    pub severity: Severity,
    pub kind: String,
    pub rationale: String,
    pub remediation: Arc<str>,
    pub references: Arc<[String]>,
    pub enabled: bool,
    /// The params as written (shown by `checks explain`).
    pub params: toml::Table,
    /// The rule with its params parsed and validated at load: what evaluation runs.
    pub rule: Arc<dyn Rule>,
    /// `file:line` where the check (or its last override) was defined.
    pub source: String,
    /// The title as written, `{param.*}` unfilled (an override of a param refills it).
    pub title_template: String,
    /// The built-in Azure Policy definition or initiative that fixes this at scale.
    pub azure_policy: Option<Arc<AzurePolicy>>,
    /// What `--baseline` files changed, each with its `file:line`: shown to auditors.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Baseline {
    pub name: String,
    pub version: String,
    pub checks: Vec<CheckDef>,
    pub override_files: Vec<String>,
    /// SHA-256 of the effective baseline (every check as evaluated): two runs with the same
    /// hash judged by the same rules.
    pub sha256: String,
}

impl Baseline {
    /// True when `--baseline` files changed or added a check.
    pub fn modified(&self) -> bool {
        self.checks.iter().any(|c| !c.changes.is_empty())
    }

    pub fn get(&self, id: &str) -> Option<&CheckDef> {
        self.checks.iter().find(|c| c.id.eq_ignore_ascii_case(id))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    baseline: Option<RawHeader>,
    #[serde(default)]
    check: Vec<RawCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: Option<String>,
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    id: Spanned<String>,
    title: Option<String>,
    area: Option<String>,
    severity: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    rationale: Option<String>,
    remediation: Option<String>,
    references: Option<Vec<String>>,
    enabled: Option<bool>,
    params: Option<Spanned<toml::Table>>,
    azure_policy: Option<AzurePolicy>,
}

/// All problems found in baseline files, each with file and line.
#[derive(Debug, thiserror::Error)]
#[error("baseline is not valid:\n{}", .problems.join("\n"))]
pub struct BaselineError {
    pub problems: Vec<String>,
}

/// Validates a check's parameters against its kind.
pub type ParamValidator = fn(&str, &toml::Table) -> Result<Arc<dyn Rule>, String>;

/// Load the built-in baseline, then each override file in order.
pub fn load(
    overrides: &[(String, String)],
    validate_params: ParamValidator,
) -> Result<Baseline, BaselineError> {
    let mut problems = Vec::new();
    let mut baseline = Baseline {
        name: "logposture".into(),
        version: String::new(),
        checks: Vec::new(),
        override_files: overrides.iter().map(|(f, _)| f.clone()).collect(),
        sha256: String::new(),
    };
    let builtin = BUILTIN_FILES
        .iter()
        .map(|(f, t)| (f.to_string(), t.to_string(), true));
    let user = overrides.iter().map(|(f, t)| (f.clone(), t.clone(), false));
    let mut index = std::collections::HashMap::new();
    for (file, text, is_builtin) in builtin.chain(user) {
        let raw: RawFile = match toml::from_str(&text) {
            Ok(r) => r,
            Err(e) => {
                problems.push(toml_error(&file, &text, &e));
                continue;
            }
        };
        if let Some(h) = raw.baseline {
            if is_builtin {
                baseline.name = h.name.unwrap_or(baseline.name);
                baseline.version = h.version.unwrap_or(baseline.version);
            }
        }
        let lines = Lines::new(&text);
        for rc in raw.check {
            let source = SourceFile {
                name: &file,
                lines: &lines,
                is_builtin,
            };
            merge_check(
                &mut baseline,
                &mut index,
                rc,
                &source,
                validate_params,
                &mut problems,
            );
        }
    }
    finish(&mut baseline, &mut problems);
    if problems.is_empty() {
        Ok(baseline)
    } else {
        Err(BaselineError { problems })
    }
}

/// The baseline file a check comes from.
struct SourceFile<'a> {
    name: &'a str,
    lines: &'a Lines,
    is_builtin: bool,
}

fn merge_check(
    baseline: &mut Baseline,
    index: &mut std::collections::HashMap<String, usize>,
    rc: RawCheck,
    source: &SourceFile<'_>,
    validate_params: ParamValidator,
    problems: &mut Vec<String>,
) {
    let (file, lines, is_builtin) = (source.name, source.lines, source.is_builtin);
    let line = lines.line(rc.id.span().start);
    let at = format!("{file}:{line}");
    let id = rc.id.into_inner().trim().to_string();
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        problems.push(format!(
            "{at}: check id {id:?} must be non-empty and without spaces"
        ));
        return;
    }
    let severity = match rc
        .severity
        .as_ref()
        .map(|s| s.get_ref().parse::<Severity>())
    {
        Some(Err(e)) => {
            problems.push(format!("{at}: check {id}: {e}"));
            return;
        }
        Some(Ok(s)) => Some(s),
        None => None,
    };
    if let Some(area) = &rc.area {
        if !AREAS.contains(&area.as_str()) {
            problems.push(format!(
                "{at}: check {id}: unknown area {area:?} (expected one of {})",
                AREAS.join(", ")
            ));
            return;
        }
    }
    let existing = index.get(&id.to_ascii_lowercase()).copied();
    match existing {
        Some(i) if is_builtin => {
            problems.push(format!(
                "{at}: check id {id} is defined twice (first at {})",
                baseline.checks[i].source
            ));
        }
        Some(i) => {
            // An override: only the fields given change; params merge key by key. Each
            // change is recorded with where it was made, for the statement of assessment.
            let c = &mut baseline.checks[i];
            let mut changed = Vec::new();
            if let Some(t) = rc.title {
                if t != c.title_template {
                    changed.push(format!("title {:?} → {t:?}", c.title_template));
                }
                c.title_template = t;
            }
            if let Some(a) = rc.area {
                if *a != *c.area {
                    changed.push(format!("area {} → {a}", c.area));
                }
                c.area = a.into();
            }
            if let Some(s) = severity {
                if s != c.severity {
                    changed.push(format!("severity {} → {}", c.severity.as_str(), s.as_str()));
                }
                c.severity = s;
            }
            if let Some(k) = rc.kind {
                let k = k.into_inner();
                if k != c.kind {
                    changed.push(format!("kind {} → {k}", c.kind));
                }
                c.kind = k;
            }
            if let Some(r) = rc.rationale {
                if r != c.rationale {
                    changed.push("rationale rewritten".into());
                }
                c.rationale = r;
            }
            if let Some(r) = rc.remediation {
                if *r != *c.remediation {
                    changed.push("remediation rewritten".into());
                }
                c.remediation = r.into();
            }
            if let Some(r) = rc.references {
                if *r != *c.references {
                    changed.push("references replaced".into());
                }
                c.references = r.into();
            }
            if let Some(e) = rc.enabled {
                if e != c.enabled {
                    changed.push(if e {
                        "enabled".into()
                    } else {
                        "disabled".into()
                    });
                }
                c.enabled = e;
            }
            if let Some(p) = rc.azure_policy {
                c.azure_policy = Some(Arc::new(p));
            }
            if let Some(p) = rc.params {
                for (k, v) in p.into_inner() {
                    match c.params.get(&k) {
                        Some(old) if *old == v => {}
                        Some(old) => changed.push(format!("params.{k} {old} → {v}")),
                        None => changed.push(format!("params.{k} set to {v}")),
                    }
                    c.params.insert(k, v);
                }
            }
            c.changes
                .extend(changed.into_iter().map(|ch| format!("{ch} ({at})")));
            c.source = at.clone();
            match validate_params(&c.kind, &c.params) {
                Ok(rule) => c.rule = rule,
                Err(e) => problems.push(format!("{at}: check {id}: {e}")),
            }
        }
        None => {
            let mut missing = Vec::new();
            if rc.title.is_none() {
                missing.push("title");
            }
            if rc.area.is_none() {
                missing.push("area");
            }
            if severity.is_none() {
                missing.push("severity");
            }
            if rc.kind.is_none() {
                missing.push("kind");
            }
            if rc.remediation.is_none() {
                missing.push("remediation");
            }
            if !missing.is_empty() {
                problems.push(format!("{at}: new check {id} lacks {}", missing.join(", ")));
                return;
            }
            let kind_span = rc
                .kind
                .as_ref()
                .map(|k| lines.line(k.span().start))
                .unwrap_or(line);
            let params_line = rc
                .params
                .as_ref()
                .map(|p| lines.line(p.span().start))
                .unwrap_or(line);
            let kind = rc.kind.map(Spanned::into_inner).unwrap_or_default();
            let params = rc.params.map(Spanned::into_inner).unwrap_or_default();
            let rule = match validate_params(&kind, &params) {
                Ok(rule) => rule,
                Err(e) => {
                    let l = if e.starts_with("unknown kind") {
                        kind_span
                    } else {
                        params_line
                    };
                    problems.push(format!("{file}:{l}: check {id}: {e}"));
                    return;
                }
            };
            let title = rc.title.unwrap_or_default();
            let def = CheckDef {
                id: id.as_str().into(),
                title_template: title.clone(),
                title: title.into(),
                azure_policy: rc.azure_policy.map(Arc::new),
                changes: if is_builtin {
                    Vec::new()
                } else {
                    vec![format!("added ({at})")]
                },
                area: rc.area.unwrap_or_default().into(),
                severity: severity.unwrap_or(Severity::Medium),
                kind,
                rationale: rc.rationale.unwrap_or_default(),
                remediation: rc.remediation.unwrap_or_default().into(),
                references: rc.references.unwrap_or_default().into(),
                enabled: rc.enabled.unwrap_or(true),
                params,
                rule,
                source: at.clone(),
            };
            index.insert(id.to_ascii_lowercase(), baseline.checks.len());
            baseline.checks.push(def);
        }
    }
}

/// After every file: titles filled from params, placeholders checked, the hash taken.
fn finish(baseline: &mut Baseline, problems: &mut Vec<String>) {
    use super::placeholders::{fill_title, unknown, RESOURCE_NAMES};
    use sha2::{Digest, Sha256};
    for c in &mut baseline.checks {
        let params = &c.params;
        let bad_title = unknown(&c.title_template, |n| {
            n.strip_prefix("param.")
                .is_some_and(|k| params.contains_key(k))
        });
        let kind = super::rules::find(&c.kind);
        let writes = |k: &str| {
            super::rules::COMMON_EVIDENCE.contains(&k)
                || kind.is_some_and(|kind| kind.evidence.contains(&k))
        };
        let bad_fix = unknown(&c.remediation, |n| {
            RESOURCE_NAMES.contains(&n)
                || n.strip_prefix("param.")
                    .is_some_and(|k| params.contains_key(k))
                || n.strip_prefix("evidence.").is_some_and(writes)
        });
        // A condition on a key the kind never writes would drop (or keep) a line forever; a
        // renamed evidence key would print `<key>` in the command users copy: say which.
        if let Some(kind) = kind {
            let undeclared = |what: String| {
                format!(
                    "{}: check {}: remediation {what}, which kind {} ({}:{}) does not write (it writes: {})",
                    c.source,
                    c.id,
                    kind.name,
                    kind.file,
                    kind.line,
                    kind.evidence.join(", ")
                )
            };
            for k in super::placeholders::condition_keys(&c.remediation) {
                if !writes(k) {
                    problems.push(undeclared(format!("has a line [if/unless evidence.{k}]")));
                }
            }
            for n in unknown(&c.remediation, |n| {
                n.strip_prefix("evidence.").is_none_or(writes)
            }) {
                problems.push(undeclared(format!("names {{{n}}}")));
            }
        }
        let bad_fix: Vec<&str> = bad_fix
            .into_iter()
            .filter(|n| !n.starts_with("evidence."))
            .collect();
        for (what, bad) in [("title", bad_title), ("remediation", bad_fix)] {
            if !bad.is_empty() {
                problems.push(format!(
                    "{}: check {}: unknown placeholder(s) in {what}: {} (known: {}, param.NAME of this check's params, evidence.KEY of what the check's kind writes)",
                    c.source,
                    c.id,
                    bad.iter().map(|b| format!("{{{b}}}")).collect::<Vec<_>>().join(", "),
                    RESOURCE_NAMES.join(", ")
                ));
            }
        }
        c.title = fill_title(&c.title_template, &c.params).into();
    }
    let canonical: Vec<serde_json::Value> = baseline
        .checks
        .iter()
        .map(|c| {
            serde_json::json!({
                "id": c.id, "title": c.title, "area": c.area, "severity": c.severity.as_str(),
                "kind": c.kind, "enabled": c.enabled, "params": c.params,
                "remediation": c.remediation, "references": c.references,
            })
        })
        .collect();
    let text = serde_json::to_string(&canonical).unwrap_or_default();
    baseline.sha256 = Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
}

/// Parse a check's params table into a rule's parameter struct.
pub fn parse_params<P: serde::de::DeserializeOwned>(params: &toml::Table) -> Result<P, String> {
    toml::Value::Table(params.clone())
        .try_into::<P>()
        .map_err(|e| format!("params: {}", e.message().trim()))
}

/// Short per-area index for `checks list`.
pub fn by_area(baseline: &Baseline) -> BTreeMap<String, Vec<&CheckDef>> {
    let mut m: BTreeMap<String, Vec<&CheckDef>> = BTreeMap::new();
    for c in &baseline.checks {
        m.entry(c.area.to_string()).or_default().push(c);
    }
    m
}
