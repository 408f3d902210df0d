//! Reading loosely typed JSON records into the canonical model. Both services leave values out
//! (KOT omits nulls, SmartHR nulls attributes a token may not read), so every read is optional,
//! and an empty string counts as absent.

use chrono::NaiveDate;
use serde_json::{Map, Value};

/// A text property; numbers are accepted as text because a code typed into a spreadsheet
/// import can come back numeric.
pub(crate) fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A `YYYY-MM-DD` property. A value that is present but not a date is an error naming the
/// property, rather than silently read as "no date".
pub(crate) fn date(obj: &Map<String, Value>, key: &str) -> Result<Option<NaiveDate>, String> {
    text(obj, key)
        .map(|s| {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map_err(|_| format!("property {key} is '{s}', not a YYYY-MM-DD date"))
        })
        .transpose()
}

/// The record as an object, or an error that says what it was instead.
pub(crate) fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    value.as_object().ok_or_else(|| {
        format!(
            "expected each {what} to be a JSON object, got {}",
            excerpt(&value.to_string())
        )
    })
}

/// The first characters of a body, for messages: enough to recognise an HTML error page or a
/// proxy's answer without flooding the terminal.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 200;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "empty body".to_string();
    }
    match trimmed.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_string(),
    }
}
