//! The wizards in progress, in server memory, each keyed by a random id: the fetched rosters,
//! the plan made from them, the ticks the person made, and the run started from it.
//!
//! The plan a person reviewed stays here until the run, which writes exactly its ticked rows
//! (after [`core::apply`] has checked that none changed since).

use super::core::{self, Choice, Progress};
use crate::apply::Stop;
use crate::model::Direction;
use crate::plan::saved::SavedPlan;
use crate::rules::Rules;
use crate::workflow::Rosters;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// At most this many wizards are kept; starting one more forgets the oldest.
const MAX_WIZARDS: usize = 16;

/// Where a wizard stands.
pub enum Stage {
    Fetching,
    FetchFailed(std::sync::Arc<super::errors::Error>),
    /// Rosters fetched; defaults not chosen yet (or being changed).
    Fetched,
    /// Boxed: a plan under review is large, and a wizard is in the other stages as often.
    Planned(Box<Review>),
    Running,
    Finished(core::Applied),
}

impl Stage {
    /// The wizard page that shows this stage (`/wizard/{id}/PAGE`): where a request for a page
    /// of another stage is sent, so that no two pages send a person to each other.
    pub fn page(&self) -> &'static str {
        match self {
            Stage::Fetching | Stage::FetchFailed(_) => "fetch",
            Stage::Fetched => "defaults",
            Stage::Planned(_) => "list",
            Stage::Running | Stage::Finished(_) => "run",
        }
    }
}

/// A plan under review: the plan, saved as `crewsync plan --out` would, and the person's ticks
/// (one per row).
pub struct Review {
    pub saved: SavedPlan,
    pub choice: Choice,
    pub ticks: Vec<bool>,
    /// Per row, whether a page of the list has shown it: a row ticked by the rules' selection
    /// that no list view showed is put first on the confirmation page, marked.
    pub seen: Vec<bool>,
}

impl Review {
    pub fn new(saved: SavedPlan, choice: Choice) -> Review {
        let ticks: Vec<bool> = saved
            .plan
            .rows
            .iter()
            .map(|r| r.selected && r.status.is_actionable())
            .collect();
        Review {
            seen: vec![false; ticks.len()],
            saved,
            choice,
            ticks,
        }
    }

    /// The ticked rows' indexes, in plan order.
    pub fn chosen(&self) -> Vec<usize> {
        (0..self.ticks.len()).filter(|&i| self.ticks[i]).collect()
    }

    /// The ticked rows as the confirmation page lists them: those no list view showed first,
    /// then the rest, each part in plan order.
    pub fn confirmed_order(&self) -> Vec<usize> {
        let (unseen, seen): (Vec<usize>, Vec<usize>) =
            self.chosen().into_iter().partition(|&i| !self.seen[i]);
        [unseen, seen].concat()
    }

    /// A fingerprint of the ticked rows: the confirmation page carries the one it listed, and
    /// the run starts only while the ticks still match it (another tab may have changed them).
    pub fn selection_key(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.chosen().hash(&mut h);
        format!("{:016x}", h.finish())
    }
}

/// One wizard: a direction, owned by the session that started it.
pub struct Wizard {
    pub id: String,
    pub owner: String,
    pub direction: Direction,
    pub progress: Arc<Progress>,
    pub rosters: Mutex<Option<Rosters>>,
    /// The configured rules, loaded before the rosters were fetched; `None` without rules.
    pub rules: Mutex<Option<Arc<Rules>>>,
    pub stage: Mutex<Stage>,
    /// The run's cancel button presses this, as Ctrl-C does in the CLI.
    pub stop: Stop,
    started: Instant,
}

impl Wizard {
    pub fn stage(&self) -> std::sync::MutexGuard<'_, Stage> {
        self.stage.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Every wizard in progress.
#[derive(Default)]
pub struct Wizards(Mutex<HashMap<String, Arc<Wizard>>>);

impl Wizards {
    /// A new wizard, fetching.
    pub fn start(&self, owner: &str, direction: Direction) -> Arc<Wizard> {
        let w = Arc::new(Wizard {
            id: super::security::random_token()[..24].to_string(),
            owner: owner.to_string(),
            direction,
            progress: Arc::default(),
            rosters: Mutex::new(None),
            rules: Mutex::new(None),
            stage: Mutex::new(Stage::Fetching),
            stop: Stop::new(crate::apply::StopHow::Dashboard),
            started: Instant::now(),
        });
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_WIZARDS {
            // A running apply is never forgotten: its page is how its outcome is seen.
            let oldest = map
                .values()
                .filter(|w| !matches!(*w.stage(), Stage::Running))
                .min_by_key(|w| w.started)
                .map(|w| w.id.clone());
            if let Some(id) = oldest {
                map.remove(&id);
            }
        }
        map.insert(w.id.clone(), w.clone());
        w
    }

    /// The wizard `id`, if it exists and belongs to `owner` (the login name).
    pub fn get(&self, id: &str, owner: &str) -> Option<Arc<Wizard>> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id).filter(|w| w.owner == owner).cloned()
    }
}
