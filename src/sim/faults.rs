//! Fault knobs shared by both simulators, so a test can make the next requests fail the way a
//! real server or network does and check that the clients cope.

use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A pending "fail the next N requests of a kind" setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailNext {
    pub count: usize,
    /// The HTTP status to answer with (500 or 503 in practice).
    pub status: u16,
}

/// A "hold writes before handling them" setting: a slow server, so that a test can act (a
/// Ctrl-C, a second run) while a write is in flight.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelayWrites {
    /// Writes handled at once before the delay starts (0: every write is delayed).
    pub after: usize,
    /// How long each later write waits, in milliseconds, before it is handled as usual.
    pub millis: u64,
}

/// What the knobs are set to now; also the JSON body of `POST /_sim/faults` (every field
/// optional there: an absent field leaves its knob as it is, and an empty body `{}` turns
/// every knob off) and part of `GET /_sim/state`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultState {
    pub fail_next_writes: FailNext,
    pub fail_next_reads: FailNext,
    pub lose_next_write_responses: usize,
    pub rate_limit_next: usize,
    /// KOT only: reject a PUT that lacks any field POST requires (the reference does not know
    /// whether the real API accepts partial bodies, so clients are tested against both).
    pub require_full_put_body: bool,
    /// KOT only: after this many more requests, answer every windowed request as if an access
    /// window had opened (code 104), until [`Faults::close_access_window`]. Lets a test meet
    /// a window at an exact point of a run, which the clock alone cannot time.
    pub access_window_after_requests: Option<usize>,
    /// Every write answers this status (500 in practice) until cleared: a server that fails
    /// all writes, for the apply's circuit breaker.
    pub fail_all_writes: Option<u16>,
    /// Every authorised request answers 200 with a body that echoes the request's
    /// `Authorization` header, as a misconfigured proxy or captive portal might.
    pub echo_authorization: bool,
    /// Every write past the first `after` waits `millis` before it is handled (then applied
    /// as usual), until cleared: a slow server, to interrupt a write in flight.
    pub delay_writes: Option<DelayWrites>,
}

/// The body of `POST /_sim/faults`. One that sets nothing (`{}`) clears every knob, as
/// `clear` does: a knob such as `delay_writes` has no value that means "off", so without this
/// a person driving `crewsync simulate` by hand could not turn it off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultUpdate {
    pub fail_next_writes: Option<FailNext>,
    pub fail_next_reads: Option<FailNext>,
    pub lose_next_write_responses: Option<usize>,
    pub rate_limit_next: Option<usize>,
    pub require_full_put_body: Option<bool>,
    pub access_window_after_requests: Option<usize>,
    pub fail_all_writes: Option<u16>,
    pub echo_authorization: Option<bool>,
    pub delay_writes: Option<DelayWrites>,
    /// Clears every knob before applying the rest.
    pub clear: bool,
}

/// Interior-mutable knobs: cheap to set from a test while the server runs.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<FaultState>,
    /// Writes [`FaultState::delay_writes`] has held so far: a test waits for this to know a
    /// write is in flight.
    delayed: AtomicUsize,
}

impl Faults {
    /// The next `n` POST/PUT/PATCH requests answer `status` in the API's error shape and are
    /// not applied.
    pub fn fail_next_writes(&self, n: usize, status: u16) {
        self.with(|s| s.fail_next_writes = FailNext { count: n, status });
    }

    /// The next `n` GET requests answer `status` in the API's error shape.
    pub fn fail_next_reads(&self, n: usize, status: u16) {
        self.with(|s| s.fail_next_reads = FailNext { count: n, status });
    }

    /// The next `n` writes that pass auth and rate limits are handled as usual (applied when
    /// valid), but the connection is dropped instead of answering, so the client sees a
    /// connection error and cannot know whether the write happened.
    pub fn lose_next_write_responses(&self, n: usize) {
        self.with(|s| s.lose_next_write_responses = n);
    }

