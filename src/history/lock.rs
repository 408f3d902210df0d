//! The one-apply-at-a-time lock.
//!
//! An OS file lock (`flock`/`LockFileEx` through std's `File::try_lock`) on `<db>.lock`, rather
//! than a PID file: the kernel drops it when the holder dies however it dies, so a killed run
//! never leaves the next one locked out, and there is never a stale file to delete by hand.
//! The holder writes its pid and start time into the file only so that the refusal can say who
//! holds it.
//!
//! The lock file is named after the database's canonical path, not the path as written, so a
//! second apply reaching the same database through a symlink or another spelling (`./a/../db`)
//! takes the same lock and is refused.

use super::HistoryError;
use chrono::{DateTime, Utc};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Held for the whole of an apply; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
}

/// A reader probing the lock (see [`is_held`]) holds it for an instant and writes nothing, so a
/// lock found taken with no owner recorded is retried briefly before being reported as held.
const OWNERLESS_RETRIES: u32 = 25;
const OWNERLESS_PAUSE: Duration = Duration::from_millis(20);

impl RunLock {
    /// Takes the lock for the history database at `history_path`, or says who holds it.
    pub fn acquire(history_path: &Path) -> Result<RunLock, HistoryError> {
        let path = lock_path(history_path)?;
        let io_err = |source| HistoryError::Lock {
            path: path.clone(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        let mut attempt = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let owner = read_owner(&mut file);
                    if owner.is_some() || attempt >= OWNERLESS_RETRIES {
                        let (pid, since) = owner.unzip();
                        return Err(HistoryError::LockHeld {
                            pid,
                            since: since.flatten(),
                            path,
                        });
                    }
                    attempt += 1;
                    std::thread::sleep(OWNERLESS_PAUSE);
                }
                Err(TryLockError::Error(source)) => return Err(io_err(source)),
            }
        }
        let owner = format!(
            "pid={}\nsince={}\n",
            std::process::id(),
            Utc::now().to_rfc3339()
        );
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(owner.as_bytes()))
            .map_err(io_err)?;
        Ok(RunLock { file, path })
    }

    /// The lock file, so that a history can check it is the one guarding it.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Clearing the owner keeps the next refusal from naming a process that has finished;
        // the lock itself is released when the file is closed, whether or not this succeeds.
        let _ = self.file.set_len(0);
    }
}

/// `<db>.lock` next to the database, the database named by its canonical path.
pub fn lock_path(history_path: &Path) -> Result<PathBuf, HistoryError> {
    let db = canonical(history_path)?;
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    Ok(db.with_file_name(name))
}

/// The database's own path, whatever spelling or symlink reached it. A database that does not
/// exist yet is created empty (SQLite reads an empty file as an empty database), so that a
/// symlink to it resolves too. An existing one is never opened here: closing a descriptor of
/// a file drops every POSIX lock this process holds on it, SQLite's included.
fn canonical(history_path: &Path) -> Result<PathBuf, HistoryError> {
    let io_err = |source| HistoryError::Lock {
        path: history_path.to_path_buf(),
        source,
    };
    if !history_path.exists() {
        super::require_parent(history_path)?;
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(history_path)
            .map_err(io_err)?;
    }
    std::fs::canonicalize(history_path).map_err(io_err)
}

/// Whether some process (this one included) holds the lock right now. A shared lock is used
/// to probe so that concurrent readers do not get in each other's way.
pub fn is_held(history_path: &Path) -> Result<bool, HistoryError> {
    let path = lock_path(history_path)?;
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(source) => return Err(HistoryError::Lock { path, source }),
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(false),
        Err(TryLockError::WouldBlock) => Ok(true),
        Err(TryLockError::Error(source)) => Err(HistoryError::Lock { path, source }),
    }
}

/// The pid (and start time) the holder wrote, if it has written them yet.
fn read_owner(file: &mut File) -> Option<(u32, Option<DateTime<Utc>>)> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut text).ok()?;
    let value = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
    };
    let pid = value("pid")?.trim().parse().ok()?;
    let since = value("since")
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
        .map(|t| t.with_timezone(&Utc));
    Some((pid, since))
}
