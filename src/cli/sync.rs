//! `plan` and `apply`: fetch, plan, pick, confirm, write, report.

use super::progress::Bars;
use super::{ApplyArgs, Format, PlanArgs, Status};
use anyhow::{Context, bail};
use crewsync::apply::{self, ApplyReport, Outcome, Selection};
use crewsync::config::Config;
use crewsync::history::{EmailOutcome, History, RunLock};
use crewsync::plan::{Defaults, NoRules, Plan, Policy, Status as RowStatus};
use crewsync::render::{self, Style};
use crewsync::rules::Rules;
use crewsync::sync::{self, Connections, Rosters, Target};
use crewsync::window;
use std::io::IsTerminal;

/// Today in JST, the default reference date: the APIs and the people using them are in Japan.
fn today_jst() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&window::jst())
        .date_naive()
}

/// The rosters and what they are planned with, before any plan.
pub struct Fetched {
    pub config: Config,
    pub conn: Connections,
    pub rosters: Rosters,
    pub defaults: Defaults,
}

/// Connects, checks the access windows, fetches both sides and resolves the defaults.
pub async fn fetch(
    args: &PlanArgs,
    config: Config,
    wait: bool,
    bars: &Bars,
) -> anyhow::Result<Fetched> {
    let conn = Connections::from_config(&config)?;
    guard_windows(&config, wait).await?;
    let as_of = args.as_of.unwrap_or_else(today_jst);
    let rosters = sync::fetch(&conn, args.direction, as_of, bars).await;
    bars.clear();
    let rosters = rosters?;
    let defaults = sync::resolve_defaults(
        args.direction,
        &rosters.masters,
        args.office.as_deref(),
        args.employment_type.as_deref(),
    )?;
    Ok(Fetched {
        config,
        conn,
        rosters,
        defaults,
    })
}

/// Everything up to the plan, shared by `plan` and `apply`.
pub struct Planned {
    pub config: Config,
    /// The rules folder and its fingerprint, when rules decided.
    pub rules: Option<String>,
    pub conn: Connections,
    pub plan: Plan,
}

pub async fn prepare(
    args: &PlanArgs,
    config: Config,
    wait: bool,
    bars: &Bars,
) -> anyhow::Result<Planned> {
    let Fetched {
        config,
        conn,
        rosters,
        defaults,
    } = fetch(args, config, wait, bars).await?;
    let rules_dir = args.rules.clone().or_else(|| config.rules.clone());
    let rules = rules_dir.as_deref().map(load_rules).transpose()?;
    let policy: &dyn Policy = match &rules {
        Some(r) => r,
        None => &NoRules,
    };
    // The rosters are handed over, not copied: a plan of 50,000 employees a side would
    // otherwise hold them twice.
    let plan = sync::plan(rosters, &defaults, policy);
    Ok(Planned {
        rules: rules_dir.as_deref().map(sync::rules_fingerprint),
        config,
        conn,
        plan,
    })
}

/// Loads a rules folder, or explains every compile error at once.
pub fn load_rules(dir: &std::path::Path) -> anyhow::Result<Rules> {
    Rules::load(dir).map_err(|e| {
        anyhow::anyhow!(
            "the rules in {} do not compile:\n{e}\n  hint: `crewsync rules check --rules {}` shows the same without fetching anything",
            dir.display(),
            dir.display()
        )
    })
}

/// Refuses to start inside a configured KOT access window (or, with `--wait`, waits it out):
/// every direction reads or writes KOT, and a run cut off half-way is what the guard exists
/// to prevent.
async fn guard_windows(config: &Config, wait: bool) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    if let Some(inside) = window::inside(&config.maintenance_windows, now) {
        if wait {
            eprintln!("{inside}; waiting (--wait).");
            tokio::time::sleep(inside.wait(now)).await;
            return Ok(());
        }
        bail!(
            "{inside}.\n  hint: run again after {}, or schedule runs outside {}",
            inside.reopens.format("%H:%M JST"),
            config
                .maintenance_windows
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join(" and ")
        );
    }
    Ok(())
}

