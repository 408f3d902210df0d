//! Before an apply writes: does the target's request budget cover it?

use super::progress::Bars;
use crewsync::apply::{Event, Observer};
use crewsync::model::Direction;
use crewsync::workflow::{BudgetCheck, Connections};
use std::time::Duration;

/// The longest `--wait` lets a request wait for a budget to come back: SmartHR's documented
/// window is an hour, and this leaves room for a reset that comes late.
const WAIT_FOR_BUDGET: Duration = Duration::from_secs(2 * 3600);

/// Refuses an apply whose writes the target's remaining budget cannot cover, saying how long
/// it would take; under `--wait` says so and lets the writes pause across the reset instead.
pub fn check(
    conn: &Connections,
    direction: Direction,
    writes: usize,
    wait: bool,
    bars: &Bars,
) -> anyhow::Result<()> {
    if wait {
        conn.set_max_wait(WAIT_FOR_BUDGET);
    }
    let Some(check) = BudgetCheck::new(conn, direction.target(), writes) else {
        return Ok(());
    };
    if check.covered() {
        return Ok(());
    }
    if wait {
        bars.event(Event::Waiting {
            message: &format!(
                "{}; pausing for the reset when it runs out",
                check.describe()
            ),
            until: chrono::TimeDelta::from_std(check.budget.resets_in)
                .ok()
                .map(|d| chrono::Utc::now() + d),
        });
        Ok(())
    } else {
        Err(crewsync::error::Refused::BudgetShort {
            budget: check.describe(),
        })?
    }
}
