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
    ]
}
