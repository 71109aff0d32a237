//! `arrival`: configured is not collected. For every pipeline the scan judged configured into a
//! workspace, what the workspace itself says it last received from that source (the collector's
//! pinned queries over the last 7 days, `inventory::Workspace::arrival`). Pass only with a
//! record within `max_silence_hours` of the scan's end; fail naming the last record, or saying
//! there was none in 7 days; not assessed when the workspace could not be asked (no query
//! permission, a failed or timed-out query, a table billed per query and not queried). An
//! arrival finding never changes the configuration finding beside it.
//!
//! `source` picks the pipeline: `resource` (each resource's diagnostic setting to a
//! workspace), `activity` (each subscription's activity-log export), `entra` (the tenant's
//! always-on Entra categories), `security_events` and `syslog` (each VM's data collection
//! rules), `agent` (a VM with a rule runs the Azure Monitor Agent) and `heartbeat` (that agent
//! still reports), `traffic` (each flow log's traffic analytics).

use super::{Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::{subscription_scope, EvalContext};
use crate::inventory::{id_key, last_segment, LastSeen, Read, ReadError, VirtualMachine};
use crate::model::{Finding, Status};
use crate::support::text::and_list;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use time::OffsetDateTime;

/// Entra categories written all day in any tenant, by the table they land in; event-driven
/// ones (risk, provisioning) may be silent for days without anything being wrong.
pub const ENTRA_ALWAYS_ON: [(&str, &str); 5] = [
    ("SignInLogs", "SigninLogs"),
    (
        "NonInteractiveUserSignInLogs",
        "AADNonInteractiveUserSignInLogs",
    ),
    (
        "ServicePrincipalSignInLogs",
        "AADServicePrincipalSignInLogs",
    ),
    ("AuditLogs", "AuditLogs"),
    ("MicrosoftGraphActivityLogs", "MicrosoftGraphActivityLogs"),
];

const SOURCES: [&str; 8] = [
    "resource",
    "activity",
    "entra",
    "security_events",
    "syslog",
    "agent",
    "heartbeat",
    "traffic",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub source: String,
    #[serde(default = "default_silence")]
    pub max_silence_hours: u32,
}

fn default_silence() -> u32 {
    24
}

fn prepare(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    if !SOURCES.contains(&p.source.as_str()) {
        return Err(format!(
            "params.source must be one of {}, not {:?}",
            SOURCES.join(", "),
            p.source
        ));
    }
    if p.max_silence_hours == 0 || p.max_silence_hours > 7 * 24 {
        return Err("params.max_silence_hours must be 1 to 168 (the queries read 7 days)".into());
    }
    Ok(Arc::new(p))
}

pub const KIND: RuleKind = RuleKind {
    name: "arrival",
    file: file!(),
    line: line!(),
    evidence: &["agent_name", "family", "last_seen", "max_silence_hours", "monitor_agent", "power_state", "rules", "setting", "silent", "tables", "workspace"],
    figures: &[],
    prepare,
    describes: "what each destination workspace last received from a configured source (Log Analytics query API, 7 days), and whether VMs with data collection rules run the Azure Monitor Agent",
    cost_basis: None,
};

/// What one workspace says about one source.
enum Seen<'a> {
    At(OffsetDateTime, &'a str),
    Never,
    Unknown(ReadError),
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// The newest record of `key` in `family` of the workspace `ws_id`.
fn seen<'a>(ctx: &'a EvalContext, ws_id: &str, family: &str, key: &str) -> Seen<'a> {
    seen_any(ctx, ws_id, family, &[key.to_lowercase()])
}

/// The newest record under any of `keys` (lower case): one source the service may name in
/// more than one way.
fn seen_any<'a>(ctx: &'a EvalContext, ws_id: &str, family: &str, keys: &[String]) -> Seen<'a> {
    let Some(ws) = ctx.workspace_by_id.get(&id_key(ws_id)) else {
        return Seen::Unknown(ReadError::unknown(
            ws_id,
            "logAnalytics.query",
            "WorkspaceNotInScope",
            "the destination workspace is not in the scanned scope (another subscription or tenant), so it was not asked",
        ));
    };
    let read: Option<&Read<Vec<LastSeen>>> = ws.arrival.get(family);
    let Some(read) = read else {
        return Seen::Unknown(ReadError::unknown(
            &ws.id,
            "logAnalytics.query",
            "NotQueried",
            "the workspace was not asked when it last received this data",
        ));
    };
    // Indexed only when the answer was complete.
    let Some(index) = ctx.arrival_newest.get(&(id_key(&ws.id), family)) else {
        return Seen::Unknown(read.error.clone().unwrap_or_else(|| {
            ReadError::unknown(&ws.id, "logAnalytics.query", "NotQueried", "not queried")
        }));
    };
    match keys
        .iter()
        .filter_map(|k| index.get(k.as_str()))
        .max_by_key(|(t, _)| *t)
    {
        Some((t, s)) => Seen::At(*t, s),
        None => Seen::Never,
    }
}

