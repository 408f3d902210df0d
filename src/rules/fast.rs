//! A faster way to run the usual shape of rule functions, with Rhai for everything else.
//!
//! Calling a Rhai function costs far more than what the shipped rules compute: every call sets
//! up Rhai's runtime state, resolves each function it calls by hash, and needs `e` as a map of
//! every field, converted from the employee. Issue 4 asks for 100,000 employees a second and
//! for rules that barely slow a plan down, which that cannot reach.
//!
//! Most rule functions are small: `let`, `if`, `for` over an array, `return`, comparisons,
//! `&&`/`||`/`!`, `??`, property reads, map and array literals, and the text and table
//! helpers. At load, each hook whose body uses only those is lowered from the AST Rhai compiled
//! (after Rhai's own optimiser) into [`Code`], which reads `e`'s properties straight from the
//! employee. At run time it either produces the value Rhai would produce or gives up at the
//! first thing it does not model exactly (a value of another type, a helper's error, more work
//! than a tenth of the operations limit): that call is then run by Rhai from the start. A
//! function can only read its arguments and compute, so running it again is safe; errors,
//! limits and their positions are always Rhai's own.

use super::convert::{self, Subject};
use super::helpers::{self, Tables};
use rhai::{
    AST, ASTFlags, ASTNode, Array, BinaryExpr, Dynamic, Expr, FnCallExpr, ImmutableString, Map,
    Position, Stmt, StmtBlock, Token,
};
use std::collections::BTreeSet;

/// The longest text the fast path makes before leaving the call to Rhai, which would stop the
/// script with its own error. The same limit as the engine's.
pub(crate) const MAX_STRING_SIZE: usize = 64 * 1024;

/// A hook's body, ready to run without Rhai.
pub(crate) struct Code {
    body: Vec<St>,
    slots: usize,
    /// Whether the second parameter, `direction`, is declared.
    direction: bool,
}

/// What a call could not do; Rhai runs it instead.
#[derive(Debug)]
pub(crate) struct Bail;

/// The first argument of a hook: the employee (read property by property) or a value (`row`).
pub(crate) enum Arg<'a> {
    Subject(&'a Subject<'a>),
    Value(&'a Dynamic),
}

