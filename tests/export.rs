//! `logposture export` and `scan --export` against a loopback Logs Ingestion endpoint that
//! checks what Azure checks: the bearer token, the rule id, the stream, the api-version, gzip,
//! the 1 MB limit and the stream's columns (read from the shipped Bicep, so the two cannot
//! drift apart). The token comes from the test emulator's login with the Monitor scope.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Read as _;
use std::sync::{Arc, Mutex};
use support::ArmEmulator;

const DCR: &str = "dcr-0123456789abcdef0123456789abcdef";
const FINDINGS: &str = "Custom-LogpostureFindings_CL";
const RUNS: &str = "Custom-LogpostureRuns_CL";

/// The columns of a stream as the Bicep declares them: `var <name>Columns = [ { name: 'X',
/// type: 'y' } ... ]`.
fn bicep_columns(var: &str) -> HashMap<String, String> {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/export/logposture-export.bicep"),
    )
    .unwrap();
    let start = text.find(&format!("var {var} = [")).expect(var);
    let block = &text[start..start + text[start..].find("\n]").unwrap()];
    block
        .lines()
        .filter_map(|l| {
            let name = l.split("name: '").nth(1)?.split('\'').next()?;
            let ty = l.split("type: '").nth(1)?.split('\'').next()?;
            Some((name.to_string(), ty.to_string()))
        })
        .collect()
}

#[derive(Default)]
struct Ingest {
    /// Rows received per stream.
    rows: HashMap<String, Vec<Value>>,
    calls: usize,
    /// Answer 429 (Retry-After 1) to this call number once.
    throttle_call: Option<usize>,
    /// Answer 413 from this call number on.
    too_large_from: Option<usize>,
    /// Columns the findings stream does not accept (a rule deployed from an older Bicep).
    drop_column: Option<String>,
}

/// Checks one call as the Logs Ingestion API does; Err is the status and message it answers.
fn check(
    state: &mut Ingest,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(String, Vec<Value>), (StatusCode, String)> {
    let bad = |s: StatusCode, m: &str| Err((s, m.to_string()));
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {}", support::TOKEN))
    {
        return bad(StatusCode::UNAUTHORIZED, "InvalidToken");
    }
    if uri.query() != Some("api-version=2023-01-01") {
        return bad(StatusCode::BAD_REQUEST, "api-version");
    }
    let parts: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let ["dataCollectionRules", dcr, "streams", stream] = parts.as_slice() else {
        return bad(StatusCode::NOT_FOUND, "path");
    };
    if *dcr != DCR {
        return bad(StatusCode::NOT_FOUND, "unknown data collection rule");
    }
    let columns = match *stream {
        FINDINGS => bicep_columns("findingsColumns"),
        RUNS => bicep_columns("runsColumns"),
        _ => return bad(StatusCode::NOT_FOUND, "InvalidStream"),
    };
    if headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        != Some("gzip")
    {
        return bad(StatusCode::BAD_REQUEST, "expected gzip");
    }
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut json)
        .map_err(|_| (StatusCode::BAD_REQUEST, "not gzip".to_string()))?;
    if json.len() > 1_000_000 {
        return bad(StatusCode::PAYLOAD_TOO_LARGE, "ContentLengthLimitExceeded");
    }
    let rows: Vec<Value> = serde_json::from_slice(&json)
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("InvalidContent: {e}")))?;
    for row in &rows {
        for (k, v) in row.as_object().unwrap() {
            let dropped = *stream == FINDINGS && state.drop_column.as_deref() == Some(k);
            let Some(ty) = columns.get(k).filter(|_| !dropped) else {
                return bad(
                    StatusCode::BAD_REQUEST,
                    &format!("InvalidContent: column {k} is not in stream {stream}"),
                );
            };
            let ok = match (ty.as_str(), v) {
                (_, Value::Null) => true,
                ("string", Value::String(_)) => true,
                ("datetime", Value::String(s)) => s.contains('T'),
                ("int", Value::Number(n)) => n.is_u64() || n.is_i64(),
                ("real", Value::Number(_)) => true,
                ("dynamic", _) => true,
                _ => false,
            };
            if !ok {
                return bad(
                    StatusCode::BAD_REQUEST,
                    &format!("InvalidContent: {k} is not a {ty}"),
                );
            }
        }
        if row.get("TimeGenerated").is_none() {
            return bad(StatusCode::BAD_REQUEST, "TimeGenerated missing");
        }
    }
    Ok((stream.to_string(), rows))
}