    /// The next `n` requests answer 429 in the API's own shape, whatever the real limiter says.
    pub fn rate_limit_next(&self, n: usize) {
        self.with(|s| s.rate_limit_next = n);
    }

    /// See [`FaultState::fail_all_writes`]; `None` ends it.
    pub fn fail_all_writes(&self, status: Option<u16>) {
        self.with(|s| s.fail_all_writes = status);
    }

    /// See [`FaultState::echo_authorization`].
    pub fn echo_authorization(&self, on: bool) {
        self.with(|s| s.echo_authorization = on);
    }

    pub(crate) fn echoes_authorization(&self) -> bool {
        self.with(|s| s.echo_authorization)
    }

    /// See [`FaultState::delay_writes`].
    pub fn delay_writes(&self, after: usize, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.with(|s| s.delay_writes = Some(DelayWrites { after, millis }));
    }

    /// How many writes have been held by [`FaultState::delay_writes`] so far (each counted
    /// when its wait begins).
    pub fn writes_delayed(&self) -> usize {
        self.delayed.load(Ordering::SeqCst)
    }

    /// Counts one write; how long it must wait first, if the delay has begun.
    pub(crate) fn take_write_delay(&self) -> Option<Duration> {
        let delay = self.with(|s| match &mut s.delay_writes {
            Some(d) if d.after > 0 => {
                d.after -= 1;
                None
            }
            Some(d) => Some(Duration::from_millis(d.millis)),
            None => None,
        });
        if delay.is_some() {
            self.delayed.fetch_add(1, Ordering::SeqCst);
        }
        delay
    }

    /// KOT only: see [`FaultState::require_full_put_body`].
    pub fn require_full_put_body(&self, on: bool) {
        self.with(|s| s.require_full_put_body = on);
    }

    /// KOT only: see [`FaultState::access_window_after_requests`].
    pub fn access_window_after_requests(&self, n: usize) {
        self.with(|s| s.access_window_after_requests = Some(n));
    }

    /// Ends a window opened by [`Faults::access_window_after_requests`].
    pub fn close_access_window(&self) {
        self.with(|s| s.access_window_after_requests = None);
    }

    /// Counts one windowed request; whether the forced window is open for it.
    pub(crate) fn window_opens_now(&self) -> bool {
        self.with(|s| match &mut s.access_window_after_requests {
            Some(0) => true,
            Some(n) => {
                *n -= 1;
                false
            }
            None => false,
        })
    }

    /// Turns every knob off.
    pub fn clear(&self) {
        self.with(|s| *s = FaultState::default());
    }

    pub fn state(&self) -> FaultState {
        self.with(|s| s.clone())
    }

    pub fn update(&self, u: FaultUpdate) {
        let clear = u.clear || u == FaultUpdate::default();
        self.with(|s| {
            if clear {
                *s = FaultState::default();
            }
            if let Some(v) = u.fail_next_writes {
                s.fail_next_writes = v;
            }
            if let Some(v) = u.fail_next_reads {
                s.fail_next_reads = v;
            }
            if let Some(v) = u.lose_next_write_responses {
                s.lose_next_write_responses = v;
            }
            if let Some(v) = u.rate_limit_next {
                s.rate_limit_next = v;
            }
            if let Some(v) = u.require_full_put_body {
                s.require_full_put_body = v;
            }
            if let Some(v) = u.access_window_after_requests {
                s.access_window_after_requests = Some(v);
            }
            if let Some(v) = u.fail_all_writes {
                s.fail_all_writes = Some(v);
            }
            if let Some(v) = u.echo_authorization {
                s.echo_authorization = v;
            }
            if let Some(v) = u.delay_writes {
                s.delay_writes = Some(v);
            }
        });
    }

    /// `POST /_sim/faults`: applies the update and answers the knobs' new state.
    pub(crate) fn apply(&self, update: FaultUpdate) -> axum::response::Response {
        use axum::response::IntoResponse;
        self.update(update);
        axum::Json(serde_json::json!({ "faults": self.state() })).into_response()
    }

