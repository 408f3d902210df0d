//! The sync history: what each kind of run reads back as, the schema's migrations and the
//! one-apply-at-a-time lock.

use chrono::NaiveDate;
use crewsync::apply::{Action, ApplyResult, LeftKind, LeftOut, Outcome};
use crewsync::history::{
    EmailOutcome, EmployeeOutcome, History, HistoryError, OutcomeFilter, PageRequest, PlannedWrite,
    RunCounts, RunEnd, RunFilter, RunId, RunLock, RunStart, RunStatus, run_text, runs_table,
};
use crewsync::model::{Direction, Field};
use crewsync::plan::Change;
use std::path::PathBuf;

mod util;

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
    let fields = fields_for(action);
    PlannedWrite {
        code: code.to_string(),
        name: name.to_string(),
        action,
        changes: fields
            .iter()
            .map(|&field| match action {
                Action::Create => change(field, None, Some(&format!("{code} {field}"))),
                Action::Update => change(
                    field,
                    Some(&format!("old {field}")),
                    Some(&format!("new {field}")),
                ),
            })
            .collect(),
        fields,
    }
}

fn change(field: Field, old: Option<&str>, new: Option<&str>) -> Change {
    Change {
        field,
        old: old.map(str::to_string),
        new: new.map(str::to_string),
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
        selection: "auto".into(),
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
        why: None,
        failure: None,
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

// ---------------------------------------------------------------- searches (issue 16 §3, 17 §7)

/// A history to search: runs recorded as `apply` records them, then dated by hand.
struct Searched {
    history: History,
    lock: RunLock,
    fx: Fixture,
}

/// One run to record: its direction, start (RFC 3339), the writes with how each went, and
/// who was left out.
struct Recorded<'a> {
    direction: Direction,
    started: &'a str,
    writes: Vec<(PlannedWrite, Outcome)>,
    left_out: Vec<LeftOut>,
}

fn searched() -> Searched {
    let fx = fixture();
    let lock = RunLock::acquire(&fx.db).expect("lock");
    let history = History::open(&fx.db).expect("open");
    Searched { history, lock, fx }
}

impl Searched {
    fn record(&self, run: Recorded<'_>) -> RunId {
        let mut start = start(run.writes.iter().map(|(w, _)| w.clone()).collect());
        start.direction = run.direction;
        start.left_out = run.left_out;
        let id = self.history.begin_run(&self.lock, &start).expect("begin");
        for (write, outcome) in &run.writes {
            let error = (*outcome != Outcome::Ok).then_some("KOT said no");
            self.history
                .record(&id, &result(write, *outcome, error))
                .expect("record");
        }
        self.history
            .finish(&id, &RunEnd::default())
            .expect("finish");
        let conn = rusqlite::Connection::open(&self.fx.db).expect("raw open");
        conn.execute(
            "UPDATE runs SET started_at = ?2 WHERE id = ?1",
            [id.as_str(), run.started],
        )
        .expect("date the run");
        id
    }

    fn runs(&self, code: Option<&str>, filter: &RunFilter) -> Vec<RunId> {
        let page = PageRequest {
            number: 1,
            size: 100,
        };
        let found = self.history.runs(code, filter, page).expect("runs");
        assert_eq!(found.total, found.items.len());
        found.items.into_iter().map(|r| r.id).collect()
    }
}

/// A write of `code` (always 佐藤 太郎) and how it went.
fn wrote(code: &str, action: Action, outcome: Outcome) -> (PlannedWrite, Outcome) {
    (planned(code, "佐藤 太郎", action), outcome)
}

fn left(kind: LeftKind, code: &str) -> LeftOut {
    LeftOut {
        kind,
        code: Some(code.to_string()),
        name: "左 一郎".to_string(),
        reason: "not ticked".to_string(),
        why: None,
    }
}

fn run_at(started: &str, writes: Vec<(PlannedWrite, Outcome)>) -> Recorded<'_> {
    Recorded {
        direction: Direction::SmartHrToKot,
        started,
        writes,
        left_out: Vec::new(),
    }
}

fn outcome(word: &str) -> OutcomeFilter {
    word.parse().expect("an outcome word")
}

