//! Progress bars on stderr while rosters are fetched and writes are sent. indicatif draws
//! nothing when stderr is not a terminal, so scripts and CI logs stay clean.

use crewsync::apply::{ApplyResult, Outcome};
use crewsync::apply::{Event, Observer};
use crewsync::http::Notice;
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::{Arc, Mutex};

/// Cheap to clone: clones draw on the same bar, so the clients' retry and wait notices (which
/// outlive any borrow) print above it.
#[derive(Clone)]
pub struct Bars {
    bar: Arc<Mutex<Option<(String, ProgressBar)>>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            bar: Arc::new(Mutex::new(None)),
        }
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
        if slot.as_ref().is_none_or(|(l, _)| l != label) {
            if let Some((_, old)) = slot.take() {
                old.finish_and_clear();
            }
            let bar = match total {
                Some(n) => ProgressBar::new(n as u64).with_style(
                    ProgressStyle::with_template("{msg:<24} [{bar:30}] {pos}/{len} {eta}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                ),
                None => ProgressBar::new_spinner(),
            };
            bar.set_message(label.to_string());
            *slot = Some((label.to_string(), bar));
        }
        if let Some((_, bar)) = slot.as_ref() {
            if let Some(n) = total {
                bar.set_length(n as u64);
            }
            f(bar);
        }
    }

    /// A line on stderr that a bar being drawn does not garble.
    fn say(&self, message: &str) {
        match self.bar.lock().ok().as_deref().and_then(Option::as_ref) {
            Some((_, bar)) => bar.suspend(|| eprintln!("{message}")),
            None => eprintln!("{message}"),
        }
    }

    pub fn clear(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some((_, bar)) = slot.take()
        {
            bar.finish_and_clear();
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
            Event::Waiting { message, .. } => self.say(message),
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
