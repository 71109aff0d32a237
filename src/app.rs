//! The commands: wiring the stages together. Configuration (baseline, suppressions, cost model,
//! templates) is loaded and validated before any Azure read, so a typo costs nothing; the
//! snapshot is written as soon as collection ends, so nothing collected is lost.

use crate::cli::{AzureArgs, Cli, Command, EvalArgs, OutputArgs, ScopeArgs};
use crate::collect::arm::{CloudEndpoints, TransportSettings};
use crate::collect::{self, CollectOptions};
use crate::estimate::{self, model::CostModel};
use crate::evaluate::{self, baseline::Baseline, suppressions};
use crate::inventory::Snapshot;
use crate::model::{BaselineInfo, FailOn, Results};
use crate::render::{self, Format, Templates};
use anyhow::Context as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every rule kind with the cost figures pricing its gaps reads: the cost model refuses to
/// load without one of them.
pub fn figure_readers() -> Vec<estimate::model::FigureReader> {
    evaluate::rules::KINDS
        .iter()
        .filter(|k| !k.figures.is_empty())
        .map(|k| estimate::model::FigureReader {
            who: format!("kind {} ({}:{})", k.name, k.file, k.line),
            figures: k.figures,
        })
        .collect()
}

/// The contract's exit codes (README "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Complete, no unsuppressed failure at or above `--fail-on`.
    Clean = 0,
    /// At least one unsuppressed failure at or above `--fail-on`.
    Failures = 1,
    /// Usage, configuration, authentication or output error, or nothing to scan.
    Error = 2,
    /// No gating failure, but evidence is incomplete.
    Incomplete = 3,
}

/// Why a run ended without (complete) results, by what the user has to fix. Every variant is
/// exit code 2 today; the variant is what a caller (or a test) can tell apart.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A file the user gave cannot be read or is not what it should be (suppressions, a
    /// results.json, a snapshot, a shard, a history, a CA certificate, the frameworks file).
    #[error("{0}")]
    Input(String),
    /// The baseline (built in or `--baseline`): every problem with its file and line.
    #[error(transparent)]
    Baseline(#[from] crate::evaluate::baseline::BaselineError),
    /// The cost model (built in or `--pricing`): every problem with its file and line.
    #[error(transparent)]
    CostModel(#[from] crate::estimate::model::ModelError),
    /// Options that cannot apply together, or an unknown value (a cloud, a check id).
    #[error("{0}")]
    Usage(String),
    /// The output folder, a report or `--snapshot-out` cannot take what would be written.
    #[error("{0}")]
    Output(String),
    /// Nothing to scan, or a sign-in that cannot start: a gate must not go green on it.
    #[error("{0}")]
    Scope(String),
}

impl AppError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Error
    }
}

pub(crate) fn input_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(AppError::Input(e.to_string()))
}

pub(crate) fn usage_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(AppError::Usage(e.to_string()))
}

pub(crate) fn output_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(AppError::Output(e.to_string()))
}

pub(crate) fn scope_err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::Error::new(AppError::Scope(e.to_string()))
}

/// Exit code for an error that ended the run: the [`AppError`]'s, and 2 for anything else
/// (writing a report failed, say).
pub fn error_exit_code(e: &anyhow::Error) -> i32 {
    e.downcast_ref::<AppError>()
        .map_or(ExitCode::Error, AppError::exit_code) as i32
}

/// The reader of our standard output went away (`logposture checks list | head -1`): not an
/// error of the run, so it ends quietly.
pub fn is_closed_stdout(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub(crate) fn read_file(p: &Path, what: &str) -> anyhow::Result<(String, String)> {
    let text = std::fs::read_to_string(p)
        .map_err(|e| input_err(format!("cannot read {what} {}: {e}", p.display())))?;
    Ok((p.display().to_string(), text))
}

/// `--ca-cert`: a PEM certificate; anything else is exit 2 naming the file.
pub(crate) fn read_ca_cert(p: &Path) -> anyhow::Result<reqwest::Certificate> {
    let pem = std::fs::read(p)
        .map_err(|e| input_err(format!("cannot read --ca-cert {}: {e}", p.display())))?;
    if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
        return Err(input_err(format!(
            "--ca-cert {}: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file",
            p.display()
        )));
    }
    reqwest::Certificate::from_pem(&pem).map_err(|e| {
        input_err(format!(
            "--ca-cert {}: not a PEM certificate: {e}",
            p.display()
        ))
    })
}

