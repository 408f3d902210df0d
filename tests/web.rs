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
        assert!(
            again.body.contains("使用済み") && again.body.contains("最新のリンク"),
            "a used link says so and points to the newest: {}",
            again.body
        );
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
            assert!(
                a.body.contains("ページを再読み込みして"),
                "said in the page's language: {}",
                a.body
            );
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
        let step1 = c.get("/sync/smarthr-to-kot").await.body;
        assert!(
            step1.contains("SmartHR to KING OF TIME sync (1/3)"),
            "the wizard's English title reads as words: {step1}"
        );
    });
}

/// Step 1 → fetch → step 2 → the list, for `direction`; returns the wizard's list path.
async fn to_the_list(c: &mut Client, direction: &str, defaults: &[(&str, &str)]) -> String {
    let (wizard, csrf) = fetched(c, direction).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(defaults);
    let a = c.post(&format!("/wizard/{wizard}/defaults"), &form).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    format!("/wizard/{wizard}/list")
}

/// Step 1 → fetch, up to step 2's form; returns the wizard's id and the CSRF token.
async fn fetched(c: &mut Client, direction: &str) -> (String, String) {
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
    (wizard, csrf)
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
        let a = press_sync(&mut c, &run, &csrf).await;
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
        // Every employee of the plan is accounted for: the unticked new one among those not
        // synced, and the invalid ones with why.
        let left = detail
            .body
            .split("id=\"left-out\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no employees not synced: {}", detail.body));
        assert!(
            left.contains(&new[1]) && left.contains("選択されていません"),
            "{left}"
        );
        assert!(left.contains("同期できません"), "{left}");
        assert!(
            detail.body.contains("office=本社, employment_type=正社員"),
            "the defaults by name, as the CLI records them, not the form's ids: {}",
            detail.body
        );
        assert!(!detail.body.contains(crewsync::sim::KOT_TOKEN));
        assert!(!detail.body.contains(crewsync::sim::SMARTHR_TOKEN));
        // The list of runs counts the employees not synced too, not only what was written.
        let counts = &env
            .cmd(&["history", "--format", "json"])
            .run()
            .expect(0)
            .json()[0]["counts"];
        let left = ["invalid", "not_selected", "excluded"]
            .iter()
            .map(|k| counts[k].as_u64().unwrap())
            .sum::<u64>();
        assert!(
            left >= 2,
            "the unticked new row and the invalid ones: {counts}"
        );
        let runs = c.get("/history").await.body;
        assert!(
            runs.contains(&format!("同期しなかった従業員 {left}")),
            "{runs}"
        );
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

/// The codes on every page of the confirmation page of the wizard at `list`, and page 1.
async fn confirmation(c: &mut Client, list: &str) -> (Vec<String>, web_support::Answer) {
    let first = c.get(&list.replace("/list", "/confirm")).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let mut codes = Vec::new();
    let mut page = first.body.clone();
    loop {
        codes.extend(
            page.split("data-code=\"")
                .skip(1)
                .filter_map(|s| s.split('"').next())
                .map(str::to_string),
        );
        let Some(at) = page.find("id=\"next-page\"") else {
            break;
        };
        let href = page[..at].rfind("href=\"").unwrap() + 6;
        let next = page[href..].split('"').next().unwrap().to_string();
        page = c.get(&next).await.body;
    }
    (codes, first)
}

/// Issue 13, item 9, on the dashboard: a row the rules' selection ticked that the list never
/// showed (hidden by the 新規登録 filter) is on the confirmation page with its changes, first
/// and marked; every chosen row is listed, a page at a time; and 同期 writes exactly the rows
/// listed there, or nothing if the ticks changed after the page was shown.
#[test]
fn the_confirmation_page_lists_every_chosen_row_with_its_changes_and_the_run_writes_them() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    let new = new_codes(&env);
    let changed_plan = env.plan(
        "smarthr-to-kot",
        &util::TO_KOT_DEFAULTS
            .iter()
            .copied()
            .chain(["--status", "changed"])
            .collect::<Vec<_>>(),
    );
    let changed = &changed_plan["rows"][0];
    let changed_code = changed["code"].as_str().unwrap().to_string();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_kot_list(&mut c).await;
        // Only the new rows are ever shown on the list, then 確認.
        let shown = c.get(&format!("{list}?status=new")).await;
        assert!(
            !shown
                .body
                .contains(&format!("data-code=\"{changed_code}\""))
        );
        let csrf = shown.csrf();
        let a = c
            .post(
                &list,
                &[("csrf", &csrf), ("status", "new"), ("go", "confirm")],
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let (listed, first) = confirmation(&mut c, &list).await;
        // The changed row comes first, marked, with each change old → new.
        assert!(
            first.body.contains("id=\"unseen\"") && first.body.contains("一覧で表示していない"),
            "{}",
            first.body
        );
        let row = first
            .body
            .split(&format!("data-code=\"{changed_code}\""))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("{changed_code} is not on page 1: {}", first.body));
        assert!(row.contains("一覧で未表示"), "{row}");
        for change in changed["changes"].as_array().unwrap() {
            let old = change["old"].as_str().unwrap_or("（空）");
            assert!(
                row.contains(&format!("<del class=\"old\">{old}</del>")),
                "{row}"
            );
            match change["new"].as_str() {
                Some(v) => assert!(
                    row.contains(&format!("<ins class=\"new\">{v}</ins>")),
                    "{row}"
                ),
                None => assert!(row.contains("class=\"clear\""), "{row}"),
            }
        }
        // Every chosen row, and only those: all new and changed rows were pre-ticked.
        let mut expected: Vec<String> = new.clone();
        expected.extend(
            util::codes(&changed_plan["rows"])
                .into_iter()
                .map(str::to_string),
        );
        let mut sorted = listed.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(
            sorted, expected,
            "the confirmation lists every chosen row once"
        );
        // Ticks changed in another tab after the page was shown: nothing is written.
        let selection =
            web_support::attr_after(&first.body, "name=\"selection\" value=\"").unwrap();
        let run = list.replace("/list", "/run");
        let csrf = first.csrf();
        c.post(
            &list,
            &[("csrf", &csrf), ("status", "new"), ("go", "clear-filtered")],
        )
        .await;
        let refused = c
            .post(&run, &[("csrf", &csrf), ("selection", &selection)])
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(
            refused.body.contains("選択が変わりました"),
            "{}",
            refused.body
        );
        assert!(new_codes(&env).len() == new.len(), "nothing written");
        // 同期 from the page as now shown writes exactly what it lists.
        let (listed, first) = confirmation(&mut c, &list).await;
        assert!(!listed.iter().any(|code| new.contains(code)), "{listed:?}");
        let selection =
            web_support::attr_after(&first.body, "name=\"selection\" value=\"").unwrap();
        let a = c
            .post(&run, &[("csrf", &csrf), ("selection", &selection)])
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let done = c
            .wait_for(&run, |a| a.body.contains("id=\"result-link\""))
            .await;
        let run_id = web_support::attr_after(&done.body, "href=\"/history/").unwrap();
        let detail = crewsync::history::History::open(&config(&env).history)
            .unwrap()
            .show(&run_id)
            .unwrap();
        let mut written: Vec<String> = detail
            .employees
            .iter()
            .filter(|e| e.outcome == Some(crewsync::apply::Outcome::Ok))
            .map(|e| e.code.clone())
            .collect();
        written.sort();
        let mut listed = listed;
        listed.sort();
        assert_eq!(written, listed, "同期 writes exactly the rows listed");
    });
}

/// Issue 13, item 8, on the dashboard: a name holding `ESC [2K`, a carriage return and a bidi
/// override (which a browser obeys: it reorders what follows) is shown escaped on the list,
/// the confirmation, the run's result and the history, as on the terminal; it is written
/// exactly.
#[test]
fn record_text_on_the_pages_shows_its_control_characters() {
    let env = Env::empty();
    let hostile = "山田\u{1b}[2K\r\u{202e}";
    let escaped = "山田\\u{1b}[2K\\u{d}\\u{202e}";
    env.crew(util::crew("0040", hostile, "太郎", serde_json::json!({})));
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "人事 太郎").await;
        let list = to_kot_list(&mut c).await;
        let shows = |what: &str, page: &str| {
            assert!(
                !page.contains(['\u{1b}', '\r', '\u{202e}']),
                "{what} holds raw control characters: {page:?}"
            );
            assert!(page.contains(escaped), "{what}: {page}");
        };
        shows("the list", &c.get(&list).await.body);
        shows("the search", &c.get(&format!("{list}?q=0040")).await.body);
        let confirm = list.replace("/list", "/confirm");
        shows("the confirmation", &c.get(&confirm).await.body);
        let csrf = c.get("/").await.csrf();
        let run = list.replace("/list", "/run");
        let a = press_sync(&mut c, &run, &csrf).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        let done = c
            .wait_for(&run, |a| a.body.contains("id=\"finished\""))
            .await;
        shows("the result", &done.body);
        let result = done.body.split("href=\"/history/").nth(1).unwrap();
        let run_id = result.split('"').next().unwrap();
        shows(
            "the run's history",
            &c.get(&format!("/history/{run_id}")).await.body,
        );
    });
    assert_eq!(env.kot_with_code("0040")[0]["lastName"], hostile);
}

/// Issue 13, item 3, on the dashboard: six crews whose email a SmartHR token cannot read (null)
/// while KOT holds their addresses. The list says once that the field looks unreadable, marks
/// each clear as one, and a run of every row keeps every address.
#[test]
fn the_list_says_an_unreadable_field_once_marks_clears_and_the_run_keeps_them() {
    let env = Env::empty();
    let codes = ["0001", "0002", "0003", "0004", "0005", "0006"];
    for code in codes {
        let null = serde_json::json!({"email": null});
        env.crew(util::crew(code, "山田", "太郎", null));
        env.kot_employee(util::kot(code, "山田", "太郎", serde_json::json!({})));
    }
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "人事 太郎").await;
        let list = to_kot_list(&mut c).await;
        let page = c.get(&list).await.body;
        assert_eq!(
            page.matches("class=\"message warning unreadable\"").count(),
            1,
            "{page}"
        );
        assert!(page.contains("権限がない可能性が高い"), "{page}");
        assert_eq!(page.matches("class=\"clear\">✗ 削除<").count(), 6, "{page}");
        let csrf = c.get("/").await.csrf();
        let run = list.replace("/list", "/run");
        let a = press_sync(&mut c, &run, &csrf).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER);
        c.wait_for(&run, |a| a.body.contains("id=\"finished\""))
            .await;
    });
    for code in codes {
        assert_eq!(
            env.kot_with_code(code)[0]["emailAddresses"],
            serde_json::json!([format!("{code}@example.com")])
        );
    }
}

