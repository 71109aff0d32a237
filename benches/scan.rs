//! Scan benchmark: the real `logposture collect` binary against a loopback ARM emulator that
//! throttles like ARM (a token bucket per subscription and principal, 429 + Retry-After when it
//! is empty) over a synthetic tenant. Prints the throttle floor the tenant imposes, how close
//! the scan came to it, and the same tenant read by a naive sequential client.
//!
//! cargo bench --bench scan                         # default tenant (scaled ARM limits)
//! cargo bench --bench scan -- --arm-limits --subs 4 --resources 3000
//! cargo bench --bench scan -- --large --no-naive     # 50 × 1,000 at ARM's limits, 150 ms ± 50 %
//! Options: --subs N --resources N --latency-ms N --jitter F (± fraction of the latency)
//!          --bucket N --refill N --arm-limits --large --no-naive
//!
//! Last line (machine-readable): wall_s floor_s ratio reads reads_needed queries
//! queries_needed (Log Analytics: Usage and arrival) throttled_429
//! peak_rss_mb naive_wall_s naive_ratio lost

// A benchmark program: a panic is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The login authority must be https (the Azure SDK's credentials insist): the bench server
// behind the tests' TLS front, its CA trusted through LOGPOSTURE_CA_CERT.
#[path = "../tests/support/tls_front.rs"]
#[allow(dead_code)]
mod tls_front;

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";

#[derive(Clone, Copy)]
struct Params {
    subs: usize,
    resources: usize,
    latency: Duration,
    /// Each answer takes latency × (1 ± jitter), uniformly.
    jitter: f64,
    bucket: f64,
    refill: f64,
    naive: bool,
}

impl Params {
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let get = |name: &str| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse::<f64>().ok())
        };
        let large = args.iter().any(|a| a == "--large");
        let arm = large || args.iter().any(|a| a == "--arm-limits");
        Self {
            subs: get("--subs").unwrap_or(if large { 50.0 } else { 10.0 }) as usize,
            resources: get("--resources").unwrap_or(if large { 1000.0 } else { 400.0 }) as usize,
            latency: Duration::from_millis(get("--latency-ms").unwrap_or(if large {
                150.0
            } else {
                20.0
            }) as u64),
            jitter: get("--jitter")
                .unwrap_or(if large { 0.5 } else { 0.0 })
                .clamp(0.0, 1.0),
            bucket: get("--bucket").unwrap_or(if arm { 250.0 } else { 50.0 }),
            refill: get("--refill").unwrap_or(if arm { 25.0 } else { 20.0 }),
            naive: !args.iter().any(|a| a == "--no-naive"),
        }
    }
}

/// A realistic type mix per 100 resources: (type, supports diagnostic settings, count).
const MIX: &[(&str, bool, usize)] = &[
    ("Microsoft.Compute/virtualMachines", false, 25),
    ("Microsoft.Network/networkInterfaces", false, 18),
    ("Microsoft.Network/networkSecurityGroups", true, 10),
    ("Microsoft.KeyVault/vaults", true, 8),
    ("Microsoft.Storage/storageAccounts", true, 12),
    ("Microsoft.Web/sites", true, 10),
    ("Microsoft.Sql/servers/databases", true, 5),
    ("Microsoft.Network/virtualNetworks", true, 5),
    ("Microsoft.Network/publicIPAddresses", true, 5),
    ("Microsoft.OperationalInsights/workspaces", true, 1),
    ("Microsoft.Network/networkWatchers", false, 1),
];

struct Tenant {
    subs: Vec<String>,
    /// Per subscription: resources (id, type, supported).
    resources: Vec<Vec<(String, &'static str, bool)>>,
}

fn sub_id(i: usize) -> String {
    format!("{i:08x}-0000-4000-8000-000000000000")
}

impl Tenant {
    fn new(p: &Params) -> Self {
        let mut resources = Vec::new();
        let subs: Vec<String> = (0..p.subs).map(sub_id).collect();
        for s in &subs {
            let mut list = Vec::new();
            let mut i = 0;
            'outer: loop {
                for (t, supported, n) in MIX {
                    for _ in 0..*n {
                        if list.len() == p.resources {
                            break 'outer;
                        }
                        let name = t.rsplit('/').next().unwrap_or("r");
                        list.push((
                            format!(
                                "/subscriptions/{s}/resourceGroups/rg{}/providers/{t}/{name}{i}",
                                i % 7
                            ),
                            *t,
                            *supported,
                        ));
                        i += 1;
                    }
                }
            }
            resources.push(list);
        }
        Tenant { subs, resources }
    }

