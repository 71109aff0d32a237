//! Volume and cost: every model against a hand-computed figure, calibration from measured
//! usage, the Entra user count's source, commitment tiers, pricing overrides.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use logposture::estimate::{self, model::CostModel};
use logposture::evaluate;
use logposture::inventory::{Read, Snapshot, UsageByType};
use logposture::results::{Finding, Status};

fn model() -> CostModel {
    CostModel::load(&[]).expect("built-in cost model")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 0.011
}

/// Evaluate and estimate a snapshot; return the costed findings.
fn costed(s: &Snapshot, users: Option<u64>, m: &CostModel) -> (Vec<Finding>, serde_json::Value) {
    let baseline = evaluate::baseline::load(&[], evaluate::rules::validate).unwrap();
    let mut f = evaluate::run(s, &baseline);
    let cost = estimate::apply(&mut f, s, m, users);
    (f, serde_json::to_value(cost).unwrap())
}

fn find<'a>(fs: &'a [Finding], check: &str, suffix: &str) -> &'a Finding {
    fs.iter()
        .find(|f| f.check_id == check && f.resource_id.ends_with(suffix))
        .unwrap_or_else(|| panic!("{check} {suffix}"))
}

fn set_usage(s: &mut Snapshot, rows: &[(&str, f64)]) {
    let ws = &mut s.inventory.subscriptions[0]
        .workspaces
        .value
        .as_mut()
        .unwrap()[0];
    ws.usage = Read::ok(
        rows.iter()
            .map(|(t, g)| UsageByType {
                data_type: t.to_string(),
                gb_30d: *g,
            })
            .collect(),
    );
}

#[test]
fn every_figure_has_a_source_and_unit() {
    let m = model();
    for (name, f) in &m.figures {
        assert!(!f.source.trim().is_empty(), "{name} has a source");
        assert!(!f.unit.trim().is_empty(), "{name} has a unit");
    }
    for (t, v) in &m.resource_log_mb_day {
        assert!(!v.source.trim().is_empty(), "{t} has a source");
    }
    assert!(m.commitment_tiers.iter().all(|t| !t.source.is_empty()));
    assert!(!m.free_data_types_source.is_empty());
}

#[test]
fn entra_calibrated_from_measured_signins() {
    // Demo: SigninLogs 12 GB over 30 days = 0.4 GB/day measured. Missing: ManagedIdentitySignInLogs,
    // ProvisioningLogs; disabled: NonInteractiveUserSignInLogs.
    // Users inferred = 0.4 / 0.000133 = 3007.5 → 3008.
    // Non-interactive = 0.4 × 10 = 4.0 (calibrated); managed identity = 0.2; provisioning = 3008 × 0.000005 = 0.01504.
    // Total 4.21504 GB/day × $2.30 × 30 = $290.83/month.
    let m = model();
    let (fs, cost) = costed(&logposture::demo::snapshot(), None, &m);
    let c = find(&fs, "LP-ENTRA-001", "microsoft.aadiam")
        .cost
        .clone()
        .unwrap();
    assert_eq!(c.method, "calibrated");
    assert!(close(c.gb_per_day, 4.215), "{}", c.gb_per_day);
    assert!(close(c.usd_per_month, 290.83), "{}", c.usd_per_month);
    assert!(c.basis.contains("measured SigninLogs"), "{}", c.basis);
    assert_eq!(cost["entra_users"]["source"], "inferred");
    assert_eq!(cost["entra_users"]["count"], 3008.0);
}

#[test]
fn entra_default_model_when_nothing_is_measured() {
    // No SigninLogs measured, no --entra-users: 1,000 users assumed.
    // Non-interactive = 1000 × 0.000133 × 10 = 1.33; MI 0.2; provisioning 0.005 → 1.535 GB/day → $105.92.
    let m = model();
    let mut s = logposture::demo::snapshot();
    set_usage(&mut s, &[("Perf", 3.0)]);
    let (fs, cost) = costed(&s, None, &m);
    let c = find(&fs, "LP-ENTRA-001", "microsoft.aadiam")
        .cost
        .clone()
        .unwrap();
    assert_eq!(c.method, "model");
    assert!(close(c.gb_per_day, 1.535), "{}", c.gb_per_day);
    assert!(close(c.usd_per_month, 105.92), "{}", c.usd_per_month);
    assert!(
        c.basis.contains("assumed"),
        "says the user count is an assumption: {}",
        c.basis
    );
    assert_eq!(cost["entra_users"]["source"], "assumed");

    // With the flag: 5,000 users → NI 6.65 + MI 0.2 + prov 0.025 = 6.875 GB/day.
    let (fs, cost) = costed(&s, Some(5000), &m);
    let c = find(&fs, "LP-ENTRA-001", "microsoft.aadiam")
        .cost
        .clone()
        .unwrap();
    assert!(close(c.gb_per_day, 6.875), "{}", c.gb_per_day);
    assert_eq!(cost["entra_users"]["source"], "flag");
}

