//! `plan` and `apply`: fetch, plan, pick, confirm, write, report.

use super::out::{out, outln};
use super::progress::Bars;
use super::{ApplyArgs, Format, PlanArgs, PlanCommandArgs, Status};
use crewsync::apply::{self, ApplyReport, Chosen, Picked, Selection, Stop, Wait};
use crewsync::clock::today_jst;
use crewsync::config::Config;
use crewsync::error::Refused;
use crewsync::history::{EmailOutcome, RunStart, RunStatus};
use crewsync::plan::saved::SavedPlan;
use crewsync::plan::{Defaults, Plan, Status as RowStatus, View};
use crewsync::render::{self, Style};
use crewsync::rules::Rules;
use crewsync::workflow::{self, Connections, PlanRequest, Rosters, SyncError};
use std::io::IsTerminal;

/// The rosters and what they are planned with, before any plan.
pub struct Fetched {
    pub rosters: Rosters,
    pub defaults: Defaults,
}

/// What the flags ask a plan for.
fn plan_request(args: &PlanArgs) -> anyhow::Result<PlanRequest<'_>> {
    Ok(PlanRequest {
        direction: args.direction()?,
        as_of: args.as_of.unwrap_or_else(today_jst),
        office: args.office.as_deref(),
        employment_type: args.employment_type.as_deref(),
        rules: args.rules.as_deref(),
        words: super::errors::WORDS,
    })
}

/// Connects, with the clients' waits and retries shown above the bars.
fn connect(config: &Config, bars: &Bars) -> anyhow::Result<Connections> {
    let conn = Connections::from_config(config)?;
    show_waits(&conn, bars);
    Ok(conn)
}

/// The clients' waits and retries shown above the bars, and the services' pauses counted in
/// the bars' ETA.
fn show_waits(conn: &Connections, bars: &Bars) {
    conn.on_notice(bars.notice());
    bars.watch_pauses(conn.pauses());
}

/// [`workflow::fetch_for_plan`] for `watch`, which loads its rules itself.
pub async fn fetch(
    args: &PlanArgs,
    config: &Config,
    wait: Option<&Wait>,
    bars: &Bars,
) -> anyhow::Result<Fetched> {
    let request = plan_request(args)?;
    let conn = connect(config, bars)?;
    let fetched = workflow::fetch_for_plan(config, &conn, &request, wait, bars).await;
    bars.clear();
    let (rosters, defaults) = fetched?;
    Ok(Fetched { rosters, defaults })
}

/// [`workflow::prepare`] with the flags, or the configuration's rules folder: the plan made
/// now.
async fn prepare(args: &PlanArgs, config: &Config, bars: &Bars) -> anyhow::Result<SavedPlan> {
    let mut request = plan_request(args)?;
    request.rules = request.rules.or(config.rules.as_deref());
    let conn = connect(config, bars)?;
    let saved = workflow::prepare(config, &conn, &request, None, bars).await;
    bars.clear();
    saved.map_err(explained)
}

/// A workflow error as the CLI says it: a rules error with how to see it without fetching.
fn explained(e: SyncError) -> anyhow::Error {
    match &e {
        SyncError::Rules { dir, .. } => anyhow::anyhow!(
            "{e}\n  hint: this shows the same without fetching anything:\n  crewsync{} rules check --rules {}",
            super::given_config(),
            super::shell_word(&dir.display().to_string())
        ),
        _ => e.into(),
    }
}

/// Loads a rules folder, or explains every compile error at once.
pub fn load_rules(dir: &std::path::Path) -> anyhow::Result<Rules> {
    workflow::load_rules(dir).map_err(explained)
}

/// How tables are drawn on stdout.
pub fn style() -> Style {
    Style::for_term(&console::Term::stdout())
}

