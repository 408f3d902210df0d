//! The 連携履歴 pages: every run a page at a time (only that page is read), and the search by
//! 社員番号 that shows one employee's timeline across runs, each entry linking to its run's
//! 実行結果. Plain links and a GET form: it all works without JavaScript.

use super::{AppState, Chrome, Ctx, RunView, chrome, html, jst, run_view};
use crate::history::{
    EmployeeOutcome, EmployeeTimeline, EntryWhy, History, HistoryError, Page, PageRequest,
    RunFilter, TimelineEntry,
};
use crate::web::i18n::{Lang, Text};
use crate::web::said;
use askama::Template;
use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;

/// Runs, or one employee's entries, per page.
const PER_PAGE: usize = 20;
/// Page links shown on each side of the current page.
const PAGE_LINKS_AROUND: usize = 2;

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    c: Chrome,
    /// The code searched for, as typed; empty for the list of runs.
    code: String,
    error: Option<String>,
    runs: Vec<RunView>,
    timeline: Option<TimelineView>,
    pager: Option<PagerView>,
}

struct TimelineView {
    code: String,
    last: Option<EntryView>,
    entries: Vec<EntryView>,
}

/// One employee in one run.
struct EntryView {
    run: String,
    when: String,
    who: String,
    direction: &'static str,
    run_status: &'static str,
    code: String,
    name: String,
    outcome: &'static str,
    class: &'static str,
    /// (field, old, new)
    changes: Vec<(&'static str, String, String)>,
    /// The run did not record values (an older crewsync).
    values_unknown: bool,
    reason: String,
}

struct PagerView {
    total: usize,
    number: usize,
    last: usize,
    links: Vec<PageLink>,
}

struct PageLink {
    label: String,
    href: String,
    current: bool,
}

/// `GET /history?page=N&code=CODE`. A page number that is not one, a page after the last and
/// a code that is empty once spaces are set aside each get the page with a message saying so.
pub(super) async fn page(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Query(query): super::Pairs,
) -> Response {
    let t = ctx.lang.text();
    let param = |name: &str| super::param(&query, name);
    let code = param("code").unwrap_or_default().to_string();
    let mut view = HistoryPage {
        c: chrome(&ctx, t.history),
        code: code.clone(),
        error: None,
        runs: Vec::new(),
        timeline: None,
        pager: None,
    };
    let number = match super::page_number(param("page")) {
        Ok(n) => n,
        Err(refused) => {
            view.error = Some(refused.text(t));
            return html(refused.status(), view);
        }
    };
    let history = match History::open(&app.config.history) {
        Ok(h) => h,
        Err(e) => return read_failed(&ctx, &e),
    };
    let request = PageRequest {
        number,
        size: PER_PAGE,
    };
    let pages = if code.trim().is_empty() {
        match history.runs(None, &RunFilter::default(), request) {
            Ok(runs) => {
                view.runs = runs.items.iter().map(|r| run_view(t, r)).collect();
                pager(t, &runs, "")
            }
            Err(e) => return read_failed(&ctx, &e),
        }
    } else {
        match history.timeline(&code, &RunFilter::default(), request) {
            Ok(timeline) => {
                view.timeline = Some(timeline_view(ctx.lang, &timeline));
                pager(t, &timeline.entries, &code)
            }
            Err(HistoryError::EmptyCode(_)) => {
                view.error = Some(t.hist.empty_code.to_string());
                return html(StatusCode::BAD_REQUEST, view);
            }
            Err(e) => return read_failed(&ctx, &e),
        }
    };
    // Past the last page, the page still shows the links to the pages there are.
    let status = match super::within(number, pages.last) {
        Ok(()) => StatusCode::OK,
        Err(refused) => {
            view.error = Some(refused.text(t));
            refused.status()
        }
    };
    view.pager = Some(pages);
    html(status, view)
}

/// The page for a history that cannot be read or a run that is not in it. The error itself
/// goes to the server's log: it is in English and may name paths.
pub(super) fn read_failed(ctx: &Ctx, e: &HistoryError) -> Response {
    let t = ctx.lang.text();
    let (status, text) = match e {
        HistoryError::UnknownRun(_) => (StatusCode::NOT_FOUND, t.hist.run_not_found),
        _ => {
            tracing::error!("the dashboard could not read the history: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, t.hist.read_failed)
        }
    };
    super::message(ctx, status, text)
}

/// The page links: first, previous, the pages around this one, next, last.
fn pager<T>(t: &Text, page: &Page<T>, code: &str) -> PagerView {
    let last = page.last();
    let number = page.number;
    let href = |n: usize| {
        let n = n.to_string();
        let mut pairs = vec![("page", n.as_str())];
        if !code.is_empty() {
            pairs.insert(0, ("code", code));
        }
        format!(
            "/history?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let link = |label: String, n: usize| PageLink {
        label,
        href: href(n),
        current: n == number,
    };
    // Past the last page (a stale link), the window ends at the last page.
    let at = number.min(last);
    let from = at.saturating_sub(PAGE_LINKS_AROUND).max(1);
    let to = (at + PAGE_LINKS_AROUND).min(last);
    let mut links = Vec::new();
    if from > 1 {
        links.push(link(t.hist.first_page.to_string(), 1));
    }
    if number > 1 {
        links.push(link(t.prev_page.to_string(), at.min(number - 1)));
    }
    links.extend((from..=to).map(|n| link(n.to_string(), n)));
    if number < last {
        links.push(link(t.next_page.to_string(), number + 1));
    }
    if to < last {
        links.push(link(t.hist.last_page.to_string(), last));
    }
    PagerView {
        total: page.total,
        number,
        last,
        links,
    }
}

fn timeline_view(lang: Lang, timeline: &EmployeeTimeline) -> TimelineView {
    TimelineView {
        code: timeline.code.clone(),
        last: timeline.last_synced.as_ref().map(|e| entry_view(lang, e)),
        entries: timeline
            .entries
            .items
            .iter()
            .map(|e| entry_view(lang, e))
            .collect(),
    }
}

fn entry_view(lang: Lang, e: &TimelineEntry) -> EntryView {
    let t = lang.text();
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| t.hist.empty_value.to_string());
    EntryView {
        run: e.run.as_str().to_string(),
        when: jst(e.recorded_at.unwrap_or(e.started_at)),
        who: e.user.clone(),
        direction: t.direction(e.direction),
        run_status: t.run_status(e.run_status),
        code: e.code.clone(),
        name: e.name.clone(),
        outcome: t.hist.outcome(e.outcome),
        class: match e.outcome {
            EmployeeOutcome::Created | EmployeeOutcome::Updated => "ok",
            EmployeeOutcome::Failed | EmployeeOutcome::Invalid => "failed",
            _ => "not-attempted",
        },
        changes: e
            .changes
            .iter()
            .flatten()
            .map(|c| (t.field(c.field), shown(&c.old), shown(&c.new)))
            .collect(),
        values_unknown: e.changes.is_none() && !e.fields.is_empty(),
        reason: match &e.why {
            Some(EntryWhy::NotWritten(why)) => said::not_written(lang, why),
            Some(EntryWhy::Left(why)) => said::left(lang, why),
            Some(EntryWhy::Failed(failure)) => {
                said::failed(lang, Some(failure), e.reason.as_deref())
            }
            // A written update has no reason, but may have held a clear back.
            None if e.outcome.written() && !e.not_cleared.is_empty() => {
                said::not_cleared(lang, &e.not_cleared)
            }
            None => e.reason.clone().unwrap_or_default(),
        },
    }
}