impl Arg<'_> {
    /// The argument as Rhai receives it.
    pub(crate) fn dynamic(&self) -> &Dynamic {
        match self {
            Arg::Subject(s) => s.whole(),
            Arg::Value(v) => v,
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Builtin {
    /// One of [`helpers::TEXT`].
    Text(helpers::TextFn),
    IsBlank,
    Lookup,
    StartsWith,
    EndsWith,
    Contains,
    Len,
    IsEmpty,
}

impl Builtin {
    fn find(name: &str, arity: usize) -> Option<Builtin> {
        if arity == 1
            && let Some((_, f)) = helpers::TEXT.iter().find(|(n, _)| *n == name)
        {
            return Some(Builtin::Text(*f));
        }
        Some(match (name, arity) {
            ("is_blank", 1) => Builtin::IsBlank,
            ("lookup", 2 | 3) => Builtin::Lookup,
            ("starts_with", 2) => Builtin::StartsWith,
            ("ends_with", 2) => Builtin::EndsWith,
            ("contains", 2) => Builtin::Contains,
            ("len", 1) => Builtin::Len,
            ("is_empty", 1) => Builtin::IsEmpty,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compare {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A property of `e` compared in place.
#[derive(Debug, Clone, Copy)]
enum PropRef {
    Key(usize),
    Master(usize, bool),
}

/// One step after the base of a property chain.
enum Step {
    Prop(ImmutableString),
    Method(Builtin, Vec<Ex>),
}

enum Ex {
    Const(Dynamic),
    Var(usize),
    /// A variable's last read, as the function's value: moved out, not copied (the map an
    /// `overrides` builds and returns).
    Take(usize),
    /// `e` used whole.
    Subject,
    /// `e.<key>`.
    Property(usize),
    /// `e.office.name`, `e.employment_type.id`: (key, whether `name`).
    Master(usize, bool),
    /// `e.code != ()`, `e.employment_type.name == "役員"`: compared without making a value.
    PropCompare(Compare, PropRef, Dynamic),
    /// A chain from `e.raw`, which is converted once per employee and read in place.
    Raw(Vec<Step>),
    Chain(Box<Ex>, Vec<Step>),
    Call(Builtin, Vec<Ex>),
    Compare(Compare, Box<[Ex; 2]>),
    Plus(Box<[Ex; 2]>),
    Not(Box<Ex>),
    And(Vec<Ex>),
    Or(Vec<Ex>),
    Coalesce(Vec<Ex>),
    Array(Vec<Ex>),
    Map(Vec<(ImmutableString, Ex)>),
    Block(Vec<St>),
}

enum St {
    Expr(Ex),
    Set(usize, Ex),
    SetProp(usize, ImmutableString, Ex),
    If(Ex, Vec<St>, Vec<St>),
    For {
        item: usize,
        counter: Option<usize>,
        list: Ex,
        body: Vec<St>,
    },
    Return(Option<Ex>),
    Break,
    Continue,
}

// ---------------------------------------------------------------------------------------------
// Lowering

/// A name in scope while lowering: its slot, and whether it may be assigned.
struct Binding {
    name: ImmutableString,
    slot: usize,
    assignable: bool,
}

struct Lower<'a> {
    scope: Vec<Binding>,
    slots: usize,
    /// The script's own functions (name, arity): a call to one of them is Rhai's to make, and
    /// one named like a helper hides the helper.
    script_fns: &'a BTreeSet<(String, usize)>,
    /// The slot of `e`, when the first parameter is the employee.
    subject: Option<usize>,
}

/// Not modelled: the whole function runs in Rhai.
struct Unsupported;

type Lowered<T> = Result<T, Unsupported>;

/// Lowers the hook `name` with `arity` parameters of `ast`, if its body allows. `subject`: the
/// first parameter is the employee (every hook but `select`).
pub(crate) fn lower(ast: &AST, name: &str, arity: usize, subject: bool) -> Option<Code> {
    let script_fns: BTreeSet<(String, usize)> = ast
        .iter_fn_def()
        .map(|f| (f.name.to_string(), f.params.len()))
        .collect();
    let def = ast
        .iter_fn_def()
        .find(|f| f.name == name && f.params.len() == arity)?;
    let body = body(ast, def.body.start_position(), def.body.end_position())?;
    let mut lower = Lower {
        scope: Vec::new(),
        slots: 0,
        script_fns: &script_fns,
        subject: subject.then_some(0),
    };
    for (i, param) in def.params.iter().enumerate() {
        let slot = lower.slot();
        lower.scope.push(Binding {
            name: param.clone(),
            slot,
            // `e` is read property by property, so it must stay the employee.
            assignable: !(subject && i == 0),
        });
    }
    let mut body = lower.stmts(&body).ok()?;
    if let Some(St::Expr(last)) = body.last_mut() {
        take_if_var(last);
    }
    Some(Code {
        body,
        slots: lower.slots,
        direction: arity == 2,
    })
}

/// The top-level statements of the function whose body spans `start..end`. Rhai keeps
/// function bodies in a type it does not export, but its AST walk visits them in order; a
/// statement belongs to the function whose braces enclose it. Any doubt (another function
/// inside these braces, such as a closure, or a statement with no position) gives `None`.
fn body(ast: &AST, start: Position, end: Position) -> Option<Vec<Stmt>> {
    let inside = |p: Position| start < p && p < end;
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

impl Lower<'_> {
    fn slot(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    fn find(&self, name: &str) -> Lowered<&Binding> {
        self.scope
            .iter()
            .rev()
            .find(|b| b.name == name)
            .ok_or(Unsupported)
    }

    /// A block: names declared in it go out of scope at its end.
    fn block(&mut self, block: &StmtBlock) -> Lowered<Vec<St>> {
        self.stmts(block.statements())
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> Lowered<Vec<St>> {
        let depth = self.scope.len();
        let lowered = stmts.iter().map(|s| self.stmt(s)).collect();
        self.scope.truncate(depth);
        lowered
    }

    fn stmt(&mut self, stmt: &Stmt) -> Lowered<St> {
        Ok(match stmt {
            Stmt::Noop(_) => St::Expr(Ex::Const(Dynamic::UNIT)),
            Stmt::Expr(e) => St::Expr(self.expr(e)?),
            Stmt::FnCall(call, _) => St::Expr(self.call(call)?),
            Stmt::Block(block) => St::Expr(Ex::Block(self.block(block)?)),
            Stmt::Var(var, flags, _) => {
                let (ident, value, _) = &**var;
                if flags.intersects(ASTFlags::EXPORTED) {
                    return Err(Unsupported);
                }
                let value = self.expr(value)?;
                let slot = self.slot();
                self.scope.push(Binding {
                    name: ident.name.clone(),
                    slot,
                    assignable: !flags.intersects(ASTFlags::CONSTANT),
                });
                St::Set(slot, value)
            }
            Stmt::Assignment(assignment) => {
                let (op, BinaryExpr { lhs, rhs }) = &**assignment;
                let value = self.expr(rhs)?;
                // Rhai's optimiser writes `n = n + 1` as `n += 1`.
                let plus = match op.get_op_assignment_info() {
                    None => false,
                    Some((.., Token::Plus, _)) => true,
                    Some(_) => return Err(Unsupported),
                };
                match lhs {
                    Expr::Variable(var, _, _) if plus => {
                        let slot = self.assignable(var)?;
                        St::Set(slot, Ex::Plus(Box::new([Ex::Var(slot), value])))
                    }
                    _ if plus => return Err(Unsupported),
                    Expr::Variable(var, _, _) => St::Set(self.assignable(var)?, value),
                    Expr::Dot(dot, flags, _) if !flags.intersects(ASTFlags::NEGATED) => {
                        match (&dot.lhs, &dot.rhs) {
                            (Expr::Variable(var, _, _), Expr::Property(prop, _)) => {
                                St::SetProp(self.assignable(var)?, prop.2.clone(), value)
                            }
                            _ => return Err(Unsupported),
                        }
                    }
                    _ => return Err(Unsupported),
                }
            }
            Stmt::If(flow, _) => St::If(
                self.expr(&flow.expr)?,
                self.block(&flow.body)?,
                self.block(&flow.branch)?,
            ),
            Stmt::For(for_loop, _) => {
                let (item, counter, flow) = &**for_loop;
                let list = self.expr(&flow.expr)?;
                let depth = self.scope.len();
                let bind = |name: &ImmutableString, lower: &mut Self| {
                    let slot = lower.slot();
                    lower.scope.push(Binding {
                        name: name.clone(),
                        slot,
                        assignable: true,
                    });
                    slot
                };
                let item = bind(&item.name, self);
                let counter = counter.as_ref().map(|c| bind(&c.name, self));
                let body = self.block(&flow.body);
                self.scope.truncate(depth);
                St::For {
                    item,
                    counter,
                    list,
                    body: body?,
                }
            }
            Stmt::BreakLoop(None, flags, _) => {
                if flags.intersects(ASTFlags::BREAK) {
                    St::Break
                } else {
                    St::Continue
                }
            }
            // `throw` is a return with the BREAK flag.
            Stmt::Return(value, flags, _) if !flags.intersects(ASTFlags::BREAK) => {
                let mut value = value.as_deref().map(|v| self.expr(v)).transpose()?;
                if let Some(v) = &mut value {
                    take_if_var(v);
                }
                St::Return(value)
            }
            _ => return Err(Unsupported),
        })
    }

    fn variable(
        var: &(
            Option<std::num::NonZeroUsize>,
            ImmutableString,
            rhai::Namespace,
            u64,
        ),
    ) -> Lowered<&ImmutableString> {
        if var.2.is_empty() {
            Ok(&var.1)
        } else {
            Err(Unsupported)
        }
    }

    fn assignable(
        &self,
        var: &(
            Option<std::num::NonZeroUsize>,
            ImmutableString,
            rhai::Namespace,
            u64,
        ),
    ) -> Lowered<usize> {
        let binding = self.find(Self::variable(var)?)?;
        if binding.assignable {
            Ok(binding.slot)
        } else {
            Err(Unsupported)
        }
    }

    fn exprs<'e>(&mut self, exprs: impl IntoIterator<Item = &'e Expr>) -> Lowered<Vec<Ex>> {
        exprs.into_iter().map(|e| self.expr(e)).collect()
    }

    fn expr(&mut self, expr: &Expr) -> Lowered<Ex> {
        Ok(match expr {
            Expr::DynamicConstant(value, _) => Ex::Const((**value).clone()),
            Expr::BoolConstant(b, _) => Ex::Const((*b).into()),
            Expr::IntegerConstant(i, _) => Ex::Const((*i).into()),
            Expr::StringConstant(s, _) => Ex::Const(s.clone().into()),
            Expr::Unit(_) => Ex::Const(Dynamic::UNIT),
            Expr::Array(items, _) => Ex::Array(self.exprs(items.iter())?),
            Expr::Map(map, _) => Ex::Map(
                map.0
                    .iter()
                    .map(|(ident, value)| Ok((ident.name.clone(), self.expr(value)?)))
                    .collect::<Lowered<_>>()?,
            ),
            Expr::Variable(var, _, _) => {
                let binding = self.find(Self::variable(var)?)?;
                if Some(binding.slot) == self.subject {
                    Ex::Subject
                } else {
                    Ex::Var(binding.slot)
                }
            }
            Expr::Stmt(block) => Ex::Block(self.block(block)?),
            Expr::FnCall(call, _) => self.call(call)?,
            Expr::Dot(dot, flags, _) if !flags.intersects(ASTFlags::NEGATED) => {
                self.chain(&dot.lhs, &dot.rhs)?
            }
            Expr::And(items, _) => Ex::And(self.exprs(items.iter())?),
            Expr::Or(items, _) => Ex::Or(self.exprs(items.iter())?),
            Expr::Coalesce(items, _) => Ex::Coalesce(self.exprs(items.iter())?),
            _ => return Err(Unsupported),
        })
    }

    /// A call by name or an operator.
    fn call(&mut self, call: &FnCallExpr) -> Lowered<Ex> {
        if !call.namespace.is_empty() || call.capture_parent_scope {
            return Err(Unsupported);
        }
        let mut args = self.exprs(call.args.iter())?;
        if let Some(op) = &call.op_token {
            let compare = match op {
                Token::EqualsTo => Compare::Eq,
                Token::NotEqualsTo => Compare::Ne,
                Token::LessThan => Compare::Lt,
                Token::LessThanEqualsTo => Compare::Le,
                Token::GreaterThan => Compare::Gt,
                Token::GreaterThanEqualsTo => Compare::Ge,
                Token::Bang if args.len() == 1 => return Ok(Ex::Not(Box::new(args.remove(0)))),
                Token::Plus if args.len() == 2 => return Ok(Ex::Plus(pair(args)?)),
                _ => return Err(Unsupported),
            };
            let [a, b] = *pair(args)?;
            return Ok(match (a, b) {
                (Ex::Property(k), Ex::Const(c)) => Ex::PropCompare(compare, PropRef::Key(k), c),
                (Ex::Master(k, n), Ex::Const(c)) => {
                    Ex::PropCompare(compare, PropRef::Master(k, n), c)
                }
                (a, b) => Ex::Compare(compare, Box::new([a, b])),
            });
        }
        Ok(Ex::Call(self.builtin(&call.name, args.len())?, args))
    }

    fn builtin(&self, name: &str, arity: usize) -> Lowered<Builtin> {
        if self.script_fns.contains(&(name.to_string(), arity)) {
            return Err(Unsupported);
        }
        Builtin::find(name, arity).ok_or(Unsupported)
    }

    /// `base.a.b(...)...`: Rhai nests a chain to the right (`a.b.c` is `a . (b . c)`).
    fn chain(&mut self, base: &Expr, rest: &Expr) -> Lowered<Ex> {
        let mut steps = Vec::new();
        let mut next = Some(rest);
        while let Some(expr) = next.take() {
            let (step, more) = match expr {
                Expr::Dot(dot, flags, _) if !flags.intersects(ASTFlags::NEGATED) => {
                    (&dot.lhs, Some(&dot.rhs))
                }
                other => (other, None),
            };
            steps.push(match step {
                Expr::Property(prop, _) => Step::Prop(prop.2.clone()),
                Expr::MethodCall(call, _) => {
                    if !call.namespace.is_empty() || call.capture_parent_scope {
                        return Err(Unsupported);
                    }
                    let args = self.exprs(call.args.iter())?;
                    Step::Method(self.builtin(&call.name, args.len() + 1)?, args)
                }
                _ => return Err(Unsupported),
            });
            next = more;
        }
        let base = self.expr(base)?;
        Ok(match base {
            Ex::Subject => subject_chain(steps),
            base => Ex::Chain(Box::new(base), steps),
        })
    }
}

/// A chain that starts at `e`: the first property is read from the employee directly.
fn subject_chain(mut steps: Vec<Step>) -> Ex {
    let first = match steps.first() {
        Some(Step::Prop(first)) => first.clone(),
        _ => return Ex::Chain(Box::new(Ex::Subject), steps),
    };
    steps.remove(0);
    let Some(key) = convert::key(&first) else {
        // Not a property of `e`: `()`, as for any map.
        return chain_from(Ex::Const(Dynamic::UNIT), steps);
    };
    if first == "raw" {
        return Ex::Raw(steps);
    }
    if matches!(first.as_str(), "office" | "employment_type")
        && let Some(Step::Prop(part)) = steps.first()
        && matches!(part.as_str(), "id" | "name")
    {
        let is_name = part == "name";
        steps.remove(0);
        return chain_from(Ex::Master(key, is_name), steps);
    }
    chain_from(Ex::Property(key), steps)
}

/// A variable read that ends the function reads it for the last time.
fn take_if_var(ex: &mut Ex) {
    if let Ex::Var(slot) = *ex {
        *ex = Ex::Take(slot);
    }
}

fn chain_from(base: Ex, steps: Vec<Step>) -> Ex {
    if steps.is_empty() {
        base
    } else {
        Ex::Chain(Box::new(base), steps)
    }
}

fn pair(args: Vec<Ex>) -> Lowered<Box<[Ex; 2]>> {
    <[Ex; 2]>::try_from(args)
        .map(Box::new)
        .map_err(|_| Unsupported)
}

// ---------------------------------------------------------------------------------------------
// Running

/// Why evaluation left the straight path.
enum Stop {
    Return(Dynamic),
    Break,
    Continue,
    Bail,
}

impl From<Bail> for Stop {
    fn from(_: Bail) -> Stop {
        Stop::Bail
    }
}

type Run<T> = Result<T, Stop>;

struct Cx<'a> {
    frame: Vec<Dynamic>,
    subject: Option<&'a Subject<'a>>,
    tables: &'a Tables,
    /// Statements and expressions evaluated; past `budget` (or the deadline) the call goes to
    /// Rhai, whose operation limit and deadline then apply. Rhai counts at least one operation
    /// for each, so a call that finishes here is far within its limits.
    steps: u64,
    budget: u64,
}

impl Cx<'_> {
    fn tick(&mut self) -> Run<()> {
        self.steps += 1;
        // A step may be a helper on a long text, so the clock is read too (now and then,
        // as Rhai's own check does): past the deadline, Rhai runs the call and stops it.
        let late = self.steps.is_multiple_of(256) && super::load::past_deadline();
        if self.steps > self.budget || late {
            Err(Stop::Bail)
        } else {
            Ok(())
        }
    }

    fn subject(&self) -> Run<&Subject<'_>> {
        self.subject.ok_or(Stop::Bail)
    }
}

impl Code {
    /// Runs the hook with `arg` and `direction`, or gives up.
    pub(crate) fn run(
        &self,
        arg: &Arg<'_>,
        direction: &Dynamic,
        tables: &Tables,
        max_operations: u64,
    ) -> Result<Dynamic, Bail> {
        let mut frame = vec![Dynamic::UNIT; self.slots];
        let subject = match arg {
            Arg::Subject(s) => Some(*s),
            Arg::Value(v) => {
                if let Some(slot) = frame.first_mut() {
                    *slot = (*v).clone();
                }
                None
            }
        };
        if self.direction
            && let Some(slot) = frame.get_mut(1)
        {
            *slot = direction.clone();
        }
        let mut cx = Cx {
            frame,
            subject,
            tables,
            steps: 0,
            budget: max_operations / 10,
        };
        match block(&self.body, &mut cx) {
            Ok(value) | Err(Stop::Return(value)) => Ok(value.flatten()),
            Err(Stop::Break | Stop::Continue | Stop::Bail) => Err(Bail),
        }
    }
}

/// A block's value is its last statement's, as in Rhai.
fn block(stmts: &[St], cx: &mut Cx<'_>) -> Run<Dynamic> {
    let mut last = Dynamic::UNIT;
    for stmt in stmts {
        last = run(stmt, cx)?;
    }
    Ok(last)
}

fn run(stmt: &St, cx: &mut Cx<'_>) -> Run<Dynamic> {
    cx.tick()?;
    match stmt {
        St::Expr(e) => eval(e, cx),
        St::Set(slot, e) => {
            cx.frame[*slot] = eval(e, cx)?;
            Ok(Dynamic::UNIT)
        }
        St::SetProp(slot, name, e) => {
            let value = eval(e, cx)?;
            let target = &mut cx.frame[*slot];
            if target.is_shared() || target.is_read_only() {
                return Err(Stop::Bail);
            }
            let mut map = target.write_lock::<Map>().ok_or(Stop::Bail)?;
            map.insert(name.as_str().into(), value);
            Ok(Dynamic::UNIT)
        }
        St::If(guard, then, otherwise) => {
            if eval(guard, cx)?.as_bool().map_err(|_| Stop::Bail)? {
                block(then, cx)
            } else {
                block(otherwise, cx)
            }
        }
        St::For {
            item,
            counter,
            list,
            body,
        } => {
            let items = eval(list, cx)?.into_array().map_err(|_| Stop::Bail)?;
            for (i, value) in items.into_iter().enumerate() {
                cx.tick()?;
                cx.frame[*item] = value;
                if let Some(c) = counter {
                    cx.frame[*c] = Dynamic::from_int(i64::try_from(i).map_err(|_| Stop::Bail)?);
                }
                match block(body, cx) {
                    Ok(_) | Err(Stop::Continue) => {}
                    Err(Stop::Break) => break,
                    Err(other) => return Err(other),
                }
            }
            Ok(Dynamic::UNIT)
        }
        St::Return(value) => Err(Stop::Return(match value {
            Some(v) => eval(v, cx)?,
            None => Dynamic::UNIT,
        })),
        St::Break => Err(Stop::Break),
        St::Continue => Err(Stop::Continue),
    }
}

fn eval(ex: &Ex, cx: &mut Cx<'_>) -> Run<Dynamic> {
    cx.tick()?;
    Ok(match ex {
        Ex::Const(v) => v.clone(),
        Ex::Var(slot) => cx.frame[*slot].clone(),
        Ex::Take(slot) => std::mem::replace(&mut cx.frame[*slot], Dynamic::UNIT),
        // Rhai reads a shared value through to a copy.
        Ex::Subject => cx.subject()?.whole().flatten_clone(),
        Ex::Property(key) => cx.subject()?.property(*key),
        Ex::Master(key, name) => {
            convert::master_part(cx.subject()?.employee, *key, *name).ok_or(Stop::Bail)?
        }
        Ex::Raw(steps) => {
            let args = step_args(steps, cx)?;
            let raw = cx.subject()?.raw();
            walk(raw, steps, args, cx.tables)?
        }
        Ex::Chain(base, steps) => {
            let args = step_args(steps, cx)?;
            match &**base {
                // Read in place: a variable's map is not copied to read one property of it.
                Ex::Var(slot) => walk(&cx.frame[*slot], steps, args, cx.tables)?,
                base => {
                    let base = eval(base, cx)?;
                    walk(&base, steps, args, cx.tables)?
                }
            }
        }
        Ex::Call(Builtin::Text(f), args) if args.len() == 1 => made(f(&text_arg(&args[0], cx)?))?,
        Ex::Call(Builtin::IsBlank, args) if matches!(args.as_slice(), [Ex::Property(_)]) => {
            match text_arg(&args[0], cx) {
                Ok(s) => helpers::is_blank(&s).into(),
                // `()`: blank.
                Err(Stop::Bail) if absent(&args[0], cx)? => true.into(),
                Err(other) => return Err(other),
            }
        }
        Ex::Call(builtin, args) => {
            let args = args.iter().map(|a| eval(a, cx)).collect::<Run<Vec<_>>>()?;
            let (first, rest) = args.split_first().ok_or(Stop::Bail)?;
            call(*builtin, first, rest, cx.tables)?
        }
        Ex::PropCompare(op, prop, value) => prop_compare(*op, *prop, value, cx)?.into(),
        Ex::Compare(op, args) => {
            let a = eval(&args[0], cx)?;
            let b = eval(&args[1], cx)?;
            compare(*op, &a, &b)?.into()
        }
        Ex::Plus(args) => {
            let a = eval(&args[0], cx)?;
            let b = eval(&args[1], cx)?;
            plus(&a, &b)?
        }
        Ex::Not(e) => (!eval(e, cx)?.as_bool().map_err(|_| Stop::Bail)?).into(),
        Ex::And(items) => {
            for item in items {
                if !eval(item, cx)?.as_bool().map_err(|_| Stop::Bail)? {
                    return Ok(false.into());
                }
            }
            true.into()
        }
        Ex::Or(items) => {
            for item in items {
                if eval(item, cx)?.as_bool().map_err(|_| Stop::Bail)? {
                    return Ok(true.into());
                }
            }
            false.into()
        }
        Ex::Coalesce(items) => {
            let mut value = Dynamic::UNIT;
            for item in items {
                value = eval(item, cx)?;
                if !value.is_unit() {
                    break;
                }
            }
            value
        }
        Ex::Array(items) => {
            Dynamic::from_array(items.iter().map(|i| eval(i, cx)).collect::<Run<Array>>()?)
        }
        Ex::Map(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let value = eval(value, cx)?;
                map.insert(key.as_str().into(), value);
            }
            Dynamic::from_map(map)
        }
        Ex::Block(stmts) => block(stmts, cx)?,
    })
}

/// A text handed to a text helper: read in place from the employee, or passed from one helper
/// to the next without becoming a Rhai value in between (`lower(trim(e.email))` makes one
/// value, not three).
enum Text<'a> {
    Borrowed(&'a str),
    Owned(String),
    Value(ImmutableString),
}

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            Text::Borrowed(s) => s,
            Text::Owned(s) => s,
            Text::Value(s) => s,
        }
    }
}

