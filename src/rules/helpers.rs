//! The only functions scripts get besides Rhai's own string/array/map methods: dates, width and
//! kana normalisation, and lookups in the folder's YAML tables. Nothing here touches files,
//! the network or processes, so a rules folder cannot do anything but compute.

use chrono::{Datelike, NaiveDate};
use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Map};
use std::collections::BTreeMap;
use std::sync::Arc;

type Fallible<T> = Result<T, Box<EvalAltResult>>;

/// The YAML tables of a rules folder, by file stem, converted to Rhai values once at load.
pub(crate) type Tables = Arc<BTreeMap<String, Map>>;

pub(crate) fn register(engine: &mut Engine, tables: Tables) {
    register_strings(engine);
    register_dates(engine);
    register_tables(engine, tables);
}

fn script_error(message: String) -> Box<EvalAltResult> {
    message.into()
}

fn is_hiragana(c: char) -> bool {
    matches!(c, 'ぁ'..='ゖ' | 'ゝ' | 'ゞ')
}

pub(crate) fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn register_strings(engine: &mut Engine) {
    // Rhai's own `trim` changes the variable in place and returns nothing, which surprises
    // newcomers (`let x = e.email.trim();` would give `()`); this one returns the new value.
    engine.register_fn("trim", |s: &str| s.trim().to_string());
    engine.register_fn("lower", |s: &str| s.to_lowercase());
    engine.register_fn("upper", |s: &str| s.to_uppercase());
    engine.register_fn("to_full_width_katakana", to_full_width_katakana);
    engine.register_fn("fold_width", fold_width);
    engine.register_fn("is_blank", is_blank);
    engine.register_fn("is_blank", |_: ()| true);
}

fn register_dates(engine: &mut Engine) {
    engine.register_fn("parse_date", |s: &str| -> Fallible<String> {
        Ok(date(s)?.to_string())
    });
    engine.register_fn("is_date", |s: &str| parse_date(s).is_some());
    engine.register_fn("is_date", |_: ()| false);
    engine.register_fn("years_between", |a: &str, b: &str| -> Fallible<i64> {
        Ok(years_between(date(a)?, date(b)?))
    });
    engine.register_fn("days_between", |a: &str, b: &str| -> Fallible<i64> {
        Ok((date(b)? - date(a)?).num_days())
    });
    engine.register_fn("add_days", |d: &str, n: i64| -> Fallible<String> {
        let d = date(d)?;
        // `TimeDelta::days` panics beyond ±2^63 ms; a script's number must not bring the
        // planner down.
        chrono::TimeDelta::try_days(n)
            .and_then(|delta| d.checked_add_signed(delta))
            .map(|d| d.to_string())
            .ok_or_else(|| script_error(format!("add_days: {d} + {n} days is out of range")))
    });
    engine.register_fn("year", |d: &str| -> Fallible<i64> {
        Ok(date(d)?.year().into())
    });
    engine.register_fn("month", |d: &str| -> Fallible<i64> {
        Ok(date(d)?.month().into())
    });
    engine.register_fn("day", |d: &str| -> Fallible<i64> {
        Ok(date(d)?.day().into())
    });
}

fn register_tables(engine: &mut Engine, tables: Tables) {
    let t = tables.clone();
    engine.register_fn("table", move |name: &str| -> Fallible<Map> {
        table(&t, name).cloned()
    });
    let t = tables.clone();
    engine.register_fn(
        "lookup",
        move |name: &str, key: Dynamic| -> Fallible<Dynamic> {
            lookup(&t, name, &key, Dynamic::UNIT)
        },
    );
    let t = tables;
    engine.register_fn(
        "lookup",
        move |name: &str, key: Dynamic, default: Dynamic| -> Fallible<Dynamic> {
            lookup(&t, name, &key, default)
        },
    );
}

fn table<'a>(tables: &'a Tables, name: &str) -> Fallible<&'a Map> {
    tables.get(name).ok_or_else(|| {
        let known: Vec<&str> = tables.keys().map(String::as_str).collect();
        script_error(no_table(name, &known))
    })
}

/// What to do about a table name the folder has no YAML file for.
pub(crate) fn no_table(name: &str, known: &[&str]) -> String {
    let meant = crate::suggest::did_you_mean(name, known.iter().copied())
        .map_or_else(String::new, |hint| format!("{hint} Or "));
    format!(
        "no table named '{name}': {meant}add {name}.yaml to the rules folder (tables: {})",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    )
}

