//! Record text as people read it: the forms crewsync compares and writes, and the forms it
//! shows.
//!
//! Two people typing the same name can produce different code points: macOS input decomposes
//! voicing marks (`タ` + U+3099 for `ダ`), a spreadsheet leaves a trailing space or a
//! zero-width space behind, an IME types full-width digits. And record text can hold control
//! characters that a terminal obeys (`ESC [2K` erases a line). So:
//!
//! - every synced text value is compared and written in Unicode NFC ([`nfc`]), applied once
//!   when a record becomes an [`Employee`](crate::model::Employee);
//! - employee codes are matched by a key that ignores what a person cannot see or would read
//!   as the same ([`code_key`]), so such a code can never make a second record;
//! - whatever record text is shown to a person goes through [`safe`] (control characters made
//!   visible) or, where invisible differences matter, [`exact`].

use icu_properties::CodePointSetData;
use icu_properties::props::DefaultIgnorableCodePoint;
use std::borrow::Cow;
use std::fmt::Write;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// `s` in Unicode NFC (canonical composition). Most values are ASCII or already composed, so
/// those are returned without copying.
pub(crate) fn nfc(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// [`nfc`] of an owned value, reusing it when it is already NFC.
pub(crate) fn nfc_owned(s: String) -> String {
    match nfc(&s) {
        Cow::Borrowed(_) => s,
        Cow::Owned(composed) => composed,
    }
}

/// Whether `c` is drawn as nothing: Unicode's Default_Ignorable_Code_Point (zero-width
/// spaces and joiners, soft hyphen, bidi controls, variation selectors, BOM, ...).
pub(crate) fn is_invisible(c: char) -> bool {
    CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// The employee code as matching reads it: NFKC (full-width `０１２` reads as `012`), without
/// invisible or control characters, trimmed of white space (including U+3000 and NBSP). A code equal to
/// its key is returned without copying; that is nearly every code.
pub fn code_key(code: &str) -> Cow<'_, str> {
    if code.is_ascii() && !code.contains(is_control) {
        // NFKC leaves ASCII alone and no ASCII character is invisible.
        return Cow::Borrowed(code.trim());
    }
    let key: String = code
        .nfkc()
        .filter(|&c| !is_invisible(c) && !is_control(c))
        .collect();
    let key = key.trim();
    if key == code {
        Cow::Borrowed(code)
    } else {
        Cow::Owned(key.to_string())
    }
}

/// What makes `code` differ from its [`code_key`], for a message a person can act on:
/// `a trailing space (U+0020)`, `full-width "０" (U+FF10)`, ... Each distinct character once,
/// in order. Empty when the code is its own key.
pub(crate) fn code_oddities(code: &str) -> String {
    let parts: Vec<String> = oddities(code)
        .into_iter()
        .map(|(oddity, c)| match oddity {
            Oddity::Leading | Oddity::Trailing => {
                let place = if oddity == Oddity::Leading {
                    "leading"
                } else {
                    "trailing"
                };
                format!("a {place} {} ({})", char_name(c), code_point(c))
            }
            Oddity::Invisible => format!("an invisible {} ({})", char_name(c), code_point(c)),
            Oddity::Control => format!("a control character ({})", code_point(c)),
            Oddity::FullWidth => format!("full-width \"{c}\" ({})", code_point(c)),
            Oddity::HalfWidth => format!("half-width \"{c}\" ({})", code_point(c)),
            Oddity::Compatibility => format!("compatibility \"{c}\" ({})", code_point(c)),
        })
        .collect();
    match parts.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Why one character of a code makes it differ from its [`code_key`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Oddity {
    /// White space before the code.
    Leading,
    /// White space after it.
    Trailing,
    /// A character drawn as nothing ([`is_invisible`]).
    Invisible,
    /// A character a terminal may obey ([`is_control`]).
    Control,
    /// A full-width form of an ASCII character (or the ideographic space).
    FullWidth,
    /// A half-width katakana form.
    HalfWidth,
    /// Any other form NFKC reads as something else.
    Compatibility,
}

/// Each character that makes `code` differ from its [`code_key`], with why, each distinct one
/// once, in order: what [`code_oddities`] says, as data for a front end to word.
pub(crate) fn oddities(code: &str) -> Vec<(Oddity, char)> {
    let chars: Vec<char> = code.chars().collect();
    let lead = chars.iter().take_while(|c| c.is_whitespace()).count();
    let trail = chars.len() - chars.iter().rev().take_while(|c| c.is_whitespace()).count();
    let mut found: Vec<(Oddity, char)> = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let oddity = if c.is_whitespace() && i < lead {
            Oddity::Leading
        } else if c.is_whitespace() && i >= trail {
            Oddity::Trailing
        } else if is_invisible(c) {
            Oddity::Invisible
        } else if is_control(c) {
            Oddity::Control
        } else if is_compatibility(c) {
            match u32::from(c) {
                0xFF01..=0xFF5E | 0x3000 => Oddity::FullWidth,
                0xFF61..=0xFF9F => Oddity::HalfWidth,
                _ => Oddity::Compatibility,
            }
        } else {
            continue;
        };
        if !found.contains(&(oddity, c)) {
            found.push((oddity, c));
        }
    }
    found
}

/// Whether NFKC reads `c` as something else: a full- or half-width form, a ligature, ...
fn is_compatibility(c: char) -> bool {
    std::iter::once(c).nfkc().ne(std::iter::once(c))
}

/// `U+0020`, as character tables write it.
pub(crate) fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// The name a person searches for; "character" for the many without a common one.
fn char_name(c: char) -> &'static str {
    match c {
        ' ' => "space",
        '\u{3000}' => "ideographic space",
        '\u{a0}' => "no-break space",
        '\t' => "tab",
        '\u{200b}' => "zero-width space",
        '\u{200c}' => "zero-width non-joiner",
        '\u{200d}' => "zero-width joiner",
        '\u{2060}' => "word joiner",
        '\u{feff}' => "byte order mark",
        '\u{ad}' => "soft hyphen",
        c if c.is_whitespace() => "white space",
        _ => "character",
    }
}

/// Characters a terminal (or a mail reader) may obey rather than show: C0 controls (tab and
/// newline too: record text is one line), DEL, C1 controls, bidi overrides and isolates, and
/// the line and paragraph separators.
fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// `\u{1b}`: a character written as Rust and JavaScript would escape it.
fn escape(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// `s` with every character matching `odd(index, char)` escaped; borrowed when none does.
fn escaped(s: &str, odd: impl Fn(usize, char) -> bool) -> Cow<'_, str> {
    if !s.char_indices().any(|(i, c)| odd(i, c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in s.char_indices() {
        if odd(i, c) {
            escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Record text made safe to show to a person: every control character (see above) is
/// replaced by its escape, `\u{1b}`, so a name holding `ESC [2K` or a carriage return shows
/// those characters instead of acting on the terminal or the email. Every table, prompt,
/// delta, history text and email calls this on record text; JSON output does not.
pub fn safe(s: &str) -> Cow<'_, str> {
    escaped(s, |_, c| is_control(c))
}

/// [`safe`] for text of several lines (a report, an error with hints): each line is made
/// safe and the line breaks are kept.
pub fn safe_lines(s: &str) -> String {
    s.split('\n').map(safe).collect::<Vec<_>>().join("\n")
}

/// [`safe`], and also every character a reader could not see: invisible ones, white space
/// other than a plain space between words, and a space at either end. For employee codes,
/// and for the two sides of a change that would otherwise look the same.
pub fn exact(s: &str) -> Cow<'_, str> {
    let trimmed = s.trim_end_matches(' ');
    let (start, end) = (s.len() - s.trim_start_matches(' ').len(), trimmed.len());
    escaped(s, |i, c| {
        is_control(c)
            || is_invisible(c)
            || (c.is_whitespace() && (c != ' ' || i < start || i >= end))
    })
}

/// Whether `a` and `b` are different text that a person would read as the same: equal once
/// width (NFKC), invisible characters and runs of white space are set aside.
pub(crate) fn look_alike(a: &str, b: &str) -> bool {
    let key = |s: &str| -> String {
        let plain: String = s.nfkc().filter(|&c| !is_invisible(c)).collect();
        plain.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    a != b && key(a) == key(b)
}

/// [`exact`], and also each character that differs from its NFKC form only in width
/// (`ｱ`, `Ａ`): for the two sides of a change that look alike, so whatever differs is
/// written out.
pub(crate) fn exact_width(s: &str) -> Cow<'_, str> {
    let shown = exact(s);
    if shown.is_ascii() {
        return shown;
    }
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        if is_compatibility(c) {
            escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_composes_voicing_marks_and_keeps_composed_text() {
        assert_eq!(nfc("ヤマタ\u{3099}"), "ヤマダ");
        assert_eq!(nfc("ハ\u{309a}ン"), "パン");
        assert!(matches!(nfc("ヤマダ"), Cow::Borrowed(_)));
        assert!(matches!(nfc("yamada"), Cow::Borrowed(_)));
        // Width is not canonical: NFC keeps full-width and half-width forms apart.
        assert_eq!(nfc("ﾔﾏﾀﾞ"), "ﾔﾏﾀﾞ");
        assert_eq!(nfc_owned("カ\u{3099}".to_string()), "ガ");
    }

    #[test]
    fn code_key_sets_aside_what_a_person_cannot_see() {
        for (code, key) in [
            ("00125", "00125"),
            ("00125 ", "00125"),
            (" 00125", "00125"),
            ("00125\u{3000}", "00125"),
            ("\u{a0}00125", "00125"),
            ("001\u{200b}25", "00125"),
            ("\u{feff}00125", "00125"),
            ("００１２５", "00125"),
            ("Ａ-12", "A-12"),
            ("A 12", "A 12"),
            ("\u{200b}", ""),
            ("001\u{1b}25", "00125"),
            ("00125\r", "00125"),
        ] {
            assert_eq!(code_key(code), key, "{code:?}");
        }
        assert!(matches!(code_key("00125"), Cow::Borrowed(_)));
        assert!(matches!(code_key("社員1"), Cow::Borrowed(_)));
    }

    #[test]
    fn code_oddities_name_each_character_and_where_it_is() {
        assert_eq!(code_oddities("00125"), "");
        assert_eq!(code_oddities("00125 "), "a trailing space (U+0020)");
        assert_eq!(
            code_oddities("\u{3000}00125"),
            "a leading ideographic space (U+3000)"
        );
        assert_eq!(
            code_oddities("001\u{200b}25\u{a0}"),
            "an invisible zero-width space (U+200B) and a trailing no-break space (U+00A0)"
        );
        assert_eq!(
            code_oddities("０0１１ "),
            "full-width \"０\" (U+FF10), full-width \"１\" (U+FF11) and a trailing space (U+0020)"
        );
        assert_eq!(code_oddities("ｱ1"), "half-width \"ｱ\" (U+FF71)");
        assert_eq!(code_oddities("0\u{1b}1"), "a control character (U+001B)");
    }

    #[test]
    fn safe_escapes_control_characters_and_nothing_else() {
        assert_eq!(
            safe("山田\u{1b}[2K\r\u{1b}[31m太郎"),
            "山田\\u{1b}[2K\\u{d}\\u{1b}[31m太郎"
        );
        assert_eq!(safe("a\u{7f}b\u{85}c\u{9b}d"), "a\\u{7f}b\\u{85}c\\u{9b}d");
        assert_eq!(
            safe("\u{202e}evil\u{2066}x\u{2069}\u{2028}"),
            "\\u{202e}evil\\u{2066}x\\u{2069}\\u{2028}"
        );
        assert_eq!(safe("a\tb\nc"), "a\\u{9}b\\u{a}c");
        assert_eq!(safe_lines("a\u{1b}\n  b\r"), "a\\u{1b}\n  b\\u{d}");
        for plain in ["山田 太郎", "ヤマダ　タロウ", "a@example.com", "ｱｲｳ"] {
            assert!(matches!(safe(plain), Cow::Borrowed(p) if p == plain));
        }
    }

    #[test]
    fn exact_shows_invisible_and_unusual_white_space() {
        assert_eq!(exact("00125 "), "00125\\u{20}");
        assert_eq!(exact(" 00125"), "\\u{20}00125");
        assert_eq!(exact("山田 太郎"), "山田 太郎");
        assert_eq!(exact("山田　太郎"), "山田\\u{3000}太郎");
        assert_eq!(exact("a\u{200b}b\u{a0}"), "a\\u{200b}b\\u{a0}");
        assert_eq!(exact("x\u{1b}"), "x\\u{1b}");
        assert_eq!(exact("００１"), "００１");
        assert_eq!(exact_width("００1"), "\\u{ff10}\\u{ff10}1");
        assert_eq!(exact_width("ﾔ　"), "\\u{ff94}\\u{3000}");
    }

    #[test]
    fn look_alike_means_different_but_read_the_same() {
        assert!(look_alike("山田　太郎", "山田 太郎"));
        assert!(look_alike("ＡＢＣ", "ABC"));
        assert!(look_alike("a@example.com\u{200b}", "a@example.com"));
        assert!(look_alike("ﾔﾏﾀﾞ", "ヤマダ"));
        assert!(!look_alike("山田", "山田"));
        assert!(!look_alike("山田", "山本"));
        assert!(!look_alike("yamada", "Yamada"));
    }
}
