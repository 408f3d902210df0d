//! The records scripts see, as Rhai values. Built once per employee and per call of
//! `decide`/`select`, so this is on the hot path: values are converted directly (no serde
//! round-trip) and only the raw keys the scripts read (see [`RawKeys`]).

use super::helpers::text;
use super::syntax::RawKeys;
use crate::model::{Employee, Field, MasterItem};
use crate::plan::{Change, SelectInput};
use rhai::{Dynamic, ImmutableString, Map};
use std::cell::OnceCell;
use std::sync::LazyLock;

/// One read-only copy per employee shared by every hook: cloning it for each call costs more
/// than the scripts themselves, and read-only keeps one hook's edits out of the next
/// (`e.email = ...` is an error; `let x = e;` makes a private copy).
pub(crate) fn shared(map: Map) -> Dynamic {
    Dynamic::from_map(map).into_read_only().into_shared()
}

/// `YYYY-MM-DD`, as `NaiveDate`'s `Display` writes it for years 0 to 9999, without going
/// through the formatter (which writes digit by digit and showed in profiles).
pub(crate) fn date_text(d: chrono::NaiveDate) -> ImmutableString {
    use chrono::Datelike;
    let Ok(year) = u32::try_from(d.year()).map(|y| y as usize) else {
        return d.to_string().into();
    };
    if year > 9999 {
        return d.to_string().into();
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
    text.into()
}

fn date(d: Option<chrono::NaiveDate>) -> Dynamic {
    d.map_or(Dynamic::UNIT, |d| date_text(d).into())
}

/// The record's keys in sorted order, the order of the map's slots that [`employee_map`]
/// fills. Must stay sorted: checked by a test.
pub(crate) const KEYS: [&str; 17] = [
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

/// Where `raw` sits in [`KEYS`].
const RAW: usize = 15;

/// One property of the record as scripts see it, by its slot in [`KEYS`] (`raw` excepted: see
/// [`Subject::raw`]). Canonical fields that are empty read as `()`, as [`Employee::get`] has
/// them.
fn property(e: &Employee, key: usize) -> Dynamic {
    fn canonical(s: &Option<String>) -> Option<&str> {
        s.as_deref().filter(|s| !s.is_empty())
    }
    match key {
        0 => date(e.birth_date),
        1 => text(e.business_first_name.as_deref()),
        2 => text(e.business_first_name_kana.as_deref()),
        3 => text(e.business_last_name.as_deref()),
        4 => text(e.business_last_name_kana.as_deref()),
        5 => text(e.code.as_deref()),
        6 => text(canonical(&e.email)),
        7 => master(e.employment_type.as_ref()),
        8 => text(canonical(&e.first_name)),
        9 => text(canonical(&e.first_name_kana)),
        10 => text(canonical(&e.gender)),
        11 => date(e.hire_date),
        12 => text(canonical(&e.last_name)),
        13 => text(canonical(&e.last_name_kana)),
        14 => master(e.office.as_ref()),
        16 => date(e.resignation_date),
        _ => Dynamic::UNIT,
    }
}

/// Whether `field` already holds what [`Employee::set`] would store for `value`, so that the
/// usual override (an e-mail already in lower case) costs no write.
pub(crate) fn holds(e: &Employee, field: Field, value: Option<&str>) -> bool {
    let wanted = value.map(str::trim).filter(|s| !s.is_empty());
    let current = match field {
        Field::LastName => &e.last_name,
        Field::FirstName => &e.first_name,
        Field::LastNameKana => &e.last_name_kana,
        Field::FirstNameKana => &e.first_name_kana,
        Field::Gender => &e.gender,
        Field::Email => &e.email,
        Field::EmpStatus => &e.status,
        // Stored parsed: the write decides what the text means.
        Field::BirthDate
        | Field::HireDate
        | Field::ResignationDate
        | Field::Office
        | Field::EmploymentType => return false,
    };
    wanted.is_some() && current.as_deref() == wanted
}

/// Office and employment type as `#{id, name}`.
fn master(item: Option<&MasterItem>) -> Dynamic {
    item.map_or(Dynamic::UNIT, |m| {
        Dynamic::from_map(Map::from([
            ("id".into(), m.id.as_str().into()),
            ("name".into(), m.name.as_str().into()),
        ]))
    })
}

/// The source record as scripts see it: canonical field names, dates as `YYYY-MM-DD`, `()`
/// for anything absent, office and employment type as `#{id, name}`, and `raw`, the raw API
/// record (the keys the scripts read).
fn employee_map(e: &Employee, raw: Dynamic) -> Map {
    static TEMPLATE: LazyLock<Map> = LazyLock::new(|| template(&KEYS));
    let mut raw = Some(raw);
    filled(
        &TEMPLATE,
        (0..KEYS.len()).map(|key| {
            if key == RAW {
                raw.take().unwrap_or(Dynamic::UNIT)
            } else {
                property(e, key)
            }
        }),
    )
}

/// A map of these keys, all `()`; `keys` must be sorted, the order of the map's slots.
fn template(keys: &[&str]) -> Map {
    debug_assert!(keys.is_sorted());
    keys.iter().map(|&k| (k.into(), Dynamic::UNIT)).collect()
}

/// A copy of `template` with its slots filled in key order. Cloning a finished map and filling
/// its slots costs half of building one from pairs, which sorts them and compares every key.
fn filled(template: &Map, values: impl IntoIterator<Item = Dynamic>) -> Map {
    let mut map = template.clone();
    for (slot, value) in map.values_mut().zip(values) {
        *slot = value;
    }
    map
}

/// One employee as the rule functions see it: the map `e`, made once and shared by every hook,
/// and its raw record, converted once and kept when the overrides make a new `e`.
pub(crate) struct Subject<'a> {
    pub(crate) employee: &'a Employee,
    keys: &'a RawKeys,
    raw: OnceCell<Dynamic>,
    whole: OnceCell<Dynamic>,
}

impl<'a> Subject<'a> {
    pub(crate) fn new(employee: &'a Employee, keys: &'a RawKeys) -> Subject<'a> {
        Subject::with_raw(employee, keys, OnceCell::new())
    }

    /// With the raw record already converted: overrides change fields, never `raw`.
    pub(crate) fn with_raw(
        employee: &'a Employee,
        keys: &'a RawKeys,
        raw: OnceCell<Dynamic>,
    ) -> Subject<'a> {
        Subject {
            employee,
            keys,
            raw,
            whole: OnceCell::new(),
        }
    }

    pub(crate) fn into_raw(self) -> OnceCell<Dynamic> {
        self.raw
    }

    /// `e.raw`, converted once per employee.
    pub(crate) fn raw(&self) -> &Dynamic {
        self.raw
            .get_or_init(|| raw_record(&self.employee.raw, self.keys))
    }

    /// `e` whole: one read-only copy shared by every hook (see [`shared`]).
    pub(crate) fn whole(&self) -> &Dynamic {
        self.whole
            .get_or_init(|| shared(employee_map(self.employee, self.raw().clone())))
    }
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
                // A repeated key keeps its last value, as serde_json does.
                let text: &serde_json::value::RawValue = object.next_value()?;
                let value = converted(text.get()).map_err(serde::de::Error::custom)?;
                map.insert(key.into(), value);
            } else {
                object.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(map)
    }
}

