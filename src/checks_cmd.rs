//! `logposture checks`: the effective baseline printed for people.

use crate::app::{input_err, load_baseline, usage_err};
use crate::cli::{ChecksAction, ChecksArgs};
use crate::evaluate;
use anyhow::bail;
use std::io::Write as _;

/// `logposture checks list [--framework ID]` and `checks explain ID`.
pub fn run(args: ChecksArgs) -> anyhow::Result<i32> {
    let baseline = load_baseline(&args.baselines)?;
    let mut out = std::io::stdout().lock();
    match args.action {
        ChecksAction::List {
            framework: Some(id),
        } => {
            let frameworks = evaluate::frameworks::load(&baseline).map_err(input_err)?;
            let Some(fw) = frameworks.iter().find(|f| f.id.eq_ignore_ascii_case(&id)) else {
                bail!(usage_err(format!(
                    "unknown framework {id:?} (known: {})",
                    frameworks
                        .iter()
                        .map(|f| f.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            };
            let covered = fw.controls.iter().filter(|c| !c.checks.is_empty()).count();
            writeln!(
                out,
                "{} — {covered} of {} controls covered",
                fw.name,
                fw.controls.len()
            )?;
            for c in &fw.controls {
                writeln!(out, "\n{:<9} {}", c.id, c.title)?;
                if c.checks.is_empty() {
                    let why = c
                        .note
                        .as_deref()
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default();
                    writeln!(out, "          NOT COVERED{why}")?;
                }
                for id in &c.checks {
                    let title = baseline.get(id).map(|c| c.title.as_ref()).unwrap_or("");
                    writeln!(out, "          {id:<13} {title}")?;
                }
                // How logposture judges a covered control where it differs from the text.
                if let (false, Some(note)) = (c.checks.is_empty(), c.note.as_deref()) {
                    writeln!(out, "          note: {note}")?;
                }
            }
        }
        ChecksAction::List { framework: None } => {
            writeln!(
                out,
                "{} {} — {} checks",
                baseline.name,
                baseline.version,
                baseline.checks.len()
            )?;
            for (area, list) in evaluate::baseline::by_area(&baseline) {
                writeln!(out, "\n{area}")?;
                for c in list {
                    let off = if c.enabled { "" } else { "  (disabled)" };
                    writeln!(
                        out,
                        "  {:<14} {:<8} {}{off}",
                        c.id,
                        c.severity.as_str(),
                        c.title
                    )?;
                }
            }
        }
        ChecksAction::Explain { check_id } => {
            let Some(c) = baseline.get(&check_id) else {
                bail!(usage_err(format!(
                    "unknown check id {check_id:?} (see `logposture checks list`)"
                )));
            };
            let kind = evaluate::rules::find(&c.kind);
            writeln!(out, "{} — {}", c.id, c.title)?;
            writeln!(
                out,
                "area: {}   severity: {}   kind: {}   enabled: {}",
                c.area,
                c.severity.as_str(),
                c.kind,
                c.enabled
            )?;
            writeln!(out, "defined at: {}", c.source)?;
            if let Some(k) = kind {
                writeln!(out, "assesses: {}", k.describes)?;
                writeln!(out, "implemented in: {}:{}", k.file, k.line)?;
                let mut keys: Vec<&str> = k.evidence.to_vec();
                keys.extend(evaluate::rules::COMMON_EVIDENCE);
                writeln!(
                    out,
                    "evidence keys ({{evidence.KEY}} in a remediation): {}",
                    keys.join(", ")
                )?;
            }
            writeln!(out, "\nWhy\n{}", c.rationale.trim())?;
            if !c.params.is_empty() {
                writeln!(
                    out,
                    "\nParameters\n{}",
                    toml::to_string(&c.params).unwrap_or_default().trim()
                )?;
            }
            writeln!(out, "\nRemediation\n{}", c.remediation.trim())?;
            if let Some(p) = &c.azure_policy {
                writeln!(out, "At scale: Azure Policy \"{}\" ({})", p.name, p.id)?;
            }
            if !c.changes.is_empty() {
                writeln!(out, "\nChanged by --baseline\n{}", c.changes.join("\n"))?;
            }
            writeln!(out, "\nReferences\n{}", c.references.join("\n"))?;
            let basis = kind.and_then(|k| k.cost_basis);
            writeln!(
                out,
                "\nCost basis\n{}",
                basis.unwrap_or("not a logging gap: no ingestion cost is estimated")
            )?;
        }
    }
    Ok(0)
}
