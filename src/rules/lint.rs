//! Mistakes a script compiles with but that can only be bugs, found before anything runs.
//!
//! Rhai reads a property a map does not have as `()`, so a misspelt `e.emial != ()` is never
//! true and the rule silently does nothing; only a rule test that happens to cover it would
//! tell. Likewise `direction == "smarthr-to-kto"` is never true, `fn ofice(e)` is never
//! called, and `lookup("employment_type", ..)` (the table is `employment_types.yaml`) fails
//! only for the employees that reach it, as do `#{ emial: .. }` from `overrides` and a call of
//! `lower(x, 3)`, which no function takes. These are checked here, on the employee (or row) a
//! hook is given, on the texts a few of its values can be, on the keys of the maps a hook
//! returns, on function names and calls and on table names written as text, so that
//! `rules check` names each mistake with its position and the name that was meant.

use super::Hook;
use super::convert;
use crate::model::{Direction, Field};
use crate::plan::Status;
use crate::suggest::did_you_mean;
use rhai::{AST, ASTFlags, ASTNode, Engine, Expr, FnCallExpr, Position, Stmt};
use std::collections::{BTreeMap, BTreeSet};

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

/// Everything this module finds in one compiled script, whose text is `source`; `tables` are
/// the names of the rules folder's tables, `functions` those the engine has.
pub(crate) fn check(
    ast: &AST,
    source: &str,
    tables: &[&str],
    functions: &Functions,
) -> Vec<Finding> {
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
        properties(&body, param, shape, source, &mut findings);
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
                    source,
                    &mut findings,
                );
            });
        }
        if let Some(keys) = map_keys(hook) {
            for (key, position) in returned_keys(&body, source) {
                if keys.contains(&key.as_str()) {
                    continue;
                }
                let hint = if hook == Hook::Overrides
                    && matches!(key.as_str(), "office" | "employment_type")
                {
                    "the office and employment type are decided by fn office and \
                     fn employment_type"
                        .to_string()
                } else {
                    did_you_mean(&key, keys.iter().copied())
                        .unwrap_or_else(|| format!("its keys are: {}", keys.join(", ")))
                };
                findings.push(Finding {
                    position,
                    message: format!(
                        "fn {} cannot return the key '{key}', so every employee it is \
                         returned for fails; {hint}",
                        hook.name()
                    ),
                });
            }
        }
    }
    missing_tables(ast, tables, &mut findings);
    unit_values(ast, &mut findings);
    unknown_calls(ast, functions, &mut findings);
    findings.sort_by_key(|f| (f.position.line(), f.position.position()));
    // A map returned in two places is reported once.
    findings.dedup();
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
fn properties(body: &[Stmt], name: &str, shape: Shape, source: &str, findings: &mut Vec<Finding>) {
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
        ASTNode::Expr(Expr::FnCall(..)) | ASTNode::Stmt(Stmt::FnCall(..) | Stmt::Switch(..)) => {
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
                source,
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
                    source,
                    findings,
                );
            }
        }
        _ => {}
    });
}

/// The keys a hook's map may have where rules/README.md fixes them ("The functions a rules
/// file may define"); the plan refuses any other key for every employee it is returned for.
fn map_keys(hook: Hook) -> Option<Vec<&'static str>> {
    match hook {
        Hook::Overrides => Some(Field::SYNCED.map(Field::name).to_vec()),
        Hook::MoveExisting => Some(vec!["office", "employment_type"]),
        _ => None,
    }
}

