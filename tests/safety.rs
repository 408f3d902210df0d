//! Issue 13, items 3, 4, 5 and 9: missing data is not a deletion, writes touch only what the
//! sync owns, SmartHR's status follows the dates the sync writes, and apply writes only what
//! the person was shown. Through the real binary against the simulators.

mod util;

use crewsync::sim::{Company, SAMPLE_AS_OF, SimConfig};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use util::{
    AS_OF, Env, TO_KOT_DEFAULTS, apply_all_to_kot, apply_all_to_smarthr, apply_to_kot,
    apply_to_smarthr, codes, crew, kot, noon, plan_args, row,
};

/// The shipped rules folder, whose select rule takes every change but a birth date's.
fn shipped_rules() -> String {
    format!("{}/rules", env!("CARGO_MANIFEST_DIR"))
}

fn kot_email(env: &Env, code: &str) -> Value {
    env.kot_with_code(code)[0]["emailAddresses"].clone()
}

/// The example of item 3: six crews whose email a SmartHR token cannot read (null) while KOT
/// holds their addresses. The plan says so once; `apply --select auto` with the shipped rules
/// keeps every address, still writes the other change, and reports each clear it held back.
#[test]
fn an_unreadable_smarthr_email_is_not_cleared_in_kot() {
    let env = Env::empty();
    let codes6 = ["0001", "0002", "0003", "0004", "0005", "0006"];
    for code in codes6 {
        let extra = if code == "0001" {
            json!({"email": null, "last_name": "長谷川"})
        } else {
            json!({"email": null})
        };
        env.crew(crew(code, "山田", "太郎", extra));
        env.kot_employee(kot(code, "山田", "太郎", json!({})));
    }
    let rules = shipped_rules();
    let mut table = plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS);
    table.extend(["--rules", &rules]);
    let out = env.cmd(&table).run().expect(0);
    assert_eq!(
        out.stdout.matches("email looks unreadable").count(),
        1,
        "said once:\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("permission"), "{}", out.stdout);
    assert_eq!(out.stdout.matches("✗ clear").count(), 6, "{}", out.stdout);
    assert!(out.stdout.contains("6 fields cleared"), "{}", out.stdout);
    let p = env.plan(
        "smarthr-to-kot",
        &[&TO_KOT_DEFAULTS[..], &["--rules", &rules]].concat(),
    );
    assert_eq!(p["unreadable"].as_array().unwrap().len(), 1, "{p:#}");
    assert_eq!(p["unreadable"][0]["field"], "email");
    assert_eq!(p["unreadable"][0]["clears"], 6);
    assert_eq!(p["summary"]["clears"], 6);

    let out = env
        .cmd(&apply_to_kot(&[
            "--select", "auto", "--yes", "--format", "json", "--rules", &rules,
        ]))
        .run()
        // Rows whose only change was a held clear were not written: that needs a person.
        .expect(2);
    assert!(out.stderr.contains("email"), "warned: {}", out.stderr);
    for code in codes6 {
        assert_eq!(
            kot_email(&env, code),
            json!([format!("{code}@example.com")])
        );
    }
    assert_eq!(env.kot_with_code("0001")[0]["lastName"], "長谷川");
    let report = out.json();
    for r in report["results"].as_array().unwrap() {
        let (outcome, held) = match r["code"].as_str() {
            Some("0001") => ("updated", json!(["email"])),
            _ => ("not_attempted", json!(["email"])),
        };
        assert_eq!(r["outcome"], outcome, "{r:#}");
        assert_eq!(r["not_cleared"], held, "{r:#}");
        if outcome == "not_attempted" {
            assert!(
                r["error"].as_str().unwrap().contains("--allow-clear email"),
                "{r:#}"
            );
        }
    }

    // The history says the held-back clear as the report did: the run, the employee's
    // timeline, and the run's JSON.
    let run = report["run_id"].as_str().unwrap();
    let held = "not cleared: email (unreadable in the source)";
    let show = env.cmd(&["history", "show", run]).run().expect(0).stdout;
    let updated = &show[show.find("Updated (1):").expect(&show)..];
    assert!(updated.contains("0001 長谷川 太郎"), "{show}");
    assert!(updated.contains(held), "{show}");
    let timeline = env
        .cmd(&["history", "employee", "0001"])
        .env("COLUMNS", "200")
        .run()
        .expect(0)
        .stdout;
    assert!(timeline.contains(held), "{timeline}");
    let json = env
        .cmd(&["history", "show", run, "--format", "json"])
        .run()
        .expect(0)
        .json();
    let e = &json["employees"][0];
    assert_eq!(
        (&e["outcome"], &e["not_cleared"]),
        (&json!("updated"), &json!(["email"])),
        "{json:#}"
    );

    // Said explicitly, the clears go through.
    env.cmd(&apply_all_to_kot(&["--allow-clear", "email"]))
        .run()
        .expect(0);
    for code in codes6 {
        assert!(env.kot_with_code(code)[0].get("emailAddresses").is_none());
    }
}