#[test]
fn runs_come_a_page_at_a_time_newest_first_with_the_total() {
    let s = searched();
    let ids: Vec<RunId> = (1..=5)
        .map(|day| {
            let started = format!("2026-04-0{day}T03:00:00.000Z");
            s.record(run_at(
                &started,
                vec![wrote("E001", Action::Update, Outcome::Ok)],
            ))
        })
        .collect();
    let page = |number| {
        s.history
            .runs(None, &RunFilter::default(), PageRequest { number, size: 2 })
            .expect("page")
    };
    let first = page(1);
    assert_eq!(first.total, 5);
    assert_eq!(first.last(), 3);
    let listed: Vec<_> = first.items.iter().map(|r| r.id.clone()).collect();
    assert_eq!(listed, [ids[4].clone(), ids[3].clone()]);
    assert_eq!(
        first.items[0].counts.updated, 1,
        "counts come with the page"
    );
    let third = page(3);
    assert_eq!(third.items.len(), 1);
    assert_eq!(third.items[0].id, ids[0]);
    assert!(!third.is_past_end());
    let fourth = page(4);
    assert!(fourth.items.is_empty() && fourth.is_past_end());
    assert_eq!(fourth.total, 5);
    // `list` is the first page.
    let newest: Vec<_> = s
        .history
        .list(2)
        .expect("list")
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(newest, listed);
}

#[test]
fn a_code_finds_every_run_that_touched_the_employee_by_the_planners_key() {
    let s = searched();
    let written = s.record(run_at(
        "2026-04-01T03:00:00.000Z",
        vec![wrote("00123", Action::Create, Outcome::Ok)],
    ));
    let failed = s.record(run_at(
        "2026-04-02T03:00:00.000Z",
        vec![
            wrote("00123", Action::Update, Outcome::Failed),
            wrote("00999", Action::Update, Outcome::Ok),
        ],
    ));
    let left_out = s.record(Recorded {
        left_out: vec![left(LeftKind::NotSelected, "00123")],
        ..run_at(
            "2026-04-03T03:00:00.000Z",
            vec![wrote("00999", Action::Update, Outcome::Ok)],
        )
    });
    let other = s.record(run_at(
        "2026-04-04T03:00:00.000Z",
        vec![wrote("01234", Action::Update, Outcome::Ok)],
    ));
    let all = RunFilter::default();
    let touched = vec![left_out.clone(), failed.clone(), written.clone()];
    for typed in [
        "00123",
        " 00123",
        "００１２３",
        "00123\u{200b}",
        "\u{3000}00123\t",
    ] {
        assert_eq!(s.runs(Some(typed), &all), touched, "{typed:?}");
    }
    assert_eq!(
        s.runs(Some("0123"), &all),
        Vec::<RunId>::new(),
        "no prefix match"
    );
    assert_eq!(s.runs(None, &all).len(), 4);
    assert!(s.runs(Some("01234"), &all) == [other]);
    // The employee's outcome, not any employee's: 00999 was written in the failed run.
    let written_only = RunFilter {
        outcomes: vec![outcome("created"), outcome("updated")],
        ..RunFilter::default()
    };
    assert_eq!(s.runs(Some("00123"), &written_only), vec![written.clone()]);
    let not_selected = RunFilter {
        outcomes: vec![outcome("not_selected")],
        ..RunFilter::default()
    };
    assert_eq!(s.runs(Some("00123"), &not_selected), [left_out]);
    assert_eq!(s.runs(Some("00999"), &not_selected), Vec::<RunId>::new());

    let Err(err) = s
        .history
        .runs(Some(" \u{200b} "), &all, PageRequest { number: 1, size: 5 })
    else {
        panic!("a code of spaces and invisible characters was searched for");
    };
    assert!(matches!(err, HistoryError::EmptyCode(_)), "{err:?}");
    assert!(
        err.to_string().contains("\\u{200b}"),
        "the code is shown exactly: {err}"
    );
}

#[test]
fn outcomes_filter_by_run_status_and_by_any_employees_outcome() {
    let s = searched();
    let clean = s.record(run_at(
        "2026-04-01T03:00:00.000Z",
        vec![wrote("E001", Action::Create, Outcome::Ok)],
    ));
    let with_failure = s.record(Recorded {
        left_out: vec![left(LeftKind::Invalid, "E009")],
        ..run_at(
            "2026-04-02T03:00:00.000Z",
            vec![
                wrote("E001", Action::Update, Outcome::Ok),
                wrote("E002", Action::Update, Outcome::Failed),
            ],
        )
    });
    let by = |words: &[&str]| {
        s.runs(
            None,
            &RunFilter {
                outcomes: words.iter().map(|w| outcome(w)).collect(),
                ..RunFilter::default()
            },
        )
    };
    assert_eq!(by(&["completed"]), vec![clean.clone()]);
    assert_eq!(by(&["completed_with_failures"]), vec![with_failure.clone()]);
    assert_eq!(by(&["failed"]), vec![with_failure.clone()]);
    assert_eq!(by(&["invalid"]), vec![with_failure.clone()]);
    assert_eq!(by(&["created"]), vec![clean.clone()]);
    assert_eq!(by(&["updated"]), vec![with_failure.clone()]);
    assert_eq!(
        by(&["created", "failed"]),
        [with_failure.clone(), clean.clone()]
    );
    // A status and an employee outcome must both hold.
    assert_eq!(by(&["completed", "failed"]), Vec::<RunId>::new());
    assert_eq!(by(&["completed", "created"]), [clean]);
    assert_eq!(by(&["stopped"]), Vec::<RunId>::new());
    assert_eq!(by(&["excluded"]), Vec::<RunId>::new());
}

