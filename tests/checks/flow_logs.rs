//! Cases of the flow-logs checks (checks/flow-logs.toml).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        case!("LP-FLOW-001", "own NSG flow log", nsg_id, Pass, |s| {
            sub(s).network_security_groups = Read::ok(vec![nsg_on_subnet()]);
            sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 90, true)]);
        }),
        case!(
            "LP-FLOW-001",
            "VNet flow log covers the NSG of its subnet",
            nsg_id,
            Pass,
            |s| {
                sub(s).network_security_groups = Read::ok(vec![nsg_on_subnet()]);
                sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 90, true)]);
            }
        ),
        case!(
            "LP-FLOW-001",
            "NIC-attached NSG covered through the NIC's subnet",
            nsg_id,
            Pass,
            |s| {
                let nic = rid("Microsoft.Network/networkInterfaces/nic");
                sub(s).network_security_groups = Read::ok(vec![NetworkSecurityGroup {
                    id: nsg_id(),
                    name: "nsg".into(),
                    network_interface_ids: vec![nic.clone()],
                    ..Default::default()
                }]);
                sub(s).network_interfaces = Read::ok(vec![NetworkInterface {
                    id: nic,
                    subnet_ids: vec![format!("{}/subnets/a", vnet_id())],
                    ..Default::default()
                }]);
                sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 90, true)]);
            }
        ),
        case!(
            "LP-FLOW-001",
            "disabled flow log covers nothing",
            nsg_id,
            Fail,
            |s| {
                sub(s).network_security_groups = Read::ok(vec![nsg_on_subnet()]);
                let mut fl = flow_log(&nsg_id(), true, 90, true);
                fl.enabled = false;
                sub(s).flow_logs = Read::ok(vec![fl]);
            }
        ),
        case!(
            "LP-FLOW-001",
            "flow logs of a watcher unreadable",
            nsg_id,
            NotAssessed,
            |s| {
                sub(s).network_security_groups = Read::ok(vec![nsg_on_subnet()]);
                sub(s).flow_logs = Read::partial(vec![], Some(forbidden()));
            }
        ),
        case!(
            "LP-FLOW-001",
            "unattached NSG",
            nsg_id,
            NotApplicable,
            |s| {
                sub(s).network_security_groups = Read::ok(vec![NetworkSecurityGroup {
                    id: nsg_id(),
                    name: "nsg".into(),
                    ..Default::default()
                }]);
            }
        ),
        case!("LP-FLOW-002", "VNet flow log", vnet_id, Pass, |s| {
            sub(s).virtual_networks = Read::ok(vec![vnet()]);
            sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 90, true)]);
        }),
        case!("LP-FLOW-002", "only an NSG flow log", vnet_id, Fail, |s| {
            sub(s).virtual_networks = Read::ok(vec![vnet()]);
            sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 90, true)]);
        }),
        case!(
            "LP-FLOW-002",
            "VNets unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).virtual_networks = Read::failed(forbidden())
        ),
        case!(
            "LP-FLOW-003",
            "retention 0 days keeps indefinitely",
            fl_id,
            Pass,
            |s| sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 0, true)])
        ),
        case!(
            "LP-FLOW-003",
            "retention policy disabled deletes nothing",
            fl_id,
            Pass,
            |s| sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), false, 7, true)])
        ),
        case!("LP-FLOW-003", "30 days is too short", fl_id, Fail, |s| {
            sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 30, true)])
        }),
        case!(
            "LP-FLOW-003",
            "watchers unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).network_watchers = Read::failed(forbidden())
        ),
        case!("LP-FLOW-004", "traffic analytics on", fl_id, Pass, |s| {
            sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 0, true)])
        }),
        case!("LP-FLOW-004", "traffic analytics off", fl_id, Fail, |s| {
            sub(s).flow_logs = Read::ok(vec![flow_log(&vnet_id(), true, 0, false)])
        }),
        case!(
            "LP-FLOW-004",
            "watchers unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).network_watchers = Read::failed(forbidden())
        ),
        case!("LP-FLOW-005", "VNet flow log", fl_id, Pass, |s| sub(s)
            .flow_logs =
            Read::ok(vec![flow_log(&vnet_id(), true, 0, true)])),
        case!("LP-FLOW-005", "NSG flow log retiring", fl_id, Fail, |s| {
            sub(s).flow_logs = Read::ok(vec![flow_log(&nsg_id(), true, 0, true)])
        }),
        case!(
            "LP-FLOW-005",
            "a flow log whose target is not reported is never a pass",
            fl_id,
            NotAssessed,
            |s| sub(s).flow_logs = Read::ok(vec![flow_log("", true, 0, true)])
        ),
        case!(
            "LP-FLOW-005",
            "watchers unreadable",
            sub_scope,
            NotAssessed,
            |s| sub(s).network_watchers = Read::failed(forbidden())
        ),
    ]
}