/// The other direction: KOT omits a property it does not give (null), so a KOT token without
/// the email permission reads every address as missing. SmartHR's addresses stay, unless
/// `--force`.
#[test]
fn an_unreadable_kot_email_is_not_cleared_in_smarthr() {
    let env = Env::empty();
    for code in ["0001", "0002", "0003", "0004", "0005"] {
        env.crew(crew(code, "山田", "太郎", json!({})));
        let mut e = kot(code, "山田", "太郎", json!({}));
        e.as_object_mut().unwrap().remove("emailAddresses");
        env.kot_employee(e);
    }
    let p = env.plan("kot-to-smarthr", &[]);
    assert_eq!(p["unreadable"][0]["field"], "email", "{p:#}");
    let apply = |extra: &[&str], status| env.cmd(&apply_all_to_smarthr(extra)).run().expect(status);
    apply(&[], 2);
    for code in ["0001", "0005"] {
        assert_eq!(
            env.crews_with_code(code)[0]["email"],
            format!("{code}@example.com")
        );
    }
    apply(&["--force"], 0);
    assert!(env.crews_with_code("0001")[0]["email"].is_null());
}

/// Item 3 through a saved plan: `apply --plan` holds back the clears of a field the plan
/// found unreadable as `apply` does, and a plan whose list of unreadable fields was edited
/// away (which would let every clear through) is refused.
#[test]
fn a_saved_plan_holds_unreadable_clears_and_cannot_be_edited_to_make_them() {
    let env = Env::empty();
    let codes5 = ["0001", "0002", "0003", "0004", "0005"];
    for code in codes5 {
        env.crew(crew(code, "山田", "太郎", json!({"email": null})));
        env.kot_employee(kot(code, "山田", "太郎", json!({})));
    }
    let mut args = plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS);
    args.extend(["--out", "plan.json"]);
    env.cmd(&args).run().expect(0);
    let apply = ["apply", "--plan", "plan.json", "--select", "all", "--yes"];
    let kept = || {
        for code in codes5 {
            assert_eq!(
                kot_email(&env, code),
                json!([format!("{code}@example.com")])
            );
        }
    };
    let out = env.cmd(&apply).run().expect(2);
    assert!(out.all().contains("--allow-clear email"), "{}", out.all());
    kept();

    let path = env.dir.path().join("plan.json");
    let mut saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["unreadable"][0]["field"], "email", "{saved:#}");
    saved["unreadable"] = json!([]);
    std::fs::write(&path, saved.to_string()).unwrap();
    let out = env.cmd(&apply).run().expect(1);
    assert!(
        out.stderr.contains("edited after it was made"),
        "{}",
        out.stderr
    );
    kept();
}

/// One employee without an email among many is an ordinary clear: nothing is held back.
#[test]
fn a_single_missing_value_is_an_ordinary_clear() {
    let env = Env::empty();
    for n in 1..=10 {
        let code = format!("{n:04}");
        let extra = if n == 1 {
            json!({"email": null})
        } else {
            json!({})
        };
        env.crew(crew(&code, "山田", "太郎", extra));
        env.kot_employee(kot(&code, "山田", "太郎", json!({})));
    }
    let p = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    assert!(p.get("unreadable").is_none_or(|u| u == &json!([])), "{p:#}");
    env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    assert!(env.kot_with_code("0001")[0].get("emailAddresses").is_none());
}

