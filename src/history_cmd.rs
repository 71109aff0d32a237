//! `logposture history FILE`: the runs a posture history holds, one finding's story, pruning,
//! and seeding a history from earlier results.json files.

use crate::app::{input_err, parse_results, read_file, usage_err};
use crate::cli::HistoryArgs;
use crate::history::{History, Open, Source};
use std::io::Write as _;

pub fn run(args: HistoryArgs) -> anyhow::Result<i32> {
    let json = args.format == "json";
    let mode = if args.import.is_empty() {
        Open::MustExist
    } else {
        Open::CreateIfMissing
    };
    // Every results file is read and checked before the history is touched.
    let imports = args
        .import
        .iter()
        .map(|p| {
            let (name, text) = read_file(p, "results file")?;
            parse_results(&name, &text).map(|r| (name, r))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut history = History::open(&args.file, mode).map_err(input_err)?;
    let mut out = String::new();
    if !imports.is_empty() {
        let mut lines = Vec::new();
        for (name, r) in &imports {
            let rec = history.record(r, Source::Import).map_err(input_err)?;
            lines.push(serde_json::json!({
                "file": name,
                "run": rec.run_id,
                "started_at": r.started_at,
                "replaced": rec.replaced,
                "changes": rec.changes_written,
            }));
            if !json {
                out.push_str(&format!(
                    "imported {name}: run {} of {}{}, {} change(s)\n",
                    rec.run_id,
                    r.started_at,
                    if rec.replaced {
                        " (replaced the earlier record of that scan)"
                    } else {
                        ""
                    },
                    rec.changes_written
                ));
            }
        }
        if json {
            out = serde_json::to_string_pretty(&serde_json::json!({ "imported": lines }))? + "\n";
        }
    } else if let (Some(check), Some(resource)) = (&args.check, &args.resource) {
        let story = history.story(check, resource).map_err(input_err)?;
        if story.is_empty() {
            return Err(usage_err(format!(
                "history {}: no finding {check} on {resource}",
                args.file.display()
            )));
        }
        out = if json {
            serde_json::to_string_pretty(&serde_json::json!({
                "check_id": check,
                "resource_id": resource,
                "changes": story,
            }))? + "\n"
        } else {
            let mut s = format!("{check} on {resource}\n");
            for e in &story {
                s.push_str(&format!(
                    "  {}  {}  (run {})\n",
                    e.started_at, e.state, e.run
                ));
            }
            s
        };
    } else if args.keep.is_some() || args.older_than.is_some() {
        let before = args.older_than.map(|d| {
            crate::support::timestamp::format(
                time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(d)),
            )
        });
        let deleted = history
            .prune(args.keep.map(|k| k as usize), before.as_deref())
            .map_err(input_err)?;
        let left = history.runs().map_err(input_err)?.len();
        out = if json {
            serde_json::to_string_pretty(&serde_json::json!({
                "deleted_runs": deleted,
                "runs_left": left,
            }))? + "\n"
        } else {
            format!("deleted {deleted} run(s); {left} left\n")
        };
    } else {
        let runs = history.runs().map_err(input_err)?;
        out = if json {
            serde_json::to_string_pretty(&serde_json::json!({
                "history": history.name(),
                "schema_version": history.schema_version().map_err(input_err)?,
                "runs": runs,
            }))? + "\n"
        } else {
            runs_table(&runs)
        };
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(0)
}

fn runs_table(runs: &[crate::history::RunRow]) -> String {
    let mut s = format!(
        "{:>4}  {:<20}  {:<8}  {:>5}  {:>12}  {:>5}  {:>6}  {:>12}  {}\n",
        "run", "scanned", "source", "fail", "not assessed", "pass", "score", "to close/mo", "scope"
    );
    let tenants: std::collections::BTreeSet<&str> =
        runs.iter().map(|r| r.tenant.as_str()).collect();
    for r in runs {
        let score = crate::model::StatusCounts {
            pass: r.pass,
            fail: r.fail,
            ..Default::default()
        }
        .score()
        .map_or("-".to_string(), |x| format!("{x}%"));
        let mut scope = format!("{} subscription(s)", r.subscriptions);
        if tenants.len() > 1 {
            scope = format!("tenant {}, {scope}", r.tenant);
        }
        if !r.management_group.is_empty() {
            scope.push_str(&format!(", management group {}", r.management_group));
        }
        if !r.shard.is_empty() {
            scope.push_str(&format!(", shard {}", r.shard));
        }
        s.push_str(&format!(
            "{:>4}  {:<20}  {:<8}  {:>5}  {:>12}  {:>5}  {:>6}  {:>12}  {}\n",
            r.id,
            r.started_at,
            r.source,
            r.fail,
            r.not_assessed,
            r.pass,
            score,
            crate::render::view::money(&r.currency, r.cost_to_close),
            scope
        ));
    }
    if runs.is_empty() {
        s.push_str("(no runs)\n");
    }
    s
}
