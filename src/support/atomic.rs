//! Files written whole or not at all: an exclusive, unpredictably named temporary file in the
//! destination folder, renamed into place.

use anyhow::Context as _;
use std::path::Path;

/// A new temporary file in `dir` named after `name` (`.report.html.XXXXXX.partial`), readable
/// as the reports always were (0644; a temporary file is 0600).
pub fn staging_file(dir: &Path, name: &str) -> anyhow::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{name}.");
    let mut b = tempfile::Builder::new();
    b.prefix(&prefix).suffix(".partial");
    #[cfg(unix)]
    b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    b.tempfile_in(dir)
        .with_context(|| format!("cannot write {} in {}", name, dir.display()))
}
