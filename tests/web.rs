//! The dashboard over HTTP, in-process (the router answers `oneshot` requests): the security
//! layer, the pages, and a wizard run that writes exactly the reviewed selection.

mod web_support;

use axum::http::{StatusCode, header};
use crewsync::history::RunLock;
use crewsync::web::{App, Settings, WebError};
use web_support::{Client, Dashboard, Env, LISTEN, PASSWORD, config, util};

fn link_dashboard(env: &Env) -> Dashboard {
    Dashboard::new(config(env), LISTEN, None)
}

async fn logged_in(d: &Dashboard, name: &str) -> Client {
    let mut c = d.client();
    c.log_in_with_link(d, name).await;
    c
}

#[test]
fn any_address_but_loopback_needs_a_password() {
    let env = Env::empty();
    let start = |listen: &str, password: Option<&str>| {
        App::new(
            Settings {
                config: config(&env),
                listen: listen.parse().unwrap(),
                password: password.map(crewsync::http::Secret::new),
                public_url: None,
            },
            Box::new(|_| {}),
        )
        .map(|_| ())
    };
    assert!(matches!(
        start("0.0.0.0:8765", None),
        Err(WebError::OpenWithoutPassword(_))
    ));
    assert!(matches!(
        start("192.168.1.10:8765", None),
        Err(WebError::OpenWithoutPassword(_))
    ));
    assert!(matches!(
        start("0.0.0.0:8765", Some("short")),
        Err(WebError::ShortPassword)
    ));
    assert!(start("0.0.0.0:8765", Some(PASSWORD)).is_ok());
    assert!(start("127.0.0.1:8765", None).is_ok());
    let refusal = start("0.0.0.0:8765", None).unwrap_err().to_string();
    assert!(refusal.contains("CREWSYNC_DASHBOARD_PASSWORD"), "{refusal}");
}

#[test]
fn every_page_but_login_needs_a_session() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = d.client();
        for path in [
            "/",
            "/history",
            "/sync/smarthr-to-kot",
            "/wizard/x/list",
            "/nowhere",
        ] {
            let a = c.get(path).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(a.location(), "/login", "{path}");
        }
        let a = c.get("/login").await;
        assert_eq!(a.status, StatusCode::OK);
        // Without the link, the login page only says where to find it.
        assert!(!a.body.contains("name=\"name\""), "{}", a.body);
        let a = c.get("/assets/app.css").await;
        assert_eq!(a.status, StatusCode::OK);
    });
}

#[test]
fn the_access_link_works_once_and_announces_the_next() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let first = d.link();
        let mut c = d.client();
        c.log_in_with_link(&d, "山田 花子").await;
        let home = c.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.body.contains("連携ダッシュボード"));
        assert!(home.body.contains("山田 花子"));

        let mut other = d.client();
        let again = other.get(&first).await;
        assert_eq!(again.status, StatusCode::FORBIDDEN);
        assert_ne!(d.link(), first, "a new link is announced when one is used");
        let wrong = other.get("/access/0123456789abcdef").await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN);
        assert!(
            !wrong.body.contains("0123456789abcdef"),
            "the token is not echoed"
        );
        // Naming oneself needs a session that has just opened the link: a logged-in session
        // (whose link is spent) cannot take another name by posting the form.
        let csrf = c.get("/").await.csrf();
        let a = c
            .post("/login", &[("csrf", &csrf), ("name", "mallory")])
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        let home = c.get("/").await;
        assert!(home.body.contains("山田 花子") && !home.body.contains("mallory"));
        assert_eq!(other.get("/").await.status, StatusCode::SEE_OTHER);
    });
}

