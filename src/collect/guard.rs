//! What keeps a privileged identity safe against a hostile or broken ARM: a request path built
//! from ARM data stays an ARM path on the ARM host, the bearer token and the client secret
//! never reach a recorded message, and the token request has a deadline.

use async_trait::async_trait;
use azure_core_legacy::auth::{AccessToken, TokenCredential};
use azure_core_legacy::error::ErrorKind;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Checks that `path` is a `/`-rooted ARM path that cannot leave the host it is joined to:
/// no scheme, no `//` authority, no backslash, no query or fragment, no dot segments, no
/// control characters. Ids come from ARM payloads, so anything else is hostile or broken.
pub fn check_arm_path(path: &str) -> Result<(), String> {
    let shown = shorten(path, 120);
    if !path.starts_with('/') || path.starts_with("//") {
        return Err(format!(
            "{shown:?} is not an ARM path (it must start with a single /)"
        ));
    }
    if path.contains("://") {
        return Err(format!("{shown:?} is a URL, not an ARM path"));
    }
    if let Some(c) = path
        .chars()
        .find(|c| matches!(c, '\\' | '?' | '#') || c.is_control())
    {
        return Err(format!(
            "{shown:?} contains {c:?}, which has no place in an ARM path"
        ));
    }
    let dot_segment = path.split('/').any(|seg| {
        let s = seg.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    });
    if dot_segment {
        return Err(format!("{shown:?} contains a . or .. segment"));
    }
    Ok(())
}

/// A path segment taken from ARM data (a subscription id, a workspace GUID): one segment only.
pub fn check_segment(segment: &str) -> Result<(), String> {
    if segment.is_empty()
        || segment.contains('/')
        || segment.contains('%')
        || segment.trim_matches('.').is_empty()
    {
        return Err(format!(
            "{:?} is not a single path segment",
            shorten(segment, 120)
        ));
    }
    check_arm_path(&format!("/{segment}"))
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

pub const REDACTED: &str = "[REDACTED]";

/// Every secret this run holds (access tokens as they are issued, the client secret): removed
/// from anything recorded, whatever an ARM error message or payload echoes back.
#[derive(Debug, Default)]
pub struct Secrets(Mutex<Vec<String>>);

impl Secrets {
    /// Secrets from the environment the credential chain reads.
    pub fn from_env() -> Self {
        let s = Self::default();
        for name in [
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PASSWORD",
            "SYSTEM_ACCESSTOKEN",
            "IDENTITY_HEADER",
        ] {
            if let Ok(v) = std::env::var(name) {
                s.add(&v);
            }
        }
        s
    }

    pub fn add(&self, secret: &str) {
        let secret = secret.trim();
        // Short values would redact ordinary words; real tokens and secrets are long.
        if secret.len() < 8 {
            return;
        }
        let mut g = match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if !g.iter().any(|s| s == secret) {
            g.push(secret.to_string());
        }
    }

    fn list(&self) -> Vec<String> {
        match self.0.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// `text` without any known secret, bearer token or JWT.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.list() {
            if out.contains(&s) {
                out = out.replace(&s, REDACTED);
            }
        }
        redact_patterns(&out)
    }

    /// True when `text` holds something `redact` would change.
    pub fn needs_redaction(&self, text: &str) -> bool {
        self.list().iter().any(|s| text.contains(s.as_str())) || redact_patterns(text) != text
    }
}

/// Credentials that look like credentials even when this run never saw them: `Bearer xyz`
/// and JWTs (`eyJ….….…`).
pub fn redact_patterns(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let lower_bearer = find_ci(rest, "bearer ");
        let jwt = rest.find("eyJ");
        let next = match (lower_bearer, jwt) {
            (Some(b), Some(j)) => Some(b.min(j)),
            (b, j) => b.or(j),
        };
        let Some(at) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if lower_bearer == Some(at) {
            let word = &tail[..7];
            let after = &tail[7..];
            let len = token_len(after);
            out.push_str(word);
            // Real tokens are long; a short word after "bearer " is prose.
            if len >= 16 {
                out.push_str(REDACTED);
            } else {
                out.push_str(&after[..len]);
            }
            rest = &after[len..];
        } else {
            let len = token_len(tail);
            let candidate = &tail[..len];
            if candidate.matches('.').count() >= 2 && len >= 20 {
                out.push_str(REDACTED);
            } else {
                out.push_str(candidate);
            }
            rest = &tail[len..];
            if len == 0 {
                // Cannot happen ("eyJ" is three token characters), but never loop forever.
                out.push_str(&rest[..1]);
                rest = &rest[1..];
            }
        }
    }
    out
}

fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Length of the run of base64url/JWT characters at the start of `s`.
fn token_len(s: &str) -> usize {
    s.bytes()
        .take_while(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'=' | b'+' | b'/' | b'~')
        })
        .count()
}

/// The credential every request uses: a deadline on the token request (a token endpoint that
/// never answers must not hang the scan), every issued token registered for redaction, and a
/// token that cannot be an HTTP header value refused as a credential error.
#[derive(Debug)]
pub struct GuardedCredential {
    inner: Arc<dyn TokenCredential>,
    timeout: Duration,
    secrets: Arc<Secrets>,
}

impl GuardedCredential {
    pub fn new(inner: Arc<dyn TokenCredential>, timeout: Duration, secrets: Arc<Secrets>) -> Self {
        Self {
            inner,
            timeout,
            secrets,
        }
    }
}

#[async_trait]
impl TokenCredential for GuardedCredential {
    async fn get_token(&self, scopes: &[&str]) -> azure_core_legacy::Result<AccessToken> {
        let token = tokio::time::timeout(self.timeout, self.inner.get_token(scopes))
            .await
            .map_err(|_| {
                azure_core_legacy::Error::message(
                    ErrorKind::Credential,
                    format!(
                        "the token request did not finish within {}s",
                        self.timeout.as_secs()
                    ),
                )
            })?
            .map_err(|e| {
                let msg = self.secrets.redact(&e.to_string());
                azure_core_legacy::Error::message(ErrorKind::Credential, msg)
            })?;
        let secret = token.token.secret();
        self.secrets.add(secret);
        let header_safe = !secret.is_empty() && secret.bytes().all(|b| (0x21..0x7f).contains(&b));
        if !header_safe {
            return Err(azure_core_legacy::Error::message(
                ErrorKind::Credential,
                "the token endpoint returned an access token that is empty or contains characters not allowed in an HTTP header (for example CR/LF)",
            ));
        }
        Ok(token)
    }

    async fn clear_cache(&self) -> azure_core_legacy::Result<()> {
        self.inner.clear_cache().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_paths_stay_on_the_host() {
        assert!(check_arm_path("/subscriptions/x/resourceGroups/rg").is_ok());
        assert!(
            check_arm_path("/subscriptions/x/providers/Microsoft.Network/networkWatchers/тц1")
                .is_ok()
        );
        for bad in [
            "http://other-host/x",
            "/http://other-host/x",
            "//other-host/x",
            "\\\\other-host\\x",
            "/subscriptions/x/..\\..",
            "/subscriptions/../../x",
            "/subscriptions/%2e%2E/x",
            "/subscriptions/x?api-version=1",
            "/subscriptions/x#frag",
            "/subscriptions/x\r\nHost: evil",
            "subscriptions/x",
            "",
        ] {
            assert!(check_arm_path(bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_segment("bc089d7b-485c-4aff-a71e-c00f362d8d2f").is_ok());
        assert!(check_segment("../x").is_err());
        assert!(check_segment("..").is_err());
        assert!(check_segment("a%2fb").is_err());
    }

    #[test]
    fn secrets_and_token_shapes_are_redacted() {
        let s = Secrets::default();
        s.add("super-secret-client-value");
        let text = "echo: Authorization: Bearer abc.def-ghi-jkl-mno-pqr and super-secret-client-value and eyJhbGciOi.eyJzdWIiOi.sig_nature";
        let r = s.redact(text);
        assert!(!r.contains("abc.def-ghi-jkl"), "{r}");
        assert!(!r.contains("super-secret-client-value"), "{r}");
        assert!(!r.contains("eyJhbGciOi"), "{r}");
        assert!(r.contains("Bearer [REDACTED]"), "{r}");
        assert!(s.needs_redaction(text));
        assert!(!s.needs_redaction("nothing to see; the bearer of bad news"));
        assert_eq!(redact_patterns("plain text"), "plain text");
        assert_eq!(redact_patterns("eyJ"), "eyJ");
        assert_eq!(redact_patterns("bearer"), "bearer");
    }
}
