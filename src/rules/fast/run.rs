//! Running [`Code`]: the value Rhai would give, or [`Bail`].

use super::*;
use crate::rules::convert;
use crate::rules::helpers::Tables;
use rhai::{Array, Map};
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
        let late = self.steps.is_multiple_of(256) && crate::rules::load::past_deadline();
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
            let part = convert::master_part(cx.subject()?.employee, *key, *name);
            part.ok_or(Stop::Bail)?.into()
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
    Ok(convert::prop(cx.subject()?.employee, *key).is_absent())
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
        // A property of `()` is an error in Rhai.
        PropRef::Master(key, name) => (
            Kind::Text,
            Some(convert::master_part(e, key, name).ok_or(Stop::Bail)?),
        ),
        PropRef::Key(key) => match convert::prop(e, key) {
            Prop::Text(None) | Prop::Date(None) | Prop::Master(None) => (Kind::Unit, None),
            Prop::Text(Some(s)) => (Kind::Text, Some(s)),
            Prop::Master(Some(_)) => (Kind::ArrayOrMap, None),
            Prop::Date(Some(_)) | Prop::Raw | Prop::Other => {
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
