//! A loopback server that behaves like Azure Resource Manager, the Entra token endpoint and the
//! Log Analytics query API, for tests that run logposture's real code path against it.
//!
//! - `POST /{tenant}/oauth2/v2.0/token` issues a bearer token; every other request must carry it.
//! - ARM requests must have `api-version` and a path without `//`.
//! - Routes are scripted per path (case-insensitive): JSON bodies, pages joined by absolute
//!   `nextLink`, 429 with `Retry-After` a number of times, 403/404/400 ARM errors, malformed
//!   bodies, slow answers. Unknown paths answer an empty list.
//! - Every request is recorded for assertions.
#![allow(dead_code)]
// Test scaffolding: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod az;
pub mod cli;
pub mod tenant;
pub mod tls_front;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A JWT-shaped access token (unsigned: ARM would verify it, the scanner only reads who it
/// names for the statement of assessment): app id a1b2c3d4-..., object id 0c1d2e3f-....
pub const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyIsInRpZCI6IjhmM2UxYzJhLTViN2QtNGU5Zi1hMWMzLTJkNGI2ZjhlMGExYyIsIm9pZCI6IjBjMWQyZTNmLTRhNWItNGM2ZC04ZTdmLTkwMTIzNDU2Nzg5MCIsImFwcGlkIjoiYTFiMmMzZDQtZTVmNi00YTdiLThjOWQtMGUxZjJhM2I0YzVkIiwiaWR0eXAiOiJhcHAiLCJhcHBfZGlzcGxheW5hbWUiOiJsb2dwb3N0dXJlLXRlc3Qtc2Nhbm5lciJ9.test-signature-not-a-secret";
pub const TENANT: &str = "8f3e1c2a-5b7d-4e9f-a1c3-2d4b6f8e0a1c";
pub const CLIENT_SECRET: &str = "s3cr3t-value-that-must-never-be-printed";

#[derive(Clone, Debug)]
pub enum Route {
    Json(Value),
    /// Pages of `value` arrays; page i links to page i+1 with an absolute nextLink.
    Pages(Vec<Vec<Value>>),
    /// ARM error with status and code.
    Error(u16, &'static str, String),
    /// Body that is not valid JSON (or not the expected shape).
    Raw(u16, String),
    /// Answer 429 with `Retry-After: secs` this many times, then the inner route.
    Throttle {
        times: usize,
        retry_after: u64,
        then: Box<Route>,
    },
    /// Answer after a delay.
    Slow(Duration, Box<Route>),
    /// An error whose message echoes the request's Authorization header (a proxy that
    /// reflects the request).
    EchoAuth(u16),
    /// Status 200 and the first half of this body, then nothing: the connection stays open.
    StallBody(String),
    /// Empty pages forever, each with a new nextLink.
    Endless,
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorized: bool,
}

#[derive(Default)]
struct State {
    routes: HashMap<String, Route>,
    /// (path key, decoded query substring, route): checked before `routes`.
    query_routes: Vec<(String, String, Route)>,
    /// Answer for paths without a route (an empty list unless set).
    default_route: Option<Route>,
    hits: HashMap<String, usize>,
    requests: Vec<Recorded>,
    tokens_issued: usize,
    token_bodies: Vec<String>,
    /// The token endpoint never answers.
    stall_token: bool,
    /// Issue this access token instead of TOKEN.
    token_value: Option<String>,
    /// Requests to the managed-identity and Azure DevOps OIDC stand-ins: (path, query,
    /// the secret header they carried).
    stand_ins: Vec<(String, String, String)>,
    /// Answers to the arrival queries by (customer id, family); default: no rows.
    arrival: HashMap<(String, String), Route>,
    /// Log Analytics queries the emulator does not know (a test asserts there are none).
    unknown_queries: Vec<String>,
    /// Arrival queries received: (customer id, family).
    arrival_queries: Vec<(String, String)>,
}

/// The arrival queries logposture may send, pinned here as text: a change to one in
/// `src/collect/arrival.rs` fails the tests until it is reviewed and copied here.
const ARRIVAL_QUERIES: [(&str, &str); 6] = [
    ("activity", "AzureActivity | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(SubscriptionId)"),
    ("entra", "union isfuzzy=true withsource=SourceTable SigninLogs, AADNonInteractiveUserSignInLogs, AADServicePrincipalSignInLogs, AuditLogs, MicrosoftGraphActivityLogs | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(SourceTable)"),
    ("security_events", "SecurityEvent | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(_ResourceId)"),
    ("syslog", "Syslog | where TimeGenerated > ago(7d) and Facility in (\"auth\", \"authpriv\") | summarize LastSeen = max(TimeGenerated) by Key = tolower(_ResourceId)"),
    ("heartbeat", "Heartbeat | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(_ResourceId)"),
    // Columns as Microsoft's traffic analytics schema names them (NTANetAnalytics for VNet
    // flow logs, AzureNetworkAnalytics_CL for NSG flow logs).
    ("traffic", "union isfuzzy=true (NTANetAnalytics | where TimeGenerated > ago(7d) and SubType == \"FlowLog\" | summarize LastSeen = max(TimeGenerated) by Key = tolower(FlowLogResourceId)), (AzureNetworkAnalytics_CL | where TimeGenerated > ago(7d) and SubType_s == \"FlowLog\" | summarize LastSeen = max(TimeGenerated) by Key = tolower(NSGList_s))"),
];
/// The resource-log query: AzureDiagnostics and resource-specific tables, then this.
const RESOURCE_QUERY_TAIL: &str =
    " | where TimeGenerated > ago(7d) | summarize LastSeen = max(TimeGenerated) by Key = tolower(_ResourceId)";
const RESOURCE_TABLES: [&str; 21] = [
    "AGWAccessLogs",
    "AGWFirewallLogs",
    "AKSAudit",
    "AKSAuditAdmin",
    "AKSControlPlane",
    "AZFWApplicationRule",
    "AZFWDnsQuery",
    "AZFWNetworkRule",
    "AZKVAuditLogs",
    "ApiManagementGatewayLogs",
    "AppServiceAuditLogs",
    "AppServiceHTTPLogs",
    "CDBDataPlaneRequests",
    "DNSQueryLogs",
    "LAQueryLogs",
    "MicrosoftAzureBastionAuditLogs",
    "SQLSecurityAuditEvents",
    "StorageBlobLogs",
    "StorageFileLogs",
    "StorageQueueLogs",
    "StorageTableLogs",
];

/// The family of a known arrival query, or None.
fn arrival_family(kql: &str) -> Option<&'static str> {
    if let Some((_, f)) = ARRIVAL_QUERIES
        .iter()
        .map(|(f, q)| (q, f))
        .find(|(q, _)| **q == kql)
    {
        return Some(f);
    }
    let list = kql
        .strip_prefix("union isfuzzy=true ")?
        .strip_suffix(RESOURCE_QUERY_TAIL)?;
    let mut tables = list.split(", ");
    (tables.next() == Some("AzureDiagnostics") && tables.all(|t| RESOURCE_TABLES.contains(&t)))
        .then_some("resource")
}

/// A query answer in the API's published shape: one table, `Key` and `LastSeen` columns.
pub fn last_seen_table(rows: &[(&str, &str)]) -> Value {
    json!({ "tables": [{
        "name": "PrimaryResult",
        "columns": [{ "name": "Key", "type": "string" }, { "name": "LastSeen", "type": "datetime" }],
        "rows": rows.iter().map(|(k, t)| json!([k, t])).collect::<Vec<_>>(),
    }]})
}

#[derive(Clone)]
pub struct ArmEmulator {
    state: Arc<Mutex<State>>,
    pub addr: SocketAddr,
    /// The login authority: the same emulator behind TLS (the Azure SDK's credentials insist
    /// on an https authority), with the test CA that signs it.
    login: Arc<tls_front::TlsFront>,
    ca: Arc<tls_front::TestCa>,
    _ca_dir: Arc<tempfile::TempDir>,
    /// ARM requests being answered now, and the most at once.
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
    peak_in_flight: Arc<std::sync::atomic::AtomicUsize>,
}

/// Counts a request in flight until dropped (also when the client goes away mid-answer).
struct InFlight(Arc<std::sync::atomic::AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Route key: percent-decoded, lower-case path without a trailing slash.
fn key(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&path[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out)
        .trim_end_matches('/')
        .to_lowercase()
}

fn decode_query(q: &str) -> String {
    key(&q.replace('+', " ")).to_string()
}

impl ArmEmulator {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let ca_dir = tempfile::tempdir().expect("CA directory");
        let ca = tls_front::TestCa::new(ca_dir.path());
        let login = tls_front::start_with(format!("http://{addr}"), &ca).await;
        let emu = ArmEmulator {
            state,
            addr,
            login: Arc::new(login),
            ca: Arc::new(ca),
            _ca_dir: Arc::new(ca_dir),
            in_flight: Arc::default(),
            peak_in_flight: Arc::default(),
        };
        let handler_emu = emu.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let emu = handler_emu.clone();
                async move {
                    use std::sync::atomic::Ordering::SeqCst;
                    let now = emu.in_flight.fetch_add(1, SeqCst) + 1;
                    emu.peak_in_flight.fetch_max(now, SeqCst);
                    let _guard = InFlight(emu.in_flight.clone());
                    emu.handle(method, uri, headers, body).await
                }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        emu
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The https login authority (the emulator behind TLS).
    pub fn login_url(&self) -> String {
        self.login.url.clone()
    }

    /// The CA that signs the emulator's TLS fronts (login and any `tls_front::start_with`).
    pub fn ca(&self) -> &tls_front::TestCa {
        &self.ca
    }

    pub fn route(&self, path: &str, r: Route) -> &Self {
        self.state.lock().unwrap().routes.insert(key(path), r);
        self
    }

    /// A route for requests to `path` whose decoded query contains `query_part`.
    pub fn route_q(&self, path: &str, query_part: &str, r: Route) -> &Self {
        self.state
            .lock()
            .unwrap()
            .query_routes
            .push((key(path), query_part.to_lowercase(), r));
        self
    }

    /// What unknown paths answer.
    pub fn set_default(&self, r: Route) -> &Self {
        self.state.lock().unwrap().default_route = Some(r);
        self
    }

    pub fn json(&self, path: &str, v: Value) -> &Self {
        self.route(path, Route::Json(v))
    }

    pub fn fixture(&self, path: &str, file: &str) -> &Self {
        self.json(path, load_fixture(file))
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn count(&self, pred: impl Fn(&Recorded) -> bool) -> usize {
        self.requests().iter().filter(|r| pred(r)).count()
    }

    pub fn token_bodies(&self) -> Vec<String> {
        self.state.lock().unwrap().token_bodies.clone()
    }

    /// Make the token endpoint hang without answering.
    pub fn stall_token_endpoint(&self) {
        self.state.lock().unwrap().stall_token = true;
    }

    /// Issue `token` instead of the usual test token.
    pub fn issue_token(&self, token: &str) {
        self.state.lock().unwrap().token_value = Some(token.to_string());
    }

    /// The most requests the emulator was answering at the same time.
    pub fn peak_in_flight(&self) -> usize {
        self.peak_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How workspace `customer_id` answers the arrival query of `family`.
    pub fn arrival(&self, customer_id: &str, family: &str, r: Route) -> &Self {
        self.state
            .lock()
            .unwrap()
            .arrival
            .insert((customer_id.to_string(), family.to_string()), r);
        self
    }

    /// Log Analytics queries sent that the emulator does not know.
    pub fn unknown_queries(&self) -> Vec<String> {
        self.state.lock().unwrap().unknown_queries.clone()
    }

    /// Arrival queries received: (customer id, family).
    pub fn arrival_queries(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().arrival_queries.clone()
    }

    /// Requests to the managed-identity and OIDC stand-ins: (path, query, secret header).
    pub fn stand_ins(&self) -> Vec<(String, String, String)> {
        self.state.lock().unwrap().stand_ins.clone()
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.lock().unwrap().tokens_issued
    }

    async fn handle(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let path = uri.path().to_string();
        let query = uri.query().unwrap_or("").to_string();
        // App Service's managed-identity endpoint (IDENTITY_ENDPOINT): GET with the
        // X-IDENTITY-HEADER secret; expires_on is a string of epoch seconds.
        if method == Method::GET && path == "/msi/token" {
            let secret = header(&headers, "x-identity-header");
            self.state
                .lock()
                .unwrap()
                .stand_ins
                .push((path, query, secret));
            let expires = (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 3600)
                .to_string();
            return axum::Json(json!({
                "access_token": TOKEN, "expires_on": expires, "token_type": "Bearer",
                "resource": "https://management.azure.com"
            }))
            .into_response();
        }
        // Azure DevOps' OIDC endpoint (SYSTEM_OIDCREQUESTURI): POST with the job's
        // System.AccessToken, answers the federated assertion for the service connection.
        if method == Method::POST && path == "/oidc/token" {
            let secret = header(&headers, "authorization");
            self.state
                .lock()
                .unwrap()
                .stand_ins
                .push((path, query, secret));
            return axum::Json(json!({ "oidcToken": "pipelines-oidc-assertion" })).into_response();
        }
        if method == Method::POST && path.ends_with("/oauth2/v2.0/token") {
            let (stall, token) = {
                let mut st = self.state.lock().unwrap();
                st.tokens_issued += 1;
                st.token_bodies
                    .push(String::from_utf8_lossy(&body).into_owned());
                (
                    st.stall_token,
                    st.token_value.clone().unwrap_or_else(|| TOKEN.to_string()),
                )
            };
            if stall {
                futures::future::pending::<()>().await;
            }
            return axum::Json(json!({
                "token_type": "Bearer", "expires_in": 3600, "ext_expires_in": 3600, "access_token": token
            }))
            .into_response();
        }
        let auth_header = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let authorized = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == format!("Bearer {TOKEN}"));
        let route = {
            let mut st = self.state.lock().unwrap();
            st.requests.push(Recorded {
                method: method.to_string(),
                path: path.clone(),
                query: query.clone(),
                authorized,
            });
            *st.hits.entry(key(&path)).or_default() += 1;
            let k = key(&path);
            let q = decode_query(&query);
            // The most specific query route wins; the latest one among equals (tests override).
            st.query_routes
                .iter()
                .enumerate()
                .filter(|(_, (p, part, _))| *p == k && q.contains(part.as_str()))
                .max_by_key(|(i, (_, part, _))| (part.len(), *i))
                .map(|(_, (_, _, r))| r.clone())
                .or_else(|| st.routes.get(&k).cloned())
                .or_else(|| st.default_route.clone())
        };
        if !authorized {
            return arm_error(
                401,
                "InvalidAuthenticationToken",
                "The access token is missing or invalid.",
            );
        }
        if path.contains("//") {
            return arm_error(400, "InvalidResourceId", &format!("malformed path {path}"));
        }
        let is_logs = path.starts_with("/v1/workspaces/");
        if !is_logs && !query.contains("api-version=") {
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            );
        }
        let mut route = route.unwrap_or(Route::Json(json!({ "value": [] })));
        if is_logs {
            // The Usage query takes the path's route; an arrival query its family's answer
            // (an error route on the path applies to every query); anything else is unknown.
            let kql = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["query"].as_str().map(str::to_string))
                .unwrap_or_default();
            if !kql.starts_with("Usage |") {
                let Some(family) = arrival_family(&kql) else {
                    self.state.lock().unwrap().unknown_queries.push(kql);
                    return arm_error(
                        400,
                        "BadArgumentError",
                        "The query is not one this test server knows.",
                    );
                };
                let cid = path
                    .trim_start_matches("/v1/workspaces/")
                    .trim_end_matches("/query")
                    .to_string();
                let mut st = self.state.lock().unwrap();
                st.arrival_queries.push((cid.clone(), family.to_string()));
                if matches!(route, Route::Json(_)) {
                    route = st
                        .arrival
                        .get(&(cid, family.to_string()))
                        .cloned()
                        .unwrap_or_else(|| Route::Json(last_seen_table(&[])));
                }
            }
        }
        self.answer(route, &path, &query, &auth_header).await
    }

    fn answer<'a>(
        &'a self,
        route: Route,
        path: &'a str,
        query: &'a str,
        auth: &'a str,
    ) -> futures_like::BoxFut<'a, Response> {
        Box::pin(async move {
            match route {
                Route::EchoAuth(status) => arm_error(
                    status,
                    "BadRequest",
                    &format!("Request rejected by proxy. Request headers: Authorization: {auth}; client_secret={CLIENT_SECRET}"),
                ),
                Route::StallBody(text) => {
                    let half = text[..text.len() / 2].to_string();
                    let stream = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(half))])
                        .chain(futures::stream::pending());
                    (
                        StatusCode::OK,
                        [("content-type", "application/json")],
                        axum::body::Body::from_stream(stream),
                    )
                        .into_response()
                }
                Route::Endless => {
                    let page: usize = query
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("$skiptoken=").and_then(|v| v.parse().ok()))
                        .unwrap_or(0);
                    ok_json(json!({
                        "value": [],
                        "nextLink": format!("{}{}?api-version=2021-04-01&$skiptoken={}", self.url(), path, page + 1)
                    }))
                }
                Route::Json(v) => ok_json(v),
                Route::Pages(pages) => {
                    let page: usize = query
                        .split('&')
                        .find_map(|kv| kv.strip_prefix("$skiptoken=").and_then(|v| v.parse().ok()))
                        .unwrap_or(0);
                    let items = pages.get(page).cloned().unwrap_or_default();
                    let mut body = json!({ "value": items });
                    if page + 1 < pages.len() {
                        body["nextLink"] = json!(format!(
                            "{}{}?api-version=2021-04-01&$skiptoken={}",
                            self.url(),
                            path,
                            page + 1
                        ));
                    } else {
                        body["nextLink"] = Value::Null;
                    }
                    ok_json(body)
                }
                Route::Error(status, code, msg) => arm_error(status, code, &msg),
                Route::Raw(status, text) => (
                    StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                    [("content-type", "application/json")],
                    text,
                )
                    .into_response(),
                Route::Throttle {
                    times,
                    retry_after,
                    then,
                } => {
                    let remaining = {
                        let mut st = self.state.lock().unwrap();
                        let k = format!("throttle:{}", key(path));
                        let used = st.hits.entry(k).or_default();
                        *used += 1;
                        *used <= times
                    };
                    if remaining {
                        let mut r = arm_error(429, "TooManyRequests", &format!("The request is being throttled. Please try again after '{retry_after}' seconds."));
                        r.headers_mut()
                            .insert("retry-after", retry_after.to_string().parse().unwrap());
                        r.headers_mut().insert(
                            "x-ms-ratelimit-remaining-subscription-reads",
                            "0".parse().unwrap(),
                        );
                        r
                    } else {
                        self.answer(*then, path, query, auth).await
                    }
                }
                Route::Slow(d, then) => {
                    tokio::time::sleep(d).await;
                    self.answer(*then, path, query, auth).await
                }
            }
        })
    }
}