#[test]
fn the_password_login_checks_the_password_and_never_shows_it() {
    let env = Env::empty();
    let d = Dashboard::new(config(&env), "0.0.0.0:8765", Some(PASSWORD));
    env.block_on(async {
        let mut c = d.client();
        let form = c.get("/login").await;
        assert!(form.body.contains("type=\"password\""));
        let wrong = c
            .post(
                "/login",
                &[
                    ("csrf", &form.csrf()),
                    ("name", "sato"),
                    ("password", "guess-guess-guess"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(!wrong.body.contains("guess-guess-guess"));
        assert!(!wrong.body.contains(PASSWORD));
        let right = c
            .post(
                "/login",
                &[
                    ("csrf", &wrong.csrf()),
                    ("name", "sato"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(right.status, StatusCode::SEE_OTHER);
        let home = c.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(!home.body.contains(PASSWORD));
        assert!(
            d.links.lock().unwrap().is_empty(),
            "no access link with a password"
        );
    });
}

#[test]
fn the_session_cookie_is_http_only_and_same_site_strict() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = d.client();
        let a = c.get(&d.link()).await;
        let cookie = a.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        assert!(
            !a.location().contains("access"),
            "the token leaves the address bar"
        );
    });
}

#[test]
fn state_changing_requests_need_the_csrf_token() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let home = c.get("/").await;
        let csrf = home.csrf();
        for form in [vec![], vec![("csrf", "0000")]] {
            let a = c
                .post(
                    "/sync/smarthr-to-kot",
                    &[&form[..], &[("as_of", "2026-04-01")]].concat(),
                )
                .await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{form:?}");
            let a = c.post("/logout", &form).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{form:?}");
        }
        // Still logged in: the refused logout did nothing.
        assert_eq!(c.get("/").await.status, StatusCode::OK);
        // Another session's token is not this one's.
        let other = logged_in(&d, "suzuki").await;
        let mut other = other;
        let theirs = other.get("/").await.csrf();
        assert_ne!(theirs, csrf);
        assert_eq!(
            c.post("/logout", &[("csrf", &theirs)]).await.status,
            StatusCode::FORBIDDEN
        );
        let a = c.post("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
        // The login form itself carries the token.
        let mut fresh = d.client();
        let a = fresh.post("/login", &[("name", "x")]).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    });
}

#[test]
fn a_post_from_another_origin_is_refused() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let csrf = c.get("/").await.csrf();
        let body = format!("csrf={csrf}");
        let r = axum::http::Request::post("/logout")
            .header(header::HOST, LISTEN)
            .header(header::COOKIE, c.cookie.clone().unwrap())
            .header(header::ORIGIN, "http://evil.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body))
            .unwrap();
        assert_eq!(c.send(r).await.status, StatusCode::FORBIDDEN);
        // A browser's own word that the form came from another site.
        let r = axum::http::Request::post("/logout")
            .header(header::HOST, LISTEN)
            .header(header::COOKIE, c.cookie.clone().unwrap())
            .header("sec-fetch-site", "cross-site")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!("csrf={csrf}")))
            .unwrap();
        assert_eq!(c.send(r).await.status, StatusCode::FORBIDDEN);
        assert_eq!(c.get("/").await.status, StatusCode::OK);
    });
}

#[test]
fn only_the_bound_names_are_answered() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        for host in ["evil.example", "evil.example:8765", "127.0.0.1:9999", ""] {
            c.host = host.to_string();
            let a = c.get("/").await;
            assert_eq!(a.status, StatusCode::MISDIRECTED_REQUEST, "Host: {host:?}");
            assert!(!a.body.contains("連携"), "Host: {host:?}");
        }
        c.host = "localhost:8765".into();
        assert_eq!(c.get("/").await.status, StatusCode::OK);
    });
}

#[test]
fn every_answer_forbids_framing_inline_code_and_referrers() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        for path in ["/", "/login", "/history", "/assets/app.js", "/nowhere"] {
            let a = c.get(path).await;
            let h = |n: header::HeaderName| {
                a.headers
                    .get(&n)
                    .unwrap_or_else(|| panic!("{path}: no {n}"))
                    .to_str()
                    .unwrap()
                    .to_string()
            };
            let csp = h(header::CONTENT_SECURITY_POLICY);
            assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
            assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
            assert_eq!(h(header::X_FRAME_OPTIONS), "DENY", "{path}");
            assert_eq!(h(header::REFERRER_POLICY), "no-referrer", "{path}");
            assert_eq!(h(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{path}");
        }
        let page = c.get("/").await.body;
        assert!(!page.contains("<script>"), "no inline script");
        assert!(!page.contains("style="), "no inline style");
    });
}

