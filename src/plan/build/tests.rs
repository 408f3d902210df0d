use super::*;
use crate::error::{Worded, Wording};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn item(id: &str, name: &str) -> MasterItem {
    MasterItem {
        id: id.to_string(),
        name: name.to_string(),
    }
}

/// A complete employee that every target accepts.
fn emp(code: &str) -> Employee {
    Employee {
        code: Some(code.to_string()),
        last_name: Some("山田".into()),
        first_name: Some("太郎".into()),
        last_name_kana: Some("ヤマダ".into()),
        first_name_kana: Some("タロウ".into()),
        gender: Some("male".into()),
        birth_date: Some(d("1990-04-01")),
        email: Some("taro@example.com".into()),
        hire_date: Some(d("2020-04-01")),
        ..Employee::default()
    }
}

/// The same employee as the target holds it: with an id and an office.
fn existing(code: &str) -> Employee {
    Employee {
        target_id: Some(format!("id-{code}")),
        office: Some(item("o1", "本社")),
        employment_type: Some(item("t1", "正社員")),
        ..emp(code)
    }
}

fn masters() -> Masters {
    Masters {
        offices: vec![item("o1", "本社"), item("o2", "大阪支店")],
        employment_types: vec![item("t1", "正社員"), item("t2", "パート")],
    }
}

type DecideFn = dyn Fn(&mut Employee) -> Result<Decision, PolicyError> + Sync;
type SelectFn = dyn Fn(&SelectInput<'_>) -> Result<Option<Decided<bool>>, PolicyError> + Sync;

/// A policy made of two closures, standing in for the Rhai rules.
struct Rules {
    decide: Box<DecideFn>,
    select: Box<SelectFn>,
}

impl Rules {
    fn deciding(
        f: impl Fn(&mut Employee) -> Result<Decision, PolicyError> + Sync + 'static,
    ) -> Self {
        Rules {
            decide: Box::new(f),
            select: Box::new(|_| Ok(None)),
        }
    }
}

impl Policy for Rules {
    fn decide(&self, _: Direction, e: &mut Employee) -> Result<Decision, PolicyError> {
        (self.decide)(e)
    }
    fn select(
        &self,
        _: Direction,
        row: &SelectInput<'_>,
    ) -> Result<Option<Decided<bool>>, PolicyError> {
        (self.select)(row)
    }
}

fn decided<T>(value: T, from: &str) -> Decided<T> {
    Decided {
        value,
        from: from.to_string(),
        location: None,
    }
}

struct Setup {
    direction: Direction,
    defaults: Defaults,
    words: Wording,
}

impl Setup {
    /// KOT to SmartHR with a default office.
    fn to_smarthr() -> Self {
        Setup {
            direction: Direction::KotToSmartHr,
            defaults: Defaults {
                office: Some(item("o1", "本社")),
                employment_type: None,
            },
            words: Wording::OWN,
        }
    }

    /// SmartHR to KOT with a default division and type.
    fn to_kot() -> Self {
        Setup {
            direction: Direction::SmartHrToKot,
            defaults: Defaults {
                office: Some(item("o1", "本社")),
                employment_type: Some(item("t1", "正社員")),
            },
            words: Wording::OWN,
        }
    }

    fn no_defaults(mut self) -> Self {
        self.defaults = Defaults::default();
        self
    }

    fn run(&self, source: Vec<Employee>, target: Vec<Employee>) -> Plan {
        self.run_with(source, target, &NoRules)
    }

    fn run_with(&self, source: Vec<Employee>, target: Vec<Employee>, policy: &dyn Policy) -> Plan {
        build(Input {
            direction: self.direction,
            as_of: d("2024-04-01"),
            today: d("2024-06-01"),
            source,
            target,
            masters: &masters(),
            defaults: &self.defaults,
            policy,
            words: self.words,
        })
    }
}

fn only_row(plan: &Plan) -> &Row {
    assert_eq!(plan.rows.len(), 1, "{plan:#?}");
    &plan.rows[0]
}

fn problems(row: &Row) -> String {
    let said: Vec<String> = row.problems.iter().map(ToString::to_string).collect();
    said.join(" | ")
}

#[test]
fn new_employee_gets_the_default_office_and_is_selected_by_default() {
    let plan = Setup::to_smarthr().run(vec![emp("001")], vec![]);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::New, "{}", problems(row));
    assert_eq!(row.name, "山田 太郎");
    assert!(row.changes.is_empty());
    let office = row.office.as_ref().unwrap();
    assert_eq!(
        (office.item.id.as_str(), office.from.as_str()),
        ("o1", "--office")
    );
    assert_eq!(row.employment_type, None, "SmartHR's type is optional");
    assert!(row.selected);
    assert_eq!(row.selected_by.as_deref(), Some("default"));
    assert_eq!(row.target_id, None);
    assert_eq!(
        plan.summary,
        Summary {
            new: 1,
            ..Summary::default()
        }
    );
}