/// `max_changes` weighs a clear as one more change than the employee it is written to.
#[test]
fn max_changes_weighs_clears() {
    let env = Env::empty();
    for n in 1..=10 {
        let code = format!("{n:04}");
        let extra = match n {
            1 | 2 => json!({"email": null}),
            3 => json!({"email": "changed@example.com"}),
            _ => json!({}),
        };
        env.crew(crew(&code, "山田", "太郎", extra));
        env.kot_employee(kot(&code, "山田", "太郎", json!({})));
    }
    env.write_config("max_changes: 3\n");
    let out = env
        .cmd(&apply_to_kot(&["--select", "0001,0002", "--yes"]))
        .run()
        .expect(1);
    assert!(
        out.stderr.contains("4 changes") && out.stderr.contains("cleared"),
        "{}",
        out.stderr
    );
    assert_eq!(kot_email(&env, "0001"), json!(["0001@example.com"]));
    env.cmd(&apply_to_kot(&["--select", "0001,0003", "--yes"]))
        .run()
        .expect(0);
    assert!(env.kot_with_code("0001")[0].get("emailAddresses").is_none());
}

/// The example of item 9, both directions: `--status new` shows only new rows, so `--select
/// all` writes only them, and naming a hidden row's code is refused.
#[test]
fn apply_writes_only_the_rows_shown() {
    for direction in ["smarthr-to-kot", "kot-to-smarthr"] {
        let env = Env::empty();
        env.crew(crew("0001", "山田", "太郎", json!({})));
        env.kot_employee(kot(
            "0001",
            "山田",
            "太郎",
            json!({"emailAddresses": ["other@example.com"]}),
        ));
        env.crew(crew("0002", "佐藤", "花子", json!({})));
        env.kot_employee(kot("0003", "鈴木", "一郎", json!({})));
        let apply = |extra: &[&str]| {
            let mut args = vec!["apply", "--direction", direction, "--as-of", AS_OF];
            args.extend_from_slice(if direction == "smarthr-to-kot" {
                &TO_KOT_DEFAULTS
            } else {
                &["--office", "本社"]
            });
            args.extend_from_slice(extra);
            env.cmd(&args).run()
        };
        let emails = || {
            (
                env.crews_with_code("0001")[0]["email"].clone(),
                kot_email(&env, "0001"),
            )
        };
        let before = emails();
        let out = apply(&[
            "--status", "new", "--select", "all", "--yes", "--format", "json",
        ])
        .expect(0);
        let written = out.json();
        let new_code = if direction == "smarthr-to-kot" {
            "0002"
        } else {
            "0003"
        };
        assert_eq!(codes(&written["results"]), [new_code], "{direction}");
        assert_eq!(
            emails(),
            before,
            "{direction}: the hidden changed row is untouched"
        );

        let out = apply(&["--status", "new", "--select", "0001", "--yes"]).expect(1);
        assert!(
            out.stderr.contains("0001") && out.stderr.contains("--status"),
            "{direction}: {}",
            out.stderr
        );
        assert_eq!(emails(), before);
        // Shown, it can be written.
        apply(&["--status", "changed", "--select", "0001", "--yes"]).expect(0);
        assert_ne!(emails(), before, "{direction}");
    }
}

/// (code, SmartHR status, SmartHR resigned_at, KOT resignationDate, status after)
type StatusCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

