//! A faster way to run the usual shape of rule functions, with Rhai for everything else.
//!
//! Calling a Rhai function costs far more than what the shipped rules compute: every call sets
//! up Rhai's runtime state, resolves each function it calls by hash, and needs `e` as a map of
//! every field, converted from the employee. Issue 4 asks for 100,000 employees a second and
//! for rules that barely slow a plan down, which that cannot reach.
//!
//! Most rule functions are small: `let`, `if`, `for` over an array, `return`, comparisons,
//! `&&`/`||`/`!`, `??`, property reads, map and array literals, `lookup` and the text
//! helpers. At load, each hook whose body uses only those is lowered from the AST Rhai compiled
//! (after Rhai's own optimiser) into [`Code`], which reads `e`'s properties straight from the
//! employee. At run time it either produces the value Rhai would produce or gives up at the
//! first thing it does not model exactly (a value of another type, a helper's error, more work
//! than a tenth of the operations limit): that call is then run by Rhai from the start. A
//! function can only read its arguments and compute, so running it again is safe; errors,
//! limits and their positions are always Rhai's own.

mod lower;
mod run;
#[cfg(test)]
mod tests;
mod value;

pub(crate) use lower::lower;
pub(crate) use value::Val;

use super::convert::{RowView, Subject};
use super::helpers;
use rhai::{Dynamic, ImmutableString};

/// The longest text the fast path makes before leaving the call to Rhai, which would stop the
/// script with its own error. The same limit as the engine's.
pub(crate) const MAX_STRING_SIZE: usize = 64 * 1024;

/// A hook's body, ready to run without Rhai.
pub(crate) struct Code {
    body: Vec<St>,
    slots: usize,
    /// Whether the second parameter, `direction`, is declared.
    direction: bool,
    /// The script's own functions it calls (see [`Ex::CallFn`]).
    callees: Vec<Callee>,
}

/// A script's own function, called from a hook: its parameters are its first slots.
struct Callee {
    body: Vec<St>,
    slots: usize,
}

/// What a call could not do; Rhai runs it instead.
#[derive(Debug)]
pub(crate) struct Bail;

/// The first argument of a hook: the employee or the row (both read property by property),
/// or any value.
pub(crate) enum Arg<'a> {
    Subject(&'a Subject<'a>),
    Row(&'a RowView<'a>),
    #[cfg(test)]
    Value(&'a Dynamic),
}

impl Arg<'_> {
    /// The argument as Rhai receives it.
    pub(crate) fn dynamic(&self) -> &Dynamic {
        match self {
            Arg::Subject(s) => s.whole(),
            Arg::Row(r) => r.whole(),
            #[cfg(test)]
            Arg::Value(v) => v,
        }
    }
}

/// A constant in the code. Text is kept so that reading it lends it out rather than copying.
#[derive(Debug, Clone)]
enum Lit {
    Unit,
    Bool(bool),
    Int(i64),
    Str(ImmutableString),
    /// Rhai's optimiser makes constants of literals such as `#{}` and `[1, 2]`: they become
    /// the fast path's own maps and arrays, which the function may then fill.
    Map(Vec<(ImmutableString, Lit)>),
    Array(Vec<Lit>),
    /// A constant of another type (a float, say), as Rhai made it.
    Other(Dynamic),
}

impl From<Dynamic> for Lit {
    fn from(d: Dynamic) -> Lit {
        match Val::from_dynamic(d) {
            Val::Unit => Lit::Unit,
            Val::Bool(b) => Lit::Bool(b),
            Val::Int(i) => Lit::Int(i),
            Val::Text(s) => Lit::Str(s),
            Val::Dyn(d) => {
                if let Some(map) = d.read_lock::<rhai::Map>() {
                    Lit::Map(
                        map.iter()
                            .map(|(k, v)| (k.as_str().into(), v.clone().into()))
                            .collect(),
                    )
                } else if let Some(items) = d.read_lock::<rhai::Array>() {
                    Lit::Array(items.iter().map(|v| v.clone().into()).collect())
                } else {
                    Lit::Other(d)
                }
            }
            // `from_dynamic` makes none of the others.
            other => Lit::Other(other.into_dynamic()),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Builtin {
    /// One of [`helpers::TEXT`].
    Text(helpers::TextFn),
    IsBlank,
    Lookup,
    Table,
    StartsWith,
    EndsWith,
    Contains,
    Len,
    IsEmpty,
    /// The date helpers (see `helpers::register_dates`); a text that is not a date is Rhai's
    /// to report.
    ParseDate,
    IsDate,
    YearsBetween,
    DaysBetween,
    AddDays,
    Year,
    Month,
    Day,
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
            ("table", 1) => Builtin::Table,
            ("starts_with", 2) => Builtin::StartsWith,
            ("ends_with", 2) => Builtin::EndsWith,
            ("contains", 2) => Builtin::Contains,
            ("len", 1) => Builtin::Len,
            ("is_empty", 1) => Builtin::IsEmpty,
            ("parse_date", 1) => Builtin::ParseDate,
            ("is_date", 1) => Builtin::IsDate,
            ("years_between", 2) => Builtin::YearsBetween,
            ("days_between", 2) => Builtin::DaysBetween,
            ("add_days", 2) => Builtin::AddDays,
            ("year", 1) => Builtin::Year,
            ("month", 1) => Builtin::Month,
            ("day", 1) => Builtin::Day,
            _ => return None,
        })
    }
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
    Const(Lit),
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
    PropCompare(Compare, PropRef, Lit),
    /// A chain from `e.raw`, which is converted once per employee and read in place.
    Raw(Vec<Step>),
    /// A chain whose method arguments may assign (see `lower::chain_from`).
    Chain(Box<Ex>, Vec<Step>),
    /// `base.name`.
    Get(Box<Ex>, ImmutableString),
    /// `base.method(args)`.
    Method(Box<Ex>, Builtin, Vec<Ex>),
    /// `base[index]`.
    Index(Box<[Ex; 2]>),
    /// `` `text ${value} text` ``.
    Interpolated(Vec<Ex>),
    Call(Builtin, Vec<Ex>),
    /// A call of the script's own function, by its index in [`Code::callees`].
    CallFn(usize, Vec<Ex>),
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
    /// `while guard { body }`, or `loop { body }` without a guard.
    While(Option<Ex>, Vec<St>),
    Return(Option<Ex>),
    Break,
    Continue,
}
