//! Diff-only benchmark: planning 100,000 employees against 100,000, no network, no rules.
//! Target (issue 16, plain code): at most 250 ms on a 2-core machine.
//!
//! `cargo bench --bench plan` (add `-- --quick` for a short run). Building the rosters is
//! setup and is not timed; moving them into `plan::build` and dropping what it consumes is.
//! `EMPLOYEES=1000 cargo test --bench plan` runs it once, small, to check that it works.

use chrono::{Days, NaiveDate};
use crewsync::model::{Direction, Employee, MasterItem, Masters};
use crewsync::plan::{Defaults, NoRules};
mod support;

use criterion::{Criterion, criterion_group, criterion_main};

const LAST: [&str; 8] = [
    "山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村",
];
const LAST_KANA: [&str; 8] = [
    "ヤマダ",
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "ナカムラ",
];
const FIRST: [&str; 5] = ["太郎", "花子", "一", "さくら", "健"];
const GENDERS: [&str; 2] = ["male", "female"];
const FIRST_KANA: [&str; 5] = ["タロウ", "ハナコ", "ハジメ", "サクラ", "ケン"];

fn office() -> MasterItem {
    MasterItem {
        id: "1000".into(),
        name: "本社".into(),
    }
}

/// Employee `i` as the source holds it, with a raw record like an API's.
fn employee(i: usize) -> Employee {
    let base = NaiveDate::from_ymd_opt(1960, 1, 1).unwrap_or_default();
    let code = format!("{i:06}");
    Employee {
        last_name: Some(LAST[i % 8].into()),
        first_name: Some(FIRST[i % 5].into()),
        last_name_kana: Some(LAST_KANA[i % 8].into()),
        first_name_kana: Some(FIRST_KANA[i % 5].into()),
        gender: Some(GENDERS[i % 2].into()),
        birth_date: base.checked_add_days(Days::new((i % 15_000) as u64)),
        email: Some(format!("user{i}@example.com")),
        hire_date: base.checked_add_days(Days::new(20_000 + (i % 3_000) as u64)),
        resignation_date: None,
        raw: serde_json::json!({"code": code, "divisionCode": "1000", "typeCode": "1"}).into(),
        code: Some(code),
        ..Employee::default()
    }
}

/// Both rosters: ~7% of employees differ in a field, ~2% are new (not in the target) and ~1%
/// exist only in the target.
fn rosters(employees: usize) -> (Vec<Employee>, Vec<Employee>) {
    let source: Vec<Employee> = (0..employees).map(employee).collect();
    let target = (0..employees)
        .filter(|i| !i.is_multiple_of(50))
        .chain(employees..employees + employees / 100)
        .map(|i| {
            let mut e = employee(i);
            e.target_id = Some(format!("key-{i}"));
            e.office = Some(office());
            if i.is_multiple_of(15) {
                e.email = Some(format!("old{i}@example.com"));
            }
            e
        })
        .collect();
    (source, target)
}

fn bench(c: &mut Criterion) {
    let masters = Masters {
        offices: vec![office()],
        employment_types: vec![],
    };
    let defaults = Defaults {
        office: Some(office()),
        employment_type: None,
    };
    let as_of = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap_or_default();
    let employees = support::employees();
    let (source, target) = rosters(employees);
    let inputs = support::PlanInputs {
        direction: Direction::KotToSmartHr,
        as_of,
        source: &source,
        target: &target,
        masters: &masters,
        defaults: &defaults,
    };
    let name = format!("plan {employees} vs {employees}, diff only");
    c.bench_function(&name, |b| support::time_plan(b, &inputs, &NoRules));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
