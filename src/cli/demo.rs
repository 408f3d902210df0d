//! `crewsync demo`: the whole workflow on the built-in simulators, with no token, network or
//! setup, so a newcomer sees in seconds what crewsync does.

use super::out::outln;
use super::plan_apply;
use super::{ApplyArgs, Format, PlanArgs, Status};
use anyhow::Context;
use chrono::TimeZone;
use crewsync::apply::Selection;
use crewsync::clock::JST;
use crewsync::config::Config;
use crewsync::http::Secret;
use crewsync::model::Direction;
use crewsync::plan::Status as RowStatus;
use crewsync::sim::{self, Company, SimConfig};

/// The simulators with the sample company, their clock at noon JST on the sample's reference
/// date (outside the access windows), and a configuration pointing at them with their tokens.
/// The folder holds the configuration and the history; it is kept after the process ends.
pub async fn simulated() -> anyhow::Result<(Config, sim::Simulators, std::path::PathBuf)> {
    let as_of = sim::SAMPLE_AS_OF;
    let noon = JST
        .from_local_datetime(&as_of.and_hms_opt(12, 0, 0).context("noon")?)
        .single()
        .context("noon JST")?;
    let sims = sim::start(SimConfig {
        company: Company::sample(),
        kot_clock: Some(noon),
        // The demo should take seconds; the simulated limits are exercised by the tests.
        rate_limits: false,
        limits: Default::default(),
    })
    .await
    .context("starting the simulators on 127.0.0.1")?;

    // Kept after the demo, and named at its end: its history and rules are what the
    // closing hints point at, so they must still be there when a hint is copied.
    let dir = tempfile::Builder::new()
        .prefix("crewsync-demo-")
        .tempdir()
        .context("creating a folder for the demo's configuration")?
        .keep();
    let path = dir.join("crewsync.yaml");
    let yaml = format!(
        "# Written by `crewsync demo`: the simulators' addresses, no real service.\n\
         smarthr:\n  base_url: {}\n  requests_per_second: 200\n\
         kot:\n  base_url: {}\n  requests_per_second: 200\n\
         # The simulators ran only during the demo; this file is kept for its history.\n\
         # The simulated KOT clock stood at noon JST, outside the access windows.\n\
         maintenance_windows: []\n\
         history: crewsync.db\n",
        sims.smarthr.base_url(),
        sims.kot.base_url()
    );
    std::fs::write(&path, &yaml).context("writing the demo configuration")?;
    let mut config = Config::load(&path)?;
    config.smarthr.token_given = Some(Secret::new(sim::SMARTHR_TOKEN));
    config.kot.token_given = Some(Secret::new(sim::KOT_TOKEN));
    Ok((config, sims, dir))
}

pub async fn run() -> anyhow::Result<Status> {
    let as_of = sim::SAMPLE_AS_OF;
    let (demo_config, _sims, dir) = simulated().await?;
    let path = demo_config.path.clone();
    let config = || -> anyhow::Result<Config> { Ok(demo_config.clone()) };

    heading(&format!(
        "crewsync demo: a sample company of about 100 employees in simulated SmartHR and\n\
         KING OF TIME, as of {as_of}"
    ));
    let args =
        |direction, office: Option<&str>, etype: Option<&str>, status: Vec<RowStatus>| PlanArgs {
            direction: Some(direction),
            as_of: Some(as_of),
            office: office.map(str::to_string),
            employment_type: etype.map(str::to_string),
            status,
            format: Format::Table,
            all: false,
            rules: None,
        };

    // The table leaves unchanged employees out by default and counts them.
    heading("1. crewsync plan --direction kot-to-smarthr --office 本社");
    plan_apply::plan(
        &args(Direction::KotToSmartHr, Some("本社"), None, vec![]),
        config()?,
    )
    .await?;

    let to_kot = |status| {
        args(
            Direction::SmartHrToKot,
            Some("本社"),
            Some("正社員"),
            status,
        )
    };
    // A shell's line continuation keeps it whole at 80 columns.
    heading(
        "2. crewsync plan --direction smarthr-to-kot --office 本社 \\\n     --employment-type 正社員",
    );
    plan_apply::plan(&to_kot(vec![]), config()?).await?;

    heading("3. crewsync apply --direction smarthr-to-kot ... --select all --yes");
    let status = plan_apply::apply(
        &ApplyArgs {
            plan: to_kot(vec![]),
            saved: None,
            select: Some(Selection::All),
            yes: true,
            wait: false,
            force: false,
            allow_clear: vec![],
            strict: false,
        },
        config()?,
    )
    .await?;

    heading(
        "4. crewsync plan --direction smarthr-to-kot --status new,changed\n   (nothing left to do)",
    );
    plan_apply::plan(&to_kot(vec![RowStatus::New, RowStatus::Changed]), config()?).await?;
    let rules = dir.join("rules");
    crewsync::rules::write_examples(&rules)?;
    heading(&format!(
        "5. crewsync plan --direction kot-to-smarthr --office 本社 --rules RULES\n   \
         RULES: the shipped example rules, which decide offices, names and selection\n   \
         per employee (written to {})",
        rules.display()
    ));
    plan_apply::plan(
        &PlanArgs {
            rules: Some(rules.clone()),
            ..args(Direction::KotToSmartHr, Some("本社"), None, vec![])
        },
        config()?,
    )
    .await?;

    // Each command on a line of its own, indented: at 80 columns none is broken across lines,
    // and each is copied whole.
    heading(&format!(
        "The simulators have stopped. The demo's configuration, history and rules are\n\
         kept in {dir} (delete it when you are done).\n\
         From any folder:\n\
         - the run the demo recorded:\n    crewsync --config {config} history\n\
         - the example rules' tests:\n    crewsync rules test --rules {rules}\n\
         - your own rules from the examples:\n    crewsync rules init --rules my-rules\n\
         Try it on your own data: see the README, 'Using it with your real SmartHR and\n\
         KING OF TIME'.",
        dir = dir.display(),
        config = super::shell_word(&path.display().to_string()),
        rules = super::shell_word(&rules.display().to_string()),
    ));
    Ok(status)
}

fn heading(text: &str) {
    outln!("\n{}\n", console::style(text).bold());
}