/// The text `ex` evaluates to; anything else (including `()`) gives up, as the helpers take
/// only text.
fn text_arg<'a>(ex: &Ex, cx: &mut Cx<'a>) -> Run<Text<'a>> {
    match ex {
        Ex::Property(key) => {
            let subject = cx.subject.ok_or(Stop::Bail)?;
            if let convert::Prop::Text(Some(s)) = convert::prop(subject.employee, *key) {
                return Ok(Text::Borrowed(s));
            }
        }
        Ex::Call(Builtin::Text(f), args) if args.len() == 1 => {
            cx.tick()?;
            let out = f(&text_arg(&args[0], cx)?);
            if out.len() > MAX_STRING_SIZE {
                return Err(Stop::Bail);
            }
            return Ok(Text::Owned(out));
        }
        _ => {}
    }
    Ok(Text::Value(text(&eval(ex, cx)?)?))
}

/// Whether `ex`, a property of `e`, is `()`.
fn absent(ex: &Ex, cx: &Cx<'_>) -> Run<bool> {
    let Ex::Property(key) = ex else {
        return Ok(false);
    };
    Ok(cx.subject()?.property(*key).is_unit())
}

/// The arguments of a chain's method calls, evaluated before the chain is walked, as Rhai does.
fn step_args(steps: &[Step], cx: &mut Cx<'_>) -> Run<Vec<Vec<Dynamic>>> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Method(_, args) => Some(args),
            Step::Prop(_) => None,
        })
        .map(|args| args.iter().map(|a| eval(a, cx)).collect())
        .collect()
}

