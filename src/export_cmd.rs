//! `logposture export` (and `scan --export`): the findings and the run summary into the
//! customer's own Log Analytics workspace, through the Azure Monitor Logs Ingestion API: a data
//! collection endpoint (or a DCR's own ingestion endpoint), the rule's immutable id and a
//! stream per table (`Custom-LogpostureFindings_CL`, `Custom-LogpostureRuns_CL`, as the Bicep
//! in `examples/export/` declares them).
//!
//! Findings go first, in gzip-compressed batches of at most [`MAX_BATCH_BYTES`] of JSON each
//! (the API takes 1 MB a call); 429 and 5xx are retried with Retry-After; the run summary goes
//! last, so a run row in the workspace means every finding of that run arrived. Any other
//! refusal (413, a schema the rule does not accept, 401/403) stops the export: what was sent and
//! what was not is said, and the exit code is 2.

use crate::collect::credential::{self, AuthMethod};
use crate::model::Results;
use anyhow::Context as _;
use serde_json::{json, Value};
use std::io::Write as _;
use std::time::Duration;

/// Largest JSON body (before compression) of one call: the API's limit is 1 MB.
pub const MAX_BATCH_BYTES: usize = 1_000_000;
const API_VERSION: &str = "2023-01-01";
const MAX_TRIES: u32 = 6;

/// Where the rows go.
#[derive(Debug, Clone)]
pub struct Destination {
    pub endpoint: url::Url,
    pub dcr_immutable_id: String,
    pub findings_stream: String,
    pub runs_stream: String,
}

/// The token scope of the Logs Ingestion API per cloud, as Microsoft documents it (the double
/// slash is the documented form: the audience is `https://monitor.azure.com/`).
pub fn scope(cloud: &str) -> &'static str {
    match cloud {
        "usgov" => "https://monitor.azure.us//.default",
        "china" => "https://monitor.azure.cn//.default",
        _ => "https://monitor.azure.com//.default",
    }
}

