//! Unattended runs through the real binary (issue 5): the history of each kind of run, the
//! completion email, waiting out an access window, the concurrent-run lock and the
//! mass-change guard.

#[path = "support/smtp.rs"]
mod smtp;
mod util;

use crewsync::history::{History, RunStatus};
use serde_json::json;
use std::process::Stdio;
use std::time::{Duration, Instant};
use util::{AS_OF, Env, apply_all_to_kot, crew};

fn history(env: &Env) -> History {
    History::open(&env.dir.path().join("crewsync.db")).expect("history opens")
}

fn seed(env: &Env, n: usize) {
    for i in 1..=n {
        env.crew(crew(
            &format!("{i:04}"),
            "履歴",
            &format!("{i}号"),
            json!({}),
        ));
    }
}

#[test]
fn history_records_a_successful_and_a_partially_failed_run() {
    let env = Env::empty();
    seed(&env, 2);
    let ok = env.cmd(&apply_all_to_kot(&[])).run().expect(0).json();
    env.crew(crew("0003", "履歴", "3号", json!({})));
    env.crew(crew("0004", "履歴", "4号", json!({})));
    env.sims.kot.faults().fail_next_writes(2, 503);
    let partial = env.cmd(&apply_all_to_kot(&[])).run().expect(2).json();

    let runs = history(&env).list(10).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id.as_str(), partial["run_id"].as_str().unwrap());
    assert_eq!(runs[0].status, RunStatus::CompletedWithFailures);
    assert_eq!((runs[0].counts.created, runs[0].counts.failed), (1, 1));
    assert_eq!(runs[1].id.as_str(), ok["run_id"].as_str().unwrap());
    assert_eq!(runs[1].status, RunStatus::Completed);
    assert_eq!(runs[1].counts.created, 2);

    let shown = env
        .cmd(&[
            "history",
            "show",
            partial["run_id"].as_str().unwrap(),
            "--format",
            "json",
        ])
        .run()
        .expect(0)
        .json();
    let failed: Vec<_> = shown["employees"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["error"].as_str().unwrap().contains("503")
            || failed[0]["error"]
                .as_str()
                .unwrap()
                .contains("KING OF TIME")
    );
    let table = env.cmd(&["history"]).run().expect(0);
    assert!(
        table.stdout.contains(partial["run_id"].as_str().unwrap()),
        "{}",
        table.stdout
    );
    let unknown = env.cmd(&["history", "show", "no-such-run"]).run().expect(1);
    assert!(unknown.stderr.contains("no-such-run"), "{}", unknown.stderr);
}

/// A run killed half-way stays in the history as interrupted with exactly the employees that
/// were done; the re-run completes the rest and nobody is created twice.
#[test]
fn a_killed_run_is_interrupted_and_the_rerun_completes_it() {
    let env = Env::empty();
    seed(&env, 12);
    // Slow the writes to KOT's real pace so the test can kill the process half-way.
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    let mut lines = text.lines().map(str::to_string).collect::<Vec<_>>();
    let kot_rps = lines
        .iter()
        .rposition(|l| l.contains("requests_per_second"))
        .unwrap();
    lines[kot_rps] = "  requests_per_second: 4".into();
    std::fs::write(env.config_path(), lines.join("\n") + "\n").unwrap();

    let child = env
        .cmd(&apply_all_to_kot(&[]))
        .spawn(Stdio::null(), Stdio::null());
    let deadline = Instant::now() + Duration::from_secs(60);
    let recorded = loop {
        assert!(
            Instant::now() < deadline,
            "the run never recorded an employee"
        );
        std::thread::sleep(Duration::from_millis(100));
        if let Ok(runs) = History::open(&env.dir.path().join("crewsync.db")).and_then(|h| h.list(1))
            && let Some(run) = runs.first()
            && run.counts.created >= 2
        {
            break run.id.clone();
        }
    };
    drop(child); // killed half-way

    let detail = history(&env).show(recorded.as_str()).unwrap();
    assert_eq!(detail.summary.status, RunStatus::Interrupted);
    let done: Vec<_> = detail
        .employees
        .iter()
        .filter(|e| e.outcome.is_some())
        .map(|e| e.code.clone())
        .collect();
    assert!(done.len() >= 2 && done.len() < 12, "{done:?}");
    for code in &done {
        assert_eq!(
            env.kot_with_code(code).len(),
            1,
            "{code} recorded as done is in KOT"
        );
    }

    let rerun = env.cmd(&apply_all_to_kot(&[])).run().expect(0).json();
    let written = rerun["summary"]["created"].as_u64().unwrap() as usize;
    assert!(
        written <= 12 - done.len(),
        "the re-run does only the rest: {rerun:#}"
    );
    for i in 1..=12 {
        assert_eq!(
            env.kot_with_code(&format!("{i:04}")).len(),
            1,
            "employee {i:04} exactly once"
        );
    }
    assert_eq!(
        history(&env).list(10).unwrap()[0].status,
        RunStatus::Completed
    );
}

