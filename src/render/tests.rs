use super::*;
use crate::apply::{Action, ApplyReport, ApplyResult, ApplySummary, LeftKind, LeftOut, Outcome};
use crate::model::{Direction, Field, MasterItem};
use crate::plan::{Assigned, Change, Excluded, Plan, Row, RuleError, Status, Summary};

fn assigned(id: &str, name: &str, from: &str) -> Option<Assigned> {
    Some(Assigned {
        item: MasterItem {
            id: id.into(),
            name: name.into(),
        },
        from: from.into(),
    })
}

fn row(code: &str, status: Status, name: &str) -> Row {
    Row {
        code: Some(code.into()),
        status,
        name: name.into(),
        changes: Vec::new(),
        office: assigned("o1", "本社", "current"),
        employment_type: None,
        selected: status.is_actionable(),
        selected_by: status.is_actionable().then(|| "default".to_string()),
        problems: Vec::new(),
        source: None,
        target_id: None,
    }
}

fn change(field: Field, old: Option<&str>, new: Option<&str>) -> Change {
    Change {
        field,
        old: old.map(str::to_string),
        new: new.map(str::to_string),
    }
}

/// A small plan with every status, Japanese names, a rule's decisions and an excluded employee.
fn sample() -> Plan {
    let new_default = Row {
        office: assigned("o1", "本社", "--office"),
        ..row("0001", Status::New, "山田 太郎")
    };
    let new_by_rule = Row {
        office: assigned("o2", "大阪支店", "rules/office.rhai:office"),
        ..row("0002", Status::New, "Smith John")
    };
    let changed = Row {
        changes: vec![
            change(Field::LastName, Some("佐藤"), Some("鈴木")),
            change(
                Field::Email,
                Some("hanako@example.com"),
                Some("h.suzuki@example.com"),
            ),
            change(Field::ResignationDate, None, Some("2024-05-31")),
            change(Field::Office, Some("本社"), Some("大阪支店")),
        ],
        office: assigned("o2", "大阪支店", "rules/office.rhai:office"),
        target_id: Some("crew-3".into()),
        ..row("0003", Status::Changed, "鈴木 花子")
    };
    let not_selected = Row {
        changes: vec![change(
            Field::BirthDate,
            Some("1990-01-01"),
            Some("1990-01-02"),
        )],
        selected: false,
        selected_by: Some("rules/select.rhai:select".into()),
        ..row("0004", Status::Changed, "高橋 一")
    };
    let unchanged = row("0005", Status::Unchanged, "伊藤 さくら");
    let invalid = Row {
        office: None,
        problems: vec![
            "no office (biz_establishment) for a new employee: pass --office or decide it in a rule"
                .into(),
            "missing last_name_kana which SmartHR requires to create an employee: fill it in KING OF TIME"
                .into(),
        ],
        ..row("0006", Status::Invalid, "渡辺 健")
    };
    let rule_failed = Row {
        office: None,
        problems: vec![RULE_ERROR.into()],
        ..row("0007", Status::Invalid, "山本 健")
    };
    let no_code = Row {
        code: None,
        office: None,
        problems: vec!["no employee code: give the employee a code in KING OF TIME".into()],
        ..row("", Status::Invalid, "中村 翔")
    };
    let rows = vec![
        no_code,
        new_default,
        new_by_rule,
        changed,
        not_selected,
        unchanged,
        invalid,
        rule_failed,
    ];
    Plan {
        direction: Direction::KotToSmartHr,
        as_of: "2024-04-01".parse().unwrap(),
        summary: crate::plan::Summary::of(&rows),
        rows,
        excluded: vec![Excluded {
            code: Some("0099".into()),
            name: "小林 役員".into(),
            reason: "役員は連携しない".into(),
            from: "rules/scope.rhai:exclude".into(),
        }],
        rule_errors: vec![RuleError {
            error: RULE_ERROR.into(),
            employees: 1,
        }],
    }
}

const RULE_ERROR: &str = "rules/office.rhai:4:9: fn office: Division by zero: 1 / 0";

#[test]
fn plan_table_snapshot() {
    insta::assert_snapshot!(plan_table(&sample(), &Style::plain(110)));
}

#[test]
fn plan_table_wraps_long_details_onto_indented_lines() {
    insta::assert_snapshot!(plan_table(&sample(), &Style::plain(72)));
}

#[test]
fn plan_json_snapshot() {
    let json = plan_json(&sample());
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn plan_json_has_exactly_the_promised_keys() {
    let json = plan_json(&sample());
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        [
            "as_of",
            "direction",
            "excluded",
            "rows",
            "rule_errors",
            "summary"
        ]
    );
    assert_eq!(
        keys(&json["rows"][0]),
        [
            "changes",
            "code",
            "employment_type",
            "employment_type_from",
            "name",
            "office",
            "office_from",
            "problems",
            "selected",
            "selected_by",
            "status"
        ]
    );
    assert_eq!(
        keys(&json["summary"]),
        ["changed", "invalid", "new", "unchanged"]
    );
    assert_eq!(json["summary"]["invalid"], 3);
    assert!(json["rows"][0]["code"].is_null());
    assert_eq!(keys(&json["rule_errors"][0]), ["employees", "error"]);
}

