//! `crewsync demo`: the whole workflow on the built-in simulators, with no token, network or
//! setup, so a newcomer sees in seconds what crewsync does.

use super::sync;
use super::{ApplyArgs, ConfigArg, Format, PlanArgs, Status};
use anyhow::Context;
use chrono::TimeZone;
use crewsync::apply::Selection;
use crewsync::config::Config;
use crewsync::http::Secret;
use crewsync::model::Direction;
use crewsync::plan::Status as RowStatus;
use crewsync::sim::{self, Company, SimConfig};
use crewsync::window::jst;

/// The simulators with the sample company, their clock at noon JST on the sample's reference
/// date (outside the access windows), and a configuration pointing at them with their tokens.
/// The folder holds the configuration and the history; both stay while it is kept.
pub async fn simulated() -> anyhow::Result<(Config, sim::Simulators, tempfile::TempDir)> {
    let as_of = sim::SAMPLE_AS_OF;
    let noon = jst()
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

    let dir = tempfile::tempdir().context("creating a folder for the demo's configuration")?;
    let path = dir.path().join("crewsync.yaml");
    let yaml = format!(
        "# Written by `crewsync demo`: the simulators' addresses, no real service.\n\
         smarthr:\n  base_url: {}\n  requests_per_second: 200\n\
         kot:\n  base_url: {}\n  requests_per_second: 200\n\
         # The simulated KOT clock stands at noon JST, outside the access windows.\n\
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
        "crewsync demo: a sample company of about 100 employees in simulated SmartHR and KING OF TIME, as of {as_of}"
    ));
    let args =
        |direction, office: Option<&str>, etype: Option<&str>, status: Vec<RowStatus>| PlanArgs {
            config: ConfigArg {
                config: path.clone(),
            },
            direction: Some(direction),
            as_of: Some(as_of),
            office: office.map(str::to_string),
            employment_type: etype.map(str::to_string),
            status,
            format: Format::Table,
            rules: None,
        };

    // Unchanged employees are counted in the summary line; listing eighty of them would bury
    // what the demo is about.
    let worth_seeing = || vec![RowStatus::New, RowStatus::Changed, RowStatus::Invalid];
    heading(
        "1. crewsync plan --direction kot-to-smarthr --office 本社 --status new,changed,invalid",
    );
    sync::plan(
        &args(Direction::KotToSmartHr, Some("本社"), None, worth_seeing()),
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
    heading(
        "2. crewsync plan --direction smarthr-to-kot --office 本社 --employment-type 正社員 --status new,changed,invalid",
    );
    sync::plan(&to_kot(worth_seeing()), config()?).await?;

    heading("3. crewsync apply --direction smarthr-to-kot ... --select all --yes");
    let status = sync::apply(
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
        "4. crewsync plan --direction smarthr-to-kot --status new,changed   (nothing left to do)",
    );
    sync::plan(&to_kot(vec![RowStatus::New, RowStatus::Changed]), config()?).await?;
    let rules = dir.path().join("rules");
    crewsync::rules::write_examples(&rules)?;
    heading(
        "5. crewsync plan --direction kot-to-smarthr --office 本社 --rules rules --status new,changed,invalid\n   (the shipped example rules decide offices, names and selection per employee)",
    );
    sync::plan(
        &PlanArgs {
            rules: Some(rules),
            ..args(Direction::KotToSmartHr, Some("本社"), None, worth_seeing())
        },
        config()?,
    )
    .await?;

    heading(
        "Try it on your own data: see the README, 'Using it with your real SmartHR and KING OF TIME'.\n\
         Write your own rules from these examples: crewsync rules init --rules my-rules",
    );
    Ok(status)
}

fn heading(text: &str) {
    println!("\n{}\n", console::style(text).bold());
}
