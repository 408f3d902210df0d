//! Running [`Code`]: the value Rhai would give, or [`Bail`].

use super::*;
use crate::rules::convert::{self, Prop};
use crate::rules::helpers::Tables;
use chrono::Datelike;
use smallvec::SmallVec;
use std::borrow::Cow;

/// The variables of one call. Hooks have a handful, so they live on the stack: a call makes
/// no allocation of its own.
type Frame<'a> = SmallVec<[Val<'a>; 8]>;

/// The arguments of one helper call; none takes more than three.
type Args<'a> = SmallVec<[Val<'a>; 3]>;

/// `slots` variables, all `()`. (Filled in one pass: `resize` clones a template per slot.)
fn unit_frame<'a>(slots: usize) -> Frame<'a> {
    std::iter::repeat_with(|| Val::Unit).take(slots).collect()
}

/// Why evaluation left the straight path.
enum Stop<'a> {
    Return(Val<'a>),
    Break,
    Continue,
    Bail,
}

impl From<Bail> for Stop<'_> {
    fn from(_: Bail) -> Self {
        Stop::Bail
    }
}

type Run<'a, T> = Result<T, Stop<'a>>;

struct Cx<'a> {
    frame: Frame<'a>,
    subject: Option<&'a Subject<'a>>,
    tables: &'a Tables,
    callees: &'a [Callee],
    /// Calls of the script's own functions in progress.
    depth: usize,
    /// Statements run and loop rounds made; past `budget` (or the deadline) the call goes to
    /// Rhai, whose operation limit and deadline then apply. Rhai counts at least one operation
    /// for each, so a call that finishes here is far within its limits. (An expression is a
    /// finite tree, so counting statements bounds the work too.)
    steps: u64,
    budget: u64,
}

impl<'a> Cx<'a> {
    fn tick(&mut self) -> Run<'a, ()> {
        self.steps += 1;
        // A step may be a helper on a long text, so the clock is read too (now and then,
        // as Rhai's own check does): past the deadline, Rhai runs the call and stops it.
        let late = self.steps.is_multiple_of(256) && crate::rules::load::past_deadline();
        if self.steps > self.budget || late {
            Err(Stop::Bail)
        } else {
            Ok(())
        }
    }

    fn subject(&self) -> Run<'a, &'a Subject<'a>> {
        self.subject.ok_or(Stop::Bail)
    }
}

impl Code {
    /// Runs the hook with `arg` and `direction`, or gives up.
    pub(crate) fn run<'a>(
        &'a self,
        arg: &Arg<'a>,
        direction: &'static str,
        tables: &'a Tables,
        max_operations: u64,
    ) -> Result<Val<'a>, Bail> {
        let (first, subject) = match arg {
            Arg::Subject(s) => (Val::Subject(s), Some(*s)),
            Arg::Row(r) => (Val::Row(r), None),
            #[cfg(test)]
            Arg::Value(v) => (Val::from_dynamic((*v).clone()), None),
        };
        let mut cx = Cx {
            frame: unit_frame(self.slots),
            subject,
            tables,
            callees: &self.callees,
            depth: 0,
            steps: 0,
            budget: max_operations / 10,
        };
        if let Some(slot) = cx.frame.first_mut() {
            *slot = first;
        }
        if self.direction
            && let Some(slot) = cx.frame.get_mut(1)
        {
            *slot = Val::Str(direction);
        }
        match block(&self.body, &mut cx) {
            Ok(value) | Err(Stop::Return(value)) => Ok(value),
            Err(Stop::Break | Stop::Continue | Stop::Bail) => Err(Bail),
        }
    }
}

/// A block's value is its last statement's, as in Rhai. The statements before it run for
/// their effect only, without making a value each.
fn block<'a>(stmts: &'a [St], cx: &mut Cx<'a>) -> Run<'a, Val<'a>> {
    let Some((last, before)) = stmts.split_last() else {
        return Ok(Val::Unit);
    };
    exec_all(before, cx)?;
    run(last, cx)
}

fn exec_all<'a>(stmts: &'a [St], cx: &mut Cx<'a>) -> Run<'a, ()> {
    for stmt in stmts {
        exec(stmt, cx)?;
    }
    Ok(())
}