#[test]
fn colour_mode_strikes_old_values_in_red_and_shows_new_in_green() {
    let style = Style {
        colour: true,
        width: 200,
    };
    let table = plan_table(&sample(), &style);
    // SGR: 9 strike-through, 31 red, 32 green; console writes colour then attribute.
    assert!(
        table.contains("\u{1b}[31m\u{1b}[9m佐藤\u{1b}[0m"),
        "{table:?}"
    );
    assert!(table.contains("\u{1b}[32m鈴木\u{1b}[0m"), "{table:?}");
}

#[test]
fn no_colour_mode_emits_no_escape_codes() {
    let style = Style::plain(200);
    assert!(!plan_table(&sample(), &style).contains('\u{1b}'));
    assert!(!apply_table(&sample_report(), &style).contains('\u{1b}'));
}

#[test]
fn full_width_names_keep_the_columns_aligned() {
    let table = plan_table(&sample(), &Style::plain(200));
    // Every row's details start at the same terminal column, whatever the name's script.
    let column_of = |needle: &str| {
        let line = table.lines().find(|l| l.contains(needle)).unwrap();
        let at = line.find(needle).unwrap();
        layout::width(&line[..at])
    };
    let office_after_japanese = column_of("office: 本社");
    let office_after_latin = column_of("office: 大阪支店");
    let change_after_japanese = column_of("last_name: 佐藤");
    assert_eq!(office_after_japanese, office_after_latin);
    assert_eq!(office_after_japanese, change_after_japanese);
    assert_eq!(column_of("details"), office_after_japanese);
}

#[test]
fn truncate_counts_full_width_characters_as_two_columns() {
    assert_eq!(layout::truncate("山田太郎", 8), "山田太郎");
    assert_eq!(layout::truncate("山田太郎", 7), "山田太…");
    assert_eq!(layout::width(&layout::truncate("山田太郎花子", 6)), 5);
}

#[test]
fn a_filtered_plan_keeps_the_whole_summary_line() {
    let plan = sample().filtered(&[Status::Invalid]);
    let table = plan_table(&plan, &Style::plain(200));
    assert!(!table.contains("山田 太郎"));
    assert!(
        table.contains("2 new, 2 changed, 1 unchanged, 3 invalid, 1 excluded"),
        "{table}"
    );
    assert!(
        table.contains(&format!("  1 × {RULE_ERROR}")),
        "the rule errors describe the whole plan too: {table}"
    );
}

#[test]
fn an_empty_plan_says_so() {
    let mut plan = sample();
    plan.rows.clear();
    plan.excluded.clear();
    plan.rule_errors.clear();
    plan.summary = Summary::default();
    insta::assert_snapshot!(plan_table(&plan, &Style::plain(80)));
}

fn result(
    code: &str,
    name: &str,
    action: Action,
    outcome: Outcome,
    error: Option<&str>,
) -> ApplyResult {
    ApplyResult {
        code: code.into(),
        name: name.into(),
        action,
        outcome,
        error: error.map(str::to_string),
        fields: match action {
            Action::Create => Field::SYNCED.to_vec(),
            Action::Update => vec![Field::LastName, Field::Email],
        },
    }
}

fn sample_report() -> ApplyReport {
    ApplyReport {
        run_id: "20240401-0930-ab12".into(),
        results: vec![
            result("0001", "山田 太郎", Action::Create, Outcome::Ok, None),
            result("0003", "鈴木 花子", Action::Update, Outcome::Ok, None),
            result(
                "0004",
                "高橋 一",
                Action::Update,
                Outcome::Failed,
                Some("SmartHR refused the update (422): email has already been taken"),
            ),
            result(
                "0007",
                "Smith John",
                Action::Create,
                Outcome::NotAttempted,
                Some("stopped before it"),
            ),
        ],
        left_out: vec![
            LeftOut {
                kind: LeftKind::Invalid,
                code: Some("0009".into()),
                name: "新人 次郎".into(),
                reason: "no office: give --office or set one in a rule".into(),
            },
            LeftOut {
                kind: LeftKind::NotSelected,
                code: Some("0010".into()),
                name: "伊藤 健".into(),
                reason: "changed; not selected by rules/select.rhai:select (--select auto)".into(),
            },
            LeftOut {
                kind: LeftKind::Excluded,
                code: None,
                name: "派遣 三郎".into(),
                reason: "contractor (rules/scope.rhai:exclude)".into(),
            },
        ],
        summary: ApplySummary {
            created: 1,
            updated: 1,
            failed: 1,
            not_attempted: 1,
            invalid: 1,
            not_selected: 1,
            excluded: 1,
            unchanged: 12,
        },
        stopped: Some("KING OF TIME is closed to the API from 17:30 to 18:30 JST".into()),
    }
}

#[test]
fn apply_table_snapshot() {
    insta::assert_snapshot!(apply_table(&sample_report(), &Style::plain(100)));
}

#[test]
fn apply_json_snapshot() {
    let json = apply_json(&sample_report());
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn apply_json_leaves_stopped_out_when_the_run_finished() {
    let mut report = sample_report();
    report.stopped = None;
    assert!(apply_json(&report).get("stopped").is_none());
}
