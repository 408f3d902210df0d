//! Reading loosely typed JSON records into the canonical model. Both services leave values out
//! (KOT omits nulls, SmartHR nulls attributes a token may not read), so every read is optional,
//! and an empty string counts as absent.

use chrono::NaiveDate;
use serde::Deserialize;
use serde::Deserializer as _;
use serde::de::{Error as _, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::{Borrow, Cow};
use std::collections::HashMap;
use std::fmt;

/// A text property; numbers are accepted as text because a code typed into a spreadsheet
/// import can come back numeric.
pub(crate) fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    text_of(obj.get(key)?)
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A record, or a body of records, that is not what the API documents. Each names the value
/// (an excerpt of it) so that a person can tell what came.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    #[error("property {key} is '{value}', not a YYYY-MM-DD date")]
    BadDate { key: String, value: String },
    #[error("expected each {what} to be a JSON object, got {got}")]
    NotAnObject { what: String, got: String },
    /// Not JSON: the parser's message and the start of the body.
    #[error("{message} in: {body}")]
    Syntax { message: String, body: String },
    #[error("a record has no id: {0}")]
    NoId(String),
    /// An error in one record, named by `what` (crew, employee) and its code or id.
    #[error("{what} {who}: {error}")]
    In {
        what: &'static str,
        who: String,
        error: Box<RecordError>,
    },
}

/// A `YYYY-MM-DD` property. A value that is present but not a date is an error naming the
/// property, rather than silently read as "no date".
fn date_of(key: &str, text: Option<String>) -> Result<Option<NaiveDate>, RecordError> {
    text.map(|s| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| RecordError::BadDate {
            key: key.to_string(),
            value: s.clone(),
        })
    })
    .transpose()
}

/// The record as an object, or an error that says what it was instead.
pub(crate) fn object<'a>(
    value: &'a Value,
    what: &str,
) -> Result<&'a Map<String, Value>, RecordError> {
    value.as_object().ok_or_else(|| not_an_object(value, what))
}

fn not_an_object(value: &Value, what: &str) -> RecordError {
    RecordError::NotAnObject {
        what: what.to_string(),
        got: excerpt(&value.to_string()),
    }
}

/// A record's properties, each still as its JSON text: reading a 40-property crew this way
/// allocates only the values taken from it, where a `Value` would allocate every key and
/// value. Reads follow the same rules as [`text`].
pub(crate) struct Fields<'a>(HashMap<Key<'a>, &'a RawValue>);

impl<'a> Fields<'a> {
    /// The record's properties, or an error (as [`object`]'s) when it is not an object.
    pub fn parse(record: &'a str, what: &str) -> Result<Fields<'a>, RecordError> {
        serde_json::from_str(record)
            .map(Fields)
            .map_err(|_| not_an_object(&serde_json::from_str(record).unwrap_or(Value::Null), what))
    }

    /// A property that is itself an object; `None` when it is absent or anything else.
    pub fn object(&self, key: &str) -> Option<Fields<'a>> {
        serde_json::from_str(self.0.get(key)?.get())
            .map(Fields)
            .ok()
    }

    pub fn value(&self, key: &str) -> Option<Value> {
        serde_json::from_str(self.0.get(key)?.get()).ok()
    }

    pub fn text(&self, key: &str) -> Option<String> {
        text_of(&self.value(key)?)
    }

    pub fn date(&self, key: &str) -> Result<Option<NaiveDate>, RecordError> {
        date_of(key, self.text(key))
    }
}

/// A property name, borrowed from the record unless it had escapes to undo.
#[derive(PartialEq, Eq, Hash)]
struct Key<'a>(Cow<'a, str>);

impl Borrow<str> for Key<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl<'de> Visitor<'de> for Name {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a property name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(Name)
    }
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

/// Reads a JSON array body, converting each element as it is parsed: the body's full tree of
/// values never exists, only the text and the converted records. A conversion error stops the
/// read and is returned as is; a syntax error is returned with an excerpt of the body.
pub(crate) fn records<'a, T>(
    body: &'a [u8],
    convert: impl FnMut(&'a RawValue) -> Result<T, RecordError>,
) -> Result<Vec<T>, RecordError> {
    let mut failed = None;
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed = de
        .deserialize_seq(Each {
            convert,
            failed: &mut failed,
        })
        .and_then(|out| de.end().map(|()| out));
    match (parsed, failed) {
        (_, Some(detail)) => Err(detail),
        (Ok(out), None) => Ok(out),
        (Err(e), None) => Err(syntax_error(&e, body)),
    }
}

/// A body that is not the JSON expected, with the start of it so a person can tell what came.
pub(crate) fn syntax_error(e: &serde_json::Error, body: &[u8]) -> RecordError {
    RecordError::Syntax {
        message: e.to_string(),
        body: excerpt(&String::from_utf8_lossy(body)),
    }
}

struct Each<'f, F> {
    convert: F,
    failed: &'f mut Option<RecordError>,
}

impl<'de, T, F> Visitor<'de> for Each<'_, F>
where
    F: FnMut(&'de RawValue) -> Result<T, RecordError>,
{
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(record) = seq.next_element::<&'de RawValue>()? {
            match (self.convert)(record) {
                Ok(item) => out.push(item),
                Err(detail) => {
                    *self.failed = Some(detail);
                    return Err(A::Error::custom("a record could not be converted"));
                }
            }
        }
        Ok(out)
    }
}
