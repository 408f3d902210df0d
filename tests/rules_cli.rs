//! Rules through the real binary (issue 4): per-employee decisions in plans, `--select auto`,
//! broken rules, the integrator's tools and the hot reload of `watch`.

mod util;

use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;
use util::{AS_OF, Env, TO_KOT_DEFAULTS, apply_to_kot, codes, crew, kot, plan_args, row};

fn rules_dir(env: &Env, files: &[(&str, &str)]) -> PathBuf {
    let dir = env.dir.path().join("rules");
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    dir
}

/// [`Env::plan`] with `--rules <rules>` before `extra`.
fn plan(env: &Env, direction: &str, rules: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--rules", rules.to_str().unwrap()];
    args.extend_from_slice(extra);
    env.plan(direction, &args)
}

const OFFICES: &str = r#"
fn office(e, direction) {
    if direction == "smarthr-to-kot" {
        if e.email.ends_with("@osaka.example.com") { return "大阪支社"; }
        if e.code == "0009" { return "月面支社"; }
    } else {
        if e.office != () && e.office.name == "福岡営業所" { return "福岡営業所"; }
    }
}
fn employment_type(e) {
    if e.code.starts_with("P") { "パート" }
}
"#;

#[test]
fn rules_choose_office_and_type_per_employee_in_both_directions() {
    let env = Env::empty();
    let dir = rules_dir(&env, &[("offices.rhai", OFFICES)]);
    env.crew(crew(
        "0001",
        "大阪",
        "一",
        json!({"email": "a@osaka.example.com"}),
    ));
    env.crew(crew("P002", "時短", "二", json!({})));
    env.crew(crew("0009", "月面", "九", json!({})));
    let p = plan(&env, "smarthr-to-kot", &dir, &TO_KOT_DEFAULTS);
    assert_eq!(row(&p, "0001")["office"], "大阪支社");
    assert_eq!(row(&p, "0001")["office_from"], "rules/offices.rhai:office");
    assert_eq!(row(&p, "0001")["employment_type"], "正社員");
    assert_eq!(row(&p, "0001")["employment_type_from"], "--employment-type");
    assert_eq!(row(&p, "P002")["office"], "本社");
    assert_eq!(row(&p, "P002")["office_from"], "--office");
    assert_eq!(row(&p, "P002")["employment_type"], "パート");
    assert_eq!(
        row(&p, "P002")["employment_type_from"],
        "rules/offices.rhai:employment_type"
    );
    // An office a rule invents is caught before anything is written.
    assert_eq!(row(&p, "0009")["status"], "invalid");
    assert!(
        row(&p, "0009")["problems"].to_string().contains("月面支社"),
        "{p:#}"
    );

    env.kot_employee(kot("0100", "福岡", "太郎", json!({"divisionCode": "3000"})));
    env.kot_employee(kot("0101", "東京", "花子", json!({"divisionCode": "1000"})));
    let p = plan(&env, "kot-to-smarthr", &dir, &["--office", "本社"]);
    assert_eq!(row(&p, "0100")["office"], "福岡営業所");
    assert_eq!(row(&p, "0100")["office_from"], "rules/offices.rhai:office");
    assert_eq!(row(&p, "0101")["office"], "本社");

    // The decisions are what apply writes.
    env.cmd(&apply_to_kot(&[
        "--rules",
        dir.to_str().unwrap(),
        "--select",
        "0001,P002",
        "--yes",
    ]))
    .run()
    .expect(0);
    assert_eq!(env.kot_with_code("0001")[0]["divisionCode"], "2000");
    assert_eq!(env.kot_with_code("P002")[0]["typeCode"], "3");
}