/// Item 5: every status transition a kot-to-smarthr sync can cause leaves SmartHR's
/// `emp_status` consistent with the resignation date it writes, and the plan shows each status
/// change as a change. "Past" is 2026-04-15: on or after the reference date (so in scope) and
/// before today.
#[test]
fn smarthr_status_follows_the_resignation_date_written() {
    let env = Env::empty();
    let past = "2026-04-15";
    let future = "2099-03-31";
    let cases: [StatusCase; 7] = [
        ("0001", "employed", None, Some(past), "retired"), // leaving
        ("0002", "employed", None, Some(future), "employed"), // future resignation
        ("0003", "retired", Some(past), Some(future), "employed"), // moved to the future
        ("0004", "retired", Some(past), None, "employed"), // cleared (re-hire)
        ("0005", "absent", None, Some(future), "absent"),  // 休職, leaving later
        ("0006", "absent", None, Some(past), "retired"),   // 休職, left
        ("0007", "absent", Some(future), None, "absent"),  // 休職, resignation withdrawn
    ];
    for (code, status, resigned, _, _) in cases {
        env.crew(crew(
            code,
            "山田",
            "太郎",
            json!({"emp_status": status, "resigned_at": resigned}),
        ));
    }
    for (code, _, _, resignation, _) in cases {
        let extra = match resignation {
            Some(d) => json!({"resignationDate": d}),
            None => json!({}),
        };
        env.kot_employee(kot(code, "山田", "太郎", extra));
    }
    // A re-hire also moves the hire date.
    env.kot_employee(kot(
        "0008",
        "田中",
        "次郎",
        json!({"hiredDate": "2026-04-01"}),
    ));
    env.crew(crew(
        "0008",
        "田中",
        "次郎",
        json!({"emp_status": "retired", "resigned_at": "2026-01-31"}),
    ));
    // New crews: created with the status their resignation date gives.
    for (code, resignation) in [("0009", past), ("0010", future)] {
        env.kot_employee(kot(
            code,
            "新規",
            "退職",
            json!({"resignationDate": resignation}),
        ));
    }

    let p = env.plan("kot-to-smarthr", &[]);
    let status_change = |code: &str| {
        row(&p, code)["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == "emp_status")
            .cloned()
    };
    for (code, before, _, _, after) in cases {
        let expected =
            (before != after).then(|| json!({"field": "emp_status", "old": before, "new": after}));
        assert_eq!(status_change(code), expected, "{code}: {:#}", row(&p, code));
    }
    assert_eq!(
        status_change("0008"),
        Some(json!({"field": "emp_status", "old": "retired", "new": "employed"}))
    );
    let table = env
        .cmd(&plan_args("kot-to-smarthr", &[]))
        .run()
        .expect(0)
        .stdout;
    assert!(table.contains("emp_status: employed → retired"), "{table}");

    env.cmd(&apply_to_smarthr(&["--select", "all", "--yes"]))
        .run()
        .expect(0);
    for (code, _, _, resignation, after) in cases {
        let c = &env.crews_with_code(code)[0];
        assert_eq!(c["emp_status"], after, "{code}");
        assert_eq!(c["resigned_at"], json!(resignation), "{code}");
    }
    assert_eq!(env.crews_with_code("0008")[0]["emp_status"], "employed");
    assert_eq!(env.crews_with_code("0008")[0]["entered_at"], "2026-04-01");
    assert_eq!(env.crews_with_code("0009")[0]["emp_status"], "retired");
    assert_eq!(env.crews_with_code("0010")[0]["emp_status"], "employed");
    // Consistent afterwards: nothing left to do.
    let p = env.plan("kot-to-smarthr", &[]);
    assert_eq!(p["summary"]["changed"], 0, "{p:#}");

    // KOT has no status: a resignation date into KOT is the only change.
    let p = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    for r in p["rows"].as_array().unwrap() {
        let changes = r["changes"].as_array().unwrap();
        assert!(changes.iter().all(|c| c["field"] != "emp_status"), "{r:#}");
    }
}

/// The target properties each synced field is written to, and those SmartHR derives from them
/// (`preferred_*` is the business name if set, else the legal name). Written out here rather
/// than taken from the clients, so that the test checks them instead of repeating them.
fn owned(target: &str, field: &str) -> &'static [&'static str] {
    match (target, field) {
        ("smarthr", "last_name") => &["last_name", "preferred_last_name"],
        ("smarthr", "first_name") => &["first_name", "preferred_first_name"],
        ("smarthr", "last_name_kana") => &["last_name_yomi", "preferred_last_name_yomi"],
        ("smarthr", "first_name_kana") => &["first_name_yomi", "preferred_first_name_yomi"],
        ("smarthr", "gender") => &["gender"],
        ("smarthr", "birth_date") => &["birth_at"],
        ("smarthr", "email") => &["email"],
        ("smarthr", "hire_date") => &["entered_at"],
        ("smarthr", "resignation_date") => &["resigned_at"],
        ("smarthr", "emp_status") => &["emp_status"],
        ("kot", "last_name") => &["lastName"],
        ("kot", "first_name") => &["firstName"],
        ("kot", "last_name_kana") => &["lastNamePhonetics"],
        ("kot", "first_name_kana") => &["firstNamePhonetics"],
        ("kot", "gender") => &["gender"],
        ("kot", "birth_date") => &["birthDate"],
        ("kot", "email") => &["emailAddresses"],
        ("kot", "hire_date") => &["hiredDate"],
        ("kot", "resignation_date") => &["resignationDate"],
        other => panic!("the plan changed {other:?}, which a sync does not write"),
    }
}

