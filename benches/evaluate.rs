//! Evaluation and render benchmark: a synthetic snapshot of 100,000 resources (configurable with
//! --resources N) evaluated against the built-in baseline, costed, and rendered in every
//! format (HTML, Markdown, JSON, SARIF, JUnit, CSV, OCSF, fix plans, compliance), then recorded in a posture history twice (the first run, and a week later with 1 %
//! of the findings changed). Each subscription's resources send to its own workspace, which
//! answers the arrival query for each of them. Prints time, peak memory and the history's
//! size; the last line is machine-readable.
//!
//! cargo bench --bench evaluate [-- --resources 100000] [--shards 10]

// A benchmark program: a panic is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use logposture::app::Assessment;
use logposture::inventory::*;
use logposture::render::{self, Templates};
use std::collections::BTreeMap;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// A memory figure of /proc/self/status in MB.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// Resets the peak so building the synthetic snapshot is not counted.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

const TYPES: &[&str] = &[
    "Microsoft.KeyVault/vaults",
    "Microsoft.Web/sites",
    "Microsoft.Network/networkSecurityGroups",
    "Microsoft.Storage/storageAccounts",
    "Microsoft.Sql/servers/databases",
];

fn synthetic(resources: usize) -> Snapshot {
    let mut snap = logposture::demo::snapshot();
    let template = snap.inventory.subscriptions[0].clone();
    let per_sub = 5000usize;
    let subs = resources.div_ceil(per_sub);
    let mut out = Vec::new();
    for si in 0..subs {
        let sid = format!("{si:08x}-1111-4000-8000-000000000000");
        let mut sub = template.clone();
        sub.subscription = SubscriptionRef {
            id: sid.clone(),
            name: format!("bench-{si}"),
            state: "Enabled".into(),
        };
        let n = per_sub.min(resources - si * per_sub);
        // Each subscription's own workspace receives its resources' logs and answers the
        // arrival query with a record for each (one in ten silent for 9 days), as a real
        // estate's would: the arrival check then looks up 100,000s of sources.
        let ws_id = format!("/subscriptions/{sid}/resourceGroups/rg-core/providers/Microsoft.OperationalInsights/workspaces/law-{si}");
        let mut arrived = Vec::with_capacity(n);
        let mut res = Vec::with_capacity(n);
        let mut diags = Vec::with_capacity(n);
        let mut nsgs = Vec::new();
        let mut vms = Vec::new();
        for i in 0..n {
            let t = TYPES[i % TYPES.len()];
            let id = format!(
                "/subscriptions/{sid}/resourceGroups/rg{}/providers/{t}/r{i}",
                i % 50
            );
            res.push(Resource {
                id: id.clone(),
                name: format!("r{i}"),
                resource_type: t.into(),
                location: "westeurope".into(),
                ..Default::default()
            });
            let logs = if i % 3 == 0 {
                vec![]
            } else {
                vec![LogSetting {
                    category: None,
                    category_group: Some("allLogs".into()),
                    enabled: true,
                }]
            };
            let settings = if logs.is_empty() {
                vec![]
            } else {
                vec![DiagnosticSetting {
                    id: format!("{id}/providers/microsoft.insights/diagnosticSettings/d"),
                    name: "d".into(),
                    workspace_id: Some(ws_id.clone()),
                    logs,
                    ..Default::default()
                }]
            };
            if !settings.is_empty() {
                arrived.push(LastSeen {
                    key: id.to_lowercase(),
                    last_seen: if i % 10 == 1 {
                        "2026-10-24T06:00:00Z".into()
                    } else {
                        "2026-11-02T05:30:00Z".into()
                    },
                });
            }
            diags.push(ResourceDiagnostics {
                resource_id: id.clone(),
                resource_type: t.into(),
                settings: Read::ok(settings),
            });
            if t == "Microsoft.Network/networkSecurityGroups" {
                nsgs.push(NetworkSecurityGroup {
                    id: id.clone(),
                    name: format!("r{i}"),
                    location: "westeurope".into(),
                    subnet_ids: vec![format!("{id}-vnet/subnets/a")],
                    ..Default::default()
                });
            }
            if i % 10 == 0 {
                vms.push(VirtualMachine {
                    id: format!("{id}-vm"),
                    name: format!("vm{i}"),
                    location: "westeurope".into(),
                    os_type: Some("Windows".into()),
                    dcr_associations: Read::ok(vec![]),
                    tags: BTreeMap::new(),
                    ..Default::default()
                });
            }
        }
        if let Some(w) = sub.workspaces.value.as_mut().and_then(|w| w.first_mut()) {
            w.id = ws_id.clone();
            w.arrival = BTreeMap::from([("resource".to_string(), Read::ok(arrived))]);
        }
        sub.resources = Read::ok(res);
        sub.resource_diagnostics = diags;
        sub.network_security_groups = Read::ok(nsgs);
        sub.virtual_machines = Read::ok(vms);
        out.push(sub);
    }
    snap.scope.subscriptions = out.iter().map(|s| s.subscription.clone()).collect();
    snap.inventory.subscriptions = out;
    snap
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--resources")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let snap = synthetic(n);
    let a =
        Assessment::load(&logposture::cli::EvalArgs::builtin()).expect("built-in configuration");
    let templates = Templates::load(None).expect("templates");
    // `--out DIR`: where the reports go (default the temporary directory); a tmpfs such as
    // /dev/shm shows the time without the disk.
    let base = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("logposture-bench-eval-{}", std::process::id()));
    reset_peak();
    // What the snapshot itself holds (collected before evaluation; part of the peak).
    let snapshot_mb = status_mb("VmRSS:");
    let start = Instant::now();
    let mut results = a.assess(&snap, time::macros::date!(2026 - 11 - 02));
    let evaluated = start.elapsed().as_secs_f64();
    let evaluate_peak_mb = peak_rss_mb();
    let formats = [
        render::Format::Html,
        render::Format::Markdown,
        render::Format::Json,
        render::Format::Sarif,
        render::Format::Junit,
        render::Format::Csv,
        render::Format::Ocsf,
        render::Format::Fix,
        render::Format::Compliance,
    ];
    render::write_all(&results, &formats, &dir, &templates, None).expect("reports written");
    let total = start.elapsed().as_secs_f64();
    // `--per-format`: each format again on its own, timed (where the render time goes).
    if args.iter().any(|a| a == "--per-format") {
        let each: Vec<String> = formats
            .iter()
            .map(|f| {
                let t = Instant::now();
                render::write_all(&results, &[*f], &dir, &templates, None).expect("written");
                format!("{}={:.2}", f.file_name(), t.elapsed().as_secs_f64())
            })
            .collect();
        println!("per_format_s {}", each.join(" "));
    }
    // The peak of evaluate + render; the history's own writes are timed after it.
    let peak = peak_rss_mb();
    // `--shards K`: the same estate evaluated as K shards and merged must give the same
    // findings as the single run (timed apart from the figures above; taken before the
    // history's second week changes 1 % of them).
    let shards: Option<usize> = args
        .iter()
        .position(|a| a == "--shards")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok());
    let single = shards.map(|_| finding_keys(&results));
    let (history_first, history_week, history_mb) = history_writes(&mut results, &dir);
    if let (Some(k), Some(single)) = (shards, single) {
        drop(results);
        let t = Instant::now();
        let (merged, merge_mb) = sharded(&snap, &a, k, &dir);
        let merge_s = t.elapsed().as_secs_f64();
        let got = finding_keys(&merged);
        let same = got == single;
        println!(
            "shards={k} findings={} merge_matches_single_run={same} shards_and_merge_s={merge_s:.2} merge_peak_mb={merge_mb:.0}",
            merged.findings.len()
        );
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    let sizes: Vec<String> = formats
        .iter()
        .map(|f| {
            format!(
                "{} {:.1} MB",
                f.file_name(),
                std::fs::metadata(dir.join(f.file_name()))
                    .map(|m| m.len() as f64 / 1e6)
                    .unwrap_or(0.0)
            )
        })
        .collect();
    println!(
        "{n} resources → {} findings; evaluate + estimate {:.2} s; all formats {:.2} s ({})",
        results.findings.len(),
        evaluated,
        total - evaluated,
        sizes.join(", ")
    );
    println!(
        "history: first run recorded in {history_first:.2} s, the next week's in {history_week:.2} s; {history_mb:.1} MB after both"
    );
    println!(
        "resources={n} findings={} evaluate_s={evaluated:.2} render_s={:.2} total_s={total:.2} peak_rss_mb={:.0} snapshot_rss_mb={snapshot_mb:.0} evaluate_peak_mb={evaluate_peak_mb:.0} history_first_s={history_first:.2} history_week_s={history_week:.2} history_mb={history_mb:.1} finding_inline_bytes={}",
        results.findings.len(),
        total - evaluated,
        peak,
        std::mem::size_of::<logposture::model::Finding>()
    );
    // `--keep`: leave the reports in place to look at them.
    if args.iter().any(|a| a == "--keep") {
        println!("reports kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Each finding as (check, resource, status, message), sorted and once each: what a merge must
/// reproduce. Once each: the synthetic subscriptions are copies of one template, so the
/// template's own resources (its SQL server, flow log...) repeat under the same ids, which a
/// merge keeps once per check, as it should for one resource.
fn finding_keys(r: &logposture::model::Results) -> Vec<(String, String, &'static str, String)> {
    let mut v: Vec<_> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.check_id.to_string(),
                logposture::inventory::id_key(&f.resource_id),
                f.status.as_str(),
                f.message.clone(),
            )
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The snapshot split into `k` shards by subscription (tenant-level data in each, as a sharded
/// scan reads it), each assessed and its results.json written to `dir`, then merged as
/// `logposture merge` does: shard files read and parsed one at a time. Returns the merge and
/// the peak memory (MB) the merge itself reached.
fn sharded(
    snap: &Snapshot,
    a: &Assessment,
    k: usize,
    dir: &std::path::Path,
) -> (logposture::model::Results, f64) {
    let subs = &snap.inventory.subscriptions;
    let per = subs.len().div_ceil(k);
    let mut files = Vec::new();
    for (i, chunk) in subs.chunks(per).enumerate() {
        let inv = &snap.inventory;
        let mut part = Snapshot {
            snapshot_format: snap.snapshot_format,
            tool: snap.tool.clone(),
            tenant_id: snap.tenant_id.clone(),
            cloud: snap.cloud.clone(),
            started_at: snap.started_at.clone(),
            finished_at: snap.finished_at.clone(),
            scope: snap.scope.clone(),
            inventory: Inventory {
                subscriptions: chunk.to_vec(),
                entra_diagnostic_settings: inv.entra_diagnostic_settings.clone(),
                entra_log_categories: inv.entra_log_categories.clone(),
                diagnostic_categories: inv.diagnostic_categories.clone(),
                arrival_collected: inv.arrival_collected,
            },
            errors: snap.errors.clone(),
            stats: snap.stats.clone(),
            identity: snap.identity.clone(),
        };
        part.scope.subscriptions = chunk.iter().map(|s| s.subscription.clone()).collect();
        part.scope.shard = Some(format!("{}/{k}", i + 1));
        let results = a.assess(&part, time::macros::date!(2026 - 11 - 02));
        let path = dir.join(format!("shard-{i}.results.json"));
        let f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
        render::json_to(&results, f).unwrap();
        files.push(path);
    }
    reset_peak();
    let before = status_mb("VmRSS:");
    let parts: Vec<logposture::model::Results> = files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            logposture::app::parse_results(&p.display().to_string(), &text).unwrap()
        })
        .collect();
    let merged = logposture::merge::merge(parts, &a.cost_model).expect("shards merge");
    let merge_mb = peak_rss_mb() - before;
    (merged, merge_mb)
}

/// Records `results` in a new history, then the same estate a week later with one finding in a
/// hundred changed: the seconds each took and the database's size after both.
fn history_writes(
    results: &mut logposture::model::Results,
    dir: &std::path::Path,
) -> (f64, f64, f64) {
    use logposture::history::{remember, History, Open, Source};
    use logposture::model::Status;
    let path = dir.join("posture.db");
    let mut h = History::open(&path, Open::CreateIfMissing).expect("history");
    let t = Instant::now();
    remember(&mut h, results, Source::Scan).expect("first run recorded");
    let first_s = t.elapsed().as_secs_f64();
    results.started_at = "2026-11-09T06:00:00Z".into();
    results.finished_at = "2026-11-09T06:03:41Z".into();
    for f in results.findings.iter_mut().step_by(100) {
        f.status = match f.status {
            Status::Fail => Status::Pass,
            _ => Status::Fail,
        };
    }
    let t = Instant::now();
    remember(&mut h, results, Source::Scan).expect("second run recorded");
    let week_s = t.elapsed().as_secs_f64();
    drop(h);
    let mb = std::fs::metadata(&path)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0);
    (first_s, week_s, mb)
}
