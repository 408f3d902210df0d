//! The shipped example rules over 100,000 synthetic SmartHR employees, on one core.
//! Targets (issue 4): at least 100,000 employees per second, and a plan with the rules at most
//! 1.5 times the time of the same plan without them. Run with `cargo bench --bench rules`;
//! criterion reports the throughput in elements/s and the plan times: without rules, with the
//! shipped rules, and with the same rules written by hand in Rust ([`HandWritten`]), which is
//! as fast as any rules engine could make them.

use crewsync::model::{Direction, Employee, Field, MasterItem, Masters};
use crewsync::plan::{
    self, Change, Decided, Decision, Defaults, NoRules, Policy, PolicyError, SelectInput, Status,
};
use crewsync::rules::Rules;
use std::borrow::Cow;
use std::collections::BTreeMap;
mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;

const EMPLOYEES: usize = 100_000;
const DEPARTMENTS: [&str; 6] = [
    "営業部",
    "開発部",
    "総務部",
    "福岡営業部",
    "人事部",
    "新規事業室",
];
const TYPES: [&str; 4] = ["正社員", "契約社員", "パート・アルバイト", "役員"];

/// A SmartHR-shaped record: the canonical fields plus a raw record of realistic size. Like real
/// data, most records are already clean and the rules' overrides change a few (every 25th has
/// a half-width reading, every 20th an upper-case e-mail, every 10th a business name), so that
/// the plan with the rules has about the changes of the plan without: the comparison then
/// measures what evaluating the rules costs, not a plan with many more changed rows.
fn employee(i: usize) -> Employee {
    let department = DEPARTMENTS[i % DEPARTMENTS.len()];
    let employment_type = TYPES[i % TYPES.len()];
    Employee {
        code: Some(format!("{i:06}")),
        code_key: None,
        last_name: Some("山田".into()),
        first_name: Some("太郎".into()),
        last_name_kana: Some(if i.is_multiple_of(25) { "ﾔﾏﾀﾞ" } else { "ヤマダ" }.into()),
        first_name_kana: Some("タロウ".into()),
        gender: Some("male".into()),
        birth_date: "1990-04-01".parse().ok(),
        email: Some(if i.is_multiple_of(20) {
            format!("Taro.Yamada{i}@Example.com")
        } else {
            format!("taro.yamada{i}@example.com")
        }),
        hire_date: "2015-04-01".parse().ok(),
        resignation_date: None,
        business_last_name: i.is_multiple_of(10).then(|| "鈴木".into()),
        business_first_name: None,
        business_last_name_kana: None,
        business_first_name_kana: None,
        office: None,
        employment_type: Some(MasterItem {
            id: format!("type-{}", i % TYPES.len()),
            name: employment_type.into(),
        }),
        target_id: Some(format!("crew-{i}")),
        raw: serde_json::json!({
            "id": format!("crew-{i}"),
            "emp_code": format!("{i:06}"),
            "last_name": "山田", "first_name": "太郎",
            "employment_type": {"id": "t", "name": employment_type, "preset_type": "full_timer"},
            "departments": [{"id": "d", "name": department, "full_name": department, "code": "D1"}],
            "custom_fields": [{"value": "A型", "template": {"id": "c", "name": "血液型", "type": "enum"}}],
            "emp_status": "employed", "tel_number": "0312345678", "address": "東京都",
            "position": "主任", "occupation": "営業", "entered_at": "2015-04-01",
        })
        .into(),
    }
}