/// KOT's synced address is the first entry (blank when cleared); the others are its spares.
fn split_emails(list: Option<&Value>) -> (Option<String>, Vec<Value>) {
    let mut list: Vec<Value> = list.and_then(Value::as_array).cloned().unwrap_or_default();
    let synced = (!list.is_empty())
        .then(|| list.remove(0))
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|s| !s.is_empty());
    (synced, list)
}

/// Every kind of change the sample company can take, applied to every record on the source
/// side: names, readings, gender, birth and hire dates moved; the email changed for half and
/// cleared for the other half; the resignation date set (past or future), moved or cleared.
fn changed_everywhere(source_is_smarthr: bool) -> Company {
    let mut company = Company::sample();
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let flip = |g: &Option<String>| match g.as_deref() {
        Some("male") => Some("female".to_string()),
        _ => Some("male".to_string()),
    };
    let moved =
        |d: Option<chrono::NaiveDate>, days: i64| d.map(|d| d + chrono::Duration::days(days));
    // Target-side resignation dates for the "moved" and "cleared" cases.
    let target_resignation = |i: usize| (i % 4 == 1 || i % 4 == 2).then(|| day("2099-06-30"));
    let source_resignation = |i: usize| match i % 4 {
        0 => Some(day("2099-12-31")),
        1 => None,
        2 => Some(day("2099-01-31")),
        _ => Some(day("2026-04-15")),
    };
    let email = |i: usize, code: &Option<String>| {
        i.is_multiple_of(2)
            .then(|| format!("moved.{}@example.jp", code.as_deref().unwrap_or_default()))
    };
    if source_is_smarthr {
        for (i, c) in company.crews.iter_mut().enumerate() {
            c.last_name = c.last_name.as_ref().map(|n| format!("新{n}"));
            c.first_name = c.first_name.as_ref().map(|n| format!("{n}子"));
            c.last_name_yomi = c.last_name_yomi.as_ref().map(|n| format!("シン{n}"));
            c.first_name_yomi = c.first_name_yomi.as_ref().map(|n| format!("{n}コ"));
            c.gender = flip(&c.gender);
            c.birth_at = moved(c.birth_at, 1);
            c.entered_at = moved(c.entered_at, -1);
            c.email = email(i, &c.emp_code);
            c.resigned_at = source_resignation(i);
        }
        for (i, k) in company.kot_employees.iter_mut().enumerate() {
            k.resignation_date = target_resignation(i);
        }
    } else {
        for (i, k) in company.kot_employees.iter_mut().enumerate() {
            k.last_name = k.last_name.as_ref().map(|n| format!("新{n}"));
            k.first_name = k.first_name.as_ref().map(|n| format!("{n}子"));
            k.last_name_phonetics = k.last_name_phonetics.as_ref().map(|n| format!("シン{n}"));
            k.first_name_phonetics = k.first_name_phonetics.as_ref().map(|n| format!("{n}コ"));
            k.gender = flip(&k.gender);
            k.birth_date = moved(k.birth_date, 1);
            k.hired_date = moved(k.hired_date, -1);
            let synced = email(i, &k.code);
            match (synced, k.email_addresses.first_mut()) {
                (Some(e), Some(first)) => *first = e,
                (Some(e), None) => k.email_addresses.push(e),
                (None, _) => k.email_addresses.clear(),
            }
            k.resignation_date = source_resignation(i);
        }
        for (i, c) in company.crews.iter_mut().enumerate() {
            c.resigned_at = target_resignation(i);
        }
    }
    company
}

