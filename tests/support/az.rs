//! An az CLI emulator for the fix plans: it understands every command the plans write, keeps
//! the snapshot's resources as its model, changes them as Azure would, and refuses what Azure
//! refuses (a category sent to one destination by two settings of a resource, a flow log in a
//! region without a Network Watcher, an `@file` that does not exist, a missing or repeated
//! option, an option without its value, an unknown command or option).
//!
//! Plans run under real bash with a recording `az` on PATH ([`recorder`]); the recorded calls
//! are then applied here in order. The plans never read az's output (no command substitution),
//! so this is what az would have done: the first refusal is where `set -e` would have stopped.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use logposture::inventory::{
    id_key, ActivityLogAlert, AlertCondition, AppInsightsComponent, DiagnosticSetting,
    DnsSecurityPolicy, FlowLog, LogSetting, MetricSetting, NetworkWatcher, Read, Resource,
    ResourceDiagnostics, Snapshot, SubscriptionInventory,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Why Azure (or az) refused a call.
pub type Refusal = String;

/// Options that take several values (`--locations a b`, `--condition x=y and z=w`).
const MULTI: &[&str] = &[
    "--locations",
    "--condition",
    "--extensions",
    "--scope",
    "--action-group",
];

/// Every command the emulator understands.
const COMMANDS: &[&str] = &[
    "account set",
    "monitor diagnostic-settings create",
    "monitor diagnostic-settings subscription create",
    "rest",
    "network watcher configure",
    "network watcher flow-log create",
    "network watcher flow-log update",
    "monitor log-analytics workspace update",
    "monitor log-analytics workspace table update",
    "sql server audit-policy update",
    "postgres flexible-server parameter set",
    "mysql flexible-server parameter set",
    "monitor activity-log alert create",
    "monitor activity-log alert update",
    "monitor data-collection rule association create",
    "security pricing create",
    "storage account update",
    "dns-resolver policy create",
    "dns-resolver policy vnet-link create",
    "monitor app-insights component create",
    "vm extension set",
];

pub struct Az {
    pub snap: Snapshot,
    /// `az account set`: the subscription commands without `--subscription` act on.
    current: Option<String>,
    /// The directory the plan ran in (`@file` bodies are read relative to it).
    cwd: PathBuf,
    /// Every call applied, for messages.
    pub applied: Vec<String>,
}

/// A call's options, as az's parser reads them: a word starting with `-` starts an option.
struct Opts {
    list: Vec<(String, Vec<String>)>,
    used: BTreeSet<String>,
    /// An option the command read was given without its value.
    missing_value: Option<String>,
}

impl Opts {
    fn parse(words: &[String]) -> Result<Self, Refusal> {
        let mut list: Vec<(String, Vec<String>)> = Vec::new();
        for w in words {
            if w.starts_with('-') && w.parse::<f64>().is_err() {
                let (name, value) = match w.split_once('=') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (w.clone(), None),
                };
                if !name.starts_with("--") && name != "-g" && name != "-n" {
                    return Err(format!("unrecognized arguments: {w}"));
                }
                if list.iter().any(|(n, _)| *n == name) {
                    return Err(format!("argument {name}: given twice"));
                }
                list.push((name, value.into_iter().collect()));
            } else {
                match list.last_mut() {
                    Some((_, values)) => values.push(w.clone()),
                    None => return Err(format!("unrecognized arguments: {w}")),
                }
            }
        }
        for (name, values) in &list {
            if values.len() > 1 && !MULTI.contains(&name.as_str()) {
                return Err(format!("unrecognized arguments: {}", values[1..].join(" ")));
            }
        }
        Ok(Self {
            list,
            used: BTreeSet::new(),
            missing_value: None,
        })
    }

    fn get(&mut self, name: &str) -> Option<String> {
        let v = self.all(name);
        (!v.is_empty()).then(|| v.join(" "))
    }

    fn all(&mut self, name: &str) -> Vec<String> {
        self.used.insert(name.to_string());
        let found = self.list.iter().find(|(n, _)| n == name);
        if found.is_some_and(|(_, v)| v.is_empty()) && self.missing_value.is_none() {
            self.missing_value = Some(format!("argument {name}: expected one argument"));
        }
        found.map(|(_, v)| v.clone()).unwrap_or_default()
    }

    fn need(&mut self, name: &str) -> Result<String, Refusal> {
        self.get(name)
            .ok_or_else(|| format!("the following arguments are required: {name}"))
    }

    fn flag(&mut self, name: &str) -> Result<Option<bool>, Refusal> {
        match self.get(name).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(v) => Err(format!("argument {name}: invalid value '{v}'")),
        }
    }

    fn number(&mut self, name: &str) -> Result<Option<u32>, Refusal> {
        self.get(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("argument {name}: invalid int value '{v}'"))
            })
            .transpose()
    }

    /// Every option given was one the command knows.
    fn done(&self) -> Result<(), Refusal> {
        match self.list.iter().find(|(n, _)| !self.used.contains(n)) {
            Some((n, _)) => Err(format!("unrecognized arguments: {n}")),
            None => Ok(()),
        }
    }
}

/// A listed item by its ARM id (ids compare as ARM does), or Azure's not-found refusal.
trait FindId<T> {
    fn find_id(&mut self, what: &str, id: &str) -> Result<&mut T, Refusal>;
}

/// Inventory items with an ARM id.
trait HasId {
    fn id(&self) -> &str;
}

