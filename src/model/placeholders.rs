//! `{name}` placeholders in check titles and remediation text.
//!
//! Titles may name a parameter (`{param.min_days}`), so an override of the threshold changes
//! the title too and a title never contradicts its finding. Remediation may also name the
//! finding's resource (`{resource_id}`, `{resource_name}`, `{resource_group}`,
//! `{subscription_id}`, `{location}`) and its evidence (`{evidence.plan}`): the command a user
//! copies carries the real ids. What only the user can choose (the destination workspace, the
//! action group) stays a shell variable such as `$WORKSPACE_ID`.
//!
//! Only `{` followed by a lower-case word is a placeholder, so JSON in a command
//! (`'[{"category":"Audit"}]'`) is left alone.

use crate::model::Finding;
use crate::support::ids::{parent_name, resource_group, shell_word};
use serde_json::Value;

/// Placeholders that describe the finding's resource.
pub const RESOURCE_NAMES: &[&str] = &[
    "resource_id",
    "resource_name",
    "resource_group",
    "subscription_id",
    "location",
    "parent_name",
];

/// Each placeholder in `text`: byte range of `{...}` and the name inside.
fn scan(text: &str) -> Vec<(usize, usize, &str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'{' && bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase) {
            let start = i;
            let mut j = i + 1;
            while j < bytes.len()
                && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'.')
            {
                j += 1;
            }
            if bytes.get(j) == Some(&b'}') {
                out.push((start, j + 1, &text[start + 1..j]));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Names in `text` that `allowed` rejects, for the baseline's load-time errors.
pub fn unknown(text: &str, allowed: impl Fn(&str) -> bool) -> Vec<&str> {
    scan(text)
        .into_iter()
        .map(|(_, _, n)| n)
        .filter(|n| !allowed(n))
        .collect()
}

/// True when `text` holds at least one placeholder.
pub fn has_any(text: &str) -> bool {
    !scan(text).is_empty()
}

/// `text` with each placeholder replaced by `lookup`'s value; one it cannot fill becomes
/// `<name>` so a reader sees what is missing.
pub fn fill(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    fill_with(text, |out, name| match lookup(name) {
        Some(v) => out.push_str(&v),
        None => unfilled(out, name),
    })
}

/// `text` with each placeholder written by `write` (given the text so far and the name).
fn fill_with(text: &str, mut write: impl FnMut(&mut String, &str)) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end, name) in scan(text) {
        out.push_str(&text[last..start]);
        write(&mut out, name);
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

/// The mark of a placeholder that could not be filled.
fn unfilled(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

/// A parameter's value as text: strings bare, lists space-separated.
pub fn param_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Array(a) => a.iter().map(param_text).collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

/// Title with `{param.*}` filled from the check's params.
pub fn fill_title(title: &str, params: &toml::Table) -> String {
    fill(title, |n| {
        n.strip_prefix("param.")
            .and_then(|k| params.get(k))
            .map(param_text)
    })
}

fn evidence_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(a) => {
            let parts: Option<Vec<String>> = a.iter().map(evidence_text).collect();
            parts.map(|p| p.join(","))
        }
        _ => None,
    }
}

/// Remediation text with the finding's ids and evidence filled in, each as one shell word.
/// A value starting with `-` would be read as an option: after `--option ` it is joined as
/// `--option=value`; anywhere else it is left unfilled (`<name>`), so the command is not run.
pub fn fill_remediation(text: &str, f: &Finding, params: &toml::Table) -> String {
    let raw = raw_values(f, params);
    let text = choose_lines(text, |key| present(f.evidence.get(key).as_ref()));
    fill_with(&text, |out, name| match raw(name) {
        Some(v) if v.starts_with('-') => {
            let option = out
                .strip_suffix(' ')
                .and_then(|head| head.rsplit(' ').next())
                .is_some_and(|w| {
                    w.len() > 2
                        && w.starts_with("--")
                        && w[2..]
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                });
            if option {
                out.pop();
                out.push('=');
                out.push_str(&shell_word(&v));
            } else {
                unfilled(out, name);
            }
        }
        Some(v) => out.push_str(&shell_word(&v)),
        None => unfilled(out, name),
    })
}

