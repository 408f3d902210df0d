//! Command-line arguments and the dispatch to each command.

mod demo;
pub mod errors;
mod history;
pub mod log;
mod man;
mod out;
mod plan_apply;
mod progress;
mod rules;
mod serve;

use chrono::NaiveDate;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use crewsync::config::Config;
use crewsync::model::Direction;
use crewsync::plan::Status as RowStatus;
use std::path::PathBuf;

/// What a run ended with; the numbers are the process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Done = 0,
    CouldNotRun = 1,
    SomeFailed = 2,
    /// Stopped by Ctrl-C, as shells report a command ended by SIGINT.
    Interrupted = 130,
}

/// Paragraphs without line breaks of their own: clap wraps them to the terminal (`wrap_help`).
const AFTER_HELP: &str = "\
Exit status: 0 done (or nothing to do); 1 could not run, or stopped before the end (bad \
arguments or configuration, authentication, network, access window, another apply running, \
max_changes, a refused saved plan, a declined confirmation); 2 ran, but at least one \
selected employee failed or was not attempted, stale ones included (with --strict also: the \
plan has invalid employees; for `plan --detailed-exitcode`: changes are pending); 130 \
stopped by Ctrl-C.

Tokens are read from the environment variables the configuration names \
(SMARTHR_ACCESS_TOKEN and KOT_ACCESS_TOKEN by default), never from the file.

Try it without any setup: crewsync demo";

/// The version line: the package version and, when it was built from a git checkout, the
/// commit (written by `build.rs`), so a bug report names exactly what ran.
const VERSION: &str = match option_env!("CREWSYNC_GIT_COMMIT") {
    Some(_) => concat!(
        env!("CARGO_PKG_VERSION"),
        " (",
        env!("CREWSYNC_GIT_COMMIT"),
        ")"
    ),
    None => env!("CARGO_PKG_VERSION"),
};

/// Keeps employee master data in step between SmartHR and KING OF TIME.
#[derive(Debug, Parser)]
// Help wraps to the terminal (or COLUMNS), at most 100 columns: a wide terminal still gets
// lines a person can read.
#[command(name = "crewsync", version = VERSION, about, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log every request to SmartHR and KING OF TIME on stderr (method, URL, status, time,
    /// rate-limit headers, retries and waits; never a token). RUST_LOG filters it further.
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// The configuration file (before or after the command).
    #[arg(long, value_name = "PATH", default_value = crewsync::config::DEFAULT_PATH, global = true)]
    pub config: PathBuf,
    /// When to colour the output. Under `auto` (the default), NO_COLOR in the environment or
    /// a pipe means no colour; `always` and `never` are obeyed whatever the environment says
    /// (an explicit flag wins over NO_COLOR, as no-color.org allows).
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub color: ColorChoice,
    /// Whether `--config` was given on the command line (rather than left to its default):
    /// what `serve --demo`, which reads no configuration, refuses.
    #[arg(skip)]
    pub config_given: bool,
}

impl Cli {
    /// The arguments of this process, noting whether `--config` was given.
    pub fn parse_noting_config() -> Result<Cli, clap::Error> {
        use clap::FromArgMatches;
        let matches = Cli::command().try_get_matches()?;
        let mut cli = Cli::from_arg_matches(&matches)?;
        cli.config_given =
            matches.value_source("config") == Some(clap::parser::ValueSource::CommandLine);
        Ok(cli)
    }
}