#[test]
fn a_row_created_in_the_target_after_review_is_stale_and_the_rest_is_written() {
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
        press_sync(&mut c, &run, &csrf).await;
        let done = c
            .wait_for(&run, |a| !a.body.contains("id=\"run-progress\""))
            .await;
        assert!(done.body.contains("id=\"stale\""), "{}", done.body);
        let stale = stale_list(&done.body);
        assert!(
            stale.contains(&new[0]) && !stale.contains(&new[1]),
            "{stale}"
        );
    });
    assert_eq!(
        env.kot_with_code(&new[0]).len(),
        1,
        "the stale row is not created twice"
    );
    assert_eq!(
        env.kot_with_code(&new[1]).len(),
        1,
        "the rows still as reviewed are written"
    );
}

/// The run page's list of stale rows, empty when it has none.
fn stale_list(page: &str) -> &str {
    let after = page.split("id=\"stale\"").nth(1).unwrap_or_default();
    after.split("</ul>").next().unwrap_or_default()
}

/// The saved-plan path of `apply --plan`: a target record edited between the review and 同期
/// is stale, reported not attempted, and left as edited.
#[test]
fn a_target_edited_between_review_and_sync_is_stale_and_not_written() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    let code = "00080";
    let email_before = env.crews_with_code(code)[0]["email"].clone();
    let mut c = env.block_on(logged_in(&d, "sato"));
    let list = env.block_on(async {
        let defaults = [("office", "本社")];
        let (list, _) = ticked(&mut c, "kot-to-smarthr", &defaults, "changed").await;
        let page = c.get(&format!("{list}?status=changed")).await;
        assert!(
            page.body.contains(code),
            "{code} is a changed row: {}",
            page.body
        );
        list
    });
    env.edit_crew(code, crewsync::model::Field::LastName, "編集済");
    let run_id = env.block_on(async {
        let csrf = c.get("/").await.csrf();
        let run = list.replace("/list", "/run");
        press_sync(&mut c, &run, &csrf).await;
        let done = c
            .wait_for(&run, |a| !a.body.contains("id=\"run-progress\""))
            .await;
        assert!(
            stale_list(&done.body).contains(code),
            "{code} is reported stale: {}",
            done.body
        );
        let id = done.body.split("href=\"/history/").nth(1);
        id.and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no run recorded: {}", done.body))
            .to_string()
    });
    let crew = &env.crews_with_code(code)[0];
    assert_eq!(crew["last_name"], "編集済", "the edit stays");
    assert_eq!(crew["email"], email_before, "the stale row is not written");
    let detail = crewsync::history::History::open(&config(&env).history)
        .unwrap()
        .show(&run_id)
        .unwrap();
    let record = detail
        .employees
        .iter()
        .find(|e| e.code == code)
        .expect("the stale row is recorded");
    assert_eq!(record.outcome, Some(crewsync::apply::Outcome::NotAttempted));
    let why = record.error.as_deref().unwrap_or_default();
    assert!(why.starts_with("stale: "), "{why}");
    assert!(
        detail
            .employees
            .iter()
            .any(|e| e.outcome == Some(crewsync::apply::Outcome::Ok)),
        "the other changed rows are written: {detail:#?}"
    );
    assert!(
        detail.summary.selection.contains("(plan "),
        "{}",
        detail.summary.selection
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
        let refused = press_sync(&mut c, &run, &csrf).await;
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
    // Recorded as the CLI records its refusals: the admin sees it in the history.
    let history = env
        .cmd(&["history", "--format", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(history[0]["status"], "refused", "{history:#}");
    assert_eq!(history[0]["user"], "sato");
    // Its result page says why it did not start, as `history show` does.
    let id = history[0]["id"].as_str().unwrap().to_string();
    let note = history[0]["note"].as_str().unwrap().to_string();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let detail = c.get(&format!("/history/{id}")).await.body;
        let refusal = element_with_id(&detail, "p", "refusal");
        assert!(refusal.contains("開始できませんでした"), "{refusal}");
        assert!(refusal.contains(&note), "{refusal}");
    });
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
        // Where each office came from, in the page's words: the target's current one for an
        // existing employee, step 2's default for a new one.
        assert!(
            changed.body.contains("決定元: 連携先の現在の値"),
            "{}",
            changed.body
        );
        let new = c.get(&format!("{list}?status=new")).await;
        assert!(
            new.body.contains("決定元: ステップ2の既定値"),
            "{}",
            new.body
        );
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
        assert!(!found.body.contains("id=\"no-rows\""), "{}", found.body);
        // A search that finds nobody says so; a status the list has no filter for is refused,
        // not shown as every row.
        let none = c.get(&format!("{list}?status=all&q=zzz-nobody")).await;
        assert_eq!(none.status, StatusCode::OK);
        assert!(
            none.body.contains("条件に合う従業員はいません"),
            "{}",
            none.body
        );
        let bogus = c.get(&format!("{list}?status=bogus")).await;
        assert_eq!(bogus.status, StatusCode::BAD_REQUEST, "{}", bogus.body);
        assert!(
            bogus.body.contains("「bogus」という状態はありません"),
            "{}",
            bogus.body
        );
        // Typed full-width, as a Japanese keyboard may, it is the same code.
        let wide: String = code
            .chars()
            .map(|ch| {
                char::from_u32(ch as u32 + 0xFEE0)
                    .filter(|_| ch.is_ascii_digit())
                    .unwrap_or(ch)
            })
            .collect();
        let query = serde_urlencoded::to_string([("status", "all"), ("q", wide.as_str())]).unwrap();
        let found = c.get(&format!("{list}?{query}")).await;
        assert!(
            found.body.contains(&format!("data-code=\"{code}\"")),
            "{wide}: {}",
            found.body
        );
    });
}

/// A rules folder in the test's folder with one script, set in the configuration.
fn configured_rules(env: &Env, script: &str) -> std::path::PathBuf {
    let dir = env.dir.path().join("rules");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("offices.rhai"), script).unwrap();
    env.write_config(&format!("rules: {}\n", dir.display()));
    dir
}

#[test]
fn broken_rules_stop_the_wizard_before_anything_is_fetched() {
    let env = Env::sample();
    configured_rules(&env, "fn office(e) { return \"本社\" \n");
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let csrf = c.get("/sync/smarthr-to-kot").await.csrf();
        let a = c
            .post(
                "/sync/smarthr-to-kot",
                &[("csrf", &csrf), ("as_of", util::AS_OF)],
            )
            .await;
        let page = c
            .wait_for(a.location(), |a| a.body.contains("class=\"message error\""))
            .await;
        assert!(page.body.contains("offices.rhai"), "{}", page.body);
    });
    assert_eq!(
        env.sims.smarthr.request_count() + env.sims.kot.request_count(),
        0,
        "a rule typo costs no download"
    );
}

#[test]
fn a_run_records_the_rules_as_loaded_not_as_edited_since() {
    let env = Env::sample();
    let dir = configured_rules(&env, "fn office(e) { () }\n");
    let loaded = crewsync::rules::Rules::load(&dir).unwrap();
    let d = link_dashboard(&env);
    let run_id = env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (wizard, csrf) = fetched(&mut c, "smarthr-to-kot").await;
        // Edited after the wizard loaded the rules, before its plan and run.
        std::fs::write(dir.join("offices.rhai"), "fn office(e) { \"本社\" }\n").unwrap();
        let form = [
            ("csrf", csrf.as_str()),
            ("office", "本社"),
            ("employment_type", "正社員"),
        ];
        let a = c.post(&format!("/wizard/{wizard}/defaults"), &form).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let list = format!("/wizard/{wizard}/list");
        c.post(
            &list,
            &[
                ("csrf", &csrf),
                ("status", "new"),
                ("go", "select-filtered"),
            ],
        )
        .await;
        let run = list.replace("/list", "/run");
        press_sync(&mut c, &run, &csrf).await;
        let done = c
            .wait_for(&run, |a| !a.body.contains("id=\"run-progress\""))
            .await;
        let id = done.body.split("href=\"/history/").nth(1);
        id.and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no run recorded: {}", done.body))
            .to_string()
    });
    let edited = crewsync::rules::Rules::load(&dir).unwrap();
    assert_ne!(edited.fingerprint(), loaded.fingerprint());
    let detail = crewsync::history::History::open(&config(&env).history)
        .unwrap()
        .show(&run_id)
        .unwrap();
    assert_eq!(detail.rules.as_deref(), Some(loaded.fingerprint()));
}

/// Starts the run of the wizard at `list` on a slow KOT (each write takes a while, so the run
/// is still going when cancelled) and presses 同期を中止する once the first employee is written;
/// the run page while it runs, and once it is over.
async fn cancelled_after_first_write(
    env: &Env,
    c: &mut Client,
    list: &str,
    csrf: &str,
) -> (web_support::Answer, web_support::Answer) {
    env.sims
        .kot
        .faults()
        .delay_writes(0, std::time::Duration::from_millis(700));
    let run = list.replace("/list", "/run");
    press_sync(c, &run, csrf).await;
    let running = c
        .wait_for(&run, |a| {
            a.body
                .contains("同期しています: <span id=\"done\">1</span> 件完了")
        })
        .await;
    assert!(running.body.contains("id=\"cancel\""), "{}", running.body);
    let a = c
        .post(&list.replace("/list", "/cancel"), &[("csrf", csrf)])
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{a:?}");
    let page = c.get(&run).await;
    assert!(
        page.body.contains("id=\"cancelling\"") || !page.body.contains("id=\"run-progress\""),
        "{}",
        page.body
    );
    let done = c
        .wait_for(&run, |a| !a.body.contains("id=\"run-progress\""))
        .await;
    (running, done)
}

