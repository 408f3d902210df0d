//! A nightly `apply` through the real binary (issue 14): every employee of the plan accounted
//! for in the report, the history and the email; a run that cannot start leaves a trace;
//! `--wait` waits out any access-window refusal; the run lock cannot be bypassed; Ctrl-C stops
//! cleanly.

#[path = "support/smtp.rs"]
mod smtp;
mod util;

use crewsync::error::Wording;
use crewsync::history::{History, PlannedWrite, RunLock, RunStart, RunStatus};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use util::{AS_OF, Env, apply_all_to_kot, apply_to_kot, crew, kot};

fn history_at(db: &Path) -> History {
    History::open(db).expect("history opens")
}

fn history(env: &Env) -> History {
    history_at(&env.dir.path().join("crewsync.db"))
}

/// `notify:` pointing at a test SMTP server, plus `extra` YAML.
fn with_email(env: &Env, extra: &str) -> smtp::SmtpServer {
    let server = env.block_on(smtp::SmtpServer::start(smtp::Auth::Off));
    env.write_config(&format!(
        "notify:\n  smtp_url: smtp://127.0.0.1:{}?tls=none\n  from: crewsync@example.com\n  to: [hr@example.com]\n{extra}",
        server.port
    ));
    server
}

/// The entry for `code` in a report's `left_out` list.
fn left<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["left_out"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["code"] == code))
        .unwrap_or_else(|| panic!("{code} is not in left_out:\n{report:#}"))
}

/// Rules that exclude TEST accounts and never auto-select a birth-date change.
fn write_rules(env: &Env) {
    let dir = env.dir.path().join("rules");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("10_scope.rhai"),
        "fn exclude(e, direction) {\n  if e.code != () && e.code.starts_with(\"TEST\") { return \"test account\"; }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("50_select.rhai"),
        "fn select(row, direction) {\n  for c in row.changes { if c.field == \"birth_date\" { return false; } }\n  true\n}\n",
    )
    .unwrap();
}

/// Issue 14 item 1: a run that writes one employee still reports, records and emails every
/// other one of its plan, with why, those that need a person first.
#[test]
fn every_employee_of_the_plan_is_in_the_report_the_history_and_the_email() {
    let env = Env::empty();
    write_rules(&env);
    let server = with_email(&env, "rules: rules\n");
    env.crew(crew("0001", "新人", "一", json!({})));
    // Two crews with one code: invalid.
    env.crew(crew("0002", "重複", "一", json!({})));
    env.crew(crew("0002", "重複", "二", json!({})));
    // A birth-date change the rules leave for a person.
    env.kot_employee(kot("0003", "生年", "月子", json!({})));
    env.crew(crew(
        "0003",
        "生年",
        "月子",
        json!({"birth_at": "1991-05-05"}),
    ));
    env.crew(crew("TEST1", "試験", "用", json!({})));
    env.kot_employee(kot("0004", "同じ", "人", json!({})));
    env.crew(crew("0004", "同じ", "人", json!({})));

    let out = env
        .cmd(&apply_to_kot(&[
            "--select", "auto", "--yes", "--format", "json",
        ]))
        .run()
        .expect(0);
    let report = out.json();
    assert_eq!(
        report["summary"],
        json!({"failed": 0, "not_attempted": 0, "invalid": 2, "not_selected": 1,
               "excluded": 1, "created": 1, "updated": 0, "unchanged": 1}),
        "{report:#}"
    );
    assert_eq!(left(&report, "0002")["outcome"], "invalid");
    assert!(
        left(&report, "0002")["reason"]
            .as_str()
            .unwrap()
            .contains("0002"),
        "{report:#}"
    );
    let not_selected = left(&report, "0003");
    assert_eq!(not_selected["outcome"], "not_selected");
    assert!(
        not_selected["reason"]
            .as_str()
            .unwrap()
            .contains("50_select.rhai"),
        "which rule left it out: {report:#}"
    );
    assert_eq!(left(&report, "TEST1")["outcome"], "excluded");
    assert!(
        left(&report, "TEST1")["reason"]
            .as_str()
            .unwrap()
            .contains("test account")
    );

    let run = report["run_id"].as_str().unwrap();
    let detail = history(&env).show(run).unwrap();
    assert_eq!(detail.summary.counts.invalid, 2);
    assert_eq!(detail.summary.counts.not_selected, 1);
    assert_eq!(detail.summary.counts.excluded, 1);
    assert_eq!(detail.summary.counts.unchanged, 1);
    let shown = env.cmd(&["history", "show", run]).run().expect(0).stdout;
    let at = |text: &str, needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing:\n{text}"))
    };
    assert!(at(&shown, "Invalid (2)") < at(&shown, "Not selected (1)"));
    assert!(at(&shown, "Not selected (1)") < at(&shown, "Excluded (1)"));
    assert!(at(&shown, "Excluded (1)") < at(&shown, "Created (1)"));
    assert!(shown.contains("50_select.rhai"), "{shown}");

    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    let subject = mails[0].header("Subject").unwrap();
    assert!(
        subject.starts_with("[crewsync] 2 invalid, 1 not selected, 1 excluded, 1 created"),
        "{subject}"
    );
    let body = mails[0].body();
    for needle in ["重複 一", "生年 月子", "test account", "50_select.rhai"] {
        assert!(body.contains(needle), "{needle} in the email:\n{body}");
    }
    assert!(
        at(&body, "Invalid (2)") < at(&body, "Created (1)"),
        "{body}"
    );
}

