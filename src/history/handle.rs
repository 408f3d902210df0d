//! The history for async code: a handle that can be held across awaits and sent between
//! threads, whose SQLite work runs on tokio's blocking pool rather than on the threads that
//! drive the HTTP requests (a commit that waits for another writer's transaction may take
//! seconds, see `BUSY_TIMEOUT`). That is what makes an apply-and-record future `Send`, so a web
//! server can `tokio::spawn` a run.

use super::{History, HistoryError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Cheap to clone; every clone uses the same connection, one piece of work at a time.
#[derive(Debug, Clone)]
pub struct HistoryHandle {
    history: Arc<Mutex<History>>,
    path: PathBuf,
}

impl HistoryHandle {
    /// Opens the history at `path` (as [`History::open`]) off the async threads.
    pub async fn open(path: &Path) -> Result<HistoryHandle, HistoryError> {
        let owned = path.to_path_buf();
        let history = blocking(path, move || History::open(&owned)).await?;
        Ok(HistoryHandle::new(history))
    }

    /// A handle on a history already open.
    pub fn new(history: History) -> HistoryHandle {
        HistoryHandle {
            path: history.path().to_path_buf(),
            history: Arc::new(Mutex::new(history)),
        }
    }

    /// The database file, as given when it was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the history on tokio's blocking pool and waits for it. A panic in `work`
    /// is a bug and goes on unwinding here.
    pub async fn with<T, F>(&self, work: F) -> Result<T, HistoryError>
    where
        T: Send + 'static,
        F: FnOnce(&History) -> Result<T, HistoryError> + Send + 'static,
    {
        let history = self.history.clone();
        blocking(&self.path, move || {
            // A poisoned lock only means an earlier piece of work panicked; every piece is its
            // own SQLite transaction, so the connection is still consistent.
            work(&history.lock().unwrap_or_else(|e| e.into_inner()))
        })
        .await
    }
}

async fn blocking<T, F>(path: &Path, work: F) -> Result<T, HistoryError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, HistoryError> + Send + 'static,
{
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => done,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => Err(HistoryError::ShuttingDown {
                path: path.to_path_buf(),
            }),
        },
    }
}