/// A condition's value. Comparisons, `&&`, `||` and `!` are decided here without making a
/// value for each part: conditions are most of what rules compute.
fn truth<'a>(ex: &'a Ex, cx: &mut Cx<'a>) -> Run<'a, bool> {
    match ex {
        Ex::PropCompare(op, prop, value) => prop_compare(*op, *prop, value, cx),
        Ex::Not(e) => Ok(!truth(e, cx)?),
        Ex::And(items) => {
            for item in items {
                if !truth(item, cx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Ex::Or(items) => {
            for item in items {
                if truth(item, cx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Ex::Compare(op, args) => match &**args {
            // A variable is compared in place; against `()` or a text (`x != ()`,
            // `direction == "smarthr-to-kot"`), without making the constant's value.
            [Ex::Var(slot), Ex::Const(c)] => {
                let a = &cx.frame[*slot];
                let equal = match (c, a) {
                    (_, Val::Dyn(_)) | (Lit::Map(_) | Lit::Array(_) | Lit::Other(_), _) => {
                        return Ok(compare(*op, a, &c.val())?);
                    }
                    (Lit::Unit, a) => a.is_unit(),
                    (Lit::Str(b), a) => a.text() == Some(b.as_str()),
                    (Lit::Bool(b), a) => a.as_bool() == Some(*b),
                    (Lit::Int(b), Val::Int(a)) => a == b,
                    (Lit::Int(_), _) => false,
                };
                match op {
                    Compare::Eq => Ok(equal),
                    Compare::Ne => Ok(!equal),
                    _ => Ok(compare(*op, a, &c.val())?),
                }
            }
            [a, b] => {
                let a = eval(a, cx)?;
                let b = eval(b, cx)?;
                Ok(compare(*op, &a, &b)?)
            }
        },
        other => eval(other, cx)?.as_bool().ok_or(Stop::Bail),
    }
}

/// A statement whose value is used: the last of a block.
fn run<'a>(stmt: &'a St, cx: &mut Cx<'a>) -> Run<'a, Val<'a>> {
    match stmt {
        St::Expr(e) => {
            cx.tick()?;
            eval(e, cx)
        }
        St::If(guard, then, otherwise) => {
            cx.tick()?;
            if truth(guard, cx)? {
                block(then, cx)
            } else {
                block(otherwise, cx)
            }
        }
        other => {
            exec(other, cx)?;
            Ok(Val::Unit)
        }
    }
}

/// A statement run for its effect.
fn exec<'a>(stmt: &'a St, cx: &mut Cx<'a>) -> Run<'a, ()> {
    cx.tick()?;
    match stmt {
        St::Expr(e) => {
            eval(e, cx)?;
        }
        St::Set(slot, e) => cx.frame[*slot] = eval(e, cx)?,
        St::SetProp(slot, name, e) => {
            let value = eval(e, cx)?;
            match &mut cx.frame[*slot] {
                Val::Map(entries) => match entries.iter_mut().find(|(k, _)| *k == name.as_str()) {
                    Some((_, slot)) => *slot = value,
                    None => entries.push((name.as_str(), value)),
                },
                Val::Dyn(d) if !d.is_shared() && !d.is_read_only() => {
                    let mut map = d.write_lock::<rhai::Map>().ok_or(Stop::Bail)?;
                    map.insert(name.as_str().into(), value.into_dynamic());
                }
                _ => return Err(Stop::Bail),
            }
        }
        St::If(guard, then, otherwise) => {
            exec_all(if truth(guard, cx)? { then } else { otherwise }, cx)?;
        }
        St::For {
            item,
            counter,
            list,
            body,
        } => {
            let items = match eval(list, cx)? {
                Val::Array(items) => Items::Vals(items.into_iter()),
                Val::Changes(changes) => Items::Changes(changes.iter()),
                Val::Dyn(d) if d.is_array() => {
                    Items::Dyns(d.into_array().map_err(|_| Stop::Bail)?.into_iter())
                }
                _ => return Err(Stop::Bail),
            };
            for (i, value) in items.enumerate() {
                cx.tick()?;
                cx.frame[*item] = value;
                if let Some(c) = counter {
                    cx.frame[*c] = Val::Int(i64::try_from(i).map_err(|_| Stop::Bail)?);
                }
                match exec_all(body, cx) {
                    Ok(()) | Err(Stop::Continue) => {}
                    Err(Stop::Break) => break,
                    Err(other) => return Err(other),
                }
            }
        }
        St::While(guard, body) => loop {
            cx.tick()?;
            if let Some(guard) = guard
                && !truth(guard, cx)?
            {
                break;
            }
            match exec_all(body, cx) {
                Ok(()) | Err(Stop::Continue) => {}
                Err(Stop::Break) => break,
                Err(other) => return Err(other),
            }
        },
        St::Return(value) => {
            return Err(Stop::Return(match value {
                Some(v) => eval(v, cx)?,
                None => Val::Unit,
            }));
        }
        St::Break => return Err(Stop::Break),
        St::Continue => return Err(Stop::Continue),
    }
    Ok(())
}

impl Lit {
    #[inline]
    fn val(&self) -> Val<'_> {
        match self {
            Lit::Unit => Val::Unit,
            Lit::Bool(b) => Val::Bool(*b),
            Lit::Int(i) => Val::Int(*i),
            Lit::Str(s) => Val::Str(s),
            Lit::Map(entries) => {
                Val::Map(entries.iter().map(|(k, v)| (k.as_str(), v.val())).collect())
            }
            Lit::Array(items) => Val::Array(items.iter().map(Lit::val).collect()),
            Lit::Other(d) => Val::from_dynamic(d.clone()),
        }
    }
}

fn eval<'a>(ex: &'a Ex, cx: &mut Cx<'a>) -> Run<'a, Val<'a>> {
    Ok(match ex {
        Ex::Const(c) => c.val(),
        Ex::Var(slot) => cx.frame[*slot].clone(),
        Ex::Take(slot) => std::mem::replace(&mut cx.frame[*slot], Val::Unit),
        Ex::Subject => Val::Subject(cx.subject()?),
        Ex::Property(key) => property(cx.subject()?, *key),
        Ex::Master(key, name) => {
            let part = convert::master_part(cx.subject()?.employee, *key, *name);
            Val::Str(part.ok_or(Stop::Bail)?)
        }
        Ex::Raw(steps) => {
            let args = step_args(steps, cx)?;
            let raw = cx.subject()?.raw();
            let (first, rest) = match steps.split_first() {
                // The first property is read in place: the raw record is not copied whole.
                Some((Step::Prop(name), rest)) => (dyn_prop(raw, name)?, rest),
                _ => (Val::Dyn(raw.clone()), &steps[..]),
            };
            walk(first, rest, args, cx.tables)?
        }
        Ex::Chain(base, steps) => {
            let args = step_args(steps, cx)?;
            match &**base {
                // Read in place: a variable's map is not copied to read one property of it.
                Ex::Var(slot) => match steps.split_first() {
                    Some((Step::Prop(name), rest)) => {
                        let first = prop(&cx.frame[*slot], name)?;
                        walk(first, rest, args, cx.tables)?
                    }
                    _ => walk(cx.frame[*slot].clone(), steps, args, cx.tables)?,
                },
                base => {
                    let base = eval(base, cx)?;
                    walk(base, steps, args, cx.tables)?
                }
            }
        }
        Ex::Get(base, name) => on(base, cx, |v, _| prop(v, name))?,
        // `trim(e.email)`, `x.starts_with("A")`: no argument list is made.
        Ex::Method(base, builtin, args) if args.len() <= 1 => {
            let arg = args.first().map(|a| eval(a, cx)).transpose()?;
            on(base, cx, |v, tables| {
                call(*builtin, v, arg.as_slice(), tables)
            })?
        }
        Ex::Method(base, builtin, args) => {
            let args = eval_all(args, cx)?;
            on(base, cx, |v, tables| call(*builtin, v, &args, tables))?
        }
        Ex::Index(pair) => {
            let at = eval(&pair[1], cx)?;
            on(&pair[0], cx, |v, _| index(v, &at))?
        }
        Ex::Interpolated(parts) => {
            let mut text = String::new();
            for part in parts {
                match eval(part, cx)? {
                    Val::Int(i) => text.push_str(&i.to_string()),
                    Val::Bool(b) => text.push_str(if b { "true" } else { "false" }),
                    Val::Unit => {}
                    other => text.push_str(other.text().ok_or(Stop::Bail)?),
                }
                if text.len() > MAX_STRING_SIZE {
                    return Err(Stop::Bail);
                }
            }
            made(text)?
        }
        Ex::CallFn(index, args) => {
            let args = eval_all(args, cx)?;
            call_fn(*index, args, cx)?
        }
        // One argument, the usual helper call: no argument list is made.
        Ex::Call(builtin, args) if args.len() == 1 => {
            let first = eval(&args[0], cx)?;
            call(*builtin, &first, &[], cx.tables)?
        }
        Ex::Call(builtin, args) => {
            let args = eval_all(args, cx)?;
            let (first, rest) = args.split_first().ok_or(Stop::Bail)?;
            call(*builtin, first, rest, cx.tables)?
        }
        Ex::PropCompare(op, prop, value) => prop_compare(*op, *prop, value, cx)?.into(),
        Ex::Compare(..) => Val::Bool(truth(ex, cx)?),
        Ex::Plus(args) => {
            let a = eval(&args[0], cx)?;
            let b = eval(&args[1], cx)?;
            plus(&a, &b)?
        }
        Ex::Not(_) | Ex::And(_) | Ex::Or(_) => Val::Bool(truth(ex, cx)?),
        Ex::Coalesce(items) => {
            let mut value = Val::Unit;
            for item in items {
                value = eval(item, cx)?;
                if !value.is_unit() {
                    break;
                }
            }
            value
        }
        Ex::Array(items) => Val::Array(items.iter().map(|i| eval(i, cx)).collect::<Run<_>>()?),
        Ex::Map(entries) => {
            let mut map: Vec<(&str, Val<'a>)> = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                let value = eval(value, cx)?;
                // Rhai keeps the last of a repeated key.
                map.retain(|(k, _)| *k != key.as_str());
                map.push((key.as_str(), value));
            }
            Val::Map(map)
        }
        Ex::Block(stmts) => block(stmts, cx)?,
    })
}

/// How deep calls of the script's own functions go before Rhai, whose limit is deeper and
/// whose error is its own, takes the call over.
const MAX_DEPTH: usize = 16;

/// Runs the script's function `index` with `args` in a frame of its own: a Rhai function sees
/// only its parameters.
fn call_fn<'a>(index: usize, args: Args<'a>, cx: &mut Cx<'a>) -> Run<'a, Val<'a>> {
    cx.tick()?;
    let callee = cx.callees.get(index).ok_or(Stop::Bail)?;
    if cx.depth >= MAX_DEPTH {
        return Err(Stop::Bail);
    }
    // The parameters are the first slots.
    let mut frame = unit_frame(callee.slots);
    for (slot, arg) in frame.iter_mut().zip(args) {
        *slot = arg;
    }
    let caller = std::mem::replace(&mut cx.frame, frame);
    cx.depth += 1;
    let result = block(&callee.body, cx);
    cx.depth -= 1;
    cx.frame = caller;
    match result {
        Ok(value) | Err(Stop::Return(value)) => Ok(value),
        // `break` outside a loop is an error in Rhai.
        Err(Stop::Break | Stop::Continue | Stop::Bail) => Err(Stop::Bail),
    }
}

/// What a `for` loop goes through, without boxing an iterator for each loop.
enum Items<'a> {
    Vals(std::vec::IntoIter<Val<'a>>),
    Changes(std::slice::Iter<'a, crate::plan::Change>),
    Dyns(std::vec::IntoIter<Dynamic>),
}

impl<'a> Iterator for Items<'a> {
    type Item = Val<'a>;

    fn next(&mut self) -> Option<Val<'a>> {
        match self {
            Items::Vals(items) => items.next(),
            Items::Changes(changes) => changes.next().map(Val::Change),
            Items::Dyns(items) => items.next().map(Val::from_dynamic),
        }
    }
}

impl From<bool> for Val<'_> {
    fn from(b: bool) -> Self {
        Val::Bool(b)
    }
}

/// `f` applied to the value of `base`, reading a variable in place: its map is not copied to
/// read one property of it.
fn on<'a, T>(
    base: &'a Ex,
    cx: &mut Cx<'a>,
    f: impl FnOnce(&Val<'a>, &'a Tables) -> Result<T, Bail>,
) -> Run<'a, T> {
    Ok(match base {
        Ex::Var(slot) => f(&cx.frame[*slot], cx.tables)?,
        base => f(&eval(base, cx)?, cx.tables)?,
    })
}

