//! Small text helpers for messages.

/// "A, B and C".
pub fn and_list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// Characters that must never reach a person's screen or a script raw: control characters
/// (ESC starts terminal sequences, NUL truncates), non-characters, and bidirectional controls
/// that make a name read as something else (`\u{202E}` turns `exe.txt` around).
pub fn is_unprintable(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || matches!(c, '\u{FFFE}' | '\u{FFFF}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}
