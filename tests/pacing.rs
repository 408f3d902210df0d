//! The adaptive limiter through the real clients, against simulators whose limits the clients
//! are not told (issue 15): pacing after a refusal, a refusal pausing the whole service, no
//! look-up after a refused create, budgets over a long window, connection retries.

#[path = "support/sims.rs"]
#[allow(dead_code)] // shared with the client tests, which use the rest
mod sims;

use crewsync::http::{ErrorKind, Limits, Notice, Secret};
use crewsync::model::Employee;
use crewsync::sim::{self, Company, SimLimits, Simulators};
use crewsync::{kot, smarthr};
use sims::{closed_port, limits, start};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn smarthr_client(sims: &Simulators, limits: Limits) -> smarthr::Client {
    smarthr::Client::new(
        &sims.smarthr.base_url(),
        Secret::new(sim::SMARTHR_TOKEN),
        limits,
    )
    .unwrap()
}

fn kot_client(sims: &Simulators, limits: Limits) -> kot::Client {
    kot::Client::new(&sims.kot.base_url(), Secret::new(sim::KOT_TOKEN), limits).unwrap()
}

fn newcomer(code: &str) -> Employee {
    Employee {
        code: Some(code.to_string()),
        last_name: Some("試験".into()),
        first_name: Some("太郎".into()),
        last_name_kana: Some("シケン".into()),
        first_name_kana: Some("タロウ".into()),
        gender: Some("male".into()),
        birth_date: "1990-04-01".parse().ok(),
        hire_date: "2024-04-01".parse().ok(),
        ..Employee::default()
    }
}

/// Unpaced at first (the client knows no limit), patient with refusals.
fn untold() -> Limits {
    Limits {
        max_retries: 10,
        min_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(2),
        ..Limits::unlimited()
    }
}

fn per_second(n: u32) -> SimLimits {
    SimLimits {
        per_second: Some(n),
        ..SimLimits::default()
    }
}

#[tokio::test]
async fn after_the_first_refusal_the_pace_stays_under_a_limit_it_was_not_told() {
    let sims = start(Company::sample()).await;
    sims.kot.set_limits(per_second(5));
    let client = kot_client(&sims, untold());
    // The first burst meets the limit...
    for _ in 0..8 {
        client.list_divisions().await.unwrap();
    }
    let learnt = sims.kot.refused_count();
    assert!(learnt >= 1, "an unpaced client must have been refused once");
    // ...and from then on the pace it learnt keeps it under.
    for _ in 0..15 {
        client.list_divisions().await.unwrap();
    }
    assert_eq!(
        sims.kot.refused_count(),
        learnt,
        "refused again after learning the limit"
    );
}