#[test]
fn new_employee_into_kot_gets_default_division_and_type() {
    let plan = Setup::to_kot().run(vec![emp("001")], vec![]);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::New, "{}", problems(row));
    let t = row.employment_type.as_ref().unwrap();
    assert_eq!(
        (t.item.id.as_str(), t.from.as_str()),
        ("t1", "--employment-type")
    );
}

#[test]
fn new_employee_without_an_office_is_invalid() {
    let plan = Setup::to_smarthr()
        .no_defaults()
        .run(vec![emp("001")], vec![]);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::Invalid);
    // Kept as data, so that each front end says what to do in its own terms.
    assert_eq!(
        row.problems,
        [Problem::Undecided {
            field: Field::Office,
            target: Service::SmartHr
        }]
    );
    assert_eq!(
        problems(row),
        "no office (biz_establishment) for a new employee: choose a default office or decide it in a rule"
    );
    assert!(!row.selected);
    assert_eq!(row.selected_by, None);
}

#[test]
fn new_employee_into_kot_without_a_type_is_invalid() {
    let mut setup = Setup::to_kot();
    setup.defaults.employment_type = None;
    let row = only_row(&setup.run(vec![emp("001")], vec![])).clone();
    assert_eq!(row.status, Status::Invalid);
    assert_eq!(
        row.problems,
        [Problem::Undecided {
            field: Field::EmploymentType,
            target: Service::Kot
        }]
    );
    assert_eq!(
        row.problems[0].advice(),
        Some(crate::error::Advice::DefaultEmploymentType)
    );
    let words = Wording::new(|advice| format!("[{advice:?}]"));
    assert_eq!(
        row.problems[0].said(words),
        "no employment type (working type) for a new employee: [DefaultEmploymentType]"
    );
}

#[test]
fn a_rule_decides_office_and_type_by_name_and_says_where_from() {
    let rules = Rules::deciding(|_| {
        Ok(Decision {
            office: Some(decided("大阪支店".to_string(), "rules/office.rhai:office")),
            employment_type: Some(decided("t2".to_string(), "rules/office.rhai:kind")),
            ..Decision::default()
        })
    });
    let plan = Setup::to_kot().run_with(vec![emp("001")], vec![], &rules);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::New, "{}", problems(row));
    let office = row.office.as_ref().unwrap();
    assert_eq!(office.item, item("o2", "大阪支店"));
    assert_eq!(office.from, "rules/office.rhai:office");
    let t = row.employment_type.as_ref().unwrap();
    assert_eq!(
        (t.item.name.as_str(), t.from.as_str()),
        ("パート", "rules/office.rhai:kind")
    );
}

#[test]
fn a_decided_office_that_does_not_exist_is_invalid_naming_value_origin_and_choices() {
    let rules = Rules::deciding(|_| {
        Ok(Decision {
            office: Some(decided("名古屋".to_string(), "rules/office.rhai:office")),
            ..Decision::default()
        })
    });
    let row = only_row(&Setup::to_smarthr().run_with(vec![emp("001")], vec![], &rules)).clone();
    assert_eq!(row.status, Status::Invalid);
    let p = problems(&row);
    assert!(p.contains("'名古屋'"), "{p}");
    assert!(p.contains("rules/office.rhai:office"), "{p}");
    assert!(p.contains("'大阪支店' (o2)"), "{p}");
    assert_eq!(row.office, None);
}

