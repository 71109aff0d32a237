//! Property tests: the collector's payload parsers (through the real transport, against the
//! emulator), the evaluation, the renderers and the snapshot loader survive arbitrary and
//! mutated JSON without a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use azure_core_legacy::auth::{AccessToken, TokenCredential};
use logposture::collect::arm::{ArmClient, CloudEndpoints, TransportSettings};
use logposture::collect::{self, CollectOptions};
use logposture::inventory::Snapshot;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::sync::Arc;
use support::{ArmEmulator, Route};

/// A fixed bearer token, so property cases spend no time on the token endpoint.
#[derive(Debug)]
struct StaticToken;

#[async_trait::async_trait]
impl TokenCredential for StaticToken {
    async fn get_token(&self, _scopes: &[&str]) -> azure_core_legacy::Result<AccessToken> {
        Ok(AccessToken::new(
            support::TOKEN.to_string(),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
    async fn clear_cache(&self) -> azure_core_legacy::Result<()> {
        Ok(())
    }
}

fn fixtures() -> Vec<Value> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(support::fixtures_dir().join("arm")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            out.push(serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap());
        }
    }
    out
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
        Just(json!("True")),
        Just(json!("")),
        Just(json!(
            "/subscriptions/x/providers/Microsoft.Network/networkSecurityGroups/тц1"
        )),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("value".to_string()),
                    Just("properties".to_string()),
                    Just("id".to_string()),
                    Just("name".to_string()),
                    Just("type".to_string()),
                    Just("logs".to_string()),
                    Just("enabled".to_string()),
                    Just("nextLink".to_string()),
                    "[a-zA-Z]{1,12}".prop_map(|s| s)
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replace the value at a random path of `v` with `with`.
fn mutate(v: &mut Value, path: &[usize], with: Value) {
    match (v, path.split_first()) {
        (Value::Object(m), Some((i, rest))) if !m.is_empty() => {
            let k = m.keys().nth(i % m.len()).cloned().unwrap_or_default();
            if let Some(child) = m.get_mut(&k) {
                if rest.is_empty() {
                    *child = with;
                } else {
                    mutate(child, rest, with);
                }
            }
        }
        (Value::Array(a), Some((i, rest))) if !a.is_empty() => {
            let n = a.len();
            if rest.is_empty() {
                a[i % n] = with;
            } else {
                mutate(&mut a[i % n], rest, with);
            }
        }
        (slot, _) => *slot = with,
    }
}

fn payload() -> impl Strategy<Value = Route> {
    let fixtures = fixtures();
    let n = fixtures.len();
    prop_oneof![
        arb_json().prop_map(Route::Json),
        (
            0..n,
            prop::collection::vec(any::<usize>(), 1..6),
            arb_json()
        )
            .prop_map(move |(i, path, with)| {
                let mut v = fixtures[i].clone();
                mutate(&mut v, &path, with);
                Route::Json(v)
            }),
        ".{0,40}".prop_map(|s| Route::Raw(200, s)),
    ]
}

async fn collect_against(emu: &ArmEmulator) -> Snapshot {
    let mut cloud = CloudEndpoints::for_cloud("public").unwrap();
    cloud.arm = url::Url::parse(&emu.url()).unwrap();
    cloud.logs = cloud.arm.clone();
    let settings = TransportSettings {
        max_retries: 0,
        max_throttle_retries: 0,
        ..TransportSettings::default()
    };
    let client = ArmClient::new(Arc::new(StaticToken), &cloud, settings).unwrap();
    let opts = CollectOptions {
        measure_usage: true,
        per_subscription_parallelism: 8,
        ..Default::default()
    };
    collect::collect(&client, "public", &opts)
        .await
        .expect("the snapshot redacts")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    /// Every parser of the collector gets the same arbitrary or mutated payload on every path
    /// (only the subscription list stays valid, so the per-subscription parsers run).
    #[test]
    fn collector_survives_any_payload(route in payload(), resources in payload()) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let emu = ArmEmulator::start().await;
            emu.fixture("/subscriptions", "arm/subscriptions.json");
            emu.set_default(route);
            emu.route(&format!("/subscriptions/{}/resources", support::tenant::S1), resources);
            let snap = collect_against(&emu).await;
            // Whatever came back evaluates, estimates, renders and round-trips.
            let text = serde_json::to_string(&snap).unwrap();
            let back = Snapshot::from_json("s.json", &text).unwrap();
            prop_assert_eq!(&back, &snap);
            let a = logposture::app::Assessment::load(&logposture::cli::EvalArgs::builtin()).unwrap();
            let r = a.assess(&snap, time::macros::date!(2026 - 11 - 02));
            let t = logposture::render::Templates::load(None).unwrap();
            t.html(&r).unwrap();
            t.markdown(&r).unwrap();
            logposture::render::sarif::render(&r).unwrap();
            logposture::render::junit::render(&r);
            Ok(())
        })?;
    }

    #[test]
    fn snapshot_loader_survives_arbitrary_text(s in ".{0,200}") {
        let _ = Snapshot::from_json("x.json", &s);
    }

    #[test]
    fn snapshot_loader_survives_mutated_snapshots(path in prop::collection::vec(any::<usize>(), 1..8), with in arb_json()) {
        let mut v = serde_json::to_value(logposture::demo::snapshot()).unwrap();
        mutate(&mut v, &path, with);
        if let Ok(s) = Snapshot::from_json("x.json", &v.to_string()) {
            // A snapshot that loads must also evaluate without a panic.
            let a = logposture::app::Assessment::load(&logposture::cli::EvalArgs::builtin()).unwrap();
            let _ = a.assess(&s, time::macros::date!(2026 - 11 - 02));
        }
    }

    #[test]
    fn xpath_classifier_survives_any_query(q in ".{0,80}") {
        let _ = logposture::evaluate::rules::security_events::xpath_event_ids(&q);
        let _ = logposture::evaluate::rules::security_events::xpath_event_ids(&format!("Security!*[System[(EventID={q})]]"));
    }

    #[test]
    fn id_helpers_survive_any_text(s in ".{0,60}") {
        let _ = logposture::inventory::id_key(&s);
        let _ = logposture::inventory::last_segment(&s);
        let _ = logposture::collect::arm::bucket_key(&s);
        let _ = logposture::evaluate::suppressions::glob_match(&s, &s);
        let _ = logposture::render::sarif::artifact_uri(&s);
        let _ = logposture::render::md_escape(&s);
        let _ = logposture::render::junit::xml_escape(&s);
    }
}