fn walk(
    base: &Dynamic,
    steps: &[Step],
    args: Vec<Vec<Dynamic>>,
    tables: &Tables,
) -> Result<Dynamic, Bail> {
    let mut args = args.into_iter();
    let mut current: Option<Dynamic> = None;
    for step in steps {
        let target = current.as_ref().unwrap_or(base);
        let next = match step {
            Step::Prop(name) => {
                let map = target.read_lock::<Map>().ok_or(Bail)?;
                map.get(name.as_str()).cloned().unwrap_or(Dynamic::UNIT)
            }
            Step::Method(builtin, _) => {
                let args = args.next().ok_or(Bail)?;
                call(*builtin, target, &args, tables)?
            }
        };
        current = Some(next);
    }
    Ok(current.unwrap_or_else(|| base.clone()))
}

fn text(value: &Dynamic) -> Result<ImmutableString, Bail> {
    value
        .as_immutable_string_ref()
        .map(|s| s.clone())
        .map_err(|_| Bail)
}

fn made(s: String) -> Result<Dynamic, Bail> {
    if s.len() > MAX_STRING_SIZE {
        Err(Bail)
    } else {
        Ok(ImmutableString::from(s).into())
    }
}

fn call(
    builtin: Builtin,
    first: &Dynamic,
    rest: &[Dynamic],
    tables: &Tables,
) -> Result<Dynamic, Bail> {
    let second = || rest.first().map(text).ok_or(Bail)?;
    Ok(match builtin {
        Builtin::Text(f) => made(f(&text(first)?))?,
        Builtin::IsBlank if first.is_unit() => true.into(),
        Builtin::IsBlank => helpers::is_blank(&text(first)?).into(),
        Builtin::Lookup => {
            let default = rest.get(1).cloned().unwrap_or(Dynamic::UNIT);
            let key = rest.first().ok_or(Bail)?;
            helpers::lookup(tables, &text(first)?, key, default).map_err(|_| Bail)?
        }
        Builtin::StartsWith => text(first)?.starts_with(second()?.as_str()).into(),
        Builtin::EndsWith => text(first)?.ends_with(second()?.as_str()).into(),
        Builtin::Contains => text(first)?.contains(second()?.as_str()).into(),
        Builtin::Len if first.is_array() => {
            let len = first.read_lock::<Array>().ok_or(Bail)?.len();
            Dynamic::from_int(i64::try_from(len).map_err(|_| Bail)?)
        }
        Builtin::Len => {
            let len = text(first)?.chars().count();
            Dynamic::from_int(i64::try_from(len).map_err(|_| Bail)?)
        }
        Builtin::IsEmpty if first.is_array() => {
            first.read_lock::<Array>().ok_or(Bail)?.is_empty().into()
        }
        Builtin::IsEmpty => text(first)?.is_empty().into(),
    })
}

