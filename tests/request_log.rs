//! Through the binary: the request log (`--verbose`), the request budget before an apply,
//! the circuit breaker, and secrets kept out of every output (issues 14 and 15).

mod util;

use crewsync::sim::{self, SimLimits};
use serde_json::json;
use util::{Env, apply_all_to_kot, apply_to_smarthr, crew, kot, plan_args};

/// With `apply_to_smarthr` (office 本社): every valid row, unattended, reporting JSON.
const OFFICE_ALL: [&str; 5] = ["--select", "all", "--yes", "--format", "json"];

/// `--verbose plan --direction smarthr-to-kot --as-of AS_OF`.
fn verbose_plan() -> Vec<&'static str> {
    [&["--verbose"][..], &plan_args("smarthr-to-kot", &[])].concat()
}

#[test]
fn verbose_logs_every_request_and_never_the_token() {
    let env = Env::sample();
    let out = env.cmd(&verbose_plan()).run().expect(0);
    let log = &out.stderr;
    for expected in [
        "GET",
        "/api/v1/crews?page=1&per_page=100",
        "/v1.0/employees",
        "status=200",
        "x-rate-limit=",
        "ms=",
    ] {
        assert!(log.contains(expected), "no {expected:?} in the log:\n{log}");
    }
    let requests = log.lines().filter(|l| l.contains("crewsync::http")).count();
    assert!(
        requests >= sim_requests(&env),
        "{requests} log lines for {} requests:\n{log}",
        sim_requests(&env)
    );
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(sim::SMARTHR_TOKEN) && !text.contains(sim::KOT_TOKEN));
    }
    let quiet = env.cmd(&plan_args("smarthr-to-kot", &[])).run().expect(0);
    assert!(!quiet.stderr.contains("crewsync::http"), "{}", quiet.stderr);
}

fn sim_requests(env: &Env) -> usize {
    env.sims.smarthr.request_count() + env.sims.kot.request_count()
}

#[test]
fn an_echoed_token_is_scrubbed_from_the_error_and_the_log() {
    let env = Env::sample();
    env.sims.kot.faults().echo_authorization(true);
    let out = env.cmd(&verbose_plan()).run().expect(1);
    assert!(out.stderr.contains("echo"), "{}", out.stderr);
    assert!(out.stderr.contains("***"), "{}", out.stderr);
    assert!(!out.stderr.contains(sim::KOT_TOKEN), "{}", out.stderr);
}

#[test]
fn the_circuit_breaker_stops_a_run_the_server_fails_every_write_of() {
    let env = Env::empty();
    for i in 1..=5 {
        env.crew(crew(
            &format!("{i:04}"),
            "障害",
            &format!("{i}号"),
            json!({}),
        ));
    }
    env.write_config("circuit_breaker:\n  consecutive_failures: 2\n");
    env.sims.kot.faults().fail_all_writes(Some(500));
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(2);
    let report = out.json();
    let outcomes: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "failed",
            "failed",
            "not_attempted",
            "not_attempted",
            "not_attempted"
        ],
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("in a row"), "{}", out.stdout);
    assert!(out.stderr.contains("HTTP 500"), "{}", out.stderr);
    assert_eq!(env.sims.kot.employees().len(), 0);

    // A blip still retries: one failed write, then the run goes through.
    env.sims.kot.faults().fail_all_writes(None);
    env.sims.kot.faults().fail_next_writes(1, 500);
    env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    assert_eq!(env.sims.kot.employees().len(), 5);
}

/// kot-to-smarthr, writing to a SmartHR whose budget is 8 requests per 6-second window.
fn budget_env(new_hires: usize) -> Env {
    let env = Env::empty();
    for i in 1..=new_hires {
        env.kot_employee(kot(
            &format!("{i:04}"),
            "予算",
            &format!("{i}号"),
            json!({}),
        ));
    }
    env.sims.smarthr.set_limits(SimLimits {
        per_window: Some(8),
        window_seconds: Some(6),
        ..SimLimits::default()
    });
    env
}

#[test]
fn an_apply_the_budget_cannot_cover_is_refused_up_front_with_its_duration() {
    let env = budget_env(7);
    let out = env.cmd(&apply_to_smarthr(&OFFICE_ALL)).run().expect(1);
    for expected in ["request budget", "of 8", "needs about 7 requests", "--wait"] {
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
    }
    assert!(env.sims.smarthr.crews().is_empty(), "nothing was written");
}

#[test]
fn wait_paces_an_apply_across_the_budget_reset() {
    let env = budget_env(7);
    let started = std::time::Instant::now();
    let out = env
        .cmd(&apply_to_smarthr(&[&OFFICE_ALL[..], &["--wait"]].concat()))
        .run()
        .expect(0);
    assert!(out.stderr.contains("request budget"), "{}", out.stderr);
    assert_eq!(env.sims.smarthr.crews().len(), 7, "{}", out.stdout);
    assert_eq!(
        env.sims.smarthr.refused_count(),
        0,
        "it waited for the reset instead of being refused"
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
}
