//! The workflow's order through the binary (issue 16 §2): the rules are loaded and compiled
//! before anything is fetched, so a typo in them costs no download.

mod util;

use std::path::PathBuf;
use util::{Env, apply_to_kot, plan_args};

/// A rules folder whose only script does not compile.
fn broken_rules(env: &Env) -> PathBuf {
    let dir = env.dir.path().join("rules");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("offices.rhai"),
        "fn office(e) { return \"本社\" \n",
    )
    .unwrap();
    dir
}

fn requests(env: &Env) -> usize {
    env.sims.smarthr.request_count() + env.sims.kot.request_count()
}

#[test]
fn broken_rules_fail_plan_and_apply_before_any_request() {
    let env = Env::sample();
    let dir = broken_rules(&env);
    let rules = dir.to_str().unwrap();
    for args in [
        plan_args("smarthr-to-kot", &["--rules", rules]),
        apply_to_kot(&["--rules", rules, "--select", "all", "--yes"]),
        [
            &["watch"][..],
            &plan_args("smarthr-to-kot", &["--rules", rules])[1..],
        ]
        .concat(),
    ] {
        let out = env.cmd(&args).run();
        assert_ne!(out.status, 0, "{args:?}: {}", out.all());
        assert!(
            out.stderr.contains("do not compile") && out.stderr.contains("offices.rhai"),
            "{args:?} names the rule error:\n{}",
            out.stderr
        );
        assert_eq!(
            requests(&env),
            0,
            "{args:?}: nothing is fetched with broken rules"
        );
    }
    // The same rules set in the configuration instead of a flag.
    env.write_config(&format!("rules: {rules}\n"));
    let out = env.cmd(&plan_args("smarthr-to-kot", &[])).run();
    assert!(out.stderr.contains("do not compile"), "{}", out.stderr);
    assert_eq!(requests(&env), 0);
    // And once the rules compile, the plan does fetch: the counters do count.
    std::fs::write(dir.join("offices.rhai"), "fn office(e) { () }\n").unwrap();
    env.cmd(&plan_args("smarthr-to-kot", &[])).run().expect(0);
    assert!(requests(&env) > 0);
}

/// The future that applies and records a run is `Send` (issue 16 §3), so that a server can
/// `tokio::spawn` it. A compile-time check: if it regresses, this file does not build.
#[test]
fn the_apply_and_record_future_is_send() {
    use crewsync::apply::Silent;
    use crewsync::history::{History, HistoryHandle, RunLock, RunStart};
    use crewsync::model::{Direction, Masters};
    use crewsync::workflow::{self, Connections, Request, Rosters};

    fn assert_send<T: Send>(_: &T) {}

    let env = Env::empty();
    let mut config = crewsync::config::Config::load(&env.config_path()).unwrap();
    config.smarthr.token_given = Some(crewsync::http::Secret::new(crewsync::sim::SMARTHR_TOKEN));
    config.kot.token_given = Some(crewsync::http::Secret::new(crewsync::sim::KOT_TOKEN));
    let conn = Connections::from_config(&config).unwrap();
    let db = env.dir.path().join("crewsync.db");
    let history = HistoryHandle::new(History::open(&db).unwrap());
    let lock = RunLock::acquire(&db).unwrap();
    let as_of = util::date(util::AS_OF);
    let plan = workflow::plan(
        Rosters {
            direction: Direction::SmartHrToKot,
            as_of,
            source: vec![],
            target: vec![],
            masters: Masters::default(),
        },
        &Default::default(),
        &crewsync::plan::NoRules,
    );
    let target = conn.target(plan.direction, as_of);
    let future = workflow::apply_recorded(
        &config,
        &history,
        lock,
        &target,
        Request {
            plan: &plan,
            chosen: &[],
            start: RunStart {
                direction: plan.direction,
                as_of,
                user: "person".into(),
                selection: "all".into(),
                defaults: "none".into(),
                rules: None,
                planned: vec![],
                left_out: vec![],
                unchanged: 0,
            },
            fetched_at: chrono::Utc::now(),
            stale: vec![],
            options: Default::default(),
        },
        &Silent,
    );
    assert_send(&future);
    // And it runs: an empty run is recorded as finished.
    let recorded = env.block_on(future).unwrap();
    assert_eq!(recorded.report.results, vec![]);
}
