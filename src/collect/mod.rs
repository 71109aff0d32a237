//! Stage 1, collect: read an Azure estate through ARM into an [`Inventory`] snapshot.
//!
//! Only this module knows HTTP, `azure_core` and the Azure SDK. One file per Azure area; this
//! file resolves the scope and runs the areas of every subscription in parallel (the transport
//! bounds requests in flight and paces each subscription's reads). A failed read is recorded and
//! the scan goes on; a 403 on a subscription's resource list marks that subscription not assessed
//! without spending more reads on it.

pub mod alerts;
pub mod app_insights;
pub mod app_service;
pub mod arm;
pub mod arrival;
pub mod credential;
pub mod databases;
pub mod dcr;
pub mod defender;
pub mod diagnostics;
pub mod dns;
pub mod entra;
pub mod guard;
pub mod identity;
pub mod jit;
pub mod lenient;
pub mod locks;
pub mod network;
pub mod sql;
pub mod storage;
pub mod subscriptions;
pub mod workspaces;

use crate::inventory::{
    id_key, type_key, CollectionStats, Inventory, Read, ReadError, Resource, ResourceDiagnostics,
    ScanScope, Snapshot, SubscriptionInventory, SubscriptionRef, ToolInfo, TypeCategories,
};
pub use crate::inventory::{Shard, STORAGE_SERVICES};
use arm::ArmClient;
use futures::stream::{self, StreamExt};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Which part of the estate to read.
#[derive(Debug, Clone, Default)]
pub struct CollectOptions {
    pub subscriptions: Vec<String>,
    pub exclude_subscriptions: Vec<String>,
    pub management_group: Option<String>,
    pub shard: Option<Shard>,
    /// Query each workspace's `Usage` table for measured volume.
    pub measure_usage: bool,
    /// Run arrival queries on tables billed per GB scanned (Basic, Auxiliary).
    pub query_paid_tables: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Reads of per-resource diagnostic settings kept in flight per subscription.
    pub per_subscription_parallelism: usize,
    /// Subscriptions read at the same time (0 = default of 64).
    pub subscription_parallelism: usize,
}

/// Errors shared by concurrently running reads.
#[derive(Clone, Default)]
struct ErrorSink(Arc<Mutex<Vec<ReadError>>>);

impl ErrorSink {
    fn push(&self, e: ReadError) {
        self.extend(vec![e]);
    }
    fn extend(&self, es: Vec<ReadError>) {
        if es.is_empty() {
            return;
        }
        let mut g = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.extend(es);
    }
    /// A read's outcome as a `Read`, recording the error when it failed.
    fn record<T>(&self, result: Result<T, ReadError>) -> Read<T> {
        match result {
            Ok(v) => Read::ok(v),
            Err(e) => {
                self.push(e.clone());
                Read::failed(e)
            }
        }
    }
    /// A list read with the items that could not be read: those are recorded, and the list is
    /// partial, so checks answer not assessed instead of judging a list with holes in it.
    fn record_list<T>(&self, result: Result<T, ReadError>, item_errors: Vec<ReadError>) -> Read<T> {
        let first = item_errors.first().cloned();
        self.extend(item_errors);
        match (self.record(result), first) {
            (
                Read {
                    value: Some(v),
                    error: None,
                },
                Some(e),
            ) => Read::partial(v, Some(e)),
            (read, _) => read,
        }
    }
    fn take(&self) -> Vec<ReadError> {
        let mut g = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        std::mem::take(&mut *g)
    }
}

/// Diagnostic-settings categories per resource type, learnt once per type for the whole scan.
#[derive(Default)]
struct CategoryCache {
    cells: tokio::sync::Mutex<HashMap<String, Arc<OnceCell<Read<TypeCategories>>>>>,
}

impl CategoryCache {
    async fn get(
        &self,
        client: &ArmClient,
        resource: &Resource,
        sink: &ErrorSink,
    ) -> Read<TypeCategories> {
        let key = type_key(&resource.resource_type);
        let cell = {
            let mut cells = self.cells.lock().await;
            cells.entry(key).or_default().clone()
        };
        cell.get_or_init(|| async {
            sink.record(diagnostics::type_categories(client, &resource.id).await)
        })
        .await
        .clone()
    }

