//! A plan as a durable value: what `plan --out` saves and `apply --plan` writes exactly, and
//! the one JSON shape `plan --format json` prints (Terraform's `plan -out` / `apply PLAN`,
//! done per employee).
//!
//! A saved plan names the tenant it was read from (base URLs, never tokens) and when it was
//! made, so that it is never applied to another tenant or long after; each row keeps the exact
//! write and, for an update, the target's values it was computed against, so that apply can
//! tell a row whose target changed since (stale, see `apply::stale`).

use super::{
    Assigned, Change, Defaults, Origin, Plan, Problem, Row, SourceRecord, Status, TargetValues,
    View,
};
use crate::error::Worded;
use crate::error::{Diagnostic, Location, Remedy};
use crate::model::{Employee, Field, MasterItem, Raw};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The saved plan format this build writes and reads; a file of any other version is refused.
/// Version 2: the checksum (`checksum`) covers the whole file, where version 1's
/// (`rows_checksum`) covered only the rows and unreadable fields, so that an edited direction,
/// date or tenant went unnoticed: a version 1 plan is refused, to be made again.
pub(crate) const FORMAT_VERSION: u32 = 2;

/// A plan with what applying it later needs: who made it against which tenant, when, and how.
/// Serialised, it is both the file `plan --out` writes and the output of `plan --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format_version: u32,
    /// `YYYYMMDD-HHMMSS-xxxx`, recorded in the history of the run that applies it.
    pub plan_id: String,
    pub made_at: DateTime<Utc>,
    pub tenant: Tenant,
    /// The run-wide defaults for new employees, as resolved against the target's masters.
    pub defaults: Defaults,
    /// The rules folder and its fingerprint, when rules decided.
    pub rules: Option<String>,
    #[serde(flatten)]
    pub plan: Plan,
}

/// The services a plan was read from: their base URLs as configured, never their tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub smarthr: String,
    pub kot: String,
}

/// Why a saved plan cannot be read or applied.
#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("cannot read the saved plan {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the plan to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Not JSON, or not a plan's shape: `message` is the JSON parser's, `location` where in
    /// the file it stopped.
    #[error("{path} is not a crewsync plan: {message}")]
    Parse {
        path: PathBuf,
        message: String,
        location: Option<Location>,
    },
    #[error(
        "{path} is a plan of format version {found}; this crewsync reads version {FORMAT_VERSION}"
    )]
    Version { path: PathBuf, found: String },
    #[error(
        "{path} was planned against {service} at {planned}, but the configuration connects to {configured}; a plan is applied only to the tenant it was read from\n  hint: use the configuration the plan was made with, or make a new plan with this one"
    )]
    OtherTenant {
        path: PathBuf,
        service: &'static str,
        planned: String,
        configured: String,
    },
    #[error(
        "{path} was made at {made_at} ({age:.1} hours ago), older than plan_max_age_hours allows ({max:.1} hours): much may have changed since"
    )]
    TooOld {
        path: PathBuf,
        made_at: DateTime<Utc>,
        age: f64,
        max: f64,
    },
    /// The checksum is missing or does not match the file: it was changed after crewsync
    /// wrote it (its direction, date, tenant, defaults, rules or rows), and apply writes only
    /// what a person saw.
    #[error(
        "{path} was edited after it was made: it no longer matches the checksum crewsync wrote with it"
    )]
    Edited { path: PathBuf },
}

/// The key of the checksum in the plan's JSON.
const CHECKSUM: &str = "checksum";

/// The checksum of a saved plan, from its JSON without the checksum itself: everything in the
/// file decides what apply writes or checks (the direction and date, the tenant, when it was
/// made, the defaults, the rules, the rows, the fields found unreadable whose clears apply
/// holds back). FNV-1a (64 bits, stable across builds and machines) of its compact text.
/// Against accidental or hand edits, not an attacker: the file is the person's own.
fn checksum(plan: &serde_json::Value) -> String {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(plan.to_string().as_bytes());
    format!("{:016x}", hasher.finish())
}

impl Diagnostic for SavedPlanError {
    fn location(&self) -> Option<Location> {
        match self {
            SavedPlanError::Parse { location, .. } => location.clone(),
            _ => None,
        }
    }
    fn value(&self) -> Option<&str> {
        match self {
            SavedPlanError::Version { found, .. } => Some(found),
            _ => None,
        }
    }
    fn remedy(&self) -> Option<Remedy> {
        match self {
            SavedPlanError::Read { .. } => Some(Remedy::SavedPlanFile),
            SavedPlanError::Parse { path, .. } => Some(Remedy::SavePlan(path.clone())),
            SavedPlanError::Version { path, .. } => Some(Remedy::PlanAgain(path.clone())),
            SavedPlanError::TooOld { path, .. } => Some(Remedy::FreshPlan(path.clone())),
            SavedPlanError::Edited { path } => Some(Remedy::PlanUnedited(path.clone())),
            SavedPlanError::Write { .. } | SavedPlanError::OtherTenant { .. } => None,
        }
    }
}

