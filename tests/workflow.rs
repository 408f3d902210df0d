//! The workflow's order through the binary (issue 16 §2): the rules are loaded and compiled
//! before anything is fetched, so a typo in them costs no download.

mod util;

use crewsync::apply::{Chosen, Event, Observer, Selection, Silent};
use crewsync::error::Wording;
use crewsync::history::{History, HistoryHandle, RunLock, RunStart};
use crewsync::model::{Direction, Masters};
use crewsync::plan::{Plan, View};
use crewsync::workflow::{self, Connections, Request, Rosters};
use std::path::PathBuf;
use std::sync::Mutex;
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

/// What a run records before writing, for `plan` with every actionable row chosen.
fn start(plan: &Plan, chosen: &[usize]) -> RunStart {
    let mut start = RunStart {
        direction: plan.direction,
        as_of: plan.as_of,
        user: "person".into(),
        selection: "all".into(),
        defaults: "none".into(),
        rules: None,
        planned: vec![],
        left_out: vec![],
        unchanged: 0,
    };
    workflow::accounted(&mut start, plan, chosen, Chosen::Selection(&Selection::All));
    start
}

fn request<'a>(plan: &'a Plan, chosen: &'a [usize]) -> Request<'a> {
    Request {
        plan,
        chosen,
        start: start(plan, chosen),
        fetched_at: chrono::Utc::now(),
        stale: vec![],
        options: Default::default(),
    }
}

fn history(env: &Env) -> (HistoryHandle, RunLock) {
    let db = env.dir.path().join("crewsync.db");
    let history = HistoryHandle::new(History::open(&db).unwrap());
    (history, RunLock::acquire(&db).unwrap())
}

/// The future that applies and records a run is `Send` (issue 16 §3), so that a server can
/// `tokio::spawn` it. A compile-time check: if it regresses, this file does not build.
#[test]
fn the_apply_and_record_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}

    let env = Env::empty();
    let config = env.config();
    let conn = Connections::from_config(&config).unwrap();
    let (history, lock) = history(&env);
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
        Wording::OWN,
    );
    let target = conn.target(plan.direction, as_of);
    let future = workflow::apply_recorded(
        &config,
        &history,
        lock,
        &target,
        request(&plan, &[]),
        &Silent,
    );
    assert_send(&future);
    // And it runs: an empty run is recorded as finished.
    let recorded = env.block_on(future).unwrap();
    assert_eq!(recorded.report.results, vec![]);
}

/// Keeps each event as a line, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Observer for Recorder {
    fn event(&self, event: Event<'_>) {
        let line = match event {
            Event::Fetching {
                service,
                what,
                done,
                total,
            } => format!("fetching {service:?} {what} {done}/{total:?}"),
            Event::Planned { summary, writes } => {
                format!("planned {} new, {writes} writes", summary.new)
            }
            Event::Applying {
                result,
                done,
                total,
            } => format!(
                "applying {} {done}/{total} {:?}",
                result.code, result.outcome
            ),
            Event::Waiting { message, .. } => format!("waiting {message}"),
            Event::Warning { message } => format!("warning {message}"),
            Event::Finished { report } => format!("finished {}", report.summary.text()),
        };
        self.0.lock().unwrap().push(line);
    }
}

/// Progress comes as typed events in the order of the work: each service's fetch, the plan
/// settled, each employee N of M with its result, the end.
#[test]
fn a_run_reports_typed_events_in_order() {
    let env = Env::empty();
    env.crew(util::crew(
        "0003",
        "長谷川",
        "久美子",
        serde_json::json!({}),
    ));
    env.crew(util::crew("0004", "山本", "一郎", serde_json::json!({})));
    let config = env.config();
    let conn = Connections::from_config(&config).unwrap();
    let direction = Direction::SmartHrToKot;
    let observer = Recorder::default();
    let rosters = env
        .block_on(workflow::fetch(
            &conn,
            direction,
            util::date(util::AS_OF),
            &observer,
        ))
        .unwrap();
    let defaults =
        workflow::resolve_defaults(direction, &rosters.masters, Some("本社"), Some("正社員"))
            .unwrap();
    let plan = workflow::plan(rosters, &defaults, &crewsync::plan::NoRules, Wording::OWN);
    let chosen = Selection::All.pick(&plan, &View::default()).unwrap();
    let (history, lock) = history(&env);
    let target = conn.target(direction, plan.as_of);
    env.block_on(workflow::apply_recorded(
        &config,
        &history,
        lock,
        &target,
        request(&plan, &chosen),
        &observer,
    ))
    .unwrap();
    let events = observer.0.into_inner().unwrap();
    let fetched = events.iter().filter(|e| e.starts_with("fetching")).count();
    assert_eq!(
        events[..fetched],
        [
            "fetching SmartHr crews 2/Some(2)",
            "fetching Kot employees 0/None",
            "fetching Kot employees 0/Some(0)",
        ],
        "{events:#?}"
    );
    let rest: Vec<&str> = events[fetched..].iter().map(String::as_str).collect();
    assert_eq!(
        rest,
        [
            "planned 2 new, 2 writes",
            "applying 0003 1/2 Ok",
            "applying 0004 2/2 Ok",
            "finished 2 created",
        ],
        "{events:#?}"
    );
}

