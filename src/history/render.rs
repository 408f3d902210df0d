//! Text for people: the `crewsync history` table and one run's report, which is also the body
//! of the completion email.

use super::{EmployeeRecord, RunCounts, RunDetail, RunStatus, RunSummary};
use crate::apply::{Action, LeftKind, LeftOut, Outcome};
use crate::model::Field;
use crate::text::{exact, safe};
use chrono::{DateTime, FixedOffset, Offset, Utc};
use comfy_table::{ContentArrangement, Table, presets};
use std::fmt::Write;

/// Times are shown in JST, the time zone of both services and of KOT's access windows.
pub fn jst(t: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(9 * 3600).unwrap_or_else(|| Utc.fix());
    format!(
        "{} JST",
        t.with_timezone(&offset).format("%Y-%m-%d %H:%M:%S")
    )
}

/// "2 failed, 1 invalid, 5 created, 3 updated": the apply report's words, those that need a
/// person first, zero counts left out; "nothing written" for a run with no employee at all.
pub fn counts_text(counts: &RunCounts) -> String {
    if *counts == RunCounts::default() {
        "nothing written".to_string()
    } else {
        counts.text()
    }
}

/// The runs, one line each, for `crewsync history`.
pub fn runs_table(runs: &[RunSummary]) -> String {
    if runs.is_empty() {
        return "No runs recorded yet.".to_string();
    }
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header([
            "run",
            "started",
            "user",
            "direction",
            "as of",
            "status",
            "result",
            "email",
        ]);
    for run in runs {
        table.add_row([
            run.id.to_string(),
            jst(run.started_at),
            safe(&run.user).into_owned(),
            run.direction.to_string(),
            run.as_of.to_string(),
            run.status.to_string(),
            counts_text(&run.counts),
            email_text(run).unwrap_or_default(),
        ]);
    }
    table.to_string()
}

fn email_text(run: &RunSummary) -> Option<String> {
    run.email.as_ref().map(|email| match &email.outcome {
        super::EmailOutcome::Sent => "sent".to_string(),
        super::EmailOutcome::Failed(_) => "failed".to_string(),
    })
}

/// One run in full: its parameters, then failures with their errors, then what was created and
/// updated, then what was not attempted, so the part that needs a person comes first.
pub fn run_text(detail: &RunDetail) -> String {
    let run = &detail.summary;
    let mut out = String::new();
    // Values can hold record text (a selection of codes, an error quoting a name).
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "{label:<11}{}", safe(value));
    };
    line("Run:", run.id.as_str());
    line("Status:", &status_text(run));
    line(
        "Direction:",
        &format!(
            "{} ({} → {})",
            run.direction,
            run.direction.source(),
            run.direction.target()
        ),
    );
    line("As of:", &run.as_of.to_string());
    line(
        "Started:",
        &format!("{} by {}", jst(run.started_at), run.user),
    );
    if let Some(ended) = run.ended_at {
        line("Ended:", &jst(ended));
    }
    line("Selection:", &run.selection);
    line("Defaults:", &detail.defaults);
    line("Rules:", detail.rules.as_deref().unwrap_or("none"));
    line("Result:", &counts_text(&run.counts));
    if let Some(note) = &run.note {
        line("Note:", note);
    }
    if let Some(email) = &run.email {
        let text = match &email.outcome {
            super::EmailOutcome::Sent => format!("sent {}", jst(email.at)),
            super::EmailOutcome::Failed(error) => format!("not sent: {error}"),
        };
        line("Email:", &text);
    }

    for section in Section::ORDER {
        let members: Vec<&EmployeeRecord> = detail
            .employees
            .iter()
            .filter(|e| Section::of(e) == section)
            .collect();
        let left: Vec<&LeftOut> = detail
            .left_out
            .iter()
            .filter(|l| Section::Left(l.kind) == section)
            .collect();
        if members.is_empty() && left.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{} ({}):",
            section.title(),
            members.len() + left.len()
        );
        for e in members {
            let _ = writeln!(
                out,
                "  {} {} ({}: {})",
                exact(&e.code),
                safe(&e.name),
                action_text(e.action),
                fields_list(&e.fields)
            );
            let why = match (&e.error, e.outcome) {
                (Some(error), _) => Some(error.as_str()),
                (None, None) => Some("not reached: the process ended before it"),
                (None, Some(_)) => None,
            };
            if let Some(why) = why {
                let _ = writeln!(out, "      {}", safe(why));
            }
        }
        for l in left {
            let _ = writeln!(
                out,
                "  {} {}\n      {}",
                l.code
                    .as_deref()
                    .map_or(std::borrow::Cow::Borrowed("(no code)"), exact),
                safe(&l.name),
                safe(&l.reason)
            );
        }
    }
    if run.counts.unchanged > 0 {
        let _ = writeln!(out, "\nUnchanged: {}", run.counts.unchanged);
    }
    out
}

/// The groups of a run's report, in the order a reader needs them: what needs a person first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Failed,
    NotAttempted,
    Left(LeftKind),
    Created,
    Updated,
}

impl Section {
    const ORDER: [Section; 7] = [
        Section::Failed,
        Section::NotAttempted,
        Section::Left(LeftKind::Invalid),
        Section::Left(LeftKind::NotSelected),
        Section::Left(LeftKind::Excluded),
        Section::Created,
        Section::Updated,
    ];

    fn of(e: &EmployeeRecord) -> Section {
        match (e.outcome, e.action) {
            (Some(Outcome::Failed), _) => Section::Failed,
            (Some(Outcome::Ok), Action::Create) => Section::Created,
            (Some(Outcome::Ok), Action::Update) => Section::Updated,
            (None | Some(Outcome::NotAttempted), _) => Section::NotAttempted,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Section::Failed => "Failed",
            Section::NotAttempted => "Not attempted",
            Section::Left(LeftKind::Invalid) => "Invalid",
            Section::Left(LeftKind::NotSelected) => "Not selected",
            Section::Left(LeftKind::Excluded) => "Excluded",
            Section::Created => "Created",
            Section::Updated => "Updated",
        }
    }
}

fn status_text(run: &RunSummary) -> String {
    match run.status {
        RunStatus::Running => format!("running (pid {})", run.pid),
        RunStatus::Interrupted => format!(
            "interrupted (process {} ended before the run finished)",
            run.pid
        ),
        RunStatus::Refused => "refused: it never started writing (see the note)".to_string(),
        status => status.to_string(),
    }
}

fn action_text(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Update => "update",
    }
}

fn fields_list(fields: &[Field]) -> String {
    if fields.is_empty() {
        return "no fields".to_string();
    }
    fields
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}