#[test]
fn a_decided_type_that_does_not_exist_is_invalid() {
    let rules = Rules::deciding(|_| {
        Ok(Decision {
            employment_type: Some(decided("契約".to_string(), "rules/t.rhai:kind")),
            ..Decision::default()
        })
    });
    let row = only_row(&Setup::to_kot().run_with(vec![emp("001")], vec![], &rules)).clone();
    assert_eq!(row.status, Status::Invalid);
    assert!(
        problems(&row).contains("'契約' (from rules/t.rhai:kind)"),
        "{}",
        problems(&row)
    );
}

#[test]
fn smarthr_needs_kana_to_create_but_kot_does_not() {
    let no_kana = Employee {
        last_name_kana: None,
        first_name_kana: Some(" ".into()),
        ..emp("001")
    };
    let row = only_row(&Setup::to_smarthr().run(vec![no_kana.clone()], vec![])).clone();
    assert_eq!(row.status, Status::Invalid);
    let p = problems(&row);
    assert!(
        p.contains("missing last_name_kana, first_name_kana which SmartHR requires"),
        "{p}"
    );
    assert_eq!(
        Setup::to_kot().run(vec![no_kana], vec![]).rows[0].status,
        Status::New
    );
}

#[test]
fn kot_needs_names_and_gender_to_create() {
    let bare = Employee {
        code: Some("001".into()),
        ..Employee::default()
    };
    let row = only_row(&Setup::to_kot().run(vec![bare], vec![])).clone();
    assert!(
        problems(&row)
            .contains("missing last_name, first_name, gender which KING OF TIME requires"),
        "{}",
        problems(&row)
    );
}

#[test]
fn smarthr_accepts_only_male_or_female() {
    let unsure = Employee {
        gender: Some("no_selected".into()),
        ..emp("001")
    };
    let row = only_row(&Setup::to_smarthr().run(vec![unsure.clone()], vec![])).clone();
    assert_eq!(row.status, Status::Invalid);
    assert!(
        problems(&row).contains("gender 'no_selected'"),
        "{}",
        problems(&row)
    );
    // The same value on an update is refused too, since it would be written.
    let row =
        only_row(&Setup::to_smarthr().run(vec![unsure.clone()], vec![existing("001")])).clone();
    assert_eq!(row.status, Status::Invalid);
    assert_eq!(row.changes.len(), 1, "changes are still shown");
    // KOT takes it as it is.
    assert_eq!(
        Setup::to_kot().run(vec![unsure], vec![]).rows[0].status,
        Status::New
    );
}

#[test]
fn changed_fields_show_target_as_old_and_source_as_new() {
    let source = Employee {
        email: Some("new@example.com".into()),
        resignation_date: Some(d("2024-05-31")),
        ..emp("001")
    };
    let plan = Setup::to_smarthr().run(vec![source], vec![existing("001")]);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::Changed, "{}", problems(row));
    assert_eq!(
        row.changes,
        vec![
            Change {
                field: Field::Email,
                old: Some("taro@example.com".into()),
                new: Some("new@example.com".into()),
            },
            Change {
                field: Field::ResignationDate,
                old: None,
                new: Some("2024-05-31".into()),
            },
            // The last day is before today (2024-06-01): SmartHR's status follows.
            Change {
                field: Field::EmpStatus,
                old: None,
                new: Some("retired".into()),
            },
        ]
    );
    assert!(row.selected);
    assert_eq!(row.target_id.as_deref(), Some("id-001"));
    assert_eq!(plan.summary.changed, 1);
}

