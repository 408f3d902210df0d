//! Benchmark (issue 17, Performance): the dashboard with 10,000 employees per side, served on
//! a real local socket and driven over HTTP as a browser would, against the in-process
//! simulators (rate limits off). Run it in release:
//!
//! ```sh
//! cargo run --release --example dashboard_10k              # 10,000 employees per side
//! cargo run --release --example dashboard_10k -- 20000     # another size
//! cargo run --example dashboard_10k -- 300                 # a quick check of the harness
//! ```
//!
//! Targets: after the rosters are fetched, the list page (any filter, any page) is served in
//! ≤ 200 ms, and the live run page shows an employee's outcome within 1 s of its write.
//!
//! What is measured:
//! - **list**: wall time from sending `GET /wizard/ID/list?...` to having read the whole page,
//!   for every status filter on its first, middle and last page, and two searches; each five
//!   times. Also the list form's "select everyone in this filter" (a POST and its redirect).
//! - **live run**: the wizard ticks every new and changed employee (smarthr-to-kot: about 800
//!   writes at 10,000) and starts the run, with the run page's event stream open. The KOT
//!   simulator counts the requests it receives; a task notes the moment each count is reached.
//!   The run's writes are its last requests, one per employee, in order, so write k arrived
//!   when the count reached `end − writes + k`; its latency is from then to the moment its
//!   `outcome` event was read. This includes the simulator's answer, the apply's bookkeeping,
//!   the event stream's polling (200 ms) and the socket.
//! - **result page**: the run page once every outcome is on it (the page a browser without
//!   scripts reloads every second during the run).

use crewsync::config::Config;
use crewsync::http::Secret;
use crewsync::sim::{self, Company, SimConfig};
use crewsync::web::{self, App, Settings};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Failure = Box<dyn std::error::Error>;

/// A browser stand-in over the socket: keeps the session cookie, follows no redirect.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

struct Page {
    status: StatusCode,
    location: String,
    body: String,
}

impl Browser {
    async fn send(&mut self, request: reqwest::RequestBuilder) -> Result<Page, Failure> {
        let request = match &self.cookie {
            Some(c) => request.header(COOKIE, c),
            None => request,
        };
        let r = request.send().await?;
        if let Some(set) = r.headers().get(SET_COOKIE) {
            self.cookie = set.to_str()?.split(';').next().map(str::to_string);
        }
        let status = r.status();
        let location = r
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .unwrap_or_default()
            .to_string();
        Ok(Page {
            status,
            location,
            body: r.text().await?,
        })
    }

    async fn get(&mut self, path: &str) -> Result<Page, Failure> {
        let request = self.http.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Result<Page, Failure> {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(form)?);
        self.send(request).await
    }

