//! Cases of the network-watcher checks (checks/network-watcher.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!(
            "LP-NW-001",
            "watcher in the VNet's region (display name vs short name)",
            region,
            Pass,
            |s| {
                sub(s).virtual_networks = Read::ok(vec![vnet()]);
                sub(s).network_watchers = Read::ok(vec![NetworkWatcher {
                    id: "/nw".into(),
                    name: "nw".into(),
                    location: "westeurope".into(),
                    provisioning_state: None,
                }]);
            }
        ),
        case!(
            "LP-NW-001",
            "no watcher in a region with a VNet",
            region,
            Fail,
            |s| sub(s).virtual_networks = Read::ok(vec![vnet()])
        ),
        case!(
            "LP-NW-001",
            "the region's watcher failed to provision",
            region,
            Fail,
            |s| {
                sub(s).virtual_networks = Read::ok(vec![vnet()]);
                sub(s).network_watchers = Read::ok(vec![NetworkWatcher {
                    id: "/nw".into(),
                    name: "nw".into(),
                    location: "westeurope".into(),
                    provisioning_state: Some("Failed".into()),
                }]);
            }
        ),
        case!(
            "LP-NW-001",
            "watchers unreadable",
            region,
            NotAssessed,
            |s| {
                sub(s).virtual_networks = Read::ok(vec![vnet()]);
                sub(s).network_watchers = Read::failed(forbidden());
            }
        ),
    ]
}
