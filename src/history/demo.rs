//! The bundled demo history: eleven weekly runs before the demo scan, so `scan --demo` shows
//! what a history gives (failing since, time to fix, the trend) on its first run. The earlier
//! runs are made from the demo results themselves, deterministically: some of today's
//! failures began during the quarter, half of today's passes were fixed during it, and the
//! first four weeks ran an older baseline without some of today's checks.

use super::{History, HistoryError, Source};
use crate::model::history::Trend;
use crate::model::{Results, Status, Summary};

/// Weekly runs in the demo history, the demo scan last.
pub const WEEKS: usize = 12;

/// Weeks of the older baseline at the start of the demo history.
const OLD_BASELINE_WEEKS: usize = 4;

/// A stable number for a text, so the demo history is the same on every run.
fn mix(text: &str) -> u64 {
    // FNV-1a: small, stable across builds and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The status of `f` (as the demo scan found it) in week `w` (0 = eleven weeks before).
fn status_in_week(f: &crate::model::Finding, w: usize) -> Option<Status> {
    let h = mix(&format!("{} {}", f.check_id, f.resource_id));
    // About one check in ten came with the newer baseline.
    if w < OLD_BASELINE_WEEKS && mix(&f.check_id).is_multiple_of(10) {
        return None;
    }
    Some(match f.status {
        // One in five of today's failures began during the quarter.
        Status::Fail if h.is_multiple_of(5) && w < 1 + (h / 5 % 10) as usize => Status::Pass,
        // Half of today's passes were fixed during it (some this week).
        Status::Pass if h.is_multiple_of(2) && w < 2 + (h / 2 % 10) as usize => Status::Fail,
        s => s,
    })
}

/// `current` as the demo scan `WEEKS - 1 - w` weeks earlier.
fn week(current: &Results, w: usize, typical_cost: f64) -> Results {
    let back = time::Duration::weeks((WEEKS - 1 - w) as i64);
    let shift = |t: &str| {
        crate::support::timestamp::parse(t)
            .map(|t| crate::support::timestamp::format(t - back))
            .unwrap_or_else(|| t.to_string())
    };
    let mut r = current.clone();
    r.started_at = shift(&current.started_at);
    r.finished_at = shift(&current.finished_at);
    r.findings = current
        .findings
        .iter()
        .filter_map(|f| {
            let status = status_in_week(f, w)?;
            let mut f = f.clone();
            if status != f.status {
                // A failure of the past that passes today has no price of its own: the median's.
                f.cost = None;
                f.status = status;
            }
            Some(f)
        })
        .collect();
    r.summary = Summary::of(&r.findings);
    r.cost.gaps.usd_per_month = r
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .map(|f| f.cost.as_ref().map_or(typical_cost, |c| c.usd_per_month))
        .sum();
    if w < OLD_BASELINE_WEEKS {
        r.baseline.version = format!("{} (demo: an older baseline)", r.baseline.version);
        r.baseline.sha256 = "demo-older-baseline".into();
    }
    r
}

/// Records the demo history's eleven earlier weeks into `h` (nothing when `current` is not
/// the demo tenant's results).
pub fn seed(h: &mut History, current: &Results) -> Result<(), HistoryError> {
    let mut costed: Vec<f64> = current
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .filter_map(|f| f.cost.as_ref().map(|c| c.usd_per_month))
        .collect();
    costed.sort_by(f64::total_cmp);
    let typical_cost = costed.get(costed.len() / 2).copied().unwrap_or(0.0);
    for w in 0..WEEKS - 1 {
        h.record(&week(current, w, typical_cost), Source::Demo)?;
    }
    Ok(())
}

/// What the trend says of its source when the demo history stays in memory.
pub const IN_MEMORY_SOURCE: &str =
    "the bundled demo history (not written to disk: pass --history FILE to keep one)";

/// The demo run with its bundled history: in `h` when given (seeded when it holds no run of
/// this scope yet), otherwise in memory only. Adds failing since, time to fix and the trend
/// to `current`.
pub fn remember(h: Option<&mut History>, current: &mut Results) -> Result<(), HistoryError> {
    let mut in_memory = None;
    let h = match h {
        Some(h) => h,
        None => in_memory.insert(History::in_memory("bundled demo history")?),
    };
    if h.trend(current)?.runs_recorded == 0 {
        seed(h, current)?;
    }
    super::remember(h, current, Source::Scan)?;
    if let Some(t) = &mut current.trend {
        mark(t, in_memory.is_some());
    }
    Ok(())
}

fn mark(t: &mut Trend, in_memory: bool) {
    t.demo = true;
    if in_memory {
        t.source = IN_MEMORY_SOURCE.into();
    }
}
