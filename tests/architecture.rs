//! The library's top-level modules depend on each other in one direction only (issue 16 §2):
//! a cycle means neither side can be understood, tested or replaced without the other.
//!
//! Read from the source rather than from the compiler, so it needs nothing but `src/`: every
//! `crate::X` path (also in `use crate::{X, Y::Z}` groups) and every `super::…` chain that climbs
//! to the crate root is an edge from the file's top-level module to `X`. The binary (`src/cli`,
//! `src/main.rs`) and `src/lib.rs` are exempt: they sit on top of everything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → the other top-level modules it refers to.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// `src/apply/run.rs` → `["apply", "run"]`; `src/apply/mod.rs` → `["apply"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn ident_at(text: &str) -> &str {
    let end = text.find(|c: char| !is_ident(c)).unwrap_or(text.len());
    &text[..end]
}

/// The first segment of each path in a `{a, b::c, d::{e}}` group starting at `text[0] == '{'`.
fn group_heads(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_head = false;
    for (i, c) in text.char_indices() {
        match c {
            '{' => {
                depth += 1;
                expect_head = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect_head = true,
            c if expect_head && is_ident(c) => {
                heads.push(ident_at(&text[i..]).to_string());
                expect_head = false;
            }
            _ => {}
        }
    }
    heads
}

/// The top-level modules `code` (a file of module `module`) refers to.
fn references(module: &[String], code: &str) -> BTreeSet<String> {
    // Comments are left out: a doc link is not a dependency.
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    let mut take = |rest: &str| {
        if rest.starts_with('{') {
            found.extend(group_heads(rest));
        } else {
            let head = ident_at(rest);
            if !head.is_empty() {
                found.insert(head.to_string());
            }
        }
    };
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == '$' || c == ':') {
            continue;
        }
        take(&code[i + "crate::".len()..]);
    }
    for (i, _) in code.match_indices("super::") {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let mut rest = &code[i..];
        let mut ups = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            ups += 1;
            rest = r;
        }
        // Climbing to the crate root makes the next segment a top-level module.
        if ups == module.len() {
            take(rest);
        }
    }
    found
}

fn graph(src: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let module = module_path(src, &file);
        let Some(top) = module.first().cloned() else {
            continue;
        };
        if matches!(top.as_str(), "cli" | "main" | "lib") {
            continue;
        }
        let code = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
        let refs = graph.entry(top.clone()).or_default();
        refs.extend(
            references(&module, &code)
                .into_iter()
                .filter(|r| *r != top && r != "self"),
        );
    }
    // Only edges between modules of the crate (not `crate::SomeType` re-exports in lib.rs).
    let known: BTreeSet<String> = graph.keys().cloned().collect();
    for refs in graph.values_mut() {
        refs.retain(|r| known.contains(r));
    }
    graph
}

/// A cycle of `graph`, as the modules along it with the first repeated at the end.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|n| n == node).expect("on the stack");
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut marks, &mut Vec::new()))
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let graph = graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        graph.contains_key("apply") && graph.contains_key("workflow"),
        "the module graph was not read: {graph:?}"
    );
    if let Some(cycle) = cycle(&graph) {
        panic!(
            "import cycle between top-level modules: {}\n  hint: move what the lower module needs into it (or a module both use)",
            cycle.join(" -> ")
        );
    }
}

/// The reader itself: each form of reference is seen, and a cycle is found and named.
#[test]
fn the_reader_sees_every_form_and_names_a_cycle() {
    let module = ["apply".to_string(), "run".to_string()];
    let code = "use crate::{plan::{Plan, Row}, window, model::Field};\n\
                use super::super::history::X;\n\
                // crate::email is only mentioned\n\
                fn f() { crate::workflow::Silent; $crate::no; mycrate::no; }\n\
                use super::Stop;";
    let refs = references(&module, code);
    let expected: BTreeSet<String> = ["plan", "window", "model", "history", "workflow"]
        .map(String::from)
        .into();
    assert_eq!(refs, expected);

    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle(&g),
        Some(["a", "b", "c", "a"].map(String::from).to_vec())
    );
    g.insert("c".into(), BTreeSet::new());
    assert_eq!(cycle(&g), None);
}