#[test]
fn overrides_scope_and_auto_selection() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[(
            "rules.rhai",
            r#"
fn exclude(e) { if e.code.starts_with("TEST") { "test account" } }
fn overrides(e, direction) {
    if direction == "smarthr-to-kot" && e.business_last_name != () {
        #{ last_name: e.business_last_name, email: lower(e.email) }
    } else {
        #{ email: lower(e.email) }
    }
}
fn select(row) {
    !row.changes.some(|c| c.field == "birth_date")
}
"#,
        )],
    );
    env.crew(crew(
        "0001",
        "戸籍",
        "姓",
        json!({"business_last_name": "通称", "email": "Mixed@Example.COM"}),
    ));
    env.kot_employee(kot(
        "0001",
        "戸籍",
        "姓",
        json!({"emailAddresses": ["mixed@example.com"]}),
    ));
    env.crew(crew(
        "0002",
        "生年",
        "変更",
        json!({"birth_at": "1991-01-01"}),
    ));
    env.kot_employee(kot("0002", "生年", "変更", json!({})));
    env.crew(crew("0003", "新規", "入社", json!({})));
    env.crew(crew("TEST1", "テスト", "用", json!({})));

    let p = plan(&env, "smarthr-to-kot", &dir, &TO_KOT_DEFAULTS);
    assert_eq!(
        row(&p, "0001")["changes"],
        json!([{"field": "last_name", "old": "戸籍", "new": "通称"}])
    );
    assert_eq!(row(&p, "0002")["selected"], false);
    assert_eq!(row(&p, "0002")["selected_by"], "rules/rules.rhai:select");
    assert_eq!(row(&p, "0003")["selected"], true);
    assert!(
        p["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["code"] != "TEST1")
    );
    assert_eq!(p["excluded"][0]["code"], "TEST1");
    assert_eq!(p["excluded"][0]["reason"], "test account");

    let out = env
        .cmd(&apply_to_kot(&[
            "--rules",
            dir.to_str().unwrap(),
            "--select",
            "auto",
            "--yes",
            "--format",
            "json",
        ]))
        .run()
        .expect(0)
        .json();
    assert_eq!(codes(&out["results"]), vec!["0001", "0003"]);
    assert_eq!(env.kot_with_code("0001")[0]["lastName"], "通称");
    assert_eq!(
        env.kot_with_code("0002")[0]["birthDate"],
        "1990-04-01",
        "not selected, not written"
    );
    assert!(env.kot_with_code("TEST1").is_empty());
}

#[test]
fn an_endless_loop_makes_one_row_invalid_and_the_plan_goes_on() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[(
            "loop.rhai",
            "fn office(e) {\n    if e.code == \"0002\" {\n        loop { }\n    }\n}\n",
        )],
    );
    env.crew(crew("0001", "普通", "一", json!({})));
    env.crew(crew("0002", "無限", "二", json!({})));
    let p = plan(&env, "smarthr-to-kot", &dir, &TO_KOT_DEFAULTS);
    assert_eq!(row(&p, "0001")["status"], "new");
    assert_eq!(row(&p, "0002")["status"], "invalid");
    let problems = row(&p, "0002")["problems"].to_string();
    assert!(problems.contains("loop.rhai:"), "{problems}");
}

/// Runs `rules check` and then `plan` on broken rules: both must refuse (exit 1), and each
/// must name every one of `expected`. Returns what `rules check` printed.
fn refused(env: &Env, dir: &Path, expected: &[&str]) -> String {
    let check = env
        .cmd(&["rules", "check", "--rules", dir.to_str().unwrap()])
        .run()
        .expect(1);
    let plan = env
        .cmd(&plan_args(
            "smarthr-to-kot",
            &["--rules", dir.to_str().unwrap()],
        ))
        .run()
        .expect(1);
    for (command, out) in [("rules check", &check), ("plan", &plan)] {
        for e in expected {
            assert!(out.stderr.contains(e), "{command}: {e}\n{}", out.stderr);
        }
    }
    check.stderr
}

#[test]
fn a_syntax_error_is_reported_with_file_line_and_column() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[("broken.rhai", "fn office(e) {\n    let x = ;\n}\n")],
    );
    let out = refused(&env, &dir, &["broken.rhai:2:"]);
    assert!(
        out.contains("let x = ;"),
        "the offending line is shown: {out}"
    );
}

/// Rhai reads a missing map key as `()`, so these would compile and silently decide nothing.
#[test]
fn a_misspelt_property_or_table_name_is_an_error_with_the_name_meant() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[
            (
                "typos.rhai",
                "fn overrides(e) {\n    if e.emial != () { #{email: lower(e.email)} }\n}\n\
                 fn office(e) {\n    lookup(\"department\", e.raw.department)\n}\n",
            ),
            ("departments.yaml", "営業部: \"2000\"\n"),
        ],
    );
    refused(
        &env,
        &dir,
        &[
            "rules/typos.rhai:2:10: e has no property 'emial', so it always reads as (); \
             did you mean 'email'?",
            "rules/typos.rhai:5:12: no table named 'department': did you mean 'departments'?",
            "2 problems",
        ],
    );
}

