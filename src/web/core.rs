//! The dashboard's only calls into the sync workflow: connect, fetch, plan, apply, and the
//! history. Kept in this one module so that the coming core reshape (issue 16: saved plans,
//! the workflow as a library module, a `Send` apply future with typed progress) is swapped in
//! here alone.
//!
//! The fetch and apply futures are `Send` (the history's SQLite work runs off the async
//! threads), so the pages `tokio::spawn` them: a run is independent of the browser, and closing
//! the page does not stop it.

use super::errors::Error;
use crate::apply::{self, ApplyResult};
use crate::apply::{Event, Observer, Stop};
use crate::config::Config;
use crate::history::{History, HistoryError, RunDetail, RunStart, RunSummary};
use crate::model::Direction;
use crate::plan::saved::{SavedPlan, Tenant};
use crate::plan::{NoRules, Plan, Policy};
use crate::rules::Rules;
use crate::window::{self, Inside};
use crate::workflow::{self, Connections, Rosters};
use chrono::NaiveDate;
use std::sync::Arc;

/// KOT's access window now, if inside one.
pub fn window_now(config: &Config) -> Option<Inside> {
    window::inside(&config.maintenance_windows, chrono::Utc::now())
}

/// The CLI's access-window guard: an error for the page while KOT's configured window is open
/// (the dashboard does not wait windows out).
pub async fn guard_window(config: &Config) -> Result<(), Error> {
    Ok(workflow::guard::access_window(config, None, &apply::Silent).await?)
}

/// Today in JST, the default reference date.
pub fn today() -> NaiveDate {
    crate::clock::today_jst()
}

/// What a wizard plans from: the configured rules as they were loaded, and both rosters.
pub struct Fetched {
    pub rosters: Rosters,
    pub rules: Option<Arc<Rules>>,
}

/// Loads the configured rules, then connects and fetches both rosters, reporting progress to
/// `observer`. The rules come first: a typo in them must not cost a full download.
pub async fn fetch(
    config: &Config,
    direction: Direction,
    as_of: NaiveDate,
    observer: &dyn Observer,
) -> Result<Fetched, Error> {
    let rules = config
        .rules
        .as_deref()
        .map(|dir| workflow::load_rules(dir).map(Arc::new))
        .transpose()?;
    let conn = Connections::from_config(config)?;
    let rosters = workflow::fetch(&conn, direction, as_of, observer).await?;
    Ok(Fetched { rosters, rules })
}

/// What a plan was made with, kept so that the apply can make it again and compare.
#[derive(Debug, Clone)]
pub struct Choice {
    pub office: Option<String>,
    pub employment_type: Option<String>,
}

/// Plans from rosters with the chosen defaults and the rules loaded before they were fetched,
/// as a saved plan: what the person reviews is then applied exactly, the CLI's `apply --plan`
/// way.
pub fn plan(
    config: &Config,
    rosters: Rosters,
    rules: Option<&Rules>,
    choice: &Choice,
) -> Result<SavedPlan, Error> {
    let defaults = workflow::resolve_defaults(
        rosters.direction,
        &rosters.masters,
        choice.office.as_deref(),
        choice.employment_type.as_deref(),
    )?;
    let policy: &dyn Policy = match rules {
        Some(r) => r,
        None => &NoRules,
    };
    Ok(SavedPlan::new(
        workflow::plan(rosters, &defaults, policy, crate::error::Wording::OWN),
        defaults,
        rules.map(|r| r.fingerprint().to_string()),
        Tenant::of(config),
    ))
}

/// How an apply from the dashboard ended.
pub enum Applied {
    /// Written and recorded under this history run id. `stale`: the chosen rows (code, name)
    /// not written because their target changed since the review.
    Ran {
        run_id: String,
        stopped: Option<apply::Stopped>,
        stale: Vec<(String, String)>,
        /// Why the run's email was not sent (the run itself is recorded).
        email_error: Option<Arc<crate::email::NotifyError>>,
    },
    /// Nothing written, or the run could not be recorded.
    Failed(std::sync::Arc<Error>),
}

/// The dashboard's part in an apply ([`workflow::Front`]): the rows ticked on the list,
/// confirmed by pressing the run button.
struct Ticked(Vec<usize>);

impl workflow::Front for Ticked {
    type Halt = Error;

    fn choose(&mut self, _saved: &SavedPlan) -> Result<(Vec<usize>, apply::Chosen<'_>), Error> {
        Ok((std::mem::take(&mut self.0), apply::Chosen::Ticked))
    }

    fn confirm(&mut self, _plan: &Plan, _writes: usize) -> Result<(), Error> {
        Ok(())
    }
}

/// The workflow's steps up to the run lock for the `chosen` rows of the reviewed plan
/// ([`workflow::lock_in`]: the access window, `max_changes` with the clears this dashboard
/// makes, none of a field the plan found unreadable, the lock), so that a refusal is said on
/// the confirmation page before anything is fetched; `start` is filled in as they go.
pub async fn lock_in(
    config: &Config,
    saved: SavedPlan,
    chosen: Vec<usize>,
    start: &mut RunStart,
) -> Result<workflow::Locked, Error> {
    workflow::lock_in(
        config,
        workflow::Source::Reviewed(saved),
        &mut Ticked(chosen),
        &workflow::Allowed::default(),
        start,
        &apply::Silent,
    )
    .await
}