/// The string literals of Rust source `code`, each with its line, leaving out comments and the
/// bodies of `#[cfg(test)]` modules. A small lexer: enough for this crate's source (plain,
/// escaped and raw strings, char literals and lifetimes, line and block comments).
fn string_literals(code: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = code.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut found = Vec::new();
    let (mut i, mut line) = (0, 1);
    // Brace depth, and the depth at which a `#[cfg(test)]` module's body ends.
    let (mut depth, mut test_module): (usize, Option<usize>) = (0, None);
    let mut cfg_test = false;
    while i < chars.len() {
        let c = chars[i];
        if code_starts(&chars, i, "#[cfg(test)]") {
            cfg_test = true;
        }
        match c {
            '\n' => line += 1,
            '/' if at(i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if at(i + 1) == '*' => {
                i += 2;
                while i < chars.len() && !(chars[i] == '*' && at(i + 1) == '/') {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
                i += 2;
                continue;
            }
            '{' => {
                if std::mem::take(&mut cfg_test) && test_module.is_none() {
                    test_module = Some(depth);
                }
                depth += 1;
            }
            ';' => cfg_test = false,
            '}' => {
                depth = depth.saturating_sub(1);
                if test_module == Some(depth) {
                    test_module = None;
                }
            }
            '\'' if at(i + 1) == '\\' => {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
            }
            '\'' if at(i + 2) == '\'' => i += 2,
            'r' if (at(i + 1) == '"' || at(i + 1) == '#')
                && !i.checked_sub(1).is_some_and(|p| is_ident(chars[p])) =>
            {
                let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
                if at(i + 1 + hashes) == '"' {
                    let start = i + 2 + hashes;
                    let close: String = std::iter::once('"')
                        .chain(std::iter::repeat_n('#', hashes))
                        .collect();
                    let mut end = start;
                    while end < chars.len() && !code_starts(&chars, end, &close) {
                        end += 1;
                    }
                    let text: String = chars[start..end.min(chars.len())].iter().collect();
                    if test_module.is_none() {
                        found.push((line, text.clone()));
                    }
                    line += text.matches('\n').count();
                    i = end + close.chars().count();
                    continue;
                }
            }
            '"' => {
                let mut end = i + 1;
                while end < chars.len() && chars[end] != '"' {
                    end += if chars[end] == '\\' { 2 } else { 1 };
                }
                let text: String = chars[i + 1..end.min(chars.len())].iter().collect();
                if test_module.is_none() {
                    found.push((line, text.clone()));
                }
                line += text.matches('\n').count();
                i = end + 1;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    found
}

fn code_starts(chars: &[char], i: usize, s: &str) -> bool {
    s.chars()
        .enumerate()
        .all(|(k, c)| chars.get(i + k) == Some(&c))
}

/// The command-line flags (`--office`, `--allow-clear`) a text names: `--` and a letter, not
/// inside a word or a longer run of dashes.
fn flags_in(text: &str) -> Vec<String> {
    text.match_indices("--")
        .filter(|(i, _)| {
            let before = text[..*i].chars().next_back();
            let after = text[i + 2..].chars().next();
            !before.is_some_and(|b| b.is_alphanumeric() || b == '-')
                && after.is_some_and(|a| a.is_ascii_lowercase())
        })
        .map(|(i, _)| format!("--{}", ident_at(&text[i + 2..].replace('-', "_"))).replace('_', "-"))
        .collect()
}

/// Literals that name a flag and are not a message: (file under `src/`, literal, why).
const FLAG_LITERALS_ALLOWED: [(&str, &str, &str); 4] = [
    (
        "plan/build.rs",
        "--office",
        "the stored origin of the default office: saved plans, plan JSON and the history keep it, and the dashboard words it (web/i18n.rs)",
    ),
    (
        "plan/build.rs",
        "--employment-type",
        "the stored origin of the default employment type, as above",
    ),
    (
        "rules/examples.rs",
        "--rules {}",
        "the example rules' README documents the CLI's commands; `rules init` names the folder it wrote",
    ),
    (
        "rules/examples.rs",
        "--rules rules",
        "as above: the README's command as shipped",
    ),
];

/// Issue 16 §4: no library text names a CLI flag; what to do is data (`error::Remedy`,
/// `error::Advice`, `plan::Problem`) that the CLI words with its flags and the dashboard with
/// its controls. The binary (`src/cli`, `src/main.rs`) and the simulators (`src/sim`, which
/// speak for the SaaS, not for crewsync) are exempt, and so are comments and tests.
#[test]
fn no_library_text_names_a_cli_flag() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let (mut named, mut allowed_seen) = (Vec::new(), BTreeSet::new());
    for file in files {
        let rel = file.strip_prefix(&src).expect("under src");
        let module = module_path(&src, &file);
        let exempt = matches!(
            module.first().map(String::as_str),
            Some("cli" | "main" | "sim")
        ) || module.last().is_some_and(|m| m == "tests");
        if exempt {
            continue;
        }
        let code = std::fs::read_to_string(&file).expect("a source file");
        let rel = rel.to_string_lossy().replace('\\', "/");
        for (line, text) in string_literals(&code) {
            if flags_in(&text).is_empty() {
                continue;
            }
            match FLAG_LITERALS_ALLOWED
                .iter()
                .find(|(f, literal, _)| *f == rel && *literal == text)
            {
                Some(&(f, literal, _)) => {
                    allowed_seen.insert((f, literal));
                }
                None => named.push(format!("src/{rel}:{line}: {text:?}")),
            }
        }
    }
    assert!(
        named.is_empty(),
        "library texts name a CLI flag:\n  {}\n  hint: give what to do as data (error::Remedy, error::Advice) and word it in src/cli and src/web",
        named.join("\n  ")
    );
    // An allowance nothing needs any more goes, so that it cannot let a new text through.
    for (f, literal, _) in FLAG_LITERALS_ALLOWED {
        assert!(
            allowed_seen.contains(&(f, literal)),
            "src/{f} no longer has {literal:?}: remove it from FLAG_LITERALS_ALLOWED"
        );
    }
}

/// The scanner itself: literals in code are seen, with their lines; comments, char literals,
/// lifetimes and `#[cfg(test)]` modules are not; a flag is `--` and a letter.
#[test]
fn the_flag_scanner_sees_literals_and_skips_comments_and_tests() {
    let code = "fn f<'a>(x: &'a str) -> char { '\"' }\n\
                // \"--in-a-comment\"\n\
                const A: &str = \"pass --office or\"; /* \"--block\" */\n\
                const B: &str = r#\"raw \"--wait\"\"#;\n\
                #[cfg(test)]\n\
                mod tests { const C: &str = \"--in-a-test\"; fn g() { } }\n\
                const D: &str = \"after {} the tests\";\n";
    let literals = string_literals(code);
    assert_eq!(
        literals,
        vec![
            (3, "pass --office or".to_string()),
            (4, "raw \"--wait\"".to_string()),
            (7, "after {} the tests".to_string()),
        ]
    );
    assert_eq!(flags_in("pass --allow-clear email"), ["--allow-clear"]);
    assert_eq!(flags_in("(--wait)"), ["--wait"]);
    assert!(flags_in("a---b, x--y, -- 1, ---").is_empty());
}