#[test]
fn blank_and_missing_are_equal_and_whitespace_is_ignored() {
    let source = Employee {
        email: Some("".into()),
        last_name: Some(" 山田 ".into()),
        ..emp("001")
    };
    let target = Employee {
        email: None,
        ..existing("001")
    };
    let plan = Setup::to_smarthr().run(vec![source], vec![target]);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::Unchanged, "{:?}", row.changes);
    assert!(!row.selected);
    assert_eq!(row.selected_by, None);
    assert_eq!(plan.summary.unchanged, 1);
}

#[test]
fn clearing_a_field_smarthr_cannot_blank_is_invalid_but_clearing_email_is_a_change() {
    let no_birth = Employee {
        birth_date: None,
        ..emp("001")
    };
    let row =
        only_row(&Setup::to_smarthr().run(vec![no_birth.clone()], vec![existing("001")])).clone();
    assert_eq!(row.status, Status::Invalid);
    assert!(
        problems(&row).contains("birth_date cannot be cleared in SmartHR"),
        "{}",
        problems(&row)
    );
    assert_eq!(row.changes[0].new, None);
    // KOT lets it be cleared.
    let row = only_row(&Setup::to_kot().run(vec![no_birth], vec![existing("001")])).clone();
    assert_eq!(row.status, Status::Changed);

    let no_email = Employee {
        email: None,
        ..emp("001")
    };
    let row = only_row(&Setup::to_smarthr().run(vec![no_email], vec![existing("001")])).clone();
    assert_eq!(row.status, Status::Changed, "{}", problems(&row));
}

#[test]
fn an_employee_without_a_code_is_invalid() {
    for code in [None, Some("  ".to_string())] {
        let source = Employee { code, ..emp("x") };
        let row = only_row(&Setup::to_smarthr().run(vec![source], vec![])).clone();
        assert_eq!(row.status, Status::Invalid);
        assert_eq!(row.code, None);
        assert!(
            problems(&row).contains("no employee code: give the employee a code in KING OF TIME"),
            "{}",
            problems(&row)
        );
    }
}

#[test]
fn a_code_used_twice_in_the_source_makes_both_rows_invalid() {
    let mut other = emp("007");
    other.first_name = Some("花子".into());
    let plan = Setup::to_kot().run(vec![emp("007"), other, emp("008")], vec![]);
    let statuses: Vec<Status> = plan.rows.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Status::Invalid, Status::Invalid, Status::New]);
    assert!(
        problems(&plan.rows[0]).contains("employee code 007 is used by 2 records in SmartHR"),
        "{}",
        problems(&plan.rows[0])
    );
    assert_eq!(
        plan.summary,
        Summary {
            new: 1,
            invalid: 2,
            ..Summary::default()
        }
    );
}

#[test]
fn a_code_used_twice_in_the_target_is_invalid() {
    let plan = Setup::to_kot().run(vec![emp("007")], vec![existing("007"), existing("007")]);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::Invalid);
    assert!(
        problems(row).contains("employee code 007 is used by 2 records in KING OF TIME"),
        "{}",
        problems(row)
    );
    assert_eq!(row.target_id, None, "no record can be told apart to update");
}

#[test]
fn codes_compare_exactly_so_leading_zeros_matter() {
    let plan = Setup::to_smarthr().run(
        vec![emp("0012"), emp("013")],
        vec![existing("12"), existing("013")],
    );
    let got: Vec<(&str, Status)> = plan
        .rows
        .iter()
        .map(|r| (r.code.as_deref().unwrap(), r.status))
        .collect();
    assert_eq!(got, [("0012", Status::New), ("013", Status::Unchanged)]);
}

#[test]
fn codes_longer_than_their_compared_prefix_still_order_and_match_exactly() {
    let plan = Setup::to_smarthr().run(
        vec![
            emp("EMP-2024-0002"),
            emp("EMP-2024-00010"),
            emp("EMP-2024-0001"),
            emp("EMP-2024"),
        ],
        vec![existing("EMP-2024-0001"), existing("EMP-2024-00010")],
    );
    let got: Vec<(&str, Status)> = plan
        .rows
        .iter()
        .map(|r| (r.code.as_deref().unwrap(), r.status))
        .collect();
    assert_eq!(
        got,
        [
            ("EMP-2024", Status::New),
            ("EMP-2024-0001", Status::Unchanged),
            ("EMP-2024-00010", Status::Unchanged),
            ("EMP-2024-0002", Status::New),
        ]
    );
}