/// The kinds of value the fast path compares; any other makes it give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unit,
    Bool,
    Int,
    Text,
    /// Compared only with the kinds above, to which Rhai has no operator relating them.
    ArrayOrMap,
    Other,
}

fn kind(v: &Dynamic) -> Kind {
    if v.is_unit() {
        Kind::Unit
    } else if v.is_bool() {
        Kind::Bool
    } else if v.is_int() {
        Kind::Int
    } else if v.is_string() {
        Kind::Text
    } else if v.is_map() || v.is_array() {
        Kind::ArrayOrMap
    } else {
        Kind::Other
    }
}

/// Rhai's built-in comparisons: values of the same simple kind compare by value; values of
/// different kinds, at least one of them not a number, are never equal and never ordered
/// (`e.office != ()` is true for an office map).
fn compare(op: Compare, a: &Dynamic, b: &Dynamic) -> Result<bool, Bail> {
    compare_kinds(op, kind(a), kind(b), |k| match k {
        Kind::Bool => {
            let (a, b) = (
                a.as_bool().map_err(|_| Bail)?,
                b.as_bool().map_err(|_| Bail)?,
            );
            Ok(a.cmp(&b))
        }
        Kind::Int => {
            let (a, b) = (a.as_int().map_err(|_| Bail)?, b.as_int().map_err(|_| Bail)?);
            Ok(a.cmp(&b))
        }
        _ => Ok(text(a)?.as_str().cmp(text(b)?.as_str())),
    })
}