#[test]
fn cancelling_a_running_apply_records_it_stopped_with_the_rest_not_attempted() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    let run_id = env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (list, csrf) = every_row_ticked(&mut c).await;
        let (_, done) = cancelled_after_first_write(&env, &mut c, &list, &csrf).await;
        let id = done.body.split("href=\"/history/").nth(1);
        id.and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("no run recorded: {}", done.body))
            .to_string()
    });
    env.sims.kot.faults().clear();
    let detail = crewsync::history::History::open(&config(&env).history)
        .unwrap()
        .show(&run_id)
        .unwrap();
    assert_eq!(detail.summary.status, crewsync::history::RunStatus::Stopped);
    let note = detail.summary.note.clone().unwrap_or_default();
    assert!(
        note.starts_with("stopped by the user (cancelled in the dashboard)"),
        "{note}"
    );
    // What to do next in the library's words: the dashboard's runs name no CLI flag.
    assert!(
        note.ends_with(&crewsync::error::Advice::ApplyAgain.to_string()) && !note.contains("--"),
        "{note}"
    );
    let outcome = |o| {
        detail
            .employees
            .iter()
            .filter(|e| e.outcome == Some(o))
            .count()
    };
    let written = outcome(crewsync::apply::Outcome::Ok);
    let not_attempted: Vec<_> = detail
        .employees
        .iter()
        .filter(|e| e.outcome == Some(crewsync::apply::Outcome::NotAttempted))
        .collect();
    assert!(written >= 1, "the writes before the cancel are kept");
    assert!(!not_attempted.is_empty(), "{detail:#?}");
    assert_eq!(written + not_attempted.len(), detail.employees.len());
    for e in &not_attempted {
        let why = e.error.as_deref().unwrap_or_default();
        assert!(why.contains("cancelled in the dashboard"), "{why}");
    }
}

/// The guards are the workflow's, not each front end's: `max_changes` refuses the dashboard's
/// run with the CLI's own count (employees written plus fields cleared) and limit, said in
/// the page's language.
#[test]
fn max_changes_refuses_the_dashboard_as_it_refuses_the_cli() {
    let env = Env::sample();
    env.write_config("max_changes: 1\n");
    let cli = env
        .cmd(&util::apply_to_kot(&["--select", "all", "--yes"]))
        .run()
        .expect(1);
    let numbers = regex::Regex::new(
        r"apply would make (\d+) changes .* more than max_changes allows \((\d+) of a roster of (\d+)\)",
    )
    .unwrap();
    let caps = numbers
        .captures(&cli.stderr)
        .unwrap_or_else(|| panic!("{}", cli.stderr));
    let said = format!(
        "{}件の変更は、連携の上限（max_changes: {}名中{}件）を超えます",
        &caps[1], &caps[3], &caps[2]
    );
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (list, csrf) = every_row_ticked(&mut c).await;
        let refused = press_sync(&mut c, &list.replace("/list", "/run"), &csrf).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(refused.body.contains(&said), "{said}\n{}", refused.body);
    });
}

/// A reviewed plan older than `plan_max_age_hours` is refused at 同期 as `apply --plan`
/// refuses a saved one: nothing written, said in the page's language with the limit, with a
/// way back to fetch again, and recorded as refused.
#[test]
fn a_review_older_than_plan_max_age_is_refused_with_a_way_back_to_fetch() {
    let env = Env::sample();
    let mut config = config(&env);
    // Any review is older than this by the time it is synced.
    config.plan_max_age = std::time::Duration::from_millis(1);
    let d = Dashboard::new(config, LISTEN, None);
    let before = env.sims.kot.employees().len();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (list, csrf) = every_row_ticked(&mut c).await;
        let run = list.replace("/list", "/run");
        let refused = press_sync(&mut c, &run, &csrf).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(
            refused
                .body
                .contains("時間たっています（上限 plan_max_age_hours: 0.0時間）"),
            "{}",
            refused.body
        );
        assert!(
            refused
                .body
                .contains("id=\"refetch\" href=\"/sync/smarthr-to-kot\""),
            "a way back to step 1: {}",
            refused.body
        );
        no_english_error(&refused.body);
        assert!(!refused.body.contains("was made at"), "{}", refused.body);
        // The same in English for an English reader.
        c.lang = Some("en".into());
        let en = press_sync(&mut c, &run, &csrf).await;
        assert_eq!(en.status, StatusCode::CONFLICT);
        assert!(
            en.body.contains("older than plan_max_age_hours allows")
                && en.body.contains("Fetch the employees again"),
            "{}",
            en.body
        );
    });
    assert_eq!(env.sims.kot.employees().len(), before, "nothing is written");
    let history = env
        .cmd(&["history", "--format", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(history[0]["status"], "refused", "{history}");
}

/// Presses 同期 on the confirmation page of the wizard whose run path is `run`: posts its
/// form as the page shows it (with the selection it lists).
async fn press_sync(c: &mut Client, run: &str, csrf: &str) -> web_support::Answer {
    let confirm = c.get(&run.replace("/run", "/confirm")).await;
    let selection =
        web_support::attr_after(&confirm.body, "name=\"selection\" value=\"").unwrap_or_default();
    c.post(run, &[("csrf", csrf), ("selection", &selection)])
        .await
}

/// [`to_kot_list`] with every new and changed row ticked; the list path and a CSRF token.
async fn every_row_ticked(c: &mut Client) -> (String, String) {
    let defaults = [("office", "本社"), ("employment_type", "正社員")];
    ticked(c, "smarthr-to-kot", &defaults, "all").await
}

/// [`to_the_list`], then every tickable row of `status` ticked; the list path and a CSRF token.
async fn ticked(
    c: &mut Client,
    direction: &str,
    defaults: &[(&str, &str)],
    status: &str,
) -> (String, String) {
    let list = to_the_list(c, direction, defaults).await;
    let csrf = c.get("/").await.csrf();
    let a = c
        .post(
            &list,
            &[
                ("csrf", &csrf),
                ("status", status),
                ("go", "select-filtered"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{a:?}");
    (list, csrf)
}

/// The dashboard's state card: each service's line (`reach-smarthr`, `reach-kot`) and the
/// rules line, with their class.
fn state_line<'a>(page: &'a str, id: &str) -> &'a str {
    element_with_id(page, "li", id)
}

/// The `<tag>` element with `id` on a page, up to its closing tag.
fn element_with_id<'a>(page: &'a str, tag: &str, id: &str) -> &'a str {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} on the page: {page}"));
    let start = page[..at].rfind(&format!("<{tag}")).unwrap();
    let end = at + page[at..].find(&format!("</{tag}>")).unwrap();
    &page[start..end]
}

#[test]
fn the_dashboard_says_each_service_answers_with_its_token() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let home = c.get("/").await.body;
        for id in ["reach-smarthr", "reach-kot"] {
            let line = state_line(&home, id);
            assert!(line.contains("class=\"ok\""), "{line}");
            assert!(line.contains("トークンで接続できます"), "{line}");
        }
        assert!(state_line(&home, "rules").contains("ルールフォルダは設定されていません"));
        c.lang = Some("en".into());
        let home = c.get("/").await.body;
        assert!(state_line(&home, "reach-kot").contains("KING OF TIME: answers with its token"));
        assert!(!home.contains(crewsync::sim::KOT_TOKEN));
        assert!(!home.contains(crewsync::sim::SMARTHR_TOKEN));
        // The answer is kept for a while: another look asks neither service again.
        let asked = |env: &Env| {
            (
                env.sims.smarthr.request_count(),
                env.sims.kot.request_count(),
            )
        };
        let before = asked(&env);
        c.get("/").await;
        assert_eq!(asked(&env), before, "the checks are cached");
    });
}

/// An access window KOT keeps but the configuration does not list: the state card does not
/// say KOT is available while KOT refuses the check for its window.
#[test]
fn a_window_kot_keeps_but_the_configuration_does_not_list_is_not_called_available() {
    let env = Env::empty();
    env.sims.kot.faults().access_window_after_requests(0);
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let home = c.get("/").await.body;
        assert!(
            state_line(&home, "reach-kot").contains("アクセス制限時間帯"),
            "{home}"
        );
        let window = state_line(&home, "window");
        assert!(window.contains("class=\"warn\""), "{window}");
        assert!(!window.contains("利用できます"), "{window}");
        assert!(window.contains("maintenance_windows"), "{window}");
    });
}

#[test]
fn a_refused_token_is_shown_in_the_pages_language_and_never_the_token() {
    let env = Env::empty();
    let mut config = config(&env);
    let wrong = "not-the-kot-token-4f1c";
    config.kot.token_given = Some(crewsync::http::Secret::new(wrong));
    let d = Dashboard::new(config, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let home = c.get("/").await.body;
        let kot = state_line(&home, "reach-kot");
        assert!(kot.contains("class=\"warn\""), "{kot}");
        assert!(kot.contains("トークンが受け付けられませんでした"), "{kot}");
        let smarthr = state_line(&home, "reach-smarthr");
        assert!(smarthr.contains("class=\"ok\""), "{smarthr}");
        c.lang = Some("en".into());
        let home = c.get("/").await.body;
        assert!(
            state_line(&home, "reach-kot").contains("the token was refused"),
            "{home}"
        );
        assert!(!home.contains(wrong), "the token is never shown");
    });
}

/// The example rules in the test's folder `name`, with `edit` applied to one of their test
/// files.
fn example_rules(
    env: &Env,
    name: &str,
    test_file: &str,
    edit: impl Fn(String) -> String,
) -> std::path::PathBuf {
    let dir = env.dir.path().join(name);
    crewsync::rules::write_examples(&dir).unwrap();
    let file = dir.join("tests").join(test_file);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, edit(text)).unwrap();
    dir
}