/// The longest value text kept in [`CONVERTED`]; longer ones are rare and converted each time.
const CACHED_TEXT: usize = 4096;

/// How many converted values a thread keeps before it starts afresh.
const CACHED_VALUES: usize = 4096;

thread_local! {
    /// Values of the raw record converted before, by their JSON text. Employees share most of
    /// what rules read (departments, employment types, groups), and converting JSON into Rhai
    /// values costs more than the rules; a copy of a converted value costs far less.
    static CONVERTED: std::cell::RefCell<std::collections::HashMap<Box<str>, Dynamic>> =
        std::cell::RefCell::default();
}

/// One value of the raw record as Rhai sees it. Rhai's serde conversion matches [`json`]:
/// null is `()`, numbers beyond an integer are floats.
fn converted(text: &str) -> Result<Dynamic, serde_json::Error> {
    if text.len() > CACHED_TEXT {
        return serde_json::from_str(text);
    }
    let cached = CONVERTED.with(|c| c.try_borrow().ok()?.get(text).cloned());
    if let Some(value) = cached {
        return Ok(value);
    }
    let value: Dynamic = serde_json::from_str(text)?;
    CONVERTED.with(|c| {
        if let Ok(mut cache) = c.try_borrow_mut() {
            if cache.len() >= CACHED_VALUES {
                cache.clear();
            }
            cache.insert(text.into(), value.clone());
        }
    });
    Ok(value)
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

/// One change as `select` sees it: `#{field, old, value}`, and `new` for `value`, which
/// scripts can read only as `change["new"]` (`new` is reserved in Rhai).
/// What each of `row.changes` holds; `new` and `value` are the same.
pub(crate) const CHANGE_KEYS: [&str; 4] = ["field", "new", "old", "value"];

/// What `select`'s `row` holds; `employee` and `target` only for a `select` that names them.
pub(crate) const ROW_KEYS: [&str; 4] = ["changes", "employee", "status", "target"];

pub(crate) fn change_map(c: &Change) -> Dynamic {
    static CHANGE: LazyLock<Map> = LazyLock::new(|| template(&CHANGE_KEYS));
    let new = text(c.new.as_deref());
    Dynamic::from_map(filled(
        &CHANGE,
        [
            c.field.name().into(),
            new.clone(),
            text(c.old.as_deref()),
            new,
        ],
    ))
}

pub(crate) fn changes_array(changes: &[Change]) -> Dynamic {
    Dynamic::from_array(changes.iter().map(change_map).collect())
}

/// What `select` sees as `row`. `records` is `None` when no `select` names `employee` or
/// `target`: building them would double the cost of a row for nothing.
pub(crate) fn select_map(row: &SelectInput<'_>, records: Option<&RawKeys>) -> Map {
    static ROW: LazyLock<Map> = LazyLock::new(|| template(&["changes", "status"]));
    let mut map = filled(
        &ROW,
        [changes_array(row.changes), row.status.as_str().into()],
    );
    if let Some(raw) = records {
        map.insert(
            "employee".into(),
            Dynamic::from_map(employee_map(row.source, raw_record(&row.source.raw, raw))),
        );
        map.insert(
            "target".into(),
            row.target.map_or(Dynamic::UNIT, |t| {
                Dynamic::from_map(employee_map(t, raw_record(&t.raw, raw)))
            }),
        );
    }
    map
}

/// A row as `select` sees it, made once and shared by every `select` function.
pub(crate) struct RowView<'a> {
    pub(crate) input: &'a SelectInput<'a>,
    /// The raw keys to convert, when a `select` names `employee` or `target`.
    pub(crate) records: Option<&'a RawKeys>,
    whole: OnceCell<Dynamic>,
}

