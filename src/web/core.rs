//! The dashboard's only calls into the sync workflow: connect, fetch, plan, apply, and the
//! history. Kept in this one module so that the coming core reshape (issue 16: saved plans,
//! the workflow as a library module, a `Send` apply future with typed progress) is swapped in
//! here alone.
//!
//! Stop-gap for issue 16 §3: today's fetch and apply futures borrow the history's SQLite
//! connection and the clients across awaits and are not known to be `Send`, so each runs on a
//! thread of its own with its own single-threaded runtime ([`on_own_thread`]). That also makes
//! a run independent of the browser: closing the page does not stop it.

use super::errors::Error;
use crate::apply::{self, ApplyResult};
use crate::config::Config;
use crate::error::Refused;
use crate::history::{History, HistoryError, RunDetail, RunLock, RunStart, RunSummary};
use crate::model::Direction;
use crate::plan::{NoRules, Plan, Policy, Row};
use crate::rules::Rules;
use crate::window::{self, Inside};
use crate::workflow::{self, Connections, Observer, Rosters, Target};
use chrono::NaiveDate;
use std::future::Future;

/// Runs `job` to its end on a new thread with its own runtime; `done` gets its result there.
pub fn on_own_thread<F, Fut>(job: F, done: impl FnOnce(Fut::Output) + Send + 'static)
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future + 'static,
{
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        match runtime {
            Ok(rt) => done(rt.block_on(job())),
            // Without a runtime nothing can be fetched or written; the job is reported as
            // never finished, which the pages show as an error below.
            Err(e) => eprintln!("error: could not start a worker runtime: {e}"),
        }
    });
}

/// KOT's access window now, if inside one.
pub fn window_now(config: &Config) -> Option<Inside> {
    window::inside(&config.maintenance_windows, chrono::Utc::now())
}

/// Today in JST, the default reference date.
pub fn today() -> NaiveDate {
    crate::http::today_jst()
}

/// Connects and fetches both rosters, reporting progress to `observer`.
pub async fn fetch(
    config: &Config,
    direction: Direction,
    as_of: NaiveDate,
    observer: &dyn Observer,
) -> Result<Rosters, Error> {
    let conn = Connections::from_config(config)?;
    Ok(workflow::fetch(&conn, direction, as_of, observer).await?)
}

/// The state of a rules folder: `None` when none is configured.
pub fn rules_state(config: &Config) -> Option<(String, Result<(), Error>)> {
    let dir = config.rules.as_ref()?;
    let loaded = load_rules(dir).map(|_| ());
    Some((dir.display().to_string(), loaded))
}

fn load_rules(dir: &std::path::Path) -> Result<Rules, Error> {
    Rules::load(dir).map_err(|source| Error::Rules {
        dir: dir.to_path_buf(),
        source,
    })
}

/// What a plan was made with, kept so that the apply can make it again and compare.
#[derive(Debug, Clone)]
pub struct Choice {
    pub office: Option<String>,
    pub employment_type: Option<String>,
}

impl Choice {
    /// As the history records the defaults (the CLI's spelling).
    pub fn text(&self) -> String {
        workflow::defaults_text(self.office.as_deref(), self.employment_type.as_deref())
    }
}

/// A plan and the rules fingerprint it was made with.
pub struct Planned {
    pub plan: Plan,
    pub rules: Option<String>,
}

/// Plans from rosters with the chosen defaults and the configured rules.
pub fn plan(config: &Config, rosters: Rosters, choice: &Choice) -> Result<Planned, Error> {
    let defaults = workflow::resolve_defaults(
        rosters.direction,
        &rosters.masters,
        choice.office.as_deref(),
        choice.employment_type.as_deref(),
    )?;
    let rules = config.rules.as_deref().map(load_rules).transpose()?;
    let policy: &dyn Policy = match &rules {
        Some(r) => r,
        None => &NoRules,
    };
    Ok(Planned {
        plan: workflow::plan(rosters, &defaults, policy),
        rules: config.rules.as_deref().map(workflow::rules_fingerprint),
    })
}

/// The parts of a row a person reviewed: if any differs now, the row is stale.
fn reviewed(row: &Row) -> impl PartialEq + '_ {
    (
        &row.code,
        row.status,
        &row.name,
        &row.changes,
        &row.office,
        &row.employment_type,
    )
}

/// How an apply from the dashboard ended.
pub enum Applied {
    /// Written and recorded under this history run id.
    Ran {
        run_id: String,
        stopped: Option<String>,
    },
    /// Nothing written: these rows (code, name) changed since they were reviewed.
    Stale(Vec<(String, String)>),
    /// Nothing written, or the run could not be recorded.
    Failed(std::sync::Arc<Error>),
}

