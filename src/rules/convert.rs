//! The records scripts see, as Rhai values. Built once per employee and per call of
//! `decide`/`select`, so this is on the hot path: values are converted directly (no serde
//! round-trip) and only the raw keys the scripts read (see [`super::scan`]).

use super::helpers::text;
use super::scan::RawKeys;
use crate::model::{Employee, Field, MasterItem};
use crate::plan::SelectInput;
use rhai::{Array, Dynamic, ImmutableString, Map};

/// One read-only copy per employee shared by every hook: cloning it for each call costs more
/// than the scripts themselves, and read-only keeps one hook's edits out of the next
/// (`e.email = ...` is an error; `let x = e;` makes a private copy).
pub(crate) fn shared(map: Map) -> Dynamic {
    Dynamic::from_map(map).into_read_only().into_shared()
}

/// A canonical field as scripts see it: text, dates as `YYYY-MM-DD`, `()` when absent or
/// empty (as [`Employee::get`], without copying the text twice).
pub(crate) fn field(e: &Employee, field: Field) -> Dynamic {
    let some = |s: Option<&str>| text(s.filter(|s| !s.is_empty()));
    let item = |m: &Option<MasterItem>| some(m.as_ref().map(|m| m.id.as_str()));
    match field {
        Field::LastName => some(e.last_name.as_deref()),
        Field::FirstName => some(e.first_name.as_deref()),
        Field::LastNameKana => some(e.last_name_kana.as_deref()),
        Field::FirstNameKana => some(e.first_name_kana.as_deref()),
        Field::Gender => some(e.gender.as_deref()),
        Field::BirthDate => date(e.birth_date),
        Field::Email => some(e.email.as_deref()),
        Field::HireDate => date(e.hire_date),
        Field::ResignationDate => date(e.resignation_date),
        Field::Office => item(&e.office),
        Field::EmploymentType => item(&e.employment_type),
    }
}

/// `YYYY-MM-DD`, as `NaiveDate`'s `Display` writes it for years 0 to 9999, without going
/// through the formatter (which writes digit by digit and showed in profiles).
fn date(d: Option<chrono::NaiveDate>) -> Dynamic {
    use chrono::Datelike;
    let Some(d) = d else {
        return Dynamic::UNIT;
    };
    let Ok(year) = u32::try_from(d.year()).map(|y| y as usize) else {
        return ImmutableString::from(d.to_string()).into();
    };
    if year > 9999 {
        return ImmutableString::from(d.to_string()).into();
    }
    let digits = |n: usize, width: usize| {
        (0..width)
            .rev()
            .map(move |i| char::from(b'0' + (n / 10usize.pow(i as u32) % 10) as u8))
    };
    let text: String = digits(year, 4)
        .chain(std::iter::once('-'))
        .chain(digits(d.month() as usize, 2))
        .chain(std::iter::once('-'))
        .chain(digits(d.day() as usize, 2))
        .collect();
    ImmutableString::from(text).into()
}

/// The record's keys in sorted order, the order of the map's slots that [`employee_map`]
/// fills. Must stay sorted: checked by a test.
const KEYS: [&str; 17] = [
    "birth_date",
    "business_first_name",
    "business_first_name_kana",
    "business_last_name",
    "business_last_name_kana",
    "code",
    "email",
    "employment_type",
    "first_name",
    "first_name_kana",
    "gender",
    "hire_date",
    "last_name",
    "last_name_kana",
    "office",
    "raw",
    "resignation_date",
];

