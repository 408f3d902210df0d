//! The fast path against Rhai itself: for every case it runs, it must give exactly what
//! Rhai gives; and each case must run on the fast path for some employee, or the test
//! would compare nothing.

use super::*;
use crate::model::{Employee, MasterItem};
use crate::rules::helpers::Tables;
use crate::rules::scan::RawKeys;
use crate::rules::{Hook, Limits};
use rhai::Map;
use std::sync::Arc;

fn employees() -> Vec<Employee> {
    let full = Employee {
        code: Some("TEST01".into()),
        last_name: Some("山田".into()),
        last_name_kana: Some("ﾔﾏﾀﾞ".into()),
        first_name_kana: Some("たろう".into()),
        email: Some(" Taro@Example.COM ".into()),
        birth_date: "1990-04-01".parse().ok(),
        business_last_name: Some("".into()),
        office: Some(MasterItem {
            id: "1000".into(),
            name: "本社".into(),
        }),
        employment_type: Some(MasterItem {
            id: "t1".into(),
            name: "役員".into(),
        }),
        raw: serde_json::json!({
            "departments": [null, {"name": "営業部"}, {"name": "開発部"}],
            "n": 3, "flag": true, "f": 1.5,
        })
        .into(),
        ..Employee::default()
    };
    let plain = Employee {
        code: Some("000123".into()),
        first_name: Some("花子".into()),
        email: Some("hanako@example.com".into()),
        employment_type: Some(MasterItem {
            id: "t2".into(),
            name: "正社員".into(),
        }),
        raw: serde_json::json!({"departments": [{"name": "総務部"}]}).into(),
        ..Employee::default()
    };
    vec![Employee::default(), full, plain]
}

