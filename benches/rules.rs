//! The shipped example rules over 100,000 synthetic SmartHR employees, on one core.
//! Target (issue 4): at least 100,000 employees per second. Run with
//! `cargo bench --bench rules`; criterion reports the throughput in elements/s.

use crewsync::model::{Direction, Employee, MasterItem};
use crewsync::plan::{Change, Policy, SelectInput, Status};
use crewsync::rules::Rules;
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

/// A SmartHR-shaped record: the canonical fields plus a raw record of realistic size.
fn employee(i: usize) -> Employee {
    let department = DEPARTMENTS[i % DEPARTMENTS.len()];
    let employment_type = TYPES[i % TYPES.len()];
    Employee {
        code: Some(format!("{i:06}")),
        last_name: Some("山田".into()),
        first_name: Some("太郎".into()),
        last_name_kana: Some(
            if i.is_multiple_of(2) {
                "ﾔﾏﾀﾞ"
            } else {
                "やまだ"
            }
            .into(),
        ),
        first_name_kana: Some("タロウ".into()),
        gender: Some("male".into()),
        birth_date: "1990-04-01".parse().ok(),
        email: Some(format!("Taro.Yamada{i}@Example.com")),
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

criterion_group!(benches, bench);
criterion_main!(benches);
