//! The fix plan: `remediation/<subscription-id>.sh` (and `tenant.sh` for tenant-level
//! findings), az CLI commands for every failing finding, grouped by check, commented.
//! logposture never runs them. Values from Azure are in the commands as single shell words
//! (see `evaluate::placeholders::shell_word`) and in comments with control characters removed,
//! so a hostile resource name can neither run a command nor end a comment line.

use crate::model::{Finding, Results, Status};
use std::collections::BTreeMap;

/// What the user must choose before running a plan, by the variable the commands read.
const CHOICES: &[(&str, &str)] = &[
    (
        "WORKSPACE_ID",
        "resource id of the Log Analytics workspace that should receive the logs",
    ),
    (
        "ACTION_GROUP_ID",
        "resource id of the action group that alerts should notify",
    ),
    (
        "ALERT_RESOURCE_GROUP",
        "resource group to create the activity-log alert rules in",
    ),
    (
        "FLOW_LOG_STORAGE_ID",
        "resource id of the storage account for flow logs (same region as the VNet)",
    ),
    (
        "KEY_VAULT_URI",
        "URI of the Key Vault holding the customer-managed key",
    ),
    ("KEY_NAME", "name of the customer-managed key"),
    (
        "DNS_RESOURCE_GROUP",
        "resource group to create DNS security policies in (one per region)",
    ),
    (
        "DCR_ID",
        "resource id of the data collection rule that collects Windows security events",
    ),
];

/// One comment line's worth of text: no control characters (a newline would end the comment).
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(400)
        .collect()
}

/// A file name for a subscription id: GUIDs pass, anything else is reduced to safe characters.
fn file_stem(id: &str) -> String {
    let s: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    if s.is_empty() {
        "unknown-subscription".into()
    } else {
        s
    }
}

fn variables_used(commands: &str) -> Vec<&'static (&'static str, &'static str)> {
    CHOICES
        .iter()
        .filter(|(v, _)| commands.contains(&format!("${v}")))
        .collect()
}

/// The plan files: name → content.
pub fn plans(results: &Results) -> Vec<(String, String)> {
    let names = results.subscription_names();
    // subscription key ("" = tenant) → findings in results order (baseline order, then id).
    let mut by_sub: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in results.findings.iter().filter(|f| f.status == Status::Fail) {
        let key = f
            .subscription_id
            .as_deref()
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        by_sub.entry(key).or_default().push(f);
    }
    by_sub
        .into_iter()
        .map(|(sub, findings)| {
            let file = if sub.is_empty() {
                "tenant.sh".to_string()
            } else {
                format!("{}.sh", file_stem(&sub))
            };
            let title = if sub.is_empty() {
                format!(
                    "tenant {}",
                    results.tenant_id.as_deref().unwrap_or("unknown")
                )
            } else {
                format!(
                    "subscription {} ({sub})",
                    names.get(&sub).copied().unwrap_or("?")
                )
            };
            (file, script(results, &title, &sub, &findings))
        })
        .collect()
}

fn script(results: &Results, title: &str, sub: &str, findings: &[&Finding]) -> String {
    let mut body = String::new();
    // Findings come in baseline order, so each check's are adjacent.
    for group in findings.chunk_by(|a, b| a.check_id == b.check_id) {
        let first = group[0];
        body.push_str(&format!(
            "\n# ── {} {} ({}) — {} finding(s)\n",
            comment(&first.check_id),
            comment(&first.title),
            first.severity.as_str(),
            group.len()
        ));
        if let Some(p) = &first.azure_policy {
            body.push_str(&format!(
                "# At scale instead: assign the built-in Azure Policy \"{}\" ({})\n",
                comment(&p.name),
                comment(&p.id)
            ));
        }
        for f in group {
            body.push_str(&format!(
                "# {}: {}\n",
                comment(&crate::inventory::last_segment(&f.resource_id)),
                comment(&f.message)
            ));
            let mut any_command = false;
            for line in f
                .remediation
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                if line.starts_with("az ") {
                    body.push_str(line);
                    body.push('\n');
                    any_command = true;
                } else {
                    body.push_str(&format!("#   {}\n", comment(line)));
                }
            }
            if !any_command {
                body.push_str("#   (no CLI command: follow the steps above)\n");
            }
        }
    }
    let mut head = String::new();
    head.push_str("#!/usr/bin/env bash\n");
    head.push_str(&format!("# logposture fix plan for {}\n", comment(title)));
    head.push_str(&format!(
        "# From the scan of {} – {} by {} {}, baseline {} {} (sha256 {}).\n",
        comment(&results.started_at),
        comment(&results.finished_at),
        results.tool.name,
        results.tool.version,
        comment(&results.baseline.name),
        comment(&results.baseline.version),
        comment(&results.baseline.sha256),
    ));
    head.push_str(
        "# logposture never runs this. Review every command, adapt it, then run it yourself:\n",
    );
    head.push_str(
        "# each fixes one failing finding. Choices only you can make are read from the\n",
    );
    head.push_str("# variables below; the script stops if one is not set.\n");
    head.push_str("set -euo pipefail\n");
    for (v, what) in variables_used(&body) {
        head.push_str(&format!(": \"${{{v}:?set {v}: the {what}}}\"\n"));
    }
    if !sub.is_empty() {
        head.push_str(&format!(
            "az account set --subscription {}\n",
            crate::support::ids::shell_word(sub)
        ));
    }
    head + &body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_cannot_be_ended_by_a_name() {
        assert_eq!(comment("a\nrm -rf /"), "a rm -rf /");
        assert_eq!(file_stem("../../etc/passwd"), "etcpasswd");
    }
}
