//! The evaluation index: what several rules read, found once per run ([`EvalContext`]: log
//! destinations, storage accounts, DCRs, workspaces, flow-log coverage) and the helpers rules
//! share (table retention, accepted destinations, the JIT gate). Flow-log coverage itself is
//! `inventory::flow_log_index`, which attribution reads too. Rule files import from here,
//! never from each other.

use super::baseline::CheckDef;
use super::{gate, subscription_scope};
use crate::inventory::{id_key, DataCollectionRule, ReadError, Snapshot, StorageAccount};
use crate::inventory::{
    last_segment, DiagnosticSetting, SubscriptionInventory, Workspace, WorkspaceTable,
};
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    Workspace,
    Storage,
    EventHub,
    Partner,
}

impl Destination {
    pub fn as_str(self) -> &'static str {
        match self {
            Destination::Workspace => "workspace",
            Destination::Storage => "storage",
            Destination::EventHub => "event_hub",
            Destination::Partner => "partner",
        }
    }
}

pub fn accepts(s: &DiagnosticSetting, destinations: &[Destination]) -> bool {
    destinations.iter().any(|d| match d {
        Destination::Workspace => s.workspace_id.is_some(),
        Destination::Storage => s.storage_account_id.is_some(),
        Destination::EventHub => s.event_hub_authorization_rule_id.is_some(),
        Destination::Partner => s.marketplace_partner_id.is_some(),
    })
}

/// Workspaces by id key: `EvalContext::workspace_by_id`.
pub type WorkspaceIndex<'a> = std::collections::HashMap<String, &'a Workspace>;

/// Days a workspace keeps one table.
#[derive(Debug, Clone)]
pub struct TableDays {
    pub total: u32,
    pub interactive: u32,
    pub how: String,
}

/// (interactive, total) days in force for a table, and whether each is the table's own value.
pub fn effective_retention(ws: &Workspace, t: &WorkspaceTable) -> (Option<u32>, Option<u32>) {
    let ws_days = ws.retention_in_days;
    // A table that is not on the workspace default but reports no days of its own is
    // unknown: the workspace's days would be a guess that may pass.
    let interactive = if t.retention_is_default {
        ws_days
    } else {
        t.retention_in_days
    };
    let total = if t.total_retention_is_default {
        interactive
    } else {
        t.total_retention_in_days.or(interactive)
    };
    (interactive, total.max(interactive))
}

/// How long workspace `id` keeps `table`: the total retention in force for the table (its own,
/// else the workspace's, as the table-retention check reads it) with the interactive days and
/// where they come from, or why it is unknown.
pub fn table_days(
    workspaces: &WorkspaceIndex,
    id: &str,
    table: &str,
) -> Result<TableDays, &'static str> {
    let w = workspaces
        .get(&crate::inventory::id_key(id))
        .ok_or("not in this scan")?;
    match w
        .tables
        .items()
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(table))
    {
        Some(t) => match effective_retention(w, t) {
            (Some(interactive), Some(total)) => Ok(TableDays {
                total,
                interactive,
                how: format!("table {table}, total retention"),
            }),
            _ => Err("its table reports no retention"),
        },
        // Not listed: the workspace's retention applies, if the list was complete.
        None if w.tables.is_complete() => w
            .retention_in_days
            .map(|d| TableDays {
                total: d,
                interactive: d,
                how: "workspace retention".to_string(),
            })
            .ok_or("the workspace reports no retention"),
        None => Err("its tables could not be read"),
    }
}

/// The JIT gate both JIT checks share: a subscription without JIT policies is not applicable,
/// an unreadable policy list not assessed; otherwise the names of the VMs under JIT.
pub fn jit_gate(
    check: &CheckDef,
    sub: &SubscriptionInventory,
) -> Result<Vec<String>, Box<Finding>> {
    if let Some(f) = gate(check, sub, &sub.jit_policies, "the JIT VM access policies") {
        return Err(Box::new(f));
    }
    if sub.jit_policies.items().is_empty() {
        return Err(Box::new(check.finding(
            Status::NotApplicable,
            &subscription_scope(sub),
            Some(&sub.subscription.id),
            "No just-in-time VM access policy in this subscription.",
            json!({"jit_policies": 0}),
        )));
    }
    Ok(jit_vms(sub))
}

/// Names of the VMs under JIT in a subscription, for evidence.
fn jit_vms(sub: &SubscriptionInventory) -> Vec<String> {
    let mut vms: Vec<String> = sub
        .jit_policies
        .items()
        .iter()
        .flat_map(|p| p.virtual_machine_ids.iter().map(|v| last_segment(v)))
        .collect();
    vms.sort();
    vms.dedup();
    vms
}

