//! `crewsync history`: the runs a page at a time and filtered, one run in full, one employee
//! across runs.

use super::out::{out, outln};
use super::{Format, HistoryArgs, HistoryCommand, HistoryFilterArgs, Status, plan_apply};
use anyhow::bail;
use crewsync::config::Config;
use crewsync::history::{History, Page, PageRequest, RunFilter};

/// Entries a page shows unless `--per-page` says otherwise.
const PER_PAGE: usize = 20;

pub fn run(args: &HistoryArgs, config: Config) -> anyhow::Result<Status> {
    let history = History::open(&config.history)?;
    let json = |v: serde_json::Value| -> anyhow::Result<()> {
        outln!("{}", serde_json::to_string_pretty(&v)?);
        Ok(())
    };
    let filter = filter(&args.filter);
    match &args.show {
        None => {
            let page = match args.limit {
                // 0 is "no limit", as the help says, not "list nothing".
                Some(0) => PageRequest {
                    number: 1,
                    size: usize::MAX,
                },
                Some(limit) => PageRequest {
                    number: 1,
                    size: limit,
                },
                None => page_request(&args.filter),
            };
            let runs = history.runs(args.code.as_deref(), &filter, page)?;
            past_end(&runs, "runs")?;
            match args.format {
                Format::Table if runs.total == 0 && args.code.is_none() && filter.is_empty() => {
                    outln!("No runs yet in {}.", config.history.display())
                }
                Format::Table if runs.total == 0 => {
                    outln!("No run in {} matches.", config.history.display())
                }
                Format::Table => {
                    out!(
                        "{}",
                        crewsync::history::runs_table(&runs.items, &plan_apply::style())
                    );
                    out!("{}", footer(&runs, "runs"));
                }
                Format::Json => json(serde_json::to_value(&runs.items)?)?,
            }
        }
        Some(HistoryCommand::Show { run_id }) => {
            if args.code.is_some() || args.limit.is_some() || !no_filter(&args.filter) {
                bail!(
                    "`history show` shows one whole run: --code, --outcome, --since, --until, --direction, --page, --per-page and --limit narrow the list of runs (`crewsync{config} history`) or an employee's timeline (`crewsync{config} history employee CODE`)",
                    config = super::given_config()
                );
            }
            let run = history.show(run_id)?;
            match args.format {
                Format::Table => out!(
                    "{}",
                    crewsync::history::run_text_in(&run, plan_apply::style().width)
                ),
                Format::Json => json(serde_json::to_value(&run)?)?,
            }
        }
        Some(HistoryCommand::Employee { code, filter: own }) => {
            let given = own.or(&args.filter);
            let filter = self::filter(&given);
            if let Some(other) = &args.code {
                bail!(
                    "the employee is given once: `crewsync{} history employee {}` without --code {other}",
                    super::given_config(),
                    super::shell_word(code)
                );
            }
            if args.limit.is_some() {
                bail!(
                    "--limit lists the newest runs; for an employee's timeline use --per-page N (and --page N)"
                );
            }
            let timeline = history.timeline(code, &filter, page_request(&given))?;
            past_end(&timeline.entries, "entries")?;
            match args.format {
                // As the list of runs says it: the timeline's own "no run touched this
                // employee" would be untrue when a filter hid the runs that did.
                Format::Table if timeline.entries.total == 0 && !filter.is_empty() => outln!(
                    "No run in {} matches for employee {}.",
                    config.history.display(),
                    crewsync::text::exact(code)
                ),
                Format::Table => {
                    out!(
                        "{}",
                        crewsync::history::timeline_text(&timeline, &plan_apply::style())
                    );
                    out!("{}", footer(&timeline.entries, "entries"));
                }
                Format::Json => json(serde_json::to_value(&timeline)?)?,
            }
        }
    }
    Ok(Status::Done)
}

/// This command's arguments as given, with `--page` set to `page`, quoted for a shell.
fn with_page(page: usize) -> String {
    let mut words = vec!["crewsync".to_string()];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--page" {
            args.next();
        } else if !arg.starts_with("--page=") {
            words.push(super::shell_word(&arg).into_owned());
        }
    }
    words.extend(["--page".to_string(), page.to_string()]);
    words.join(" ")
}

impl HistoryFilterArgs {
    /// These, each left unset taken from `outer` (given before the subcommand).
    fn or(&self, outer: &HistoryFilterArgs) -> HistoryFilterArgs {
        HistoryFilterArgs {
            outcome: if self.outcome.is_empty() {
                outer.outcome.clone()
            } else {
                self.outcome.clone()
            },
            since: self.since.or(outer.since),
            until: self.until.or(outer.until),
            direction: self.direction.or(outer.direction),
            page: self.page.or(outer.page),
            per_page: self.per_page.or(outer.per_page),
        }
    }
}

fn filter(args: &HistoryFilterArgs) -> RunFilter {
    RunFilter {
        outcomes: args.outcome.clone(),
        since: args.since,
        until: args.until,
        direction: args.direction,
    }
}

fn no_filter(args: &HistoryFilterArgs) -> bool {
    filter(args).is_empty() && args.page.is_none() && args.per_page.is_none()
}

fn page_request(args: &HistoryFilterArgs) -> PageRequest {
    PageRequest {
        number: args.page.unwrap_or(1),
        size: args.per_page.unwrap_or(PER_PAGE),
    }
}

/// A page after the last is a mistake worth naming (a page that ran out since the last
/// look, a typo), not an empty list that reads as "nothing happened".
fn past_end<T>(page: &Page<T>, what: &str) -> anyhow::Result<()> {
    if page.is_past_end() {
        bail!(
            "--page {} is past the last page, {}: {} {what} match, {} a page",
            page.number,
            page.last(),
            page.total,
            page.size
        );
    }
    Ok(())
}

/// Where the reader is, and how to go on, when there is more than one page: the next page is
/// the command as it was typed (filters and `--config` kept) with the next `--page`.
fn footer<T>(page: &Page<T>, what: &str) -> String {
    if page.last() <= 1 {
        return String::new();
    }
    let next = if page.number < page.last() {
        format!("; next:\n  {}", with_page(page.number + 1))
    } else {
        String::new()
    };
    format!(
        "\nPage {} of {} ({} {what}, {} a page){next}\n",
        page.number,
        page.last(),
        page.total,
        page.size
    )
}
