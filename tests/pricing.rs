//! `logposture pricing update` against a loopback server that answers like the Azure Retail
//! Prices API: filtered queries, Items pages joined by NextPageLink, 429 with Retry-After.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use logposture::estimate::model::CostModel;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

struct Api {
    answers: Value,
    base: String,
    /// Where Log Analytics' second page points (the API's own origin unless a test says).
    next_origin: Option<String>,
    requests: AtomicUsize,
    throttled_once: AtomicUsize,
}

/// `serviceName eq 'S' and armRegionName eq 'R' and priceType eq 'Consumption'` → (S, R).
fn parse_filter(f: &str) -> Option<(String, String)> {
    let value = |key: &str| -> Option<String> {
        let at = f.find(&format!("{key} eq '"))? + key.len() + 5;
        let end = f[at..].find('\'')? + at;
        Some(f[at..end].to_string())
    };
    assert!(f.contains("priceType eq 'Consumption'"), "{f}");
    Some((value("serviceName")?, value("armRegionName")?))
}

async fn prices(
    State(api): State<Arc<Api>>,
    Query(q): Query<HashMap<String, String>>,
    _h: HeaderMap,
) -> Response {
    api.requests.fetch_add(1, Ordering::SeqCst);
    let currency = q
        .get("currencyCode")
        .map(|c| c.trim_matches('\'').to_string())
        .unwrap_or_else(|| "USD".into());
    let Some((service, region)) = q.get("$filter").and_then(|f| parse_filter(f)) else {
        return (StatusCode::BAD_REQUEST, "no filter").into_response();
    };
    // The first Azure Monitor request is throttled once: the client waits and retries.
    if service == "Azure Monitor" && api.throttled_once.fetch_add(1, Ordering::SeqCst) == 0 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response();
    }
    let items = api.answers[format!("{region}|{currency}")][&service]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Log Analytics comes in two pages of one item or two: NextPageLink with $skip, as the API
    // pages (the link is absolute).
    let skip: usize = q.get("$skip").and_then(|s| s.parse().ok()).unwrap_or(0);
    let per_page = if service == "Log Analytics" { 2 } else { 100 };
    let page: Vec<Value> = items.iter().skip(skip).take(per_page).cloned().collect();
    let next = (skip + per_page < items.len()).then(|| {
        let origin = api.next_origin.clone().unwrap_or_else(|| api.base.clone());
        let mut u = reqwest::Url::parse(&format!("{origin}/api/retail/prices")).unwrap();
        u.query_pairs_mut()
            .append_pair("currencyCode", &format!("'{currency}'"))
            .append_pair("$filter", &q["$filter"])
            .append_pair("$skip", &(skip + per_page).to_string());
        u.to_string()
    });
    axum::Json(json!({
        "BillingCurrency": currency,
        "CustomerEntityId": "Default",
        "CustomerEntityType": "Retail",
        "Items": page,
        "NextPageLink": next,
        "Count": page.len(),
    }))
    .into_response()
}

async fn start(next_origin: Option<String>) -> Arc<Api> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let api = Arc::new(Api {
        answers: support::load_fixture("retail/prices.json"),
        base,
        next_origin,
        requests: AtomicUsize::new(0),
        throttled_once: AtomicUsize::new(0),
    });
    let app = axum::Router::new()
        .route("/api/retail/prices", axum::routing::get(prices))
        .with_state(api.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    api
}

async fn update(
    api: &Api,
    region: &str,
    currency: &str,
    out: &std::path::Path,
) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "pricing",
            "update",
            "--region",
            region,
            "--currency",
            currency,
        ])
        .arg("--out")
        .arg(out)
        .args(["--endpoint", &api.base])
        .env_remove("LOGPOSTURE_PRICES_ENDPOINT")
        .output()
        .await
        .unwrap()
}