/// The snapshot plus indexes that several rules need.
pub struct EvalContext<'a> {
    pub snapshot: &'a Snapshot,
    /// Storage accounts that receive logs: id key → what sends to them.
    pub log_destinations: BTreeMap<String, Vec<String>>,
    /// Every storage account in scope by id key.
    pub storage_by_id: HashMap<String, (&'a SubscriptionInventory, &'a StorageAccount)>,
    /// Every data collection rule in scope by id key (a VM's rule may live in another subscription).
    pub dcr_by_id: HashMap<String, &'a DataCollectionRule>,
    /// True when some subscription's DCR list could not be read: an unknown rule is then unknown, not absent.
    pub dcr_list_incomplete: Option<ReadError>,
    /// Every resource's location by its id as listed (built once: per-resource checks need it).
    pub resource_locations: HashMap<&'a str, &'a str>,
    /// Every workspace in scope by id key (a destination may be in another subscription).
    pub workspace_by_id: HashMap<String, &'a crate::inventory::Workspace>,
    /// Enabled flow logs by what they record, for every flow-log rule.
    pub flow_logs: crate::inventory::flow_log_index::FlowLogIndex<'a>,
    /// What each workspace last received, from its complete arrival answers: (workspace id
    /// key, family) → source key → the newest record (its time, as written). Looked up once
    /// per source: a workspace that receives from 100,000 resources is not scanned per
    /// resource.
    pub arrival_newest: HashMap<(String, &'a str), ArrivalIndex<'a>>,
}

/// One workspace's answer to one arrival family: source key → newest record.
pub type ArrivalIndex<'a> = HashMap<&'a str, (time::OffsetDateTime, &'a str)>;

fn arrival_index<'a>(
    workspaces: &HashMap<String, &'a Workspace>,
) -> HashMap<(String, &'a str), ArrivalIndex<'a>> {
    let mut out = HashMap::new();
    for (key, ws) in workspaces {
        for (family, read) in &ws.arrival {
            let Some(records) = read.complete() else {
                continue;
            };
            let mut newest: ArrivalIndex = HashMap::with_capacity(records.len());
            for r in records {
                let Ok(t) = time::OffsetDateTime::parse(
                    &r.last_seen,
                    &time::format_description::well_known::Rfc3339,
                ) else {
                    continue;
                };
                let e = newest.entry(r.key.as_str()).or_insert((t, &r.last_seen));
                if t > e.0 {
                    *e = (t, &r.last_seen);
                }
            }
            out.insert((key.clone(), family.as_str()), newest);
        }
    }
    out
}

impl<'a> EvalContext<'a> {
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let inv = &snapshot.inventory;
        let mut log_destinations: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut add = |id: &Option<String>, what: String| {
            if let Some(id) = id {
                log_destinations.entry(id_key(id)).or_default().push(what);
            }
        };
        for s in inv.entra_diagnostic_settings.items() {
            add(
                &s.storage_account_id,
                format!("Entra ID diagnostic setting {}", s.name),
            );
        }
        for sub in &inv.subscriptions {
            for s in sub.activity_log_settings.items() {
                add(
                    &s.storage_account_id,
                    format!("activity log setting {} of {}", s.name, sub.subscription.id),
                );
            }
            for rd in &sub.resource_diagnostics {
                for s in rd.settings.items() {
                    add(
                        &s.storage_account_id,
                        format!("diagnostic setting {} of {}", s.name, rd.resource_id),
                    );
                }
            }
            for f in sub.flow_logs.items() {
                add(&f.storage_id, format!("flow log {}", f.name));
            }
        }
        for v in log_destinations.values_mut() {
            v.sort();
            v.dedup();
        }
        let mut storage_by_id = HashMap::new();
        let mut dcr_by_id = HashMap::new();
        let mut dcr_list_incomplete = None;
        for sub in &inv.subscriptions {
            for a in sub.storage_accounts.items() {
                storage_by_id.insert(id_key(&a.id), (sub, a));
            }
            for d in sub.data_collection_rules.items() {
                dcr_by_id.insert(id_key(&d.id), d);
            }
            if sub.scanned {
                if let Some(e) = &sub.data_collection_rules.error {
                    dcr_list_incomplete.get_or_insert(e.clone());
                }
            }
        }
        let resource_locations = inv
            .subscriptions
            .iter()
            .flat_map(|s| s.resources.items())
            .map(|r| (r.id.as_str(), r.location.as_str()))
            .collect();
        let workspace_by_id = inv
            .subscriptions
            .iter()
            .flat_map(|s| s.workspaces.items())
            .map(|w| (id_key(&w.id), w))
            .collect();
        let arrival_newest = arrival_index(&workspace_by_id);
        Self {
            snapshot,
            log_destinations,
            storage_by_id,
            dcr_by_id,
            dcr_list_incomplete,
            resource_locations,
            workspace_by_id,
            arrival_newest,
            flow_logs: crate::inventory::flow_log_index::FlowLogIndex::new(&inv.subscriptions),
        }
    }

    pub fn subscriptions(&self) -> &'a [SubscriptionInventory] {
        &self.snapshot.inventory.subscriptions
    }
}
