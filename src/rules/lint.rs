//! Mistakes a script compiles with but that can only be bugs, found before anything runs.
//!
//! Rhai reads a property a map does not have as `()`, so a misspelt `e.emial != ()` is never
//! true and the rule silently does nothing; only a rule test that happens to cover it would
//! tell. Likewise `direction == "smarthr-to-kto"` is never true, `fn ofice(e)` is never
//! called, and `lookup("employment_type", ..)` (the table is `employment_types.yaml`) fails
//! only for the employees that reach it. These are checked here, on the employee (or row) a
//! hook is given, on the texts a few of its values can be, on function names and on table
//! names written as text, so that `rules check` names each mistake with its position and the
//! name that was meant.

use super::Hook;
use super::convert;
use crate::model::{Direction, Field};
use crate::plan::Status;
use crate::suggest::did_you_mean;
use rhai::{AST, ASTFlags, ASTNode, Expr, FnCallExpr, Position, Stmt};

/// What a name in a hook holds, as far as its properties are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// `e`, `row.employee`, `row.target`.
    Employee,
    /// `row` in `select`.
    Row,
    /// One of `row.changes`.
    Change,
    /// `e.office`, `e.employment_type`.
    Master,
}

impl Shape {
    fn properties(self) -> &'static [&'static str] {
        match self {
            Shape::Employee => &convert::KEYS,
            Shape::Row => &convert::ROW_KEYS,
            Shape::Change => &convert::CHANGE_KEYS,
            Shape::Master => &["id", "name"],
        }
    }

    /// The shape of a property's value, where its properties are fixed too.
    fn of(self, property: &str) -> Option<Shape> {
        match (self, property) {
            (Shape::Employee, "office" | "employment_type") => Some(Shape::Master),
            (Shape::Row, "employee" | "target") => Some(Shape::Employee),
            _ => None,
        }
    }
}

/// One mistake, where the script makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) position: Position,
    pub(crate) message: String,
}

/// Everything this module finds in one compiled script; `tables` are the names of the rules
/// folder's tables.
pub(crate) fn check(ast: &AST, tables: &[&str]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for def in ast.iter_fn_def() {
        let Some(hook) = Hook::ALL.into_iter().find(|h| h.name() == def.name) else {
            misnamed_hook(ast, def, &mut findings);
            continue;
        };
        let (Some(param), Some(body)) = (def.params.first(), super::syntax::body(ast, def)) else {
            continue;
        };
        let shape = match hook {
            Hook::Select => Shape::Row,
            _ => Shape::Employee,
        };
        properties(&body, param, shape, &mut findings);
        if let Some(direction) = def.params.get(1)
            && !rebinds(&body, direction)
        {
            let names = Values {
                here: &Direction::ALL.map(Direction::as_str),
                elsewhere: (&[], ""),
            };
            walk(&body, &mut |node| {
                compared(
                    node,
                    |x| is_variable(x, direction),
                    direction,
                    &names,
                    &mut findings,
                );
            });
        }
    }
    missing_tables(ast, tables, &mut findings);
    unit_values(ast, &mut findings);
    findings.sort_by_key(|f| (f.position.line(), f.position.position()));
    findings
}

/// A function named almost like a hook (`ofice`, `Select`) that nothing calls: crewsync will
/// not call it either, so the rule it holds would silently never run.
fn misnamed_hook(ast: &AST, def: &rhai::ScriptFuncDef, findings: &mut Vec<Finding>) {
    let hooks = Hook::ALL.map(Hook::name);
    let Some(meant) = crate::suggest::closest(&def.name, hooks) else {
        return;
    };
    let mut called = false;
    ast.walk(&mut |path: &[ASTNode]| {
        called |= matches!(
            path.last(),
            Some(ASTNode::Expr(Expr::FnCall(call, _) | Expr::MethodCall(call, _))
                | ASTNode::Stmt(Stmt::FnCall(call, _))) if call.name == def.name
        );
        !called
    });
    if called {
        return;
    }
    let line = super::syntax::line_of(def).unwrap_or(1);
    findings.push(Finding {
        position: Position::new(line.try_into().unwrap_or(u16::MAX), 0),
        message: format!(
            "fn {} is never called: crewsync calls only {}; did you mean 'fn {meant}'?",
            def.name,
            hooks.join(", ")
        ),
    });
}