/// Writes exactly the chosen rows of the reviewed plan, as `crewsync apply --plan` does: the
/// target's roster is read again once, and a row whose target changed since the review is
/// not written but reported not attempted (stale). Recorded in the history as `start` says;
/// `stop` is the run page's cancel button.
pub async fn apply(
    config: &Config,
    locked: workflow::Locked,
    start: RunStart,
    stop: Stop,
    observer: &dyn Observer,
) -> Applied {
    match apply_inner(config, locked, start, stop, observer).await {
        Ok(a) => a,
        Err(e) => Applied::Failed(std::sync::Arc::new(e)),
    }
}

async fn apply_inner(
    config: &Config,
    locked: workflow::Locked,
    start: RunStart,
    stop: Stop,
    observer: &dyn Observer,
) -> Result<Applied, Error> {
    let ready = locked.open(config, None, observer).await?;
    let plan = &ready.saved.plan;
    let stale_rows = ready
        .stale
        .iter()
        .map(|s| {
            let row = &plan.rows[s.row];
            (row.code.clone().unwrap_or_default(), row.name.clone())
        })
        .collect();
    let options = apply::Options {
        stop,
        ..apply::Options::default()
    };
    let recorded = ready.apply(config, start, options, observer).await?;
    Ok(Applied::Ran {
        run_id: recorded.report.run_id,
        stopped: recorded.report.stopped_why,
        stale: stale_rows,
        email_error: recorded.email_error.map(Arc::new),
    })
}

/// How the history starts a dashboard run of `saved` by `user`; [`lock_in`] accounts for
/// every employee of the plan, as for the CLI's runs.
pub fn start_of(saved: &SavedPlan, user: String) -> RunStart {
    let plan = &saved.plan;
    RunStart {
        direction: plan.direction,
        as_of: plan.as_of,
        user,
        selection: apply::Picked::Dashboard {
            plan: saved.plan_id.clone(),
        },
        // By name, as a person reads them (the form sends the masters' ids).
        defaults: workflow::defaults_text(
            saved.defaults.office.as_ref().map(|m| m.name.as_str()),
            saved
                .defaults
                .employment_type
                .as_ref()
                .map(|m| m.name.as_str()),
        ),
        rules: saved.rules.clone(),
        planned: Vec::new(),
        left_out: Vec::new(),
        unchanged: 0,
    }
}

/// Records a dashboard apply refused before it began (another apply holds the lock,
/// `max_changes`), as the CLI records its own refusals, and sends its email.
pub async fn refused(config: &Config, start: &RunStart, why: &str) -> Vec<String> {
    workflow::record_unstarted(config, start, crate::history::RunStatus::Refused, why)
        .await
        .warnings
}

/// The newest `limit` runs, for the dashboard (the 連携履歴 pages use the history's queries).
pub fn recent_runs(config: &Config, limit: usize) -> Result<Vec<RunSummary>, HistoryError> {
    History::open(&config.history)?.list(limit)
}

/// One run in full.
pub fn run(config: &Config, id: &str) -> Result<RunDetail, HistoryError> {
    History::open(&config.history)?.show(id)
}

/// An observer that keeps what a page shows while the work goes on.
#[derive(Default)]
pub struct Progress {
    inner: std::sync::Mutex<ProgressState>,
}

/// How far the fetch of one roster has come: `done` records of `what` (`crews`, `employees`)
/// read from `service`, of `total` once the service has said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchCount {
    pub service: crate::model::Service,
    pub what: &'static str,
    pub done: usize,
    pub total: Option<usize>,
}

/// A snapshot of [`Progress`].
#[derive(Debug, Clone, Default)]
pub struct ProgressState {
    /// Per roster fetched, in order: kept as data, so that each page says it in its language.
    pub fetched: Vec<FetchCount>,
    pub results: Vec<ApplyResult>,
    pub total: usize,
    /// What the run page says while the run waits, or after something went wrong that did
    /// not stop it: as data, said in each page's language.
    pub note: Option<Note>,
}

/// A note of the run page ([`ProgressState::note`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    Pause(apply::Pause),
    Warning(apply::Warning),
}

impl Progress {
    /// Says how many writes a run is about to make, before the first is done.
    pub fn expect(&self, total: usize) {
        self.with(|s| {
            s.total = total;
            s.results.clear();
        })
    }

    pub fn snapshot(&self) -> ProgressState {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn with(&self, f: impl FnOnce(&mut ProgressState)) {
        f(&mut self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Observer for Progress {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Fetching {
                service,
                what,
                done,
                total,
            } => {
                let count = FetchCount {
                    service,
                    what,
                    done,
                    total,
                };
                self.with(|s| {
                    match s
                        .fetched
                        .iter_mut()
                        .find(|c| c.service == service && c.what == what)
                    {
                        Some(slot) => *slot = count,
                        None => s.fetched.push(count),
                    }
                })
            }
            Event::Planned { writes, .. } => self.with(|s| s.total = writes),
            Event::Applying { result, total, .. } => self.with(|s| {
                s.total = total;
                s.results.push(result.clone());
            }),
            Event::Waiting { message, .. } => {
                self.with(|s| s.note = Some(Note::Pause(message.clone())))
            }
            Event::Warning { message } => {
                self.with(|s| s.note = Some(Note::Warning(message.clone())))
            }
            // The run's page shows the recorded run once the apply returns.
            Event::Finished { .. } => {}
        }
    }
}
