//! `attribution.json` and `attribution.csv`, written beside the reports from the map the
//! attribute stage built.

use crate::inventory::last_segment;
use crate::model::attribution::{Address, Attribution, Sighting};
use std::collections::HashMap;
use std::io::Write;

pub const JSON_FILE: &str = "attribution.json";
pub const CSV_FILE: &str = "attribution.csv";

const CSV_HEADER: &[&str] = &[
    "ip",
    "kind",
    "current",
    "first_seen",
    "last_seen",
    "owner_kind",
    "owner_name",
    "owner_id",
    "network_interface_id",
    "subnet_id",
    "vnet_id",
    "nsg_ids",
    "flow_logs",
    "traffic_analytics",
    "subscription_id",
    "scan_time",
];

/// attribution.csv: one row per sighting (current addresses with their full mapping, earlier
/// owners with their time range), every field quoted, formula-leading values neutralised.
pub fn csv_to(a: &Attribution, mut w: impl Write) -> anyhow::Result<()> {
    let row = |cells: Vec<String>| -> String {
        cells
            .iter()
            .map(|c| super::csv::field(c))
            .collect::<Vec<_>>()
            .join(",")
    };
    writeln!(
        w,
        "{}",
        row(CSV_HEADER.iter().map(|h| h.to_string()).collect())
    )?;
    let current: HashMap<(String, String, String), &Address> = a
        .addresses
        .iter()
        .map(|x| (Sighting::of(x, &a.scan_time).key(), x))
        .collect();
    for s in &a.history {
        // Current sightings carry the full mapping; earlier owners only their time range.
        let now = current.get(&s.key());
        let detail = |f: &dyn Fn(&Address) -> String| now.map(|x| f(x)).unwrap_or_default();
        let cells = vec![
            s.ip.clone(),
            detail(&|x| x.kind.clone()),
            if now.is_some() { "yes" } else { "no" }.to_string(),
            s.first_seen.clone(),
            s.last_seen.clone(),
            s.owner_kind.clone(),
            s.owner_id.as_deref().map(last_segment).unwrap_or_default(),
            s.owner_id.clone().unwrap_or_default(),
            s.network_interface_id.clone().unwrap_or_default(),
            detail(&|x| x.subnet_id.clone().unwrap_or_default()),
            detail(&|x| x.vnet_id.clone().unwrap_or_default()),
            detail(&|x| x.nsg_ids.join(" ")),
            detail(&|x| {
                x.flow_logs
                    .iter()
                    .map(|f| format!("{} ({})", f.id, f.scope))
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            detail(&|x| {
                if x.flow_logs.iter().any(|f| f.traffic_analytics) {
                    "yes".into()
                } else {
                    "no".into()
                }
            }),
            detail(&|x| x.subscription_id.clone()),
            a.scan_time.clone(),
        ];
        writeln!(w, "{}", row(cells))?;
    }
    Ok(())
}

/// attribution.json.
pub fn json_to(a: &Attribution, mut w: impl Write) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut w, a)?;
    w.write_all(b"\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_become_formulas() {
        let mut snap = crate::demo::snapshot();
        let nics = snap.inventory.subscriptions[0]
            .network_interfaces
            .value
            .as_mut()
            .unwrap();
        nics[0].virtual_machine_id = Some("=HYPERLINK(\"http://x\")".into());
        let a = crate::attribute::build(&snap, &[]);
        let mut out = Vec::new();
        csv_to(&a, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{text}");
        assert!(!text.contains(",\"=HYPERLINK"));
    }
}