/// The keys, with their positions, of every map `body` returns: with `return`, as its last
/// line (through `if`, `switch`, blocks and `??`), or held in a variable it returns, with the
/// keys set on that variable later (`m.key = ..`, `m["key"] = ..`).
fn returned_keys(body: &[Stmt], source: &str) -> Vec<(String, Position)> {
    let mut keys = Vec::new();
    let mut variables: Vec<String> = Vec::new();
    walk(body, &mut |node| {
        if let ASTNode::Stmt(Stmt::Return(Some(value), ..)) = node {
            returned(value, source, &mut keys, &mut variables);
        }
    });
    if let Some(last) = body.last() {
        last_value(last, source, &mut keys, &mut variables);
    }
    if variables.is_empty() {
        return keys;
    }
    let held = |name: Option<&str>| variables.iter().any(|v| Some(v.as_str()) == name);
    walk(body, &mut |node| match node {
        ASTNode::Stmt(Stmt::Var(var, ..)) if held(Some(var.0.name.as_str())) => {
            literal_keys(&var.1, source, &mut keys);
        }
        ASTNode::Stmt(Stmt::Assignment(assignment)) => match &assignment.1.lhs {
            target @ Expr::Variable(..) if held(root(target)) => {
                literal_keys(&assignment.1.rhs, source, &mut keys);
            }
            Expr::Dot(x, ..) | Expr::Index(x, ..)
                if matches!(x.lhs, Expr::Variable(..)) && held(root(&x.lhs)) =>
            {
                if let Expr::Property(p, position) = &x.rhs {
                    keys.push((p.2.to_string(), *position));
                } else if let Expr::StringConstant(key, position) = &x.rhs {
                    keys.push((key.to_string(), *position));
                }
            }
            _ => {}
        },
        _ => {}
    });
    keys
}

/// The value a statement gives when it is a block's last.
fn last_value(
    stmt: &Stmt,
    source: &str,
    keys: &mut Vec<(String, Position)>,
    variables: &mut Vec<String>,
) {
    match stmt {
        Stmt::Expr(value) => returned(value, source, keys, variables),
        Stmt::If(flow, _) => {
            for branch in [&flow.body, &flow.branch] {
                if let Some(last) = branch.statements().last() {
                    last_value(last, source, keys, variables);
                }
            }
        }
        Stmt::Block(block) => {
            if let Some(last) = block.statements().last() {
                last_value(last, source, keys, variables);
            }
        }
        Stmt::Switch(switch, _) => {
            for case in &switch.1.expressions {
                returned(&case.rhs, source, keys, variables);
            }
        }
        _ => {}
    }
}

/// A value a function returns: a map's keys go to `keys`, a variable's name to `variables`.
fn returned(
    value: &Expr,
    source: &str,
    keys: &mut Vec<(String, Position)>,
    variables: &mut Vec<String>,
) {
    match value {
        Expr::Map(..) | Expr::DynamicConstant(..) => literal_keys(value, source, keys),
        Expr::Variable(var, ..) if var.2.is_empty() => variables.push(var.1.to_string()),
        Expr::Stmt(block) => {
            if let Some(last) = block.statements().last() {
                last_value(last, source, keys, variables);
            }
        }
        Expr::Coalesce(values, _) => {
            for value in values.iter() {
                returned(value, source, keys, variables);
            }
        }
        _ => {}
    }
}

/// The keys of a map written out in the script. Rhai folds a map of constants into one value,
/// which keeps only the map's position: each key is found again on the map's line.
fn literal_keys(value: &Expr, source: &str, keys: &mut Vec<(String, Position)>) {
    match value {
        Expr::Map(map, _) => {
            keys.extend(map.0.iter().map(|(key, _)| (key.name.to_string(), key.pos)));
        }
        Expr::DynamicConstant(constant, position) => {
            if let Some(map) = constant.read_lock::<rhai::Map>() {
                keys.extend(map.keys().map(|key| {
                    let written = |line: &str| {
                        let column = line.find(&format!("{key}:"))?;
                        Some(line[..column].chars().count())
                    };
                    (key.to_string(), find_in_line(source, *position, written))
                }));
            }
        }
        _ => {}
    }
}

/// The functions a script may call, by name, with the numbers of arguments each takes: those
/// of the engine (Rhai's standard library and crewsync's helpers), read from the engine
/// itself so that the list cannot drift from what runs.
pub(crate) struct Functions(BTreeMap<String, BTreeSet<usize>>);

