//! An apply's steps in their order, the same for both front ends: where the plan comes from
//! (made now, read from a file, reviewed in the dashboard), the access window, the person's
//! choice, `max_changes`, the person's confirmation, the request budget, the run lock
//! ([`lock_in`]); the history and a saved plan's stale rows ([`Locked::open`]); the recorded
//! apply ([`Ready::apply`]). A front end supplies only what a person does there ([`Front`]: the
//! choice, the confirmation) and how progress is shown (an [`Observer`]).
//!
//! The lock is taken last before writing, so a person at a tick list or a confirmation never
//! blocks the nightly run; the rows another run writes meanwhile are held back when writing
//! begins ([`super::apply_recorded`]), and so are a saved plan's rows whose target changed
//! since it was made. Each step returns the value the next one needs, so no front end can
//! take them in another order.

use super::{Connections, PlanRequest, Recorded, Request, SyncError, accounted, guard};
use crate::apply::{self, AllowClear, Chosen, Event, Observer, Wait};
use crate::config::Config;
use crate::history::{HistoryHandle, RunLock, RunStart};
use crate::plan::Plan;
use crate::plan::saved::{SavedPlan, Tenant};
use chrono::{DateTime, Utc};
use std::path::Path;

/// A plan made before this apply (`label`: its file, or how the dashboard names it) is refused
/// for another tenant or when older than `plan_max_age_hours`.
fn made_before(config: &Config, label: &Path, saved: &SavedPlan) -> Result<(), SyncError> {
    Ok(saved.check(label, &Tenant::of(config), Utc::now(), config.plan_max_age)?)
}

