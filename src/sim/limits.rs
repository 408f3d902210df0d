//! Rate limits a simulator enforces in place of the documented ones, so that tests and
//! benchmarks measure how the clients adapt to a limit they were not told, rather than whether
//! they agree with the simulator. Set at start ([`super::SimConfig::limits`]), from a test
//! ([`super::SmartHrSim::set_limits`], [`super::KotSim::set_limits`]) or over
//! `POST /_sim/limits` with this as JSON.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Every limit is per token and counts only the requests it lets through; `None` leaves it to
/// the simulator's default (the documented per-second limit when rate limits are on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimLimits {
    /// Requests per one-second window.
    pub per_second: Option<u32>,
    /// Requests per long window (SmartHR's hourly budget, as third parties describe it).
    pub per_window: Option<u32>,
    /// The long window's length in seconds; 3600 when not set. Tests use a few seconds.
    pub window_seconds: Option<u64>,
    /// Writes per one-second window: an "intensive" limit on heavier operations (which ones
    /// SmartHR counts is unconfirmed; smarthr-api.md §7).
    pub intensive_per_second: Option<u32>,
}

/// One header set's view of a window after a request: `x-<name>-limit/-remaining/-reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    pub limit: u32,
    pub remaining: u32,
    /// Whole seconds until the window resets, rounded up, at least 1.
    pub reset: u64,
}

/// What the limits say about one request.
pub(crate) struct Verdict {
    pub allowed: bool,
    /// The per-second window (the override, or the default passed in).
    pub per_second: Option<Reading>,
    pub long: Option<Reading>,
    pub intensive: Option<Reading>,
}

/// A window of fixed length that starts with the first request after the previous one ended.
struct Window {
    started: Instant,
    used: u32,
}

impl Window {
    fn roll(&mut self, len: Duration, now: Instant) {
        if now.duration_since(self.started) >= len {
            self.started = now;
            self.used = 0;
        }
    }

    fn reading(&self, max: u32, len: Duration, now: Instant) -> Reading {
        let left = len.saturating_sub(now.duration_since(self.started));
        Reading {
            limit: max,
            remaining: max.saturating_sub(self.used),
            reset: left.as_secs_f64().ceil().max(1.0) as u64,
        }
    }
}

struct State {
    limits: SimLimits,
    second: Window,
    long: Window,
    intensive: Window,
    refused: usize,
}

/// The limits and their windows, behind a lock a handler takes once per request.
pub(crate) struct Gauge(Mutex<State>);

impl Gauge {
    pub fn new(limits: SimLimits) -> Gauge {
        let now = Instant::now();
        let window = || Window {
            started: now,
            used: 0,
        };
        Gauge(Mutex::new(State {
            limits,
            second: window(),
            long: window(),
            intensive: window(),
            refused: 0,
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Counters only: a poisoned lock is still consistent enough for a simulator.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set(&self, limits: SimLimits) {
        let mut s = self.lock();
        s.limits = limits;
    }

    pub fn limits(&self) -> SimLimits {
        self.lock().limits
    }

    /// Requests refused by these limits so far.
    pub fn refused(&self) -> usize {
        self.lock().refused
    }

    /// Whether the per-second limit is overridden (else the simulator keeps its own).
    pub fn overrides_per_second(&self) -> bool {
        self.lock().limits.per_second.is_some()
    }

    /// Counts one request if every window has room for it. `default_per_second` is the
    /// simulator's own per-second limit when no override replaces it.
    pub fn check(&self, is_write: bool, default_per_second: Option<u32>) -> Verdict {
        let mut s = self.lock();
        let now = Instant::now();
        let second = Duration::from_secs(1);
        let long_len = Duration::from_secs(s.limits.window_seconds.unwrap_or(3600).max(1));
        s.second.roll(second, now);
        s.long.roll(long_len, now);
        s.intensive.roll(second, now);
        let per_second = s.limits.per_second.or(default_per_second);
        let per_window = s.limits.per_window;
        let intensive = s.limits.intensive_per_second.filter(|_| is_write);
        let room = |w: &Window, max: Option<u32>| max.is_none_or(|m| w.used < m);
        let allowed = room(&s.second, per_second)
            && room(&s.long, per_window)
            && room(&s.intensive, intensive);
        if allowed {
            s.second.used += 1;
            s.long.used += 1;
            if intensive.is_some() {
                s.intensive.used += 1;
            }
        } else {
            s.refused += 1;
        }
        Verdict {
            allowed,
            per_second: per_second.map(|m| s.second.reading(m, second, now)),
            long: per_window.map(|m| s.long.reading(m, long_len, now)),
            intensive: s
                .limits
                .intensive_per_second
                .map(|m| s.intensive.reading(m, second, now)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_window_refuses_beyond_its_limit_and_refusals_do_not_count() {
        let g = Gauge::new(SimLimits {
            per_second: Some(2),
            per_window: Some(3),
            window_seconds: Some(60),
            intensive_per_second: Some(1),
        });
        assert!(g.check(true, None).allowed);
        assert!(!g.check(true, None).allowed, "second write in the second");
        let v = g.check(false, None);
        assert!(v.allowed);
        assert_eq!(v.per_second.unwrap().remaining, 0);
        assert_eq!(v.long.unwrap().remaining, 1);
        assert!(v.long.unwrap().reset > 50);
        assert!(!g.check(false, None).allowed);
        assert_eq!(g.refused(), 2);
    }
}