#[test]
fn a_failing_rule_test_shows_a_diff() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[
            ("offices.rhai", OFFICES),
            (
                "tests/offices.yaml",
                "- name: osaka people go to osaka\n  direction: smarthr-to-kot\n  employee:\n    code: \"0001\"\n    email: a@osaka.example.com\n  expect:\n    office: 福岡営業所\n",
            ),
        ],
    );
    let out = env
        .cmd(&["rules", "test", "--rules", dir.to_str().unwrap()])
        .run()
        .expect(1);
    assert!(
        out.stderr.contains("osaka people go to osaka"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("福岡営業所") && out.stderr.contains("大阪支社"),
        "{}",
        out.stderr
    );
}

/// `rules init` gives an integrator who has only the binary the shipped examples (the same
/// files as `rules/`, checked in `rules::examples`); they compile and pass their own tests, and
/// a second `init` overwrites nothing.
#[test]
fn rules_init_writes_the_shipped_examples_which_pass_their_tests() {
    let env = Env::empty();
    let dir = env.dir.path().join("my-rules");
    let d = dir.to_str().unwrap();
    let out = env.cmd(&["rules", "init", "--rules", d]).run().expect(0);
    let files = format!("({} files)", crewsync::rules::EXAMPLE_RULES.len());
    assert!(out.stdout.contains(&files), "{}", out.stdout);
    env.cmd(&["rules", "check", "--rules", d]).run().expect(0);
    let out = env.cmd(&["rules", "test", "--rules", d]).run().expect(0);
    assert!(out.stdout.contains(" passed, 0 failed"), "{}", out.stdout);

    std::fs::write(dir.join("30_offices.rhai"), "// mine\n").unwrap();
    let out = env.cmd(&["rules", "init", "--rules", d]).run().expect(1);
    assert!(
        out.stderr
            .contains("README.md already exists; nothing was written"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("30_offices.rhai")).unwrap(),
        "// mine\n"
    );
}

/// `watch`: a good save swaps the rules in and shows how the plan changed; a bad save keeps
/// the old rules; rules that fail at run time are summed up.
#[test]
fn watch_swaps_good_rules_and_keeps_the_old_ones_on_a_bad_edit() {
    let env = Env::empty();
    // Rules that compile but fail for an employee: watch says which error made how many
    // rows invalid, at the start and after each reload.
    const FAILING: &str = "fn office(e) { e.code.len() / 0 }\n";
    let dir = rules_dir(&env, &[("offices.rhai", FAILING)]);
    env.crew(crew("0001", "監視", "一", json!({})));
    let mut child = env
        .cmd(&[
            "watch",
            "--direction",
            "smarthr-to-kot",
            "--as-of",
            AS_OF,
            "--employment-type",
            "正社員",
            "--rules",
            dir.to_str().unwrap(),
        ])
        .spawn(Stdio::piped(), Stdio::null());
    let (tx, rx) = mpsc::channel();
    let stdout = child.child().stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |needle: &str| -> String {
        let mut seen = String::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    seen.push_str(&line);
                    seen.push('\n');
                    if line.contains(needle) {
                        return seen;
                    }
                }
                Err(_) => panic!("no line containing {needle:?}; saw:\n{seen}"),
            }
        }
    };
    let failed = |seen: &str| {
        assert!(
            seen.contains("Rules failed for 1 employee")
                && seen.contains("1 × rules/offices.rhai:1:"),
            "{seen}"
        );
    };
    // Every command a hint names checks the folder being watched, not ./rules.
    let shown = dir.display().to_string();
    let names_the_folder = |hint: &str, command: &str| {
        assert!(
            // With the --config watch was given, as every hint.
            hint.contains(&format!(
                "\n  crewsync --config {} rules {command} --rules {shown}\n",
                env.config_path().display()
            )),
            "{hint}"
        );
    };
    wait_for("Watching");
    failed(&wait_for("Fix the rules"));
    names_the_folder(&format!("\n{}", wait_for(" rules test --rules ")), "test");
    std::fs::write(dir.join("offices.rhai"), "fn office(e) { \"大阪支社\" }\n").unwrap();
    let seen = wait_for("Plan now");
    assert!(seen.contains("0001") && seen.contains("大阪支社"), "{seen}");
    // What a save shows, whole: the reload, the delta, the new counts.
    insta::assert_snapshot!("watch_after_a_save", seen.replace(&shown, "RULES"));
    std::fs::write(dir.join("offices.rhai"), "fn office(e) { \"大阪支社\" \n").unwrap();
    let seen = wait_for("previous rules stay in use");
    assert!(seen.contains("offices.rhai:"), "{seen}");
    let hint = format!("\n{}", wait_for(" rules test --rules "));
    names_the_folder(&hint, "check");
    names_the_folder(&hint, "test");
    std::fs::write(dir.join("offices.rhai"), FAILING).unwrap();
    failed(&wait_for("Fix the rules"));
}

