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