macro_rules! has_id {
    ($($t:ty),*) => {$(impl HasId for $t { fn id(&self) -> &str { &self.id } })*};
}
has_id!(
    logposture::inventory::SqlServer,
    logposture::inventory::DatabaseServer,
    logposture::inventory::VirtualMachine,
    logposture::inventory::StorageAccount,
    logposture::inventory::Workspace,
    logposture::inventory::FlowLog,
    ActivityLogAlert,
    DnsSecurityPolicy
);

impl<T: HasId> FindId<T> for Read<Vec<T>> {
    fn find_id(&mut self, what: &str, id: &str) -> Result<&mut T, Refusal> {
        self.value
            .get_or_insert_with(Vec::new)
            .iter_mut()
            .find(|x| eq(x.id(), id))
            .ok_or_else(|| not_found(what, id))
    }
}

fn not_found(what: &str, id: &str) -> Refusal {
    format!("(ResourceNotFound) The {what} '{id}' was not found.")
}

fn eq(a: &str, b: &str) -> bool {
    id_key(a) == id_key(b)
}

/// The subscription id in an ARM id.
fn subscription_of(id: &str) -> Option<String> {
    let parts: Vec<&str> = id.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        [s, sub, ..] if s.eq_ignore_ascii_case("subscriptions") => Some(sub.to_string()),
        _ => None,
    }
}

/// A log entry of a setting: the categories it names (a group expands to the type's categories
/// in it; unknown groups stay as `group:<name>`).
fn expand(logs: &[LogSetting], offered: Option<&[(String, Vec<String>)]>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for l in logs.iter().filter(|l| l.enabled) {
        if let Some(c) = &l.category {
            out.insert(c.to_ascii_lowercase());
        } else if let Some(g) = &l.category_group {
            match offered {
                Some(list) => {
                    for (c, groups) in list {
                        if groups.iter().any(|x| x.eq_ignore_ascii_case(g)) {
                            out.insert(c.to_ascii_lowercase());
                        }
                    }
                }
                None => {
                    out.insert(format!("group:{}", g.to_ascii_lowercase()));
                }
            }
        }
    }
    out
}

/// The destinations two settings share.
fn shared_sinks(a: &DiagnosticSetting, b: &DiagnosticSetting) -> Vec<String> {
    let same = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => eq(x, y),
        _ => false,
    };
    let mut out = Vec::new();
    if same(&a.workspace_id, &b.workspace_id) {
        out.push(a.workspace_id.clone().unwrap_or_default());
    }
    if same(&a.storage_account_id, &b.storage_account_id) {
        out.push(a.storage_account_id.clone().unwrap_or_default());
    }
    if same(
        &a.event_hub_authorization_rule_id,
        &b.event_hub_authorization_rule_id,
    ) {
        out.push(
            a.event_hub_authorization_rule_id
                .clone()
                .unwrap_or_default(),
        );
    }
    if same(&a.marketplace_partner_id, &b.marketplace_partner_id) {
        out.push(a.marketplace_partner_id.clone().unwrap_or_default());
    }
    out
}

/// Upserts `new` into `settings` by name, as ARM's PUT does, refusing a category another
/// setting of the same scope already sends to one of its destinations.
fn upsert_setting(
    settings: &mut Read<Vec<DiagnosticSetting>>,
    new: DiagnosticSetting,
    offered: Option<&[(String, Vec<String>)]>,
) -> Result<(), Refusal> {
    let mine = expand(&new.logs, offered);
    for other in settings
        .items()
        .iter()
        .filter(|s| !s.name.eq_ignore_ascii_case(&new.name))
    {
        let theirs = expand(&other.logs, offered);
        let overlap: Vec<&String> = mine.intersection(&theirs).collect();
        if let (Some(sink), Some(cat)) = (shared_sinks(&new, other).first(), overlap.first()) {
            return Err(format!(
                "(BadRequest) Data sink '{sink}' is already used in diagnostic setting '{}' for category '{cat}'. Data sinks can't be reused in different settings on the same category for the same resource.",
                other.name
            ));
        }
    }
    let list = settings.value.get_or_insert_with(Vec::new);
    if list.len() >= 5 && !list.iter().any(|s| s.name.eq_ignore_ascii_case(&new.name)) {
        return Err("(BadRequest) A resource can have at most 5 diagnostic settings.".into());
    }
    list.retain(|s| !s.name.eq_ignore_ascii_case(&new.name));
    list.push(new);
    Ok(())
}

fn parse_logs(json: &str) -> Result<Vec<LogSetting>, Refusal> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("--logs is not JSON: {e}"))?;
    let arr = v.as_array().ok_or("--logs is not a JSON list")?;
    arr.iter()
        .map(|e| {
            let s = |k: &str| e.get(k).and_then(|x| x.as_str()).map(str::to_string);
            let enabled = e
                .get("enabled")
                .and_then(|x| x.as_bool())
                .ok_or("a log entry without \"enabled\"")?;
            let (category, category_group) = (s("category"), s("categoryGroup"));
            if category.is_some() == category_group.is_some() {
                return Err(format!(
                    "a log entry needs one of category or categoryGroup: {e}"
                ));
            }
            Ok(LogSetting {
                category,
                category_group,
                enabled,
            })
        })
        .collect()
}

fn parse_metrics(json: &str) -> Result<Vec<MetricSetting>, Refusal> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("--metrics is not JSON: {e}"))?;
    let arr = v.as_array().ok_or("--metrics is not a JSON list")?;
    arr.iter()
        .map(|e| {
            Ok(MetricSetting {
                category: e
                    .get("category")
                    .and_then(|x| x.as_str())
                    .map(str::to_string),
                enabled: e
                    .get("enabled")
                    .and_then(|x| x.as_bool())
                    .ok_or("a metric entry without \"enabled\"")?,
            })
        })
        .collect()
}

