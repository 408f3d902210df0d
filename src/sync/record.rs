//! An apply that leaves a trace: the run is written to the history before its first write,
//! each employee's outcome as it happens, and the result is emailed when it ends.

use super::{Observer, SyncError, Target};
use crate::apply::{self, Action, ApplyReport};
use crate::config::Config;
use crate::history::{
    EmailOutcome, History, HistoryError, PlannedWrite, RunEnd, RunLock, RunStart, RunStatus,
};
use crate::model::Field;
use crate::notify;
use crate::plan::{Plan, Status};

/// What the caller chose, recorded with the run so the history says how it was asked for.
pub struct Request<'a> {
    pub plan: &'a Plan,
    pub chosen: &'a [usize],
    /// `all`, `auto` or the codes given.
    pub selection: String,
    /// The defaults for new employees as the person gave them.
    pub defaults: String,
    /// The rules folder and its content hash, when rules were used.
    pub rules: Option<String>,
    pub options: apply::Options,
}

/// The defaults for new employees as the history records them (`office=本社,
/// employment_type=正社員`, or `none`), whoever asked: the CLI's flags or the dashboard's step 2.
pub fn defaults_text(office: Option<&str>, employment_type: Option<&str>) -> String {
    let parts: Vec<String> = [("office", office), ("employment_type", employment_type)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
        .collect();
    if parts.is_empty() {
        "none".into()
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
}

/// Runs an apply under the history lock. A second apply against the same history while this
/// one runs is refused by [`RunLock::acquire`], which the caller holds for the whole run.
/// The history names the operating-system user as who ran it.
pub async fn apply_recorded(
    config: &Config,
    history: &History,
    lock: &RunLock,
    target: &Target<'_>,
    request: Request<'_>,
    observer: &dyn Observer,
) -> Result<Recorded, SyncError> {
    let user = crate::history::os_user();
    apply_recorded_by(user, config, history, lock, target, request, observer).await
}

/// [`apply_recorded`] for a run asked for by `user` (the dashboard's login name), who is
/// recorded as who ran it.
pub async fn apply_recorded_by(
    user: String,
    config: &Config,
    history: &History,
    lock: &RunLock,
    target: &Target<'_>,
    request: Request<'_>,
    observer: &dyn Observer,
) -> Result<Recorded, SyncError> {
    let plan = request.plan;
    let start = RunStart {
        direction: plan.direction,
        as_of: plan.as_of,
        user,
        selection: request.selection,
        defaults: request.defaults,
        rules: request.rules,
        planned: request
            .chosen
            .iter()
            .map(|&i| {
                let row = &plan.rows[i];
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
                }
            })
            .collect(),
    };
    let run = history.begin_run(lock, &start)?;
    let report = apply::run(
        plan,
        request.chosen,
        target,
        &request.options,
        observer,
        run.as_str(),
        &mut |result| history.record(&run, result).map_err(|e| e.to_string()),
    )
    .await;
    let status = history.finish(&run, &RunEnd::from(&report))?;
    let email = match &config.notify {
        None => None,
        Some(cfg) => {
            let detail = history.show(run.as_str())?;
            let outcome = match notify::send(cfg, &notify::compose(&detail)).await {
                Ok(()) => EmailOutcome::Sent,
                Err(e) => EmailOutcome::Failed(e.to_string()),
            };
            // The email's fate is part of the run's record; failing to note it does not undo
            // the run, so it is reported rather than raised.
            if let Err(e) = history.record_email(&run, &outcome) {
                observer.warning(&format!("could not record the email outcome: {e}"));
            }
            Some(outcome)
        }
    };
    Ok(Recorded {
        report,
        status,
        email,
    })
}

impl From<HistoryError> for SyncError {
    fn from(e: HistoryError) -> SyncError {
        SyncError::History(e)
    }
}
