//! Turning two rosters into a [`Plan`].
//!
//! Choices a reader of the plan should know about:
//!
//! - A `new` row carries no `changes`: a create writes the whole source record
//!   (`row.source`), and listing every field as a change would make a rule such as "select
//!   unless birth_date changed" silently skip new employees.
//! - When a rule moves an existing employee, the `office` / `employment_type` change shows the
//!   master item's *name* (what a person recognises); the id to write is `row.office.item.id`.
//! - An existing employee's office and type come from the target and carry the origin
//!   [`CURRENT`]; they are never changed unless a rule opts in.
//! - Rows come out in employee-code order (then name).

use super::*;
use crate::error::Wording;
use crate::model::{Service, emp_status};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Origin of an office or type the employee already has in the target.
pub(crate) const CURRENT: &str = "current";
/// Origin of the run-wide default office. A stored token, not a message: plan JSON, saved
/// plans and the history have kept this spelling (the CLI's flag) since the first release, so
/// it stays; the dashboard says it in its own words (`web/i18n.rs`, `Text::origin`).
pub(crate) const FROM_DEFAULT_OFFICE: &str = "--office";
/// Origin of the run-wide default employment type; stored like [`FROM_DEFAULT_OFFICE`].
pub(crate) const FROM_DEFAULT_TYPE: &str = "--employment-type";
/// `selected_by` of a new or changed row that no rule had an opinion on.
pub(crate) const DEFAULT_SELECTION: &str = "default";

/// "Nearly all": a field is taken as unreadable ([`Unreadable`]) when the source has no value
/// for at least this share of the employees found on both sides...
pub(crate) const UNREADABLE_EMPTY_SHARE: f64 = 0.9;
/// ...while the plan would clear at least this share of them in the target ("the target has
/// values"). Resignation dates, empty for nearly everyone employed, need the second test: the
/// odd re-hire that clears one is not a sign of an unreadable field.
pub(crate) const UNREADABLE_CLEARED_SHARE: f64 = 0.1;

/// How many valid choices an "unknown office" problem lists before "and N more": it may
/// stand on many rows.
const CHOICES_SHOWN: usize = 5;

/// Below this many employees a second thread costs more than it saves.
const PARALLEL_FROM: usize = 4096;