/// `e.<key>` as scripts see it (see `convert::employee_map`), lending the employee's text.
fn property<'a>(subject: &'a Subject<'a>, key: usize) -> Val<'a> {
    match convert::prop(subject.employee, key) {
        Prop::Text(s) => s.map_or(Val::Unit, Val::Str),
        Prop::Date(d) => d.map_or(Val::Unit, |d| Val::Text(convert::date_text(d))),
        Prop::Master(m) => m.map_or(Val::Unit, |m| {
            Val::Map(vec![("id", Val::Str(&m.id)), ("name", Val::Str(&m.name))])
        }),
        Prop::Raw => Val::Dyn(subject.raw().clone()),
        Prop::Other => Val::Unit,
    }
}

/// A property of a Rhai map, as Rhai reads it: `()` when the map does not have it.
fn dyn_prop<'a>(d: &Dynamic, name: &str) -> Result<Val<'a>, Bail> {
    let map = d.read_lock::<rhai::Map>().ok_or(Bail)?;
    Ok(map.get(name).cloned().map_or(Val::Unit, Val::from_dynamic))
}

/// `target.<name>`; a property of anything but a map is an error in Rhai.
fn prop<'a>(target: &Val<'a>, name: &str) -> Result<Val<'a>, Bail> {
    Ok(match target {
        Val::Map(entries) => entries
            .iter()
            .find(|(k, _)| *k == name)
            .map_or(Val::Unit, |(_, v)| v.clone()),
        Val::Subject(s) => convert::key(name).map_or(Val::Unit, |key| property(s, key)),
        Val::Row(row) => match name {
            "status" => Val::Str(row.input.status.as_str()),
            "changes" => Val::Changes(row.input.changes),
            "employee" | "target" if row.records.is_some() => dyn_prop(row.whole(), name)?,
            _ => Val::Unit,
        },
        Val::Change(c) => match name {
            "field" => Val::Str(c.field.name()),
            "old" => c.old.as_deref().map_or(Val::Unit, Val::Str),
            "value" | "new" => c.new.as_deref().map_or(Val::Unit, Val::Str),
            _ => Val::Unit,
        },
        Val::Dyn(d) => dyn_prop(d, name)?,
        _ => return Err(Bail),
    })
}

