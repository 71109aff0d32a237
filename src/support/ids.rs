//! ARM resource ids taken apart, and ids made safe as shell words.

/// `s` as one shell word. Values come from Azure and are untrusted: anything beyond the
/// characters of a plain ARM id is single-quoted, so a hostile name cannot run a command in
/// a script built from the remediation.
pub fn shell_word(s: &str) -> String {
    // No ARM name holds a control or bidi character; one here is hostile (a newline inside
    // quotes would also split the command across lines, a bidi override hides what it says).
    let s: String = s
        .chars()
        .map(|c| {
            if c.is_control() || crate::support::text::is_unprintable(c) {
                '?'
            } else {
                c
            }
        })
        .collect();
    let s = s.as_str();
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-:@,=+".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The resource group of an ARM id, when it has one.
pub fn resource_group(id: &str) -> Option<&str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("resourceGroups") {
            return parts.next().filter(|s| !s.is_empty());
        }
    }
    None
}

/// The name of a child resource's parent: `law` in `.../workspaces/law/tables/T`.
pub fn parent_name(id: &str) -> Option<&str> {
    let parts: Vec<&str> = id.trim_end_matches('/').rsplit('/').collect();
    // [name, type, parent name, parent type, ...]; "providers" means there is no parent.
    parts
        .get(2)
        .filter(|_| {
            parts
                .get(3)
                .is_some_and(|t| !t.eq_ignore_ascii_case("providers"))
        })
        .copied()
        .filter(|p| !p.is_empty())
}
