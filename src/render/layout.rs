//! Column padding and line wrapping measured in terminal columns, so that full-width Japanese
//! text (two columns a character) lines up.

use unicode_width::UnicodeWidthStr;

/// Terminal columns taken by `s` (without escape codes: callers measure before painting).
pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` cut to at most `max` columns, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A cell: painted text with the width of its unpainted text, padded to `cols` columns.
pub fn pad(painted: &str, plain_width: usize, cols: usize) -> String {
    format!("{painted}{}", " ".repeat(cols.saturating_sub(plain_width)))
}

/// A piece of text that is never split across lines.
pub struct Atom {
    pub painted: String,
    pub width: usize,
    /// What joins it to the atom before it on the same line.
    pub joiner: &'static str,
}

/// Packs atoms into lines of at most `cols` columns (an atom wider than that gets a line of
/// its own), returning the painted lines.
pub fn wrap(atoms: Vec<Atom>, cols: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for atom in atoms {
        let join = width(atom.joiner);
        if used > 0 && used + join + atom.width > cols {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 {
            line.push_str(atom.joiner);
            used += join;
        }
        line.push_str(&atom.painted);
        used += atom.width;
    }
    if used > 0 {
        lines.push(line);
    }
    lines
}

/// One fixed-width column of a table line.
pub struct Cell {
    pub painted: String,
    pub width: usize,
    pub cols: usize,
}

/// A table line: the fixed columns, then `details` wrapped into what is left of `total`
/// columns, continuation lines indented under the first detail. When the fixed columns leave
/// less than a readable width, or less than the widest detail (a long email address), the
/// details start on the next line instead, indented by
/// [`NARROW_INDENT`], so that no line is wider than `total` (unless a single cell or word
/// is). No trailing spaces.
pub fn table_line(cells: &[Cell], details: Vec<Atom>, total: usize) -> String {
    const GAP: &str = "  ";
    let mut prefix = String::new();
    let mut indent = 0;
    for cell in cells {
        prefix.push_str(&pad(&cell.painted, cell.width, cell.cols));
        prefix.push_str(GAP);
        indent += cell.cols + GAP.len();
    }
    let room = total.saturating_sub(indent);
    let widest = details.iter().map(|a| a.width).max().unwrap_or(0);
    let beside = room >= MIN_DETAIL_COLS && widest <= room;
    let (indent, room) = if beside {
        (indent, room)
    } else {
        (NARROW_INDENT, total.saturating_sub(NARROW_INDENT))
    };
    let mut lines = wrap(details, room).into_iter();
    let mut out = if beside {
        format!("{prefix}{}", lines.next().unwrap_or_default())
    } else {
        prefix
    };
    for line in lines {
        out = out.trim_end().to_string();
        out.push('\n');
        out.push_str(&" ".repeat(indent));
        out.push_str(&line);
    }
    out.trim_end().to_string()
}

/// The narrowest detail column worth putting beside the fixed columns.
const MIN_DETAIL_COLS: usize = 24;
/// The indent of details that do not fit beside the fixed columns.
pub const NARROW_INDENT: usize = 4;