    pub(crate) fn full_put_body_required(&self) -> bool {
        self.with(|s| s.require_full_put_body)
    }

    /// Consumes one forced 429, if set.
    pub(crate) fn take_rate_limit(&self) -> bool {
        self.with(|s| take_one(&mut s.rate_limit_next))
    }

    /// Consumes one forced failure for a request of this kind; the status to answer.
    pub(crate) fn take_failure(&self, is_write: bool) -> Option<u16> {
        self.with(|s| {
            if is_write && let Some(status) = s.fail_all_writes {
                return Some(status);
            }
            let fail = if is_write {
                &mut s.fail_next_writes
            } else {
                &mut s.fail_next_reads
            };
            take_one(&mut fail.count).then_some(fail.status)
        })
    }

    /// Consumes one "lose the response" for a write.
    pub(crate) fn take_lost_response(&self) -> bool {
        self.with(|s| take_one(&mut s.lose_next_write_responses))
    }

    fn with<T>(&self, f: impl FnOnce(&mut FaultState) -> T) -> T {
        // A panic while holding this lock cannot leave the counters inconsistent, so a
        // poisoned lock is still safe to use.
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

fn take_one(n: &mut usize) -> bool {
    if *n > 0 {
        *n -= 1;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_are_consumed_one_request_at_a_time_and_by_kind() {
        let f = Faults::default();
        f.fail_next_writes(1, 503);
        f.rate_limit_next(1);
        assert!(f.take_rate_limit());
        assert!(!f.take_rate_limit());
        assert_eq!(f.take_failure(false), None);
        assert_eq!(f.take_failure(true), Some(503));
        assert_eq!(f.take_failure(true), None);
        f.lose_next_write_responses(1);
        assert!(f.take_lost_response());
        assert!(!f.take_lost_response());
    }

    #[test]
    fn writes_are_delayed_after_the_given_number_and_counted() {
        let f = Faults::default();
        f.delay_writes(1, Duration::from_millis(7));
        assert_eq!(f.take_write_delay(), None);
        assert_eq!(f.take_write_delay(), Some(Duration::from_millis(7)));
        assert_eq!(f.take_write_delay(), Some(Duration::from_millis(7)));
        assert_eq!(f.writes_delayed(), 2);
        f.clear();
        assert_eq!(f.take_write_delay(), None);
    }

    #[test]
    fn an_empty_update_turns_every_knob_off() {
        let f = Faults::default();
        let set: FaultUpdate = serde_json::from_value(serde_json::json!({
            "fail_next_writes": {"count": 1, "status": 500},
            "fail_next_reads": {"count": 2, "status": 503},
            "lose_next_write_responses": 1,
            "rate_limit_next": 1,
            "require_full_put_body": true,
            "access_window_after_requests": 3,
            "fail_all_writes": 500,
            "echo_authorization": true,
            "delay_writes": {"after": 0, "millis": 50},
        }))
        .unwrap();
        f.update(set);
        assert!(f.state().delay_writes.is_some());
        // Every knob is set, so the reset below is seen on each.
        assert!(f.state().access_window_after_requests.is_some());
        f.update(serde_json::from_str("{}").unwrap());
        assert_eq!(f.state(), FaultState::default());
        assert_eq!(f.take_write_delay(), None);
        // A body that sets one knob leaves the others as they are.
        f.delay_writes(0, Duration::from_millis(5));
        f.update(serde_json::from_value(serde_json::json!({"rate_limit_next": 1})).unwrap());
        assert!(f.state().delay_writes.is_some());
    }

    #[test]
    fn a_forced_window_opens_after_the_given_requests_until_closed() {
        let f = Faults::default();
        f.access_window_after_requests(2);
        assert_eq!([f.window_opens_now(), f.window_opens_now()], [false, false]);
        assert!(f.window_opens_now());
        assert!(f.window_opens_now());
        f.close_access_window();
        assert!(!f.window_opens_now());
    }
}