#[test]
fn the_dashboard_runs_the_rule_tests_and_names_the_failing_ones() {
    let env = Env::empty();
    let mut good = config(&env);
    let dir = example_rules(&env, "rules", "offices.yaml", |t| t);
    good.rules = Some(dir.clone());
    let d = Dashboard::new(good.clone(), LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let home = c.get("/").await.body;
        let rules = state_line(&home, "rules");
        assert!(rules.contains("class=\"ok\""), "{rules}");
        assert!(rules.contains("すべて成功"), "{rules}");
        assert!(rules.contains(&dir.display().to_string()), "{rules}");
    });
    // One expectation made wrong: the case fails, and the dashboard names it.
    let mut broken = good;
    broken.rules = Some(example_rules(&env, "broken", "offices.yaml", |t| {
        t.replacen("office: 大阪支社", "office: 札幌支社", 1)
    }));
    let d = Dashboard::new(broken, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let home = c.get("/").await.body;
        let rules = state_line(&home, "rules");
        assert!(rules.contains("class=\"warn\""), "{rules}");
        assert!(
            rules.contains("ルールのテストが失敗しています: 1 / "),
            "{rules}"
        );
        assert!(
            rules.contains("the sales department goes to the Osaka division in KOT"),
            "{rules}"
        );
    });
}

#[test]
fn step_2_lists_what_the_rules_decide_instead_of_the_defaults() {
    let env = Env::sample();
    let mut with_rules = config(&env);
    with_rules.rules = Some(example_rules(&env, "rules", "offices.yaml", |t| t));
    let d = Dashboard::new(with_rules, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_kot_list(&mut c).await;
        let step2 = c.get(&list.replace("/list", "/defaults")).await.body;
        let decisions = step2
            .split("id=\"rule-decisions\"")
            .nth(1)
            .unwrap_or_else(|| panic!("no rule decisions on step 2: {step2}"));
        assert!(decisions.contains("data-code="), "{decisions}");
        assert!(decisions.contains("30_offices.rhai"), "{decisions}");
        // The list says which rule decided.
        let new = c.get(&format!("{list}?status=new")).await.body;
        assert!(new.contains("決定元: rules/30_offices.rhai"), "{new}");
    });
}

#[test]
fn the_list_shows_invalid_rows_with_their_reason() {
    let env = Env::one_of_each("sato@example.com");
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_kot_list(&mut c).await;
        let invalid = c.get(&format!("{list}?status=invalid")).await.body;
        assert!(invalid.contains("class=\"row invalid\""), "{invalid}");
        assert!(invalid.contains("class=\"problem\""), "{invalid}");
        assert!(
            invalid.contains("性別が必要です"),
            "the reason names the field, in the page's language: {invalid}"
        );
        assert!(
            !invalid.contains("name=\"pick\""),
            "an invalid row cannot be ticked"
        );
    });
}

/// A new hire with no office is invalid, and the list says why in the page's language with the
/// wizard's step 2 as the remedy, never the CLI's flag.
#[test]
fn a_new_hire_without_an_office_is_said_in_the_pages_language_without_a_flag() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_the_list(&mut c, "kot-to-smarthr", &[]).await;
        let invalid = c.get(&format!("{list}?status=invalid")).await.body;
        assert!(
            invalid.contains(
                "<div class=\"problem\">新しい従業員の所属事業所が決まっていません。ステップ2で既定値を選ぶか、ルールで決めてください</div>"
            ),
            "{invalid}"
        );
        no_english_error(&invalid);
        assert!(!invalid.contains("for a new employee"), "{invalid}");

        c.lang = Some("en-GB,en;q=0.9".into());
        let en = c.get(&format!("{list}?status=invalid")).await.body;
        assert!(
            en.contains("Office not decided for a new employee: choose a default in step 2 or decide it in a rule"),
            "{en}"
        );
        assert!(!en.contains("--office"), "{en}");
    });
}

/// Reads server-sent events from `body` until `want` is one of them; every event so far, as
/// (event, id, data).
async fn read_events(
    body: &mut axum::body::BodyDataStream,
    seen: &mut String,
    want: &str,
) -> Vec<(String, String, String)> {
    use futures_util::StreamExt;
    loop {
        let events = parse_events(seen);
        if events.iter().any(|(e, ..)| e == want) {
            return events;
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(60), body.next())
            .await
            .unwrap_or_else(|_| panic!("no '{want}' event within a minute: {seen}"))
            .unwrap_or_else(|| panic!("the stream ended before '{want}': {seen}"))
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// Every complete event in `text` (an event ends with a blank line).
fn parse_events(text: &str) -> Vec<(String, String, String)> {
    let complete = &text[..text.rfind("\n\n").map_or(0, |i| i + 2)];
    complete
        .split("\n\n")
        .filter_map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .filter_map(|l| l.strip_prefix(name))
                    .map(str::trim_start)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let event = field("event:");
            (!event.is_empty()).then(|| (event, field("id:"), field("data:")))
        })
        .collect()
}

/// Step 1/3's fetch is followed as the run is: server-sent `progress` events carry the
/// counts of each roster (in the page's language) as they grow, and `end` once the fetch is
/// over; without scripts the page still reloads itself.
#[test]
fn the_fetch_page_streams_its_progress() {
    let env = Env::sample();
    let mut config = config(&env);
    // SmartHR below answers one request a second: the fetch takes seconds, long enough to
    // see its page while it goes on.
    config.smarthr.max_retries = Some(20);
    let d = Dashboard::new(config, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        env.sims.smarthr.set_limits(crewsync::sim::SimLimits {
            per_second: Some(1),
            ..Default::default()
        });
        let a = start_with(&mut c, "smarthr-to-kot", util::AS_OF).await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{a:?}");
        let fetch = a.location().to_string();
        let page = c.get(&fetch).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        assert!(
            page.body
                .contains(&format!("data-events=\"{fetch}/events\"")),
            "the script's hook: {}",
            page.body
        );
        assert!(
            page.body.contains("<noscript><meta http-equiv=\"refresh\""),
            "without scripts the page still reloads itself: {}",
            page.body
        );
        assert_eq!(
            page.body.matches("http-equiv=\"refresh\"").count(),
            1,
            "only without scripts: {}",
            page.body
        );
        let events = c.open(&format!("{fetch}/events")).await;
        assert_eq!(events.status(), StatusCode::OK);
        assert_eq!(
            events.headers()[header::CONTENT_TYPE].to_str().unwrap(),
            "text/event-stream"
        );
        let mut body = events.into_body().into_data_stream();
        let mut seen = String::new();
        let all = read_events(&mut body, &mut seen, "end").await;
        let progress: Vec<&str> = all
            .iter()
            .filter(|(e, ..)| e == "progress")
            .map(|(_, _, data)| data.as_str())
            .collect();
        let last = progress.last().unwrap_or_else(|| panic!("{all:?}"));
        for roster in ["SmartHRの従業員: ", "KING OF TIMEの従業員: "] {
            assert!(last.contains(roster), "{roster} in {last}");
        }
        assert!(
            last.starts_with("<li>") && last.contains("件取得"),
            "{last}"
        );
        assert!(
            !last.contains("crews"),
            "the library's English label: {last}"
        );
        assert_eq!(all.last().unwrap().0, "end");
        // Once it is over, the page leads on to step 2.
        let after = c.get(&fetch).await;
        assert_eq!(after.status, StatusCode::SEE_OTHER);
        assert!(after.location().ends_with("/defaults"), "{after:?}");
    });
}

#[test]
fn the_run_page_streams_each_outcome_as_it_is_written() {
    let env = Env::sample();
    let mut config = config(&env);
    // KOT below accepts two requests a second: the client learns the pace after a refusal or
    // two, and the run takes seconds, long enough to watch.
    config.kot.max_retries = Some(20);
    let d = Dashboard::new(config, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_kot_list(&mut c).await;
        let csrf = c.get("/").await.csrf();
        c.post(
            &list,
            &[
                ("csrf", &csrf),
                ("status", "all"),
                ("go", "select-filtered"),
            ],
        )
        .await;
        let chosen = c.get(&list.replace("/list", "/confirm")).await.body;
        let chosen = chosen.matches("data-code=").count();
        assert!(chosen >= 4, "enough writes to watch: {chosen}");
        env.sims.kot.set_limits(crewsync::sim::SimLimits {
            per_second: Some(2),
            ..Default::default()
        });
        let run = list.replace("/list", "/run");
        assert_eq!(
            press_sync(&mut c, &run, &csrf).await.status,
            StatusCode::SEE_OTHER
        );
        let page = c.get(&run).await.body;
        assert!(page.contains("data-events=\""), "the script's hook: {page}");
        assert!(
            page.contains("<noscript><meta http-equiv=\"refresh\""),
            "without scripts the page still reloads itself: {page}"
        );
        let events = c.open(&list.replace("/list", "/events")).await;
        assert_eq!(events.status(), StatusCode::OK);
        assert_eq!(
            events.headers()[header::CONTENT_TYPE].to_str().unwrap(),
            "text/event-stream"
        );
        let mut body = events.into_body().into_data_stream();
        let mut seen = String::new();
        let first = read_events(&mut body, &mut seen, "outcome").await;
        // The first outcome arrives while the run is still writing the others.
        let now = c.get(&run).await.body;
        assert!(
            now.contains("id=\"run-progress\""),
            "the first outcome came only after the run ended: {first:?}"
        );
        let all = read_events(&mut body, &mut seen, "end").await;
        let outcomes: Vec<_> = all.iter().filter(|(e, ..)| e == "outcome").collect();
        assert_eq!(outcomes.len(), chosen, "one event per employee: {all:?}");
        for (i, (_, id, data)) in outcomes.iter().enumerate() {
            assert_eq!(id, &(i + 1).to_string(), "ids count the outcomes");
            assert!(data.starts_with("<tr class="), "{data}");
        }
        assert_eq!(all.last().unwrap().0, "end");
        // A browser that reconnects after the third outcome gets the rest only.
        let again = c.open(&list.replace("/list", "/events?from=3")).await;
        let mut body = again.into_body().into_data_stream();
        let mut seen = String::new();
        let rest = read_events(&mut body, &mut seen, "end").await;
        let resent = rest.iter().filter(|(e, ..)| e == "outcome").count();
        assert_eq!(resent, chosen - 3, "{rest:?}");
        // The finished page shows every outcome and no longer reloads.
        let done = c.get(&run).await.body;
        assert_eq!(done.matches("<tr class=").count(), chosen, "{done}");
        assert!(!done.contains("http-equiv=\"refresh\""));
    });
}

