//! `logposture merge`: combine the results.json of several shards (`--shard K/N` runs) into one
//! results set with one summary. Shards cover disjoint subscriptions; tenant-level findings
//! (Entra) appear in every shard and are kept once.

use crate::estimate::{model::CostModel, CostSummary};
use crate::inventory::{id_key, Snapshot};
use crate::model::{Results, Summary};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// Shards cover disjoint subscriptions. The same subscription in two inputs (the same shard
/// given twice, shards of different splits) would count its cost and errors twice: refused,
/// naming the subscription.
fn reject_overlap<'a>(
    inputs: impl Iterator<Item = (Option<&'a str>, Vec<&'a str>)>,
) -> anyhow::Result<()> {
    let mut owner: std::collections::BTreeMap<String, String> = Default::default();
    for (i, (shard, subs)) in inputs.enumerate() {
        let label = match shard {
            Some(s) => format!("input {} (shard {s})", i + 1),
            None => format!("input {}", i + 1),
        };
        for sub in subs {
            if let Some(first) = owner.insert(sub.to_ascii_lowercase(), label.clone()) {
                anyhow::bail!(
                    "subscription {sub} is in {first} and in {label}: the inputs overlap (the same shard twice?); give each shard once"
                );
            }
        }
    }
    Ok(())
}

/// Shards scanned far apart describe the estate at different times: a merged report would
/// show a scan window of months as if it were one scan. `windows` are (input name, started_at,
/// finished_at); past `max_days` between the latest start and the earliest finish, the warning
/// to print and state (None within it). Times are canonical RFC 3339 (checked when the inputs
/// were read).
pub fn window_warning<'a>(
    windows: impl IntoIterator<Item = (&'a String, &'a String, &'a String)>,
    max_days: u32,
) -> Option<String> {
    use crate::support::timestamp::parse;
    let windows: Vec<_> = windows.into_iter().collect();
    let latest = windows
        .iter()
        .filter_map(|(name, start, _)| parse(start).map(|t| (t, name)))
        .max_by_key(|(t, _)| *t)?;
    let earliest = windows
        .iter()
        .filter_map(|(name, _, finish)| parse(finish).map(|t| (t, name)))
        .min_by_key(|(t, _)| *t)?;
    let apart = latest.0 - earliest.0;
    if apart <= time::Duration::days(i64::from(max_days)) {
        return None;
    }
    Some(format!(
        "the shards were scanned {} day(s) apart ({} finished {}, {} started {}), more than --max-shard-age {max_days}: the merged report describes the estate at different times",
        apart.whole_days(),
        earliest.1,
        crate::support::timestamp::format(earliest.0),
        latest.1,
        crate::support::timestamp::format(latest.0),
    ))
}

