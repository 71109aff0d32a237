//! Cases of the arrival checks (checks/arrival.toml): what the destination workspace says it
//! received, against a scan that ended at 2026-01-01T00:01:00Z.

use super::*;

/// The workspace (in scope) answering `family` with `rows` of (key, last seen).
fn answered(s: &mut Snapshot, family: &str, rows: &[(&str, &str)]) {
    let mut w = sub(s)
        .workspaces
        .value
        .as_ref()
        .and_then(|v| v.first().cloned())
        .unwrap_or_else(|| workspace(90, vec![]));
    w.arrival.insert(
        family.into(),
        Read::ok(
            rows.iter()
                .map(|(k, t)| LastSeen {
                    key: k.to_ascii_lowercase(),
                    last_seen: t.to_string(),
                })
                .collect(),
        ),
    );
    sub(s).workspaces = Read::ok(vec![w]);
}

/// The workspace could not answer `family`.
fn unanswered(s: &mut Snapshot, family: &str, e: ReadError) {
    let mut w = workspace(90, vec![]);
    w.arrival.insert(family.into(), Read::failed(e));
    sub(s).workspaces = Read::ok(vec![w]);
}

fn timeout() -> ReadError {
    ReadError {
        scope: ws_id(),
        operation: "logAnalytics.query(arrival)".into(),
        status: None,
        code: Some("Timeout".into()),
        message: "the query did not answer within 60 s".into(),
    }
}

fn paid() -> ReadError {
    ReadError {
        scope: ws_id(),
        operation: "logAnalytics.query(arrival)".into(),
        status: None,
        code: Some("PaidTableNotQueried".into()),
        message: "AZKVAuditLogs is on a plan billed per GB a query scans".into(),
    }
}

/// The whole scope: where a check that was not run is listed.
fn root() -> String {
    "/".into()
}

const RECENT: &str = "2026-01-01T00:00:00Z";
/// Exactly 24 hours before the scan ended: still within the silence allowed.
const AT_LIMIT: &str = "2025-12-31T00:01:00Z";
/// One second more: too silent.
const PAST_LIMIT: &str = "2025-12-31T00:00:59Z";

fn kv_to_ws(s: &mut Snapshot) {
    with_resource_diag(
        s,
        &kv_id(),
        "Microsoft.KeyVault/vaults",
        Read::ok(vec![to_ws("kv-audit", vec![log("AuditEvent")])]),
    );
}

fn activity_to_ws(s: &mut Snapshot) {
    sub(s).activity_log_settings = Read::ok(vec![DiagnosticSetting {
        id: act_id(),
        ..to_ws("act", vec![log("Administrative")])
    }]);
}

fn act_id() -> String {
    format!(
        "{}/providers/microsoft.insights/diagnosticSettings/act",
        sub_scope()
    )
}

fn entra_scope() -> String {
    "/providers/microsoft.aadiam/diagnosticSettings/entra".into()
}

fn entra_to_ws(s: &mut Snapshot) {
    s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws(
        "entra",
        vec![log("SignInLogs"), log("AuditLogs"), log("RiskyUsers")],
    )]);
}

/// A flow log with traffic analytics into the case workspace, on the VNet or on the NSG.
fn traffic_to_ws(s: &mut Snapshot, on_nsg: bool) {
    let target = if on_nsg { nsg_id() } else { vnet_id() };
    sub(s).flow_logs = Read::ok(vec![FlowLog {
        traffic_analytics_workspace_id: Some(ws_id()),
        ..flow_log(&target, true, 90, true)
    }]);
}

/// NTANetAnalytics' FlowLogResourceId as Microsoft documents it: `rg/watcher/flowlog`.
const VNET_FLOW_KEY: &str = "NetworkWatcherRG/nw/fl";

/// AzureNetworkAnalytics_CL's NSGList_s: `subscription/rg/nsg`.
fn nsg_flow_key() -> String {
    format!("{SUB}/rg/nsg")
}

/// A VM (Windows unless `linux`) with the case rule (security events, or auth Syslog), its
/// agent in `agent` and its power state.
fn vm_with_rule(s: &mut Snapshot, linux: bool, agent: Read<Option<String>>, power: &str) {
    let mut vm = windows_vm(Read::ok(vec![dcr_id()]));
    vm.monitor_agent = agent;
    vm.power_state = Some(power.into());
    let mut rule = DataCollectionRule {
        workspace_destinations: vec![ws_id()],
        ..dcr(&["Security!*"])
    };
    if linux {
        vm.os_type = Some("Linux".into());
        rule.security_event_xpaths = vec![];
        rule.streams = vec!["Microsoft-Syslog".into()];
        rule.syslog = vec![SyslogSource {
            facilities: vec!["auth".into(), "authpriv".into()],
            levels: vec!["Info".into()],
            streams: vec!["Microsoft-Syslog".into()],
        }];
    }
    sub(s).virtual_machines = Read::ok(vec![vm]);
    sub(s).data_collection_rules = Read::ok(vec![rule]);
}

fn agent_ok() -> Read<Option<String>> {
    Read::ok(Some("Succeeded".into()))
}

