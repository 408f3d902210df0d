//! The sync history: what each kind of run reads back as, the schema's migrations and the
//! one-apply-at-a-time lock.

use chrono::NaiveDate;
use crewsync::apply::{Action, ApplyResult, Outcome};
use crewsync::history::{
    EmailOutcome, History, HistoryError, PlannedWrite, RunCounts, RunEnd, RunId, RunLock, RunStart,
    RunStatus, run_text, runs_table,
};
use crewsync::model::{Direction, Field};
use std::path::PathBuf;

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state");
    std::fs::create_dir(&state).expect("state folder");
    let db = state.join("history.sqlite");
    Fixture { _dir: dir, db }
}

/// A history whose folder is missing is never created there: a mistyped `history:` path
/// would start a second history, and a second run lock, beside the real one.
#[test]
fn a_history_whose_folder_is_missing_is_refused_not_created() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("typo").join("history.sqlite");
    let Err(err) = History::open(&db) else {
        panic!("a history was opened in a folder that does not exist");
    };
    assert!(err.to_string().contains("does not exist"), "{err}");
    let Err(err) = RunLock::acquire(&db) else {
        panic!("a lock was taken in a folder that does not exist");
    };
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!dir.path().join("typo").exists());
}

fn planned(code: &str, name: &str, action: Action) -> PlannedWrite {
    PlannedWrite {
        code: code.to_string(),
        name: name.to_string(),
        action,
        fields: fields_for(action),
    }
}

fn fields_for(action: Action) -> Vec<Field> {
    match action {
        Action::Create => Field::SYNCED.to_vec(),
        Action::Update => vec![Field::Email, Field::LastName],
    }
}

fn start(planned: Vec<PlannedWrite>) -> RunStart {
    RunStart {
        direction: Direction::SmartHrToKot,
        as_of: NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"),
        user: "tanaka".to_string(),
        selection: "auto".to_string(),
        defaults: "office=本社, employment_type=正社員".to_string(),
        rules: Some("rules/ (sha256 0123abcd)".to_string()),
        planned,
        left_out: Vec::new(),
        unchanged: 0,
    }
}

fn result(write: &PlannedWrite, outcome: Outcome, error: Option<&str>) -> ApplyResult {
    ApplyResult {
        code: write.code.clone(),
        name: write.name.clone(),
        action: write.action,
        outcome,
        error: error.map(str::to_string),
        fields: write.fields.clone(),
        not_cleared: Vec::new(),
    }
}

fn roster() -> Vec<PlannedWrite> {
    vec![
        planned("E001", "佐藤 太郎", Action::Create),
        planned("E002", "山田 花子", Action::Create),
        planned("E003", "鈴木 一郎", Action::Update),
    ]
}

/// A run of the [`roster`] begun under the lock in a fresh history, as `apply` starts one.
struct Begun {
    history: History,
    lock: RunLock,
    writes: Vec<PlannedWrite>,
    run: RunId,
    // Last, so the folder goes only after the database is closed.
    fx: Fixture,
}

fn begin() -> Begun {
    let fx = fixture();
    let lock = RunLock::acquire(&fx.db).expect("lock");
    let history = History::open(&fx.db).expect("open");
    let writes = roster();
    let run = history
        .begin_run(&lock, &start(writes.clone()))
        .expect("begin");
    Begun {
        history,
        lock,
        writes,
        run,
        fx,
    }
}

impl Begun {
    /// Records how the roster's `i`th write went.
    fn record(&self, i: usize, outcome: Outcome, error: Option<&str>) {
        self.history
            .record(&self.run, &result(&self.writes[i], outcome, error))
            .expect("record");
    }
}

