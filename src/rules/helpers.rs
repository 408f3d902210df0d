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

/// What a helper says when it is given something outside its documented forms: the helper,
/// what it got (`()`, a number, ...) and what it takes, instead of Rhai's "function not found".
fn refused(helper: &str, got: &[Dynamic], takes: &str) -> Box<EvalAltResult> {
    let got: Vec<String> = got.iter().map(shown).collect();
    let hint = if got.iter().any(|g| g.starts_with("()")) {
        " (a field that is empty is (); test it first, e.g. `if x != () { ... }`, or write `x ?? \"\"`)"
    } else {
        ""
    };
    script_error(format!(
        "{helper}({}): {helper} takes {takes}{hint}",
        got.join(", ")
    ))
}

/// A value and its type as an error shows it: `42 (i64)`, `"x" (string)`.
fn shown(v: &Dynamic) -> String {
    if v.is_string() {
        format!("{v:?} (text)")
    } else if v.is_unit() {
        "()".to_string()
    } else {
        format!("{v} ({})", v.type_name())
    }
}

/// Registers, beside a helper's documented forms, one for any other arguments of the same
/// count, which refuses them by name; Rhai tries the exact types first.
fn refuse_others(engine: &mut Engine, helper: &'static str, arity: usize, takes: &'static str) {
    match arity {
        0 => {}
        1 => {
            engine.register_fn(helper, move |a: Dynamic| -> Fallible<Dynamic> {
                Err(refused(helper, &[a], takes))
            });
        }
        2 => {
            engine.register_fn(helper, move |a: Dynamic, b: Dynamic| -> Fallible<Dynamic> {
                Err(refused(helper, &[a, b], takes))
            });
        }
        _ => {
            engine.register_fn(
                helper,
                move |a: Dynamic, b: Dynamic, c: Dynamic| -> Fallible<Dynamic> {
                    Err(refused(helper, &[a, b, c], takes))
                },
            );
        }
    }
}

fn is_hiragana(c: char) -> bool {
    matches!(c, 'ぁ'..='ゖ' | 'ゝ' | 'ゞ')
}

fn is_half_width_kana(c: char) -> bool {
    matches!(c, '\u{FF61}'..='\u{FF9F}')
}

pub(crate) fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// A text helper: text in, text out.
type TextFn = fn(&str) -> String;

/// The text helpers. Each refuses `()` and other values by name.
const TEXT: [(&str, TextFn); 5] = [
    // Rhai's own `trim` changes the variable in place and returns nothing, which surprises
    // newcomers (`let x = e.email.trim();` would give `()`); this one returns the new value.
    ("trim", |s| s.trim().to_string()),
    ("lower", str::to_lowercase),
    ("upper", str::to_uppercase),
    ("to_full_width_katakana", to_full_width_katakana),
    ("fold_width", fold_width),
];

fn register_strings(engine: &mut Engine) {
    for (name, f) in TEXT {
        engine.register_fn(name, move |s: &str| f(s));
        refuse_others(engine, name, 1, "text");
    }
    engine.register_fn("is_blank", is_blank);
    engine.register_fn("is_blank", |_: ()| true);
    refuse_others(engine, "is_blank", 1, "text or ()");
    // Clearing a field is said out loud: `()` in `overrides` means "no opinion".
    engine.register_fn("clear", String::new);
}

/// What the date helpers take, for their errors.
const DATE: &str = "a date as text \"YYYY-MM-DD\" (what e.birth_date holds and parse_date returns)";
const DATE_AND_DAYS: &str = "a date as text \"YYYY-MM-DD\" and a whole number of days";
const SPELLED: &str = "text \"YYYY-MM-DD\", \"YYYY/MM/DD\" or \"YYYYMMDD\"";

