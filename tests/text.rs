//! Record text as people read it, through the real binary (issue 13, items 1, 2 and 8): codes
//! that read the same never make a second record, canonically equal values are equal and
//! written in NFC, and record text cannot drive the terminal or the email.

mod util;

#[path = "support/smtp.rs"]
mod smtp;

use serde_json::{Value, json};
use util::{
    Env, TO_KOT_DEFAULTS, apply_all_to_kot, apply_to_kot, apply_to_smarthr, crew, kot, plan_args,
};

/// Each direction with the defaults its plans need.
const BOTH_DIRECTIONS: [(&str, &[&str]); 2] = [
    ("smarthr-to-kot", &TO_KOT_DEFAULTS),
    ("kot-to-smarthr", &["--office", "本社"]),
];

/// The rows whose code is `code`, exactly.
fn rows_with_code<'a>(plan: &'a Value, code: &str) -> Vec<&'a Value> {
    plan["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["code"] == code)
        .collect()
}

/// The only row with `code`.
fn only_row<'a>(plan: &'a Value, code: &str) -> &'a Value {
    let rows = rows_with_code(plan, code);
    assert_eq!(rows.len(), 1, "one row {code:?} in\n{plan:#}");
    rows[0]
}

fn problems(row: &Value) -> String {
    row["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| p.as_str().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The example: SmartHR `"00125 "` beside KOT `"00125"` was planned `new`, and apply
/// made a second KOT employee. Now the row is invalid, says exactly what is wrong and where
/// to fix it, and apply writes nothing.
#[test]
fn a_code_with_a_trailing_space_never_makes_a_second_record() {
    let env = Env::empty();
    env.crew(crew("00125 ", "山田", "太郎", json!({})));
    env.kot_employee(kot("00125", "山田", "太郎", json!({})));

    let plan = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    let row = only_row(&plan, "00125 ");
    assert_eq!(row["status"], "invalid", "{plan:#}");
    assert_eq!(
        problems(row),
        "社員番号 \"00125\\u{20}\" in SmartHR has a trailing space (U+0020); KING OF TIME has \
         \"00125\": fix the 社員番号 in SmartHR"
    );
    assert_eq!(plan["summary"]["new"], 0);

    let out = env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    assert!(out.stderr.contains("Nothing to apply"), "{}", out.all());
    assert_eq!(env.sims.kot.employees().len(), 1, "no second KOT employee");
}

/// Every kind of code a person reads as the same (surrounding white space, U+3000, NBSP,
/// full-width digits and letters, zero-width characters), on either side, in both
/// directions: matched, shown invalid with the character named, never created.
#[test]
fn codes_that_read_the_same_are_matched_and_never_created_in_either_direction() {
    // (SmartHR's code, KOT's code, what the problem names)
    let cases = [
        (
            "00201\u{3000}",
            "00201",
            "a trailing ideographic space (U+3000)",
        ),
        ("\u{a0}00202", "00202", "a leading no-break space (U+00A0)"),
        ("００２０３", "00203", "full-width \"０\" (U+FF10)"),
        (
            "002\u{200b}04",
            "00204",
            "an invisible zero-width space (U+200B)",
        ),
        ("Ａ205", "A205", "full-width \"Ａ\" (U+FF21)"),
        ("00206", " 00206", "a leading space (U+0020)"),
        ("00207", "００２０７", "full-width \"７\" (U+FF17)"),
        (
            "00208",
            "00208\u{feff}",
            "an invisible byte order mark (U+FEFF)",
        ),
    ];
    let env = Env::empty();
    for (smarthr, kot_code, _) in cases {
        env.crew(crew(smarthr, "同一", "人物", json!({})));
        env.kot_employee(kot(kot_code, "同一", "人物", json!({})));
    }
    // A source code that is not canonical and matches nobody is not `new` either.
    env.crew(crew("00299 ", "一人", "だけ", json!({})));

    for (direction, extra) in BOTH_DIRECTIONS {
        let plan = env.plan(direction, extra);
        for (smarthr, kot_code, named) in cases {
            let source = if direction == "smarthr-to-kot" {
                smarthr
            } else {
                kot_code
            };
            let row = only_row(&plan, source);
            assert_eq!(row["status"], "invalid", "{direction} {source:?}: {row:#}");
            let why = problems(row);
            assert!(why.contains(named), "{direction} {source:?}: {why}");
            assert!(why.contains("fix the 社員番号 in"), "{why}");
        }
        if direction == "smarthr-to-kot" {
            let lone = only_row(&plan, "00299 ");
            assert_eq!(lone["status"], "invalid");
            assert!(problems(lone).contains("a trailing space (U+0020)"));
        }
        assert_eq!(plan["summary"]["new"], 0, "{direction}: {plan:#}");
    }

    let before = (
        env.sims.smarthr.crews().len(),
        env.sims.kot.employees().len(),
    );
    env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    env.cmd(&apply_to_smarthr(&["--select", "all", "--yes"]))
        .run()
        .expect(0);
    let after = (
        env.sims.smarthr.crews().len(),
        env.sims.kot.employees().len(),
    );
    assert_eq!(before, after, "nothing created on either side");
}

/// Two source records whose codes read the same are a duplicated code, as two equal codes are.
#[test]
fn codes_that_read_the_same_count_as_a_duplicate() {
    let env = Env::empty();
    env.crew(crew("00300", "重複", "一", json!({})));
    env.crew(crew("００３００", "重複", "二", json!({})));
    let plan = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    for code in ["00300", "００３００"] {
        let row = only_row(&plan, code);
        assert_eq!(row["status"], "invalid");
        assert!(
            problems(row).contains("is used by 2 records in SmartHR"),
            "{row:#}"
        );
    }
}

/// The example: SmartHR's `ヤマタ` + U+3099 (as macOS input produces) against KOT's
/// `ヤマダ` was planned `changed`, `ヤマダ → ヤマダ`. They are the same text; both directions.
#[test]
fn a_decomposed_voicing_mark_equals_the_composed_kana() {
    let env = Env::empty();
    env.crew(crew(
        "0001",
        "山田",
        "太郎",
        json!({"last_name_yomi": "ヤマタ\u{3099}"}),
    ));
    env.kot_employee(kot(
        "0001",
        "山田",
        "太郎",
        json!({"lastNamePhonetics": "ヤマダ"}),
    ));
    // The other way round: KOT decomposed, SmartHR composed.
    env.crew(crew(
        "0002",
        "馬場",
        "花子",
        json!({"last_name_yomi": "ババ"}),
    ));
    env.kot_employee(kot(
        "0002",
        "馬場",
        "花子",
        json!({"lastNamePhonetics": "ハ\u{3099}ハ\u{3099}"}),
    ));
    for (direction, extra) in BOTH_DIRECTIONS {
        let plan = env.plan(direction, extra);
        for code in ["0001", "0002"] {
            assert_eq!(
                only_row(&plan, code)["status"],
                "unchanged",
                "{direction}: {plan:#}"
            );
        }
    }
}

/// What crewsync writes is NFC, on create and on update, to either service.
#[test]
fn creates_and_updates_write_nfc_to_both_services() {
    let env = Env::empty();
    // New in KOT, with a decomposed reading.
    env.crew(crew(
        "0010",
        "山田",
        "太郎",
        json!({"last_name_yomi": "ヤマタ\u{3099}"}),
    ));
    // Changed in KOT: the first name differs, the reading is decomposed.
    env.crew(crew(
        "0011",
        "馬場",
        "次郎",
        json!({"last_name_yomi": "ハ\u{3099}ハ\u{3099}"}),
    ));
    env.kot_employee(kot(
        "0011",
        "馬場",
        "二郎",
        json!({"lastNamePhonetics": "ババ"}),
    ));
    env.cmd(&apply_all_to_kot(&[])).run().expect(0);
    assert_eq!(env.kot_with_code("0010")[0]["lastNamePhonetics"], "ヤマダ");
    assert_eq!(env.kot_with_code("0011")[0]["firstName"], "次郎");
    assert_eq!(env.kot_with_code("0011")[0]["lastNamePhonetics"], "ババ");

    // New in SmartHR, and changed there, from decomposed KOT text.
    env.kot_employee(kot(
        "0020",
        "ハ\u{309a}ク",
        "カ\u{3099}ク",
        json!({"lastNamePhonetics": "ハ\u{309a}ク", "firstNamePhonetics": "カ\u{3099}ク"}),
    ));
    env.crew(crew("0011", "馬場", "次郎", json!({})));
    env.cmd(&apply_to_smarthr(&["--select", "0020", "--yes"]))
        .run()
        .expect(0);
    let created = &env.crews_with_code("0020")[0];
    assert_eq!(created["last_name"], "パク");
    assert_eq!(created["first_name"], "ガク");
    assert_eq!(created["last_name_yomi"], "パク");
    assert_eq!(created["first_name_yomi"], "ガク");
}

/// A change whose two sides would read the same shows what differs, escaped; an employee code
/// that is not canonical shows its odd character.
#[test]
fn look_alike_changes_and_odd_codes_are_shown_visibly() {
    let env = Env::empty();
    env.crew(crew(
        "0030",
        "山田",
        "花\u{3000}子",
        json!({"email": "hanako@example.com\u{200b}"}),
    ));
    env.kot_employee(kot(
        "0030",
        "山田",
        "花 子",
        json!({"emailAddresses": ["hanako@example.com"]}),
    ));
    env.crew(crew(
        "0031 ",
        "末尾",
        "空白",
        json!({"email": "0031@example.com"}),
    ));
    env.kot_employee(kot("0031", "末尾", "空白", json!({})));
    let plan = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    // JSON stays exact.
    assert_eq!(
        only_row(&plan, "0030")["changes"],
        json!([
            {"field": "first_name", "old": "花 子", "new": "花\u{3000}子"},
            {"field": "email", "old": "hanako@example.com", "new": "hanako@example.com\u{200b}"},
        ])
    );
    let out = env
        .cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS))
        .run()
        .expect(0);
    insta::assert_snapshot!("look_alike_plan_table", out.stdout);
}

