//! Stage remember (after estimate, before render): the posture history (`--history FILE`).
//!
//! An embedded SQLite database (bundled: nothing to install) records each run — tenant, scope,
//! scan window, baseline hash, tool version, read coverage, totals per area and severity, cost
//! — and each finding's state *changes* (first seen failing, fixed, reopened, became not
//! assessed), not a copy of every finding per run. From it, each failing finding gets the scan
//! time its failing streak began, each fixed one how long it was open, and the report a trend.
//! The attribution sightings (IP → NIC → owner, first and last seen) live in the same database.
//!
//! A run is keyed by its scan (tenant, scan window, scope): re-evaluating a snapshot replaces
//! its run. Runs may arrive out of order (a shard late, an import of old results): a finding's
//! states are rebuilt over the runs that cover its subscription, in scan order. Writers hold
//! SQLite's write lock for the whole record (WAL, a long busy timeout), so concurrent runs of
//! a sharded matrix each see the others' runs and lose nothing.

pub mod demo;
mod record;
pub mod schema;
pub mod timeline;

use crate::model::attribution::Sighting;
use crate::model::history::{TimeToFix, Trend, TrendRun};
use crate::model::{Drift, DriftItem, Results, StatusCounts};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// How long a writer waits for another to finish (a 500k-resource record takes seconds).
const BUSY_TIMEOUT: Duration = Duration::from_secs(300);

/// Runs the report's trend shows.
pub const TREND_RUNS: usize = 12;

/// Why a history cannot be used; always names the database.
#[derive(Debug, thiserror::Error)]
#[error("history {name}: {why}")]
pub struct HistoryError {
    pub name: String,
    pub why: String,
}

/// An open, checked, current-schema history.
pub struct History {
    conn: Connection,
    name: String,
}

/// Whether `open` may create a new database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open {
    CreateIfMissing,
    MustExist,
}

/// Where a recorded run came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Scan,
    Import,
    Demo,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Scan => "scan",
            Source::Import => "import",
            Source::Demo => "demo",
        }
    }
}

/// Records `r` in `h` and adds what the history says to it: each failing finding's
/// `failing_since`, each fixed one's `time_to_fix`, and the trend of its scope.
pub fn remember(
    h: &mut History,
    r: &mut Results,
    source: Source,
) -> Result<Recorded, HistoryError> {
    // Scan times in the canonical form (UTC, whole seconds), in which text order is time order.
    for t in [&mut r.started_at, &mut r.finished_at] {
        if let Some(c) = crate::support::timestamp::canonical(t) {
            *t = c;
        }
    }
    let mut recorded = h.record(r, source)?;
    // `--compare` names the run to compare with; without it, the run before this one.
    if r.drift.is_none() {
        if let Some(previous) = h.previous_run_finished_at(r)? {
            r.drift = Some(drift(r, &recorded, previous));
        }
    }
    for (f, story) in r
        .findings
        .iter_mut()
        .zip(std::mem::take(&mut recorded.findings))
    {
        f.failing_since = story.failing_since;
        f.time_to_fix = story.time_to_fix.map(Box::new);
    }
    r.trend = Some(h.trend(r)?);
    Ok(recorded)
}

