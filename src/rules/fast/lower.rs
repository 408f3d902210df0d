//! Lowering a hook function from the AST Rhai compiled into [`Code`], or refusing to.

use super::*;
use crate::rules::convert;
use rhai::{AST, ASTFlags, BinaryExpr, Expr, FnCallExpr, Stmt, StmtBlock, Token};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
/// A name in scope while lowering: its slot, and whether it may be assigned.
struct Binding {
    name: ImmutableString,
    slot: usize,
    assignable: bool,
}

struct Lower<'a> {
    scope: Vec<Binding>,
    slots: usize,
    /// The script's own functions (name, arity): a call to one of them goes to it, and one
    /// named like a helper hides the helper.
    script_fns: &'a BTreeSet<(String, usize)>,
    /// The slot of `e`, when the first parameter is the employee.
    subject: Option<usize>,
    ast: &'a AST,
    /// The script's functions lowered so far, shared by every function of one hook.
    callees: &'a RefCell<Callees>,
}

/// The script's own functions a hook calls, lowered once each, by (name, arity). A slot is
/// `None` while its function is being lowered, so that recursion finds its index.
#[derive(Default)]
struct Callees {
    index: BTreeMap<(String, usize), usize>,
    lowered: Vec<Option<Callee>>,
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
    let callees = RefCell::new(Callees::default());
    let hook = function(ast, &script_fns, &callees, name, arity, subject).ok()?;
    let callees = callees
        .into_inner()
        .lowered
        .into_iter()
        .collect::<Option<_>>()?;
    Some(Code {
        body: hook.body,
        slots: hook.slots,
        direction: arity == 2,
        callees,
    })
}

/// One function of the script, lowered. `subject`: its first parameter is the employee.
fn function(
    ast: &AST,
    script_fns: &BTreeSet<(String, usize)>,
    callees: &RefCell<Callees>,
    name: &str,
    arity: usize,
    subject: bool,
) -> Lowered<Callee> {
    let def = ast
        .iter_fn_def()
        .find(|f| f.name == name && f.params.len() == arity)
        .ok_or(Unsupported)?;
    let body = crate::rules::syntax::body(ast, def).ok_or(Unsupported)?;
    let mut lower = Lower {
        scope: Vec::new(),
        slots: 0,
        script_fns,
        subject: subject.then_some(0),
        ast,
        callees,
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
    let mut body = lower.stmts(&body)?;
    if let Some(St::Expr(last)) = body.last_mut() {
        take_if_var(last);
    }
    Ok(Callee {
        body,
        slots: lower.slots,
    })
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
            Stmt::Noop(_) => St::Expr(Ex::Const(Lit::Unit)),
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
            Stmt::While(flow, _) => {
                let guard = match &flow.expr {
                    Expr::Unit(_) => None,
                    guard => Some(self.expr(guard)?),
                };
                St::While(guard, self.block(&flow.body)?)
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
            Expr::DynamicConstant(value, _) => Ex::Const((**value).clone().into()),
            Expr::BoolConstant(b, _) => Ex::Const(Lit::Bool(*b)),
            Expr::IntegerConstant(i, _) => Ex::Const(Lit::Int(*i)),
            Expr::StringConstant(s, _) => Ex::Const(Lit::Str(s.clone())),
            Expr::Unit(_) => Ex::Const(Lit::Unit),
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
            // `x[i]` alone: Rhai right-binds longer chains (`x[i][j]`, `x[i].p`) into the
            // index, and marks the end of one with BREAK; `?[` is NEGATED.
            Expr::Index(index, flags, _)
                if flags.contains(ASTFlags::BREAK) && !flags.intersects(ASTFlags::NEGATED) =>
            {
                let pair = [self.expr(&index.lhs)?, self.expr(&index.rhs)?];
                if !pair.iter().all(pure) {
                    return Err(Unsupported);
                }
                Ex::Index(Box::new(pair))
            }
            // Each part is shown with `to_string`, which a script may define for itself.
            Expr::InterpolatedString(items, _)
                if !self.script_fns.contains(&("to_string".to_string(), 1)) =>
            {
                Ex::Interpolated(self.exprs(items.iter())?)
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
        if self
            .script_fns
            .contains(&(call.name.to_string(), args.len()))
        {
            return Ok(Ex::CallFn(self.callee(&call.name, args.len())?, args));
        }
        let builtin = self.builtin(&call.name, args.len())?;
        // `f(x, y)` reads as `x.f(y)`, which reads a variable `x` in place, when no argument
        // can assign (the order in which they are evaluated then does not matter).
        if args.iter().all(pure) && !args.is_empty() {
            let first = args.remove(0);
            return Ok(Ex::Method(Box::new(first), builtin, args));
        }
        Ok(Ex::Call(builtin, args))
    }

    /// The index of the script's function `name`/`arity`, lowering it on first use.
    fn callee(&mut self, name: &str, arity: usize) -> Lowered<usize> {
        let key = (name.to_string(), arity);
        if let Some(&index) = self.callees.borrow().index.get(&key) {
            return Ok(index);
        }
        let index = {
            let mut callees = self.callees.borrow_mut();
            callees.lowered.push(None);
            let index = callees.lowered.len() - 1;
            callees.index.insert(key, index);
            index
        };
        let lowered = function(self.ast, self.script_fns, self.callees, name, arity, false)?;
        self.callees.borrow_mut().lowered[index] = Some(lowered);
        Ok(index)
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
            base => chain_from(base, steps),
        })
    }
}