/// The tenant's list routes and the fixtures they serve (tests/support/tenant.rs).
fn tenant_routes() -> Vec<(String, &'static str)> {
    use support::tenant::*;
    let sub = format!("/subscriptions/{S1}");
    let diag = "/providers/Microsoft.Insights/diagnosticSettings";
    vec![
        (format!("{sub}{diag}"), "arm/activity-log-settings.json"),
        (
            format!("{}{diag}", kv1()),
            "arm/kv1-diagnostic-settings.json",
        ),
        (
            format!("{}{diag}", kv2()),
            "arm/kv2-diagnostic-settings.json",
        ),
        (
            format!("{}{diag}", ws()),
            "arm/workspace-diagnostic-settings.json",
        ),
        (format!("{NW}/flowLogs"), "arm/flow-logs.json"),
        (
            format!("{sub}/providers/Microsoft.Network/networkWatchers"),
            "arm/network-watchers.json",
        ),
        (
            format!("{sub}/providers/Microsoft.Network/networkSecurityGroups"),
            "arm/nsgs.json",
        ),
        (
            format!("{sub}/providers/Microsoft.Network/virtualNetworks"),
            "arm/vnets.json",
        ),
        (
            format!("{sub}/providers/Microsoft.Network/networkInterfaces"),
            "arm/nics.json",
        ),
        (
            format!("{sub}/providers/Microsoft.OperationalInsights/workspaces"),
            "arm/workspaces.json",
        ),
        (format!("{}/tables", ws()), "arm/tables.json"),
        (
            format!("{sub}/providers/Microsoft.Insights/dataCollectionRules"),
            "arm/dcrs.json",
        ),
        (
            format!("{sub}/providers/Microsoft.Compute/virtualMachines"),
            "arm/vms.json",
        ),
        (
            format!(
                "{}/providers/Microsoft.Insights/dataCollectionRuleAssociations",
                vm()
            ),
            "arm/dcr-associations.json",
        ),
        (
            format!("{sub}/providers/Microsoft.Security/pricings"),
            "arm/pricings.json",
        ),
        (
            format!("{sub}/providers/Microsoft.Insights/activityLogAlerts"),
            "arm/activity-log-alerts.json",
        ),
        (
            format!("{sub}/providers/Microsoft.Storage/storageAccounts"),
            "arm/storage-accounts.json",
        ),
        (
            "/providers/microsoft.aadiam/diagnosticSettings".to_string(),
            "arm/aadiam-settings.json",
        ),
    ]
}