#[test]
fn english_when_the_browser_prefers_it() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let ja = c.get("/").await.body;
        assert!(ja.contains("同期を開始") && ja.contains("連携履歴"));
        c.lang = Some("en-GB,en;q=0.9,ja;q=0.5".into());
        let en = c.get("/").await.body;
        assert!(
            en.contains("Start sync") && en.contains("Sync history"),
            "{en}"
        );
        assert!(!en.contains("同期を開始"));
    });
}

/// Step 1 → fetch → step 2 → the list, for `direction`; returns the wizard's list path.
async fn to_the_list(c: &mut Client, direction: &str, defaults: &[(&str, &str)]) -> String {
    let step1 = c.get(&format!("/sync/{direction}")).await;
    assert_eq!(step1.status, StatusCode::OK);
    assert!(step1.body.contains("情報取得基準日"));
    let csrf = step1.csrf();
    let a = c
        .post(
            &format!("/sync/{direction}"),
            &[("csrf", &csrf), ("as_of", util::AS_OF)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{a:?}");
    let defaults_page = c
        .wait_for(a.location(), |a| a.body.contains("name=\"office\""))
        .await;
    let wizard = defaults_page
        .body
        .split("action=\"/wizard/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("the wizard id")
        .to_string();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(defaults);
    let a = c.post(&format!("/wizard/{wizard}/defaults"), &form).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    format!("/wizard/{wizard}/list")
}

/// [`to_the_list`] into KOT with the defaults every test here uses.
async fn to_kot_list(c: &mut Client) -> String {
    let defaults = [("office", "本社"), ("employment_type", "正社員")];
    to_the_list(c, "smarthr-to-kot", &defaults).await
}

/// The plan's row index behind `pick-CODE` on a list page.
fn index_of(page: &str, code: &str) -> String {
    let at = page
        .find(&format!("id=\"pick-{code}\""))
        .unwrap_or_else(|| panic!("{code} cannot be ticked on this page"));
    let before = &page[..at];
    let v = before.rfind("value=\"").unwrap() + 7;
    before[v..].split('"').next().unwrap().to_string()
}

fn new_codes(env: &Env) -> Vec<String> {
    let plan = env.plan(
        "smarthr-to-kot",
        &[
            "--office",
            "本社",
            "--employment-type",
            "正社員",
            "--status",
            "new",
        ],
    );
    util::codes(&plan["rows"])
        .into_iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn a_run_writes_exactly_the_ticked_rows_and_records_the_web_user() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    let new = new_codes(&env);
    assert!(
        new.len() >= 2,
        "the sample company has new employees for KOT: {new:?}"
    );
    env.block_on(async {
        let mut c = logged_in(&d, "人事 太郎").await;
        let list = to_kot_list(&mut c).await;
        // Nothing ticked, then one new row ticked of the two.
        let csrf = c.get("/").await.csrf();
        let a = c
            .post(
                &list,
                &[("csrf", &csrf), ("status", "all"), ("go", "clear-filtered")],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let page = c.get(&format!("{list}?status=new")).await;
        assert!(
            page.body.contains(">0 名を選択中<"),
            "nothing ticked after clearing"
        );
        let (first, second) = (index_of(&page.body, &new[0]), index_of(&page.body, &new[1]));
        let a = c
            .post(
                &list,
                &[
                    ("csrf", &csrf),
                    ("status", "new"),
                    ("shown", &first),
                    ("shown", &second),
                    ("pick", &first),
                    ("go", "confirm"),
                ],
            )
            .await;
        let confirm = c.get(a.location()).await;
        assert!(confirm.body.contains("従業員情報を同期します"));
        assert!(confirm.body.contains(&new[0]));
        assert!(!confirm.body.contains(&new[1]));
        let run = list.replace("/list", "/run");
        let a = c.post(&run, &[("csrf", &csrf)]).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let done = c
            .wait_for(&run, |a| {
                a.body.contains("id=\"finished\"") || a.body.contains("class=\"message error\"")
            })
            .await;
        assert!(done.body.contains("id=\"finished\""), "{}", done.body);
        let result = done.body.split("href=\"/history/").nth(1).unwrap();
        let run_id = result.split('"').next().unwrap();
        let detail = c.get(&format!("/history/{run_id}")).await;
        assert!(detail.body.contains("人事 太郎"), "who is the web user");
        assert!(!detail.body.contains(crewsync::sim::KOT_TOKEN));
        assert!(!detail.body.contains(crewsync::sim::SMARTHR_TOKEN));
    });
    assert_eq!(env.kot_with_code(&new[0]).len(), 1);
    assert!(
        env.kot_with_code(&new[1]).is_empty(),
        "an unticked row is not written"
    );
    let still_new = new_codes(&env);
    assert_eq!(still_new.len(), new.len() - 1, "{still_new:?}");
    let history = env
        .cmd(&["history", "--format", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(history[0]["user"], "人事 太郎");
    assert_eq!(history[0]["counts"]["created"], 1);
    assert_eq!(
        history[0]["counts"]["updated"], 0,
        "no changed row was ticked"
    );
}

#[test]
fn a_row_changed_after_review_is_reported_and_nothing_is_written() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    let new = new_codes(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_kot_list(&mut c).await;
        let csrf = c.get("/").await.csrf();
        let a = c
            .post(
                &list,
                &[("csrf", &csrf), ("status", "new"), ("go", "clear-filtered")],
            )
            .await;
        let page = c.get(a.location()).await;
        let first = index_of(&page.body, &new[0]);
        let second = index_of(&page.body, &new[1]);
        c.post(
            &list,
            &[
                ("csrf", &csrf),
                ("shown", &first),
                ("shown", &second),
                ("pick", &first),
                ("pick", &second),
                ("go", "save"),
            ],
        )
        .await;
        // Someone creates one of them in KOT in the meantime.
        env.kot_employee(util::kot(&new[0], "先回", "登録", serde_json::json!({})));
        let run = list.replace("/list", "/run");
        c.post(&run, &[("csrf", &csrf)]).await;
        let done = c
            .wait_for(&run, |a| !a.body.contains("id=\"run-progress\""))
            .await;
        assert!(done.body.contains("id=\"stale\""), "{}", done.body);
        assert!(done.body.contains(&new[0]));
    });
    assert!(
        env.kot_with_code(&new[1]).is_empty(),
        "nothing is written when a row is stale"
    );
}

/// Into KOT's list, ticking every new row; returns the wizard's run path and the CSRF token.
async fn tick_every_new_row(c: &mut Client) -> (String, String) {
    let list = to_kot_list(c).await;
    let csrf = c.get("/").await.csrf();
    let a = c
        .post(
            &list,
            &[
                ("csrf", &csrf),
                ("status", "new"),
                ("go", "select-filtered"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    (list.replace("/list", "/run"), csrf)
}

#[test]
fn a_run_is_refused_while_another_holds_the_lock() {
    let env = Env::sample();
    let config = config(&env);
    let d = Dashboard::new(config.clone(), LISTEN, None);
    let new = new_codes(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (run, csrf) = tick_every_new_row(&mut c).await;
        let held = RunLock::acquire(&config.history).unwrap();
        let refused = c.post(&run, &[("csrf", &csrf)]).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(
            refused.body.contains("別の同期が実行中です"),
            "{}",
            refused.body
        );
        no_english_error(&refused.body);
        drop(held);
    });
    assert!(env.kot_with_code(&new[0]).is_empty());
}

#[test]
fn the_list_filters_searches_and_pages_on_the_server() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_the_list(&mut c, "kot-to-smarthr", &[("office", "本社")]).await;
        let all = c.get(&list).await;
        assert!(all.body.contains("新規登録 ("), "{}", all.body);
        assert!(all.body.contains("差分あり ("));
        assert!(all.body.contains("差分なし ("));
        // Changed fields: old struck through, new inserted.
        let changed = c.get(&format!("{list}?status=changed")).await;
        assert!(
            changed.body.contains("<del class=\"old\">"),
            "{}",
            changed.body
        );
        assert!(changed.body.contains("<ins class=\"new\">"));
        // Unchanged rows cannot be ticked.
        let unchanged = c.get(&format!("{list}?status=unchanged")).await;
        assert!(!unchanged.body.contains("name=\"pick\""));
        assert!(unchanged.body.contains("class=\"row unchanged\""));
        // More than a page: page 2 exists and shows other rows.
        let p1 = c.get(&format!("{list}?status=all&page=1")).await;
        assert!(
            p1.body.contains("id=\"next-page\""),
            "the sample company is more than a page"
        );
        let p2 = c.get(&format!("{list}?status=all&page=2")).await;
        let first_code = |b: &str| web_support::attr_after(b, "data-code=\"").unwrap();
        assert_ne!(first_code(&p1.body), first_code(&p2.body));
        // A search by code finds that employee alone.
        let code = first_code(&p2.body);
        let found = c.get(&format!("{list}?status=all&q={code}")).await;
        assert_eq!(
            found.body.matches("data-code=").count(),
            1,
            "{}",
            found.body
        );
    });
}

/// Step 1's form posted with `as_of`; returns the answer (a redirect to the fetch page when
/// the date was read).
async fn start_with(c: &mut Client, direction: &str, as_of: &str) -> web_support::Answer {
    let csrf = c.get(&format!("/sync/{direction}")).await.csrf();
    c.post(
        &format!("/sync/{direction}"),
        &[("csrf", &csrf), ("as_of", as_of)],
    )
    .await
}

/// A page must not say the CLI's English sentence (or name a CLI flag) to a Japanese reader.
fn no_english_error(page: &str) {
    for english in [
        "is not a date",
        "does not exist",
        "hint:",
        "--office",
        "--force",
        "current)",
        "another crewsync apply",
        "max_changes allows",
    ] {
        assert!(!page.contains(english), "{english:?} on the page: {page}");
    }
}

#[test]
fn a_bad_reference_date_is_said_in_the_page_s_language_with_the_value() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let ja = start_with(&mut c, "smarthr-to-kot", "2026-13-45").await;
        assert_eq!(ja.status, StatusCode::BAD_REQUEST, "{}", ja.body);
        assert!(
            ja.body.contains("「2026-13-45」は日付として読めません")
                && ja.body.contains("YYYY-MM-DD"),
            "{}",
            ja.body
        );
        no_english_error(&ja.body);
        c.lang = Some("en".into());
        let en = start_with(&mut c, "smarthr-to-kot", "2026-13-45").await;
        assert!(
            en.body.contains("2026-13-45") && en.body.contains("is not a date"),
            "{}",
            en.body
        );
    });
}

