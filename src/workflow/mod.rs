//! The workflow of feature.md as library calls: connect, fetch both rosters, plan, apply.
//!
//! The CLI and the coming web dashboard both drive a sync through these functions, so
//! everything a person sees (progress, results) comes out through [`Observer`] rather than
//! being printed here.

use crate::apply::{Event, Observer, Target, Wait};
use crate::config::{Config, ConfigError, Endpoint};
use crate::http::{ApiError, Budget, Limits, Notice};
use crate::model::{Direction, Employee, MasterItem, Masters, Service};
use crate::plan::saved::{SavedPlan, Tenant};
use crate::plan::{self, Defaults, Plan, Policy};
use crate::{kot, smarthr};
use chrono::NaiveDate;

pub mod guard;
mod record;
mod sequence;
pub use record::{
    NO_DEFAULTS, Recorded, Request, UNKNOWN_DEFAULTS, Unstarted, accounted, apply_recorded,
    defaults_text, record_unstarted,
};
pub use sequence::{Allowed, Front, Locked, Ready, Source, lock_in};

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A default office or employment type that the target's masters do not have; `choices`
    /// lists the valid ones, `suggestion` is the one probably meant.
    #[error(
        "{what} '{value}' does not exist in {service}; {choices}\n  hint: pass the id/code or the exact name"
    )]
    UnknownMaster {
        /// [`Input::Office`](crate::error::Input::Office) or
        /// [`Input::EmploymentType`](crate::error::Input::EmploymentType).
        input: crate::error::Input,
        what: &'static str,
        value: String,
        service: Service,
        choices: String,
        suggestion: Option<String>,
    },
    #[error(transparent)]
    History(crate::history::HistoryError),
    #[error(
        "a default employment type applies only when the target is KING OF TIME (smarthr-to-kot); SmartHR keeps the source's own type"
    )]
    EmploymentTypeNotForSmartHr,
    #[error(transparent)]
    Refused(#[from] crate::error::Refused),
    /// A saved plan refused for another tenant, or for its age.
    #[error(transparent)]
    SavedPlan(#[from] crate::plan::saved::SavedPlanError),
    #[error(transparent)]
    Wait(#[from] crate::apply::WaitError),
    #[error("the rules in {} do not compile:\n{source}", dir.display())]
    Rules {
        dir: std::path::PathBuf,
        source: crate::rules::RulesError,
    },
}

impl SyncError {
    /// The library error this one wraps, whose [`Diagnostic`](crate::error::Diagnostic) is
    /// therefore this one's: a refusal's remedy or a configuration error's place must reach the
    /// person whichever wrapper carried it.
    fn wrapped(&self) -> Option<&dyn crate::error::Diagnostic> {
        match self {
            SyncError::Config(e) => Some(e),
            SyncError::Api(e) => Some(e),
            SyncError::History(e) => Some(e),
            SyncError::Refused(e) => Some(e),
            SyncError::SavedPlan(e) => Some(e),
            SyncError::Rules { source, .. } => Some(source),
            SyncError::UnknownMaster { .. }
            | SyncError::EmploymentTypeNotForSmartHr
            | SyncError::Wait(_) => None,
        }
    }
}

impl crate::error::Diagnostic for SyncError {
    fn location(&self) -> Option<crate::error::Location> {
        self.wrapped().and_then(|e| e.location())
    }
    fn value(&self) -> Option<&str> {
        match self {
            SyncError::UnknownMaster { value, .. } => Some(value),
            _ => self.wrapped().and_then(|e| e.value()),
        }
    }
    fn input(&self) -> Option<crate::error::Input> {
        match self {
            SyncError::UnknownMaster { input, .. } => Some(*input),
            SyncError::EmploymentTypeNotForSmartHr => Some(crate::error::Input::EmploymentType),
            _ => self.wrapped().and_then(|e| e.input()),
        }
    }
    fn remedy(&self) -> Option<crate::error::Remedy> {
        match self {
            SyncError::EmploymentTypeNotForSmartHr => Some(crate::error::Remedy::NoEmploymentType),
            _ => self.wrapped().and_then(|e| e.remedy()),
        }
    }
    fn suggestion(&self) -> Option<&str> {
        match self {
            SyncError::UnknownMaster { suggestion, .. } => suggestion.as_deref(),
            _ => self.wrapped().and_then(|e| e.suggestion()),
        }
    }
}

/// What a plan is asked for, whichever front end asks.
#[derive(Debug, Clone, Copy)]
pub struct PlanRequest<'a> {
    pub direction: Direction,
    pub as_of: NaiveDate,
    /// The default office and employment type for new employees, by id, code or exact name.
    pub office: Option<&'a str>,
    pub employment_type: Option<&'a str>,
    /// The rules folder, when rules decide.
    pub rules: Option<&'a std::path::Path>,
    /// The front end's words for the plan's advice ([`Plan::words`]).
    pub words: crate::error::Wording,
}

/// Loads and compiles a rules folder, or explains every compile error at once.
pub fn load_rules(dir: &std::path::Path) -> Result<crate::rules::Rules, SyncError> {
    crate::rules::Rules::load(dir).map_err(|source| SyncError::Rules {
        dir: dir.to_path_buf(),
        source,
    })
}

/// The workflow up to a plan, in its order: load and compile the rules (a typo in them costs
/// no download), then [`fetch_for_plan`], then plan; the plan is a [`SavedPlan`] that can be
/// applied exactly, now or later.
pub async fn prepare(
    config: &Config,
    conn: &Connections,
    request: &PlanRequest<'_>,
    wait: Option<&Wait>,
    observer: &dyn Observer,
) -> Result<SavedPlan, SyncError> {
    let rules = request.rules.map(load_rules).transpose()?;
    let (rosters, defaults) = fetch_for_plan(config, conn, request, wait, observer).await?;
    let policy: &dyn Policy = match &rules {
        Some(r) => r,
        None => &plan::NoRules,
    };
    // The rosters are handed over, not copied: a plan of 50,000 employees a side would
    // otherwise hold them twice.
    let plan = plan(rosters, &defaults, policy, request.words);
    Ok(SavedPlan::new(
        plan,
        defaults,
        rules.as_ref().map(|r| r.fingerprint().to_string()),
        Tenant::of(config),
    ))
}

/// Checks the access window (waiting it out with `wait`), fetches both sides and resolves the
/// defaults against the target's masters: what a plan is made from.
pub async fn fetch_for_plan(
    config: &Config,
    conn: &Connections,
    request: &PlanRequest<'_>,
    wait: Option<&Wait>,
    observer: &dyn Observer,
) -> Result<(Rosters, Defaults), SyncError> {
    guard::access_window(config, wait, observer).await?;
    let rosters = fetch_waiting(conn, request.direction, request.as_of, wait, observer).await?;
    let defaults = resolve_defaults(
        request.direction,
        &rosters.masters,
        request.office,
        request.employment_type,
    )?;
    Ok((rosters, defaults))
}

/// Both API clients, built from the configuration.
pub struct Connections {
    pub smarthr: smarthr::Client,
    pub kot: kot::Client,
}

impl Connections {
    pub fn from_config(config: &Config) -> Result<Connections, SyncError> {
        Ok(Connections {
            smarthr: smarthr::Client::new(
                &config.smarthr.base_url,
                config.smarthr.token("SmartHR")?,
                limits(&config.smarthr, Limits::smarthr_default()),
            )?,
            kot: kot::Client::new(
                &config.kot.base_url,
                config.kot.token("KING OF TIME")?,
                limits(&config.kot, Limits::kot_default()),
            )?,
        })
    }
}

impl Connections {
    /// Where both clients tell a person about waits and retries as they happen.
    pub fn on_notice(&self, notice: Notice) {
        self.smarthr.on_notice(notice.clone());
        self.kot.on_notice(notice);
    }

    /// Lets requests to both services wait up to `wait` for an exhausted budget or a long
    /// reset (`apply --wait`), instead of failing after `max_rate_limit_wait`.
    pub fn set_max_wait(&self, wait: std::time::Duration) {
        self.smarthr.set_max_wait(wait);
        self.kot.set_max_wait(wait);
    }

    /// Both services' pauses (a refusal, an exhausted budget), for a progress bar's ETA.
    pub fn pauses(&self) -> Vec<crate::http::Pause> {
        vec![self.smarthr.pause(), self.kot.pause()]
    }

    /// The last request budget `service` reported over a window longer than a second.
    pub fn budget(&self, service: Service) -> Option<Budget> {
        match service {
            Service::SmartHr => self.smarthr.budget(),
            Service::Kot => self.kot.budget(),
        }
    }
}

/// Whether a service's request budget covers the writes an apply is about to send.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetCheck {
    pub service: Service,
    /// Requests the apply needs: one per create or update (a KOT update refused for a partial
    /// body costs two more, which this does not foresee).
    pub needed: usize,
    pub budget: Budget,
}