    async fn into_map(self) -> BTreeMap<String, Read<TypeCategories>> {
        let cells = self.cells.into_inner();
        cells
            .into_iter()
            .filter_map(|(k, c)| c.get().cloned().map(|v| (k, v)))
            .collect()
    }
}

/// Now, RFC 3339 in UTC to the second (see [`crate::support::timestamp`]).
pub fn now_rfc3339() -> String {
    crate::support::timestamp::now()
}

/// The scan's answers could not be checked for echoed secrets: nothing is written rather than
/// something that may hold a token.
#[derive(Debug, thiserror::Error)]
#[error("the scan's answers could not be checked for echoed secrets ({0}); nothing is written rather than a snapshot that may hold a token")]
pub struct RedactionFailed(String);

/// Read the estate. Every problem reading Azure is an entry in `errors`; the one failure is a
/// snapshot that cannot be redacted (fail closed).
pub async fn collect(
    client: &ArmClient,
    cloud: &str,
    opts: &CollectOptions,
) -> Result<Snapshot, RedactionFailed> {
    let started = std::time::Instant::now();
    let started_at = now_rfc3339();
    let sink = ErrorSink::default();
    let (subscriptions, tenant_from_arm) = resolve_scope(client, opts, &sink).await;

    let progress = progress_bar(opts.progress, subscriptions.len() as u64);
    let ticker = progress.clone().map(|pb| {
        let stats_client = client.clone();
        tokio::spawn(async move {
            loop {
                let s = stats_client.stats();
                // The ETA is the throttle floor of what is left, not subscriptions per second:
                // one large subscription decides when the scan ends.
                let eta = match stats_client.floor_eta() {
                    Some(d) => format!("about {} left at ARM's read limit", human_duration(d)),
                    None => "estimating".to_string(),
                };
                pb.set_message(format!(
                    "{} reads, {} throttled; {eta}",
                    s.requests.load(Ordering::Relaxed),
                    s.throttled.load(Ordering::Relaxed)
                ));
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
    });

    let categories = CategoryCache::default();
    let entra = async {
        futures::join!(
            read_list(&sink, async |e| entra::tenant_settings(client, e).await),
            read_list(&sink, async |e| entra::tenant_categories(client, e).await),
        )
    };
    let subs = stream::iter(subscriptions.iter().cloned())
        .map(|s| {
            let sink = sink.clone();
            let categories = &categories;
            let progress = progress.clone();
            async move {
                let inv = collect_subscription(client, s, categories, opts, &sink).await;
                if let Some(pb) = &progress {
                    pb.inc(1);
                }
                inv
            }
        })
        .buffered(if opts.subscription_parallelism == 0 {
            64
        } else {
            opts.subscription_parallelism
        })
        .collect::<Vec<_>>();
    let ((entra_settings, entra_categories), mut subscription_inventories) =
        futures::join!(entra, subs);
    if opts.measure_usage {
        // Configured is not collected: each destination workspace says what it received.
        let errors = arrival::read(
            client,
            &mut subscription_inventories,
            entra_settings.items(),
            opts.query_paid_tables,
        )
        .await;
        sink.extend(errors);
    }

    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(pb) = progress {
        pb.finish_and_clear();
    }

    let errors = sink.take();
    let stats = client.stats();
    let tenant_id = std::env::var("AZURE_TENANT_ID")
        .ok()
        .filter(|t| !t.is_empty())
        .or(tenant_from_arm);
    let snapshot = Snapshot {
        snapshot_format: crate::inventory::SNAPSHOT_FORMAT_VERSION,
        tool: ToolInfo::current(),
        tenant_id,
        cloud: cloud.to_string(),
        started_at,
        finished_at: now_rfc3339(),
        scope: ScanScope {
            requested_subscriptions: opts.subscriptions.clone(),
            excluded_subscriptions: opts.exclude_subscriptions.clone(),
            management_group: opts.management_group.clone(),
            shard: opts.shard.map(|s| s.to_string()),
            subscriptions,
        },
        inventory: Inventory {
            subscriptions: subscription_inventories,
            entra_diagnostic_settings: entra_settings,
            entra_log_categories: entra_categories,
            diagnostic_categories: categories.into_map().await,
            arrival_collected: opts.measure_usage,
        },
        identity: client.identity(),
        stats: CollectionStats {
            requests: stats.requests.load(Ordering::Relaxed),
            retries: stats.retries.load(Ordering::Relaxed),
            throttled: stats.throttled.load(Ordering::Relaxed),
            failed_reads: errors.len() as u64,
            duration_ms: started.elapsed().as_millis() as u64,
        },
        errors,
    };
    let mut snapshot = snapshot;
    snapshot.enforce_bounds();
    redact_snapshot(snapshot, client.secrets())
}

/// The snapshot without any token or secret an ARM answer echoed back (in an error message,
/// a name, anywhere): it is written to disk and its values reach every report.
/// Fails closed: a snapshot that cannot be serialised, searched or read back after
/// redaction is an error, never the unredacted original.
pub fn redact_snapshot(
    snapshot: Snapshot,
    secrets: &guard::Secrets,
) -> Result<Snapshot, RedactionFailed> {
    let text = serde_json::to_string(&snapshot).map_err(|e| RedactionFailed(e.to_string()))?;
    if !secrets.needs_redaction(&text) {
        return Ok(snapshot);
    }
    let mut value = serde_json::from_str(&text).map_err(|e| RedactionFailed(e.to_string()))?;
    redact_value(&mut value, secrets);
    serde_json::from_value(value).map_err(|e| RedactionFailed(e.to_string()))
}

fn redact_value(v: &mut serde_json::Value, secrets: &guard::Secrets) {
    match v {
        serde_json::Value::String(s) if secrets.needs_redaction(s) => *s = secrets.redact(s),
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| redact_value(x, secrets)),
        serde_json::Value::Object(o) => {
            if o.keys().any(|k| secrets.needs_redaction(k)) {
                *o = std::mem::take(o)
                    .into_iter()
                    .map(|(k, v)| (secrets.redact(&k), v))
                    .collect();
            }
            o.values_mut().for_each(|x| redact_value(x, secrets))
        }
        _ => {}
    }
}

/// `1h02m`, `3m05s`, `42s`.
fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

fn progress_bar(enabled: bool, len: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} subscriptions {pos}/{len} [{bar:30}] {msg} (elapsed {elapsed})",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    .progress_chars("=> ");
    pb.set_style(style);
    pb.enable_steady_tick(std::time::Duration::from_millis(250));
    Some(pb)
}

/// The subscriptions in scope, sorted by id, exclusions and shard applied.
async fn resolve_scope(
    client: &ArmClient,
    opts: &CollectOptions,
    sink: &ErrorSink,
) -> (Vec<SubscriptionRef>, Option<String>) {
    let mut errors = Vec::new();
    let mut tenant = None;
    let mut subs: Vec<SubscriptionRef> = if !opts.subscriptions.is_empty() {
        let mut out = Vec::new();
        for id in &opts.subscriptions {
            let (s, t) = subscriptions::get_one(client, id, &mut errors).await;
            tenant = tenant.or(t);
            out.push(s);
        }
        out
    } else if let Some(group) = &opts.management_group {
        match subscriptions::management_group_subscriptions(client, group, &mut errors).await {
            Ok(mut found) => {
                // Descendants carry no state: join with the visible list to learn it.
                if let Ok(visible) = subscriptions::list_visible(client, &mut errors).await {
                    tenant = visible.tenant_id;
                    let states: HashMap<String, SubscriptionRef> = visible
                        .subscriptions
                        .into_iter()
                        .map(|s| (s.id.to_ascii_lowercase(), s))
                        .collect();
                    for s in &mut found {
                        if let Some(v) = states.get(&s.id.to_ascii_lowercase()) {
                            s.state = v.state.clone();
                            if s.name.is_empty() {
                                s.name = v.name.clone();
                            }
                        }
                    }
                }
                found
            }
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        }
    } else {
        match subscriptions::list_visible(client, &mut errors).await {
            Ok(v) => {
                tenant = v.tenant_id;
                v.subscriptions
            }
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        }
    };
    let excluded: Vec<String> = opts
        .exclude_subscriptions
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    subs.retain(|s| !excluded.contains(&s.id.to_ascii_lowercase()));
    if let Some(shard) = opts.shard {
        subs.retain(|s| shard.includes(&s.id));
    }
    subs.sort_by_key(|a| a.id.to_ascii_lowercase());
    subs.dedup_by(|a, b| a.id.eq_ignore_ascii_case(&b.id));
    sink.extend(errors);
    (subs, tenant)
}

/// Turn one list read into a `Read`, recording its error and the errors of malformed items.
async fn read_list<T, F>(sink: &ErrorSink, f: F) -> Read<Vec<T>>
where
    F: AsyncFnOnce(&mut Vec<ReadError>) -> Result<Vec<T>, ReadError>,
{
    let mut item_errors = Vec::new();
    let result = f(&mut item_errors).await;
    sink.record_list(result, item_errors)
}

/// A list read outside `read_list` (per parent resource): partial when any item was unreadable.
fn with_item_errors<T>(result: Result<T, ReadError>, item_errors: &[ReadError]) -> Read<T> {
    match (result, item_errors.first()) {
        (Ok(v), Some(e)) => Read::partial(v, Some(e.clone())),
        (r, _) => Read::from_result(r),
    }
}

async fn collect_subscription(
    client: &ArmClient,
    sub: SubscriptionRef,
    categories: &CategoryCache,
    opts: &CollectOptions,
    sink: &ErrorSink,
) -> SubscriptionInventory {
    let mut inv = SubscriptionInventory {
        subscription: sub.clone(),
        ..Default::default()
    };
    if !sub.is_readable_state() && sub.state != "Unknown" {
        return inv;
    }
    inv.scanned = true;
    let sid = sub.id.as_str();

    inv.resources = read_list(sink, async |e| {
        subscriptions::list_resources(client, sid, e).await
    })
    .await;
    if let Some(err) = inv
        .resources
        .error
        .clone()
        .filter(|e| e.is_forbidden() || e.status == Some(404))
    {
        // The identity cannot read this subscription: every part is not assessed, and we do
        // not spend (and record) dozens more reads that would fail the same way.
        inv.mark_all_failed(err);
        return inv;
    }

    // A first estimate for the progress ETA: every resource may need a settings read.
    client.expect_reads(
        sid,
        SUBSCRIPTION_READS
            + per_parent_reads(inv.resources.items())
            + inv.resources.items().len() as u64,
    );

    let activity = read_list(sink, async |e| {
        diagnostics::activity_log_settings(client, sid, e).await
    });
    let network = async {
        let watchers = read_list(sink, async |e| network::watchers(client, sid, e).await).await;
        let mut flow_logs = Vec::new();
        let mut first_error = None;
        let per_watcher = futures::future::join_all(watchers.items().iter().map(|w| async move {
            let mut e = Vec::new();
            let r = network::flow_logs(client, w, &mut e).await;
            (r, e)
        }))
        .await;
        for (r, item_errors) in per_watcher {
            if let Some(e) = item_errors.first() {
                first_error.get_or_insert(e.clone());
            }
            sink.extend(item_errors);
            match r {
                Ok(v) => flow_logs.extend(v),
                Err(e) => {
                    sink.push(e.clone());
                    first_error.get_or_insert(e);
                }
            }
        }
        let flow_logs = match (&watchers.error, first_error) {
            (Some(we), _) => Read::partial(flow_logs, Some(we.clone())),
            (None, fe) => Read::partial(flow_logs, fe),
        };
        (watchers, flow_logs)
    };
    let nsgs = read_list(sink, async |e| {
        network::security_groups(client, sid, e).await
    });
    let vnets = read_list(sink, async |e| {
        network::virtual_networks(client, sid, e).await
    });
    let nics = async {
        let mut nics = read_list(sink, async |e| {
            network::network_interfaces(client, sid, e).await
        })
        .await;
        // Uniform scale sets' instance NICs are not in the subscription's NIC list.
        let sets =
            inv.resources.items().iter().filter(|r| {
                type_key(&r.resource_type) == "microsoft.compute/virtualmachinescalesets"
            });
        let per_set = futures::future::join_all(sets.map(|r| async move {
            let mut e = Vec::new();
            let read = network::scale_set_interfaces(client, &r.id, &mut e).await;
            (with_item_errors(read, &e), e)
        }))
        .await;
        for (read, item_errors) in per_set {
            sink.extend(item_errors);
            if let Some(e) = &read.error {
                sink.push(e.clone());
                nics.error.get_or_insert(e.clone());
            }
            if let (Some(list), Some(more)) = (nics.value.as_mut(), read.value) {
                list.extend(more);
            }
        }
        nics
    };
    // Rare types are listed only where the resource list holds them: a read saved per subscription.
    let public_ips = list_if_held(
        sink,
        &inv.resources,
        "microsoft.network/publicipaddresses",
        async |e| network::public_ip_addresses(client, sid, e).await,
    );
    let load_balancers = list_if_held(
        sink,
        &inv.resources,
        "microsoft.network/loadbalancers",
        async |e| network::load_balancers(client, sid, e).await,
    );
    let firewalls = list_if_held(
        sink,
        &inv.resources,
        "microsoft.network/azurefirewalls",
        async |e| network::firewalls(client, sid, e).await,
    );
    let firewall_policies = list_if_held(
        sink,
        &inv.resources,
        "microsoft.network/firewallpolicies",
        async |e| network::firewall_policies(client, sid, e).await,
    );
    let dns_policies = list_if_held(
        sink,
        &inv.resources,
        "microsoft.network/dnsresolverpolicies",
        async |e| dns::policies(client, sid, e).await,
    );
    // JIT policies are not ARM-tracked resources: not in the resource list, always listed.
    let jit_policies = read_list(sink, async |e| jit::policies(client, sid, e).await);
    let automations = read_list(sink, async |e| defender::automations(client, sid, e).await);
    let contacts = read_list(sink, async |e| {
        defender::security_contacts(client, sid, e).await
    });
    let locks = read_list(sink, async |e| locks::locks(client, sid, e).await);
    let workspaces = async {
        let mut ws = read_list(sink, async |e| workspaces::list(client, sid, e).await).await;
        if let Some(list) = ws.value.as_mut() {
            let filled = futures::future::join_all(list.drain(..).map(|mut w| async move {
                let mut e = Vec::new();
                workspaces::fill_details(client, &mut w, opts.measure_usage, &mut e).await;
                (w, e)
            }))
            .await;
            for (w, e) in filled {
                sink.extend(e);
                for part_error in [
                    &w.tables.error,
                    &w.security_event_tier.error,
                    &w.windows_event_logs.error,
                    &w.usage.error,
                ]
                .into_iter()
                .flatten()
                {
                    sink.push(part_error.clone());
                }
                list.push(w);
            }
        }
        ws
    };
    let dcrs = read_list(sink, async |e| dcr::rules(client, sid, e).await);
    let vms = async {
        let mut vms = read_list(sink, async |e| dcr::virtual_machines(client, sid, e).await).await;
        if let Some(list) = vms.value.as_mut() {
            // Every VM's associations: security events (Windows) and Syslog (Linux).
            let results = futures::future::join_all(list.iter().map(|vm| async move {
                let mut e = Vec::new();
                let r = dcr::associations(client, &vm.id, &mut e).await;
                (with_item_errors(r, &e), e)
            }))
            .await;
            for (vm, (assoc, item_errors)) in list.iter_mut().zip(results) {
                sink.extend(item_errors);
                if let Some(err) = &assoc.error {
                    sink.push(err.clone());
                }
                vm.dcr_associations = assoc;
            }
            // A rule collects nothing on a VM without the Azure Monitor Agent: read the
            // extensions of VMs with a rule, and every VM's power state (one list).
            let agents = futures::future::join_all(list.iter().map(|vm| async move {
                if vm.dcr_associations.items().is_empty() {
                    return None;
                }
                let mut e = Vec::new();
                let r = dcr::monitor_agent(client, &vm.id, &mut e).await;
                Some((with_item_errors(r, &e), e))
            }));
            let power = read_list(sink, async |e| dcr::power_states(client, sid, e).await);
            let (agents, power) = futures::join!(agents, power);
            let power: std::collections::HashMap<String, String> =
                power.value.unwrap_or_default().into_iter().collect();
            for (vm, agent) in list.iter_mut().zip(agents) {
                if let Some((agent, item_errors)) = agent {
                    sink.extend(item_errors);
                    if let Some(err) = &agent.error {
                        sink.push(err.clone());
                    }
                    vm.monitor_agent = agent;
                }
                vm.power_state = power.get(&crate::inventory::id_key(&vm.id)).cloned();
            }
        }
        vms
    };
    let defender = read_list(sink, async |e| defender::plans(client, sid, e).await);
    let alerts = read_list(sink, async |e| {
        alerts::activity_log_alerts(client, sid, e).await
    });
    let storage = read_list(sink, async |e| storage::accounts(client, sid, e).await);
    let action_groups = read_list(sink, async |e| alerts::action_groups(client, sid, e).await);
    let web_apps = read_list(sink, async |e| app_service::sites(client, sid, e).await);
    let app_insights = read_list(sink, async |e| {
        app_insights::components(client, sid, e).await
    });
    // SQL and database servers come from the resource list: per-server reads only.
    let sql_servers = async {
        let (servers, errors) = sql::servers(client, inv.resources.items()).await;
        sink.extend(errors);
        from_resources(&inv.resources, servers)
    };
    let database_servers = async {
        let (servers, errors) = databases::servers(client, inv.resources.items()).await;
        sink.extend(errors);
        from_resources(&inv.resources, servers)
    };
    let resource_diags =
        resource_diagnostics(client, sid, inv.resources.items(), categories, opts, sink);

    let (
        activity,
        (watchers, flow_logs),
        nsgs,
        vnets,
        nics,
        workspaces,
        dcrs,
        vms,
        defender,
        alerts,
        storage,
        action_groups,
        diags,
        (web_apps, app_insights, sql_servers, database_servers),
        (public_ips, firewalls, firewall_policies, dns_policies, jit_policies),
        (load_balancers, automations, contacts, locks),
    ) = futures::join!(
        activity,
        network,
        nsgs,
        vnets,
        nics,
        workspaces,
        dcrs,
        vms,
        defender,
        alerts,
        storage,
        action_groups,
        resource_diags,
        futures::future::join4(web_apps, app_insights, sql_servers, database_servers),
        futures::future::join5(
            public_ips,
            firewalls,
            firewall_policies,
            dns_policies,
            jit_policies
        ),
        futures::future::join4(load_balancers, automations, contacts, locks)
    );
    inv.activity_log_settings = activity;
    inv.network_watchers = watchers;
    inv.flow_logs = flow_logs;
    inv.network_security_groups = nsgs;
    inv.virtual_networks = vnets;
    inv.network_interfaces = nics;
    inv.workspaces = workspaces;
    inv.data_collection_rules = dcrs;
    inv.virtual_machines = vms;
    inv.defender_plans = defender;
    inv.activity_log_alerts = alerts;
    inv.storage_accounts = storage;
    inv.action_groups = action_groups;
    inv.resource_diagnostics = diags;
    inv.web_apps = web_apps;
    inv.app_insights = app_insights;
    inv.sql_servers = sql_servers;
    inv.database_servers = database_servers;
    inv.public_ip_addresses = public_ips;
    inv.firewalls = firewalls;
    inv.load_balancers = load_balancers;
    inv.firewall_policies = firewall_policies;
    inv.dns_security_policies = dns_policies;
    inv.jit_policies = jit_policies;
    inv.security_automations = automations;
    inv.security_contacts = contacts;
    inv.management_locks = locks;
    inv
}

/// A subscription list read only when the resource list holds its type; otherwise empty, and as
/// complete as the resource list (a partial resource list leaves it unknown).
async fn list_if_held<T, F>(
    sink: &ErrorSink,
    resources: &Read<Vec<Resource>>,
    resource_type: &str,
    f: F,
) -> Read<Vec<T>>
where
    F: AsyncFnOnce(&mut Vec<ReadError>) -> Result<Vec<T>, ReadError>,
{
    let held = resources
        .items()
        .iter()
        .any(|r| type_key(&r.resource_type) == resource_type);
    if held {
        read_list(sink, f).await
    } else {
        from_resources(resources, Vec::new())
    }
}

/// Per-item reads gathered: the items, and every item's errors in one list.
fn with_all_errors<T>(read: Vec<(T, Vec<ReadError>)>) -> (Vec<T>, Vec<ReadError>) {
    let mut items = Vec::with_capacity(read.len());
    let mut errors = Vec::new();
    for (item, e) in read {
        items.push(item);
        errors.extend(e);
    }
    (items, errors)
}

/// A list derived from the resource list is as complete as that list: its error carries over.
fn from_resources<T>(resources: &Read<Vec<Resource>>, items: Vec<T>) -> Read<Vec<T>> {
    match (&resources.value, &resources.error) {
        (None, Some(e)) => Read::failed(e.clone()),
        (_, e) => Read::partial(items, e.clone()),
    }
}

/// The resources plus each storage account's service children (`{account}/blobServices/default`, ...).
fn with_storage_services(resources: &[Resource]) -> Vec<Resource> {
    let mut out = resources.to_vec();
    for r in resources
        .iter()
        .filter(|r| type_key(&r.resource_type) == "microsoft.storage/storageaccounts")
    {
        for svc in STORAGE_SERVICES {
            out.push(Resource {
                id: format!("{}/{svc}/default", r.id),
                name: "default".into(),
                resource_type: format!("Microsoft.Storage/storageAccounts/{svc}"),
                location: r.location.clone(),
                kind: None,
                tags: r.tags.clone(),
            });
        }
    }
    out
}

/// Reads every scanned subscription costs whatever it holds: the resource list and the
/// subscription-level lists (activity-log settings, watchers, NSGs, VNets, NICs, workspaces,
/// DCRs, VMs, Defender plans, alerts, action groups, storage accounts, sites, components, JIT).
const SUBSCRIPTION_READS: u64 = 16;

/// Reads made per parent resource beyond its diagnostic settings (an estimate for the ETA:
/// flow logs per watcher, workspace details, DCR associations, SQL auditing, server
/// parameters, scale-set NICs, DNS policy links, lists of rare types).
fn per_parent_reads(resources: &[Resource]) -> u64 {
    resources
        .iter()
        .map(|r| match type_key(&r.resource_type).as_str() {
            "microsoft.network/networkwatchers" => 1,
            "microsoft.operationalinsights/workspaces" => 5,
            "microsoft.compute/virtualmachines" => 1,
            "microsoft.sql/servers" => 2,
            "microsoft.dbforpostgresql/flexibleservers"
            | "microsoft.dbformysql/flexibleservers" => 1,
            "microsoft.compute/virtualmachinescalesets" => 1,
            "microsoft.network/dnsresolverpolicies" => 1,
            _ => 0,
        })
        .sum()
}

/// Settings of every resource whose type supports diagnostic settings; categories once per type.
async fn resource_diagnostics(
    client: &ArmClient,
    subscription_id: &str,
    resources: &[Resource],
    categories: &CategoryCache,
    opts: &CollectOptions,
    sink: &ErrorSink,
) -> Vec<ResourceDiagnostics> {
    let with_services = with_storage_services(resources);
    let resources = with_services.as_slice();
    // Learn each type from its first resource before fanning out, so a type is asked once.
    let mut first_of_type: BTreeMap<String, &Resource> = BTreeMap::new();
    for r in resources {
        first_of_type.entry(type_key(&r.resource_type)).or_insert(r);
    }
    let learnt: HashMap<String, Read<TypeCategories>> =
        futures::future::join_all(first_of_type.into_iter().map(|(k, r)| async move {
            let c = categories.get(client, r, sink).await;
            (k, c)
        }))
        .await
        .into_iter()
        .collect();

    // Now the settings reads are known exactly: refine the ETA's estimate.
    let supported = resources
        .iter()
        .filter(|r| {
            learnt
                .get(&type_key(&r.resource_type))
                .is_some_and(|c| c.value.as_ref().is_some_and(|c| c.supported))
        })
        .count() as u64;
    client.expect_reads(
        subscription_id,
        SUBSCRIPTION_READS + per_parent_reads(resources) + learnt.len() as u64 + supported,
    );

    let parallel = opts.per_subscription_parallelism.max(1);
    let mut out: Vec<ResourceDiagnostics> = stream::iter(resources.iter())
        .filter_map(|r| {
            let support = learnt.get(&type_key(&r.resource_type)).cloned();
            async move {
                match support {
                    Some(Read {
                        value: Some(c),
                        error: None,
                    }) if c.supported => Some((r, None)),
                    Some(Read { error: Some(e), .. }) => Some((r, Some(e))),
                    _ => None,
                }
            }
        })
        .map(|(r, category_error)| async move {
            let settings = match category_error {
                // Support unknown: the settings are not assessed; the one failed read is already recorded.
                Some(e) => Read::failed(e),
                None => {
                    read_list(sink, async |e| {
                        diagnostics::resource_settings(client, &r.id, e).await
                    })
                    .await
                }
            };
            ResourceDiagnostics {
                resource_id: r.id.clone(),
                resource_type: r.resource_type.clone(),
                settings,
            }
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    out.sort_by_key(|d| id_key(&d.resource_id));
    out
}

/// Why no scan could start: each is a configuration or authentication problem (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no Azure credential: {0}")]
    NoCredential(String),
    #[error("cannot build the ARM client: {0}")]
    Client(String),
    #[error("authentication failed ({method}): {message}. Set AZURE_TENANT_ID/AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE, run in Azure Pipelines with a workload-identity service connection, use a managed identity, or `az login`; `--auth` pins one (README \"Authentication\").")]
    Authentication { method: String, message: String },
}

/// The ARM client for `cloud`, with the standard credential chain, its token already fetched:
/// a login problem stops here, before any read.
pub async fn connect(
    cloud: &arm::CloudEndpoints,
    settings: arm::TransportSettings,
    auth: Option<credential::AuthMethod>,
) -> Result<ArmClient, ConnectError> {
    let http = credential::login_client(&settings.extra_roots, settings.request_timeout)
        .map_err(ConnectError::Client)?;
    let (inner, method) = credential::login(auth, &cloud.authority_host, &http)
        .map_err(ConnectError::NoCredential)?;
    let credential = credential::LegacyCredential::new(inner, method);
    let method = method.to_string();
    let client = ArmClient::new(Arc::new(credential), cloud, settings)
        .map_err(|e| ConnectError::Client(e.to_string()))?;
    client
        .check_credential()
        .await
        .map_err(|e| ConnectError::Authentication {
            method,
            message: client.secrets().redact(&e.to_string()),
        })?;
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_clock() {
        let d = std::time::Duration::from_secs;
        assert_eq!(human_duration(d(42)), "42s");
        assert_eq!(human_duration(d(185)), "3m05s");
        assert_eq!(human_duration(d(3720)), "1h02m");
    }

    fn with_secret_in_an_error() -> (Snapshot, guard::Secrets) {
        let secrets = guard::Secrets::default();
        secrets.add("s3cr3t-value-echoed");
        let mut snap = crate::demo::snapshot();
        snap.errors[0].message = "ARM echoed s3cr3t-value-echoed".into();
        (snap, secrets)
    }

    #[test]
    fn redaction_removes_an_echoed_secret() {
        let (snap, secrets) = with_secret_in_an_error();
        let clean = redact_snapshot(snap, &secrets).unwrap();
        let text = serde_json::to_string(&clean).unwrap();
        assert!(!text.contains("s3cr3t-value-echoed"));
    }

    #[test]
    fn redaction_fails_closed_when_the_snapshot_does_not_read_back() {
        let (mut snap, secrets) = with_secret_in_an_error();
        // A value JSON cannot hold (written as null, which does not read back as a number).
        let ws = snap.inventory.subscriptions[0]
            .workspaces
            .value
            .as_mut()
            .and_then(|w| w.first_mut())
            .unwrap();
        ws.usage = Read::ok(vec![crate::inventory::UsageByType {
            data_type: "SigninLogs".into(),
            gb_30d: f64::NAN,
        }]);
        assert!(redact_snapshot(snap, &secrets).is_err());
    }
}
