//! Cases of the defender checks (checks/defender.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "LP-DEF-001",
            "servers on",
            || pricing("VirtualMachines"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![plan("VirtualMachines", "Standard")])
        ),
        case!(
            "LP-DEF-001",
            "servers off",
            || pricing("VirtualMachines"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![plan("VirtualMachines", "Free")])
        ),
        case!(
            "LP-DEF-001",
            "pricings unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).defender_plans = Read::failed(forbidden())
        ),
        case!(
            "LP-DEF-002",
            "Key Vault plan on",
            || pricing("KeyVaults"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![plan("KeyVaults", "Standard")])
        ),
        case!(
            "LP-DEF-002",
            "Key Vault plan off",
            || pricing("KeyVaults"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![plan("KeyVaults", "Free")])
        ),
        case!(
            "LP-DEF-002",
            "pricings unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).defender_plans = Read::failed(forbidden())
        ),
        case!(
            "LP-DEF-003",
            "servers on Plan 2",
            || pricing("VirtualMachines"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![sub_plan("VirtualMachines", "P2")])
        ),
        case!(
            "LP-DEF-003",
            "servers on Plan 1",
            || pricing("VirtualMachines"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![sub_plan("VirtualMachines", "P1")])
        ),
        case!(
            "LP-DEF-003",
            "sub-plan not reported",
            || pricing("VirtualMachines"),
            NotAssessed,
            |s| sub(s).defender_plans = Read::ok(vec![plan("VirtualMachines", "Standard")])
        ),
        case!(
            "LP-DEF-005",
            "file integrity monitoring on",
            || pricing("VirtualMachines"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![with_fim(Some(Some(true)))])
        ),
        case!(
            "LP-DEF-005",
            "file integrity monitoring off (\"False\")",
            || pricing("VirtualMachines"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![with_fim(Some(Some(false)))])
        ),
        case!(
            "LP-DEF-005",
            "file integrity monitoring not among the components",
            || pricing("VirtualMachines"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![with_fim(None)])
        ),
        case!(
            "LP-DEF-005",
            "its state unreadable",
            || pricing("VirtualMachines"),
            NotAssessed,
            |s| sub(s).defender_plans = Read::ok(vec![with_fim(Some(None))])
        ),
        case!(
            "LP-DEF-005",
            "components not listed",
            || pricing("VirtualMachines"),
            NotAssessed,
            |s| sub(s).defender_plans = Read::ok(vec![sub_plan("VirtualMachines", "P2")])
        ),
        case!(
            "LP-DEF-005",
            "servers plan off",
            || pricing("VirtualMachines"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![plan("VirtualMachines", "Free")])
        ),
        case!(
            "LP-DEF-006",
            "alerts of every severity exported to a workspace",
            sub_scope,
            Pass,
            |s| sub(s).security_automations = Read::ok(vec![export(Some(true), None, "Workspace")])
        ),
        case!(
            "LP-DEF-006",
            "High and Medium alerts to an event hub",
            sub_scope,
            Pass,
            |s| {
                sub(s).security_automations = Read::ok(vec![export(
                    Some(true),
                    Some(&["High", "Medium"]),
                    "EventHub",
                )])
            }
        ),
        case!(
            "LP-DEF-006",
            "High alerts only: Medium ones are lost",
            sub_scope,
            Fail,
            |s| {
                sub(s).security_automations =
                    Read::ok(vec![export(Some(true), Some(&["High"]), "Workspace")])
            }
        ),
        case!(
            "LP-DEF-006",
            "a Logic App is a workflow, not a log destination",
            sub_scope,
            Fail,
            |s| sub(s).security_automations = Read::ok(vec![export(Some(true), None, "LogicApp")])
        ),
        case!(
            "LP-DEF-006",
            "the export is disabled",
            sub_scope,
            Fail,
            |s| sub(s).security_automations =
                Read::ok(vec![export(Some(false), None, "Workspace")])
        ),
        case!(
            "LP-DEF-006",
            "no automation at all",
            sub_scope,
            Fail,
            |_| {}
        ),
        case!(
            "LP-DEF-006",
            "whether it is enabled unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).security_automations = Read::ok(vec![export(None, None, "Workspace")])
        ),
        case!(
            "LP-DEF-006",
            "automations unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).security_automations = Read::failed(forbidden())
        ),
        case!("LP-DEF-007", "owners notified", sub_scope, Pass, |s| sub(
            s
        )
        .security_contacts =
            Read::ok(vec![contact()])),
        case!(
            "LP-DEF-007",
            "role notifications off",
            sub_scope,
            Fail,
            |s| {
                sub(s).security_contacts = Read::ok(vec![SecurityContact {
                    roles_state: Some("Off".into()),
                    ..contact()
                }])
            }
        ),
        case!(
            "LP-DEF-007",
            "role state not reported",
            sub_scope,
            NotAssessed,
            |s| {
                sub(s).security_contacts = Read::ok(vec![SecurityContact {
                    roles_state: None,
                    ..contact()
                }])
            }
        ),
        case!(
            "LP-DEF-008",
            "a security team address",
            sub_scope,
            Pass,
            |s| sub(s).security_contacts = Read::ok(vec![contact()])
        ),
        case!(
            "LP-DEF-008",
            "no additional address",
            sub_scope,
            Fail,
            |s| {
                sub(s).security_contacts = Read::ok(vec![SecurityContact {
                    emails: vec![],
                    ..contact()
                }])
            }
        ),
        case!("LP-DEF-008", "no contact at all", sub_scope, Fail, |_| {}),
        case!(
            "LP-DEF-008",
            "contacts unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).security_contacts = Read::failed(forbidden())
        ),
        case!(
            "LP-DEF-009",
            "alert e-mails from High",
            sub_scope,
            Pass,
            |s| sub(s).security_contacts = Read::ok(vec![contact()])
        ),
        case!(
            "LP-DEF-009",
            "the contact is disabled",
            sub_scope,
            Fail,
            |s| {
                sub(s).security_contacts = Read::ok(vec![SecurityContact {
                    enabled: Some(false),
                    ..contact()
                }])
            }
        ),
        case!(
            "LP-DEF-009",
            "whether the contact is enabled unreadable",
            sub_scope,
            NotAssessed,
            |s| {
                sub(s).security_contacts = Read::ok(vec![SecurityContact {
                    enabled: None,
                    ..contact()
                }])
            }
        ),
        case!(
            "LP-DEF-010",
            "no attack-path notifications",
            sub_scope,
            Fail,
            |s| sub(s).security_contacts = Read::ok(vec![contact()])
        ),
        case!(
            "LP-DEF-010",
            "attack paths from Critical",
            sub_scope,
            Pass,
            |s| {
                sub(s).security_contacts = Read::ok(vec![SecurityContact {
                    attack_path_minimal_risk: Some("Critical".into()),
                    ..contact()
                }])
            }
        ),
        case!(
            "LP-DEF-010",
            "contacts unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).security_contacts = Read::failed(forbidden())
        ),
        case!(
            "LP-DEF-004",
            "CSPM on",
            || pricing("CloudPosture"),
            Pass,
            |s| sub(s).defender_plans = Read::ok(vec![plan("CloudPosture", "Standard")])
        ),
        case!(
            "LP-DEF-004",
            "Cosmos DB plan off",
            || pricing("CosmosDbs"),
            Fail,
            |s| sub(s).defender_plans = Read::ok(vec![plan("CosmosDbs", "Free")])
        ),
        case!(
            "LP-DEF-004",
            "pricings unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).defender_plans = Read::failed(forbidden())
        ),
    ]
}