/// Checks every property read on `name`, which holds `shape`, in `body`; and every property of
/// the loop variable of `for c in row.changes`. Nothing is checked when the function gives
/// `name` another value or a property of its own, since it may then hold anything.
fn properties(body: &[Stmt], name: &str, shape: Shape, findings: &mut Vec<Finding>) {
    if rebinds(body, name) {
        return;
    }
    walk(body, &mut |node| match node {
        ASTNode::Expr(Expr::Dot(dot, ..)) if is_variable(&dot.lhs, name) => {
            chain(&dot.rhs, name, shape, findings);
        }
        // `e["emial"]` alone (Rhai marks the end of an index chain with BREAK).
        ASTNode::Expr(Expr::Index(index, flags, _))
            if flags.contains(ASTFlags::BREAK) && is_variable(&index.lhs, name) =>
        {
            if let Expr::StringConstant(key, position) = &index.rhs {
                known(name, shape, key, *position, findings);
            }
        }
        ASTNode::Expr(Expr::FnCall(..)) => {
            let statuses = Status::ALL.map(Status::as_str);
            let fields = Field::ALL.map(Field::name);
            let (property, values) = match shape {
                Shape::Row => (
                    "status",
                    Values {
                        here: &["new", "changed"],
                        elsewhere: (&statuses, "select is asked only about new and changed rows"),
                    },
                ),
                Shape::Change => (
                    "field",
                    Values {
                        here: &fields,
                        elsewhere: (&[], ""),
                    },
                ),
                Shape::Employee | Shape::Master => return,
            };
            let is_it = |x: &Expr| {
                matches!(x, Expr::Dot(dot, ..) if is_variable(&dot.lhs, name)
                    && matches!(&dot.rhs, Expr::Property(p, _) if p.2 == property))
            };
            compared(
                node,
                is_it,
                &format!("{name}.{property}"),
                &values,
                findings,
            );
        }
        ASTNode::Stmt(Stmt::For(each, _)) if shape == Shape::Row => {
            if let Expr::Dot(dot, ..) = &each.2.expr
                && is_variable(&dot.lhs, name)
                && matches!(&dot.rhs, Expr::Property(p, _) if p.2 == "changes")
            {
                properties(
                    each.2.body.statements(),
                    &each.0.name,
                    Shape::Change,
                    findings,
                );
            }
        }
        _ => {}
    });
}

/// The texts a name can hold.
struct Values<'a> {
    /// What it may be here.
    here: &'a [&'a str],
    /// What it may be elsewhere but not here, and why.
    elsewhere: (&'a [&'a str], &'a str),
}

/// `x == "text"` or `x != "text"` (either way round), where `is_it(x)` and `x` only ever holds
/// one of `values.here`: another text makes the comparison always false (or always true).
fn compared(
    node: &ASTNode,
    is_it: impl Fn(&Expr) -> bool,
    what: &str,
    values: &Values,
    findings: &mut Vec<Finding>,
) {
    let ASTNode::Expr(Expr::FnCall(call, _)) = node else {
        return;
    };
    let ([a, b], "==" | "!=") = (call.args.as_slice(), call.name.as_str()) else {
        return;
    };
    let (text, position) = match (a, b) {
        (x, Expr::StringConstant(text, position)) | (Expr::StringConstant(text, position), x)
            if is_it(x) && call.namespace.is_empty() =>
        {
            (text.as_str(), *position)
        }
        _ => return,
    };
    if values.here.contains(&text) {
        return;
    }
    let always = if call.name == "==" { "false" } else { "true" };
    let (elsewhere, why) = values.elsewhere;
    let hint = if elsewhere.contains(&text) {
        why.to_string()
    } else {
        did_you_mean(text, values.here.iter().copied())
            .unwrap_or_else(|| format!("it is one of: {}", values.here.join(", ")))
    };
    findings.push(Finding {
        position,
        message: format!("{what} is never '{text}', so this is always {always}; {hint}"),
    });
}