/// The source record as scripts see it: canonical field names, dates as `YYYY-MM-DD`, `()`
/// for anything absent, office and employment type as `#{id, name}`, and the raw API record
/// (the keys in `raw`).
pub(crate) fn employee_map(e: &Employee, raw: &RawKeys) -> Map {
    let master = |item: &Option<MasterItem>| {
        item.as_ref().map_or(Dynamic::UNIT, |m| {
            Dynamic::from_map(Map::from([
                ("id".into(), m.id.as_str().into()),
                ("name".into(), m.name.as_str().into()),
            ]))
        })
    };
    let values: [Dynamic; 17] = [
        field(e, Field::BirthDate),
        text(e.business_first_name.as_deref()),
        text(e.business_first_name_kana.as_deref()),
        text(e.business_last_name.as_deref()),
        text(e.business_last_name_kana.as_deref()),
        text(e.code.as_deref()),
        field(e, Field::Email),
        master(&e.employment_type),
        field(e, Field::FirstName),
        field(e, Field::FirstNameKana),
        field(e, Field::Gender),
        field(e, Field::HireDate),
        field(e, Field::LastName),
        field(e, Field::LastNameKana),
        master(&e.office),
        raw_record(&e.raw, raw),
        field(e, Field::ResignationDate),
    ];
    // Cloning a finished map and filling its slots in key order costs half of building one
    // from pairs, which sorts them and compares every key.
    static TEMPLATE: std::sync::LazyLock<Map> = std::sync::LazyLock::new(|| {
        KEYS.into_iter()
            .map(|k| (k.into(), Dynamic::UNIT))
            .collect()
    });
    let mut map = TEMPLATE.clone();
    for (slot, value) in map.values_mut().zip(values) {
        *slot = value;
    }
    map
}

/// The raw record as scripts see it. Only the top-level keys the scripts name are parsed from
/// the stored JSON text: a crew has dozens of properties and rules read two or three.
fn raw_record(raw: &crate::model::Raw, keys: &RawKeys) -> Dynamic {
    if raw.is_null() || matches!(keys, RawKeys::None) {
        return Dynamic::from_map(Map::new());
    }
    let RawKeys::Some(keys) = keys else {
        return json(&raw.to_value());
    };
    // A record that is not an object is converted whole, which is what the script would see.
    use serde::de::DeserializeSeed;
    let mut reader = serde_json::Deserializer::from_str(raw.text());
    match (NamedKeys(keys)).deserialize(&mut reader) {
        Ok(map) => Dynamic::from_map(map),
        Err(_) => json(&raw.to_value()),
    }
}

/// Reads a JSON object in one pass, converting only the values of `keys` (straight to Rhai
/// values) and skipping the rest unparsed: building a map of every key, as before, cost more
/// than the scripts that read the record.
struct NamedKeys<'a>(&'a std::collections::BTreeSet<String>);

impl<'de> serde::de::DeserializeSeed<'de> for NamedKeys<'_> {
    type Value = Map;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Map, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for NamedKeys<'_> {
    type Value = Map;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut object: A) -> Result<Map, A::Error> {
        let mut map = Map::new();
        while let Some(key) = object.next_key_seed(KeyIfNamed(self.0))? {
            if let Some(key) = key {
                // Rhai's serde conversion matches [`json`]: null is `()`, numbers beyond an
                // integer are floats. A repeated key keeps its last value, as serde_json does.
                let value: Dynamic = object.next_value()?;
                map.insert(key.into(), value);
            } else {
                object.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(map)
    }
}

/// A key of the raw record, as the named key it equals, if any: not copied (`Cow<str>` would
/// copy every key, as serde deserializes it owned).
struct KeyIfNamed<'a>(&'a std::collections::BTreeSet<String>);

impl<'de, 'a> serde::de::DeserializeSeed<'de> for KeyIfNamed<'a> {
    type Value = Option<&'a str>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de, 'a> serde::de::Visitor<'de> for KeyIfNamed<'a> {
    type Value = Option<&'a str>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.get(key).map(String::as_str))
    }
}

/// A JSON value as the equivalent Rhai value; numbers that do not fit an integer become floats.
pub(crate) fn json(value: &serde_json::Value) -> Dynamic {
    use serde_json::Value;
    match value {
        Value::Null => Dynamic::UNIT,
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().map_or(Dynamic::UNIT, Dynamic::from_float),
        },
        Value::String(s) => ImmutableString::from(s.as_str()).into(),
        Value::Array(items) => Dynamic::from_array(items.iter().map(json).collect()),
        Value::Object(object) => Dynamic::from_map(
            object
                .iter()
                .map(|(k, v)| (k.as_str().into(), json(v)))
                .collect(),
        ),
    }
}

