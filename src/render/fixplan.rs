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
    (
        "SYSLOG_DCR_ID",
        "resource id of the data collection rule that collects Syslog auth and authpriv at Info or above (Linux)",
    ),
];

/// One comment line's worth of text: no control characters (a newline would end the comment).
fn comment(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || crate::support::text::is_unprintable(c) {
                ' '
            } else {
                c
            }
        })
        .take(400)
        .collect()
}

/// A file name for a subscription id: a GUID is its own name; anything else (never a real
/// subscription id, but an answer may say anything) is `subscription-<safe part>-<hash>`, so
/// it can neither be `tenant` nor collide with a real subscription's plan or another id's.
fn file_stem(id: &str) -> String {
    if is_guid(id) {
        return id.to_ascii_lowercase();
    }
    use sha2::Digest as _;
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect();
    let hash = sha2::Sha256::digest(id.as_bytes());
    let short: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("subscription-{safe}-{short}")
}

fn is_guid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The shell words of `line` with their byte ranges: single quotes (and `'\''`), double
/// quotes and plain words, as the plans write them.
fn words(line: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let mut w = String::new();
        while i < b.len() && b[i] != b' ' {
            match b[i] {
                b'\'' => {
                    let end = line[i + 1..].find('\'').map_or(b.len(), |e| i + 1 + e);
                    w.push_str(&line[i + 1..end]);
                    i = end + 1;
                }
                b'"' => {
                    let end = line[i + 1..].find('"').map_or(b.len(), |e| i + 1 + e);
                    w.push_str(&line[i + 1..end]);
                    i = end + 1;
                }
                b'\\' if i + 1 < b.len() => {
                    w.push(b[i + 1] as char);
                    i += 2;
                }
                _ => {
                    let c = line[i..].chars().next().unwrap_or(' ');
                    w.push(c);
                    i += c.len_utf8();
                }
            }
        }
        out.push((w, start..i.min(b.len())));
    }
    out
}

/// The value of `--opt` (`--opt value` or `--opt=value`) among `words`, with its range.
fn option<'w>(
    words: &'w [(String, std::ops::Range<usize>)],
    opt: &str,
) -> Option<(&'w str, std::ops::Range<usize>)> {
    words.iter().enumerate().find_map(|(i, (w, r))| {
        if w == opt {
            words.get(i + 1).map(|(v, r)| (v.as_str(), r.clone()))
        } else {
            w.strip_prefix(opt)
                .and_then(|v| v.strip_prefix('='))
                .map(|v| (v, r.clone()))
        }
    })
}

/// One diagnostic setting written twice in a plan (two checks extend it, or create the same
/// name): the later command would replace what the earlier added, so it carries the union of
/// both `--logs` lists. Returns the line to write.
fn merge_setting(
    line: &str,
    written: &mut std::collections::HashMap<(String, String), Vec<serde_json::Value>>,
) -> String {
    let ws = words(line);
    // A tenant setting PUT through az rest: its body's logs merge the same way.
    if line.starts_with("az rest ") {
        let (Some((url, _)), Some((body, range))) = (option(&ws, "--url"), option(&ws, "--body"))
        else {
            return line.to_string();
        };
        let Ok(mut body) = serde_json::from_str::<serde_json::Value>(body) else {
            return line.to_string();
        };
        let Some(serde_json::Value::Array(mine)) = body.pointer("/properties/logs").cloned() else {
            return line.to_string();
        };
        let key = (url.to_ascii_lowercase(), String::new());
        let first = !written.contains_key(&key);
        let merged = merge_logs(written, key, mine);
        // Written as it stands the first time: its body may read a variable ($WORKSPACE_ID)
        // that re-quoting would turn into text.
        if first || body.to_string().contains('$') {
            return line.to_string();
        }
        body["properties"]["logs"] = serde_json::Value::Array(merged);
        return format!(
            "{}{}{}",
            &line[..range.start],
            crate::support::ids::shell_word(&body.to_string()),
            &line[range.end..]
        );
    }
    if !line.starts_with("az monitor diagnostic-settings create ") {
        return line.to_string();
    }
    let (Some((name, _)), Some((resource, _)), Some((logs, range))) = (
        option(&ws, "--name"),
        option(&ws, "--resource"),
        option(&ws, "--logs"),
    ) else {
        return line.to_string();
    };
    let Ok(serde_json::Value::Array(mine)) = serde_json::from_str::<serde_json::Value>(logs) else {
        return line.to_string();
    };
    let key = (name.to_ascii_lowercase(), resource.to_ascii_lowercase());
    let merged = merge_logs(written, key, mine);
    let text = serde_json::Value::Array(merged).to_string();
    format!(
        "{}{}{}",
        &line[..range.start],
        crate::support::ids::shell_word(&text),
        &line[range.end..]
    )
}