/// Asks the policy about every source employee, on every core: rules are the one costly part
/// of a plan, and each employee's evaluation is independent of the others. An employee the
/// target already has is asked [`Policy::decide_existing`].
fn decide_all(
    policy: &dyn Policy,
    direction: Direction,
    source: &mut [Employee],
    in_target: &HashMap<&str, Found>,
) -> Vec<Result<Decision, PolicyError>> {
    let decide = |chunk: &mut [Employee]| -> Vec<_> {
        chunk
            .iter_mut()
            .map(|emp| {
                if code_of(emp).is_some_and(|c| in_target.contains_key(c)) {
                    policy.decide_existing(direction, emp)
                } else {
                    policy.decide(direction, emp)
                }
            })
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || source.len() < PARALLEL_FROM {
        return decide(source);
    }
    let chunk = source.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = source
            .chunks_mut(chunk)
            .map(|c| scope.spawn(|| decide(c)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Builds the plan. Pure: no I/O, and it never fails as a whole; whatever is wrong with one
/// employee makes that row `invalid` and says why.
pub fn build(input: Input<'_>) -> Plan {
    let Input {
        direction,
        as_of,
        today,
        mut source,
        mut target,
        masters,
        defaults,
        policy,
        words,
    } = input;

    let in_target = target_index(&target);
    let decisions = decide_all(policy, direction, &mut source, &in_target);
    // The rows share the roster from here on (see `SourceRecord`).
    let roster = Arc::new(source);
    let (excluded, mut keyed) = kept(&roster, decisions);
    sort_rows(&roster, &mut keyed);
    let seen = seen_by_code(&keyed, &in_target);

    let ctx = Ctx {
        direction,
        today,
        masters,
        defaults,
        policy,
        rule_errors: RefCell::default(),
        rule_clears: RefCell::default(),
    };
    let mut rows = Vec::with_capacity(keyed.len());
    for (k, seen) in keyed.into_iter().zip(seen) {
        let found = seen.in_target.map(|f| (&mut target[f.first], f.count));
        let emp = &roster[k.index];
        let mut row = ctx.row(emp, k.matchable, k.decision, seen.in_source, found);
        row.source = Some(SourceRecord {
            roster: Arc::clone(&roster),
            index: k.index,
        });
        rows.push(row);
    }

    let summary = Summary::of(&rows);
    let rule_warnings = ctx.clear_warnings(rows.len());
    let unreadable = unreadable(&rows, direction, words);
    let mut rule_errors: Vec<RuleError> = ctx
        .rule_errors
        .into_inner()
        .into_iter()
        .map(|(error, employees)| RuleError { error, employees })
        .collect();
    rule_errors.sort_by_key(|e| std::cmp::Reverse(e.employees));
    Plan {
        direction,
        as_of,
        rows,
        summary,
        excluded,
        rule_errors,
        rule_warnings,
        unreadable,
        words,
    }
}

/// The synced fields that look unreadable in the source (see [`Unreadable`]), judged over the
/// rows found on both sides, with each rule's values applied.
fn unreadable(rows: &[Row], direction: Direction, words: Wording) -> Vec<Unreadable> {
    let matched: Vec<&Row> = rows.iter().filter(|r| r.target_id.is_some()).collect();
    let in_scope = matched.len();
    let share = |n: usize| n as f64 / in_scope.max(1) as f64;
    Field::SYNCED
        .into_iter()
        .filter_map(|field| {
            let empty_in_source = matched
                .iter()
                .filter(|r| r.source.as_ref().is_none_or(|e| val(e, field).is_empty()))
                .count();
            let clears = matched
                .iter()
                .filter(|r| r.changes.iter().any(|c| c.field == field && c.is_clear()))
                .count();
            (clears > 0
                && share(empty_in_source) >= UNREADABLE_EMPTY_SHARE
                && share(clears) >= UNREADABLE_CLEARED_SHARE)
                .then(|| Unreadable {
                    field,
                    in_scope,
                    empty_in_source,
                    clears,
                    hint: format!(
                        "{} reads {field} as empty for {empty_in_source} of {in_scope} employees while {} has it for {clears} of them: probably unreadable rather than emptied (a token without permission for it reads it as empty; or a rule empties it). apply will not clear it; {}",
                        direction.source(),
                        direction.target(),
                        words.advice(&crate::error::Advice::AllowClear(vec![field])),
                    ),
                })
        })
        .collect()
}

/// A row with a name and problems and nothing else yet: invalid, unselected, unmatched.
fn bare_row(name: String, problems: Vec<Problem>) -> Row {
    Row {
        code: None,
        status: Status::Invalid,
        name,
        changes: Vec::new(),
        office: None,
        employment_type: None,
        selected: false,
        selected_by: None,
        problems,
        source: None,
        target_id: None,
        target_record: None,
        target_values: None,
    }
}

/// Where an employee code is in the target: its first record, and how many records carry it.
#[derive(Debug, Clone, Copy)]
struct Found {
    first: usize,
    count: usize,
}

/// The target's matchable codes ([`code_of`]), each with where it is.
fn target_index(target: &[Employee]) -> HashMap<&str, Found> {
    let mut index: HashMap<&str, Found> = HashMap::with_capacity(target.len());
    for (i, e) in target.iter().enumerate() {
        if let Some(code) = code_of(e) {
            index
                .entry(code)
                .and_modify(|f| f.count += 1)
                .or_insert(Found { first: i, count: 1 });
        }
    }
    index
}

/// A source employee that becomes a row: its position in the roster, its code's match key (the
/// code as given, nearly always), which orders the rows, and what the policy decided.
struct Keyed<'a> {
    index: usize,
    code: Option<&'a str>,
    /// The code to match the target on (see [`code_of`]); `None` when missing or blank.
    matchable: Option<&'a str>,
    decision: Result<Decision, PolicyError>,
}

/// Splits the source employees into those a rule left out and those that become rows.
fn kept(
    roster: &[Employee],
    decisions: Vec<Result<Decision, PolicyError>>,
) -> (Vec<Excluded>, Vec<Keyed<'_>>) {
    let mut excluded = Vec::new();
    let mut keyed = Vec::with_capacity(roster.len());
    for (index, (emp, decision)) in roster.iter().zip(decisions).enumerate() {
        match decision {
            Ok(Decision {
                exclude: Some(why), ..
            }) => excluded.push(Excluded {
                code: emp.code.clone(),
                name: emp.display_name(),
                reason: why.value,
                from: why.from,
            }),
            decision => keyed.push(Keyed {
                index,
                code: emp.code_key.as_deref().or(emp.code.as_deref()),
                matchable: code_of(emp),
                decision,
            }),
        }
    }
    (excluded, keyed)
}

/// Sorts the kept source employees into row order: by code (exactly, as strings), then by
/// name; equal keys keep their roster order.
fn sort_rows(source: &[Employee], keyed: &mut [Keyed<'_>]) {
    let name = |k: &Keyed<'_>| {
        let e = &source[k.index];
        (e.last_name.as_deref(), e.first_name.as_deref())
    };
    keyed.sort_by(|a, b| a.code.cmp(&b.code).then_with(|| name(a).cmp(&name(b))));
}

/// How often one kept source employee's code occurs on each side (indexed like `keyed`).
struct Seen {
    in_target: Option<Found>,
    in_source: usize,
}

/// Who else carries each kept source employee's code, on either side; `keyed` is in code
/// order, so the source records sharing a code are next to each other.
fn seen_by_code(keyed: &[Keyed<'_>], in_target: &HashMap<&str, Found>) -> Vec<Seen> {
    keyed
        .chunk_by(|a, b| a.code == b.code)
        .flat_map(|same| {
            let found = same[0].matchable.and_then(|c| in_target.get(c)).copied();
            same.iter().map(move |_| Seen {
                in_target: found,
                in_source: same.len(),
            })
        })
        .collect()
}

/// The employee code as matching reads it (its [`Employee::code_key`]), or `None` when it is
/// missing or blank. Otherwise exact: leading zeros count, and `A1` is not `a1`.
fn code_of(e: &Employee) -> Option<&str> {
    e.code_key
        .as_deref()
        .or(e.code.as_deref())
        .filter(|c| c.chars().any(|ch| !ch.is_whitespace()))
}

/// Why a matched code cannot be used as it is: the source's or the target's code is not its
/// own match key, so it holds something a person cannot see or reads as something else
/// (`"00125 "`, `"００１２５"`). crewsync does not write codes, so the fix is at the source of
/// the odd one; until then the row is invalid rather than `new` (a second record) or an
/// update of a record matched by a code nobody typed.
fn odd_code_problem(
    direction: Direction,
    source: &Employee,
    target: Option<&Employee>,
) -> Option<Problem> {
    let (odd, odd_side, other, other_side) = match target {
        _ if source.code_key.is_some() => (source, direction.source(), target, direction.target()),
        Some(t) if t.code_key.is_some() => {
            (t, direction.target(), Some(source), direction.source())
        }
        _ => return None,
    };
    Some(Problem::OddCode {
        code: text(&odd.code).to_string(),
        side: odd_side,
        other: other.map(|o| (other_side, text(&o.code).to_string())),
    })
}

/// A synced value in comparable form: text trimmed with missing meaning empty, dates as dates.
#[derive(PartialEq)]
enum Val<'a> {
    Text(&'a str),
    Date(Option<NaiveDate>),
}

impl Val<'_> {
    /// Equal after trimming. Most values are byte-for-byte equal, so that is checked before
    /// paying for Unicode-aware trimming (a third of the diff's time at 100,000 employees).
    fn same(&self, other: &Val<'_>) -> bool {
        match (self, other) {
            (Val::Text(a), Val::Text(b)) => a == b || a.trim() == b.trim(),
            (a, b) => a == b,
        }
    }

    fn trimmed(self) -> Self {
        match self {
            Val::Text(s) => Val::Text(s.trim()),
            date => date,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Val::Text(s) => s.trim().is_empty(),
            Val::Date(d) => d.is_none(),
        }
    }

    fn shown(&self) -> Option<String> {
        match self {
            Val::Text(s) => (!s.is_empty()).then(|| s.to_string()),
            Val::Date(d) => d.map(|d| d.to_string()),
        }
    }
}

/// Untrimmed; see [`Val::same`].
fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or_default()
}

fn master(m: &Option<MasterItem>) -> &str {
    m.as_ref().map_or("", |m| m.id.as_str())
}

fn val(e: &Employee, field: Field) -> Val<'_> {
    match field {
        Field::LastName => Val::Text(text(&e.last_name)),
        Field::FirstName => Val::Text(text(&e.first_name)),
        Field::LastNameKana => Val::Text(text(&e.last_name_kana)),
        Field::FirstNameKana => Val::Text(text(&e.first_name_kana)),
        Field::Gender => Val::Text(text(&e.gender)),
        Field::Email => Val::Text(text(&e.email)),
        Field::BirthDate => Val::Date(e.birth_date),
        Field::HireDate => Val::Date(e.hire_date),
        Field::ResignationDate => Val::Date(e.resignation_date),
        Field::Office => Val::Text(master(&e.office)),
        Field::EmploymentType => Val::Text(master(&e.employment_type)),
        Field::EmpStatus => Val::Text(text(&e.status)),
    }
}

/// The synced fields whose source value would overwrite a different target value.
fn diff(source: &Employee, target: &Employee) -> Vec<Change> {
    Field::SYNCED
        .into_iter()
        .filter_map(|field| {
            let (new, old) = (val(source, field), val(target, field));
            (!new.same(&old)).then(|| Change {
                field,
                old: old.trimmed().shown(),
                new: new.trimmed().shown(),
            })
        })
        .collect()
}

/// SmartHR's create requirements; once set, these and the birth date cannot be blanked.
const SMARTHR_REQUIRED: [Field; 6] = [
    Field::LastName,
    Field::FirstName,
    Field::LastNameKana,
    Field::FirstNameKana,
    Field::Gender,
    Field::BirthDate,
];

/// Fields the target refuses to create an employee without.
fn required_on_create(target: Service) -> &'static [Field] {
    match target {
        Service::SmartHr => &SMARTHR_REQUIRED[..5],
        Service::Kot => &[Field::LastName, Field::FirstName, Field::Gender],
    }
}