#[test]
fn source_duplicates_of_a_target_record_each_show_it() {
    let mut other = emp("007");
    other.first_name = Some("花子".into());
    let plan = Setup::to_smarthr().run(vec![emp("007"), other], vec![existing("007")]);
    assert_eq!(plan.rows.len(), 2);
    for row in &plan.rows {
        assert_eq!(row.status, Status::Invalid);
        assert_eq!(row.code.as_deref(), Some("007"));
        assert_eq!(row.target_id.as_deref(), Some("id-007"));
        let office = row.office.as_ref().unwrap();
        assert_eq!(
            (office.item.id.as_str(), office.from.as_str()),
            ("o1", CURRENT)
        );
    }
}

#[test]
fn updates_keep_the_current_office_even_when_a_rule_decides_one() {
    let rules = Rules::deciding(|_| {
        Ok(Decision {
            office: Some(decided("o2".to_string(), "rules/o.rhai:office")),
            ..Decision::default()
        })
    });
    let row =
        only_row(&Setup::to_smarthr().run_with(vec![emp("001")], vec![existing("001")], &rules))
            .clone();
    assert_eq!(row.status, Status::Unchanged);
    let office = row.office.unwrap();
    assert_eq!(
        (office.item.id.as_str(), office.from.as_str()),
        ("o1", CURRENT)
    );
    assert_eq!(row.employment_type.unwrap().item.id, "t1");
}

#[test]
fn a_rule_that_opts_in_moves_an_existing_employee() {
    let rules = Rules::deciding(|_| {
        Ok(Decision {
            office: Some(decided("大阪支店".to_string(), "rules/o.rhai:office")),
            employment_type: Some(decided("t1".to_string(), "rules/o.rhai:kind")),
            move_office: true,
            move_employment_type: true,
            ..Decision::default()
        })
    });
    let row = only_row(&Setup::to_kot().run_with(vec![emp("001")], vec![existing("001")], &rules))
        .clone();
    assert_eq!(row.status, Status::Changed, "{}", problems(&row));
    assert_eq!(
        row.changes,
        vec![Change {
            field: Field::Office,
            old: Some("本社".into()),
            new: Some("大阪支店".into()),
        }],
        "the type is already t1, so only the office moves"
    );
    let office = row.office.unwrap();
    assert_eq!(
        (office.item.id.as_str(), office.from.as_str()),
        ("o2", "rules/o.rhai:office")
    );
    assert_eq!(row.employment_type.unwrap().from, CURRENT);
}

#[test]
fn moving_to_an_office_that_does_not_exist_is_invalid() {
    let rules = Rules::deciding(|_| {
        Ok(Decision {
            office: Some(decided("nowhere".to_string(), "rules/o.rhai:office")),
            move_office: true,
            ..Decision::default()
        })
    });
    let row = only_row(&Setup::to_kot().run_with(vec![emp("001")], vec![existing("001")], &rules))
        .clone();
    assert_eq!(row.status, Status::Invalid);
    assert!(
        problems(&row).contains("division 'nowhere'"),
        "{}",
        problems(&row)
    );
    assert_eq!(row.office.unwrap().from, CURRENT);
}

#[test]
fn a_rule_error_makes_the_row_invalid_and_still_shows_its_changes() {
    let rules = Rules::deciding(|e| {
        e.email = Some("other@example.com".into());
        Err(PolicyError {
            message: "index out of bounds".into(),
            location: Some("rules/o.rhai:3:7".into()),
        })
    });
    let plan = Setup::to_smarthr().run_with(vec![emp("001")], vec![existing("001")], &rules);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::Invalid);
    assert_eq!(
        row.problems,
        [Problem::Rule {
            location: Some("rules/o.rhai:3:7".into()),
            failure: RuleFailure::Said {
                message: "index out of bounds".into()
            }
        }]
    );
    assert_eq!(
        row.problems[0].to_string(),
        "rules/o.rhai:3:7: index out of bounds"
    );
    assert_eq!(row.changes.len(), 1);
    assert!(!row.selected);
}

