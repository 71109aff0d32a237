//! Command-line interface (the contract in README "Usage"): scan, collect, evaluate, checks, merge.

use crate::inventory::Shard;
use crate::model::{FailOn, Severity};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "logposture",
    version,
    about = "Are the logs an incident or an audit will need being collected, kept long enough, and what does closing each gap cost?",
    long_about = None,
    after_help = "Exit codes: 0 no gating failure; 1 a failure at or above --fail-on; 2 usage, configuration or authentication error; 3 evidence incomplete (some reads failed)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once per process: the size of the largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Collect live from Azure (or --demo), evaluate and write reports.
    Scan(ScanArgs),
    /// Collect only and write the inventory snapshot (evidence file).
    Collect(CollectArgs),
    /// Evaluate a saved snapshot offline and write reports.
    Evaluate(EvaluateArgs),
    /// Show the baseline.
    Checks(ChecksArgs),
    /// Combine the results.json of several shards into one report.
    Merge(MergeArgs),
    /// A posture history (--history FILE): list its runs, tell one finding's story, prune
    /// old runs, or import earlier results.json files.
    History(HistoryArgs),
    /// The cost section alone, for the budget figure: a table on stdout (or --json), from a
    /// live scan, --demo, a saved --snapshot or an existing --results file.
    Cost(CostArgs),
    /// Prices for your region and currency: `pricing update` reads the cost model's meters
    /// from the Azure Retail Prices API and writes a dated pricing file for --pricing.
    Pricing(PricingArgs),
    /// Send a results.json (its findings and run summary) to your Log Analytics workspace
    /// through the Azure Monitor Logs Ingestion API (README "Posture in your workspace").
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The results.json to send.
    pub results: PathBuf,
    #[command(flatten)]
    pub to: ExportTo,
    #[command(flatten)]
    pub azure_login: LoginArgs,
}

/// Where an export goes: a data collection endpoint (or a DCR's ingestion endpoint), the
/// rule's immutable id and its two streams.
#[derive(Debug, Clone, Args)]
pub struct ExportTo {
    /// The data collection endpoint's logs ingestion URL, or the DCR's own
    /// (https://<name>.<region>-1.ingest.monitor.azure.com).
    #[arg(long, value_name = "URL", env = "LOGPOSTURE_INGESTION_ENDPOINT")]
    pub ingestion_endpoint: Option<String>,
    /// The data collection rule's immutable id (dcr-<32 hex digits>).
    #[arg(long, value_name = "ID", env = "LOGPOSTURE_DCR_ID")]
    pub dcr_id: Option<String>,
    /// The rule's stream for findings.
    #[arg(
        long,
        value_name = "STREAM",
        default_value = "Custom-LogpostureFindings_CL"
    )]
    pub findings_stream: String,
    /// The rule's stream for the run summary.
    #[arg(
        long,
        value_name = "STREAM",
        default_value = "Custom-LogpostureRuns_CL"
    )]
    pub runs_stream: String,
    /// Largest JSON body of one call, in bytes (the API takes 1 MB; tests use less).
    #[arg(long, hide = true)]
    pub max_batch_bytes: Option<usize>,
}

/// The login of a command that calls Azure but reads no ARM (export).
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// Azure cloud: picks the login authority and the ingestion token's audience.
    #[arg(long, default_value = "public", value_parser = ["public", "china", "usgov"])]
    pub cloud: String,
    /// PEM file of a CA to trust besides the built-in roots (a TLS-inspecting proxy).
    #[arg(long, value_name = "PEM_FILE", env = "LOGPOSTURE_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Use this credential only (README "Authentication").
    #[arg(long, value_enum, value_name = "KIND", env = "LOGPOSTURE_AUTH")]
    pub auth: Option<crate::collect::credential::AuthMethod>,
}