/// Issue 14 item 1: an apply with nothing it can write still prints its report and records the
/// run; `--strict` makes invalid employees a failure for cron.
#[test]
fn an_apply_where_every_new_hire_is_invalid_reports_them_and_strict_exits_2() {
    let env = Env::empty();
    env.crew(crew("0101", "無所属", "一", json!({})));
    env.crew(crew("0102", "無所属", "二", json!({})));
    // No --office: every new hire is invalid.
    let args = [
        "apply",
        "--direction",
        "smarthr-to-kot",
        "--as-of",
        AS_OF,
        "--employment-type",
        "正社員",
        "--select",
        "all",
        "--yes",
    ];
    let out = env.cmd(&args).run().expect(0);
    assert!(out.stdout.contains("invalid"), "{}", out.stdout);
    assert!(out.stdout.contains("0101") && out.stdout.contains("0102"));
    assert!(out.stdout.contains("2 invalid"), "{}", out.stdout);
    let mut strict = args.to_vec();
    strict.extend(["--strict", "--format", "json"]);
    let out = env.cmd(&strict).run().expect(2);
    assert_eq!(out.json()["summary"]["invalid"], 2);
    let runs = history(&env).list(5).unwrap();
    assert_eq!(runs.len(), 2, "both runs are in the history");
    assert_eq!(runs[0].counts.invalid, 2);
    assert!(env.sims.kot.employees().is_empty());
}

