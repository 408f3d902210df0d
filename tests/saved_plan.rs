//! Issue 16, section 1: a plan is a durable value. `plan --out` saves it, `apply --plan`
//! writes exactly it (rows whose target changed since are stale and untouched), a plan for
//! another tenant, of another format or too old is refused, and `plan --detailed-exitcode`
//! tells a nightly job whether changes are pending. Through the real binary against the
//! simulators.

mod util;

use crewsync::model::Field;
use crewsync::sim;
use serde_json::{Value, json};
use util::{Env, apply_to_smarthr, codes, crew, kot, plan_args, row};

const PLAN_FILE: &str = "plan.json";

/// `plan --direction kot-to-smarthr --as-of AS_OF --office 本社 --out plan.json`, then `extra`.
fn plan_out<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = plan_args("kot-to-smarthr", &["--office", "本社", "--out", PLAN_FILE]);
    args.extend_from_slice(extra);
    args
}

/// `apply --plan plan.json --select all --yes --format json`.
const APPLY_PLAN: [&str; 8] = [
    "apply", "--plan", PLAN_FILE, "--select", "all", "--yes", "--format", "json",
];

/// SmartHR has 0001 and 0004 with other emails than KOT (changed); KOT has 0002, whom SmartHR
/// lacks (new).
fn two_changed_one_new() -> Env {
    let env = Env::empty();
    for code in ["0001", "0004"] {
        env.crew(crew(
            code,
            "山田",
            "太郎",
            json!({"email": "old@example.com"}),
        ));
        env.kot_employee(kot(code, "山田", "太郎", json!({})));
    }
    env.kot_employee(kot("0002", "佐藤", "花子", json!({})));
    env
}

fn saved(env: &Env) -> Value {
    let text = std::fs::read_to_string(env.dir.path().join(PLAN_FILE)).expect("plan saved");
    serde_json::from_str(&text).expect("plan is JSON")
}

fn rewrite(env: &Env, edit: impl FnOnce(&mut Value)) {
    let mut plan = saved(env);
    edit(&mut plan);
    std::fs::write(env.dir.path().join(PLAN_FILE), plan.to_string()).expect("rewrite plan");
}

