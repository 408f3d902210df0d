//! `rules check`, `rules test` and `watch`: the integrator's loop, none of which writes to a
//! service.

use super::errors;
use super::out::outln;
use super::plan_apply::{fetch, load_rules};
use super::progress::Bars;
use super::{PlanArgs, RulesArgs, RulesCommand, Status};
use anyhow::{Context, bail};
use crewsync::rules::{self, RulesHandle, WatchEvent};
use crewsync::workflow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `rules init|check|test` on `--rules`, or else on the folder the configuration at
/// `config` names (as plan and apply do), or else on ./rules; check and test say which.
pub fn run(args: &RulesArgs, config: &Path) -> anyhow::Result<Status> {
    let (dir, from) = folder(args, config)?;
    let (ok, text) = match args.command {
        RulesCommand::Init => init(&dir),
        RulesCommand::Check => {
            let report = rules::check(&dir);
            let said = format!(
                "{report}\nChecked the rules folder {}{from}.",
                dir.display()
            );
            (report.is_ok(), said)
        }
        RulesCommand::Test => {
            let report = rules::run_tests(&dir);
            let said = format!("{report}\nTested the rules folder {}{from}.", dir.display());
            (report.is_ok(), said)
        }
    };
    // Reports quote test records and rule values, which may hold text copied from real records.
    let text = crewsync::text::safe_lines(&text);
    if ok {
        outln!("{text}");
        Ok(Status::Done)
    } else {
        eprintln!("{text}");
        Ok(Status::CouldNotRun)
    }
}

/// The rules folder a `rules` command works on, and where it came from (for the report):
/// `--rules`; else the configuration's `rules:` key, the configuration read when it was
/// named with `--config` or the default file exists (a missing default file is no error: the
/// rules are written and tested before there is a configuration); else ./rules.
fn folder(args: &RulesArgs, config: &Path) -> anyhow::Result<(PathBuf, &'static str)> {
    if let Some(dir) = &args.rules {
        return Ok((dir.clone(), ""));
    }
    let default = config == Path::new(crewsync::config::DEFAULT_PATH);
    if (!default || config.exists())
        && let Some(dir) = crewsync::config::Config::load(config)?.rules
    {
        return Ok((dir, " (the configuration's `rules:`)"));
    }
    Ok((PathBuf::from("rules"), ""))
}

/// `rules init`: the example set, and what to do next.
fn init(dir: &std::path::Path) -> (bool, String) {
    match rules::write_examples(dir) {
        Ok(paths) => {
            let shown = dir.display();
            let arg = super::shell_word(&shown.to_string()).into_owned();
            let mut text = format!(
                "Wrote the example rules to {shown} ({} files):\n",
                paths.len()
            );
            for path in &paths {
                text.push_str(&format!("  {}\n", path.display()));
            }
            // Each command on a line of its own: none is broken at 80 columns.
            text.push_str(&format!(
                "Next: read {readme} and change the rules and tables to fit your company.\n\
                 Their tests:\n  \
                 crewsync{config} rules test --rules {arg}\n\
                 A dry run against live data (writes nothing):\n  \
                 crewsync{config} plan --direction smarthr-to-kot --rules {arg}",
                readme = dir.join("README.md").display(),
                config = super::given_config()
            ));
            (true, text)
        }
        Err(e) => (false, super::errors::render(&e.into())),
    }
}

pub async fn watch(args: &PlanArgs, config: crewsync::config::Config) -> anyhow::Result<Status> {
    let Some(dir) = args.rules.clone().or_else(|| config.rules.clone()) else {
        bail!("watch needs a rules folder: pass --rules DIR or set `rules:` in the configuration");
    };
    let bars = Bars::new();
    // Loaded before anything is fetched: a typo in them must not cost a full download.
    let handle = Arc::new(RulesHandle::new(load_rules(&dir)?));
    // Fetched once: every save re-plans against these rosters, so an edit shows its effect at
    // once and costs the services nothing.
    let fetched = fetch(args, &config, None, &bars).await?;
    let (rosters, defaults) = (&fetched.rosters, &fetched.defaults);
    let mut last = workflow::plan(
        rosters.clone(),
        defaults,
        handle.current().as_ref(),
        errors::WORDS,
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = rules::watch(
        &dir,
        handle.clone(),
        rules::Limits::default(),
        move |event| {
            let _ = tx.send(event);
        },
    )
    .with_context(|| format!("watching {}", dir.display()))?;
    // Ctrl-C is caught from before "Watching" is said: tokio installs the handler when the
    // future is first polled, and a Ctrl-C before that would kill the process outright.
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    tokio::select! {
        biased;
        _ = &mut ctrl_c => return Ok(Status::Done),
        () = std::future::ready(()) => {}
    }
    // Said only once the watcher is in place, so a save after this line is always seen.
    outln!(
        "Watching {} ({} employees fetched once; Ctrl-C to stop).\nCurrent plan: {}",
        dir.display(),
        rosters.source.len(),
        summary(&last)
    );
    let style = crewsync::render::Style::for_term(&console::Term::stdout());
    // Every hint names the folder being watched: a bare `crewsync rules check` would check
    // ./rules, which may be another folder or none.
    let shown = dir.display();
    let arg = super::shell_word(&shown.to_string()).into_owned();
    let fix = format!(
        "Fix the rules in {shown} and save: watch re-plans. Their tests alone:\n  crewsync{} rules test --rules {arg}",
        super::given_config()
    );
    let rule_errors = |plan: &crewsync::plan::Plan| {
        for line in crewsync::render::rule_errors(plan, &style, &fix) {
            outln!("{line}");
        }
    };
    rule_errors(&last);
    loop {
        let event = tokio::select! {
            e = rx.recv() => match e {
                Some(e) => e,
                None => break,
            },
            _ = &mut ctrl_c => break,
        };
        match &event {
            WatchEvent::Reloaded { rules, .. } => {
                let plan = workflow::plan(rosters.clone(), defaults, rules.as_ref(), errors::WORDS);
                let delta = rules::plan_delta(&last, &plan);
                outln!("{event}");
                if delta.is_empty() {
                    outln!("Plan unchanged: {}", summary(&plan));
                } else {
                    outln!("{}", rules::render_delta(&delta, plan.words));
                    outln!("Plan now: {}", summary(&plan));
                }
                rule_errors(&plan);
                last = plan;
            }
            WatchEvent::CompileFailed(_) | WatchEvent::TestsFailed(_) => {
                outln!("{event}");
                // One command a line, as `rules init` prints them: whole at 80 columns.
                outln!(
                    "Save a fix in {shown} to try again. The same without watching:\n  \
                     crewsync{config} rules check --rules {arg}\n  \
                     crewsync{config} rules test --rules {arg}",
                    config = super::given_config()
                );
            }
            _ => outln!("{event}"),
        }
    }
    Ok(Status::Done)
}

fn summary(plan: &crewsync::plan::Plan) -> String {
    let s = plan.summary;
    format!(
        "{} new, {} changed, {} unchanged, {} invalid, {} excluded",
        s.new,
        s.changed,
        s.unchanged,
        s.invalid,
        plan.excluded.len()
    )
}