/// What the person reviewed and chose.
pub struct Reviewed {
    pub plan: Plan,
    pub chosen: Vec<usize>,
    pub choice: Choice,
}

/// Fetches both sides again, plans again and writes the chosen rows only if each is exactly
/// as reviewed; recorded in the history with `user` as who. `lock` is the CLI's run lock,
/// taken by the caller before anything is fetched.
pub async fn apply(
    config: &Config,
    user: String,
    lock: &RunLock,
    reviewed_plan: &Reviewed,
    observer: &dyn Observer,
) -> Applied {
    match apply_inner(config, user, lock, reviewed_plan, observer).await {
        Ok(a) => a,
        Err(e) => Applied::Failed(std::sync::Arc::new(e)),
    }
}

async fn apply_inner(
    config: &Config,
    user: String,
    lock: &RunLock,
    r: &Reviewed,
    observer: &dyn Observer,
) -> Result<Applied, Error> {
    Refused::check_window(&config.maintenance_windows, chrono::Utc::now())?;
    let history = History::open(&config.history)?;
    let conn = Connections::from_config(config)?;
    let fetched_at = chrono::Utc::now();
    let rosters = workflow::fetch(&conn, r.plan.direction, r.plan.as_of, &workflow::Silent).await?;
    let Planned { plan, rules } = plan(config, rosters, &r.choice)?;
    let mut chosen = Vec::with_capacity(r.chosen.len());
    let mut stale = vec![];
    for &i in &r.chosen {
        let old = &r.plan.rows[i];
        let now = plan
            .rows
            .iter()
            .position(|row| row.code.is_some() && row.code == old.code);
        match now {
            Some(j) if reviewed(&plan.rows[j]) == reviewed(old) => chosen.push(j),
            _ => stale.push((old.code.clone().unwrap_or_default(), old.name.clone())),
        }
    }
    if !stale.is_empty() {
        return Ok(Applied::Stale(stale));
    }
    let target = Target::new(&conn, plan.direction, plan.as_of);
    let mut start = RunStart {
        direction: plan.direction,
        as_of: plan.as_of,
        user,
        selection: "picked in the dashboard".into(),
        defaults: r.choice.text(),
        rules,
        planned: Vec::new(),
        left_out: Vec::new(),
        unchanged: 0,
    };
    workflow::accounted(&mut start, &plan, &chosen, apply::Chosen::Ticked);
    let recorded = workflow::apply_recorded(
        config,
        &history,
        lock,
        &target,
        workflow::Request {
            plan: &plan,
            chosen: &chosen,
            start,
            fetched_at,
            stale: Vec::new(),
            options: apply::Options::default(),
        },
        observer,
    )
    .await?;
    Ok(Applied::Ran {
        run_id: recorded.report.run_id,
        stopped: recorded.report.stopped,
    })
}

/// Takes the CLI's run lock: one apply at a time per history, from any front end.
pub fn lock(config: &Config) -> Result<RunLock, HistoryError> {
    RunLock::acquire(&config.history)
}

/// The newest `limit` runs after skipping `skip`.
pub fn runs(config: &Config, skip: usize, limit: usize) -> Result<Vec<RunSummary>, HistoryError> {
    let all = History::open(&config.history)?.list(skip + limit)?;
    Ok(all.into_iter().skip(skip).collect())
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

/// A snapshot of [`Progress`].
#[derive(Debug, Clone, Default)]
pub struct ProgressState {
    /// (what, done, total) per thing fetched, in order.
    pub fetched: Vec<(String, usize, Option<usize>)>,
    pub results: Vec<ApplyResult>,
    pub total: usize,
    pub note: Option<String>,
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
    fn fetching(&self, what: &str, done: usize, total: Option<usize>) {
        self.with(|s| match s.fetched.iter_mut().find(|(w, ..)| w == what) {
            Some(slot) => *slot = (what.to_string(), done, total),
            None => s.fetched.push((what.to_string(), done, total)),
        })
    }
    fn applied(&self, result: &ApplyResult, _done: usize, total: usize) {
        self.with(|s| {
            s.total = total;
            s.results.push(result.clone());
        })
    }
    fn waiting(&self, message: &str) {
        self.with(|s| s.note = Some(message.to_string()))
    }
    fn warning(&self, message: &str) {
        self.with(|s| s.note = Some(message.to_string()))
    }
}