#[test]
fn dates_are_whole_days_in_jst_and_the_direction_filters_too() {
    let s = searched();
    // 2026-04-01 00:30 JST is still 2026-03-31 in UTC.
    let just_after_midnight = s.record(run_at(
        "2026-03-31T15:30:00.000Z",
        vec![wrote("E001", Action::Create, Outcome::Ok)],
    ));
    let late_on_the_2nd = s.record(Recorded {
        direction: Direction::KotToSmartHr,
        ..run_at(
            "2026-04-02T14:59:59.000Z",
            vec![wrote("E001", Action::Update, Outcome::Ok)],
        )
    });
    let day = |d: &str| Some(d.parse::<NaiveDate>().expect("date"));
    let between = |since, until| {
        s.runs(
            None,
            &RunFilter {
                since,
                until,
                ..RunFilter::default()
            },
        )
    };
    assert_eq!(
        between(day("2026-04-01"), day("2026-04-01")),
        vec![just_after_midnight.clone()]
    );
    assert_eq!(
        between(day("2026-04-02"), None),
        vec![late_on_the_2nd.clone()]
    );
    assert_eq!(between(None, day("2026-03-31")), Vec::<RunId>::new());
    assert_eq!(between(day("2026-04-03"), None), Vec::<RunId>::new());
    assert_eq!(between(None, day("2026-04-02")).len(), 2);
    let towards = |direction| {
        s.runs(
            None,
            &RunFilter {
                direction: Some(direction),
                ..RunFilter::default()
            },
        )
    };
    assert_eq!(towards(Direction::KotToSmartHr), [late_on_the_2nd]);
    assert_eq!(towards(Direction::SmartHrToKot), [just_after_midnight]);

    let backwards = RunFilter {
        since: day("2026-04-02"),
        until: day("2026-04-01"),
        ..RunFilter::default()
    };
    let first = PageRequest { number: 1, size: 5 };
    let err = s
        .history
        .runs(None, &backwards, first)
        .expect_err("backwards");
    assert!(
        matches!(err, HistoryError::BackwardsRange { .. }),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("2026-04-01") && message.contains("swap"),
        "{message}"
    );
    let err = s
        .history
        .timeline("E001", &backwards, first)
        .expect_err("backwards");
    assert!(
        matches!(err, HistoryError::BackwardsRange { .. }),
        "{err:?}"
    );
    for bad in [
        PageRequest { number: 0, size: 5 },
        PageRequest { number: 1, size: 0 },
    ] {
        let err = s
            .history
            .runs(None, &RunFilter::default(), bad)
            .expect_err("bad page");
        assert!(matches!(err, HistoryError::BadPage { .. }), "{err:?}");
    }
}

