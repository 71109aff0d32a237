//! `logposture cost`: the cost section as plain-text tables on stdout, for people who only want
//! the budget figure. Built from the same view as the HTML and Markdown reports.

use super::view::{cost_view, CostView};
use crate::model::Results;
use std::fmt::Write;

/// Columns padded to their widest cell; the last column is left unpadded.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], right: &[usize]) {
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = width[i].saturating_sub(c.chars().count());
            if i + 1 == n {
                s.push_str(c);
            } else if right.contains(&i) {
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
                s.push_str("  ");
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header.to_vec()));
    let _ = writeln!(
        out,
        "{}",
        line(
            width
                .iter()
                .enumerate()
                // The last column is free text: underline its header only.
                .map(|(i, w)| "-".repeat(if i + 1 == n {
                    header[i].chars().count()
                } else {
                    *w
                }))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect()
        )
    );
    for r in rows {
        let _ = writeln!(out, "{}", line(r.iter().map(String::as_str).collect()));
    }
}

pub fn text(r: &Results) -> String {
    let mut out = String::new();
    let Some(c) = cost_view(r, r.currency()) else {
        return "No cost section in these results.\n".into();
    };
    render(&mut out, r, &c);
    out
}

fn render(out: &mut String, r: &Results, c: &CostView) {
    let _ = writeln!(
        out,
        "logposture cost: {} subscription(s), {} ({})\n{}\n",
        r.scope.subscriptions.len(),
        c.currency,
        r.cost.priced_region,
        c.prices_dated
    );
    let rows: Vec<Vec<String>> = c
        .waterfall
        .iter()
        .map(|w| vec![w.label.clone(), w.amount.clone(), w.basis.clone()])
        .collect();
    table(out, &["Per month", "Amount", "Basis"], &rows, &[1]);

    let b = &c.backtest;
    let _ = writeln!(
        out,
        "\nHow good is this estimate on your estate (median absolute error {})",
        b.median_error
    );
    if b.lines.is_empty() {
        let _ = writeln!(
            out,
            "Nothing to compare: gap estimates use the model's defaults."
        );
    } else {
        let rows: Vec<Vec<String>> = b
            .lines
            .iter()
            .map(|l| {
                vec![
                    l.data_type.clone(),
                    l.predicted.clone(),
                    l.measured.clone(),
                    l.ratio.clone(),
                    l.kind.clone(),
                ]
            })
            .collect();
        table(
            out,
            &[
                "Data type",
                "Predicted GB/day",
                "Measured GB/day",
                "Ratio",
                "Kind",
            ],
            &rows,
            &[1, 2, 3],
        );
        for l in &b.calibration {
            let _ = writeln!(out, "- {l}");
        }
    }

    if !c.workspace_tiers.is_empty() {
        let _ = writeln!(out, "\nPer workspace (Log Analytics pricing)");
        let rows: Vec<Vec<String>> = c
            .workspace_tiers
            .iter()
            .map(|w| {
                vec![
                    w.name.clone(),
                    w.sentinel.clone(),
                    w.today_gb_day.clone(),
                    w.gaps_gb_day.clone(),
                    w.current.clone(),
                    w.with_gaps.clone(),
                ]
            })
            .collect();
        table(
            out,
            &[
                "Workspace",
                "Sentinel",
                "GB/day today",
                "GB/day added",
                "Today",
                "With the gaps closed",
            ],
            &rows,
            &[2, 3],
        );
    }

    if !c.cheaper_plans.is_empty() {
        let _ = writeln!(out, "\nThe cheaper way: Basic table plan");
        let rows: Vec<Vec<String>> = c
            .cheaper_plans
            .iter()
            .map(|p| {
                vec![
                    p.check_id.to_string(),
                    p.resource_name.clone(),
                    p.analytics.clone(),
                    p.basic.clone(),
                    p.tables.clone(),
                ]
            })
            .collect();
        table(
            out,
            &["Check", "Resource", "Analytics", "Basic", "Tables"],
            &rows,
            &[2, 3],
        );
        let _ = writeln!(
            out,
            "Basic gives up: {}. {}.",
            c.basic_gives_up, c.auxiliary
        );
    }
}
