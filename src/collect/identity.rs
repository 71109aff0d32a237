//! Who ran the scan, read from the ARM access token's claims (for the statement of
//! assessment). The token is not verified here (ARM verifies it); its claims are data from
//! outside like any other: bounded, and only named claims are kept.

use crate::inventory::ScanIdentity;
use base64::Engine as _;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Claims {
    tid: Option<String>,
    oid: Option<String>,
    /// v1 tokens (ARM issues these) name the client in `appid`, v2 in `azp`.
    appid: Option<String>,
    azp: Option<String>,
    /// `app` for a service principal or managed identity, `user` for a person (optional claim).
    idtyp: Option<String>,
    upn: Option<String>,
    unique_name: Option<String>,
    app_displayname: Option<String>,
}

fn bounded(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.is_empty() && v.len() <= 256 && !v.chars().any(char::is_control))
}

/// The identity in a JWT access token, or `None` when the token is not a readable JWT
/// (some test or proxy tokens are opaque).
pub fn from_token(token: &str) -> Option<ScanIdentity> {
    let payload = token.split('.').nth(1)?;
    if payload.len() > 16 * 1024 {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let c: Claims = serde_json::from_slice(&bytes).ok()?;
    let user = bounded(c.upn).or(bounded(c.unique_name));
    let kind = match bounded(c.idtyp).as_deref() {
        Some("app") => "service principal or managed identity",
        Some("user") => "user",
        _ if user.is_some() => "user",
        _ => "application",
    };
    Some(ScanIdentity {
        tenant_id: bounded(c.tid),
        object_id: bounded(c.oid),
        app_id: bounded(c.appid).or(bounded(c.azp)),
        app_name: bounded(c.app_displayname),
        user,
        kind: kind.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", e(r#"{"alg":"RS256"}"#), e(claims))
    }

    #[test]
    fn service_principal_claims() {
        let id = from_token(&jwt(
            r#"{"tid":"t1","oid":"o1","appid":"a1","idtyp":"app","app_displayname":"scanner"}"#,
        ))
        .unwrap_or_else(|| panic!("claims"));
        assert_eq!(id.app_id.as_deref(), Some("a1"));
        assert_eq!(id.object_id.as_deref(), Some("o1"));
        assert_eq!(id.tenant_id.as_deref(), Some("t1"));
        assert_eq!(id.kind, "service principal or managed identity");
    }

    #[test]
    fn opaque_or_hostile_tokens_give_nothing_or_bounded_values() {
        assert!(from_token("opaque-token").is_none());
        assert!(from_token("a.!!!.c").is_none());
        let id = from_token(&jwt(r#"{"oid":"x\u0007y","upn":"a@b"}"#))
            .unwrap_or_else(|| panic!("claims"));
        assert_eq!(id.object_id, None);
        assert_eq!(id.kind, "user");
    }
}