fn print_plan(saved: &SavedPlan, args: &PlanArgs) -> anyhow::Result<()> {
    // The table leaves unchanged rows out unless asked (they are counted in its summary):
    // eighty of them would bury the few rows that need a decision. JSON keeps every row.
    let hide_unchanged =
        matches!(args.format, Format::Table) && args.status.is_empty() && !args.all;
    let statuses = if hide_unchanged {
        vec![RowStatus::New, RowStatus::Changed, RowStatus::Invalid]
    } else {
        args.status.clone()
    };
    let filtered;
    let shown = if statuses.is_empty() {
        saved
    } else {
        filtered = saved.filtered(&View { statuses });
        &filtered
    };
    match args.format {
        Format::Table => out!("{}", render::plan_table(&shown.plan, &style())),
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&render::plan_json(shown)?)?
        ),
    }
    if hide_unchanged && saved.plan.summary.unchanged > 0 {
        outln!(
            "({} unchanged not listed; --all lists them)",
            saved.plan.summary.unchanged
        );
    }
    Ok(())
}

/// ` --config PATH` when the configuration is not the default one (see
/// [`super::config_flag_for`]).
pub fn config_flag(config: &Config) -> String {
    super::config_flag_for(&config.path)
}

/// `plan`: prints the plan.
pub async fn plan(args: &PlanArgs, config: Config) -> anyhow::Result<Status> {
    plan_command(
        &PlanCommandArgs {
            plan: args.clone(),
            out: None,
            detailed_exitcode: false,
        },
        config,
    )
    .await
}

/// `plan` with its own flags: prints the plan, saves it with `--out` (the rows shown, so that
/// `apply --plan` writes nothing the person did not see), and with `--detailed-exitcode` ends
/// 2 when a new or changed employee is pending.
pub async fn plan_command(args: &PlanCommandArgs, config: Config) -> anyhow::Result<Status> {
    let bars = Bars::new();
    let saved = prepare(&args.plan, &config, &bars).await?;
    print_plan(&saved, &args.plan)?;
    if let Some(path) = &args.out {
        let filtered;
        let shown = if args.plan.status.is_empty() {
            &saved
        } else {
            filtered = saved.filtered(&args.plan.view());
            &filtered
        };
        shown.write(path)?;
        // The command on a line of its own, as every hint: whole when copied at 80 columns.
        eprintln!(
            "Saved plan {} to {}; this writes exactly it:\n  crewsync{} apply --plan {}",
            saved.plan_id,
            path.display(),
            config_flag(&config),
            super::shell_word(&path.display().to_string())
        );
    }
    // Only the rows shown (and saved) are pending: `--status invalid` shows nothing to write,
    // so a job that asked for it is not told changes are pending.
    let view = args.plan.view();
    let pending = saved
        .plan
        .rows
        .iter()
        .filter(|r| r.status.is_actionable() && view.shows(r))
        .count();
    // 2 is also "some failed" for apply: Terraform's convention for "changes present".
    Ok(if args.detailed_exitcode && pending > 0 {
        Status::SomeFailed
    } else {
        Status::Done
    })
}

/// Why an apply ended before its first write.
enum Unstarted {
    /// Refused: an error for a person or cron to see; recorded and emailed with it.
    Refused(anyhow::Error),
    /// The person said no, or pressed Ctrl-C, before anything was written: exit 1 (as
    /// Terraform's declined apply) or 130, as README's "Exit status" says, since the sync asked
    /// for did not happen; only a person at a terminal can say no, so cron never sees it.
    Cancelled { why: String, status: Status },
}

impl From<anyhow::Error> for Unstarted {
    fn from(e: anyhow::Error) -> Unstarted {
        Unstarted::Refused(e)
    }
}

impl From<crewsync::workflow::SyncError> for Unstarted {
    fn from(e: SyncError) -> Unstarted {
        Unstarted::Refused(explained(e))
    }
}

/// The terminal's part in an apply ([`workflow::Front`]): the rows picked by `--select` or
/// ticked in a list, and the confirmation (`--yes`, or a prompt); the workflow decides when
/// each is asked.
struct Terminal<'a> {
    args: &'a ApplyArgs,
    bars: &'a Bars,
    /// Only a person at a terminal can tick rows or answer a prompt.
    interactive: bool,
}

