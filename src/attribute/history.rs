//! The attribution history (`--attribution-history FILE`, or the attribution.json beside a
//! `--compare` results file): read, locked for the run, and extended in place.

use crate::model::attribution::{Attribution, Sighting, ATTRIBUTION_FORMAT};
use std::path::Path;

/// Reads a previous attribution.json for its history; errors name the file, line and column,
/// or the sighting whose time is not an RFC 3339 time. Times are brought to the canonical form
/// (UTC, whole seconds), in which string order is time order.
pub fn read_history(path: &Path) -> Result<Vec<Sighting>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read attribution history {}: {e}", path.display()))?;
    parse_history(&path.display().to_string(), &text)
}

fn parse_history(name: &str, text: &str) -> Result<Vec<Sighting>, String> {
    let prev: Attribution = serde_json::from_str(text).map_err(|e| {
        format!(
            "{name}:{}:{}: not a logposture attribution.json: {e}",
            e.line(),
            e.column()
        )
    })?;
    if prev.attribution_format > ATTRIBUTION_FORMAT {
        return Err(format!(
            "{name}: attribution format {} is newer than this logposture reads ({ATTRIBUTION_FORMAT})",
            prev.attribution_format
        ));
    }
    let mut history = prev.history;
    for (i, s) in history.iter_mut().enumerate() {
        let (Some(first), Some(last)) = (
            crate::support::timestamp::canonical(&s.first_seen),
            crate::support::timestamp::canonical(&s.last_seen),
        ) else {
            return Err(format!(
                "{name}: history[{i}] (ip {:?}): first_seen {:?} / last_seen {:?} is not an RFC 3339 time",
                s.ip, s.first_seen, s.last_seen
            ));
        };
        if first > last {
            return Err(format!(
                "{name}: history[{i}] (ip {:?}): first_seen {first} is after last_seen {last}",
                s.ip
            ));
        }
        (s.first_seen, s.last_seen) = (first, last);
    }
    Ok(history)
}

/// `--attribution-history FILE` held for one run: an exclusive lock on `FILE.lock` from the
/// moment the history is re-read until the extended history is renamed into place, so two
/// runs writing one history at once both keep their sightings. A history that is a symlink is
/// written through to its target, never replaced by a regular file.
pub struct HistoryFile {
    path: std::path::PathBuf,
    _lock: std::fs::File,
    /// The sightings in the file when the lock was taken.
    pub previous: Vec<Sighting>,
}

impl HistoryFile {
    pub fn open_locked(path: &Path) -> Result<Self, String> {
        let path = resolve_symlink(path)?;
        let lock_path = {
            let mut s = path.clone().into_os_string();
            s.push(".lock");
            std::path::PathBuf::from(s)
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, libc::O_NOFOLLOW);
        let lock = opts
            .open(&lock_path)
            .map_err(|e| format!("cannot open the history lock {}: {e}", lock_path.display()))?;
        lock.lock()
            .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
        let previous = if path.exists() {
            read_history(&path)?
        } else {
            Vec::new()
        };
        Ok(Self {
            path,
            _lock: lock,
            previous,
        })
    }

    /// Writes `a` (built from [`Self::previous`]) as the new history; the lock goes with `self`.
    pub fn commit(self, a: &Attribution) -> anyhow::Result<std::path::PathBuf> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attribution-history".into());
        let mut tmp = crate::support::atomic::staging_file(&dir, &name)?;
        serde_json::to_writer_pretty(&mut tmp, a)?;
        std::io::Write::write_all(&mut tmp, b"\n")?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", self.path.display(), e.error))?;
        Ok(self.path)
    }
}

/// The file a symlink points at (followed to the end); other paths as they are.
fn resolve_symlink(path: &Path) -> Result<std::path::PathBuf, String> {
    match path.symlink_metadata() {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path).map_err(|e| {
            format!(
                "attribution history {} is a symlink that cannot be followed: {e}",
                path.display()
            )
        }),
        _ => Ok(path.to_path_buf()),
    }
}
