//! The plan/apply workflow driven through the real binary against the simulators (issue 3).

mod util;

use serde_json::json;
use util::{
    AS_OF, Env, TO_KOT_DEFAULTS, apply_all_to_kot, apply_to_kot, codes, crew, kot, plan_args, row,
};

/// new, changed and unchanged in both directions, and each change names old and new.
#[test]
fn each_status_in_each_direction() {
    let env = Env::empty();
    env.crew(crew("0001", "山田", "太郎", json!({})));
    env.kot_employee(kot("0001", "山田", "太郎", json!({})));
    env.crew(crew(
        "0002",
        "佐藤",
        "花子",
        json!({"email": "new@example.com"}),
    ));
    env.kot_employee(kot("0002", "佐藤", "花子", json!({})));
    env.crew(crew("0003", "鈴木", "一郎", json!({})));
    env.kot_employee(kot("0004", "田中", "次郎", json!({})));

    let p = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    assert_eq!(row(&p, "0001")["status"], "unchanged");
    assert_eq!(row(&p, "0002")["status"], "changed");
    assert_eq!(
        row(&p, "0002")["changes"],
        json!([{"field": "email", "old": "0002@example.com", "new": "new@example.com"}])
    );
    assert_eq!(row(&p, "0003")["status"], "new");
    assert_eq!(
        p["summary"],
        json!({"new": 1, "changed": 1, "unchanged": 1, "invalid": 0, "clears": 0})
    );

    let p = env.plan("kot-to-smarthr", &["--office", "本社"]);
    assert_eq!(row(&p, "0001")["status"], "unchanged");
    assert_eq!(row(&p, "0002")["status"], "changed");
    assert_eq!(row(&p, "0002")["changes"][0]["old"], "new@example.com");
    assert_eq!(row(&p, "0004")["status"], "new");
    assert_eq!(p["summary"]["new"], 1);
}

/// Hired the day after: out. Resigned the day before: out. Resigned on the day: in.
#[test]
fn the_reference_date_boundary() {
    let env = Env::empty();
    env.crew(crew(
        "0010",
        "後藤",
        "明日",
        json!({"entered_at": "2026-04-02"}),
    ));
    env.crew(crew(
        "0011",
        "前田",
        "昨日",
        json!({"resigned_at": "2026-03-31", "emp_status": "retired"}),
    ));
    env.crew(crew(
        "0012",
        "当日",
        "退職",
        json!({"resigned_at": "2026-04-01"}),
    ));
    env.crew(crew(
        "0013",
        "当日",
        "入社",
        json!({"entered_at": "2026-04-01"}),
    ));
    let p = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    assert_eq!(codes(&p["rows"]), vec!["0012", "0013"], "{p:#}");

    let env = Env::empty();
    env.kot_employee(kot(
        "0020",
        "後藤",
        "明日",
        json!({"hiredDate": "2026-04-02"}),
    ));
    env.kot_employee(kot(
        "0021",
        "前田",
        "昨日",
        json!({"resignationDate": "2026-03-31"}),
    ));
    env.kot_employee(kot(
        "0022",
        "当日",
        "退職",
        json!({"resignationDate": "2026-04-01"}),
    ));
    let p = env.plan("kot-to-smarthr", &["--office", "本社"]);
    assert_eq!(codes(&p["rows"]), vec!["0022"], "{p:#}");
}

