//! The values the fast path computes with.
//!
//! Rhai's own value, [`Dynamic`], owns everything: reading `e.email` copies the text into a new
//! allocation, a map literal is a B-tree, and every copy of a map copies it whole. For the
//! usual rule that reads a few fields, compares them and returns a small map, that copying was
//! most of the cost. [`Val`] lends what it can instead: text read from the employee, the row or
//! the code is borrowed, `e`, `row` and `row.changes` stay references until a script uses them
//! whole, and the maps a function builds are short lists. Whatever Rhai would see is made
//! only on the way out ([`Val::into_dynamic`]).

use super::Kind;
use crate::plan::Change;
use crate::rules::convert::{self, RowView, Subject};
use rhai::{Dynamic, ImmutableString, Map};
use std::borrow::Cow;

#[derive(Clone)]
pub(crate) enum Val<'a> {
    Unit,
    Bool(bool),
    Int(i64),
    /// Text read in place: from the employee, the row or the code.
    Str(&'a str),
    /// Text made during the call (by a helper or `+`), or one Rhai made.
    Text(ImmutableString),
    /// A map the function built (`#{}`, `e.office`): each key once, in the order first set.
    Map(Vec<(&'a str, Val<'a>)>),
    Array(Vec<Val<'a>>),
    /// `e` whole.
    Subject(&'a Subject<'a>),
    /// `row` whole.
    Row(&'a RowView<'a>),
    /// `row.changes`, and one of them.
    Changes(&'a [Change]),
    Change(&'a Change),
    /// Any other Rhai value: parts of the raw record, table entries, floats. Never `()`, a
    /// boolean, an integer or text, which have their own variants (see [`Val::from_dynamic`]).
    Dyn(Dynamic),
}

impl<'a> Val<'a> {
    /// A Rhai value, with the kinds the fast path handles itself taken out of it.
    pub(crate) fn from_dynamic(d: Dynamic) -> Val<'a> {
        let d = d.flatten();
        if d.is_unit() {
            Val::Unit
        } else if let Ok(b) = d.as_bool() {
            Val::Bool(b)
        } else if let Ok(i) = d.as_int() {
            Val::Int(i)
        } else if let Ok(s) = d.as_immutable_string_ref().map(|s| s.clone()) {
            Val::Text(s)
        } else {
            Val::Dyn(d)
        }
    }

    /// The value as Rhai would have it.
    pub(crate) fn into_dynamic(self) -> Dynamic {
        match self {
            Val::Unit => Dynamic::UNIT,
            Val::Bool(b) => b.into(),
            Val::Int(i) => i.into(),
            Val::Str(s) => ImmutableString::from(s).into(),
            Val::Text(s) => s.into(),
            Val::Map(entries) => Dynamic::from_map(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.into(), v.into_dynamic()))
                    .collect::<Map>(),
            ),
            Val::Array(items) => {
                Dynamic::from_array(items.into_iter().map(Val::into_dynamic).collect())
            }
            // Rhai reads a shared value through to a copy.
            Val::Subject(s) => s.whole().flatten_clone(),
            Val::Row(r) => r.whole().flatten_clone(),
            Val::Changes(c) => convert::changes_array(c),
            Val::Change(c) => convert::change_map(c),
            Val::Dyn(d) => d,
        }
    }

    #[inline]
    pub(crate) fn is_unit(&self) -> bool {
        matches!(self, Val::Unit)
    }

    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value and its type as a message shows them: `42 (i64)`.
    pub(crate) fn shown(&self) -> String {
        let d = self.clone().into_dynamic();
        format!("{d} ({})", d.type_name())
    }

    /// A map's entries in key order (the order Rhai keeps them in), or `None` for anything
    /// but a map.
    pub(crate) fn into_entries(self) -> Option<Vec<(Cow<'a, str>, Val<'a>)>> {
        match self {
            Val::Map(entries) => {
                let mut entries: Vec<_> = entries
                    .into_iter()
                    .map(|(k, v)| (Cow::Borrowed(k), v))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Some(entries)
            }
            Val::Dyn(d) => {
                let map = d.try_cast::<Map>()?;
                Some(
                    map.into_iter()
                        .map(|(k, v)| (Cow::Owned(k.into()), Val::from_dynamic(v)))
                        .collect(),
                )
            }
            Val::Subject(_) | Val::Row(_) | Val::Change(_) => self.into_dynamic_map(),
            _ => None,
        }
    }

    fn into_dynamic_map(self) -> Option<Vec<(Cow<'a, str>, Val<'a>)>> {
        Val::Dyn(self.into_dynamic()).into_entries()
    }

    /// What Rhai's comparisons see.
    #[inline]
    pub(super) fn kind(&self) -> Kind {
        match self {
            Val::Unit => Kind::Unit,
            Val::Bool(_) => Kind::Bool,
            Val::Int(_) => Kind::Int,
            Val::Str(_) | Val::Text(_) => Kind::Text,
            Val::Map(_)
            | Val::Array(_)
            | Val::Subject(_)
            | Val::Row(_)
            | Val::Changes(_)
            | Val::Change(_) => Kind::ArrayOrMap,
            Val::Dyn(d) if d.is_map() || d.is_array() => Kind::ArrayOrMap,
            Val::Dyn(_) => Kind::Other,
        }
    }
}