/// A results.json read back (`--compare`, `merge`, `cost --results`); errors name file, line
/// and column. A schema version this build does not write is refused before its fields are
/// read: a newer file's fields may mean something else.
pub fn parse_results(name: &str, text: &str) -> anyhow::Result<Results> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: Option<serde_json::Value>,
    }
    let version: Version = serde_json::from_str(text).map_err(|e| {
        input_err(format!(
            "{name}:{}:{}: not a logposture results.json: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let expected = crate::model::RESULTS_SCHEMA_VERSION;
    match version.schema_version {
        Some(v) if v.as_u64() == Some(u64::from(expected)) => {}
        Some(v) => {
            return Err(input_err(format!(
                "{name}: results.json schema_version {v} is not one this logposture reads ({expected}); re-run the scan with this version or use the logposture that wrote it"
            )))
        }
        None => {
            return Err(input_err(format!(
                "{name}: not a logposture results.json (no schema_version)"
            )))
        }
    }
    let file: crate::model::output::ResultsFile = serde_json::from_str(text).map_err(|e| {
        input_err(format!(
            "{name}:{}:{}: not a logposture results.json: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let mut results = Results::from(file);
    // Canonical times: merged windows and drift compare them as strings.
    for (field, t) in [
        ("started_at", &mut results.started_at),
        ("finished_at", &mut results.finished_at),
    ] {
        *t = crate::support::timestamp::canonical(t)
            .ok_or_else(|| input_err(format!("{name}: {field} {t:?} is not an RFC 3339 time")))?;
    }
    Ok(results)
}

pub fn load_baseline(files: &[PathBuf]) -> anyhow::Result<Baseline> {
    let texts = files
        .iter()
        .map(|p| read_file(p, "baseline"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(evaluate::baseline::load(&texts, evaluate::rules::validate).map_err(AppError::from)?)
}

/// Everything an evaluation needs, loaded and checked up front.
pub struct Assessment {
    pub baseline: Baseline,
    /// Framework mappings, checked against the baseline.
    pub frameworks: Vec<evaluate::frameworks::Framework>,
    pub suppressions: Vec<suppressions::Suppression>,
    pub cost_model: CostModel,
    pub entra_users: Option<u64>,
    pub previous: Option<Results>,
    pub fail_on: FailOn,
}

impl Assessment {
    pub fn load(args: &EvalArgs) -> anyhow::Result<Self> {
        let baseline = load_baseline(&args.baselines)?;
        let frameworks = evaluate::frameworks::load(&baseline).map_err(input_err)?;
        let suppressions = match &args.suppressions {
            Some(p) => {
                let (name, text) = read_file(p, "suppressions file")?;
                suppressions::parse(&name, &text, &baseline).map_err(input_err)?
            }
            None => Vec::new(),
        };
        let pricing = args
            .pricing
            .iter()
            .map(|p| read_file(p, "pricing file"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let cost_model = CostModel::load(&pricing, &figure_readers()).map_err(AppError::from)?;
        let previous = match &args.compare {
            Some(p) => {
                let (name, text) = read_file(p, "previous results")?;
                Some(parse_results(&name, &text)?)
            }
            None => None,
        };
        Ok(Self {
            baseline,
            frameworks,
            suppressions,
            cost_model,
            entra_users: args.entra_users,
            previous,
            fail_on: args.fail_on,
        })
    }

    /// Snapshot → findings → suppressions → costs → results.
    pub fn assess(&self, snapshot: &Snapshot, today: time::Date) -> Results {
        let mut findings = evaluate::run(snapshot, &self.baseline);
        let notes = suppressions::apply(&mut findings, &self.suppressions, today);
        let cost = estimate::apply(&mut findings, snapshot, &self.cost_model, self.entra_users);
        let mut results = Results::assemble(
            snapshot,
            baseline_info(&self.baseline),
            findings,
            cost,
            notes,
        );
        results.statement.suppressions = self.suppressions_listed(&results);
        results.checks = self
            .baseline
            .checks
            .iter()
            .map(|c| crate::model::CheckInfo {
                id: c.id.to_string(),
                title: c.title.to_string(),
                severity: c.severity,
                area: c.area.to_string(),
                enabled: c.enabled,
                rationale: c.rationale.trim().to_string(),
                // Params filled in, resource placeholders shown as <resource_id>: the rule's
                // generic text; each finding carries its own, filled in.
                remediation: crate::evaluate::placeholders::fill(c.remediation.trim(), |n| {
                    n.strip_prefix("param.")
                        .and_then(|k| c.params.get(k))
                        .map(crate::evaluate::placeholders::param_text)
                }),
                references: c.references.to_vec(),
                source: c.source.clone(),
                azure_policy: c.azure_policy.as_deref().cloned(),
            })
            .collect();
        results.frameworks = evaluate::frameworks::judge(&self.frameworks, &results.findings);
        if let Some(prev) = &self.previous {
            results.drift = Some(crate::compare::drift(prev, &results));
        }
        results
    }
}

impl Assessment {
    /// Every configured suppression with how many findings it covers and its state.
    /// The state (expired, unmatched) is the one `suppressions::apply` noted; any other
    /// suppression is active.
    fn suppressions_listed(&self, results: &Results) -> Vec<crate::model::SuppressionListed> {
        self.suppressions
            .iter()
            .map(|s| {
                let findings = results
                    .findings
                    .iter()
                    .filter(|f| f.suppression.as_ref().is_some_and(|x| x.source == s.source))
                    .count();
                let state = results
                    .suppression_notes
                    .iter()
                    .find(|n| n.source == s.source)
                    .map_or("active", |n| n.state.as_str());
                crate::model::SuppressionListed {
                    check_id: s.check.clone(),
                    resource: s.resource.clone(),
                    reason: s.reason.clone(),
                    owner: s.owner.clone(),
                    expires: s.expires.to_string(),
                    source: s.source.clone(),
                    state: state.into(),
                    findings,
                }
            })
            .collect()
    }
}

/// What results.json says about the baseline: name, version, hash, and every change made to it.
pub fn baseline_info(b: &Baseline) -> BaselineInfo {
    BaselineInfo {
        name: b.name.clone(),
        version: b.version.clone(),
        checks: b.checks.iter().filter(|c| c.enabled).count(),
        overrides: b.override_files.clone(),
        sha256: b.sha256.clone(),
        modified: b.modified(),
        changes: b
            .checks
            .iter()
            .flat_map(|c| {
                c.changes.iter().map(|ch| crate::model::BaselineChange {
                    check_id: c.id.to_string(),
                    change: ch.clone(),
                })
            })
            .collect(),
        disabled: b
            .checks
            .iter()
            .filter(|c| !c.enabled)
            .map(|c| c.id.to_string())
            .collect(),
    }
}

pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn cloud_for(args: &AzureArgs) -> anyhow::Result<CloudEndpoints> {
    let mut cloud = CloudEndpoints::for_cloud(&args.cloud)
        .ok_or_else(|| usage_err(format!("unknown cloud {}", args.cloud)))?;
    if let Some(u) = &args.arm_endpoint {
        cloud.arm = u.clone();
    }
    if let Some(u) = &args.logs_endpoint {
        cloud.logs = u.clone();
    }
    Ok(cloud)
}

async fn collect_live(
    scope: &ScopeArgs,
    azure: &AzureArgs,
    quiet: bool,
) -> anyhow::Result<Snapshot> {
    let cloud = cloud_for(azure)?;
    let settings = TransportSettings {
        concurrency: match (azure.sequential, azure.concurrency) {
            (true, _) => 1,
            (false, Some(n)) => usize::from(n),
            (false, None) => TransportSettings::default().concurrency,
        },
        adaptive: !azure.sequential && azure.concurrency.is_none(),
        pace: !azure.sequential,
        request_timeout: Duration::from_secs(azure.request_timeout.max(1)),
        throttle_budget: Duration::from_secs(azure.throttle_budget),
        deadline: Some(
            tokio::time::Instant::now() + Duration::from_secs(azure.max_duration.max(1)),
        ),
        bucket_size: azure.arm_bucket,
        refill_per_second: azure.arm_refill,
        extra_roots: match &azure.ca_cert {
            Some(p) => vec![read_ca_cert(p)?],
            None => Vec::new(),
        },
        ..TransportSettings::default()
    };
    let client = collect::connect(&cloud, settings, azure.auth)
        .await
        .map_err(scope_err)?;
    let opts = CollectOptions {
        subscriptions: scope.subscriptions.clone(),
        exclude_subscriptions: scope.exclude_subscriptions.clone(),
        management_group: scope.management_group.clone(),
        shard: scope.shard,
        measure_usage: !azure.no_usage,
        query_paid_tables: azure.query_paid_tables,
        progress: !quiet,
        // Enough per-resource reads queued that the transport, not this, sets the pace.
        per_subscription_parallelism: match (azure.sequential, azure.concurrency) {
            (true, _) => 1,
            (false, Some(n)) => usize::from(n).max(4),
            (false, None) => 256,
        },
        subscription_parallelism: if azure.sequential { 1 } else { 0 },
    };
    Ok(collect::collect(&client, &cloud.name, &opts).await?)
}

/// The demo tenant with the scope flags applied (a management group cannot be: the demo has
/// none).
fn demo_snapshot(scope: &ScopeArgs) -> anyhow::Result<Snapshot> {
    if let Some(g) = &scope.management_group {
        return Err(usage_err(format!(
            "--management-group {g}: the demo tenant has no management groups; use --subscription or --shard"
        )));
    }
    crate::demo::snapshot_scoped(
        &scope.subscriptions,
        &scope.exclude_subscriptions,
        scope.shard,
    )
    .map_err(usage_err)
}

/// An identity that sees nothing, a management group that does not exist, a subscription list
/// that could not be read: a gate must not go green on them. Exit 2 unless `--allow-empty`.
fn check_scope_not_empty(snapshot: &Snapshot, scope: &ScopeArgs) -> anyhow::Result<()> {
    if !snapshot.scope.subscriptions.is_empty() || scope.allow_empty {
        return Ok(());
    }
    let scope_error = snapshot.errors.iter().find(|e| {
        e.operation == "subscriptions.list" || e.operation == "managementGroups.descendants"
    });
    // One shard of a matrix may get no subscription while the others cover the estate; the
    // merged report is where an empty estate shows.
    if scope.shard.is_some() && scope_error.is_none() {
        return Ok(());
    }
    let why = match (&scope.management_group, scope_error) {
        (Some(group), Some(e)) if e.status == Some(404) => format!(
            "management group {group:?} was not found, or this identity cannot see it ({})",
            e.summary()
        ),
        (Some(group), Some(e)) => format!(
            "the subscriptions of management group {group:?} could not be read ({})",
            e.summary()
        ),
        (Some(group), None) => format!("management group {group:?} holds no subscription"),
        (None, Some(e)) => format!("the subscription list could not be read ({})", e.summary()),
        (None, None) if !scope.exclude_subscriptions.is_empty() => {
            "every visible subscription was excluded (--exclude-subscription)".into()
        }
        (None, None) => "this identity can see no subscription: give it Reader on the subscriptions (or a management group) to scan".into(),
    };
    Err(scope_err(format!(
        "nothing to scan: {why}. Pass --allow-empty to accept an empty scope."
    )))
}

/// `--snapshot-out`: checked before any Azure read (a directory there, or a folder that
/// cannot be created or written, would lose the scan at its end).
pub(crate) fn check_snapshot_out(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        return Err(output_err(format!(
            "--snapshot-out {} is a directory",
            path.display()
        )));
    }
    let dir = snapshot_dir(path);
    std::fs::create_dir_all(&dir)
        .and_then(|_| tempfile::tempfile_in(&dir).map(drop))
        .map_err(|e| {
            output_err(format!(
                "--snapshot-out {}: cannot write there: {e}",
                path.display()
            ))
        })
}

fn snapshot_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The snapshot, through a temporary file renamed into place (never a half-written evidence
/// file under the final name).
pub(crate) fn write_snapshot(path: &Path, snap: &Snapshot) -> anyhow::Result<()> {
    let dir = snapshot_dir(path);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot.json".into());
    let tmp = crate::support::atomic::staging_file(&dir, &name)?;
    let mut w = std::io::BufWriter::new(tmp);
    serde_json::to_writer_pretty(&mut w, snap)?;
    w.write_all(b"\n")?;
    let tmp = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write snapshot {}: {}", path.display(), e.error()))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write snapshot {}: {}", path.display(), e.error))?;
    Ok(())
}

/// Where and how reports are written: checked before any Azure read.
pub(crate) struct Reporter<'a> {
    out: &'a OutputArgs,
    formats: Vec<Format>,
    templates: Templates,
    /// Earlier IP-NIC-owner sightings from the attribution.json beside `--compare` (read
    /// only; `--attribution-history` is re-read under its lock when the reports are written).
    compare_history: Vec<crate::model::attribution::Sighting>,
    /// `--history FILE`, opened and checked before any Azure read.
    history: Option<crate::history::History>,
    /// `scan --demo`: the bundled demo history comes first (in memory without `--history`).
    demo: bool,
}

impl<'a> Reporter<'a> {
    /// `compare`: the previous results.json, whose directory may hold its attribution.json.
    /// Every precondition on the output is checked here, before any Azure read, and a refusal
    /// changes nothing in the output folder.
    pub(crate) fn load(out: &'a OutputArgs, compare: Option<&Path>) -> anyhow::Result<Self> {
        let formats = Format::parse_list(&out.format).map_err(usage_err)?;
        let templates = Templates::load(out.templates.as_deref()).map_err(input_err)?;
        // A bad history file stops here; a missing one is a first run.
        let mut compare_history = Vec::new();
        if let Some(h) = &out.attribution_history {
            if h.is_dir() {
                return Err(input_err(format!(
                    "--attribution-history {} is a directory",
                    h.display()
                )));
            }
            if h.exists() {
                crate::attribute::read_history(h).map_err(input_err)?;
            }
        } else if let Some(c) = compare {
            let beside = c
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .join(render::attribution::JSON_FILE);
            if beside.exists() {
                compare_history = crate::attribute::read_history(&beside).map_err(input_err)?;
            }
        }
        render::check_output(&out.output, &formats).map_err(|e| output_err(format!("{e:#}")))?;
        let history = match &out.history {
            Some(p) => Some(
                crate::history::History::open(p, crate::history::Open::CreateIfMissing)
                    .map_err(input_err)?,
            ),
            None => None,
        };
        Ok(Self {
            out,
            formats,
            templates,
            compare_history,
            history,
            demo: false,
        })
    }

    /// The demo tenant's run: its bundled twelve-week history is shown (and written to
    /// `--history` only when one is given).
    pub(crate) fn with_demo_history(mut self) -> Self {
        self.demo = true;
        self
    }

    /// Records the run in the history (the demo's, or `--history`) and adds what it says to
    /// the results: failing since, time to fix, the trend. Returns the history file written.
    fn remember(&mut self, results: &mut Results) -> anyhow::Result<Option<PathBuf>> {
        if self.demo {
            crate::history::demo::remember(self.history.as_mut(), results)
                .map_err(|e| output_err(format!("{e}")))?;
        } else if let Some(h) = self.history.as_mut() {
            crate::history::remember(h, results, crate::history::Source::Scan)
                .map_err(|e| output_err(format!("{e}")))?;
        }
        Ok(self.out.history.clone())
    }

    /// Writes the reports; the attribution files too when the inventory is at hand (a merge
    /// of results files has none). The attribution history stays locked from its re-read
    /// until the reports are in place and it is written back.
    pub(crate) fn write(
        &mut self,
        results: &mut Results,
        snapshot: Option<&Snapshot>,
        fail_on: FailOn,
    ) -> anyhow::Result<()> {
        results.statement.generated_at = crate::collect::now_rfc3339();
        results.owner_tag = self
            .out
            .owner_tag
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        // A history that cannot be written (disk full, locked too long) does not cost the
        // reports: they are written, say so, and the run ends with exit 2.
        let history_written = self.remember(results);
        if let Err(e) = &history_written {
            results
                .statement
                .warnings
                .push(format!("this run is not in the posture history: {e:#}"));
        }
        let mut legacy_history = None;
        let attribution = match (self.formats.contains(&Format::Attribution), snapshot) {
            (true, Some(snap)) => {
                let previous = match (&mut self.history, &self.out.attribution_history) {
                    // The history database holds the sightings; an attribution history
                    // file given beside it is imported once.
                    (Some(db), legacy) => {
                        if let Some(p) = legacy.as_ref().filter(|p| p.exists()) {
                            let content = std::fs::read(p).map_err(|e| {
                                input_err(format!(
                                    "cannot read attribution history {}: {e}",
                                    p.display()
                                ))
                            })?;
                            let sightings = crate::attribute::read_history(p).map_err(input_err)?;
                            db.import_sightings_once(
                                &p.display().to_string(),
                                &content,
                                &sightings,
                            )
                            .map_err(input_err)?;
                        }
                        db.sightings().map_err(input_err)?
                    }
                    (None, Some(h)) => {
                        let file =
                            crate::attribute::HistoryFile::open_locked(h).map_err(input_err)?;
                        let prev = file.previous.clone();
                        legacy_history = Some(file);
                        prev
                    }
                    (None, None) => self.compare_history.clone(),
                };
                Some(crate::attribute::build(snap, &previous))
            }
            _ => None,
        };
        if let (Some(db), Some(a)) = (&mut self.history, &attribution) {
            db.add_sightings(&a.history)
                .map_err(|e| output_err(format!("{e}")))?;
        }
        let mut written = render::write_all(
            results,
            &self.formats,
            &self.out.output,
            &self.templates,
            attribution.as_ref(),
        )?;
        if let (Some(file), Some(a)) = (legacy_history, &attribution) {
            written.push(file.commit(a)?);
        }
        if let Ok(h) = &history_written {
            written.extend(h.clone());
        }
        if !self.out.quiet {
            summary_line(results, &written, fail_on);
        }
        history_written.map(drop)
    }
}

fn summary_line(r: &Results, written: &[PathBuf], fail_on: FailOn) {
    let mut err = std::io::stderr().lock();
    let s = &r.summary;
    let gaps = r.cost.gaps.usd_per_month;
    let _ = writeln!(
        err,
        "logposture: {} fail, {} not assessed, {} pass, {} suppressed across {} subscription(s); {} read error(s); closing the gaps ≈ {}/month",
        s.fail,
        s.not_assessed,
        s.pass,
        s.suppressed,
        r.scope.subscriptions.len(),
        r.errors.len(),
        render::view::money(&r.cost.currency, gaps),
    );
    for p in written {
        let _ = writeln!(err, "  wrote {}", p.display());
    }
    let _ = writeln!(err, "logposture: {}", r.exit_status(fail_on).1);
}

/// Runs a command; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Scan(args) => {
            let assessment = Assessment::load(&args.eval)?;
            let mut reporter = Reporter::load(&args.output, args.eval.compare.as_deref())?;
            if args.demo {
                reporter = reporter.with_demo_history();
            }
            if let Some(p) = &args.snapshot_out {
                check_snapshot_out(p)?;
            }
            let snapshot = if args.demo {
                demo_snapshot(&args.scope)?
            } else {
                collect_live(&args.scope, &args.azure, args.output.quiet).await?
            };
            if let Some(p) = &args.snapshot_out {
                write_snapshot(p, &snapshot)?;
            }
            check_scope_not_empty(&snapshot, &args.scope)?;
            let mut results = assessment.assess(&snapshot, today());
            reporter.write(&mut results, Some(&snapshot), assessment.fail_on)?;
            if args.export {
                let login = crate::cli::LoginArgs {
                    cloud: args.azure.cloud.clone(),
                    ca_cert: args.azure.ca_cert.clone(),
                    auth: args.azure.auth,
                };
                let outcome = crate::export_cmd::send(&results, &args.export_to, &login).await?;
                if crate::export_cmd::finish(&outcome)? != 0 {
                    return Ok(2);
                }
            }
            Ok(results.exit_code(assessment.fail_on))
        }
        Command::Collect(args) => {
            check_snapshot_out(&args.snapshot_out)?;
            let snapshot = if args.demo {
                demo_snapshot(&args.scope)?
            } else {
                collect_live(&args.scope, &args.azure, args.quiet).await?
            };
            // Written first: even an empty or failed scope is evidence of what ARM answered.
            write_snapshot(&args.snapshot_out, &snapshot)?;
            check_scope_not_empty(&snapshot, &args.scope)?;
            if !args.quiet {
                let _ = writeln!(
                    std::io::stderr(),
                    "logposture: {} subscription(s), {} requests ({} throttled), {} failed read(s); wrote {}",
                    snapshot.scope.subscriptions.len(),
                    snapshot.stats.requests,
                    snapshot.stats.throttled,
                    snapshot.errors.len(),
                    args.snapshot_out.display()
                );
            }
            Ok(if snapshot.errors.is_empty() { 0 } else { 3 })
        }
        Command::Evaluate(args) => {
            let assessment = Assessment::load(&args.eval)?;
            let mut reporter = Reporter::load(&args.output, args.eval.compare.as_deref())?;
            let snapshot = Snapshot::load(&args.snapshot).map_err(input_err)?;
            let mut results = assessment.assess(&snapshot, today());
            reporter.write(&mut results, Some(&snapshot), assessment.fail_on)?;
            Ok(results.exit_code(assessment.fail_on))
        }
        Command::Checks(args) => crate::checks_cmd::run(args),
        Command::Cost(args) => {
            let results = match &args.results {
                Some(p) => {
                    let (name, text) = read_file(p, "results file")?;
                    parse_results(&name, &text)?
                }
                None => {
                    let assessment = Assessment::load(&args.eval.to_eval())?;
                    let snapshot = match (&args.snapshot, args.demo) {
                        (Some(p), _) => Snapshot::load(p).map_err(input_err)?,
                        (None, true) => demo_snapshot(&args.scope)?,
                        (None, false) => collect_live(&args.scope, &args.azure, args.quiet).await?,
                    };
                    check_scope_not_empty(&snapshot, &args.scope)?;
                    let mut r = assessment.assess(&snapshot, today());
                    r.statement.generated_at = crate::collect::now_rfc3339();
                    r
                }
            };
            let out = if args.json {
                serde_json::to_string_pretty(&results.cost)? + "\n"
            } else {
                crate::render::cost_table::text(&results)
            };
            let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
            // Incomplete evidence is still said (3); failures do not gate a budget question.
            Ok(results.exit_code(crate::model::FailOn(None)))
        }
        Command::Merge(args) => crate::merge::command(args),
        Command::History(args) => crate::history_cmd::run(args),
        Command::Pricing(args) => match args.action {
            crate::cli::PricingAction::Update(a) => crate::pricing_cmd::run(a).await,
        },
        Command::Export(args) => crate::export_cmd::command(args).await,
    }
}
