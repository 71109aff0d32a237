//! Cases of the retention checks (checks/retention.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!("LP-RET-001", "90 days", ws_id, Pass, |s| sub(s)
            .workspaces =
            Read::ok(vec![workspace(90, vec![])])),
        case!("LP-RET-001", "30 days", ws_id, Fail, |s| sub(s)
            .workspaces =
            Read::ok(vec![workspace(30, vec![])])),
        case!(
            "LP-RET-001",
            "workspaces unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).workspaces = Read::failed(forbidden())
        ),
        case!(
            "LP-RET-002",
            "table total retention overrides a short workspace",
            || table_id("SecurityEvent"),
            Pass,
            |s| {
                sub(s).workspaces = Read::ok(vec![workspace(
                    30,
                    vec![table("SecurityEvent", Some(90), Some(365))],
                )]);
            }
        ),
        case!(
            "LP-RET-002",
            "table inherits a short workspace",
            || table_id("SecurityEvent"),
            Fail,
            |s| {
                sub(s).workspaces = Read::ok(vec![workspace(
                    90,
                    vec![table("SecurityEvent", None, None)],
                )]);
            }
        ),
        case!(
            "LP-RET-002",
            "table override shorter than the workspace",
            || table_id("SecurityEvent"),
            Fail,
            |s| {
                sub(s).workspaces = Read::ok(vec![workspace(
                    730,
                    vec![table("SecurityEvent", Some(30), Some(30))],
                )]);
            }
        ),
        case!(
            "LP-RET-002",
            "a table's own retention unreadable is not the long workspace's",
            || table_id("SecurityEvent"),
            NotAssessed,
            |s| {
                let mut t = table("SecurityEvent", None, None);
                t.retention_is_default = false;
                t.total_retention_is_default = false;
                sub(s).workspaces = Read::ok(vec![workspace(730, vec![t])]);
            }
        ),
        case!("LP-RET-002", "tables unreadable", ws_id, NotAssessed, |s| {
            let mut w = workspace(90, vec![]);
            w.tables = Read::failed(forbidden());
            sub(s).workspaces = Read::ok(vec![w]);
        }),
    ]
}
