//! Every route of the dashboard: the templates, the views they show and the handlers that fill
//! them. Texts come from [`super::i18n`]; the sync itself from [`super::core`].

use super::App;
use super::core::{self, Applied, Choice};
use super::errors::{self, Error};
use super::health::{Checks, Reach, RulesState};
use super::i18n::{Lang, Text};
use super::said;
use super::security::{self, Ctx, Login};
use super::wizard::{Review, Stage, Wizard};
use crate::apply::{Action, ApplyResult, EmployeeOutcome, LeftKind, NotWritten, Outcome};
use crate::error::BadDate;
use crate::history::{RunDetail, RunSummary};
use crate::model::{Direction, Field, MasterItem, Service};
use crate::plan::{Row, Status};
use askama::Template;
use axum::Router;
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use std::sync::Arc;

mod history;

/// Rows per page of the employee list: a page of 10,000 employees would be slow to read and
/// to send.
const PAGE_SIZE: usize = 50;

const CSS: &str = include_str!("../../assets/app.css");
const JS: &str = include_str!("../../assets/app.js");

type AppState = State<Arc<App>>;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/", get(dashboard))
        .route("/login", get(login_page).post(login))
        .route("/access/{token}", get(access))
        .route("/logout", post(logout))
        .route(
            "/assets/app.css",
            get(|| asset(CSS, "text/css; charset=utf-8")),
        )
        .route(
            "/assets/app.js",
            get(|| asset(JS, "text/javascript; charset=utf-8")),
        )
        .route("/sync/{direction}", get(step1).post(start))
        .route("/wizard/{id}/fetch", get(fetch_page))
        .route("/wizard/{id}/fetch/events", get(fetch_events))
        .route(
            "/wizard/{id}/defaults",
            get(defaults_page).post(choose_defaults),
        )
        .route("/wizard/{id}/list", get(list_page).post(list_post))
        .route("/wizard/{id}/confirm", get(confirm_page))
        .route("/wizard/{id}/run", get(run_page).post(run_start))
        .route("/wizard/{id}/events", get(run_events))
        .route("/wizard/{id}/cancel", post(run_cancel))
        .route("/history", get(history::page))
        .route("/history/{run}", get(run_detail))
        .fallback(not_found)
}

async fn asset(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response()
}

/// What every page shows around its content.
struct Chrome {
    t: &'static Text,
    csrf: String,
    user: Option<String>,
    title: String,
    /// Reload the page every second only where scripts do not run: the script follows the
    /// page's events instead (the fetch, the live run).
    refresh_without_script: bool,
}

fn chrome(ctx: &Ctx, title: impl Into<String>) -> Chrome {
    Chrome {
        t: ctx.lang.text(),
        csrf: ctx.session.csrf.clone(),
        user: ctx.session.user.clone(),
        title: title.into(),
        refresh_without_script: false,
    }
}

fn html(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("could not render the page: {e}"),
        )
            .into_response(),
    }
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    c: Chrome,
    kind: &'static str,
    text: String,
    link: Option<String>,
    link_text: &'static str,
}

/// A page saying what went wrong, in the page's language.
fn failed(ctx: &Ctx, status: StatusCode, e: impl Into<Error>) -> Response {
    message(ctx, status, errors::text(ctx.lang, &e.into()))
}

fn message(ctx: &Ctx, status: StatusCode, text: impl Into<String>) -> Response {
    let t = ctx.lang.text();
    html(
        status,
        MessagePage {
            c: chrome(
                ctx,
                if status.is_success() {
                    t.dashboard
                } else {
                    t.error
                },
            ),
            kind: "error",
            text: text.into(),
            link: Some("/".into()),
            link_text: t.to_dashboard,
        },
    )
}

async fn not_found(Extension(ctx): Extension<Ctx>) -> Response {
    message(&ctx, StatusCode::NOT_FOUND, ctx.lang.text().not_found)
}

// ---------------------------------------------------------------- login

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    can_log_in: bool,
    password: bool,
    failed: bool,
    name: String,
}

fn login_form(app: &App, ctx: &Ctx, failed: bool, name: String) -> Response {
    let password = matches!(app.login, Login::Password(_));
    html(
        if failed {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        },
        LoginPage {
            c: chrome(ctx, ctx.lang.text().login),
            can_log_in: password || ctx.session.link_ok,
            password,
            failed,
            name,
        },
    )
}