    /// Reads the tenant needs, per bucket key (ARM reads only; categories once per type, charged
    /// to the first subscription that has the type).
    fn reads_needed(&self) -> (HashMap<String, u64>, u64) {
        let mut per: HashMap<String, u64> = HashMap::new();
        let mut seen_types = std::collections::HashSet::new();
        // Subscriptions list, Entra settings; the Log Analytics queries count here too (their
        // path names no subscription).
        per.insert("tenant".into(), 2 + self.queries_needed());
        for (s, list) in self.subs.iter().zip(&self.resources) {
            // The subscription-level lists (sites, components, JIT policies, Defender automations,
            // security contacts, management locks and the VMs' power states included; firewalls,
            // firewall policies and DNS security policies only where held: this tenant has none).
            // No VM has a data collection rule here, so no extension list is read; each
            // workspace is queried (Usage, arrival) on the tenant's count below.
            let mut n = 19u64;
            if list
                .iter()
                .any(|(_, t, _)| *t == "Microsoft.Network/publicIPAddresses")
            {
                n += 1; // the public IP list, for attribution
            }
            for (_, t, supported) in list {
                if seen_types.insert(*t) {
                    n += 1; // categories of this type
                }
                if *supported {
                    n += 1; // its diagnostic settings
                }
                match *t {
                    "Microsoft.Storage/storageAccounts" => {
                        // blob, file, queue and table services: categories once per type, settings each
                        for svc in ["blob", "file", "queue", "table"] {
                            if seen_types.insert(svc) {
                                n += 1;
                            }
                        }
                        n += 4;
                    }
                    "Microsoft.Network/networkWatchers" => n += 1, // flow logs
                    "Microsoft.OperationalInsights/workspaces" => n += 5, // tables, 3 data source kinds, Sentinel onboarding
                    "Microsoft.Compute/virtualMachines" => n += 1, // DCR associations (Windows and Linux)
                    _ => {}
                }
            }
            per.insert(s.to_ascii_lowercase(), n);
        }
        let total = per.values().sum();
        (per, total)
    }

    /// Log Analytics queries: every workspace's Usage query, and one arrival query (resource
    /// logs) for the workspace the subscription's Key Vaults send to.
    fn queries_needed(&self) -> u64 {
        self.resources
            .iter()
            .map(|list| {
                let count = |t: &str| list.iter().filter(|(_, rt, _)| *rt == t).count() as u64;
                let workspaces = count("Microsoft.OperationalInsights/workspaces");
                let arrival = u64::from(workspaces > 0 && count("Microsoft.KeyVault/vaults") > 0);
                workspaces + arrival
            })
            .sum()
    }

    fn floor(&self, p: &Params) -> f64 {
        let (per, _) = self.reads_needed();
        let worst = per
            .values()
            .map(|r| ((*r as f64) - p.bucket).max(0.0) / p.refill)
            .fold(0.0, f64::max);
        worst + p.latency.as_secs_f64()
    }
}