fn bench(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rules = Rules::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let employees: Vec<Employee> = (0..EMPLOYEES).map(employee).collect();
    let changes = [Change {
        field: crewsync::model::Field::Email,
        old: Some("a".into()),
        new: Some("b".into()),
    }];

    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.throughput(Throughput::Elements(EMPLOYEES as u64));
    group.bench_function("decide_and_select_100k_employees", |b| {
        b.iter_batched(
            || employees.clone(),
            |mut batch| {
                for e in &mut batch {
                    let decision = rules
                        .decide(Direction::SmartHrToKot, e)
                        .unwrap_or_else(|err| panic!("{err}"));
                    if decision.exclude.is_none() {
                        let input = SelectInput {
                            status: Status::Changed,
                            changes: &changes,
                            source: e,
                            target: None,
                        };
                        std::hint::black_box(rules.select(Direction::SmartHrToKot, &input).ok());
                    }
                }
                batch
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn master(name: &str) -> MasterItem {
    MasterItem {
        id: name.into(),
        name: name.into(),
    }
}

/// The same employee as KOT holds it: every tenth has another e-mail (a change to plan), and
/// every fiftieth is missing (a new employee, which the rules place in an office).
fn kot_roster(source: &[Employee]) -> Vec<Employee> {
    source
        .iter()
        .enumerate()
        .filter(|(i, _)| !i.is_multiple_of(50))
        .map(|(i, e)| {
            let mut k = e.clone();
            k.raw =
                serde_json::json!({"code": k.code, "divisionCode": "1000", "typeCode": "1"}).into();
            k.business_last_name = None;
            k.office = Some(master("本社"));
            k.employment_type = Some(master("正社員"));
            if i.is_multiple_of(10) {
                k.email = Some(format!("old{i}@example.com"));
            }
            k
        })
        .collect()
}

/// The shipped rules (`rules/*.rhai` and their tables) written by hand in Rust, deciding
/// exactly what they decide on this benchmark's rosters (checked before timing). No rules
/// engine can beat it, so its plan time shows how much of the 1.5× budget the rules' own work
/// (reading every record once more, writing the overrides) takes before any interpreting.
struct HandWritten {
    departments: BTreeMap<String, String>,
    divisions: BTreeMap<String, String>,
    employment_types: BTreeMap<String, String>,
    /// Where each decision came from, as the shipped rules name it.
    from: BTreeMap<&'static str, String>,
}

impl HandWritten {
    fn load(dir: &Path, rules: &Rules) -> HandWritten {
        let table = |name: &str| -> BTreeMap<String, String> {
            let path = dir.join(format!("{name}.yaml"));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        let from = [
            ("exclude", "10_scope"),
            ("office", "30_offices"),
            ("employment_type", "40_employment_types"),
            ("select", "50_select"),
        ]
        .map(|(hook, file)| {
            let label = rules
                .files()
                .find(|f| f.contains(file))
                .unwrap_or_else(|| panic!("no {file} in the shipped rules"));
            (hook, format!("{label}:{hook}"))
        })
        .into();
        HandWritten {
            departments: table("departments"),
            divisions: table("divisions"),
            employment_types: table("employment_types"),
            from,
        }
    }

    fn decided(&self, hook: &str, value: String) -> Option<Decided<String>> {
        Some(Decided {
            value,
            from: self.from[hook].clone(),
        })
    }

    /// `exclude` and `overrides`.
    fn early(&self, direction: Direction, e: &mut Employee) -> Option<Decided<String>> {
        if e.employment_type.as_ref().is_some_and(|t| t.name == "役員") {
            return self.decided(
                "exclude",
                "board member (役員): not tracked in KING OF TIME".into(),
            );
        }
        if e.code.as_deref().is_some_and(|c| c.starts_with("TEST")) {
            return self.decided("exclude", "test account".into());
        }
        let mut writes: Vec<(Field, Option<String>)> = Vec::new();
        let mut write = |e: &Employee, field: Field, value: Option<&str>| {
            let current = match field {
                Field::LastName => &e.last_name,
                Field::FirstName => &e.first_name,
                Field::LastNameKana => &e.last_name_kana,
                Field::FirstNameKana => &e.first_name_kana,
                Field::Email => &e.email,
                other => panic!("the shipped rules do not override {other:?}"),
            };
            if current.as_deref() != value {
                writes.push((field, value.map(str::to_string)));
            }
        };
        let mut last_kana = e.last_name_kana.as_deref();
        let mut first_kana = e.first_name_kana.as_deref();
        let business = e.business_last_name.as_deref();
        if direction == Direction::SmartHrToKot && business.is_some_and(|b| !b.trim().is_empty()) {
            write(e, Field::LastName, business);
            let first = e.business_first_name.as_deref().or(e.first_name.as_deref());
            write(e, Field::FirstName, first);
            last_kana = e.business_last_name_kana.as_deref().or(last_kana);
            first_kana = e.business_first_name_kana.as_deref().or(first_kana);
        }
        for (field, kana) in [
            (Field::LastNameKana, last_kana),
            (Field::FirstNameKana, first_kana),
        ] {
            if let Some(kana) = kana {
                write(e, field, Some(&katakana(kana)));
            }
        }
        if let Some(email) = e.email.as_deref() {
            let email = email.trim();
            let lower: Cow<'_, str> = if email.chars().any(char::is_uppercase) {
                email.to_lowercase().into()
            } else {
                email.into()
            };
            write(e, Field::Email, Some(&lower));
        }
        for (field, value) in writes {
            e.set(field, value.as_deref())
                .unwrap_or_else(|err| panic!("{err}"));
        }
        None
    }
}

fn katakana(s: &str) -> Cow<'_, str> {
    let widens = |c| matches!(c, '\u{FF61}'..='\u{FF9F}' | 'ぁ'..='ゖ' | 'ゝ' | 'ゞ');
    if s.chars().any(widens) {
        crewsync::rules::to_full_width_katakana(s).into()
    } else {
        s.into()
    }
}

impl Policy for HandWritten {
    fn decide(&self, direction: Direction, e: &mut Employee) -> Result<Decision, PolicyError> {
        if let Some(why) = self.early(direction, e) {
            return Ok(Decision {
                exclude: Some(why),
                ..Decision::default()
            });
        }
        let office = match direction {
            Direction::SmartHrToKot => {
                let raw = e.raw.to_value();
                let departments = raw["departments"].as_array().cloned().unwrap_or_default();
                departments
                    .iter()
                    .find_map(|d| self.departments.get(d["name"].as_str()?))
                    .cloned()
            }
            Direction::KotToSmartHr => e
                .office
                .as_ref()
                .and_then(|o| self.divisions.get(&o.name).cloned()),
        };
        let employment_type = match direction {
            Direction::SmartHrToKot => e
                .employment_type
                .as_ref()
                .and_then(|t| self.employment_types.get(&t.name).cloned()),
            Direction::KotToSmartHr => None,
        };
        Ok(Decision {
            office: office.and_then(|o| self.decided("office", o)),
            employment_type: employment_type.and_then(|t| self.decided("employment_type", t)),
            ..Decision::default()
        })
    }

    fn decide_existing(
        &self,
        direction: Direction,
        e: &mut Employee,
    ) -> Result<Decision, PolicyError> {
        Ok(Decision {
            exclude: self.early(direction, e),
            ..Decision::default()
        })
    }

    fn lighter_for_existing(&self) -> bool {
        true
    }

    fn select(
        &self,
        _: Direction,
        row: &SelectInput<'_>,
    ) -> Result<Option<Decided<bool>>, PolicyError> {
        let birth_date = row.changes.iter().any(|c| c.field == Field::BirthDate);
        Ok(Some(Decided {
            value: row.status == Status::New || !birth_date,
            from: self.from["select"].clone(),
        }))
    }
}

/// `base` in the shapes the rules tell apart: test accounts, board members, business names
/// with and without readings, half-width and hiragana readings, e-mails needing a trim or
/// lower case, and departments in and out of the table.
fn varied(base: &[Employee]) -> Vec<Employee> {
    base.iter()
        .enumerate()
        .map(|(i, e)| {
            let mut e = e.clone();
            let pick = |options: &[&str]| match options[i % options.len()] {
                "-" => None,
                s => Some(s.to_string()),
            };
            if i % 7 == 0 {
                e.code = Some(format!("TEST{i}"));
            }
            e.business_last_name = pick(&["鈴木", "-", " ", "佐藤"]);
            e.business_first_name = pick(&["-", "一郎", "-"]);
            e.business_last_name_kana = pick(&["ｽｽﾞｷ", "-", "すずき"]);
            e.business_first_name_kana = pick(&["-", "イチロウ"]);
            e.last_name_kana = pick(&["ﾔﾏﾀﾞ", "やまだ", "ヤマダ", "-", "ﾀﾞｲｽｹ"]);
            e.first_name_kana = pick(&["-", "たろう", "タロウ", "ﾀﾛｳ"]);
            e.email = pick(&[
                " Taro@Example.COM ",
                "taro@example.com",
                "-",
                "Élodie@example.fr",
            ]);
            e.employment_type =
                [None, Some("役員"), Some("アルバイト"), Some("嘱託")][i % 4].map(master);
            e.raw = match i % 4 {
                0 => serde_json::json!({"departments": [null, {"name": "営業部"}]}),
                1 => serde_json::json!({"departments": [{"name": "どこか"}, {"name": "人事部"}]}),
                2 => serde_json::json!({}),
                _ => serde_json::json!({"departments": [{"name": "福岡営業部"}]}),
            }
            .into();
            e
        })
        .collect()
}

fn plan_with_and_without_rules(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rules = Rules::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let source: Vec<Employee> = (0..EMPLOYEES).map(employee).collect();
    let target = kot_roster(&source);
    let masters = Masters {
        offices: ["本社", "大阪支社", "福岡営業所"].map(master).to_vec(),
        employment_types: ["正社員", "契約社員", "パート"].map(master).to_vec(),
    };
    let defaults = Defaults {
        office: Some(master("本社")),
        employment_type: Some(master("正社員")),
    };
    let as_of = "2024-04-01".parse().unwrap_or_default();

    let inputs = support::PlanInputs {
        direction: Direction::SmartHrToKot,
        as_of,
        source: &source,
        target: &target,
        masters: &masters,
        defaults: &defaults,
    };
    let by_hand = HandWritten::load(&dir, &rules);
    // On the benchmark's rosters, and on records of every shape the rules treat differently,
    // with some missing from the target in both directions (new employees get an office).
    let varied = varied(&source[..200]);
    let mut varied_kot = kot_roster(&varied);
    for (i, k) in varied_kot.iter_mut().enumerate() {
        k.office = [None, Some("本社"), Some("大阪支社"), Some("札幌")][i % 4].map(master);
    }
    let fewer: Vec<Employee> = varied.iter().step_by(2).cloned().collect();
    let cases = [
        (Direction::SmartHrToKot, &source, &target),
        (Direction::KotToSmartHr, &target, &source),
        (Direction::SmartHrToKot, &varied, &varied_kot),
        (Direction::KotToSmartHr, &varied_kot, &fewer),
    ];
    for (direction, from, to) in cases {
        let plan_with = |policy: &dyn Policy| {
            let plan = plan::build(plan::Input {
                direction,
                as_of,
                source: from.clone(),
                target: to.clone(),
                masters: &masters,
                defaults: &defaults,
                policy,
            });
            serde_json::to_value(&plan).unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(
            plan_with(&by_hand),
            plan_with(&rules),
            "{direction:?}: the hand-written rules must plan as the shipped rules"
        );
    }

    let mut group = c.benchmark_group("plan_100k_vs_100k");
    group.sample_size(10);
    let policies: [(&str, &dyn Policy); 3] = [
        ("no_rules", &NoRules),
        ("shipped_rules", &rules),
        ("shipped_rules_by_hand", &by_hand),
    ];
    for (name, policy) in policies {
        group.bench_function(name, |b| support::time_plan(b, &inputs, policy));
    }
    group.finish();
}

criterion_group!(benches, bench, plan_with_and_without_rules);
criterion_main!(benches);