fn register_dates(engine: &mut Engine) {
    engine.register_fn("parse_date", |s: &str| -> Fallible<String> {
        spelled_date(s)
            .map(|d| d.to_string())
            .map_err(|why| script_error(format!("parse_date({s:?}): {why}")))
    });
    refuse_others(engine, "parse_date", 1, SPELLED);
    engine.register_fn("is_date", |s: &str| spelled_date(s).is_ok());
    engine.register_fn("is_date", |_: ()| false);
    refuse_others(engine, "is_date", 1, "text or ()");
    engine.register_fn("years_between", |a: &str, b: &str| -> Fallible<i64> {
        Ok(years_between(
            date("years_between", a)?,
            date("years_between", b)?,
        ))
    });
    refuse_others(
        engine,
        "years_between",
        2,
        "two dates as text \"YYYY-MM-DD\"",
    );
    engine.register_fn("days_between", |a: &str, b: &str| -> Fallible<i64> {
        Ok((date("days_between", b)? - date("days_between", a)?).num_days())
    });
    refuse_others(
        engine,
        "days_between",
        2,
        "two dates as text \"YYYY-MM-DD\"",
    );
    engine.register_fn("add_days", |d: &str, n: i64| -> Fallible<String> {
        let d = date("add_days", d)?;
        // `TimeDelta::days` panics beyond ±2^63 ms; a script's number must not bring the
        // planner down.
        chrono::TimeDelta::try_days(n)
            .and_then(|delta| d.checked_add_signed(delta))
            .map(|d| d.to_string())
            .ok_or_else(|| script_error(format!("add_days: {d} + {n} days is out of range")))
    });
    refuse_others(engine, "add_days", 2, DATE_AND_DAYS);
    type Part = fn(NaiveDate) -> i64;
    let parts: [(&str, Part); 3] = [
        ("year", |d| d.year().into()),
        ("month", |d| d.month().into()),
        ("day", |d| d.day().into()),
    ];
    for (name, part) in parts {
        engine.register_fn(name, move |d: &str| -> Fallible<i64> {
            Ok(part(date(name, d)?))
        });
        refuse_others(engine, name, 1, DATE);
    }
}

fn register_tables(engine: &mut Engine, tables: Tables) {
    let t = tables.clone();
    engine.register_fn("table", move |name: &str| -> Fallible<Map> {
        table(&t, name).cloned()
    });
    refuse_others(engine, "table", 1, "a table's name as text");
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
    const LOOKUP: &str = "a table's name as text and a key as text, a whole number or ()";
    refuse_others(engine, "lookup", 2, LOOKUP);
    refuse_others(engine, "lookup", 3, LOOKUP);
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

/// Keys are compared as text so that a YAML key `1000` and a script string `"1000"` meet; a
/// key of any other kind (a map, a list, a fraction) matches nothing and is refused.
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
    // A character (`s[0]`) is text too.
    if !(key.is_string() || key.is_char() || key.is_int()) {
        return Err(refused(
            "lookup",
            &[name.into(), key.clone()],
            "a table's name as text and a key as text, a whole number or ()",
        ));
    }
    let key = key.to_string();
    Ok(table.get(key.as_str()).cloned().unwrap_or(default))
}

/// A date as records hold it: exactly `YYYY-MM-DD`.
fn date(helper: &str, s: &str) -> Fallible<NaiveDate> {
    let refused = |why: &str| script_error(format!("{helper}({s:?}): {why}"));
    match digits(s, &[4, 2, 2], Some('-')) {
        Some(parts) => real_date(parts).map_err(|why| refused(&why.to_string())),
        None => Err(refused(&format!(
            "{helper} takes {DATE}; convert other spellings with parse_date first{}",
            spacing_hint(s)
        ))),
    }
}

/// The spellings `parse_date` reads: `YYYY-MM-DD`, `YYYY/MM/DD` and `YYYYMMDD`, with a
/// four-digit year and two-digit month and day, nothing around them, and a day the calendar
/// has. Anything else (`2026/4/1`, a Japanese era date, a date with spaces, `2026-02-30`) is
/// refused rather than guessed at.
fn spelled_date(s: &str) -> Result<NaiveDate, DateError> {
    let parts = digits(s, &[4, 2, 2], Some('-'))
        .or_else(|| digits(s, &[4, 2, 2], Some('/')))
        .or_else(|| digits(s, &[4, 2, 2], None));
    match parts {
        Some(parts) => real_date(parts),
        None => Err(DateError::Spelling {
            spaced: s.trim() != s,
        }),
    }
}