#[test]
fn a_successful_run_reads_back_completed_with_every_employee() {
    let begun = begin();
    let Begun { history, run, .. } = &begun;
    for i in 0..begun.writes.len() {
        begun.record(i, Outcome::Ok, None);
    }
    let status = history.finish(run, &RunEnd::default()).expect("finish");
    assert_eq!(status, RunStatus::Completed);
    history
        .record_email(run, &EmailOutcome::Sent)
        .expect("email");

    let detail = history.show(run.as_str()).expect("show");
    let s = &detail.summary;
    assert_eq!(&s.id, run);
    assert_eq!(s.status, RunStatus::Completed);
    assert_eq!(s.user, "tanaka");
    assert_eq!(s.direction, Direction::SmartHrToKot);
    assert_eq!(s.as_of, NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"));
    assert_eq!(s.selection, "auto");
    assert!(s.ended_at.is_some_and(|end| end >= s.started_at));
    assert_eq!(
        s.counts,
        RunCounts {
            created: 2,
            updated: 1,
            failed: 0,
            not_attempted: 0,
            ..RunCounts::default()
        }
    );
    assert_eq!(
        s.email.as_ref().map(|e| &e.outcome),
        Some(&EmailOutcome::Sent)
    );
    assert_eq!(detail.defaults, "office=本社, employment_type=正社員");
    assert_eq!(detail.rules.as_deref(), Some("rules/ (sha256 0123abcd)"));
    let codes: Vec<_> = detail.employees.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(codes, ["E001", "E002", "E003"]);
    assert_eq!(
        detail.employees[2].fields,
        vec![Field::Email, Field::LastName]
    );
    assert_eq!(detail.employees[0].name, "佐藤 太郎");
    assert!(
        detail
            .employees
            .iter()
            .all(|e| e.outcome == Some(Outcome::Ok))
    );

    let listed = history.list(10).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(&listed[0], s);
}

#[test]
fn a_partially_failed_run_keeps_the_errors_and_lists_failures_first() {
    let begun = begin();
    let Begun { history, run, .. } = &begun;
    begun.record(0, Outcome::Ok, None);
    let error = "KING OF TIME refused divisionCode 'X9' (HTTP 400): it is not a KOT division";
    begun.record(1, Outcome::Failed, Some(error));
    begun.record(2, Outcome::Ok, None);
    let status = history.finish(run, &RunEnd::default()).expect("finish");
    assert_eq!(status, RunStatus::CompletedWithFailures);

    let detail = history.show(run.as_str()).expect("show");
    assert_eq!(detail.summary.status, RunStatus::CompletedWithFailures);
    assert_eq!(
        detail.summary.counts,
        RunCounts {
            created: 1,
            updated: 1,
            failed: 1,
            not_attempted: 0,
            ..RunCounts::default()
        }
    );
    let failed = &detail.employees[1];
    assert_eq!(failed.outcome, Some(Outcome::Failed));
    assert_eq!(failed.error.as_deref(), Some(error));

    let text = run_text(&detail);
    assert!(text.contains("1 failed, 1 created, 1 updated"), "{text}");
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {text}"))
    };
    assert!(at("Failed (1)") < at("E002 山田 花子"));
    assert!(at(error) < at("Created (1)"));
    assert!(at("Created (1)") < at("E001 佐藤 太郎"));
    assert!(at("E001 佐藤 太郎") < at("Updated (1)"));
    assert!(at("Updated (1)") < at("E003 鈴木 一郎"));
}

#[test]
fn a_stopped_run_keeps_its_note_and_the_rest_as_not_attempted() {
    let begun = begin();
    let Begun { history, run, .. } = &begun;
    begun.record(0, Outcome::Ok, None);
    begun.record(1, Outcome::NotAttempted, None);
    let note = "stopped: KOT access window until 10:00 JST";
    let end = RunEnd {
        stopped: Some(note.to_string()),
    };
    assert_eq!(
        history.finish(run, &end).expect("finish"),
        RunStatus::Stopped
    );

    let detail = history.show(run.as_str()).expect("show");
    assert_eq!(detail.summary.status, RunStatus::Stopped);
    assert_eq!(detail.summary.note.as_deref(), Some(note));
    assert_eq!(
        detail.summary.counts,
        RunCounts {
            created: 1,
            updated: 0,
            failed: 0,
            not_attempted: 2,
            ..RunCounts::default()
        }
    );
    let text = run_text(&detail);
    assert!(text.contains(note), "{text}");
    assert!(text.contains("Not attempted (2)"), "{text}");
    // A finished run's outcomes are final.
    let late = history.record(run, &result(&begun.writes[2], Outcome::Ok, None));
    assert!(
        matches!(late, Err(HistoryError::NotRunning { .. })),
        "{late:?}"
    );
}

