//! Which parts of the raw API record a script reads. Converting a whole SmartHR record (a few
//! dozen keys, nested departments and custom fields) into Rhai values for every employee costs
//! more than running the example rules, and scripts read one or two keys of it; so at load time
//! each script is scanned for `raw.name` / `raw["name"]` and only those top-level keys are
//! converted. Any other use of `raw` (passing it whole, indexing it with a variable, `e["raw"]`)
//! makes the whole record converted, so what a script sees never depends on this shortcut.

use std::collections::BTreeSet;

/// The top-level raw keys a script (or a set of scripts) may read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum RawKeys {
    /// `raw` is never mentioned: scripts get an empty map.
    #[default]
    None,
    /// Only these keys are read.
    Some(BTreeSet<String>),
    /// `raw` is used in a way the scan cannot follow: convert everything.
    All,
}

impl RawKeys {
    pub(crate) fn union(&mut self, other: &RawKeys) {
        match (&mut *self, other) {
            (_, RawKeys::None) | (RawKeys::All, _) => {}
            (_, RawKeys::All) => *self = RawKeys::All,
            (RawKeys::Some(mine), RawKeys::Some(theirs)) => mine.extend(theirs.iter().cloned()),
            (RawKeys::None, RawKeys::Some(theirs)) => *self = RawKeys::Some(theirs.clone()),
        }
    }

    fn add(&mut self, key: &str) {
        match self {
            RawKeys::All => {}
            RawKeys::Some(keys) => {
                keys.insert(key.to_string());
            }
            RawKeys::None => *self = RawKeys::Some(BTreeSet::from([key.to_string()])),
        }
    }
}

/// What the scan meets outside comments.
enum Token<'a> {
    /// An identifier, and the source from its end on.
    Ident(&'a [u8], usize),
    /// The contents of a string literal.
    Str(String),
}

/// Calls `visit` for each identifier and string literal outside comments, until it says stop.
/// Backtick strings are scanned as code because `${...}` inside them is code.
fn scan(source: &str, mut visit: impl FnMut(Token<'_>) -> bool) {
    let s = source.as_bytes();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'/' if s.get(i + 1) == Some(&b'/') => {
                i = s[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(s.len(), |p| i + p);
            }
            b'/' if s.get(i + 1) == Some(&b'*') => i = skip_block_comment(s, i),
            b'"' | b'\'' => {
                let (text, end) = string_literal(s, i);
                if s[i] == b'"' && !visit(Token::Str(text)) {
                    return;
                }
                i = end;
            }
            c if is_ident_start(c) => {
                let end = ident_end(s, i);
                if !visit(Token::Ident(&s[i..end], end)) {
                    return;
                }
                i = end;
            }
            _ => i += 1,
        }
    }
}

/// Scans Rhai source for the raw keys it reads. A string `"raw"` could index `e`
/// dynamically, so it means everything.
pub(crate) fn raw_keys(source: &str) -> RawKeys {
    let s = source.as_bytes();
    let mut keys = RawKeys::None;
    scan(source, |token| {
        match token {
            Token::Str(text) if text == "raw" => keys = RawKeys::All,
            Token::Ident(b"raw", end) => match key_after(s, end) {
                Some(key) => keys.add(&key),
                None => keys = RawKeys::All,
            },
            _ => {}
        }
        keys != RawKeys::All
    });
    keys
}

/// Whether the source names `word` (as an identifier or a string) outside comments.
pub(crate) fn mentions(source: &str, word: &str) -> bool {
    let mut found = false;
    scan(source, |token| {
        found = match token {
            Token::Ident(name, _) => name == word.as_bytes(),
            Token::Str(text) => text == word,
        };
        !found
    });
    found
}

/// The key in `.name`, `?.name`, `["name"]` or `?["name"]` right after `raw`, if that is what
/// follows.
fn key_after(s: &[u8], mut i: usize) -> Option<String> {
    i = skip_space(s, i);
    if s.get(i) == Some(&b'?') {
        i += 1;
    }
    match s.get(i)? {
        b'.' => {
            let start = skip_space(s, i + 1);
            let end = ident_end(s, start);
            (end > start && is_ident_start(s[start]))
                .then(|| String::from_utf8_lossy(&s[start..end]).into_owned())
        }
        b'[' => {
            let start = skip_space(s, i + 1);
            if s.get(start) != Some(&b'"') {
                return None;
            }
            let (text, end) = string_literal(s, start);
            (s.get(skip_space(s, end)) == Some(&b']')).then_some(text)
        }
        _ => None,
    }
}

fn skip_space(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn ident_end(s: &[u8], mut i: usize) -> usize {
    while s
        .get(i)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
    {
        i += 1;
    }
    i
}

/// Rhai block comments nest.
fn skip_block_comment(s: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < s.len() {
        if s[i..].starts_with(b"/*") {
            depth += 1;
            i += 2;
        } else if s[i..].starts_with(b"*/") {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    i
}

/// The (unescaped enough to compare) contents of the literal opening at `i`, and where it ends.
fn string_literal(s: &[u8], i: usize) -> (String, usize) {
    let quote = s[i];
    let mut text = Vec::new();
    let mut j = i + 1;
    while j < s.len() && s[j] != quote {
        if s[j] == b'\\' {
            j += 1;
        }
        if let Some(&c) = s.get(j) {
            text.push(c);
        }
        j += 1;
    }
    (String::from_utf8_lossy(&text).into_owned(), j + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(keys: &[&str]) -> RawKeys {
        RawKeys::Some(keys.iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn property_and_literal_index_name_their_keys() {
        let src = r#"fn office(e) { for d in e.raw.departments ?? [] {} e.raw?["custom_fields"] }"#;
        assert_eq!(raw_keys(src), some(&["custom_fields", "departments"]));
    }

    #[test]
    fn comments_and_strings_do_not_count() {
        let src =
            "// e.raw (the whole record)\n/* raw /* nested */ raw */ fn f(e) { \"raw data\" }";
        assert_eq!(raw_keys(src), RawKeys::None);
        // Only the identifier `raw`, not words containing it.
        assert_eq!(raw_keys("fn f(e) { e.drawn; e.raw_x }"), RawKeys::None);
    }

    #[test]
    fn any_other_use_means_the_whole_record() {
        for src in [
            "fn f(e) { let r = e.raw; r.departments }",
            "fn f(e, k) { e.raw[k] }",
            "fn f(e) { e[\"raw\"].departments }",
            "fn f(e) { `${e.raw}` }",
        ] {
            assert_eq!(raw_keys(src), RawKeys::All, "{src}");
        }
    }

    #[test]
    fn mentions_ignores_comments_and_longer_words() {
        assert!(mentions("fn select(row) { row.employee.code }", "employee"));
        assert!(mentions("fn select(row) { row[\"target\"] }", "target"));
        assert!(!mentions(
            "// row.employee\nfn select(row) { row.employees }",
            "employee"
        ));
    }

    #[test]
    fn union_keeps_the_widest() {
        let mut keys = RawKeys::None;
        keys.union(&some(&["a"]));
        keys.union(&some(&["b"]));
        assert_eq!(keys, some(&["a", "b"]));
        keys.union(&RawKeys::All);
        keys.union(&some(&["c"]));
        assert_eq!(keys, RawKeys::All);
    }
}