fn eval_all<'a>(exprs: &'a [Ex], cx: &mut Cx<'a>) -> Run<'a, Args<'a>> {
    let mut args = Args::new();
    for ex in exprs {
        args.push(eval(ex, cx)?);
    }
    Ok(args)
}

/// `target[at]`: an item of an array (counting from the end when negative), or a map's
/// property by name. Anything else (a character of a text, a bit of a number, an index out
/// of range) is left to Rhai.
fn index<'a>(target: &Val<'a>, at: &Val<'_>) -> Result<Val<'a>, Bail> {
    if let Some(name) = at.text() {
        return match target {
            Val::Array(_) | Val::Changes(_) | Val::Str(_) | Val::Text(_) => Err(Bail),
            Val::Dyn(d) if !d.is_map() => Err(Bail),
            map => prop(map, name),
        };
    }
    let Val::Int(i) = *at else {
        return Err(Bail);
    };
    let item = |len: usize| {
        let from_end = usize::try_from(i.unsigned_abs()).ok().filter(|n| *n <= len);
        match i {
            ..0 => from_end.map(|n| len - n),
            _ => usize::try_from(i).ok().filter(|n| *n < len),
        }
        .ok_or(Bail)
    };
    Ok(match target {
        Val::Array(items) => items[item(items.len())?].clone(),
        Val::Changes(changes) => Val::Change(&changes[item(changes.len())?]),
        Val::Dyn(d) if d.is_array() => {
            let items = d.read_lock::<rhai::Array>().ok_or(Bail)?;
            Val::from_dynamic(items[item(items.len())?].clone())
        }
        _ => return Err(Bail),
    })
}