/// Where an apply's plan comes from.
pub enum Source<'a> {
    /// Made now: the rules, the access window, the fetch and the plan ([`super::prepare`]).
    Now(PlanRequest<'a>),
    /// Read from `path` (`apply --plan`): refused for another tenant or when too old, then the
    /// access window; its rows whose target changed since are found before writing.
    File { path: &'a Path, saved: SavedPlan },
    /// Made and reviewed in this process (the dashboard's wizard): refused when too old, then
    /// the access window; its rows whose target changed since the review are found before
    /// writing.
    Reviewed(SavedPlan),
}

/// What a front end does in an apply: the person's choice of rows and confirmation. Either
/// may end the apply before anything is written with the front end's own [`Front::Halt`]
/// (the person cancelled, or a refusal), into which the workflow's refusals convert too.
pub trait Front {
    type Halt: From<SyncError>;

    /// The services are connected: where a front end shows the clients' waits and retries.
    fn connected(&mut self, _conn: &Connections) {}

    /// The rows of `saved` to write (indexes into its rows) and how they were chosen; called
    /// once the plan exists and the access window is clear.
    fn choose(&mut self, saved: &SavedPlan) -> Result<(Vec<usize>, Chosen<'_>), Self::Halt>;

    /// Whether the person wants `writes` employees written to the target of `plan`; asked
    /// once they pass `max_changes`, before the request budget and the lock, and only when
    /// there is something to write.
    fn confirm(&mut self, plan: &Plan, writes: usize) -> Result<(), Self::Halt>;
}

/// What a person allowed beyond the guards' defaults.
#[derive(Default)]
pub struct Allowed<'a> {
    /// The clears of fields the plan found unreadable that may be made anyway.
    pub clear: AllowClear,
    /// Past `max_changes`.
    pub force: bool,
    /// `Some`: wait out an access window or an exhausted request budget instead of refusing.
    pub wait: Option<&'a Wait>,
}

/// The plan made or read, the rows chosen and confirmed, every guard passed and the run lock
/// held: what [`Locked::open`] prepares for writing.
pub struct Locked {
    pub saved: SavedPlan,
    pub conn: Connections,
    pub chosen: Vec<usize>,
    lock: RunLock,
    /// When the plan's rosters were read: another run's writes since then hold rows back.
    fetched_at: DateTime<Utc>,
    /// A plan made earlier (a file, a review) is checked for rows whose target changed since.
    made_earlier: bool,
}

/// Everything before the first write: the history open and a saved plan's stale rows known.
pub struct Ready {
    pub saved: SavedPlan,
    pub conn: Connections,
    pub chosen: Vec<usize>,
    pub history: HistoryHandle,
    /// Chosen rows of a plan made earlier whose target changed since: not written.
    pub stale: Vec<apply::Stale>,
    lock: RunLock,
    fetched_at: DateTime<Utc>,
}

fn connect<F: Front>(config: &Config, front: &mut F) -> Result<Connections, SyncError> {
    let conn = Connections::from_config(config)?;
    front.connected(&conn);
    Ok(conn)
}

/// The steps of an apply up to the run lock, in their order (see the module's doc). `start`
/// is filled in as they go, so that an apply refused at any step is recorded with what was
/// known by then.
pub async fn lock_in<F: Front>(
    config: &Config,
    source: Source<'_>,
    front: &mut F,
    allowed: &Allowed<'_>,
    start: &mut RunStart,
    observer: &dyn Observer,
) -> Result<Locked, F::Halt> {
    let wait = allowed.wait;
    let (saved, conn, fetched_at, made_earlier) = match source {
        Source::Now(request) => {
            let fetched_at = Utc::now();
            let conn = connect(config, front)?;
            let saved = super::prepare(config, &conn, &request, wait, observer).await?;
            (saved, conn, fetched_at, false)
        }
        Source::File { path, saved } => {
            made_before(config, path, &saved)?;
            guard::access_window(config, wait, observer).await?;
            let conn = connect(config, front)?;
            // Another run that wrote one of its employees after the plan was made holds
            // that employee back, as for a plan made now.
            let made_at = saved.made_at;
            (saved, conn, made_at, true)
        }
        Source::Reviewed(saved) => {
            // The longer a review lies open, the more of its rows no longer show the target as
            // it is: the same age limit as for a saved file.
            made_before(
                config,
                Path::new(&format!("plan {}", saved.plan_id)),
                &saved,
            )?;
            guard::access_window(config, wait, observer).await?;
            let conn = connect(config, front)?;
            let made_at = saved.made_at;
            (saved, conn, made_at, true)
        }
    };
    start.rules.clone_from(&saved.rules);
    let (chosen, how) = front.choose(&saved)?;
    accounted(start, &saved.plan, &chosen, how);
    let plan = &saved.plan;
    for u in &plan.unreadable {
        if !allowed.clear.allows(u.field) {
            observer.event(Event::Warning {
                message: &apply::Warning::Unreadable(u.clone()),
            });
        }
    }
    guard::max_changes(config, plan, &chosen, &allowed.clear, allowed.force)
        .map_err(SyncError::from)?;
    if !chosen.is_empty() {
        front.confirm(plan, chosen.len())?;
    }
    guard::budget(
        &conn,
        plan.direction,
        chosen.len(),
        wait.is_some(),
        observer,
    )
    .map_err(SyncError::from)?;
    let lock = RunLock::acquire(&config.history).map_err(SyncError::from)?;
    Ok(Locked {
        saved,
        conn,
        chosen,
        lock,
        fetched_at,
        made_earlier,
    })
}

impl Locked {
    /// Opens the history and, for a plan made earlier, reads the target once to find the
    /// chosen rows whose target changed since (as late as possible, and once for the whole
    /// roster: KOT allows about one request a second). An access window met while reading is
    /// waited out with `wait`.
    pub async fn open(
        self,
        config: &Config,
        wait: Option<&Wait>,
        observer: &dyn Observer,
    ) -> Result<Ready, SyncError> {
        let history = HistoryHandle::open(&config.history).await?;
        let stale = if self.made_earlier {
            super::stale_waiting(&self.conn, &self.saved.plan, &self.chosen, wait, observer).await?
        } else {
            Vec::new()
        };
        Ok(Ready {
            saved: self.saved,
            conn: self.conn,
            chosen: self.chosen,
            history,
            stale,
            lock: self.lock,
            fetched_at: self.fetched_at,
        })
    }
}

impl Ready {
    /// Writes the chosen rows but the stale ones, recorded in the history and emailed
    /// ([`super::apply_recorded`]); `start` is the run as [`lock_in`] filled it in.
    pub async fn apply(
        self,
        config: &Config,
        start: RunStart,
        options: apply::Options,
        observer: &dyn Observer,
    ) -> Result<Recorded, SyncError> {
        let Ready {
            saved,
            conn,
            chosen,
            history,
            stale,
            lock,
            fetched_at,
        } = self;
        let plan = &saved.plan;
        let target = conn.target(plan.direction, plan.as_of);
        super::apply_recorded(
            config,
            &history,
            lock,
            &target,
            Request {
                plan,
                chosen: &chosen,
                start,
                fetched_at,
                stale,
                options,
            },
            observer,
        )
        .await
    }
}