#[test]
fn an_employees_timeline_says_when_they_were_last_synced_and_what_changed() {
    let s = searched();
    let created = s.record(run_at(
        "2026-04-01T03:00:00.000Z",
        vec![wrote("00123", Action::Create, Outcome::Ok)],
    ));
    // An update whose clear of last_name was held back at write time: only the email was
    // written, and only the email is shown as changed.
    let mut update = planned("00123", "佐藤 太郎", Action::Update);
    update.changes = vec![
        change(
            Field::Email,
            Some("taro@old.example"),
            Some("taro@new.example"),
        ),
        change(Field::LastName, Some("佐藤"), None),
    ];
    update.fields = vec![Field::Email, Field::LastName];
    let updated = {
        let mut start = start(vec![update.clone()]);
        start.direction = Direction::KotToSmartHr;
        let id = s.history.begin_run(&s.lock, &start).expect("begin");
        let mut written = result(&update, Outcome::Ok, None);
        written.fields = vec![Field::Email];
        s.history.record(&id, &written).expect("record");
        s.history.finish(&id, &RunEnd::default()).expect("finish");
        id
    };
    let failed = s.record(run_at(
        "2026-05-01T03:00:00.000Z",
        vec![wrote("00123", Action::Update, Outcome::Failed)],
    ));
    let left_out = s.record(Recorded {
        left_out: vec![left(LeftKind::NotSelected, "00123")],
        ..run_at("2026-05-02T03:00:00.000Z", Vec::new())
    });
    s.record(run_at(
        "2026-05-03T03:00:00.000Z",
        vec![wrote("00999", Action::Create, Outcome::Ok)],
    ));

    let first = PageRequest {
        number: 1,
        size: 10,
    };
    let timeline = s
        .history
        .timeline(" ００１２３", &RunFilter::default(), first)
        .expect("timeline");
    assert_eq!(timeline.code, "00123");
    let runs: Vec<_> = timeline
        .entries
        .items
        .iter()
        .map(|e| e.run.clone())
        .collect();
    // `updated` started now, after the dated runs.
    assert_eq!(
        runs,
        [
            updated.clone(),
            left_out.clone(),
            failed.clone(),
            created.clone()
        ]
    );
    let outcomes: Vec<_> = timeline.entries.items.iter().map(|e| e.outcome).collect();
    assert_eq!(
        outcomes,
        [
            EmployeeOutcome::Updated,
            EmployeeOutcome::NotSelected,
            EmployeeOutcome::Failed,
            EmployeeOutcome::Created
        ]
    );
    let last = timeline.last_synced.as_ref().expect("last synced");
    assert_eq!(last.run, updated);
    assert_eq!(last.direction, Direction::KotToSmartHr);
    assert_eq!(last.user, "tanaka");
    assert!(last.recorded_at.is_some());
    assert_eq!(
        last.changes.as_deref(),
        Some(
            &[change(
                Field::Email,
                Some("taro@old.example"),
                Some("taro@new.example")
            )][..]
        )
    );
    let entry = |run: &RunId| {
        timeline
            .entries
            .items
            .iter()
            .find(|e| &e.run == run)
            .expect("entry")
    };
    let create = entry(&created);
    assert_eq!(create.name, "佐藤 太郎");
    let create_changes = create.changes.as_ref().expect("values kept");
    assert_eq!(create_changes.len(), Field::SYNCED.len());
    assert!(create_changes.iter().all(|c| c.old.is_none()));
    assert_eq!(
        create_changes[0],
        change(Field::LastName, None, Some("00123 last_name"))
    );
    assert_eq!(entry(&failed).reason.as_deref(), Some("KOT said no"));
    assert_eq!(entry(&left_out).reason.as_deref(), Some("not ticked"));
    assert!(entry(&left_out).fields.is_empty());

    // Filtered and paged like the runs.
    let failures = RunFilter {
        outcomes: vec![outcome("failed")],
        ..RunFilter::default()
    };
    let only = s
        .history
        .timeline("00123", &failures, first)
        .expect("timeline");
    assert_eq!(only.entries.total, 1);
    assert_eq!(only.entries.items[0].run, failed);
    assert_eq!(
        only.last_synced.map(|e| e.run),
        Some(updated),
        "whatever the filter"
    );
    let second = s
        .history
        .timeline(
            "00123",
            &RunFilter::default(),
            PageRequest { number: 2, size: 3 },
        )
        .expect("page 2");
    assert_eq!(second.entries.total, 4);
    assert_eq!(second.entries.items.len(), 1);
    assert_eq!(second.entries.items[0].run, created);

    let nobody = s
        .history
        .timeline("77777", &RunFilter::default(), first)
        .expect("none");
    assert!(nobody.last_synced.is_none() && nobody.entries.items.is_empty());
    assert_eq!(nobody.entries.total, 0);

    let json = serde_json::to_value(&timeline).expect("json");
    assert_eq!(json["code"], "00123");
    assert_eq!(json["entries"]["total"], 4);
    assert_eq!(json["entries"]["items"][0]["outcome"], "updated");
    assert_eq!(json["entries"]["items"][0]["changes"][0]["field"], "email");
    assert_eq!(
        json["entries"]["items"][0]["changes"][0]["old"],
        "taro@old.example"
    );
    assert_eq!(json["last_synced"]["direction"], "kot-to-smarthr");
}

