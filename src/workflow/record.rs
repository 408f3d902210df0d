//! An apply that leaves a trace: the run is written to the history before its first write,
//! each employee's outcome as it happens, and the result is emailed when it ends. An apply that
//! never gets to write (refused, cancelled) leaves one too: [`record_unstarted`].

use super::SyncError;
use crate::apply::{
    self, Action, ApplyReport, ApplyResult, Chosen, Counts, Event, Observer, Outcome, Target,
};
use crate::config::Config;
use crate::email;
use crate::history::{
    EmailOutcome, HistoryError, HistoryHandle, PlannedWrite, RunDetail, RunEnd, RunId, RunLock,
    RunStart, RunStatus,
};
use crate::model::Field;
use crate::plan::{Plan, Status};
use chrono::{DateTime, Utc};

/// What the caller chose, recorded with the run so the history says how it was asked for.
pub struct Request<'a> {
    pub plan: &'a Plan,
    pub chosen: &'a [usize],
    /// The run as the history records it, from [`accounted`]: how it was asked for, what it
    /// means to write and everybody it leaves out.
    pub start: RunStart,
    /// When the rosters of `plan` began to be fetched: an employee another run wrote since
    /// then is not written (the plan no longer shows the target as it is).
    pub fetched_at: DateTime<Utc>,
    /// Chosen rows of a saved plan whose target changed since it was made ([`super::stale`]):
    /// reported as not attempted, never written.
    pub stale: Vec<apply::Stale>,
    pub options: apply::Options,
}

/// What [`defaults_text`] records when no default was given: a stored word that the dashboard
/// says in its page's language.
pub const NO_DEFAULTS: &str = "none";
/// What the history records as the defaults of a run whose saved plan could not be read.
pub const UNKNOWN_DEFAULTS: &str = "unknown (the saved plan was not read)";