const CASES: &[&str] = &[
    "e.code",
    // A variable against each kind of constant, and each kind of property against `()`.
    r#"let x = e.code; let b = e.code != (); let i = 3; let u = (); let m = #{}; let a = [1];
        [x == "000123", x != (), x == true, x != 1, b == true, b != false, b == 1, i == 3,
        i != 3, i == "3", i < 4, i >= 3, u == (), u != "a", u == false, m == (), m != 1,
        a != (), a == "1", e.raw != (), e.birth_date == (), e.resignation_date != (),
        e.office == (), e.employment_type != (), e.no_such_property == ()]"#,
    r#"e.employment_type != () && e.employment_type.name == "役員""#,
    r#"e.code != () && e.code.starts_with("TEST")"#,
    "if e.email != () { lower(trim(e.email)) }",
    r#"let c = #{}; c.x = e.last_name; c.y = e.office ?? "none"; c.z = [1, e.code]; c"#,
    r#"for d in e.raw.departments ?? [] { if d != () { let v = lookup("t", d.name);
        if v != () { return v; } } } ()"#,
    "let n = 0; for (d, i) in e.raw.departments ?? [] { if i > 1 { break; } n = i + 1; } n",
    r#"[1 == 1, 1 != "1", "a" < "b", () == (), true != false, e.code == (), 2 >= 3,
        "b" > "a", 1 <= 1, "a" != (), e.office == (), 3 < 2, e.raw != 1, [] != "a",
        e.office != (), #{} == ()]"#,
    r#"[e.code == "000123", e.birth_date == "1990-04-01", e.code < "1", e.code >= "TEST",
        e.office.id != "1000", e.email > (), "000123" == e.code, e.office != "x",
        e.birth_date != (), e.employment_type.name == "正社員", e.gender == 1]"#,
    "e.office.name",
    "e.employment_type.id",
    "let x = e; x.code",
    r#"e.unknown ?? "default""#,
    "is_blank(e.business_last_name)",
    "[is_blank(e.birth_date), is_blank(e.email), trim(e.birth_date), upper(lower(e.code))]",
    "is_blank(e.office)",
    r#""x" + e.code"#,
    "(e.raw.departments ?? []).len()",
    "e.last_name.len()",
    "(e.raw.departments ?? []).is_empty()",
    r#"if direction == "smarthr-to-kot" { 1 } else { 2 }"#,
    r#"let y = if e.code == () { "none" } else { e.code }; y"#,
    "{ let a = 1; let a = a + 1; a }",
    "!(e.code == ()) || e.email == ()",
    r#"[to_full_width_katakana(e.last_name_kana ?? ""), fold_width("ＡＢ"), upper("a")]"#,
    "e.raw",
    r#"contains(e.email ?? "", "@") && (e.email ?? "").ends_with(".com")"#,
    "const x = 3; x + 1",
    "let a = [1, 2]; let b = a; b.len()",
    r#"let s = ""; for d in ["a", "b", "c"] { if d == "b" { continue; } s = s + d; } s"#,
    "e.raw.n + 1",
    "e.raw.flag && e.raw.n > 1",
    r#"lookup("t", e.code, "none")"#,
    "e.office",
    "e",
    "let m = #{a: 1}; m.a = e.code; m",
    "return;",
    // A method argument that assigns the base: Rhai evaluates the arguments first.
    r#"let s = "a"; s.starts_with({ s = "b"; "b" })"#,
    r#"let t = table("t"); [t["営業部"], t.len(), t.is_empty(), table("t")["000123"]]"#,
    "let m = #{a: 1}; [m.len(), m.is_empty(), #{}.is_empty(), e.raw.len()]",
    // while and loop, with break and continue.
    "let n = 0; let s = 0; while n < 5 { n = n + 1; if n == 2 { continue; } s = s + n; } s",
    "let n = 0; loop { n = n + 1; if n > 3 { break; } } n",
    "let n = 0; while false { n = 1; } n",
    // Dates, as function calls and as methods.
    r#"[parse_date("2024/4/1"), is_date(e.birth_date), is_date("x"), is_date(e.gender),
        years_between(e.birth_date ?? "2000-01-01", "2024-04-01"),
        days_between("2024-01-01", "2024-03-01"), add_days("2024-02-28", 1),
        add_days("2024-03-01", -1), year("2024-05-06"), month("2024-05-06"), day("2024-05-06")]"#,
    r#"(e.birth_date ?? "1990-04-01").year()"#,
    // Interpolation: texts, numbers, booleans and () are shown; anything else is Rhai's.
    "`${e.code}|${1 + 2}|${true}|${e.gender}|${e.birth_date}|`",
    "`office: ${e.office}`",
    // Indexing: arrays (from the end when negative), maps by name, out of range (Rhai's error).
    r#"let a = [1, "x", ()]; [a[0], a[-1], a[-3], a[1], #{k: 2}["k"], #{k: 2}["z"]]"#,
    r#"let d = e.raw.departments ?? []; if d.len() > 1 { let x = d[1]; x["name"] } else { d }"#,
    r#"e["code"]"#,
    r#"let m = #{x: "ab"}; [m.x.len(), m.x.starts_with("a"), m.y]"#,
    // Every property of `e`, read one by one as the fast path reads them.
    r#"[e.birth_date, e.business_first_name, e.business_first_name_kana, e.business_last_name,
        e.business_last_name_kana, e.code, e.email, e.employment_type, e.first_name,
        e.first_name_kana, e.gender, e.hire_date, e.last_name, e.last_name_kana, e.office,
        e.raw, e.resignation_date]"#,
];

fn table() -> Tables {
    let mut t = Map::new();
    t.insert("営業部".into(), "1000".into());
    t.insert("000123".into(), 7.into());
    Arc::new([("t".to_string(), t)].into())
}

/// Compiles `script` and lowers its function `name`, which the case needs on the fast path.
fn compiled(engine: &rhai::Engine, script: &str, name: &str, arity: usize) -> (rhai::AST, Code) {
    let ast = engine
        .compile(script)
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    let code = lower(&ast, name, arity, name != "select")
        .unwrap_or_else(|| panic!("{script}: not lowered"));
    (ast, code)
}

