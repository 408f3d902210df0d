//! The dashboard in a real headless Chromium, driven through chromedriver with fantoccini:
//! the whole wizard against the simulators, as an HR admin clicks it.
//!
//! Chromium and chromedriver come from Debian (`apt-get install chromium chromium-driver`;
//! `scripts/test` installs them). When they are missing the test fails and says so: a browser
//! test that silently passes without a browser proves nothing.
//!
//! Each main screen is captured into target/screenshots/; with CREWSYNC_UPDATE_SCREENSHOTS=1
//! also into docs/, where the README shows them.

mod web_support;

use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use web_support::{Env, config, util};

const INSTALL: &str = "install them with: sudo apt-get install -y chromium chromium-driver (or run ./scripts/test, which does)";

fn find(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{program} is not installed; the browser tests need it: {INSTALL}")
        })
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    let program = find("chromedriver");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(program)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("chromedriver does not start ({e}); {INSTALL}"));
    let driver = Driver { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    driver
}

async fn browser(driver: &Driver) -> Client {
    let chromium = find("chromium");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--lang=ja"],
            // Headless Chromium asks for English whatever --lang says; the screens are tested
            // (and pictured) in their default language.
            "prefs": {"intl.accept_languages": "ja"},
        }),
    );
    ClientBuilder::rustls()
        .expect("a TLS client for the WebDriver connection")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap_or_else(|e| panic!("chromedriver did not start Chromium ({e}); {INSTALL}"))
}

async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("a screenshot");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("target/screenshots")];
    if std::env::var_os("CREWSYNC_UPDATE_SCREENSHOTS").is_some() {
        dirs.push(root.join("docs"));
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), &png).unwrap();
    }
}

/// The element `css`, waiting up to 30 s for it; the page's source in the failure otherwise.
async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => panic!(
            "{css} never appeared: {e}\n{}",
            c.source().await.unwrap_or_default()
        ),
    }
}

/// Whether a WebDriver error says the element belonged to a page that has since been replaced
/// (Chromium words it two ways): the caller finds it afresh.
fn replaced(e: &impl std::fmt::Display) -> bool {
    let e = e.to_string();
    e.contains("stale element") || e.contains("does not belong to the document")
}

/// Clicks `css`, finding it afresh when a page that was still replacing the previous one made
/// the element found first stale (a filter link that was already active reloads the page).
async fn click(c: &Client, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match element(c, css).await.click().await {
            Ok(()) => return,
            Err(e) if replaced(&e) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{css} cannot be clicked: {e}"),
        }
    }
}

/// The text of `css`, read afresh when the page was replaced under it (a form's next page, or
/// the running page's refresh).
async fn text(c: &Client, css: &str) -> String {
    wait_text(c, css, |_| true).await
}

