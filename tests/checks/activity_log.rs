//! Cases of the activity-log checks (checks/activity-log.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "LP-ACT-001",
            "union of two settings covers the four categories",
            sub_scope,
            Pass,
            |s| {
                sub(s).activity_log_settings = Read::ok(vec![
                    to_ws("a", vec![log("Administrative"), log("Security")]),
                    to_storage("b", vec![log("Policy"), log("Alert")]),
                ]);
            }
        ),
        case!(
            "LP-ACT-001",
            "Policy and Alert missing",
            sub_scope,
            Fail,
            |s| {
                sub(s).activity_log_settings = Read::ok(vec![to_ws(
                    "a",
                    vec![log("Administrative"), log("Security")],
                )]);
            }
        ),
        case!("LP-ACT-001", "no setting at all", sub_scope, Fail, |_| {}),
        case!(
            "LP-ACT-001",
            "event hub only passes, as CIS 5.0 6.1.1.1 accepts any destination",
            sub_scope,
            Pass,
            |s| {
                let eh = DiagnosticSetting {
                    name: "eh".into(),
                    event_hub_authorization_rule_id: Some(
                        "/x/namespaces/n/authorizationrules/r".into(),
                    ),
                    logs: vec![
                        log("Administrative"),
                        log("Security"),
                        log("Policy"),
                        log("Alert"),
                    ],
                    ..Default::default()
                };
                sub(s).activity_log_settings = Read::ok(vec![eh]);
            }
        ),
        case!(
            "LP-ACT-001",
            "a partner solution only passes too",
            sub_scope,
            Pass,
            |s| {
                let partner = DiagnosticSetting {
                    name: "partner".into(),
                    marketplace_partner_id: Some("/x/providers/Datadog.Monitor/monitors/m".into()),
                    logs: vec![
                        log("Administrative"),
                        log("Security"),
                        log("Policy"),
                        log("Alert"),
                    ],
                    ..Default::default()
                };
                sub(s).activity_log_settings = Read::ok(vec![partner]);
            }
        ),
        case!(
            "LP-ACT-001",
            "settings unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).activity_log_settings = Read::failed(forbidden())
        ),
        case!(
            "LP-ACT-001",
            "disabled subscription",
            sub_scope,
            NotApplicable,
            |s| {
                sub(s).scanned = false;
                sub(s).subscription.state = "Disabled".into();
            }
        ),
        // LP-ACT-002: a lock on the subscription (or the setting) protects the export.
        case!(
            "LP-ACT-002",
            "a CanNotDelete lock on the subscription",
            sub_scope,
            Pass,
            |s| with_locks(s, &[(&sub_scope(), "CanNotDelete")])
        ),
        case!(
            "LP-ACT-002",
            "a ReadOnly lock on the setting itself, id in other case",
            sub_scope,
            Pass,
            |s| {
                let setting = format!(
                    "{}/PROVIDERS/microsoft.insights/diagnosticSettings/a",
                    sub_scope()
                );
                with_locks(s, &[(&setting, "ReadOnly")]);
                sub(s).activity_log_settings.value.as_mut().unwrap()[0].id = setting.to_lowercase();
            }
        ),
        case!(
            "LP-ACT-002",
            "locks are used, on a resource group only",
            sub_scope,
            Fail,
            |s| with_locks(
                s,
                &[(
                    &format!("{}/resourceGroups/rg", sub_scope()),
                    "CanNotDelete"
                )]
            )
        ),
        case!(
            "LP-ACT-002",
            "a lock on the subscription that does not block deletion",
            sub_scope,
            Fail,
            |s| with_locks(s, &[(&sub_scope(), "Advisory")])
        ),
        case!(
            "LP-ACT-002",
            "no lock anywhere in the subscription: locks are not used here",
            sub_scope,
            NotApplicable,
            |s| with_locks(s, &[])
        ),
        case!(
            "LP-ACT-002",
            "no activity-log export to protect",
            sub_scope,
            NotApplicable,
            |s| sub(s).activity_log_settings = Read::ok(vec![])
        ),
        case!(
            "LP-ACT-002",
            "locks unreadable",
            sub_scope,
            NotAssessed,
            |s| {
                with_locks(s, &[]);
                sub(s).management_locks = Read::failed(forbidden());
            }
        ),
        case!(
            "LP-ACT-002",
            "the subscription lock's level is NotSpecified",
            sub_scope,
            NotAssessed,
            |s| with_locks(s, &[(&sub_scope(), "NotSpecified")])
        ),
        case!(
            "LP-ACT-002",
            "a resource-group lock read, another lock unreadable",
            sub_scope,
            NotAssessed,
            |s| {
                with_locks(
                    s,
                    &[(
                        &format!("{}/resourceGroups/rg", sub_scope()),
                        "CanNotDelete",
                    )],
                );
                sub(s).management_locks.error = Some(forbidden());
            }
        ),
        case!(
            "LP-ACT-002",
            "the subscription lock read though another lock was unreadable",
            sub_scope,
            Pass,
            |s| {
                with_locks(s, &[(&sub_scope(), "CanNotDelete")]);
                sub(s).management_locks.error = Some(forbidden());
            }
        ),
        case!(
            "LP-ACT-002",
            "activity-log settings unreadable",
            sub_scope,
            NotAssessed,
            |s| {
                with_locks(s, &[(&sub_scope(), "CanNotDelete")]);
                sub(s).activity_log_settings = Read::failed(forbidden());
            }
        ),
    ]
}

/// An activity-log export to a workspace and the given locks (applied-to id, level).
fn with_locks(s: &mut Snapshot, locks: &[(&str, &str)]) {
    sub(s).activity_log_settings = Read::ok(vec![to_ws("a", vec![log("Administrative")])]);
    sub(s).management_locks = Read::ok(
        locks
            .iter()
            .enumerate()
            .map(|(i, (scope, level))| ManagementLock {
                id: format!("{scope}/providers/Microsoft.Authorization/locks/l{i}"),
                name: format!("l{i}"),
                level: Some(level.to_string()),
            })
            .collect(),
    );
}