#[test]
fn overrides_are_compared_and_kept_for_apply_with_the_raw_record() {
    let rules = Rules::deciding(|e| {
        e.email = e.email.as_ref().map(|m| m.to_lowercase());
        Ok(Decision::default())
    });
    let source = Employee {
        email: Some("Taro@Example.COM".into()),
        raw: serde_json::json!({"code": "001", "divisionName": "本社"}).into(),
        ..emp("001")
    };
    let plan = Setup::to_smarthr().run_with(vec![source], vec![existing("001")], &rules);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::Unchanged);
    let kept = row.source.as_ref().unwrap();
    assert_eq!(kept.email.as_deref(), Some("taro@example.com"));
    assert_eq!(kept.raw.to_value()["divisionName"], "本社");
}

#[test]
fn excluded_employees_are_listed_apart_and_do_not_count_as_duplicates() {
    let rules = Rules::deciding(|e| {
        Ok(Decision {
            exclude: (e.first_name.as_deref() == Some("花子"))
                .then(|| decided("役員".to_string(), "rules/scope.rhai:exclude")),
            ..Decision::default()
        })
    });
    let mut hanako = emp("001");
    hanako.first_name = Some("花子".into());
    let plan = Setup::to_smarthr().run_with(vec![hanako, emp("001")], vec![], &rules);
    let row = only_row(&plan);
    assert_eq!(row.status, Status::New, "{}", problems(row));
    assert_eq!(
        plan.excluded,
        vec![Excluded {
            code: Some("001".into()),
            name: "山田 花子".into(),
            reason: "役員".into(),
            from: "rules/scope.rhai:exclude".into(),
        }]
    );
    assert_eq!(
        plan.summary,
        Summary {
            new: 1,
            ..Summary::default()
        }
    );
}

#[test]
fn a_select_rule_decides_selection_and_sees_the_changes() {
    let rules = Rules {
        decide: Box::new(|_| Ok(Decision::default())),
        select: Box::new(|row| {
            // The row takes the target's office only after asking: the rule still sees it.
            if let Some(target) = row.target {
                assert_eq!(target.office, Some(item("o1", "本社")));
            }
            let birth = row.changes.iter().any(|c| c.field == Field::BirthDate);
            Ok(Some(decided(!birth, "rules/select.rhai:select")))
        }),
    };
    let moved_birth = Employee {
        birth_date: Some(d("1991-01-01")),
        ..emp("001")
    };
    let plan =
        Setup::to_smarthr().run_with(vec![moved_birth, emp("002")], vec![existing("001")], &rules);
    let got: Vec<(Status, bool, Option<&str>)> = plan
        .rows
        .iter()
        .map(|r| (r.status, r.selected, r.selected_by.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (Status::Changed, false, Some("rules/select.rhai:select")),
            (Status::New, true, Some("rules/select.rhai:select")),
        ]
    );
}

#[test]
fn a_select_rule_error_makes_the_row_invalid() {
    let rules = Rules {
        decide: Box::new(|_| Ok(Decision::default())),
        select: Box::new(|_| {
            Err(PolicyError {
                message: "too many operations".into(),
                location: None,
            })
        }),
    };
    let plan = Setup::to_smarthr().run_with(vec![emp("002")], vec![], &rules);
    let row = only_row(&plan);
    assert_eq!((row.status, row.selected), (Status::Invalid, false));
    assert_eq!(row.problems[0].to_string(), "too many operations");
    assert_eq!(plan.summary.invalid, 1);
    assert_eq!(
        plan.rule_errors,
        [RuleError {
            error: "too many operations".into(),
            employees: 1
        }]
    );
}

