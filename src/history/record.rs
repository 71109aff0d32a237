//! Recording a run: where it falls among the tenant's runs in scan order, which state changes
//! it adds, replaces or makes redundant for each finding it covers, and what it says of each
//! of its findings. Also deleting a run without changing what the runs after it show.

use super::timeline::{self, State};
use super::{
    days_between, run_key, subscription_of_key, tenant_of, FindingStory, Recorded, Source,
};
use crate::model::history::TimeToFix;
use crate::model::{Results, Status};
use rusqlite::{params, OptionalExtension};
use std::collections::HashMap;

/// A run as the timeline orders it.
#[derive(Debug, Clone)]
struct RunPlace {
    id: i64,
    started_at: String,
    finished_at: String,
    /// Lower-cased subscription ids it covered.
    subscriptions: std::collections::HashSet<String>,
}

fn order(a: &RunPlace, b: &RunPlace) -> std::cmp::Ordering {
    (&a.started_at, &a.finished_at, a.id).cmp(&(&b.started_at, &b.finished_at, b.id))
}

/// The runs of `tenant`, in scan order, with what each covered.
fn tenant_runs(tx: &rusqlite::Transaction<'_>, tenant: &str) -> rusqlite::Result<Vec<RunPlace>> {
    let mut runs: Vec<RunPlace> = tx
        .prepare_cached("SELECT id, started_at, finished_at FROM runs WHERE tenant = ?1")?
        .query_map([tenant], |row| {
            Ok(RunPlace {
                id: row.get(0)?,
                started_at: row.get(1)?,
                finished_at: row.get(2)?,
                subscriptions: Default::default(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let index: HashMap<i64, usize> = runs.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let mut stmt = tx.prepare_cached(
        "SELECT rs.run, rs.subscription FROM run_subscriptions rs JOIN runs r ON r.id = rs.run \
         WHERE r.tenant = ?1",
    )?;
    let mut rows = stmt.query([tenant])?;
    while let Some(row) = rows.next()? {
        let (run, sub): (i64, String) = (row.get(0)?, row.get(1)?);
        if let Some(&i) = index.get(&run) {
            runs[i].subscriptions.insert(sub);
        }
    }
    runs.sort_by(order);
    Ok(runs)
}

/// The runs (indexes into `runs`) that cover a finding of `subscription`: every run of the
/// tenant for tenant-wide findings.
fn covering(runs: &[RunPlace], subscription: &str) -> Vec<usize> {
    (0..runs.len())
        .filter(|&i| subscription.is_empty() || runs[i].subscriptions.contains(subscription))
        .collect()
}

/// A finding the history holds: id, subscription and stored changes (run id, state).
struct Stored {
    id: i64,
    subscription: String,
    changes: Vec<(i64, State)>,
}

fn stored_findings(
    tx: &rusqlite::Transaction<'_>,
    tenant: &str,
) -> rusqlite::Result<HashMap<(String, String), Stored>> {
    let mut out: HashMap<(String, String), Stored> = HashMap::new();
    let mut by_id: HashMap<i64, (String, String)> = HashMap::new();
    {
        let mut stmt =
            tx.prepare_cached("SELECT id, check_id, resource_key FROM findings WHERE tenant = ?1")?;
        let mut rows = stmt.query([tenant])?;
        while let Some(row) = rows.next()? {
            let key: (String, String) = (row.get(1)?, row.get(2)?);
            let id: i64 = row.get(0)?;
            by_id.insert(id, key.clone());
            let subscription = subscription_of_key(&key.1).to_string();
            out.insert(
                key,
                Stored {
                    id,
                    subscription,
                    changes: Vec::new(),
                },
            );
        }
    }
    let mut stmt = tx.prepare_cached(
        "SELECT c.finding, c.run, c.state FROM changes c JOIN findings f ON f.id = c.finding \
         WHERE f.tenant = ?1",
    )?;
    let mut rows = stmt.query([tenant])?;
    while let Some(row) = rows.next()? {
        let (finding, run, state): (i64, i64, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        let Some(state) = State::parse(&state) else {
            return Err(rusqlite::Error::InvalidColumnType(
                2,
                format!("state {state:?} of finding {finding} in run {run}"),
                rusqlite::types::Type::Text,
            ));
        };
        if let Some(s) = by_id.get(&finding).and_then(|k| out.get_mut(k)) {
            s.changes.push((run, state));
        }
    }
    Ok(out)
}

/// The placeholder id of the run being recorded until it is inserted.
const NEW_RUN: i64 = -1;

pub(super) fn record_in(
    tx: &rusqlite::Transaction<'_>,
    r: &Results,
    source: Source,
) -> rusqlite::Result<Recorded> {
    use crate::inventory::id_key;
    let tenant = tenant_of(r);
    let key = run_key(r);
    let old: Option<i64> = tx
        .query_row("SELECT id FROM runs WHERE run_key = ?1", [&key], |row| {
            row.get(0)
        })
        .optional()?;
    let mut runs = tenant_runs(tx, &tenant)?;
    let new_subs: std::collections::HashSet<String> = r
        .scope
        .subscriptions
        .iter()
        .map(|s| s.id.to_ascii_lowercase())
        .collect();
    runs.push(RunPlace {
        id: NEW_RUN,
        started_at: r.started_at.clone(),
        finished_at: r.finished_at.clone(),
        subscriptions: new_subs.clone(),
    });
    // The new run sorts after any run of the same scan time (the old record of the same scan
    // is dropped below).
    runs.sort_by(|a, b| {
        (&a.started_at, &a.finished_at, a.id == NEW_RUN, a.id).cmp(&(
            &b.started_at,
            &b.finished_at,
            b.id == NEW_RUN,
            b.id,
        ))
    });
    let mut stored = stored_findings(tx, &tenant)?;
    let old_subs: std::collections::HashSet<String> = old
        .and_then(|id| runs.iter().find(|p| p.id == id))
        .map(|p| p.subscriptions.clone())
        .unwrap_or_default();

    // This run's state of each finding it holds (the worst, should a check report one
    // resource twice).
    let mut now: HashMap<(String, String), (State, String, usize)> = HashMap::new();
    for (i, f) in r.findings.iter().enumerate() {
        let k = (f.check_id.to_string(), id_key(&f.resource_id));
        let sub = subscription_of_key(&k.1).to_string();
        let state = State::from(f.status);
        now.entry(k)
            .and_modify(|e| {
                if state < e.0 {
                    *e = (state, e.1.clone(), i);
                }
            })
            .or_insert((state, sub, i));
    }
    // A finding missing from this run is unknown where its subscription (or its check on it)
    // could not be read, and absent (deleted, check removed) otherwise.
    let unreadable: std::collections::HashSet<String> = r
        .subscriptions_not_assessed()
        .iter()
        .map(|s| s.id.to_ascii_lowercase())
        .collect();
    let not_assessed_checks: std::collections::HashSet<(String, String)> = r
        .findings
        .iter()
        .filter(|f| f.status == Status::NotAssessed)
        .filter_map(|f| {
            let k = id_key(&f.resource_id);
            let sub = k.strip_prefix("/subscriptions/")?;
            (!sub.contains('/')).then(|| (f.check_id.to_string(), sub.to_string()))
        })
        .collect();

    // Insert findings seen for the first time.
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO findings (tenant, check_id, resource_key) VALUES (?1, ?2, ?3)",
        )?;
        for ((check, rkey), (_, sub, _)) in &now {
            if let std::collections::hash_map::Entry::Vacant(slot) =
                stored.entry((check.clone(), rkey.clone()))
            {
                insert.execute(params![tenant, check, rkey])?;
                slot.insert(Stored {
                    id: tx.last_insert_rowid(),
                    subscription: sub.clone(),
                    changes: Vec::new(),
                });
            }
        }
    }

    // Replace the old record of this scan, insert the new run.
    if let Some(id) = old {
        tx.execute("DELETE FROM runs WHERE id = ?1", [id])?;
    }
    let new_id = insert_run(tx, r, &tenant, &key, source)?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO run_subscriptions (run, subscription, readable) VALUES (?1, ?2, ?3)",
        )?;
        for s in &new_subs {
            stmt.execute(params![new_id, s, !unreadable.contains(s)])?;
        }
    }

    let times: HashMap<i64, &str> = runs.iter().map(|p| (p.id, p.started_at.as_str())).collect();
    // Covering runs per subscription, computed once.
    let mut cover_cache: HashMap<String, Vec<usize>> = HashMap::new();
    let mut findings_out = vec![FindingStory::default(); r.findings.len()];
    let mut add =
        tx.prepare_cached("INSERT INTO changes (finding, run, state) VALUES (?1, ?2, ?3)")?;
    let mut del = tx.prepare_cached("DELETE FROM changes WHERE finding = ?1 AND run = ?2")?;
    let mut changes_written = 0;
    let mut gone = Vec::new();
    // In id order: the changes table is keyed by finding, so its pages fill in order instead
    // of being touched at random (which made large records superlinear).
    let mut in_order: Vec<(&(String, String), &Stored)> = stored.iter().collect();
    in_order.sort_unstable_by_key(|(_, s)| s.id);
    for ((check, rkey), s) in in_order {
        let in_new = s.subscription.is_empty() || new_subs.contains(&s.subscription);
        let in_old =
            old.is_some() && (s.subscription.is_empty() || old_subs.contains(&s.subscription));
        if !in_new && !in_old {
            continue;
        }
        let cover = cover_cache
            .entry(s.subscription.clone())
            .or_insert_with(|| covering(&runs, &s.subscription));
        // States over the runs as stored (the old record of this scan included), then the old
        // record's place dropped and this run's state set.
        let ids: Vec<i64> = cover.iter().map(|&i| runs[i].id).collect();
        let mut states = timeline::states(&ids, &s.changes);
        let mut ids = ids;
        if let Some(old_id) = old {
            if let Some(p) = ids.iter().position(|&id| id == old_id) {
                ids.remove(p);
                states.remove(p);
            }
        }
        let at = ids.iter().position(|&id| id == NEW_RUN);
        let here = now.get(&(check.clone(), rkey.clone()));
        if let Some(at) = at {
            let state = match here {
                Some((st, _, _)) => *st,
                None if unreadable.contains(&s.subscription)
                    || not_assessed_checks.contains(&(check.clone(), s.subscription.clone())) =>
                {
                    State::NotAssessed
                }
                None => State::Absent,
            };
            let previous = at.checked_sub(1).and_then(|p| states[p]);
            timeline::set(&mut states, at, state);
            match here {
                Some((_, _, i)) => {
                    findings_out[*i] = FindingStory {
                        previous,
                        ..story_at(&times, &ids, &states, at, r)
                    }
                }
                None if previous == Some(State::Fail) => {
                    gone.push((check.clone(), rkey.clone(), state));
                }
                None => {}
            }
        }
        let wanted: Vec<(i64, State)> = timeline::changes(&ids, &states)
            .into_iter()
            .map(|(id, st)| (if id == NEW_RUN { new_id } else { id }, st))
            .collect();
        let kept: Vec<(i64, State)> = s
            .changes
            .iter()
            .filter(|(id, _)| Some(*id) != old)
            .copied()
            .collect();
        for (id, st) in &kept {
            if !wanted.contains(&(*id, *st)) {
                del.execute(params![s.id, id])?;
            }
        }
        for (id, st) in &wanted {
            if !kept.contains(&(*id, *st)) {
                if kept.iter().any(|(k, _)| k == id) {
                    del.execute(params![s.id, id])?;
                }
                add.execute(params![s.id, id, st.as_str()])?;
                changes_written += 1;
            }
        }
    }
    Ok(Recorded {
        run_id: new_id,
        replaced: old.is_some(),
        findings: findings_out,
        changes_written,
        gone,
    })
}

/// What the history says of a finding of the run at `at`: since when it fails, or how long it
/// was open when this run is the first to see it pass.
fn story_at(
    times: &HashMap<i64, &str>,
    ids: &[i64],
    states: &[Option<State>],
    at: usize,
    r: &Results,
) -> FindingStory {
    let time_of = |i: usize| -> String {
        match ids[i] {
            NEW_RUN => r.started_at.clone(),
            id => times.get(&id).map(|t| t.to_string()).unwrap_or_default(),
        }
    };
    match states[at] {
        Some(State::Fail) => FindingStory {
            failing_since: timeline::streak_start(states, at).map(time_of),
            ..FindingStory::default()
        },
        Some(State::Pass) if at > 0 => FindingStory {
            failing_since: None,
            previous: None,
            time_to_fix: timeline::streak_start(states, at - 1).map(|i| {
                let since = time_of(i);
                TimeToFix {
                    days: days_between(&since, &r.started_at).unwrap_or(0.0),
                    failing_since: since,
                    fixed_at: r.started_at.clone(),
                }
            }),
        },
        _ => FindingStory::default(),
    }
}

fn insert_run(
    tx: &rusqlite::Transaction<'_>,
    r: &Results,
    tenant: &str,
    key: &str,
    source: Source,
) -> rusqlite::Result<i64> {
    let s = &r.summary;
    let c = &r.statement.coverage;
    tx.execute(
        "INSERT INTO runs (run_key, tenant, management_group, shard, started_at, finished_at, \
            recorded_at, tool_version, baseline_name, baseline_version, baseline_sha256, \
            subscriptions_in_scope, subscriptions_read, subscriptions_incomplete, requests, \
            failed_reads, pass, fail, not_assessed, not_applicable, suppressed, by_area, \
            by_severity, currency, cost_to_close, cost_today, source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, \
            ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
        params![
            key,
            tenant,
            r.scope.management_group.as_deref().unwrap_or(""),
            r.scope.shard.as_deref().unwrap_or(""),
            r.started_at,
            r.finished_at,
            crate::support::timestamp::now(),
            r.tool.version,
            r.baseline.name,
            r.baseline.version,
            r.baseline.sha256,
            r.scope.subscriptions.len() as i64,
            c.subscriptions_read as i64,
            r.subscriptions_not_assessed().len() as i64,
            c.requests as i64,
            c.failed_reads.max(r.errors.len() as u64) as i64,
            s.pass as i64,
            s.fail as i64,
            s.not_assessed as i64,
            s.not_applicable as i64,
            s.suppressed as i64,
            json_text(&s.by_area),
            json_text(&s.by_severity),
            r.currency(),
            r.cost.gaps.usd_per_month,
            r.cost.measured.usd_per_month,
            source.as_str(),
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// JSON text of a totals map (maps of strings to counts always serialise).
fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// The runs `prune` deletes: (tenant, id).
pub(super) fn runs_to_prune(
    tx: &rusqlite::Transaction<'_>,
    keep: Option<usize>,
    before: Option<&str>,
) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt = tx.prepare(
        "SELECT id, tenant, management_group, shard, started_at FROM runs \
         ORDER BY started_at DESC, finished_at DESC, id DESC",
    )?;
    let rows: Vec<(i64, String, String, String, String)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
    let mut out = Vec::new();
    for (id, tenant, mg, shard, started) in rows {
        let n = seen.entry((tenant.clone(), mg, shard)).or_default();
        *n += 1;
        let too_many = keep.is_some_and(|k| *n > k);
        let too_old = before.is_some_and(|b| started.as_str() < b);
        if too_many || too_old {
            out.push((tenant, id));
        }
    }
    Ok(out)
}

/// Deletes a run, keeping the states of the runs after it: a change stored on it moves to the
/// next run that covers the finding, unless that run has its own.
pub(super) fn delete_run(
    tx: &rusqlite::Transaction<'_>,
    tenant: &str,
    id: i64,
) -> rusqlite::Result<()> {
    let runs = tenant_runs(tx, tenant)?;
    let mut stmt = tx.prepare_cached(
        "SELECT c.finding, c.state, f.resource_key FROM changes c \
         JOIN findings f ON f.id = c.finding WHERE c.run = ?1",
    )?;
    let moved: Vec<(i64, String, String)> = stmt
        .query_map([id], |r| {
            let key: String = r.get(2)?;
            Ok((r.get(0)?, r.get(1)?, subscription_of_key(&key).to_string()))
        })?
        .collect::<Result<_, _>>()?;
    let Some(pos) = runs.iter().position(|r| r.id == id) else {
        return Ok(());
    };
    let mut next_cache: HashMap<String, Option<i64>> = HashMap::new();
    let mut carry = tx.prepare_cached(
        "INSERT OR IGNORE INTO changes (finding, run, state) VALUES (?1, ?2, ?3)",
    )?;
    for (finding, state, sub) in moved {
        let next = *next_cache.entry(sub.clone()).or_insert_with(|| {
            runs[pos + 1..]
                .iter()
                .find(|r| sub.is_empty() || r.subscriptions.contains(&sub))
                .map(|r| r.id)
        });
        if let Some(next) = next {
            carry.execute(params![finding, next, state])?;
        }
    }
    tx.execute("DELETE FROM runs WHERE id = ?1", [id])?;
    Ok(())
}