#[test]
fn a_run_whose_process_ended_is_found_as_interrupted_not_running() {
    let begun = begin();
    begun.record(0, Outcome::Ok, None);
    let by = |history: &History, word: &str| {
        history
            .runs(
                None,
                &RunFilter {
                    outcomes: vec![outcome(word)],
                    ..RunFilter::default()
                },
                PageRequest { number: 1, size: 5 },
            )
            .expect("runs")
            .items
            .into_iter()
            .map(|r| (r.id, r.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by(&begun.history, "running"),
        [(begun.run.clone(), RunStatus::Running)]
    );
    assert!(by(&begun.history, "interrupted").is_empty());
    let entries = begun
        .history
        .timeline(
            "E001",
            &RunFilter::default(),
            PageRequest { number: 1, size: 5 },
        )
        .expect("timeline");
    assert_eq!(entries.entries.items[0].run_status, RunStatus::Running);
    let Begun {
        history, lock, run, ..
    } = begun;
    drop(lock);
    assert!(by(&history, "running").is_empty());
    assert_eq!(by(&history, "interrupted"), [(run, RunStatus::Interrupted)]);
    let entries = history
        .timeline(
            "E001",
            &RunFilter::default(),
            PageRequest { number: 1, size: 5 },
        )
        .expect("timeline");
    assert_eq!(entries.entries.items[0].run_status, RunStatus::Interrupted);
}

#[test]
fn outcome_words_are_forgiving_and_a_typo_gets_a_suggestion() {
    assert_eq!(
        outcome("Not-Selected"),
        OutcomeFilter::Employee(EmployeeOutcome::NotSelected)
    );
    assert_eq!(
        outcome("completed with failures"),
        OutcomeFilter::Run(RunStatus::CompletedWithFailures)
    );
    let err = "faild".parse::<OutcomeFilter>().expect_err("a typo");
    let message = err.to_string();
    assert!(message.contains("'faild'"), "{message}");
    assert!(message.contains("did you mean 'failed'?"), "{message}");
    assert!(
        message.contains("not_selected") && message.contains("refused"),
        "{message}"
    );
    let err = "banana".parse::<OutcomeFilter>().expect_err("not a word");
    assert!(!err.to_string().contains("did you mean"), "{err}");
}

/// The tables of a schema v2 history, as crewsync wrote them then: the start of the older
/// histories the upgrade tests bring forward.
const V2_SCHEMA: &str =
    "CREATE TABLE runs (id TEXT PRIMARY KEY, started_at TEXT NOT NULL, ended_at TEXT,
            status TEXT NOT NULL, user TEXT NOT NULL, pid INTEGER NOT NULL,
            direction TEXT NOT NULL, as_of TEXT NOT NULL, selection TEXT NOT NULL,
            defaults TEXT NOT NULL, rules TEXT, note TEXT, email_status TEXT,
            email_error TEXT, email_at TEXT, unchanged INTEGER NOT NULL DEFAULT 0);
         CREATE INDEX runs_started ON runs(started_at);
         CREATE TABLE run_employees (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL, code TEXT NOT NULL, name TEXT NOT NULL, action TEXT NOT NULL,
            fields TEXT NOT NULL, outcome TEXT, error TEXT, recorded_at TEXT,
            PRIMARY KEY (run_id, code));
         CREATE TABLE run_left_out (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL, kind TEXT NOT NULL, code TEXT, name TEXT NOT NULL,
            reason TEXT NOT NULL, PRIMARY KEY (run_id, seq));
         PRAGMA user_version = 2;";

/// A history written before the searches (schema v2) is brought forward in place: its codes
/// get their keys (so a full-width or padded code is found), the new indexes exist, and its
/// writes read back with their fields but without values, which it never kept.
#[test]
fn a_version_2_history_upgrades_in_place_and_is_searchable() {
    let fx = fixture();
    let conn = rusqlite::Connection::open(&fx.db).expect("sqlite");
    conn.execute_batch(&format!(
        "{V2_SCHEMA}
         INSERT INTO runs VALUES ('20260401-010203-abcd', '2026-04-01T01:02:03.000Z',
            '2026-04-01T01:02:09.000Z', 'completed', 'cron', 42, 'smarthr-to-kot', '2026-04-01',
            'auto', 'none', NULL, NULL, NULL, NULL, NULL, 3);
         INSERT INTO run_employees VALUES ('20260401-010203-abcd', 0, '００１２３', '佐藤 太郎',
            'update', 'email,last_name', 'ok', NULL, '2026-04-01T01:02:04.000Z');
         INSERT INTO run_left_out VALUES ('20260401-010203-abcd', 0, 'invalid', ' 00456',
            '山田 花子', 'no gender');"
    ))
    .expect("a v2 history");
    drop(conn);

    let history = History::open(&fx.db).expect("opens and migrates");
    let first = PageRequest { number: 1, size: 5 };
    let timeline = history
        .timeline("00123", &RunFilter::default(), first)
        .expect("timeline");
    let entry = &timeline.entries.items[0];
    assert_eq!(entry.run.as_str(), "20260401-010203-abcd");
    assert_eq!(entry.code, "００１２３", "the code as recorded");
    assert_eq!(entry.outcome, EmployeeOutcome::Updated);
    assert_eq!(entry.fields, [Field::Email, Field::LastName]);
    assert_eq!(entry.changes, None, "a v2 run kept no values");
    let left = history
        .runs(Some("00456"), &RunFilter::default(), first)
        .expect("runs");
    assert_eq!(left.total, 1);
    assert_eq!(left.items[0].counts.invalid, 1);
    assert_eq!(left.items[0].counts.unchanged, 3);

    // A reason recorded as text only (before v4) reads back as it was, with no data beside it.
    let detail = history.show("20260401-010203-abcd").expect("show");
    assert_eq!(detail.left_out[0].reason, "no gender");
    assert_eq!(detail.left_out[0].why, None);
    assert_eq!(detail.summary.selection, "auto");
    assert_eq!(detail.summary.picked, None);

    let conn = rusqlite::Connection::open(&fx.db).expect("raw open");
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 5);
    let indexes: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .expect("indexes")
        .query_map([], |r| r.get(0))
        .expect("indexes")
        .collect::<Result<_, _>>()
        .expect("indexes");
    for index in [
        "run_employees_code_key",
        "run_left_out_code_key",
        "runs_status_started",
        "runs_direction_started",
    ] {
        assert!(indexes.iter().any(|i| i == index), "{index} in {indexes:?}");
    }
    // The search by code uses its index, not a scan of every employee of every run.
    let plan: Vec<String> = conn
        .prepare("EXPLAIN QUERY PLAN SELECT run_id FROM run_employees WHERE code_key = '00123'")
        .expect("plan")
        .query_map([], |r| r.get(3))
        .expect("plan")
        .collect::<Result<_, _>>()
        .expect("plan");
    assert!(
        plan.iter().any(|p| p.contains("run_employees_code_key")),
        "{plan:?}"
    );
    drop(conn);

    // A new run in the upgraded history keeps its values.
    let lock = RunLock::acquire(&fx.db).expect("lock");
    let write = planned("00123", "佐藤 太郎", Action::Update);
    let run = history
        .begin_run(&lock, &start(vec![write.clone()]))
        .expect("begin");
    history
        .record(&run, &result(&write, Outcome::Ok, None))
        .expect("record");
    history.finish(&run, &RunEnd::default()).expect("finish");
    let timeline = history
        .timeline("00123", &RunFilter::default(), first)
        .expect("timeline");
    assert_eq!(timeline.entries.total, 2);
    assert_eq!(
        timeline.entries.items[0].changes.as_ref(),
        Some(&write.changes)
    );
}