#[test]
fn the_plan_counts_each_distinct_rule_error_most_first() {
    let rules = Rules::deciding(|e| {
        let line = if e.code.as_deref() == Some("003") {
            9
        } else {
            3
        };
        Err(PolicyError {
            message: "index out of bounds".into(),
            location: Some(format!("rules/o.rhai:{line}:7")),
        })
    });
    let plan = Setup::to_kot().run_with(vec![emp("001"), emp("002"), emp("003")], vec![], &rules);
    assert_eq!(
        plan.rule_errors,
        [
            RuleError {
                error: "rules/o.rhai:3:7: index out of bounds".into(),
                employees: 2
            },
            RuleError {
                error: "rules/o.rhai:9:7: index out of bounds".into(),
                employees: 1
            },
        ]
    );
    // A filtered view still says what failed across the whole plan.
    assert_eq!(
        plan.filtered(&View {
            statuses: vec![Status::New]
        })
        .rule_errors,
        plan.rule_errors
    );
    let clean = Setup::to_kot().run(vec![emp("001")], vec![]);
    assert_eq!(clean.rule_errors, []);
}

#[test]
fn rows_are_sorted_by_code_then_name() {
    let mut b = emp("002");
    b.last_name = Some("佐藤".into());
    let plan = Setup::to_kot().run(vec![emp("010"), emp("002"), b, emp("001")], vec![]);
    let got: Vec<String> = plan
        .rows
        .iter()
        .map(|r| format!("{} {}", r.code.as_deref().unwrap(), r.name))
        .collect();
    assert_eq!(
        got,
        [
            "001 山田 太郎",
            "002 佐藤 太郎",
            "002 山田 太郎",
            "010 山田 太郎"
        ]
    );
}

#[test]
fn a_plan_large_enough_for_helper_threads_matches_every_employee() {
    let n = PARALLEL_FROM + 10;
    let codes: Vec<String> = (0..n).rev().map(|i| format!("{i:06}")).collect();
    let source = codes.iter().map(|c| emp(c)).collect();
    let target = codes.iter().skip(1).map(|c| existing(c)).collect();
    let plan = Setup::to_smarthr().run(source, target);
    assert_eq!(plan.rows.len(), n);
    assert!(plan.rows.is_sorted_by(|a, b| a.code < b.code));
    let last = plan.rows.last().unwrap();
    assert_eq!(last.status, Status::New, "{}", problems(last));
    assert_eq!(
        plan.summary,
        Summary {
            new: 1,
            unchanged: n - 1,
            ..Summary::default()
        }
    );
    assert_eq!(plan.rows[0].target_id.as_deref(), Some("id-000000"));
}

#[test]
fn filtered_keeps_the_asked_statuses_and_the_whole_summary() {
    let plan = Setup::to_smarthr().run(
        vec![
            emp("001"),
            emp("002"),
            Employee {
                code: None,
                ..emp("x")
            },
        ],
        vec![existing("002")],
    );
    let only_new = plan.filtered(&View {
        statuses: vec![Status::New],
    });
    assert_eq!(only_new.rows.len(), 1);
    assert_eq!(only_new.rows[0].code.as_deref(), Some("001"));
    assert_eq!(only_new.summary, plan.summary);
    assert_eq!(
        plan.filtered(&View {
            statuses: Status::ALL.to_vec()
        })
        .rows,
        plan.rows
    );
}

/// A policy that places every employee in 大阪支店 and counts which question it was asked.
#[derive(Default)]
struct Placing {
    decided: std::sync::atomic::AtomicUsize,
    existing: std::sync::atomic::AtomicUsize,
}

impl Policy for Placing {
    fn decide(&self, _: Direction, _: &mut Employee) -> Result<Decision, PolicyError> {
        self.decided
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Decision {
            office: Some(decided("o2".to_string(), "rules/o.rhai:office")),
            ..Decision::default()
        })
    }

    fn decide_existing(&self, _: Direction, _: &mut Employee) -> Result<Decision, PolicyError> {
        self.existing
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Decision::default())
    }

    fn select(
        &self,
        _: Direction,
        _: &SelectInput<'_>,
    ) -> Result<Option<Decided<bool>>, PolicyError> {
        Ok(None)
    }
}