/// `--color`: `auto` colours only a terminal and honours `NO_COLOR` and `CLICOLOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Sets colouring for everything that paints through `console` (tables, prompts, progress
    /// bars); `auto` leaves console's own detection (terminal, `NO_COLOR`, `CLICOLOR`) alone.
    pub fn apply(self) {
        let forced = match self {
            ColorChoice::Auto => return,
            ColorChoice::Always => true,
            ColorChoice::Never => false,
        };
        console::set_colors_enabled(forced);
        console::set_colors_enabled_stderr(forced);
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what a sync would do to each employee (new / changed / unchanged / invalid). Writes nothing.
    Plan(PlanCommandArgs),
    /// Sync the selected employees: plan, pick, confirm, write, report.
    Apply(ApplyArgs),
    /// Run the whole workflow against built-in simulators: no token, no network, no setup.
    Demo,
    /// Serve the SmartHR and KING OF TIME simulators on 127.0.0.1 until Ctrl-C.
    Simulate(SimulateArgs),
    /// The sync history (連携履歴): every apply, newest first; `history show RUN_ID` for one
    /// run, `history employee CODE` for one employee across runs.
    History(HistoryArgs),
    /// Start, check or test a folder of Rhai rules without touching any service.
    Rules(RulesArgs),
    /// Fetch the rosters once, then re-plan on every save of the rules and show what changed.
    Watch(PlanArgs),
    /// Serve the 連携ダッシュボード (the sync wizard in a browser) on 127.0.0.1.
    Serve(serve::ServeArgs),
    /// Print a shell completion script, e.g. `crewsync completions bash > ~/.local/share/bash-completion/completions/crewsync`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), e.g. `crewsync man plan > crewsync-plan.1 && man
    /// ./crewsync-plan.1`, or write every page with `--out DIR`.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print, e.g. `plan` or `history show`; none: crewsync's own
    /// page (crewsync.1).
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Write every page into this folder instead (crewsync.1, crewsync-plan.1,
    /// crewsync-history-show.1, ...: one per command, as the pages refer to each other), e.g.
    /// to install them into /usr/local/share/man/man1.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
    /// The rules folder. Default: the configuration's `rules:` key when the configuration
    /// has one, else ./rules.
    #[arg(long, value_name = "DIR", global = true)]
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Write the example rules, with their tests and a README, into a new rules folder to
    /// start from. Never overwrites a file.
    Init,
    /// Compile every rules file, table and test file; report each error as file:line:col.
    Check,
    /// Run the rule tests kept beside the rules; print a diff for each failure.
    Test,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub show: Option<HistoryCommand>,
    /// List only the newest N runs (0: all of them), as one page of N.
    #[arg(long, value_name = "N", value_parser = parse_limit, allow_negative_numbers = true, conflicts_with_all = ["page", "per_page"])]
    pub limit: Option<usize>,
    /// Only runs that touched this employee (社員番号): written, failed, not attempted or left
    /// out. Matched as the plan matches codes, so " 00123" and "００１２３" find 00123.
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
    #[command(flatten)]
    pub filter: HistoryFilterArgs,
    /// Output for people (table) or for scripts (json).
    #[arg(long, value_enum, default_value = "table", global = true)]
    pub format: Format,
}

/// What `history` and `history employee` are narrowed to, and which page they show. Each
/// of the two has its own (not `global`), so that `history show --help` lists only what
/// `history show` accepts; `history --since D employee CODE`, the order that worked when they
/// were global, still does.
#[derive(Debug, Clone, Args)]
pub struct HistoryFilterArgs {
    /// Only runs with one of these outcomes, comma-separated: a run's status (running,
    /// completed, completed_with_failures, stopped, interrupted, refused) or an employee's
    /// (created, updated, failed, not_attempted, invalid, not_selected, excluded; with --code
    /// or `history employee`, that employee's).
    #[arg(long, value_delimiter = ',', value_parser = parse_outcome, value_name = "OUTCOME")]
    pub outcome: Vec<crewsync::history::OutcomeFilter>,
    /// Only runs started on or after this day (JST).
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    pub since: Option<NaiveDate>,
    /// Only runs started on or before this day (JST).
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    pub until: Option<NaiveDate>,
    /// Only runs in this direction.
    #[arg(long, value_parser = parse_direction, value_name = "kot-to-smarthr|smarthr-to-kot")]
    pub direction: Option<Direction>,
    /// Which page to show, from 1 (newest first). Default: 1.
    #[arg(long, value_parser = parse_page, value_name = "N", allow_negative_numbers = true)]
    pub page: Option<usize>,
    /// How many entries a page shows. Default: 20.
    #[arg(long, value_parser = parse_page, value_name = "N", allow_negative_numbers = true)]
    pub per_page: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// One run in full: who, when, what was asked, and every employee's outcome.
    Show {
        /// The run id, as `crewsync history` lists it.
        run_id: String,
    },
    /// One employee (社員番号) across runs, newest first: when they were last synced, and
    /// what each run wrote (old → new) or why it did not.
    Employee {
        /// The employee code (社員番号), matched as the plan matches codes.
        code: String,
        #[command(flatten)]
        filter: HistoryFilterArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// Which way to sync (required, except with `apply --plan`, whose plan says it).
    #[arg(long, value_parser = parse_direction, value_name = "kot-to-smarthr|smarthr-to-kot")]
    pub direction: Option<Direction>,
    /// The reference date: only employees employed on it are synced. Default: today (JST).
    #[arg(long, value_parser = parse_date, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
    /// Office for new employees: a SmartHR office (id or exact name) for kot-to-smarthr, a KOT
    /// division (code or exact name) for smarthr-to-kot. Updates never change it.
    #[arg(long, value_name = "ID_OR_NAME")]
    pub office: Option<String>,
    /// KOT employment (working) type for new employees (code or exact name); smarthr-to-kot only.
    #[arg(long, value_name = "CODE_OR_NAME")]
    pub employment_type: Option<String>,
    /// Show only these statuses (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "new,changed,unchanged,invalid"
    )]
    pub status: Vec<RowStatus>,
    /// List unchanged employees in the table too (it counts them, but leaves them out by
    /// default so that what would change stands out). JSON always has every row.
    #[arg(long, conflicts_with = "status")]
    pub all: bool,
    /// Output for people (table) or for scripts (json).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// A folder of Rhai rules that decide per employee (office, type, overrides, scope,
    /// selection). Default: the configuration's `rules:` key, if any.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
}