/// A Log Analytics workspace id, or a refusal naming the option.
fn workspace_id(opt: &str, v: &str) -> Result<String, Refusal> {
    let k = id_key(v);
    if k.starts_with("/subscriptions/")
        && k.contains("/providers/microsoft.operationalinsights/workspaces/")
    {
        Ok(v.to_string())
    } else {
        Err(format!(
            "{opt}: '{v}' is not a Log Analytics workspace resource id"
        ))
    }
}

impl Az {
    pub fn new(snap: Snapshot, cwd: &Path) -> Self {
        Self {
            snap,
            current: None,
            cwd: cwd.to_path_buf(),
            applied: Vec::new(),
        }
    }

    /// Applies one az call (its arguments, without `az`).
    pub fn call(&mut self, args: &[String]) -> Result<(), Refusal> {
        let split = args
            .iter()
            .position(|a| a.starts_with('-'))
            .unwrap_or(args.len());
        let command = args[..split].join(" ");
        let mut o = Opts::parse(&args[split..])?;
        let result = self.dispatch(&command, &mut o);
        if let Some(e) = o.missing_value.take() {
            return Err(e);
        }
        result?;
        o.done()?;
        self.applied.push(args.join(" "));
        Ok(())
    }

    /// Whether the emulator understands `command` (the words before the first option).
    pub fn knows(command: &str) -> bool {
        COMMANDS.contains(&command)
    }

    fn dispatch(&mut self, command: &str, o: &mut Opts) -> Result<(), Refusal> {
        let o = &mut *o;
        match command {
            "account set" => {
                let s = o.need("--subscription")?;
                self.sub(&s)?;
                self.current = Some(s);
            }
            "monitor diagnostic-settings create" => self.diagnostic_setting(o)?,
            "monitor diagnostic-settings subscription create" => self.activity_log_setting(o)?,
            "rest" => self.rest(o)?,
            "network watcher configure" => self.watcher(o)?,
            "network watcher flow-log create" => self.flow_log_create(o)?,
            "network watcher flow-log update" => self.flow_log_update(o)?,
            "monitor log-analytics workspace update" => self.workspace_update(o)?,
            "monitor log-analytics workspace table update" => self.table_update(o)?,
            "sql server audit-policy update" => self.sql_audit(o)?,
            "postgres flexible-server parameter set" => self.parameter(o, "postgresql")?,
            "mysql flexible-server parameter set" => self.parameter(o, "mysql")?,
            "monitor activity-log alert create" => self.alert_create(o)?,
            "monitor activity-log alert update" => self.alert_update(o)?,
            "monitor data-collection rule association create" => self.dcr_association(o)?,
            "security pricing create" => self.pricing(o)?,
            "storage account update" => self.storage_update(o)?,
            "dns-resolver policy create" => self.dns_policy(o)?,
            "dns-resolver policy vnet-link create" => self.dns_link(o)?,
            "monitor app-insights component create" => self.app_insights(o)?,
            "vm extension set" => self.vm_extension(o)?,
            _ => {
                return Err(format!(
                    "'{command}' is misspelled or not recognized by the system."
                ))
            }
        }
        Ok(())
    }

    /// `--subscription`, or the one `az account set` chose.
    fn subscription(&mut self, o: &mut Opts) -> Result<String, Refusal> {
        match o.get("--subscription") {
            Some(s) => {
                self.sub(&s)?;
                Ok(s)
            }
            None => self
                .current
                .clone()
                .ok_or_else(|| "Please run 'az login' to setup account.".into()),
        }
    }

    fn sub(&mut self, id: &str) -> Result<&mut SubscriptionInventory, Refusal> {
        self.snap
            .inventory
            .subscriptions
            .iter_mut()
            .find(|s| s.subscription.id.eq_ignore_ascii_case(id))
            .ok_or_else(|| format!("Subscription '{id}' not found."))
    }

    fn sub_of(&mut self, id: &str) -> Result<&mut SubscriptionInventory, Refusal> {
        let s = subscription_of(id).ok_or_else(|| format!("'{id}' is not a valid resource id"))?;
        self.sub(&s)
    }

    /// Categories (with their groups) a resource type offers, when known.
    fn offered(&self, resource_type: &str) -> Option<Vec<(String, Vec<String>)>> {
        self.snap
            .inventory
            .diagnostic_categories
            .get(&resource_type.to_ascii_lowercase())
            .and_then(|r| r.complete())
            .map(|t| {
                t.log_categories
                    .iter()
                    .map(|c| (c.name.clone(), c.groups.clone()))
                    .collect()
            })
    }

    /// A workspace the snapshot shows does not exist is refused; one it cannot see is trusted.
    fn check_workspace(&mut self, id: &str) -> Result<(), Refusal> {
        let Ok(sub) = self.sub_of(id) else {
            return Ok(());
        };
        if let Some(list) = sub.workspaces.complete() {
            if !list.iter().any(|w| eq(&w.id, id)) {
                return Err(not_found("workspace", id));
            }
        }
        Ok(())
    }