/// Calls `name` with `arg` (and `direction`, for a hook that takes it) on both paths. Where
/// the fast path answers, it must give Rhai's answer: the same type, shown the same. Returns
/// whether it answered.
fn agrees(
    engine: &rhai::Engine,
    (ast, code): &(rhai::AST, Code),
    name: &str,
    arg: &Arg<'_>,
    direction: Option<&'static str>,
    what: &dyn std::fmt::Display,
) -> bool {
    let mut scope = rhai::Scope::new();
    let rhai: Result<Dynamic, _> = match direction {
        Some(d) => engine.call_fn(
            &mut scope,
            ast,
            name,
            (arg.dynamic().clone(), Dynamic::from(d)),
        ),
        None => engine.call_fn(&mut scope, ast, name, (arg.dynamic().clone(),)),
    };
    let tables = table();
    let Ok(fast) = code.run(arg, direction.unwrap_or(""), &tables, 1_000_000) else {
        return false;
    };
    let fast = fast.into_dynamic();
    let rhai =
        rhai.unwrap_or_else(|e| panic!("{what}: the fast path gave {fast} where Rhai failed: {e}"));
    assert_eq!(
        (fast.type_name(), fast.to_string()),
        (rhai.type_name(), rhai.to_string()),
        "{what}"
    );
    true
}

#[test]
fn the_fast_path_gives_what_rhai_gives() {
    let tables = table();
    let engine = super::super::load::build_engine(&Limits::default(), tables.clone());
    let employees = employees();
    for case in CASES {
        let script = format!("fn f(e, direction) {{ {case} }}");
        agrees_for_employees(&engine, &script, 2, case, &employees);
    }
}

/// Compiles `script`, whose function `f` takes `e` (and `direction` when `arity` is 2), and
/// calls it on both paths for every employee (in both directions). `case` must run on the
/// fast path at least once.
fn agrees_for_employees(
    engine: &rhai::Engine,
    script: &str,
    arity: usize,
    case: &str,
    employees: &[Employee],
) {
    let compiled = compiled(engine, script, "f", arity);
    let directions: &[Option<&str>] = if arity == 2 {
        &[Some("smarthr-to-kot"), Some("kot-to-smarthr")]
    } else {
        &[None]
    };
    let mut fast_runs = 0;
    for employee in employees {
        for direction in directions {
            let subject = Subject::new(employee, &RawKeys::All);
            let what = format!("{case} for {:?}", employee.code);
            let arg = Arg::Subject(&subject);
            fast_runs += usize::from(agrees(engine, &compiled, "f", &arg, *direction, &what));
        }
    }
    assert!(fast_runs > 0, "{case} never ran on the fast path");
}

#[test]
fn what_it_cannot_model_is_left_to_rhai() {
    let tables = table();
    let engine = super::super::load::build_engine(&Limits::default(), tables);
    let cases = [
        "let x = 1; x -= 1; x",
        "let c = #{a: 1}; c.a += 1; c",
        "print(e.code)",
        "e.code = 1",
        "let f = |x| x + 1; f.call(1)",
        "e?.code",
        "throw \"no\"",
        "switch e.code { _ => 1 }",
        "e.raw.departments[1]",
        "e.code?[0]",
        "let a = [[1]]; a[0][0]",
        r#"e.office["name"]"#,
    ];
    for case in cases {
        let script =
            format!("fn g(x) {{ x }}\nfn lower(s) {{ s }}\nfn f(e, direction) {{ {case} }}");
        let Ok(ast) = engine.compile(&script) else {
            continue;
        };
        assert!(lower(&ast, "f", 2, true).is_none(), "{case} was lowered");
    }
}