impl workflow::Front for Terminal<'_> {
    type Halt = Unstarted;

    fn connected(&mut self, conn: &Connections) {
        show_waits(conn, self.bars);
    }

    fn choose(&mut self, saved: &SavedPlan) -> Result<(Vec<usize>, Chosen<'_>), Unstarted> {
        self.bars.clear();
        let plan = &saved.plan;
        let view = self.args.plan.view();
        match &self.args.select {
            Some(selection) => Ok((
                selection.pick(plan, &view).map_err(anyhow::Error::from)?,
                Chosen::Selection(selection),
            )),
            None if self.interactive => {
                print_plan(saved, &self.args.plan)?;
                Ok((pick_interactively(plan, &view)?, Chosen::Ticked))
            }
            None => Err(anyhow::Error::from(Refused::NoSelection).into()),
        }
    }

    fn confirm(&mut self, plan: &Plan, writes: usize) -> Result<(), Unstarted> {
        if self.args.yes {
            return Ok(());
        }
        let target = plan.direction.target();
        if !self.interactive {
            Err(anyhow::Error::from(Refused::NoConfirmation {
                writes,
                target,
            }))?;
        }
        let confirmed = prompted(
            dialoguer::Confirm::new()
                .with_prompt(format!("Write {writes} employee(s) to {target}?"))
                .default(false)
                .interact(),
            "reading the confirmation",
        )?;
        if confirmed {
            Ok(())
        } else {
            Err(Unstarted::Cancelled {
                why: "cancelled at the confirmation; nothing was written".to_string(),
                status: Status::CouldNotRun,
            })
        }
    }
}

const CANCELLED_BY_CTRL_C: &str = "stopped by the user (Ctrl-C) before anything was written";