/// A value made unreadable or removed: what a broken or hostile ARM does to data.
fn degrade() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None), // the key removed
        Just(Some(Value::Null)),
        Just(Some(json!("x"))),
        Just(Some(json!(-1))),
        Just(Some(json!({}))),
        Just(Some(json!([]))),
    ]
}

/// Remove or replace the value at `path` (indices into objects' keys and arrays).
fn degrade_at(v: &mut Value, path: &[usize], with: Option<Value>) {
    let Some((i, rest)) = path.split_first() else {
        return;
    };
    match v {
        Value::Object(m) if !m.is_empty() => {
            let k = m.keys().nth(i % m.len()).cloned().unwrap_or_default();
            if rest.is_empty() {
                match with {
                    None => {
                        m.remove(&k);
                    }
                    Some(w) => {
                        m.insert(k, w);
                    }
                }
            } else if let Some(child) = m.get_mut(&k) {
                degrade_at(child, rest, with);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let n = a.len();
            if rest.is_empty() {
                // An unreadable item, never a shorter list: a list ARM shortens is its answer.
                a[i % n] = with.unwrap_or(Value::Null);
            } else {
                degrade_at(&mut a[i % n], rest, with);
            }
        }
        _ => {}
    }
}

fn statuses(
    r: &logposture::model::Results,
) -> std::collections::BTreeMap<(String, String), logposture::model::Status> {
    r.findings
        .iter()
        .map(|f| {
            (
                (
                    f.check_id.to_string(),
                    logposture::inventory::id_key(&f.resource_id),
                ),
                f.status,
            )
        })
        .collect()
}

async fn assess_tenant(change: Option<(String, Route)>) -> logposture::model::Results {
    let emu = ArmEmulator::start().await;
    support::tenant::serve(&emu);
    // No 1-second throttle in property cases.
    emu.fixture(
        &format!(
            "/subscriptions/{}/providers/Microsoft.Network/networkWatchers",
            support::tenant::S1
        ),
        "arm/network-watchers.json",
    );
    if let Some((path, route)) = change {
        emu.route(&path, route);
    }
    let snap = collect_against(&emu).await;
    let a = logposture::app::Assessment::load(&logposture::cli::EvalArgs::builtin()).unwrap();
    a.assess(&snap, time::macros::date!(2026 - 11 - 02))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// One list route of the test tenant answers with a value removed or made unreadable, or
    /// with arbitrary JSON: no finding that failed or was not assessed becomes a pass.
    #[test]
    fn degraded_payloads_never_turn_a_finding_into_a_pass(
        which in any::<usize>(),
        path in prop::collection::vec(any::<usize>(), 1..7),
        with in degrade(),
        arbitrary in prop::option::weighted(0.25, arb_json()),
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let routes = tenant_routes();
            let (route_path, fixture) = &routes[which % routes.len()];
            let body = match arbitrary {
                Some(v) => v,
                None => {
                    let mut v = support::load_fixture(fixture);
                    degrade_at(&mut v, &path, with);
                    v
                }
            };
            let before = statuses(&assess_tenant(None).await);
            let after = statuses(&assess_tenant(Some((route_path.clone(), Route::Json(body.clone())))).await);
            use logposture::model::Status::{Fail, NotAssessed, Pass};
            for (key, was) in &before {
                if matches!(was, Fail | NotAssessed) {
                    prop_assert_ne!(
                        after.get(key).copied(),
                        Some(Pass),
                        "{:?} went {:?} → pass when {} answered {}",
                        key, was, route_path, body
                    );
                }
            }
            Ok(())
        })?;
    }
}