/// The plan into KOT of 0001 to 0004, the same people on both sides (e-mail `CODE@example.com`).
fn plan_four_in_both(env: &Env, rules: &Path) -> serde_json::Value {
    for code in ["0001", "0002", "0003", "0004"] {
        env.crew(crew(code, "社員", code, json!({})));
        env.kot_employee(kot(code, "社員", code, json!({})));
    }
    plan(env, "smarthr-to-kot", rules, &TO_KOT_DEFAULTS)
}

/// Issue 13, item 6: a rule returning `#{ email: () }` cleared the e-mail of 90 of 96
/// employees and a later file's value was ignored. `()` is "no opinion", field by field.
#[test]
fn unit_in_overrides_is_no_opinion_and_a_later_file_decides() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[
            (
                "10_first.rhai",
                "fn overrides(e) {\n    let email = if e.code == \"0001\" { \"first@example.com\" };\n    #{ email: email }\n}\n",
            ),
            (
                "20_later.rhai",
                "fn overrides(e) {\n    if e.code != \"0004\" { #{ email: \"later@example.com\" } }\n}\n",
            ),
        ],
    );
    let p = plan_four_in_both(&env, &dir);
    let email = |code: &str| row(&p, code)["changes"].clone();
    let changed = |old: &str, new: &str| json!([{"field": "email", "old": old, "new": new}]);
    assert_eq!(
        email("0001"),
        changed("0001@example.com", "first@example.com")
    );
    assert_eq!(
        email("0002"),
        changed("0002@example.com", "later@example.com"),
        "() in the first file leaves the field to the next"
    );
    assert_eq!(
        email("0003"),
        changed("0003@example.com", "later@example.com")
    );
    assert_eq!(row(&p, "0004")["status"], "unchanged", "{p:#}");
    assert_eq!(p["rule_warnings"], json!([]), "{p:#}");
}

/// Issue 13, item 6: `replace` works in place and returns `()`, so this rule decided nothing
/// for every employee while `rules check` said "no problems".
#[test]
fn a_method_that_returns_unit_used_as_a_value_is_refused_with_its_position() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[(
            "names.rhai",
            "fn overrides(e) {\n    #{ email: e.email.replace(\"@old.example.com\", \"@example.com\") }\n}\n",
        )],
    );
    let out = refused(
        &env,
        &dir,
        &["rules/names.rhai:2:23: replace() changes the value it is called on and returns ()"],
    );
    assert!(out.contains("let v = x; v.replace(...); v"), "{out}");
}

/// Issue 13, item 6: clearing is said out loud (`""` or `clear()`), and a rule that clears a
/// field for most employees is named in the plan's rule summary.
#[test]
fn clearing_is_explicit_and_a_rule_clearing_most_employees_is_named() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[(
            "clear.rhai",
            "// Clears the e-mail of all but 0004.\nfn overrides(e) {\n    if e.code == \"0003\" { return #{ email: \"\" }; }\n    if e.code != \"0004\" { #{ email: clear() } }\n}\n",
        )],
    );
    let p = plan_four_in_both(&env, &dir);
    for code in ["0001", "0003"] {
        assert_eq!(
            row(&p, code)["changes"],
            json!([{"field": "email", "old": format!("{code}@example.com"), "new": null}]),
            "{p:#}"
        );
    }
    assert_eq!(row(&p, "0004")["status"], "unchanged");
    let warning = "rules/clear.rhai:2:1: fn overrides cleared email for 3 of 4 employees";
    assert_eq!(p["rule_warnings"][0]["employees"], 3, "{p:#}");
    assert!(
        p["rule_warnings"][0]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with(warning)),
        "{p:#}"
    );
    let table = env
        .cmd(&plan_args(
            "smarthr-to-kot",
            &[
                "--rules",
                dir.to_str().unwrap(),
                "--office",
                "本社",
                "--employment-type",
                "正社員",
            ],
        ))
        .run()
        .expect(0);
    assert!(
        table.stdout.contains("Rules to check:") && table.stdout.contains(warning),
        "{}",
        table.stdout
    );
}

