//! The posture history (`--history FILE`): runs and state changes in SQLite, failing since,
//! time to fix, the trend, concurrent writers, refusal of what is not our database, schema
//! migrations, and the `history` command. Each runs the real binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cli.rs"]
mod cli;

use cli::run;
use logposture::history::{History, Open};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn s(p: &Path) -> String {
    p.display().to_string()
}

const T1: &str = "2026-10-05T06:00:00Z";
const T2: &str = "2026-10-12T06:00:00Z";
const T3: &str = "2026-10-19T06:00:00Z";

/// The demo snapshot scanned at `at`; `fixed` sets law-dev's retention to the baseline's 90
/// days (LP-RET-001 passes on it); `owner` attaches the first NIC to that VM (a sighting of
/// its own).
fn snapshot_at(dir: &Path, at: &str, fixed: bool, owner: Option<&str>) -> PathBuf {
    let mut snap = logposture::demo::snapshot();
    snap.started_at = at.into();
    snap.finished_at = at.replace("06:00:00", "06:03:41");
    if fixed {
        for sub in &mut snap.inventory.subscriptions {
            for ws in sub.workspaces.value.iter_mut().flatten() {
                if ws.name == "law-dev" {
                    ws.retention_in_days = Some(90);
                }
            }
        }
    }
    if let Some(vm) = owner {
        let nics = snap.inventory.subscriptions[0]
            .network_interfaces
            .value
            .as_mut()
            .unwrap();
        nics[0].virtual_machine_id = Some(format!(
            "/subscriptions/{}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/{vm}",
            logposture::demo::PROD
        ));
    }
    let p = dir.join(format!(
        "snap-{}-{fixed}-{}.json",
        &at[..10],
        owner.unwrap_or("none")
    ));
    std::fs::write(&p, serde_json::to_string(&snap).unwrap()).unwrap();
    p
}

/// `logposture evaluate -q SNAPSHOT --output OUT ARGS...`: exit code and stderr.
fn evaluate_with(snap: &Path, out: &Path, args: &[&str]) -> (i32, String) {
    let (snap, out) = (s(snap), s(out));
    let mut all = vec!["evaluate", "-q", &snap, "--output", &out];
    all.extend_from_slice(args);
    let (code, _, err) = run(&all);
    (code, err)
}

fn evaluate(snap: &Path, history: &Path, out: &Path, formats: &str) -> (i32, String) {
    evaluate_with(snap, out, &["--history", &s(history), "--format", formats])
}

/// `logposture scan --demo -q --format json --output OUT --history DB ARGS...`.
fn scan_demo(out: &Path, db: &Path, args: &[&str]) -> (i32, String) {
    let (out, db) = (s(out), s(db));
    let mut all = vec![
        "scan",
        "--demo",
        "-q",
        "--format",
        "json",
        "--output",
        &out,
        "--history",
        &db,
    ];
    all.extend_from_slice(args);
    let (code, _, err) = run(&all);
    (code, err)
}

fn results(out: &Path) -> Value {
    serde_json::from_str(&cli::read_results(out.join("results.json")).unwrap()).unwrap()
}

fn finding<'a>(r: &'a Value, check: &str, resource_tail: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["check_id"] == check && f["resource_id"].as_str().unwrap().ends_with(resource_tail)
        })
        .unwrap_or_else(|| panic!("no {check} on …{resource_tail}"))
}