/// How tables are drawn on stdout.
pub fn style() -> Style {
    Style::for_term(&console::Term::stdout())
}

fn print_plan(plan: &Plan, args: &PlanArgs) -> anyhow::Result<()> {
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
        plan
    } else {
        filtered = plan.filtered(&statuses);
        &filtered
    };
    match args.format {
        Format::Table => print!("{}", render::plan_table(shown, &style())),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&render::plan_json(shown))?
        ),
    }
    if hide_unchanged && plan.summary.unchanged > 0 {
        println!(
            "({} unchanged not listed; --all lists them)",
            plan.summary.unchanged
        );
    }
    Ok(())
}

/// ` --config PATH` when the configuration is not the default one, so that a command a hint
/// names finds the same configuration (and history) when copied.
pub fn config_flag(config: &Config) -> String {
    if config.path == std::path::Path::new(crewsync::config::DEFAULT_PATH) {
        String::new()
    } else {
        format!(" --config {}", config.path.display())
    }
}

pub async fn plan(args: &PlanArgs, config: Config) -> anyhow::Result<Status> {
    let bars = Bars::new();
    let planned = prepare(args, config, false, &bars).await?;
    print_plan(&planned.plan, args)?;
    Ok(Status::Done)
}

pub async fn apply(args: &ApplyArgs, config: Config) -> anyhow::Result<Status> {
    // Taken first, so a second apply is refused before it fetches anything.
    let lock = RunLock::acquire(&config.history)?;
    let history = History::open(&config.history)?;
    let bars = Bars::new();
    let planned = prepare(&args.plan, config, args.wait, &bars).await?;
    let plan = &planned.plan;
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let chosen = match &args.select {
        Some(selection) => selection.pick(plan)?,
        None if interactive => {
            print_plan(plan, &args.plan)?;
            match pick_interactively(plan)? {
                Some(picked) => picked,
                None => {
                    eprintln!("Cancelled; nothing was written.");
                    return Ok(Status::Done);
                }
            }
        }
        None => bail!(
            "apply is not running in a terminal, so it cannot ask which employees to sync.\n  hint: add --select all (or auto, or CODE,CODE,...) and --yes"
        ),
    };
    if chosen.is_empty() {
        eprintln!("Nothing to apply: no new or changed employee is selected.");
        return Ok(Status::Done);
    }
    guard_mass_change(&planned.config, plan, chosen.len(), args.force)?;
    let target_name = args.plan.direction.target();
    if !args.yes {
        if !interactive {
            bail!(
                "apply would write {} employee(s) to {target_name} and needs confirmation.\n  hint: add --yes to confirm without a terminal",
                chosen.len()
            );
        }
        let confirmed = dialoguer::Confirm::new()
            .with_prompt(format!(
                "Write {} employee(s) to {target_name}?",
                chosen.len()
            ))
            .default(false)
            .interact()
            .context("reading the confirmation")?;
        if !confirmed {
            eprintln!("Cancelled; nothing was written.");
            return Ok(Status::Done);
        }
    }
    let target = Target::new(&planned.conn, args.plan.direction, plan.as_of);
    let options = apply::Options {
        wait: args.wait.then(|| apply::Wait {
            windows: planned.config.maintenance_windows.clone(),
            poll: planned.config.window_poll,
        }),
    };
    let recorded = sync::apply_recorded(
        &planned.config,
        &history,
        &lock,
        &target,
        sync::Request {
            plan,
            chosen: &chosen,
            selection: args
                .select
                .as_ref()
                .map_or_else(|| "picked in a terminal".to_string(), |s| s.to_string()),
            defaults: defaults_text(&args.plan),
            rules: planned.rules.clone(),
            options,
        },
        &bars,
    )
    .await;
    bars.clear();
    let recorded = recorded?;
    print_report(&recorded.report, args.plan.format)?;
    match &recorded.email {
        Some(EmailOutcome::Failed(e)) => {
            eprintln!("warning: the result email was not sent (the run itself is unaffected): {e}")
        }
        Some(EmailOutcome::Sent) => eprintln!("The result was emailed."),
        None => {}
    }
    eprintln!(
        "Recorded as run {} in {}; see `crewsync{} history show {}`.",
        recorded.report.run_id,
        history.path().display(),
        config_flag(&planned.config),
        recorded.report.run_id
    );
    Ok(exit_status(&recorded.report))
}