/// A chain of properties after `name.`, up to the first step that is not a plain property.
fn chain(mut rest: &Expr, name: &str, mut shape: Shape, findings: &mut Vec<Finding>) {
    let mut path = name.to_string();
    loop {
        let (step, more) = match rest {
            Expr::Dot(dot, ..) => (&dot.lhs, Some(&dot.rhs)),
            other => (other, None),
        };
        let Expr::Property(property, position) = step else {
            return;
        };
        let property = property.2.as_str();
        if !known(&path, shape, property, *position, findings) {
            return;
        }
        match (shape.of(property), more) {
            (Some(next), Some(more)) => {
                (shape, rest) = (next, more);
                path = format!("{path}.{property}");
            }
            _ => return,
        }
    }
}

/// Whether `path`, which holds `shape`, has `property`; if not, says so with the name most
/// likely meant.
fn known(
    path: &str,
    shape: Shape,
    property: &str,
    position: Position,
    findings: &mut Vec<Finding>,
) -> bool {
    let names = shape.properties();
    if names.contains(&property) {
        return true;
    }
    let hint = did_you_mean(property, names.iter().copied())
        .unwrap_or_else(|| format!("its properties are: {}", names.join(", ")));
    findings.push(Finding {
        position,
        message: format!("{path} has no property '{property}', so it always reads as (); {hint}"),
    });
    false
}

/// `lookup("name", ..)` and `table("name")` with a table the folder does not have; unless the
/// script defines a function of that name itself, which then takes the call.
fn missing_tables(ast: &AST, tables: &[&str], findings: &mut Vec<Finding>) {
    let own = |call: &FnCallExpr| {
        ast.iter_fn_def()
            .any(|f| f.name == call.name && f.params.len() == call.args.len())
    };
    ast.walk(&mut |path: &[ASTNode]| {
        let call = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, _)) | ASTNode::Stmt(Stmt::FnCall(call, _))) => {
                call
            }
            _ => return true,
        };
        let takes_table = match call.name.as_str() {
            "lookup" => (2..=3).contains(&call.args.len()),
            "table" => call.args.len() == 1,
            _ => false,
        };
        if takes_table
            && call.namespace.is_empty()
            && let Some(Expr::StringConstant(name, position)) = call.args.first()
            && !tables.contains(&name.as_str())
            && !own(call)
        {
            findings.push(Finding {
                position: *position,
                message: super::helpers::no_table(name, tables),
            });
        }
        true
    });
}

/// Rhai's methods that change their receiver in place and return `()` (strings, arrays, maps:
/// see the Rhai book's "Built-in Functions"). `trim` is not among them here: crewsync's own
/// `trim` returns the trimmed text. `remove` is not either: on an array or a map it returns
/// what it removed.
const IN_PLACE: [&str; 20] = [
    "append",
    "chop",
    "clear",
    "crop",
    "dedup",
    "fill_with",
    "insert",
    "make_lower",
    "make_upper",
    "mixin",
    "pad",
    "push",
    "replace",
    "reverse",
    "set",
    "sort",
    "sort_by",
    "sort_desc",
    "splice",
    "truncate",
];

/// The result of a method that works in place (`e.email.replace("a", "b")`) used as a value:
/// it is always `()`, so `#{email: x.replace(..)}` decides nothing and `let y = x.push(1)`
/// holds nothing. A call on its own line is what these methods are for.
fn unit_values(ast: &AST, findings: &mut Vec<Finding>) {
    let own = |name: &str| ast.iter_fn_def().any(|f| f.name == name);
    ast.walk(&mut |path: &[ASTNode]| {
        let [.., parent, ASTNode::Expr(node)] = path else {
            return true;
        };
        // A statement's value is thrown away; so is that of a link inside a chain, whose
        // outermost `Dot` is looked at instead.
        if matches!(
            parent,
            ASTNode::Stmt(Stmt::Expr(_)) | ASTNode::Expr(Expr::Dot(..))
        ) {
            return true;
        }
        let call = match node {
            Expr::Dot(dot, ..) => {
                let mut last = &dot.rhs;
                while let Expr::Dot(inner, ..) = last {
                    last = &inner.rhs;
                }
                match last {
                    Expr::MethodCall(call, position) => Some((call, *position)),
                    _ => None,
                }
            }
            // `replace(s, "a", "b")`: the function form of the same method. `clear()` with
            // nothing to clear is crewsync's helper that gives "".
            Expr::FnCall(call, position) if !call.args.is_empty() => Some((call, *position)),
            _ => None,
        };
        if let Some((call, position)) = call
            && IN_PLACE.contains(&call.name.as_str())
            && call.namespace.is_empty()
            && !own(&call.name)
        {
            let name = &call.name;
            findings.push(Finding {
                position,
                message: format!(
                    "{name}() changes the value it is called on and returns (), so what it gives \
                     here is always () (in overrides, () means \"no opinion\"); call it on its \
                     own line and use the variable: `let v = x; v.{name}(...); v`"
                ),
            });
        }
        true
    });
}