/// What changed since the run before, from the states the history holds: the same buckets as
/// `--compare`, where only a pass is a fix.
fn drift(r: &Results, rec: &Recorded, previous_finished_at: String) -> Drift {
    use crate::inventory::id_key;
    use timeline::State;
    let mut d = Drift {
        previous_finished_at,
        ..Drift::default()
    };
    let item = |check: &str, key: String| DriftItem {
        check_id: check.to_string(),
        resource_id: key,
    };
    for (f, story) in r.findings.iter().zip(&rec.findings) {
        let was_failing = story.previous == Some(State::Fail);
        let key = || id_key(&f.resource_id);
        match (State::from(f.status), was_failing) {
            (State::Fail, true) => d.still_failing += 1,
            (State::Fail, false) => d.new.push(item(&f.check_id, key())),
            (State::Pass, true) => d.resolved_items.push(item(&f.check_id, key())),
            (State::NotAssessed, true) => d.no_longer_assessed.push(item(&f.check_id, key())),
            (State::Suppressed, true) => d.newly_suppressed.push(item(&f.check_id, key())),
            (_, true) => d.no_longer_in_scope.push(item(&f.check_id, key())),
            _ => {}
        }
    }
    // A check with no finding but a not-applicable one on "/" is disabled.
    let live_checks: std::collections::HashSet<&str> = r
        .findings
        .iter()
        .filter(|f| !(f.resource_id == "/" && f.status == crate::model::Status::NotApplicable))
        .map(|f| f.check_id.as_ref())
        .collect();
    for (check, key, now) in &rec.gone {
        let it = item(check, key.clone());
        match now {
            State::NotAssessed => d.no_longer_assessed.push(it),
            _ if !live_checks.contains(check.as_str()) => d.check_removed.push(it),
            _ => d.no_longer_in_scope.push(it),
        }
    }
    d.new_failures = d.new.len();
    d.resolved = d.resolved_items.len();
    d
}

/// One run as `history FILE` lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunRow {
    pub id: i64,
    pub tenant: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub management_group: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub shard: String,
    pub started_at: String,
    pub finished_at: String,
    pub recorded_at: String,
    pub source: String,
    pub tool_version: String,
    pub baseline: String,
    pub baseline_sha256: String,
    pub subscriptions: usize,
    pub subscriptions_incomplete: usize,
    pub failed_reads: u64,
    pub pass: usize,
    pub fail: usize,
    pub not_assessed: usize,
    pub not_applicable: usize,
    pub suppressed: usize,
    pub by_severity: BTreeMap<String, usize>,
    pub by_area: BTreeMap<String, StatusCounts>,
    pub currency: String,
    pub cost_to_close: f64,
    /// Findings whose state this run changed (first seen, fixed, reopened...).
    pub changes: usize,
}

/// One finding's story: its state at each run that changed it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoryEntry {
    pub run: i64,
    pub started_at: String,
    pub state: String,
}

/// What a record did: the run's id, whether it replaced an earlier record of the same scan,
/// and per finding of the results (same order) what the history says of it.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub run_id: i64,
    pub replaced: bool,
    pub findings: Vec<FindingStory>,
    pub changes_written: usize,
    /// Findings that failed in the run before and are not in this one: (check id, resource
    /// key, state now: not assessed or absent).
    pub gone: Vec<(String, String, timeline::State)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingStory {
    pub failing_since: Option<String>,
    pub time_to_fix: Option<TimeToFix>,
    /// The finding's state in the run before this one that covered it.
    pub previous: Option<timeline::State>,
}

fn sql_err(name: &str) -> impl Fn(rusqlite::Error) -> HistoryError + '_ {
    move |e| HistoryError {
        name: name.to_string(),
        why: e.to_string(),
    }
}

/// The lower-cased subscription id of a finding's resource key (`id_key` of its resource
/// id); '' for tenant-wide findings (Entra ID).
fn subscription_of_key(key: &str) -> &str {
    key.strip_prefix("/subscriptions/")
        .and_then(|r| r.split('/').next())
        .unwrap_or("")
}