impl BudgetCheck {
    /// `None` when the service reported no budget longer than a second: there is none to
    /// plan for (or it is not told), and the limiter deals with refusals as they come.
    pub fn new(conn: &Connections, service: Service, writes: usize) -> Option<BudgetCheck> {
        Some(BudgetCheck {
            service,
            needed: writes,
            budget: conn.budget(service)?,
        })
    }

    pub fn covered(&self) -> bool {
        self.needed as u64 <= self.budget.remaining
    }

    /// How long the writes take when the budget is the limit: to the reset, then as many
    /// more windows as the rest needs (a window is taken as long as the longest reset seen).
    pub fn expected(&self) -> std::time::Duration {
        let b = &self.budget;
        if self.covered() {
            return std::time::Duration::ZERO;
        }
        let short = self.needed as u64 - b.remaining;
        let per_window = b.limit.unwrap_or(b.remaining).max(1);
        let more_windows = short.div_ceil(per_window).saturating_sub(1);
        b.resets_in + b.window * more_windows as u32
    }

    /// What a person is told: the numbers, and what happens next.
    pub fn describe(&self) -> String {
        let b = &self.budget;
        format!(
            "{}'s request budget has {} {}left and resets in {}; this apply needs about {} requests, so the budget runs out part-way and the writes take about {} in all",
            self.service.display_name(),
            b.remaining,
            b.limit.map(|l| format!("of {l} ")).unwrap_or_default(),
            crate::http::human(b.resets_in),
            self.needed,
            crate::http::human(self.expected()),
        )
    }
}