#[test]
fn a_run_whose_process_ended_reads_back_interrupted_with_exactly_what_was_done() {
    let begun = begin();
    begun.record(0, Outcome::Ok, None);
    begun.record(1, Outcome::Failed, Some("timeout"));
    // Dropped without `finish`, as when the process dies: the lock goes with it.
    let Begun {
        history,
        lock,
        writes,
        run,
        fx,
    } = begun;
    drop((history, lock));

    let history = History::open(&fx.db).expect("reopen");
    let detail = history.show(run.as_str()).expect("show");
    assert_eq!(detail.summary.status, RunStatus::Interrupted);
    assert_eq!(detail.summary.ended_at, None);
    let outcomes: Vec<_> = detail
        .employees
        .iter()
        .map(|e| (e.code.as_str(), e.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("E001", Some(Outcome::Ok)),
            ("E002", Some(Outcome::Failed)),
            ("E003", None)
        ]
    );
    assert_eq!(
        detail.summary.counts,
        RunCounts {
            created: 1,
            updated: 0,
            failed: 1,
            not_attempted: 1,
            ..RunCounts::default()
        }
    );
    assert_eq!(
        history.list(5).expect("list")[0].status,
        RunStatus::Interrupted
    );
    let text = run_text(&detail);
    assert!(text.contains("interrupted"), "{text}");
    assert!(text.contains("Not attempted (1)"), "{text}");

    // The next run (which holds the lock) writes the verdict down and starts cleanly.
    let lock = RunLock::acquire(&fx.db).expect("lock again");
    let rerun = history
        .begin_run(&lock, &start(vec![writes[2].clone()]))
        .expect("begin");
    let listed = history.list(5).expect("list");
    assert_eq!(listed[0].id, rerun);
    assert_eq!(listed[0].status, RunStatus::Running);
    assert_eq!(listed[1].id, run);
    assert_eq!(listed[1].status, RunStatus::Interrupted);
    let stale = history.record(&run, &result(&writes[2], Outcome::Ok, None));
    assert!(
        matches!(stale, Err(HistoryError::NotRunning { .. })),
        "{stale:?}"
    );
}

#[test]
fn a_running_run_is_running_while_its_lock_is_held() {
    // The writer stays open beside the reader, as in a running apply.
    let Begun {
        fx,
        history: _writer,
        lock,
        run,
        ..
    } = begin();
    // A second reader, as `crewsync history` in another process would be.
    let reader = History::open(&fx.db).expect("open reader");
    assert_eq!(
        reader.show(run.as_str()).expect("show").summary.status,
        RunStatus::Running
    );
    drop(lock);
    assert_eq!(
        reader.show(run.as_str()).expect("show").summary.status,
        RunStatus::Interrupted
    );
}

#[test]
fn reopening_runs_no_migration_twice_and_keeps_the_runs() {
    let fx = fixture();
    let run = {
        let lock = RunLock::acquire(&fx.db).expect("lock");
        let history = History::open(&fx.db).expect("open");
        let run = history.begin_run(&lock, &start(roster())).expect("begin");
        history.finish(&run, &RunEnd::default()).expect("finish");
        run
    };
    for _ in 0..2 {
        let history = History::open(&fx.db).expect("reopen");
        let runs = history.list(10).expect("list");
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].id, run);
    }
    let conn = rusqlite::Connection::open(&fx.db).expect("raw open");
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    assert!(version >= 1);
}