fn is_variable(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Variable(var, ..) if var.1 == name && var.2.is_empty())
}

/// Whether `body` declares, assigns or loops over a variable `name`, or sets a property on it.
fn rebinds(body: &[Stmt], name: &str) -> bool {
    let mut found = false;
    walk(body, &mut |node| {
        found |= match node {
            ASTNode::Stmt(Stmt::Var(var, ..)) => var.0.name == name,
            ASTNode::Stmt(Stmt::For(each, _)) => {
                each.0.name == name || each.1.as_ref().is_some_and(|c| c.name == name)
            }
            ASTNode::Stmt(Stmt::Assignment(assignment)) => root(&assignment.1.lhs) == Some(name),
            _ => false,
        };
    });
    found
}

/// The variable an assignment target starts from: `e` in `e`, `e.x`, `e["x"].y`.
fn root(mut target: &Expr) -> Option<&str> {
    loop {
        match target {
            Expr::Variable(var, ..) => return Some(var.1.as_str()),
            Expr::Dot(x, ..) | Expr::Index(x, ..) => target = &x.lhs,
            _ => return None,
        }
    }
}

fn walk(body: &[Stmt], visit: &mut dyn FnMut(&ASTNode)) {
    let mut path = Vec::new();
    for stmt in body {
        stmt.walk(&mut path, &mut |path: &[ASTNode]| {
            if let Some(node) = path.last() {
                visit(node);
            }
            true
        });
        path.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(script: &str) -> Vec<(usize, usize, String)> {
        let engine = rhai::Engine::new_raw();
        let ast = engine
            .compile(script)
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        check(&ast, &["departments"])
            .into_iter()
            .map(|f| {
                (
                    f.position.line().unwrap_or(0),
                    f.position.position().unwrap_or(0),
                    f.message,
                )
            })
            .collect()
    }

    /// Issue 13: `#{ email: e.email.replace(..) }` cleared the e-mail of 90 of 96 employees
    /// because `replace` works in place and gives `()`.
    #[test]
    fn a_method_that_returns_unit_used_as_a_value_is_found() {
        let script = r#"
fn overrides(e) {
    let email = e.email;
    email.replace("@old.example", "@example.com");
    let names = [];
    names.push(e.last_name);
    let sorted = names.sort();
    let x = #{ email: e.email.replace("@old.example", "@example.com") };
    x.first_name = replace(e.first_name, "a", "b");
    #{ last_name: e.last_name.to_upper(), last_name_kana: trim(e.last_name_kana), email: clear() }
}
"#;
        let found: Vec<(usize, String)> = findings(script)
            .into_iter()
            .map(|(line, _, message)| (line, message))
            .collect();
        let lines: Vec<usize> = found.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [7, 8, 9], "{found:#?}");
        assert!(
            found[0]
                .1
                .starts_with("sort() changes the value it is called on and returns ()")
        );
        assert!(found[1].1.contains("replace()") && found[1].1.contains("no opinion"));
    }

    #[test]
    fn a_misspelt_property_of_the_employee_is_found_with_the_name_meant() {
        let found = findings("fn overrides(e) {\n    if e.emial != () { #{} }\n}");
        assert_eq!(
            found,
            [(
                2,
                10,
                "e has no property 'emial', so it always reads as (); did you mean 'email'?"
                    .to_string()
            )]
        );
    }

    #[test]
    fn chains_rows_changes_and_indexes_are_followed() {
        let script = r#"
fn select(row, direction) {
    let a = row.employee.office.nmae;
    let b = row.target.hire_date;
    for change in row.changes { if change.feild == "x" { return false; } }
    row["stauts"] == "new"
}
fn office(e) { e.employment_type.id ?? e.raw.anything.at.all }
"#;
        let meant = |path: &str, wrong: &str, right: &str| {
            format!(
                "{path} has no property '{wrong}', so it always reads as (); \
                 did you mean '{right}'?"
            )
        };
        assert_eq!(
            findings(script),
            [
                (3, 33, meant("row.employee.office", "nmae", "name")),
                (5, 43, meant("change", "feild", "field")),
                (6, 9, meant("row", "stauts", "status")),
            ]
        );
    }

    #[test]
    fn a_name_far_from_every_property_lists_them_all() {
        let found = findings("fn exclude(e) { e.office.colour }");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].2.ends_with(
                "e.office has no property 'colour', so it always reads as (); \
                 its properties are: id, name"
            ),
            "{found:?}"
        );
    }

    #[test]
    fn other_functions_and_rebound_names_are_left_alone() {
        for script in [
            // Not a hook: `e` could be anything.
            "fn helper(e) { e.anything }",
            // The hook gives `e` a property, or another value.
            "fn overrides(e) { e.extra = 1; e.extra }",
            "fn overrides(e) { let e = #{x: 1}; e.x }",
            "fn select(row) { for row in [#{x: 1}] { row.x } }",
            // Every property spelt right, with methods and `?.`.
            "fn exclude(e) { e.code.starts_with(\"T\") || e.office?.name == \"x\" || e.raw.y }",
        ] {
            assert_eq!(findings(script), [], "{script}");
        }
    }

    #[test]
    fn a_text_the_direction_status_or_field_never_is_found() {
        let script = r#"
fn office(e, d) { if d == "smarthr-to-kto" { "x" } else if "kot-to-smarthr" != d { "y" } }
fn select(row, direction) {
    if direction == "kot-to-smarthr" && row.status == "unchanged" { return false; }
    for c in row.changes { if c.field == "birthdate" || c.field == "email" { return false; } }
    true
}
"#;
        assert_eq!(
            findings(script),
            [
                (
                    2,
                    27,
                    "d is never 'smarthr-to-kto', so this is always false; \
                     did you mean 'smarthr-to-kot'?"
                        .to_string()
                ),
                (
                    4,
                    55,
                    "row.status is never 'unchanged', so this is always false; \
                     select is asked only about new and changed rows"
                        .to_string()
                ),
                (
                    5,
                    42,
                    "c.field is never 'birthdate', so this is always false; \
                     did you mean 'birth_date'?"
                        .to_string()
                ),
            ]
        );
        // `direction` given another value may hold anything.
        assert_eq!(
            findings(r#"fn office(e, d) { d = "x"; if d == "x" { 1 } }"#),
            []
        );
    }

    #[test]
    fn a_function_named_almost_like_a_hook_and_never_called_is_found() {
        let found = findings("fn helper(x) { x }\n\nfn ofice(e) {\n    \"本社\"\n}\n");
        assert_eq!(
            found,
            [(
                3,
                0,
                "fn ofice is never called: crewsync calls only exclude, overrides, office, \
                 employment_type, move_existing, select; did you mean 'fn office'?"
                    .to_string()
            )]
        );
        // A helper that is called is the script's own business.
        assert_eq!(
            findings("fn offices(e) { 1 }\nfn office(e) { offices(e) }"),
            []
        );
    }

    #[test]
    fn a_table_the_folder_lacks_is_found_where_it_is_named() {
        let script = r#"fn office(e) {
    lookup("departments", e.code) ?? lookup("department", e.code, "x") ?? table("divisons")
}"#;
        let found = findings(script);
        assert_eq!(
            found.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>(),
            [(2, 45), (2, 81)]
        );
        assert!(
            found[0].2.contains("no table named 'department'"),
            "{found:?}"
        );
        // A script's own `lookup` takes the call.
        assert_eq!(
            findings("fn lookup(a, b) { b }\nfn office(e) { lookup(\"nope\", e.code) }"),
            []
        );
    }
}