fn limits(endpoint: &Endpoint, default: Limits) -> Limits {
    Limits {
        requests_per_second: endpoint.requests_per_second.or(default.requests_per_second),
        max_retries: endpoint.max_retries.unwrap_or(default.max_retries),
        connect_budget: endpoint.connect_budget.unwrap_or(default.connect_budget),
        ..default
    }
}

/// What a plan is computed from: fetched once, and kept by `watch` so that an edited rule is
/// re-planned without refetching.
#[derive(Debug, Clone)]
pub struct Rosters {
    pub direction: Direction,
    pub as_of: NaiveDate,
    /// Employees employed on `as_of` in the source.
    pub source: Vec<Employee>,
    /// Every record in the target, whatever its dates.
    pub target: Vec<Employee>,
    /// The target's offices and employment types.
    pub masters: Masters,
}

/// Reports `done` of `total` records fetched from `service`: SmartHR's crews, KOT's
/// employees.
fn fetching(observer: &dyn Observer, service: Service, done: usize, total: Option<usize>) {
    let what = match service {
        Service::SmartHr => "crews",
        Service::Kot => "employees",
    };
    observer.event(Event::Fetching {
        service,
        what,
        done,
        total,
    });
}

/// [`fetch`], under `--wait` (`wait`): an access-window refusal (KOT code 104) while fetching
/// is waited out and the fetch starts again, whether or not the configured windows predicted
/// it.
pub async fn fetch_waiting(
    conn: &Connections,
    direction: Direction,
    as_of: NaiveDate,
    wait: Option<&Wait>,
    observer: &dyn Observer,
) -> Result<Rosters, SyncError> {
    loop {
        match (fetch(conn, direction, as_of, observer).await, wait) {
            (Err(SyncError::Api(e)), Some(wait)) if e.is_access_window() => {
                wait.pause(observer, &e.to_string()).await?;
            }
            (fetched, _) => return fetched,
        }
    }
}

