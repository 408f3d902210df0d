//! KING OF TIME's access windows (08:30–10:00 and 17:30–18:30 JST by default), during which
//! it refuses every employee, division and working-type call with code 104.
//!
//! crewsync checks them before it starts so that a run is never begun only to be cut off, and
//! `--wait` sleeps until the window closes. Windows are in JST whatever the machine's zone.

use crate::clock::JST;
use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use std::fmt;
use std::str::FromStr;

/// A daily window `[start, end)` in JST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a window: write it as \"HH:MM-HH:MM\" in JST with the start before the end, e.g. \"08:30-10:00\""
)]
pub struct WindowError(pub String);

impl FromStr for Window {
    type Err = WindowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || WindowError(s.to_string());
        let (a, b) = s.split_once('-').ok_or_else(bad)?;
        let t = |x: &str| NaiveTime::parse_from_str(x.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (t(a)?, t(b)?);
        if start >= end {
            return Err(bad());
        }
        Ok(Window { start, end })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{} JST",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

/// The window `now` falls in, with the moment it closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inside {
    pub window: Window,
    pub reopens: DateTime<FixedOffset>,
}

impl Inside {
    pub fn wait(&self, now: DateTime<Utc>) -> std::time::Duration {
        (self.reopens.with_timezone(&Utc) - now)
            .max(Duration::zero())
            .to_std()
            .unwrap_or_default()
    }
}

impl fmt::Display for Inside {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "KING OF TIME's access window {} (as configured in maintenance_windows) is open: KING OF TIME refuses employee calls then, so crewsync makes none; it reopens at {}",
            self.window,
            self.reopens.format("%H:%M JST (%Y-%m-%d)")
        )
    }
}

/// Which window, if any, `now` is inside. Back-to-back windows are followed to the real end.
pub fn inside(windows: &[Window], now: DateTime<Utc>) -> Option<Inside> {
    let local = now.with_timezone(&JST);
    let time = local.time();
    let hit = windows.iter().find(|w| w.start <= time && time < w.end)?;
    let mut end = hit.end;
    while let Some(next) = windows.iter().find(|w| w.start <= end && end < w.end) {
        end = next.end;
    }
    let reopens = JST
        .from_local_datetime(&local.date_naive().and_time(end))
        .single()?;
    Some(Inside {
        window: *hit,
        reopens,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hm: &str) -> DateTime<Utc> {
        let t = NaiveTime::parse_from_str(hm, "%H:%M").unwrap();
        JST.from_local_datetime(
            &"2026-04-01"
                .parse::<chrono::NaiveDate>()
                .unwrap()
                .and_time(t),
        )
        .unwrap()
        .with_timezone(&Utc)
    }

    fn defaults() -> Vec<Window> {
        vec![
            "08:30-10:00".parse().unwrap(),
            "17:30-18:30".parse().unwrap(),
        ]
    }

    #[test]
    fn start_is_inside_and_end_is_outside() {
        assert!(inside(&defaults(), at("08:29")).is_none());
        let i = inside(&defaults(), at("08:30")).unwrap();
        assert_eq!(i.reopens.format("%H:%M").to_string(), "10:00");
        assert_eq!(i.wait(at("09:00")), std::time::Duration::from_secs(3600));
        assert!(inside(&defaults(), at("10:00")).is_none());
        assert!(inside(&defaults(), at("18:00")).is_some());
    }

    #[test]
    fn bad_windows_are_named() {
        assert_eq!(
            "10:00-08:30".parse::<Window>().unwrap_err(),
            WindowError("10:00-08:30".into())
        );
        assert!("8h-9h".parse::<Window>().is_err());
    }
}