/// The defaults for new employees as the history records them (`office=本社,
/// employment_type=正社員`, or [`NO_DEFAULTS`]), whoever asked: the CLI's flags or the
/// dashboard's step 2.
pub fn defaults_text(office: Option<&str>, employment_type: Option<&str>) -> String {
    let parts: Vec<String> = [("office", office), ("employment_type", employment_type)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect();
    if parts.is_empty() {
        NO_DEFAULTS.into()
    } else {
        parts.join(", ")
    }
}

/// How the run ended, for the caller to report.
pub struct Recorded {
    pub report: ApplyReport,
    pub status: RunStatus,
    /// `None` when no email is configured.
    pub email: Option<EmailOutcome>,
    /// Why the email was not sent, as data (`email` keeps its English): for a front end that
    /// says it in its own words.
    pub email_error: Option<email::NotifyError>,
}

/// Fills `start` with the plan's accounting: the writes `chosen` means, and every other
/// employee with why it is left out.
pub fn accounted(start: &mut RunStart, plan: &Plan, chosen: &[usize], how: Chosen<'_>) {
    let (left_out, counts) = apply::account(plan, chosen, how);
    start.planned = chosen
        .iter()
        .map(|&i| planned_write(&plan.rows[i]))
        .collect();
    start.left_out = left_out;
    start.unchanged = counts.unchanged;
}

fn planned_write(row: &crate::plan::Row) -> PlannedWrite {
    let create = row.status == Status::New;
    PlannedWrite {
        code: row.code.clone().unwrap_or_default(),
        name: row.name.clone(),
        action: if create {
            Action::Create
        } else {
            Action::Update
        },
        fields: if create {
            Field::SYNCED.to_vec()
        } else {
            row.changes.iter().map(|c| c.field).collect()
        },
        changes: if create {
            created_values(row)
        } else {
            row.changes.clone()
        },
    }
}

/// What a create writes, as changes from nothing, for the history's "what changed": the
/// synced values of the source record and the office and employment type it goes into.
fn created_values(row: &crate::plan::Row) -> Vec<crate::plan::Change> {
    let synced = Field::SYNCED
        .into_iter()
        .filter_map(|field| Some((field, row.source.as_ref()?.get(field)?)));
    let placed = [
        (Field::Office, &row.office),
        (Field::EmploymentType, &row.employment_type),
    ]
    .into_iter()
    .filter_map(|(field, assigned)| Some((field, assigned.as_ref()?.item.name.clone())));
    synced
        .chain(placed)
        .map(|(field, new)| crate::plan::Change {
            field,
            old: None,
            new: Some(new),
        })
        .collect()
}

/// Runs an apply under the history lock, which the caller took when writing was about to
/// begin (a second apply against the same history while this one runs is refused by
/// [`RunLock::acquire`]) and which is released when it ends. The future is `Send`, so a server
/// can spawn it: the history's SQLite work runs off the async threads ([`HistoryHandle`]).
pub async fn apply_recorded(
    config: &Config,
    history: &HistoryHandle,
    lock: RunLock,
    target: &Target<'_>,
    request: Request<'_>,
    observer: &dyn Observer,
) -> Result<Recorded, SyncError> {
    let Request {
        plan,
        chosen,
        start,
        fetched_at,
        stale: out_of_date,
        options,
    } = request;
    // The lock is taken only when writing begins, so another apply may have written some of
    // the chosen employees while this one's selection was being made.
    let codes: Vec<String> = chosen
        .iter()
        .filter_map(|&i| plan.rows[i].code.clone())
        .collect();
    let stale = history
        .with(move |h| {
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            h.written_since(&codes, fetched_at)
        })
        .await?;
    let lock = std::sync::Arc::new(lock);
    let run = {
        let (lock, start) = (lock.clone(), start.clone());
        history.with(move |h| h.begin_run(&lock, &start)).await?
    };
    let mut held_back = Vec::new();
    let mut fresh = Vec::with_capacity(chosen.len());
    for &i in chosen {
        let row = &plan.rows[i];
        let written_since = stale
            .iter()
            .find(|(code, _)| row.code.as_deref() == Some(code))
            .map(|(_, other)| apply::NotWritten::WrittenSince {
                run: other.to_string(),
            });
        let why = written_since.or_else(|| {
            out_of_date
                .iter()
                .find(|s| s.row == i)
                .map(apply::Stale::not_written)
        });
        match why {
            Some(why) => {
                let write = planned_write(row);
                let result = ApplyResult {
                    code: write.code,
                    name: write.name,
                    action: write.action,
                    outcome: Outcome::NotAttempted,
                    error: Some(why.to_string()),
                    why: Some(why),
                    failure: None,
                    fields: write.fields,
                    not_cleared: Vec::new(),
                };
                let (r, recorded) = (run.clone(), result.clone());
                history.with(move |h| h.record(&r, &recorded)).await?;
                held_back.push(result);
            }
            None => fresh.push(i),
        }
    }
    observer.event(Event::Planned {
        summary: &plan.summary,
        writes: chosen.len(),
    });
    let mut report = apply::run(
        plan,
        &fresh,
        target,
        &options,
        observer,
        run.as_str(),
        &mut |result| {
            let (history, run, result) = (history.clone(), run.clone(), result.clone());
            Box::pin(async move { history.with(move |h| h.record(&run, &result)).await })
        },
    )
    .await;
    report.results.extend(held_back);
    report.left_out = start.left_out.clone();
    report.summary = counts(&start, &report.results);
    let status = {
        let (r, end) = (run.clone(), RunEnd::from(&report));
        history.with(move |h| h.finish(&r, &end)).await?
    };
    let mut email_error = None;
    let email = match &config.notify {
        None => None,
        Some(cfg) => {
            let r = run.clone();
            let detail = history.with(move |h| h.show(r.as_str())).await?;
            let (outcome, error) = send(cfg, &detail).await;
            email_error = error;
            // The email's fate is part of the run's record; failing to note it does not undo
            // the run, so it is reported rather than raised.
            let (r, noted) = (run.clone(), outcome.clone());
            if let Err(e) = history.with(move |h| h.record_email(&r, &noted)).await {
                observer.event(Event::Warning {
                    message: &crate::apply::Warning::EmailNotRecorded(e.to_string()),
                });
            }
            Some(outcome)
        }
    };
    observer.event(Event::Finished { report: &report });
    Ok(Recorded {
        report,
        status,
        email,
        email_error,
    })
}

/// Every employee of the plan counted once: the left-out and unchanged ones from `start`,
/// the chosen ones from their results.
fn counts(start: &RunStart, results: &[ApplyResult]) -> Counts {
    let mut counts = Counts {
        unchanged: start.unchanged,
        ..Counts::default()
    };
    for left in &start.left_out {
        counts.count_left(left.kind);
    }
    for r in results {
        counts.count_result(r.outcome, r.action);
    }
    counts
}

/// Emails the run: its outcome as the history keeps it, and why it was not sent as data.
async fn send(
    cfg: &email::NotifyConfig,
    detail: &RunDetail,
) -> (EmailOutcome, Option<email::NotifyError>) {
    match email::send(cfg, &email::compose(detail)).await {
        Ok(()) => (EmailOutcome::Sent, None),
        Err(e) => (EmailOutcome::Failed(e.to_string()), Some(e)),
    }
}

/// The trace an apply that never began writing leaves.
pub struct Unstarted {
    /// The apply report: the employees it would have written as not attempted, everybody else
    /// as planned, and why it did not start as `stopped`.
    pub report: ApplyReport,
    /// `None` when the history could not be written (then `warnings` says why).
    pub run: Option<RunId>,
    /// `None` when no email is configured.
    pub email: Option<EmailOutcome>,
    /// What went wrong while leaving the trace; never replaces why the run did not start.
    pub warnings: Vec<String>,
}

/// Records an apply that ended before its first write (`status` [`RunStatus::Refused`], or
/// [`RunStatus::Stopped`] when the person cancelled) with `why`, and emails it when `notify:`
/// is set, so that a nightly run that cannot start is as visible as one that fails. The
/// history is written without the run lock: the refusal may be that another apply holds it,
/// and its run must not be disturbed.
pub async fn record_unstarted(
    config: &Config,
    start: &RunStart,
    status: RunStatus,
    why: &str,
) -> Unstarted {
    let mut warnings = Vec::new();
    let recorded = async {
        let history = HistoryHandle::open(&config.history).await?;
        let (s, w) = (start.clone(), why.to_string());
        let (run, detail) = history
            .with(move |h| {
                let run = h.record_unstarted(&s, status, &w)?;
                let detail = h.show(run.as_str())?;
                Ok::<_, HistoryError>((run, detail))
            })
            .await?;
        Ok::<_, HistoryError>((history, run, detail))
    }
    .await;
    let (history, detail) = match recorded {
        Ok((history, run, detail)) => (Some((history, run)), detail),
        Err(e) => {
            warnings.push(format!(
                "this run could not be recorded in the history: {e}"
            ));
            (None, RunDetail::unrecorded(start, status, why))
        }
    };
    let email = match &config.notify {
        None => None,
        Some(cfg) => {
            let (outcome, _) = send(cfg, &detail).await;
            if let Some((history, run)) = &history {
                let (r, noted) = (run.clone(), outcome.clone());
                if let Err(e) = history.with(move |h| h.record_email(&r, &noted)).await {
                    warnings.push(format!("could not record the email outcome: {e}"));
                }
            }
            Some(outcome)
        }
    };
    let results: Vec<ApplyResult> = start
        .planned
        .iter()
        .map(|w| ApplyResult {
            code: w.code.clone(),
            name: w.name.clone(),
            action: w.action,
            outcome: Outcome::NotAttempted,
            error: Some(crate::history::unstarted_why(status).to_string()),
            why: Some(crate::history::unstarted_why(status)),
            failure: None,
            fields: w.fields.clone(),
            not_cleared: Vec::new(),
        })
        .collect();
    Unstarted {
        report: ApplyReport {
            run_id: detail.summary.id.to_string(),
            summary: counts(start, &results),
            results,
            left_out: start.left_out.clone(),
            stopped: Some(why.to_string()),
            stopped_why: None,
        },
        run: history.map(|(_, run)| run),
        email,
        warnings,
    }
}

impl From<HistoryError> for SyncError {
    fn from(e: HistoryError) -> SyncError {
        SyncError::History(e)
    }
}