/// A history written before held-back clears were kept (schema v4) is brought forward in
/// place: its runs read back as they were, with no clear held back, and a run recorded after
/// the upgrade keeps the clears it held back (issue 13 §3).
#[test]
fn a_version_4_history_upgrades_and_then_keeps_held_back_clears() {
    let fx = fixture();
    let conn = rusqlite::Connection::open(&fx.db).expect("sqlite");
    // The v2 schema as v3 and v4 moved it on (their columns; their indexes do not matter
    // here).
    conn.execute_batch(&format!(
        "{V2_SCHEMA}
         ALTER TABLE runs ADD COLUMN selection_said TEXT;
         ALTER TABLE run_employees ADD COLUMN code_key TEXT;
         ALTER TABLE run_employees ADD COLUMN changes TEXT;
         ALTER TABLE run_employees ADD COLUMN error_said TEXT;
         ALTER TABLE run_left_out ADD COLUMN code_key TEXT;
         ALTER TABLE run_left_out ADD COLUMN reason_said TEXT;
         PRAGMA user_version = 4;
         INSERT INTO runs VALUES ('20260401-010203-abcd', '2026-04-01T01:02:03.000Z',
            '2026-04-01T01:02:09.000Z', 'completed', 'cron', 42, 'smarthr-to-kot', '2026-04-01',
            'auto', 'none', NULL, NULL, NULL, NULL, NULL, 0, NULL);
         INSERT INTO run_employees VALUES ('20260401-010203-abcd', 0, '00123', '佐藤 太郎',
            'update', 'last_name', 'ok', NULL, '2026-04-01T01:02:04.000Z', '00123',
            '[{{\"field\":\"last_name\",\"old\":\"佐藤\",\"new\":\"齋藤\"}}]', NULL);"
    ))
    .expect("a v4 history");
    drop(conn);

    let history = History::open(&fx.db).expect("opens and migrates");
    let old = history.show("20260401-010203-abcd").expect("show");
    assert_eq!(old.employees[0].outcome, Some(Outcome::Ok));
    assert_eq!(old.employees[0].fields, [Field::LastName]);
    assert!(old.employees[0].not_cleared.is_empty());
    assert!(run_text(&old).contains("00123 佐藤 太郎 (update: last_name)"));
    assert!(!run_text(&old).contains("not cleared"));
    let version: u32 = rusqlite::Connection::open(&fx.db)
        .expect("raw open")
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version");
    assert_eq!(version, 5);

    let lock = RunLock::acquire(&fx.db).expect("lock");
    let write = planned("00123", "佐藤 太郎", Action::Update);
    let run = history
        .begin_run(&lock, &start(vec![write.clone()]))
        .expect("begin");
    let held = ApplyResult {
        not_cleared: vec![Field::Email],
        ..result(&write, Outcome::Ok, None)
    };
    history.record(&run, &held).expect("record");
    history.finish(&run, &RunEnd::default()).expect("finish");
    let new = history.show(run.as_str()).expect("show");
    assert_eq!(new.employees[0].not_cleared, [Field::Email]);
    assert!(
        run_text(&new).contains("\n      not cleared: email (unreadable in the source)\n"),
        "{}",
        run_text(&new)
    );
    let json = serde_json::to_value(&new).expect("json");
    assert_eq!(
        json["employees"][0]["not_cleared"],
        serde_json::json!(["email"])
    );
    assert_eq!(json["employees"][0]["outcome"], "updated");
    let timeline = history
        .timeline(
            "00123",
            &RunFilter::default(),
            PageRequest { number: 1, size: 5 },
        )
        .expect("timeline");
    assert_eq!(timeline.entries.items[0].not_cleared, [Field::Email]);
    assert!(timeline.entries.items[1].not_cleared.is_empty());
}

