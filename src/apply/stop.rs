//! A person's request to stop a run (Ctrl-C in the CLI, the cancel button of the dashboard),
//! counted so that the first press lets the write in flight finish and the second abandons it.
//! Every front end cancels through this one mechanism, so a cancelled run ends the same way:
//! the rest reported not attempted with why, the run recorded as stopped by the user.

use super::StopHow;
use super::why::USER_STOP;
use std::sync::Arc;
use tokio::sync::watch;

/// Whether a report's `stopped` reason is a person stopping the run.
pub fn stopped_by_user(stopped: &str) -> bool {
    stopped.starts_with(USER_STOP)
}

/// Cheap to clone; every clone sees the same presses. The CLI presses it from its Ctrl-C
/// handler, the dashboard from its cancel button; [`super::run`] looks at it between employees
/// and while a write is in flight.
#[derive(Debug, Clone)]
pub struct Stop {
    presses: Arc<watch::Sender<usize>>,
    /// How the person stops a run, for the reason recorded.
    how: StopHow,
}

/// Pressed with Ctrl-C, the CLI's way.
impl Default for Stop {
    fn default() -> Stop {
        Stop::new(StopHow::CtrlC)
    }
}

impl Stop {
    /// A stop pressed `how` (Ctrl-C, the dashboard's cancel button).
    pub fn new(how: StopHow) -> Stop {
        Stop {
            presses: Arc::new(watch::Sender::new(0)),
            how,
        }
    }

    /// How this stop is pressed.
    pub fn how(&self) -> StopHow {
        self.how
    }

    /// Counts one request to stop.
    pub fn press(&self) {
        self.presses.send_modify(|n| *n += 1);
    }

    /// How many times stopping was asked for so far.
    pub fn presses(&self) -> usize {
        *self.presses.borrow()
    }

    /// Resolves once stopping has been asked for at least `n` times.
    pub async fn pressed(&self, n: usize) {
        let mut rx = self.presses.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = rx.wait_for(|p| *p >= n).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn presses_are_counted_and_awaited() {
        let stop = Stop::default();
        let other = stop.clone();
        let waiter = tokio::spawn(async move { other.pressed(2).await });
        stop.press();
        assert_eq!(stop.presses(), 1);
        assert!(!waiter.is_finished());
        stop.press();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("the second press wakes the waiter")
            .expect("no panic");
    }
}
