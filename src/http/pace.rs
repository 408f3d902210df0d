//! The adaptive limiter every request to one service goes through.
//!
//! Neither service's limits are confirmed (smarthr-api.md §7, kot-api.md §4), so the pace is
//! learnt from the server rather than trusted from configuration:
//!
//! - The configured rate is only where it starts. Until the first refusal it quadruples every
//!   second of answers ("slow start"); a per-second `x-rate-limit-limit` caps it at once.
//! - A refusal (429, or KOT's code 303) pauses the *whole service* until the reset the server
//!   gave (`x-rate-limit-reset`, `x-intensive-rate-limit-reset`, `Retry-After`), or for a pause
//!   that doubles while refusals repeat when it gave none. The rate the server accepted in the
//!   second before the refusal becomes the ceiling, and the pace drops just below it
//!   (multiplicative decrease).
//! - After that the pace closes in on 97 % of the ceiling and the ceiling creeps up by 0.1 % a
//!   second, so a limit that was raised is found again without a refusal every few seconds
//!   (additive increase).
//! - A budget over a longer window (SmartHR's hourly one, if it exists) is read from the same
//!   headers whenever their reset is more than a few seconds away: when it runs out, the
//!   service pauses until its reset *before* being refused, for at most the longest wait
//!   allowed (longer under `--wait`).

use reqwest::header::HeaderMap;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The pace stays this far under the highest rate the server was seen to accept.
const MARGIN: f64 = 0.97;
/// How much the pace grows per second of answers before the first refusal: fast, because
/// each second spent under an unknown limit is lost, and overshooting costs one pause.
const SLOW_START: f64 = 4.0;
/// How fast the ceiling creeps up per second without a refusal, to find a raised limit.
const PROBE_PER_SECOND: f64 = 0.001;
/// A header set whose reset is further away than this describes a budget, not the per-second
/// limit that pacing already keeps to.
const LONG_WINDOW: Duration = Duration::from_secs(2);
/// The rate-limit header sets SmartHR documents (smarthr-api.md §7): the per-token one and
/// the "intensive" one.
const HEADER_SETS: [&str; 2] = ["x-rate-limit", "x-intensive-rate-limit"];

/// What one service's long-window request budget looked like at its last answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Requests allowed per window, when the server says.
    pub limit: Option<u64>,
    pub remaining: u64,
    /// Time until the window resets, as of when this was read.
    pub resets_in: Duration,
    /// The longest reset seen: an estimate of the window's length.
    pub window: Duration,
}

/// A wait the limiter would have to make that is longer than allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TooLong {
    pub wait: Duration,
    pub budget: Option<Budget>,
}

pub(crate) struct Pacer {
    state: Arc<Mutex<State>>,
}

/// A view of one service's pause (after a refusal, or while an exhausted budget resets) that
/// outlives any borrow of its client: a progress bar asks it how much longer the service is
/// held, to count that in its ETA.
#[derive(Clone)]
pub struct Pause(Arc<Mutex<State>>);

impl Pause {
    /// How much longer every request to the service is held back; zero when it is not paused.
    pub fn left(&self) -> Duration {
        let s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        s.paused_until.saturating_duration_since(Instant::now())
    }
}

struct State {
    /// Requests per second now; `None` sends as fast as asked until the first refusal.
    rate: Option<f64>,
    /// The highest rate the server accepted before it refused; `None` until it has refused.
    ceiling: Option<f64>,
    /// When the next request may go.
    next: Instant,
    /// The whole service waits until then (a refusal, an exhausted budget).
    paused_until: Instant,
    last_answer: Instant,
    /// When each request the server accepted in the last second was answered.
    accepted: VecDeque<Instant>,
    /// The pause after a refusal that named no reset; doubles while refusals repeat.
    unknown_pause: Duration,
    min_pause: Duration,
    max_pause: Duration,
    /// The longest a request may be held back before it fails instead.
    max_wait: Duration,
    budget: Option<(Budget, Instant)>,
}

/// What the headers of one answer say.
struct Headers {
    /// The per-second limit the server announced.
    per_second: Option<f64>,
    /// The soonest reset of an exhausted set, and whether that set is a long window.
    exhausted: Option<(Duration, bool)>,
    budget: Option<Budget>,
}