#[test]
fn an_unknown_office_is_said_in_japanese_naming_it_and_the_one_meant() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let a = start_with(&mut c, "smarthr-to-kot", util::AS_OF).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let defaults = c
            .wait_for(a.location(), |a| a.body.contains("name=\"office\""))
            .await;
        let csrf = defaults.csrf();
        let action = defaults
            .body
            .split("action=\"")
            .find(|s| s.starts_with("/wizard/"))
            .and_then(|s| s.split('"').next())
            .expect("the defaults form")
            .to_string();
        // A form value the list did not offer (a stale page, a hand-made request).
        let page = c
            .post(&action, &[("csrf", &csrf), ("office", "本杜")])
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
        assert!(
            page.body.contains("「本杜」はKING OF TIMEにありません")
                && page.body.contains("「本社」のことですか"),
            "{}",
            page.body
        );
        no_english_error(&page.body);
    });
}

#[test]
fn where_an_office_came_from_is_said_in_the_page_s_language() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_kot_list(&mut c).await;
        let page = c.get(&format!("{list}?status=new")).await.body;
        assert!(page.contains("決定元: 手順2の既定値"), "{page}");
        let page = c.get(&format!("{list}?status=changed")).await.body;
        assert!(page.contains("決定元: 現在の値"), "{page}");
        no_english_error(&page);
    });
}

#[test]
fn the_mass_change_guard_is_said_in_the_page_s_language() {
    let env = Env::sample();
    let mut config = config(&env);
    config.max_changes = Some(crewsync::config::MaxChanges::Count(1));
    let d = Dashboard::new(config, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (run, csrf) = tick_every_new_row(&mut c).await;
        let refused = c.post(&run, &[("csrf", &csrf)]).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(
            refused.body.contains("連携の上限（max_changes") && refused.body.contains("名中1件"),
            "{}",
            refused.body
        );
        no_english_error(&refused.body);
    });
}
