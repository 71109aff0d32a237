//! Cases of the entra-logs checks (checks/entra-logs.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "LP-ENTRA-001",
            "every category across two settings",
            || "/providers/microsoft.aadiam".into(),
            Pass,
            |s| {
                let mut a = all_entra();
                let b = a.split_off(4);
                s.inventory.entra_diagnostic_settings =
                    Read::ok(vec![to_ws("a", a), to_storage("b", b)]);
            }
        ),
        case!(
            "LP-ENTRA-001",
            "non-interactive disabled",
            || "/providers/microsoft.aadiam".into(),
            Fail,
            |s| {
                let mut logs = all_entra();
                logs[2].enabled = false;
                s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws("a", logs)]);
            }
        ),
        case!(
            "LP-ENTRA-001",
            "403 without a tenant role",
            || "/providers/microsoft.aadiam".into(),
            NotAssessed,
            |s| {
                s.inventory.entra_diagnostic_settings = Read::failed(forbidden());
            }
        ),
        case!(
            "LP-ENTRA-002",
            "Graph activity exported",
            || "/providers/microsoft.aadiam".into(),
            Pass,
            |s| {
                s.inventory.entra_diagnostic_settings =
                    Read::ok(vec![to_ws("a", vec![log("MicrosoftGraphActivityLogs")])]);
            }
        ),
        case!(
            "LP-ENTRA-002",
            "sign-ins exported, Graph activity not",
            || "/providers/microsoft.aadiam".into(),
            Fail,
            |s| {
                s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws("a", all_entra())]);
            }
        ),
        case!(
            "LP-ENTRA-002",
            "403 without a tenant role",
            || "/providers/microsoft.aadiam".into(),
            NotAssessed,
            |s| s.inventory.entra_diagnostic_settings = Read::failed(forbidden())
        ),
        case!(
            "LP-ENTRA-003",
            "a tenant without ADFS or Global Secure Access exports what it has",
            || "/providers/microsoft.aadiam".into(),
            Pass,
            |s| {
                let have = ["RiskyUsers", "UserRiskEvents"];
                s.inventory.entra_log_categories =
                    Read::ok(have.iter().map(|c| c.to_string()).collect());
                s.inventory.entra_diagnostic_settings =
                    Read::ok(vec![to_ws("a", have.iter().map(|c| log(c)).collect())]);
            }
        ),
        case!(
            "LP-ENTRA-003",
            "offered risk logs not exported",
            || "/providers/microsoft.aadiam".into(),
            Fail,
            |s| {
                s.inventory.entra_log_categories =
                    Read::ok(vec!["RiskyUsers".into(), "UserRiskEvents".into()]);
                s.inventory.entra_diagnostic_settings =
                    Read::ok(vec![to_ws("a", vec![log("RiskyUsers")])]);
            }
        ),
        case!(
            "LP-ENTRA-003",
            "the tenant's categories unreadable",
            || "/providers/microsoft.aadiam".into(),
            NotAssessed,
            |s| {
                s.inventory.entra_log_categories = Read::failed(forbidden());
                s.inventory.entra_diagnostic_settings = Read::ok(vec![to_ws("a", all_entra())]);
            }
        ),
    ]
}