// ---------------------------------------------------------------- 連携履歴 (issue 17 §7)

/// 24 runs that update 00123's email (`old{i}@example.com` → `new{i}@example.com`), then one
/// that creates 00999, recorded in `config`'s history as applies record them; their ids,
/// oldest first.
fn seed_history(config: &crewsync::config::Config) -> Vec<crewsync::history::RunId> {
    use crewsync::apply::Action;
    use crewsync::history::{History, PlannedWrite};
    use crewsync::model::Field;
    use crewsync::plan::Change;
    let history = History::open(&config.history).unwrap();
    let lock = RunLock::acquire(&config.history).unwrap();
    let write = |code: &str, action, change: Change| PlannedWrite {
        code: code.into(),
        name: "佐藤 太郎".into(),
        action,
        fields: vec![change.field],
        changes: vec![change],
    };
    let runs = (0..24)
        .map(|i| {
            let email = |side: &str| Some(format!("{side}{i}@example.com"));
            write(
                "00123",
                Action::Update,
                Change {
                    field: Field::Email,
                    old: email("old"),
                    new: email("new"),
                },
            )
        })
        .chain([write(
            "00999",
            Action::Create,
            Change {
                field: Field::LastName,
                old: None,
                new: Some("佐藤".into()),
            },
        )]);
    runs.map(|w| written_run(&history, &lock, &w, vec![]))
        .collect()
}

/// A run of 人事 太郎's that wrote `w`, holding back clearing `not_cleared`, as an apply
/// records it; its id.
fn written_run(
    history: &crewsync::history::History,
    lock: &RunLock,
    w: &crewsync::history::PlannedWrite,
    not_cleared: Vec<crewsync::model::Field>,
) -> crewsync::history::RunId {
    use crewsync::apply::{ApplyResult, Outcome};
    use crewsync::history::{RunEnd, RunStart};
    let start = RunStart {
        direction: crewsync::model::Direction::SmartHrToKot,
        as_of: util::date(util::AS_OF),
        user: "人事 太郎".into(),
        selection: "all".into(),
        defaults: "none".into(),
        rules: None,
        planned: vec![w.clone()],
        left_out: vec![],
        unchanged: 0,
    };
    let run = history.begin_run(lock, &start).unwrap();
    let result = ApplyResult {
        code: w.code.clone(),
        name: w.name.clone(),
        action: w.action,
        outcome: Outcome::Ok,
        error: None,
        why: None,
        failure: None,
        fields: w.fields.clone(),
        not_cleared,
    };
    history.record(&run, &result).unwrap();
    history.finish(&run, &RunEnd::default()).unwrap();
    run
}

/// A dashboard on a history of [`seed_history`]'s runs.
fn seeded() -> (Env, Dashboard, Vec<crewsync::history::RunId>) {
    let env = Env::empty();
    let config = config(&env);
    let runs = seed_history(&config);
    (env, Dashboard::new(config, LISTEN, None), runs)
}

/// Links to runs' 実行結果 on a page.
fn result_links(body: &str) -> usize {
    body.matches("href=\"/history/").count()
}

/// A clear the apply held back (the source could not read the field) is on the run's
/// 実行結果 and the employee's timeline, in the page's language, beside the outcome in the
/// history's words (issue 13 §3, issue 18 §7).
#[test]
fn a_held_back_clear_is_on_the_run_result_in_the_pages_language() {
    use crewsync::apply::Action;
    use crewsync::history::{History, PlannedWrite};
    use crewsync::model::Field;
    let env = Env::empty();
    let config = config(&env);
    let history = History::open(&config.history).unwrap();
    let lock = RunLock::acquire(&config.history).unwrap();
    let write = PlannedWrite {
        code: "00123".into(),
        name: "佐藤 太郎".into(),
        action: Action::Update,
        fields: vec![Field::LastName],
        changes: vec![],
    };
    let run = written_run(&history, &lock, &write, vec![Field::Email]);
    drop(lock);
    let d = Dashboard::new(config, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let ja = "メールアドレスは空にしませんでした（連携元で読み取れていないおそれがあるため）。";
        let page = unescaped(&c.get(&format!("/history/{run}")).await.body);
        assert!(page.contains(ja), "{page}");
        assert!(page.contains("<td class=\"outcome\">更新</td>"), "{page}");
        assert!(!page.contains("not cleared"), "{page}");
        let timeline = unescaped(&c.get("/history?code=00123").await.body);
        assert!(timeline.contains(ja), "{timeline}");
        c.lang = Some("en".into());
        let page = unescaped(&c.get(&format!("/history/{run}")).await.body);
        assert!(
            page.contains("not cleared: email (unreadable in the source)"),
            "{page}"
        );
        assert!(
            page.contains("<td class=\"outcome\">Updated</td>"),
            "{page}"
        );
    });
}

/// English of the history pages that must not appear on a Japanese one.
const ENGLISH: [&str; 6] = [
    "Last synced",
    "Total",
    "Search by employee code",
    "Created",
    "Updated",
    "no run",
];

#[test]
fn the_history_needs_a_login_for_its_pages_and_searches() {
    let env = Env::empty();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = d.client();
        for path in ["/history?page=2", "/history?code=00123", "/history/x"] {
            let a = c.get(path).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}");
            assert_eq!(a.location(), "/login", "{path}");
        }
    });
}

#[test]
fn the_history_comes_a_page_at_a_time_with_the_total_and_page_links() {
    let (env, d, runs) = seeded();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let first = c.get("/history").await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(result_links(&first.body), 20, "{}", first.body);
        assert!(first.body.contains("全件数: 25"), "{}", first.body);
        assert!(first.body.contains("ページ 1 / 2"), "{}", first.body);
        assert!(first.body.contains("href=\"/history?page=2\""));
        assert!(first.body.contains(runs[24].as_str()), "newest first");
        assert!(!first.body.contains(runs[4].as_str()));
        for english in ENGLISH {
            assert!(
                !first.body.contains(english),
                "{english} on a Japanese page"
            );
        }
        let second = c.get("/history?page=2").await;
        assert_eq!(second.status, StatusCode::OK);
        assert_eq!(result_links(&second.body), 5);
        assert!(second.body.contains(runs[0].as_str()));
        assert!(second.body.contains("href=\"/history?page=1\""));
        c.lang = Some("en".into());
        let en = c.get("/history?page=2").await;
        assert!(
            en.body.contains("Total: 25") && en.body.contains("Page 2 / 2"),
            "{}",
            en.body
        );
    });
}

#[test]
fn a_bad_page_number_or_code_gets_a_page_that_says_so() {
    let (env, d, _) = seeded();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        for (path, status, says) in [
            (
                "/history?page=abc",
                StatusCode::BAD_REQUEST,
                "ページ番号「abc」は使えません",
            ),
            (
                "/history?page=0",
                StatusCode::BAD_REQUEST,
                "ページ番号「0」",
            ),
            (
                "/history?page=-1",
                StatusCode::BAD_REQUEST,
                "ページ番号「-1」",
            ),
            (
                "/history?page=9",
                StatusCode::NOT_FOUND,
                "このページはありません。最後のページ: 2",
            ),
            (
                "/history?code=00123&page=7",
                StatusCode::NOT_FOUND,
                "最後のページ: 2",
            ),
            (
                "/history?code=%E2%80%8B",
                StatusCode::BAD_REQUEST,
                "社員番号を入力してください",
            ),
            (
                "/history/20990101-000000-zzzz",
                StatusCode::NOT_FOUND,
                "この実行結果は連携履歴にありません",
            ),
        ] {
            let a = c.get(path).await;
            assert_eq!(a.status, status, "{path}: {}", a.body);
            assert!(a.body.contains(says), "{path}: {}", a.body);
            // The history has runs: an error page does not also claim there are none.
            assert!(
                !a.body.contains("まだ同期していません"),
                "{path}: {}",
                a.body
            );
            for english in ENGLISH {
                assert!(!a.body.contains(english), "{path}: {english}");
            }
        }
        c.lang = Some("en".into());
        let a = c.get("/history?page=abc").await;
        assert!(
            a.body.contains("Page &#34;abc&#34; cannot be shown"),
            "{}",
            a.body
        );
    });
}