/// Issue 13, items 2 and 7 through `rules test`: the kana helpers compose voicing marks in
/// every case, and `parse_date` refuses what a person might type instead of guessing.
#[test]
fn helpers_compose_kana_and_refuse_ambiguous_dates_in_rules_test() {
    let env = Env::empty();
    let case = |name: &str, kana: &str, birth: &str, expect: &str| {
        format!(
            "- name: {name}\n  direction: smarthr-to-kot\n  employee:\n    code: \"1\"\n    \
             last_name_kana: \"{kana}\"\n    raw: {{birth: \"{birth}\"}}\n  expect:\n{expect}"
        )
    };
    let fields = |kana: &str, date: &str| {
        format!("    fields:\n      last_name_kana: {kana}\n      birth_date: \"{date}\"\n")
    };
    let error = |text: &str| format!("    error: '{text}'\n");
    let cases = [
        case("wa", "ﾜﾞ", "2026-04-01", &fields("ヷ", "2026-04-01")),
        case("wo", "ｦﾞ", "2026/04/01", &fields("ヺ", "2026-04-01")),
        case("vu", "ｳﾞ", "20260401", &fields("ヴ", "2026-04-01")),
        case(
            "nfd",
            "やまた\\u3099",
            "2026-04-01",
            &fields("ヤマダ", "2026-04-01"),
        ),
        case(
            "slash",
            "ア",
            "2026/4/1",
            &error("parse_date(\"2026/4/1\")"),
        ),
        case("dash", "ア", "2026-4-1", &error("two-digit month and day")),
        case("era", "ア", "R8.4.1", &error("Japanese era dates")),
        case("space", "ア", " 2026-04-01", &error("trim(...) first")),
        case(
            "no such day",
            "ア",
            "2026-02-30",
            &error("not a day in the calendar"),
        ),
    ];
    let dir = rules_dir(
        &env,
        &[
            (
                "kana.rhai",
                "fn overrides(e) {\n    #{ last_name_kana: to_full_width_katakana(e.last_name_kana), birth_date: parse_date(e.raw.birth) }\n}\n",
            ),
            ("tests/kana.yaml", &cases.join("")),
        ],
    );
    let out = env
        .cmd(&["rules", "test", "--rules", dir.to_str().unwrap()])
        .run();
    assert!(out.all().contains("9 passed, 0 failed"), "{}", out.all());
    out.expect(0);
}

/// Issue 13, item 7 through `rules test`: every helper rules/README.md documents, against its
/// documented forms and against what a person might type or a record might hold instead, which
/// it refuses with an error naming it rather than guess at. (The full table of each helper's
/// forms is `rules::helpers`' unit test; this is the same engine through the binary.)
#[test]
fn every_helper_takes_its_documented_forms_and_refuses_the_rest_in_rules_test() {
    let env = Env::empty();
    // (helper, a, b, what the email becomes, or `!` and what the error says)
    let cases: [(&str, &str, &str, &str); 24] = [
        ("lower", "\"TARO@Example.COM\"", "~", "taro@example.com"),
        ("lower", "~", "~", "!lower(()): lower takes text"),
        ("upper", "\"taro\"", "~", "TARO"),
        ("upper", "42", "~", "!upper(42 (i64)): upper takes text"),
        ("trim", "\" a@b \"", "~", "a@b"),
        ("fold_width", "\"ＡＢＣ１\"", "~", "ABC1"),
        (
            "fold_width",
            "~",
            "~",
            "!fold_width(()): fold_width takes text",
        ),
        ("kana", "\"ﾜﾞ\"", "~", "ヷ"),
        ("is_blank", "\" \"", "~", "true"),
        (
            "is_blank",
            "0",
            "~",
            "!is_blank(0 (i64)): is_blank takes text or ()",
        ),
        ("is_date", "\"2026/4/1\"", "~", "false"),
        ("is_date", "~", "~", "false"),
        ("years_between", "\"1990-04-02\"", "\"2020-04-01\"", "29"),
        (
            "years_between",
            "\"1990/04/02\"",
            "\"2020-04-01\"",
            "!parse_date first",
        ),
        ("days_between", "\"2026-03-31\"", "\"2026-04-01\"", "1"),
        ("days_between", "\"2026-03-31\"", "~", "!test it first"),
        ("add_days", "\"2026-03-31\"", "1", "2026-04-01"),
        (
            "add_days",
            "\"2026-03-31\"",
            "\"1\"",
            "!a whole number of days",
        ),
        ("year", "\"2026-04-01\"", "~", "2026"),
        ("month", "\"20260401\"", "~", "!parse_date first"),
        ("day", "\"2026-02-30\"", "~", "!not a day in the calendar"),
        ("lookup", "1000", "~", "本社"),
        ("lookup", "1.5", "~", "!a key as text, a whole number or ()"),
        ("table", "\"nope\"", "~", "!no table named 'nope'"),
    ];
    let yaml: String = cases
        .iter()
        .enumerate()
        .map(|(i, (helper, a, b, expect))| {
            let expect = match expect.strip_prefix('!') {
                Some(error) => format!("    error: \"{}\"\n", error.replace('"', "\\\"")),
                None => format!("    fields: {{email: \"{expect}\"}}\n"),
            };
            format!(
                "- name: \"{i} {helper}\"\n  direction: smarthr-to-kot\n  employee:\n    \
                 code: \"1\"\n    raw: {{helper: {helper}, a: {a}, b: {b}}}\n  expect:\n{expect}"
            )
        })
        .collect();
    let dir = rules_dir(
        &env,
        &[
            ("offices.yaml", "1000: 本社\n"),
            (
                "helpers.rhai",
                r#"fn overrides(e) {
    let a = e.raw.a;
    let b = e.raw.b;
    let value = switch e.raw.helper {
        "lower" => lower(a),
        "upper" => upper(a),
        "trim" => trim(a),
        "fold_width" => fold_width(a),
        "kana" => to_full_width_katakana(a),
        "is_blank" => is_blank(a),
        "is_date" => is_date(a),
        "years_between" => years_between(a, b),
        "days_between" => days_between(a, b),
        "add_days" => add_days(a, b),
        "year" => year(a),
        "month" => month(a),
        "day" => day(a),
        "lookup" => lookup("offices", a),
        "table" => table(a),
    };
    #{ email: value.to_string() }
}
"#,
            ),
            ("tests/helpers.yaml", &yaml),
        ],
    );
    let out = env
        .cmd(&["rules", "test", "--rules", dir.to_str().unwrap()])
        .run();
    assert!(
        out.all()
            .contains(&format!("{} passed, 0 failed", cases.len())),
        "{}",
        out.all()
    );
    out.expect(0);
}

