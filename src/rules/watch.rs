//! Hot reload: the rules in use are swapped atomically, and only for rules that compile and
//! pass their tests, so a half-typed edit never reaches a plan.

use super::{Limits, Rules, RulesError, TestReport, run_tests_with};
use notify::RecursiveMode;
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// The rules currently in use. Readers take an `Arc` and keep using it for a whole plan even
/// if a reload swaps in newer rules meanwhile.
#[derive(Debug)]
pub struct RulesHandle {
    current: RwLock<Arc<Rules>>,
}

impl RulesHandle {
    pub fn new(rules: Rules) -> RulesHandle {
        RulesHandle {
            current: RwLock::new(Arc::new(rules)),
        }
    }

    pub fn current(&self) -> Arc<Rules> {
        // A poisoned lock still holds a complete Arc: the swap is a single assignment.
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts `rules` in use and returns the ones it replaces.
    pub fn swap(&self, rules: Arc<Rules>) -> Arc<Rules> {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        std::mem::replace(&mut *guard, rules)
    }
}

/// What happened after an edit to the rules folder.
#[derive(Debug)]
pub enum WatchEvent {
    /// The edit compiled and its tests passed: these rules are now in use.
    Reloaded {
        rules: Arc<Rules>,
        tests: TestReport,
    },
    /// The edit did not compile: the previous rules stay in use.
    CompileFailed(RulesError),
    /// The edit compiled but some rule tests failed: the previous rules stay in use.
    TestsFailed(TestReport),
    /// The watcher itself reported a problem (the folder was removed, say).
    WatchFailed(String),
}

impl std::fmt::Display for WatchEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const KEPT: &str = "the previous rules stay in use";
        match self {
            WatchEvent::Reloaded { tests, .. } => {
                write!(
                    f,
                    "rules reloaded ({} test{} passed)",
                    tests.passed(),
                    super::load::plural(tests.passed())
                )
            }
            WatchEvent::CompileFailed(e) => write!(f, "{e}\n{KEPT}"),
            WatchEvent::TestsFailed(t) => write!(f, "{t}\nrule tests failed; {KEPT}"),
            WatchEvent::WatchFailed(e) => write!(f, "watching the rules failed: {e}"),
        }
    }
}

/// Recompiles `dir`, runs its tests, and swaps the result into `handle` only if both succeed.
pub fn reload(dir: &Path, handle: &RulesHandle, limits: &Limits) -> WatchEvent {
    let rules = match Rules::load_with(dir, limits) {
        Ok(r) => r,
        Err(e) => return WatchEvent::CompileFailed(e),
    };
    let tests = run_tests_with(&rules, dir);
    if !tests.is_ok() {
        return WatchEvent::TestsFailed(tests);
    }
    let rules = Arc::new(rules);
    handle.swap(rules.clone());
    WatchEvent::Reloaded { rules, tests }
}

/// Keeps watching while it lives; dropping it stops the watcher.
pub struct RulesWatcher {
    _debouncer: Debouncer<notify::RecommendedWatcher, RecommendedCache>,
}

/// Saves within this interval are one edit: editors write a file in several steps.
const DEBOUNCE: Duration = Duration::from_millis(250);

/// Whether an event concerns the rules (editors also write swap and backup files).
fn is_rules_file(path: &Path) -> bool {
    path.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| matches!(x, "rhai" | "yaml" | "yml"))
}

/// Whether an event can change what the rules say. Opening and reading a file is an event
/// too, and every reload reads the rules: reacting to that reloaded them over and over. A file
/// closed after writing does count (`touch` makes one, to reload by hand).
fn may_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    }
}

/// Watches `dir` (and its `tests/`): after each debounced save, [`reload`]s into `handle` and
/// reports the outcome to `on_event`, on the watcher's own thread.
pub fn watch(
    dir: &Path,
    handle: Arc<RulesHandle>,
    limits: Limits,
    on_event: impl FnMut(WatchEvent) + Send + 'static,
) -> Result<RulesWatcher, RulesError> {
    let watch_error = |e: notify::Error| RulesError {
        problems: vec![super::Problem::in_file(
            &super::load::label(dir, dir),
            format!("cannot watch the folder: {e}"),
        )],
    };
    let folder: PathBuf = dir.to_path_buf();
    let on_event = Mutex::new(on_event);
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let event = match result {
            Ok(events) => {
                let relevant = events.iter().any(|e| {
                    may_change(&e.event.kind) && e.event.paths.iter().any(|p| is_rules_file(p))
                });
                if !relevant {
                    return;
                }
                reload(&folder, &handle, &limits)
            }
            Err(errors) => WatchEvent::WatchFailed(
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        if let Ok(mut f) = on_event.lock() {
            f(event);
        }
    })
    .map_err(watch_error)?;
    debouncer
        .watch(dir, RecursiveMode::Recursive)
        .map_err(watch_error)?;
    Ok(RulesWatcher {
        _debouncer: debouncer,
    })
}

#[cfg(test)]
mod tests {
    use super::may_change;
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, EventKind, MetadataKind, ModifyKind,
        RemoveKind, RenameMode,
    };

    #[test]
    fn reads_are_not_edits_but_writes_renames_and_touches_are() {
        for read in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Read),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
        ] {
            assert!(!may_change(&read), "{read:?}");
        }
        for edit in [
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Create(CreateKind::File),
            EventKind::Remove(RemoveKind::File),
            EventKind::Any,
        ] {
            assert!(may_change(&edit), "{edit:?}");
        }
    }
}