/// Issue 14 item 2: runs refused before writing (a bad token, an unreachable host, an access
/// window, max_changes) are each in the history as refused, with why, and each sent its email.
#[test]
fn a_run_that_cannot_start_is_recorded_as_refused_and_emailed() {
    let env = Env::empty();
    env.crew(crew("0201", "拒否", "一", json!({})));
    env.crew(crew("0202", "拒否", "二", json!({})));
    let server = with_email(&env, "");

    let out = env
        .cmd(&apply_all_to_kot(&[]))
        .env("KOT_ACCESS_TOKEN", "wrong-token")
        .run()
        .expect(1);
    assert!(out.stderr.contains("refused run"), "{}", out.stderr);
    assert_eq!(out.json()["summary"]["created"], 0, "a report even so");

    env.sims.kot.faults().access_window_after_requests(0);
    env.cmd(&apply_all_to_kot(&[])).run().expect(1);
    env.sims.kot.faults().close_access_window();

    let notify = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(env.config_path(), format!("{notify}max_changes: 1\n")).unwrap();
    let report = env.cmd(&apply_all_to_kot(&[])).run().expect(1).json();
    assert_eq!(report["summary"]["not_attempted"], 2, "{report:#}");
    assert!(
        report["stopped"].as_str().unwrap().contains("max_changes"),
        "{report:#}"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(
        env.config_path(),
        notify.replace(
            &env.sims.kot.base_url(),
            &format!("http://127.0.0.1:{closed}/v1.0"),
        ),
    )
    .unwrap();
    env.cmd(&apply_all_to_kot(&[])).run().expect(1);

    let runs = history(&env).list(10).unwrap();
    assert_eq!(runs.len(), 4, "{runs:#?}");
    assert!(
        runs.iter().all(|r| r.status == RunStatus::Refused),
        "{runs:#?}"
    );
    let notes: Vec<&str> = runs
        .iter()
        .rev()
        .map(|r| r.note.as_deref().unwrap())
        .collect();
    assert!(
        notes[0].contains("401") || notes[0].contains("token"),
        "{}",
        notes[0]
    );
    assert!(notes[1].contains("KING OF TIME refuses"), "{}", notes[1]);
    assert!(notes[2].contains("max_changes"), "{}", notes[2]);
    assert!(notes[3].contains(&closed.to_string()), "{}", notes[3]);
    // The max_changes refusal knew its plan: both employees are there, not attempted.
    let refused = history(&env).show(runs[1].id.as_str()).unwrap();
    assert_eq!(refused.summary.counts.not_attempted, 2);
    assert!(env.sims.kot.employees().is_empty());

    let mails = server.messages();
    assert_eq!(mails.len(), 4, "one email per refused run");
    for mail in &mails {
        assert!(
            mail.header("Subject")
                .unwrap()
                .starts_with("[crewsync] refused"),
            "{:?}",
            mail.header("Subject")
        );
    }
    assert!(
        mails[2].body().contains("max_changes"),
        "{}",
        mails[2].body()
    );

    let table = env.cmd(&["history"]).run().expect(0).stdout;
    assert_eq!(table.matches("refused").count(), 4, "{table}");
}

/// Issue 14 item 3: with `maintenance_windows: []` and KOT's clock a few seconds inside its
/// window (behind the machine's), `--wait` polls through the refusal at the very start.
#[test]
fn wait_waits_out_a_refusal_its_windows_did_not_predict() {
    let env = Env::with(crewsync::sim::SimConfig {
        company: crewsync::sim::Company::empty(),
        kot_clock: Some(
            util::date(AS_OF)
                .and_hms_opt(9, 59, 57)
                .unwrap()
                .and_local_timezone(crewsync::sim::JST)
                .unwrap(),
        ),
        rate_limits: false,
        limits: Default::default(),
    });
    env.crew(crew("0301", "待機", "一", json!({})));
    env.write_config("window_poll_seconds: 1\n");
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(1);
    assert!(
        out.stderr.contains("Recorded as refused run"),
        "{}",
        out.stderr
    );

    env.sims.kot.set_clock(
        util::date(AS_OF)
            .and_hms_opt(9, 59, 57)
            .unwrap()
            .and_local_timezone(crewsync::sim::JST)
            .unwrap(),
    );
    let out = env.cmd(&apply_all_to_kot(&["--wait"])).run().expect(0);
    assert!(
        out.stderr.contains("trying again in 1s (--wait)"),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["summary"]["created"], 1);
    assert_eq!(env.kot_with_code("0301").len(), 1);
}

/// Issue 14 item 3: `--wait` gives up after `max_wait_minutes` in all and says so; the run is
/// recorded as refused.
#[test]
fn wait_gives_up_after_max_wait_minutes_and_says_so() {
    let env = Env::empty();
    env.crew(crew("0311", "待機", "一", json!({})));
    env.write_config("window_poll_seconds: 1\nmax_wait_minutes: 0.05\n");
    env.sims.kot.faults().access_window_after_requests(0);
    let started = Instant::now();
    let out = env.cmd(&apply_all_to_kot(&["--wait"])).run().expect(1);
    assert!(started.elapsed() >= Duration::from_secs(3));
    assert!(
        out.stderr.contains("max_wait_minutes") && out.stderr.contains("3 s"),
        "{}",
        out.stderr
    );
    let runs = history(&env).list(1).unwrap();
    assert_eq!(runs[0].status, RunStatus::Refused);
    assert!(
        runs[0]
            .note
            .as_deref()
            .unwrap()
            .contains("max_wait_minutes")
    );
}

/// A run begun in this process under the lock of `db`, as a running apply holds it.
fn hold_a_run(db: &Path) -> (RunLock, History, crewsync::history::RunId) {
    let lock = RunLock::acquire(db).expect("lock");
    let history = history_at(db);
    let run = history
        .begin_run(
            &lock,
            &RunStart {
                direction: crewsync::model::Direction::SmartHrToKot,
                as_of: util::date(AS_OF),
                user: "nightly".into(),
                selection: "auto".into(),
                defaults: "none".into(),
                rules: None,
                planned: vec![PlannedWrite {
                    code: "9999".into(),
                    name: "走行 中".into(),
                    action: crewsync::apply::Action::Create,
                    fields: vec![],
                    changes: vec![],
                }],
                left_out: vec![],
                unchanged: 0,
            },
        )
        .expect("begin");
    (lock, history, run)
}

/// Issue 14 item 6: a second apply reaching the database through a symlink or another spelling
/// is refused, recorded as refused, and leaves the running one running.
#[test]
fn the_lock_holds_through_a_symlink_and_another_spelling() {
    let env = Env::empty();
    env.crew(crew("0601", "施錠", "一", json!({})));
    let real = env.dir.path().join("state");
    std::fs::create_dir_all(real.join("sub")).unwrap();
    let db = real.join("crewsync.db");
    std::os::unix::fs::symlink(&real, env.dir.path().join("link")).unwrap();
    let (_lock, held, run) = hold_a_run(&db);
    // A symlink to the database file itself: `<path as written>.lock` is another file.
    std::os::unix::fs::symlink(&db, env.dir.path().join("nightly.db")).unwrap();

    for spelling in ["nightly.db", "link/crewsync.db", "state/sub/../crewsync.db"] {
        env.write_config(&format!("history: {spelling}\n"));
        let out = env.cmd(&apply_all_to_kot(&[])).run().expect(1);
        assert!(
            out.stderr.contains("another crewsync apply"),
            "{spelling}: {}",
            out.stderr
        );
        assert!(env.sims.kot.employees().is_empty());
    }
    // The running run is still running and can finish; both refusals are recorded beside it.
    let runs = held.list(10).unwrap();
    assert_eq!(runs.len(), 4);
    assert_eq!(
        runs.iter().find(|r| r.id == run).unwrap().status,
        RunStatus::Running
    );
    assert_eq!(
        runs.iter()
            .filter(|r| r.status == RunStatus::Refused)
            .count(),
        3
    );
    held.finish(&run, &Default::default())
        .expect("the held run was not marked interrupted");
}

/// Issue 14 item 8: Ctrl-C while writing lets the write in flight finish, records the run as
/// stopped by the user, prints what was written and what was not, and the same apply run again
/// finishes the rest.
#[test]
fn ctrl_c_while_writing_stops_cleanly_and_the_rerun_finishes() {
    let env = Env::empty();
    for i in 1..=12 {
        env.crew(crew(
            &format!("{i:04}"),
            "中断",
            &format!("{i}号"),
            json!({}),
        ));
    }
    // KOT's real pace, so the run is still writing when Ctrl-C comes.
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    let at = text.rfind("requests_per_second: 500").unwrap();
    let mut slow = text.clone();
    slow.replace_range(
        at..at + "requests_per_second: 500".len(),
        "requests_per_second: 4",
    );
    std::fs::write(env.config_path(), slow).unwrap();

    let mut child = env
        .cmd(&apply_all_to_kot(&[]))
        .spawn(Stdio::piped(), Stdio::piped());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "the run never wrote anybody");
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(runs) = history(&env).list(1)
            && runs.first().is_some_and(|r| r.counts.created >= 2)
        {
            break;
        }
    }
    let pid = child.child().id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("Running the same apply again finishes the rest"),
        "{stderr}"
    );
    let report: Value = serde_json::from_str(&stdout).expect("the report is printed");
    let created = report["summary"]["created"].as_u64().unwrap();
    let not_attempted = report["summary"]["not_attempted"].as_u64().unwrap();
    assert!(created >= 2 && not_attempted >= 1, "{report:#}");
    assert_eq!(created + not_attempted, 12, "{report:#}");
    assert_eq!(
        env.sims.kot.employees().len() as u64,
        created,
        "nothing half-written"
    );

    let run = &history(&env).list(1).unwrap()[0];
    assert_eq!(run.status, RunStatus::Stopped);
    assert!(run.note.as_deref().unwrap().contains("stopped by the user"));

    std::fs::write(env.config_path(), text).unwrap();
    let rerun = env.cmd(&apply_all_to_kot(&[])).run().expect(0).json();
    assert_eq!(rerun["summary"]["created"].as_u64().unwrap(), not_attempted);
    for i in 1..=12 {
        assert_eq!(env.kot_with_code(&format!("{i:04}")).len(), 1);
    }
}