#[test]
fn apply_plan_writes_exactly_the_saved_plan() {
    let env = two_changed_one_new();
    let out = env.cmd(&plan_out(&["--format", "json"])).run().expect(0);
    let file = saved(&env);
    // One serde shape: what --format json prints is what --out saves.
    assert_eq!(out.json(), file);
    assert_eq!(file["format_version"], 2);
    assert!(file["checksum"].is_string(), "{file:#}");
    // The command that applies it, pasted as printed, finds the same configuration.
    assert!(
        out.stderr.contains(&format!(
            "this writes exactly it:\n  crewsync --config {} apply --plan plan.json",
            env.config_path().display()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(file["tenant"]["smarthr"], env.sims.smarthr.base_url());
    assert_eq!(file["tenant"]["kot"], env.sims.kot.base_url());
    assert_eq!(file["defaults"]["office"]["name"], "本社");
    assert_eq!(
        row(&file, "0001")["write"]["fields"]["email"],
        "0001@example.com"
    );
    assert_eq!(row(&file, "0002")["write"]["action"], "create");
    assert_eq!(
        row(&file, "0001")["target"]["values"]["email"],
        "old@example.com"
    );
    let text = std::fs::read_to_string(env.dir.path().join(PLAN_FILE)).unwrap();
    for token in [sim::SMARTHR_TOKEN, sim::KOT_TOKEN] {
        assert!(!text.contains(token), "the saved plan holds a token");
    }

    // The source changes after the plan: a new KOT employee and another email for 0004.
    // Applying the saved plan writes what it says, not a fresh plan.
    env.kot_employee(kot("0003", "鈴木", "一郎", json!({})));
    let applied = env.cmd(&APPLY_PLAN).run().expect(0).json();
    assert_eq!(codes(&applied["results"]), ["0001", "0002", "0004"]);
    assert_eq!(env.crews_with_code("0001")[0]["email"], "0001@example.com");
    assert_eq!(env.crews_with_code("0002").len(), 1);
    assert!(
        env.crews_with_code("0003").is_empty(),
        "0003 was not planned"
    );

    // Applied twice, the plan's rows are now stale: nothing is written twice.
    let again = env.cmd(&APPLY_PLAN).run().expect(2).json();
    assert_eq!(again["summary"]["not_attempted"], 3);
    assert_eq!(env.crews_with_code("0002").len(), 1);
}

#[test]
fn a_target_changed_since_the_plan_is_stale_and_untouched() {
    let env = two_changed_one_new();
    env.cmd(&plan_out(&[])).run().expect(0);
    let plan_id = saved(&env)["plan_id"].as_str().unwrap().to_string();
    env.edit_crew("0001", Field::LastName, "変更");
    // Somebody creates 0002 in SmartHR meanwhile.
    env.crew(crew("0002", "佐藤", "花子", json!({})));

    let out = env.cmd(&APPLY_PLAN).run().expect(2);
    let report = out.json();
    let result = |code: &str| -> Value {
        report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == code)
            .cloned()
            .unwrap()
    };
    assert_eq!(result("0004")["outcome"], "updated");
    for (code, why) in [("0001", "last_name changed"), ("0002", "code 0002")] {
        let r = result(code);
        assert_eq!(r["outcome"], "not_attempted", "{code}");
        let error = r["error"].as_str().unwrap();
        assert!(
            error.starts_with("stale: ") && error.contains(why),
            "{error}"
        );
    }
    assert!(out.stderr.contains("stale"), "{}", out.stderr);
    let edited = &env.crews_with_code("0001")[0];
    assert_eq!(edited["last_name"], "変更", "the edit stays");
    assert_eq!(
        edited["email"], "old@example.com",
        "the stale row is not written"
    );
    assert_eq!(env.crews_with_code("0002").len(), 1, "not created twice");
    assert_eq!(env.crews_with_code("0004")[0]["email"], "0004@example.com");

    // The history says which plan was applied, and why each stale row was not written.
    let run = report["run_id"].as_str().unwrap();
    let shown = env.cmd(&["history", "show", run]).run().expect(0).stdout;
    assert!(
        shown.contains(&plan_id) && shown.contains(PLAN_FILE),
        "{shown}"
    );
    assert!(shown.contains("stale: "), "{shown}");
}

#[test]
fn a_plan_of_another_tenant_version_or_age_is_refused() {
    let env = two_changed_one_new();
    env.cmd(&plan_out(&[])).run().expect(0);
    let before = sim_state(&env);

    // Another SmartHR tenant in the configuration.
    let planned = env.sims.smarthr.base_url();
    let other = planned.replace("/api", "/other/api");
    let config = std::fs::read_to_string(env.config_path()).unwrap();
    std::fs::write(env.config_path(), config.replace(&planned, &other)).unwrap();
    let out = env.cmd(&APPLY_PLAN).run().expect(1);
    assert!(
        out.stderr.contains(&planned) && out.stderr.contains(&other),
        "{}",
        out.stderr
    );
    env.write_config("");

    rewrite(&env, |p| p["format_version"] = json!(99));
    let out = env.cmd(&APPLY_PLAN).run().expect(1);
    assert!(
        out.stderr.contains("format version 99") && out.stderr.contains("--out"),
        "{}",
        out.stderr
    );
    // Refused before its rows are read, and recorded as any refused apply is.
    assert!(
        out.stderr.contains("Recorded as refused run"),
        "{}",
        out.stderr
    );

    // A plan saved by the previous crewsync (format 1, whose checksum covered only the rows):
    // refused, with how to make it again, the --config included.
    rewrite(&env, |p| {
        p["format_version"] = json!(1);
        let sum = p.as_object_mut().unwrap().remove("checksum").unwrap();
        p["rows_checksum"] = sum;
    });
    let out = env.cmd(&APPLY_PLAN).run().expect(1);
    assert!(
        out.stderr.contains("format version 1")
            && out.stderr.contains(&format!(
                "make the plan again with this crewsync: run the same `crewsync plan` command as before, adding --config {} --out plan.json",
                env.config_path().display()
            )),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("..."), "{}", out.stderr);

    // Too old, made honestly: a plan of now is older than a limit of 0 hours. Only this
    // refusal suggests raising the limit.
    env.cmd(&plan_out(&[])).run().expect(0);
    env.write_config("plan_max_age_hours: 0\n");
    let out = env.cmd(&APPLY_PLAN).run().expect(1);
    assert!(
        out.stderr.contains("older than plan_max_age_hours allows (0.0 hours)")
            && out.stderr.contains("raise plan_max_age_hours")
            && out.stderr.contains(&format!(
                "make a fresh plan: run the same `crewsync plan` command as before, adding --config {} --out plan.json",
                env.config_path().display()
            )),
        "{}",
        out.stderr
    );
    // The age is configurable.
    env.write_config("plan_max_age_hours: 48\n");
    assert_eq!(sim_state(&env), before, "nothing written by a refused plan");
    env.cmd(&APPLY_PLAN).run().expect(0);
    assert_ne!(sim_state(&env), before);
}

/// A change made to a saved plan's JSON.
type Edit = fn(&mut Value);

/// A saved plan whose write was edited after it was made (by hand, or by a script gone wrong)
/// is refused, naming the employee and the field: apply writes only what the plan showed.
#[test]
fn an_edited_plan_is_refused_and_nothing_is_written() {
    let env = two_changed_one_new();
    env.cmd(&plan_out(&[])).run().expect(0);
    let before = sim_state(&env);
    let edited = "plan.json was edited after it was made";
    let edits: [(&str, Edit); 11] = [
        ("employee 0001: the email", |p| {
            let rows = p["rows"].as_array_mut().unwrap();
            let r = rows.iter_mut().find(|r| r["code"] == "0001").unwrap();
            r["write"]["fields"]["email"] = json!("hacked@evil.example");
        }),
        ("employee 0002: the name", |p| {
            let rows = p["rows"].as_array_mut().unwrap();
            let r = rows.iter_mut().find(|r| r["code"] == "0002").unwrap();
            r["write"]["record"]["last_name"] = json!("偽物");
        }),
        // What the rows do not show, the rows' checksum does: a new employee's email.
        ("plan.json was edited after it was made", |p| {
            let rows = p["rows"].as_array_mut().unwrap();
            let r = rows.iter_mut().find(|r| r["code"] == "0002").unwrap();
            r["write"]["record"]["email"] = json!("attacker@evil.example");
        }),
        // An edit that keeps the change and its write in step is still an edit.
        ("plan.json was edited after it was made", |p| {
            let rows = p["rows"].as_array_mut().unwrap();
            let r = rows.iter_mut().find(|r| r["code"] == "0001").unwrap();
            r["changes"][0]["new"] = json!("evil@example.com");
            r["write"]["fields"]["email"] = json!("evil@example.com");
        }),
        // Everything else in the file decides what is written or checked too: the direction
        // (an edited one ran the plan against the other service), the date, when it was made
        // (the age check), the tenant, the defaults, the rules.
        (edited, |p| p["direction"] = json!("smarthr-to-kot")),
        (edited, |p| p["as_of"] = json!("2020-01-01")),
        (edited, |p| {
            p["made_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339())
        }),
        (edited, |p| {
            p["tenant"]["kot"] = json!("http://127.0.0.1:1/v1.0")
        }),
        (edited, |p| {
            p["defaults"]["office"]["name"] = json!("大阪支社")
        }),
        (edited, |p| p["rules"] = json!("rules (fingerprint 0)")),
        (edited, |p| {
            p.as_object_mut().unwrap().remove("checksum");
        }),
    ];
    for (names, edit) in edits {
        env.cmd(&plan_out(&[])).run().expect(0);
        rewrite(&env, edit);
        let out = env.cmd(&APPLY_PLAN).run().expect(1);
        assert!(
            out.stderr.contains(names) && out.stderr.contains("edited after it was made"),
            "{}",
            out.stderr
        );
        // Its own remedy: the age limit has nothing to do with an edit.
        if names == edited {
            assert!(
                out.stderr
                    .contains("hint: do not edit a saved plan: make it again")
                    && !out.stderr.contains("plan_max_age_hours"),
                "{}",
                out.stderr
            );
        }
    }
    // A value of the wrong shape is said in the file's terms, at its place, not as a Rust type.
    env.cmd(&plan_out(&[])).run().expect(0);
    rewrite(&env, |p| p["defaults"]["office"] = json!("x"));
    let out = env.cmd(&APPLY_PLAN).run().expect(1);
    assert!(
        out.stderr
            .contains("expected an object with an id and a name")
            && out.stderr.contains("line 1")
            && !out.stderr.contains("MasterItem"),
        "{}",
        out.stderr
    );
    assert_eq!(
        sim_state(&env),
        before,
        "nothing written from an edited plan"
    );
}

/// A plan file cut short is refused and recorded under the direction its text names; an empty
/// one names none, and says why it is not recorded. Nothing is written either way.
#[test]
fn a_truncated_plan_is_refused_and_recorded() {
    let env = two_changed_one_new();
    env.cmd(&plan_out(&[])).run().expect(0);
    let before = sim_state(&env);
    let path = env.dir.path().join(PLAN_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, &text[..text.find("\"rows\"").unwrap() + 10]).unwrap();
    let out = env.cmd(&APPLY_PLAN).run().expect(1);
    assert!(
        out.stderr.contains("Recorded as refused run"),
        "{}",
        out.stderr
    );
    let runs = env
        .cmd(&["history", "--format", "json"])
        .run()
        .expect(0)
        .json();
    assert_eq!(runs[0]["status"], "refused", "{runs:#}");
    assert_eq!(runs[0]["direction"], "kot-to-smarthr", "{runs:#}");

    std::fs::write(&path, "").unwrap();
    let out = env.cmd(&APPLY_PLAN).run().expect(1);
    assert!(
        out.stderr.contains("not recorded in the history")
            && out.stderr.contains("names no direction"),
        "{}",
        out.stderr
    );
    assert_eq!(sim_state(&env), before, "nothing written by a refused plan");
}

fn sim_state(env: &Env) -> Vec<Value> {
    env.sims.smarthr.crews()
}

#[test]
fn detailed_exitcode_tells_pending_changes_apart() {
    let env = two_changed_one_new();
    let detailed = |extra: &[&str]| {
        let mut args = plan_args("kot-to-smarthr", &["--detailed-exitcode"]);
        args.extend_from_slice(extra);
        env.cmd(&args).run()
    };
    detailed(&["--office", "本社"]).expect(2);
    // Only what is shown (and saved) is pending: a plan of the invalid rows holds nothing to
    // write, even though new and changed employees exist.
    let hidden = detailed(&[
        "--office", "本社", "--status", "invalid", "--out", "inv.json",
    ]);
    hidden.expect(0);
    let inv: Value =
        serde_json::from_str(&std::fs::read_to_string(env.dir.path().join("inv.json")).unwrap())
            .unwrap();
    assert_eq!(inv["rows"], json!([]), "{inv:#}");
    detailed(&["--office", "本社", "--status", "new"]).expect(2);
    // Without the flag, pending changes are still a success.
    env.cmd(&plan_args("kot-to-smarthr", &["--office", "本社"]))
        .run()
        .expect(0);
    detailed(&["--office", "存在しない支店"]).expect(1);
    env.cmd(&apply_to_smarthr(&["--select", "all", "--yes"]))
        .run()
        .expect(0);
    detailed(&["--office", "本社"]).expect(0);
}
