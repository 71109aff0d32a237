//! What a failing logging finding leaves uncollected or kept too briefly, typed: the seam from
//! evaluate to estimate. Each rule kind that reports a logging gap attaches one of these to its
//! failing findings; the estimator prices it (`estimate::for_gap`). Adding a kind with a cost
//! means a variant here, the rule that sets it, and its price: no evidence keys read back.
//! Not part of results.json: the evidence shown to users is written from the same data.

/// What a resource already sends to Log Analytics, as a rule found it (pass or fail): the
/// back-test predicts the measured volume from it. Only what the inventory alone cannot say
/// cheaply (the security-event tier needs the baseline's event sets) is carried here.
#[derive(Debug, Clone, PartialEq)]
pub enum Collects {
    /// A Windows VM's security events, at `tier`, into these workspaces.
    SecurityEvents { tier: Tier, workspaces: Vec<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Gap {
    /// Entra ID log categories not exported (missing or disabled).
    EntraCategories { categories: Vec<String> },
    /// The subscription's activity log not exported as required.
    ActivityLog,
    /// Resource log categories not exported: `missing` of `required` for the type.
    ResourceLogs {
        resource_type: String,
        required: usize,
        missing: usize,
    },
    /// An NSG or VNet that no enabled flow log covers.
    FlowLogCoverage,
    /// A VNet whose DNS queries nobody logs, with the VMs that resolve through it.
    DnsQueryLogs { vms: u32 },
    /// A flow log that does not feed traffic analytics (or too rarely).
    TrafficAnalytics,
    /// Security events collected below the wanted tier.
    SecurityEvents { current: Tier, target: Tier },
    /// A flow log that deletes its blobs before `minimum_days`: no new ingestion, more storage.
    FlowLogRetention {
        current_days: u32,
        minimum_days: u32,
    },
    /// A failing logging finding whose fix adds nothing to the bill, with the reason (said, so
    /// "cost to close every gap" leaves nothing out silently).
    NoNewCost { reason: &'static str },
    /// A gap whose volume has no sourced default figure: its cost is unknown (said, and
    /// counted as 0 in the totals, never as a price).
    Unpriced { reason: &'static str },
    /// A workspace that keeps data fewer days than required.
    WorkspaceRetention {
        workspace_id: String,
        current_days: u32,
        minimum_days: u32,
    },
    /// A workspace table that keeps data fewer days than required.
    TableRetention {
        workspace_id: String,
        table: String,
        interactive_days: u32,
        total_days: u32,
        minimum_interactive_days: u32,
        minimum_total_days: u32,
    },
}

/// A Windows security-event collection tier, ordered from nothing to everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    None,
    Custom,
    Minimal,
    Common,
    All,
}

impl Tier {
    pub fn name(self) -> &'static str {
        match self {
            Tier::None => "None",
            Tier::Custom => "custom",
            Tier::Minimal => "Minimal",
            Tier::Common => "Common",
            Tier::All => "All",
        }
    }
    /// Legacy workspace tier names: None, Minimal, Recommended (= Common), All.
    pub fn from_legacy(s: &str) -> Tier {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Tier::All,
            "recommended" | "common" => Tier::Common,
            "minimal" => Tier::Minimal,
            _ => Tier::None,
        }
    }
    /// A baseline's `min_tier`: only the named event sets (None/custom are no target).
    pub fn parse(s: &str) -> Option<Tier> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Some(Tier::All),
            "common" | "recommended" => Some(Tier::Common),
            "minimal" => Some(Tier::Minimal),
            _ => None,
        }
    }
}
