//! The checks a run passes before it fetches or writes, in one place for both front ends: the
//! access window before anything is read, `max_changes` and the target's request budget
//! before anything is written. Their
//! refusals are [`Refused`] values, which each front end words in its own way.

use super::{BudgetCheck, Connections, SyncError};
use crate::apply::{self, AllowClear, Event, Observer, Wait};
use crate::config::{Config, MaxChanges};
use crate::error::Refused;
use crate::model::Direction;
use crate::plan::Plan;
use std::time::Duration;

/// Refuses to start inside a configured KOT access window, or with `wait` sleeps to its end:
/// every direction reads or writes KOT, and a run cut off half-way is what the guard exists to
/// prevent.
pub async fn access_window(
    config: &Config,
    wait: Option<&Wait>,
    observer: &dyn Observer,
) -> Result<(), SyncError> {
    match (
        Refused::check_window(&config.maintenance_windows, chrono::Utc::now()),
        wait,
    ) {
        (Err(Refused::InsideWindow { inside, .. }), Some(wait)) => {
            Ok(wait.pause(observer, &inside.to_string()).await?)
        }
        (refused, _) => Ok(refused?),
    }
}

/// `max_changes`: an apply that would change more than the configured share of the roster is
/// more likely a mistake (a wrong date, a wrong tenant) than an intention, unless `force`d.
/// Each employee written counts one, each field cleared one more ([`apply::weight`]).
pub fn max_changes(
    config: &Config,
    plan: &Plan,
    chosen: &[usize],
    allow: &AllowClear,
    force: bool,
) -> Result<(), Refused> {
    if force {
        return Ok(());
    }
    MaxChanges::guard(
        config.max_changes,
        apply::weight(plan, chosen, allow),
        plan.rows.len(),
    )
}

/// The longest a run that may wait (`wait`) lets a request wait for a budget to come back:
/// SmartHR's documented window is an hour (smarthr-api.md, rate limits), and this leaves room
/// for a reset that comes late.
const WAIT_FOR_BUDGET: Duration = Duration::from_secs(2 * 3600);

/// Refuses an apply of `writes` employees whose target's remaining request budget cannot
/// cover them, saying how long it would take; one that may `wait` is told so through
/// `observer` and pauses across the reset instead.
pub fn budget(
    conn: &Connections,
    direction: Direction,
    writes: usize,
    wait: bool,
    observer: &dyn Observer,
) -> Result<(), Refused> {
    if wait {
        conn.set_max_wait(WAIT_FOR_BUDGET);
    }
    let Some(check) = BudgetCheck::new(conn, direction.target(), writes) else {
        return Ok(());
    };
    if check.covered() {
        return Ok(());
    }
    if !wait {
        return Err(Refused::BudgetShort {
            budget: check.describe(),
        });
    }
    observer.event(Event::Waiting {
        message: &apply::Pause::Budget {
            service: check.service,
            described: check.describe(),
            resets_in: check.budget.resets_in,
        },
        until: chrono::TimeDelta::from_std(check.budget.resets_in)
            .ok()
            .map(|d| chrono::Utc::now() + d),
    });
    Ok(())
}
