//! Deciding whether a SmartHR list has another page, from the `Link` and `x-total-count`
//! headers.

use reqwest::Url;
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
    let links: Vec<(String, Vec<String>)> =
        link_values(headers).flat_map(parse_link_header).collect();
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

/// How many pages the list has, as far as the first page tells: the `page` of a
/// `Link: rel="last"`, else `x-total-count` over the first page's length (the server's real
/// page size, whatever it caps `per_page` at). 1 when it does not say, or when its Link
/// headers have no next page.
pub(super) fn last_page(headers: &HeaderMap, total: Option<usize>, first_len: usize) -> usize {
    let links: Vec<(String, Vec<String>)> =
        link_values(headers).flat_map(parse_link_header).collect();
    let has = |rel: &str| links.iter().find(|(_, rels)| rels.iter().any(|r| r == rel));
    if !links.is_empty() && has("next").is_none() {
        return 1;
    }
    let from_link = has("last").and_then(|(url, _)| {
        let url = Url::parse("http://base/").ok()?.join(url).ok()?;
        let page = url.query_pairs().find(|(k, _)| k == "page")?.1;
        page.parse::<usize>().ok()
    });
    let from_total = total
        .filter(|_| first_len > 0)
        .map(|total| total.div_ceil(first_len));
    from_link.or(from_total).unwrap_or(1).max(1)
}

/// Whether `url` with `query` appended asks for exactly what `ours` does: same place, same
/// parameters in any order. Decides whether a page fetched ahead stands in for a next link.
pub(super) fn same_request(
    url: &Url,
    query: &[(&str, String)],
    ours: &crate::http::Call<'_>,
) -> bool {
    let pairs = |url: &Url, extra: &[(&str, String)]| {
        let mut all: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .chain(extra.iter().map(|(k, v)| (k.to_string(), v.clone())))
            .collect();
        all.sort();
        all
    };
    url.origin() == ours.url.origin()
        && url.path() == ours.url.path()
        && pairs(url, query) == pairs(&ours.url, &ours.query)
}

fn link_values(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers.get_all(LINK).iter().filter_map(|v| v.to_str().ok())
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
    fn the_page_count_comes_from_the_last_link_or_the_total() {
        assert_eq!(last_page(&with_link(DOC_EXAMPLE), Some(5), 100), 14);
        // Links without a next page: nothing more, whatever the count says.
        assert_eq!(
            last_page(&with_link(r#"</p?page=1>; rel="first""#), Some(500), 100),
            1
        );
        let none = HeaderMap::new();
        // A server that caps the page below what was asked: its own page size counts.
        assert_eq!(last_page(&none, Some(250), 50), 5);
        assert_eq!(last_page(&none, Some(250), 100), 3);
        assert_eq!(last_page(&none, None, 100), 1);
        assert_eq!(last_page(&none, Some(0), 0), 1);
    }

    #[test]
    fn a_link_is_the_same_request_only_with_the_same_parameters() {
        let ours = crate::http::Call::new(
            reqwest::Method::GET,
            Url::parse("http://h/v1/crews").unwrap(),
        )
        .query("page", 2)
        .query("per_page", 100);
        let link = |s: &str| Url::parse(s).unwrap();
        assert!(same_request(
            &link("http://h/v1/crews?per_page=100&page=2"),
            &[],
            &ours
        ));
        assert!(!same_request(&link("http://h/v1/crews?page=2"), &[], &ours));
        assert!(!same_request(
            &link("http://h/v1/crews?per_page=100&page=3"),
            &[],
            &ours
        ));
        assert!(!same_request(
            &link("http://other/v1/crews?per_page=100&page=2"),
            &[],
            &ours
        ));
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