const HOSTILE: &str = "山田\u{1b}[2K\r\u{1b}[31m\u{202e}";

/// The example: a name holding `ESC [2K`, a carriage return and colour codes reached
/// the terminal raw. Every person-facing output escapes them; JSON keeps them exactly.
#[test]
fn record_text_cannot_drive_the_terminal_or_the_email() {
    let env = Env::empty();
    env.crew(crew("0040", HOSTILE, "太郎", json!({})));
    env.crew(crew(
        "0041",
        "佐藤",
        "花子",
        json!({"first_name_yomi": HOSTILE}),
    ));
    env.kot_employee(kot("0041", "佐藤", "花子", json!({})));
    let server = env.block_on(smtp::SmtpServer::start(smtp::Auth::Off));
    env.write_config(&format!(
        "notify:\n  smtp_url: smtp://127.0.0.1:{}?tls=none\n  from: crewsync@example.com\n  to: [hr@example.com]\n",
        server.port
    ));
    let raw =
        |text: &str| text.contains('\u{1b}') || text.contains('\r') || text.contains('\u{202e}');
    let escaped = "山田\\u{1b}[2K\\u{d}\\u{1b}[31m\\u{202e}";

    let table = env
        .cmd(&plan_args("smarthr-to-kot", &TO_KOT_DEFAULTS))
        .run()
        .expect(0);
    assert!(!raw(&table.all()), "{:?}", table.stdout);
    assert!(table.stdout.contains(escaped), "{}", table.stdout);

    let plan = env.plan("smarthr-to-kot", &TO_KOT_DEFAULTS);
    assert_eq!(only_row(&plan, "0040")["name"], format!("{HOSTILE} 太郎"));
    assert_eq!(only_row(&plan, "0041")["changes"][0]["new"], HOSTILE);

    let apply = env
        .cmd(&apply_to_kot(&["--select", "all", "--yes"]))
        .run()
        .expect(0);
    assert!(!raw(&apply.all()), "{:?}", apply.stdout);
    // The name column is cut at 20 columns.
    assert!(apply.stdout.contains("山田\\u{1b}[2K"), "{}", apply.stdout);
    // Written exactly: the data is not crewsync's to change.
    assert_eq!(env.kot_with_code("0040")[0]["lastName"], HOSTILE);

    let runs = env
        .cmd(&["history", "--format", "json"])
        .run()
        .expect(0)
        .json();
    let id = runs[0]["id"].as_str().expect("run id").to_string();
    let shown = env.cmd(&["history", "show", &id]).run().expect(0);
    assert!(!raw(&shown.all()), "{:?}", shown.stdout);
    assert!(shown.stdout.contains(escaped), "{}", shown.stdout);

    let mails = server.messages();
    assert_eq!(mails.len(), 1, "{}", apply.stderr);
    let body = mails[0].body();
    assert!(!raw(&body), "{body:?}");
    assert!(body.contains(escaped), "{body}");
    assert!(!raw(&mails[0].header("Subject").unwrap_or_default()));
}

/// An error quoting a record's value (here a gender SmartHR does not take, asked for by code)
/// shows the value's control characters escaped.
#[test]
fn an_error_quoting_record_text_is_escaped() {
    let env = Env::empty();
    env.kot_employee(kot("0050", "性別", "不正", json!({"gender": "x\u{1b}[2K"})));
    let out = env
        .cmd(&apply_to_smarthr(&["--select", "0050", "--yes"]))
        .run()
        .expect(1);
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    assert!(
        out.stderr.contains("gender 'x\\u{1b}[2K'"),
        "{}",
        out.stderr
    );
}