    fn diagnostic_setting(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let name = o.need("--name")?;
        let resource = o.need("--resource")?;
        let resource_id = match o.get("--resource-group") {
            Some(rg) => {
                let sub = self.subscription(o)?;
                let t = o.need("--resource-type")?;
                format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{t}/{resource}")
            }
            None => resource,
        };
        let workspace = o
            .get("--workspace")
            .map(|w| workspace_id("--workspace", &w))
            .transpose()?;
        if let Some(w) = &workspace {
            self.check_workspace(w)?;
        }
        let storage = o.get("--storage-account");
        let dedicated = o.flag("--export-to-resource-specific")?;
        let logs = o.get("--logs").map(|l| parse_logs(&l)).transpose()?;
        let metrics = o.get("--metrics").map(|m| parse_metrics(&m)).transpose()?;
        if workspace.is_none() && storage.is_none() {
            return Err("At least one destination (workspace, storage account, event hub or partner) is required.".into());
        }
        if dedicated == Some(true) && workspace.is_none() {
            return Err("--export-to-resource-specific needs --workspace.".into());
        }
        let sub = self.sub_of(&resource_id)?;
        let resource_type = sub
            .resource_diagnostics
            .iter()
            .find(|r| eq(&r.resource_id, &resource_id))
            .ok_or_else(|| not_found("resource", &resource_id))?
            .resource_type
            .clone();
        let offered = self.offered(&resource_type);
        let logs = logs.unwrap_or_default();
        if let Some(list) = &offered {
            for l in &logs {
                let known = match (&l.category, &l.category_group) {
                    (Some(c), _) => list.iter().any(|(n, _)| n.eq_ignore_ascii_case(c)),
                    (_, Some(g)) => list
                        .iter()
                        .any(|(_, gs)| gs.iter().any(|x| x.eq_ignore_ascii_case(g))),
                    _ => false,
                };
                if !known {
                    return Err(format!(
                        "(BadRequest) Category '{}' is not supported.",
                        l.category
                            .as_deref()
                            .or(l.category_group.as_deref())
                            .unwrap_or("")
                    ));
                }
            }
        }
        if logs.is_empty() && metrics.as_ref().is_none_or(|m| m.is_empty()) {
            return Err("(BadRequest) A diagnostic setting needs a log or metric category.".into());
        }
        let setting = DiagnosticSetting {
            id: format!("{resource_id}/providers/microsoft.insights/diagnosticSettings/{name}"),
            name,
            workspace_id: workspace,
            storage_account_id: storage,
            destination_type: (dedicated == Some(true)).then(|| "Dedicated".to_string()),
            logs,
            metrics: Some(metrics.unwrap_or_default()),
            ..Default::default()
        };
        let sub = self.sub_of(&resource_id)?;
        let rd = sub
            .resource_diagnostics
            .iter_mut()
            .find(|r| eq(&r.resource_id, &resource_id))
            .ok_or_else(|| not_found("resource", &resource_id))?;
        upsert_setting(&mut rd.settings, setting, offered.as_deref())
    }

    fn activity_log_setting(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let name = o.need("--name")?;
        let sub_id = self.subscription(o)?;
        o.need("--location")?;
        let workspace = o
            .get("--workspace")
            .map(|w| workspace_id("--workspace", &w))
            .transpose()?;
        if let Some(w) = &workspace {
            self.check_workspace(w)?;
        }
        let storage = o.get("--storage-account");
        if workspace.is_none() && storage.is_none() {
            return Err("At least one destination is required.".into());
        }
        let logs = parse_logs(&o.need("--logs")?)?;
        let setting = DiagnosticSetting {
            id: format!(
                "/subscriptions/{sub_id}/providers/microsoft.insights/diagnosticSettings/{name}"
            ),
            name,
            workspace_id: workspace,
            storage_account_id: storage,
            logs,
            ..Default::default()
        };
        let sub = self.sub(&sub_id)?;
        upsert_setting(&mut sub.activity_log_settings, setting, None)
    }