impl Pacer {
    /// `rate`: where the pace starts (`None`: unpaced until refused). `min_pause`/`max_pause`
    /// bound the pause after a refusal that names no reset; `max_wait` is the longest a
    /// request is held back before it fails.
    pub fn new(
        rate: Option<f64>,
        min_pause: Duration,
        max_pause: Duration,
        max_wait: Duration,
    ) -> Pacer {
        let now = Instant::now();
        Pacer {
            state: Arc::new(Mutex::new(State {
                rate,
                ceiling: None,
                next: now,
                paused_until: now,
                last_answer: now,
                accepted: VecDeque::new(),
                unknown_pause: min_pause,
                min_pause,
                max_pause: max_pause.max(min_pause),
                max_wait,
                budget: None,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update leaves the state consistent, so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this request's turn; how long it waited. A pause longer than allowed fails
    /// at once instead.
    pub async fn admit(&self) -> Result<Duration, TooLong> {
        let start = Instant::now();
        loop {
            let at = {
                let mut s = self.lock();
                let now = Instant::now();
                let pause = s.paused_until.saturating_duration_since(now);
                if pause > s.max_wait {
                    return Err(TooLong {
                        wait: pause,
                        budget: s.budget(now),
                    });
                }
                let at = s.next.max(s.paused_until).max(now);
                s.next = at
                    + s.rate
                        .map_or(Duration::ZERO, |r| Duration::from_secs_f64(1.0 / r));
                at
            };
            tokio::time::sleep_until(at).await;
            // Another request may have been refused while this one slept: its pause holds
            // for everybody.
            if self.lock().paused_until <= Instant::now() {
                return Ok(start.elapsed());
            }
        }
    }

    /// An answer that was not a refusal: the pace may rise, and the headers may announce a
    /// limit or an exhausted budget. Returns the pause that budget imposes, if any.
    pub fn accepted(&self, headers: &HeaderMap) -> Option<Duration> {
        let h = read_headers(headers);
        let mut s = self.lock();
        let now = Instant::now();
        let dt = now
            .saturating_duration_since(s.last_answer)
            .as_secs_f64()
            .min(1.0);
        s.last_answer = now;
        s.accepted.push_back(now);
        s.forget_before(now);
        s.unknown_pause = s.min_pause;
        if let Some(limit) = h.per_second {
            s.ceiling = Some(s.ceiling.map_or(limit, |c| c.min(limit)));
        }
        match (s.rate, s.ceiling) {
            (None, _) => {}
            (Some(r), None) => s.rate = Some(r * SLOW_START.powf(dt)),
            (Some(r), Some(c)) => {
                let c = c * (1.0 + PROBE_PER_SECOND * dt);
                let target = c * MARGIN;
                s.ceiling = Some(c);
                s.rate = Some(if r < target {
                    r + (target - r) * (dt * 0.5).min(1.0)
                } else {
                    target
                });
            }
        }
        if let Some(b) = h.budget {
            s.set_budget(b, now);
        }
        let (wait, _) = h.exhausted?;
        s.pause(now, wait);
        Some(wait)
    }

    /// A refusal: pauses the whole service and lowers the pace. `retry_after` is what the
    /// error asked for; the headers may say more. Returns the pause.
    pub fn refused(&self, headers: &HeaderMap, retry_after: Option<Duration>) -> Duration {
        let h = read_headers(headers);
        let mut s = self.lock();
        let now = Instant::now();
        if let Some(b) = h.budget {
            s.set_budget(b, now);
        }
        let (asked, long) = match h.exhausted {
            Some((wait, long)) => (Some(wait), long),
            None => (retry_after, false),
        };
        let wait = asked.unwrap_or(s.unknown_pause);
        if asked.is_none() {
            s.unknown_pause = (s.unknown_pause * 2).min(s.max_pause);
        }
        // A budget running out says nothing about the pace; a per-second refusal does. None
        // accepted since the last pause means the pause was too short, not the pace too fast.
        if !long {
            s.forget_before(now);
            let accepted = s.accepted.len() as f64;
            if accepted >= 1.0 {
                // What the server took in the last second, but never less than half the pace:
                // a client that was mostly idle accepted little and learns little from it.
                let ceiling = s.rate.map_or(accepted, |r| accepted.max(r * 0.5));
                s.ceiling = Some(ceiling);
                s.rate = Some(s.rate.map_or(ceiling * MARGIN, |r| {
                    if r > ceiling * MARGIN {
                        ceiling * MARGIN
                    } else {
                        // Refused though slower than what was accepted: a limit over a longer
                        // span than a second; back off for real.
                        r * 0.8
                    }
                }));
            }
        }
        s.pause(now, wait);
        s.accepted.clear();
        wait
    }

    /// The last long-window budget the server reported, aged to now.
    pub fn budget(&self) -> Option<Budget> {
        let s = self.lock();
        s.budget(Instant::now())
    }

    /// The longest a request may be held back (an exhausted budget, a long reset) before it
    /// fails instead.
    pub fn set_max_wait(&self, wait: Duration) {
        self.lock().max_wait = wait;
    }

    pub fn max_wait(&self) -> Duration {
        self.lock().max_wait
    }

    /// A handle on this service's pause, see [`Pause`].
    pub fn pause(&self) -> Pause {
        Pause(self.state.clone())
    }

    /// The pace now, in requests per second (`None`: unpaced).
    pub fn rate(&self) -> Option<f64> {
        self.lock().rate
    }
}

impl State {
    fn forget_before(&mut self, now: Instant) {
        let since = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
        let since = since.max(self.paused_until);
        while self.accepted.front().is_some_and(|t| *t < since) {
            self.accepted.pop_front();
        }
    }

    fn set_budget(&mut self, b: Budget, now: Instant) {
        let window = self
            .budget
            .map_or(b.window, |(e, _)| e.window.max(b.window));
        self.budget = Some((Budget { window, ..b }, now));
    }

    fn pause(&mut self, now: Instant, wait: Duration) {
        self.paused_until = self.paused_until.max(now + wait);
    }

    fn budget(&self, now: Instant) -> Option<Budget> {
        self.budget.map(|(b, read)| Budget {
            resets_in: b
                .resets_in
                .saturating_sub(now.saturating_duration_since(read)),
            ..b
        })
    }
}

fn read_headers(headers: &HeaderMap) -> Headers {
    let num = |name: String| {
        headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let mut out = Headers {
        per_second: None,
        exhausted: None,
        budget: None,
    };
    for set in HEADER_SETS {
        let limit = num(format!("{set}-limit"));
        let remaining = num(format!("{set}-remaining"));
        let Some(reset) = num(format!("{set}-reset")).map(Duration::from_secs_f64) else {
            continue;
        };
        let long = reset > LONG_WINDOW;
        match (long, limit) {
            (false, Some(limit)) if limit >= 1.0 => {
                out.per_second = Some(out.per_second.map_or(limit, |p: f64| p.min(limit)));
            }
            (true, _) => {
                if let Some(remaining) = remaining {
                    let budget = Budget {
                        limit: limit.map(|l| l as u64),
                        remaining: remaining as u64,
                        resets_in: reset,
                        window: reset,
                    };
                    // The tightest budget is the one that matters.
                    if out.budget.is_none_or(|b| budget.remaining < b.remaining) {
                        out.budget = Some(budget);
                    }
                }
            }
            _ => {}
        }
        if remaining.is_some_and(|r| r < 1.0) {
            let sooner = out.exhausted.is_none_or(|(w, _)| reset < w);
            // A per-second set at zero is the pace's business until the server refuses:
            // waiting its whole (rounded-up) reset after every full second would halve the
            // throughput. Only a refusal or a long window pauses the service.
            if long && sooner {
                out.exhausted = Some((reset, true));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_per_second_limit_header_caps_the_pace_and_a_long_window_is_a_budget() {
        let h = read_headers(&headers(&[
            ("x-rate-limit-limit", "10"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "1"),
            ("x-intensive-rate-limit-limit", "5000"),
            ("x-intensive-rate-limit-remaining", "12"),
            ("x-intensive-rate-limit-reset", "1800"),
        ]));
        assert_eq!(h.per_second, Some(10.0));
        assert_eq!(h.exhausted, None, "a per-second set at zero does not pause");
        let b = h.budget.unwrap();
        assert_eq!((b.limit, b.remaining), (Some(5000), 12));
        let h = read_headers(&headers(&[
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "30"),
        ]));
        assert_eq!(h.exhausted, Some((Duration::from_secs(30), true)));
    }

    #[tokio::test]
    async fn a_refusal_sets_the_ceiling_to_what_was_accepted_and_pauses_everyone() {
        let p = Pacer::new(
            None,
            Duration::from_millis(40),
            Duration::from_secs(1),
            Duration::from_secs(5),
        );
        for _ in 0..4 {
            p.admit().await.unwrap();
            p.accepted(&HeaderMap::new());
        }
        let pause = p.refused(&HeaderMap::new(), None);
        assert_eq!(pause, Duration::from_millis(40));
        let rate = p.rate().unwrap();
        assert!((rate - 4.0 * MARGIN).abs() < 1e-9, "{rate}");
        let waited = p.admit().await.unwrap();
        assert!(waited >= Duration::from_millis(35), "{waited:?}");
        // A second refusal with no reset doubles the pause.
        assert_eq!(
            p.refused(&HeaderMap::new(), None),
            Duration::from_millis(80)
        );
    }

    #[tokio::test]
    async fn a_pause_longer_than_allowed_fails_at_once() {
        let p = Pacer::new(
            Some(100.0),
            Duration::from_millis(5),
            Duration::from_secs(1),
            Duration::from_secs(1),
        );
        p.accepted(&headers(&[
            ("x-rate-limit-limit", "50"),
            ("x-rate-limit-remaining", "0"),
            ("x-rate-limit-reset", "600"),
        ]));
        let err = p.admit().await.unwrap_err();
        assert!(err.wait > Duration::from_secs(500));
        assert_eq!(err.budget.unwrap().limit, Some(50));
    }
}
