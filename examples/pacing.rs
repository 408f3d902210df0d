//! Benchmark (issue 15): how close the clients run to a per-second limit they are not told.
//! Not a test: it measures, and the README's Benchmarks table records what it measured.
//!
//! ```sh
//! cargo run --example pacing                      # N = 200 creates and 200 updates
//! cargo run --example pacing -- 50                # another N
//! ```
//!
//! For each service and each simulated limit (4 and 10 requests/s, enforced as a one-second
//! window the client is not told; SmartHR still announces it in its headers, KOT announces
//! nothing), a client with its default limits creates N employees and then updates each one,
//! one at a time as an apply does. It reports the wall time of the writes, the refusals (429)
//! the simulator answered, and the ratio of the wall time to the least the limit allows
//! (2N / limit). Then it fetches 5,000 SmartHR crews at the documented 10 requests/s and
//! compares with the 50 pages / 10 per second that limit allows.
//!
//! Targets: ratio ≤ 1.10 with a handful of refusals for N = 200; the fetch within 1.10×.

use crewsync::http::{Limits, Secret};
use crewsync::model::{Employee, Field};
use crewsync::sim::{self, Company, SimConfig, SimLimits, Simulators};
use crewsync::{kot, smarthr};
use std::time::Instant;

fn newcomer(i: usize) -> Employee {
    Employee {
        code: Some(format!("B{i:05}")),
        last_name: Some("計測".into()),
        first_name: Some(format!("{i}号")),
        last_name_kana: Some("ケイソク".into()),
        first_name_kana: Some("タロウ".into()),
        gender: Some("male".into()),
        birth_date: "1990-04-01".parse().ok(),
        hire_date: "2024-04-01".parse().ok(),
        ..Employee::default()
    }
}

async fn simulators(company: Company, per_second: Option<u32>) -> Simulators {
    sim::start(SimConfig {
        company,
        kot_clock: Some(
            sim::SAMPLE_AS_OF
                .and_hms_opt(12, 0, 0)
                .unwrap()
                .and_local_timezone(sim::JST)
                .unwrap(),
        ),
        rate_limits: per_second.is_none(),
        limits: SimLimits {
            per_second,
            ..SimLimits::default()
        },
    })
    .await
    .expect("simulators start")
}

fn email(i: usize) -> Vec<(Field, Option<String>)> {
    vec![(Field::Email, Some(format!("b{i}@example.com")))]
}

async fn smarthr_writes(sims: &Simulators, n: usize) {
    let client = smarthr::Client::new(
        &sims.smarthr.base_url(),
        Secret::new(sim::SMARTHR_TOKEN),
        Limits::smarthr_default(),
    )
    .unwrap();
    let office = client.list_biz_establishments().await.unwrap()[0]
        .id
        .clone();
    let started = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let crew = client
            .create_crew(&newcomer(i), &office, None)
            .await
            .unwrap();
        ids.push(crew.target_id.unwrap());
    }
    for (i, id) in ids.iter().enumerate() {
        client.update_crew(id, &email(i)).await.unwrap();
    }
    report("SmartHR", sims.smarthr.refused_count(), started, n);
}

async fn kot_writes(sims: &Simulators, n: usize) {
    let client = kot::Client::new(
        &sims.kot.base_url(),
        Secret::new(sim::KOT_TOKEN),
        Limits::kot_default(),
    )
    .unwrap();
    let division = client.list_divisions().await.unwrap()[0].id.clone();
    let kind = client.list_working_types().await.unwrap()[0].id.clone();
    let started = Instant::now();
    let mut keys = Vec::with_capacity(n);
    for i in 0..n {
        let e = client
            .create_employee(&newcomer(i), &division, &kind)
            .await
            .unwrap();
        keys.push((e.target_id.clone().unwrap(), e.raw));
    }
    for (i, (key, current)) in keys.iter().enumerate() {
        client
            .update_employee(key, &email(i), current, sim::SAMPLE_AS_OF)
            .await
            .unwrap();
    }
    report("KING OF TIME", sims.kot.refused_count(), started, n);
}

static LIMIT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn report(service: &str, refused: usize, started: Instant, n: usize) {
    let wall = started.elapsed().as_secs_f64();
    let limit = f64::from(LIMIT.load(std::sync::atomic::Ordering::SeqCst));
    let least = (2 * n) as f64 / limit;
    println!(
        "{service:<13} limit {limit:>2}/s  N={n}: {wall:>6.1} s for {} writes (least {least:.1} s), {refused} refusals, ratio {:.3}",
        2 * n,
        wall / least
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    for limit in [4u32, 10] {
        LIMIT.store(limit, std::sync::atomic::Ordering::SeqCst);
        let sims = simulators(Company::empty(), Some(limit)).await;
        smarthr_writes(&sims, n).await;
        kot_writes(&sims, n).await;
    }
    let crews = 5_000;
    let sims = simulators(Company::generated(crews), None).await;
    let client = smarthr::Client::new(
        &sims.smarthr.base_url(),
        Secret::new(sim::SMARTHR_TOKEN),
        Limits::smarthr_default(),
    )
    .unwrap();
    let started = Instant::now();
    let got = client.list_crews(&|_, _| {}).await.unwrap();
    let wall = started.elapsed().as_secs_f64();
    let least = got.len().div_ceil(100) as f64 / 10.0;
    println!(
        "SmartHR fetch of {} crews at the documented 10/s: {wall:.2} s (least {least:.1} s), {} refusals, ratio {:.3}",
        got.len(),
        sims.smarthr.refused_count(),
        wall / least
    );
}