/// `m` prices the merged volume's commitment tier (the same model the shards used).
pub fn merge(mut parts: Vec<Results>, m: &CostModel) -> anyhow::Result<Results> {
    if parts.is_empty() {
        anyhow::bail!("nothing to merge");
    }
    reject_overlap(parts.iter().map(|p| {
        (
            p.scope.shard.as_deref(),
            p.scope
                .subscriptions
                .iter()
                .map(|s| s.id.as_str())
                .collect(),
        )
    }))?;
    parts.sort_by(|a, b| a.scope.shard.cmp(&b.scope.shard));
    let tenants: BTreeSet<String> = parts.iter().filter_map(|p| p.tenant_id.clone()).collect();
    if tenants.len() > 1 {
        anyhow::bail!(
            "the results come from different tenants ({}); merge shards of one scan only",
            tenants.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let hashes: BTreeSet<&str> = parts
        .iter()
        .map(|p| p.baseline.sha256.as_str())
        .filter(|h| !h.is_empty())
        .collect();
    if hashes.len() > 1 {
        anyhow::bail!(
            "the shards were evaluated with different baselines (sha256 {}): one report cannot state one baseline; re-run the shards with the same --baseline files, or merge their snapshots",
            hashes.into_iter().map(|h| &h[..h.len().min(12)]).collect::<Vec<_>>().join(", ")
        );
    }
    let costs: Vec<CostSummary> = parts.iter().map(|p| p.cost.clone()).collect();
    // Tenant-level findings (Entra) are in every shard; keep the one costed with the best
    // Entra user count, as an unsharded scan would have.
    let best_entra = costs
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (c.entra_users.rank(), std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let order_hints: Vec<Vec<String>> =
        parts.iter().map(|p| distinct_checks(&p.findings)).collect();
    let preferred = parts.remove(best_entra);
    parts.insert(0, preferred);
    let mut merged = parts.remove(0);
    merged.scope.shard = None;
    // Where each (check, resource) is in the merged list: a tenant-level finding repeated by
    // every shard is found without a scan of the million findings before it.
    let mut seen: HashMap<(Arc<str>, String), usize> = HashMap::new();
    for (i, f) in merged.findings.iter().enumerate() {
        seen.entry((f.check_id.clone(), id_key(&f.resource_id)))
            .or_insert(i);
    }
    let mut subs: BTreeSet<String> = merged
        .scope
        .subscriptions
        .iter()
        .map(|s| s.id.to_ascii_lowercase())
        .collect();
    for p in parts {
        merged.started_at = merged.started_at.min(p.started_at.clone());
        merged.finished_at = merged.finished_at.max(p.finished_at.clone());
        for s in p.scope.subscriptions {
            if subs.insert(s.id.to_ascii_lowercase()) {
                merged.scope.subscriptions.push(s);
            }
        }
        for f in p.findings {
            let key = (f.check_id.clone(), id_key(&f.resource_id));
            if let Some(&i) = seen.get(&key) {
                let e = &mut merged.findings[i];
                // A tenant-level finding is in every shard, but only the shard that holds the
                // workspace its data lands in can judge its arrival or price it there.
                if e.status == crate::model::Status::NotAssessed
                    && f.status != crate::model::Status::NotAssessed
                {
                    *e = f;
                } else if f.cost.as_ref().is_some_and(|c| c.workspace_id.is_some())
                    && e.cost.as_ref().is_some_and(|c| c.workspace_id.is_none())
                {
                    e.cost = f.cost;
                }
            } else {
                seen.insert(key, merged.findings.len());
                merged.findings.push(f);
            }
        }
        // Tenant-level reads (Entra) fail the same way in every shard: one entry each.
        for e in p.errors {
            if !merged.errors.contains(&e) {
                merged.errors.push(e);
            }
        }
        merged.suppression_notes.extend(p.suppression_notes);
        merge_statement(&mut merged.statement, p.statement);
        for c in p.checks {
            if !merged.checks.iter().any(|x| x.id == c.id) {
                merged.checks.push(c);
            }
        }
    }
    // The order an unsharded evaluation gives: checks in baseline order, resources by id.
    let rank = check_order(&merged.findings, &order_hints);
    merged
        .findings
        .sort_by_cached_key(|f| (rank.get(&*f.check_id).copied(), id_key(&f.resource_id)));
    merged
        .scope
        .subscriptions
        .sort_by_key(|s| s.id.to_ascii_lowercase());
    merged.summary = Summary::of(&merged.findings);
    // A shard's trend and drift are its own scope's (they came with the first shard); the
    // merged run's come from `--compare` or `--history`. Each finding keeps what its shard's
    // history said of it unless the merge has a history.
    merged.trend = None;
    merged.drift = None;
    merged.cost = CostSummary::merge(costs, &merged.findings, m).map_err(anyhow::Error::msg)?;
    Ok(merged)
}

/// Read coverage adds up over shards; a suppression file given to every shard is listed once
/// with the findings it covers in all of them.
fn merge_statement(into: &mut crate::model::Statement, other: crate::model::Statement) {
    let (a, b) = (&mut into.coverage, other.coverage);
    a.requests += b.requests;
    a.retries += b.retries;
    a.throttled += b.throttled;
    a.failed_reads += b.failed_reads;
    a.duration_ms = a.duration_ms.max(b.duration_ms);
    a.subscriptions_in_scope += b.subscriptions_in_scope;
    a.subscriptions_read += b.subscriptions_read;
    a.subscriptions_incomplete += b.subscriptions_incomplete;
    if into.identity.is_none() {
        into.identity = other.identity;
    }
    for w in other.warnings {
        if !into.warnings.contains(&w) {
            into.warnings.push(w);
        }
    }
    for s in other.suppressions {
        match into.suppressions.iter_mut().find(|x| x.source == s.source) {
            Some(x) => {
                x.findings += s.findings;
                if x.state == "unmatched" && s.state == "active" {
                    x.state = s.state;
                }
            }
            None => into.suppressions.push(s),
        }
    }
}

/// Check ids in the order they first appear.
fn distinct_checks(findings: &[crate::model::Finding]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    findings
        .iter()
        .filter(|f| seen.insert(f.check_id.to_string()))
        .map(|f| f.check_id.to_string())
        .collect()
}

/// One order of checks consistent with every shard's (each is in baseline order, but a check
/// may have findings in some shards only): a topological merge, ties by first appearance.
fn check_order(
    findings: &[crate::model::Finding],
    hints: &[Vec<String>],
) -> std::collections::HashMap<String, usize> {
    use std::collections::{BTreeMap, HashMap};
    let mut first: HashMap<String, usize> = HashMap::new();
    for id in hints
        .iter()
        .flatten()
        .map(String::as_str)
        .chain(findings.iter().map(|f| &*f.check_id))
    {
        let n = first.len();
        if !first.contains_key(id) {
            first.insert(id.to_string(), n);
        }
    }
    let mut after: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut incoming: HashMap<&str, usize> = first.keys().map(|k| (k.as_str(), 0)).collect();
    for seq in hints {
        for w in seq.windows(2) {
            if after.entry(&w[0]).or_default().insert(&w[1]) {
                *incoming.entry(&w[1]).or_default() += 1;
            }
        }
    }
    // Ready checks by first appearance.
    let mut ready: BTreeMap<usize, &str> = incoming
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| (first[*k], *k))
        .collect();
    let mut out = HashMap::new();
    while let Some((_, id)) = ready.pop_first() {
        out.insert(id.to_string(), out.len());
        for next in after.get(id).into_iter().flatten() {
            if let Some(n) = incoming.get_mut(next) {
                *n -= 1;
                if *n == 0 {
                    ready.insert(first[*next], next);
                }
            }
        }
    }
    // Contradictory hints (shards run with different baselines): the rest by first appearance.
    let mut rest: Vec<(&String, &usize)> = first
        .iter()
        .filter(|(k, _)| !out.contains_key(*k))
        .collect();
    rest.sort_by_key(|(_, i)| **i);
    for (k, _) in rest {
        out.insert(k.clone(), out.len());
    }
    out
}

/// Merge shard snapshots into one: subscriptions and errors concatenated, categories united,
/// the tenant-level Entra read taken from a shard that completed it.
pub fn merge_snapshots(mut parts: Vec<Snapshot>) -> anyhow::Result<Snapshot> {
    if parts.is_empty() {
        anyhow::bail!("nothing to merge");
    }
    let tenants: BTreeSet<String> = parts.iter().filter_map(|p| p.tenant_id.clone()).collect();
    if tenants.len() > 1 {
        anyhow::bail!("the snapshots come from different tenants; merge shards of one scan only");
    }
    reject_overlap(parts.iter().map(|p| {
        (
            p.scope.shard.as_deref(),
            p.scope
                .subscriptions
                .iter()
                .map(|s| s.id.as_str())
                .collect(),
        )
    }))?;
    parts.sort_by(|a, b| a.scope.shard.cmp(&b.scope.shard));
    let mut merged = parts.remove(0);
    merged.scope.shard = None;
    for p in parts {
        merged.started_at = merged.started_at.min(p.started_at);
        merged.finished_at = merged.finished_at.max(p.finished_at);
        let known: BTreeSet<String> = merged
            .scope
            .subscriptions
            .iter()
            .map(|s| s.id.to_ascii_lowercase())
            .collect();
        merged.scope.subscriptions.extend(
            p.scope
                .subscriptions
                .into_iter()
                .filter(|s| !known.contains(&s.id.to_ascii_lowercase())),
        );
        merged.inventory.subscriptions.extend(
            p.inventory
                .subscriptions
                .into_iter()
                .filter(|s| !known.contains(&s.subscription.id.to_ascii_lowercase())),
        );
        for (k, v) in p.inventory.diagnostic_categories {
            let keep_new = merged
                .inventory
                .diagnostic_categories
                .get(&k)
                .is_none_or(|old| !old.is_complete());
            if keep_new {
                merged.inventory.diagnostic_categories.insert(k, v);
            }
        }
        // Arrival was read for the merged estate only if every shard read it.
        merged.inventory.arrival_collected &= p.inventory.arrival_collected;
        if !merged.inventory.entra_diagnostic_settings.is_complete()
            && p.inventory.entra_diagnostic_settings.is_complete()
        {
            merged.inventory.entra_diagnostic_settings = p.inventory.entra_diagnostic_settings;
        }
        for e in p.errors {
            if !merged.errors.contains(&e) {
                merged.errors.push(e);
            }
        }
        merged.stats.requests += p.stats.requests;
        merged.stats.retries += p.stats.retries;
        merged.stats.throttled += p.stats.throttled;
        merged.stats.failed_reads += p.stats.failed_reads;
        merged.stats.duration_ms = merged.stats.duration_ms.max(p.stats.duration_ms);
    }
    merged
        .scope
        .subscriptions
        .sort_by_key(|s| s.id.to_ascii_lowercase());
    merged
        .inventory
        .subscriptions
        .sort_by_key(|s| s.subscription.id.to_ascii_lowercase());
    Ok(merged)
}

/// [`window_warning`] over the shards as read, each named by its file; `windows` are the
/// shards' (started_at, finished_at) in file order.
fn shard_window_warning<'a>(
    names: &'a [String],
    windows: impl IntoIterator<Item = (&'a String, &'a String)>,
    max_age_days: u32,
) -> Option<String> {
    window_warning(
        names.iter().zip(windows).map(|(n, (s, f))| (n, s, f)),
        max_age_days,
    )
}

/// `logposture merge`: shards' snapshots are merged then evaluated; shards' results.json files
/// are merged as evaluated (flags that would re-evaluate them are refused).
pub fn command(args: crate::cli::MergeArgs) -> anyhow::Result<i32> {
    use crate::app::{
        check_snapshot_out, input_err, parse_results, read_file, today, write_snapshot, Assessment,
        Reporter,
    };
    use crate::evaluate;
    use std::io::Write as _;
    let mut reporter = Reporter::load(&args.output, args.eval.compare.as_deref())?;
    if let Some(p) = &args.snapshot_out {
        check_snapshot_out(p)?;
    }
    // Shard by shard: each file's text is dropped once it is parsed, so a merge of many large
    // shards holds their findings (compact once read) and one file's text, never every text.
    let mut names = Vec::new();
    let mut snapshot_parts = Vec::new();
    let mut result_parts = Vec::new();
    let mut first_kind = None;
    for p in &args.inputs {
        let (name, text) = read_file(p, "shard file")?;
        let kind = input_kind(&name, &text)?;
        match first_kind {
            None => {
                if kind == InputKind::Results {
                    reject_ignored_merge_flags(&args)?;
                }
                first_kind = Some(kind);
            }
            Some(k) if k != kind => return Err(mixed_inputs(&name, kind, k)),
            Some(_) => {}
        }
        match kind {
            InputKind::Snapshot => {
                snapshot_parts.push(Snapshot::from_json(&name, &text).map_err(input_err)?)
            }
            InputKind::Results => result_parts.push(parse_results(&name, &text)?),
        }
        names.push(name);
    }
    let Some(kind) = first_kind else {
        return Err(input_err("nothing to merge"));
    };
    let mut merged_snapshot = None;
    let shard_warning;
    let (mut merged, fail_on) = if kind == InputKind::Snapshot {
        let assessment = Assessment::load(&args.eval)?;
        shard_warning = shard_window_warning(
            &names,
            snapshot_parts
                .iter()
                .map(|p| (&p.started_at, &p.finished_at)),
            args.max_shard_age,
        );
        let snapshot = crate::merge::merge_snapshots(snapshot_parts).map_err(input_err)?;
        if let Some(p) = &args.snapshot_out {
            write_snapshot(p, &snapshot)?;
        }
        let results = assessment.assess(&snapshot, today());
        merged_snapshot = Some(snapshot);
        (results, assessment.fail_on)
    } else {
        shard_warning = shard_window_warning(
            &names,
            result_parts.iter().map(|p| (&p.started_at, &p.finished_at)),
            args.max_shard_age,
        );
        let assessment = Assessment::load(&args.eval)?;
        let mut merged =
            crate::merge::merge(result_parts, &assessment.cost_model).map_err(input_err)?;
        merged.frameworks = evaluate::frameworks::judge(&assessment.frameworks, &merged.findings);
        if let Some(prev) = &assessment.previous {
            merged.drift = Some(crate::compare::drift(prev, &merged));
        }
        (merged, args.eval.fail_on)
    };
    if let Some(w) = shard_warning {
        let _ = writeln!(std::io::stderr(), "logposture: warning: {w}");
        merged.statement.warnings.push(w);
    }
    reporter.write(&mut merged, merged_snapshot.as_ref(), fail_on)?;
    Ok(merged.exit_code(fail_on))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputKind {
    Snapshot,
    Results,
}

/// What a file given to `merge` is, found by parsing it: a snapshot (`snapshot_format`) or a
/// results.json (`schema_version`); anything else is an error naming the file.
fn input_kind(name: &str, text: &str) -> anyhow::Result<InputKind> {
    #[derive(serde::Deserialize)]
    struct Probe {
        snapshot_format: Option<serde::de::IgnoredAny>,
        schema_version: Option<serde::de::IgnoredAny>,
    }
    let probe: Probe = serde_json::from_str(text).map_err(|e| {
        crate::app::input_err(format!("{name}:{}:{}: not JSON: {e}", e.line(), e.column()))
    })?;
    match (probe.snapshot_format, probe.schema_version) {
        (Some(_), None) => Ok(InputKind::Snapshot),
        (None, Some(_)) => Ok(InputKind::Results),
        _ => Err(crate::app::input_err(format!(
            "{name}: neither a logposture snapshot (snapshot_format) nor a results.json (schema_version)"
        ))),
    }
}

/// A merge of snapshots with results.json files (or the reverse), naming the file.
fn mixed_inputs(name: &str, this: InputKind, first: InputKind) -> anyhow::Error {
    let what = |k| {
        if k == InputKind::Snapshot {
            "snapshot"
        } else {
            "results.json"
        }
    };
    crate::app::input_err(format!(
        "{name} is a {} but the first input is a {}: merge snapshots with snapshots, results with results",
        what(this),
        what(first),
    ))
}

/// Results are already evaluated: flags that would re-evaluate them are refused rather than
/// silently ignored (merge the shards' snapshots to apply them).
fn reject_ignored_merge_flags(args: &crate::cli::MergeArgs) -> anyhow::Result<()> {
    let mut ignored = Vec::new();
    if !args.eval.baselines.is_empty() {
        ignored.push("--baseline");
    }
    if args.eval.suppressions.is_some() {
        ignored.push("--suppressions");
    }
    if args.eval.entra_users.is_some() {
        ignored.push("--entra-users");
    }
    if args.snapshot_out.is_some() {
        ignored.push("--snapshot-out");
    }
    if ignored.is_empty() {
        return Ok(());
    }
    Err(crate::app::usage_err(format!(
        "{} cannot apply when merging results.json files (they are already evaluated); merge the shards' snapshots (--snapshot-out of each shard) to re-evaluate with them",
        ignored.join(", ")
    )))
}