#[test]
fn a_search_by_code_shows_the_employees_timeline_with_links_to_each_result() {
    let (env, d, runs) = seeded();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let home = c.get("/history").await;
        assert!(home.body.contains("action=\"/history\"") && home.body.contains("name=\"code\""));
        // Typed with a leading space: found by the planner's key.
        let found = c.get("/history?code=+00123").await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.body);
        assert!(found.body.contains("社員番号 00123"), "{}", found.body);
        assert!(found.body.contains("最終同期"));
        assert!(found.body.contains("全件数: 24"), "{}", found.body);
        assert!(
            found.body.contains(
                "<del class=\"old\">old23@example.com</del> → <ins class=\"new\">new23@example.com</ins>"
            ),
            "{}",
            found.body
        );
        assert!(found.body.contains(&format!("href=\"/history/{}\"", runs[23])));
        assert!(!found.body.contains(runs[24].as_str()), "00999's run is not 00123's");
        assert!(found.body.contains("code=+00123&#38;page=2"), "the pages keep the search: {}", found.body.split("id=\"pager\"").nth(1).unwrap_or_default());
        for english in ENGLISH {
            assert!(!found.body.contains(english), "{english} on a Japanese page");
        }
        let older = c.get("/history?code=+00123&page=2").await;
        assert_eq!(older.status, StatusCode::OK);
        assert!(older.body.contains("old0@example.com"), "{}", older.body);
        let result = c.get(&format!("/history/{}", runs[23])).await;
        assert_eq!(result.status, StatusCode::OK);
        assert!(result.body.contains("実行結果") && result.body.contains("00123"));

        let nobody = c.get("/history?code=77777").await;
        assert_eq!(nobody.status, StatusCode::OK);
        assert!(nobody.body.contains("この社員番号の従業員を含む同期はありません"));
        c.lang = Some("en".into());
        let en = c.get("/history?code=00999").await;
        assert!(en.body.contains("Last synced") && en.body.contains("Created"), "{}", en.body);
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
        // A date, but none crewsync takes: said as out of range, not as unreadable.
        let far = start_with(&mut c, "smarthr-to-kot", "0001-01-01").await;
        assert_eq!(far.status, StatusCode::BAD_REQUEST, "{}", far.body);
        assert!(
            far.body.contains("「0001-01-01」は、crewsyncで扱える日付"),
            "{}",
            far.body
        );
        // A two-digit year is a short year, not a date out of range.
        let short = start_with(&mut c, "smarthr-to-kot", "26-04-01").await;
        assert_eq!(short.status, StatusCode::BAD_REQUEST, "{}", short.body);
        assert!(
            short.body.contains("「26-04-01」は年が短く") && short.body.contains("4桁"),
            "{}",
            short.body
        );
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
        let en = start_with(&mut c, "smarthr-to-kot", "26-04-01").await;
        assert!(
            en.body.contains("four digits, YYYY-MM-DD") && !en.body.contains("outside"),
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
fn the_mass_change_guard_is_said_in_the_page_s_language() {
    let env = Env::sample();
    let mut config = config(&env);
    config.max_changes = Some(crewsync::config::MaxChanges::Count(1));
    let d = Dashboard::new(config, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (run, csrf) = tick_every_new_row(&mut c).await;
        let refused = press_sync(&mut c, &run, &csrf).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(
            refused.body.contains("連携の上限（max_changes") && refused.body.contains("名中1件"),
            "{}",
            refused.body
        );
        no_english_error(&refused.body);
    });
}

/// A wizard page asked for out of order sends the person to the page of the wizard's stage,
/// never to another page that sends them back (a loop a browser gives up on).
#[test]
fn a_page_out_of_order_leads_to_the_wizards_current_step() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (wizard, _) = fetched(&mut c, "smarthr-to-kot").await;
        for page in ["confirm", "run", "list", "fetch"] {
            let a = c.get(&format!("/wizard/{wizard}/{page}")).await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{page}: {a:?}");
            assert_eq!(
                a.location(),
                format!("/wizard/{wizard}/defaults"),
                "{page} before step 2 is chosen"
            );
        }
    });
}

/// A list page number that is not one gets the page's own answer, in its language, not the
/// framework's English rejection.
#[test]
fn a_list_page_number_that_is_not_one_is_said_in_the_pages_language() {
    let env = Env::sample();
    let d = link_dashboard(&env);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let list = to_kot_list(&mut c).await;
        let a = c.get(&format!("{list}?page=abc")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(a.body.contains("ページ番号「abc」"), "{}", a.body);
        assert!(!a.body.contains("Failed to deserialize"), "{}", a.body);
        // Every paged page says a bad page number as 連携履歴 does: 0 is not a page, and a
        // page after the last is not shown as another one.
        let confirm = list.replace("/list", "/confirm");
        for page in [&list, &confirm, &"/history".to_string()] {
            let zero = c.get(&format!("{page}?page=0")).await;
            assert_eq!(
                zero.status,
                StatusCode::BAD_REQUEST,
                "{page}: {}",
                zero.body
            );
            assert!(
                zero.body.contains("ページ番号「0」は使えません"),
                "{page}: {}",
                zero.body
            );
            // A repeated parameter gets the page's own answer too, not the framework's.
            let twice = c.get(&format!("{page}?page=x&page=1")).await;
            assert_eq!(
                twice.status,
                StatusCode::BAD_REQUEST,
                "{page}: {}",
                twice.body
            );
            assert!(
                twice.body.contains("ページ番号「x」"),
                "{page}: {}",
                twice.body
            );
            let past = c.get(&format!("{page}?page=999")).await;
            assert_eq!(past.status, StatusCode::NOT_FOUND, "{page}: {}", past.body);
            assert!(
                past.body.contains("このページはありません。最後のページ: "),
                "{page}: {}",
                past.body
            );
        }
    });
}

// ---------------------------------------------------------------- the page's language for what the library says as data