/// Issue 13, item 10: every way a rule can fail makes the row invalid and is counted in the
/// plan's rule summary with the rule's location, in JSON and in the table's footer.
#[test]
fn every_rule_failure_is_counted_with_its_location() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[(
            "broken.rhai",
            r#"fn office(e) {
    if e.code == "0001" { return "月面支社"; }
    if e.code == "0002" { return 3.5; }
    if e.code == "0003" { return parse_int(e.code + "x"); }
}
fn overrides(e) {
    if e.code == "0004" { return #{ gender: "M" }; }
    if e.code == "0005" { return #{ birth_date: "2026/4/1" }; }
    if e.code == "0006" { let key = "office"; let m = #{}; m[key] = "本社"; return m; }
    if e.code == "0007" { return #{ last_name: "" }; }
    if e.code == "0008" { loop { } }
}
"#,
        )],
    );
    let expected = [
        (
            "0001",
            "rules/broken.rhai:1:1: ",
            "'月面支社' (from rules/broken.rhai:office) does not exist",
        ),
        (
            "0002",
            "rules/broken.rhai:1:1: ",
            "fn office returned 3.5 (f64)",
        ),
        ("0003", "rules/broken.rhai:4:", "fn office: "),
        (
            "0004",
            "rules/broken.rhai:6:1: ",
            "fn overrides set gender (from rules/broken.rhai:overrides): gender 'M' is not accepted",
        ),
        ("0005", "rules/broken.rhai:6:1: ", "fn overrides: "),
        (
            "0006",
            "rules/broken.rhai:6:1: ",
            "fn overrides returned the field 'office', which cannot be overridden",
        ),
        (
            "0007",
            "rules/broken.rhai:6:1: ",
            "missing last_name which SmartHR requires",
        ),
        ("0008", "rules/broken.rhai:", "fn overrides ran more than"),
    ];
    for (code, ..) in expected {
        env.kot_employee(kot(code, "社員", code, json!({})));
    }
    let p = plan(&env, "kot-to-smarthr", &dir, &["--office", "本社"]);
    let errors: Vec<(u64, String)> = p["rule_errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no rule_errors:\n{p:#}"))
        .iter()
        .map(|e| (e["employees"].as_u64().unwrap_or(0), e["error"].to_string()))
        .collect();
    for (code, location, message) in expected {
        assert_eq!(row(&p, code)["status"], "invalid", "{code}: {p:#}");
        let problems = row(&p, code)["problems"].to_string();
        assert!(
            problems.contains(location) && problems.contains(message),
            "{code}: {problems}"
        );
        assert!(
            errors
                .iter()
                .any(|(n, e)| *n == 1 && e.contains(location) && e.contains(message)),
            "{code} is not in rule_errors: {errors:#?}"
        );
    }
    assert_eq!(errors.len(), expected.len(), "{errors:#?}");
    let table = env
        .cmd(&plan_args(
            "kot-to-smarthr",
            &["--rules", dir.to_str().unwrap(), "--office", "本社"],
        ))
        .run()
        .expect(0);
    assert!(
        table.stdout.contains("Rules failed for 8 employees"),
        "{}",
        table.stdout
    );
}

