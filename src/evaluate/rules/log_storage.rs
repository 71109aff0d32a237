//! `log_storage`: storage accounts that receive logs (from any diagnostic setting or flow log in
//! scope) meet a requirement: `no_public_blob_access`, `customer_managed_key` or `immutability`.

use super::{Rule, RuleKind};
use crate::evaluate::baseline::CheckDef;
use crate::evaluate::EvalContext;
use crate::inventory::StorageAccount;
use crate::model::{Finding, Status};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Params {
    pub requirement: String,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            requirement: "no_public_blob_access".into(),
        }
    }
}

const REQUIREMENTS: [&str; 3] = [
    "no_public_blob_access",
    "customer_managed_key",
    "immutability",
];

/// Parses and checks the params once, at load.
fn validate(t: &toml::Table) -> Result<Arc<dyn Rule>, String> {
    let p: Params = crate::evaluate::baseline::parse_params(t)?;
    if !REQUIREMENTS.contains(&p.requirement.as_str()) {
        return Err(format!(
            "params.requirement must be one of {}, not {:?}",
            REQUIREMENTS.join(", "),
            p.requirement
        ));
    }
    Ok(Arc::new(p))
}

pub const KIND: RuleKind = RuleKind {
    name: "log_storage",
    file: file!(),
    line: line!(),
    evidence: &["allow_blob_public_access", "immutability_enabled", "key_source", "public_network_access", "receives_logs_from"],
    figures: &[],
    prepare: validate,
    describes: "storage accounts that receive logs: public blob access, customer-managed keys, immutability",    cost_basis: None,
};

/// (status, message) for one account.
fn judge(req: &str, a: &StorageAccount) -> (Status, String) {
    match req {
        "no_public_blob_access" => match a.allow_blob_public_access {
            Some(false) => (Status::Pass, format!("Log storage account {} does not allow public blob access.", a.name)),
            Some(true) => (Status::Fail, format!("Log storage account {} allows public blob access: a container set to public would expose logs.", a.name)),
            None => (Status::Fail, format!("Log storage account {} does not set allowBlobPublicAccess; accounts created before 2023 then allow public access.", a.name)),
        },
        "customer_managed_key" => {
            if a.key_source.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("Microsoft.Keyvault")) {
                (Status::Pass, format!("Log storage account {} is encrypted with a customer-managed key.", a.name))
            } else {
                (Status::Fail, format!("Log storage account {} uses Microsoft-managed keys.", a.name))
            }
        }
        _ => {
            if a.immutability_enabled == Some(true) {
                (Status::Pass, format!("Log storage account {} has version-level immutability.", a.name))
            } else {
                (Status::Fail, format!("Log storage account {} has no account-level immutability: logs can be altered or deleted by anyone with write access.", a.name))
            }
        }
    }
}

impl Rule for Params {
    fn evaluate(&self, check: &CheckDef, ctx: &EvalContext) -> Vec<Finding> {
        let p = self;
        let mut out = Vec::new();
        for (key, senders) in &ctx.log_destinations {
            match ctx.storage_by_id.get(key) {
                Some((sub, a)) => {
                    let (status, message) = judge(&p.requirement, a);
                    let evidence = json!({
                        "receives_logs_from": senders,
                        "allow_blob_public_access": a.allow_blob_public_access,
                        "public_network_access": a.public_network_access,
                        "key_source": a.key_source,
                        "immutability_enabled": a.immutability_enabled,
                    });
                    let mut f =
                        check.finding(status, &a.id, Some(&sub.subscription.id), message, evidence);
                    f.location = Some(a.location.clone()).filter(|l| !l.is_empty());
                    out.push(f);
                }
                None => {
                    let sub_of = key.split('/').nth(2).map(str::to_string);
                    let in_scope_sub = ctx
                        .subscriptions()
                        .iter()
                        .find(|s| Some(s.subscription.id.to_ascii_lowercase()) == sub_of);
                    let why = match in_scope_sub.and_then(|s| s.storage_accounts.error.clone()) {
                        Some(e) => e,
                        None => crate::inventory::ReadError {
                            scope: key.clone(),
                            operation: "storageAccounts.list".into(),
                            status: None,
                            code: Some("OutOfScope".into()),
                            message:
                                "the account is not in a scanned subscription (or no longer exists)"
                                    .into(),
                        },
                    };
                    let mut f = check.not_assessed(
                        key,
                        sub_of.as_deref(),
                        "this log storage account",
                        &why,
                    );
                    f.evidence = json!({ "receives_logs_from": senders, "error": why }).into();
                    out.push(f);
                }
            }
        }
        out
    }
}