/// A front end that notes when the workflow asks it for the choice and the confirmation, and
/// chooses every new and changed row.
#[derive(Default)]
struct Asked(Vec<&'static str>);

impl workflow::Front for Asked {
    type Halt = workflow::SyncError;

    fn choose(
        &mut self,
        saved: &crewsync::plan::saved::SavedPlan,
    ) -> Result<(Vec<usize>, Chosen<'_>), workflow::SyncError> {
        self.0.push("choose");
        let all = Selection::All.pick(&saved.plan, &View::default()).unwrap();
        Ok((all, Chosen::Ticked))
    }

    fn confirm(&mut self, _plan: &Plan, _writes: usize) -> Result<(), workflow::SyncError> {
        self.0.push("confirm");
        Ok(())
    }
}

/// The steps before an apply's first write come in the library's one order, whichever front
/// end drives them (issue 16 §2): the access window before anything is fetched or asked,
/// `max_changes` before the person is asked to confirm, the run lock only after the
/// confirmation (a person at a prompt never blocks the nightly run).
#[test]
fn an_apply_asks_the_front_end_in_the_workflow_s_order() {
    let env = Env::sample();
    let request = workflow::PlanRequest {
        direction: Direction::SmartHrToKot,
        as_of: util::date(util::AS_OF),
        office: Some("本社"),
        employment_type: Some("正社員"),
        rules: None,
        words: Wording::OWN,
    };
    let lock_in = |config: &crewsync::config::Config, front: &mut Asked| {
        let mut start = start_of(request.direction);
        let allowed = workflow::Allowed::default();
        env.block_on(workflow::lock_in(
            config,
            workflow::Source::Now(request),
            front,
            &allowed,
            &mut start,
            &Silent,
        ))
        .map(|locked| locked.chosen.len())
    };

    // Inside an access window: refused before any request and before the person is asked.
    // (A window of the whole day, whatever the hour the test runs at.)
    let mut config = env.config();
    config.maintenance_windows = vec![crewsync::window::Window {
        start: chrono::NaiveTime::MIN,
        end: chrono::NaiveTime::from_hms_milli_opt(23, 59, 59, 999).unwrap(),
    }];
    let mut front = Asked::default();
    let refused = lock_in(&config, &mut front).unwrap_err();
    assert!(refused.to_string().contains("window"), "{refused}");
    assert_eq!(front.0, Vec::<&str>::new());
    assert_eq!(requests(&env), 0);

    // More changes than max_changes allows: refused after the choice, before the confirmation.
    let mut config = env.config();
    config.max_changes = Some(crewsync::config::MaxChanges::Count(1));
    let mut front = Asked::default();
    let refused = lock_in(&config, &mut front).unwrap_err();
    assert!(refused.to_string().contains("max_changes"), "{refused}");
    assert_eq!(front.0, ["choose"]);

    // Another apply holds the lock: the person was asked, then the lock refuses.
    let config = env.config();
    let held = RunLock::acquire(&config.history).unwrap();
    let mut front = Asked::default();
    let refused = lock_in(&config, &mut front).unwrap_err();
    assert!(
        matches!(refused, workflow::SyncError::History(_)),
        "{refused}"
    );
    assert_eq!(front.0, ["choose", "confirm"]);
    drop(held);

    // And with nothing in the way, the chosen rows are locked in for writing.
    let mut front = Asked::default();
    let chosen = lock_in(&config, &mut front).unwrap();
    assert!(chosen > 0);
    assert_eq!(front.0, ["choose", "confirm"]);
}

/// A run's start as a front end fills it in before the workflow accounts for the plan.
fn start_of(direction: Direction) -> RunStart {
    RunStart {
        direction,
        as_of: util::date(util::AS_OF),
        user: "person".into(),
        selection: "ticked".into(),
        defaults: "none".into(),
        rules: None,
        planned: vec![],
        left_out: vec![],
        unchanged: 0,
    }
}
