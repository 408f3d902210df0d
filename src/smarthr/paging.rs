//! Deciding whether a SmartHR list has another page, from the `Link` and `x-total-count`
//! headers.

use reqwest::header::{HeaderMap, LINK};

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    Stop,
    /// Ask for the next page number.
    Page,
    /// Follow this URL (as the server wrote it).
    Link(String),
}

/// The server's `Link` headers win: a `rel="next"` means go on, Link headers without one mean
/// this was the last page. Without Link headers, `x-total-count` decides; without either, keep
/// going until an empty page, because a page shorter than asked for may only mean the server
/// caps `per_page` lower than we assume.
pub(super) fn next(headers: &HeaderMap, total: Option<usize>, fetched: usize) -> Next {
    let links: Vec<(String, Vec<String>)> = headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(parse_link_header)
        .collect();
    if !links.is_empty() {
        return links
            .into_iter()
            .find(|(_, rels)| rels.iter().any(|r| r == "next"))
            .map_or(Next::Stop, |(url, _)| Next::Link(url));
    }
    match total {
        Some(total) if fetched >= total => Next::Stop,
        _ => Next::Page,
    }
}

/// Parses an RFC 8288 `Link` value: `<url>; rel="next", <url>; rel="last"`. Returns each URL
/// with its relation types (a `rel` may list several, space-separated). Commas inside `<...>`
/// do not split entries.
pub(super) fn parse_link_header(value: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start + 1..].find('>') else {
            break;
        };
        let url = rest[start + 1..start + 1 + len].trim().to_string();
        let after = &rest[start + 2 + len..];
        let params_end = after.find(',').unwrap_or(after.len());
        let rels = after[..params_end]
            .split(';')
            .filter_map(|param| {
                let (name, value) = param.split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("rel")
                    .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
            })
            .flat_map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect();
        out.push((url, rels));
        rest = &after[params_end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const DOC_EXAMPLE: &str = r#"<https://x.smarthr.jp/api/v1/crews?page=1>; rel="first", <https://x.smarthr.jp/api/v1/crews?page=4>; rel="prev", <https://x.smarthr.jp/api/v1/crews?page=6>; rel="next", <https://x.smarthr.jp/api/v1/crews?page=14>; rel="last""#;

    fn with_link(value: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(LINK, HeaderValue::from_static(value));
        h
    }

    #[test]
    fn parses_the_documented_example() {
        let links = parse_link_header(DOC_EXAMPLE);
        assert_eq!(links.len(), 4);
        assert_eq!(
            links[2],
            (
                "https://x.smarthr.jp/api/v1/crews?page=6".to_string(),
                vec!["next".to_string()]
            )
        );
        assert_eq!(links[3].1, vec!["last".to_string()]);
    }

    #[test]
    fn parses_unquoted_multi_rel_and_commas_in_urls() {
        let links = parse_link_header("</a?x=1,2>; rel=next, </b>;title=\"t\"; REL=\"prev first\"");
        assert_eq!(links[0], ("/a?x=1,2".to_string(), vec!["next".to_string()]));
        assert_eq!(links[1].1, vec!["prev".to_string(), "first".to_string()]);
    }

    #[test]
    fn link_headers_decide_before_the_total() {
        assert_eq!(
            next(&with_link(DOC_EXAMPLE), Some(5), 100),
            Next::Link("https://x.smarthr.jp/api/v1/crews?page=6".into())
        );
        // Links but no next: the last page, whatever the count says.
        assert_eq!(
            next(&with_link(r#"</p?page=1>; rel="first""#), Some(500), 100),
            Next::Stop
        );
    }

    #[test]
    fn without_links_the_total_decides_and_a_short_page_is_not_the_end() {
        let none = HeaderMap::new();
        assert_eq!(next(&none, Some(250), 200), Next::Page);
        assert_eq!(next(&none, Some(250), 250), Next::Stop);
        // No headers at all: only an empty page ends the list, even after a short one.
        assert_eq!(next(&none, None, 37), Next::Page);
    }
}