/// The arguments of a chain's method calls, evaluated before the chain is walked, as Rhai does.
fn step_args<'a>(steps: &'a [Step], cx: &mut Cx<'a>) -> Run<'a, SmallVec<[Args<'a>; 1]>> {
    let mut all = SmallVec::new();
    for step in steps {
        if let Step::Method(_, args) = step {
            all.push(eval_all(args, cx)?);
        }
    }
    Ok(all)
}

fn walk<'a>(
    base: Val<'a>,
    steps: &[Step],
    args: SmallVec<[Args<'a>; 1]>,
    tables: &'a Tables,
) -> Result<Val<'a>, Bail> {
    let mut args = args.into_iter();
    let mut current = base;
    for step in steps {
        current = match step {
            Step::Prop(name) => prop(&current, name)?,
            Step::Method(builtin, _) => {
                let args = args.next().ok_or(Bail)?;
                call(*builtin, &current, &args, tables)?
            }
        };
    }
    Ok(current)
}

fn text<'v>(value: &'v Val<'_>) -> Result<&'v str, Bail> {
    value.text().ok_or(Bail)
}

/// Text made by the fast path, within the engine's limit on text size.
fn made<'a>(s: String) -> Result<Val<'a>, Bail> {
    if s.len() > MAX_STRING_SIZE {
        Err(Bail)
    } else {
        Ok(Val::Text(s.into()))
    }
}

