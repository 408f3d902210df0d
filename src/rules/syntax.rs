//! Reading the AST Rhai compiled, for the lint.

use rhai::{AST, ASTNode, ScriptFuncDef, Stmt};

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
