//! Progress bars on stderr while rosters are fetched and writes are sent. indicatif draws
//! nothing when stderr is not a terminal, so scripts and CI logs stay clean.

use crewsync::apply::{ApplyResult, Outcome};
use crewsync::apply::{Event, Observer};
use crewsync::http::{Notice, Pause};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Cheap to clone: clones draw on the same bar, so the clients' retry and wait notices (which
/// outlive any borrow) print above it.
#[derive(Clone)]
pub struct Bars {
    bar: Arc<Mutex<Option<Drawn>>>,
    /// The services' pauses, which the ETA adds to the time the steps left take.
    pauses: Arc<Mutex<Vec<Pause>>>,
}

/// How long the steps left of a bar take: the pace so far (the wall time until the last step,
/// `until_last_step`, over the `done` steps; pauses the services imposed until then count, so
/// a budget that paused the run once is expected to pause it again as often), times the steps
/// left, plus what is left of a pause in progress (`pause_left`), which holds every step.
/// `None` before the first step: there is no pace to go by yet.
pub fn eta(
    done: u64,
    total: u64,
    until_last_step: Duration,
    pause_left: Duration,
) -> Option<Duration> {
    if done == 0 {
        return None;
    }
    let left = total.saturating_sub(done);
    let per_step = until_last_step.as_secs_f64() / done as f64;
    Some(Duration::from_secs_f64(per_step * left as f64) + pause_left)
}

/// The bar being drawn; `steps` for a bar with a total, which shows an ETA.
struct Drawn {
    label: String,
    bar: ProgressBar,
    steps: Option<Arc<Mutex<Steps>>>,
}

/// The longest pause in progress among the services watched.
fn pause_left(pauses: &Mutex<Vec<Pause>>) -> Duration {
    pauses.lock().map_or(Duration::ZERO, |p| {
        p.iter().map(Pause::left).max().unwrap_or_default()
    })
}

/// When a bar began and when it last moved, for [`eta`].
struct Steps {
    started: Instant,
    last: Option<(u64, Instant)>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            bar: Arc::new(Mutex::new(None)),
            pauses: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The services whose pauses the ETA counts.
    pub fn watch_pauses(&self, pauses: Vec<Pause>) {
        if let Ok(mut slot) = self.pauses.lock() {
            *slot = pauses;
        }
    }

    /// A bar of `total` steps whose `{eta}` is [`eta`]'s, redrawn every second so that it
    /// counts down through a pause in which no step moves it.
    fn counted(&self, total: usize) -> (ProgressBar, Arc<Mutex<Steps>>) {
        let steps = Arc::new(Mutex::new(Steps {
            started: Instant::now(),
            last: None,
        }));
        let (seen, pauses) = (steps.clone(), self.pauses.clone());
        let style = ProgressStyle::with_template("{msg:<24} [{bar:30}] {pos}/{len} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
            .with_key(
                "eta",
                move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let Ok(steps) = seen.lock() else { return };
                    let Some((done, at)) = steps.last else { return };
                    let total = state.len().unwrap_or(done);
                    let until = at.duration_since(steps.started);
                    if let Some(left) = eta(done, total, until, pause_left(&pauses)) {
                        let _ = write!(w, "{}", crewsync::http::human(left));
                    }
                },
            );
        let bar = ProgressBar::new(total as u64).with_style(style);
        bar.enable_steady_tick(Duration::from_secs(1));
        (bar, steps)
    }

    /// For the clients: each wait or retry as a line above the bar ("retrying in 2.0 s").
    pub fn notice(&self) -> Notice {
        let bars = self.clone();
        Arc::new(move |message: &str| bars.say(message))
    }

    fn with_bar(&self, label: &str, total: Option<usize>, f: impl FnOnce(&ProgressBar)) {
        let Ok(mut slot) = self.bar.lock() else {
            return;
        };
        if slot.as_ref().is_none_or(|d| d.label != label) {
            if let Some(old) = slot.take() {
                old.bar.finish_and_clear();
            }
            let (bar, steps) = match total {
                Some(n) => {
                    let (bar, steps) = self.counted(n);
                    (bar, Some(steps))
                }
                None => (ProgressBar::new_spinner(), None),
            };
            bar.set_message(label.to_string());
            *slot = Some(Drawn {
                label: label.to_string(),
                bar,
                steps,
            });
        }
        if let Some(d) = slot.as_ref() {
            if let Some(n) = total {
                d.bar.set_length(n as u64);
            }
            let before = d.bar.position();
            f(&d.bar);
            let now = d.bar.position();
            if now > before
                && let Some(steps) = &d.steps
            {
                if let Ok(mut steps) = steps.lock() {
                    steps.last = Some((now, Instant::now()));
                }
                // Redrawn with the new pace at once, not at the next tick.
                d.bar.tick();
            }
        }
    }

    /// A line on stderr that a bar being drawn does not garble.
    pub fn say(&self, message: &str) {
        match self.bar.lock().ok().as_deref().and_then(Option::as_ref) {
            Some(d) => d.bar.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    pub fn clear(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(d) = slot.take()
        {
            d.bar.finish_and_clear();
        }
    }
}

impl Observer for Bars {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Fetching {
                service,
                what,
                done,
                total,
            } => {
                let label = format!("fetching {}", Event::fetching_label(service, what));
                self.with_bar(&label, total, |b| b.set_position(done as u64));
            }
            Event::Applying {
                result,
                done,
                total,
            } => self.applied(result, done, total),
            // Only `--wait` makes an apply pause, so the notice names it.
            Event::Waiting { message, .. } => self.say(&format!("{message} (--wait)")),
            Event::Warning { message } => self.say(&format!("warning: {message}")),
            // The commands print the plan and the report themselves.
            Event::Planned { .. } | Event::Finished { .. } => {}
        }
    }
}

impl Bars {
    fn applied(&self, result: &ApplyResult, done: usize, total: usize) {
        self.with_bar("writing", Some(total), |b| {
            b.set_position(done as u64);
            if result.outcome == Outcome::Failed {
                let line = format!(
                    "failed: {} {}: {}",
                    crewsync::text::exact(&result.code),
                    result.name,
                    result.error.as_deref().unwrap_or("")
                );
                b.println(crewsync::text::safe(&line));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::eta;
    use std::time::Duration;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn the_eta_follows_the_pace_so_far() {
        assert_eq!(
            eta(0, 10, S(0), S(0)),
            None,
            "no pace before the first step"
        );
        assert_eq!(eta(4, 10, S(8), S(0)), Some(S(12)), "2 s a step, 6 left");
        assert_eq!(eta(10, 10, S(20), S(0)), Some(S(0)));
    }

    #[test]
    fn a_pause_in_progress_adds_what_is_left_of_it() {
        assert_eq!(eta(4, 10, S(8), S(30)), Some(S(42)));
        // Before the first step a pause alone gives no pace to go by.
        assert_eq!(eta(0, 10, S(0), S(30)), None);
    }

    #[test]
    fn a_pause_already_taken_slows_the_pace_for_the_rest() {
        // 5 steps in 1 s, then a 59 s budget pause, then 5 more steps in 1 s: 6 s a step.
        assert_eq!(eta(10, 20, S(61), S(0)), Some(S(61)));
    }
}