async fn ingestion_endpoint(state: Arc<Mutex<Ingest>>) -> String {
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let state = state.clone();
        async move {
            let mut st = state.lock().unwrap();
            st.calls += 1;
            let n = st.calls;
            if st.throttle_call == Some(n) {
                st.throttle_call = None;
                return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "").into_response();
            }
            if st.too_large_from.is_some_and(|k| n >= k) {
                return (StatusCode::PAYLOAD_TOO_LARGE, "ContentLengthLimitExceeded")
                    .into_response();
            }
            match check(&mut st, &uri, &headers, &body) {
                Ok((stream, rows)) => {
                    st.rows.entry(stream).or_default().extend(rows);
                    StatusCode::NO_CONTENT.into_response()
                }
                Err((s, m)) => Response::builder()
                    .status(s)
                    .body(axum::body::Body::from(format!(
                        "{{\"error\":{{\"code\":\"{m}\"}}}}"
                    )))
                    .unwrap(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// The demo's results.json, written by the real binary.
fn demo_results_file(dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join("report");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "scan",
            "--demo",
            "--quiet",
            "--fail-on",
            "none",
            "--format",
            "json",
            "--output",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
    out.join("results.json")
}

async fn export(emu: &ArmEmulator, endpoint: &str, args: &[&str]) -> std::process::Output {
    support::logposture_cmd(emu)
        .args(args)
        .args(["--ingestion-endpoint", endpoint, "--dcr-id", DCR])
        .output()
        .await
        .unwrap()
}

/// Exports the demo's results to an ingestion endpoint behaving as `ingest` says, in batches of
/// at most `batch` bytes: the emulator (for the token), the results file, the endpoint's state,
/// the exit code and stderr.
async fn export_demo(
    ingest: Ingest,
    batch: Option<&str>,
) -> (
    ArmEmulator,
    std::path::PathBuf,
    Arc<Mutex<Ingest>>,
    Option<i32>,
    String,
    tempfile::TempDir,
) {
    let emu = ArmEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let results = demo_results_file(dir.path());
    let state = Arc::new(Mutex::new(ingest));
    let endpoint = ingestion_endpoint(state.clone()).await;
    let mut args = vec!["export", results.to_str().unwrap()];
    if let Some(b) = batch {
        args.extend(["--max-batch-bytes", b]);
    }
    let out = export(&emu, &endpoint, &args).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (emu, results, state, out.status.code(), stderr, dir)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_finding_arrives_once_across_batches_and_a_429_is_retried() {
    let (emu, results, state, code, stderr, _dir) = export_demo(
        Ingest {
            throttle_call: Some(2),
            ..Ingest::default()
        },
        Some("40000"),
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap();
    let total = doc["findings"].as_array().unwrap().len();
    let st = state.lock().unwrap();
    let rows = &st.rows[FINDINGS];
    let uids: std::collections::BTreeSet<&str> = rows
        .iter()
        .map(|r| r["FindingUid"].as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), total, "every finding once");
    assert_eq!(uids.len(), total, "no finding twice");
    assert!(
        st.calls > 4,
        "several batches and the retried one: {}",
        st.calls
    );
    let run = &st.rows[RUNS];
    assert_eq!(run.len(), 1);
    assert_eq!(run[0]["Findings"], total);
    assert_eq!(run[0]["RunId"], rows[0]["RunId"]);
    // The token was asked for the Logs Ingestion API's scope as Microsoft documents it.
    assert!(emu
        .token_bodies()
        .iter()
        .any(|b| b.contains("scope=https%3A%2F%2Fmonitor.azure.com%2F%2F.default")));
    assert!(
        stderr.contains(&format!("exported {total} finding(s)")),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_413_stops_the_export_saying_what_was_and_was_not_sent() {
    let (_emu, _results, state, code, stderr, _dir) = export_demo(
        Ingest {
            too_large_from: Some(3),
            ..Ingest::default()
        },
        Some("40000"),
    )
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    let st = state.lock().unwrap();
    let sent = st.rows[FINDINGS].len();
    assert!(
        stderr.contains(&format!("Sent: {sent} of ")) && stderr.contains("HTTP 413"),
        "{stderr}"
    );
    assert!(
        !st.rows.contains_key(RUNS),
        "no run row: the run is not complete there"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_without_a_column_is_a_clear_exit_2() {
    let (_emu, _results, state, code, stderr, _dir) = export_demo(
        Ingest {
            drop_column: Some("Tags".into()),
            ..Ingest::default()
        },
        None,
    )
    .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("column Tags is not in stream"), "{stderr}");
    assert!(stderr.contains("Sent: 0 of"), "{stderr}");
    assert_eq!(state.lock().unwrap().calls, 1, "a refusal is not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_export_sends_after_writing_the_reports() {
    let emu = ArmEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let state = Arc::new(Mutex::new(Ingest::default()));
    let endpoint = ingestion_endpoint(state.clone()).await;
    let out_dir = dir.path().join("report");
    let out = export(
        &emu,
        &endpoint,
        &[
            "scan",
            "--demo",
            "--quiet",
            "--fail-on",
            "none",
            "--format",
            "json",
            "--export",
            "--output",
            out_dir.to_str().unwrap(),
        ],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the scan's own exit code: {stderr}"
    );
    assert!(out_dir.join("results.json").exists());
    let st = state.lock().unwrap();
    assert!(!st.rows[FINDINGS].is_empty());
    assert_eq!(st.rows[RUNS].len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_http_endpoint_elsewhere_is_refused_before_any_token() {
    let emu = ArmEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let results = demo_results_file(dir.path());
    let out = export(
        &emu,
        "http://ingest.example.com",
        &["export", results.to_str().unwrap()],
    )
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("https only"), "{stderr}");
    assert_eq!(emu.tokens_issued(), 0);
}