/// [`compare`] given the two kinds; `order` orders two values of the same kind (bool, int or
/// text).
fn compare_kinds(
    op: Compare,
    ka: Kind,
    kb: Kind,
    order: impl FnOnce(Kind) -> Result<std::cmp::Ordering, Bail>,
) -> Result<bool, Bail> {
    use std::cmp::Ordering;
    if ka == Kind::Other || kb == Kind::Other || (ka == Kind::ArrayOrMap && kb == ka) {
        return Err(Bail);
    }
    if ka != kb {
        return Ok(op == Compare::Ne);
    }
    let ordering = match ka {
        // Rhai orders neither `()` nor booleans.
        Kind::Unit => Ordering::Equal,
        Kind::Bool | Kind::Int | Kind::Text => order(ka)?,
        Kind::ArrayOrMap | Kind::Other => return Err(Bail),
    };
    let ordered = !matches!(ka, Kind::Unit | Kind::Bool);
    Ok(match op {
        Compare::Eq => ordering == Ordering::Equal,
        Compare::Ne => ordering != Ordering::Equal,
        _ if !ordered => return Err(Bail),
        Compare::Lt => ordering == Ordering::Less,
        Compare::Le => ordering != Ordering::Greater,
        Compare::Gt => ordering == Ordering::Greater,
        Compare::Ge => ordering != Ordering::Less,
    })
}

