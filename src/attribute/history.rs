//! The attribution history (`--attribution-history FILE`, or the attribution.json beside a
//! `--compare` results file): read, locked for the run, and extended in place.

use crate::model::attribution::{Attribution, Sighting, ATTRIBUTION_FORMAT};
use std::path::{Path, PathBuf};

/// Why a history cannot be used; each names the file (and line, sighting or lock).
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot read attribution history {}: {source}", .path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{name}:{line}:{column}: not a logposture attribution.json: {source}")]
    NotAttribution {
        name: String,
        line: usize,
        column: usize,
        source: serde_json::Error,
    },
    #[error("{name}: attribution format {found} is newer than this logposture reads ({ATTRIBUTION_FORMAT})")]
    NewerFormat { name: String, found: u32 },
    /// A sighting whose times are not RFC 3339, or run backwards.
    #[error("{name}: history[{index}] (ip {ip:?}): {why}")]
    BadSighting {
        name: String,
        index: usize,
        ip: String,
        why: String,
    },
    #[error("cannot {what} {}: {source}", .path.display())]
    Lock {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("attribution history {} is a symlink that cannot be followed: {source}", .path.display())]
    Symlink {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads a previous attribution.json for its history; errors name the file, line and column,
/// or the sighting whose time is not an RFC 3339 time. Times are brought to the canonical form
/// (UTC, whole seconds), in which string order is time order.
pub fn read_history(path: &Path) -> Result<Vec<Sighting>, HistoryError> {
    let text = std::fs::read_to_string(path).map_err(|source| HistoryError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    parse_history(&path.display().to_string(), &text)
}

fn parse_history(name: &str, text: &str) -> Result<Vec<Sighting>, HistoryError> {
    let prev: Attribution =
        serde_json::from_str(text).map_err(|source| HistoryError::NotAttribution {
            name: name.to_string(),
            line: source.line(),
            column: source.column(),
            source,
        })?;
    if prev.attribution_format > ATTRIBUTION_FORMAT {
        return Err(HistoryError::NewerFormat {
            name: name.to_string(),
            found: prev.attribution_format,
        });
    }
    let mut history = prev.history;
    for (i, s) in history.iter_mut().enumerate() {
        let (Some(first), Some(last)) = (
            crate::support::timestamp::canonical(&s.first_seen),
            crate::support::timestamp::canonical(&s.last_seen),
        ) else {
            return Err(HistoryError::BadSighting {
                name: name.to_string(),
                index: i,
                ip: s.ip.clone(),
                why: format!(
                    "first_seen {:?} / last_seen {:?} is not an RFC 3339 time",
                    s.first_seen, s.last_seen
                ),
            });
        };
        if first > last {
            return Err(HistoryError::BadSighting {
                name: name.to_string(),
                index: i,
                ip: s.ip.clone(),
                why: format!("first_seen {first} is after last_seen {last}"),
            });
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
    pub fn open_locked(path: &Path) -> Result<Self, HistoryError> {
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
        let lock = opts.open(&lock_path).map_err(|source| HistoryError::Lock {
            what: "open the history lock",
            path: lock_path.clone(),
            source,
        })?;
        lock.lock().map_err(|source| HistoryError::Lock {
            what: "lock",
            path: lock_path.clone(),
            source,
        })?;
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
fn resolve_symlink(path: &Path) -> Result<std::path::PathBuf, HistoryError> {
    match path.symlink_metadata() {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|source| HistoryError::Symlink {
                path: path.to_path_buf(),
                source,
            })
        }
        _ => Ok(path.to_path_buf()),
    }
}