/// What `select` sees as `row`. `records` is `None` when no `select` names `employee` or
/// `target`: building them would double the cost of a row for nothing.
pub(crate) fn select_map(row: &SelectInput<'_>, records: Option<&RawKeys>) -> Map {
    let changes: Array = row
        .changes
        .iter()
        .map(|c| {
            Dynamic::from_map(Map::from([
                ("field".into(), c.field.name().into()),
                ("new".into(), text(c.new.as_deref())),
                ("old".into(), text(c.old.as_deref())),
            ]))
        })
        .collect();
    let mut map = Map::from([
        ("changes".into(), Dynamic::from_array(changes)),
        ("status".into(), row.status.as_str().into()),
    ]);
    if let Some(raw) = records {
        map.insert(
            "employee".into(),
            Dynamic::from_map(employee_map(row.source, raw)),
        );
        map.insert(
            "target".into(),
            row.target
                .map_or(Dynamic::UNIT, |t| Dynamic::from_map(employee_map(t, raw))),
        );
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_every_synced_field_is_there() {
        assert!(KEYS.is_sorted());
        let e = Employee {
            birth_date: chrono::NaiveDate::from_ymd_opt(987, 6, 5),
            hire_date: chrono::NaiveDate::from_ymd_opt(2024, 12, 31),
            ..Employee::default()
        };
        let map = employee_map(&e, &RawKeys::None);
        for f in Field::SYNCED {
            assert!(map.contains_key(f.name()), "{f:?}");
        }
        assert_eq!(map.len(), KEYS.len());
        let shown = |k: &str| map.get(k).map(|v| v.to_string());
        assert_eq!(shown("birth_date").as_deref(), Some("0987-06-05"));
        assert_eq!(shown("hire_date").as_deref(), Some("2024-12-31"));
    }

    #[test]
    fn json_converts_like_rhai_serde() {
        let value = serde_json::json!({
            "a": [1, 2.5, "x", null, true], "b": {"c": 18446744073709551615u64}, "d": "山田"
        });
        let direct = json(&value);
        let serde: Dynamic = rhai::serde::to_dynamic(&value).unwrap_or(Dynamic::UNIT);
        assert_eq!(direct.to_string(), serde.to_string());
    }

    #[test]
    fn named_raw_keys_convert_like_the_whole_record() {
        let text = r#"{"a\u0062": {"n": null, "big": 18446744073709551615, "f": 2.5},
            "skip": [1, {"x": "y"}], "ab": "later wins", "list": [true, "山田", -3, 18446744073709551615, 2.5, null]}"#;
        let record: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        // Kept as text, so that the escaped and repeated key reach the reader.
        let raw = serde_json::value::RawValue::from_string(text.to_string());
        let e = Employee {
            raw: raw.map(crate::model::Raw::from).unwrap_or_default(),
            ..Employee::default()
        };
        assert!(e.raw.text().contains("a\\u0062"));
        let keys = RawKeys::Some(["ab".to_string(), "list".to_string()].into());
        let map = employee_map(&e, &keys);
        let expected = serde_json::json!({"ab": record["ab"], "list": record["list"]});
        assert_eq!(
            map.get("raw").map(|r| r.to_string()),
            Some(json(&expected).to_string())
        );
        let not_an_object = Employee {
            raw: serde_json::json!([1, 2]).into(),
            ..Employee::default()
        };
        let map = employee_map(&not_an_object, &keys);
        assert_eq!(map.get("raw").map(|r| r.to_string()), Some("[1, 2]".into()));
    }

    #[test]
    fn only_the_named_raw_keys_are_converted() {
        let e = Employee {
            raw: serde_json::json!({"departments": [{"name": "営業部"}], "tel": "03", "x": 1})
                .into(),
            ..Employee::default()
        };
        let keys = RawKeys::Some(["departments".to_string(), "absent".to_string()].into());
        let map = employee_map(&e, &keys);
        let raw = map
            .get("raw")
            .and_then(|r| r.read_lock::<Map>().map(|m| m.clone()));
        let raw = raw.unwrap_or_default();
        assert_eq!(
            raw.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["departments"]
        );
        let all = employee_map(&e, &RawKeys::All);
        assert_eq!(
            all.get("raw").map(|r| r.to_string()),
            Some(json(&e.raw.to_value()).to_string())
        );
        let none = employee_map(&e, &RawKeys::None);
        assert_eq!(
            none.get("raw").map(|r| r.to_string()),
            Some("#{}".to_string())
        );
    }
}