/// Item 4: an apply of every kind of change to every record of the sample company leaves each
/// target record exactly as it was except where the plan said it would change it, compared
/// property by property: departments, custom fields, addresses, employee groups, contracted
/// minutes and KOT's spare email addresses survive, in both directions and through KOT's
/// full-body PUT fallback.
#[test]
fn writes_touch_only_what_the_plan_showed() {
    for (direction, full_put) in [
        ("smarthr-to-kot", false),
        ("smarthr-to-kot", true),
        ("kot-to-smarthr", false),
    ] {
        let to_kot = direction == "smarthr-to-kot";
        let env = Env::with(SimConfig {
            company: changed_everywhere(to_kot),
            kot_clock: Some(noon(SAMPLE_AS_OF)),
            rate_limits: false,
            limits: Default::default(),
        });
        env.sims.kot.faults().require_full_put_body(full_put);
        let records = || -> BTreeMap<String, Value> {
            let (list, id) = if to_kot {
                (env.sims.kot.employees(), "key")
            } else {
                (env.sims.smarthr.crews(), "id")
            };
            list.into_iter()
                .map(|r| (r[id].as_str().unwrap().to_string(), r))
                .collect()
        };
        let before = records();
        let defaults: &[&str] = if to_kot {
            &TO_KOT_DEFAULTS
        } else {
            &["--office", "本社"]
        };
        let plan = env.plan(direction, defaults);
        let mut args = vec!["apply", "--direction", direction, "--as-of", AS_OF];
        args.extend_from_slice(defaults);
        args.extend(["--select", "all", "--yes", "--format", "json"]);
        let report = env.cmd(&args).run().expect(0).json();
        let updated: BTreeSet<&str> = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "update")
            .inspect(|r| assert_eq!(r["outcome"], "updated", "{direction}: {r:#}"))
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert!(
            updated.len() >= 80,
            "{direction}: every matched record changes: {updated:?}"
        );
        let kinds: BTreeSet<&str> = plan["rows"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| r["changes"].as_array().unwrap())
            .map(|c| c["field"].as_str().unwrap())
            .collect();
        assert!(
            kinds.len() >= 9,
            "{direction}: every kind of change: {kinds:?}"
        );

        let after = records();
        let target = if to_kot { "kot" } else { "smarthr" };
        let code_key = if to_kot { "code" } else { "emp_code" };
        for (id, old) in &before {
            let new = &after[id];
            let code = old[code_key].as_str().unwrap_or_default();
            let changes: Vec<&Value> = if updated.contains(code) {
                row(&plan, code)["changes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .collect()
            } else {
                Vec::new()
            };
            let mut expected: BTreeMap<&str, Value> = BTreeMap::new();
            for c in &changes {
                let keys = owned(target, c["field"].as_str().unwrap());
                expected.insert(keys[0], c["new"].clone());
                for derived in &keys[1..] {
                    expected.insert(derived, new[derived].clone());
                }
            }
            if !changes.is_empty() && !to_kot {
                expected.insert("updated_at", new["updated_at"].clone());
            }
            let keys: BTreeSet<&String> = old
                .as_object()
                .unwrap()
                .keys()
                .chain(new.as_object().unwrap().keys())
                .collect();
            for key in keys {
                let (was, is) = (old.get(key.as_str()), new.get(key.as_str()));
                let why =
                    format!("{direction} (full PUT {full_put}) {code} {key}: {was:?} → {is:?}");
                match expected.get(key.as_str()) {
                    Some(want) if key == "emailAddresses" => {
                        let (synced, spares) = split_emails(is);
                        assert_eq!(json!(synced), *want, "{why}");
                        assert_eq!(spares, split_emails(was).1, "the spare stays: {why}");
                    }
                    Some(want) => {
                        assert_eq!(is.cloned().unwrap_or(Value::Null), *want, "{why}")
                    }
                    None => assert_eq!(was, is, "not the sync's to change: {why}"),
                }
            }
        }
        assert!(
            before
                .values()
                .any(|r| r["emailAddresses"].as_array().is_some_and(|l| l.len() > 1))
                || !to_kot,
            "the sample has spare addresses to keep"
        );
    }
}
