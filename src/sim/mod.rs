//! Faithful in-memory simulators of the SmartHR and KING OF TIME Web APIs, on 127.0.0.1.
//!
//! The demo, `crewsync simulate` and every test run the clients against these, so they follow
//! `smarthr-api.md` and `kot-api.md` as closely as the clients do, including the awkward parts
//! (KOT's access windows, null omission and roster-as-of-date; SmartHR's paging headers and
//! rate headers on every answer). Where the reference is unsure, the simulator takes the
//! stricter reading or offers a knob (see [`Faults`]).
//!
//! Each simulator also serves control endpoints under `/_sim/` (no token needed), so a person
//! or a test driving a separate `crewsync simulate` process can set the same knobs:
//! `POST /_sim/faults` (a [`FaultUpdate`] as JSON; `{}` resets every fault), `POST
//! /_sim/limits` (a [`SimLimits`]: limits that differ from what the clients assume), `GET
//! /_sim/state`, `POST /_sim/crews` or
//! `POST /_sim/employees` (seed a record as given), and on KOT `POST /_sim/clock`
//! (`{"now": "2026-04-01T12:00:00+09:00", "frozen": false}`).

mod clock;
mod company;
mod faults;
mod ids;
mod kot;
mod limits;
mod records;
mod server;
mod smarthr;

pub use clock::{ClockUpdate, JST, KOT_WINDOWS, in_window};
pub use company::{Company, SAMPLE_AS_OF};
pub use faults::{DelayWrites, FailNext, FaultState, FaultUpdate, Faults};
pub use kot::KotSim;
pub use limits::SimLimits;
pub use records::{
    BizEstablishment, Crew, CustomFieldTemplate, Department, Division, EmployeeGroup,
    EmploymentType, KOT_ADDITIONAL_FIELDS, KOT_REQUIRED_FIELDS, KotEmployee, KotMasters,
    SmartHrMasters, WorkingType,
};
pub use smarthr::SmartHrSim;

use axum::http::{HeaderMap, header};
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// The only token the SmartHR simulator accepts.
pub const SMARTHR_TOKEN: &str = "sim-smarthr-token";
/// The only token the KOT simulator accepts.
pub const KOT_TOKEN: &str = "sim-kot-token";

/// How to run the simulators.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub company: Company,
    /// The KOT simulator's time (it runs on from there); `None` is the real time.
    pub kot_clock: Option<DateTime<FixedOffset>>,
    /// Enforce the documented limits: SmartHR 10 requests/s, KOT about 1/s with a burst of 5.
    pub rate_limits: bool,
    /// Limits that replace or add to those, the same for both simulators (each can be changed
    /// later with `set_limits`), so that the clients meet limits they were not told.
    pub limits: SimLimits,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            company: Company::sample(),
            kot_clock: None,
            rate_limits: true,
            limits: SimLimits::default(),
        }
    }
}

/// Both simulators, running. Dropping this (or [`Simulators::shutdown`]) stops them.
pub struct Simulators {
    pub smarthr: SmartHrSim,
    pub kot: KotSim,
}

impl Simulators {
    /// Stops both servers: no new connections, idle ones closed.
    pub fn shutdown(self) {}
}

/// Starts both simulators on free ports of 127.0.0.1, on the current tokio runtime.
pub async fn start(config: SimConfig) -> std::io::Result<Simulators> {
    start_on(config, 0, 0).await
}

async fn start_on(
    config: SimConfig,
    smarthr_port: u16,
    kot_port: u16,
) -> std::io::Result<Simulators> {
    let Company {
        smarthr,
        crews,
        kot,
        kot_employees,
    } = config.company;
    let smarthr = SmartHrSim::start(
        smarthr,
        crews,
        config.rate_limits,
        config.limits,
        smarthr_port,
    )
    .await
    .map_err(|e| cannot_listen("SmartHR", smarthr_port, "--smarthr-port", e))?;
    let kot = KotSim::start(
        kot,
        kot_employees,
        config.rate_limits,
        config.limits,
        config.kot_clock,
        kot_port,
    )
    .await
    .map_err(|e| cannot_listen("KING OF TIME", kot_port, "--kot-port", e))?;
    Ok(Simulators { smarthr, kot })
}

/// An error starting one simulator that names it, its port and the option that moves it: a
/// bare "Address in use" does not say which of the two ports is taken.
fn cannot_listen(simulator: &str, port: u16, option: &str, e: std::io::Error) -> std::io::Error {
    let hint = if e.kind() == std::io::ErrorKind::AddrInUse {
        format!(
            "; another program (perhaps another `crewsync simulate`) is using port {port}: stop it, or choose another port with {option}"
        )
    } else {
        String::new()
    };
    std::io::Error::new(
        e.kind(),
        format!("the {simulator} simulator cannot listen on 127.0.0.1:{port} ({e}){hint}"),
    )
}

/// For `crewsync simulate`: serves both simulators on the given ports (0 for any free one),
/// prints where and with which tokens, and runs until Ctrl-C.
pub async fn serve(config: SimConfig, smarthr_port: u16, kot_port: u16) -> std::io::Result<()> {
    let sims = start_on(config, smarthr_port, kot_port).await?;
    println!(
        "SmartHR simulator:      {}  (token: {SMARTHR_TOKEN})",
        sims.smarthr.base_url()
    );
    println!(
        "KING OF TIME simulator: {}  (token: {KOT_TOKEN})",
        sims.kot.base_url()
    );
    println!(
        "Control endpoints: POST <host>/_sim/faults, GET <host>/_sim/state,\n                   POST <kot host>/_sim/clock"
    );
    // The README starts them in the background (`&`), where Ctrl-C does not reach them: the
    // process id makes the way to stop them one that works when copied.
    println!(
        "Ctrl-C stops them; started in the background: kill {}",
        std::process::id()
    );
    tokio::signal::ctrl_c().await?;
    sims.shutdown();
    Ok(())
}

/// Whether the request carries `Authorization: Bearer <token>`.
fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == token)
}

/// Why a simulated server refuses a request: the message of its 400 answer, worded as the
/// real service words it (the clients' handling of it is what is tested), not a crewsync
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal(pub String);

impl From<String> for Refusal {
    fn from(message: String) -> Refusal {
        Refusal(message)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JSON object request body, or a message saying what is wrong with it.
fn parse_body(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("the request body must be a JSON object, not {other}").into()),
        Err(e) => Err(format!("the request body is not valid JSON: {e}").into()),
    }
}

/// Seeds for ids created at run time, distinct from the sample company's seeds.
fn next_id_seed() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1 << 56);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// SmartHR's timestamp format for records written at run time.
fn now_stamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A simulator's data behind its lock. A handler that panicked cannot leave the in-memory
/// records in a state the tests rely on, so a poisoned lock is used as it is rather than
/// taking every later request down with it.
fn read<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &std::sync::RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}