/// Fields the target refuses to blank on update.
fn never_blank(target: Service) -> &'static [Field] {
    match target {
        Service::SmartHr => &SMARTHR_REQUIRED,
        Service::Kot => &[],
    }
}

/// The genders the target accepts, when it restricts them.
fn accepted_genders(target: Service) -> Option<&'static [&'static str]> {
    match target {
        Service::SmartHr => Some(&["male", "female"]),
        Service::Kot => None,
    }
}

/// Office or employment type: the two kinds of master data a row is given.
#[derive(Clone, Copy)]
enum Kind {
    Office,
    EmploymentType,
}

impl Kind {
    fn items(self, masters: &Masters) -> &[MasterItem] {
        match self {
            Kind::Office => &masters.offices,
            Kind::EmploymentType => &masters.employment_types,
        }
    }

    fn find(self, masters: &Masters, id_or_name: &str) -> Option<MasterItem> {
        match self {
            Kind::Office => masters.find_office(id_or_name),
            Kind::EmploymentType => masters.find_employment_type(id_or_name),
        }
        .cloned()
    }

    fn field(self) -> Field {
        match self {
            Kind::Office => Field::Office,
            Kind::EmploymentType => Field::EmploymentType,
        }
    }

    /// The origin of the run-wide default.
    fn default_origin(self) -> &'static str {
        match self {
            Kind::Office => FROM_DEFAULT_OFFICE,
            Kind::EmploymentType => FROM_DEFAULT_TYPE,
        }
    }

    fn decided(self, decision: &Decision) -> Option<&Decided<String>> {
        match self {
            Kind::Office => decision.office.as_ref(),
            Kind::EmploymentType => decision.employment_type.as_ref(),
        }
    }

    fn moves(self, decision: &Decision) -> bool {
        match self {
            Kind::Office => decision.move_office,
            Kind::EmploymentType => decision.move_employment_type,
        }
    }

    fn default(self, defaults: &Defaults) -> Option<&MasterItem> {
        match self {
            Kind::Office => defaults.office.as_ref(),
            Kind::EmploymentType => defaults.employment_type.as_ref(),
        }
    }

    fn current(self, e: &Employee) -> Option<&MasterItem> {
        match self {
            Kind::Office => e.office.as_ref(),
            Kind::EmploymentType => e.employment_type.as_ref(),
        }
    }

    fn current_mut(self, e: &mut Employee) -> &mut Option<MasterItem> {
        match self {
            Kind::Office => &mut e.office,
            Kind::EmploymentType => &mut e.employment_type,
        }
    }
}

