//! The checks a run passes before it fetches or writes, in one place for both front ends: the
//! access window before anything is read, `max_changes` before anything is written. Their
//! refusals are [`Refused`] values, which each front end words in its own way.

use super::SyncError;
use crate::apply::{self, AllowClear, Observer, Wait};
use crate::config::{Config, MaxChanges};
use crate::error::Refused;
use crate::plan::Plan;

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