impl Functions {
    pub(crate) fn of(engine: &Engine) -> Functions {
        let mut all: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
        let signatures = engine.collect_fn_metadata(
            None,
            |f| Some((f.metadata.name.to_string(), f.metadata.num_params)),
            true,
        );
        // Functions Rhai's evaluator answers itself, outside any module (the Rhai book,
        // "Keywords"); `call` and `curry` take a function pointer and any arguments.
        let syntactic = [
            ("type_of", 1),
            ("print", 1),
            ("debug", 1),
            ("is_shared", 1),
            ("is_def_var", 1),
            ("is_def_fn", 2),
            ("is_def_fn", 3),
            ("Fn", 1),
        ];
        for (name, arity) in signatures
            .into_iter()
            .chain(syntactic.map(|(n, a)| (n.to_string(), a)))
        {
            all.entry(name).or_default().insert(arity);
        }
        Functions(all)
    }
}

/// Calls of a function no one defines with that number of arguments (`lower(e.email, 3)`,
/// `to_hankaku(e.last_name)`): Rhai finds out only when an employee reaches the call. A
/// method call counts the value before the dot as its first argument, except for the script's
/// own functions, which may take it as `this` instead. A name that is also a variable, or a
/// key of a map, may hold a function pointer, which is called the same way (`obj.action()`),
/// so it is left alone.
fn unknown_calls(ast: &AST, functions: &Functions, findings: &mut Vec<Finding>) {
    let mut own: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut variables = BTreeSet::new();
    for def in ast.iter_fn_def() {
        own.entry(def.name.to_string())
            .or_default()
            .insert(def.params.len());
        variables.extend(def.params.iter().map(ToString::to_string));
    }
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(var, ..))) => {
                variables.insert(var.0.name.to_string());
            }
            Some(ASTNode::Stmt(Stmt::For(each, _))) => {
                variables.insert(each.0.name.to_string());
            }
            Some(ASTNode::Expr(value @ (Expr::Map(..) | Expr::DynamicConstant(..)))) => {
                let mut keys = Vec::new();
                literal_keys(value, "", &mut keys);
                variables.extend(keys.into_iter().map(|(key, _)| key));
            }
            Some(ASTNode::Stmt(Stmt::Assignment(assignment))) => {
                if let Expr::Dot(dot, ..) = &assignment.1.lhs
                    && let Expr::Property(property, _) = &dot.rhs
                {
                    variables.insert(property.2.to_string());
                }
            }
            _ => {}
        }
        true
    });
    ast.walk(&mut |path: &[ASTNode]| {
        let (call, position, receiver) = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, position)))
            | Some(ASTNode::Stmt(Stmt::FnCall(call, position))) => (call, *position, 0),
            Some(ASTNode::Expr(Expr::MethodCall(call, position))) => (call, *position, 1),
            _ => return true,
        };
        let name = call.name.as_str();
        // Operators, `in`, qualified names and the keywords that take anything are Rhai's.
        if call.op_token.is_some()
            || !call.namespace.is_empty()
            || !rhai::is_valid_identifier(name)
            || matches!(name, "call" | "curry")
            || variables.contains(name)
        {
            return true;
        }
        let arity = call.args.len() + receiver;
        let takes: BTreeSet<usize> = [functions.0.get(name), own.get(name)]
            .into_iter()
            .flatten()
            .flatten()
            .copied()
            .collect();
        let as_this = receiver == 1 && own.get(name).is_some_and(|n| n.contains(&call.args.len()));
        if takes.contains(&arity) || as_this {
            return true;
        }
        let counted = if receiver == 1 {
            " (the value before the dot counts as the first)"
        } else {
            ""
        };
        let argument = |n: usize| format!("{n} argument{}", super::load::plural(n));
        let message = if takes.is_empty() {
            let names = functions.0.keys().chain(own.keys()).map(String::as_str);
            let hint = crate::suggest::closest(name, names).map_or_else(
                || "crewsync's helpers are listed in rules/README.md, \"Helpers\"".to_string(),
                |meant| format!("did you mean `{meant}`?"),
            );
            format!("no function `{name}` exists; {hint}")
        } else {
            let counts: Vec<String> = takes.iter().map(ToString::to_string).collect();
            format!(
                "no function `{name}` takes {}{counted}; `{name}` takes {}",
                argument(arity),
                counts.join(" or ")
            )
        };
        findings.push(Finding { position, message });
        true
    });
}