fn is_windows(id: &str) -> bool {
    id.bytes().last().is_some_and(|b| b % 2 == 0)
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

struct Emu {
    tenant: Tenant,
    p: Params,
    buckets: Mutex<HashMap<String, Bucket>>,
    reads: AtomicU64,
    /// Log Analytics queries (Usage and arrival), counted among the reads too.
    queries: AtomicU64,
    throttled: AtomicU64,
    by_id: HashMap<String, (&'static str, bool)>,
}

fn key_of(path: &str) -> String {
    let mut it = path.split('/').filter(|s| !s.is_empty());
    while let Some(seg) = it.next() {
        if seg.eq_ignore_ascii_case("subscriptions") {
            if let Some(id) = it.next() {
                return id.to_ascii_lowercase();
            }
        }
    }
    "tenant".into()
}

impl Emu {
    fn take(&self, key: &str) -> Result<f64, u64> {
        let mut b = self.buckets.lock().unwrap();
        let now = Instant::now();
        let e = b.entry(key.to_string()).or_insert(Bucket {
            tokens: self.p.bucket,
            last: now,
        });
        e.tokens = (e.tokens + now.duration_since(e.last).as_secs_f64() * self.p.refill)
            .min(self.p.bucket);
        e.last = now;
        if e.tokens >= 1.0 {
            e.tokens -= 1.0;
            Ok(e.tokens)
        } else {
            Err((((1.0 - e.tokens) / self.p.refill).ceil() as u64).max(1))
        }
    }

    fn body(&self, path: &str) -> Value {
        let lower = path.to_ascii_lowercase();
        if lower == "/subscriptions" {
            return json!({"value": self.tenant.subs.iter().map(|s| json!({"subscriptionId": s, "displayName": format!("bench {s}"), "state": "Enabled", "tenantId": "t"})).collect::<Vec<_>>()});
        }
        if lower.starts_with("/providers/microsoft.aadiam") {
            return json!({"value": []});
        }
        if lower.ends_with("/diagnosticsettingscategories") {
            let suffix = "/providers/Microsoft.Insights/diagnosticSettingsCategories".len();
            let rid = &path[..path.len().saturating_sub(suffix)];
            let storage_service = rid.ends_with("Services/default");
            return match self.by_id.get(&rid.to_ascii_lowercase()) {
                _ if storage_service => json!({"value": [
                    {"name": "StorageRead", "properties": {"categoryType": "Logs", "categoryGroups": ["audit", "allLogs"]}}]}),
                Some((_, true)) => json!({"value": [
                    {"name": "AuditEvent", "properties": {"categoryType": "Logs", "categoryGroups": ["audit", "allLogs"]}},
                    {"name": "AllMetrics", "properties": {"categoryType": "Metrics"}}]}),
                _ => json!("unsupported"),
            };
        }
        let sub_idx = self
            .tenant
            .subs
            .iter()
            .position(|s| lower.starts_with(&format!("/subscriptions/{s}")));
        let Some(si) = sub_idx else {
            return json!({"value": []});
        };
        let list = &self.tenant.resources[si];
        let s = &self.tenant.subs[si];
        // Key Vaults send their audit logs to the subscription's workspace: the scan then asks
        // that workspace whether they arrive (one arrival query per workspace).
        if lower.ends_with("/providers/microsoft.insights/diagnosticsettings")
            && lower.contains("/providers/microsoft.keyvault/vaults/")
        {
            if let Some((ws, _, _)) = list
                .iter()
                .find(|(_, t, _)| *t == "Microsoft.OperationalInsights/workspaces")
            {
                return json!({"value": [{"id": format!("{path}/kv-to-law"), "name": "kv-to-law", "properties": {"workspaceId": ws, "logs": [{"category": "AuditEvent", "enabled": true}], "metrics": []}}]});
            }
        }
        let of = |t: &'static str| list.iter().filter(move |(_, rt, _)| *rt == t);
        if lower == format!("/subscriptions/{s}/resources") {
            return json!({"value": list.iter().map(|(id, t, _)| json!({"id": id, "name": id.rsplit('/').next(), "type": t, "location": "westeurope"})).collect::<Vec<_>>()});
        }
        if lower.ends_with("/providers/microsoft.network/networkwatchers") {
            return json!({"value": of("Microsoft.Network/networkWatchers").map(|(id, _, _)| json!({"id": id, "name": "nw", "location": "westeurope", "properties": {"provisioningState": "Succeeded"}})).collect::<Vec<_>>()});
        }
        if lower.ends_with("/providers/microsoft.operationalinsights/workspaces") {
            return json!({"value": of("Microsoft.OperationalInsights/workspaces").map(|(id, _, _)| json!({"id": id, "name": "law", "location": "westeurope", "properties": {"customerId": "00000000-0000-0000-0000-000000000001", "retentionInDays": 30}})).collect::<Vec<_>>()});
        }
        if lower.ends_with("/providers/microsoft.compute/virtualmachines") {
            return json!({"value": of("Microsoft.Compute/virtualMachines").map(|(id, _, _)| json!({"id": id, "name": "vm", "location": "westeurope", "properties": {"storageProfile": {"osDisk": {"osType": if is_windows(id) { "Windows" } else { "Linux" }}}}})).collect::<Vec<_>>()});
        }
        json!({"value": []})
    }

    async fn handle(
        self: Arc<Self>,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: axum::body::Bytes,
    ) -> Response {
        let path = uri.path().to_string();
        if method == Method::POST && path.ends_with("/oauth2/v2.0/token") {
            return axum::Json(
                json!({"token_type": "Bearer", "expires_in": 3600, "access_token": TOKEN}),
            )
            .into_response();
        }
        if headers.get("authorization").and_then(|v| v.to_str().ok())
            != Some(&format!("Bearer {TOKEN}"))
        {
            return (StatusCode::UNAUTHORIZED, "no token").into_response();
        }
        self.reads.fetch_add(1, Ordering::Relaxed);
        if path.starts_with("/v1/workspaces/") {
            self.queries.fetch_add(1, Ordering::Relaxed);
        }
        let key = key_of(&path);
        let verdict = self.take(&key);
        let spread = 1.0 + self.p.jitter * (2.0 * fastrand::f64() - 1.0);
        tokio::time::sleep(self.p.latency.mul_f64(spread)).await;
        match verdict {
            Err(retry_after) => {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    axum::Json(
                        json!({"error": {"code": "TooManyRequests", "message": "throttled"}}),
                    ),
                )
                    .into_response();
                r.headers_mut()
                    .insert("retry-after", retry_after.to_string().parse().unwrap());
                r.headers_mut().insert(
                    "x-ms-ratelimit-remaining-subscription-reads",
                    "0".parse().unwrap(),
                );
                r
            }
            Ok(remaining) => {
                let body = if path.starts_with("/v1/workspaces/") {
                    // The Usage query: one data type; an arrival query: no source arrived.
                    if String::from_utf8_lossy(&body).contains("Usage |") {
                        json!({"tables": [{"name": "PrimaryResult", "columns": [
                            {"name": "DataType", "type": "string"}, {"name": "GB", "type": "real"}],
                            "rows": [["AzureDiagnostics", 1.5]]}]})
                    } else {
                        json!({"tables": [{"name": "PrimaryResult", "columns": [
                            {"name": "Key", "type": "string"}, {"name": "LastSeen", "type": "datetime"}],
                            "rows": []}]})
                    }
                } else {
                    self.body(&path)
                };
                let mut r = if body == json!("unsupported") {
                    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"code": "ResourceTypeNotSupported", "message": "not supported"}}))).into_response()
                } else {
                    axum::Json(body).into_response()
                };
                let h = if key == "tenant" {
                    "x-ms-ratelimit-remaining-tenant-reads"
                } else {
                    "x-ms-ratelimit-remaining-subscription-reads"
                };
                r.headers_mut()
                    .insert(h, (remaining.floor() as u64).to_string().parse().unwrap());
                r
            }
        }
    }
}

