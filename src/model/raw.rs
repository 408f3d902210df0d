//! An employee's API record kept as the JSON text the server sent.
//!
//! A parsed `serde_json::Value` of a 40-key crew is dozens of small allocations; 100,000
//! records of them were most of a 50k plan's memory. Rules read the record rarely, so it is
//! kept as text and parsed on demand.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::fmt;
use std::sync::{Arc, LazyLock};

/// The record as JSON text, always valid JSON (every constructor takes parsed or serialised
/// JSON). Cloning shares the text, since plans copy employees.
#[derive(Clone)]
pub struct Raw(Arc<str>);

static NULL: LazyLock<Raw> = LazyLock::new(|| Raw(Arc::from("null")));

impl Raw {
    /// The record parsed, for a reader that needs its structure.
    pub fn to_value(&self) -> Value {
        // The text was valid JSON when it was stored, so parsing it again cannot fail.
        serde_json::from_str(&self.0).unwrap_or(Value::Null)
    }

    pub fn is_null(&self) -> bool {
        self.text() == "null"
    }

    /// The JSON text.
    pub fn text(&self) -> &str {
        &self.0
    }
}

impl Default for Raw {
    fn default() -> Self {
        NULL.clone()
    }
}

impl From<&RawValue> for Raw {
    fn from(raw: &RawValue) -> Self {
        Raw(Arc::from(raw.get()))
    }
}

impl From<Box<RawValue>> for Raw {
    fn from(raw: Box<RawValue>) -> Self {
        Raw::from(&*raw)
    }
}

impl From<Value> for Raw {
    fn from(value: Value) -> Self {
        // Serialising a Value cannot fail: its map keys are always strings.
        serde_json::value::to_raw_value(&value).map_or_else(|_| Raw::default(), Raw::from)
    }
}

/// Equal when the records are the same JSON, whatever the key order or spacing.
impl PartialEq for Raw {
    fn eq(&self, other: &Self) -> bool {
        self.text() == other.text() || self.to_value() == other.to_value()
    }
}

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// Serialised as the JSON value itself, so that every format (YAML, Rhai, JSON) sees the
/// record's structure rather than a string.
impl Serialize for Raw {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Raw::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_the_record_and_compares_by_content() {
        let value = json!({"id": "c1", "departments": [{"name": "営業"}], "n": 1});
        let raw = Raw::from(value.clone());
        assert_eq!(raw.to_value(), value);
        let reordered: Box<RawValue> =
            serde_json::from_str(r#"{"n":1, "departments":[{"name":"営業"}], "id":"c1"}"#).unwrap();
        assert_eq!(Raw::from(reordered), raw);
        assert_ne!(Raw::from(json!({"id": "c2"})), raw);
        assert!(Raw::default().is_null() && !raw.is_null());
    }

    #[test]
    fn serialises_as_the_value_in_any_format() {
        let raw = Raw::from(json!({"a": [1, "x"]}));
        assert_eq!(serde_json::to_value(&raw).unwrap(), json!({"a": [1, "x"]}));
        let yaml = serde_yaml_ng::to_string(&raw).unwrap();
        let back: Raw = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(back, raw);
    }
}
