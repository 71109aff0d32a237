//! Timestamps as logposture writes and compares them: RFC 3339, UTC, whole seconds
//! (`2026-11-02T06:00:00Z`). In that one form, string order is time order, so every time read
//! from a file (a snapshot, a results.json, a history) is brought to it or refused.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Now, in the canonical form.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// The canonical form of a moment.
pub fn format(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Parses an RFC 3339 time; None for anything else (`zzzz`, an empty string, a date alone).
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).ok()
}

/// `s` in the canonical form, or None when it is not an RFC 3339 time.
pub fn canonical(s: &str) -> Option<String> {
    parse(s).map(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_become_utc_whole_seconds() {
        assert_eq!(
            canonical("2026-11-02T07:00:00.123456789+01:00").as_deref(),
            Some("2026-11-02T06:00:00Z")
        );
        assert_eq!(canonical("zzzz"), None);
        assert_eq!(canonical(""), None);
        assert!(!now().contains('.'));
    }
}