#[derive(Debug, Args)]
pub struct PricingArgs {
    #[command(subcommand)]
    pub action: PricingAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum PricingAction {
    /// Read the current retail prices of the model's meters (public API, no credential).
    Update(PricingUpdateArgs),
}

#[derive(Debug, Args)]
pub struct PricingUpdateArgs {
    /// Azure region as ARM names it (westeurope, eastus2).
    #[arg(long)]
    pub region: String,
    /// Currency, a three-letter ISO code (USD, EUR, GBP...).
    #[arg(long, default_value = "USD")]
    pub currency: String,
    /// The pricing file to write (read it with --pricing FILE).
    #[arg(long, value_name = "FILE", default_value = "pricing.toml")]
    pub out: PathBuf,
    /// The Retail Prices API (https; http only to a loopback address).
    #[arg(long, value_name = "URL", env = "LOGPOSTURE_PRICES_ENDPOINT", default_value = crate::pricing_cmd::RETAIL_PRICES_ENDPOINT)]
    pub endpoint: String,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Price the bundled demo tenant.
    #[arg(long, conflicts_with_all = ["snapshot", "results"])]
    pub demo: bool,
    /// Evaluate and price a saved snapshot instead of scanning.
    #[arg(long, value_name = "FILE", conflicts_with = "results")]
    pub snapshot: Option<PathBuf>,
    /// Print the cost section of an existing results.json (no scan, no evaluation: the
    /// scope and evaluation options are refused with it).
    #[arg(long, value_name = "RESULTS_JSON", conflicts_with_all = [
        "baselines", "suppressions", "pricing", "entra_users",
        "subscriptions", "management_group", "exclude_subscriptions", "shard",
    ])]
    pub results: Option<PathBuf>,
    /// Print the cost section as JSON (the `cost` object of results.json) instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub azure: AzureArgs,
    #[command(flatten)]
    pub eval: CostEvalArgs,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// What `cost` evaluates with: the evaluation inputs without `--fail-on` and `--compare`,
/// which a budget question does not use (so they are refused, not silently ignored).
#[derive(Debug, Args)]
pub struct CostEvalArgs {
    /// Baseline TOML file overriding or extending the built-in checks (repeatable).
    #[arg(long = "baseline", value_name = "FILE")]
    pub baselines: Vec<PathBuf>,
    /// Accepted risks: TOML with check, resource, reason, owner, expires.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// Cost figures overriding checks/cost-model.toml (repeatable).
    #[arg(long = "pricing", value_name = "FILE")]
    pub pricing: Vec<PathBuf>,
    /// Entra ID user count for sign-in volume estimates.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_ENTRA_USERS))]
    pub entra_users: Option<u64>,
}

impl CostEvalArgs {
    /// As evaluation arguments: no gate, no comparison.
    pub fn to_eval(&self) -> EvalArgs {
        EvalArgs {
            baselines: self.baselines.clone(),
            suppressions: self.suppressions.clone(),
            fail_on: FailOn(None),
            pricing: self.pricing.clone(),
            entra_users: self.entra_users,
            compare: None,
        }
    }
}

/// More users than any Entra tenant holds: a larger `--entra-users` is a typo, and would
/// price sign-in volume beyond any sane figure.
pub const MAX_ENTRA_USERS: u64 = 100_000_000;

#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Subscription to scan (repeatable). Default: every subscription the identity can read.
    #[arg(long = "subscription", value_name = "ID")]
    pub subscriptions: Vec<String>,
    /// Scan the subscriptions below this management group.
    #[arg(long, value_name = "ID", conflicts_with = "subscriptions")]
    pub management_group: Option<String>,
    /// Leave this subscription out (repeatable).
    #[arg(long = "exclude-subscription", value_name = "ID")]
    pub exclude_subscriptions: Vec<String>,
    /// Scan only shard K of N (subscriptions split by a stable hash of their id).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Accept a scope with no subscription in it (otherwise exit 2: nothing scanned is no pass).
    #[arg(long)]
    pub allow_empty: bool,
}