pub async fn apply(args: &ApplyArgs, config: Config) -> anyhow::Result<Status> {
    let stop = Stop::default();
    let bars = Bars::new();
    listen_for_ctrl_c(&stop, &bars);
    let selection = args
        .select
        .as_ref()
        .map_or(Picked::Terminal, |s| Picked::Select {
            select: s.to_string(),
        });
    let saved = match &args.saved {
        Some(path) => match SavedPlan::read(path) {
            Ok(mut saved) => {
                saved.plan.words = super::errors::WORDS;
                Some((path.as_path(), saved))
            }
            Err(e) => return unreadable_plan(&config, path, e, &selection, args.plan.format).await,
        },
        None => None,
    };
    // Filled in as the apply goes, so that one refused at any point is recorded with what was
    // known by then.
    let mut start = RunStart {
        direction: match &saved {
            Some((_, s)) => s.plan.direction,
            None => args.plan.direction()?,
        },
        as_of: match &saved {
            Some((_, s)) => s.plan.as_of,
            None => args.plan.as_of.unwrap_or_else(today_jst),
        },
        user: crewsync::history::os_user(),
        selection: match &saved {
            Some((path, s)) => Picked::SavedPlan {
                picked: Box::new(selection),
                plan: Some(s.plan_id.clone()),
                path: path.display().to_string(),
            },
            None => selection,
        },
        defaults: match &saved {
            Some((_, s)) => saved_defaults_text(&s.defaults),
            None => defaults_text(&args.plan),
        },
        rules: None,
        planned: Vec::new(),
        left_out: Vec::new(),
        unchanged: 0,
    };
    let wait = args.wait.then(|| {
        Wait::new(
            config.maintenance_windows.clone(),
            config.window_poll,
            config.max_wait,
        )
    });
    let source = match saved {
        Some((path, saved)) => workflow::Source::File { path, saved },
        None => {
            let mut request = plan_request(&args.plan)?;
            request.rules = request.rules.or(config.rules.as_deref());
            workflow::Source::Now(request)
        }
    };
    let mut terminal = Terminal {
        args,
        bars: &bars,
        interactive: std::io::stdin().is_terminal() && std::io::stdout().is_terminal(),
    };
    let allowed = workflow::Allowed {
        clear: allow_clear(args),
        force: args.force,
        wait: wait.as_ref(),
    };
    let ready = tokio::select! {
        ready = async {
            let locked =
                workflow::lock_in(&config, source, &mut terminal, &allowed, &mut start, &bars)
                    .await?;
            Ok(locked.open(&config, wait.as_ref(), &bars).await?)
        } => ready,
        () = stop.pressed(1) => Err(Unstarted::Cancelled {
            why: CANCELLED_BY_CTRL_C.to_string(),
            status: Status::Interrupted,
        }),
    };
    bars.clear();
    restore_terminal();
    let ready = match ready {
        Ok(ready) => ready,
        Err(unstarted) => {
            return leave_trace(&config, &start, unstarted, args.plan.format).await;
        }
    };
    let direction = ready.saved.plan.direction;
    if ready.chosen.is_empty() {
        eprintln!("Nothing to apply: no new or changed employee is selected.");
    }
    if !ready.stale.is_empty() {
        eprintln!(
            "warning: {} employee(s) changed in {} since the plan was made and are not written (stale); make a new plan to pick them up.",
            ready.stale.len(),
            direction.target()
        );
    }
    let history = ready.history.path().to_path_buf();
    let recorded = ready
        .apply(
            &config,
            start,
            apply::Options {
                wait,
                stop: stop.clone(),
                allow_clear: allow_clear(args),
                circuit_breaker: Some(config.circuit_breaker),
            },
            &bars,
        )
        .await;
    bars.clear();
    // A second Ctrl-C may have cut a prompt's or a bar's drawing short.
    restore_terminal();
    let recorded = recorded?;
    print_report(&recorded.report, args.plan.format)?;
    if let Some(why) = &recorded.report.stopped {
        eprintln!("error: {why}");
    }
    report_email(recorded.email.as_ref());
    eprintln!(
        // The command on a line of its own, as every hint: whole when copied at 80 columns.
        "Recorded as run {} in {}; to see it:\n  crewsync{} history show {}",
        recorded.report.run_id,
        history.display(),
        config_flag(&config),
        recorded.report.run_id
    );
    let status = exit_status(&recorded.report, args.strict);
    if status == Status::Interrupted {
        let s = recorded.report.summary;
        let abandoned: Vec<String> = recorded
            .report
            .results
            .iter()
            .filter(|r| apply::abandoned(r))
            .map(|r| crewsync::text::exact(&r.code).into_owned())
            .collect();
        let unknown = match abandoned.as_slice() {
            [] => String::new(),
            codes => format!(
                " (among them {}, whose write was abandoned in flight: whether {} applied it is unknown, and the next apply re-checks it)",
                codes.join(", "),
                direction.target()
            ),
        };
        eprintln!(
            "Stopped by Ctrl-C: {} written, {} failed, {} not attempted{unknown}. Running the same apply again finishes the rest.",
            s.created + s.updated,
            s.failed,
            s.not_attempted
        );
    }
    Ok(status)
}

/// A saved plan [`SavedPlan::read`] refused (another format version, a file cut short or
/// empty) is recorded as a refused run like any other refused apply (README: every apply that
/// read a valid configuration is), with the direction and date its text still names. A file
/// that names no direction cannot be: the history keeps a direction for every run, and
/// inventing one would be untrue; that is said.
async fn unreadable_plan(
    config: &Config,
    path: &std::path::Path,
    e: crewsync::plan::saved::SavedPlanError,
    selection: &Picked,
    format: Format,
) -> anyhow::Result<Status> {
    let Some((direction, as_of)) = SavedPlan::peek(path) else {
        eprintln!(
            "note: not recorded in the history: {} names no direction to record the run under",
            path.display()
        );
        return Err(e.into());
    };
    let start = RunStart {
        direction,
        as_of: as_of.unwrap_or_else(today_jst),
        user: crewsync::history::os_user(),
        selection: Picked::SavedPlan {
            picked: Box::new(selection.clone()),
            plan: None,
            path: path.display().to_string(),
        },
        defaults: workflow::UNKNOWN_DEFAULTS.to_string(),
        rules: None,
        planned: Vec::new(),
        left_out: Vec::new(),
        unchanged: 0,
    };
    leave_trace(config, &start, Unstarted::Refused(e.into()), format).await
}