// ---------------------------------------------------------------- through the binary

/// Two applies into KOT of [`util::Env::one_of_each`]: the first writes only the new 0003
/// (0002 changed but not selected), the second writes everything, so 0002 is updated.
fn two_applies() -> util::Env {
    let env = util::Env::one_of_each("hanako@example.com");
    env.cmd(&util::apply_to_kot(&["--select", "0003", "--yes"]))
        .run()
        .expect(0);
    env.cmd(&util::apply_to_kot(&["--select", "all", "--yes"]))
        .run()
        .expect(0);
    env
}

#[test]
fn history_employee_shows_when_they_were_last_synced_and_what_changed() {
    let env = two_applies();
    let shown = env
        .cmd(&["history", "employee", "0002"])
        .env("COLUMNS", "100")
        .run()
        .expect(0);
    insta::assert_snapshot!("employee_timeline", util::redact(&shown.stdout));
    assert!(
        shown
            .stdout
            .contains("email: 0002@example.com → hanako@example.com"),
        "{}",
        shown.stdout
    );
    // Found by the planner's key, as typed with a space or full-width digits.
    for typed in [" 0002", "０００２"] {
        let again = env
            .cmd(&["history", "employee", typed])
            .env("COLUMNS", "100")
            .run()
            .expect(0);
        assert_eq!(again.stdout, shown.stdout, "{typed:?}");
    }

    let json = env
        .cmd(&["history", "employee", "0002", "--format", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(json["code"], "0002");
    assert_eq!(json["entries"]["total"], 2);
    let newest = &json["entries"]["items"][0];
    assert_eq!(newest["outcome"], "updated");
    assert_eq!(newest["direction"], "smarthr-to-kot");
    let email = newest["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "email")
        .expect("the email change");
    assert_eq!(email["old"], "0002@example.com");
    assert_eq!(email["new"], "hanako@example.com");
    assert_eq!(json["entries"]["items"][1]["outcome"], "not_selected");
    assert_eq!(json["last_synced"]["run"], newest["run"]);

    let created = env
        .cmd(&["history", "employee", "0003", "--format", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(
        created["entries"]["total"], 1,
        "unchanged in the second run"
    );
    assert_eq!(created["last_synced"]["outcome"], "created");
    let values = created["last_synced"]["changes"].as_array().unwrap();
    assert!(
        values
            .iter()
            .any(|c| c["field"] == "last_name" && c["new"] == "長谷川" && c["old"].is_null()),
        "{values:?}"
    );
    assert!(
        values
            .iter()
            .any(|c| c["field"] == "office" && c["new"] == "本社"),
        "{values:?}"
    );

    let nobody = env.cmd(&["history", "employee", "9999"]).run().expect(0);
    assert!(
        nobody.stdout.contains("Last synced: never"),
        "{}",
        nobody.stdout
    );
    // A filter that hides every run that touched 0002 says so, as the list of runs does.
    let filtered = env
        .cmd(&["history", "employee", "0002", "--outcome", "failed"])
        .run()
        .expect(0);
    assert!(
        filtered.stdout.starts_with("No run in ")
            && filtered
                .stdout
                .trim_end()
                .ends_with("matches for employee 0002."),
        "{}",
        filtered.stdout
    );
    // The filters work after `employee` (its own) and before it (the order that worked
    // when they were options of `history` for every subcommand).
    let before = env
        .cmd(&["history", "--outcome", "failed", "employee", "0002"])
        .run()
        .expect(0);
    assert_eq!(before.stdout, filtered.stdout);
    let blank = env
        .cmd(&["history", "employee", " \u{3000}"])
        .run()
        .expect(1);
    assert!(
        blank.stderr.contains("is empty once spaces"),
        "{}",
        blank.stderr
    );
}

#[test]
fn history_filters_by_code_outcome_date_and_direction_a_page_at_a_time() {
    let env = two_applies();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["history", "--format", "json"];
        all.extend_from_slice(args);
        env.cmd(&all)
            .run()
            .expect(0)
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let both = ids(&[]);
    assert_eq!(both.len(), 2);
    let (second, first) = (both[0].clone(), both[1].clone());
    assert_eq!(ids(&["--code", "0003"]), vec![first.clone()]);
    assert_eq!(ids(&["--code", "0002"]), both);
    assert_eq!(
        ids(&["--code", "0002", "--outcome", "updated"]),
        vec![second.clone()]
    );
    assert_eq!(ids(&["--outcome", "not_selected"]), vec![first.clone()]);
    assert_eq!(ids(&["--outcome", "created,updated"]), both);
    assert_eq!(ids(&["--outcome", "Completed"]), both);
    assert_eq!(
        ids(&["--direction", "kot-to-smarthr"]),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&["--direction", "smarthr-to-kot", "--since", "2000-01-01"]),
        both
    );
    assert_eq!(ids(&["--until", "2000-01-01"]), Vec::<String>::new());
    assert_eq!(
        ids(&["--per-page", "1", "--page", "2"]),
        vec![first.clone()]
    );
    assert_eq!(ids(&["--limit", "1"]), vec![second.clone()]);

    let paged = env
        .cmd(&["history", "--per-page", "1"])
        .env("COLUMNS", "80")
        .run()
        .expect(0);
    insta::assert_snapshot!(
        "runs_page_1_of_2",
        util::redact(&paged.stdout).replace(env.config_path().to_str().unwrap(), "[CONFIG]")
    );
    assert!(paged.stdout.contains("Page 1 of 2"), "{}", paged.stdout);
    let none = env
        .cmd(&["history", "--until", "2000-01-01"])
        .run()
        .expect(0);
    assert!(none.stdout.starts_with("No run in "), "{}", none.stdout);
}

#[test]
fn bad_history_flags_name_the_value_and_exit_1() {
    let env = util::Env::empty();
    let typo = env.cmd(&["history", "--outcome", "faild"]).run().expect(1);
    insta::assert_snapshot!("unknown_outcome", typo.stderr);
    assert!(
        typo.stderr.contains("did you mean 'failed'?"),
        "{}",
        typo.stderr
    );
    for (args, says) in [
        (
            &["history", "--since", "2026-02-30"][..],
            "'2026-02-30' is not a date",
        ),
        (
            &["history", "--page", "0"][..],
            "'0' is not a whole number from 1 up",
        ),
        (
            &["history", "--per-page", "x"][..],
            "'x' is not a whole number from 1 up",
        ),
        // A negative number reaches the flag's own message, not clap's "unexpected argument".
        (
            &["history", "--per-page", "-1"][..],
            "'-1' is not a whole number from 1 up",
        ),
        (
            &["history", "employee", "0001", "--page", "-2"][..],
            "'-2' is not a whole number from 1 up",
        ),
        (
            &["history", "--limit", "-1"][..],
            "'-1' is not a whole number from 0 up",
        ),
        (
            &["history", "--until", "0001-01-01"][..],
            "'0001-01-01' is outside the dates crewsync takes (1900-01-01 to 2999-12-31)",
        ),
        (&["history", "--direction", "sideways"][..], "sideways"),
        (
            &["history", "--since", "2026-05-01", "--until", "2026-04-01"][..],
            "swap the two dates",
        ),
        (
            &["history", "--page", "2", "show", "20260401-010203-abcd"][..],
            "`history show` shows one whole run",
        ),
        // `history show` does not take the list's filters, as its help says.
        (
            &["history", "show", "20260401-010203-abcd", "--page", "2"][..],
            "unexpected argument '--page'",
        ),
        (
            &["history", "--page", "2"][..],
            "--page 2 is past the last page, 1",
        ),
        (
            &["history", "employee", "0001", "--page", "3"][..],
            "--page 3 is past the last page",
        ),
    ] {
        let out = env.cmd(args).run().expect(1);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}