/// A chain that starts at `e`: the first property is read from the employee directly.
fn subject_chain(mut steps: Vec<Step>) -> Ex {
    let first = match steps.first() {
        Some(Step::Prop(first)) => first.clone(),
        _ => return chain_from(Ex::Subject, steps),
    };
    steps.remove(0);
    let Some(key) = convert::key(&first) else {
        // Not a property of `e`: `()`, as for any map.
        return chain_from(Ex::Const(Lit::Unit), steps);
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

/// `base.steps...`: one node per step when no method argument can change a variable, so that
/// each step reads its target in place; otherwise a [`Ex::Chain`], which evaluates every
/// argument before reading the base, as Rhai does.
fn chain_from(base: Ex, steps: Vec<Step>) -> Ex {
    if !steps_pure(&steps) {
        return Ex::Chain(Box::new(base), steps);
    }
    steps.into_iter().fold(base, |base, step| match step {
        Step::Prop(name) => Ex::Get(Box::new(base), name),
        Step::Method(builtin, args) => Ex::Method(Box::new(base), builtin, args),
    })
}

fn steps_pure(steps: &[Step]) -> bool {
    steps.iter().all(|s| match s {
        Step::Prop(_) => true,
        Step::Method(_, args) => args.iter().all(pure),
    })
}

/// Whether evaluating `ex` leaves every variable as it was: only a block, which holds
/// statements, can assign.
fn pure(ex: &Ex) -> bool {
    match ex {
        Ex::Block(_) => false,
        Ex::Const(_)
        | Ex::Var(_)
        | Ex::Take(_)
        | Ex::Subject
        | Ex::Property(_)
        | Ex::Master(..)
        | Ex::PropCompare(..) => true,
        Ex::Raw(steps) => steps_pure(steps),
        Ex::Chain(base, steps) => pure(base) && steps_pure(steps),
        Ex::Get(base, _) | Ex::Not(base) => pure(base),
        Ex::Method(base, _, args) => pure(base) && args.iter().all(pure),
        // A script's function has its own variables: it cannot assign the caller's.
        Ex::Call(_, items)
        | Ex::CallFn(_, items)
        | Ex::Interpolated(items)
        | Ex::And(items)
        | Ex::Or(items)
        | Ex::Coalesce(items)
        | Ex::Array(items) => items.iter().all(pure),
        Ex::Compare(_, pair) | Ex::Plus(pair) | Ex::Index(pair) => pair.iter().all(pure),
        Ex::Map(entries) => entries.iter().all(|(_, e)| pure(e)),
    }
}

fn pair(args: Vec<Ex>) -> Lowered<Box<[Ex; 2]>> {
    <[Ex; 2]>::try_from(args)
        .map(Box::new)
        .map_err(|_| Unsupported)
}
