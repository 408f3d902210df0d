//! How long work tells a person what it is doing, without printing anything itself: the CLI
//! draws bars from it, the dashboard a page.

use super::ApplyResult;

/// Hooks through which long work reports progress. Every method has a no-op default so a
/// caller implements only what it shows.
pub trait Observer: Sync {
    /// `done` of `total` records of `what` have been fetched.
    fn fetching(&self, _what: &str, _done: usize, _total: Option<usize>) {}
    /// One employee's write finished (whatever its outcome).
    fn applied(&self, _result: &ApplyResult, _done: usize, _total: usize) {}
    /// The run is pausing (access window) and will go on by itself.
    fn waiting(&self, _message: &str) {}
    /// Something went wrong that does not stop the work (an email that could not be sent).
    fn warning(&self, _message: &str) {}
}

/// An observer that shows nothing, for tests and benchmarks.
pub struct Silent;
impl Observer for Silent {}