mod futures_like {
    pub type BoxFut<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
}

fn ok_json(v: Value) -> Response {
    let mut r = axum::Json(v).into_response();
    r.headers_mut().insert(
        "x-ms-ratelimit-remaining-subscription-reads",
        "249".parse().unwrap(),
    );
    r
}

pub fn arm_error(status: u16, code: &str, message: &str) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response();
    r.headers_mut()
        .insert("x-ms-failure-cause", "gateway".parse().unwrap());
    r
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

pub fn load_fixture(name: &str) -> Value {
    let p = fixtures_dir().join(name);
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

/// The real binary with client-secret credentials whose token comes from the emulator's https
/// login authority (its CA trusted through LOGPOSTURE_CA_CERT), and nothing else from the
/// environment.
pub fn logposture_cmd(emu: &ArmEmulator) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", "00000000-0000-4000-8000-0000000000c1")
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        .env("AZURE_AUTHORITY_HOST", emu.login_url())
        .env("LOGPOSTURE_CA_CERT", &emu.ca().pem);
    cmd
}

/// Run the real binary against the emulator, with client-secret credentials in the environment.
pub async fn run_logposture(emu: &ArmEmulator, args: &[&str]) -> std::process::Output {
    let mut cmd = logposture_cmd(emu);
    cmd.args(args)
        .arg("--arm-endpoint")
        .arg(emu.url())
        .arg("--logs-endpoint")
        .arg(emu.url());
    tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .expect("logposture finished within 120 s")
        .expect("logposture ran")
}