/// KOT's roster as of the reference date leaves out whom it hired later, though SmartHR may
/// date the same person's hire earlier: that is a change of hire date, not a create that KOT
/// would refuse for the code.
#[test]
fn a_later_hire_in_kot_is_matched_not_created_again() {
    let env = Env::empty();
    env.crew(crew(
        "0030",
        "早川",
        "春",
        json!({"entered_at": "2026-03-01"}),
    ));
    env.kot_employee(kot(
        "0030",
        "早川",
        "春",
        json!({"hiredDate": "2026-05-01"}),
    ));
    let p = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    assert_eq!(row(&p, "0030")["status"], "changed", "{p:#}");
    assert_eq!(
        row(&p, "0030")["changes"],
        json!([{"field": "hire_date", "old": "2026-05-01", "new": "2026-03-01"}])
    );
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    assert_eq!(
        out.json()["summary"],
        json!({"failed": 0, "not_attempted": 0, "invalid": 0, "not_selected": 0, "excluded": 0,
            "created": 0, "updated": 1, "unchanged": 0})
    );
    let in_kot = env.kot_with_code("0030");
    assert_eq!(in_kot.len(), 1, "{in_kot:?}");
    assert_eq!(in_kot[0]["hiredDate"], "2026-03-01");

    // KOT lists at most a year ahead of its own today (the simulator's is 2026-04-01): a
    // reference date a few days on makes it refuse the later roster, and the plan goes on
    // without it.
    let env = Env::empty();
    env.crew(crew(
        "0031",
        "遠野",
        "夏",
        json!({"entered_at": "2026-03-01"}),
    ));
    let mut args = vec![
        "plan",
        "--direction",
        "smarthr-to-kot",
        "--as-of",
        "2026-04-10",
    ];
    args.extend_from_slice(&TO_KOT_DEFAULTS);
    args.extend_from_slice(&["--format", "json"]);
    let p = env.cmd(&args).run().expect(0).json();
    assert_eq!(row(&p, "0031")["status"], "new", "{p:#}");
}

/// Apply writes new and changed rows with the defaults on create, leaves office and type
/// alone on update, and a re-plan right after finds nothing to do.
#[test]
fn apply_then_replan_is_all_unchanged() {
    let env = Env::empty();
    env.crew(crew(
        "0001",
        "山田",
        "太郎",
        json!({"email": "yamada@new.example.com"}),
    ));
    env.kot_employee(kot(
        "0001",
        "山田",
        "太郎",
        json!({"divisionCode": "2000", "typeCode": "2"}),
    ));
    env.crew(crew("00002", "佐藤", "花子", json!({})));
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    let report = out.json();
    assert_eq!(
        report["summary"],
        json!({"failed": 0, "not_attempted": 0, "invalid": 0, "not_selected": 0, "excluded": 0,
            "created": 1, "updated": 1, "unchanged": 0})
    );

    let created = env.kot_with_code("00002");
    assert_eq!(created.len(), 1, "leading zeros kept, created once");
    assert_eq!(created[0]["divisionCode"], "1000");
    assert_eq!(created[0]["typeCode"], "1");
    let updated = &env.kot_with_code("0001")[0];
    assert_eq!(updated["emailAddresses"], json!(["yamada@new.example.com"]));
    assert_eq!(
        updated["divisionCode"], "2000",
        "update never moves the office"
    );
    assert_eq!(updated["typeCode"], "2", "update never changes the type");

    let p = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    assert_eq!(
        p["summary"],
        json!({"new": 0, "changed": 0, "unchanged": 2, "invalid": 0, "clears": 0})
    );
    let again = env
        .cmd(&apply_to_kot(&["--select", "all", "--yes"]))
        .run()
        .expect(0);
    assert!(
        again.stderr.contains("Nothing to apply"),
        "{}",
        again.stderr
    );
}

#[test]
fn kot_to_smarthr_creates_in_the_chosen_office() {
    let env = Env::empty();
    env.kot_employee(kot("0100", "高橋", "三郎", json!({})));
    env.cmd(&[
        "apply",
        "--direction",
        "kot-to-smarthr",
        "--as-of",
        AS_OF,
        "--office",
        "大阪支店",
        "--select",
        "0100",
        "--yes",
    ])
    .run()
    .expect(0);
    let crews = env.crews_with_code("0100");
    assert_eq!(crews.len(), 1);
    let osaka = env.plan("kot-to-smarthr", &[]);
    assert_eq!(row(&osaka, "0100")["status"], "unchanged");
    assert_eq!(row(&osaka, "0100")["office"], "大阪支店");
}