/// Checks what the user gave: an https endpoint (http only to a loopback address), a DCR
/// immutable id (`dcr-` and 32 hex digits), stream names of the form `Custom-<name>`.
pub fn destination(
    endpoint: &str,
    dcr: &str,
    findings_stream: &str,
    runs_stream: &str,
) -> Result<Destination, String> {
    let url = url::Url::parse(endpoint)
        .map_err(|e| format!("--ingestion-endpoint {endpoint:?} is not a URL: {e}"))?;
    let loopback = matches!(url.host(), Some(url::Host::Ipv4(a)) if a.is_loopback())
        || matches!(url.host(), Some(url::Host::Ipv6(a)) if a.is_loopback());
    if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
        return Err(format!(
            "--ingestion-endpoint {endpoint:?}: https only (the token goes with every call; http is accepted for a loopback address)"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.path().trim_matches('/').is_empty()
    {
        return Err(format!(
            "--ingestion-endpoint {endpoint:?}: the endpoint alone (https://<name>.<region>-1.ingest.monitor.azure.com), no path or query"
        ));
    }
    let hex32 = |s: &str| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if !dcr.strip_prefix("dcr-").is_some_and(hex32) {
        return Err(format!(
            "--dcr-id {dcr:?}: the rule's immutable id, dcr- and 32 hex digits (DCR overview or `az monitor data-collection rule show --query immutableId`)"
        ));
    }
    for (opt, s) in [
        ("--findings-stream", findings_stream),
        ("--runs-stream", runs_stream),
    ] {
        let ok = s.strip_prefix("Custom-").is_some_and(|n| {
            !n.is_empty()
                && n.len() <= 100
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        });
        if !ok {
            return Err(format!(
                "{opt} {s:?}: a stream of the rule, Custom-<letters, digits, _>"
            ));
        }
    }
    Ok(Destination {
        endpoint: url,
        dcr_immutable_id: dcr.to_string(),
        findings_stream: findings_stream.to_string(),
        runs_stream: runs_stream.to_string(),
    })
}

/// The run's id: the same scan (tenant, window, scope) gives the same id, so rows of an export
/// sent twice can be told apart from another run's.
pub fn run_id(r: &Results) -> String {
    use sha2::Digest as _;
    let subs: Vec<&str> = r
        .scope
        .subscriptions
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    let key = format!(
        "{}\n{}\n{}\n{}\n{}",
        r.tenant_id.as_deref().unwrap_or(""),
        r.started_at,
        r.finished_at,
        r.scope.shard.as_deref().unwrap_or(""),
        subs.join(",")
    );
    let h = sha2::Sha256::digest(key.as_bytes());
    h[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// One row per finding, in the columns of `LogpostureFindings_CL`.
pub fn finding_rows(r: &Results) -> Vec<Value> {
    let run = run_id(r);
    let names = r.subscription_names();
    r.findings
        .iter()
        .map(|f| {
            json!({
                "TimeGenerated": r.finished_at,
                "RunId": run,
                "TenantId": r.tenant_id.as_deref().unwrap_or(""),
                "FindingUid": crate::render::ocsf::uid(r.tenant_id.as_deref(), f),
                "CheckId": f.check_id,
                "Title": f.title,
                "Severity": f.severity.as_str(),
                "Status": f.status.as_str(),
                "Area": f.area,
                "SubscriptionId": f.subscription_id.as_deref().unwrap_or(""),
                "SubscriptionName": f.subscription_id.as_deref()
                    .and_then(|s| names.get(&s.to_ascii_lowercase()).copied())
                    .unwrap_or(""),
                "ResourceId": f.resource_id,
                "ResourceGroup": crate::support::ids::resource_group(&f.resource_id).unwrap_or(""),
                "ResourceName": crate::inventory::last_segment(&f.resource_id),
                "Location": f.location.as_deref().unwrap_or(""),
                "Message": f.message,
                "CostPerMonth": f.cost.as_ref().map(|c| c.usd_per_month),
                "Currency": r.cost.currency,
                "FailingSince": f.failing_since,
                "Tags": f.tags,
                "Baseline": format!("{} {}", r.baseline.name, r.baseline.version),
            })
        })
        .collect()
}

/// The run summary, in the columns of `LogpostureRuns_CL`.
pub fn run_row(r: &Results) -> Value {
    let s = &r.summary;
    let c = &r.statement.coverage;
    json!({
        "TimeGenerated": r.finished_at,
        "RunId": run_id(r),
        "TenantId": r.tenant_id.as_deref().unwrap_or(""),
        "StartedAt": r.started_at,
        "ToolVersion": r.tool.version,
        "Baseline": format!("{} {}", r.baseline.name, r.baseline.version),
        "BaselineSha256": r.baseline.sha256,
        "ManagementGroup": r.scope.management_group.as_deref().unwrap_or(""),
        "Shard": r.scope.shard.as_deref().unwrap_or(""),
        "SubscriptionsInScope": c.subscriptions_in_scope,
        "SubscriptionsRead": c.subscriptions_read,
        "Findings": r.findings.len(),
        "Pass": s.pass,
        "Fail": s.fail,
        "NotAssessed": s.not_assessed,
        "NotApplicable": s.not_applicable,
        "Suppressed": s.suppressed,
        "CostToClosePerMonth": r.cost.gaps.usd_per_month,
        "Currency": r.cost.currency,
    })
}

/// `rows` as JSON arrays of at most `max_bytes` each; a single row larger than that is an error
/// naming it (the API would refuse it).
pub fn batches(rows: &[Value], max_bytes: usize) -> Result<Vec<(usize, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let mut body = b"[".to_vec();
    let mut count = 0usize;
    for (i, row) in rows.iter().enumerate() {
        let text = serde_json::to_vec(row).map_err(|e| e.to_string())?;
        if text.len() + 2 > max_bytes {
            return Err(format!(
                "row {} ({} bytes) is larger than one call may carry ({max_bytes} bytes)",
                i + 1,
                text.len()
            ));
        }
        if count > 0 && body.len() + 1 + text.len() + 1 > max_bytes {
            body.push(b']');
            out.push((count, std::mem::replace(&mut body, b"[".to_vec())));
            count = 0;
        }
        if count > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&text);
        count += 1;
    }
    if count > 0 {
        body.push(b']');
        out.push((count, body));
    }
    Ok(out)
}

fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(body)?;
    e.finish()
}

/// What an export did: rows sent per stream, and where it stopped if it did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings_sent: usize,
    pub findings_total: usize,
    pub run_sent: bool,
    pub stopped: Option<String>,
}

impl Outcome {
    pub fn say(&self) -> String {
        match &self.stopped {
            None => format!(
                "exported {} finding(s) and the run summary",
                self.findings_sent
            ),
            Some(why) => format!(
                "export stopped: {why}. Sent: {} of {} finding(s){}; not sent: {} finding(s) and the run summary (the workspace has no run row for this run, so nothing reads it as complete)",
                self.findings_sent,
                self.findings_total,
                if self.findings_sent > 0 { ", each once" } else { "" },
                self.findings_total - self.findings_sent
            ),
        }
    }
}

/// The ingestion client: one token credential, one HTTP client.
pub struct Client {
    http: reqwest::Client,
    credential: std::sync::Arc<dyn azure_core::credentials::TokenCredential>,
    scope: &'static str,
}

impl Client {
    async fn token(&self) -> Result<String, String> {
        self.credential
            .get_token(&[self.scope], None)
            .await
            .map(|t| t.token.secret().to_string())
            .map_err(|e| format!("no token for the Logs Ingestion API: {e}"))
    }

    /// One call, retried on 429/5xx and network errors; Err says why it was given up.
    async fn post(&self, url: &url::Url, gz: &[u8]) -> Result<(), String> {
        let mut last = String::new();
        for attempt in 0..MAX_TRIES {
            let token = self.token().await?;
            let sent = self
                .http
                .post(url.clone())
                .bearer_auth(token)
                .header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip")
                .body(gz.to_vec())
                .send()
                .await;
            let wait = match sent {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => {
                    let status = r.status();
                    let retry_after = r
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    let body: String = r
                        .text()
                        .await
                        .unwrap_or_default()
                        .chars()
                        .filter(|c| !c.is_control())
                        .take(300)
                        .collect();
                    last = format!("HTTP {} {body}", status.as_u16());
                    if status.as_u16() != 429 && !status.is_server_error() {
                        return Err(last);
                    }
                    retry_after.map(|s| Duration::from_secs(s.min(60)))
                }
                Err(e) => {
                    last = format!("network error: {e}");
                    None
                }
            };
            if attempt + 1 < MAX_TRIES {
                tokio::time::sleep(wait.unwrap_or(Duration::from_millis(500 << attempt))).await;
            }
        }
        Err(format!("{last} (after {MAX_TRIES} tries)"))
    }

    fn stream_url(&self, d: &Destination, stream: &str) -> url::Url {
        let mut u = d.endpoint.clone();
        u.set_path(&format!(
            "/dataCollectionRules/{}/streams/{stream}",
            d.dcr_immutable_id
        ));
        u.set_query(Some(&format!("api-version={API_VERSION}")));
        u
    }

    /// Sends the findings, then the run summary.
    pub async fn export(&self, r: &Results, d: &Destination, max_batch: usize) -> Outcome {
        let rows = finding_rows(r);
        let mut o = Outcome {
            findings_total: rows.len(),
            ..Outcome::default()
        };
        let parts = match batches(&rows, max_batch) {
            Ok(b) => b,
            Err(e) => {
                o.stopped = Some(e);
                return o;
            }
        };
        let url = self.stream_url(d, &d.findings_stream);
        for (i, (count, body)) in parts.iter().enumerate() {
            let sent = match gzip(body) {
                Ok(gz) => self.post(&url, &gz).await,
                Err(e) => Err(format!("cannot compress: {e}")),
            };
            if let Err(e) = sent {
                o.stopped = Some(format!(
                    "{} refused batch {} of {} ({count} finding(s)): {e}",
                    d.findings_stream,
                    i + 1,
                    parts.len()
                ));
                return o;
            }
            o.findings_sent += count;
        }
        let url = self.stream_url(d, &d.runs_stream);
        let sent = match serde_json::to_vec(&[run_row(r)]) {
            Ok(run) => match gzip(&run) {
                Ok(gz) => self.post(&url, &gz).await,
                Err(e) => Err(format!("cannot compress: {e}")),
            },
            Err(e) => Err(format!("cannot write the run summary: {e}")),
        };
        match sent {
            Ok(()) => o.run_sent = true,
            Err(e) => o.stopped = Some(format!("{} refused the run summary: {e}", d.runs_stream)),
        }
        o
    }
}

/// The client for `cloud` with the scan's credential chain (`--auth`), TLS settings and the
/// login authority.
pub fn client(
    cloud: &crate::collect::arm::CloudEndpoints,
    auth: Option<AuthMethod>,
    extra_roots: &[reqwest::Certificate],
    timeout: Duration,
) -> anyhow::Result<Client> {
    let http = credential::login_client(extra_roots, timeout).map_err(anyhow::Error::msg)?;
    let (credential, _) = credential::login(auth, &cloud.authority_host, &http)
        .map_err(|e| crate::app::usage_err(format!("no Azure credential: {e}")))?;
    Ok(Client {
        http,
        credential,
        scope: scope(&cloud.name),
    })
}

/// `logposture export RESULTS`: read, check, send; 0 when everything arrived, 2 otherwise.
pub async fn command(args: crate::cli::ExportArgs) -> anyhow::Result<i32> {
    let name = args.results.display().to_string();
    let text = std::fs::read_to_string(&args.results)
        .with_context(|| format!("cannot read {name}"))
        .map_err(crate::app::input_err)?;
    let results = crate::app::parse_results(&name, &text)?;
    let outcome = send(&results, &args.to, &args.azure_login).await?;
    finish(&outcome)
}

/// Sends `results` where `to` says; errors in the arguments are usage errors (exit 2).
pub async fn send(
    results: &Results,
    to: &crate::cli::ExportTo,
    login: &crate::cli::LoginArgs,
) -> anyhow::Result<Outcome> {
    let (Some(endpoint), Some(dcr)) = (&to.ingestion_endpoint, &to.dcr_id) else {
        return Err(crate::app::usage_err(
            "the export needs --ingestion-endpoint and --dcr-id (README \"Posture in your workspace\")",
        ));
    };
    let d = destination(endpoint, dcr, &to.findings_stream, &to.runs_stream)
        .map_err(crate::app::usage_err)?;
    let cloud = crate::collect::arm::CloudEndpoints::for_cloud(&login.cloud)
        .ok_or_else(|| crate::app::usage_err(format!("unknown cloud {:?}", login.cloud)))?;
    let roots = match &login.ca_cert {
        Some(p) => vec![crate::app::read_ca_cert(p)?],
        None => Vec::new(),
    };
    let c = client(&cloud, login.auth, &roots, Duration::from_secs(60))?;
    Ok(
        c.export(results, &d, to.max_batch_bytes.unwrap_or(MAX_BATCH_BYTES))
            .await,
    )
}

/// Says the outcome on stderr; the exit code.
pub fn finish(o: &Outcome) -> anyhow::Result<i32> {
    let _ = writeln!(std::io::stderr(), "logposture: {}", o.say());
    Ok(if o.stopped.is_some() { 2 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_stay_under_the_limit_and_keep_every_row_once() {
        let rows: Vec<Value> = (0..100)
            .map(|i| json!({ "n": i, "pad": "x".repeat(50) }))
            .collect();
        let b = batches(&rows, 1000).unwrap();
        assert!(b.len() > 5);
        let mut seen = Vec::new();
        for (count, body) in &b {
            assert!(body.len() <= 1000, "{}", body.len());
            let v: Vec<Value> = serde_json::from_slice(body).unwrap();
            assert_eq!(v.len(), *count);
            seen.extend(v.into_iter().map(|r| r["n"].as_u64().unwrap()));
        }
        assert_eq!(seen, (0..100).collect::<Vec<u64>>());
        assert!(
            batches(&rows, 20).is_err(),
            "a row larger than a call is said"
        );
    }

    #[test]
    fn the_destination_is_checked_before_any_call() {
        let dcr = "dcr-0123456789abcdef0123456789abcdef";
        let ok = |e: &str, d: &str, s: &str| destination(e, d, s, "Custom-LogpostureRuns_CL");
        assert!(ok(
            "https://dce-1.westeurope-1.ingest.monitor.azure.com",
            dcr,
            "Custom-A_CL"
        )
        .is_ok());
        assert!(ok("http://127.0.0.1:8080", dcr, "Custom-A_CL").is_ok());
        assert!(ok("http://dce.example.com", dcr, "Custom-A_CL").is_err());
        assert!(ok("https://dce.example.com/x?y", dcr, "Custom-A_CL").is_err());
        assert!(ok("https://dce.example.com", "dcr-xyz", "Custom-A_CL").is_err());
        assert!(ok("https://dce.example.com", dcr, "Custom-a/../b").is_err());
        assert!(ok("https://dce.example.com", dcr, "Microsoft-Syslog").is_err());
    }
}