/// The logs written so far for a setting (`key`) with `mine` added: enabled wins, allLogs
/// alone when present. Records the result.
fn merge_logs(
    written: &mut std::collections::HashMap<(String, String), Vec<serde_json::Value>>,
    key: (String, String),
    mine: Vec<serde_json::Value>,
) -> Vec<serde_json::Value> {
    let entry_key = |v: &serde_json::Value| {
        v.get("category")
            .or_else(|| v.get("categoryGroup"))
            .and_then(|c| c.as_str())
            .map(str::to_ascii_lowercase)
    };
    let mut merged = written.get(&key).cloned().unwrap_or_default();
    for e in mine {
        match merged.iter_mut().find(|m| entry_key(m) == entry_key(&e)) {
            Some(m) => {
                let on = m["enabled"].as_bool().unwrap_or(false)
                    || e["enabled"].as_bool().unwrap_or(false);
                m["enabled"] = serde_json::Value::Bool(on);
            }
            None => merged.push(e),
        }
    }
    // allLogs covers every category: listing others beside it would only overlap.
    let all_logs = |v: &serde_json::Value| {
        entry_key(v).as_deref() == Some("alllogs") && v.get("categoryGroup").is_some()
    };
    if merged.len() > 1 && merged.iter().any(|v| all_logs(v) && v["enabled"] == true) {
        merged.retain(|v| all_logs(v));
    }
    written.insert(key, merged.clone());
    merged
}

/// Whether `line` holds a redirection, pipe or command separator outside quotes: a command
/// the plan writes is one az call, nothing else.
fn shell_syntax(line: &str) -> bool {
    let (mut single, mut double) = (false, false);
    for c in line.chars() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '<' | '>' | '|' | ';' | '&' | '`' if !single && !double => return true,
            _ => {}
        }
    }
    false
}

/// The placeholders a command line still holds (`<resource_group>`: the scan could not fill
/// it). Filled values are single shell words, quoted when they hold `<`, so an unquoted
/// `<name>` word is always a placeholder.
fn unfilled(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        if c == '\'' {
            quoted = !quoted;
        } else if c == '<' && !quoted {
            let rest = &line[i + 1..];
            if let Some(end) = rest.find('>') {
                let name = &rest[..end];
                if !name.is_empty()
                    && name.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'
                    })
                {
                    out.push(name);
                }
            }
        }
    }
    out
}

/// Whether a plan runs `line` (trimmed): an az call with every placeholder filled and no shell
/// syntax outside quotes. Every other remediation line is written as a comment.
pub fn runs(line: &str) -> bool {
    line.starts_with("az ") && unfilled(line).is_empty() && !shell_syntax(line)
}

/// Whether a failing finding's fix is a command in its plan (otherwise it is counted as manual).
pub fn has_command(f: &Finding) -> bool {
    f.remediation_text().lines().map(str::trim).any(runs)
}

fn variables_used(commands: &str) -> Vec<&'static (&'static str, &'static str)> {
    CHOICES
        .iter()
        .filter(|(v, _)| commands.contains(&format!("${v}")))
        .collect()
}

/// The file-name part for an owner (`--owner-tag`): `owner-<safe part>`, with a hash of the
/// value when the safe part is not the value itself, so two owners never share a plan.
fn owner_stem(owner: &str) -> String {
    let safe: String = owner
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(40)
        .collect();
    if safe == owner && !safe.is_empty() {
        return format!("owner-{safe}");
    }
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(owner.as_bytes());
    let short: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("owner-{safe}-{short}")
}

/// Which plan a failing finding is in: (subscription key, "" for the tenant; owner).
/// Tenant-level findings have no resource tags: they stay in tenant.sh.
fn plan_key(results: &Results, f: &Finding) -> (String, Option<String>) {
    let key = f
        .subscription_id
        .as_deref()
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let owner = results
        .owner_of(f)
        .filter(|o| !key.is_empty() && o != crate::model::NO_OWNER);
    (key, owner)
}

fn plan_stem(sub: &str) -> String {
    if sub.is_empty() {
        "tenant".to_string()
    } else {
        file_stem(sub)
    }
}

fn file_name(sub: &str, owner: Option<&str>) -> String {
    match owner {
        Some(o) => format!("{}.{}.sh", plan_stem(sub), owner_stem(o)),
        None => format!("{}.sh", plan_stem(sub)),
    }
}

/// The plan file a failing finding's commands are written to.
pub fn plan_file(results: &Results, f: &Finding) -> String {
    let (sub, owner) = plan_key(results, f);
    file_name(&sub, owner.as_deref())
}