#[test]
fn the_result_is_emailed_and_a_send_failure_does_not_fail_the_run() {
    let env = Env::empty();
    seed(&env, 2);
    let server = env.block_on(smtp::SmtpServer::start(smtp::Auth::Off));
    env.write_config(&format!(
        "notify:\n  smtp_url: smtp://127.0.0.1:{}?tls=none\n  from: crewsync@example.com\n  to: [hr@example.com]\n",
        server.port
    ));
    env.sims.kot.faults().fail_next_writes(2, 500);
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(2);
    let mails = server.messages();
    assert_eq!(mails.len(), 1, "{}", out.stderr);
    let subject = mails[0].header("Subject").unwrap();
    assert!(
        subject.starts_with("[crewsync] 1 failed, 1 created"),
        "{subject}"
    );
    assert!(
        subject.contains("smarthr-to-kot") && subject.contains(AS_OF),
        "{subject}"
    );
    let body = mails[0].body();
    let failed_at = body.find("履歴 1号").expect("failed employee listed");
    let created_at = body.find("履歴 2号").expect("created employee listed");
    assert!(failed_at < created_at, "failures first:\n{body}");
    assert_eq!(mails[0].rcpt_to, vec!["hr@example.com".to_string()]);

    // Nobody listens on this port: the run succeeds, the failure is printed and recorded.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    env.write_config(&format!(
        "notify:\n  smtp_url: smtp://127.0.0.1:{closed}?tls=none\n  from: crewsync@example.com\n  to: [hr@example.com]\n"
    ));
    env.crew(crew("0009", "履歴", "9号", json!({})));
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    assert!(out.stderr.contains("email was not sent"), "{}", out.stderr);
    let last = &history(&env).list(1).unwrap()[0];
    assert_eq!(last.status, RunStatus::Completed);
    assert!(
        matches!(&last.email, Some(r) if matches!(r.outcome, crewsync::history::EmailOutcome::Failed(_))),
        "{:?}",
        last.email
    );
}

/// `--wait`: a refusal mid-run pauses the run, which carries on once KOT answers again.
#[test]
fn wait_carries_on_after_the_access_window() {
    let env = Env::empty();
    seed(&env, 3);
    env.write_config("window_poll_seconds: 1\n");
    env.sims.kot.faults().access_window_after_requests(4);
    let child = env
        .cmd(&apply_all_to_kot(&["--wait"]))
        .spawn(Stdio::piped(), Stdio::piped());
    // Let the run meet the window, then move the simulated clock past it.
    std::thread::sleep(Duration::from_secs(3));
    env.sims.kot.faults().close_access_window();
    let out = child.wait_with_output();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("--wait"),
        "it said it was waiting: {stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["created"], 3, "{report:#}");
    assert_eq!(env.sims.kot.employees().len(), 3);
}

#[test]
fn a_second_apply_is_refused_while_one_runs() {
    let env = Env::empty();
    let _held = crewsync::history::RunLock::acquire(&env.dir.path().join("crewsync.db")).unwrap();
    seed(&env, 1);
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(1);
    assert!(
        out.stderr.contains("another crewsync apply"),
        "{}",
        out.stderr
    );
    assert!(env.sims.kot.employees().is_empty());
}

#[test]
fn the_mass_change_guard_refuses_unless_forced() {
    let env = Env::empty();
    seed(&env, 5);
    env.write_config("max_changes: '40%'\n");
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(1);
    assert!(
        out.stderr.contains("max_changes") && out.stderr.contains("--force"),
        "{}",
        out.stderr
    );
    assert!(env.sims.kot.employees().is_empty());
    env.cmd(&apply_all_to_kot(&["--force"])).run().expect(0);
    assert_eq!(env.sims.kot.employees().len(), 5);
}