fn len<'a>(n: usize) -> Result<Val<'a>, Bail> {
    Ok(Val::Int(i64::try_from(n).map_err(|_| Bail)?))
}

fn call<'a>(
    builtin: Builtin,
    first: &Val<'a>,
    rest: &[Val<'a>],
    tables: &'a Tables,
) -> Result<Val<'a>, Bail> {
    let second = || rest.first().map(text).ok_or(Bail)?;
    Ok(match builtin {
        Builtin::Text(f) => match first {
            // Text lent by the employee or the code stays lent when the helper changes nothing.
            Val::Str(s) => match f(s) {
                Cow::Borrowed(out) => Val::Str(out),
                Cow::Owned(out) => made(out)?,
            },
            Val::Text(s) => match f(s) {
                Cow::Borrowed(out) if out.len() == s.len() => Val::Text(s.clone()),
                Cow::Borrowed(out) => Val::Text(out.into()),
                Cow::Owned(out) => made(out)?,
            },
            _ => return Err(Bail),
        },
        Builtin::IsBlank if first.is_unit() => true.into(),
        Builtin::IsBlank => helpers::is_blank(text(first)?).into(),
        Builtin::Lookup => {
            let table = tables.get(text(first)?).ok_or(Bail)?;
            let default = rest.get(1).cloned().unwrap_or(Val::Unit);
            // Keys are compared as text, as `helpers::lookup` does.
            let key: Cow<'_, str> = match rest.first().ok_or(Bail)? {
                Val::Unit => return Ok(default),
                Val::Int(i) => i.to_string().into(),
                Val::Bool(b) => b.to_string().into(),
                other => text(other)?.into(),
            };
            table.get(&*key).cloned().map_or(default, Val::from_dynamic)
        }
        // A copy of the whole table, as Rhai's `table` gives.
        Builtin::Table => Val::Dyn(Dynamic::from_map(
            tables.get(text(first)?).ok_or(Bail)?.clone(),
        )),
        Builtin::StartsWith => text(first)?.starts_with(second()?).into(),
        Builtin::EndsWith => text(first)?.ends_with(second()?).into(),
        Builtin::Contains => text(first)?.contains(second()?).into(),
        Builtin::Len => len(items(first)?.map_or_else(|| Ok(text(first)?.chars().count()), Ok)?)?,
        Builtin::IsDate if first.is_unit() => false.into(),
        Builtin::IsDate => helpers::parse_date(text(first)?).is_some().into(),
        Builtin::ParseDate => Val::Text(convert::date_text(date(first)?)),
        Builtin::YearsBetween => Val::Int(helpers::years_between(date(first)?, date(arg(rest)?)?)),
        Builtin::DaysBetween => Val::Int((date(arg(rest)?)? - date(first)?).num_days()),
        Builtin::AddDays => {
            let Val::Int(n) = *arg(rest)? else {
                return Err(Bail);
            };
            let moved = chrono::TimeDelta::try_days(n)
                .and_then(|days| date(first).ok()?.checked_add_signed(days));
            Val::Text(convert::date_text(moved.ok_or(Bail)?))
        }
        Builtin::Year => Val::Int(date(first)?.year().into()),
        Builtin::Month => Val::Int(date(first)?.month().into()),
        Builtin::Day => Val::Int(date(first)?.day().into()),
        Builtin::IsEmpty => match items(first)? {
            Some(n) => n == 0,
            None => text(first)?.is_empty(),
        }
        .into(),
    })
}