/// A text a rule gave `parse_date` that is not a date crewsync reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DateError {
    /// Not one of the spellings read; `spaced`: it has spaces around it.
    #[error(
        "not a date in a form crewsync reads: write \"YYYY-MM-DD\", \"YYYY/MM/DD\" or \
         \"YYYYMMDD\", with a four-digit year and two-digit month and day (2026-04-01, \
         not 2026-4-1; Japanese era dates such as R8.4.1 are not read){}",
        if *spaced { SPACED } else { "" }
    )]
    Spelling { spaced: bool },
    #[error("{0:04}-{1:02}-{2:02} is not a day in the calendar")]
    NotADay(u32, u32, u32),
}

/// What a date with spaces around it is told.
const SPACED: &str = "; it has spaces around it: write trim(...) first";

fn spacing_hint(s: &str) -> &'static str {
    if s.trim() != s { SPACED } else { "" }
}

/// The numbers of `s` when it is exactly groups of ASCII digits of these widths, joined by
/// `separator` (or by nothing).
fn digits(s: &str, widths: &[usize], separator: Option<char>) -> Option<[u32; 3]> {
    let mut rest = s;
    let mut out = [0u32; 3];
    for (i, &width) in widths.iter().enumerate() {
        if i > 0
            && let Some(sep) = separator
        {
            rest = rest.strip_prefix(sep)?;
        }
        let (part, after) = rest.split_at_checked(width)?;
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out[i] = part.parse().ok()?;
        rest = after;
    }
    rest.is_empty().then_some(out)
}