/// Keys are compared as text so that a YAML key `1000` and a script string `"1000"` meet.
pub(crate) fn lookup(
    tables: &Tables,
    name: &str,
    key: &Dynamic,
    default: Dynamic,
) -> Fallible<Dynamic> {
    let table = table(tables, name)?;
    if key.is_unit() {
        return Ok(default);
    }
    let key = key.to_string();
    Ok(table.get(key.as_str()).cloned().unwrap_or(default))
}

fn date(s: &str) -> Fallible<NaiveDate> {
    parse_date(s).ok_or_else(|| {
        script_error(format!(
            "'{s}' is not a date: use YYYY-MM-DD (YYYY/MM/DD and YYYYMMDD are read too)"
        ))
    })
}

/// Accepts the spellings integrators meet in spreadsheets as well as the canonical one.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
}

/// Whole years from `a` to `b`: an age when `a` is a birth date.
pub(crate) fn years_between(a: NaiveDate, b: NaiveDate) -> i64 {
    let (from, to, sign) = if a <= b { (a, b, 1) } else { (b, a, -1) };
    let mut years = i64::from(to.year() - from.year());
    if (to.month(), to.day()) < (from.month(), from.day()) {
        years -= 1;
    }
    sign * years
}

/// Half-width katakana from U+FF61 to U+FF9F, in code point order.
const HALF_WIDTH_KANA: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";

fn half_width_kana(c: char) -> Option<char> {
    let index = (c as u32).checked_sub(0xFF61)? as usize;
    HALF_WIDTH_KANA.chars().nth(index)
}

/// The voiced (゛) or semi-voiced (゜) form of a full-width katakana, when it has one.
fn voiced(c: char, semi: bool) -> Option<char> {
    let offset = match (c, semi) {
        ('ウ', false) => return Some('ヴ'),
        ('カ'..='ト', false) if "カキクケコサシスセソタチツテト".contains(c) => 1,
        ('ハ'..='ホ', _) if "ハヒフヘホ".contains(c) => {
            if semi {
                2
            } else {
                1
            }
        }
        _ => return None,
    };
    char::from_u32(c as u32 + offset)
}

/// Half-width katakana (with their voicing marks combined) and hiragana become full-width
/// katakana, the form both services show for name readings. Everything else is kept.
pub(crate) fn to_full_width_katakana(s: &str) -> String {
    widen_kana(s, true)
}

fn widen_kana(s: &str, hiragana: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mark = match c {
            '\u{FF9E}' => Some(false),
            '\u{FF9F}' => Some(true),
            _ => None,
        };
        if let Some(semi) = mark
            && let Some(v) = out.chars().last().and_then(|last| voiced(last, semi))
        {
            out.pop();
            out.push(v);
            continue;
        }
        let c = match c {
            c if hiragana && is_hiragana(c) => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => half_width_kana(c).unwrap_or(c),
        };
        out.push(c);
    }
    out
}

/// NFKC-like width folding: full-width ASCII letters, digits and symbols become ASCII, the
/// ideographic space a plain space, and half-width katakana full-width.
pub(crate) fn fold_width(s: &str) -> String {
    let ascii: String = s
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect();
    // Hiragana stays hiragana here: folding only changes width, never the script.
    widen_kana(&ascii, false)
}

/// Used by the conversions so that absent values reach scripts as `()`.
pub(crate) fn text(value: Option<&str>) -> Dynamic {
    value.map_or(Dynamic::UNIT, |v| Dynamic::from(ImmutableString::from(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_and_hiragana_become_full_width_katakana() {
        assert_eq!(to_full_width_katakana("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(to_full_width_katakana("ﾊﾟﾋﾟｰ ｳﾞｨ"), "パピー ヴィ");
        assert_eq!(to_full_width_katakana("やまだ たろう"), "ヤマダ タロウ");
        assert_eq!(to_full_width_katakana("ヤマダ Taro"), "ヤマダ Taro");
    }

    #[test]
    fn fold_width_turns_full_width_ascii_into_ascii() {
        assert_eq!(
            fold_width("ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｃｏｍ"),
            "TARO@example.com"
        );
        assert_eq!(fold_width("山田　ﾀﾛｳ"), "山田 タロウ");
    }

    #[test]
    fn years_between_counts_whole_years() {
        let d = |s| parse_date(s).unwrap();
        assert_eq!(years_between(d("1990-04-02"), d("2020-04-01")), 29);
        assert_eq!(years_between(d("1990-04-01"), d("2020-04-01")), 30);
        assert_eq!(years_between(d("2020-04-01"), d("1990-04-01")), -30);
        assert_eq!(parse_date("2020/4/1"), Some(d("2020-04-01")));
        assert_eq!(parse_date("20200401"), Some(d("2020-04-01")));
    }
}