    /// `az rest` as the Entra fix uses it: a PUT of a tenant diagnostic setting.
    fn rest(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let method = o.need("--method")?;
        let url = o.need("--url")?;
        let body = o.need("--body")?;
        if !method.eq_ignore_ascii_case("put") {
            return Err(format!("the plans only PUT; got {method}"));
        }
        // A relative URL resolves against the active cloud's Resource Manager.
        let path = url
            .strip_prefix('/')
            .ok_or_else(|| format!("--url {url}: not relative to the active cloud"))?;
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        if !query.contains("api-version=") {
            return Err(
                "(MissingApiVersionParameter) The api-version query parameter is required.".into(),
            );
        }
        let name = path
            .strip_prefix("providers/microsoft.aadiam/diagnosticSettings/")
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| format!("--url {url}: not an Entra diagnostic setting"))?
            .to_string();
        let text = match body.strip_prefix('@') {
            Some(file) => std::fs::read_to_string(self.cwd.join(file))
                .map_err(|e| format!("--body @{file}: {e}"))?,
            None => body,
        };
        let v: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("--body is not JSON: {e}"))?;
        let props = &v["properties"];
        let workspace = props["workspaceId"]
            .as_str()
            .filter(|w| !w.is_empty())
            .ok_or("(BadRequest) properties.workspaceId is required")?;
        workspace_id("workspaceId", workspace)?;
        self.check_workspace(workspace)?;
        let logs = parse_logs(&props["logs"].to_string())?;
        let offered = self.snap.inventory.entra_log_categories.complete().cloned();
        if let Some(list) = &offered {
            for l in &logs {
                let c = l.category.as_deref().unwrap_or("");
                if !list.iter().any(|x| x.eq_ignore_ascii_case(c)) {
                    return Err(format!("(BadRequest) Category '{c}' is not supported."));
                }
            }
        }
        let setting = DiagnosticSetting {
            id: format!("/providers/microsoft.aadiam/diagnosticSettings/{name}"),
            name,
            workspace_id: Some(workspace.to_string()),
            logs,
            ..Default::default()
        };
        upsert_setting(
            &mut self.snap.inventory.entra_diagnostic_settings,
            setting,
            None,
        )
    }

    fn watcher(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let rg = o.need("--resource-group")?;
        let locations = o.all("--locations");
        if locations.is_empty() {
            return Err("the following arguments are required: --locations".into());
        }
        if o.flag("--enabled")? != Some(true) {
            return Err("the plans enable watchers: --enabled true".into());
        }
        let sub = self.sub(&sub_id)?;
        let list = sub.network_watchers.value.get_or_insert_with(Vec::new);
        for l in locations {
            if !list.iter().any(|w| w.location.eq_ignore_ascii_case(&l)) {
                list.push(NetworkWatcher {
                    id: format!("/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Network/networkWatchers/NetworkWatcher_{l}"),
                    name: format!("NetworkWatcher_{l}"),
                    location: l,
                    provisioning_state: Some("Succeeded".into()),
                });
            }
        }
        Ok(())
    }

    fn watcher_in(&mut self, sub_id: &str, location: &str) -> Result<NetworkWatcher, Refusal> {
        self.sub(sub_id)?
            .network_watchers
            .items()
            .iter()
            .find(|w| w.location.eq_ignore_ascii_case(location))
            .cloned()
            .ok_or_else(|| format!("(NetworkWatcherNotFound) No Network Watcher in region {location}: enable it first (az network watcher configure)."))
    }

    fn flow_log_create(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let location = o.need("--location")?;
        let name = o.need("--name")?;
        let target = match (o.get("--vnet"), o.get("--subnet"), o.get("--nic"), o.get("--nsg")) {
            (_, _, _, Some(_)) => {
                return Err("(NsgFlowLogCreationBlocked) NSG flow logs can no longer be created; create a virtual network flow log.".into())
            }
            (Some(t), None, None, None) | (None, Some(t), None, None) | (None, None, Some(t), None) => t,
            _ => return Err("exactly one of --vnet, --subnet or --nic is required".into()),
        };
        let storage = o.need("--storage-account")?;
        let workspace = o.get("--workspace");
        let ta = o.flag("--traffic-analytics")?.unwrap_or(false);
        let interval = o.number("--interval")?;
        let retention = o.number("--retention")?.unwrap_or(0);
        if ta && workspace.is_none() {
            return Err("--traffic-analytics needs --workspace".into());
        }
        let watcher = self.watcher_in(&sub_id, &location)?;
        let sub = self.sub(&sub_id)?;
        if let Some(st) = sub
            .storage_accounts
            .items()
            .iter()
            .find(|s| eq(&s.id, &storage))
        {
            if !st.location.eq_ignore_ascii_case(&location) {
                return Err(format!("(InvalidStorageAccountLocation) Storage account {} is in {}, the flow log in {location}: they must be in the same region.", st.name, st.location));
            }
        }
        let list = sub.flow_logs.value.get_or_insert_with(Vec::new);
        if let Some(other) = list
            .iter()
            .find(|f| eq(&f.target_resource_id, &target) && !f.name.eq_ignore_ascii_case(&name))
        {
            return Err(format!(
                "(FlowLogAlreadyExists) {target} already has flow log {}.",
                other.name
            ));
        }
        list.retain(|f| !f.name.eq_ignore_ascii_case(&name));
        list.push(FlowLog {
            id: format!("{}/flowLogs/{name}", watcher.id),
            name,
            location,
            target_resource_id: target,
            enabled: true,
            storage_id: Some(storage),
            // az: a retention of 0 (the default) turns the policy off: nothing is deleted.
            retention_enabled: Some(retention > 0),
            retention_days: Some(retention),
            format: Some("JSON".into()),
            format_version: Some(2),
            traffic_analytics_enabled: ta,
            traffic_analytics_interval_minutes: ta.then_some(interval.unwrap_or(60)),
            traffic_analytics_workspace_id: workspace,
        });
        Ok(())
    }

    fn flow_log_update(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let location = o.need("--location")?;
        let name = o.need("--name")?;
        let retention = o.number("--retention")?;
        let workspace = o.get("--workspace");
        let ta = o.flag("--traffic-analytics")?;
        let interval = o.number("--interval")?;
        let enabled = o.flag("--enabled")?;
        if ta == Some(true) && workspace.is_none() {
            return Err("--traffic-analytics needs --workspace".into());
        }
        let sub = self.sub(&sub_id)?;
        let f = sub
            .flow_logs
            .value
            .get_or_insert_with(Vec::new)
            .iter_mut()
            .find(|f| {
                f.name.eq_ignore_ascii_case(&name) && f.location.eq_ignore_ascii_case(&location)
            })
            .ok_or_else(|| not_found("flow log", &name))?;
        if let Some(r) = retention {
            f.retention_days = Some(r);
            f.retention_enabled = Some(r > 0);
        }
        if let Some(w) = workspace {
            f.traffic_analytics_workspace_id = Some(w);
        }
        if let Some(t) = ta {
            f.traffic_analytics_enabled = t;
            f.traffic_analytics_interval_minutes = t.then_some(interval.unwrap_or(60));
        }
        if let Some(e) = enabled {
            f.enabled = e;
        }
        Ok(())
    }

    fn workspace_by_name(
        &mut self,
        sub_id: &str,
        rg: &str,
        name: &str,
    ) -> Result<&mut logposture::inventory::Workspace, Refusal> {
        let id = format!("/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{name}");
        self.sub(sub_id)?
            .workspaces
            .value
            .get_or_insert_with(Vec::new)
            .iter_mut()
            .find(|w| eq(&w.id, &id))
            .ok_or_else(|| not_found("workspace", &id))
    }

    fn workspace_update(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let rg = o.need("--resource-group")?;
        let name = o.need("--workspace-name")?;
        let days = o
            .number("--retention-time")?
            .ok_or("the plans set --retention-time")?;
        if !(30..=730).contains(&days) {
            return Err(format!(
                "(InvalidParameter) Retention {days} is not between 30 and 730 days."
            ));
        }
        let w = self.workspace_by_name(&sub_id, &rg, &name)?;
        w.retention_in_days = Some(days);
        // Tables that inherit the workspace's retention follow it.
        for t in w.tables.value.iter_mut().flatten() {
            if t.retention_is_default {
                t.retention_in_days = Some(days);
                if t.total_retention_is_default {
                    t.total_retention_in_days = Some(days);
                }
            }
        }
        Ok(())
    }

    fn table_update(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let (sub_id, rg, ws, table) = match o.get("--ids") {
            Some(id) => {
                let parts: Vec<&str> = id.trim_start_matches('/').split('/').collect();
                match parts.as_slice() {
                    [_, sub, _, rg, _, _, _, ws, t, table] if t.eq_ignore_ascii_case("tables") => (
                        sub.to_string(),
                        rg.to_string(),
                        ws.to_string(),
                        table.to_string(),
                    ),
                    _ => return Err(format!("--ids {id}: not a workspace table id")),
                }
            }
            None => (
                self.subscription(o)?,
                o.need("--resource-group")?,
                o.need("--workspace-name")?,
                o.need("--name")?,
            ),
        };
        let interactive = o.number("--retention-time")?;
        let total = o.number("--total-retention-time")?;
        if let Some(d) = interactive {
            if !(4..=730).contains(&d) {
                return Err(format!(
                    "(InvalidParameter) Interactive retention {d} is not between 4 and 730 days."
                ));
            }
        }
        let w = self.workspace_by_name(&sub_id, &rg, &ws)?;
        let ws_days = w.retention_in_days;
        let t = w
            .tables
            .value
            .get_or_insert_with(Vec::new)
            .iter_mut()
            .find(|t| t.name.eq_ignore_ascii_case(&table))
            .ok_or_else(|| not_found("table", &table))?;
        let effective = interactive.or(t.retention_in_days).or(ws_days);
        if let (Some(total), Some(i)) = (total, effective) {
            if total < i || total > 4383 {
                return Err(format!("(InvalidParameter) Total retention {total} must be between the interactive retention ({i}) and 4383 days."));
            }
        }
        if let Some(d) = interactive {
            t.retention_in_days = Some(d);
            t.retention_is_default = false;
        }
        if let Some(d) = total {
            t.total_retention_in_days = Some(d);
            t.total_retention_is_default = false;
        }
        Ok(())
    }

    fn sql_audit(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let id = match o.get("--ids") {
            Some(id) => id,
            None => {
                let sub = self.subscription(o)?;
                let rg = o.need("--resource-group")?;
                let name = o.need("--name")?;
                format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Sql/servers/{name}")
            }
        };
        let state = o.get("--state");
        let blob = o.get("--blob-storage-target-state");
        let days = o.number("--retention-days")?;
        let la = o.get("--log-analytics-target-state");
        let la_ws = o.get("--log-analytics-workspace-resource-id");
        let storage = o.get("--storage-account").or(o.get("--storage-endpoint"));
        if la.as_deref() == Some("Enabled") {
            let w = la_ws.ok_or("--log-analytics-workspace-resource-id is required when the Log Analytics target is enabled")?;
            workspace_id("--log-analytics-workspace-resource-id", &w)?;
            self.check_workspace(&w)?;
            let sub = self.sub_of(&id)?;
            let server = sub.sql_servers.find_id("server", &id)?;
            let a = server.auditing.value.get_or_insert_with(Default::default);
            a.azure_monitor_target = Some(true);
            a.state = Some("Enabled".into());
            // az writes the master database's setting that carries the audit records.
            let master = DiagnosticSetting {
                id: format!("{id}/databases/master/providers/microsoft.insights/diagnosticSettings/SQLSecurityAuditEvents_3d229c42-c7e7-4c97-9a99-ec0d0d8b86c1"),
                name: "SQLSecurityAuditEvents_3d229c42-c7e7-4c97-9a99-ec0d0d8b86c1".into(),
                workspace_id: Some(w),
                logs: vec![LogSetting {
                    category: Some("SQLSecurityAuditEvents".into()),
                    category_group: None,
                    enabled: true,
                }],
                ..Default::default()
            };
            upsert_setting(&mut server.master_diagnostic_settings, master, None)?;
        }
        let sub = self.sub_of(&id)?;
        let server = sub.sql_servers.find_id("server", &id)?;
        let a = server.auditing.value.get_or_insert_with(Default::default);
        if blob.as_deref() == Some("Enabled") {
            if a.storage_endpoint.is_none() && storage.is_none() {
                return Err("(InvalidParameter) Enabling the storage target needs --storage-account or --storage-endpoint.".into());
            }
            if let Some(s) = storage {
                a.storage_endpoint = Some(s);
            }
            a.state = Some("Enabled".into());
        }
        if let Some(s) = state {
            a.state = Some(s);
        }
        if let Some(d) = days {
            a.retention_days = Some(d);
        }
        Ok(())
    }

    fn parameter(&mut self, o: &mut Opts, engine: &str) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let rg = o.need("--resource-group")?;
        let server = o.need("--server-name")?;
        let name = o.need("--name")?;
        let value = o.need("--value")?;
        let provider = if engine == "mysql" {
            "Microsoft.DBforMySQL"
        } else {
            "Microsoft.DBforPostgreSQL"
        };
        let id = format!("/subscriptions/{sub_id}/resourceGroups/{rg}/providers/{provider}/flexibleServers/{server}");
        let s = self.sub(&sub_id)?.database_servers.find_id("server", &id)?;
        let params = s.parameters.value.get_or_insert_with(Default::default);
        let key = name.to_ascii_lowercase();
        if !params.contains_key(&key) {
            return Err(format!(
                "(ParameterNotFound) Server {server} has no parameter {name}."
            ));
        }
        params.insert(key, value);
        Ok(())
    }

    fn alert_create(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let name = o.need("--name")?;
        let sub_id = self.subscription(o)?;
        let rg = o.need("--resource-group")?;
        let scopes = o.all("--scope");
        let condition = o.all("--condition").join(" ");
        let groups = o.all("--action-group");
        o.get("--description");
        if scopes.is_empty() || condition.is_empty() {
            return Err("the following arguments are required: --scope, --condition".into());
        }
        let mut conditions = Vec::new();
        for part in condition.split(" and ") {
            let (field, value) = part
                .split_once('=')
                .ok_or_else(|| format!("--condition: '{part}' is not field=value"))?;
            conditions.push(AlertCondition {
                field: field.trim().to_string(),
                equals: value.trim().to_string(),
            });
        }
        for g in &groups {
            let known = self
                .snap
                .inventory
                .subscriptions
                .iter()
                .flat_map(|s| s.action_groups.items())
                .any(|a| eq(&a.id, g));
            if !known {
                return Err(not_found("action group", g));
            }
        }
        let id = format!("/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Insights/activityLogAlerts/{name}");
        let list = self
            .sub(&sub_id)?
            .activity_log_alerts
            .value
            .get_or_insert_with(Vec::new);
        list.retain(|a| !eq(&a.id, &id));
        list.push(ActivityLogAlert {
            id,
            name,
            enabled: true,
            scopes,
            conditions,
            action_groups: groups,
        });
        Ok(())
    }

    fn alert_update(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let id = o.need("--ids")?;
        let enabled = o.flag("--enabled")?;
        let a = self
            .sub_of(&id)?
            .activity_log_alerts
            .find_id("activity log alert", &id)?;
        if let Some(e) = enabled {
            a.enabled = e;
        }
        Ok(())
    }

    fn dcr_association(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        o.need("--name")?;
        let rule = o.need("--rule-id")?;
        let resource = o.need("--resource")?;
        let known = self
            .snap
            .inventory
            .subscriptions
            .iter()
            .flat_map(|s| s.data_collection_rules.items())
            .any(|d| eq(&d.id, &rule));
        if !known {
            return Err(not_found("data collection rule", &rule));
        }
        let vm = self
            .sub_of(&resource)?
            .virtual_machines
            .find_id("virtual machine", &resource)?;
        let list = vm.dcr_associations.value.get_or_insert_with(Vec::new);
        if !list.iter().any(|r| eq(r, &rule)) {
            list.push(rule);
        }
        Ok(())
    }

    fn pricing(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let name = o.need("--name")?;
        let tier = o.need("--tier")?;
        let sub_plan = o.get("--subplan");
        let extensions = o.all("--extensions");
        if tier != "Standard" && tier != "Free" {
            return Err(format!("--tier: invalid choice '{tier}'"));
        }
        let plan = self
            .sub(&sub_id)?
            .defender_plans
            .value
            .get_or_insert_with(Vec::new)
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(&name))
            .ok_or_else(|| format!("(InvalidInputJson) Unknown pricing name {name}."))?;
        plan.pricing_tier = tier;
        if sub_plan.is_some() {
            plan.sub_plan = sub_plan;
        }
        if !extensions.is_empty() {
            let name = extensions
                .iter()
                .find_map(|e| e.strip_prefix("name="))
                .ok_or("--extensions needs name=")?;
            let on = extensions.iter().any(|e| e == "isEnabled=True");
            let list = plan.extensions.get_or_insert_with(Vec::new);
            list.retain(|x| x.name != name);
            list.push(logposture::inventory::PlanExtension {
                name: name.to_string(),
                enabled: Some(on),
            });
        }
        Ok(())
    }

    fn storage_update(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let name = o.need("--name")?;
        let rg = o.need("--resource-group")?;
        let public = o.flag("--allow-blob-public-access")?;
        let key_source = o.get("--encryption-key-source");
        let vault = o.get("--encryption-key-vault");
        let key = o.get("--encryption-key-name");
        let immutability = o.get("--immutability-state");
        let period = o.number("--immutability-period")?;
        let id = format!("/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}");
        let st = self
            .sub(&sub_id)?
            .storage_accounts
            .find_id("storage account", &id)?;
        if let Some(p) = public {
            st.allow_blob_public_access = Some(p);
        }
        if let Some(k) = key_source {
            if k == "Microsoft.Keyvault" && (vault.is_none() || key.is_none()) {
                return Err("--encryption-key-source Microsoft.Keyvault needs --encryption-key-vault and --encryption-key-name".into());
            }
            st.key_source = Some(k);
        }
        if let Some(state) = immutability {
            if period.is_none() {
                return Err("--immutability-state needs --immutability-period".into());
            }
            st.immutability_enabled = Some(state != "Disabled");
        }
        Ok(())
    }

    fn dns_policy(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let rg = o.need("--resource-group")?;
        let name = o.need("--name")?;
        let location = o.need("--location")?;
        let id = format!("/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Network/dnsResolverPolicies/{name}");
        let sub = self.sub(&sub_id)?;
        let list = sub.dns_security_policies.value.get_or_insert_with(Vec::new);
        if !list.iter().any(|p| eq(&p.id, &id)) {
            list.push(DnsSecurityPolicy {
                id: id.clone(),
                name: name.clone(),
                location: location.clone(),
                virtual_network_ids: Read::ok(Vec::new()),
            });
            sub.resources
                .value
                .get_or_insert_with(Vec::new)
                .push(Resource {
                    id: id.clone(),
                    name,
                    resource_type: "Microsoft.Network/dnsResolverPolicies".into(),
                    location,
                    ..Default::default()
                });
            sub.resource_diagnostics.push(ResourceDiagnostics {
                resource_id: id,
                resource_type: "Microsoft.Network/dnsResolverPolicies".into(),
                settings: Read::ok(Vec::new()),
            });
        }
        Ok(())
    }

    fn dns_link(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let rg = o.need("--resource-group")?;
        let policy = o.need("--policy-name")?;
        o.need("--name")?;
        let location = o.need("--location")?;
        let vnet = o.need("--virtual-network")?;
        let vnet_location = self
            .snap
            .inventory
            .subscriptions
            .iter()
            .flat_map(|s| s.virtual_networks.items())
            .find(|v| eq(&v.id, &vnet))
            .map(|v| v.location.clone());
        let id = format!("/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Network/dnsResolverPolicies/{policy}");
        let p = self
            .sub(&sub_id)?
            .dns_security_policies
            .find_id("DNS security policy", &id)?;
        if !p.location.eq_ignore_ascii_case(&location) {
            return Err(format!(
                "(BadRequest) The link must be in the policy's region {}.",
                p.location
            ));
        }
        if let Some(l) = vnet_location {
            if !l.eq_ignore_ascii_case(&p.location) {
                return Err(format!("(BadRequest) A DNS security policy links virtual networks of its own region ({}), not {l}.", p.location));
            }
        }
        let links = p.virtual_network_ids.value.get_or_insert_with(Vec::new);
        if !links.iter().any(|v| eq(v, &vnet)) {
            links.push(vnet);
        }
        Ok(())
    }

    /// `az vm extension set`: the Azure Monitor Agent of the VM's OS, provisioned.
    fn vm_extension(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let id = o.need("--ids")?;
        let name = o.need("--name")?;
        let publisher = o.need("--publisher")?;
        o.flag("--enable-auto-upgrade")?;
        let vm = self
            .sub_of(&id)?
            .virtual_machines
            .find_id("virtual machine", &id)?;
        let want = if vm.is_windows() {
            "AzureMonitorWindowsAgent"
        } else {
            "AzureMonitorLinuxAgent"
        };
        if publisher != "Microsoft.Azure.Monitor" || name != want {
            return Err(format!(
                "(VMExtensionProvisioningError) {name} from {publisher} does not run on this VM's OS (it takes {want})."
            ));
        }
        vm.monitor_agent = Read::ok(Some("Succeeded".into()));
        Ok(())
    }

    fn app_insights(&mut self, o: &mut Opts) -> Result<(), Refusal> {
        let sub_id = self.subscription(o)?;
        let app = o.need("--app")?;
        let location = o.need("--location")?;
        let rg = o.need("--resource-group")?;
        let workspace = workspace_id("--workspace", &o.need("--workspace")?)?;
        self.check_workspace(&workspace)?;
        let id = format!("/subscriptions/{sub_id}/resourceGroups/{rg}/providers/Microsoft.Insights/components/{app}");
        let list = self
            .sub(&sub_id)?
            .app_insights
            .value
            .get_or_insert_with(Vec::new);
        list.retain(|c| !eq(&c.id, &id));
        list.push(AppInsightsComponent {
            id,
            name: app,
            location,
            workspace_id: Some(workspace),
            ingestion_mode: Some("LogAnalytics".into()),
        });
        Ok(())
    }
}

/// A directory holding an `az` that records each call's arguments (NUL-separated, one file per
/// call, numbered) under `$AZ_CALLS`, for [`recorded`].
pub fn recorder(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let az = bin.join("az");
    std::fs::write(
        &az,
        "#!/bin/sh\nn=$(ls \"$AZ_CALLS\" | wc -l)\nprintf '%s\\0' \"$@\" > \"$AZ_CALLS/$(printf %06d \"$n\")\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// The calls the recording `az` saw, in order.
pub fn recorded(calls: &Path) -> Vec<Vec<String>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(calls)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).unwrap();
            bytes
                .split(|b| *b == 0)
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect::<Vec<_>>()
        })
        .map(|mut v| {
            // printf's last NUL leaves one empty word after it.
            if v.last().is_some_and(|w| w.is_empty()) {
                v.pop();
            }
            v
        })
        .collect()
}
