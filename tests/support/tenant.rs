//! The test tenant served by the emulator: three subscriptions (S1 readable, paged and throttled
//! once; S2 forbidden; S3 disabled), built from tests/fixtures/arm.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{load_fixture, ArmEmulator, Route};
use serde_json::Value;

pub const S1: &str = "aaaaaaaa-1111-4111-8111-111111111111";
pub const S2: &str = "bbbbbbbb-2222-4222-8222-222222222222";
pub const S3: &str = "cccccccc-3333-4333-8333-333333333333";
pub const RG: &str = "/subscriptions/aaaaaaaa-1111-4111-8111-111111111111/resourceGroups/rg-sec";
pub const NW: &str = "/subscriptions/aaaaaaaa-1111-4111-8111-111111111111/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/тц1";
pub const CUSTOMER_ID: &str = "bc089d7b-485c-4aff-a71e-c00f362d8d2f";

pub fn rid(tail: &str) -> String {
    format!("{RG}/providers/{tail}")
}

pub fn ws() -> String {
    rid("Microsoft.OperationalInsights/workspaces/law-sec")
}
pub fn kv1() -> String {
    rid("Microsoft.KeyVault/vaults/kv-payments")
}
pub fn kv2() -> String {
    rid("Microsoft.KeyVault/vaults/kv-certs")
}
pub fn nsg1() -> String {
    rid("Microsoft.Network/networkSecurityGroups/nsg-web")
}
pub fn nsg2() -> String {
    rid("Microsoft.Network/networkSecurityGroups/nsg-data")
}
pub fn vm() -> String {
    rid("Microsoft.Compute/virtualMachines/vm-win01")
}
pub fn linux_vm() -> String {
    rid("Microsoft.Compute/virtualMachines/vm-lnx01")
}

const CATS: &str = "/providers/Microsoft.Insights/diagnosticSettingsCategories";
const DIAG: &str = "/providers/Microsoft.Insights/diagnosticSettings";

/// S1's resource list, page by page (tests add a page of their own resources).
pub fn resource_pages() -> Vec<Vec<Value>> {
    load_fixture("arm/resources-pages.json")["pages"]
        .as_array()
        .expect("pages")
        .iter()
        .map(|p| p.as_array().cloned().unwrap_or_default())
        .collect()
}

/// Serve the whole tenant. Tests may override routes afterwards.
pub fn serve(emu: &ArmEmulator) {
    let sub = format!("/subscriptions/{S1}");
    emu.fixture("/subscriptions", "arm/subscriptions.json");
    emu.route(&format!("{sub}/resources"), Route::Pages(resource_pages()));
    emu.route(
        &format!("/subscriptions/{S2}/resources"),
        Route::Error(
            403,
            "AuthorizationFailed",
            format!("The client '00000000-0000-4000-8000-0000000000c1' with object id '00000000-0000-4000-8000-0000000000c2' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resources/read' over scope '/subscriptions/{S2}' or the scope is invalid. If access was recently granted, please refresh your credentials."),
        ),
    );
    emu.fixture(&format!("{sub}{DIAG}"), "arm/activity-log-settings.json");
    for kv in [kv1(), kv2()] {
        emu.fixture(&format!("{kv}{CATS}"), "arm/kv-categories.json");
    }
    emu.fixture(&format!("{}{CATS}", ws()), "arm/workspace-categories.json");
    for n in [nsg1(), nsg2()] {
        emu.fixture(&format!("{n}{CATS}"), "arm/nsg-categories.json");
    }
    emu.route(
        &format!("{}{CATS}", vm()),
        Route::Error(400, "ResourceTypeNotSupported", "The resource type 'microsoft.compute/virtualmachines' does not support diagnostic settings.".into()),
    );
    emu.fixture(
        &format!("{}{DIAG}", kv1()),
        "arm/kv1-diagnostic-settings.json",
    );
    emu.fixture(
        &format!("{}{DIAG}", kv2()),
        "arm/kv2-diagnostic-settings.json",
    );
    emu.fixture(
        &format!("{}{DIAG}", ws()),
        "arm/workspace-diagnostic-settings.json",
    );
    // One resource answers garbage: recorded, the rest collected.
    emu.route(
        &format!("{}{DIAG}", nsg2()),
        Route::Raw(200, "{\"value\": [ {\"name\": \"half".into()),
    );
    // The watcher list is throttled once.
    emu.route(
        &format!("{sub}/providers/Microsoft.Network/networkWatchers"),
        Route::Throttle {
            times: 1,
            retry_after: 1,
            then: Box::new(Route::Json(load_fixture("arm/network-watchers.json"))),
        },
    );
    emu.fixture(&format!("{NW}/flowLogs"), "arm/flow-logs.json");
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Network/networkSecurityGroups"),
        "arm/nsgs.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Network/virtualNetworks"),
        "arm/vnets.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Network/networkInterfaces"),
        "arm/nics.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.OperationalInsights/workspaces"),
        "arm/workspaces.json",
    );
    emu.fixture(&format!("{}/tables", ws()), "arm/tables.json");
    emu.fixture(
        &format!(
            "{}/providers/Microsoft.SecurityInsights/onboardingStates",
            ws()
        ),
        "arm/sentinel-onboarding-states.json",
    );
    emu.route_q(
        &format!("{}/dataSources", ws()),
        "securityeventcollectionconfiguration",
        Route::Json(load_fixture("arm/security-event-datasource.json")),
    );
    emu.route_q(
        &format!("{}/dataSources", ws()),
        "windowsevent",
        Route::Json(load_fixture("arm/windows-event-datasources.json")),
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Insights/dataCollectionRules"),
        "arm/dcrs.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Compute/virtualMachines"),
        "arm/vms.json",
    );
    emu.route_q(
        &format!("{sub}/providers/Microsoft.Compute/virtualMachines"),
        "statusonly=true",
        Route::Json(load_fixture("arm/vms-status.json")),
    );
    emu.fixture(&format!("{}/extensions", vm()), "arm/vm-extensions.json");
    emu.fixture(
        &format!(
            "{}/providers/Microsoft.Insights/dataCollectionRuleAssociations",
            vm()
        ),
        "arm/dcr-associations.json",
    );
    // The Linux VM's associations are read too (Syslog); it has none.
    emu.json(
        &format!(
            "{}/providers/Microsoft.Insights/dataCollectionRuleAssociations",
            linux_vm()
        ),
        serde_json::json!({ "value": [] }),
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Security/pricings"),
        "arm/pricings.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Security/automations"),
        "arm/automations.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Security/securityContacts"),
        "arm/security-contacts.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Authorization/locks"),
        "arm/locks.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Insights/activityLogAlerts"),
        "arm/activity-log-alerts.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Insights/actionGroups"),
        "arm/action-groups.json",
    );
    emu.fixture(
        &format!("{sub}/providers/Microsoft.Storage/storageAccounts"),
        "arm/storage-accounts.json",
    );
    emu.fixture(
        "/providers/microsoft.aadiam/diagnosticSettings",
        "arm/aadiam-settings.json",
    );
    emu.fixture(
        "/providers/microsoft.aadiam/diagnosticSettingsCategories",
        "arm/aadiam-categories.json",
    );
    emu.fixture(
        &format!("/v1/workspaces/{CUSTOMER_ID}/query"),
        "arm/usage-query.json",
    );
}