impl SavedPlan {
    /// A plan made now against `tenant`.
    pub fn new(plan: Plan, defaults: Defaults, rules: Option<String>, tenant: Tenant) -> Self {
        let made_at = Utc::now();
        SavedPlan {
            format_version: FORMAT_VERSION,
            plan_id: crate::clock::stamp_id(made_at, plan.rows.len() as u64),
            made_at,
            tenant,
            defaults,
            rules,
            plan,
        }
    }

    /// The same plan showing only the rows `view` shows (its summary still counts them all).
    pub fn filtered(&self, view: &View) -> SavedPlan {
        SavedPlan {
            format_version: self.format_version,
            plan_id: self.plan_id.clone(),
            made_at: self.made_at,
            tenant: self.tenant.clone(),
            defaults: self.defaults.clone(),
            rules: self.rules.clone(),
            plan: self.plan.filtered(view),
        }
    }

    /// The plan as JSON, with the checksum of all the rest (`checksum`) that [`Self::read`]
    /// checks: what `plan --format json` prints and `--out` saves.
    pub fn to_json(&self) -> serde_json::Result<serde_json::Value> {
        let mut value = serde_json::to_value(self)?;
        // A row's JSON shape is made from the row alone, in the library's words; a problem
        // with advice is said in the plan's ([`Plan::words`]).
        if let Some(rows) = value["rows"].as_array_mut() {
            for (shape, row) in rows.iter_mut().zip(&self.plan.rows) {
                if row.problems.iter().any(|p| p.advice().is_some()) {
                    shape["problems"] = row
                        .problems
                        .iter()
                        .map(|p| p.said(self.plan.words))
                        .collect();
                }
            }
        }
        let sum = checksum(&value);
        if let Some(map) = value.as_object_mut() {
            map.insert(CHECKSUM.into(), sum.into());
        }
        Ok(value)
    }

    /// Writes the plan as JSON. Nothing in it is secret: records and base URLs, no token.
    pub fn write(&self, path: &Path) -> Result<(), SavedPlanError> {
        let write_err = |source| SavedPlanError::Write {
            path: path.to_path_buf(),
            source,
        };
        let text = self
            .to_json()
            .and_then(|v| serde_json::to_string_pretty(&v))
            .map_err(|e| write_err(e.into()))?;
        std::fs::write(path, text + "\n").map_err(write_err)
    }