/// Every cause of `invalid`, and nothing about an invalid row is written.
#[test]
fn every_invalid_cause_is_reported_and_never_written() {
    let env = Env::empty();
    env.crew(crew("", "無番", "号", json!({"emp_code": null})));
    env.crew(crew("0201", "重複", "一", json!({})));
    env.crew(crew("0201", "重複", "二", json!({})));
    env.kot_employee(kot("0202", "重複", "先", json!({})));
    env.kot_employee(kot("0202", "重複", "後", json!({})));
    env.crew(crew("0202", "重複", "先", json!({})));
    env.crew(crew("0203", "性別", "なし", json!({"gender": null})));
    env.crew(crew("0204", "普通", "新人", json!({})));

    // No office for the new employees.
    let p = env.plan("smarthr-to-kot", &[]);
    let problems = |code: &str| row(&p, code)["problems"].to_string();
    assert_eq!(row(&p, "0201")["status"], "invalid");
    assert!(
        problems("0201").contains("twice") || problems("0201").contains("2"),
        "{}",
        problems("0201")
    );
    assert_eq!(row(&p, "0202")["status"], "invalid");
    // The library keeps the remedy as data; the CLI words it with its flag.
    assert!(
        problems("0204")
            .contains("no division for a new employee: pass --office or decide it in a rule"),
        "{}",
        problems("0204")
    );
    assert!(problems("0203").contains("gender"), "{}", problems("0203"));
    let nameless = p["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"].is_null())
        .expect("row without code");
    assert_eq!(nameless["status"], "invalid");
    assert!(nameless["problems"].to_string().contains("code"));

    // An office or type that does not exist is refused before anything is planned, naming
    // the value, the valid ones and, for a near miss, the one probably meant.
    for (office, employment_type, expected) in [
        (
            "火星支社",
            "正社員",
            &["'火星支社'", "the choices: '本社' (1000)"][..],
        ),
        ("本社", "9999", &["'9999'", "'正社員' (1)"]),
        (
            "大坂支社",
            "正社員",
            &["'大坂支社' does not exist in KING OF TIME; did you mean '大阪支社'"],
        ),
    ] {
        let out = env
            .cmd(&plan_args(
                "smarthr-to-kot",
                &["--office", office, "--employment-type", employment_type],
            ))
            .run()
            .expect(1);
        for e in expected {
            assert!(out.stderr.contains(e), "{e}\n{}", out.stderr);
        }
    }

    // A new employee with office but no type is invalid in KOT.
    let p = env.plan("smarthr-to-kot", &["--office", "本社"]);
    assert!(
        row(&p, "0204")["problems"].to_string().contains(
            "no employment type (working type) for a new employee: pass --employment-type or decide it in a rule"
        ),
        "{p:#}"
    );

    // Applying everything writes only the valid row.
    let before = env.sims.kot.employees().len();
    env.cmd(&apply_to_kot(&["--select", "all", "--yes"]))
        .run()
        .expect(0);
    assert_eq!(env.sims.kot.employees().len(), before + 1);
    assert_eq!(env.kot_with_code("0204").len(), 1);
    assert!(env.kot_with_code("0201").is_empty());
    // Naming an invalid row explicitly is an error that says why.
    let out = env
        .cmd(&apply_to_kot(&["--select", "0203", "--yes"]))
        .run()
        .expect(1);
    assert!(
        out.stderr.contains("0203") && out.stderr.contains("invalid"),
        "{}",
        out.stderr
    );
}

/// `--select` matches codes as the planner does, so full-width digits name the employee; a
/// code not in the plan gets a "did you mean". And a reference date KOT would refuse is
/// refused before anything is fetched.
#[test]
fn select_matches_codes_by_their_key_and_dates_are_checked_up_front() {
    let env = Env::empty();
    env.crew(crew("00083", "全角", "太郎", json!({})));
    let out = env
        .cmd(&apply_to_kot(&["--select", "00038", "--yes"]))
        .run()
        .expect(1);
    assert!(
        out.stderr
            .contains("--select: employee code '00038' is not in the plan; did you mean '00083'?"),
        "{}",
        out.stderr
    );
    assert!(env.kot_with_code("00083").is_empty());
    env.cmd(&apply_to_kot(&["--select", "０００８３", "--yes"]))
        .run()
        .expect(0);
    assert_eq!(env.kot_with_code("00083").len(), 1);

    let before = env.sims.kot.request_count();
    for date in ["+10000-01-01", "0001-01-01"] {
        let out = env
            .cmd(&["plan", "--direction", "smarthr-to-kot", "--as-of", date])
            .run()
            .expect(1);
        assert!(
            out.stderr
                .contains(&format!("'{date}' is outside the dates crewsync takes")),
            "{}",
            out.stderr
        );
    }
    assert_eq!(env.sims.kot.request_count(), before);
}