/// Page text as a reader sees it: the escapes the templates write turned back, so that an
/// English sentence with an apostrophe or a quote is found as it reads.
fn unescaped(body: &str) -> String {
    body.replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Every kind of reason the history keeps as data, recorded in one run (and every way of
/// choosing employees in runs of their own), then read on the Japanese 実行結果 and timeline:
/// each in Japanese, none as the library's English sentence; the same page in English keeps
/// the English.
#[test]
fn every_reason_the_history_keeps_is_said_in_japanese_on_its_pages() {
    use crewsync::apply::{
        Action, ApplyResult, LeftKind, LeftOut, LeftWhy, NotPicked, NotWritten, Outcome, Picked,
        StaleWhy, StopHow, Stopped,
    };
    use crewsync::history::{History, PlannedWrite, RunEnd, RunStart};
    use crewsync::model::{Direction, Field, Service};
    use crewsync::plan::{Problem, RuleFailure, Status};
    let env = Env::empty();
    let config = config(&env);
    let history = History::open(&config.history).unwrap();
    let lock = RunLock::acquire(&config.history).unwrap();
    let stopped = [
        (
            Stopped::User {
                how: StopHow::Dashboard,
                before: "00002".into(),
            },
            "ダッシュボードで中止されたため、社員番号 00002 の前で同期を止めました",
        ),
        (
            Stopped::User {
                how: StopHow::CtrlC,
                before: "00003".into(),
            },
            "Ctrl-Cで中止されたため、社員番号 00003 の前で同期を止めました",
        ),
        (
            Stopped::Window {
                refusal: "KOT refused".into(),
                before: "00004".into(),
            },
            "KING OF TIMEのアクセス制限時間帯のため、社員番号 00004 の前で",
        ),
        (
            Stopped::WaitedOut {
                error: "waited too long".into(),
                before: "00005".into(),
            },
            "待てる上限（max_wait_minutes）を超えたため、社員番号 00005 の前で",
        ),
        (
            Stopped::Abandoned {
                how: StopHow::CtrlC,
                code: "00006".into(),
            },
            "書き込み中だった社員番号 00006 の書き込みを中断しました",
        ),
        (
            Stopped::Breaker {
                count: 3,
                key: "HTTP 500".into(),
            },
            "3名続けて同じサーバーエラー（HTTP 500）で失敗したため",
        ),
        (
            Stopped::NotRecorded {
                error: "disk full".into(),
            },
            "実行結果を連携履歴に記録できなかったため",
        ),
    ];
    let mut not_written: Vec<(NotWritten, &str)> = stopped
        .iter()
        .map(|(s, ja)| {
            (
                NotWritten::Stopped {
                    stopped: s.clone(),
                    here: true,
                },
                *ja,
            )
        })
        .collect();
    not_written.extend([
        (
            NotWritten::Stopped { stopped: stopped[0].0.clone(), here: false },
            "ダッシュボードで中止されたため、同期が止まり未実行です。",
        ),
        (NotWritten::Abandoned, "書き込み中に中断しました。反映されたかどうかは分かりません"),
        (
            NotWritten::NotCleared { fields: vec![Field::Email] },
            "メールアドレスを空にする変更は、連携元で読み取れていないおそれがあるため",
        ),
        (
            NotWritten::Stale {
                why: StaleWhy::NowExists { target: Service::Kot, code: "00090".into() },
            },
            "確認した後にKING OF TIMEに社員番号 00090 の従業員が登録されたため、書き込みませんでした",
        ),
        (
            NotWritten::Stale { why: StaleWhy::Gone { target: Service::Kot } },
            "確認した後にKING OF TIMEからこの従業員がなくなったため",
        ),
        (
            NotWritten::Stale {
                why: StaleWhy::Changed {
                    fields: vec![Field::LastName, Field::HireDate],
                    target: Service::Kot,
                },
            },
            "確認した後にKING OF TIMEで姓・入社日が変わったため",
        ),
        (
            NotWritten::WrittenSince { run: "20260401-000000-abcd".into() },
            "確認した後に別の同期（20260401-000000-abcd）がこの従業員を書き込んだため",
        ),
        (NotWritten::Unstarted { refused: true }, "同期を開始できなかったため未実行です。"),
        (
            NotWritten::Unstarted { refused: false },
            "書き込みの前に同期が中止されたため未実行です。",
        ),
    ]);
    let rule = |failure| Problem::Rule {
        location: Some("rules/o.rhai:3:7".into()),
        failure,
    };
    let problems: Vec<(Problem, &str)> = vec![
        (
            Problem::Undecided {
                field: Field::Office,
                target: Service::Kot,
            },
            "新しい従業員の所属事業所が決まっていません",
        ),
        (
            Problem::NoCode {
                source: Service::SmartHr,
            },
            "社員番号がありません。SmartHRで社員番号を入力してください",
        ),
        (
            Problem::SharedInSource {
                code: "00050".into(),
                uses: 2,
                source: Service::SmartHr,
            },
            "社員番号 00050 はSmartHRの2名が使っています",
        ),
        (
            Problem::SharedInTarget {
                code: "00051".into(),
                uses: 3,
                target: Service::Kot,
            },
            "社員番号 00051 はKING OF TIMEの3名が使っています。先にKING OF TIMEで重複を解消",
        ),
        (
            Problem::OddCode {
                code: "00052 ".into(),
                side: Service::SmartHr,
                other: Some((Service::Kot, "00052".into())),
            },
            "に末尾の空白（U+0020）があります（KING OF TIMEでは「00052」）",
        ),
        (
            Problem::CannotClear {
                field: Field::HireDate,
                target: Service::Kot,
                source: Service::SmartHr,
            },
            "KING OF TIMEでは入社日を空にできません",
        ),
        (
            Problem::MissingRequired {
                fields: vec![Field::LastName, Field::HireDate],
                target: Service::Kot,
                source: Service::SmartHr,
            },
            "KING OF TIMEに従業員を登録するには姓・入社日が必要です",
        ),
        (
            Problem::Gender {
                value: "x".into(),
                accepted: vec!["male".into(), "female".into()],
                target: Service::Kot,
                source: Service::SmartHr,
            },
            "性別「x」はKING OF TIMEでは使えません",
        ),
        (
            rule(RuleFailure::Said {
                message: "index out of bounds".into(),
            }),
            "ルール rules/o.rhai:3:7 のエラー: index out of bounds",
        ),
        (
            rule(RuleFailure::Override {
                field: Field::LastName,
                from: "rules/o.rhai:overrides".into(),
                problem: Box::new(Problem::CannotClear {
                    field: Field::LastName,
                    target: Service::Kot,
                    source: Service::SmartHr,
                }),
            }),
            "が姓に設定した値を使えません: KING OF TIMEでは姓を空にできません",
        ),
        (
            rule(RuleFailure::UnknownMaster {
                field: Field::Office,
                target: Service::Kot,
                value: "大坂".into(),
                from: "rules/o.rhai:office".into(),
                choices: "did you mean '大阪'? The choices: '大阪'".into(),
            }),
            "が決めたKING OF TIMEの所属事業所「大坂」はKING OF TIMEにありません",
        ),
    ];
    let mut left: Vec<(LeftWhy, &str)> = problems
        .iter()
        .map(|(p, ja)| {
            (
                LeftWhy::Invalid {
                    problems: vec![p.clone()],
                },
                *ja,
            )
        })
        .collect();
    left.extend([
        (
            LeftWhy::NotSelected {
                status: Status::New,
                how: NotPicked::Ticked,
            },
            "新規登録。選択されていません",
        ),
        (
            LeftWhy::NotSelected {
                status: Status::Changed,
                how: NotPicked::Codes,
            },
            "差分あり。指定された社員番号に含まれていません",
        ),
        (
            LeftWhy::NotSelected {
                status: Status::Changed,
                how: NotPicked::Auto {
                    rule: Some("rules/s.rhai:select".into()),
                },
            },
            "差分あり。ルールの自動選択で選ばれませんでした（rules/s.rhai:select）",
        ),
        (
            LeftWhy::NotSelected {
                status: Status::New,
                how: NotPicked::All,
            },
            "新規登録。選択されませんでした",
        ),
        (
            LeftWhy::Excluded {
                reason: "派遣社員".into(),
                from: "rules/x.rhai:exclude".into(),
            },
            "ルール（rules/x.rhai:exclude）で対象外: 派遣社員",
        ),
    ]);
    let write = |n: usize| PlannedWrite {
        code: format!("E{n:03}"),
        name: "佐藤 太郎".into(),
        action: Action::Update,
        fields: vec![Field::Email],
        changes: vec![],
    };
    let start = |selection: Picked, planned, left_out| RunStart {
        direction: Direction::SmartHrToKot,
        as_of: util::date(util::AS_OF),
        user: "人事 太郎".into(),
        selection,
        defaults: "none".into(),
        rules: None,
        planned,
        left_out,
        unchanged: 0,
    };
    let planned: Vec<PlannedWrite> = (0..not_written.len()).map(write).collect();
    let left_out: Vec<LeftOut> = left
        .iter()
        .enumerate()
        .map(|(n, (why, _))| {
            let kind = match why {
                LeftWhy::Invalid { .. } => LeftKind::Invalid,
                LeftWhy::NotSelected { .. } => LeftKind::NotSelected,
                LeftWhy::Excluded { .. } => LeftKind::Excluded,
            };
            LeftOut::new(
                kind,
                Some(format!("L{n:03}")),
                "鈴木 花子".into(),
                why.clone(),
                crewsync::error::Wording::OWN,
            )
        })
        .collect();
    let dashboard = Picked::Dashboard {
        plan: "20260401-000000-0001".into(),
    };
    let run = history
        .begin_run(&lock, &start(dashboard, planned.clone(), left_out))
        .unwrap();
    for (w, (why, _)) in planned.iter().zip(&not_written) {
        let result = ApplyResult {
            code: w.code.clone(),
            name: w.name.clone(),
            action: w.action,
            outcome: Outcome::NotAttempted,
            error: Some(why.to_string()),
            why: Some(why.clone()),
            failure: None,
            fields: w.fields.clone(),
            not_cleared: vec![],
        };
        history.record(&run, &result).unwrap();
    }
    history.finish(&run, &RunEnd::default()).unwrap();
    let selections = [
        (
            Picked::from("all"),
            "コマンドラインで新規登録・差分ありの全員を選択",
        ),
        (Picked::from("auto"), "コマンドラインでルールによる自動選択"),
        (
            Picked::from("00012,00013"),
            "コマンドラインで社員番号を指定: 00012,00013",
        ),
        (Picked::Terminal, "ターミナルで選択"),
        (
            Picked::SavedPlan {
                picked: Box::new(Picked::from("all")),
                plan: Some("20260401-000000-0002".into()),
                path: "plan.json".into(),
            },
            "コマンドラインで新規登録・差分ありの全員を選択（保存したプラン 20260401-000000-0002 plan.json）",
        ),
    ];
    let picked_runs: Vec<_> = selections
        .iter()
        .map(|(p, _)| {
            let id = history
                .begin_run(&lock, &start(p.clone(), vec![], vec![]))
                .unwrap();
            history.finish(&id, &RunEnd::default()).unwrap();
            id
        })
        .collect();
    drop(lock);
    let d = Dashboard::new(config, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let page = unescaped(&c.get(&format!("/history/{run}")).await.body);
        assert!(
            page.contains("ダッシュボードで選択（プラン 20260401-000000-0001）"),
            "{page}"
        );
        assert!(!page.contains("picked in the dashboard"), "{page}");
        for (why, ja) in &not_written {
            assert!(page.contains(ja), "{ja} for {why:?} in {page}");
            let en = why.to_string();
            assert!(!page.contains(en.lines().next().unwrap()), "{en} in {page}");
        }
        for (why, ja) in &left {
            assert!(page.contains(ja), "{ja} for {why:?} in {page}");
            assert!(!page.contains(&why.to_string()), "{why} in {page}");
        }
        for ((p, ja), id) in selections.iter().zip(&picked_runs) {
            let page = unescaped(&c.get(&format!("/history/{id}")).await.body);
            assert!(page.contains(ja), "{ja} in {page}");
            assert!(!page.contains(&format!("<dd>{p}</dd>")), "{p} in {page}");
        }
        // One employee's timeline says its reason in Japanese too.
        let timeline = unescaped(&c.get("/history?code=E000").await.body);
        assert!(timeline.contains(not_written[0].1), "{timeline}");
        let timeline = unescaped(&c.get("/history?code=L000").await.body);
        assert!(timeline.contains(left[0].1), "{timeline}");
        // In English, the library's own sentences.
        c.lang = Some("en".into());
        let page = unescaped(&c.get(&format!("/history/{run}")).await.body);
        assert!(
            page.contains("picked in the dashboard (plan 20260401-000000-0001)"),
            "{page}"
        );
        let stale = not_written[10].0.to_string();
        assert!(
            page.contains(stale.lines().next().unwrap()),
            "{stale} in {page}"
        );
    });
}

/// Runs of three or more English words on a page's text (tags set aside, each line on its
/// own): a library sentence that reached the page. The product name KING OF TIME is not one.
fn english_sentences(body: &str) -> Vec<String> {
    let text = regex::Regex::new(r"(?s)<[^>]*>")
        .unwrap()
        .replace_all(body, "\n");
    let text = unescaped(&text).replace("KING OF TIME", "KOT");
    let word = |t: &str| {
        let t = t.trim_matches(|c: char| ",.;:()\"'!?".contains(c));
        !t.is_empty()
            && t.chars().any(|c| c.is_ascii_alphabetic())
            && t.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '-' || c == '\'')
    };
    let mut found = Vec::new();
    for line in text.lines() {
        let mut run: Vec<&str> = Vec::new();
        for token in line.split_whitespace().chain([""]) {
            if word(token) {
                run.push(token);
                continue;
            }
            if run.len() >= 3 {
                found.push(run.join(" "));
            }
            run.clear();
        }
    }
    found
}

/// A whole walk in Japanese, both directions, with a run cancelled half-way, rows that cannot
/// be synced and a run recorded by the CLI in the history: no page shows a library sentence
/// in English.
#[test]
fn no_english_sentence_reaches_a_japanese_page_in_a_whole_walk() {
    // The scan finds what it is for.
    assert_eq!(
        english_sentences("<td>no employee code: give the employee a code in SmartHR</td>"),
        ["no employee code: give the employee a code in SmartHR"]
    );
    assert!(english_sentences("<td>KING OF TIMEの従業員</td><td>Smith John</td>").is_empty());
    let env = Env::sample();
    let d = link_dashboard(&env);
    let mut pages: Vec<(String, String)> = Vec::new();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let mut keep = |path: &str, body: String| pages.push((path.to_string(), body));
        keep("/", c.get("/").await.body);
        keep(
            "/sync/smarthr-to-kot",
            c.get("/sync/smarthr-to-kot").await.body,
        );
        // Into KOT, cancelled after the first write.
        let (list, csrf) = every_row_ticked(&mut c).await;
        keep(
            "defaults",
            c.get(&list.replace("/list", "/defaults")).await.body,
        );
        for status in ["all", "new", "changed", "unchanged", "invalid"] {
            let path = format!("{list}?status={status}");
            keep(&path, c.get(&path).await.body);
        }
        let confirm = list.replace("/list", "/confirm");
        keep(&confirm, c.get(&confirm).await.body);
        let run = list.replace("/list", "/run");
        let (running, stopped) = cancelled_after_first_write(&env, &mut c, &list, &csrf).await;
        keep(&run, running.body);
        assert!(
            stopped.body.contains("ダッシュボードで中止されたため"),
            "the stop said in Japanese: {}",
            stopped.body
        );
        keep(&run, stopped.body);
        env.sims.kot.faults().clear();
    });
    // The rest into KOT from the command line, recorded in the same history.
    let cli = env
        .cmd(&util::apply_to_kot(&["--select", "all", "--yes"]))
        .run();
    assert!([0, 2].contains(&cli.status), "{}", cli.stderr);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let mut keep = |path: &str, body: String| pages.push((path.to_string(), body));
        // Into SmartHR, every row written.
        let (list, csrf) = ticked(&mut c, "kot-to-smarthr", &[("office", "本社")], "all").await;
        for status in ["all", "new", "changed", "unchanged", "invalid"] {
            let path = format!("{list}?status={status}");
            keep(&path, c.get(&path).await.body);
        }
        let run = list.replace("/list", "/run");
        press_sync(&mut c, &run, &csrf).await;
        let done = c
            .wait_for(&run, |a| !a.body.contains("id=\"run-progress\""))
            .await;
        keep(&run, done.body);
        // The history: every run's 実行結果, and the timeline of each employee listed.
        let runs = c.get("/history").await.body;
        let ids: Vec<String> = runs
            .split("href=\"/history/")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(str::to_string)
            .collect();
        assert!(ids.len() >= 3, "both dashboard runs and the CLI's: {runs}");
        keep("/history", runs);
        for id in ids {
            let path = format!("/history/{id}");
            let detail = c.get(&path).await.body;
            let codes: Vec<String> = detail
                .split("<tr class=")
                .skip(1)
                .filter_map(|r| r.split("<td>").nth(1)?.split('<').next())
                .map(str::to_string)
                .take(3)
                .collect();
            keep(&path, detail);
            for code in codes {
                let path = format!("/history?code={code}");
                keep(&path, c.get(&path).await.body);
            }
        }
    });
    no_english_on(&pages);
}