impl<'a> RowView<'a> {
    pub(crate) fn new(input: &'a SelectInput<'a>, records: Option<&'a RawKeys>) -> RowView<'a> {
        RowView {
            input,
            records,
            whole: OnceCell::new(),
        }
    }

    /// `row` whole, read-only and shared like `e` (see [`shared`]).
    pub(crate) fn whole(&self) -> &Dynamic {
        self.whole
            .get_or_init(|| shared(select_map(self.input, self.records)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map_of(e: &Employee, keys: &RawKeys) -> Map {
        employee_map(e, raw_record(&e.raw, keys))
    }

    #[test]
    fn keys_are_sorted_and_every_synced_field_is_there() {
        assert!(KEYS.is_sorted());
        let slot = |name| KEYS.binary_search(&name).ok();
        assert_eq!(slot("raw"), Some(RAW));
        assert_eq!(slot("office"), Some(14));
        assert_eq!(slot("employment_type"), Some(7));
        let e = Employee {
            birth_date: chrono::NaiveDate::from_ymd_opt(987, 6, 5),
            hire_date: chrono::NaiveDate::from_ymd_opt(2024, 12, 31),
            ..Employee::default()
        };
        let map = map_of(&e, &RawKeys::None);
        for f in Field::SYNCED {
            assert!(map.contains_key(f.name()), "{f:?}");
        }
        assert_eq!(map.len(), KEYS.len());
        let shown = |k: &str| map.get(k).map(|v| v.to_string());
        assert_eq!(shown("birth_date").as_deref(), Some("0987-06-05"));
        assert_eq!(shown("hire_date").as_deref(), Some("2024-12-31"));
    }

    #[test]
    fn holds_only_what_set_would_store_unchanged() {
        let e = Employee {
            email: Some("a@example.com".into()),
            last_name: Some("山田 ".into()),
            first_name: Some(String::new()),
            birth_date: chrono::NaiveDate::from_ymd_opt(1990, 4, 1),
            ..Employee::default()
        };
        assert!(holds(&e, Field::Email, Some(" a@example.com")));
        assert!(!holds(&e, Field::Email, Some("A@example.com")));
        assert!(!holds(&e, Field::LastName, Some("山田 ")));
        assert!(!holds(&e, Field::FirstName, None));
        assert!(!holds(&e, Field::BirthDate, Some("1990-04-01")));
        for (field, value) in [
            (Field::Email, Some(" a@example.com")),
            (Field::LastName, Some("山田 ")),
            (Field::FirstName, None),
        ] {
            let mut set = e.clone();
            set.set(field, value).unwrap_or_else(|err| panic!("{err}"));
            assert_eq!(holds(&e, field, value), set == e, "{field:?}");
        }
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
        let map = map_of(&e, &keys);
        let expected = serde_json::json!({"ab": record["ab"], "list": record["list"]});
        assert_eq!(
            map.get("raw").map(|r| r.to_string()),
            Some(json(&expected).to_string())
        );
        let not_an_object = Employee {
            raw: serde_json::json!([1, 2]).into(),
            ..Employee::default()
        };
        let map = map_of(&not_an_object, &keys);
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
        let map = map_of(&e, &keys);
        let raw = map
            .get("raw")
            .and_then(|r| r.read_lock::<Map>().map(|m| m.clone()));
        let raw = raw.unwrap_or_default();
        assert_eq!(
            raw.keys().map(|k| k.as_str()).collect::<Vec<_>>(),
            ["departments"]
        );
        let all = map_of(&e, &RawKeys::All);
        assert_eq!(
            all.get("raw").map(|r| r.to_string()),
            Some(json(&e.raw.to_value()).to_string())
        );
        let none = map_of(&e, &RawKeys::None);
        assert_eq!(
            none.get("raw").map(|r| r.to_string()),
            Some("#{}".to_string())
        );
    }
}