/// `"L:C"` of the first `text` on line `line` (from 1) of `script`, columns from 1.
fn place(script: &str, line: usize, text: &str) -> String {
    let source = script.lines().nth(line - 1).unwrap();
    let byte = source.find(text).unwrap();
    format!("{line}:{}", source[..byte].chars().count() + 1)
}

/// A fresh user's `fn select(row) { row.status == "chnaged" }` passed `rules check`: a
/// comparison is checked wherever it stands, not only inside `if`.
#[test]
fn a_text_a_value_never_holds_is_found_in_every_kind_of_comparison() {
    let env = Env::empty();
    let script = r#"fn select(row, direction) {
    let changed = row.status != "chagned";
    if keep(row.status == "nwe") { return false; }
    if direction == "smarthr-to-kot" || row.status in ["new", "chnged"] { return true; }
    for c in row.changes { switch c.field { "emial" => { return false; } } }
    switch direction { "smarthr-to-kto" => { return true; } }
    if changed { return row.status == "neww"; }
    row.status == "chnaged"
}
fn keep(x) { x }
"#;
    let dir = rules_dir(&env, &[("select.rhai", script)]);
    let at = |line: usize, text: &str| {
        let quoted = format!("\"{text}\"");
        format!("rules/select.rhai:{}: ", place(script, line, &quoted))
    };
    let out = refused(
        &env,
        &dir,
        &[
            &(at(2, "chagned")
                + "row.status is never 'chagned', so this is always true; did you mean 'changed'?"),
            &(at(3, "nwe")
                + "row.status is never 'nwe', so this is always false; did you mean 'new'?"),
            &(at(4, "chnged")
                + "row.status is never 'chnged', so this entry of the list never matches; did you mean 'changed'?"),
            &(at(5, "emial")
                + "c.field is never 'emial', so this case never matches; did you mean 'email'?"),
            &(at(6, "smarthr-to-kto")
                + "direction is never 'smarthr-to-kto', so this case never matches; did you mean 'smarthr-to-kot'?"),
            &(at(7, "neww")
                + "row.status is never 'neww', so this is always false; did you mean 'new'?"),
            &(at(8, "chnaged")
                + "row.status is never 'chnaged', so this is always false; did you mean 'changed'?"),
            "7 problems",
        ],
    );
    assert!(
        out.contains("\n 8 |     row.status == \"chnaged\"\n"),
        "{out}"
    );
}

