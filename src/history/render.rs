//! Text for people: the `crewsync history` table, one run's report, which is also the body
//! of the completion email, and one employee's timeline across runs.

use super::{
    EmployeeOutcome, EmployeeRecord, EmployeeTimeline, RunCounts, RunDetail, RunStatus, RunSummary,
    TimelineEntry,
};
use crate::apply::{Action, LeftKind, LeftOut, Outcome};
use crate::model::Field;
use crate::render::layout;
use crate::render::{ITEM_JOINER, Style, change_atom, column};
use crate::text::exact;
use chrono::{DateTime, Utc};
use console::Style as Paint;
use std::fmt::Write;

/// Times are shown in JST, the time zone of both services and of KOT's access windows.
pub fn jst(t: DateTime<Utc>) -> String {
    format!(
        "{} JST",
        t.with_timezone(&crate::clock::JST)
            .format("%Y-%m-%d %H:%M:%S")
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

/// The runs, one line each, for `crewsync history`: run id, start (JST) and status in fixed
/// columns, then direction, reference date, user, result and email, wrapped to `style.width`
/// like the plan table. Ends with a newline.
pub fn runs_table(runs: &[RunSummary], style: &Style) -> String {
    if runs.is_empty() {
        return "No runs recorded yet.\n".to_string();
    }
    let lines = runs.iter().map(|run| {
        let paint = match run.status {
            RunStatus::Completed => Paint::new().green(),
            RunStatus::CompletedWithFailures | RunStatus::Interrupted | RunStatus::Refused => {
                Paint::new().red()
            }
            RunStatus::Running | RunStatus::Stopped => Paint::new().yellow(),
        };
        let mut details = vec![
            style.atom(&run.direction.to_string(), Paint::new(), ""),
            style.atom(&format!("as of {}", run.as_of), Paint::new(), ITEM_JOINER),
            style.atom(&format!("by {}", run.user), Paint::new(), ITEM_JOINER),
        ];
        // "2 created" is kept on one line; the counts wrap between each other.
        let counts = counts_text(&run.counts);
        details.extend(counts.split(", ").enumerate().map(|(i, part)| {
            style.atom(part, Paint::new(), if i == 0 { ITEM_JOINER } else { ", " })
        }));
        if let Some(email) = email_text(run) {
            details.push(style.atom(&format!("email {email}"), Paint::new(), ITEM_JOINER));
        }
        RunLine {
            run: run.id.as_str(),
            started: run.started_at,
            verdict: run.status.to_string(),
            paint,
            details,
        }
    });
    run_lines("status", lines.collect(), style)
}

/// One line of a table of runs: the run, when it started and what came of it in fixed
/// columns, painted alike, then the details.
struct RunLine<'a> {
    run: &'a str,
    started: DateTime<Utc>,
    verdict: String,
    paint: Paint,
    details: Vec<layout::Atom>,
}

/// A table of runs under a header (`run`, `started (JST)`, `verdict`, `details`), wrapped to
/// `style.width`. Ends with a newline.
fn run_lines(verdict: &str, lines: Vec<RunLine<'_>>, style: &Style) -> String {
    let dim = || Paint::new().dim();
    let id_cols = column(lines.iter().map(|l| layout::width(l.run)), 3, 32);
    let verdict_cols = column(
        lines.iter().map(|l| layout::width(&l.verdict)),
        layout::width(verdict),
        32,
    );
    let cells = |id: &str, started: &str, verdict: &str, paint: Paint| {
        [
            style.cell(id, paint.clone(), id_cols),
            style.cell(started, paint.clone(), STARTED_COLS),
            style.cell(verdict, paint, verdict_cols),
        ]
    };
    let mut out = vec![layout::table_line(
        &cells("run", "started (JST)", verdict, dim()),
        vec![style.atom("details", dim(), "")],
        style.width,
    )];
    for line in lines {
        let started = line.started.with_timezone(&crate::clock::JST);
        out.push(layout::table_line(
            &cells(
                line.run,
                &started.format("%Y-%m-%d %H:%M").to_string(),
                &line.verdict,
                line.paint,
            ),
            line.details,
            style.width,
        ));
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// `2026-04-01 12:00`.
const STARTED_COLS: usize = 16;

/// One employee across runs, for `crewsync history employee CODE`: when they were last
/// written, then one line per run that touched them, newest first, with what the run wrote
/// (old → new) or why it did not. Ends with a newline.
pub fn timeline_text(timeline: &EmployeeTimeline, style: &Style) -> String {
    let mut out = format!("Employee {}\n", exact(&timeline.code));
    match &timeline.last_synced {
        Some(last) => {
            let when = format!(
                "Last synced: {}",
                jst(last.recorded_at.unwrap_or(last.started_at))
            );
            let what = format!(
                "({} by {}; {}; run {})",
                last.outcome, last.user, last.direction, last.run
            );
            // On one line where it fits, else the details under the time, as the tables
            // wrap: a long user name never runs past the edge.
            let joiner = if layout::width(&when) + 1 + layout::width(&what) <= style.width {
                " "
            } else {
                "\n  "
            };
            let _ = writeln!(out, "{when}{joiner}{}", style.paint(&what, Paint::new()));
        }
        None => out.push_str("Last synced: never (no run in this history wrote this employee)\n"),
    }
    let entries = &timeline.entries.items;
    if entries.is_empty() {
        out.push_str("\nNo run in this history touched this employee.\n");
        return out;
    }
    out.push('\n');
    let lines = entries.iter().map(|entry| RunLine {
        run: entry.run.as_str(),
        started: entry.started_at,
        verdict: entry.outcome.to_string(),
        paint: outcome_paint(entry.outcome),
        details: entry_details(entry, style),
    });
    out.push_str(&run_lines("outcome", lines.collect(), style));
    out
}

fn outcome_paint(outcome: EmployeeOutcome) -> Paint {
    match outcome {
        EmployeeOutcome::Created | EmployeeOutcome::Updated => Paint::new().green(),
        EmployeeOutcome::Failed | EmployeeOutcome::Invalid => Paint::new().red(),
        _ => Paint::new().yellow(),
    }
}

/// Direction, who, the run's status when it did not simply complete, the name as that run
/// recorded it, then the values written or why nothing was.
fn entry_details(entry: &TimelineEntry, style: &Style) -> Vec<layout::Atom> {
    let mut atoms = vec![
        style.atom(&entry.direction.to_string(), Paint::new(), ""),
        style.atom(&format!("by {}", entry.user), Paint::new(), ITEM_JOINER),
    ];
    if entry.run_status != RunStatus::Completed {
        atoms.push(style.atom(
            &format!("run {}", entry.run_status),
            Paint::new().dim(),
            ITEM_JOINER,
        ));
    }
    atoms.extend(style.words(&entry.name, Paint::new(), ITEM_JOINER));
    match &entry.changes {
        None if !entry.fields.is_empty() => {
            atoms.push(style.atom(
                &format!("fields: {}", fields_list(&entry.fields)),
                Paint::new(),
                ITEM_JOINER,
            ));
            atoms.extend(style.words(
                "(values not recorded by the crewsync of that run)",
                Paint::new().dim(),
                ITEM_JOINER,
            ));
        }
        None => {}
        Some(changes) => atoms.extend(changes.iter().map(|c| change_atom(c, style))),
    }
    if entry.outcome == EmployeeOutcome::Updated && !entry.not_cleared.is_empty() {
        atoms.extend(style.words(
            &crate::apply::not_cleared_text(&entry.not_cleared),
            Paint::new().yellow(),
            ITEM_JOINER,
        ));
    }
    if let Some(reason) = &entry.reason {
        // A reason's hint goes on its own line in a report; here it runs on.
        let reason = reason.replace('\n', " ");
        atoms.extend(style.words(&reason, Paint::new().dim(), ITEM_JOINER));
    }
    atoms
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
    run_text_in(detail, usize::MAX)
}

/// [`run_text`] wrapped to `width` terminal columns, for `crewsync history show`: long values
/// continue on lines indented under their start.
pub fn run_text_in(detail: &RunDetail, width: usize) -> String {
    let run = &detail.summary;
    let mut out = String::new();
    // Values can hold record text (a selection of codes, an error quoting a name).
    let mut line = |label: &str, value: &str| {
        out.push_str(&wrapped(&format!("{label:<11}"), 11, value, width));
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
            let text = format!(
                "{} {} ({}: {})",
                exact(&e.code),
                e.name,
                action_text(e.action),
                fields_list(&e.fields)
            );
            // Continuation lines hang under the name, so each employee still starts a line.
            out.push_str(&wrapped("  ", 4, &text, width));
            let why = match (&e.error, e.outcome) {
                (Some(error), _) => Some(error.as_str()),
                (None, None) => Some("not reached: the process ended before it"),
                (None, Some(_)) => None,
            };
            if let Some(why) = why {
                out.push_str(&wrapped("      ", 6, why, width));
            }
            if section == Section::Updated && !e.not_cleared.is_empty() {
                let held = crate::apply::not_cleared_text(&e.not_cleared);
                out.push_str(&wrapped("      ", 6, &held, width));
            }
        }
        for l in left {
            let code = l
                .code
                .as_deref()
                .map_or(std::borrow::Cow::Borrowed("(no code)"), exact);
            out.push_str(&wrapped("  ", 4, &format!("{code} {}", l.name), width));
            out.push_str(&wrapped("      ", 6, &l.reason, width));
        }
    }
    if run.counts.unchanged > 0 {
        let _ = writeln!(out, "\nUnchanged: {}", run.counts.unchanged);
    }
    out
}

/// `prefix` then `text` wrapped between words into `width` columns, continuation lines
/// indented by `indent` columns; ends with a newline.
fn wrapped(prefix: &str, indent: usize, text: &str, width: usize) -> String {
    let room = width
        .saturating_sub(indent.max(layout::width(prefix)))
        .max(MIN_TEXT_COLS);
    // A value's own line breaks (a reason and its hint) stay line breaks.
    let lines: Vec<_> = text
        .split('\n')
        .flat_map(|line| layout::wrap(Style::plain(width).words(line, Paint::new(), ""), room))
        .collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        out.push_str(if i == 0 { prefix } else { "" });
        if i > 0 {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(line);
        out.push('\n');
    }
    if lines.is_empty() {
        out.push_str(prefix.trim_end());
        out.push('\n');
    }
    out
}

/// Never wrap a value into fewer columns than this, however narrow the terminal.
const MIN_TEXT_COLS: usize = 20;

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