/// The clears of unreadable fields the person allowed: `--allow-clear FIELD`, or all with
/// `--force`.
fn allow_clear(args: &ApplyArgs) -> apply::AllowClear {
    apply::AllowClear {
        all: args.force,
        fields: args.allow_clear.iter().copied().collect(),
    }
}

/// A prompt's answer; Ctrl-C at the prompt is the person cancelling, not an error.
fn prompted<T>(answer: dialoguer::Result<T>, doing: &'static str) -> Result<T, Unstarted> {
    match answer {
        Ok(answer) => Ok(answer),
        Err(dialoguer::Error::IO(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            Err(Unstarted::Cancelled {
                why: CANCELLED_BY_CTRL_C.to_string(),
                status: Status::Interrupted,
            })
        }
        Err(e) => Err(Unstarted::Refused(anyhow::Error::from(e).context(doing))),
    }
}

/// A prompt interrupted half-way leaves the cursor hidden; showing it again is harmless when
/// it is not.
fn restore_terminal() {
    for term in [console::Term::stderr(), console::Term::stdout()] {
        if term.is_term() {
            let _ = term.show_cursor();
        }
    }
}

/// Ctrl-C no longer ends the process at once: the first press stops the run after the write in
/// flight, the second abandons that write, and the third ends the process (for a run stuck
/// elsewhere, e.g. sending its email).
fn listen_for_ctrl_c(stop: &Stop, bars: &Bars) {
    let (stop, bars) = (stop.clone(), bars.clone());
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // Registered now, not when the task first runs, so that a Ctrl-C at a prompt shown
        // straight away (which the prompt turns into SIGINT) does not end the process.
        let Ok(mut interrupts) = signal(SignalKind::interrupt()) else {
            return;
        };
        tokio::spawn(async move {
            while interrupts.recv().await.is_some() {
                pressed(&stop, &bars);
            }
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            pressed(&stop, &bars);
        }
    });
}

/// Says what a press does above the progress bar, which it would otherwise break in two.
fn pressed(stop: &Stop, bars: &Bars) {
    stop.press();
    match stop.presses() {
        1 => bars.say(
            "\nCtrl-C: stopping; nothing more is written after the write in flight (Ctrl-C again abandons it).",
        ),
        2 => bars.say("\nCtrl-C again: abandoning the write in flight."),
        _ => {
            restore_terminal();
            std::process::exit(Status::Interrupted as i32);
        }
    }
}

/// Records and emails an apply that never began writing, then ends it: with the refusal's
/// error, or the cancellation's status.
async fn leave_trace(
    config: &Config,
    start: &RunStart,
    unstarted: Unstarted,
    format: Format,
) -> anyhow::Result<Status> {
    let (status, why, result) = match unstarted {
        Unstarted::Refused(e) => (RunStatus::Refused, format!("{e:#}"), Err(e)),
        Unstarted::Cancelled { why, status } => (RunStatus::Stopped, why, Ok(status)),
    };
    if result.is_ok() {
        eprintln!("{}.", capitalised(&why));
    }
    let trace = workflow::record_unstarted(config, start, status, &why).await;
    // The report on stdout even so: a script reading JSON learns that the run did not start
    // and why; a person sees who was left undone once there was a plan.
    let planned = !(start.planned.is_empty() && start.left_out.is_empty() && start.unchanged == 0);
    if planned || matches!(format, Format::Json) {
        print_report(&trace.report, format)?;
    }
    for warning in &trace.warnings {
        eprintln!("warning: {warning}");
    }
    report_email(trace.email.as_ref());
    if let Some(run) = &trace.run {
        eprintln!(
            "Recorded as {status} run {run} in {}; to see it:\n  crewsync{} history show {run}",
            config.history.display(),
            config_flag(config)
        );
    }
    result
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn report_email(email: Option<&EmailOutcome>) {
    match email {
        Some(EmailOutcome::Failed(e)) => {
            eprintln!("warning: the result email was not sent (the run itself is unaffected): {e}")
        }
        Some(EmailOutcome::Sent) => eprintln!("The result was emailed."),
        None => {}
    }
}

/// A saved plan's defaults as [`defaults_text`] words them.
fn saved_defaults_text(defaults: &Defaults) -> String {
    let parts: Vec<String> = [
        ("office", &defaults.office),
        ("employment_type", &defaults.employment_type),
    ]
    .into_iter()
    .filter_map(|(key, item)| item.as_ref().map(|i| format!("{key}={}", i.name)))
    .collect();
    if parts.is_empty() {
        workflow::NO_DEFAULTS.into()
    } else {
        parts.join(", ")
    }
}

fn defaults_text(args: &PlanArgs) -> String {
    workflow::defaults_text(args.office.as_deref(), args.employment_type.as_deref())
}

fn print_report(report: &ApplyReport, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Table => out!("{}", render::apply_table(report, &style())),
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&render::apply_json(report))?
        ),
    }
    Ok(())
}