/// A date given as text, as the date helpers read it.
fn date(value: &Val<'_>) -> Result<chrono::NaiveDate, Bail> {
    helpers::parse_date(text(value)?).ok_or(Bail)
}

fn arg<'v, 'a>(rest: &'v [Val<'a>]) -> Result<&'v Val<'a>, Bail> {
    rest.first().ok_or(Bail)
}

/// How many items an array or a map holds; `None` for anything else.
fn items(value: &Val<'_>) -> Result<Option<usize>, Bail> {
    Ok(match value {
        Val::Array(items) => Some(items.len()),
        Val::Map(entries) => Some(entries.len()),
        Val::Changes(changes) => Some(changes.len()),
        Val::Dyn(d) if d.is_array() => Some(d.read_lock::<rhai::Array>().ok_or(Bail)?.len()),
        Val::Dyn(d) if d.is_map() => Some(d.read_lock::<rhai::Map>().ok_or(Bail)?.len()),
        _ => None,
    })
}

/// Rhai's built-in comparisons: values of the same simple kind compare by value; values of
/// different kinds, at least one of them not a number, are never equal and never ordered
/// (`e.office != ()` is true for an office map).
fn compare(op: Compare, a: &Val<'_>, b: &Val<'_>) -> Result<bool, Bail> {
    compare_kinds(op, a.kind(), b.kind(), |_| {
        Ok(match (a, b) {
            (Val::Bool(a), Val::Bool(b)) => a.cmp(b),
            (Val::Int(a), Val::Int(b)) => a.cmp(b),
            _ => text(a)?.cmp(text(b)?),
        })
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

/// A property of `e` compared with a constant, reading the employee's text in place and
/// without building the office's map.
fn prop_compare<'a>(op: Compare, prop: PropRef, value: &'a Lit, cx: &Cx<'a>) -> Run<'a, bool> {
    // `e.<key> != ()`: whether the employee has the property, whatever its kind.
    if let (PropRef::Key(key), Lit::Unit, Compare::Eq | Compare::Ne) = (prop, value, op) {
        let absent = convert::prop(cx.subject()?.employee, key).is_absent();
        return Ok(absent == (op == Compare::Eq));
    }
    // The usual test: a text or absent property against `()` or a text.
    if let (PropRef::Key(key), Lit::Unit | Lit::Str(_)) = (prop, value)
        && let Prop::Text(a) = convert::prop(cx.subject()?.employee, key)
    {
        let ordering = match (a, value) {
            (None, Lit::Unit) => Some(std::cmp::Ordering::Equal),
            (Some(a), Lit::Str(b)) => Some(a.cmp(b.as_str())),
            _ => None,
        };
        return Ok(match (op, ordering) {
            (Compare::Eq, o) => o == Some(std::cmp::Ordering::Equal),
            (Compare::Ne, o) => o != Some(std::cmp::Ordering::Equal),
            _ => compare(op, &a.map_or(Val::Unit, Val::Str), &value.val())?,
        });
    }
    let subject = cx.subject()?;
    let e = subject.employee;
    let a = match prop {
        // A property of `()` is an error in Rhai.
        PropRef::Master(key, name) => {
            Val::Str(convert::master_part(e, key, name).ok_or(Stop::Bail)?)
        }
        PropRef::Key(key) => match convert::prop(e, key) {
            Prop::Master(Some(_)) => {
                return Ok(compare_kinds(
                    op,
                    Kind::ArrayOrMap,
                    value.val().kind(),
                    |_| Err(Bail),
                )?);
            }
            _ => property(subject, key),
        },
    };
    Ok(compare(op, &a, &value.val())?)
}

/// `+` of two numbers or two texts; Rhai's other meanings of `+` are left to Rhai.
fn plus<'a>(a: &Val<'a>, b: &Val<'a>) -> Result<Val<'a>, Bail> {
    match (a, b) {
        (Val::Int(a), Val::Int(b)) => a.checked_add(*b).map(Val::Int).ok_or(Bail),
        _ => match (a.text(), b.text()) {
            (Some(a), Some(b)) => made(format!("{a}{b}")),
            _ => Err(Bail),
        },
    }
}