/// Fails naming each English sentence ([`english_sentences`]) on the pages, by path.
fn no_english_on(pages: &[(String, String)]) {
    let leaks: Vec<String> = pages
        .iter()
        .flat_map(|(path, body)| {
            english_sentences(body)
                .into_iter()
                .map(move |s| format!("{path}: {s}"))
        })
        .collect();
    assert!(
        leaks.is_empty(),
        "English on Japanese pages:\n{}",
        leaks.join("\n")
    );
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Issue 17: a write KING OF TIME refused (a simulator fault) is said after 失敗 in Japanese
/// words with the service's own message as it came, never the library's English around it, on
/// the run page, the 実行結果 and the employee's timeline; an email that could not be sent is
/// said on the run page in Japanese; a run that KING OF TIME's access window stops is said in
/// Japanese; a run's stored defaults "none" and "unknown" are said in the page's words. With the service's and the network's own messages set aside, no page of
/// the walk shows an English sentence.
#[test]
fn a_refused_write_an_unsent_email_and_stored_defaults_are_said_in_japanese() {
    const SIM_MESSAGE: &str = "Resource Server Error.";
    let env = Env::sample();
    env.write_config(&format!(
        "notify:\n  smtp_url: smtp://127.0.0.1:{}?tls=none\n  from: crewsync@example.com\n  to: [hr@example.com]\n",
        closed_port()
    ));
    let d = link_dashboard(&env);
    env.sims.kot.faults().fail_all_writes(Some(400));
    let mut pages: Vec<(String, String)> = Vec::new();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let (run, csrf) = tick_every_new_row(&mut c).await;
        assert_eq!(press_sync(&mut c, &run, &csrf).await.status, StatusCode::SEE_OTHER);
        let done = c
            .wait_for(&run, |a| a.body.contains("id=\"result-link\""))
            .await;
        let failed = done
            .body
            .split("<tr class=\"failed\">")
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or_else(|| panic!("no failed row: {}", done.body));
        assert!(failed.contains("失敗"), "{failed}");
        assert!(
            failed.contains(&format!("KING OF TIMEがデータを受け付けませんでした（KING OF TIMEのメッセージ: {SIM_MESSAGE}）")),
            "the service's message as it came, in Japanese words: {failed}"
        );
        for english in ["rejected the data", "correct the values", "try again"] {
            assert!(!failed.contains(english), "{english}: {failed}");
        }
        let note = element_with_id(&done.body, "p", "note");
        assert!(
            note.contains("実行結果のメールを送信できませんでした")
                && note.contains("連携履歴に記録されています"),
            "{note}"
        );
        for english in ["could not send the run report", "check notify.smtp_url"] {
            assert!(!note.contains(english), "{english}: {note}");
        }
        // The note's (詳細: …) is the mail library's own words: set aside for the scan.
        pages.push((run.clone(), done.body.replace(note, "")));
        let run_id = web_support::attr_after(&done.body, "href=\"/history/").unwrap();
        let detail = c.get(&format!("/history/{run_id}")).await.body;
        assert!(
            detail.contains(&format!("KING OF TIMEのメッセージ: {SIM_MESSAGE}")),
            "the 実行結果 keeps the failure as data: {detail}"
        );
        let code = failed
            .split("<td>")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .to_string();
        let timeline = c.get(&format!("/history?code={code}")).await.body;
        assert!(
            timeline.contains(&format!("KING OF TIMEのメッセージ: {SIM_MESSAGE}")),
            "{timeline}"
        );
        pages.push((format!("/history/{run_id}"), detail));
        pages.push((format!("/history?code={code}"), timeline));
        // KING OF TIME's access window opens during the next run (a simulator fault): the
        // run stops, and its page and result say so in Japanese.
        env.sims.kot.faults().clear();
        let (run, csrf) = tick_every_new_row(&mut c).await;
        env.sims.kot.faults().access_window_after_requests(3);
        assert_eq!(press_sync(&mut c, &run, &csrf).await.status, StatusCode::SEE_OTHER);
        let stopped = c
            .wait_for(&run, |a| a.body.contains("id=\"result-link\""))
            .await;
        env.sims.kot.faults().clear();
        assert!(
            stopped.body.contains("KING OF TIMEのアクセス制限時間帯のため"),
            "{}",
            stopped.body
        );
        let note = element_with_id(&stopped.body, "p", "note");
        pages.push((run.clone(), stopped.body.replace(note, "")));
        let run_id = web_support::attr_after(&stopped.body, "href=\"/history/").unwrap();
        let path = format!("/history/{run_id}");
        pages.push((path.clone(), c.get(&path).await.body));
    });
    // Runs whose defaults the history keeps as its stored words.
    let config = config(&env);
    let history = crewsync::history::History::open(&config.history).unwrap();
    let stored = [
        (crewsync::workflow::NO_DEFAULTS, "なし"),
        (
            crewsync::workflow::UNKNOWN_DEFAULTS,
            "不明（保存したプランを読めませんでした）",
        ),
    ];
    let ids: Vec<_> = stored
        .iter()
        .map(|(defaults, _)| {
            let start = crewsync::history::RunStart {
                direction: crewsync::model::Direction::KotToSmartHr,
                as_of: util::date(util::AS_OF),
                user: "人事 太郎".into(),
                selection: crewsync::apply::Picked::Terminal,
                defaults: defaults.to_string(),
                rules: None,
                planned: Vec::new(),
                left_out: Vec::new(),
                unchanged: 0,
            };
            history
                .record_unstarted(&start, crewsync::history::RunStatus::Refused, "refused")
                .unwrap()
        })
        .collect();
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        for (id, (stored, said)) in ids.iter().zip(stored) {
            let path = format!("/history/{}", id.as_str());
            let page = c.get(&path).await.body;
            assert!(page.contains(said), "{stored} said as {said}: {page}");
            assert!(!page.contains(stored), "{stored} on the page: {page}");
            pages.push((path, page));
        }
    });
    // The simulator's own message is the service's words, kept as they came.
    let pages: Vec<(String, String)> = pages
        .into_iter()
        .map(|(path, body)| (path, body.replace(SIM_MESSAGE, "")))
        .collect();
    no_english_on(&pages);
}

/// Issue 17: the detail of each service check on the dashboard (a token not set, a service
/// not answering) and a broken rules folder are said in Japanese words, the operating
/// system's and the script engine's own messages kept as they came.
#[test]
fn the_dashboard_says_its_checks_and_a_broken_rules_folder_in_japanese() {
    let env = Env::empty();
    configured_rules(&env, "let office = ;\n");
    let mut config = config(&env);
    config.kot.token_given = None;
    config.kot.token_env = "CREWSYNC_TEST_TOKEN_NOT_SET".into();
    config.smarthr.base_url = format!("http://127.0.0.1:{}/api/v1", closed_port());
    let d = Dashboard::new(config, LISTEN, None);
    env.block_on(async {
        let mut c = logged_in(&d, "sato").await;
        let home = c.get("/").await.body;
        let kot = state_line(&home, "reach-kot");
        assert!(
            kot.contains("環境変数 CREWSYNC_TEST_TOKEN_NOT_SET が設定されていません"),
            "{kot}"
        );
        assert!(!kot.contains("is not set"), "{kot}");
        let smarthr = state_line(&home, "reach-smarthr");
        assert!(smarthr.contains("に接続できませんでした"), "{smarthr}");
        for english in ["could not connect to", "check the base_url"] {
            assert!(!smarthr.contains(english), "{english}: {smarthr}");
        }
        let rules = state_line(&home, "rules");
        assert!(
            rules.contains("ルールフォルダにエラーがあります"),
            "{rules}"
        );
        assert!(rules.contains("offices.rhai:1"), "where: {rules}");
        // What is left once the operating system's and the engine's words are set aside.
        let framing = |line: &str| {
            regex::Regex::new(r"(（詳細: [^）]*）|offices\.rhai:[0-9:]+: [^<]*)")
                .unwrap()
                .replace_all(line, "")
                .into_owned()
        };
        for line in [kot, smarthr, rules] {
            let leaks = english_sentences(&framing(line));
            assert!(leaks.is_empty(), "{leaks:?} in {line}");
        }
        c.lang = Some("en".into());
        let en = c.get("/").await.body;
        assert!(
            state_line(&en, "reach-kot").contains("CREWSYNC_TEST_TOKEN_NOT_SET"),
            "{en}"
        );
    });
}