/// Issue 14 item 6: the lock is taken only when writing begins, so another apply may write a
/// chosen employee while this one's selection is made; that employee is then held back as not
/// attempted (its plan is stale) instead of being written from an out-of-date comparison.
#[test]
fn an_employee_written_by_another_run_after_the_plan_was_fetched_is_held_back() {
    use crewsync::apply::Silent;
    use crewsync::apply::{Chosen, Selection};
    use crewsync::model::Direction;
    use crewsync::workflow::{self, Connections, Request};

    let env = Env::empty();
    env.crew(crew("0701", "並行", "一", json!({})));
    env.crew(crew("0702", "並行", "二", json!({})));
    let config = env.config();
    let conn = Connections::from_config(&config).unwrap();
    let direction = Direction::SmartHrToKot;

    let fetched_at = chrono::Utc::now();
    let rosters = env
        .block_on(workflow::fetch(
            &conn,
            direction,
            util::date(AS_OF),
            &Silent,
        ))
        .unwrap();
    let defaults =
        workflow::resolve_defaults(direction, &rosters.masters, Some("本社"), Some("正社員"))
            .unwrap();
    let plan = workflow::plan(rosters, &defaults, &crewsync::plan::NoRules, Wording::OWN);
    let chosen = Selection::All
        .pick(&plan, &crewsync::plan::View::default())
        .unwrap();
    assert_eq!(chosen.len(), 2);

    // Meanwhile, the nightly run writes 0701.
    env.cmd(&apply_to_kot(&["--select", "0701", "--yes"]))
        .run()
        .expect(0);

    let mut start = RunStart {
        direction,
        as_of: plan.as_of,
        user: "person".into(),
        selection: "all".into(),
        defaults: "office=本社".into(),
        rules: None,
        planned: vec![],
        left_out: vec![],
        unchanged: 0,
    };
    workflow::accounted(
        &mut start,
        &plan,
        &chosen,
        Chosen::Selection(&Selection::All),
    );
    let db = env.dir.path().join("crewsync.db");
    let lock = RunLock::acquire(&db).unwrap();
    let recorded = env
        .block_on(workflow::apply_recorded(
            &config,
            &crewsync::history::HistoryHandle::new(history_at(&db)),
            lock,
            &conn.target(direction, plan.as_of),
            Request {
                plan: &plan,
                chosen: &chosen,
                start,
                fetched_at,
                stale: Vec::new(),
                options: Default::default(),
            },
            &Silent,
        ))
        .unwrap();
    let result = |code: &str| {
        recorded
            .report
            .results
            .iter()
            .find(|r| r.code == code)
            .unwrap()
            .clone()
    };
    let held = result("0701");
    assert_eq!(held.outcome, crewsync::apply::Outcome::NotAttempted);
    assert!(
        held.error
            .as_deref()
            .unwrap()
            .contains("after this plan was fetched"),
        "{held:?}"
    );
    assert_eq!(result("0702").outcome, crewsync::apply::Outcome::Ok);
    assert_eq!(env.kot_with_code("0701").len(), 1);
    assert_eq!(recorded.report.summary.not_attempted, 1);
}