/// What does not change from one employee to the next.
struct Ctx<'a> {
    direction: Direction,
    today: NaiveDate,
    masters: &'a Masters,
    defaults: &'a Defaults,
    policy: &'a dyn Policy,
    /// Each rule error met so far and on how many rows, counted as the rows are built.
    rule_errors: RefCell<BTreeMap<String, usize>>,
    /// For each rule (its location) and field, on how many rows its `overrides` emptied a
    /// field the source had filled.
    rule_clears: RefCell<BTreeMap<(String, Field), usize>>,
}

impl Ctx<'_> {
    /// A rule's failure as a row shows it, counted (by its text) for the plan's summary of
    /// rule errors.
    fn rule_error(&self, location: Option<String>, failure: RuleFailure) -> Problem {
        let problem = Problem::Rule { location, failure };
        *self
            .rule_errors
            .borrow_mut()
            .entry(problem.to_string())
            .or_default() += 1;
        problem
    }

    /// An error a policy raised, as the rule said it.
    fn policy_error(&self, error: &PolicyError) -> Problem {
        self.rule_error(
            error.location.clone(),
            RuleFailure::Said {
                message: error.message.clone(),
            },
        )
    }

    /// A problem with a field's value: when a rule's `overrides` set that value, the rule's
    /// failure (counted, with its location), else the source's.
    fn blamed(&self, decision: &Decision, field: Field, problem: Problem) -> Problem {
        match decision.overridden.iter().find(|o| o.field == field) {
            Some(o) => self.rule_error(
                o.location.clone(),
                RuleFailure::Override {
                    field,
                    from: o.from.clone(),
                    problem: Box::new(problem),
                },
            ),
            None => problem,
        }
    }

    /// A rule that empties a field for more than half of the employees is almost always a
    /// mistake (a method that returns `()` used as a value was one), so the plan says so.
    fn clear_warnings(&self, rows: usize) -> Vec<RuleError> {
        let mut warnings: Vec<RuleError> = self
            .rule_clears
            .borrow()
            .iter()
            .filter(|(_, n)| **n * 2 > rows)
            .map(|((at, field), &employees)| RuleError {
                error: format!(
                    "{at}: fn overrides cleared {field} for {employees} of {rows} employees; \
                     if that is not meant, leave the field out or give it () (no opinion), \
                     and clear only with \"\" or clear()"
                ),
                employees,
            })
            .collect();
        warnings.sort_by_key(|w| std::cmp::Reverse(w.employees));
        warnings
    }

    fn source(&self) -> Service {
        self.direction.source()
    }

    fn target(&self) -> Service {
        self.direction.target()
    }

    /// `code`: the employee's [`code_of`]; `uses`: how many source records carry it; `found`:
    /// the target record with the same code and how many target records carry it. What the row
    /// keeps of that record is moved out of it once nothing else needs it (see [`claim`]).
    fn row(
        &self,
        emp: &Employee,
        code: Option<&str>,
        decision: Result<Decision, PolicyError>,
        uses: usize,
        found: Option<(&mut Employee, usize)>,
    ) -> Row {
        let mut problems = Vec::new();
        let decision = decision.unwrap_or_else(|e| {
            problems.push(self.policy_error(&e));
            Decision::default()
        });
        for o in decision.overridden.iter().filter(|o| o.cleared) {
            let at = o.location.clone().unwrap_or_else(|| o.from.clone());
            *self
                .rule_clears
                .borrow_mut()
                .entry((at, o.field))
                .or_default() += 1;
        }
        match code {
            None => problems.push(Problem::NoCode {
                source: self.source(),
            }),
            Some(c) if uses > 1 => problems.push(Problem::SharedInSource {
                code: c.to_string(),
                uses,
                source: self.source(),
            }),
            Some(_) => {}
        }

        let mut row = bare_row(emp.display_name(), problems);
        let creating = found.is_none() && code.is_some();
        let target = match found {
            Some((t, 1)) => Some(t),
            Some((_, n)) => {
                row.problems.push(Problem::SharedInTarget {
                    code: code.unwrap_or_default().to_string(),
                    uses: n,
                    target: self.target(),
                });
                None
            }
            None => None,
        };
        if code.is_some() {
            row.problems
                .extend(odd_code_problem(self.direction, emp, target.as_deref()));
        }
        let shows_current = match target.as_deref() {
            Some(t) => self.existing(&mut row, emp, &decision, t),
            None if creating => {
                self.create(&mut row, emp, &decision);
                [false; 2]
            }
            None => [false; 2],
        };
        self.check_gender(&mut row, emp, &decision, creating);

        row.status = if !row.problems.is_empty() {
            Status::Invalid
        } else if target.is_none() {
            Status::New
        } else if row.changes.is_empty() {
            Status::Unchanged
        } else {
            Status::Changed
        };
        if row.status.is_actionable() {
            self.select(&mut row, emp, target.as_deref());
        }

        let Some(t) = target else {
            // As given, not its match key: the table shows what the source holds.
            row.code = code.and(emp.code.clone());
            return row;
        };
        // The same code on both sides: the target's copy of it serves as well, unless one of
        // them is only read as the other (then the row shows the source's, as it is).
        let alone = uses == 1;
        row.code = if emp.code_key.is_none() && t.code_key.is_none() {
            claim(&mut t.code, alone)
        } else {
            emp.code.clone()
        };
        row.target_id = claim(&mut t.target_id, alone);
        if row.status == Status::Changed {
            row.target_values = Some(crate::plan::TargetValues::of(t));
            row.target_record = Some(claim(&mut t.raw, alone));
        }
        for (kind, shown) in [Kind::Office, Kind::EmploymentType]
            .into_iter()
            .zip(shows_current)
        {
            if shown {
                let item = claim(kind.current_mut(t), alone);
                set_assigned(
                    &mut row,
                    kind,
                    item.map(|item| Assigned {
                        item,
                        from: CURRENT.to_string(),
                    }),
                );
            }
        }
        row
    }

    /// Fills in the changes to an existing employee and any office or type a rule moves it to.
    /// Returns, per [`Kind`], whether the row shows the target's current value instead, which
    /// the caller takes from the target once the policy has seen it.
    fn existing(
        &self,
        row: &mut Row,
        emp: &Employee,
        decision: &Decision,
        target: &Employee,
    ) -> [bool; 2] {
        row.changes = diff(emp, target);
        self.keep_status_consistent(row, emp, target);
        for change in &row.changes {
            if change.new.is_none() && never_blank(self.target()).contains(&change.field) {
                let problem = Problem::CannotClear {
                    field: change.field,
                    target: self.target(),
                    source: self.source(),
                };
                row.problems
                    .push(self.blamed(decision, change.field, problem));
            }
        }
        [Kind::Office, Kind::EmploymentType].map(|kind| {
            let current = kind.current(target);
            let moved = match kind.decided(decision) {
                Some(d) if kind.moves(decision) => self.resolve(row, kind, d),
                _ => None,
            };
            match moved {
                Some(to) if current.is_none_or(|c| c.id != to.item.id) => {
                    row.changes.push(Change {
                        field: kind.field(),
                        old: current.map(|c| c.name.clone()),
                        new: Some(to.item.name.clone()),
                    });
                    set_assigned(row, kind, Some(to));
                    false
                }
                _ => current.is_some(),
            }
        })
    }

    /// Into SmartHR, a written resignation date brings `emp_status` along as the state table
    /// of [`emp_status`] says, listed as a change so that the plan shows it.
    fn keep_status_consistent(&self, row: &mut Row, emp: &Employee, target: &Employee) {
        let writes_resignation = row
            .changes
            .iter()
            .any(|c| c.field == Field::ResignationDate);
        if self.target() != Service::SmartHr || !writes_resignation {
            return;
        }
        let current = target.status.as_deref();
        let wanted = emp_status(current, emp.resignation_date, self.today);
        if current != Some(wanted) {
            row.changes.push(Change {
                field: Field::EmpStatus,
                old: current.map(str::to_string),
                new: Some(wanted.to_string()),
            });
        }
    }

    fn create(&self, row: &mut Row, emp: &Employee, decision: &Decision) {
        let needs_type = self.direction.target_needs_employment_type();
        for (kind, required) in [(Kind::Office, true), (Kind::EmploymentType, needs_type)] {
            let assigned = match kind.decided(decision) {
                Some(d) => self.resolve(row, kind, d),
                None => match kind.default(self.defaults) {
                    Some(item) => Some(Assigned {
                        item: item.clone(),
                        from: kind.default_origin().to_string(),
                    }),
                    None => {
                        if required {
                            row.problems.push(Problem::Undecided {
                                field: kind.field(),
                                target: self.target(),
                            });
                        }
                        None
                    }
                },
            };
            set_assigned(row, kind, assigned);
        }
        let missing: Vec<Field> = required_on_create(self.target())
            .iter()
            .copied()
            .filter(|&f| val(emp, f).is_empty())
            .collect();
        if let Some(&first) = missing.first() {
            let problem = Problem::MissingRequired {
                fields: missing.clone(),
                target: self.target(),
                source: self.source(),
            };
            let blamed = missing
                .iter()
                .find(|f| decision.overridden.iter().any(|o| o.field == **f))
                .unwrap_or(&first);
            row.problems.push(self.blamed(decision, *blamed, problem));
        }
    }

    /// Looks a decided office or type up in the target's masters; an unknown one makes the row
    /// invalid, naming the value, where it came from and what would have been valid.
    fn resolve(&self, row: &mut Row, kind: Kind, decided: &Decided<String>) -> Option<Assigned> {
        match kind.find(self.masters, decided.value.trim()) {
            Some(item) => Some(Assigned {
                item,
                from: decided.from.clone(),
            }),
            None => {
                // Only rules decide here (defaults are resolved before planning), so an
                // unknown value is the rule's failure, counted with the others.
                let failure = RuleFailure::UnknownMaster {
                    field: kind.field(),
                    target: self.target(),
                    value: decided.value.clone(),
                    from: decided.from.clone(),
                    choices: crate::model::choices(
                        kind.items(self.masters),
                        &decided.value,
                        CHOICES_SHOWN,
                    ),
                };
                row.problems
                    .push(self.rule_error(decided.location.clone(), failure));
                None
            }
        }
    }

    /// A gender the target does not accept is caught here, before the API refuses it.
    fn check_gender(&self, row: &mut Row, emp: &Employee, decision: &Decision, creating: bool) {
        let Some(accepted) = accepted_genders(self.target()) else {
            return;
        };
        let written = creating || row.changes.iter().any(|c| c.field == Field::Gender);
        let Val::Text(gender) = val(emp, Field::Gender).trimmed() else {
            return;
        };
        if written && !gender.is_empty() && !accepted.contains(&gender) {
            let problem = Problem::Gender {
                value: gender.to_string(),
                accepted: accepted.iter().map(|a| a.to_string()).collect(),
                target: self.target(),
                source: self.source(),
            };
            row.problems
                .push(self.blamed(decision, Field::Gender, problem));
        }
    }

    fn select(&self, row: &mut Row, emp: &Employee, target: Option<&Employee>) {
        let input = SelectInput {
            status: row.status,
            changes: &row.changes,
            source: emp,
            target,
        };
        match self.policy.select(self.direction, &input) {
            Ok(Some(d)) => {
                row.selected = d.value;
                row.selected_by = Some(d.from);
            }
            Ok(None) => {
                row.selected = true;
                row.selected_by = Some(DEFAULT_SELECTION.to_string());
            }
            Err(e) => {
                row.problems.push(self.policy_error(&e));
                row.status = Status::Invalid;
            }
        }
    }
}

