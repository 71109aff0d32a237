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
    ]
}