#[test]
fn employees_the_target_has_are_asked_only_what_an_update_uses() {
    for n in [3, PARALLEL_FROM + 10] {
        let codes: Vec<String> = (0..n).map(|i| format!("{i:06}")).collect();
        let source = codes.iter().map(|c| emp(c)).collect();
        // Every employee but the first is in the target already.
        let target = codes.iter().skip(1).map(|c| existing(c)).collect();
        let policy = Placing::default();
        let plan = Setup::to_smarthr().run_with(source, target, &policy);
        let load =
            |c: &std::sync::atomic::AtomicUsize| c.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!((load(&policy.decided), load(&policy.existing)), (1, n - 1));
        let new = &plan.rows[0];
        assert_eq!(new.status, Status::New, "{}", problems(new));
        let office = new
            .office
            .as_ref()
            .map(|o| (o.item.name.as_str(), o.from.as_str()));
        assert_eq!(office, Some(("大阪支店", "rules/o.rhai:office")));
        let kept = &plan.rows[1];
        assert_eq!(kept.office.as_ref().map(|o| o.from.as_str()), Some(CURRENT));
    }
}

#[test]
fn a_field_empty_for_nearly_everyone_while_the_target_has_it_is_unreadable() {
    let codes: Vec<String> = (1..=20).map(|n| format!("{n:03}")).collect();
    let with = |f: &dyn Fn(usize, Employee) -> Employee| -> Vec<Employee> {
        codes
            .iter()
            .enumerate()
            .map(|(i, c)| f(i, emp(c)))
            .collect()
    };
    let targets = |f: &dyn Fn(usize, Employee) -> Employee| -> Vec<Employee> {
        codes
            .iter()
            .enumerate()
            .map(|(i, c)| f(i, existing(c)))
            .collect()
    };
    // Every email empty in the source while the target has them all: unreadable, once.
    let source = with(&|_, e| Employee { email: None, ..e });
    let plan = Setup::to_kot().run(source, targets(&|_, e| e));
    assert_eq!(plan.unreadable.len(), 1, "{:?}", plan.unreadable);
    let u = &plan.unreadable[0];
    assert_eq!(
        (u.field, u.in_scope, u.empty_in_source, u.clears),
        (Field::Email, 20, 20, 20)
    );
    assert!(
        u.hint
            .ends_with(&crate::error::Advice::AllowClear(vec![Field::Email]).to_string()),
        "{}",
        u.hint
    );
    assert_eq!(plan.summary.clears, 20);
    // In the words of the front end the plan is made for.
    let worded = Setup {
        words: Wording::new(|advice| format!("[{advice:?}]")),
        ..Setup::to_kot()
    }
    .run(
        with(&|_, e| Employee { email: None, ..e }),
        targets(&|_, e| e),
    );
    assert!(
        worded.unreadable[0].hint.ends_with("[AllowClear([Email])]"),
        "{}",
        worded.unreadable[0].hint
    );

    // Resignation dates are empty for nearly everyone; one re-hire clearing one is ordinary.
    let rehired = targets(&|i, e| Employee {
        resignation_date: (i == 0).then(|| d("2024-03-31")),
        ..e
    });
    let plan = Setup::to_kot().run(with(&|_, e| e), rehired);
    assert!(plan.unreadable.is_empty(), "{:?}", plan.unreadable);
    assert_eq!(plan.summary.clears, 1);

    // Just under "nearly all" empty (17 of 20 < 90%): ordinary clears.
    let source = with(&|i, e| Employee {
        email: (i >= 17).then(|| "a@example.com".to_string()),
        ..e
    });
    assert!(
        Setup::to_kot()
            .run(source, targets(&|_, e| e))
            .unreadable
            .is_empty()
    );
}