/// What the fast path does not answer exactly (an index out of range, a character of a text,
/// a text that is not a date) is Rhai's to answer, with its own error or value.
#[test]
fn what_it_cannot_answer_is_left_to_rhai() {
    let tables = table();
    let engine = super::super::load::build_engine(&Limits::default(), tables.clone());
    let employee = Employee::default();
    let subject = Subject::new(&employee, &RawKeys::None);
    for (case, rhai_fails) in [
        ("let a = [1]; a[1]", true),
        ("let a = [1]; a[-2]", true),
        (r#"let a = [1]; a["x"]"#, true),
        (r#"let s = "abc"; s[1]"#, false),
        (r#"parse_date("nope")"#, true),
        (r#"add_days("2024-01-01", 9223372036854775807)"#, true),
        ("year(1)", true),
    ] {
        let script = format!("fn f(e) {{ {case} }}");
        let ast = engine
            .compile(&script)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        let code = lower(&ast, "f", 1, true).unwrap_or_else(|| panic!("{case}: not lowered"));
        let arg = Arg::Subject(&subject);
        assert!(code.run(&arg, "", &tables, 1_000_000).is_err(), "{case}");
        let rhai: Result<Dynamic, _> =
            engine.call_fn(&mut rhai::Scope::new(), &ast, "f", (arg.dynamic().clone(),));
        assert_eq!(rhai.is_err(), rhai_fails, "{case}");
    }
}

/// A script's own functions, called from a hook: each runs with only its parameters, may
/// call others and itself, and hides a helper of the same name.
#[test]
fn the_scripts_own_functions_run_as_in_rhai() {
    let tables = table();
    let engine = super::super::load::build_engine(&Limits::default(), tables.clone());
    let functions = r#"
        fn lower(s) { "mine:" + s }
        fn kana(s) { if s == () { return (); } to_full_width_katakana(s) }
        fn upto(n) { if n >= 5 { n } else { upto(n + 1) } }
        fn first_dept(e) { for d in e.raw.departments ?? [] { if d != () { return d.name; } } }
        fn deep(n) { deep(n + 1) }
    "#;
    let cases = [
        "[lower(e.code ?? \"-\"), kana(e.last_name_kana), kana(e.gender)]",
        "upto(0)",
        "first_dept(e)",
        "let x = 1; let y = upto(3); [x, y]",
    ];
    let employees = employees();
    for case in cases {
        let script = format!("{functions}\nfn f(e) {{ {case} }}");
        agrees_for_employees(&engine, &script, 1, case, &employees);
    }
    // Endless recursion is Rhai's to stop.
    let script = format!("{functions}\nfn f(e) {{ deep(1) }}");
    let ast = engine.compile(&script).unwrap_or_else(|e| panic!("{e}"));
    let code = lower(&ast, "f", 1, true).unwrap_or_else(|| panic!("not lowered"));
    let employee = Employee::default();
    let subject = Subject::new(&employee, &RawKeys::None);
    assert!(
        code.run(&Arg::Subject(&subject), "", &tables, 1_000_000)
            .is_err()
    );
}

#[test]
fn a_long_loop_is_left_to_rhai_and_its_limits() {
    let tables = table();
    let engine = super::super::load::build_engine(&Limits::default(), tables.clone());
    let ast = engine
        .compile("fn f(e) { let n = 0; for a in e { for b in e { n = n + 1; } } n }")
        .unwrap_or_else(|e| panic!("{e}"));
    let code = lower(&ast, "f", 1, false).unwrap_or_else(|| panic!("not lowered"));
    let list = Dynamic::from_array((0..100).map(Dynamic::from_int).collect());
    let arg = Arg::Value(&list);
    let small = code.run(&arg, "", &tables, 1_000_000);
    assert_eq!(
        small.map(|v| v.into_dynamic().to_string()).ok().as_deref(),
        Some("10000")
    );
    assert!(code.run(&arg, "", &tables, 10_000).is_err());
}

/// Without this, a change that made the shipped rules fall back to Rhai would pass every
/// other test and only show as a slower benchmark.
#[test]
fn every_shipped_hook_runs_on_the_fast_path() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rules = crate::rules::Rules::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let keys = RawKeys::All;
    let changes = [crate::plan::Change {
        field: crate::model::Field::BirthDate,
        old: None,
        new: Some("1990-04-01".into()),
    }];
    for employee in employees() {
        let subject = Subject::new(&employee, &keys);
        let input = crate::plan::SelectInput {
            status: crate::plan::Status::Changed,
            changes: &changes,
            source: &employee,
            target: None,
        };
        let row = RowView::new(&input, None);
        for direction in ["smarthr-to-kot", "kot-to-smarthr"] {
            let mut hooks = 0;
            for (hook, fns) in Hook::ALL.iter().zip(&rules.hooks) {
                for f in fns {
                    let arg = match hook {
                        Hook::Select => Arg::Row(&row),
                        _ => Arg::Subject(&subject),
                    };
                    let code = f.fast.as_ref();
                    let value = code.map(|c| {
                        c.run(&arg, direction, &rules.tables, rules.limits.max_operations)
                    });
                    assert!(
                        matches!(value, Some(Ok(_))),
                        "{} for {:?}",
                        f.from,
                        employee.code
                    );
                    hooks += 1;
                }
            }
            assert!(hooks >= 5);
        }
    }
}

/// `select`'s `row`, which the fast path reads from the plan rather than from a Rhai map.
const ROW_CASES: &[&str] = &[
    "row.status",
    r#"if row.status == "new" { return true; } for c in row.changes {
        if c.field == "birth_date" { return false; } } true"#,
    "let n = []; for c in row.changes { n = n + [c.field, c.old, c.value]; } n",
    "[row.changes.len(), row.changes.is_empty(), row.unknown, row.employee]",
    "row.changes",
    "row",
    "for c in row.changes { return c; }",
    r#"let r = row; r.status + "!""#,
    r#"for c in row.changes { if c.old == () || c.value != "" { return c.field; } } ()"#,
    r#"let c = row.changes; if c.len() > 0 { let f = c[0]; let l = c[-1]; [f["new"], l["field"], row["status"]] }"#,
];

#[test]
fn the_fast_path_reads_row_as_rhai_does() {
    use crate::model::Field;
    use crate::plan::{Change, SelectInput, Status};
    let tables = table();
    let engine = super::super::load::build_engine(&Limits::default(), tables.clone());
    let change = |field, old: Option<&str>, new: Option<&str>| Change {
        field,
        old: old.map(str::to_string),
        new: new.map(str::to_string),
    };
    let lists = [
        vec![],
        vec![
            change(Field::Email, Some("a@example.com"), Some("b@example.com")),
            change(Field::BirthDate, None, Some("1990-04-01")),
        ],
        vec![change(Field::LastName, Some(""), None)],
    ];
    let employee = &employees()[1];
    for case in ROW_CASES {
        let compiled = compiled(
            &engine,
            &format!("fn select(row) {{ {case} }}"),
            "select",
            1,
        );
        let mut fast_runs = 0;
        for (status, changes) in [Status::New, Status::Changed]
            .iter()
            .zip(&lists)
            .chain([(&Status::Changed, &lists[2])])
        {
            let input = SelectInput {
                status: *status,
                changes,
                source: employee,
                target: None,
            };
            let row = RowView::new(&input, None);
            let what = format!("{case} for {status:?} {changes:?}");
            fast_runs += usize::from(agrees(
                &engine,
                &compiled,
                "select",
                &Arg::Row(&row),
                None,
                &what,
            ));
        }
        assert!(fast_runs > 0, "{case} never ran on the fast path");
    }
}

/// Employees of many shapes: absent, empty and present fields, half-width and hiragana
/// readings, upper-case e-mails, business names, departments in and out of the table.
fn varied_employees() -> Vec<Employee> {
    let texts = |i: usize, options: &[&str]| -> Option<String> {
        match options[i % options.len()] {
            "-" => None,
            s => Some(s.to_string()),
        }
    };
    (0..96)
        .map(|i| Employee {
            code: texts(i, &["1001", "TEST9", "-", "", "0042"]),
            last_name: texts(i / 2, &["山田", "-", "", "Smith"]),
            first_name: texts(i / 3, &["太郎", "-"]),
            last_name_kana: texts(i, &["ﾔﾏﾀﾞ", "やまだ", "ヤマダ", "-", ""]),
            first_name_kana: texts(i / 5, &["ﾀﾛｳ", "-", "タロウ"]),
            email: texts(i, &[" Taro@Example.COM ", "taro@example.com", "-", ""]),
            business_last_name: texts(i / 7, &["鈴木", "-", " ", ""]),
            business_first_name: texts(i / 11, &["-", "一郎"]),
            business_last_name_kana: texts(i / 13, &["ｽｽﾞｷ", "-"]),
            birth_date: (i % 3 == 0).then(|| "1990-04-01".parse().ok()).flatten(),
            employment_type: [None, Some("役員"), Some("正社員"), Some("パート")][i % 4].map(
                |name| MasterItem {
                    id: format!("t{i}"),
                    name: name.into(),
                },
            ),
            office: (i % 6 == 0).then(|| MasterItem {
                id: "1000".into(),
                name: "本社".into(),
            }),
            raw: match i % 4 {
                0 => serde_json::json!({"departments": [null, {"name": "営業部"}]}),
                1 => serde_json::json!({"departments": [{"name": "どこか"}, {"name": "人事部"}]}),
                2 => serde_json::json!({}),
                _ => serde_json::json!({"departments": "not a list"}),
            }
            .into(),
            ..Employee::default()
        })
        .collect()
}

/// End to end: the shipped rules decide and select exactly the same with the fast path as
/// with every call made in Rhai.
#[test]
fn the_shipped_rules_decide_the_same_on_both_paths() {
    use crate::model::{Direction, Field};
    use crate::plan::{Change, Policy, SelectInput, Status};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let load = || crate::rules::Rules::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let fast = load();
    let mut rhai = load();
    for fns in &mut rhai.hooks {
        for f in fns {
            assert!(f.fast.is_some(), "{} is not on the fast path", f.from);
            f.fast = None;
        }
    }
    let change = |field, old: &str, new: &str| Change {
        field,
        old: Some(old.into()),
        new: Some(new.into()),
    };
    let changes = [
        vec![],
        vec![change(Field::Email, "a@example.com", "b@example.com")],
        vec![
            change(Field::LastName, "山田", "鈴木"),
            change(Field::BirthDate, "1990-04-01", "1990-04-02"),
        ],
    ];
    for direction in [Direction::SmartHrToKot, Direction::KotToSmartHr] {
        for employee in varied_employees() {
            let mut on_fast = employee.clone();
            let mut on_rhai = employee.clone();
            let decided = (
                fast.decide(direction, &mut on_fast),
                rhai.decide(direction, &mut on_rhai),
            );
            assert_eq!(decided.0, decided.1, "{direction:?} {employee:?}");
            assert_eq!(on_fast, on_rhai, "{direction:?} {employee:?}");
            let (mut a, mut b) = (employee.clone(), employee.clone());
            assert_eq!(
                fast.decide_existing(direction, &mut a),
                rhai.decide_existing(direction, &mut b),
                "{direction:?} {employee:?}"
            );
            for (status, changes) in [Status::New, Status::Changed]
                .into_iter()
                .flat_map(|s| changes.iter().map(move |c| (s, c)))
            {
                let input = SelectInput {
                    status,
                    changes,
                    source: &on_fast,
                    target: None,
                };
                assert_eq!(
                    fast.select(direction, &input),
                    rhai.select(direction, &input),
                    "{direction:?} {status:?} {changes:?}"
                );
            }
        }
    }
}