impl Params {
    /// A record at `t` is recent enough: at most `max_silence_hours` before the scan ended
    /// (exactly at the limit passes). No readable scan end: never fresh.
    fn fresh(&self, now: Option<OffsetDateTime>, t: OffsetDateTime) -> bool {
        now.is_some_and(|n| n - t <= time::Duration::hours(i64::from(self.max_silence_hours)))
    }

    fn judge(
        &self,
        check: &CheckDef,
        now: Option<OffsetDateTime>,
        (resource, sub): (&str, Option<&str>),
        what: &str,
        ws_id: &str,
        seen: Seen,
    ) -> Finding {
        let ws = last_segment(ws_id);
        let evidence = |last: Option<&str>| {
            json!({
                "family": self.source,
                "workspace": ws_id,
                "last_seen": last,
                "max_silence_hours": self.max_silence_hours,
            })
        };
        match seen {
            Seen::Unknown(e) => {
                let mut f = check.not_assessed(
                    resource,
                    sub,
                    &format!("when workspace {ws} last received {what}"),
                    &e,
                );
                if e.code.as_deref() == Some("PaidTableNotQueried") {
                    f.message = format!(
                        "Not assessed: {what} lands in a table on a plan billed per GB a query scans, which is not queried without --query-paid-tables."
                    );
                }
                f
            }
            Seen::Never => check.finding(
                Status::Fail,
                resource,
                sub,
                format!("{} should reach workspace {ws} (configured), but the workspace has no record from the last 7 days.", capitalised(what)),
                evidence(None),
            ),
            Seen::At(t, s) => {
                let fresh = self.fresh(now, t);
                if fresh {
                    check.finding(
                        Status::Pass,
                        resource,
                        sub,
                        format!("Workspace {ws} last received {what} at {s}."),
                        evidence(Some(s)),
                    )
                } else {
                    check.finding(
                        Status::Fail,
                        resource,
                        sub,
                        format!(
                            "{} should reach workspace {ws} (configured), but the newest record there is from {s}, more than {} hours before the scan.",
                            capitalised(what),
                            self.max_silence_hours
                        ),
                        evidence(Some(s)),
                    )
                }
            }
        }
    }

    /// One finding per workspace the diagnostic `settings` of `resource` send logs to: what
    /// the workspace last received from `source` (the `_ResourceId` its records carry).
    /// `what` names the logs, built only for a resource that sends to a workspace.
    #[allow(clippy::too_many_arguments)]
    fn settings_arrive(
        &self,
        check: &CheckDef,
        ctx: &EvalContext,
        now: Option<OffsetDateTime>,
        resource: (&str, Option<&str>),
        what: &dyn Fn() -> String,
        source: &str,
        settings: &[crate::inventory::DiagnosticSetting],
    ) -> Vec<Finding> {
        let mut done = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for s in settings {
            let Some(ws) = &s.workspace_id else { continue };
            if !s.sends_logs() || !done.insert(id_key(ws)) {
                continue;
            }
            let mut f = self.judge(
                check,
                now,
                resource,
                &what(),
                ws,
                seen(ctx, ws, "resource", source),
            );
            f.evidence.set("setting", json!(s.name));
            out.push(f);
        }
        out
    }

