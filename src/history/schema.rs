//! The history database's schema, as numbered migrations: a database at version N is brought
//! to the newest by running migrations N+1.. in one transaction. A migration is never edited
//! once released; a change is a new one.

/// `PRAGMA application_id` of a logposture history ("LPHI"): what tells our database from
/// any other SQLite file.
pub const APPLICATION_ID: i32 = 0x4C50_4849;

/// Migration `i` (0-based) brings a database from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: runs, what each covered, findings and their state changes.
    r#"
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        -- The scan: tenant, scan window, scope. Re-evaluating the same snapshot replaces it.
        run_key TEXT NOT NULL UNIQUE,
        tenant TEXT NOT NULL,
        management_group TEXT NOT NULL,
        shard TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        baseline_name TEXT NOT NULL,
        baseline_version TEXT NOT NULL,
        baseline_sha256 TEXT NOT NULL,
        subscriptions_in_scope INTEGER NOT NULL,
        subscriptions_read INTEGER NOT NULL,
        subscriptions_incomplete INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        failed_reads INTEGER NOT NULL,
        pass INTEGER NOT NULL,
        fail INTEGER NOT NULL,
        not_assessed INTEGER NOT NULL,
        not_applicable INTEGER NOT NULL,
        suppressed INTEGER NOT NULL,
        -- JSON: {area: {pass, fail, not_assessed, not_applicable, suppressed}}
        by_area TEXT NOT NULL,
        -- JSON: {severity: unsuppressed failures}
        by_severity TEXT NOT NULL,
        currency TEXT NOT NULL,
        cost_to_close REAL NOT NULL,
        cost_today REAL NOT NULL,
        -- Where the run came from: a scan, an imported results.json, the demo.
        source TEXT NOT NULL
    );
    CREATE INDEX runs_by_time ON runs (tenant, started_at);
    -- The subscriptions a run covered; readable = 0 when its evidence is incomplete.
    CREATE TABLE run_subscriptions (
        run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        subscription TEXT NOT NULL,
        readable INTEGER NOT NULL,
        PRIMARY KEY (run, subscription)
    ) WITHOUT ROWID;
    -- One row per (check, resource) ever seen in the tenant; the resource key is the
    -- lower-cased resource id, whose subscription is the finding's. No index beside the id:
    -- a record reads every finding of its tenant under the write lock and adds the missing
    -- ones, so (tenant, check_id, resource_key) stays unique without storing the key twice.
    CREATE TABLE findings (
        id INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        check_id TEXT NOT NULL,
        resource_key TEXT NOT NULL
    );
    -- A finding's state in a run, stored only where it differs from the run before.
    CREATE TABLE changes (
        finding INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
        run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        state TEXT NOT NULL,
        PRIMARY KEY (finding, run)
    ) WITHOUT ROWID;
    CREATE INDEX changes_by_run ON changes (run);
    "#,
    // 2: the attribution sightings (IP → NIC → owner, first and last seen) and the files
    // imported into the history, so each is imported once.
    r#"
    CREATE TABLE sightings (
        ip TEXT NOT NULL,
        network_interface_id TEXT NOT NULL,
        owner_id TEXT NOT NULL,
        owner_kind TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        PRIMARY KEY (ip, network_interface_id, owner_id, owner_kind)
    ) WITHOUT ROWID;
    CREATE TABLE imports (
        sha256 TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        imported_at TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
];

/// The schema version this logposture writes.
pub const VERSION: i32 = MIGRATIONS.len() as i32;
