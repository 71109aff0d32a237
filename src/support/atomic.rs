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

/// Writes `bytes` to `path` whole or not at all (a staging file renamed into place).
pub fn write_whole(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let mut tmp = staging_file(&dir, &name)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}