#[test]
fn security_events_tier_gap_per_server() {
    // Demo dev VM: custom (3 ids, below Minimal) → Common. Model: 0.2 − 0 = 0.2 GB/day per server?
    // Custom counts as no tier volume, so the gap is the full Common volume unless SecurityEvent is
    // measured. The demo measures SecurityEvent 11.4 GB/30d = 0.38 GB/day over 3 Windows VMs.
    let m = model();
    let mut s = logposture::demo::snapshot();
    set_usage(&mut s, &[]);
    let (fs, _) = costed(&s, None, &m);
    let c = find(&fs, "LP-SEC-001", "vm-dev-build01")
        .cost
        .clone()
        .unwrap();
    assert_eq!(c.method, "model");
    assert!(close(c.gb_per_day, 0.2), "{}", c.gb_per_day);
    assert!(
        close(c.usd_per_month, 13.80),
        "0.2 × 2.30 × 30: {}",
        c.usd_per_month
    );
}

#[test]
fn flow_log_and_resource_log_models() {
    let m = model();
    let mut s = logposture::demo::snapshot();
    set_usage(&mut s, &[]);
    let (fs, _) = costed(&s, None, &m);
    // NSG without coverage: 0.1 GB/day × 30 × ($0.50 collection + $0.01 cool storage) = $1.53.
    let c = find(&fs, "LP-FLOW-001", "nsg-prod-dr")
        .cost
        .clone()
        .unwrap();
    assert!(
        close(c.gb_per_day, 0.1) && close(c.usd_per_month, 1.53),
        "{c:?}"
    );
    // App Service with nothing exported: 100 MB/day → 0.1 GB/day × 2.30 × 30 = $6.90.
    let c = find(&fs, "LP-RES-001", "app-prod-checkout")
        .cost
        .clone()
        .unwrap();
    assert!(
        close(c.gb_per_day, 0.1) && close(c.usd_per_month, 6.90),
        "{c:?}"
    );
    // Activity log: free.
    let c = find(&fs, "LP-ACT-001", logposture::demo::DEV)
        .cost
        .clone()
        .unwrap();
    assert_eq!(c.usd_per_month, 0.0);
}

#[test]
fn retention_cost_from_measured_volume() {
    // Dev workspace: usage not measured (403) → not_measured, never zero-as-fact.
    let m = model();
    let (fs, _) = costed(&logposture::demo::snapshot(), None, &m);
    let c = find(&fs, "LP-RET-001", "law-dev").cost.clone().unwrap();
    assert_eq!(c.method, "not_measured");
    // Measure it: 1 GB/day; 30 → 90 days with 31 free: 59 extra days × $0.10 = $5.90/month.
    let mut s = logposture::demo::snapshot();
    let dev = &mut s.inventory.subscriptions[1]
        .workspaces
        .value
        .as_mut()
        .unwrap()[0];
    dev.usage = Read::ok(vec![UsageByType {
        data_type: "SecurityEvent".into(),
        gb_30d: 30.0,
    }]);
    let (fs, _) = costed(&s, None, &m);
    let c = find(&fs, "LP-RET-001", "law-dev").cost.clone().unwrap();
    assert_eq!(c.method, "measured");
    assert!(close(c.usd_per_month, 5.90), "{c:?}");
    // Table: SecurityEvent 1 GB/day, interactive 30 → 90 (59 days × 0.10) and total 90 → 365 (275 × 0.02 = 5.50): $11.40.
    let c = find(&fs, "LP-RET-002", "law-dev/tables/SecurityEvent")
        .cost
        .clone()
        .unwrap();
    assert!(close(c.usd_per_month, 11.40), "{c:?}");
}