#[test]
fn a_database_from_a_newer_crewsync_is_refused() {
    let fx = fixture();
    drop(History::open(&fx.db).expect("open"));
    let conn = rusqlite::Connection::open(&fx.db).expect("raw open");
    conn.pragma_update(None, "user_version", 999).expect("bump");
    drop(conn);
    let err = History::open(&fx.db).expect_err("too new");
    assert!(
        matches!(err, HistoryError::TooNew { found: 999, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("upgrade crewsync"), "{err}");
}

#[test]
fn a_second_apply_is_refused_while_the_lock_is_held_and_admitted_after() {
    let fx = fixture();
    let first = RunLock::acquire(&fx.db).expect("lock");
    let err = RunLock::acquire(&fx.db).expect_err("second acquire");
    match &err {
        HistoryError::LockHeld { pid, since, .. } => {
            assert_eq!(*pid, Some(std::process::id()));
            assert!(since.is_some());
        }
        other => panic!("expected LockHeld, got {other:?}"),
    }
    let message = err.to_string();
    assert!(
        message.contains("another crewsync apply is running"),
        "{message}"
    );
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    drop(first);
    RunLock::acquire(&fx.db).expect("lock is free once dropped");
}

#[test]
fn a_lock_for_another_history_is_not_accepted() {
    let fx = fixture();
    let other = fx.db.with_file_name("other.sqlite");
    let lock = RunLock::acquire(&other).expect("lock");
    let history = History::open(&fx.db).expect("open");
    let err = history
        .begin_run(&lock, &start(roster()))
        .expect_err("wrong lock");
    assert!(matches!(err, HistoryError::WrongLock { .. }), "{err:?}");
}

#[test]
fn an_unknown_run_id_is_named_and_points_to_the_list() {
    let fx = fixture();
    let history = History::open(&fx.db).expect("open");
    let err = history.show("20261126-013512-zzzz").expect_err("unknown");
    let message = err.to_string();
    assert!(message.contains("'20261126-013512-zzzz'"), "{message}");
    assert!(message.contains("crewsync history"), "{message}");
}

#[test]
fn the_list_is_newest_first_and_limited() {
    let fx = fixture();
    let lock = RunLock::acquire(&fx.db).expect("lock");
    let history = History::open(&fx.db).expect("open");
    let ids: Vec<_> = (0..3)
        .map(|_| {
            let run = history.begin_run(&lock, &start(roster())).expect("begin");
            history.finish(&run, &RunEnd::default()).expect("finish");
            run
        })
        .collect();
    let listed: Vec<_> = history
        .list(2)
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, [ids[2].clone(), ids[1].clone()]);
    let table = runs_table(
        &history.list(10).expect("list"),
        &crewsync::render::Style::plain(80),
    );
    for id in &ids {
        assert!(table.contains(id.as_str()), "{table}");
    }
    assert!(table.contains("smarthr-to-kot"), "{table}");
}

#[test]
fn run_details_serialise_for_json_output() {
    let begun = begin();
    let Begun { history, run, .. } = &begun;
    begun.record(0, Outcome::Failed, Some("boom"));
    history.finish(run, &RunEnd::default()).expect("finish");
    history
        .record_email(run, &EmailOutcome::Failed("connection refused".to_string()))
        .expect("email");
    let json = serde_json::to_value(history.show(run.as_str()).expect("show")).expect("json");
    assert_eq!(json["id"], run.as_str());
    assert_eq!(json["status"], "completed_with_failures");
    assert_eq!(json["direction"], "smarthr-to-kot");
    assert_eq!(json["as_of"], "2026-04-01");
    assert_eq!(json["counts"]["failed"], 1);
    assert_eq!(json["counts"]["not_attempted"], 2);
    assert_eq!(json["email"]["status"], "failed");
    assert_eq!(json["email"]["error"], "connection refused");
    assert_eq!(json["employees"][0]["outcome"], "failed");
    assert_eq!(json["employees"][0]["error"], "boom");
    assert_eq!(json["employees"][1]["outcome"], serde_json::Value::Null);
    assert_eq!(json["employees"][2]["fields"][0], "email");
}

/// A history written before every employee was accounted for (schema v1) opens, and what it
/// called `skipped` reads back in today's word, not attempted.
#[test]
fn a_version_1_history_reads_skipped_as_not_attempted() {
    let fx = fixture();
    std::fs::create_dir_all(fx.db.parent().expect("folder")).expect("folder");
    let conn = rusqlite::Connection::open(&fx.db).expect("sqlite");
    conn.execute_batch(
        "CREATE TABLE runs (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT,
            status TEXT NOT NULL, user TEXT NOT NULL, pid INTEGER NOT NULL,
            direction TEXT NOT NULL, as_of TEXT NOT NULL, selection TEXT NOT NULL,
            defaults TEXT NOT NULL, rules TEXT, note TEXT, email_status TEXT,
            email_error TEXT, email_at TEXT);
         CREATE INDEX runs_started ON runs(started_at);
         CREATE TABLE run_employees (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, action TEXT NOT NULL,
            fields TEXT NOT NULL, outcome TEXT, error TEXT, recorded_at TEXT,
            PRIMARY KEY (run_id, code));
         PRAGMA user_version = 1;
         INSERT INTO runs VALUES ('20260401-010203-abcd', '2026-04-01T01:02:03.000Z',
            '2026-04-01T01:02:09.000Z', 'stopped', 'cron', 42, 'smarthr-to-kot', '2026-04-01',
            'auto', 'none', NULL, 'stopped: access window', NULL, NULL, NULL);
         INSERT INTO run_employees VALUES ('20260401-010203-abcd', 0, 'E001', '佐藤 太郎',
            'create', 'last_name', 'ok', NULL, '2026-04-01T01:02:04.000Z');
         INSERT INTO run_employees VALUES ('20260401-010203-abcd', 1, 'E002', '山田 花子',
            'create', 'last_name', 'skipped', 'stopped', '2026-04-01T01:02:05.000Z');",
    )
    .expect("a v1 history");
    drop(conn);

    let history = History::open(&fx.db).expect("opens and migrates");
    let detail = history.show("20260401-010203-abcd").expect("show");
    assert_eq!(
        detail.summary.counts,
        RunCounts {
            created: 1,
            not_attempted: 1,
            ..RunCounts::default()
        }
    );
    assert_eq!(detail.employees[1].outcome, Some(Outcome::NotAttempted));
    assert!(detail.left_out.is_empty());
}
