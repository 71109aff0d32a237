//! Cases of the resource-logs checks (checks/resource-logs.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "LP-RES-001",
            "allLogs covers every category",
            || rid("Microsoft.EventHub/namespaces/evh"),
            Pass,
            |s| {
                with_resource_diag(
                    s,
                    &rid("Microsoft.EventHub/namespaces/evh"),
                    "Microsoft.EventHub/namespaces",
                    Read::ok(vec![to_ws("d", vec![group("allLogs")])]),
                );
            }
        ),
        case!(
            "LP-RES-001",
            "audit group is not all categories",
            || rid("Microsoft.EventHub/namespaces/evh"),
            Fail,
            |s| {
                with_resource_diag(
                    s,
                    &rid("Microsoft.EventHub/namespaces/evh"),
                    "Microsoft.EventHub/namespaces",
                    Read::ok(vec![to_ws("d", vec![group("audit")])]),
                );
            }
        ),
        case!(
            "LP-RES-001",
            "settings unreadable",
            || rid("Microsoft.EventHub/namespaces/evh"),
            NotAssessed,
            |s| {
                with_resource_diag(
                    s,
                    &rid("Microsoft.EventHub/namespaces/evh"),
                    "Microsoft.EventHub/namespaces",
                    Read::failed(forbidden()),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "audit group covers AuditEvent",
            kv_id,
            Pass,
            |s| {
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![to_ws("d", vec![group("audit")])]),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "explicit AuditEvent category",
            kv_id,
            Pass,
            |s| {
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![to_ws("d", vec![log("AuditEvent")])]),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "setting without destination exports nothing",
            kv_id,
            Fail,
            |s| {
                let no_dest = DiagnosticSetting {
                    name: "nowhere".into(),
                    logs: vec![group("allLogs")],
                    ..Default::default()
                };
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![no_dest]),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "disabled category does not count",
            kv_id,
            Fail,
            |s| {
                let off = LogSetting {
                    category: Some("AuditEvent".into()),
                    category_group: None,
                    enabled: false,
                };
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![to_ws("d", vec![off])]),
                );
            }
        ),
        case!(
            "LP-RES-002",
            "category support unknown",
            kv_id,
            NotAssessed,
            |s| {
                with_resource_diag(s, &kv_id(), "Microsoft.KeyVault/vaults", Read::ok(vec![]));
                s.inventory.diagnostic_categories.insert(
                    "microsoft.keyvault/vaults".into(),
                    Read::failed(forbidden()),
                );
            }
        ),
        case!("LP-RES-003", "workspace audit exported", ws_id, Pass, |s| {
            with_resource_diag(
                s,
                &ws_id(),
                "Microsoft.OperationalInsights/workspaces",
                Read::ok(vec![to_ws("d", vec![log("Audit")])]),
            );
        }),
        case!(
            "LP-RES-003",
            "workspace without setting",
            ws_id,
            Fail,
            |s| {
                with_resource_diag(
                    s,
                    &ws_id(),
                    "Microsoft.OperationalInsights/workspaces",
                    Read::ok(vec![]),
                );
            }
        ),
        case!(
            "LP-RES-003",
            "workspace settings unreadable",
            ws_id,
            NotAssessed,
            |s| {
                with_resource_diag(
                    s,
                    &ws_id(),
                    "Microsoft.OperationalInsights/workspaces",
                    Read::failed(forbidden()),
                );
            }
        ),
        case!("LP-RES-004", "Key Vault with allLogs", kv_id, Pass, |s| {
            with_resource_diag(
                s,
                &kv_id(),
                "Microsoft.KeyVault/vaults",
                Read::ok(vec![to_ws("d", vec![group("allLogs")])]),
            );
        }),
        case!(
            "LP-RES-004",
            "Key Vault with only audit fails the all-categories check",
            kv_id,
            Fail,
            |s| {
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::ok(vec![to_ws("d", vec![group("audit")])]),
                );
            }
        ),
        case!(
            "LP-RES-004",
            "Key Vault settings unreadable",
            kv_id,
            NotAssessed,
            |s| {
                with_resource_diag(
                    s,
                    &kv_id(),
                    "Microsoft.KeyVault/vaults",
                    Read::failed(forbidden()),
                );
            }
        ),
    ]
}