/// Peak resident set of a running process, from /proc (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

struct RunResult {
    wall: f64,
    reads: u64,
    queries: u64,
    throttled: u64,
    peak_rss: f64,
    lost: usize,
}

async fn run(p: Params, sequential: bool) -> RunResult {
    let tenant = Tenant::new(&p);
    let by_id = tenant
        .resources
        .iter()
        .flatten()
        .map(|(id, t, s)| (id.to_ascii_lowercase(), (*t, *s)))
        .collect();
    let emu = Arc::new(Emu {
        tenant,
        p,
        buckets: Mutex::new(HashMap::new()),
        reads: AtomicU64::new(0),
        queries: AtomicU64::new(0),
        throttled: AtomicU64::new(0),
        by_id,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let e2 = emu.clone();
    let app = axum::Router::new().fallback(
        move |m: Method, u: Uri, h: HeaderMap, body: axum::body::Bytes| {
            e2.clone().handle(m, u, h, body)
        },
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let dir = std::env::temp_dir().join(format!("logposture-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let login = tls_front::start(url.clone(), &dir).await;
    let snap = dir.join(if sequential {
        "naive.json"
    } else {
        "scan.json"
    });
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"));
    cmd.args([
        "collect",
        "--quiet",
        "--arm-endpoint",
        &url,
        "--logs-endpoint",
        &url,
        "--snapshot-out",
    ])
    .arg(&snap)
    .env("AZURE_TENANT_ID", "00000000-0000-4000-8000-00000000000b")
    .env("AZURE_CLIENT_ID", "00000000-0000-4000-8000-00000000000c")
    .env("AZURE_CLIENT_SECRET", "bench")
    .env("AZURE_AUTHORITY_HOST", &login.url)
    .env("LOGPOSTURE_CA_CERT", &login.ca_pem)
    .env_remove("AZURE_FEDERATED_TOKEN_FILE");
    if sequential {
        cmd.arg("--sequential");
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("start logposture");
    let pid = child.id().unwrap_or(0);
    let mut peak = 0.0f64;
    let status = loop {
        if let Some(m) = peak_rss_mb(pid) {
            peak = peak.max(m);
        }
        tokio::select! {
            s = child.wait() => break s.expect("logposture ran"),
            _ = tokio::time::sleep(Duration::from_millis(25)) => {}
        }
    };
    let wall = start.elapsed().as_secs_f64();
    server.abort();
    let text = std::fs::read_to_string(&snap).unwrap_or_default();
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let errors = v["errors"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(usize::MAX);
    // Every supported resource's settings must be in the snapshot.
    let got: usize = v["inventory"]["subscriptions"]
        .as_array()
        .map(|subs| {
            subs.iter()
                .map(|s| {
                    s["resource_diagnostics"]
                        .as_array()
                        .map(|d| d.len())
                        .unwrap_or(0)
                })
                .sum()
        })
        .unwrap_or(0);
    // Supported resources, plus four storage services per storage account.
    let want: usize = emu
        .tenant
        .resources
        .iter()
        .flatten()
        .map(|r| {
            if r.1 == "Microsoft.Storage/storageAccounts" {
                5
            } else {
                usize::from(r.2)
            }
        })
        .sum();
    let lost = errors + want.saturating_sub(got);
    if !status.success() {
        eprintln!("logposture exited with {status}; errors in snapshot: {errors}");
        for e in v["errors"].as_array().into_iter().flatten().take(3) {
            eprintln!("  {e}");
        }
    }
    RunResult {
        wall,
        reads: emu.reads.load(Ordering::Relaxed),
        queries: emu.queries.load(Ordering::Relaxed),
        throttled: emu.throttled.load(Ordering::Relaxed),
        peak_rss: peak,
        lost,
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let p = Params::from_args();
    let tenant = Tenant::new(&p);
    let (_, needed) = tenant.reads_needed();
    let floor = tenant.floor(&p);
    println!(
        "tenant: {} subscriptions × {} resources, latency {} ms ± {:.0} %, bucket {} refill {}/s; {} ARM reads needed; throttle floor {:.2} s",
        p.subs, p.resources, p.latency.as_millis(), p.jitter * 100.0, p.bucket, p.refill, needed, floor
    );
    let r = run(p, false).await;
    println!(
        "logposture: {:.2} s, {} reads ({} throttled), peak RSS {:.1} MB, lost {}",
        r.wall, r.reads, r.throttled, r.peak_rss, r.lost
    );
    let (naive_wall, naive_ratio) = if p.naive {
        let n = run(p, true).await;
        println!(
            "naive sequential client: {:.2} s, {} reads ({} throttled)",
            n.wall, n.reads, n.throttled
        );
        (n.wall, n.wall / floor)
    } else {
        (f64::NAN, f64::NAN)
    };
    println!(
        "wall_s={:.2} floor_s={:.2} ratio={:.3} reads={} reads_needed={} queries={} queries_needed={} throttled_429={} peak_rss_mb={:.1} naive_wall_s={:.2} naive_ratio={:.2} lost={}",
        r.wall, floor, r.wall / floor, r.reads, needed, r.queries, tenant.queries_needed(), r.throttled, r.peak_rss, naive_wall, naive_ratio, r.lost
    );
}