fn defaults_text(args: &PlanArgs) -> String {
    let mut parts = vec![];
    if let Some(o) = &args.office {
        parts.push(format!("office={o}"));
    }
    if let Some(t) = &args.employment_type {
        parts.push(format!("employment_type={t}"));
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

/// `max_changes`: an apply that would write more than the configured share of the roster is
/// more likely a mistake (a wrong date, a wrong tenant) than an intention.
fn guard_mass_change(
    config: &Config,
    plan: &Plan,
    writes: usize,
    force: bool,
) -> anyhow::Result<()> {
    let Some(max) = config.max_changes else {
        return Ok(());
    };
    let limit = max.limit(plan.rows.len());
    if writes > limit && !force {
        bail!(
            "apply would write {writes} employees, more than max_changes allows ({limit} of a roster of {}).\n  hint: check the direction and --as-of with `crewsync plan`; if this is intended, add --force",
            plan.rows.len()
        );
    }
    Ok(())
}

fn print_report(report: &ApplyReport, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Table => print!("{}", render::apply_table(report, &style())),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&render::apply_json(report))?
        ),
    }
    if let Some(why) = &report.stopped {
        eprintln!("error: {why}");
    }
    Ok(())
}

/// A run cut short by an access window could not run to the end (1); one that ran with
/// failures is 2.
fn exit_status(report: &ApplyReport) -> Status {
    if report.stopped.is_some() {
        Status::CouldNotRun
    } else if report.results.iter().any(|r| r.outcome == Outcome::Failed) {
        Status::SomeFailed
    } else {
        Status::Done
    }
}

/// The keys of the tick list, said before it opens (dialoguer's MultiSelect: `a` ticks or
/// unticks every row, `q` cancels like Esc, other keys do nothing).
pub const TICK_KEYS: &str =
    "space ticks or unticks · a ticks or unticks all · ↑/↓ move · enter goes on · esc cancels";
/// The tick list's prompt.
pub const TICK_PROMPT: &str = "Tick the employees to sync";

/// The closed feature's tick boxes, in a terminal: only new and changed rows can be ticked,
/// each showing what would change. `None` when the person cancelled with Esc.
fn pick_interactively(plan: &Plan) -> anyhow::Result<Option<Vec<usize>>> {
    let candidates = Selection::All.pick(plan)?;
    if candidates.is_empty() {
        return Ok(Some(vec![]));
    }
    let term = console::Term::stderr();
    let cols = term
        .size_checked()
        .map_or(render::DEFAULT_WIDTH, |(_, c)| usize::from(c));
    // dialoguer draws `> [x] ` before each item.
    let labels = render::tick_labels(plan, &candidates, cols.saturating_sub(7).max(20));
    let defaults: Vec<bool> = candidates.iter().map(|&i| plan.rows[i].selected).collect();
    eprintln!("{TICK_KEYS}");
    let picked = dialoguer::MultiSelect::new()
        .with_prompt(TICK_PROMPT)
        .items(&labels)
        .defaults(&defaults)
        // The choice is echoed as a count below, not as one long line of every label.
        .report(false)
        .interact_on_opt(&term)
        .context("reading the selection")?;
    let Some(picked) = picked else {
        return Ok(None);
    };
    eprintln!(
        "{TICK_PROMPT}: {} of {} ticked.",
        picked.len(),
        candidates.len()
    );
    Ok(Some(picked.into_iter().map(|k| candidates[k]).collect()))
}
