//! Reading the AST Rhai compiled: the one way crewsync reads a script, for the lint, for where
//! a function is defined, and for which parts of the records a script reads.

use rhai::{AST, ASTNode, Expr, ScriptFuncDef, Stmt};
use std::collections::BTreeSet;

/// The line a function is defined on. Rhai keeps no position for a function's name; its body
/// starts on the same line (`fn office(e) {`).
pub(crate) fn line_of(def: &ScriptFuncDef) -> Option<usize> {
    def.body.start_position().line()
}

/// The top-level statements of the function `def`. Rhai keeps function bodies in a type it
/// does not export, but its AST walk visits them in order; a statement belongs to the function
/// whose braces enclose it. Any doubt (another function inside these braces, such as a
/// closure, or a statement with no position) gives `None`.
pub(crate) fn body(ast: &AST, def: &ScriptFuncDef) -> Option<Vec<Stmt>> {
    let (start, end) = (def.body.start_position(), def.body.end_position());
    let inside = |p| start < p && p < end;
    if ast.iter_fn_def().any(|f| {
        let s = f.body.start_position();
        (s, f.body.end_position()) != (start, end) && inside(s)
    }) {
        return None;
    }
    let mut statements = Vec::new();
    let mut doubtful = false;
    ast.walk(&mut |path: &[ASTNode]| {
        if let [ASTNode::Stmt(stmt)] = path {
            let p = stmt.position();
            doubtful |= p.is_none();
            if inside(p) {
                statements.push((*stmt).clone());
            }
        }
        true
    });
    (!doubtful).then_some(statements)
}

/// The top-level raw keys a script (or a set of scripts) may read. Converting a whole SmartHR
/// record (a few dozen keys, nested departments and custom fields) into Rhai values for every
/// employee costs more than running the example rules, and scripts read one or two keys of it;
/// so only the keys a script names as `raw.name` / `raw["name"]` are converted. Any other use of
/// `raw` (passing it whole, indexing it with a variable, `e["raw"]`) converts the whole record,
/// so what a script sees never depends on this.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum RawKeys {
    /// `raw` is never read: scripts get an empty map.
    #[default]
    None,
    /// Only these keys are read.
    Some(BTreeSet<String>),
    /// `raw` is used in a way that does not name its keys: convert everything.
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

/// The raw keys a compiled script reads: the property or literal index right after each
/// `.raw`. A text `"raw"` anywhere could index a record dynamically, so it means everything.
pub(crate) fn raw_keys(ast: &AST) -> RawKeys {
    let mut keys = RawKeys::None;
    ast.walk(&mut |path: &[ASTNode]| {
        match path {
            [.., ASTNode::Expr(Expr::StringConstant(text, _))] if text == "raw" => {
                keys = RawKeys::All;
            }
            [.., parent, ASTNode::Expr(raw @ Expr::Property(property, _))]
                if property.2 == "raw" =>
            {
                match key_after(parent, raw) {
                    Some(key) => keys.add(&key),
                    None => keys = RawKeys::All,
                }
            }
            _ => {}
        }
        keys != RawKeys::All
    });
    keys
}

/// The key read right after the property `raw` in the chain `parent`: `.name`, `?.name`,
/// `["name"]` or `?["name"]`. Rhai nests a chain to the right (`e.raw.a.b` is
/// `e . (raw . (a . b))`), so the next step is the leftmost part of what follows `raw`.
fn key_after(parent: &ASTNode, raw: &Expr) -> Option<String> {
    let ASTNode::Expr(parent @ (Expr::Dot(chain, ..) | Expr::Index(chain, ..))) = parent else {
        return None;
    };
    if !std::ptr::eq(&chain.lhs, raw) {
        // `raw` ends the chain: the whole record is used.
        return None;
    }
    let mut next = &chain.rhs;
    while let Expr::Dot(x, ..) | Expr::Index(x, ..) = next {
        next = &x.lhs;
    }
    match (parent, next) {
        (Expr::Dot(..), Expr::Property(key, _)) => Some(key.2.to_string()),
        (Expr::Index(..), Expr::StringConstant(key, _)) => Some(key.to_string()),
        _ => None,
    }
}

/// Whether a compiled script names `word` as a property, a variable or a text.
pub(crate) fn names(ast: &AST, word: &str) -> bool {
    let mut found = false;
    ast.walk(&mut |path: &[ASTNode]| {
        found = match path.last() {
            Some(ASTNode::Expr(Expr::Property(property, _))) => property.2 == word,
            Some(ASTNode::Expr(Expr::Variable(var, ..))) => var.1 == word,
            Some(ASTNode::Expr(Expr::StringConstant(text, _))) => text == word,
            _ => false,
        };
        !found
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(src: &str) -> AST {
        rhai::Engine::new().compile(src).unwrap()
    }

    fn keys(src: &str) -> RawKeys {
        raw_keys(&compiled(src))
    }

    fn some(keys: &[&str]) -> RawKeys {
        RawKeys::Some(keys.iter().map(|k| k.to_string()).collect())
    }

    #[test]
    fn property_and_literal_index_name_their_keys() {
        let src = r#"fn office(e) { for d in e.raw.departments ?? [] {} e.raw?["custom_fields"] }"#;
        assert_eq!(keys(src), some(&["custom_fields", "departments"]));
        let src = r#"fn select(row) { row.employee.raw.a.b + row.target.raw["c"].d }"#;
        assert_eq!(keys(src), some(&["a", "c"]));
    }

    #[test]
    fn comments_and_strings_do_not_count() {
        let src =
            "// e.raw (the whole record)\n/* raw /* nested */ raw */ fn f(e) { \"raw data\" }";
        assert_eq!(keys(src), RawKeys::None);
        // Only the property `raw`, not names containing it.
        assert_eq!(keys("fn f(e) { e.drawn; e.raw_x }"), RawKeys::None);
    }

    #[test]
    fn any_other_use_means_the_whole_record() {
        for src in [
            "fn f(e) { let r = e.raw; r.departments }",
            "fn f(e, k) { e.raw[k] }",
            "fn f(e) { e[\"raw\"].departments }",
            "fn f(e) { `${e.raw}` }",
            "fn f(e) { e.raw.len() }",
            "fn f(e) { e.raw ?? #{} }",
        ] {
            assert_eq!(keys(src), RawKeys::All, "{src}");
        }
    }

    #[test]
    fn names_ignores_comments_and_longer_words() {
        let names = |src: &str, word: &str| names(&compiled(src), word);
        assert!(names("fn select(row) { row.employee.code }", "employee"));
        assert!(names("fn select(row) { row[\"target\"] }", "target"));
        assert!(!names(
            "// row.employee\nfn select(row) { row.employees }",
            "employee"
        ));
    }

    #[test]
    fn a_function_is_on_the_line_of_its_opening_brace() {
        let ast = compiled("// rules\n\nfn office(e) {\n  \"本社\"\n}\n");
        let def = ast.iter_fn_def().next().unwrap();
        assert_eq!(line_of(def), Some(3));
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
