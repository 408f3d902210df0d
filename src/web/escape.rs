//! The escaper of every dashboard template (set in `askama.toml` for `.html`): askama's HTML
//! escaping, after record text's control characters are made visible as on the terminal
//! ([`crate::text::safe_lines`]: `ESC`, a carriage return, a bidi override become `\u{1b}`,
//! `\u{d}`, `\u{202e}`). A browser does not obey `ESC [2K`, but it does obey a bidi override,
//! which reorders what follows it (a name could show another name), and shows nothing for the
//! others; so a page says them as the terminal, the history and the email do. Line breaks are
//! kept: messages of several lines are shown with their breaks.

use askama::filters::Escaper;
use std::fmt;

/// askama's [`askama::filters::Html`], with control characters escaped first.
#[derive(Debug, Clone, Copy, Default)]
pub struct Html;

impl Escaper for Html {
    fn write_escaped_str<W: fmt::Write>(&self, dest: W, string: &str) -> fmt::Result {
        askama::filters::Html.write_escaped_str(dest, &crate::text::safe_lines(string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_control_characters_are_shown() {
        let mut out = String::new();
        Html.write_escaped_str(&mut out, "<b>山田\u{1b}[2K\r\u{202e}</b>\n&x")
            .unwrap();
        assert_eq!(
            out,
            "&#60;b&#62;山田\\u{1b}[2K\\u{d}\\u{202e}&#60;/b&#62;\n&#38;x"
        );
    }
}