    /// Rules (and their workspaces) associated with `vm` that satisfy `wants`.
    fn vm_rules<'a>(
        ctx: &'a EvalContext,
        vm: &VirtualMachine,
        wants: impl Fn(&crate::inventory::DataCollectionRule) -> bool,
    ) -> Vec<&'a crate::inventory::DataCollectionRule> {
        vm.dcr_associations
            .items()
            .iter()
            .filter_map(|r| ctx.dcr_by_id.get(&id_key(r)).copied())
            .filter(|r| wants(r))
            .collect()
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A resource's name for a message: a storage service (`.../blobServices/default`) is named
/// by its account and service.
fn display_name(id: &str) -> String {
    let parts: Vec<&str> = id.trim_end_matches('/').rsplit('/').take(4).collect();
    match parts.as_slice() {
        ["default", service, account, _] => format!("{account}/{service}"),
        _ => last_segment(id),
    }
}

/// The keys traffic analytics may record a flow log's records under, lower case. VNet flow
/// logs (NTANetAnalytics `FlowLogResourceId`): documented as `rg/watcher/flowlog`; the
/// subscription-prefixed and full resource id forms are accepted too. NSG flow logs
/// (AzureNetworkAnalytics_CL `NSGList_s`): `subscription/rg/nsg` of the target.
fn traffic_keys(fl: &crate::inventory::FlowLog) -> Vec<String> {
    // `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{type}/{name}]`
    fn parts(id: &str) -> Option<(String, String, Vec<String>)> {
        let key = id_key(id);
        let segs: Vec<&str> = key.trim_matches('/').split('/').collect();
        match segs.as_slice() {
            ["subscriptions", s, "resourcegroups", rg, "providers", _ns, rest @ ..] => Some((
                s.to_string(),
                rg.to_string(),
                rest.iter()
                    .skip(1)
                    .step_by(2)
                    .map(|n| n.to_string())
                    .collect(),
            )),
            _ => None,
        }
    }
    let mut keys = vec![id_key(&fl.id)];
    if fl.targets_nsg() {
        keys.push(id_key(&fl.target_resource_id));
        if let Some((s, rg, names)) = parts(&fl.target_resource_id) {
            keys.extend(names.last().map(|nsg| format!("{s}/{rg}/{nsg}")));
        }
    } else if let Some((s, rg, names)) = parts(&fl.id) {
        if let [watcher, log] = names.as_slice() {
            keys.push(format!("{rg}/{watcher}/{log}"));
            keys.push(format!("{s}/{rg}/{watcher}/{log}"));
        }
    }
    keys
}

fn stopped(vm: &VirtualMachine) -> bool {
    vm.power_state
        .as_deref()
        .is_some_and(|p| p == "deallocated" || p == "stopped" || p == "deallocating")
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let mut out = self.judge_all(check, ctx);
        if !ctx.snapshot.inventory.arrival_collected {
            // Workspaces were not asked by choice (--no-usage) or by age (an older snapshot):
            // one not-applicable finding says the check was not run, as a disabled check is
            // listed. Agents that were read (an ARM read, made either way) are still judged.
            let pipelines = out.len();
            out.retain(|f| self.source == "agent" && f.status != Status::NotAssessed);
            if out.is_empty() && pipelines > 0 {
                out.push(check.finding(
                    Status::NotApplicable,
                    "/",
                    None,
                    format!("Not run for {pipelines} configured source(s): this scan did not ask workspaces what they received (--no-usage, or a snapshot written before logposture read it)."),
                    json!({ "family": self.source }),
                ));
            }
        }
        out
    }
}