#[test]
fn commitment_tier_switch_over() {
    let m = model();
    // 80 GB/day: pay-as-you-go 80 × 2.30 × 30 = $5,520 < 100 GB tier 100 × 2.30 × 0.85 × 30 = $5,865.
    let low = estimate::best_commitment(80.0, &m);
    assert_eq!(low.tier, "pay-as-you-go");
    // 90 GB/day: pay-as-you-go $6,210 > $5,865: the 100 GB/day tier wins.
    let high = estimate::best_commitment(90.0, &m);
    assert_eq!(high.tier, "100 GB/day commitment");
    assert!(close(high.usd_per_month, 5865.0));
    assert!(close(high.saving_usd_per_month, 345.0));
    // 1,200 GB/day: 1,000 tier at 26 % with overage at the same rate = 1200 × 2.30 × 0.74 × 30.
    let big = estimate::best_commitment(1200.0, &m);
    assert_eq!(big.tier, "1000 GB/day commitment");
    assert!(close(big.usd_per_month, 1200.0 * 2.30 * 0.74 * 30.0));
}

#[test]
fn pricing_override_file() {
    let over = ("mine.toml".to_string(), "[meta]\ncurrency = \"EUR\"\nregion_factor = 1.1\n\n[figure.analytics_gb]\nvalue = 3.00\nunit = \"EUR/GB\"\nsource = \"EA price sheet 2026-10\"\n".to_string());
    let m = CostModel::load(&[over]).unwrap();
    assert!(close(m.price("analytics_gb"), 3.30));
    assert!(
        close(m.value("entra_signin_gb_per_user_day"), 0.000133),
        "volumes are not scaled by the price factor"
    );
    let mut s = logposture::demo::snapshot();
    set_usage(&mut s, &[]);
    let (fs, cost) = costed(&s, None, &m);
    let c = find(&fs, "LP-RES-001", "app-prod-checkout")
        .cost
        .clone()
        .unwrap();
    assert!(close(c.usd_per_month, 0.1 * 3.3 * 30.0), "{c:?}");
    assert_eq!(cost["currency"], "EUR");
    assert_eq!(m.overrides, vec!["mine.toml".to_string()]);
}

#[test]
fn totals_include_only_unsuppressed_failures() {
    let m = model();
    let (fs, cost) = costed(&logposture::demo::snapshot(), None, &m);
    let sum: f64 = fs
        .iter()
        .filter(|f| f.status == Status::Fail)
        .filter_map(|f| f.cost.as_ref())
        .map(|c| c.usd_per_month)
        .sum();
    assert!(close(cost["gaps"]["usd_per_month"].as_f64().unwrap(), sum));
    // Measured: prod workspace 67.8 GB over 30 days billable → 2.26 GB/day → $155.94.
    assert!(
        close(
            cost["measured"]["usd_per_month"].as_f64().unwrap(),
            67.8 / 30.0 * 2.30 * 30.0
        ),
        "{}",
        cost["measured"]
    );
}

/// "Cost to close every gap" leaves nothing out silently: each failing finding in a logging
/// area carries a cost, an explicit zero with its reason where closing it adds nothing.
#[test]
fn every_failing_logging_finding_has_a_cost_or_a_stated_zero() {
    let m = model();
    let (f, _) = costed(&logposture::demo::snapshot(), None, &m);
    let logging = [
        "activity-log",
        "resource-logs",
        "entra-logs",
        "flow-logs",
        "network-watcher",
        "retention",
        "security-events",
    ];
    for x in f
        .iter()
        .filter(|x| x.status == Status::Fail && logging.contains(&x.area.as_str()))
    {
        let c = x
            .cost
            .as_ref()
            .unwrap_or_else(|| panic!("{} {} has no cost", x.check_id, x.resource_id));
        assert!(
            !c.basis.is_empty(),
            "{}: a cost without its basis",
            x.check_id
        );
        if c.usd_per_month == 0.0 && c.method != "not_measured" {
            assert!(
                c.basis.starts_with("no cost:") || c.basis.contains("free"),
                "{}: a zero must say why: {}",
                x.check_id,
                c.basis
            );
        }
    }
    // Retention of an existing flow log: no ingestion, only the longer-kept blobs.
    let fl = f
        .iter()
        .find(|x| x.check_id == "LP-FLOW-003" && x.status == Status::Fail)
        .unwrap();
    let c = fl.cost.as_ref().unwrap();
    assert_eq!(c.gb_per_day, 0.0);
    let expected = m.value("flow_log_gb_per_target_day") * 60.0 * m.price("blob_cool_gb_month");
    assert!(close(c.usd_per_month, expected), "{c:?}");
    assert!(c.basis.starts_with("no new ingestion"));
}