/// The plan files: name → content. One per subscription (and `tenant.sh`); with
/// `--owner-tag`, one per subscription and owner (`<subscription>.owner-<team>.sh`), findings
/// without the tag in `<subscription>.sh`. Each owner's plan runs on its own: the Network
/// Watcher its flow logs need is repeated in it (idempotent) as a prerequisite.
pub fn plans(results: &Results) -> Vec<(String, String)> {
    let names = results.subscription_names();
    // (subscription key, owner) → findings in results order (baseline order, then id).
    let mut by_plan: BTreeMap<(String, Option<String>), Vec<&Finding>> = BTreeMap::new();
    for f in results.findings.iter().filter(|f| f.status == Status::Fail) {
        by_plan.entry(plan_key(results, f)).or_default().push(f);
    }
    let watchers: BTreeMap<String, Vec<&Finding>> = by_plan
        .iter()
        .filter(|((_, owner), _)| owner.is_none())
        .map(|((sub, _), fs)| {
            let w: Vec<&Finding> = fs
                .iter()
                .copied()
                .filter(|f| &*f.area == "network-watcher" && has_command(f))
                .collect();
            (sub.clone(), w)
        })
        .collect();
    by_plan
        .iter()
        .map(|((sub, owner), findings)| {
            let stem = plan_stem(sub);
            let file = file_name(sub, owner.as_deref());
            let mut title = if sub.is_empty() {
                format!(
                    "tenant {}",
                    results.tenant_id.as_deref().unwrap_or("unknown")
                )
            } else {
                format!(
                    "subscription {} ({sub})",
                    names.get(sub).copied().unwrap_or("?")
                )
            };
            let mut prerequisites: &[&Finding] = &[];
            if let Some(o) = owner {
                title.push_str(&format!(
                    ", resources whose {} tag is {o}",
                    results.owner_tag.as_deref().unwrap_or("owner")
                ));
                let creates_flow_logs = findings.iter().any(|f| {
                    f.remediation_text()
                        .lines()
                        .map(str::trim)
                        .any(|l| runs(l) && l.contains("network watcher flow-log create"))
                });
                if creates_flow_logs {
                    prerequisites = watchers.get(sub).map(Vec::as_slice).unwrap_or(&[]);
                }
            }
            (
                file,
                script(results, &title, sub, findings, prerequisites, &stem),
            )
        })
        .collect()
}