pub fn cases() -> Vec<Case> {
    vec![
        // Resource logs.
        case!("LP-ARR-001", "a record a minute ago", kv_id, Pass, |s| {
            kv_to_ws(s);
            answered(s, "resource", &[(&kv_id(), RECENT)]);
        }),
        case!(
            "LP-ARR-001",
            "a record exactly 24 h before",
            kv_id,
            Pass,
            |s| {
                kv_to_ws(s);
                answered(s, "resource", &[(&kv_id(), AT_LIMIT)]);
            }
        ),
        case!("LP-ARR-001", "24 h and a second before", kv_id, Fail, |s| {
            kv_to_ws(s);
            answered(s, "resource", &[(&kv_id(), PAST_LIMIT)]);
        }),
        case!("LP-ARR-001", "silent 9 days: none in 7", kv_id, Fail, |s| {
            kv_to_ws(s);
            answered(s, "resource", &[]);
        }),
        case!("LP-ARR-001", "query 403", kv_id, NotAssessed, |s| {
            kv_to_ws(s);
            unanswered(s, "resource", forbidden());
        }),
        case!("LP-ARR-001", "query timed out", kv_id, NotAssessed, |s| {
            kv_to_ws(s);
            unanswered(s, "resource", timeout());
        }),
        case!(
            "LP-ARR-001",
            "Basic table not queried",
            kv_id,
            NotAssessed,
            |s| {
                kv_to_ws(s);
                unanswered(s, "resource", paid());
            }
        ),
        case!(
            "LP-ARR-001",
            "--no-usage: not run",
            root,
            NotApplicable,
            |s| {
                kv_to_ws(s);
                sub(s).workspaces = Read::ok(vec![workspace(90, vec![])]);
                s.inventory.arrival_collected = false;
            }
        ),
        case!(
            "LP-ARR-001",
            "the workspace was not asked",
            kv_id,
            NotAssessed,
            |s| {
                kv_to_ws(s);
                sub(s).workspaces = Read::ok(vec![workspace(90, vec![])]);
            }
        ),
        case!(
            "LP-ARR-001",
            "workspace outside the scope",
            kv_id,
            NotAssessed,
            |s| {
                with_resource_diag(
                s,
                &kv_id(),
                "Microsoft.KeyVault/vaults",
                Read::ok(vec![DiagnosticSetting {
                    workspace_id: Some("/subscriptions/other/resourceGroups/r/providers/Microsoft.OperationalInsights/workspaces/elsewhere".into()),
                    ..to_ws("kv-audit", vec![log("AuditEvent")])
                }]),
            );
            }
        ),
        // Activity log.
        case!("LP-ARR-002", "arrives", act_id, Pass, |s| {
            activity_to_ws(s);
            answered(s, "activity", &[(SUB, RECENT)]);
        }),
        case!(
            "LP-ARR-002",
            "another subscription's only",
            act_id,
            Fail,
            |s| {
                activity_to_ws(s);
                answered(
                    s,
                    "activity",
                    &[("00000000-0000-4000-8000-000000000009", RECENT)],
                );
            }
        ),
        case!("LP-ARR-002", "query 403", act_id, NotAssessed, |s| {
            activity_to_ws(s);
            unanswered(s, "activity", forbidden());
        }),
        // Entra: risk categories are event-driven and not judged.
        case!(
            "LP-ARR-003",
            "sign-ins and audit arrive",
            entra_scope,
            Pass,
            |s| {
                entra_to_ws(s);
                answered(s, "entra", &[("SigninLogs", RECENT), ("AuditLogs", RECENT)]);
            }
        ),
        case!(
            "LP-ARR-003",
            "audit silent since yesterday",
            entra_scope,
            Fail,
            |s| {
                entra_to_ws(s);
                answered(
                    s,
                    "entra",
                    &[("SigninLogs", RECENT), ("AuditLogs", PAST_LIMIT)],
                );
            }
        ),
        case!("LP-ARR-003", "never arrived", entra_scope, Fail, |s| {
            entra_to_ws(s);
            answered(s, "entra", &[]);
        }),
        case!(
            "LP-ARR-003",
            "query timed out",
            entra_scope,
            NotAssessed,
            |s| {
                entra_to_ws(s);
                unanswered(s, "entra", timeout());
            }
        ),
        // Windows security events.
        case!("LP-ARR-004", "arrive", vm_id, Pass, |s| {
            vm_with_rule(s, false, agent_ok(), "running");
            answered(s, "security_events", &[(&vm_id(), RECENT)]);
        }),
        case!(
            "LP-ARR-004",
            "configured, none in 7 days",
            vm_id,
            Fail,
            |s| {
                vm_with_rule(s, false, agent_ok(), "running");
                answered(s, "security_events", &[]);
            }
        ),
        case!("LP-ARR-004", "VM deallocated", vm_id, NotApplicable, |s| {
            vm_with_rule(s, false, agent_ok(), "deallocated");
            answered(s, "security_events", &[]);
        }),
        case!("LP-ARR-004", "query 403", vm_id, NotAssessed, |s| {
            vm_with_rule(s, false, agent_ok(), "running");
            unanswered(s, "security_events", forbidden());
        }),
        // Linux auth Syslog.
        case!("LP-ARR-005", "arrives", vm_id, Pass, |s| {
            vm_with_rule(s, true, agent_ok(), "running");
            answered(s, "syslog", &[(&vm_id(), RECENT)]);
        }),
        case!("LP-ARR-005", "stale", vm_id, Fail, |s| {
            vm_with_rule(s, true, agent_ok(), "running");
            answered(s, "syslog", &[(&vm_id(), PAST_LIMIT)]);
        }),
        case!("LP-ARR-005", "query timed out", vm_id, NotAssessed, |s| {
            vm_with_rule(s, true, agent_ok(), "running");
            unanswered(s, "syslog", timeout());
        }),
        // The agent.
        case!("LP-ARR-006", "agent provisioned", vm_id, Pass, |s| {
            vm_with_rule(s, false, agent_ok(), "running");
        }),
        case!(
            "LP-ARR-006",
            "VM with a rule and no agent",
            vm_id,
            Fail,
            |s| {
                vm_with_rule(s, false, Read::ok(None), "running");
            }
        ),
        case!(
            "LP-ARR-006",
            "agent failed to provision",
            vm_id,
            Fail,
            |s| {
                vm_with_rule(s, true, Read::ok(Some("Failed".into())), "running");
            }
        ),
        case!(
            "LP-ARR-006",
            "extensions unreadable",
            vm_id,
            NotAssessed,
            |s| {
                vm_with_rule(s, false, Read::failed(forbidden()), "running");
            }
        ),
        // Its heartbeat.
        case!("LP-ARR-007", "reports", vm_id, Pass, |s| {
            vm_with_rule(s, false, agent_ok(), "running");
            answered(s, "heartbeat", &[(&vm_id(), RECENT)]);
        }),
        case!("LP-ARR-007", "agent silent", vm_id, Fail, |s| {
            vm_with_rule(s, false, agent_ok(), "running");
            answered(s, "heartbeat", &[(&vm_id(), PAST_LIMIT)]);
        }),
        case!("LP-ARR-007", "VM stopped", vm_id, NotApplicable, |s| {
            vm_with_rule(s, false, agent_ok(), "stopped");
            answered(s, "heartbeat", &[]);
        }),
        case!("LP-ARR-007", "query 403", vm_id, NotAssessed, |s| {
            vm_with_rule(s, false, agent_ok(), "running");
            unanswered(s, "heartbeat", forbidden());
        }),
        // Traffic analytics.
        case!("LP-ARR-008", "VNet flow records arrive", fl_id, Pass, |s| {
            traffic_to_ws(s, false);
            answered(s, "traffic", &[(VNET_FLOW_KEY, RECENT)]);
        }),
        case!(
            "LP-ARR-008",
            "VNet flow log named by its full resource id",
            fl_id,
            Pass,
            |s| {
                traffic_to_ws(s, false);
                answered(s, "traffic", &[(&fl_id(), AT_LIMIT)]);
            }
        ),
        case!(
            "LP-ARR-008",
            "VNet flow log named with its subscription",
            fl_id,
            Pass,
            |s| {
                traffic_to_ws(s, false);
                let key = format!("{SUB}/{VNET_FLOW_KEY}");
                answered(s, "traffic", &[(&key, RECENT)]);
            }
        ),
        case!("LP-ARR-008", "exactly at the limit", fl_id, Pass, |s| {
            traffic_to_ws(s, false);
            answered(s, "traffic", &[(VNET_FLOW_KEY, AT_LIMIT)]);
        }),
        case!("LP-ARR-008", "one second past it", fl_id, Fail, |s| {
            traffic_to_ws(s, false);
            answered(s, "traffic", &[(VNET_FLOW_KEY, PAST_LIMIT)]);
        }),
        case!(
            "LP-ARR-008",
            "another flow log's records only",
            fl_id,
            Fail,
            |s| {
                traffic_to_ws(s, false);
                answered(s, "traffic", &[("NetworkWatcherRG/nw/fl-other", RECENT)]);
            }
        ),
        case!("LP-ARR-008", "NSG flow records arrive", fl_id, Pass, |s| {
            traffic_to_ws(s, true);
            answered(s, "traffic", &[(&nsg_flow_key(), RECENT)]);
        }),
        case!(
            "LP-ARR-008",
            "NSG flow log never arrived",
            fl_id,
            Fail,
            |s| {
                traffic_to_ws(s, true);
                answered(s, "traffic", &[]);
            }
        ),
        case!("LP-ARR-008", "query 403", fl_id, NotAssessed, |s| {
            traffic_to_ws(s, false);
            unanswered(s, "traffic", forbidden());
        }),
        case!(
            "LP-ARR-008",
            "table on a paid plan",
            fl_id,
            NotAssessed,
            |s| {
                traffic_to_ws(s, false);
                unanswered(s, "traffic", paid());
            }
        ),
    ]
}