/// Waits (up to 30 s) until the text of `css` satisfies `ok`: a click that submits a form
/// returns before the next page has replaced this one.
async fn wait_text(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        // The page may be replaced between finding the element and reading it: read again.
        let now = match element(c, css).await.text().await {
            Ok(now) => now,
            Err(e) if replaced(&e) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            Err(e) => panic!("{css} cannot be read: {e}"),
        };
        if ok(&now) {
            return now;
        }
        assert!(Instant::now() < deadline, "{css} stayed '{now}'");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clears every tick, then ticks the first `n` new rows; returns their codes.
async fn tick_first_new(c: &Client, n: usize) -> Vec<String> {
    click(c, "#filter-all").await;
    element(c, "#filter-all.active").await;
    click(c, "#clear-filtered").await;
    wait_text(c, "#selected-count", |t| t.starts_with("0 ")).await;
    click(c, "#filter-new").await;
    element(c, "#filter-new.active").await;
    let codes = first_codes(c, n).await;
    for code in &codes {
        click(c, &format!("tr.row[data-code=\"{code}\"] input.tick")).await;
    }
    codes
}

/// The codes of the first `n` rows listed (fewer if fewer are), read afresh if the page is
/// replaced meanwhile.
async fn first_codes(c: &Client, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let read = async {
            let mut codes = vec![];
            for row in c
                .find_all(Locator::Css("tr.row"))
                .await?
                .into_iter()
                .take(n)
            {
                codes.extend(row.attr("data-code").await?);
            }
            Ok::<_, fantoccini::error::CmdError>(codes)
        };
        match read.await {
            Ok(codes) if !codes.is_empty() => return codes,
            Ok(_) => assert!(Instant::now() < deadline, "no row listed"),
            Err(e) if replaced(&e) && Instant::now() < deadline => {}
            Err(e) => panic!("the list cannot be read: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// On the run page while the run writes: waits for the first outcome row and checks it was
/// added to this very page by the script (from the server's events), not by a reload.
async fn outcome_arrives_without_a_reload(c: &Client) {
    element(c, "#run-progress").await;
    // A mark on this document: a reload would start a new one without it.
    let probe = "return [document.querySelectorAll('#outcomes tbody tr').length, \
                 window.crewsyncMark || null, !!document.getElementById('run-progress')];";
    c.execute("window.crewsyncMark = 'this page'; return null;", vec![])
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = c.execute(probe, vec![]).await.unwrap();
        if seen[0].as_u64().unwrap_or(0) > 0 {
            assert_eq!(seen[1], "this page", "the outcome came by a reload: {seen}");
            assert_eq!(seen[2], true, "the run was still going: {seen}");
            return;
        }
        assert!(Instant::now() < deadline, "no outcome appeared: {seen}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One direction of the wizard, from the dashboard card to the run's result in the history.
/// With `live` (the target's simulator, KOT), the target takes one request a second during the
/// run, which is watched while it writes. Returns the codes ticked.
async fn walk(
    c: &Client,
    base: &str,
    direction: &str,
    defaults: &[(&str, &str)],
    shots: bool,
    live: Option<&crewsync::sim::KotSim>,
) -> Vec<String> {
    c.goto(&format!("{base}/")).await.unwrap();
    click(c, &format!("#start-{direction}")).await;
    // Step 1/3: the reference date (the sample company's, typed as a browser would).
    c.goto(&format!("{base}/sync/{direction}?as_of={}", util::AS_OF))
        .await
        .unwrap();
    assert!(c.source().await.unwrap().contains("情報取得基準日"));
    if shots {
        screenshot(c, "step1-reference-date").await;
    }
    click(c, "#next").await;
    // Fetching reloads itself until step 2/3 appears.
    for (select, label) in defaults {
        let el = c
            .wait()
            .at_most(Duration::from_secs(60))
            .for_element(Locator::Css(&format!("#{select}")))
            .await
            .expect("step 2/3 after fetching");
        el.select_by_label(label).await.unwrap();
    }
    if shots {
        screenshot(c, "step2-defaults").await;
    }
    click(c, "#next").await;
    // Step 3/3: the list, filtered to new rows, two of them ticked.
    text(c, "#filters").await;
    if shots {
        click(c, "#filter-changed").await;
        element(c, "#filter-changed.active").await;
        screenshot(c, "step3-employees").await;
    }
    let codes = tick_first_new(c, 2).await;
    click(c, "#confirm").await;
    let summary = text(c, "#chosen").await;
    for code in &codes {
        assert!(
            summary.contains(code),
            "{code} is on the confirmation page: {summary}"
        );
    }
    let listed = c.find_all(Locator::Css("#chosen tbody tr")).await.unwrap();
    assert_eq!(
        listed.len(),
        codes.len(),
        "only the ticked rows are to be synced"
    );
    if shots {
        screenshot(c, "confirm").await;
    }
    if let Some(kot) = live {
        kot.set_limits(crewsync::sim::SimLimits {
            per_second: Some(1),
            ..Default::default()
        });
    }
    click(c, "#sync").await;
    if let Some(kot) = live {
        outcome_arrives_without_a_reload(c).await;
        kot.set_limits(crewsync::sim::SimLimits::default());
    }
    // The run page follows the run's events, then reloads into its result.
    let finished = c
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("#finished"))
        .await;
    assert!(finished.is_ok(), "{}", c.source().await.unwrap());
    let outcomes = text(c, "#outcomes").await;
    for code in &codes {
        assert!(
            outcomes.contains(code),
            "{code} has its outcome: {outcomes}"
        );
    }
    let written = c
        .find_all(Locator::Css("#outcomes tbody tr"))
        .await
        .unwrap();
    assert_eq!(
        written.len(),
        codes.len(),
        "exactly the ticked rows were written"
    );
    if shots {
        screenshot(c, "run-result").await;
    }
    click(c, "#result-link").await;
    assert_eq!(text(c, "#run-who").await, "ブラウザ 花子");
    codes
}

#[test]
fn an_admin_walks_the_wizard_in_both_directions_in_chromium() {
    let env = Env::sample();
    let driver = start_driver();
    let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = links.clone();
    let base = env.block_on(async {
        let listener = crewsync::web::bind("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let listen = listener.local_addr().unwrap();
        // The client learns KOT's pace (set below) from its refusals, each retried.
        let mut config = config(&env);
        config.kot.max_retries = Some(20);
        let app = crewsync::web::App::new(
            crewsync::web::Settings {
                config,
                listen,
                password: None,
                public_url: None,
            },
            Box::new(move |p| seen.lock().unwrap().push(p.to_string())),
        )
        .unwrap();
        tokio::spawn(crewsync::web::serve(app, listener, std::future::pending()));
        format!("http://{listen}")
    });
    let (to_kot, to_smarthr) = env.block_on(async {
        let c = browser(&driver).await;
        // The access link leads to the name form, which fills in the history's "who".
        let link = links.lock().unwrap()[0].clone();
        c.goto(&format!("{base}{link}")).await.unwrap();
        let name = c.find(Locator::Css("#name")).await.unwrap();
        name.clear().await.unwrap();
        name.send_keys("ブラウザ 花子").await.unwrap();
        screenshot(&c, "login").await;
        click(&c, "#login").await;
        // The login page has an h1 too: wait for the dashboard's.
        wait_text(&c, "h1", |t| t.contains("連携ダッシュボード")).await;
        screenshot(&c, "dashboard-empty").await;

        let to_kot = walk(
            &c,
            &base,
            "smarthr-to-kot",
            &[("office", "本社"), ("employment_type", "正社員")],
            true,
            Some(&env.sims.kot),
        )
        .await;
        let to_smarthr = walk(
            &c,
            &base,
            "kot-to-smarthr",
            &[("office", "本社")],
            false,
            None,
        )
        .await;

        c.goto(&format!("{base}/")).await.unwrap();
        let runs = text(&c, "#runs").await;
        assert_eq!(runs.matches("ブラウザ 花子").count(), 2, "{runs}");
        screenshot(&c, "dashboard").await;
        c.goto(&format!("{base}/history")).await.unwrap();
        text(&c, "#runs").await;
        screenshot(&c, "history").await;
        c.close().await.unwrap();
        (to_kot, to_smarthr)
    });
    for code in &to_kot {
        assert_eq!(env.kot_with_code(code).len(), 1, "{code} created in KOT");
    }
    for code in &to_smarthr {
        assert_eq!(
            env.crews_with_code(code).len(),
            1,
            "{code} created in SmartHR"
        );
    }
}
