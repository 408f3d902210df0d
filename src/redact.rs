//! The one place secrets are taken out of text: every token ([`crate::http::Secret`]) and the
//! SMTP password are registered here when they are read, and every string that can reach a
//! person goes through [`scrub`] on its way: API errors when they are built (so their Display,
//! Debug, the history and the email are clean), the request log's writer, and the binary's
//! error printer.

use std::borrow::Cow;
use std::sync::RwLock;

/// Shorter values are not registered: replacing every "t" of a message would destroy it, and
/// no real token or password is that short.
const MIN_LEN: usize = 6;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// What a secret is replaced with.
pub(crate) const MASK: &str = "***";

/// Remembers `secret` for the rest of the process so that [`scrub`] hides it.
pub(crate) fn register(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < MIN_LEN {
        return;
    }
    let mut all = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    if !all.iter().any(|s| s == secret) {
        all.push(secret.to_string());
        // Longest first, so a secret that contains another is replaced whole.
        all.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with every registered secret replaced by [`MASK`]; borrowed when there was none.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let all = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = Cow::Borrowed(text);
    for secret in all.iter() {
        if out.contains(secret.as_str()) {
            out = Cow::Owned(out.replace(secret.as_str(), MASK));
        }
    }
    out
}

/// [`scrub`] into an owned string, in place.
pub(crate) fn scrub_in_place(text: &mut String) {
    if let Cow::Owned(clean) = scrub(text) {
        *text = clean;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_masked_and_short_ones_ignored() {
        register("redact-test-secret-42");
        register("abc");
        let text = "Bearer redact-test-secret-42 and abc";
        assert_eq!(scrub(text), "Bearer *** and abc");
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
    }
}
