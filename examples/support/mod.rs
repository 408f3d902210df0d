//! What the example benchmarks share: the simulators holding a generated company, and clients
//! for them.

use crewsync::http::{Limits, Secret};
use crewsync::sim::{self, Company, SimConfig, Simulators};
use crewsync::workflow::Connections;
use crewsync::{kot, smarthr};
use std::str::FromStr;

/// The command-line argument at `position` (1 is the first), parsed; `None` when not given.
pub fn arg<T>(position: usize) -> Result<Option<T>, Box<dyn std::error::Error>>
where
    T: FromStr,
    T::Err: std::error::Error + 'static,
{
    Ok(std::env::args()
        .nth(position)
        .map(|s| s.parse())
        .transpose()?)
}

/// Starts the simulators with `n` generated employees per side (`Company::generated`: mostly
/// identical, about a tenth differing), their clock at noon JST on [`sim::SAMPLE_AS_OF`], and
/// clients for them.
///
/// `realistic`: the simulators enforce the documented rate limits (SmartHR 10 requests/s, KOT
/// about 1/s with a burst of 5) and the clients pace themselves as they do against the real
/// services (`Limits::smarthr_default`, `Limits::kot_default`). Otherwise nothing is limited,
/// which measures crewsync's own work.
pub async fn start(
    n: usize,
    realistic: bool,
) -> Result<(Simulators, Connections), Box<dyn std::error::Error>> {
    let sims = simulators(n, realistic).await?;
    let conn = clients(&sims.smarthr.base_url(), &sims.kot.base_url(), realistic)?;
    Ok((sims, conn))
}

/// The simulators of [`start`] alone, for a benchmark that runs them in another process.
pub async fn simulators(
    n: usize,
    realistic: bool,
) -> Result<Simulators, Box<dyn std::error::Error>> {
    let clock = sim::SAMPLE_AS_OF
        .and_hms_opt(12, 0, 0)
        .and_then(|noon| noon.and_local_timezone(sim::JST).single());
    Ok(sim::start(SimConfig {
        company: Company::generated(n),
        kot_clock: clock,
        rate_limits: realistic,
        limits: Default::default(),
    })
    .await?)
}

/// The clients of [`start`], for simulators at these base URLs.
pub fn clients(
    smarthr_url: &str,
    kot_url: &str,
    realistic: bool,
) -> Result<Connections, Box<dyn std::error::Error>> {
    let (smarthr_limits, kot_limits) = if realistic {
        (Limits::smarthr_default(), Limits::kot_default())
    } else {
        (Limits::unlimited(), Limits::unlimited())
    };
    Ok(Connections {
        smarthr: smarthr::Client::new(
            smarthr_url,
            Secret::new(sim::SMARTHR_TOKEN),
            smarthr_limits,
        )?,
        kot: kot::Client::new(kot_url, Secret::new(sim::KOT_TOKEN), kot_limits)?,
    })
}