#[derive(Debug, Args)]
pub struct AzureArgs {
    /// Azure cloud: picks the ARM, Log Analytics and login endpoints.
    #[arg(long, default_value = "public", value_parser = ["public", "china", "usgov"])]
    pub cloud: String,
    /// Override the Resource Manager endpoint (sovereign clouds, proxies, test servers).
    #[arg(long, value_name = "URL", env = "LOGPOSTURE_ARM_ENDPOINT")]
    pub arm_endpoint: Option<url::Url>,
    /// Override the Log Analytics query endpoint.
    #[arg(long, value_name = "URL", env = "LOGPOSTURE_LOGS_ENDPOINT")]
    pub logs_endpoint: Option<url::Url>,
    /// PEM file of a CA to trust, besides the built-in roots, for Resource Manager, Log
    /// Analytics and the login authority (Azure Stack Hub, a TLS-inspecting proxy).
    /// Certificates are still verified.
    #[arg(long, value_name = "PEM_FILE", env = "LOGPOSTURE_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Use this credential only, instead of the first one the environment offers (README
    /// "Authentication"): secret, certificate, workload, pipelines, managed or cli.
    #[arg(long, value_enum, value_name = "KIND", env = "LOGPOSTURE_AUTH")]
    pub auth: Option<crate::collect::credential::AuthMethod>,
    /// Requests in flight at most. Default: each subscription keeps ARM's refill rate × the
    /// measured latency in flight (up to 512 in all), which reaches the throttle floor.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: Option<u16>,
    /// Seconds one request may take, headers and whole body (the token request too); a read
    /// that takes longer is given up and reported as not assessed.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub request_timeout: u64,
    /// Seconds one read may spend waiting on ARM throttling (429 Retry-After) in all, before it
    /// is given up as not assessed.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub throttle_budget: u64,
    /// Seconds the whole collection may take; after that, whatever is unread is not assessed
    /// and the reports are written with what was collected.
    #[arg(long, default_value_t = 4 * 3600, value_name = "SECONDS")]
    pub max_duration: u64,
    /// Do not query workspaces (Usage for measured volume, the arrival of configured logs): no
    /// Log Analytics Reader needed; cost is not measured and the arrival checks are not run.
    #[arg(long)]
    pub no_usage: bool,
    /// Also run the arrival queries on tables on the Basic or Auxiliary plan, which are billed
    /// per GB a query scans (otherwise their sources are not assessed, and say why).
    #[arg(long)]
    pub query_paid_tables: bool,
    /// ARM read bucket size assumed per subscription (ARM: 250).
    #[arg(long, default_value_t = 250.0, hide = true)]
    pub arm_bucket: f64,
    /// ARM read refill per second assumed per subscription until learnt from ARM (ARM: 25).
    #[arg(long, default_value_t = 25.0, hide = true)]
    pub arm_refill: f64,
    /// Read like a naive script: one request at a time, no pacing (benchmark baseline).
    #[arg(long, hide = true)]
    pub sequential: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Baseline TOML file overriding or extending the built-in checks (repeatable): change a
    /// check's severity or parameters, disable it, or add checks (README "Baseline").
    #[arg(long = "baseline", value_name = "FILE")]
    pub baselines: Vec<PathBuf>,
    /// Accepted risks: TOML with check, resource, reason, owner, expires.
    #[arg(long, value_name = "FILE")]
    pub suppressions: Option<PathBuf>,
    /// Exit 1 when an unsuppressed failure is at least this severe (critical, high, medium,
    /// low, info), or `none` to report without gating on failures (exit 3 still says the
    /// evidence is incomplete).
    #[arg(long, default_value = "high", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// Cost figures overriding checks/cost-model.toml (repeatable).
    #[arg(long = "pricing", value_name = "FILE")]
    pub pricing: Vec<PathBuf>,
    /// Entra ID user count for sign-in volume estimates (default: the model's assumption,
    /// calibrated by the back-test against measured sign-in volume).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_ENTRA_USERS))]
    pub entra_users: Option<u64>,
    /// A previous results.json: report new, resolved and still-failing findings.
    #[arg(long, value_name = "RESULTS_JSON")]
    pub compare: Option<PathBuf>,
}