    /// Follows redirects from `path` until a page answers that `done` accepts, polling.
    async fn wait_for(
        &mut self,
        path: &str,
        done: impl Fn(&Page) -> bool,
    ) -> Result<Page, Failure> {
        let mut path = path.to_string();
        loop {
            let page = self.get(&path).await?;
            if page.status == StatusCode::SEE_OTHER {
                path = page.location.clone();
            } else if done(&page) {
                return Ok(page);
            } else {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The text between `marker` and the next `"` (an attribute's value).
fn after<'a>(body: &'a str, marker: &str) -> Option<&'a str> {
    let at = body.find(marker)? + marker.len();
    body[at..].split('"').next()
}

/// The first chosen value of the `<select id="ID">` on a page.
fn first_option<'a>(body: &'a str, id: &str) -> Option<&'a str> {
    let select = &body[body.find(&format!("id=\"{id}\""))?..];
    select
        .split("<option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap_or_default())
        .find(|v| !v.is_empty())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and maximum of some durations, in ms.
fn spread(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    (
        millis(times[times.len() / 2]),
        millis(*times.last().unwrap_or(&Duration::ZERO)),
    )
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(10_000);
    // Noon JST on the sample day: outside KOT's access windows.
    let clock = sim::SAMPLE_AS_OF
        .and_hms_opt(12, 0, 0)
        .and_then(|t| t.and_local_timezone(crewsync::clock::JST).single());
    let sims = Arc::new(
        sim::start(SimConfig {
            company: Company::generated(n),
            kot_clock: clock,
            rate_limits: false,
            limits: Default::default(),
        })
        .await?,
    );
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("crewsync.yaml");
    std::fs::write(
        &path,
        format!(
            "smarthr:\n  base_url: {}\n  requests_per_second: 1000\n\
             kot:\n  base_url: {}\n  requests_per_second: 1000\n\
             maintenance_windows: []\n",
            sims.smarthr.base_url(),
            sims.kot.base_url()
        ),
    )?;
    let mut config = Config::load(&path)?;
    config.smarthr.token_given = Some(Secret::new(sim::SMARTHR_TOKEN));
    config.kot.token_given = Some(Secret::new(sim::KOT_TOKEN));

    let listener = web::bind("127.0.0.1:0".parse()?).await?;
    let listen = listener.local_addr()?;
    let link = Arc::new(Mutex::new(String::new()));
    let seen = link.clone();
    let app: Arc<App> = App::new(
        Settings {
            config,
            listen,
            password: None,
            public_url: None,
        },
        Box::new(move |p| *seen.lock().unwrap_or_else(|e| e.into_inner()) = p.to_string()),
    )?;
    tokio::spawn(web::serve(app, listener, std::future::pending()));
    let mut b = Browser {
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
        base: format!("http://{listen}"),
        cookie: None,
    };

    // Log in with the access link, as the person at the terminal does.
    let access = link.lock().unwrap_or_else(|e| e.into_inner()).clone();
    b.get(&access).await?;
    let form = b.get("/login").await?;
    let csrf = after(&form.body, "name=\"csrf\" value=\"")
        .ok_or("no CSRF field on the login page")?
        .to_string();
    b.post("/login", &[("csrf", &csrf), ("name", "benchmark")])
        .await?;
    let csrf = after(&b.get("/").await?.body, "name=\"csrf\" value=\"")
        .ok_or("not logged in")?
        .to_string();

    // Step 1/3, the fetch, step 2/3.
    let direction = "smarthr-to-kot";
    let started = Instant::now();
    let to_fetch = b
        .post(
            &format!("/sync/{direction}"),
            &[("csrf", &csrf), ("as_of", &sim::SAMPLE_AS_OF.to_string())],
        )
        .await?;
    let step2 = b
        .wait_for(&to_fetch.location, |p| p.body.contains("id=\"office\""))
        .await?;
    let fetched = started.elapsed();
    let wizard = after(&step2.body, "action=\"/wizard/")
        .and_then(|s| s.split('/').next())
        .ok_or("no wizard id on step 2")?
        .to_string();
    let office = first_option(&step2.body, "office").ok_or("no office to choose")?;
    let kind = first_option(&step2.body, "employment_type").ok_or("no employment type")?;
    let started = Instant::now();
    let list = b
        .post(
            &format!("/wizard/{wizard}/defaults"),
            &[
                ("csrf", &csrf),
                ("office", office),
                ("employment_type", kind),
            ],
        )
        .await?;
    if list.status != StatusCode::SEE_OTHER {
        return Err(format!("step 2 was refused: {}", list.body).into());
    }
    let planned = started.elapsed();
    println!(
        "{n} employees per side, {direction}: fetched in {:.2} s, planned in {:.2} s",
        fetched.as_secs_f64(),
        planned.as_secs_f64()
    );

    // The list: every filter on its first, middle and last page, and two searches.
    let list = format!("/wizard/{wizard}/list");
    let first = b.get(&format!("{list}?status=all")).await?;
    let code = after(&first.body, "data-code=\"")
        .ok_or("no row on the list")?
        .to_string();
    let mut queries = vec![];
    for status in ["all", "new", "changed", "unchanged", "invalid"] {
        let page = b.get(&format!("{list}?status={status}")).await?;
        let pages: usize = page
            .body
            .split("id=\"page-of\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(1);
        let mut shown = vec![1, pages.div_ceil(2).max(1), pages];
        shown.dedup();
        for p in shown {
            queries.push(format!("status={status}&page={p}"));
        }
    }
    queries.push(format!("status=all&q={code}"));
    queries.push("status=all&q=%E7%94%B0".to_string()); // 田, in many names
    let mut worst = Duration::ZERO;
    println!("\nlist page (5 requests each)      median ms    max ms");
    for q in &queries {
        let mut times = vec![];
        for _ in 0..5 {
            let t = Instant::now();
            let page = b.get(&format!("{list}?{q}")).await?;
            times.push(t.elapsed());
            if page.status != StatusCode::OK {
                return Err(format!("{q}: {}", page.status).into());
            }
        }
        worst = worst.max(*times.iter().max().unwrap_or(&Duration::ZERO));
        let (median, max) = spread(times);
        println!("  {q:<30} {median:>9.1} {max:>9.1}");
    }
    let t = Instant::now();
    let ticked = b
        .post(
            &list,
            &[
                ("csrf", &csrf),
                ("status", "all"),
                ("go", "select-filtered"),
            ],
        )
        .await?;
    b.get(&ticked.location).await?;
    let select_all = t.elapsed();
    worst = worst.max(select_all);
    println!(
        "  select everyone (POST + page)  {:>9.1}",
        millis(select_all)
    );
    println!(
        "list: worst {:.1} ms (target ≤ 200 ms): {}",
        millis(worst),
        if worst <= Duration::from_millis(200) {
            "met"
        } else {
            "NOT met"
        }
    );

    // The live run: note when the KOT simulator receives each request, and when each outcome
    // event is read.
    let confirm = b.get(&format!("/wizard/{wizard}/confirm")).await?;
    let summary = after(&confirm.body, "id=\"summary\">").unwrap_or_default();
    let received = Arc::new(Mutex::new(Vec::<(usize, Instant)>::new()));
    let counting = {
        let (received, sims) = (received.clone(), sims.clone());
        tokio::spawn(async move {
            let mut last = sims.kot.request_count();
            loop {
                let now = sims.kot.request_count();
                if now != last {
                    let at = Instant::now();
                    let mut log = received.lock().unwrap_or_else(|e| e.into_inner());
                    log.extend((last + 1..=now).map(|c| (c, at)));
                    last = now;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    let run = b
        .post(&format!("/wizard/{wizard}/run"), &[("csrf", &csrf)])
        .await?;
    if run.status != StatusCode::SEE_OTHER {
        return Err(format!("the run was refused: {}", run.body).into());
    }
    let mut events = b
        .http
        .get(format!("{}/wizard/{wizard}/events", b.base))
        .header(COOKIE, b.cookie.clone().unwrap_or_default())
        .send()
        .await?;
    let mut text = String::new();
    let mut arrived = vec![];
    while let Some(chunk) = events.chunk().await? {
        let at = Instant::now();
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if event.contains("event: outcome") {
                arrived.push(at);
            }
        }
    }
    counting.abort();
    let result = {
        let t = Instant::now();
        let page = b.get(&format!("/wizard/{wizard}/run")).await?;
        (t.elapsed(), page.body.matches("<tr class=").count())
    };
    let log = received.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let end = log.last().map_or(0, |(c, _)| *c);
    println!(
        "\nlive run ({}): {} outcomes, {} KOT requests in all",
        summary.split('<').next().unwrap_or_default(),
        arrived.len(),
        end
    );
    let writes = arrived.len();
    if writes == 0 || end < writes {
        return Err("no outcome to measure".into());
    }
    let latencies: Vec<Duration> = arrived
        .iter()
        .enumerate()
        .filter_map(|(k, seen)| {
            let count = end - writes + k + 1;
            let (_, sent) = log.iter().find(|(c, _)| *c == count)?;
            Some(seen.saturating_duration_since(*sent))
        })
        .collect();
    let (median, max) = spread(latencies);
    println!(
        "outcome shown after its write: median {median:.0} ms, max {max:.0} ms (target ≤ 1000 ms): {}",
        if max <= 1000.0 { "met" } else { "NOT met" }
    );
    println!(
        "result page with {} outcomes served in {:.1} ms",
        result.1,
        millis(result.0)
    );
    Ok(())
}