async fn login_page(State(app): AppState, Extension(ctx): Extension<Ctx>) -> Response {
    if ctx.session.user.is_some() {
        return see_other("/");
    }
    let name = if ctx.session.link_ok {
        crate::history::os_user()
    } else {
        String::new()
    };
    login_form(&app, &ctx, false, name)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

fn logged_in(app: &App, old: &str, name: String) -> Response {
    let s = app.sessions.rotate(old, |s| s.user = Some(name));
    let mut r = see_other("/");
    r.headers_mut().insert(
        header::SET_COOKIE,
        security::cookie(&s.id, app.settings.secure_cookie),
    );
    r
}

async fn login(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<LoginForm>,
) -> Response {
    let name: String = form.name.trim().chars().take(80).collect();
    let ok = match &app.login {
        Login::Password(secret) => security::same_secret(&form.password, secret.expose()),
        Login::Link { .. } => ctx.session.link_ok,
    };
    if !ok || name.is_empty() {
        // Slows guessing; the password itself is never echoed back.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        return login_form(&app, &ctx, true, name);
    }
    logged_in(&app, &ctx.session.id, name)
}

/// The access link: spent on first use, so a link seen later (in a terminal's scroll-back, a
/// shell history) lets nobody in. It leads to the name form, not straight in, and its token
/// leaves the address bar at once.
async fn access(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(token): Path<String>,
) -> Response {
    if !app.login.spend_link(&token) {
        return message(
            &ctx,
            StatusCode::FORBIDDEN,
            ctx.lang.text().login_link_spent,
        );
    }
    let s = app.sessions.rotate(&ctx.session.id, |s| s.link_ok = true);
    let mut r = see_other("/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        security::cookie(&s.id, app.settings.secure_cookie),
    );
    r
}

async fn logout(State(app): AppState, Extension(ctx): Extension<Ctx>) -> Response {
    app.sessions.remove(&ctx.session.id);
    let mut r = see_other("/login");
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("crewsync_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

// ---------------------------------------------------------------- dashboard and history

struct Card {
    title: &'static str,
    slug: &'static str,
}

/// A history run as the lists show it.
struct RunView {
    id: String,
    when: String,
    who: String,
    direction: &'static str,
    created: usize,
    updated: usize,
    failed: usize,
    not_attempted: usize,
    /// Invalid, not selected and excluded: the plan's employees the run did not sync.
    left_out: usize,
    status: &'static str,
}

fn jst(at: DateTime<Utc>) -> String {
    at.with_timezone(&crate::clock::JST)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn run_view(t: &Text, r: &RunSummary) -> RunView {
    RunView {
        id: r.id.as_str().to_string(),
        when: jst(r.started_at),
        who: r.user.clone(),
        direction: t.direction(r.direction),
        created: r.counts.created,
        updated: r.counts.updated,
        failed: r.counts.failed,
        not_attempted: r.counts.not_attempted,
        left_out: r.counts.invalid + r.counts.not_selected + r.counts.excluded,
        status: t.run_status(r.status),
    }
}

/// One line of the dashboard's state card: a CSS class (`ok`, `warn`, none) and the text.
struct StateLine {
    id: &'static str,
    class: &'static str,
    text: String,
    /// Items listed under the text (the failing rule tests).
    more: Vec<String>,
}

fn reach_line(lang: Lang, id: &'static str, service: Service, reach: Option<&Reach>) -> StateLine {
    let t = lang.text();
    let (class, what) = match reach {
        None => ("", t.reach_checking.to_string()),
        Some(Reach::Ok) => ("ok", t.reach_ok.to_string()),
        Some(Reach::NoToken(why)) => (
            "warn",
            format!("{} ({})", t.reach_no_token, errors::config_text(lang, why)),
        ),
        Some(Reach::TokenRefused) => ("warn", t.reach_refused.to_string()),
        Some(Reach::InAccessWindow) => ("warn", t.reach_in_window.to_string()),
        Some(Reach::Unreachable(why)) => (
            "warn",
            format!("{} ({})", t.reach_unreachable, errors::api_text(lang, why)),
        ),
        Some(Reach::Failed(why)) => (
            "warn",
            format!("{}: {}", t.reach_failed, errors::api_text(lang, why)),
        ),
    };
    StateLine {
        id,
        class,
        text: format!("{service}: {what}"),
        more: vec![],
    }
}

/// KOT's access window now (and when it reopens), or the next one today; a window KOT keeps
/// that the configuration does not list is known only from KOT's refusal of the check (`kot`).
fn window_line(t: &Text, config: &crate::config::Config, kot: Option<&Reach>) -> StateLine {
    let (class, text) = match core::window_now(config) {
        Some(inside) => (
            "warn",
            format!(
                "{}{}{}{}",
                t.window_closed_before,
                inside.window,
                t.window_reopens,
                inside.reopens.format("%H:%M JST")
            ),
        ),
        None if matches!(kot, Some(Reach::InAccessWindow)) => {
            ("warn", t.window_unlisted.to_string())
        }
        None => {
            let now = Utc::now().with_timezone(&crate::clock::JST).time();
            let next = config
                .maintenance_windows
                .iter()
                .filter(|w| w.start > now)
                .min_by_key(|w| w.start);
            let text = match next {
                Some(w) => format!("{}{}{w}", t.window_open, t.window_next),
                None => t.window_open.to_string(),
            };
            ("ok", text)
        }
    };
    StateLine {
        id: "window",
        class,
        text,
        more: vec![],
    }
}

fn rules_line(lang: Lang, checks: Option<&Checks>, configured: bool) -> StateLine {
    let t = lang.text();
    let line = |class, text: String, more| StateLine {
        id: "rules",
        class,
        text,
        more,
    };
    match checks.map(|c| &c.rules) {
        _ if !configured => line("", t.rules_none.to_string(), vec![]),
        None | Some(None) => line("", t.reach_checking.to_string(), vec![]),
        Some(Some((dir, RulesState::Broken(problems)))) => line(
            "warn",
            format!("{}{dir}", t.rules_broken),
            problems
                .iter()
                .map(|p| errors::rule_problem(lang, p))
                .collect(),
        ),
        Some(Some((dir, RulesState::Tested { passed, failed }))) if failed.is_empty() => line(
            "ok",
            format!(
                "{}{dir} · {}{passed}{}",
                t.rules_loaded, t.rule_tests_passed_before, t.rule_tests_passed_after
            ),
            vec![],
        ),
        Some(Some((dir, RulesState::Tested { passed, failed }))) => line(
            "warn",
            format!(
                "{}{dir} · {}{} / {}{}",
                t.rules_loaded,
                t.rule_tests_failed_before,
                failed.len(),
                passed + failed.len(),
                t.rule_tests_failed_after
            ),
            failed.clone(),
        ),
    }
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    cards: Vec<Card>,
    runs: Vec<RunView>,
    state: Vec<StateLine>,
}

async fn dashboard(State(app): AppState, Extension(ctx): Extension<Ctx>) -> Response {
    let t = ctx.lang.text();
    let runs = match core::recent_runs(&app.config, 10) {
        Ok(runs) => runs.iter().map(|r| run_view(t, r)).collect(),
        Err(e) => return failed(&ctx, StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let checks = app.health.get(&app.config).await;
    let checks = checks.as_deref();
    html(
        StatusCode::OK,
        DashboardPage {
            c: chrome(&ctx, t.dashboard),
            cards: Direction::ALL
                .iter()
                .map(|&d| Card {
                    title: t.direction(d),
                    slug: d.as_str(),
                })
                .collect(),
            runs,
            state: vec![
                reach_line(
                    ctx.lang,
                    "reach-smarthr",
                    Service::SmartHr,
                    checks.map(|c| &c.smarthr),
                ),
                reach_line(ctx.lang, "reach-kot", Service::Kot, checks.map(|c| &c.kot)),
                window_line(t, &app.config, checks.map(|c| &c.kot)),
                rules_line(ctx.lang, checks, app.config.rules.is_some()),
            ],
        },
    )
}

/// One employee's outcome, live or from the history.
struct OutcomeView {
    code: String,
    name: String,
    action: &'static str,
    outcome: &'static str,
    class: &'static str,
    detail: String,
}

fn outcome_view(
    t: &Text,
    code: &str,
    name: &str,
    action: Action,
    outcome: Option<Outcome>,
    detail: String,
) -> OutcomeView {
    let class = match outcome {
        Some(Outcome::Ok) => "ok",
        Some(Outcome::Failed) => "failed",
        Some(Outcome::NotAttempted) | None => "not-attempted",
    };
    // The words of the counts and the history (created, updated), not a bare "OK".
    let label = t.hist.outcome(EmployeeOutcome::of_record(outcome, action));
    OutcomeView {
        code: code.to_string(),
        name: name.to_string(),
        action: match action {
            Action::Create => t.action_create,
            Action::Update => t.action_update,
        },
        outcome: label,
        class,
        detail,
    }
}

/// An outcome's detail in the page's words: why it was not attempted (a failure as the
/// service said it), and the clears a written update held back.
fn outcome_detail(
    lang: Lang,
    outcome: Option<Outcome>,
    why: Option<&NotWritten>,
    failure: Option<&crate::http::ApiError>,
    error: Option<&str>,
    not_cleared: &[Field],
) -> String {
    let mut detail = match why {
        Some(why) => said::not_written(lang, why),
        None => said::failed(lang, failure, error),
    };
    if outcome == Some(Outcome::Ok) && !not_cleared.is_empty() {
        if !detail.is_empty() {
            detail.push(' ');
        }
        detail.push_str(&said::not_cleared(lang, not_cleared));
    }
    detail
}

/// A live outcome, with its [`outcome_detail`].
fn outcome_of(lang: Lang, r: &ApplyResult) -> OutcomeView {
    let detail = outcome_detail(
        lang,
        Some(r.outcome),
        r.why.as_ref(),
        r.failure.as_ref(),
        r.error.as_deref(),
        &r.not_cleared,
    );
    outcome_view(
        lang.text(),
        &r.code,
        &r.name,
        r.action,
        Some(r.outcome),
        detail,
    )
}

#[derive(Template)]
#[template(path = "run_detail.html")]
struct RunDetailPage {
    c: Chrome,
    run: RunView,
    as_of: NaiveDate,
    selection: String,
    defaults: String,
    rules: String,
    /// Why a refused run did not start, as it was recorded (the error's own text, after
    /// words of the page's language); a stopped run's reason is on its employees' rows.
    refusal: Option<String>,
    outcomes: Vec<OutcomeView>,
    /// The rest of the plan but the unchanged: every employee is accounted for here too.
    left_out: Vec<LeftView>,
}

/// An employee of the run's plan that was not written: invalid, not selected or excluded.
struct LeftView {
    code: String,
    name: String,
    kind: &'static str,
    class: &'static str,
    reason: String,
}

async fn run_detail(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let t = ctx.lang.text();
    let RunDetail {
        summary,
        defaults,
        rules,
        employees,
        left_out,
    } = match core::run(&app.config, &id) {
        Ok(run) => run,
        Err(e) => return history::read_failed(&ctx, &e),
    };
    html(
        StatusCode::OK,
        RunDetailPage {
            c: chrome(&ctx, format!("{} {}", t.result, jst(summary.started_at))),
            run: run_view(t, &summary),
            refusal: summary
                .note
                .as_ref()
                .filter(|_| summary.status == crate::history::RunStatus::Refused)
                .map(|note| format!("{}{note}", t.refused_because)),
            as_of: summary.as_of,
            selection: summary
                .picked
                .as_ref()
                .map_or_else(|| summary.selection.clone(), |p| said::picked(ctx.lang, p)),
            defaults: match defaults.as_str() {
                crate::workflow::NO_DEFAULTS => t.defaults_none.to_string(),
                crate::workflow::UNKNOWN_DEFAULTS => t.defaults_unknown.to_string(),
                _ => defaults,
            },
            rules: rules.unwrap_or_else(|| "-".into()),
            outcomes: employees
                .iter()
                .map(|e| {
                    let detail = outcome_detail(
                        ctx.lang,
                        e.outcome,
                        e.why.as_ref(),
                        e.failure.as_ref(),
                        e.error.as_deref(),
                        &e.not_cleared,
                    );
                    outcome_view(t, &e.code, &e.name, e.action, e.outcome, detail)
                })
                .collect(),
            left_out: left_out
                .iter()
                .map(|l| {
                    let (kind, class) = match l.kind {
                        LeftKind::Invalid => (t.invalid, "invalid"),
                        LeftKind::NotSelected => (t.not_selected, "not-selected"),
                        LeftKind::Excluded => (t.excluded, "excluded"),
                    };
                    LeftView {
                        code: l.code.clone().unwrap_or_else(|| "-".into()),
                        name: l.name.clone(),
                        kind,
                        class,
                        reason: l
                            .why
                            .as_ref()
                            .map_or_else(|| l.reason.clone(), |w| said::left(ctx.lang, w)),
                    }
                })
                .collect(),
        },
    )
}

// ---------------------------------------------------------------- step 1/3 and fetching

fn direction(slug: &str) -> Option<Direction> {
    slug.parse().ok()
}

fn step_title(t: &Text, d: Direction, step: u8) -> String {
    format!("{}{}({step}/3)", t.direction(d), t.step)
}

#[derive(Template)]
#[template(path = "step1.html")]
struct Step1Page {
    c: Chrome,
    slug: &'static str,
    date_label: String,
    as_of: NaiveDate,
    error: Option<String>,
}

fn step1_form(
    ctx: &Ctx,
    d: Direction,
    as_of: NaiveDate,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let t = ctx.lang.text();
    html(
        status,
        Step1Page {
            c: chrome(ctx, step_title(t, d, 1)),
            slug: d.as_str(),
            date_label: t.of(d.source(), t.reference_date),
            as_of,
            error,
        },
    )
}

/// Step 1/3. `?as_of=YYYY-MM-DD` fills the date in (a link to a given date); the default is
/// today in JST.
async fn step1(
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(q): Query<Step1Form>,
) -> Response {
    // Only a pre-filled value: one that is not a date the form takes leaves today's.
    let as_of = BadDate::parse(&q.as_of).unwrap_or_else(|_| core::today());
    match direction(&slug) {
        Some(d) => step1_form(&ctx, d, as_of, StatusCode::OK, None),
        None => not_found(Extension(ctx)).await,
    }
}

#[derive(Deserialize)]
struct Step1Form {
    #[serde(default)]
    as_of: String,
}

async fn start(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Form(form): Form<Step1Form>,
) -> Response {
    let Some(d) = direction(&slug) else {
        return not_found(Extension(ctx)).await;
    };
    let as_of = match BadDate::parse(&form.as_of) {
        Ok(date) => date,
        Err(e) => {
            let why = errors::text(ctx.lang, &e.into());
            return step1_form(&ctx, d, core::today(), StatusCode::BAD_REQUEST, Some(why));
        }
    };
    if let Err(e) = core::guard_window(&app.config).await {
        let why = errors::text(ctx.lang, &e);
        return step1_form(&ctx, d, as_of, StatusCode::CONFLICT, Some(why));
    }
    let wizard = app.wizards.start(ctx.user(), d);
    let (config, progress, w) = (app.config.clone(), wizard.progress.clone(), wizard.clone());
    tokio::spawn(async move {
        let fetched = core::fetch(&config, d, as_of, &*progress).await;
        let mut stage = w.stage();
        match fetched {
            Ok(core::Fetched { rosters, rules }) => {
                *w.rosters.lock().unwrap_or_else(|e| e.into_inner()) = Some(rosters);
                *w.rules.lock().unwrap_or_else(|e| e.into_inner()) = rules;
                *stage = Stage::Fetched;
            }
            Err(e) => *stage = Stage::FetchFailed(Arc::new(e)),
        }
    });
    see_other(&format!("/wizard/{}/fetch", wizard.id))
}

/// The page for a wizard that is not there (or not this person's: wizards are found by their
/// owner's login name as well as their id).
fn gone(ctx: &Ctx) -> Response {
    message(ctx, StatusCode::NOT_FOUND, ctx.lang.text().not_found)
}

#[derive(Template)]
#[template(path = "fetch.html")]
struct FetchPage {
    c: Chrome,
    id: String,
    slug: &'static str,
    progress: FetchProgress,
    error: Option<String>,
}

/// The fetch's counts as the items of its progress list: on the page, and sent to it as they
/// grow.
#[derive(Template)]
#[template(path = "fetch_progress.html")]
struct FetchProgress {
    t: &'static Text,
    /// (what, done, total)
    fetched: Vec<(String, usize, Option<usize>)>,
}

impl FetchProgress {
    fn of(t: &'static Text, counts: &[core::FetchCount]) -> FetchProgress {
        FetchProgress {
            t,
            fetched: counts
                .iter()
                .map(|c| (t.of(c.service, t.roster), c.done, c.total))
                .collect(),
        }
    }
}

async fn fetch_page(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    let error = match &*w.stage() {
        Stage::Fetching => None,
        Stage::FetchFailed(e) => Some(errors::text(ctx.lang, e)),
        other => return see_other(&format!("/wizard/{id}/{}", other.page())),
    };
    let t = ctx.lang.text();
    let mut c = chrome(&ctx, step_title(t, w.direction, 1));
    c.refresh_without_script = error.is_none();
    html(
        StatusCode::OK,
        FetchPage {
            c,
            id,
            slug: w.direction.as_str(),
            progress: FetchProgress::of(t, &w.progress.snapshot().fetched),
            error,
        },
    )
}

/// The fetch as server-sent events, as the live run is sent: `progress` (the progress list's
/// items) whenever the counts grow, and `end` once the fetch is over (the page then reloads
/// into step 2, or says why the fetch failed).
async fn fetch_events(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    let feed = FetchFeed {
        w,
        t: ctx.lang.text(),
        sent: None,
        ended: false,
    };
    event_stream(futures_util::stream::unfold(feed, FetchFeed::next))
}

/// One browser's view of a fetch, read from the wizard's [`core::Progress`] snapshots.
struct FetchFeed {
    w: Arc<Wizard>,
    t: &'static Text,
    /// The counts last sent.
    sent: Option<Vec<core::FetchCount>>,
    ended: bool,
}

impl FetchFeed {
    async fn next(mut self) -> Option<(Result<Event, std::convert::Infallible>, FetchFeed)> {
        loop {
            if self.ended {
                return None;
            }
            // The stage before the snapshot: once the fetch is over, the snapshot taken after
            // holds its last counts, so they are sent before `end`.
            let fetching = matches!(*self.w.stage(), Stage::Fetching);
            let counts = self.w.progress.snapshot().fetched;
            if self.sent.as_ref() != Some(&counts) {
                let items = FetchProgress::of(self.t, &counts)
                    .render()
                    .unwrap_or_default();
                self.sent = Some(counts);
                let event = Event::default()
                    .event("progress")
                    .data(items.replace('\r', ""));
                return Some((Ok(event), self));
            }
            if !fetching {
                self.ended = true;
                return Some((Ok(Event::default().event("end").data("end")), self));
            }
            tokio::time::sleep(EVENTS_EVERY).await;
        }
    }
}

/// A stream of server-sent events as a response, kept alive and never buffered on the way.
fn event_stream(
    stream: impl futures_util::Stream<Item = Result<Event, std::convert::Infallible>> + Send + 'static,
) -> Response {
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    // A reverse proxy (nginx) would otherwise hold the events back in its buffer.
    r.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

// ---------------------------------------------------------------- step 2/3

#[derive(Template)]
#[template(path = "defaults.html")]
struct DefaultsPage {
    c: Chrome,
    id: String,
    slug: &'static str,
    office_label: String,
    type_label: String,
    with_type: bool,
    /// (id, name, selected)
    offices: Vec<(String, String, bool)>,
    types: Vec<(String, String, bool)>,
    /// The rules' per-employee decisions, when a rules folder is configured.
    decisions: Option<Vec<DecisionView>>,
    /// Decisions beyond those listed.
    more: usize,
    error: Option<String>,
}

/// Rows listed in step 2's table of rule decisions; the rest are counted.
const DECISION_ROWS: usize = 100;

/// An employee whose office or employment type a rule decided instead of the defaults.
struct DecisionView {
    code: String,
    name: String,
    /// (what, value, which rule)
    values: Vec<(&'static str, String, String)>,
}

/// Whether a value's origin is a rule (`rules/30_offices.rhai:office`), not the defaults or the
/// target's current value.
fn decided_by_rule(from: &str) -> bool {
    use crate::plan::{CURRENT, FROM_DEFAULT_OFFICE, FROM_DEFAULT_TYPE};
    ![FROM_DEFAULT_OFFICE, FROM_DEFAULT_TYPE, CURRENT].contains(&from)
}

/// The rows whose office or employment type a rule decided (not the defaults, not the
/// target's current value), planned from the fetched rosters with no defaults. `None` when no
/// rules folder is configured or it cannot be planned with (step 3 then says why).
async fn rule_decisions(app: &App, w: &Wizard, t: &'static Text) -> Option<Vec<DecisionView>> {
    let rules = w.rules.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
    let rosters = w
        .rosters
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()?;
    let config = app.config.clone();
    let none = Choice {
        office: None,
        employment_type: None,
    };
    let planned =
        tokio::task::spawn_blocking(move || core::plan(&config, rosters, Some(&rules), &none))
            .await
            .ok()?
            .ok()?;
    let by_rule = |a: &Option<crate::plan::Assigned>, what: &'static str| {
        a.as_ref()
            .filter(|a| decided_by_rule(&a.from))
            .map(|a| (what, a.item.name.clone(), a.from.clone()))
    };
    Some(
        planned
            .plan
            .rows
            .iter()
            .filter_map(|row| {
                let values: Vec<_> = [
                    by_rule(&row.office, t.office),
                    by_rule(&row.employment_type, t.employment_type),
                ]
                .into_iter()
                .flatten()
                .collect();
                (!values.is_empty()).then(|| DecisionView {
                    code: row.code.clone().unwrap_or_else(|| "-".into()),
                    name: row.name.clone(),
                    values,
                })
            })
            .collect(),
    )
}

fn options(items: &[MasterItem], chosen: Option<&str>) -> Vec<(String, String, bool)> {
    items
        .iter()
        .map(|m| (m.id.clone(), m.name.clone(), chosen == Some(m.id.as_str())))
        .collect()
}

fn defaults_form(
    ctx: &Ctx,
    w: &Wizard,
    choice: &Choice,
    decisions: Option<Vec<DecisionView>>,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let t = ctx.lang.text();
    let rosters = w.rosters.lock().unwrap_or_else(|e| e.into_inner());
    let Some(rosters) = rosters.as_ref() else {
        return see_other(&format!("/wizard/{}/fetch", w.id));
    };
    let target = w.direction.target();
    html(
        status,
        DefaultsPage {
            c: chrome(ctx, step_title(t, w.direction, 2)),
            id: w.id.clone(),
            slug: w.direction.as_str(),
            office_label: t.of(target, t.office),
            type_label: t.of(target, t.employment_type),
            with_type: w.direction.target_needs_employment_type(),
            offices: options(&rosters.masters.offices, choice.office.as_deref()),
            types: options(
                &rosters.masters.employment_types,
                choice.employment_type.as_deref(),
            ),
            more: decisions
                .as_ref()
                .map_or(0, |d| d.len().saturating_sub(DECISION_ROWS)),
            decisions: decisions.map(|mut d| {
                d.truncate(DECISION_ROWS);
                d
            }),
            error,
        },
    )
}

async fn defaults_page(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    let choice = match &*w.stage() {
        Stage::Planned(review) => review.choice.clone(),
        _ => Choice {
            office: None,
            employment_type: None,
        },
    };
    let decisions = rule_decisions(&app, &w, ctx.lang.text()).await;
    defaults_form(&ctx, &w, &choice, decisions, StatusCode::OK, None)
}

#[derive(Deserialize)]
struct DefaultsForm {
    #[serde(default)]
    office: String,
    #[serde(default)]
    employment_type: String,
}

async fn choose_defaults(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(form): Form<DefaultsForm>,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    if matches!(*w.stage(), Stage::Running | Stage::Finished(_)) {
        return see_other(&format!("/wizard/{id}/run"));
    }
    let given = |s: String| Some(s).filter(|s| !s.is_empty());
    let choice = Choice {
        office: given(form.office),
        employment_type: given(form.employment_type)
            .filter(|_| w.direction.target_needs_employment_type()),
    };
    let Some(rosters) = w.rosters.lock().unwrap_or_else(|e| e.into_inner()).clone() else {
        return see_other(&format!("/wizard/{id}/fetch"));
    };
    let rules = w.rules.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let (config, c) = (app.config.clone(), choice.clone());
    // Planning 10,000 employees with rules is CPU work: off the request threads.
    let planned =
        tokio::task::spawn_blocking(move || core::plan(&config, rosters, rules.as_deref(), &c))
            .await;
    match planned {
        Ok(Ok(saved)) => {
            *w.stage() = Stage::Planned(Box::new(Review::new(saved, choice)));
            see_other(&format!("/wizard/{id}/list"))
        }
        Ok(Err(e)) => {
            let decisions = rule_decisions(&app, &w, ctx.lang.text()).await;
            defaults_form(
                &ctx,
                &w,
                &choice,
                decisions,
                StatusCode::BAD_REQUEST,
                Some(errors::text(ctx.lang, &e)),
            )
        }
        Err(e) => message(&ctx, StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

// ---------------------------------------------------------------- step 3/3

/// The list's filter: a status (or every one) and a search on code or name.
struct Filter {
    status: Option<Status>,
    q: String,
    /// `q` as the planner keys codes (NFKC, invisible characters and spaces set aside), so
    /// that a full-width ００８３ finds 0083 as everywhere else.
    key: String,
}

impl Filter {
    fn new(status: &str, q: &str) -> Filter {
        Filter {
            status: status.parse().ok(),
            q: q.trim().to_lowercase(),
            key: crate::text::code_key(q).to_lowercase(),
        }
    }

    fn searched(&self, row: &Row) -> bool {
        self.q.is_empty()
            || row
                .code
                .as_deref()
                .is_some_and(|c| crate::text::code_key(c).to_lowercase().contains(&self.key))
            || crate::text::code_key(&row.name)
                .to_lowercase()
                .contains(&self.key)
    }

    fn matches(&self, row: &Row) -> bool {
        self.status.is_none_or(|s| row.status == s) && self.searched(row)
    }

    fn status_key(&self) -> &'static str {
        self.status.map_or("all", Status::as_str)
    }

    fn query(&self, page: usize) -> String {
        serde_urlencoded::to_string([
            ("status", self.status_key()),
            ("q", self.q.as_str()),
            ("page", &page.to_string()),
        ])
        .unwrap_or_default()
    }
}

struct FilterView {
    key: &'static str,
    label: &'static str,
    count: usize,
    active: bool,
}

struct RowView {
    index: usize,
    code: String,
    name: String,
    status_key: &'static str,
    status_label: &'static str,
    tickable: bool,
    ticked: bool,
    selected_by: Option<String>,
    /// (field label, old, new, whether it clears the field)
    changes: Vec<(&'static str, String, String, bool)>,
    problems: Vec<String>,
    /// (office or type name, where it came from)
    assigned: Vec<(String, String)>,
    /// On the confirmation page: chosen, but no page of the list showed it.
    unseen: bool,
}

fn row_view(lang: Lang, i: usize, row: &Row, ticked: bool) -> RowView {
    let t = lang.text();
    RowView {
        index: i,
        code: row.code.clone().unwrap_or_else(|| "-".into()),
        name: row.name.clone(),
        status_key: row.status.as_str(),
        status_label: t.status(row.status),
        tickable: row.status.is_actionable(),
        ticked,
        selected_by: row.selected_by.as_deref().map(|by| t.origin(by)),
        changes: row
            .changes
            .iter()
            .map(|ch| {
                let shown = |v: &Option<String>| {
                    v.clone()
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| t.empty.to_string())
                };
                if ch.is_clear() {
                    (
                        t.field(ch.field),
                        shown(&ch.old),
                        t.clear_mark.to_string(),
                        true,
                    )
                } else {
                    (t.field(ch.field), shown(&ch.old), shown(&ch.new), false)
                }
            })
            .collect(),
        problems: row
            .problems
            .iter()
            .map(|p| said::problem(lang, p))
            .collect(),
        assigned: [&row.office, &row.employment_type]
            .into_iter()
            .flatten()
            .map(|a| (a.item.name.clone(), t.origin(&a.from)))
            .collect(),
        unseen: false,
    }
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    c: Chrome,
    id: String,
    filters: Vec<FilterView>,
    status: &'static str,
    q: String,
    page: usize,
    pages: usize,
    selected: usize,
    rows: Vec<RowView>,
    /// Each field the plan found unreadable in the source, said once (its label).
    unreadable: Vec<&'static str>,
}

/// A paged page's query as pairs, not a struct: a malformed or repeated parameter must reach
/// the reader as the page's own answer, not as axum's English rejection.
pub(super) type Pairs = Query<Vec<(String, String)>>;

/// The first value of `name` in a query's pairs.
pub(super) fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// A page number a paged page cannot show, said the same way on every paged page (the list,
/// the confirmation, 連携履歴).
pub(super) enum BadPage {
    /// Not a whole number of 1 or more (`abc`, `0`): 400 with [`HistoryText::bad_page`].
    ///
    /// [`HistoryText::bad_page`]: super::i18n::HistoryText::bad_page
    NotOne(String),
    /// After the last page (a stale link): 404 naming the last page.
    PastEnd(usize),
}

impl BadPage {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            BadPage::NotOne(_) => StatusCode::BAD_REQUEST,
            BadPage::PastEnd(_) => StatusCode::NOT_FOUND,
        }
    }

    pub(super) fn text(&self, t: &Text) -> String {
        match self {
            BadPage::NotOne(given) => t.hist.bad_page(given),
            BadPage::PastEnd(last) => format!("{}{last}", t.hist.past_end),
        }
    }

    fn page(&self, ctx: &Ctx) -> Response {
        message(ctx, self.status(), self.text(ctx.lang.text()))
    }
}

/// The `page` parameter of a paged page: absent is the first page.
pub(super) fn page_number(given: Option<&str>) -> Result<usize, BadPage> {
    match given.map(|p| (p, p.trim().parse::<usize>())) {
        None => Ok(1),
        Some((_, Ok(n))) if n > 0 => Ok(n),
        Some((given, _)) => Err(BadPage::NotOne(given.to_string())),
    }
}

/// Page `number` of `last` pages, or why it cannot be shown.
pub(super) fn within(number: usize, last: usize) -> Result<(), BadPage> {
    if number > last {
        Err(BadPage::PastEnd(last))
    } else {
        Ok(())
    }
}

async fn list_page(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(query): Pairs,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    let t = ctx.lang.text();
    let page = match page_number(param(&query, "page")) {
        Ok(n) => n,
        Err(refused) => return refused.page(&ctx),
    };
    let mut stage = w.stage();
    let Stage::Planned(review) = &mut *stage else {
        return see_other(&format!("/wizard/{id}/{}", stage.page()));
    };
    let q = param(&query, "q").unwrap_or_default();
    let status = param(&query, "status").unwrap_or_default();
    // A link with a status the list has none for would otherwise show every row as if asked.
    if !matches!(status, "" | "all") && status.parse::<Status>().is_err() {
        let said = format!("{}{status}{}", t.bad_status_before, t.bad_status_after);
        return message(&ctx, StatusCode::BAD_REQUEST, said);
    }
    let filter = Filter::new(status, q);
    let rows = &review.saved.plan.rows;
    let mut counts = [0usize; 4];
    let mut searched = 0;
    for row in rows.iter().filter(|r| filter.searched(r)) {
        searched += 1;
        counts[Status::ALL
            .iter()
            .position(|s| *s == row.status)
            .unwrap_or(0)] += 1;
    }
    let mut filters = vec![FilterView {
        key: "all",
        label: t.filter_all,
        count: searched,
        active: filter.status.is_none(),
    }];
    filters.extend(
        Status::ALL
            .iter()
            .zip(counts)
            .map(|(&s, count)| FilterView {
                key: s.as_str(),
                label: t.status(s),
                count,
                active: filter.status == Some(s),
            }),
    );
    let matching: Vec<usize> = (0..rows.len())
        .filter(|&i| filter.matches(&rows[i]))
        .collect();
    let pages = matching.len().div_ceil(PAGE_SIZE).max(1);
    if let Err(refused) = within(page, pages) {
        return refused.page(&ctx);
    }
    let shown: Vec<usize> = matching
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .copied()
        .collect();
    let shown = shown
        .into_iter()
        .map(|i| {
            review.seen[i] = true;
            row_view(ctx.lang, i, &rows[i], review.ticks[i])
        })
        .collect();
    html(
        StatusCode::OK,
        ListPage {
            c: chrome(&ctx, step_title(t, w.direction, 3)),
            id,
            filters,
            status: filter.status_key(),
            q: q.trim().to_string(),
            page,
            pages,
            selected: review.ticks.iter().filter(|&&x| x).count(),
            rows: shown,
            unreadable: review
                .saved
                .plan
                .unreadable
                .iter()
                .map(|u| t.field(u.field))
                .collect(),
        },
    )
}

/// The list form: ticks of the rows shown, and what to do next. Every button of the list is
/// in this one form so that ticks are kept whatever is pressed, with or without JavaScript.
async fn list_post(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    let mut stage = w.stage();
    let Stage::Planned(review) = &mut *stage else {
        return see_other(&format!("/wizard/{id}/{}", stage.page()));
    };
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    };
    let indexes = |name: &str| -> Vec<usize> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| v.parse().ok())
            .filter(|&i| i < review.ticks.len())
            .collect()
    };
    let picked = indexes("pick");
    for i in indexes("shown") {
        review.ticks[i] = picked.contains(&i) && review.saved.plan.rows[i].status.is_actionable();
    }
    let mut filter = Filter::new(value("status"), value("q"));
    let mut page: usize = value("page").parse().unwrap_or(1);
    let go = value("go");
    match go {
        "confirm" => return see_other(&format!("/wizard/{id}/confirm")),
        "select-filtered" | "clear-filtered" => {
            let tick = go == "select-filtered";
            for (i, row) in review.saved.plan.rows.iter().enumerate() {
                if row.status.is_actionable() && filter.matches(row) {
                    review.ticks[i] = tick;
                }
            }
        }
        "search" => page = 1,
        _ => {
            if let Some(s) = go.strip_prefix("status:") {
                filter.status = s.parse().ok();
                page = 1;
            } else if let Some(p) = go.strip_prefix("page:").and_then(|p| p.parse().ok()) {
                page = p;
            }
        }
    }
    see_other(&format!("/wizard/{id}/list?{}", filter.query(page)))
}

// ---------------------------------------------------------------- confirm and run

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage {
    c: Chrome,
    id: String,
    new: usize,
    changed: usize,
    /// Fields the chosen rows empty.
    clears: usize,
    /// Chosen rows that no page of the list showed (they are listed first, marked).
    unseen: usize,
    /// This page's chosen rows, as the list shows them.
    rows: Vec<RowView>,
    page: usize,
    pages: usize,
    /// [`Review::selection_key`] of what this page lists: sent back by the sync button.
    selection: String,
    error: Option<String>,
    /// The reviewed plan is too old to sync: the way back is to fetch again (step 1).
    refetch: Option<&'static str>,
}

/// The confirmation page lists every chosen row with its changes, a page at a time, those no
/// list view showed first: the run writes exactly these rows (see `run_start`).
/// `refetch`: the error is the plan's age, so the page leads back to step 1.
fn confirm_form(
    ctx: &Ctx,
    w: &Wizard,
    page: usize,
    status: StatusCode,
    error: Option<String>,
    refetch: bool,
) -> Response {
    let t = ctx.lang.text();
    let stage = w.stage();
    let Stage::Planned(review) = &*stage else {
        return see_other(&format!("/wizard/{}/{}", w.id, stage.page()));
    };
    let chosen = review.confirmed_order();
    let pages = chosen.len().div_ceil(PAGE_SIZE).max(1);
    if let Err(refused) = within(page, pages) {
        return refused.page(ctx);
    }
    let rows = &review.saved.plan.rows;
    let count = |s: Status| chosen.iter().filter(|&&i| rows[i].status == s).count();
    html(
        status,
        ConfirmPage {
            c: chrome(ctx, t.confirm_title),
            id: w.id.clone(),
            new: count(Status::New),
            changed: count(Status::Changed),
            clears: chosen
                .iter()
                .map(|&i| rows[i].changes.iter().filter(|c| c.is_clear()).count())
                .sum(),
            unseen: chosen.iter().filter(|&&i| !review.seen[i]).count(),
            rows: chosen
                .iter()
                .skip((page - 1) * PAGE_SIZE)
                .take(PAGE_SIZE)
                .map(|&i| RowView {
                    unseen: !review.seen[i],
                    ..row_view(ctx.lang, i, &rows[i], true)
                })
                .collect(),
            page,
            pages,
            selection: review.selection_key(),
            error: error.or_else(|| chosen.is_empty().then(|| t.nothing_selected.to_string())),
            refetch: refetch.then(|| w.direction.as_str()),
        },
    )
}

async fn confirm_page(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(query): Pairs,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    match page_number(param(&query, "page")) {
        Ok(page) => confirm_form(&ctx, &w, page, StatusCode::OK, None, false),
        Err(refused) => refused.page(&ctx),
    }
}

#[derive(Deserialize)]
struct RunForm {
    /// The selection the confirmation page listed ([`Review::selection_key`]).
    #[serde(default)]
    selection: String,
}

async fn run_start(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Form(form): Form<RunForm>,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    // What the history records of this run if it is refused before it starts. Decided
    // before anything is awaited: the stage's lock is not held across a wait.
    let (saved, chosen, mut start) = {
        let stage = w.stage();
        let Stage::Planned(review) = &*stage else {
            return see_other(&format!("/wizard/{id}/{}", stage.page()));
        };
        let chosen = review.chosen();
        if chosen.is_empty() {
            drop(stage);
            return confirm_form(&ctx, &w, 1, StatusCode::BAD_REQUEST, None, false);
        }
        // The ticks changed since the confirmation page listed them (another tab, a stale
        // page): what would be written is not what the person was shown.
        if form.selection != review.selection_key() {
            drop(stage);
            let why = ctx.lang.text().selection_changed.to_string();
            return confirm_form(&ctx, &w, 1, StatusCode::CONFLICT, Some(why), false);
        }
        let start = core::start_of(&review.saved, ctx.user().to_string());
        (review.saved.clone(), chosen, start)
    };
    // The workflow's guards and the run lock, as the CLI takes them: a refusal (the access
    // window, max_changes, a second apply from here or a terminal) is said here, before
    // anything is fetched.
    let locked = match core::lock_in(&app.config, saved, chosen, &mut start).await {
        Ok(locked) => locked,
        Err(e) => return refused(&app, &ctx, &w, &start, e).await,
    };
    if !matches!(
        std::mem::replace(&mut *w.stage(), Stage::Running),
        Stage::Planned(_)
    ) {
        return see_other(&format!("/wizard/{id}/run"));
    }
    w.progress.expect(locked.chosen.len());
    let (config, progress, done, stop) = (
        app.config.clone(),
        w.progress.clone(),
        w.clone(),
        w.stop.clone(),
    );
    tokio::spawn(async move {
        let applied = core::apply(&config, locked, start, stop, &*progress).await;
        *done.stage() = Stage::Finished(applied);
    });
    see_other(&format!("/wizard/{id}/run"))
}

/// A run refused before it began: recorded in the history (and emailed) as the CLI's
/// refusals are, then said on the confirmation page in the page's language.
async fn refused(
    app: &App,
    ctx: &Ctx,
    w: &Wizard,
    start: &crate::history::RunStart,
    e: Error,
) -> Response {
    for warning in core::refused(&app.config, start, &e.to_string()).await {
        tracing::warn!(target: "crewsync::web", "{warning}");
    }
    let why = errors::text(ctx.lang, &e);
    let too_old = matches!(e, Error::Sync(crate::workflow::SyncError::SavedPlan(_)));
    confirm_form(ctx, w, 1, StatusCode::CONFLICT, Some(why), too_old)
}

/// The run page's cancel button: stops the run after the write in flight, the rest reported
/// not attempted and the run recorded as stopped by the user, as Ctrl-C does in the CLI.
async fn run_cancel(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    // Pressed once only: a second press would abandon the write in flight, leaving nobody
    // knowing whether the target applied it.
    if matches!(*w.stage(), Stage::Running) && w.stop.presses() == 0 {
        w.stop.press();
    }
    see_other(&format!("/wizard/{id}/run"))
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    c: Chrome,
    id: String,
    slug: &'static str,
    running: bool,
    /// The cancel button was pressed and the run has not ended yet.
    cancelling: bool,
    done: usize,
    total: usize,
    outcomes: Vec<OutcomeView>,
    stale: Vec<(String, String)>,
    run_id: Option<String>,
    note: Option<String>,
    error: Option<String>,
}

async fn run_page(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    let t = ctx.lang.text();
    let progress = w.progress.snapshot();
    let stage = w.stage();
    let (running, stale, run_id, error, email) = match &*stage {
        Stage::Running => (true, vec![], None, None, None),
        Stage::Finished(Applied::Ran {
            run_id,
            stopped,
            stale,
            email_error,
        }) => (
            false,
            stale.clone(),
            Some(run_id.clone()),
            stopped.as_ref().map(|s| said::stopped(ctx.lang, s)),
            email_error
                .as_deref()
                .map(|e| said::email_not_sent(ctx.lang, e)),
        ),
        Stage::Finished(Applied::Failed(e)) => {
            (false, vec![], None, Some(errors::text(ctx.lang, e)), None)
        }
        other => return see_other(&format!("/wizard/{id}/{}", other.page())),
    };
    drop(stage);
    let mut c = chrome(&ctx, if running { t.running } else { t.result });
    c.refresh_without_script = running;
    html(
        StatusCode::OK,
        RunPage {
            c,
            id,
            slug: w.direction.as_str(),
            running,
            cancelling: running && w.stop.presses() > 0,
            done: progress.results.len(),
            total: progress.total,
            outcomes: progress
                .results
                .iter()
                .map(|r| outcome_of(ctx.lang, r))
                .collect(),
            stale,
            run_id,
            // Once the run is over, an email not sent says more than a pause that ended.
            note: email.or_else(|| progress.note.as_ref().map(|n| said::note(ctx.lang, n))),
            error,
        },
    )
}

/// How often a live run's events look at its progress: well inside the second within which
/// an outcome is to be shown after its write (issue 17, Performance).
const EVENTS_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// One employee's outcome as a row of the outcomes table, sent to the live run page.
#[derive(Template)]
#[template(path = "outcome_row.html")]
struct OutcomeRow {
    o: OutcomeView,
}

#[derive(Deserialize)]
struct EventsQuery {
    /// Outcomes the page already shows.
    from: Option<usize>,
}

/// The live run as server-sent events: `outcome` (a table row, its id the count of outcomes
/// so far) as each employee is written, `note` when the run waits or warns, and `end` once the
/// run is over (the page then reloads into its result). A reconnecting browser resumes after
/// its `Last-Event-ID`.
async fn run_events(
    State(app): AppState,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    let Some(w) = app.wizards.get(&id, ctx.user()) else {
        return gone(&ctx);
    };
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let feed = Feed {
        w,
        lang: ctx.lang,
        sent: resumed.or(q.from).unwrap_or(0),
        note: None,
        pending: std::collections::VecDeque::new(),
        ended: false,
    };
    event_stream(futures_util::stream::unfold(feed, Feed::next))
}

/// One browser's view of a live run, read from the run's [`core::Progress`] snapshots.
struct Feed {
    w: Arc<Wizard>,
    lang: Lang,
    /// Outcomes sent (or already on the page).
    sent: usize,
    note: Option<core::Note>,
    pending: std::collections::VecDeque<Event>,
    ended: bool,
}

impl Feed {
    async fn next(mut self) -> Option<(Result<Event, std::convert::Infallible>, Feed)> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some((Ok(e), self));
            }
            if self.ended {
                return None;
            }
            // The stage before the snapshot: once the run is over, the snapshot taken after
            // holds every outcome, so none is missed before `end`.
            let running = matches!(*self.w.stage(), Stage::Running);
            let progress = self.w.progress.snapshot();
            for r in progress.results.iter().skip(self.sent) {
                self.sent += 1;
                let row = OutcomeRow {
                    o: outcome_of(self.lang, r),
                }
                .render()
                .unwrap_or_default();
                self.pending.push_back(
                    Event::default()
                        .event("outcome")
                        .id(self.sent.to_string())
                        .data(row.replace('\r', "")),
                );
            }
            if progress.note != self.note {
                self.note = progress.note;
                if let Some(n) = &self.note {
                    let said = said::note(self.lang, n);
                    self.pending
                        .push_back(Event::default().event("note").data(said.replace('\r', "")));
                }
            }
            if !running {
                self.pending
                    .push_back(Event::default().event("end").data("end"));
                self.ended = true;
            } else if self.pending.is_empty() {
                tokio::time::sleep(EVENTS_EVERY).await;
            }
        }
    }
}