/// `#{ emial: e.email }` passed `rules check` and then made every employee invalid in the plan:
/// the keys of a map `overrides` or `move_existing` returns are fixed, so they are checked at
/// load time, however the map is returned.
#[test]
fn a_key_overrides_cannot_set_is_refused_at_load_with_the_field_meant() {
    let env = Env::empty();
    let script = r#"fn overrides(e) {
    if e.code == "0001" { return #{ emial: e.email }; }
    if e.code == "0002" { let m = #{ first_nmae: e.first_name }; m.lst_name = "x"; return m; }
    if e.code == "0003" { return #{ office: "本社" }; }
    #{ email: lower(e.email), colour: "red" }
}
fn move_existing(e) { #{ office: true, employment_typ: false } }
"#;
    let dir = rules_dir(&env, &[("keys.rhai", script)]);
    let at = |line: usize, text: &str| format!("rules/keys.rhai:{}: ", place(script, line, text));
    let cannot = |hook: &str, key: &str, hint: &str| {
        format!(
            "fn {hook} cannot return the key '{key}', so every employee it is returned for \
             fails; {hint}"
        )
    };
    refused(
        &env,
        &dir,
        &[
            &(at(2, "emial") + cannot("overrides", "emial", "did you mean 'email'?").as_str()),
            &(at(3, "first_nmae")
                + cannot("overrides", "first_nmae", "did you mean 'first_name'?").as_str()),
            &(at(3, "lst_name") + cannot("overrides", "lst_name", "did you mean 'last_name'?").as_str()),
            &(at(4, "office")
                + cannot(
                    "overrides",
                    "office",
                    "the office and employment type are decided by fn office and fn employment_type",
                ).as_str()),
            &(at(5, "colour") + cannot("overrides", "colour", "its keys are: ").as_str()),
            &(at(7, "employment_typ")
                + cannot(
                    "move_existing",
                    "employment_typ",
                    "did you mean 'employment_type'?",
                ).as_str()),
            "6 problems",
        ],
    );
}

/// `lower(e.email, 3)` and a misspelt helper passed `rules check` and failed per employee with
/// "Function not found: lower (&str | ImmutableString | String, i64)".
#[test]
fn a_call_of_a_function_that_does_not_exist_is_refused_at_load() {
    let env = Env::empty();
    let script = r#"fn overrides(e) {
    #{ email: lower(e.email, 3), last_name: to_hankaku(e.last_name) }
}
fn office(e) { if e.code.starts_witth("1") { "本社" } else { e.code.sub_string() } }
"#;
    let dir = rules_dir(&env, &[("calls.rhai", script)]);
    let at = |line: usize, text: &str| format!("rules/calls.rhai:{}: ", place(script, line, text));
    refused(
        &env,
        &dir,
        &[
            &(at(2, "lower") + "no function `lower` takes 2 arguments; `lower` takes 1"),
            &(at(2, "to_hankaku")
                + "no function `to_hankaku` exists; crewsync's helpers are listed in rules/README.md"),
            &(at(4, "starts_witth")
                + "no function `starts_witth` exists; did you mean `starts_with`?"),
            &(at(4, "sub_string")
                + "no function `sub_string` takes 1 argument (the value before the dot counts as the first); `sub_string` takes 2 or 3"),
            "4 problems",
        ],
    );

    // Rhai's own functions, methods, keywords, closures and function pointers, and the
    // script's own functions, are all known.
    let valid = r#"fn overrides(e, direction) {
    let parts = e.email.split("@");
    let name = if parts.len() == 2 { parts[0].to_lower() } else { "" };
    let n = parse_int("12") + e.code.len();
    let kana = e.last_name_kana ?? "";
    let m = #{};
    m.email = `${name}@example.com`;
    if kana.contains("ﾀ") && e.code.starts_with("1") && type_of(n) == "i64" {
        m.last_name_kana = to_full_width_katakana(kana);
    }
    let list = [3, 1, 2];
    list.sort();
    let twice = list.map(|x| x * 2);
    let f = Fn("keep");
    if f.call(twice.len()) > 10 && is_def_fn("keep", 1) { m.first_name = e.first_name.sub_string(0, 1); }
    m
}
fn keep(x) { x }
fn select(row) { keep(row.changes.len()) > 0 && row.status in ["new", "changed"] && row.changes.filter(|c| c.field == "email").len() == 0 }
"#;
    let dir = rules_dir(&env, &[("calls.rhai", valid)]);
    let out = env
        .cmd(&["rules", "check", "--rules", dir.to_str().unwrap()])
        .run()
        .expect(0);
    assert!(out.stdout.contains("no problems"), "{}", out.stdout);
}

/// A function that exists but not for the values a rule gives it fails for that employee only,
/// in plain words: no Rust type names.
#[test]
fn a_function_given_values_it_does_not_take_is_said_in_plain_words() {
    let env = Env::empty();
    let dir = rules_dir(
        &env,
        &[(
            "types.rhai",
            "fn office(e) {\n    if e.code.starts_with(1) { \"本社\" }\n}\n",
        )],
    );
    env.kot_employee(kot("0001", "社員", "0001", json!({})));
    let p = plan(&env, "kot-to-smarthr", &dir, &["--office", "本社"]);
    assert_eq!(row(&p, "0001")["status"], "invalid", "{p:#}");
    let problems = row(&p, "0001")["problems"].to_string();
    assert!(
        problems.contains("rules/types.rhai:2:")
            && problems.contains("fn office: no function `starts_with` takes (text, number)"),
        "{problems}"
    );
    for jargon in ["ImmutableString", "&str", "i64", "Function not found"] {
        assert!(!problems.contains(jargon), "{jargon}: {problems}");
    }
}
