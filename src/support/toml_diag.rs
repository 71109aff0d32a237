//! Where in a TOML file something is: `file:line` for every loader (baseline, frameworks,
//! suppressions, cost model).

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map(|t| t.matches('\n').count() + 1)
        .unwrap_or(1)
}

/// Line numbers of one file, computed once: looking each check's line up from the start of
/// the file made loading quadratic in the number of checks.
pub struct Lines(Vec<usize>);

impl Lines {
    pub fn new(text: &str) -> Self {
        Self(text.match_indices('\n').map(|(i, _)| i).collect())
    }
    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&nl| nl < offset) + 1
    }
}

/// A TOML parse error as `file:line: message`.
pub fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> String {
    let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
    let msg = e.message().trim().replace('\n', " ");
    format!("{file}:{line}: {msg}")
}