#[tokio::test]
async fn a_refusal_pauses_every_request_to_the_service_not_just_the_refused_one() {
    let sims = start(Company::sample()).await;
    let client = smarthr_client(&sims, untold());
    // One forced 429, whose headers ask for a 1-second reset.
    sims.smarthr.faults().rate_limit_next(1);
    let before = sims.smarthr.request_count();
    let refused = client.list_employment_types();
    let other = async {
        // Once the refused request has reached the server and its answer is in, another
        // request (a different call, as from another part of the run) is made.
        while sims.smarthr.request_count() == before {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        client.list_biz_establishments().await.unwrap();
        started.elapsed()
    };
    let (refused, other_took) = tokio::join!(refused, other);
    refused.unwrap();
    assert!(
        other_took >= Duration::from_millis(700),
        "the other request went on during the pause: {other_took:?}"
    );
    assert_eq!(sims.smarthr.request_count() - before, 3);
}

#[tokio::test]
async fn a_refused_create_is_sent_again_without_a_look_up() {
    let sims = start(Company::sample()).await;
    let client = smarthr_client(&sims, limits(3));
    let office = client.list_biz_establishments().await.unwrap()[0]
        .id
        .clone();
    sims.smarthr.faults().rate_limit_next(1);
    let before = sims.smarthr.request_count();
    client
        .create_crew(&newcomer("R429"), &office, None)
        .await
        .unwrap();
    assert_eq!(
        sims.smarthr.request_count() - before,
        2,
        "the refused POST and its repeat, no GET by code in between"
    );

    // KOT's code 303 is a refusal too.
    let kot = kot_client(&sims, limits(3));
    let division = kot.list_divisions().await.unwrap()[0].id.clone();
    let kind = kot.list_working_types().await.unwrap()[0].id.clone();
    sims.kot.faults().rate_limit_next(1);
    let before = sims.kot.request_count();
    kot.create_employee(&newcomer("K303"), &division, &kind)
        .await
        .unwrap();
    assert_eq!(sims.kot.request_count() - before, 2);
}

#[tokio::test]
async fn a_create_that_failed_with_500_is_looked_up_before_it_is_sent_again() {
    // The other side of the rule above: a 500 may have been applied, so it is looked for.
    let sims = start(Company::sample()).await;
    let client = smarthr_client(&sims, limits(4));
    let office = client.list_biz_establishments().await.unwrap()[0]
        .id
        .clone();
    sims.smarthr.faults().fail_next_writes(1, 500);
    let before = sims.smarthr.request_count();
    client
        .create_crew(&newcomer("L500"), &office, None)
        .await
        .unwrap();
    assert_eq!(
        sims.smarthr.request_count() - before,
        3,
        "POST (500), GET by code, POST"
    );
}

#[tokio::test]
async fn an_exhausted_budget_fails_at_once_or_is_waited_out_when_allowed() {
    let sims = start(Company::sample()).await;
    sims.smarthr.set_limits(SimLimits {
        per_window: Some(3),
        window_seconds: Some(3),
        ..SimLimits::default()
    });
    let client = smarthr_client(
        &sims,
        Limits {
            max_rate_limit_wait: Duration::from_millis(500),
            ..untold()
        },
    );
    for _ in 0..3 {
        client.list_employment_types().await.unwrap();
    }
    let budget = client.budget().expect("the long window is reported");
    assert_eq!((budget.limit, budget.remaining), (Some(3), 0));
    let before = sims.smarthr.request_count();
    let err = client.list_employment_types().await.unwrap_err();
    assert!(
        matches!(&err.kind, ErrorKind::RateLimited { message, .. } if message.contains("budget")),
        "{err}"
    );
    assert_eq!(
        sims.smarthr.request_count(),
        before,
        "nothing is sent into an exhausted budget"
    );
    // Allowed to wait (apply --wait), the request goes once the window resets.
    client.set_max_wait(Duration::from_secs(10));
    client.list_employment_types().await.unwrap();
    assert_eq!(
        sims.smarthr.refused_count(),
        0,
        "never refused: it waited first"
    );
}

#[tokio::test]
async fn an_unreachable_host_is_retried_briefly_and_each_retry_is_told() {
    let port = closed_port();
    let client = kot::Client::new(
        &format!("http://127.0.0.1:{port}/v1.0"),
        Secret::new("t"),
        Limits {
            max_retries: 10,
            min_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            connect_budget: Duration::from_millis(600),
            ..Limits::unlimited()
        },
    )
    .unwrap();
    let told = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = told.clone();
    let notice: Notice = Arc::new(move |m: &str| sink.lock().unwrap().push(m.to_string()));
    client.on_notice(notice);
    let started = Instant::now();
    let err = client.list_divisions().await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err.kind, ErrorKind::Unreachable { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains(&port.to_string()) && text.contains("base_url"),
        "{text}"
    );
    let told = told.lock().unwrap();
    assert!(told.len() >= 2, "{told:?}");
    assert!(told.iter().all(|m| m.contains("retrying in")), "{told:?}");
}

#[tokio::test]
async fn a_token_echoed_in_a_successful_answer_never_reaches_the_error() {
    let sims = start(Company::sample()).await;
    sims.smarthr.faults().echo_authorization(true);
    sims.kot.faults().echo_authorization(true);
    let err = smarthr_client(&sims, limits(0))
        .list_crews(&|_, _| {})
        .await
        .unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(text.contains("echo"), "the body is still shown: {text}");
        assert!(!text.contains(sim::SMARTHR_TOKEN), "{text}");
    }
    let err = kot_client(&sims, limits(0))
        .list_divisions()
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(sim::KOT_TOKEN), "{err}");
}

#[tokio::test]
async fn a_redirect_is_reported_not_followed() {
    let app = axum::Router::new().fallback(|| async {
        (
            axum::http::StatusCode::FOUND,
            [(
                "location",
                "https://login.example.net/portal?token=sim-smarthr-token",
            )],
        )
    });
    let base = format!("http://{}/api", sims::serve(app).await);
    let err = smarthr::Client::new(&base, Secret::new(sim::SMARTHR_TOKEN), limits(0))
        .unwrap()
        .list_employment_types()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("redirect") && text.contains("login.example.net"),
        "{text}"
    );
    assert!(!text.contains(sim::SMARTHR_TOKEN), "{text}");
}

#[tokio::test]
async fn a_refusal_after_a_look_up_found_nothing_is_not_looked_up_again() {
    use axum::http::{Method, StatusCode};
    use std::sync::atomic::{AtomicUsize, Ordering};
    // A scripted SmartHR: the first POST fails with 500 (it may have been applied), the
    // look-up finds nothing, the second POST is refused (429, not applied), the third creates.
    let posts = Arc::new(AtomicUsize::new(0));
    let gets = Arc::new(AtomicUsize::new(0));
    let (p, g) = (posts.clone(), gets.clone());
    let app = axum::Router::new().fallback(move |method: Method| {
        let (p, g) = (p.clone(), g.clone());
        async move {
            let json = [("content-type", "application/json")];
            if method == Method::GET {
                g.fetch_add(1, Ordering::SeqCst);
                return (StatusCode::OK, json, "[]".to_string());
            }
            let body = match p.fetch_add(1, Ordering::SeqCst) {
                0 => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"code":5,"message":"e"}"#,
                ),
                1 => (StatusCode::TOO_MANY_REQUESTS, r#"{"code":6,"message":"r"}"#),
                _ => (StatusCode::CREATED, r#"{"id":"c1","emp_code":"SEQ1"}"#),
            };
            (body.0, json, body.1.to_string())
        }
    });
    let base = format!("http://{}/api", sims::serve(app).await);
    let client = smarthr::Client::new(&base, Secret::new("t"), limits(4)).unwrap();
    let created = client
        .create_crew(&newcomer("SEQ1"), "o1", None)
        .await
        .unwrap();
    assert_eq!(created.code.as_deref(), Some("SEQ1"));
    assert_eq!(posts.load(Ordering::SeqCst), 3);
    assert_eq!(
        gets.load(Ordering::SeqCst),
        1,
        "looked up once, after the 500 only"
    );
}