/// Fetches both sides for a plan.
pub async fn fetch(
    conn: &Connections,
    direction: Direction,
    as_of: NaiveDate,
    observer: &dyn Observer,
) -> Result<Rosters, SyncError> {
    let smarthr_progress =
        |done: usize, total: Option<usize>| fetching(observer, Service::SmartHr, done, total);
    // SmartHR crews carry only the id of their office; its names are fetched in both
    // directions so that plans, rules and history show 本社, not a UUID.
    let smarthr_masters = Masters {
        offices: conn.smarthr.list_biz_establishments().await?,
        employment_types: conn.smarthr.list_employment_types().await?,
    };
    let mut crews = conn.smarthr.list_crews(&smarthr_progress).await?;
    name_masters(&mut crews, &smarthr_masters);
    fetching(observer, Service::Kot, 0, None);
    let (source, target, masters) = match direction {
        Direction::SmartHrToKot => {
            // Resigned employees are included so that nobody already in KOT is created twice;
            // so are those hired there after `as_of`.
            let mut kot = conn.kot.list_employees(as_of, true).await?;
            let later = later_hires(&conn.kot, as_of, &crews, &kot).await?;
            kot.extend(later);
            fetching(observer, Service::Kot, kot.len(), Some(kot.len()));
            let masters = Masters {
                offices: conn.kot.list_divisions().await?,
                employment_types: conn.kot.list_working_types().await?,
            };
            (crews, kot, masters)
        }
        Direction::KotToSmartHr => {
            let kot = conn.kot.list_employees(as_of, false).await?;
            fetching(observer, Service::Kot, kot.len(), Some(kot.len()));
            (kot, crews, smarthr_masters)
        }
    };
    // KOT already answers "as of"; SmartHR has no such query. Filtering both here keeps the
    // rule (feature.md) in one place whatever each API does.
    let source = source
        .into_iter()
        .filter(|e| e.employed_on(as_of))
        .collect();
    Ok(Rosters {
        direction,
        as_of,
        source,
        target,
        masters,
    })
}

/// [`stale`], under `--wait` (`wait`): an access-window refusal while reading the target is
/// waited out and the read starts again.
pub async fn stale_waiting(
    conn: &Connections,
    plan: &Plan,
    chosen: &[usize],
    wait: Option<&Wait>,
    observer: &dyn Observer,
) -> Result<Vec<crate::apply::Stale>, SyncError> {
    loop {
        match (stale(conn, plan, chosen, observer).await, wait) {
            (Err(SyncError::Api(e)), Some(wait)) if e.is_access_window() => {
                wait.pause(observer, &e.to_string()).await?;
            }
            (stale, _) => return stale,
        }
    }
}

/// The rows among `chosen` of a saved plan whose target changed since it was made, read from
/// one fetch of the target's roster (KOT allows about one request a second, so not one per
/// employee). Nothing of the source is read: a saved plan is applied as it is.
pub async fn stale(
    conn: &Connections,
    plan: &Plan,
    chosen: &[usize],
    observer: &dyn Observer,
) -> Result<Vec<crate::apply::Stale>, SyncError> {
    let target = match plan.direction {
        Direction::KotToSmartHr => {
            let progress = |done: usize, total: Option<usize>| {
                fetching(observer, Service::SmartHr, done, total)
            };
            conn.smarthr.list_crews(&progress).await?
        }
        Direction::SmartHrToKot => {
            fetching(observer, Service::Kot, 0, None);
            let mut kot = conn.kot.list_employees(plan.as_of, true).await?;
            // New rows' codes KOT holds only as later hires, as the plan looked for them.
            let new: Vec<Employee> = chosen
                .iter()
                .map(|&i| &plan.rows[i])
                .filter(|r| r.status == crate::plan::Status::New)
                .filter_map(|r| r.source.as_deref().cloned())
                .collect();
            let later = later_hires(&conn.kot, plan.as_of, &new, &kot).await?;
            kot.extend(later);
            fetching(observer, Service::Kot, kot.len(), Some(kot.len()));
            kot
        }
    };
    Ok(crate::apply::stale(plan, chosen, &target))
}

/// How far ahead of the reference date KOT is asked for its later hires: its roster answers
/// at most a year ahead of its own today.
const LATER_HIRES_DAYS: u64 = 364;