fn real_date([y, m, d]: [u32; 3]) -> Result<NaiveDate, DateError> {
    i32::try_from(y)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or(DateError::NotADay(y, m, d))
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

/// Half-width katakana (with their voicing marks combined) and hiragana become full-width
/// katakana, the form both services show for name readings; voicing marks are composed with
/// the kana before them in every case (ﾜﾞ → ヷ, ｳﾞ → ヴ, か + U+3099 → ガ). Everything else is
/// kept.
pub(crate) fn to_full_width_katakana(s: &str) -> String {
    widen_kana(s)
        .chars()
        .map(|c| {
            if is_hiragana(c) {
                char::from_u32(c as u32 + 0x60).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Half-width katakana made full-width (NFKC, which maps ﾞ and ﾟ to the combining marks),
/// then the whole text composed (NFC), so that every kana and its voicing mark become one
/// character, whatever the input mixed.
fn widen_kana(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    for c in s.chars() {
        if is_half_width_kana(c) {
            run.push(c);
        } else {
            out.extend(run.nfkc());
            run.clear();
            out.push(c);
        }
    }
    out.extend(run.nfkc());
    // A mark with nothing to combine with (ﾞ alone, ア + ﾞ) stays visible as the spacing
    // mark rather than joining whatever is before it.
    out.nfc()
        .map(|c| match c {
            '\u{3099}' => '゛',
            '\u{309A}' => '゜',
            c => c,
        })
        .collect()
}

/// Width folding: full-width ASCII letters, digits and symbols become ASCII, the ideographic
/// space a plain space, and half-width katakana full-width (voicing marks composed). Unlike
/// full NFKC it changes nothing else (㈱ and ① stay).
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
    widen_kana(&ascii)
}

/// Used by the conversions so that absent values reach scripts as `()`.
pub(crate) fn text(value: Option<&str>) -> Dynamic {
    value.map_or(Dynamic::UNIT, |v| Dynamic::from(ImmutableString::from(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `script` in an engine with the helpers (and a table `t` of `a: 1`), as rules do.
    fn eval(script: &str) -> Result<String, String> {
        let mut t = Map::new();
        t.insert("a".into(), Dynamic::from(1_i64));
        t.insert("1000".into(), Dynamic::from("本社"));
        let tables: Tables = Arc::new(BTreeMap::from([("t".to_string(), t)]));
        let mut engine = Engine::new();
        register(&mut engine, tables);
        engine
            .eval::<Dynamic>(script)
            .map(|v| {
                if v.is_unit() {
                    "()".into()
                } else {
                    v.to_string()
                }
            })
            .map_err(|e| e.to_string())
    }

    /// Every helper against what rules/README.md documents it to take, and against inputs a
    /// person might type or a record might hold that it must refuse rather than guess at.
    #[test]
    fn helpers_take_their_documented_forms_and_refuse_the_rest() {
        let valid = [
            (r#"parse_date("2026-04-01")"#, "2026-04-01"),
            (r#"parse_date("2026/04/01")"#, "2026-04-01"),
            (r#"parse_date("20260401")"#, "2026-04-01"),
            (r#"parse_date("2024-02-29")"#, "2024-02-29"),
            (r#"is_date("2026/04/01")"#, "true"),
            (r#"is_date("2026/4/1")"#, "false"),
            (r#"is_date(" 2026-04-01")"#, "false"),
            (r#"is_date("2026-02-30")"#, "false"),
            (r#"is_date(())"#, "false"),
            (r#"years_between("1990-04-02", "2020-04-01")"#, "29"),
            (r#"years_between("1990-04-01", "2020-04-01")"#, "30"),
            (r#"years_between("2020-04-01", "1990-04-01")"#, "-30"),
            (r#"days_between("2026-03-31", "2026-04-01")"#, "1"),
            (r#"add_days("2026-03-31", 1)"#, "2026-04-01"),
            (r#"year("2026-04-01")"#, "2026"),
            (r#"month("2026-04-01")"#, "4"),
            (r#"day("2026-04-01")"#, "1"),
            (r#"lower("Taro@Example.COM")"#, "taro@example.com"),
            (r#"upper("taro")"#, "TARO"),
            (r#"trim("  a b ")"#, "a b"),
            (r#"is_blank(" ")"#, "true"),
            (r#"is_blank(())"#, "true"),
            (r#"is_blank("a")"#, "false"),
            (r#"clear()"#, ""),
            (r#"to_full_width_katakana("ﾔﾏﾀﾞ ﾀﾛｳ")"#, "ヤマダ タロウ"),
            (r#"fold_width("ＡＢＣ１　ﾀﾛｳ")"#, "ABC1 タロウ"),
            (r#"lookup("t", "a")"#, "1"),
            (r#"lookup("t", 1000)"#, "本社"),
            (r#"lookup("t", "b")"#, "()"),
            (r#"lookup("t", "b", "x")"#, "x"),
            (r#"lookup("t", (), "x")"#, "x"),
            (r#"lookup("t", "abc"[0])"#, "1"),
            (r#"table("t").len()"#, "2"),
        ];
        for (script, expected) in valid {
            assert_eq!(eval(script).as_deref(), Ok(expected), "{script}");
        }
        // What the error must name, besides the helper itself.
        let invalid = [
            (r#"parse_date("2026/4/1")"#, "two-digit month and day"),
            (r#"parse_date("2026-4-1")"#, "two-digit month and day"),
            (r#"parse_date("R8.4.1")"#, "Japanese era dates"),
            (r#"parse_date(" 2026-04-01")"#, "trim(...) first"),
            (
                r#"parse_date("2026-02-30")"#,
                "2026-02-30 is not a day in the calendar",
            ),
            (r#"parse_date("2026-13-01")"#, "not a day in the calendar"),
            (r#"parse_date("2026-04-01T00:00")"#, "YYYY-MM-DD"),
            (r#"parse_date("")"#, "YYYY-MM-DD"),
            (r#"parse_date(())"#, "test it first"),
            (r#"parse_date(20260401)"#, "20260401 (i64)"),
            (r#"is_date(20260401)"#, "text or ()"),
            (
                r#"years_between("1990/04/01", "2020-04-01")"#,
                "parse_date first",
            ),
            (r#"years_between("1990-04-01", ())"#, "test it first"),
            (
                r#"days_between("2026-04-01", "２０２６-04-02")"#,
                "parse_date first",
            ),
            (r#"add_days("2026-04-01", "1")"#, "whole number of days"),
            (r#"add_days("2026-04-01", 1.5)"#, "whole number of days"),
            (
                r#"add_days("2026-04-01", 9223372036854775807)"#,
                "out of range",
            ),
            (r#"year("20260401")"#, "parse_date first"),
            (r#"month(" 2026-04-01")"#, "trim(...) first"),
            (r#"day("2026-02-30")"#, "not a day in the calendar"),
            (r#"lower(())"#, "test it first"),
            (r#"upper(42)"#, "takes text"),
            (r#"trim(#{})"#, "takes text"),
            (r#"is_blank(0)"#, "text or ()"),
            (r#"to_full_width_katakana(())"#, "test it first"),
            (r#"fold_width(["Ａ"])"#, "takes text"),
            (r#"lookup("u", "a")"#, "no table named 'u'"),
            (
                r#"lookup("t", #{a: 1})"#,
                "a key as text, a whole number or ()",
            ),
            (r#"lookup("t", 1.5)"#, "a key as text, a whole number or ()"),
            (r#"lookup(1, "a")"#, "a table's name as text"),
            (r#"lookup("t", [1], "x")"#, "a key as text"),
            (r#"table(())"#, "a table's name as text"),
            (r#"table("u")"#, "no table named 'u'"),
        ];
        for (script, needle) in invalid {
            // A missing table is named by its own message, the same as `rules check` gives.
            let helper = match &script[..script.find('(').unwrap_or(0)] {
                _ if needle.starts_with("no table") => "table",
                helper => helper,
            };
            match eval(script) {
                Ok(v) => panic!("{script} gave {v}; it must be refused"),
                Err(e) => assert!(
                    e.contains(helper) && e.contains(needle),
                    "{script}: {e} (should name {helper} and say {needle:?})"
                ),
            }
        }
    }

    #[test]
    fn kana_helpers_compose_voicing_marks_in_every_case() {
        let cases = [
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"),
            ("ﾊﾟﾋﾟｰ ｳﾞｨ", "パピー ヴィ"),
            ("やまだ たろう", "ヤマダ タロウ"),
            ("ヤマダ Taro", "ヤマダ Taro"),
            ("ﾜﾞ", "ヷ"),
            ("ｦﾞ", "ヺ"),
            ("ｳﾞ", "ヴ"),
            // Decomposed (NFD) input, as macOS produces: hiragana and katakana + U+3099/309A.
            ("やまた\u{3099}", "ヤマダ"),
            ("ヤマタ\u{3099}", "ヤマダ"),
            ("は\u{309A}", "パ"),
            ("う\u{3099}", "ヴ"),
            ("ゝゞ", "ヽヾ"),
            // A mark with nothing to combine with stays visible.
            ("ﾞ", "゛"),
            ("ｱﾞ", "ア゛"),
        ];
        for (input, expected) in cases {
            assert_eq!(to_full_width_katakana(input), expected, "{input:?}");
        }
        // fold_width changes width only: hiragana stays, but marks are composed too.
        for (input, expected) in [
            ("ﾜﾞ", "ヷ"),
            ("ｦﾞ", "ヺ"),
            ("やまた\u{3099}", "やまだ"),
            ("ＴＡＲＯ＠ｅｘａｍｐｌｅ．ｃｏｍ", "TARO@example.com"),
            ("山田　ﾀﾛｳ", "山田 タロウ"),
            ("㈱①", "㈱①"),
        ] {
            assert_eq!(fold_width(input), expected, "{input:?}");
        }
    }
}