impl PlanArgs {
    /// `--direction`, which every plan needs.
    pub fn direction(&self) -> anyhow::Result<Direction> {
        self.direction.ok_or_else(|| {
            anyhow::anyhow!(
                "--direction is missing: pass --direction kot-to-smarthr or --direction smarthr-to-kot (apply takes it from the plan with --plan PLAN.json)"
            )
        })
    }

    /// The rows these flags show; apply writes no other.
    pub fn view(&self) -> crewsync::plan::View {
        crewsync::plan::View {
            statuses: self.status.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct PlanCommandArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Also save the plan to this file, for `apply --plan FILE` to write exactly it later
    /// (the rows shown, with the target values they were planned against; never a token).
    #[arg(long, value_name = "PLAN.json")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there is nothing to do, 2 when a new or changed employee is pending, 1 on
    /// an error (Terraform's convention): a nightly job can alert on drift without applying.
    /// Only the rows shown count: with --status, a new or changed employee it hides (and so
    /// leaves out of --out) is not pending.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Write exactly this saved plan (`plan --out`) instead of planning again: rows whose
    /// target changed since are stale and not written. Refused for another tenant, another
    /// format version, or a plan older than plan_max_age_hours.
    #[arg(
        long = "plan",
        value_name = "PLAN.json",
        conflicts_with_all = ["direction", "as_of", "office", "employment_type", "rules"]
    )]
    pub saved: Option<PathBuf>,
    /// Which rows to write: 'all' (every new and changed row), 'auto' (exactly the rows the
    /// rules select; every new and changed row without rules) or employee codes separated by
    /// commas. Without it, a terminal lets you tick rows.
    #[arg(long, value_name = "all|auto|CODE,CODE,...")]
    pub select: Option<crewsync::apply::Selection>,
    /// Do not ask for confirmation (needed when not run in a terminal).
    #[arg(long)]
    pub yes: bool,
    /// Wait out KOT's access windows: inside a configured window, sleep to its end; on a
    /// refusal (code 104) at any point, fetching included, try again every
    /// window_poll_seconds; give up after max_wait_minutes in all.
    #[arg(long)]
    pub wait: bool,
    /// Write even when the selection exceeds the configuration's max_changes, and clear
    /// fields the plan found unreadable in the source.
    #[arg(long)]
    pub force: bool,
    /// Clear this field even though the plan found it unreadable in the source (it read as
    /// empty for nearly every employee while the target has values). Repeat or separate with
    /// commas for several fields.
    #[arg(long, value_delimiter = ',', value_name = "FIELD")]
    pub allow_clear: Vec<crewsync::model::Field>,
    /// Exit 2 when the plan has invalid employees (who are never synced), even if every
    /// selected employee was written: for a nightly job that must not stay green while a new
    /// hire waits for a fix.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Port for the SmartHR simulator (base URL http://127.0.0.1:PORT/api).
    #[arg(long, default_value_t = 8081, allow_negative_numbers = true)]
    pub smarthr_port: u16,
    /// Port for the KING OF TIME simulator (base URL http://127.0.0.1:PORT/v1.0).
    #[arg(long, default_value_t = 8082, allow_negative_numbers = true)]
    pub kot_port: u16,
    /// Start with no employees (offices and types still exist).
    #[arg(long)]
    pub empty: bool,
    /// Turn the simulated rate limits off.
    #[arg(long)]
    pub no_rate_limits: bool,
    /// Start the simulated KOT clock at this time (it runs on from there) instead of the real
    /// time, e.g. 2026-04-01T12:00:00+09:00: outside KOT's access windows, so a walkthrough
    /// works at any hour.
    #[arg(long, value_name = "RFC3339", value_parser = parse_instant)]
    pub kot_clock: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// `word` as a shell reads it back, quoted only when it must be (a space, a quote, `$`, ...):
/// a path or code in a hint the tool prints works when copied into a shell.
pub fn shell_word(word: &str) -> std::borrow::Cow<'_, str> {
    // Only a NUL cannot be quoted, and no argument or path holds one.
    shlex::try_quote(word).unwrap_or(std::borrow::Cow::Borrowed(word))
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    s.parse()
        .map_err(|e: crewsync::model::UnknownDirection| e.to_string())
}

