//! How long work tells a person what it is doing, without printing anything itself: the CLI
//! draws bars from it, the dashboard a page. Progress is a typed [`Event`], so a front end
//! decides how each is shown rather than parsing labels.

use super::{ApplyReport, ApplyResult};
use crate::model::Service;
use crate::plan::Summary;
use chrono::{DateTime, Utc};

/// One step of a fetch or an apply, as it happens. Borrowed: an observer that keeps something
/// copies it.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// `done` records of `what` (`"crews"`, `"employees"`) read from `service` so far, of
    /// `total` once the service has said how many there are.
    Fetching {
        service: Service,
        what: &'static str,
        done: usize,
        total: Option<usize>,
    },
    /// The run's plan is settled: it will write `writes` employees of the plan counted in
    /// `summary`, before the first write.
    Planned { summary: &'a Summary, writes: usize },
    /// Employee `done` of `total` has its result, whatever the outcome.
    Applying {
        result: &'a ApplyResult,
        done: usize,
        total: usize,
    },
    /// The run pauses (an access window, an exhausted request budget) and goes on by itself,
    /// by `until` when that is known.
    Waiting {
        message: &'a str,
        until: Option<DateTime<Utc>>,
    },
    /// Something went wrong that does not stop the work (an email that could not be sent).
    Warning { message: &'a str },
    /// The run ended and is recorded: its report.
    Finished { report: &'a ApplyReport },
}

impl Event<'_> {
    /// What is being fetched as a person reads it: `SmartHR crews`.
    pub fn fetching_label(service: Service, what: &str) -> String {
        format!("{} {what}", service.display_name())
    }
}

/// Where long work reports its [`Event`]s. Called from the task doing the work, so it must be
/// quick and must not block.
pub trait Observer: Sync {
    fn event(&self, event: Event<'_>);
}

/// An observer that shows nothing, for tests and benchmarks.
pub struct Silent;
impl Observer for Silent {
    fn event(&self, _event: Event<'_>) {}
}