impl Params {
    fn judge_all(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let now = parse_time(&ctx.snapshot.finished_at);
        let mut out = Vec::new();
        match self.source.as_str() {
            "entra" => {
                let settings = ctx.snapshot.inventory.entra_diagnostic_settings.items();
                let scope = crate::inventory::ENTRA_SCOPE;
                for s in settings {
                    let Some(ws) = &s.workspace_id else { continue };
                    let tables: Vec<String> = ENTRA_ALWAYS_ON
                        .iter()
                        .filter(|(cat, _)| {
                            s.logs.iter().any(|l| {
                                l.enabled
                                    && (l
                                        .category
                                        .as_deref()
                                        .is_some_and(|c| c.eq_ignore_ascii_case(cat))
                                        || l.category_group
                                            .as_deref()
                                            .is_some_and(|g| g.eq_ignore_ascii_case("allLogs")))
                            })
                        })
                        .map(|(_, t)| t.to_string())
                        .collect();
                    if tables.is_empty() {
                        continue;
                    }
                    let resource = format!("{scope}/diagnosticSettings/{}", s.name);
                    let mut silent = Vec::new();
                    let mut oldest: Option<(OffsetDateTime, String)> = None;
                    let mut unknown = None;
                    for t in &tables {
                        match seen(ctx, ws, "entra", t) {
                            Seen::Unknown(e) => unknown = Some(e),
                            Seen::Never => silent.push(format!("{t} (none in 7 days)")),
                            Seen::At(at, txt) => {
                                let fresh = self.fresh(now, at);
                                if !fresh {
                                    silent.push(format!("{t} (last {txt})"));
                                }
                                if oldest.as_ref().is_none_or(|(o, _)| at < *o) {
                                    oldest = Some((at, txt.to_string()));
                                }
                            }
                        }
                    }
                    let evidence = json!({ "family": "entra", "workspace": ws, "tables": tables, "silent": silent, "max_silence_hours": self.max_silence_hours, "last_seen": oldest.as_ref().map(|o| &o.1) });
                    let ws_name = last_segment(ws);
                    out.push(match (unknown, silent.is_empty()) {
                        (Some(e), _) => check.not_assessed(&resource, None, &format!("when workspace {ws_name} last received Entra ID logs"), &e),
                        (None, true) => check.finding(Status::Pass, &resource, None, format!("Workspace {ws_name} received {} within {} hours of the scan.", and_list(&tables), self.max_silence_hours), evidence),
                        (None, false) => check.finding(Status::Fail, &resource, None, format!("Entra ID setting {} sends to workspace {ws_name}, which has no recent record of: {}.", s.name, and_list(&silent)), evidence),
                    });
                }
            }
            source => {
                for sub in ctx.subscriptions() {
                    if !sub.scanned {
                        continue;
                    }
                    let sid = Some(sub.subscription.id.as_str());
                    match source {
                        "activity" => {
                            // The finding is the export (its setting), not the subscription.
                            for s in sub.activity_log_settings.items() {
                                let Some(ws) = &s.workspace_id else { continue };
                                if !s.sends_logs() {
                                    continue;
                                }
                                let scope = if s.id.starts_with("/subscriptions/") {
                                    s.id.clone()
                                } else {
                                    format!(
                                        "{}/providers/microsoft.insights/diagnosticSettings/{}",
                                        subscription_scope(sub),
                                        s.name
                                    )
                                };
                                out.push(self.judge(
                                    check,
                                    now,
                                    (&scope, sid),
                                    "the activity log",
                                    ws,
                                    seen(ctx, ws, "activity", &sub.subscription.id),
                                ));
                            }
                        }
                        "traffic" => {
                            for fl in sub.flow_logs.items() {
                                let Some(ws) = fl.traffic_analytics_workspace() else {
                                    continue;
                                };
                                let what = format!(
                                    "traffic analytics flow records of flow log {}",
                                    fl.name
                                );
                                let mut f = self.judge(
                                    check,
                                    now,
                                    (&fl.id, sid),
                                    &what,
                                    ws,
                                    seen_any(ctx, ws, "traffic", &traffic_keys(fl)),
                                );
                                if f.status == Status::Fail {
                                    f.message.push_str(" Records appear only when traffic crosses the target: a network nothing used in that time is silent too.");
                                }
                                out.push(f);
                            }
                        }
                        "resource" => {
                            for rd in &sub.resource_diagnostics {
                                let what = || {
                                    format!(
                                        "the resource logs of {}",
                                        display_name(&rd.resource_id)
                                    )
                                };
                                out.extend(self.settings_arrive(
                                    check,
                                    ctx,
                                    now,
                                    (&rd.resource_id, sid),
                                    &what,
                                    &rd.resource_id,
                                    rd.settings.items(),
                                ));
                            }
                            // SQL auditing to a workspace: the records come from the master database.
                            for server in sub.sql_servers.items() {
                                let what =
                                    || format!("the audit records of SQL server {}", server.name);
                                out.extend(self.settings_arrive(
                                    check,
                                    ctx,
                                    now,
                                    (&server.id, sid),
                                    &what,
                                    &format!("{}/databases/master", server.id),
                                    server.master_diagnostic_settings.items(),
                                ));
                            }
                        }
                        _ => {
                            for vm in sub.virtual_machines.items() {
                                out.extend(self.vm(check, ctx, now, vm, sid));
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

impl Params {
    fn vm(
        &self,
        check: &CheckDef,
        ctx: &EvalContext,
        now: Option<OffsetDateTime>,
        vm: &VirtualMachine,
        sid: Option<&str>,
    ) -> Vec<Finding> {
        let any = |_: &crate::inventory::DataCollectionRule| true;
        let rules = Self::vm_rules(ctx, vm, any);
        if rules.is_empty() {
            return Vec::new();
        }
        let rule_names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
        let agent_name = if vm.is_windows() {
            "AzureMonitorWindowsAgent"
        } else {
            "AzureMonitorLinuxAgent"
        };
        let evidence = json!({ "rules": rule_names, "monitor_agent": vm.monitor_agent.value, "power_state": vm.power_state, "agent_name": agent_name });
        let agent = match (&vm.monitor_agent.value, &vm.monitor_agent.error) {
            (Some(a), None) => Ok(a.clone()),
            (_, Some(e)) => Err(e.clone()),
            (None, None) => Err(ReadError::unknown(
                &vm.id,
                "virtualMachines.extensions.list",
                "NotCollected",
                "the VM's extensions were not read",
            )),
        };
        match self.source.as_str() {
            "agent" => vec![match agent {
                Err(e) => check.not_assessed(&vm.id, sid, &format!("whether {} runs the Azure Monitor Agent", vm.name), &e),
                Ok(None) => check.finding(Status::Fail, &vm.id, sid, format!("VM {} has data collection rule(s) {} but no Azure Monitor Agent: its rules collect nothing.", vm.name, and_list(&rule_names)), evidence),
                Ok(Some(state)) if state.eq_ignore_ascii_case("Succeeded") => check.finding(Status::Pass, &vm.id, sid, format!("VM {} runs the Azure Monitor Agent for {}.", vm.name, and_list(&rule_names)), evidence),
                Ok(Some(state)) => check.finding(Status::Fail, &vm.id, sid, format!("VM {}'s Azure Monitor Agent is in provisioning state {state}: its rules may collect nothing.", vm.name), evidence),
            }],
            family @ ("security_events" | "syslog" | "heartbeat") => {
                let wanted: Vec<&crate::inventory::DataCollectionRule> = match family {
                    "security_events" if vm.is_windows() => rules.into_iter().filter(|r| !r.security_event_xpaths.is_empty()).collect(),
                    "syslog" if !vm.is_windows() => rules
                        .into_iter()
                        .filter(|r| r.syslog.iter().any(|s| s.feeds_syslog() && s.facilities.iter().any(|f| f == "*" || f.eq_ignore_ascii_case("auth") || f.eq_ignore_ascii_case("authpriv"))))
                        .collect(),
                    "heartbeat" if matches!(agent, Ok(Some(_))) => rules,
                    _ => Vec::new(),
                };
                let workspaces: std::collections::BTreeSet<String> = wanted.iter().flat_map(|r| r.workspace_destinations.iter().cloned()).collect();
                let Some(ws) = workspaces.iter().next() else {
                    return Vec::new();
                };
                if stopped(vm) {
                    return vec![check.finding(Status::NotApplicable, &vm.id, sid, format!("VM {} is {}: it sends nothing while it is off.", vm.name, vm.power_state.as_deref().unwrap_or("off")), evidence)];
                }
                let what = match family {
                    "security_events" => format!("security events from {}", vm.name),
                    "syslog" => format!("auth and authpriv Syslog from {}", vm.name),
                    _ => format!("the Azure Monitor Agent heartbeat of {}", vm.name),
                };
                // The newest record across the rules' workspaces.
                let mut best = seen(ctx, ws, family, &vm.id);
                for other in workspaces.iter().skip(1) {
                    best = match (best, seen(ctx, other, family, &vm.id)) {
                        (Seen::At(a, s), Seen::At(b, t)) => if b > a { Seen::At(b, t) } else { Seen::At(a, s) },
                        (Seen::At(a, s), _) | (_, Seen::At(a, s)) => Seen::At(a, s),
                        (Seen::Unknown(e), _) | (_, Seen::Unknown(e)) => Seen::Unknown(e),
                        _ => Seen::Never,
                    };
                }
                let mut f = self.judge(check, now, (&vm.id, sid), &what, ws, best);
                if vm.power_state.is_none() && f.status == Status::Fail {
                    f.message.push_str(" Its power state was not read: a VM that was off would explain it.");
                }
                vec![f]
            }
            _ => Vec::new(),
        }
    }
}