/// A value the row keeps from its target record. The plan consumes the target roster, so the
/// value is moved out rather than copied, unless other rows (source duplicates of the code, all
/// invalid) still read the same record.
fn claim<T: Clone + Default>(slot: &mut T, alone: bool) -> T {
    if alone {
        std::mem::take(slot)
    } else {
        slot.clone()
    }
}

fn set_assigned(row: &mut Row, kind: Kind, value: Option<Assigned>) {
    match kind {
        Kind::Office => row.office = value,
        Kind::EmploymentType => row.employment_type = value,
    }
}

impl Summary {
    /// Counts rows by status, and the clears of the changed rows.
    pub fn of(rows: &[Row]) -> Summary {
        let mut s = Summary::default();
        for row in rows {
            if row.status == Status::Changed {
                s.clears += row.changes.iter().filter(|c| c.is_clear()).count();
            }
            *match row.status {
                Status::New => &mut s.new,
                Status::Changed => &mut s.changed,
                Status::Unchanged => &mut s.unchanged,
                Status::Invalid => &mut s.invalid,
            } += 1;
        }
        s
    }
}

impl Plan {
    /// The plan showing only the rows `view` shows. The summary, the excluded list and the
    /// warnings still describe the whole plan, so a filtered view does not hide that other
    /// rows exist.
    pub fn filtered(&self, view: &View) -> Plan {
        Plan {
            direction: self.direction,
            as_of: self.as_of,
            rows: self
                .rows
                .iter()
                .filter(|r| view.shows(r))
                .cloned()
                .collect(),
            summary: self.summary,
            excluded: self.excluded.clone(),
            rule_errors: self.rule_errors.clone(),
            rule_warnings: self.rule_warnings.clone(),
            unreadable: self.unreadable.clone(),
            words: self.words,
        }
    }
}

#[cfg(test)]
mod tests;