/// The texts a name can hold.
struct Values<'a> {
    /// What it may be here.
    here: &'a [&'a str],
    /// What it may be elsewhere but not here, and why.
    elsewhere: (&'a [&'a str], &'a str),
}

/// `x == "text"` or `x != "text"` (either way round), `x in ["text", ..]` and `switch x {
/// "text" => .. }`, where `is_it(x)`
/// and `x` only ever holds one of `values.here`: another text makes the comparison always false
/// (or always true). A comparison is a call wherever it stands; as a function's last line it
/// is a statement of its own.
fn compared(
    node: &ASTNode,
    is_it: impl Fn(&Expr) -> bool,
    what: &str,
    values: &Values,
    source: &str,
    findings: &mut Vec<Finding>,
) {
    if let ASTNode::Stmt(Stmt::Switch(switch, _)) = node {
        if is_it(&switch.0) {
            switch_cases(switch, source, what, values, findings);
        }
        return;
    }
    let (ASTNode::Expr(Expr::FnCall(call, _)) | ASTNode::Stmt(Stmt::FnCall(call, _))) = node else {
        return;
    };
    if !call.namespace.is_empty() {
        return;
    }
    let (texts, always) = match (call.args.as_slice(), call.name.as_str()) {
        ([a, b], "==" | "!=") => match (a, b) {
            (x, Expr::StringConstant(text, position))
            | (Expr::StringConstant(text, position), x)
                if is_it(x) =>
            {
                let always = if call.name == "==" { "false" } else { "true" };
                (
                    vec![(text.to_string(), *position)],
                    format!("this is always {always}"),
                )
            }
            _ => return,
        },
        // `x in [..]` is `contains([..], x)`; `x not in [..]` is `!contains(..)`.
        ([list, x], rhai::OP_CONTAINS) if is_it(x) => {
            let texts = match list {
                Expr::Array(items, _) => items
                    .iter()
                    .filter_map(|item| match item {
                        Expr::StringConstant(text, position) => Some((text.to_string(), *position)),
                        _ => None,
                    })
                    .collect(),
                // A list of constants is folded into one value, which keeps only its own
                // position: each text is found again on the list's line.
                Expr::DynamicConstant(value, position) => value
                    .read_lock::<rhai::Array>()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|i| i.read_lock::<rhai::ImmutableString>())
                            .map(|t| (t.to_string(), in_line(source, *position, &t)))
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => return,
            };
            (texts, "this entry of the list never matches".to_string())
        }
        _ => return,
    };
    for (text, position) in texts {
        never(what, &text, position, &always, values, findings);
    }
}

/// The cases of `switch x { .. }`. Rhai keeps a case only as a hash of its value, so each case
/// not among `values.here` is read back from its line in `source`: the text literal before
/// its `=>` whose hash is the case's.
fn switch_cases(
    switch: &(Expr, rhai::SwitchCasesCollection),
    source: &str,
    what: &str,
    values: &Values,
    findings: &mut Vec<Finding>,
) {
    let known: Vec<u64> = values
        .here
        .iter()
        .filter_map(|v| case_hash(&format!("{v:?}")))
        .collect();
    for (hash, list) in switch.1.cases.iter() {
        if known.contains(hash) {
            continue;
        }
        for case in list
            .blocks
            .iter()
            .filter_map(|&i| switch.1.expressions.get(i))
        {
            let position = case.rhs.position();
            let (Some(line), Some(column)) = (position.line(), position.position()) else {
                continue;
            };
            let Some(text) = source.lines().nth(line - 1) else {
                continue;
            };
            let before: String = text.chars().take(column - 1).collect();
            for (start, literal) in string_literals(&before) {
                if case_hash(literal) == Some(*hash) {
                    let at = Position::new(
                        line.try_into().unwrap_or(u16::MAX),
                        (start + 1).try_into().unwrap_or(u16::MAX),
                    );
                    let text = &literal[1..literal.len() - 1];
                    never(what, text, at, "this case never matches", values, findings);
                }
            }
        }
    }
}

