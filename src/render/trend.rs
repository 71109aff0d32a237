//! The trend section's view: the last runs of the history as a line chart (inline SVG, no
//! script: it prints), a table of the same figures, and each area's score per run.

use crate::model::history::Trend;
use crate::model::AREAS;
use serde::Serialize;

/// Chart geometry, in SVG user units (the chart scales to its box).
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

#[derive(Debug, Serialize)]
pub struct TrendView {
    pub rows: Vec<TrendRow>,
    /// Polyline points of the failing and not-assessed counts.
    pub fail_points: String,
    pub not_assessed_points: String,
    pub markers: Vec<Marker>,
    /// Y axis: gridlines with their values.
    pub gridlines: Vec<Gridline>,
    pub areas: Vec<AreaTrend>,
    /// Column heads of the area table: each run's date.
    pub dates: Vec<String>,
    pub note: String,
    pub width: f64,
    pub height: f64,
    /// One sentence for readers of the chart who cannot see it (alt text).
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct TrendRow {
    pub date: String,
    pub started_at: String,
    pub fail: usize,
    pub not_assessed: usize,
    pub pass: usize,
    pub score: String,
    pub cost_to_close: String,
    pub note: String,
    pub current: bool,
}

#[derive(Debug, Serialize)]
pub struct Marker {
    pub x: String,
    pub fail_y: String,
    pub not_assessed_y: String,
    pub fail: usize,
    pub label: String,
    pub label_y: String,
    /// The baseline changed at this run: a vertical rule marks it.
    pub baseline_changed: bool,
}

#[derive(Debug, Serialize)]
pub struct Gridline {
    pub y: String,
    pub label: String,
    pub label_y: String,
}

#[derive(Debug, Serialize)]
pub struct AreaTrend {
    pub title: &'static str,
    pub scores: Vec<String>,
}

fn round_up_scale(max: usize) -> usize {
    let max = max.max(1);
    let step = match max {
        0..=10 => 2,
        11..=50 => 10,
        51..=200 => 25,
        201..=1000 => 100,
        _ => 10usize.pow((max as f64).log10().floor() as u32),
    };
    max.div_ceil(step) * step
}

fn pct(score: Option<u32>) -> String {
    score.map_or_else(|| "–".to_string(), |s| format!("{s}%"))
}

pub fn view(t: &Trend) -> Option<TrendView> {
    if t.runs.is_empty() {
        return None;
    }
    let n = t.runs.len();
    let max = t
        .runs
        .iter()
        .map(|r| r.fail.max(r.not_assessed))
        .max()
        .unwrap_or(0);
    let top = round_up_scale(max) as f64;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: usize| TOP + plot_h * (1.0 - v as f64 / top);
    let points = |get: &dyn Fn(usize) -> usize| {
        (0..n)
            .map(|i| format!("{:.1},{:.1}", x(i), y(get(i))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let date = |s: &str| s.get(..10).unwrap_or(s).to_string();
    let rows: Vec<TrendRow> = t
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| TrendRow {
            date: date(&r.started_at),
            started_at: r.started_at.clone(),
            fail: r.fail,
            not_assessed: r.not_assessed,
            pass: r.pass,
            score: pct(r.score),
            cost_to_close: super::view::money(&r.currency, r.cost_to_close),
            note: if r.baseline_changed {
                "baseline changed: not like for like with the run before".into()
            } else {
                String::new()
            },
            current: i + 1 == n,
        })
        .collect();
    let first = &t.runs[0];
    let last = &t.runs[n - 1];
    let summary = format!(
        "Failing findings went from {} on {} to {} on {}; not assessed from {} to {}, over {} run(s).",
        first.fail,
        date(&first.started_at),
        last.fail,
        date(&last.started_at),
        first.not_assessed,
        last.not_assessed,
        n
    );
    let areas = AREAS
        .iter()
        .filter(|a| t.runs.iter().any(|r| r.score_by_area.contains_key(**a)))
        .map(|a| AreaTrend {
            title: super::view::area_title(a),
            scores: t
                .runs
                .iter()
                .map(|r| pct(r.score_by_area.get(*a).copied().flatten()))
                .collect(),
        })
        .collect();
    let mut note = format!(
        "The last {n} of {} run(s) of this tenant and scope, from {}.",
        t.runs_recorded, t.source
    );
    if t.demo {
        note.push_str(
            " The runs before this one are illustrative, made from the demo tenant itself.",
        );
    }
    Some(TrendView {
        fail_points: points(&|i| t.runs[i].fail),
        not_assessed_points: points(&|i| t.runs[i].not_assessed),
        markers: (0..n)
            .map(|i| Marker {
                x: format!("{:.1}", x(i)),
                fail_y: format!("{:.1}", y(t.runs[i].fail)),
                not_assessed_y: format!("{:.1}", y(t.runs[i].not_assessed)),
                fail: t.runs[i].fail,
                label: t.runs[i].started_at.get(5..10).unwrap_or("").to_string(),
                label_y: format!("{:.1}", HEIGHT - BOTTOM + 16.0),
                baseline_changed: t.runs[i].baseline_changed,
            })
            .collect(),
        gridlines: (0..=4)
            .map(|k| {
                let v = (top * k as f64 / 4.0).round() as usize;
                Gridline {
                    y: format!("{:.1}", y(v)),
                    label: v.to_string(),
                    label_y: format!("{:.1}", y(v) + 4.0),
                }
            })
            .collect(),
        dates: t
            .runs
            .iter()
            .map(|r| r.started_at.get(5..10).unwrap_or("").to_string())
            .collect(),
        areas,
        rows,
        note,
        width: WIDTH,
        height: HEIGHT,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_ends_on_a_round_number_above_the_largest_count() {
        assert_eq!(round_up_scale(0), 2);
        assert_eq!(round_up_scale(7), 8);
        assert_eq!(round_up_scale(77), 100);
        assert_eq!(round_up_scale(1234), 2000);
    }
}