fn model_with(file: &std::path::Path) -> CostModel {
    let text = std::fs::read_to_string(file).unwrap();
    CostModel::load(
        &[(file.display().to_string(), text)],
        &logposture::app::figure_readers(),
    )
    .unwrap_or_else(|e| panic!("the written file loads with --pricing: {e}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_regions_and_currencies_give_their_own_prices() {
    let api = start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let (we, us) = (dir.path().join("we.toml"), dir.path().join("us.toml"));
    let out = update(&api, "westeurope", "EUR", &we).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = update(&api, "eastus", "USD", &us).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (eur, usd) = (model_with(&we), model_with(&us));
    assert_eq!(
        (eur.currency.as_str(), usd.currency.as_str()),
        ("EUR", "USD")
    );
    assert_eq!(eur.priced_region, "westeurope");
    assert!(
        eur.price_source
            .contains("Azure Retail Prices API, westeurope, EUR"),
        "{}",
        eur.price_source
    );
    // The paid tier of the tiered ingestion meter, not its free first tier; page 2 read too
    // (the retention meter is on it).
    assert!(
        (eur.price("analytics_gb") - 2.576).abs() < 1e-9,
        "{}",
        eur.price("analytics_gb")
    );
    assert!((usd.price("analytics_gb") - 2.30).abs() < 1e-9);
    assert!((eur.price("interactive_retention_gb_month") - 0.112).abs() < 1e-9);
    // The product picks the right one of two meters with the same name.
    assert!((usd.price("blob_cool_gb_month") - 0.010).abs() < 1e-9);
    for k in ["analytics_gb", "basic_gb", "flow_log_collection_gb"] {
        assert_ne!(eur.price(k), usd.price(k), "{k}");
        assert!(
            eur.figures[k]
                .source
                .contains("Azure Retail Prices API, westeurope"),
            "{}",
            eur.figures[k].source
        );
        assert_eq!(eur.figures[k].unit.split('/').next(), Some("EUR"));
    }
    // A meter the answer lacks keeps the shipped figure and says so: in the model's own
    // currency as it is, in another converted by the median ratio of the meters read.
    let archive = &usd.figures["long_term_retention_gb_month"];
    assert!((archive.value - 0.02).abs() < 1e-9);
    assert!(
        archive.source.starts_with("shipped default")
            && archive.source.contains("not in the answer"),
        "{}",
        archive.source
    );
    let search = &eur.figures["basic_query_gb"];
    assert!(
        (search.value - 0.005 * 1.12).abs() < 1e-6,
        "{}",
        search.value
    );
    assert!(
        search.source.contains("median ratio") && search.source.contains("not in the answer"),
        "{}",
        search.source
    );
    // Figures without a meter (Sentinel's surcharge) are converted the same way, and said.
    assert!(eur.figures["sentinel_gb"]
        .source
        .contains("no meter named in the model"));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("long_term_retention_gb_month: not read"),
        "{said}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_next_page_link_to_another_origin_is_refused() {
    let api = start(Some("http://127.0.0.2:9".into())).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.toml");
    let out = update(&api, "westeurope", "EUR", &f).await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("NextPageLink") && err.contains("refused"),
        "{err}"
    );
    assert!(!f.exists(), "nothing written");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_region_currency_or_endpoint_is_refused_before_any_request() {
    let api = start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.toml");
    for (region, currency) in [
        ("west europe", "EUR"),
        ("westeurope", "eur"),
        ("x' or '1", "EUR"),
    ] {
        let out = update(&api, region, currency, &f).await;
        assert_eq!(out.status.code(), Some(2), "{region} {currency}");
    }
    assert_eq!(api.requests.load(Ordering::SeqCst), 0);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "pricing",
            "update",
            "--region",
            "eastus",
            "--endpoint",
            "http://prices.example.com",
        ])
        .arg("--out")
        .arg(&f)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("https only"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_names_the_price_source() {
    let api = start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("we.toml");
    assert!(update(&api, "westeurope", "EUR", &f).await.status.success());
    let report = dir.path().join("report");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_logposture"))
        .args([
            "scan",
            "--demo",
            "-q",
            "--format",
            "md",
            "--fail-on",
            "none",
        ])
        .arg("--pricing")
        .arg(&f)
        .arg("--output")
        .arg(&report)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success() || out.status.code() == Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    assert!(
        md.contains("Source: Azure Retail Prices API, westeurope, EUR"),
        "report names its prices"
    );
    assert!(md.contains(" EUR"), "amounts in EUR");
}