fn script(
    results: &Results,
    title: &str,
    sub: &str,
    findings: &[&Finding],
    prerequisites: &[&Finding],
    stem: &str,
) -> String {
    let mut body = String::new();
    if !prerequisites.is_empty() {
        // Another owner's findings, repeated so this plan runs on its own; not counted here.
        body.push_str(&format!(
            "\n# ── Prerequisite: the Network Watcher of the regions below (idempotent; from {stem}.sh)\n"
        ));
        for f in prerequisites {
            for line in f
                .remediation_text()
                .lines()
                .map(str::trim)
                .filter(|l| runs(l))
            {
                body.push_str(line);
                body.push('\n');
            }
        }
    }
    // Findings whose fix is not a command here: counted in the header.
    let mut manual = 0usize;
    let mut emitted = std::collections::HashSet::new();
    let mut settings_written = std::collections::HashMap::new();
    // Findings come in baseline order, so each check's are adjacent. Groups run in the order
    // Azure needs: a region's Network Watcher before the flow logs in it, a workspace's
    // retention before the settings that send to it; otherwise baseline order.
    let mut groups: Vec<&[&Finding]> = findings.chunk_by(|a, b| a.check_id == b.check_id).collect();
    groups.sort_by_key(|g| match g[0].area.as_ref() {
        "network-watcher" => 0,
        "retention" => 1,
        _ => 2,
    });
    for group in groups {
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
            let remediation = f.remediation_text();
            for line in remediation.lines().map(str::trim).filter(|l| !l.is_empty()) {
                let missing = unfilled(line);
                if line.starts_with("az ") && missing.is_empty() && emitted.contains(line) {
                    // One change, asked by several checks (Plan 2 for LP-DEF-001 and -003).
                    body.push_str(&format!("#   (already above) {}\n", comment(line)));
                    any_command = true;
                } else if runs(line) {
                    body.push_str(&merge_setting(line, &mut settings_written));
                    body.push('\n');
                    emitted.insert(line.to_string());
                    any_command = true;
                } else if line.starts_with("az ") && missing.is_empty() {
                    body.push_str(&format!(
                        "#   (not run: it holds shell syntax outside quotes) {}\n",
                        comment(line)
                    ));
                } else if line.starts_with("az ") {
                    // Never run with a hole in it: bash would read `<name>` as a redirection.
                    body.push_str(&format!(
                        "#   (not run: the scan could not fill {}) {}\n",
                        missing.join(", "),
                        comment(line)
                    ));
                } else {
                    body.push_str(&format!("#   {}\n", comment(line)));
                }
            }
            if !any_command {
                body.push_str("#   (no CLI command: follow the steps above)\n");
                manual += 1;
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
    head.push_str(&format!(
        "# {} failing finding(s); {manual} of them have no command here (portal steps, or a value\n# the scan could not read): they are commented below.\n",
        findings.len()
    ));
    head.push_str("set -euo pipefail\n");
    for (v, what) in variables_used(&body) {
        head.push_str(&format!(": \"${{{v}:?set {v}: the {what}}}\"\n"));
    }
    if !sub.is_empty() {
        // `--subscription=` when the id could be read as an option.
        let sep = if sub.starts_with('-') { "=" } else { " " };
        head.push_str(&format!(
            "az account set --subscription{sep}{}\n",
            crate::support::ids::shell_word(sub)
        ));
    }
    head + &body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_names_cannot_collide() {
        let g = "11111111-2222-4333-8444-555555555555";
        assert_eq!(file_stem(g), g);
        assert_eq!(file_stem(&g.to_ascii_uppercase()), g);
        // Not a GUID: never the tenant's plan, never a real subscription's, never each other's.
        let tenant = file_stem("tenant");
        assert!(tenant != "tenant" && tenant.starts_with("subscription-"));
        let bang = file_stem(&format!("{g}!"));
        assert_ne!(bang, g);
        assert_ne!(file_stem("a!"), file_stem("a?"));
    }

    #[test]
    fn a_setting_written_twice_carries_both_lists() {
        let mut w = std::collections::HashMap::new();
        let a = "az monitor diagnostic-settings create --name s --resource /r --workspace \"$W\" --logs '[{\"category\":\"A\",\"enabled\":true}]'";
        let b = "az monitor diagnostic-settings create --name s --resource /r --workspace \"$W\" --logs '[{\"category\":\"B\",\"enabled\":true},{\"category\":\"A\",\"enabled\":false}]'";
        assert_eq!(merge_setting(a, &mut w), a);
        let merged = merge_setting(b, &mut w);
        assert!(
            merged.ends_with(
                r#"--logs '[{"category":"A","enabled":true},{"category":"B","enabled":true}]'"#
            ),
            "{merged}"
        );
        assert!(merged.contains(r#"--workspace "$W""#));
        // allLogs after audit: allLogs alone.
        let mut w2 = std::collections::HashMap::new();
        let g = |x: &str| {
            format!("az monitor diagnostic-settings create --name k --resource /r --logs '[{{\"categoryGroup\":\"{x}\",\"enabled\":true}}]'")
        };
        merge_setting(&g("audit"), &mut w2);
        assert!(merge_setting(&g("allLogs"), &mut w2)
            .ends_with(r#"'[{"categoryGroup":"allLogs","enabled":true}]'"#));
        // Another setting name or resource is its own.
        let c = b.replace("--name s", "--name t");
        assert_eq!(merge_setting(&c, &mut w), c);
    }

    #[test]
    fn shell_syntax_outside_quotes_is_found() {
        assert!(shell_syntax("az x --name <A|B> --tier S"));
        assert!(shell_syntax("az x; rm -rf ~"));
        assert!(!shell_syntax(
            "az x --logs '[{\"a\":\"<b>\"}]' --ws \"$WORKSPACE_ID\""
        ));
    }

    #[test]
    fn a_placeholder_left_unfilled_is_found_outside_quotes_only() {
        assert_eq!(
            unfilled("az x --resource-group <resource_group> --name n"),
            ["resource_group"]
        );
        assert!(unfilled("az x --name '<resource_group>'").is_empty());
        assert!(unfilled("az x --logs '[{\"a\":1}]'").is_empty());
    }

    #[test]
    fn every_variable_a_remediation_reads_is_a_declared_choice() {
        // An undeclared `$NAME` would stop the plan under `set -u` with no word on what to set.
        for (file, text) in crate::evaluate::baseline::BUILTIN_FILES {
            for (n, line) in text.lines().enumerate() {
                for part in line.split("\"$").skip(1) {
                    let name: String = part
                        .chars()
                        .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                        .collect();
                    assert!(
                        CHOICES.iter().any(|(v, _)| *v == name),
                        "{file}:{}: ${name} is not a plan choice",
                        n + 1
                    );
                }
            }
        }
    }

    #[test]
    fn comments_cannot_be_ended_by_a_name() {
        assert_eq!(comment("a\nrm -rf /"), "a rm -rf /");
        assert!(file_stem("../../etc/passwd").starts_with("subscription-etcpasswd-"));
    }
}