/// The key of a scan: the same snapshot evaluated again gives the same key.
pub fn run_key(r: &Results) -> String {
    use sha2::{Digest, Sha256};
    let mut subs: Vec<String> = r
        .scope
        .subscriptions
        .iter()
        .map(|s| s.id.to_ascii_lowercase())
        .collect();
    subs.sort();
    let key = serde_json::json!([
        tenant_of(r),
        r.started_at,
        r.finished_at,
        r.scope.management_group.as_deref().unwrap_or(""),
        r.scope.shard.as_deref().unwrap_or(""),
        subs
    ]);
    let digest = Sha256::digest(key.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn tenant_of(r: &Results) -> String {
    r.tenant_id
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Days between two RFC 3339 times, to a tenth; None when either cannot be read.
fn days_between(from: &str, to: &str) -> Option<f64> {
    use time::format_description::well_known::Rfc3339;
    let a = time::OffsetDateTime::parse(from, &Rfc3339).ok()?;
    let b = time::OffsetDateTime::parse(to, &Rfc3339).ok()?;
    let days = (b - a).as_seconds_f64() / 86_400.0;
    Some((days * 10.0).round() / 10.0)
}

impl History {
    /// Opens (or creates) the history at `path`: a file that is not a SQLite database, is
    /// corrupt, belongs to another application or was written by a newer logposture is
    /// refused, naming it; an older schema is migrated.
    pub fn open(path: &Path, mode: Open) -> Result<Self, HistoryError> {
        let name = path.display().to_string();
        let refuse = |why: String| HistoryError {
            name: name.clone(),
            why,
        };
        if path.is_dir() {
            return Err(refuse("is a directory".into()));
        }
        if mode == Open::MustExist && !path.exists() {
            return Err(refuse("no such file".into()));
        }
        let conn = Connection::open(path).map_err(|e| refuse(format!("cannot open: {e}")))?;
        let h = Self { conn, name };
        h.prepare()?;
        Ok(h)
    }

    /// A history that lives in memory only (the demo's, when no `--history` is given).
    pub fn in_memory(name: &str) -> Result<Self, HistoryError> {
        let conn = Connection::open_in_memory().map_err(sql_err(name))?;
        let h = Self {
            conn,
            name: name.to_string(),
        };
        h.prepare()?;
        Ok(h)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn refuse(&self, why: impl Into<String>) -> HistoryError {
        HistoryError {
            name: self.name.clone(),
            why: why.into(),
        }
    }

    /// Checks what the file is, then brings its schema to [`schema::VERSION`].
    fn prepare(&self) -> Result<(), HistoryError> {
        let c = &self.conn;
        c.busy_timeout(BUSY_TIMEOUT).map_err(sql_err(&self.name))?;
        let header = c.query_row(
            "SELECT (SELECT application_id FROM pragma_application_id), \
                    (SELECT user_version FROM pragma_user_version), \
                    (SELECT count(*) FROM sqlite_schema)",
            [],
            |r| {
                Ok((
                    r.get::<_, i32>(0)?,
                    r.get::<_, i32>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            },
        );
        let (app, version, objects) = header.map_err(|e| {
            self.refuse(format!(
                "not a logposture history: not a SQLite database, or a corrupt one ({e})"
            ))
        })?;
        let fresh = app == 0 && version == 0 && objects == 0;
        if !fresh && app != schema::APPLICATION_ID {
            return Err(self.refuse(format!(
                "not a logposture history: a SQLite database of another application (application_id {app:#x}, {objects} schema objects)"
            )));
        }
        if version > schema::VERSION {
            return Err(self.refuse(format!(
                "written by a newer logposture (history schema {version}; this one reads up to {}): use that version, or a new history file",
                schema::VERSION
            )));
        }
        if !fresh {
            let check: String = c
                .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
                .map_err(|e| self.refuse(format!("corrupt: {e}")))?;
            if check != "ok" {
                return Err(self.refuse(format!("corrupt: {check}")));
            }
        }
        // WAL: readers never block the writer, and a crash mid-write leaves the last commit.
        let mode: String = c
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql_err(&self.name))?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(self.refuse(format!(
                "cannot use write-ahead logging (journal mode {mode}); is it on a network share?"
            )));
        }
        // A 64 MiB page cache: a record of a large estate reads and writes every finding.
        c.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;",
        )
        .map_err(sql_err(&self.name))?;
        self.migrate()
    }

    /// Runs the migrations the database lacks, under the write lock (two processes opening a
    /// new history at once migrate it once).
    fn migrate(&self) -> Result<(), HistoryError> {
        let e = sql_err(&self.name);
        let tx = rusqlite::Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(&e)?;
        let version: i32 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(&e)?;
        if version > schema::VERSION {
            return Err(self.refuse(format!(
                "written by a newer logposture (history schema {version}; this one reads up to {})",
                schema::VERSION
            )));
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)
                .map_err(|err| self.refuse(format!("migration to schema {}: {err}", i + 1)))?;
        }
        tx.execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = {};",
            schema::APPLICATION_ID,
            schema::VERSION
        ))
        .map_err(&e)?;
        tx.commit().map_err(&e)
    }

    /// Runs `f` in a transaction that holds the write lock from its start (a deferred one
    /// upgraded later could fail at once under a concurrent writer), committed when `f` is Ok.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, HistoryError> {
        let e = sql_err(&self.name);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&e)?;
        let out = f(&tx).map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(out)
    }

    /// The rows of a query, each mapped by `f`.
    fn rows<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, HistoryError> {
        let e = sql_err(&self.name);
        let mut stmt = self.conn.prepare(sql).map_err(&e)?;
        let rows = stmt
            .query_map(params, f)
            .map_err(&e)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(&e)?;
        Ok(rows)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i32, HistoryError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql_err(&self.name))
    }

    /// Records `r` as a run (replacing an earlier record of the same scan), and says per
    /// finding since when it fails or how long a fixed one was open.
    pub fn record(&mut self, r: &Results, source: Source) -> Result<Recorded, HistoryError> {
        for (field, t) in [
            ("started_at", &r.started_at),
            ("finished_at", &r.finished_at),
        ] {
            if crate::support::timestamp::canonical(t).as_deref() != Some(t.as_str()) {
                return Err(self.refuse(format!(
                    "the run's {field} {t:?} is not an RFC 3339 UTC time to the second: runs are ordered by it"
                )));
            }
        }
        self.write(|tx| record::record_in(tx, r, source))
    }

    /// When the run of `r`'s tenant and scope before `r`'s scan finished, if there is one.
    pub fn previous_run_finished_at(&self, r: &Results) -> Result<Option<String>, HistoryError> {
        self.conn
            .query_row(
                "SELECT finished_at FROM runs WHERE tenant = ?1 AND management_group = ?2 \
                   AND shard = ?3 AND (started_at, finished_at) < (?4, ?5) \
                 ORDER BY started_at DESC, finished_at DESC, id DESC LIMIT 1",
                params![
                    tenant_of(r),
                    r.scope.management_group.as_deref().unwrap_or(""),
                    r.scope.shard.as_deref().unwrap_or(""),
                    r.started_at,
                    r.finished_at
                ],
                |row| row.get(0),
            )
            .optional()
            .map_err(sql_err(&self.name))
    }

    /// The last [`TREND_RUNS`] runs of `r`'s tenant and scope up to `r`'s scan, oldest first.
    pub fn trend(&self, r: &Results) -> Result<Trend, HistoryError> {
        let rows = self.rows(
            "SELECT started_at, fail, not_assessed, pass, suppressed, by_area, currency, \
                        cost_to_close, subscriptions_in_scope, baseline_sha256 \
                 FROM runs WHERE tenant = ?1 AND management_group = ?2 AND shard = ?3 \
                   AND started_at <= ?4 \
                 ORDER BY started_at, finished_at, id",
            params![
                tenant_of(r),
                r.scope.management_group.as_deref().unwrap_or(""),
                r.scope.shard.as_deref().unwrap_or(""),
                r.started_at
            ],
            |row| {
                Ok((
                    TrendRun {
                        started_at: row.get(0)?,
                        fail: row.get::<_, i64>(1)? as usize,
                        not_assessed: row.get::<_, i64>(2)? as usize,
                        pass: row.get::<_, i64>(3)? as usize,
                        suppressed: row.get::<_, i64>(4)? as usize,
                        score_by_area: BTreeMap::new(),
                        score: None,
                        currency: row.get(6)?,
                        cost_to_close: row.get(7)?,
                        subscriptions: row.get::<_, i64>(8)? as usize,
                        baseline_changed: false,
                    },
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(9)?,
                ))
            },
        )?;
        let recorded = rows.len();
        let mut runs = Vec::with_capacity(recorded.min(TREND_RUNS));
        let mut sha_before: Option<String> = None;
        let skip = recorded.saturating_sub(TREND_RUNS);
        for (i, (mut run, by_area, sha)) in rows.into_iter().enumerate() {
            run.baseline_changed = sha_before.as_ref().is_some_and(|b| *b != sha);
            sha_before = Some(sha);
            if i < skip {
                continue;
            }
            let areas: BTreeMap<String, StatusCounts> = serde_json::from_str(&by_area)
                .map_err(|err| self.refuse(format!("run of {}: by_area: {err}", run.started_at)))?;
            run.score = StatusCounts {
                pass: run.pass,
                fail: run.fail,
                ..StatusCounts::default()
            }
            .score();
            run.score_by_area = areas.iter().map(|(a, c)| (a.clone(), c.score())).collect();
            runs.push(run);
        }
        Ok(Trend {
            runs,
            runs_recorded: recorded,
            source: self.name.clone(),
            demo: false,
        })
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<RunRow>, HistoryError> {
        let rows = self.rows(
            "SELECT id, tenant, management_group, shard, started_at, finished_at, recorded_at, \
                        source, tool_version, baseline_name || ' ' || baseline_version, \
                        baseline_sha256, subscriptions_in_scope, subscriptions_incomplete, \
                        failed_reads, pass, fail, not_assessed, not_applicable, suppressed, \
                        by_severity, by_area, currency, cost_to_close, \
                        (SELECT count(*) FROM changes c WHERE c.run = runs.id) \
                 FROM runs ORDER BY tenant, started_at, finished_at, id",
            [],
            |row| {
                let json = |i: usize| -> rusqlite::Result<String> { row.get(i) };
                Ok((
                    RunRow {
                        id: row.get(0)?,
                        tenant: row.get(1)?,
                        management_group: row.get(2)?,
                        shard: row.get(3)?,
                        started_at: row.get(4)?,
                        finished_at: row.get(5)?,
                        recorded_at: row.get(6)?,
                        source: row.get(7)?,
                        tool_version: row.get(8)?,
                        baseline: row.get(9)?,
                        baseline_sha256: row.get(10)?,
                        subscriptions: row.get::<_, i64>(11)? as usize,
                        subscriptions_incomplete: row.get::<_, i64>(12)? as usize,
                        failed_reads: row.get::<_, i64>(13)? as u64,
                        pass: row.get::<_, i64>(14)? as usize,
                        fail: row.get::<_, i64>(15)? as usize,
                        not_assessed: row.get::<_, i64>(16)? as usize,
                        not_applicable: row.get::<_, i64>(17)? as usize,
                        suppressed: row.get::<_, i64>(18)? as usize,
                        by_severity: BTreeMap::new(),
                        by_area: BTreeMap::new(),
                        currency: row.get(21)?,
                        cost_to_close: row.get(22)?,
                        changes: row.get::<_, i64>(23)? as usize,
                    },
                    json(19)?,
                    json(20)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(mut run, sev, area)| {
                run.by_severity = serde_json::from_str(&sev)
                    .map_err(|err| self.refuse(format!("run {}: by_severity: {err}", run.id)))?;
                run.by_area = serde_json::from_str(&area)
                    .map_err(|err| self.refuse(format!("run {}: by_area: {err}", run.id)))?;
                Ok(run)
            })
            .collect()
    }

    /// One finding's changes, oldest first, in every tenant that has it.
    pub fn story(
        &self,
        check_id: &str,
        resource_id: &str,
    ) -> Result<Vec<StoryEntry>, HistoryError> {
        let rows = self.rows(
            "SELECT r.id, r.started_at, c.state FROM changes c \
                 JOIN findings f ON f.id = c.finding JOIN runs r ON r.id = c.run \
                 WHERE f.check_id = ?1 AND f.resource_key = ?2 \
                 ORDER BY r.started_at, r.finished_at, r.id",
            params![check_id, crate::inventory::id_key(resource_id)],
            |row| {
                Ok(StoryEntry {
                    run: row.get(0)?,
                    started_at: row.get(1)?,
                    state: row.get(2)?,
                })
            },
        )?;
        Ok(rows)
    }

    /// Deletes runs: all but the newest `keep` of each tenant and scope, and those scanned
    /// before `before` (RFC 3339). The states the remaining runs had are kept (a change
    /// stored on a deleted run moves to the next run that covers the finding), so a streak
    /// that began before the oldest kept run shows as beginning there. Returns how many runs
    /// were deleted.
    pub fn prune(
        &mut self,
        keep: Option<usize>,
        before: Option<&str>,
    ) -> Result<usize, HistoryError> {
        let deleted = self.write(|tx| {
            let doomed = record::runs_to_prune(tx, keep, before)?;
            for (tenant, id) in &doomed {
                record::delete_run(tx, tenant, *id)?;
            }
            tx.execute(
                "DELETE FROM findings WHERE NOT EXISTS \
                 (SELECT 1 FROM changes c WHERE c.finding = findings.id)",
                [],
            )?;
            Ok(doomed.len())
        })?;
        // Give the space back (outside the transaction; VACUUM cannot run in one).
        if deleted > 0 {
            self.conn
                .execute_batch("VACUUM")
                .map_err(sql_err(&self.name))?;
        }
        Ok(deleted)
    }

    /// Every attribution sighting the history holds.
    pub fn sightings(&self) -> Result<Vec<Sighting>, HistoryError> {
        let none_if_empty = |s: String| (!s.is_empty()).then_some(s);
        let rows = self.rows(
            "SELECT ip, network_interface_id, owner_id, owner_kind, first_seen, last_seen \
                 FROM sightings ORDER BY ip, first_seen",
            [],
            |row| {
                Ok(Sighting {
                    ip: row.get(0)?,
                    network_interface_id: none_if_empty(row.get(1)?),
                    owner_id: none_if_empty(row.get(2)?),
                    owner_kind: row.get(3)?,
                    first_seen: row.get(4)?,
                    last_seen: row.get(5)?,
                })
            },
        )?;
        Ok(rows)
    }

    /// Adds sightings: one already held keeps the earliest first and the latest last time,
    /// so writers in any order lose nothing.
    pub fn add_sightings(&mut self, sightings: &[Sighting]) -> Result<(), HistoryError> {
        self.write(|tx| upsert_sightings(tx, sightings))
    }

    /// Imports an attribution history file's sightings once (by its content hash); returns
    /// false when that file was imported before.
    pub fn import_sightings_once(
        &mut self,
        file_name: &str,
        content: &[u8],
        sightings: &[Sighting],
    ) -> Result<bool, HistoryError> {
        use sha2::{Digest, Sha256};
        let sha: String = Sha256::digest(content)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.write(|tx| {
            let done: Option<String> = tx
                .query_row("SELECT name FROM imports WHERE sha256 = ?1", [&sha], |r| {
                    r.get(0)
                })
                .optional()?;
            if done.is_some() {
                return Ok(false);
            }
            upsert_sightings(tx, sightings)?;
            tx.execute(
                "INSERT INTO imports (sha256, kind, name, imported_at) \
                 VALUES (?1, 'attribution', ?2, ?3)",
                params![sha, file_name, crate::support::timestamp::now()],
            )?;
            Ok(true)
        })
    }
}

fn upsert_sightings(
    tx: &rusqlite::Transaction<'_>,
    sightings: &[Sighting],
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO sightings (ip, network_interface_id, owner_id, owner_kind, first_seen, last_seen) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (ip, network_interface_id, owner_id, owner_kind) DO UPDATE SET \
           first_seen = min(first_seen, excluded.first_seen), \
           last_seen = max(last_seen, excluded.last_seen)",
    )?;
    for s in sightings {
        stmt.execute(params![
            s.ip,
            s.network_interface_id.as_deref().unwrap_or(""),
            s.owner_id.as_deref().unwrap_or(""),
            s.owner_kind,
            s.first_seen,
            s.last_seen
        ])?;
    }
    Ok(())
}