/// The KOT employees hired after `as_of`, whom its roster as of `as_of` (`known`) leaves out
/// though SmartHR may date the same person's hire earlier: planned as new, their create would
/// fail on their code.
///
/// Asked only when a SmartHR crew in scope is not in `known`, and cheaply: the codes on the
/// roster [`LATER_HIRES_DAYS`] on (no later than that from today), then the whole record of
/// each such crew's code found there, usually none. If KOT refuses that date (its limit counts
/// from its own today, which the docs do not pin down), the plan goes on without them.
async fn later_hires(
    kot: &kot::Client,
    as_of: NaiveDate,
    crews: &[Employee],
    known: &[Employee],
) -> Result<Vec<Employee>, SyncError> {
    // Codes compared by their match keys, as the plan matches them.
    use crate::text::code_key as key;
    let known: std::collections::HashSet<std::borrow::Cow<'_, str>> = known
        .iter()
        .filter_map(|e| e.code.as_deref())
        .map(key)
        .collect();
    let missing: std::collections::BTreeSet<std::borrow::Cow<'_, str>> = crews
        .iter()
        .filter(|c| c.employed_on(as_of))
        .filter_map(|c| c.code.as_deref())
        .map(key)
        .filter(|code| !known.contains(code.as_ref()))
        .collect();
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let days = chrono::Days::new(LATER_HIRES_DAYS);
    let ahead = [as_of, crate::clock::today_jst()]
        .iter()
        .filter_map(|d| d.checked_add_days(days))
        .min();
    let Some(ahead) = ahead.filter(|ahead| *ahead > as_of) else {
        return Ok(Vec::new());
    };
    let codes = match kot.list_codes(ahead).await {
        Ok(codes) => codes,
        Err(err) if matches!(err.kind, crate::http::ErrorKind::Validation { .. }) => {
            return Ok(Vec::new());
        }
        Err(err) => return Err(err.into()),
    };
    let mut later = Vec::new();
    for code in codes.iter().filter(|c| missing.contains(key(c).as_ref())) {
        later.extend(kot.get_employee(code, ahead).await?);
    }
    Ok(later)
}

/// Gives each employee's office and employment type the master's name where the record
/// carried only an id.
fn name_masters(employees: &mut [Employee], masters: &Masters) {
    for e in employees {
        for (slot, find) in [
            (
                &mut e.office,
                Masters::find_office as for<'m> fn(&'m Masters, &str) -> Option<&'m MasterItem>,
            ),
            (&mut e.employment_type, Masters::find_employment_type),
        ] {
            if let Some(item) = slot.as_mut()
                && item.name == item.id
                && let Some(known) = find(masters, &item.id)
            {
                item.name = known.name.clone();
            }
        }
    }
}

/// Resolves the command-line defaults against the target's masters, so that a typo is an
/// error before anything is planned, not an invalid row per employee.
pub fn resolve_defaults(
    direction: Direction,
    masters: &Masters,
    office: Option<&str>,
    employment_type: Option<&str>,
) -> Result<Defaults, SyncError> {
    if employment_type.is_some() && !direction.target_needs_employment_type() {
        return Err(SyncError::EmploymentTypeNotForSmartHr);
    }
    let target = direction.target();
    let resolve = |input: crate::error::Input,
                   what: &'static str,
                   value: Option<&str>,
                   items: &[MasterItem],
                   find: for<'m> fn(&'m Masters, &str) -> Option<&'m MasterItem>|
     -> Result<Option<MasterItem>, SyncError> {
        value
            .map(|v| {
                find(masters, v)
                    .cloned()
                    .ok_or_else(|| SyncError::UnknownMaster {
                        input,
                        what,
                        value: v.to_string(),
                        service: target,
                        choices: crate::model::choices(items, v, usize::MAX),
                        suggestion: crate::model::meant(items, v).map(|m| m.name.clone()),
                    })
            })
            .transpose()
    };
    let office_word = match target {
        Service::SmartHr => "office (biz_establishment)",
        Service::Kot => "office (division)",
    };
    Ok(Defaults {
        office: resolve(
            crate::error::Input::Office,
            office_word,
            office,
            &masters.offices,
            Masters::find_office,
        )?,
        employment_type: resolve(
            crate::error::Input::EmploymentType,
            "employment type (working type)",
            employment_type,
            &masters.employment_types,
            Masters::find_employment_type,
        )?,
    })
}

/// Plans from fetched rosters, consuming them: the rows keep the source records. A caller that
/// plans again from the same rosters (`watch`) clones them, visibly. The plan's texts say
/// their advice in `words`, the front end's.
pub fn plan(
    rosters: Rosters,
    defaults: &Defaults,
    policy: &dyn Policy,
    words: crate::error::Wording,
) -> Plan {
    let Rosters {
        direction,
        as_of,
        source,
        target,
        masters,
    } = rosters;
    plan::build(plan::Input {
        direction,
        as_of,
        today: crate::clock::today_jst(),
        source,
        target,
        masters: &masters,
        defaults,
        policy,
        words,
    })
}

impl Connections {
    /// The target of a run in `direction`, for writes; KOT applies division and type changes
    /// from `as_of` on.
    pub fn target(&self, direction: Direction, as_of: NaiveDate) -> Target<'_> {
        match direction.target() {
            Service::SmartHr => Target::SmartHr(&self.smarthr),
            Service::Kot => Target::Kot {
                client: &self.kot,
                update_date: as_of,
            },
        }
    }
}
