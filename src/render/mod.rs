//! What crewsync prints: tables for a person at a terminal, JSON for scripts.
//!
//! Everything here is pure (values in, `String` or [`serde_json::Value`] out) so that the CLI,
//! the demo and the coming web dashboard print the same thing and tests can pin it down.

mod apply;
pub(crate) mod layout;
mod plan;

pub use apply::{apply_json, apply_table};
pub(crate) use plan::change as change_atom;
pub use plan::{pick_label, plan_json, plan_table, rule_errors, tick_labels};

use crate::text::{exact, safe};
use console::Style as Paint;
use std::borrow::Cow;

/// How a table is drawn: whether to colour it and how wide the terminal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// ANSI colours and strike-through; off when the output is not a terminal.
    pub colour: bool,
    /// Columns available; long change lists wrap onto indented continuation lines.
    pub width: usize,
}

/// The width assumed when neither the terminal nor `COLUMNS` says (output to a pipe or file).
pub const DEFAULT_WIDTH: usize = 100;

/// `COLUMNS`, the shell's convention for the width of output that does not go to a terminal
/// (`COLUMNS=80 crewsync plan ... | less`).
fn columns_env() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&c| c > 0)
}

impl Style {
    /// No colour at the given width: for pipes, files and tests.
    pub fn plain(width: usize) -> Style {
        Style {
            colour: false,
            width,
        }
    }

    /// Colour as `console` decides for stdout (a terminal without `NO_COLOR` or
    /// `CLICOLOR=0`, or whatever `--color` forced), at `term`'s width, else `COLUMNS`, else
    /// [`DEFAULT_WIDTH`].
    pub fn for_term(term: &console::Term) -> Style {
        Style {
            // console decides from the terminal, NO_COLOR and CLICOLOR, unless `--color`
            // overrode it.
            colour: console::colors_enabled(),
            width: term
                .size_checked()
                .map(|(_, cols)| usize::from(cols))
                .or_else(columns_env)
                .unwrap_or(DEFAULT_WIDTH),
        }
    }

    /// `text` in `paint` when colouring, else as it is; either way [`safe`]: every piece of a
    /// table passes here, so record text can never colour, move or erase the terminal.
    pub(crate) fn paint(&self, text: &str, paint: Paint) -> String {
        let text = safe(text);
        if self.colour {
            paint.force_styling(true).apply_to(text).to_string()
        } else {
            text.into_owned()
        }
    }

    /// A piece of text kept whole on one line.
    pub(crate) fn atom(&self, text: &str, paint: Paint, joiner: &'static str) -> layout::Atom {
        let text = safe(text);
        layout::Atom {
            painted: self.paint(&text, paint),
            width: layout::width(&text),
            joiner,
        }
    }

    /// Running text that may wrap between words; `joiner` joins it to what comes before. The
    /// text's own line breaks (a reason and its `hint:` line) become item joiners, so that a
    /// table cell neither shows them escaped nor runs the hint into the sentence before it.
    pub(crate) fn words(
        &self,
        text: &str,
        paint: Paint,
        joiner: &'static str,
    ) -> Vec<layout::Atom> {
        let mut atoms = Vec::new();
        for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            for (i, w) in line.split(' ').filter(|w| !w.is_empty()).enumerate() {
                let joined = match (n, i) {
                    (0, 0) => joiner,
                    (_, 0) => ITEM_JOINER,
                    _ => " ",
                };
                atoms.push(self.atom(w, paint.clone(), joined));
            }
        }
        atoms
    }

    /// A fixed-width cell.
    pub(crate) fn cell(&self, text: &str, paint: Paint, cols: usize) -> layout::Cell {
        let text = layout::truncate(&safe(text), cols);
        layout::Cell {
            painted: self.paint(&text, paint),
            width: layout::width(&text),
            cols,
        }
    }
}

/// Joins the items of a detail list on one line.
pub(crate) const ITEM_JOINER: &str = "; ";

/// An employee code as the tables show it: with anything a reader could not see escaped
/// (`00125\u{20}`), since a code that only looks like another is a different key.
fn code_text(code: Option<&str>) -> Cow<'_, str> {
    code.map_or(Cow::Borrowed("-"), exact)
}

/// Column width for a list of texts: the widest, capped at `max`.
pub(crate) fn column(texts: impl Iterator<Item = usize>, min: usize, max: usize) -> usize {
    texts.fold(min, usize::max).min(max)
}

#[cfg(test)]
mod tests;
