//! Time as crewsync reads it: both services, their people and KOT's access windows live in
//! Japan, so dates and times shown or compared are JST whatever the machine's time zone. The one
//! place "today" is computed.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use std::hash::{BuildHasher, Hasher};

/// Japan Standard Time: no daylight saving, so a fixed offset is exact; checked at compile time.
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+9 is a valid offset"),
};

/// Today in Japan: "before today" for a resignation date and the default roster date mean the
/// Japanese calendar day, whatever the machine's time zone.
pub fn today_jst() -> NaiveDate {
    Utc::now().with_timezone(&JST).date_naive()
}

/// `YYYYMMDD-HHMMSS-xxxx`: `now` in UTC plus four random hex digits, for ids (runs, saved
/// plans) that sort by time, are short enough to type, and still differ within one second.
pub(crate) fn stamp_id(now: DateTime<Utc>, salt: u64) -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(salt);
    hasher.write_u32(std::process::id());
    hasher.write_i64(now.timestamp_nanos_opt().unwrap_or_default());
    format!(
        "{}-{:04x}",
        now.format("%Y%m%d-%H%M%S"),
        hasher.finish() & 0xffff
    )
}
