//! The Rhai rules as integrators use them: decisions per employee, rule tests, reloads.

use crewsync::model::Field;
use crewsync::model::{Direction, Employee, MasterItem};
use crewsync::plan::{Change, Policy, PolicyError, SelectInput, Status};
use crewsync::rules::{self, Limits, Rules, RulesHandle, WatchEvent};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tempfile::TempDir;

const TO_KOT: Direction = Direction::SmartHrToKot;
const TO_SMARTHR: Direction = Direction::KotToSmartHr;

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn shipped_rules() -> Rules {
    Rules::load(&shipped()).unwrap_or_else(|e| panic!("{e}"))
}

/// A rules folder named `rules` inside a temp dir, so labels read `rules/<file>`.
fn folder(files: &[(&str, &str)]) -> (TempDir, PathBuf) {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("rules");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    write(&dir, files);
    (tmp, dir)
}

/// What deciding for an empty employee fails with, when the rules are `script` alone, saved as
/// `rules/offices.rhai`.
fn decide_error(direction: Direction, script: &str) -> PolicyError {
    let (_tmp, dir) = folder(&[("offices.rhai", script)]);
    let rules = Rules::load(&dir).unwrap();
    rules
        .decide(direction, &mut Employee::default())
        .unwrap_err()
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn item(id: &str, name: &str) -> Option<MasterItem> {
    Some(MasterItem {
        id: id.into(),
        name: name.into(),
    })
}

fn smarthr_employee(code: &str, department: &str, employment_type: &str) -> Employee {
    Employee {
        code: Some(code.into()),
        last_name: Some("山田".into()),
        first_name: Some("太郎".into()),
        employment_type: item("uuid-type", employment_type),
        raw: serde_json::json!({"departments": [{"name": department}]}).into(),
        ..Employee::default()
    }
}

#[test]
fn shipped_examples_pass_their_tests() {
    let report = rules::run_tests(&shipped());
    assert!(report.is_ok(), "{report}");
    assert!(report.passed() >= 15, "{report}");
    assert!(rules::check(&shipped()).is_ok());
}

#[test]
fn office_and_type_are_decided_per_employee_into_kot() {
    let rules = shipped_rules();
    let mut sales = smarthr_employee("1", "営業部", "正社員");
    let mut fukuoka = smarthr_employee("2", "福岡営業部", "パート・アルバイト");

    let d1 = rules.decide(TO_KOT, &mut sales).unwrap();
    let d2 = rules.decide(TO_KOT, &mut fukuoka).unwrap();

    let office = d1.office.unwrap();
    assert_eq!(office.value, "大阪支社");
    assert_eq!(office.from, "rules/30_offices.rhai:office");
    let employment_type = d1.employment_type.unwrap();
    assert_eq!(employment_type.value, "正社員");
    assert_eq!(
        employment_type.from,
        "rules/40_employment_types.rhai:employment_type"
    );
    assert_eq!(d2.office.unwrap().value, "福岡営業所");
    assert_eq!(d2.employment_type.unwrap().value, "パート");
}

#[test]
fn office_is_decided_per_employee_into_smarthr_and_type_left_to_default() {
    let rules = shipped_rules();
    let mut osaka = Employee {
        code: Some("3".into()),
        office: item("2000", "大阪支社"),
        employment_type: item("1", "正社員"),
        ..Employee::default()
    };
    let mut unmapped = Employee {
        code: Some("4".into()),
        office: item("9000", "どこか"),
        ..Employee::default()
    };

    let d = rules.decide(TO_SMARTHR, &mut osaka).unwrap();
    assert_eq!(d.office.unwrap().value, "大阪支店");
    assert_eq!(d.employment_type, None);
    assert_eq!(
        rules.decide(TO_SMARTHR, &mut unmapped).unwrap().office,
        None
    );
}

#[test]
fn overrides_rewrite_the_source_record() {
    let rules = shipped_rules();
    let mut e = Employee {
        code: Some("5".into()),
        last_name: Some("佐藤".into()),
        first_name: Some("花子".into()),
        business_last_name: Some("鈴木".into()),
        last_name_kana: Some("ｻﾄｳ".into()),
        email: Some("Hanako@Example.com".into()),
        ..Employee::default()
    };
    let mut to_smarthr = e.clone();

    rules.decide(TO_KOT, &mut e).unwrap();
    rules.decide(TO_SMARTHR, &mut to_smarthr).unwrap();

    assert_eq!(e.last_name.as_deref(), Some("鈴木"));
    assert_eq!(e.first_name.as_deref(), Some("花子"));
    assert_eq!(e.email.as_deref(), Some("hanako@example.com"));
    assert_eq!(e.last_name_kana.as_deref(), Some("サトウ"));
    // The business name goes to KOT only.
    assert_eq!(to_smarthr.last_name.as_deref(), Some("佐藤"));
}

#[test]
fn exclude_leaves_board_members_out_with_a_reason() {
    let rules = shipped_rules();
    let mut board = smarthr_employee("6", "総務部", "役員");
    let d = rules.decide(TO_KOT, &mut board).unwrap();
    let excluded = d.exclude.unwrap();
    assert!(excluded.value.contains("役員"), "{}", excluded.value);
    assert_eq!(excluded.from, "rules/10_scope.rhai:exclude");
    // The rest is not decided for an excluded employee.
    assert_eq!(d.office, None);
}

fn select(rules: &Rules, status: Status, changes: &[Change]) -> Option<bool> {
    let source = Employee::default();
    let input = SelectInput {
        status,
        changes,
        source: &source,
        target: None,
    };
    rules.select(TO_SMARTHR, &input).unwrap().map(|d| d.value)
}

#[test]
fn select_takes_new_rows_and_changes_except_birth_dates() {
    let rules = shipped_rules();
    let change = |field| Change {
        field,
        old: Some("a".into()),
        new: Some("b".into()),
    };
    assert_eq!(select(&rules, Status::New, &[]), Some(true));
    assert_eq!(
        select(&rules, Status::Changed, &[change(Field::Email)]),
        Some(true)
    );
    assert_eq!(
        select(
            &rules,
            Status::Changed,
            &[change(Field::Email), change(Field::BirthDate)]
        ),
        Some(false)
    );
}

#[test]
fn a_syntax_error_is_reported_with_file_line_column_and_the_line() {
    let (_tmp, dir) = folder(&[
        (
            "a.rhai",
            "fn office(e) {\n    if e.code == \"1\" {\n        \"本社\"\n    \n}\n",
        ),
        ("b.rhai", "fn office(e) {\n    let x = ;\n}\n"),
    ]);
    let err = Rules::load(&dir).unwrap_err();
    let text = err.to_string();
    // Every broken file is reported, not just the first.
    assert_eq!(err.problems.len(), 2, "{text}");
    assert!(text.contains("rules/b.rhai:2:13: "), "{text}");
    assert!(text.contains("    let x = ;"), "{text}");
    assert!(text.contains("^"), "{text}");
    let check = rules::check(&dir);
    assert!(!check.is_ok());
    assert_eq!(check.problems, err.problems);

    // A broken test file is reported in the same run, not after the scripts are fixed.
    write(
        &dir,
        &[("tests/t.yaml", "- name: x\n  direction: sideways\n")],
    );
    let check = rules::check(&dir);
    assert_eq!(check.problems.len(), 3, "{check}");
    assert!(
        check.problems[2]
            .location()
            .ends_with("rules/tests/t.yaml:2:14"),
        "{check}"
    );
}

#[test]
fn an_undefined_variable_is_a_compile_error() {
    let (_tmp, dir) = folder(&[("a.rhai", "fn office(e) {\n    offices[e.code]\n}\n")]);
    let err = Rules::load(&dir).unwrap_err();
    assert!(err.to_string().contains("rules/a.rhai:2:5"), "{err}");
}

/// A loop the fast path runs (no `while`, only helpers) but that takes far longer than the
/// deadline, each step being a helper over a long text: stopped as Rhai would stop it.
#[test]
fn a_slow_rule_is_stopped_by_the_deadline() {
    let long = "ｱ".repeat(2000);
    let (_tmp, dir) = folder(&[(
        "slow.rhai",
        &format!(
            "fn office(e) {{\n    let s = \"\";\n    for x in e.raw.items {{ s = to_full_width_katakana(\"{long}\"); }}\n    s\n}}\n"
        ),
    )]);
    let limits = Limits {
        deadline: Duration::from_millis(30),
        max_operations: u64::MAX / 2,
    };
    let rules = Rules::load_with(&dir, &limits).unwrap();
    let mut e = Employee {
        raw: serde_json::json!({ "items": vec![1; 10_000] }).into(),
        ..Employee::default()
    };
    let Err(err) = rules.decide(TO_KOT, &mut e) else {
        panic!("the slow rule ran to its end instead of being stopped");
    };
    assert!(err.message.contains("took longer than 30 ms"), "{err}");
}

#[test]
fn an_endless_loop_is_stopped_and_reported_as_a_policy_error() {
    let (_tmp, dir) = folder(&[(
        "loop.rhai",
        "fn office(e) {\n    let n = 0;\n    loop { n += 1; }\n}\n",
    )]);
    let limits = Limits {
        deadline: Duration::from_millis(100),
        // High enough that the deadline, not the operation count, stops it.
        max_operations: u64::MAX / 2,
    };
    let rules = Rules::load_with(&dir, &limits).unwrap();
    let err: PolicyError = rules.decide(TO_KOT, &mut Employee::default()).unwrap_err();
    assert!(err.message.contains("stopped"), "{err}");
    assert!(
        err.location
            .as_deref()
            .unwrap()
            .starts_with("rules/loop.rhai:"),
        "{err:?}"
    );

    // The operation limit alone stops it too.
    let rules = Rules::load_with(
        &dir,
        &Limits {
            deadline: Duration::from_secs(60),
            max_operations: 10_000,
        },
    )
    .unwrap();
    let err = rules.decide(TO_KOT, &mut Employee::default()).unwrap_err();
    assert!(err.message.contains("10000 operations"), "{err}");
}

#[test]
fn a_runtime_error_names_file_line_and_column() {
    let err = decide_error(
        TO_SMARTHR,
        "// comment\nfn office(e) {\n    e.office.name\n}\n",
    );
    assert_eq!(
        err.location.as_deref(),
        Some("rules/offices.rhai:3:14"),
        "{err}"
    );
}

#[test]
fn a_date_helper_given_an_absurd_number_is_a_policy_error_not_a_crash() {
    let err = decide_error(
        TO_KOT,
        "fn office(e) {\n    add_days(\"2024-01-01\", 9223372036854775807)\n}\n",
    );
    assert!(err.message.contains("out of range"), "{err}");
    assert_eq!(
        err.location.as_deref(),
        Some("rules/offices.rhai:2:5"),
        "{err}"
    );
}

#[test]
fn a_wrongly_typed_answer_is_a_policy_error_naming_the_function() {
    let (_tmp, dir) = folder(&[
        ("a.rhai", "fn office(e) { 1.5 }\n"),
        // A key written out is refused at load; one computed is refused per employee.
        (
            "b.rhai",
            "fn overrides(e) { let k = \"emial\"; let m = #{}; m[k] = \"x\"; m }\n",
        ),
    ]);
    let rules = Rules::load(&dir).unwrap();
    let err = rules.decide(TO_KOT, &mut Employee::default()).unwrap_err();
    // overrides runs first; its unknown field is named with the list of fields.
    assert!(err.message.contains("'emial'"), "{err}");
    assert!(err.message.contains("email"), "{err}");
    assert_eq!(err.location.as_deref(), Some("rules/b.rhai:1:1"));

    std::fs::remove_file(dir.join("b.rhai")).unwrap();
    let rules = Rules::load(&dir).unwrap();
    let err = rules.decide(TO_KOT, &mut Employee::default()).unwrap_err();
    assert!(err.message.contains("fn office returned 1.5"), "{err}");
}

#[test]
fn earlier_files_win_and_unit_passes_to_the_next() {
    let (_tmp, dir) = folder(&[
        (
            "1.rhai",
            "fn office(e) { if e.code == \"A\" { \"本社\" } }\n",
        ),
        ("2.rhai", "fn office(e, direction) { direction }\n"),
    ]);
    let rules = Rules::load(&dir).unwrap();
    let mut a = Employee {
        code: Some("A".into()),
        ..Employee::default()
    };
    let d = rules.decide(TO_KOT, &mut a).unwrap().office.unwrap();
    assert_eq!(
        (d.value.as_str(), d.from.as_str()),
        ("本社", "rules/1.rhai:office")
    );
    let d = rules
        .decide(TO_KOT, &mut Employee::default())
        .unwrap()
        .office
        .unwrap();
    assert_eq!(
        (d.value.as_str(), d.from.as_str()),
        ("smarthr-to-kot", "rules/2.rhai:office")
    );
}

#[test]
fn office_and_select_see_the_overridden_record_and_overrides_the_original() {
    let (_tmp, dir) = folder(&[
        (
            "1.rhai",
            "fn overrides(e) { #{email: lower(e.email)} }\n\
             fn office(e) { e.email }\n\
             fn select(row) { row.employee.email == \"a@x.jp\" }\n",
        ),
        // A later file's overrides still sees the source's value.
        ("2.rhai", "fn overrides(e) { #{first_name: e.email} }\n"),
    ]);
    let rules = Rules::load(&dir).unwrap();
    let mut e = Employee {
        email: Some("A@X.jp".into()),
        ..Employee::default()
    };
    let decision = rules.decide(TO_KOT, &mut e).unwrap();
    assert_eq!(decision.office.unwrap().value, "a@x.jp");
    assert_eq!(e.email.as_deref(), Some("a@x.jp"));
    assert_eq!(e.first_name.as_deref(), Some("A@X.jp"));
    let input = SelectInput {
        status: Status::New,
        changes: &[],
        source: &e,
        target: None,
    };
    assert_eq!(
        rules.select(TO_KOT, &input).unwrap().map(|d| d.value),
        Some(true)
    );
}

#[test]
fn scripts_cannot_import_or_eval() {
    for script in [
        "import \"other\" as o;\nfn office(e) { () }\n",
        "fn office(e) { eval(\"1\") }\n",
    ] {
        let (_tmp, dir) = folder(&[("a.rhai", script)]);
        assert!(Rules::load(&dir).is_err(), "{script} compiled");
    }
}

#[test]
fn move_existing_opts_in_per_employee() {
    let (_tmp, dir) = folder(&[(
        "move.rhai",
        "fn office(e) { \"本社\" }\n\
         fn move_existing(e) { if e.code == \"1\" { #{office: true} } }\n",
    )]);
    let rules = Rules::load(&dir).unwrap();
    let mut one = Employee {
        code: Some("1".into()),
        ..Employee::default()
    };
    let d = rules.decide(TO_KOT, &mut one).unwrap();
    assert!(d.move_office && !d.move_employment_type);
    let d = rules.decide(TO_KOT, &mut Employee::default()).unwrap();
    assert!(!d.move_office);
}

/// An existing employee's office and type are used only when it moves, so they are decided
/// only then; a failing `office` rule then cannot block an update that does not need it.
#[test]
fn existing_employees_get_an_office_only_when_moved() {
    let (_tmp, dir) = folder(&[(
        "move.rhai",
        "fn office(e) { if e.code == \"2\" { throw \"no office for 2\"; } \"本社\" }\n\
         fn employment_type(e) { \"正社員\" }\n\
         fn move_existing(e) { if e.code == \"1\" { #{office: true} } }\n",
    )]);
    let rules = Rules::load(&dir).unwrap();
    let employee = |code: &str| Employee {
        code: Some(code.into()),
        ..Employee::default()
    };
    let moved = rules.decide_existing(TO_KOT, &mut employee("1")).unwrap();
    assert!(moved.move_office);
    assert_eq!(moved.office.map(|o| o.value).as_deref(), Some("本社"));
    assert_eq!(moved.employment_type, None);

    let stays = rules.decide_existing(TO_KOT, &mut employee("2")).unwrap();
    assert!(!stays.move_office);
    assert_eq!((stays.office, stays.employment_type), (None, None));

    // A new employee needs both, and the failing rule makes its row invalid.
    let err = rules.decide(TO_KOT, &mut employee("2")).unwrap_err();
    assert!(err.message.contains("no office for 2"), "{err}");
    let new = rules.decide(TO_KOT, &mut employee("3")).unwrap();
    assert_eq!(
        new.employment_type.map(|t| t.value).as_deref(),
        Some("正社員")
    );
}

#[test]
fn a_failing_rule_test_shows_expected_and_actual() {
    let (_tmp, dir) = folder(&[
        (
            "offices.rhai",
            "fn office(e) { lookup(\"map\", e.code, \"本社\") }\n",
        ),
        ("map.yaml", "1000: 大阪支社\n"),
        (
            "tests/offices.yaml",
            "- name: numeric keys match text codes\n  direction: smarthr-to-kot\n  \
             employee: {code: 1000}\n  expect: {office: 大阪支社}\n\
             - name: wrong on purpose\n  direction: smarthr-to-kot\n  \
             employee: {code: \"2\"}\n  expect: {office: 福岡営業所}\n",
        ),
    ]);
    let report = rules::run_tests(&dir);
    assert_eq!((report.passed(), report.failed()), (1, 1), "{report}");
    let text = report.to_string();
    assert!(
        text.contains("FAIL rules/tests/offices.yaml: wrong on purpose"),
        "{text}"
    );
    assert!(text.contains("- expected: 福岡営業所"), "{text}");
    assert!(
        text.contains("+ actual:   本社 (rules/offices.rhai:office)"),
        "{text}"
    );
    assert!(text.contains("1 passed, 1 failed"), "{text}");
}

const GOOD: &str = "fn office(e) { \"本社\" }\n";
const OTHER: &str = "fn office(e) { \"大阪支社\" }\n";
const TEST: &str = "- name: office\n  direction: smarthr-to-kot\n  employee: {code: \"1\"}\n  \
                    expect: {office: 大阪支社}\n";

fn office_of(handle: &RulesHandle) -> String {
    handle
        .current()
        .decide(TO_KOT, &mut Employee::default())
        .unwrap()
        .office
        .unwrap()
        .value
}

#[test]
fn reload_swaps_good_rules_and_keeps_the_old_ones_on_a_bad_edit() {
    let (_tmp, dir) = folder(&[("offices.rhai", GOOD)]);
    let handle = RulesHandle::new(Rules::load(&dir).unwrap());
    let limits = Limits::default();
    let before = handle.current();

    write(&dir, &[("offices.rhai", "fn office(e) { \"本社\" \n")]);
    let event = rules::reload(&dir, &handle, &limits);
    assert!(matches!(event, WatchEvent::CompileFailed(_)), "{event}");
    assert!(event.to_string().contains("previous rules stay in use"));
    assert_eq!(office_of(&handle), "本社");

    write(&dir, &[("offices.rhai", OTHER), ("tests/t.yaml", TEST)]);
    let event = rules::reload(&dir, &handle, &limits);
    assert!(matches!(event, WatchEvent::Reloaded { .. }), "{event}");
    assert_eq!(office_of(&handle), "大阪支社");
    // Whoever held the old rules keeps a complete, working copy.
    assert_eq!(
        before
            .decide(TO_KOT, &mut Employee::default())
            .unwrap()
            .office
            .unwrap()
            .value,
        "本社"
    );

    // Compiles, but breaks its test: not swapped in.
    write(&dir, &[("offices.rhai", GOOD)]);
    let event = rules::reload(&dir, &handle, &limits);
    assert!(matches!(event, WatchEvent::TestsFailed(_)), "{event}");
    assert_eq!(office_of(&handle), "大阪支社");
}

#[test]
fn the_watcher_reloads_on_save() {
    let (_tmp, dir) = folder(&[("offices.rhai", GOOD)]);
    let handle = Arc::new(RulesHandle::new(Rules::load(&dir).unwrap()));
    let (tx, rx) = std::sync::mpsc::channel();
    let _watcher = rules::watch(&dir, handle.clone(), Limits::default(), move |event| {
        let _ = tx.send(event.to_string());
    })
    .unwrap();

    write(&dir, &[("offices.rhai", "fn office(e) { \"本社\" \n")]);
    let event = rx.recv_timeout(Duration::from_secs(20)).unwrap();
    assert!(event.contains("previous rules stay in use"), "{event}");
    assert_eq!(office_of(&handle), "本社");

    write(&dir, &[("offices.rhai", OTHER)]);
    // Editors may produce more than one event per save; wait for the reload.
    let mut seen = Vec::new();
    while office_of(&handle) != "大阪支社" {
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(e) => seen.push(e),
            Err(_) => panic!("no reload after a good save; events: {seen:?}"),
        }
    }
    // Without further saves the watcher is quiet: a reload reads the rules, and reacting to
    // those reads reloaded them every few hundred milliseconds for as long as it watched.
    let quiet_until = std::time::Instant::now() + Duration::from_secs(3);
    let mut after = Vec::new();
    while let Some(left) = quiet_until.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(e) => after.push(e),
            Err(_) => break,
        }
    }
    // One more is the save's own tail, when an editor's write spans two debounce windows.
    assert!(after.len() <= 1, "reloads with no edit: {after:?}");
}