/// `crewsync <args>` in a pseudo-terminal (util-linux `script`), so that `apply` shows its
/// prompts; Ctrl-C is typed once `prompt` appears. Its exit status and everything it drew.
fn ctrl_c_at_the_prompt(env: &Env, args: &[&str], prompt: &str) -> (Option<i32>, String) {
    use std::io::{Read, Write};
    let quoted: Vec<String> = [env!("CARGO_BIN_EXE_crewsync")]
        .iter()
        .copied()
        .chain(args.iter().copied())
        .chain(["--config", env.config_path().to_str().unwrap()])
        .map(|a| format!("'{a}'"))
        .collect();
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &quoted.join(" "), "/dev/null"])
        .current_dir(env.dir.path())
        .env("SMARTHR_ACCESS_TOKEN", crewsync::sim::SMARTHR_TOKEN)
        .env("KOT_ACCESS_TOKEN", crewsync::sim::KOT_TOKEN)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("util-linux script runs");
    let drawn = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap();
    let sink = drawn.clone();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let text = || String::from_utf8_lossy(&drawn.lock().unwrap()).into_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !text().contains(prompt) {
        assert!(
            Instant::now() < deadline,
            "no prompt {prompt:?}:\n{}",
            text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running after Ctrl-C:\n{}", text());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    drop(stdin);
    let _ = reader.join();
    (status.code(), text())
}

/// Issue 14 item 8: Ctrl-C at the tick list or at the confirmation ends the apply with the
/// cursor shown again, nothing written, and the run recorded as stopped by the user.
#[test]
fn ctrl_c_at_a_prompt_restores_the_cursor_and_is_recorded() {
    const HIDE: &str = "\x1b[?25l";
    const SHOW: &str = "\x1b[?25h";
    let env = Env::empty();
    env.crew(crew("0801", "中止", "一", json!({})));
    for (args, prompt) in [
        (apply_to_kot(&[]), "Tick the employees"),
        (apply_to_kot(&["--select", "all"]), "Write 1 employee(s)"),
    ] {
        let (status, drawn) = ctrl_c_at_the_prompt(&env, &args, prompt);
        assert_eq!(status, Some(130), "{drawn}");
        let hidden = drawn.rfind(HIDE).expect("the prompt hid the cursor");
        assert!(
            drawn[hidden..].contains(SHOW),
            "the cursor is shown again after the prompt:\n{drawn:?}"
        );
        let run = &history(&env).list(1).unwrap()[0];
        assert_eq!(run.status, RunStatus::Stopped, "{prompt}");
        assert!(
            run.note.as_deref().unwrap().contains("Ctrl-C"),
            "{:?}",
            run.note
        );
    }
    assert!(env.sims.kot.employees().is_empty());
    assert_eq!(history(&env).list(10).unwrap().len(), 2);
}

/// A server (or proxy) that answers 200 with a body echoing the Authorization header: the run
/// is refused, and neither its report, its history entry, `history show` nor its email holds
/// the token (issue 14, item 7: every path a string can reach a person by).
#[test]
fn a_token_echoed_by_a_server_reaches_neither_history_nor_email() {
    let env = Env::empty();
    env.crew(crew("0301", "反響", "一", json!({})));
    let server = with_email(&env, "");
    env.sims.kot.faults().echo_authorization(true);
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(1);
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(crewsync::sim::KOT_TOKEN), "{text}");
    }
    let runs = history(&env).list(10).unwrap();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0].status, RunStatus::Refused);
    let note = runs[0].note.clone().unwrap_or_default();
    assert!(!note.is_empty(), "the refusal is recorded with its reason");
    assert!(!note.contains(crewsync::sim::KOT_TOKEN), "{note}");
    let shown = env
        .cmd(&["history", "show", runs[0].id.as_str()])
        .run()
        .expect(0)
        .stdout;
    assert!(!shown.contains(crewsync::sim::KOT_TOKEN), "{shown}");
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert!(
        !mails[0].body().contains(crewsync::sim::KOT_TOKEN),
        "{}",
        mails[0].body()
    );
}