/// A property of `e` compared with a constant, reading the employee's text in place.
fn prop_compare(op: Compare, prop: PropRef, value: &Dynamic, cx: &Cx<'_>) -> Run<bool> {
    use convert::Prop;
    let e = cx.subject()?.employee;
    let (kind_a, a) = match prop {
        PropRef::Master(key, name) => match convert::prop(e, key) {
            Prop::Master(Some(m)) => (
                Kind::Text,
                Some(if name { m.name.as_str() } else { m.id.as_str() }),
            ),
            // A property of `()` is an error in Rhai.
            _ => return Err(Stop::Bail),
        },
        PropRef::Key(key) => match convert::prop(e, key) {
            Prop::Text(None) | Prop::Date(None) | Prop::Master(None) => (Kind::Unit, None),
            Prop::Text(Some(s)) => (Kind::Text, Some(s)),
            Prop::Master(Some(_)) => (Kind::ArrayOrMap, None),
            Prop::Date(Some(_)) | Prop::Other => {
                return Ok(compare(op, &cx.subject()?.property(key), value)?);
            }
        },
    };
    Ok(compare_kinds(op, kind_a, kind(value), |_| {
        Ok(a.ok_or(Bail)?.cmp(text(value)?.as_str()))
    })?)
}

/// `+` of two numbers or two texts; Rhai's other meanings of `+` are left to Rhai.
fn plus(a: &Dynamic, b: &Dynamic) -> Result<Dynamic, Bail> {
    match (kind(a), kind(b)) {
        (Kind::Int, Kind::Int) => {
            let (a, b) = (a.as_int().map_err(|_| Bail)?, b.as_int().map_err(|_| Bail)?);
            a.checked_add(b).map(Dynamic::from_int).ok_or(Bail)
        }
        (Kind::Text, Kind::Text) => made(format!("{}{}", text(a)?, text(b)?)),
        _ => Err(Bail),
    }
}

#[cfg(test)]
mod tests {
    //! The fast path against Rhai itself: for every case it runs, it must give exactly what
    //! Rhai gives; and each case must run on the fast path for some employee, or the test
    //! would compare nothing.

    use super::*;
    use crate::model::{Employee, MasterItem};
    use crate::rules::scan::RawKeys;
    use crate::rules::{Hook, Limits};
    use std::sync::Arc;

    fn employees() -> Vec<Employee> {
        let full = Employee {
            code: Some("TEST01".into()),
            last_name: Some("山田".into()),
            last_name_kana: Some("ﾔﾏﾀﾞ".into()),
            first_name_kana: Some("たろう".into()),
            email: Some(" Taro@Example.COM ".into()),
            birth_date: "1990-04-01".parse().ok(),
            business_last_name: Some("".into()),
            office: Some(MasterItem {
                id: "1000".into(),
                name: "本社".into(),
            }),
            employment_type: Some(MasterItem {
                id: "t1".into(),
                name: "役員".into(),
            }),
            raw: serde_json::json!({
                "departments": [null, {"name": "営業部"}, {"name": "開発部"}],
                "n": 3, "flag": true, "f": 1.5,
            })
            .into(),
            ..Employee::default()
        };
        let plain = Employee {
            code: Some("000123".into()),
            first_name: Some("花子".into()),
            email: Some("hanako@example.com".into()),
            employment_type: Some(MasterItem {
                id: "t2".into(),
                name: "正社員".into(),
            }),
            raw: serde_json::json!({"departments": [{"name": "総務部"}]}).into(),
            ..Employee::default()
        };
        vec![Employee::default(), full, plain]
    }