    /// Reads a saved plan, refusing one of another format version before reading its rows.
    pub fn read(path: &Path) -> Result<SavedPlan, SavedPlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| SavedPlanError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let parse = |e: serde_json::Error| SavedPlanError::Parse {
            path: path.to_path_buf(),
            message: crate::error::plain_serde(&e.to_string()),
            // serde_json counts from 1 and says line 0 when the error has no place.
            location: (e.line() > 0).then(|| Location {
                file: path.to_path_buf(),
                line: Some(e.line()),
                column: Some(e.column()),
            }),
        };
        let mut value: serde_json::Value = serde_json::from_str(&text).map_err(parse)?;
        match value.get("format_version") {
            Some(v) if v.as_u64() == Some(u64::from(FORMAT_VERSION)) => {}
            found => {
                return Err(SavedPlanError::Version {
                    path: path.to_path_buf(),
                    found: found.map_or_else(|| "(none)".to_string(), |v| v.to_string()),
                });
            }
        }
        let sum = value.as_object_mut().and_then(|map| map.remove(CHECKSUM));
        // From the text rather than the value: an error then has its line and column.
        let plan: SavedPlan = serde_json::from_str(&text).map_err(parse)?;
        // Checked after the rows are read, so that an edit the rows themselves show (a write
        // that is not the changes shown) is named by employee first.
        if sum.as_ref().and_then(|s| s.as_str()) != Some(checksum(&value).as_str()) {
            return Err(SavedPlanError::Edited {
                path: path.to_path_buf(),
            });
        }
        Ok(plan)
    }

    /// The direction and reference date a saved plan file names, read from its text without
    /// parsing it: what can still be said of a plan [`SavedPlan::read`] refused (another
    /// format version, a file cut short), so that the refused run is recorded with them.
    /// `None` when the file cannot be read or names no direction.
    pub fn peek(path: &Path) -> Option<(crate::model::Direction, Option<chrono::NaiveDate>)> {
        let text = std::fs::read_to_string(path).ok()?;
        // The plan's own keys come before its rows (the header is written first), so the
        // first of each is the plan's.
        let first = |key: &str| {
            let at = text.find(&format!("\"{key}\""))? + key.len() + 2;
            let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
            let value = rest.strip_prefix('"')?;
            Some(value[..value.find('"')?].to_string())
        };
        let direction = first("direction")?.parse().ok()?;
        let as_of = first("as_of").and_then(|d| d.parse().ok());
        Some((direction, as_of))
    }

    /// Refuses a plan read from another tenant than `tenant`, or older than `max_age` at `now`.
    pub fn check(
        &self,
        path: &Path,
        tenant: &Tenant,
        now: DateTime<Utc>,
        max_age: Duration,
    ) -> Result<(), SavedPlanError> {
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        for (service, planned, configured) in [
            ("SmartHR", &self.tenant.smarthr, &tenant.smarthr),
            ("KING OF TIME", &self.tenant.kot, &tenant.kot),
        ] {
            if !same(planned, configured) {
                return Err(SavedPlanError::OtherTenant {
                    path: path.to_path_buf(),
                    service,
                    planned: planned.clone(),
                    configured: configured.clone(),
                });
            }
        }
        let age = (now - self.made_at).to_std().unwrap_or_default();
        if age > max_age {
            return Err(SavedPlanError::TooOld {
                path: path.to_path_buf(),
                made_at: self.made_at,
                age: age.as_secs_f64() / 3600.0,
                max: max_age.as_secs_f64() / 3600.0,
            });
        }
        Ok(())
    }
}

impl Row {
    /// The value an update writes for `change`: the target's id for an office or employment
    /// type (the plan shows their names), else the new value.
    pub fn written_value(&self, change: &Change) -> Option<String> {
        match change.field {
            Field::Office => self.office.as_ref().map(|a| a.item.id.clone()),
            Field::EmploymentType => self.employment_type.as_ref().map(|a| a.item.id.clone()),
            _ => change.new.clone(),
        }
    }
}

/// A [`Row`] as JSON: the keys `plan --format json` has always printed, then what a saved plan
/// needs to write it without planning again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RowShape {
    code: Option<String>,
    status: Status,
    name: String,
    changes: Vec<Change>,
    /// The office's name, for people; its id is `office_id`.
    office: Option<String>,
    employment_type: Option<String>,
    selected: bool,
    problems: Vec<String>,
    office_from: Option<Origin>,
    employment_type_from: Option<Origin>,
    selected_by: Option<Origin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    office_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    employment_type_id: Option<String>,
    /// The exact write apply makes for a new or changed row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    write: Option<Write>,
    /// For a changed row: the target record the plan was computed against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<Seen>,
}

/// What apply writes for one row.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
enum Write {
    /// The source record (after rule overrides) created in the office and type of the row.
    Create { record: Box<Employee> },
    /// These values written to the target record `target_id` (clears as `null`).
    Update {
        target_id: String,
        fields: BTreeMap<Field, Option<String>>,
    },
}

/// The target record a changed row was planned against.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Seen {
    /// The synced values: apply writes the row only while the target still holds them.
    values: TargetValues,
    /// The record as the API returned it: an update rewrites parts of larger values from it.
    record: Raw,
}

impl From<Row> for RowShape {
    fn from(row: Row) -> RowShape {
        let write = match row.status {
            Status::New => row.source.as_ref().map(|s| Write::Create {
                record: Box::new((**s).clone()),
            }),
            Status::Changed => row.target_id.as_ref().map(|id| Write::Update {
                target_id: id.clone(),
                fields: row
                    .changes
                    .iter()
                    .map(|c| (c.field, row.written_value(c)))
                    .collect(),
            }),
            Status::Unchanged | Status::Invalid => None,
        };
        let target = match (row.target_values, row.target_record) {
            (Some(values), Some(record)) => Some(Seen { values, record }),
            _ => None,
        };
        let part = |a: &Option<Assigned>| {
            a.as_ref()
                .map(|a| (a.item.name.clone(), a.item.id.clone(), a.from.clone()))
        };
        let (office, office_id, office_from) = split(part(&row.office));
        let (employment_type, employment_type_id, employment_type_from) =
            split(part(&row.employment_type));
        RowShape {
            code: row.code,
            status: row.status,
            name: row.name,
            changes: row.changes,
            office,
            employment_type,
            selected: row.selected,
            problems: row.problems.iter().map(ToString::to_string).collect(),
            office_from,
            employment_type_from,
            selected_by: row.selected_by,
            office_id,
            employment_type_id,
            write,
            target,
        }
    }
}

