//! How long work tells a person what it is doing, without printing anything itself: the CLI
//! draws bars from it, the dashboard a page. Progress is a typed [`Event`], so a front end
//! decides how each is shown rather than parsing labels.

use super::{ApplyReport, ApplyResult};
use crate::model::Service;
use crate::plan::Summary;
use chrono::{DateTime, Utc};
use std::fmt;
use std::time::Duration;

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
        message: &'a Pause,
        until: Option<DateTime<Utc>>,
    },
    /// Something went wrong that does not stop the work.
    Warning { message: &'a Warning },
    /// The run ended and is recorded: its report.
    Finished { report: &'a ApplyReport },
}

/// Why a run pauses, as data: each front end says it in its own words (`Display` is the
/// CLI's English).
#[derive(Debug, Clone, PartialEq)]
pub enum Pause {
    /// Inside KING OF TIME's configured access window, until it reopens.
    Window(crate::window::Inside),
    /// KING OF TIME refused for its access window outside the configured ones (`refusal`, as
    /// the CLI words it): tried again after `retry`.
    Refused { refusal: String, retry: Duration },
    /// `service`'s request budget runs out part-way (`described`, as the CLI words it): the
    /// run pauses at its reset, `resets_in` from when it was read.
    Budget {
        service: Service,
        described: String,
        resets_in: Duration,
    },
}

impl fmt::Display for Pause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pause::Window(inside) => write!(f, "{inside}; waiting"),
            Pause::Refused { refusal, retry } => {
                write!(f, "{refusal}; trying again in {}s", retry.as_secs())
            }
            Pause::Budget { described, .. } => {
                write!(f, "{described}; pausing for the reset when it runs out")
            }
        }
    }
}

/// Something that went wrong without stopping the work, as data (`Display` is the CLI's
/// English).
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// A field the plan found unreadable in the source, which this run will not clear.
    Unreadable(crate::plan::Unreadable),
    /// The email was sent (or not), but its outcome could not be recorded in the history:
    /// the history's error.
    EmailNotRecorded(String),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Unreadable(u) => f.write_str(&u.hint),
            Warning::EmailNotRecorded(e) => write!(f, "could not record the email outcome: {e}"),
        }
    }
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
