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
        target_record: None,
        target_values: None,
    }
}

/// `plan` as `plan --format json` prints it, made at a fixed time against a fixed tenant.
fn saved(plan: Plan) -> crate::plan::saved::SavedPlan {
    crate::plan::saved::SavedPlan {
        format_version: crate::plan::saved::FORMAT_VERSION,
        plan_id: "20260401-090000-abcd".into(),
        made_at: "2026-04-01T00:00:00Z".parse().unwrap(),
        tenant: crate::plan::saved::Tenant {
            smarthr: "https://acme.smarthr.jp/api".into(),
            kot: "https://api.kingtime.jp/v1.0".into(),
        },
        defaults: crate::plan::Defaults::default(),
        rules: None,
        plan,
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
        changes: vec![
            change(Field::BirthDate, Some("1990-01-01"), Some("1990-01-02")),
            change(Field::FirstNameKana, Some("ハジメ"), None),
        ],
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
        rule_warnings: Vec::new(),
        unreadable: vec![crate::plan::Unreadable {
            field: Field::FirstNameKana,
            in_scope: 2,
            empty_in_source: 2,
            clears: 1,
            hint: "KING OF TIME reads first_name_kana as empty for 2 of 2 employees: probably unreadable".into(),
        }],
        words: crate::error::Wording::OWN,
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
    let json = plan_json(&saved(sample())).unwrap();
    insta::assert_snapshot!(serde_json::to_string_pretty(&json).unwrap());
}

#[test]
fn plan_json_has_exactly_the_promised_keys() {
    let json = plan_json(&saved(sample())).unwrap();
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        [
            "as_of",
            "checksum",
            "defaults",
            "direction",
            "excluded",
            "format_version",
            "made_at",
            "plan_id",
            "rows",
            "rule_errors",
            "rule_warnings",
            "rules",
            "summary",
            "tenant",
            "unreadable"
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
        ["changed", "clears", "invalid", "new", "unchanged"]
    );
    // A row with an office also names its id, which a saved plan's write needs.
    let with_office = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["office"] == "本社")
        .unwrap();
    assert_eq!(with_office["office_id"], "o1");
    assert_eq!(json["format_version"], crate::plan::saved::FORMAT_VERSION);
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
    let plan = sample().filtered(&crate::plan::View {
        statuses: vec![Status::Invalid],
    });
    let table = plan_table(&plan, &Style::plain(200));
    assert!(!table.contains("山田 太郎"));
    assert!(
        table.contains("2 new, 2 changed, 1 unchanged, 3 invalid, 1 field cleared, 1 excluded"),
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
        why: None,
        failure: None,
        fields: match action {
            Action::Create => Field::SYNCED.to_vec(),
            Action::Update => vec![Field::LastName, Field::Email],
        },
        not_cleared: Vec::new(),
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
                why: None,
            },
            LeftOut {
                kind: LeftKind::NotSelected,
                code: Some("0010".into()),
                name: "伊藤 健".into(),
                reason: "changed; not selected by rules/select.rhai:select (--select auto)".into(),
                why: None,
            },
            LeftOut {
                kind: LeftKind::Excluded,
                code: None,
                name: "派遣 三郎".into(),
                reason: "contractor (rules/scope.rhai:exclude)".into(),
                why: None,
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
        stopped_why: None,
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

/// crewsync's own multi-line reason keeps its line breaks; record text in it is still escaped.
#[test]
fn a_stopped_reason_keeps_its_hint_line() {
    let mut report = sample_report();
    report.stopped = Some("needs confirmation for 佐藤\u{1b}\n  hint: add --yes".into());
    let table = apply_table(&report, &Style::plain(100));
    assert!(
        table.contains("stopped: needs confirmation for 佐藤\\u{1b}\n  hint: add --yes\n"),
        "{table}"
    );
}

/// A row's reason with a hint line (a stale row of a saved plan) reads as one item list in its
/// cell: the break is neither escaped nor lost.
#[test]
fn a_row_reason_with_a_hint_line_reads_as_two_items() {
    let mut report = sample_report();
    report.results[0].outcome = Outcome::NotAttempted;
    report.results[0].error =
        Some("stale: email changed since the plan; not written\n  hint: make a new plan".into());
    let table = apply_table(&report, &Style::plain(200));
    assert!(
        table.contains("not written; hint: make a new plan"),
        "{table}"
    );
    assert!(!table.contains("\\u{a}"), "{table}");
}

/// Erases the line, returns the cursor, turns text red and reverses it: what a hostile or
/// broken record can hold.
const HOSTILE: &str = "x\u{1b}[2K\r\u{1b}[31m\u{202e}\u{85}\u{7f}";

/// Whether `text` holds a character of [`HOSTILE`] raw. (Colour mode's own SGR codes are
/// `ESC [..m`, never `ESC [2K`.)
fn holds_hostile(text: &str) -> bool {
    text.contains("\u{1b}[2K")
        || text.contains("\u{1b}[31m\u{202e}")
        || ['\r', '\u{202e}', '\u{85}', '\u{7f}']
            .iter()
            .any(|&c| text.contains(c))
}

fn hostile_plan() -> Plan {
    let mut plan = sample();
    let evil = |s: &str| format!("{s}{HOSTILE}");
    plan.rows[1].name = evil("山田");
    plan.rows[1].code = Some(evil("0001"));
    plan.rows[1].office = assigned("o1", &evil("本社"), "--office");
    plan.rows[3].changes[0] = change(Field::LastName, Some(&evil("佐藤")), Some(&evil("鈴木")));
    plan.rows.push(Row {
        problems: vec![(evil("gender '") + "' is not accepted").into()],
        ..row("0009", Status::Invalid, "不正 値")
    });
    plan.excluded[0].reason = evil("退職予定");
    plan.excluded[0].name = evil("除外");
    plan.rule_errors.push(RuleError {
        error: evil("rules/a.rhai:1:1: bad"),
        employees: 1,
    });
    plan
}

#[test]
fn record_text_is_escaped_in_every_part_of_the_tables_and_exact_in_json() {
    let plan = hostile_plan();
    for style in [
        Style::plain(200),
        Style {
            colour: true,
            width: 200,
        },
    ] {
        let table = plan_table(&plan, &style);
        assert!(!holds_hostile(&table), "{table:?}");
        for shown in [
            "山田x\\u{1b}[2K\\u{d}",
            "本社x\\u{1b}",
            "佐藤x\\u{1b}",
            "鈴木x\\u{1b}",
        ] {
            assert!(table.contains(shown), "{shown}: {table:?}");
        }
        // Colour mode paints each word of running text apart.
        for shown in [
            "'x\\u{1b}",
            "退職予定x\\u{1b}",
            "除外x\\u{1b}",
            "badx\\u{1b}",
        ] {
            assert!(table.contains(shown), "{shown}: {table:?}");
        }
    }
    let json = serde_json::to_string(&plan_json(&saved(plan.clone())).unwrap()).unwrap();
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(back["rows"][1]["name"], format!("山田{HOSTILE}"));
    assert_eq!(back["rows"][1]["code"], format!("0001{HOSTILE}"));

    let label = pick_label(&plan.rows[1]);
    assert!(!holds_hostile(&label), "{label:?}");
    assert!(label.starts_with("new      0001x\\u{1b}[2K"), "{label}");

    let mut report = sample_report();
    report.results[2].name = format!("高橋{HOSTILE}");
    report.results[2].code = format!("0004{HOSTILE}");
    report.results[2].error = Some(format!("422: lastName '{HOSTILE}' is too long"));
    let table = apply_table(&report, &Style::plain(200));
    assert!(!holds_hostile(&table), "{table:?}");
    assert!(table.contains("lastName 'x\\u{1b}[2K"), "{table}");
    let json = apply_json(&report);
    assert_eq!(json["results"][2]["code"], format!("0004{HOSTILE}"));
}

#[test]
fn a_change_whose_sides_read_the_same_escapes_what_differs() {
    let mut plan = sample();
    plan.rows[3].changes = vec![
        change(Field::FirstName, Some("花 子"), Some("花\u{3000}子")),
        change(Field::LastNameKana, Some("ヤマダ"), Some("ﾔﾏﾀﾞ")),
        change(
            Field::Email,
            Some("a@example.com"),
            Some("a@example.com\u{200b}"),
        ),
        change(Field::LastName, Some("佐藤"), Some("鈴木\u{3000}x")),
    ];
    let table = plan_table(&plan, &Style::plain(200));
    assert!(
        table.contains("first_name: 花 子 → 花\\u{3000}子"),
        "{table}"
    );
    assert!(
        table.contains("last_name_kana: ヤマダ → \\u{ff94}\\u{ff8f}\\u{ff80}\\u{ff9e}"),
        "{table}"
    );
    assert!(
        table.contains("email: a@example.com → a@example.com\\u{200b}"),
        "{table}"
    );
    // Different names are shown as they are.
    assert!(table.contains("last_name: 佐藤 → 鈴木\u{3000}x"), "{table}");
}
