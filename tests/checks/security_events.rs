//! Cases of the security-events checks (checks/security-events.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!("LP-SEC-001", "Security!* is All", vm_id, Pass, |s| {
            sub(s).virtual_machines = Read::ok(vec![windows_vm(Read::ok(vec![dcr_id()]))]);
            sub(s).data_collection_rules = Read::ok(vec![dcr(&["Security!*"])]);
        }),
        case!(
            "LP-SEC-001",
            "a handful of event ids is custom, below Common",
            vm_id,
            Fail,
            |s| {
                let q = format!(
                    "Security!*[System[({})]]",
                    CMN.iter()
                        .map(|i| format!("EventID={i}"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                );
                sub(s).virtual_machines = Read::ok(vec![windows_vm(Read::ok(vec![dcr_id()]))]);
                sub(s).data_collection_rules = Read::ok(vec![DataCollectionRule {
                    security_event_xpaths: vec![q],
                    ..dcr(&[])
                }]);
            }
        ),
        case!("LP-SEC-001", "no rule associated", vm_id, Fail, |s| sub(
            s
        )
        .virtual_machines =
            Read::ok(vec![windows_vm(Read::ok(vec![]))])),
        case!(
            "LP-SEC-001",
            "legacy workspace tier Recommended counts",
            vm_id,
            Pass,
            |s| {
                sub(s).virtual_machines = Read::ok(vec![windows_vm(Read::ok(vec![]))]);
                let mut w = workspace(90, vec![]);
                w.security_event_tier = Read::ok(LegacySecurityEvents::tier("Recommended"));
                sub(s).workspaces = Read::ok(vec![w]);
            }
        ),
        case!(
            "LP-SEC-001",
            "associations unreadable",
            vm_id,
            NotAssessed,
            |s| sub(s).virtual_machines = Read::ok(vec![windows_vm(Read::failed(forbidden()))])
        ),
        case!("LP-SEC-002", "legacy tier All", ws_id, Pass, |s| {
            let mut w = workspace(90, vec![]);
            w.security_event_tier = Read::ok(LegacySecurityEvents::tier("All"));
            sub(s).workspaces = Read::ok(vec![w]);
        }),
        case!(
            "LP-SEC-002",
            "legacy tier Minimal fails",
            ws_id,
            Fail,
            |s| {
                let mut w = workspace(90, vec![]);
                w.security_event_tier = Read::ok(LegacySecurityEvents::tier("Minimal"));
                sub(s).workspaces = Read::ok(vec![w]);
            }
        ),
        case!(
            "LP-SEC-002",
            "data source unreadable",
            ws_id,
            NotAssessed,
            |s| {
                let mut w = workspace(90, vec![]);
                w.security_event_tier = Read::failed(forbidden());
                sub(s).workspaces = Read::ok(vec![w]);
            }
        ),
        case!(
            "LP-SEC-003",
            "auth and authpriv at Info and above to a workspace",
            vm_id,
            Pass,
            |s| linux_with(s, &["auth", "authpriv"], &LEVELS_FROM_INFO, true)
        ),
        case!(
            "LP-SEC-003",
            "every facility at every level (*)",
            vm_id,
            Pass,
            |s| linux_with(s, &["*"], &["*"], true)
        ),
        case!("LP-SEC-003", "authpriv missing", vm_id, Fail, |s| {
            linux_with(s, &["auth", "cron"], &LEVELS_FROM_INFO, true)
        }),
        case!(
            "LP-SEC-003",
            "from Notice only: Info logons are lost",
            vm_id,
            Fail,
            |s| linux_with(s, &["auth", "authpriv"], &LEVELS_FROM_INFO[..6], true)
        ),
        case!(
            "LP-SEC-003",
            "the rule sends to no workspace",
            vm_id,
            Fail,
            |s| linux_with(s, &["auth", "authpriv"], &LEVELS_FROM_INFO, false)
        ),
        case!(
            "LP-SEC-003",
            "a CEF forwarder: auth to CommonSecurityLog keeps CEF messages only",
            vm_id,
            Fail,
            |s| linux_streaming(
                s,
                &["auth", "authpriv"],
                &LEVELS_FROM_INFO,
                true,
                "Microsoft-CommonSecurityLog"
            )
        ),
        case!("LP-SEC-003", "no rule associated", vm_id, Fail, |s| {
            sub(s).virtual_machines = Read::ok(vec![VirtualMachine {
                os_type: Some("Linux".into()),
                ..windows_vm(Read::ok(vec![]))
            }])
        }),
        case!(
            "LP-SEC-003",
            "associations unreadable",
            vm_id,
            NotAssessed,
            |s| {
                sub(s).virtual_machines = Read::ok(vec![VirtualMachine {
                    os_type: Some("Linux".into()),
                    ..windows_vm(Read::failed(forbidden()))
                }])
            }
        ),
    ]
}

const LEVELS_FROM_INFO: [&str; 7] = [
    "Emergency",
    "Alert",
    "Critical",
    "Error",
    "Warning",
    "Notice",
    "Info",
];

/// A Linux VM associated with one rule collecting `facilities` at `levels`, sending to the
/// workspace when `to_workspace`.
fn linux_with(s: &mut Snapshot, facilities: &[&str], levels: &[&str], to_workspace: bool) {
    linux_streaming(s, facilities, levels, to_workspace, "Microsoft-Syslog");
}

/// As [`linux_with`], the source feeding `stream`.
fn linux_streaming(
    s: &mut Snapshot,
    facilities: &[&str],
    levels: &[&str],
    to_workspace: bool,
    stream: &str,
) {
    sub(s).virtual_machines = Read::ok(vec![VirtualMachine {
        os_type: Some("Linux".into()),
        ..windows_vm(Read::ok(vec![dcr_id()]))
    }]);
    sub(s).data_collection_rules = Read::ok(vec![DataCollectionRule {
        syslog: vec![SyslogSource {
            facilities: facilities.iter().map(|f| f.to_string()).collect(),
            levels: levels.iter().map(|l| l.to_string()).collect(),
            streams: vec![stream.into()],
        }],
        streams: vec![stream.into()],
        workspace_destinations: if to_workspace { vec![ws_id()] } else { vec![] },
        ..dcr(&[])
    }]);
}