/// One employee fails; the others are applied and the exit status is 2.
#[test]
fn a_partial_failure_exits_2_and_applies_the_rest() {
    let env = Env::empty();
    for (code, name) in [("0301", "一"), ("0302", "二"), ("0303", "三")] {
        env.crew(crew(code, "部分", name, json!({})));
    }
    // More failures than the configured single retry: the first employee fails for good.
    env.sims.kot.faults().fail_next_writes(2, 500);
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(2);
    let report = out.json();
    assert_eq!(
        report["summary"],
        json!({"failed": 1, "not_attempted": 0, "invalid": 0, "not_selected": 0, "excluded": 0,
            "created": 2, "updated": 0, "unchanged": 0})
    );
    let failed: Vec<_> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["error"]
            .as_str()
            .unwrap()
            .contains("KING OF TIME")
    );
    assert_eq!(env.sims.kot.employees().len(), 2);
}

/// KOT's access window closing mid-run stops the run, exit 1, and says which employees were
/// done and which were not attempted.
#[test]
fn an_access_window_mid_run_stops_cleanly() {
    let env = Env::empty();
    for (code, name) in [("0401", "一"), ("0402", "二"), ("0403", "三")] {
        env.crew(crew(code, "窓口", name, json!({})));
    }
    // Reads for the plan (divisions, types, employees, and the codes a year on, as these
    // three are not in KOT) go through, then after one write the window opens.
    env.sims.kot.faults().access_window_after_requests(5);
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(1);
    let report = out.json();
    assert_eq!(report["summary"]["created"], 1, "{report:#}");
    assert_eq!(report["summary"]["not_attempted"], 2, "{report:#}");
    assert!(
        out.stderr.contains("access window")
            && out.stderr.contains("0402")
            && out
                .stderr
                .contains("run the same apply again (with --wait for an access window)"),
        "{}",
        out.stderr
    );
    assert_eq!(env.sims.kot.employees().len(), 1);
}

#[test]
fn inside_a_configured_window_nothing_starts() {
    let env = Env::empty();
    // A window around the current JST time, whatever the hour the test runs at.
    let hour = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    let hour = chrono::Timelike::hour(&hour);
    let window = if hour < 22 {
        format!("{hour:02}:00-{:02}:00", hour + 2)
    } else {
        "22:00-23:59".to_string()
    };
    let text = std::fs::read_to_string(env.config_path()).unwrap().replace(
        "maintenance_windows: []",
        &format!("maintenance_windows: ['{window}']"),
    );
    std::fs::write(env.config_path(), text).unwrap();
    let out = env.cmd(&plan_args("smarthr-to-kot", &[])).run().expect(1);
    assert!(
        out.stderr.contains(&format!("{window} JST")) && out.stderr.contains("reopens"),
        "{}",
        out.stderr
    );
    assert_eq!(env.sims.kot.request_count(), 0);
    // The refusal comes from the configuration, and says what to do; apply's too.
    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(1);
    assert!(
        out.stderr.contains("as configured in maintenance_windows"),
        "{}",
        out.stderr
    );
    let hint = out
        .stderr
        .lines()
        .find(|l| l.trim_start().starts_with("hint:"))
        .unwrap_or_else(|| panic!("no hint:\n{}", out.stderr));
    assert!(
        hint.contains("--wait") && hint.contains("change maintenance_windows"),
        "{hint}"
    );
    assert_eq!(env.sims.kot.request_count(), 0);
}