impl EvalArgs {
    /// The built-in baseline and cost model, no suppressions, `--fail-on high`.
    pub fn builtin() -> Self {
        Self {
            baselines: Vec::new(),
            suppressions: None,
            fail_on: FailOn(Some(Severity::High)),
            pricing: Vec::new(),
            entra_users: None,
            compare: None,
        }
    }
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Directory for the reports (fixed file names inside).
    #[arg(long, default_value = "./logposture-report", value_name = "DIR")]
    pub output: PathBuf,
    /// Comma list of html, md, json, sarif, junit, csv (findings.csv), fix (remediation/*.sh),
    /// compliance (compliance/<framework>.csv), ocsf (findings.ocsf.json: OCSF Compliance
    /// Findings), attribution (attribution.json and attribution.csv: IP → NIC → owner → flow log).
    #[arg(long, default_value = "html,md,json,csv,fix,attribution")]
    pub format: String,
    /// Attribution history kept across scans: read if it exists, extended with this scan's
    /// IP-NIC-owner sightings (first and last seen), written back. Without it, the
    /// attribution.json beside a --compare results file is the history.
    #[arg(long, value_name = "FILE")]
    pub attribution_history: Option<PathBuf>,
    /// Posture history (SQLite, created if missing): this run is recorded in it, and the
    /// reports say since when each failure has been open, how long each fix took, and the
    /// trend over the last runs. Re-evaluating the same snapshot replaces its run.
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// A resource tag naming the team that owns a resource (e.g. `owner`): the reports group
    /// failures by its value (an owner filter and table in HTML, a table in Markdown); a
    /// resource without the tag is under "no owner".
    #[arg(long, value_name = "TAG")]
    pub owner_tag: Option<String>,
    /// Directory with your own report.html.hbs / report.md.hbs.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Evaluate the bundled demo tenant instead of Azure (no account or network needed).
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub azure: AzureArgs,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also save the collected inventory.
    #[arg(long, value_name = "FILE")]
    pub snapshot_out: Option<PathBuf>,
    /// After the reports, send the findings and the run summary to your Log Analytics
    /// workspace (Logs Ingestion API: --ingestion-endpoint and --dcr-id). A refused export is
    /// exit 2, the reports kept.
    #[arg(long)]
    pub export: bool,
    #[command(flatten)]
    pub export_to: ExportTo,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Write the bundled demo tenant's snapshot instead of reading Azure.
    #[arg(long)]
    pub demo: bool,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub azure: AzureArgs,
    /// Where to write the snapshot.
    #[arg(long, value_name = "FILE", required = true)]
    pub snapshot_out: PathBuf,
    /// No progress bar or summary on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Snapshot written by collect or scan --snapshot-out.
    pub snapshot: PathBuf,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ChecksArgs {
    #[command(subcommand)]
    pub action: ChecksAction,
    /// Baseline TOML file overriding or extending the built-in checks (repeatable): the
    /// checks are shown as that baseline makes them.
    #[arg(long = "baseline", value_name = "FILE", global = true)]
    pub baselines: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ChecksAction {
    /// Every check: id, severity, area, title; with --framework, every control of that
    /// framework with the checks that cover it (uncovered controls marked).
    List {
        /// A framework id from checks/frameworks.toml: cis-5.0, cis-6.0, cis-3.0-data, mcsb,
        /// pci-dss-4.0.1, iso-27001-2022, nist-800-53-au, soc2-cc7.2 or nis2.
        #[arg(long, value_name = "ID")]
        framework: Option<String>,
    },
    /// One check in full: rationale, parameters, remediation, references, cost basis.
    Explain {
        /// The check's id, as `checks list` shows it (e.g. LP-ACT-001).
        check_id: String,
    },
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' results.json files, or their snapshots (then evaluated together).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    #[command(flatten)]
    pub eval: EvalArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// When merging snapshots: save the merged snapshot.
    #[arg(long, value_name = "FILE")]
    pub snapshot_out: Option<PathBuf>,
    /// Warn (stderr and the statement of assessment) when the shards' scan windows lie more
    /// than this many days apart: one report then describes the estate at different times.
    #[arg(long, default_value_t = 7, value_name = "DAYS")]
    pub max_shard_age: u32,
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The history database (as given to --history).
    pub file: PathBuf,
    /// Output: a table (text) or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub format: String,
    /// One finding's story: its check id (with --resource).
    #[arg(long, value_name = "CHECK_ID", requires = "resource", conflicts_with_all = ["keep", "older_than", "import"])]
    pub check: Option<String>,
    /// One finding's story: its resource id (with --check).
    #[arg(long, value_name = "RESOURCE_ID", requires = "check")]
    pub resource: Option<String>,
    /// Delete all but the newest N runs of each tenant and scope.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "import")]
    pub keep: Option<u32>,
    /// Delete the runs scanned more than this many days ago.
    #[arg(long, value_name = "DAYS", conflicts_with = "import")]
    pub older_than: Option<u32>,
    /// Seed the history with earlier results.json files (repeatable), recorded as the runs
    /// they describe (created if the history does not exist).
    #[arg(long, value_name = "RESULTS_JSON")]
    pub import: Vec<PathBuf>,
}
