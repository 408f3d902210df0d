//! The KOT simulator's clock. KOT's access windows and its default `date` depend on the time
//! in Japan, so tests and the demo must be able to say what time it is.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Utc};
use serde::Deserialize;
use std::sync::Mutex;

/// KOT's windows (JST) during which employee, division and working-type calls are refused:
/// start inclusive, end exclusive (the reference does not say; this is the strict reading).
pub const KOT_WINDOWS: [(u32, u32, u32, u32); 2] = [(8, 30, 10, 0), (17, 30, 18, 30)];

pub use crate::clock::JST;

#[derive(Debug, Clone, Copy)]
enum Mode {
    Real,
    /// Runs from a set time: `now = real_now + offset`.
    Shifted(TimeDelta),
    Frozen(DateTime<FixedOffset>),
}

#[derive(Debug)]
pub struct SimClock {
    mode: Mutex<Mode>,
}

/// The body of `POST /_sim/clock`: `{"now": "2026-04-01T12:00:00+09:00", "frozen": false}`;
/// `{"now": null}` returns to real time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockUpdate {
    pub now: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub frozen: bool,
}

impl SimClock {
    pub fn new(start: Option<DateTime<FixedOffset>>) -> SimClock {
        let clock = SimClock {
            mode: Mutex::new(Mode::Real),
        };
        if let Some(now) = start {
            clock.set(now);
        }
        clock
    }

    /// Sets the time; the clock keeps running from there, so a client that waits for a window
    /// to end sees it end.
    pub fn set(&self, now: DateTime<FixedOffset>) {
        *self.lock() = Mode::Shifted(now.with_timezone(&Utc) - Utc::now());
    }

    /// Sets the time and stops it there.
    pub fn freeze(&self, now: DateTime<FixedOffset>) {
        *self.lock() = Mode::Frozen(now);
    }

    pub fn real(&self) {
        *self.lock() = Mode::Real;
    }

    pub fn update(&self, u: ClockUpdate) {
        match (u.now, u.frozen) {
            (None, _) => self.real(),
            (Some(t), true) => self.freeze(t),
            (Some(t), false) => self.set(t),
        }
    }

    /// The current time in JST.
    pub fn now(&self) -> DateTime<FixedOffset> {
        let utc = match *self.lock() {
            Mode::Real => Utc::now(),
            Mode::Shifted(d) => Utc::now() + d,
            Mode::Frozen(t) => t.with_timezone(&Utc),
        };
        utc.with_timezone(&JST)
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Whether KOT refuses employee calls at this moment.
    pub fn in_access_window(&self) -> bool {
        in_window(self.now().time())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Mode> {
        self.mode.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether a JST wall-clock time falls inside one of [`KOT_WINDOWS`].
pub fn in_window(t: NaiveTime) -> bool {
    KOT_WINDOWS.iter().any(|&(sh, sm, eh, em)| {
        let start = NaiveTime::from_hms_opt(sh, sm, 0);
        let end = NaiveTime::from_hms_opt(eh, em, 0);
        matches!((start, end), (Some(s), Some(e)) if s <= t && t < e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32, s: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, s).unwrap()
    }

    #[test]
    fn windows_include_their_start_and_exclude_their_end() {
        assert!(!in_window(t(8, 29, 59)));
        assert!(in_window(t(8, 30, 0)));
        assert!(in_window(t(9, 59, 59)));
        assert!(!in_window(t(10, 0, 0)));
        assert!(in_window(t(17, 30, 0)));
        assert!(!in_window(t(18, 30, 0)));
    }

    #[test]
    fn a_set_clock_reports_jst_and_a_frozen_one_stays() {
        let c = SimClock::new(None);
        let noon_utc: DateTime<FixedOffset> = "2026-04-01T03:00:00+00:00".parse().unwrap();
        c.freeze(noon_utc);
        assert_eq!(c.now().to_rfc3339(), "2026-04-01T12:00:00+09:00");
        assert_eq!(c.today(), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        let late: DateTime<FixedOffset> = "2026-04-01T23:30:00+09:00".parse().unwrap();
        c.set(late);
        assert!(c.now() >= late && c.now() - late < TimeDelta::seconds(60));
    }
}
