//! The checks a run passes before it fetches or writes, in one place for both front ends: the
//! access window before anything is read, `max_changes` before anything is written.

use super::SyncError;
use crate::apply::{self, AllowClear, Observer, Wait};
use crate::config::Config;
use crate::plan::Plan;
use crate::window::{self, Inside, Window};

/// A run refused before it began: KOT's configured access window is open now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{inside}.\n  hint: run again after {}, or schedule runs outside {}",
    inside.reopens.format("%H:%M JST"),
    windows.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(" and ")
)]
pub struct InsideWindow {
    pub inside: Inside,
    /// Every configured window, for the hint.
    pub windows: Vec<Window>,
}

/// Refuses to start inside a configured KOT access window, or with `wait` (`--wait`) sleeps to
/// its end: every direction reads or writes KOT, and a run cut off half-way is what the guard
/// exists to prevent.
pub async fn access_window(
    config: &Config,
    wait: Option<&Wait>,
    observer: &dyn Observer,
) -> Result<(), SyncError> {
    let Some(inside) = window::inside(&config.maintenance_windows, chrono::Utc::now()) else {
        return Ok(());
    };
    match wait {
        Some(wait) => Ok(wait.pause(observer, &inside.to_string()).await?),
        None => Err(SyncError::InsideWindow(InsideWindow {
            inside,
            windows: config.maintenance_windows.clone(),
        })),
    }
}

/// An apply that would change more of the roster than `max_changes` allows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "apply would make {weight} changes (each employee written counts one, each field cleared one more), more than max_changes allows ({limit} of a roster of {roster})"
)]
pub struct TooManyChanges {
    /// [`apply::weight`] of the chosen rows.
    pub weight: usize,
    pub limit: usize,
    /// Every row of the plan.
    pub roster: usize,
}

/// `max_changes`: an apply that would change more than the configured share of the roster is
/// more likely a mistake (a wrong date, a wrong tenant) than an intention, unless `force`d.
pub fn max_changes(
    config: &Config,
    plan: &Plan,
    chosen: &[usize],
    allow: &AllowClear,
    force: bool,
) -> Result<(), TooManyChanges> {
    let Some(max) = config.max_changes else {
        return Ok(());
    };
    let roster = plan.rows.len();
    let limit = max.limit(roster);
    let weight = apply::weight(plan, chosen, allow);
    if weight > limit && !force {
        return Err(TooManyChanges {
            weight,
            limit,
            roster,
        });
    }
    Ok(())
}