/// A remediation line may hold for one case only: `[if evidence.KEY] ...` is kept when the
/// finding's evidence has KEY (not null, empty or false), `[unless evidence.KEY] ...` when it
/// has not (enable the disabled alert, or create one: never both). The marker is removed.
fn choose_lines(text: &str, has: impl Fn(&str) -> bool) -> std::borrow::Cow<'_, str> {
    // Most remediation has no conditional line: nothing to choose (and nothing `lines` would
    // change: no carriage return, no final newline).
    if !text.contains("[if evidence.")
        && !text.contains("[unless evidence.")
        && !text.contains('\r')
        && !text.ends_with('\n')
    {
        return text.into();
    }
    let mut out = Vec::new();
    for line in text.lines() {
        match condition(line) {
            Some((want, key, rest)) => {
                if has(key) == want {
                    out.push(rest);
                }
            }
            None => out.push(line),
        }
    }
    out.join("\n").into()
}

/// `[if evidence.KEY] rest` → (true, KEY, rest); `[unless evidence.KEY] rest` → (false, ...).
fn condition(line: &str) -> Option<(bool, &str, &str)> {
    let t = line.trim_start();
    let (want, after) = if let Some(r) = t.strip_prefix("[if evidence.") {
        (true, r)
    } else {
        (false, t.strip_prefix("[unless evidence.")?)
    };
    let (key, rest) = after.split_once(']')?;
    Some((want, key, rest.trim_start()))
}

/// The evidence keys the conditional lines of `text` name (checked when the baseline loads).
pub fn condition_keys(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(condition)
        .map(|(_, k, _)| k)
        .collect()
}

fn present(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

/// The raw value of each remediation placeholder of `f`.
fn raw_values<'a>(f: &'a Finding, params: &'a toml::Table) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| match name {
        "resource_id" => Some(f.resource_id.clone()),
        "resource_name" => Some(crate::inventory::last_segment(&f.resource_id)),
        "resource_group" => resource_group(&f.resource_id).map(str::to_string),
        "subscription_id" => f.subscription_id.clone(),
        "location" => f.location.clone(),
        "parent_name" => parent_name(&f.resource_id).map(str::to_string),
        _ => {
            if let Some(k) = name.strip_prefix("param.") {
                params.get(k).map(param_text)
            } else if let Some(k) = name.strip_prefix("evidence.") {
                f.evidence.get(k).as_ref().and_then(evidence_text)
            } else {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_commands_is_not_a_placeholder() {
        let t = r#"--logs '[{"category":"Audit"}]' --resource {resource_id}"#;
        assert_eq!(unknown(t, |n| n == "resource_id"), Vec::<&str>::new());
        assert_eq!(
            fill(t, |_| Some("X".into())),
            r#"--logs '[{"category":"Audit"}]' --resource X"#
        );
    }

    #[test]
    fn hostile_values_stay_one_shell_word() {
        assert_eq!(shell_word("/subscriptions/a/rg"), "/subscriptions/a/rg");
        assert_eq!(shell_word("x; rm -rf ~"), "'x; rm -rf ~'");
        assert_eq!(shell_word("a'b"), r"'a'\''b'");
        assert_eq!(shell_word("$(id)"), "'$(id)'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("a\nb"), "'a?b'");
    }

    #[test]
    fn conditional_lines_keep_one_case() {
        let t = "Portal: x\n[if evidence.off] az enable {evidence.off}\n[unless evidence.off] az create";
        assert_eq!(condition_keys(t), ["off", "off"]);
        assert_eq!(
            choose_lines(t, |_| true),
            "Portal: x\naz enable {evidence.off}"
        );
        assert_eq!(choose_lines(t, |_| false), "Portal: x\naz create");
        assert!(!present(Some(&Value::Null)) && present(Some(&Value::from("id"))));
    }

    #[test]
    fn unfillable_placeholders_are_visible() {
        assert_eq!(
            fill("--rg {resource_group}", |_| None),
            "--rg <resource_group>"
        );
    }

    #[test]
    fn resource_group_of_an_id() {
        assert_eq!(
            resource_group("/subscriptions/s/resourceGroups/rg-1/providers/x/y/z"),
            Some("rg-1")
        );
        assert_eq!(resource_group("/subscriptions/s"), None);
        assert_eq!(
            parent_name("/subscriptions/s/resourceGroups/r/providers/M.O/workspaces/law/tables/T"),
            Some("law")
        );
        assert_eq!(
            parent_name("/subscriptions/s/resourceGroups/r/providers/M.O/workspaces/law"),
            None
        );
    }
}