/// Stopped by Ctrl-C: 130, as a shell reports an interrupted command. Ran, but a chosen
/// employee failed (also when failures stopped it: the circuit breaker) or was held back, or,
/// with `--strict`, the plan has invalid rows nobody synced: 2. Cut short otherwise before
/// anything failed (an access window, `max_wait_minutes`): could not run to the end (1).
fn exit_status(report: &ApplyReport, strict: bool) -> Status {
    let s = report.summary;
    match &report.stopped {
        Some(why) if apply::stopped_by_user(why) => Status::Interrupted,
        Some(_) if s.failed > 0 => Status::SomeFailed,
        Some(_) => Status::CouldNotRun,
        None if s.failed + s.not_attempted > 0 || (strict && s.invalid > 0) => Status::SomeFailed,
        None => Status::Done,
    }
}

/// The keys of the tick list, said before it opens (dialoguer's MultiSelect: `a` ticks or
/// unticks every row, `q` cancels like Esc, other keys do nothing).
pub const TICK_KEYS: &str =
    "space ticks or unticks · a: all · ↑/↓ move · enter goes on · esc cancels";
/// The tick list's prompt.
pub const TICK_PROMPT: &str = "Tick the employees to sync";

/// The closed feature's tick boxes, in a terminal: only new and changed rows that were shown
/// can be ticked, each showing what would change. Esc cancels.
fn pick_interactively(plan: &Plan, view: &View) -> Result<Vec<usize>, Unstarted> {
    let candidates = Selection::All
        .pick(plan, view)
        .map_err(anyhow::Error::from)?;
    if candidates.is_empty() {
        return Ok(vec![]);
    }
    let term = console::Term::stderr();
    let cols = term
        .size_checked()
        .map_or(render::DEFAULT_WIDTH, |(_, c)| usize::from(c));
    // dialoguer draws `> [x] ` before each item.
    let labels = render::tick_labels(plan, &candidates, cols.saturating_sub(7).max(20));
    let defaults: Vec<bool> = candidates.iter().map(|&i| plan.rows[i].selected).collect();
    eprintln!("{TICK_KEYS}");
    let picked = prompted(
        dialoguer::MultiSelect::new()
            .with_prompt(TICK_PROMPT)
            .items(&labels)
            .defaults(&defaults)
            // The choice is echoed as a count below, not as one long line of every label.
            .report(false)
            .interact_on_opt(&term),
        "reading the selection",
    )?;
    let Some(picked) = picked else {
        return Err(Unstarted::Cancelled {
            why: "cancelled at the tick list; nothing was written".to_string(),
            status: Status::CouldNotRun,
        });
    };
    eprintln!(
        "{TICK_PROMPT}: {} of {} ticked.",
        picked.len(),
        candidates.len()
    );
    Ok(picked.into_iter().map(|k| candidates[k]).collect())
}
