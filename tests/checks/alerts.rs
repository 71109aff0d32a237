//! Cases of the activity-log alert checks (checks/alerts.toml): one kind, twelve operations,
//! and what makes an alert not count.

use super::*;

pub fn cases() -> Vec<Case> {
    let mut v = Vec::new();
    // alerts: one kind, twelve operations.
    for (id, op) in ALERTS {
        v.push(Case {
            check: id,
            name: "alert on the operation",
            setup: ALERT_SETUPS[op_index(op)],
            resource: sub_scope,
            expect: Status::Pass,
        });
        v.push(Case {
            check: id,
            name: "no alert",
            setup: |_| {},
            resource: sub_scope,
            expect: Status::Fail,
        });
        v.push(Case {
            check: id,
            name: "alerts unreadable",
            setup: |s| sub(s).activity_log_alerts = Read::failed(forbidden()),
            resource: sub_scope,
            expect: Status::NotAssessed,
        });
    }
    // CIS 5.0 6.1.2.x audit procedure: what makes an alert not count.
    let alert_case = |name: &'static str, expect: Status, setup: fn(&mut Snapshot)| Case {
        check: "LP-ALERT-003",
        name,
        setup,
        resource: sub_scope,
        expect,
    };
    v.push(alert_case(
        "action group without receivers",
        Status::Fail,
        |s| {
            sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[2].1, true)]);
            sub(s).action_groups = Read::ok(vec![action_group("ops", true, 0)]);
        },
    ));
    v.push(alert_case("action group disabled", Status::Fail, |s| {
        sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[2].1, true)]);
        sub(s).action_groups = Read::ok(vec![action_group("ops", false, 3)]);
    }));
    v.push(alert_case("action group deleted", Status::Fail, |s| {
        sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[2].1, true)]);
        sub(s).action_groups = Read::ok(vec![]);
    }));
    v.push(alert_case("no action group at all", Status::Fail, |s| {
        let mut a = alert(ALERTS[2].1, true);
        a.action_groups.clear();
        sub(s).activity_log_alerts = Read::ok(vec![a]);
    }));
    v.push(alert_case("filters on level", Status::Fail, |s| {
        let mut a = alert(ALERTS[2].1, true);
        a.conditions.push(AlertCondition {
            field: "level".into(),
            equals: "Critical".into(),
        });
        sub(s).activity_log_alerts = Read::ok(vec![a]);
    }));
    v.push(alert_case("filters on caller", Status::Fail, |s| {
        let mut a = alert(ALERTS[2].1, true);
        a.conditions.push(AlertCondition {
            field: "caller".into(),
            equals: "admin@contoso.example".into(),
        });
        sub(s).activity_log_alerts = Read::ok(vec![a]);
    }));
    v.push(alert_case(
        "action groups unreadable",
        Status::NotAssessed,
        |s| {
            sub(s).activity_log_alerts = Read::ok(vec![alert(ALERTS[2].1, true)]);
            sub(s).action_groups = Read::failed(forbidden());
        },
    ));
    v.push(alert_case("action group in an unscanned subscription", Status::NotAssessed, |s| {
        let mut a = alert(ALERTS[2].1, true);
        a.action_groups = vec!["/subscriptions/99999999-0000-4000-8000-000000000000/resourceGroups/rg/providers/microsoft.insights/actionGroups/central".into()];
        sub(s).activity_log_alerts = Read::ok(vec![a]);
    }));
    // Service Health (CIS 5.0 6.1.2.11): an alert on the category, not an operation.
    v.push(Case {
        check: "LP-ALERT-013",
        name: "service health alert",
        setup: |s| sub(s).activity_log_alerts = Read::ok(vec![service_health(&[])]),
        resource: sub_scope,
        expect: Status::Pass,
    });
    v.push(Case {
        check: "LP-ALERT-013",
        name: "a service health alert on incidents only misses maintenance and advisories",
        setup: |s| {
            sub(s).activity_log_alerts = Read::ok(vec![service_health(&[(
                "properties.incidentType",
                "Incident",
            )])])
        },
        resource: sub_scope,
        expect: Status::Fail,
    });
    v.push(Case {
        check: "LP-ALERT-013",
        name: "a service health alert listing every event type counts",
        setup: |s| {
            let every = [
                "Incident",
                "Maintenance",
                "Informational",
                "ActionRequired",
                "Security",
            ]
            .map(|t| ("properties.incidentType", t));
            sub(s).activity_log_alerts = Read::ok(vec![service_health(&every)])
        },
        resource: sub_scope,
        expect: Status::Pass,
    });
    v.push(Case {
        check: "LP-ALERT-013",
        name: "a service health alert on one region misses the others",
        setup: |s| {
            sub(s).activity_log_alerts = Read::ok(vec![service_health(&[(
                "properties.impactedServices[*].ImpactedRegions[*].RegionName",
                "West Europe",
            )])])
        },
        resource: sub_scope,
        expect: Status::Fail,
    });
    v.push(Case {
        check: "LP-ALERT-013",
        name: "an administrative alert is not a service health alert",
        setup: ALERT_SETUPS[0],
        resource: sub_scope,
        expect: Status::Fail,
    });
    v.push(Case {
        check: "LP-ALERT-013",
        name: "alerts unreadable",
        setup: |s| sub(s).activity_log_alerts = Read::failed(forbidden()),
        resource: sub_scope,
        expect: Status::NotAssessed,
    });
    v
}

/// An enabled alert on the ServiceHealth category, with `more` conditions (field, equals).
fn service_health(more: &[(&str, &str)]) -> ActivityLogAlert {
    let mut a = alert("", true);
    a.conditions = std::iter::once(("category", "ServiceHealth"))
        .chain(more.iter().copied())
        .map(|(field, equals)| AlertCondition {
            field: field.into(),
            equals: equals.into(),
        })
        .collect();
    a
}