/// Defender for Servers Plan 2 with agentless scanning on and file integrity monitoring
/// listed as given (None: not among the components; Some(None): its state unreadable).
fn with_fim(fim: Option<Option<bool>>) -> DefenderPlan {
    let mut extensions = vec![PlanExtension {
        name: "AgentlessVmScanning".into(),
        enabled: Some(true),
    }];
    if let Some(enabled) = fim {
        extensions.push(PlanExtension {
            name: "FileIntegrityMonitoring".into(),
            enabled,
        });
    }
    DefenderPlan {
        extensions: Some(extensions),
        ..sub_plan("VirtualMachines", "P2")
    }
}

/// A continuous export of alerts (`severities` None: every severity) by one action type.
fn export(enabled: Option<bool>, severities: Option<&[&str]>, action: &str) -> SecurityAutomation {
    SecurityAutomation {
        id: rid("microsoft.security/automations/export"),
        name: "export".into(),
        enabled,
        sources: vec![AutomationSource {
            event_source: "Alerts".into(),
            severities: severities.map(|v| v.iter().map(|s| s.to_string()).collect()),
        }],
        action_types: vec![action.into()],
    }
}

/// An enabled contact: Owners and secops e-mailed about High alerts, no attack paths.
fn contact() -> SecurityContact {
    SecurityContact {
        name: "default".into(),
        enabled: Some(true),
        emails: vec!["secops@example.org".into()],
        roles_state: Some("On".into()),
        roles: vec!["Owner".into()],
        alert_minimal_severity: Some("High".into()),
        attack_path_minimal_risk: None,
    }
}
