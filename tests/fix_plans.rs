//! The fix plans applied: each plan of a tenant runs under bash with a recording `az`, its calls
//! are applied to the tenant's snapshot by the az emulator (`support/az.rs`, which refuses what
//! Azure refuses), and the changed snapshot is evaluated again. Every plan must run to its end,
//! and every failing finding that a command addresses must pass afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use logposture::app::Assessment;
use logposture::cli::EvalArgs;
use logposture::inventory::{id_key, Snapshot};
use logposture::model::{Results, Status};
use std::path::Path;
use std::process::Command;
use support::az::{recorded, recorder, Az};

const DAY: time::Date = time::macros::date!(2026 - 11 - 02);

/// What one plan run reads from the user (`CHOICES` in the plan header), by plan file.
type Choices<'a> = &'a dyn Fn(&str) -> Vec<(&'static str, String)>;

struct Applied {
    before: Results,
    after: Results,
    az: Az,
}

/// Writes the plans of `snap`, runs each under bash with the recording az and `choices`, and
/// applies the calls to the emulator in plan order. Panics on a plan that stops or a refusal.
fn apply(snap: Snapshot, dir: &Path, choices: Choices) -> Applied {
    apply_as(snap, dir, choices, None)
}

/// [`apply`] with `--owner-tag` (plans per subscription and owner), the plans run in reverse
/// name order so no plan relies on another having run first.
fn apply_as(snap: Snapshot, dir: &Path, choices: Choices, owner_tag: Option<&str>) -> Applied {
    let a = Assessment::load(&EvalArgs::builtin()).unwrap();
    let mut before = a.assess(&snap, DAY);
    before.owner_tag = owner_tag.map(str::to_string);
    let out = dir.join("out");
    logposture::render::write_all(
        &before,
        &[logposture::render::Format::Fix],
        &out,
        &logposture::render::Templates::load(None).unwrap(),
        None,
    )
    .unwrap();
    let bin = recorder(dir);
    let mut plans: Vec<_> = std::fs::read_dir(out.join("remediation"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    plans.sort();
    if owner_tag.is_some() {
        plans.reverse();
    }
    let mut az = Az::new(snap, dir);
    for plan in &plans {
        let name = plan.file_name().unwrap().to_string_lossy().to_string();
        let calls = dir.join(format!("calls-{name}"));
        std::fs::create_dir_all(&calls).unwrap();
        let run = Command::new("bash")
            .arg(plan)
            .current_dir(dir)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("AZ_CALLS", &calls)
            .envs(choices(&name))
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{name} stopped: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let text = std::fs::read_to_string(plan).unwrap();
        let calls = recorded(&calls);
        assert_eq!(
            calls.len(),
            text.lines().filter(|l| l.starts_with("az ")).count(),
            "{name} ran every command"
        );
        // The header counts the findings whose fix is not a command (portal steps).
        let manual = before_manual(&before, &name);
        assert!(
            text.contains(&format!("; {manual} of them have no command here")),
            "{name}: header should count {manual} manual finding(s)"
        );
        for (i, call) in calls.iter().enumerate() {
            if let Err(refusal) = az.call(call) {
                panic!(
                    "{name}, call {}: az {}\nAzure refuses: {refusal}",
                    i + 1,
                    call.join(" ")
                );
            }
        }
    }
    let after = a.assess(&az.snap, DAY);
    Applied { before, after, az }
}

/// Failing findings of the plan `name` without a command.
fn before_manual(r: &Results, name: &str) -> usize {
    r.findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .filter(|f| logposture::render::fixplan::plan_file(r, f) == name)
        .filter(|f| !logposture::render::fixplan::has_command(f))
        .count()
}

/// Failing findings with a command in their plan that do not pass after the plans ran.
fn unfixed(r: &Applied) -> Vec<String> {
    let key = |f: &logposture::model::Finding| (f.check_id.to_string(), id_key(&f.resource_id));
    r.before
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail && logposture::render::fixplan::has_command(f))
        .filter_map(|f| {
            let now = r.after.findings.iter().find(|g| key(g) == key(f));
            match now {
                Some(g) if g.status == Status::Pass => None,
                Some(g) => Some(format!(
                    "{} {}: {:?} — {}",
                    f.check_id, f.resource_id, g.status, g.message
                )),
                None => Some(format!(
                    "{} {}: no finding after",
                    f.check_id, f.resource_id
                )),
            }
        })
        .collect()
}

fn tmp(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("lp-fix-{name}-"))
        .tempdir()
        .unwrap()
}

const PROD: &str = "11111111-2222-4333-8444-555555555555";
const DEV: &str = "22222222-3333-4444-8555-666666666666";

fn demo_id(sub: &str, rg: &str, tail: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{tail}")
}

/// The choices a demo user would make: each subscription's own workspace, the secops action
/// group, flow-log storage they create (the rules come from [`with_user_rules`]).
fn demo_choices(plan: &str) -> Vec<(&'static str, String)> {
    let (sub, rg, ws) = if plan.starts_with(DEV) {
        (DEV, "rg-dev", "law-dev")
    } else {
        (PROD, "rg-prod-core", "law-prod-weu")
    };
    vec![
        (
            "WORKSPACE_ID",
            demo_id(
                sub,
                rg,
                &format!("Microsoft.OperationalInsights/workspaces/{ws}"),
            ),
        ),
        (
            "ACTION_GROUP_ID",
            demo_id(
                PROD,
                "rg-monitoring",
                "microsoft.insights/actionGroups/secops",
            ),
        ),
        ("ALERT_RESOURCE_GROUP", "rg-monitoring".into()),
        (
            "FLOW_LOG_STORAGE_ID",
            demo_id(sub, rg, "Microsoft.Storage/storageAccounts/stflowlogs"),
        ),
        (
            "KEY_VAULT_URI",
            "https://kv-prod-certs.vault.azure.net".into(),
        ),
        ("KEY_NAME", "storage-cmk".into()),
        ("DNS_RESOURCE_GROUP", rg.into()),
    ]
}

/// What the plans ask the user to make before running them (portal steps, no command): a
/// Windows rule at the Common tier and a Linux rule for auth and authpriv at Info, in `sub`'s
/// resource group `rg`, sending to `workspace`. Returns their ids (Windows, Linux).
fn with_user_rules(snap: &mut Snapshot, sub: &str, rg: &str, workspace: &str) -> (String, String) {
    let s = snap
        .inventory
        .subscriptions
        .iter_mut()
        .find(|s| s.subscription.id == sub)
        .unwrap();
    let rule = |name: &str| {
        demo_id(
            sub,
            rg,
            &format!("Microsoft.Insights/dataCollectionRules/{name}"),
        )
    };
    let windows = logposture::inventory::DataCollectionRule {
        id: rule("dcr-user-windows-common"),
        name: "dcr-user-windows-common".into(),
        location: "westeurope".into(),
        security_event_xpaths: vec!["Security!*".into()],
        streams: vec!["Microsoft-SecurityEvent".into()],
        workspace_destinations: vec![workspace.to_string()],
        ..Default::default()
    };
    let linux = logposture::inventory::DataCollectionRule {
        id: rule("dcr-user-linux-auth"),
        name: "dcr-user-linux-auth".into(),
        location: "westeurope".into(),
        streams: vec!["Microsoft-Syslog".into()],
        workspace_destinations: vec![workspace.to_string()],
        syslog: vec![logposture::inventory::SyslogSource {
            facilities: vec!["auth".into(), "authpriv".into()],
            levels: [
                "Info",
                "Notice",
                "Warning",
                "Error",
                "Critical",
                "Alert",
                "Emergency",
            ]
            .map(String::from)
            .to_vec(),
            streams: vec!["Microsoft-Syslog".into()],
        }],
        ..Default::default()
    };
    let ids = (windows.id.clone(), linux.id.clone());
    let rules = s.data_collection_rules.value.get_or_insert_with(Vec::new);
    rules.push(windows);
    rules.push(linux);
    ids
}

#[test]
fn the_demo_plans_run_to_their_end_and_fix_what_they_address() {
    demo_applied(logposture::demo::snapshot(), "demo");
}

/// The demo without any tenant or activity-log setting: the plans create them instead of
/// extending them.
#[test]
fn plans_create_the_settings_a_tenant_does_not_have() {
    let mut snap = logposture::demo::snapshot();
    snap.inventory.entra_diagnostic_settings = logposture::inventory::Read::ok(Vec::new());
    for s in &mut snap.inventory.subscriptions {
        if s.activity_log_settings.is_complete() {
            s.activity_log_settings = logposture::inventory::Read::ok(Vec::new());
        }
    }
    let r = demo_applied(snap, "demo-bare");
    assert!(r
        .az
        .applied
        .iter()
        .any(|c| c.contains("logposture-entra-core")));
    assert!(r
        .az
        .applied
        .iter()
        .any(|c| c.contains("--name activity-to-law")));
}

/// With `--owner-tag owner` each team gets its own plan; each runs on its own (its flow logs'
/// Network Watcher repeated in it), before the subscription's own plan.
#[test]
fn plans_per_owner_each_run_on_their_own() {
    let r = demo_applied_as(logposture::demo::snapshot(), "demo-owners", Some("owner"));
    let team = format!("{PROD}.owner-platform-team.sh");
    assert!(
        r.az.applied
            .iter()
            .any(|c| c.contains("network watcher configure")),
        "{team}"
    );
}

fn demo_applied(snap: Snapshot, name: &str) -> Applied {
    demo_applied_as(snap, name, None)
}

fn demo_applied_as(mut snap: Snapshot, name: &str, owner_tag: Option<&str>) -> Applied {
    let dir = tmp(name);
    let ws = demo_id(
        PROD,
        "rg-prod-core",
        "Microsoft.OperationalInsights/workspaces/law-prod-weu",
    );
    let (windows, linux) = with_user_rules(&mut snap, PROD, "rg-prod-core", &ws);
    let choices = |plan: &str| {
        let mut c = demo_choices(plan);
        c.push(("DCR_ID", windows.clone()));
        c.push(("SYSLOG_DCR_ID", linux.clone()));
        c
    };
    let r = apply_as(snap, dir.path(), &choices, owner_tag);
    if owner_tag.is_some() {
        let names: Vec<String> = std::fs::read_dir(dir.path().join("out/remediation"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        assert!(
            names.iter().any(|n| n.contains(".owner-")),
            "a plan per owner: {names:?}"
        );
    }
    let left = unfixed(&r);
    assert!(
        left.is_empty(),
        "{} finding(s) a command addresses still fail after the plans ran ({} calls):\n{}",
        left.len(),
        r.az.applied.len(),
        left.join("\n")
    );
    r
}

/// The loopback test tenant (tests/support/tenant.rs), collected through the real binary: a
/// readable subscription with throttling and a malformed answer, a forbidden one, a disabled one.
#[tokio::test(flavor = "multi_thread")]
async fn the_test_tenant_plans_run_to_their_end_and_fix_what_they_address() {
    use support::tenant::{self, S1};
    let emu = support::ArmEmulator::start().await;
    tenant::serve(&emu);
    let dir = tmp("tenant");
    let file = dir.path().join("snapshot.json");
    let out =
        support::run_logposture(&emu, &["collect", "--snapshot-out", file.to_str().unwrap()]).await;
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        panic!(
            "no snapshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut snap = Snapshot::from_json("snapshot.json", &text).unwrap();
    let (windows, linux) = with_user_rules(&mut snap, S1, "rg-sec", &tenant::ws());
    let choices = |_: &str| -> Vec<(&'static str, String)> {
        let action_group = snap_action_group(&text);
        vec![
            ("WORKSPACE_ID", tenant::ws()),
            ("ACTION_GROUP_ID", action_group),
            ("ALERT_RESOURCE_GROUP", "rg-sec".into()),
            (
                "FLOW_LOG_STORAGE_ID",
                tenant::rid("Microsoft.Storage/storageAccounts/stflowlogs"),
            ),
            (
                "KEY_VAULT_URI",
                "https://kv-payments.vault.azure.net".into(),
            ),
            ("KEY_NAME", "storage-cmk".into()),
            ("DNS_RESOURCE_GROUP", "rg-sec".into()),
            ("DCR_ID", windows.clone()),
            ("SYSLOG_DCR_ID", linux.clone()),
        ]
    };
    let r = tokio::task::block_in_place(|| apply(snap, dir.path(), &choices));
    assert!(
        r.az.applied.iter().any(|c| c.contains(S1)),
        "the readable subscription has a plan"
    );
    let left = unfixed(&r);
    assert!(left.is_empty(), "still failing:\n{}", left.join("\n"));
}

/// The first action group with receivers in a snapshot's JSON.
fn snap_action_group(text: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    v["inventory"]["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["action_groups"]["value"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|g| g["receivers"].as_u64().unwrap_or(0) > 0)
        .and_then(|g| g["id"].as_str().map(str::to_string))
        .expect("an action group with receivers")
}

/// The emulator refuses what Azure refuses, so a plan that passes here is not passing by
/// leniency.
#[test]
fn the_emulator_refuses_what_azure_refuses() {
    let dir = tmp("refusals");
    let mut az = Az::new(logposture::demo::snapshot(), dir.path());
    let call = |az: &mut Az, line: &str| -> Result<(), String> {
        let words: Vec<String> = shell_words(line);
        az.call(&words)
    };
    let ws = demo_id(
        PROD,
        "rg-prod-core",
        "Microsoft.OperationalInsights/workspaces/law-prod-weu",
    );
    let kv = demo_id(
        PROD,
        "rg-prod-core",
        "Microsoft.KeyVault/vaults/kv-prod-certs",
    );
    call(&mut az, &format!("account set --subscription {PROD}")).unwrap();
    // kv-audit already sends AuditEvent to law-prod-weu: a second setting may not.
    let second = format!(
        "monitor diagnostic-settings create --name kv-all --resource {kv} --workspace {ws} --logs [{{\"category\":\"AuditEvent\",\"enabled\":true}}]"
    );
    let e = call(&mut az, &second).unwrap_err();
    assert!(
        e.contains("already used in diagnostic setting 'kv-audit'"),
        "{e}"
    );
    // The same setting re-written (an upsert) is accepted.
    let same = second.replace("--name kv-all", "--name kv-audit");
    call(&mut az, &same).unwrap();
    // A category the type does not offer.
    let e = call(&mut az, &same.replace("AuditEvent", "NoSuchCategory")).unwrap_err();
    assert!(e.contains("not supported"), "{e}");
    // A flow log in a region without a watcher, then with one.
    let vnet = demo_id(
        PROD,
        "rg-prod-core",
        "Microsoft.Network/virtualNetworks/vnet-prod-neu",
    );
    let flow = format!("network watcher flow-log create --location northeurope --name fl --vnet {vnet} --storage-account st");
    let e = call(&mut az, &flow).unwrap_err();
    assert!(e.contains("NetworkWatcherNotFound"), "{e}");
    call(&mut az, "network watcher configure --resource-group NetworkWatcherRG --locations northeurope --enabled true").unwrap();
    call(&mut az, &flow).unwrap();
    // NSG flow logs can no longer be created.
    let e = call(&mut az, "network watcher flow-log create --location westeurope --name n --nsg x --storage-account st").unwrap_err();
    assert!(e.contains("NSG flow logs"), "{e}");
    // An @file that does not exist.
    let e = call(&mut az, "rest --method put --url /providers/microsoft.aadiam/diagnosticSettings/x?api-version=2017-04-01 --body @entra-diag.json").unwrap_err();
    assert!(e.contains("entra-diag.json"), "{e}");
    // An absolute URL pinned to one cloud.
    let e = call(&mut az, "rest --method put --url https://management.azure.com/providers/microsoft.aadiam/diagnosticSettings/x?api-version=2017-04-01 --body {}").unwrap_err();
    assert!(e.contains("not relative"), "{e}");
    // A missing required option, an option without its value, an unknown option or command.
    let e = call(&mut az, "security pricing create --tier Standard").unwrap_err();
    assert!(e.contains("required: --name"), "{e}");
    let e = call(
        &mut az,
        "security pricing create --name --debug --tier Standard",
    )
    .unwrap_err();
    assert!(e.contains("expected one argument"), "{e}");
    let e = call(
        &mut az,
        "security pricing create --name VirtualMachines --tier Standard --force",
    )
    .unwrap_err();
    assert!(e.contains("unrecognized arguments: --force"), "{e}");
    let e = call(&mut az, "monitor diagnostic-settings delete --name x").unwrap_err();
    assert!(e.contains("not recognized"), "{e}");
    // A resource, an alert's action group, a DCR or a parameter that does not exist.
    let e = call(&mut az, &second.replace("kv-prod-certs", "kv-gone")).unwrap_err();
    assert!(e.contains("ResourceNotFound"), "{e}");
    let e = call(&mut az, &format!("monitor activity-log alert create --name a --resource-group rg --scope /subscriptions/{PROD} --condition category=Administrative --action-group /subscriptions/{PROD}/resourceGroups/rg/providers/microsoft.insights/actionGroups/none")).unwrap_err();
    assert!(e.contains("action group"), "{e}");
    let e = call(&mut az, "postgres flexible-server parameter set --resource-group rg-prod-core --server-name psql-prod-payments --name no_such_parameter --value on").unwrap_err();
    assert!(e.contains("ParameterNotFound"), "{e}");
    // A retention Azure does not accept.
    let e = call(&mut az, "monitor log-analytics workspace table update --resource-group rg-prod-core --workspace-name law-prod-weu --name SigninLogs --retention-time 90 --total-retention-time 30").unwrap_err();
    assert!(e.contains("Total retention"), "{e}");
}

/// Words of a test command line: split on spaces (the lines above hold no quoted spaces).
fn shell_words(line: &str) -> Vec<String> {
    line.split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every command a built-in check's remediation can put in a plan is one the emulator knows, so
/// no plan line goes unchecked because the demo and the test tenant happen not to fail it.
#[test]
fn the_emulator_knows_every_command_the_baseline_writes() {
    for (file, text) in logposture::evaluate::baseline::BUILTIN_FILES {
        for (n, line) in text.lines().enumerate() {
            // A remediation line may start with `[if evidence.x] `.
            let line = line.trim();
            let line = match line.strip_prefix('[') {
                Some(rest) => rest.split_once("] ").map_or(line, |(_, l)| l),
                None => line,
            };
            let Some(rest) = line.strip_prefix("az ") else {
                continue;
            };
            let command: Vec<&str> = rest
                .split(' ')
                .take_while(|w| !w.starts_with('-'))
                .collect();
            let command = command.join(" ");
            assert!(Az::knows(&command), "{file}:{}: az {command}", n + 1);
        }
    }
}