#[test]
fn a_bad_token_exits_1_without_printing_it() {
    let env = Env::empty();
    let secret = "wrong-token-s3cr3t-value";
    let out = env
        .cmd(&plan_args("smarthr-to-kot", &[]))
        .env("SMARTHR_ACCESS_TOKEN", secret)
        .run()
        .expect(1);
    assert!(out.stderr.contains("SmartHR"), "{}", out.stderr);
    assert!(
        !out.all().contains(secret),
        "the token leaked:\n{}",
        out.all()
    );

    let out = env
        .cmd(&plan_args("kot-to-smarthr", &[]))
        .env("KOT_ACCESS_TOKEN", secret)
        .run()
        .expect(1);
    assert!(out.stderr.contains("KING OF TIME"), "{}", out.stderr);
    assert!(!out.all().contains(secret));

    let out = env
        .cmd(&plan_args("kot-to-smarthr", &[]))
        .env("KOT_ACCESS_TOKEN", "")
        .run()
        .expect(1);
    assert!(out.stderr.contains("KOT_ACCESS_TOKEN"), "{}", out.stderr);
}

#[test]
fn bad_dates_and_directions_are_named() {
    let env = Env::empty();
    let out = env
        .cmd(&[
            "plan",
            "--direction",
            "smarthr-to-kot",
            "--as-of",
            "2026-13-01",
        ])
        .run()
        .expect(1);
    assert!(out.stderr.contains("2026-13-01"), "{}", out.stderr);
    let out = env.cmd(&plan_args("sideways", &[])).run().expect(1);
    assert!(
        out.stderr.contains("sideways") && out.stderr.contains("smarthr-to-kot"),
        "{}",
        out.stderr
    );
    let out = env
        .cmd(&["plan", "--direction", "smarthr-to-kot", "--status", "weird"])
        .run()
        .expect(1);
    assert!(out.stderr.contains("weird"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"));
}

#[test]
fn apply_without_a_terminal_needs_select_and_yes() {
    let env = Env::empty();
    env.crew(crew("0501", "確認", "要", json!({})));
    let out = env.cmd(&apply_to_kot(&[])).run().expect(1);
    assert!(out.stderr.contains("--select"), "{}", out.stderr);
    let out = env.cmd(&apply_to_kot(&["--select", "all"])).run().expect(1);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(
        env.sims.kot.employees().is_empty(),
        "nothing written without confirmation"
    );
}

#[test]
fn the_demo_runs_end_to_end() {
    let env = Env::empty();
    let out = env.cmd(&["demo"]).run().expect(0);
    assert!(
        out.stdout
            .contains("crewsync plan --direction kot-to-smarthr"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("created"), "{}", out.stdout);
}

/// A reader that stops early (`crewsync plan --all | head`, `crewsync apply … | head`) does
/// not crash crewsync (a panic's exit 101 and a backtrace): the printing stops, the command
/// goes on, an apply still writes and records its run, and each exits with its own status.
#[test]
fn a_closed_stdout_stops_the_printing_not_the_command() {
    let env = Env::empty();
    env.crew(crew("00002", "佐藤", "花子", json!({})));
    let closed = |args: &[&str]| {
        let mut running = env
            .cmd(args)
            .spawn(std::process::Stdio::piped(), std::process::Stdio::piped());
        // The reading end closed before crewsync prints: every write to stdout fails.
        drop(running.child().stdout.take());
        let out = running.wait_with_output();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        (out.status.code(), stderr)
    };
    let (status, stderr) = closed(&plan_args("smarthr-to-kot", &["--all"]));
    assert_eq!(status, Some(0), "plan: {stderr}");
    let (status, stderr) = closed(&apply_to_kot(&["--select", "all", "--yes"]));
    assert_eq!(status, Some(0), "apply: {stderr}");
    assert_eq!(env.kot_with_code("00002").len(), 1, "the apply still wrote");
    let history = env.cmd(&["history", "--format", "json"]).run().expect(0);
    assert_eq!(
        history.json()[0]["status"],
        "completed",
        "{}",
        history.stdout
    );
}