/// Where the literal `"text"` is on the line of `from`, at or after it.
fn in_line(source: &str, from: Position, text: &str) -> Position {
    find_in_line(source, from, |rest| {
        string_literals(rest)
            .into_iter()
            .find(|(_, literal)| literal[1..literal.len() - 1] == *text)
            .map(|(start, _)| start)
    })
}

/// A place Rhai does not keep, found again in the source: `find` is given the line of `from`
/// from `from` on and says at which character what is sought starts; `from` if it is not
/// there (a list or map written over several lines).
fn find_in_line(source: &str, from: Position, find: impl Fn(&str) -> Option<usize>) -> Position {
    let (Some(line), Some(column)) = (from.line(), from.position()) else {
        return from;
    };
    let Some(text) = source.lines().nth(line - 1) else {
        return from;
    };
    let skip = column - 1;
    let rest: String = text.chars().skip(skip).collect();
    find(&rest).map_or(from, |start| {
        Position::new(
            line.try_into().unwrap_or(u16::MAX),
            (skip + start + 1).try_into().unwrap_or(u16::MAX),
        )
    })
}

/// The hash Rhai keys a switch case of `literal` (a text literal as written) by.
fn case_hash(literal: &str) -> Option<u64> {
    let ast = Engine::new_raw()
        .compile(format!("switch x {{ {literal} => () }}"))
        .ok()?;
    match ast.statements().first() {
        Some(Stmt::Switch(switch, _)) => switch.1.cases.keys().next().copied(),
        _ => None,
    }
}

/// The `"..."` literals in `line`, with the column (from 0, in characters) each starts at.
fn string_literals(line: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut open: Option<(usize, usize)> = None;
    let mut escaped = false;
    for (column, (byte, c)) in line.char_indices().enumerate() {
        match (open, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some((start_column, start)), '"') => {
                found.push((start_column, &line[start..=byte]));
                open = None;
            }
            (None, '"') => open = Some((column, byte)),
            _ => {}
        }
    }
    found
}

/// `what` is compared with `text`, which it never holds.
fn never(
    what: &str,
    text: &str,
    position: Position,
    consequence: &str,
    values: &Values,
    findings: &mut Vec<Finding>,
) {
    if values.here.contains(&text) {
        return;
    }
    let (elsewhere, why) = values.elsewhere;
    let hint = if elsewhere.contains(&text) {
        why.to_string()
    } else {
        did_you_mean(text, values.here.iter().copied())
            .unwrap_or_else(|| format!("it is one of: {}", values.here.join(", ")))
    };
    findings.push(Finding {
        position,
        message: format!("{what} is never '{text}', so {consequence}; {hint}"),
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
        let engine =
            crate::rules::load::build_engine(&crate::rules::Limits::default(), Default::default());
        let ast = engine
            .compile(script)
            .unwrap_or_else(|e| panic!("{script}: {e}"));
        check(&ast, script, &["departments"], &Functions::of(&engine))
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
            // Calls the script itself makes possible: its own fn taking the value as `this`,
            // and function pointers in a variable or a map's key.
            "fn helper() { this.len() }\nfn office(e) { e.code.helper() }",
            "fn office(e) { let m = #{ act: |x| x }; m.act(e.code) }",
            "fn office(e) { let f = |x| x; f(e.code) }",
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
