//! A person's request to stop a run (Ctrl-C), counted so that the first press lets the write
//! in flight finish and the second abandons it.

use std::sync::Arc;
use tokio::sync::watch;

/// Cheap to clone; every clone sees the same presses. The CLI presses it from its Ctrl-C
/// handler; [`super::run`] looks at it between employees and while a write is in flight.
#[derive(Debug, Clone)]
pub struct Stop(Arc<watch::Sender<usize>>);

impl Default for Stop {
    fn default() -> Stop {
        Stop(Arc::new(watch::Sender::new(0)))
    }
}

impl Stop {
    /// Counts one request to stop.
    pub fn press(&self) {
        self.0.send_modify(|n| *n += 1);
    }

    /// How many times stopping was asked for so far.
    pub fn presses(&self) -> usize {
        *self.0.borrow()
    }

    /// Resolves once stopping has been asked for at least `n` times.
    pub async fn pressed(&self, n: usize) {
        let mut rx = self.0.subscribe();
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
