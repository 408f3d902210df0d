//! The workflow of feature.md as library calls: connect, fetch both rosters, plan, apply.
//!
//! The CLI and the coming web dashboard both drive a sync through these functions, so
//! everything a person sees (progress, results) comes out through [`Observer`] rather than
//! being printed here.

use crate::apply::ApplyResult;
use crate::config::{Config, ConfigError, Endpoint};
use crate::http::{ApiError, Budget, Limits, Notice};
use crate::model::{Direction, Employee, Field, MasterItem, Masters, Service};
use crate::plan::{self, Defaults, Plan, Policy};
use crate::{kot, smarthr};
use chrono::NaiveDate;

mod record;
pub use record::{
    Recorded, Request, Unstarted, accounted, apply_recorded, defaults_text, record_unstarted,
};

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
}

impl crate::error::Diagnostic for SyncError {
    fn value(&self) -> Option<&str> {
        match self {
            SyncError::UnknownMaster { value, .. } => Some(value),
            _ => None,
        }
    }
    fn input(&self) -> Option<crate::error::Input> {
        matches!(self, SyncError::EmploymentTypeNotForSmartHr)
            .then_some(crate::error::Input::EmploymentType)
    }
    fn remedy(&self) -> Option<crate::error::Remedy> {
        matches!(self, SyncError::EmploymentTypeNotForSmartHr)
            .then_some(crate::error::Remedy::NoEmploymentType)
    }
    fn suggestion(&self) -> Option<&str> {
        match self {
            SyncError::UnknownMaster { suggestion, .. } => suggestion.as_deref(),
            _ => None,
        }
    }
}

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

/// Fetches both sides for a plan.
pub async fn fetch(
    conn: &Connections,
    direction: Direction,
    as_of: NaiveDate,
    observer: &dyn Observer,
) -> Result<Rosters, SyncError> {
    let smarthr_progress =
        |done: usize, total: Option<usize>| observer.fetching("SmartHR crews", done, total);
    // SmartHR crews carry only the id of their office; its names are fetched in both
    // directions so that plans, rules and history show 本社, not a UUID.
    let smarthr_masters = Masters {
        offices: conn.smarthr.list_biz_establishments().await?,
        employment_types: conn.smarthr.list_employment_types().await?,
    };
    let mut crews = conn.smarthr.list_crews(&smarthr_progress).await?;
    name_masters(&mut crews, &smarthr_masters);
    observer.fetching("KING OF TIME employees", 0, None);
    let (source, target, masters) = match direction {
        Direction::SmartHrToKot => {
            // Resigned employees are included so that nobody already in KOT is created twice;
            // so are those hired there after `as_of`.
            let mut kot = conn.kot.list_employees(as_of, true).await?;
            let later = later_hires(&conn.kot, as_of, &crews, &kot).await?;
            kot.extend(later);
            observer.fetching("KING OF TIME employees", kot.len(), Some(kot.len()));
            let masters = Masters {
                offices: conn.kot.list_divisions().await?,
                employment_types: conn.kot.list_working_types().await?,
            };
            (crews, kot, masters)
        }
        Direction::KotToSmartHr => {
            let kot = conn.kot.list_employees(as_of, false).await?;
            observer.fetching("KING OF TIME employees", kot.len(), Some(kot.len()));
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
            let progress =
                |done: usize, total: Option<usize>| observer.fetching("SmartHR crews", done, total);
            conn.smarthr.list_crews(&progress).await?
        }
        Direction::SmartHrToKot => {
            observer.fetching("KING OF TIME employees", 0, None);
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
            observer.fetching("KING OF TIME employees", kot.len(), Some(kot.len()));
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
    let ahead = [as_of, crate::http::today_jst()]
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
/// plans again from the same rosters (`watch`) clones them, visibly.
pub fn plan(rosters: Rosters, defaults: &Defaults, policy: &dyn Policy) -> Plan {
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
        today: crate::http::today_jst(),
        source,
        target,
        masters: &masters,
        defaults,
        policy,
    })
}

/// Names the rules a run used, for the history: the folder and a hash of every rules, table
/// and test file in it, so two runs with different rules are told apart even when the folder
/// is the same.
pub fn rules_fingerprint(dir: &std::path::Path) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x, "rhai" | "yaml" | "yml"))
        })
        .collect();
    files.sort();
    // FNV-1a: stable across runs and platforms, unlike std's randomly keyed hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for path in &files {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        let content = std::fs::read(path).unwrap_or_default();
        for byte in name.unwrap_or_default().bytes().chain(content) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{} ({} files, {hash:016x})", dir.display(), files.len())
}

/// The target of a run, for writes.
pub enum Target<'a> {
    SmartHr(&'a smarthr::Client),
    /// KOT applies division and type changes from `update_date` on.
    Kot {
        client: &'a kot::Client,
        update_date: NaiveDate,
    },
}

impl<'a> Target<'a> {
    pub fn new(conn: &'a Connections, direction: Direction, as_of: NaiveDate) -> Target<'a> {
        match direction.target() {
            Service::SmartHr => Target::SmartHr(&conn.smarthr),
            Service::Kot => Target::Kot {
                client: &conn.kot,
                update_date: as_of,
            },
        }
    }

    pub async fn create(
        &self,
        employee: &Employee,
        office: Option<&MasterItem>,
        employment_type: Option<&MasterItem>,
    ) -> Result<Employee, ApiError> {
        let office = office.map(|m| m.id.as_str()).unwrap_or_default();
        let etype = employment_type.map(|m| m.id.as_str());
        match self {
            Target::SmartHr(c) => c.create_crew(employee, office, etype).await,
            Target::Kot { client, .. } => {
                client
                    .create_employee(employee, office, etype.unwrap_or_default())
                    .await
            }
        }
    }

    /// Writes `changes` to the record `id`; `current` is that record as the plan read it, for
    /// a client that must write part of a larger value (see [`kot::Client::update_employee`]).
    pub async fn update(
        &self,
        id: &str,
        changes: &[(Field, Option<String>)],
        current: &crate::model::Raw,
    ) -> Result<Employee, ApiError> {
        match self {
            Target::SmartHr(c) => c.update_crew(id, changes).await,
            Target::Kot {
                client,
                update_date,
            } => {
                client
                    .update_employee(id, changes, current, *update_date)
                    .await
            }
        }
    }
}