    const CASES: &[&str] = &[
        "e.code",
        r#"e.employment_type != () && e.employment_type.name == "役員""#,
        r#"e.code != () && e.code.starts_with("TEST")"#,
        "if e.email != () { lower(trim(e.email)) }",
        r#"let c = #{}; c.x = e.last_name; c.y = e.office ?? "none"; c.z = [1, e.code]; c"#,
        r#"for d in e.raw.departments ?? [] { if d != () { let v = lookup("t", d.name);
            if v != () { return v; } } } ()"#,
        "let n = 0; for (d, i) in e.raw.departments ?? [] { if i > 1 { break; } n = i + 1; } n",
        r#"[1 == 1, 1 != "1", "a" < "b", () == (), true != false, e.code == (), 2 >= 3,
            "b" > "a", 1 <= 1, "a" != (), e.office == (), 3 < 2, e.raw != 1, [] != "a",
            e.office != (), #{} == ()]"#,
        r#"[e.code == "000123", e.birth_date == "1990-04-01", e.code < "1", e.code >= "TEST",
            e.office.id != "1000", e.email > (), "000123" == e.code, e.office != "x",
            e.birth_date != (), e.employment_type.name == "正社員", e.gender == 1]"#,
        "e.office.name",
        "e.employment_type.id",
        "let x = e; x.code",
        r#"e.unknown ?? "default""#,
        "is_blank(e.business_last_name)",
        "[is_blank(e.birth_date), is_blank(e.email), trim(e.birth_date), upper(lower(e.code))]",
        "is_blank(e.office)",
        r#""x" + e.code"#,
        "(e.raw.departments ?? []).len()",
        "e.last_name.len()",
        "(e.raw.departments ?? []).is_empty()",
        r#"if direction == "smarthr-to-kot" { 1 } else { 2 }"#,
        r#"let y = if e.code == () { "none" } else { e.code }; y"#,
        "{ let a = 1; let a = a + 1; a }",
        "!(e.code == ()) || e.email == ()",
        r#"[to_full_width_katakana(e.last_name_kana ?? ""), fold_width("ＡＢ"), upper("a")]"#,
        "e.raw",
        r#"contains(e.email ?? "", "@") && (e.email ?? "").ends_with(".com")"#,
        "const x = 3; x + 1",
        "let a = [1, 2]; let b = a; b.len()",
        r#"let s = ""; for d in ["a", "b", "c"] { if d == "b" { continue; } s = s + d; } s"#,
        "e.raw.n + 1",
        "e.raw.flag && e.raw.n > 1",
        r#"lookup("t", e.code, "none")"#,
        "e.office",
        "e",
        "let m = #{a: 1}; m.a = e.code; m",
        "return;",
    ];

    fn table() -> Tables {
        let mut t = Map::new();
        t.insert("営業部".into(), "1000".into());
        t.insert("000123".into(), 7.into());
        Arc::new([("t".to_string(), t)].into())
    }

    #[test]
    fn the_fast_path_gives_what_rhai_gives() {
        let tables = table();
        let engine = super::super::load::build_engine(&Limits::default(), tables.clone());
        let employees = employees();
        let keys = RawKeys::All;
        let directions = [
            Dynamic::from("smarthr-to-kot"),
            Dynamic::from("kot-to-smarthr"),
        ];
        for case in CASES {
            let script = format!("fn f(e, direction) {{ {case} }}");
            let ast = engine
                .compile(&script)
                .unwrap_or_else(|e| panic!("{case}: {e}"));
            let code = lower(&ast, "f", 2, true);
            let mut fast_runs = 0;
            for employee in &employees {
                for direction in &directions {
                    let subject = Subject::new(employee, &keys);
                    let arg = Arg::Subject(&subject);
                    let rhai: Result<Dynamic, _> = engine.call_fn(
                        &mut rhai::Scope::new(),
                        &ast,
                        "f",
                        (arg.dynamic().clone(), direction.clone()),
                    );
                    let Some(code) = &code else { continue };
                    let Ok(fast) = code.run(&arg, direction, &tables, 1_000_000) else {
                        continue;
                    };
                    fast_runs += 1;
                    let rhai = rhai.unwrap_or_else(|e| {
                        panic!("{case}: the fast path gave {fast} where Rhai failed: {e}")
                    });
                    assert_eq!(
                        (fast.type_name(), fast.to_string()),
                        (rhai.type_name(), rhai.to_string()),
                        "{case} for {:?}",
                        employee.code
                    );
                }
            }
            assert!(fast_runs > 0, "{case} never ran on the fast path");
        }
    }

    #[test]
    fn what_it_cannot_model_is_left_to_rhai() {
        let tables = table();
        let engine = super::super::load::build_engine(&Limits::default(), tables);
        let cases = [
            "while true {}",
            "loop { break; }",
            "let x = 1; x -= 1; x",
            "let c = #{a: 1}; c.a += 1; c",
            "print(e.code)",
            "g(e)",
            "e.code = 1",
            "let f = |x| x + 1; f.call(1)",
            "`${e.code}`",
            "e?.code",
            "throw \"no\"",
            "switch e.code { _ => 1 }",
            "lower(e.code)",
            "e.raw.departments[1]",
        ];
        for case in cases {
            let script =
                format!("fn g(x) {{ x }}\nfn lower(s) {{ s }}\nfn f(e, direction) {{ {case} }}");
            let Ok(ast) = engine.compile(&script) else {
                continue;
            };
            assert!(lower(&ast, "f", 2, true).is_none(), "{case} was lowered");
        }
    }

    #[test]
    fn a_long_loop_is_left_to_rhai_and_its_limits() {
        let tables = table();
        let engine = super::super::load::build_engine(&Limits::default(), tables.clone());
        let ast = engine
            .compile("fn f(e) { let n = 0; for a in e { for b in e { n = n + 1; } } n }")
            .unwrap_or_else(|e| panic!("{e}"));
        let code = lower(&ast, "f", 1, false).unwrap_or_else(|| panic!("not lowered"));
        let list = Dynamic::from_array((0..100).map(Dynamic::from_int).collect());
        let arg = Arg::Value(&list);
        let direction = Dynamic::UNIT;
        let small = code.run(&arg, &direction, &tables, 1_000_000);
        assert_eq!(small.map(|v| v.to_string()).ok().as_deref(), Some("10000"));
        assert!(code.run(&arg, &direction, &tables, 10_000).is_err());
    }

    /// Without this, a change that made the shipped rules fall back to Rhai would pass every
    /// other test and only show as a slower benchmark.
    #[test]
    fn every_shipped_hook_runs_on_the_fast_path() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let rules = crate::rules::Rules::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let keys = RawKeys::All;
        let changes = [crate::plan::Change {
            field: crate::model::Field::BirthDate,
            old: None,
            new: Some("1990-04-01".into()),
        }];
        for employee in employees() {
            let subject = Subject::new(&employee, &keys);
            let row = Dynamic::from_map(convert::select_map(
                &crate::plan::SelectInput {
                    status: crate::plan::Status::Changed,
                    changes: &changes,
                    source: &employee,
                    target: None,
                },
                None,
            ));
            for direction in &rules.directions {
                let mut hooks = 0;
                for (hook, fns) in Hook::ALL.iter().zip(&rules.hooks) {
                    for f in fns {
                        let arg = match hook {
                            Hook::Select => Arg::Value(&row),
                            _ => Arg::Subject(&subject),
                        };
                        let code = f.fast.as_ref();
                        let value = code.map(|c| {
                            c.run(&arg, direction, &rules.tables, rules.limits.max_operations)
                        });
                        assert!(
                            matches!(value, Some(Ok(_))),
                            "{} for {:?}: {value:?}",
                            f.from,
                            employee.code
                        );
                        hooks += 1;
                    }
                }
                assert!(hooks >= 5);
            }
        }
    }
}