fn parse_instant(s: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, String> {
    chrono::DateTime::parse_from_rfc3339(s).map_err(|_| {
        format!("'{s}' is not a date and time: use RFC 3339, e.g. 2026-04-01T12:00:00+09:00")
    })
}

fn parse_outcome(s: &str) -> Result<crewsync::history::OutcomeFilter, String> {
    s.parse()
        .map_err(|e: crewsync::history::UnknownOutcome| e.to_string())
}

/// `--limit`: 0 means every run.
fn parse_limit(s: &str) -> Result<usize, String> {
    s.trim().parse::<usize>().map_err(|e| match e.kind() {
        std::num::IntErrorKind::PosOverflow => format!(
            "'{s}' is too large: use a whole number from 0 to {} (0: every run)",
            usize::MAX
        ),
        _ => format!("'{s}' is not a whole number from 0 up (0: every run)"),
    })
}

fn parse_page(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Err(format!(
            "'{s}' is too large: use a whole number from 1 to {}",
            usize::MAX
        )),
        _ => Err(format!("'{s}' is not a whole number from 1 up")),
    }
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    crewsync::error::BadDate::parse(s).map_err(|e| e.to_string())
}

/// ` --config PATH` when `path` is not the default configuration, so that a command a hint
/// names finds the same configuration (and history) when copied; empty for the default.
pub fn config_flag_for(path: &std::path::Path) -> String {
    if path == std::path::Path::new(crewsync::config::DEFAULT_PATH) {
        String::new()
    } else {
        format!(" --config {}", shell_word(&path.display().to_string()))
    }
}

/// [`config_flag_for`] the `--config` this process was given, for hints printed where no
/// configuration was loaded (an error, `rules`, `history`); set once by [`run`].
static GIVEN_CONFIG: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// ` --config PATH` as this process was given it, or empty (see [`config_flag_for`]).
pub fn given_config() -> &'static str {
    GIVEN_CONFIG.get().map_or("", String::as_str)
}

pub async fn run(cli: Cli) -> anyhow::Result<Status> {
    cli.color.apply();
    let _ = GIVEN_CONFIG.set(config_flag_for(&cli.config));
    let config = || Config::load(&cli.config);
    match cli.command {
        Command::Plan(args) => plan_apply::plan_command(&args, config()?).await,
        Command::Apply(args) => plan_apply::apply(&args, config()?).await,
        Command::Demo => demo::run().await,
        Command::History(args) => history::run(&args, config()?),
        Command::Rules(args) => rules::run(&args, &cli.config),
        Command::Watch(args) => rules::watch(&args, config()?).await,
        Command::Serve(args) if args.demo && cli.config_given => anyhow::bail!(
            "serve --demo reads no configuration (it serves the built-in simulators with its own), so --config {} would be ignored: leave out --config for the demo, or --demo to serve the dashboard on that configuration",
            shell_word(&cli.config.display().to_string())
        ),
        Command::Serve(args) => serve::run(args, config).await,
        Command::Simulate(args) => {
            let config = crewsync::sim::SimConfig {
                company: if args.empty {
                    crewsync::sim::Company::empty()
                } else {
                    crewsync::sim::Company::sample()
                },
                // Real time by default, as the real service: the access windows apply.
                // `--kot-clock` (or POST /_sim/clock) sets it, as the tests and the demo do.
                kot_clock: args.kot_clock,
                rate_limits: !args.no_rate_limits,
                limits: Default::default(),
            };
            crewsync::sim::serve(config, args.smarthr_port, args.kot_port).await?;
            Ok(Status::Done)
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "crewsync",
                &mut std::io::stdout(),
            );
            Ok(Status::Done)
        }
        Command::Man(args) => man::run(&args),
    }
}