type Parts = (Option<String>, Option<String>, Option<String>);

fn split(parts: Option<(String, String, String)>) -> Parts {
    match parts {
        Some((name, id, from)) => (Some(name), Some(id), Some(from)),
        None => (None, None, None),
    }
}

/// A saved row that cannot be applied as it stands; `who` is its employee code (or name).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowShapeError {
    /// An office or type read back without its id, which is what a write needs.
    #[error("employee {who}: {what} '{name}' has no {what}_id")]
    NoId {
        who: String,
        what: &'static str,
        name: String,
    },
    #[error("employee {who}: a {status} row without its write")]
    NoWrite { who: String, status: &'static str },
    /// The write says something else than the changes shown for the row: the file was
    /// edited after it was made, and apply writes only what a person saw.
    #[error(
        "employee {who}: the {what} it would write is not what the plan shows (the file was edited after it was made)"
    )]
    Edited { who: String, what: &'static str },
}

/// An office or type read back: the id is what a write needs, so a name without one is an
/// error rather than a guess.
fn assigned(
    who: &str,
    what: &'static str,
    name: Option<String>,
    id: Option<String>,
    from: Option<String>,
) -> Result<Option<Assigned>, RowShapeError> {
    match (name, id) {
        (None, _) => Ok(None),
        (Some(name), Some(id)) => Ok(Some(Assigned {
            item: MasterItem { id, name },
            from: from.unwrap_or_default(),
        })),
        (Some(name), None) => Err(RowShapeError::NoId {
            who: who.to_string(),
            what,
            name,
        }),
    }
}

impl TryFrom<RowShape> for Row {
    type Error = RowShapeError;
    fn try_from(shape: RowShape) -> Result<Row, RowShapeError> {
        let who = shape.code.clone().unwrap_or_else(|| shape.name.clone());
        let office = assigned(
            &who,
            "office",
            shape.office,
            shape.office_id,
            shape.office_from,
        )?;
        let employment_type = assigned(
            &who,
            "employment_type",
            shape.employment_type,
            shape.employment_type_id,
            shape.employment_type_from,
        )?;
        let (source, target_id, fields) = match shape.write {
            Some(Write::Create { record }) => (Some(SourceRecord::alone(*record)), None, None),
            Some(Write::Update { target_id, fields }) => (None, Some(target_id), Some(fields)),
            None => (None, None, None),
        };
        if shape.status.is_actionable() && source.is_none() && target_id.is_none() {
            return Err(RowShapeError::NoWrite {
                who,
                status: shape.status.as_str(),
            });
        }
        let (target_values, target_record) = match shape.target {
            Some(Seen { values, record }) => (Some(values), Some(record)),
            None => (None, None),
        };
        let row = Row {
            code: shape.code,
            status: shape.status,
            name: shape.name,
            changes: shape.changes,
            office,
            employment_type,
            selected: shape.selected,
            selected_by: shape.selected_by,
            problems: shape.problems.into_iter().map(Problem::from).collect(),
            source,
            target_id,
            target_record,
            target_values,
        };
        consistent(&row, fields.as_ref(), &who)?;
        Ok(row)
    }
}

/// Refuses a row whose write differs from the changes the plan shows for it: apply writes the
/// saved write, and a person reviewed the changes (`plan` printed them, the file lists them).
fn consistent(
    row: &Row,
    fields: Option<&BTreeMap<Field, Option<String>>>,
    who: &str,
) -> Result<(), RowShapeError> {
    let edited = |what: &'static str| RowShapeError::Edited {
        who: who.to_string(),
        what,
    };
    if let Some(fields) = fields {
        let shown: BTreeMap<Field, Option<String>> = row
            .changes
            .iter()
            .map(|c| (c.field, row.written_value(c)))
            .collect();
        if let Some(field) = fields
            .keys()
            .chain(shown.keys())
            .find(|f| fields.get(f) != shown.get(f))
        {
            return Err(edited(field.name()));
        }
    }
    // A new row shows its code and name (the rest of the record is not listed): those at
    // least must be the record's.
    if let Some(record) = row.source.as_deref() {
        if record.code != row.code {
            return Err(edited("employee code"));
        }
        if record.display_name() != row.name {
            return Err(edited("name"));
        }
    }
    Ok(())
}
