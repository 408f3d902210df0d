//! The shipped example rules over 100,000 synthetic SmartHR employees, on one core, and a plan
//! of 100,000 per side with and without them. Run with `cargo bench --bench rules`; criterion
//! reports the throughput in elements/s and the plan times. The in-memory targets of issue 4
//! were retired by issue 16 (a real plan's time is the APIs' paging): these numbers are for
//! noticing a regression, not a goal. `EMPLOYEES=1000 cargo test --bench rules` runs it once,
//! small, to check that it works.

use crewsync::model::{Direction, Employee, MasterItem, Masters};
use crewsync::plan::{Change, Defaults, NoRules, Policy, SelectInput, Status};
use crewsync::rules::Rules;
mod support;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::path::Path;

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
        status: None,
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
    let employees: Vec<Employee> = (0..support::employees()).map(employee).collect();
    let changes = [Change {
        field: crewsync::model::Field::Email,
        old: Some("a".into()),
        new: Some("b".into()),
    }];

    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.throughput(Throughput::Elements(employees.len() as u64));
    group.bench_function("decide_and_select", |b| {
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

fn plan_with_and_without_rules(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let rules = Rules::load(&dir).unwrap_or_else(|e| panic!("{e}"));
    let source: Vec<Employee> = (0..support::employees()).map(employee).collect();
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
    let mut group = c.benchmark_group("plan_with_and_without_rules");
    group.sample_size(10);
    let policies: [(&str, &dyn Policy); 2] = [("no_rules", &NoRules), ("shipped_rules", &rules)];
    for (name, policy) in policies {
        group.bench_function(name, |b| support::time_plan(b, &inputs, policy));
    }
    group.finish();
}

criterion_group!(benches, bench, plan_with_and_without_rules);
criterion_main!(benches);