fn history_json(history: &Path) -> Value {
    let (code, out, err) = run(&["history", &s(history), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn three_evaluations_give_three_runs_failing_since_the_first_and_a_time_to_fix() {
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("posture.db");
    let snaps = [
        snapshot_at(t.path(), T1, false, None),
        snapshot_at(t.path(), T2, false, None),
        snapshot_at(t.path(), T3, true, None),
    ];
    for (i, snap) in snaps.iter().enumerate() {
        let out = t.path().join(format!("out{i}"));
        let (code, err) = evaluate(snap, &db, &out, "json,csv,sarif,html,md");
        assert_eq!(code, 1, "{err}");
    }
    let last = t.path().join("out2");
    let r = results(&last);
    // Failing in all three: since the first scan.
    let still = finding(&r, "LP-RET-002", "law-prod-weu/tables/SigninLogs");
    assert_eq!(still["status"], "fail");
    assert_eq!(still["failing_since"], T1);
    // Fixed in the third: pass, with the time it was open.
    let fixed = finding(&r, "LP-RET-001", "workspaces/law-dev");
    assert_eq!(fixed["status"], "pass");
    assert!(fixed.get("failing_since").is_none());
    assert_eq!(fixed["time_to_fix"]["failing_since"], T1);
    assert_eq!(fixed["time_to_fix"]["fixed_at"], T3);
    assert_eq!(fixed["time_to_fix"]["days"], 14.0);
    // Every failure has its streak's start; nothing else has one.
    for f in r["findings"].as_array().unwrap() {
        assert_eq!(
            f.get("failing_since").is_some(),
            f["status"] == "fail",
            "{f}"
        );
    }
    // Without --compare, the run before is the comparison: the fix is resolved, nothing new.
    let drift = &r["drift"];
    assert_eq!(drift["previous_finished_at"], "2026-10-12T06:03:41Z");
    assert_eq!(drift["new_failures"], 0, "{drift}");
    let resolved: Vec<&str> = drift["resolved_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["check_id"].as_str().unwrap())
        .collect();
    assert!(resolved.contains(&"LP-RET-001"), "{drift}");
    assert!(drift["still_failing"].as_u64().unwrap() > 0);
    // The trend holds the three runs, the last one this.
    let trend = &r["trend"];
    assert_eq!(trend["runs_recorded"], 3);
    let runs: Vec<&str> = trend["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["started_at"].as_str().unwrap())
        .collect();
    assert_eq!(runs, [T1, T2, T3]);
    assert_eq!(trend["demo"], false);

    // Every format says it.
    let csv = std::fs::read_to_string(last.join("findings.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "\"failing_since\"")
        .unwrap();
    let fix_col = header.iter().position(|h| *h == "\"days_to_fix\"").unwrap();
    let signin = csv
        .lines()
        .find(|l| l.contains("LP-RET-002") && l.contains("SigninLogs"))
        .unwrap();
    assert_eq!(signin.split("\",\"").nth(col).unwrap(), T1, "{signin}");
    let law_dev = csv
        .lines()
        .find(|l| l.starts_with("\"LP-RET-001\"") && l.contains("workspaces/law-dev\""))
        .unwrap();
    assert_eq!(law_dev.split("\",\"").nth(fix_col).unwrap(), "14.0");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(last.join("results.sarif")).unwrap())
            .unwrap();
    let sarif_results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(sarif_results
        .iter()
        .all(|x| x["properties"]["failingSince"].is_string()));
    let html = std::fs::read_to_string(last.join("report.html")).unwrap();
    assert!(html.contains("id=\"trend\""));
    assert!(html.contains("Failing since 2026-10-05 (14 days)"));
    assert!(html.contains("fixed after 14 days (failing since 2026-10-05)"));
    let md = std::fs::read_to_string(last.join("report.md")).unwrap();
    assert!(md.contains("**Trend**") && md.contains("| **2026-10-19** (this run) |"));

    // The history lists the three runs.
    let h = history_json(&db);
    let listed: Vec<&str> = h["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["started_at"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [T1, T2, T3]);
    // Only changes are stored: the second run changed nothing.
    assert_eq!(h["runs"][1]["changes"], 0);
    assert_eq!(h["runs"][2]["changes"], 1, "{}", h["runs"][2]);

    // Re-evaluating the second snapshot replaces its run: still three, same answers.
    let (code, err) = evaluate(&snaps[1], &db, &t.path().join("again"), "json");
    assert_eq!(code, 1, "{err}");
    assert_eq!(history_json(&db)["runs"].as_array().unwrap().len(), 3);
    let again = results(&t.path().join("again"));
    assert_eq!(
        finding(&again, "LP-RET-001", "workspaces/law-dev")["failing_since"],
        T1
    );

    // One finding's story.
    let (code, out, err) = run(&[
        "history",
        &s(&db),
        "--check",
        "LP-RET-001",
        "--resource",
        fixed["resource_id"].as_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let story: Value = serde_json::from_str(&out).unwrap();
    let changes: Vec<(&str, &str)> = story["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["started_at"].as_str().unwrap(),
                c["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(changes, [(T1, "fail"), (T3, "pass")]);
}

#[test]
fn a_run_recorded_late_takes_its_place_in_scan_order() {
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("late.db");
    // The fix (T3) and a failing scan after it (T3 + 1 week, unfixed) first; then the earliest.
    let t4 = "2026-10-26T06:00:00Z";
    for (at, fixed) in [(T3, true), (t4, false), (T1, false)] {
        let snap = snapshot_at(t.path(), at, fixed, None);
        let (code, err) = evaluate(&snap, &db, &t.path().join("o"), "json");
        assert_eq!(code, 1, "{err}");
    }
    let law_dev = format!(
        "/subscriptions/{}/resourceGroups/rg-dev/providers/Microsoft.OperationalInsights/workspaces/law-dev",
        logposture::demo::DEV
    );
    let h = History::open(&db, Open::MustExist).unwrap();
    let story: Vec<(String, String)> = h
        .story("LP-RET-001", &law_dev)
        .unwrap()
        .into_iter()
        .map(|e| (e.started_at, e.state))
        .collect();
    assert_eq!(
        story,
        [
            (T1.to_string(), "fail".to_string()),
            (T3.to_string(), "pass".to_string()),
            (t4.to_string(), "fail".to_string())
        ]
    );
    // The reopened failure began at t4, not at T1.
    let snap = snapshot_at(t.path(), t4, false, None);
    let (code, err) = evaluate(&snap, &db, &t.path().join("o"), "json");
    assert_eq!(code, 1, "{err}");
    let r = results(&t.path().join("o"));
    assert_eq!(
        finding(&r, "LP-RET-001", "workspaces/law-dev")["failing_since"],
        t4
    );
}

fn owners(db: &Path) -> Vec<String> {
    History::open(db, Open::MustExist)
        .unwrap()
        .sightings()
        .unwrap()
        .into_iter()
        .filter_map(|s| s.owner_id)
        .map(|o| o.rsplit('/').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn four_processes_writing_one_history_keep_every_run_and_sighting() {
    let t = tempfile::tempdir().unwrap();
    let writers = [
        ("vm-a", "2026-10-01T06:00:00Z"),
        ("vm-b", "2026-10-02T06:00:00Z"),
        ("vm-c", "2026-10-03T06:00:00Z"),
        ("vm-d", "2026-10-04T06:00:00Z"),
    ];
    let snaps: Vec<PathBuf> = writers
        .iter()
        .map(|(vm, at)| snapshot_at(t.path(), at, false, Some(vm)))
        .collect();
    for round in 0..3 {
        let db = t.path().join(format!("shared-{round}.db"));
        let children: Vec<_> = snaps
            .iter()
            .enumerate()
            .map(|(i, snap)| {
                cli::spawn_evaluate(
                    snap,
                    &t.path().join(format!("out-{round}-{i}")),
                    &["--format", "json,attribution", "--history", &s(&db)],
                )
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            assert_eq!(
                o.status.code(),
                Some(1),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        let h = history_json(&db);
        let runs: Vec<&str> = h["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["started_at"].as_str().unwrap())
            .collect();
        assert_eq!(
            runs,
            writers.iter().map(|w| w.1).collect::<Vec<_>>(),
            "round {round}"
        );
        let owners = owners(&db);
        for (vm, _) in writers {
            assert!(
                owners.iter().any(|o| o == vm),
                "round {round}: the sighting of {vm} was lost: {owners:?}"
            );
        }
        // Whatever order they were recorded in, the changes are those of scan order: the
        // failure of the first scan, and nothing after it.
        let signin = format!(
            "/subscriptions/{}/resourceGroups/rg-prod-core/providers/Microsoft.OperationalInsights/workspaces/law-prod-weu/tables/SigninLogs",
            logposture::demo::PROD
        );
        let story: Vec<(String, String)> = History::open(&db, Open::MustExist)
            .unwrap()
            .story("LP-RET-002", &signin)
            .unwrap()
            .into_iter()
            .map(|e| (e.started_at, e.state))
            .collect();
        assert_eq!(
            story,
            [(writers[0].1.to_string(), "fail".to_string())],
            "round {round}"
        );
    }
}

/// A TCP listener standing in for Azure (ARM and the token endpoint): whether anyone
/// connected to it.
struct Azure(std::net::TcpListener);

impl Azure {
    fn new() -> Self {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Azure(l)
    }
    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }
    fn was_contacted(&self) -> bool {
        self.0.accept().is_ok()
    }
}

fn scan_command(azure: &Azure, db: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_logposture"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AZURE_TENANT_ID", logposture::demo::TENANT)
        .env("AZURE_CLIENT_ID", "00000000-0000-4000-8000-0000000000c1")
        .env("AZURE_CLIENT_SECRET", "not-a-secret")
        .env(
            "AZURE_AUTHORITY_HOST",
            azure.url().replace("http://", "https://"),
        )
        .args([
            "scan",
            "-q",
            "--arm-endpoint",
            &azure.url(),
            "--logs-endpoint",
            &azure.url(),
        ])
        .arg("--history")
        .arg(db)
        .arg("--output")
        .arg(out);
    cmd
}

fn scan_live_with_history(azure: &Azure, db: &Path, out: &Path) -> (i32, String) {
    let o = scan_command(azure, db, out).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_corrupt_foreign_or_newer_database_is_refused_naming_it_before_any_azure_read() {
    let t = tempfile::tempdir().unwrap();
    // Corrupt: a results file where the database should be, and a database cut short.
    let not_sqlite = t.path().join("results-not-a-db.db");
    std::fs::write(&not_sqlite, "{\"schema_version\": 1}\n").unwrap();
    let truncated = t.path().join("truncated.db");
    {
        let mut h = History::open(&truncated, Open::CreateIfMissing).unwrap();
        let snap = logposture::demo::snapshot();
        let a = logposture::app::Assessment::load(&logposture::cli::EvalArgs::builtin()).unwrap();
        h.record(
            &a.assess(&snap, time::macros::date!(2026 - 11 - 02)),
            logposture::history::Source::Scan,
        )
        .unwrap();
    }
    let bytes = std::fs::read(&truncated).unwrap();
    assert!(bytes.len() > 8192, "{}", bytes.len());
    let mut cut = bytes[..bytes.len() / 2].to_vec();
    // Garbage over the schema page too: not merely a short file.
    for b in cut.iter_mut().skip(100).take(3000) {
        *b = 0xA5;
    }
    std::fs::write(&truncated, cut).unwrap();
    // Foreign: another application's SQLite database.
    let foreign = t.path().join("foreign.db");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);")
            .unwrap();
    }
    // Newer: ours, written by a later schema.
    let newer = t.path().join("newer.db");
    {
        drop(History::open(&newer, Open::CreateIfMissing).unwrap());
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.execute_batch("PRAGMA user_version = 99;").unwrap();
    }
    for (db, why) in [
        (&not_sqlite, "not a logposture history"),
        (&truncated, "history"),
        (&foreign, "another application"),
        (&newer, "newer logposture"),
    ] {
        let azure = Azure::new();
        let out = t.path().join("out");
        let (code, err) = scan_live_with_history(&azure, db, &out);
        assert_eq!(code, 2, "{}: {err}", db.display());
        assert!(
            err.contains(&s(db)) && err.contains(why),
            "{}: {err}",
            db.display()
        );
        assert!(!azure.was_contacted(), "{}: Azure was read", db.display());
        assert!(!out.join("results.json").exists());
    }
    // The refused files are left as they were.
    assert_eq!(
        std::fs::read_to_string(&not_sqlite).unwrap(),
        "{\"schema_version\": 1}\n"
    );
    // A healthy history does not stop the scan there: it goes on to Azure.
    let azure = Azure::new();
    let mut child = scan_command(&azure, &t.path().join("fresh.db"), &t.path().join("o"))
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut contacted = false;
    while !contacted && std::time::Instant::now() < deadline {
        contacted = azure.was_contacted();
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        contacted,
        "a scan with a healthy history never reached Azure"
    );
}

#[test]
fn a_history_of_the_first_schema_is_migrated_and_keeps_its_runs() {
    use logposture::history::schema;
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("v1.db");
    // A database as the first release wrote it, with a run in it.
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(schema::MIGRATIONS[0]).unwrap();
        c.execute_batch(&format!(
            "PRAGMA application_id = {}; PRAGMA user_version = 1;",
            schema::APPLICATION_ID
        ))
        .unwrap();
    }
    let snap = snapshot_at(t.path(), T1, false, None);
    // A v1 database has no sightings table: the run is recorded by this version after it
    // migrated; to hold a v1 run, write it with the v1 tables only, then mark it v1 again.
    let (code, err) = evaluate(&snap, &db, &t.path().join("o1"), "json");
    assert_eq!(code, 1, "{err}");
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch("DROP TABLE sightings; DROP TABLE imports; PRAGMA user_version = 1;")
            .unwrap();
        let tables: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'sightings'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }
    // Every migration from the first one runs; the run is kept; sightings can be stored.
    let snap = snapshot_at(t.path(), T2, false, Some("vm-after-migration"));
    let (code, err) = evaluate(&snap, &db, &t.path().join("o2"), "json,attribution");
    assert_eq!(code, 1, "{err}");
    let h = History::open(&db, Open::MustExist).unwrap();
    assert_eq!(h.schema_version().unwrap(), schema::VERSION);
    assert_eq!(h.runs().unwrap().len(), 2);
    assert!(owners(&db).iter().any(|o| o == "vm-after-migration"));
    let r = results(&t.path().join("o2"));
    assert_eq!(
        finding(&r, "LP-RET-002", "law-prod-weu/tables/SigninLogs")["failing_since"],
        T1
    );
    // Each migration is numbered once and applies on top of the ones before.
    let fresh = rusqlite::Connection::open_in_memory().unwrap();
    for m in schema::MIGRATIONS {
        fresh.execute_batch(m).unwrap();
    }
    assert_eq!(schema::VERSION as usize, schema::MIGRATIONS.len());
}

#[test]
fn history_imports_results_prunes_and_refuses_a_missing_file() {
    let t = tempfile::tempdir().unwrap();
    // Results files of three scans, written without a history.
    let mut files = Vec::new();
    for (i, (at, fixed)) in [(T1, false), (T2, false), (T3, true)]
        .into_iter()
        .enumerate()
    {
        let snap = snapshot_at(t.path(), at, fixed, None);
        let out = t.path().join(format!("r{i}"));
        let (code, err) = evaluate_with(&snap, &out, &["--format", "json"]);
        assert_eq!(code, 1, "{err}");
        files.push(out.join("results.json"));
    }
    let db = t.path().join("seeded.db");
    // Imported newest first: scan order is what counts.
    let (code, out, err) = run(&[
        "history",
        &s(&db),
        "--import",
        &s(&files[2]),
        "--import",
        &s(&files[0]),
        "--import",
        &s(&files[1]),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("imported ")).count(),
        3,
        "{out}"
    );
    let h = history_json(&db);
    assert_eq!(h["runs"].as_array().unwrap().len(), 3);
    assert!(h["runs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["source"] == "import"));
    let (code, table, _) = run(&["history", &s(&db)]);
    assert_eq!(code, 0);
    assert!(
        table.contains("2026-10-19T06:00:00Z") && table.contains("import"),
        "{table}"
    );

    // Pruned to the newest two: the streak that began at T1 now shows from T2 (the oldest
    // run kept), and the fix at T3 is still a fix.
    // (the same by age: a cutoff three days before T2 deletes T1 only; a copy of the history
    // tells both ways apart.)
    let by_age = t.path().join("by-age.db");
    std::fs::copy(&db, &by_age).unwrap();
    let t2 =
        time::OffsetDateTime::parse(T2, &time::format_description::well_known::Rfc3339).unwrap();
    let days = (time::OffsetDateTime::now_utc() - t2).whole_days() + 3;
    let (code, out, err) = run(&["history", &s(&by_age), "--older-than", &days.to_string()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("deleted 1 run(s); 2 left"), "{out}");
    assert_eq!(history_json(&by_age)["runs"][0]["started_at"], T2);
    let (code, out, err) = run(&["history", &s(&db), "--keep", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("deleted 1 run(s); 2 left"), "{out}");
    let snap = snapshot_at(t.path(), "2026-10-26T06:00:00Z", true, None);
    let (code, err) = evaluate(&snap, &db, &t.path().join("after"), "json");
    assert_eq!(code, 1, "{err}");
    let r = results(&t.path().join("after"));
    assert_eq!(
        finding(&r, "LP-RET-002", "law-prod-weu/tables/SigninLogs")["failing_since"],
        T2
    );
    assert_eq!(r["trend"]["runs_recorded"], 3);

    // A history that does not exist is not created by reading it.
    let missing = t.path().join("missing.db");
    let (code, _, err) = run(&["history", &s(&missing)]);
    assert_eq!(code, 2);
    assert!(
        err.contains("missing.db") && err.contains("no such file"),
        "{err}"
    );
    assert!(!missing.exists());
}

#[test]
fn the_demo_shows_its_twelve_week_trend_without_writing_a_history_unless_asked() {
    let t = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_logposture"))
        .current_dir(t.path())
        .args(["scan", "--demo", "-q", "--format", "json,html"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let entries: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries,
        ["logposture-report"],
        "nothing but the reports is written"
    );
    let out = t.path().join("logposture-report");
    let r = results(&out);
    assert_eq!(r["trend"]["runs"].as_array().unwrap().len(), 12);
    assert_eq!(r["trend"]["demo"], true);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("id=\"trend\"") && html.contains("<svg class=\"trend\""));
    assert!(!html.contains("<script src"), "no external script");

    // With --history the twelve weeks are kept, and a second demo run adds none of them again.
    let db = t.path().join("demo.db");
    for _ in 0..2 {
        let (code, err) = scan_demo(&out, &db, &[]);
        assert_eq!(code, 1, "{err}");
    }
    let h = history_json(&db);
    assert_eq!(h["runs"].as_array().unwrap().len(), 12);
    assert_eq!(
        h["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["source"] == "demo")
            .count(),
        11
    );
}

#[test]
fn an_attribution_history_file_is_imported_into_the_history_once() {
    let t = tempfile::tempdir().unwrap();
    let legacy = t.path().join("attribution-history.json");
    let snap = snapshot_at(t.path(), T1, false, Some("vm-from-json"));
    // Written the old way first.
    let (code, err) = evaluate_with(
        &snap,
        &t.path().join("a"),
        &[
            "--format",
            "attribution",
            "--attribution-history",
            &s(&legacy),
        ],
    );
    assert_eq!(code, 1, "{err}");
    let db = t.path().join("h.db");
    let later = snapshot_at(t.path(), T2, false, Some("vm-later"));
    for _ in 0..2 {
        let (code, err) = evaluate_with(
            &later,
            &t.path().join("b"),
            &[
                "--format",
                "attribution",
                "--history",
                &s(&db),
                "--attribution-history",
                &s(&legacy),
            ],
        );
        assert_eq!(code, 1, "{err}");
    }
    let owners = owners(&db);
    assert!(owners.contains(&"vm-from-json".to_string()), "{owners:?}");
    assert!(owners.contains(&"vm-later".to_string()), "{owners:?}");
    let c = rusqlite::Connection::open(&db).unwrap();
    let imports: i64 = c
        .query_row("SELECT count(*) FROM imports", [], |r| r.get(0))
        .unwrap();
    assert_eq!(imports, 1);
    // The attribution.json written carries the imported sighting with its first time.
    let a: Value = serde_json::from_str(
        &std::fs::read_to_string(t.path().join("b/attribution.json")).unwrap(),
    )
    .unwrap();
    assert!(a["history"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["owner_id"]
            .as_str()
            .unwrap_or("")
            .ends_with("vm-from-json")
            && s["first_seen"] == T1));
}

/// The drift a history gives without `--compare`: a failure that is gone is never a fix.
#[test]
fn without_compare_the_history_gives_the_drift_and_a_vanished_failure_is_not_a_fix() {
    use logposture::history::{remember, Source};
    use logposture::model::Status;
    let a = logposture::app::Assessment::load(&logposture::cli::EvalArgs::builtin()).unwrap();
    let first = a.assess(
        &logposture::demo::snapshot(),
        time::macros::date!(2026 - 11 - 02),
    );
    let mut h = History::in_memory("drift.db").unwrap();
    let mut r1 = first.clone();
    remember(&mut h, &mut r1, Source::Scan).unwrap();
    assert!(
        r1.drift.is_none(),
        "the first run has nothing to compare with"
    );

    // A week later: one failing resource deleted, one check gone from the baseline, one
    // failure now suppressed.
    let failing: Vec<&logposture::model::Finding> = first
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    let deleted = failing
        .iter()
        .find(|f| &*f.check_id == "LP-RET-002")
        .unwrap();
    let removed_check = "LP-FLOW-001";
    let suppressed = failing
        .iter()
        .find(|f| &*f.check_id == "LP-RET-001")
        .unwrap();
    let (deleted_key, suppressed_key) = (
        (deleted.check_id.to_string(), deleted.resource_id.clone()),
        (
            suppressed.check_id.to_string(),
            suppressed.resource_id.clone(),
        ),
    );
    let mut r2 = first.clone();
    r2.started_at = "2026-11-09T06:00:00Z".into();
    r2.finished_at = "2026-11-09T06:03:41Z".into();
    r2.findings.retain(|f| {
        (f.check_id.to_string(), f.resource_id.clone()) != deleted_key
            && &*f.check_id != removed_check
    });
    for f in &mut r2.findings {
        if (f.check_id.to_string(), f.resource_id.clone()) == suppressed_key {
            f.status = Status::Suppressed;
        }
    }
    remember(&mut h, &mut r2, Source::Scan).unwrap();
    let d = r2.drift.as_ref().unwrap();
    assert_eq!(d.previous_finished_at, first.finished_at);
    assert_eq!(d.resolved, 0, "{d:?}");
    assert_eq!(d.new_failures, 0, "{d:?}");
    let key = |r: &str| r.to_ascii_lowercase();
    assert!(d
        .no_longer_in_scope
        .iter()
        .any(|i| i.check_id == deleted_key.0 && i.resource_id == key(&deleted_key.1)));
    assert!(d
        .check_removed
        .iter()
        .all(|i| &*i.check_id == removed_check));
    assert_eq!(
        d.check_removed.len(),
        failing
            .iter()
            .filter(|f| &*f.check_id == removed_check)
            .count()
    );
    assert!(d
        .newly_suppressed
        .iter()
        .any(|i| i.check_id == suppressed_key.0 && i.resource_id == key(&suppressed_key.1)));
}

/// Shards and their merge write one history: each shard's runs form their own trend, the
/// merged run its own; the merge carries neither a shard's trend nor its drift.
#[test]
fn shards_and_their_merge_share_one_history_each_with_its_own_trend() {
    let t = tempfile::tempdir().unwrap();
    let db = t.path().join("matrix.db");
    let mut shard_results = Vec::new();
    for k in ["1/2", "2/2"] {
        let out = t.path().join(format!("shard-{}", &k[..1]));
        let (code, err) = scan_demo(&out, &db, &["--shard", k]);
        assert!(code == 1 || code == 3, "{err}");
        let r = results(&out);
        assert_eq!(
            r["trend"]["runs_recorded"], 12,
            "the demo's weeks, per shard scope"
        );
        shard_results.push(out.join("results.json"));
    }
    let merged = t.path().join("merged");
    let (code, _, err) = run(&[
        "merge",
        "-q",
        &s(&shard_results[0]),
        &s(&shard_results[1]),
        "--format",
        "json",
        "--output",
        &s(&merged),
        "--history",
        &s(&db),
    ]);
    assert_eq!(code, 1, "{err}");
    let r = results(&merged);
    assert_eq!(r["trend"]["runs_recorded"], 1, "{}", r["trend"]);
    assert!(
        r.get("drift").is_none(),
        "a first merged run has nothing to compare with"
    );
    let runs = history_json(&db)["runs"].as_array().unwrap().clone();
    let shards: Vec<&str> = runs
        .iter()
        .map(|r| r["shard"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(shards.iter().filter(|s| **s == "1/2").count(), 12);
    assert_eq!(shards.iter().filter(|s| **s == "2/2").count(), 12);
    assert_eq!(shards.iter().filter(|s| s.is_empty()).count(), 1);
}
