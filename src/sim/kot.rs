//! The KING OF TIME simulator: `/v1.0/employees`, `/divisions`, `/working-types`,
//! `/employee-groups`, following `kot-api.md`: roster as of a date, `additionalFields`, null
//! omission, partial PUT, access windows by the simulator's clock, both error shapes.
//!
//! The reference gives no error codes for "not found" or validation failures; the simulator
//! answers those with code 1 (not found) and code 2 (as for a malformed date).
//!
//! An employee hired after `date` is absent even with `includeResigner=true` (not yet
//! employed), so a client checking whether a create went through must ask with a `date` on or
//! after the hire date.

use super::Refusal;
use super::clock::{ClockUpdate, SimClock};
use super::faults::{FaultUpdate, Faults};
use super::limits::{Gauge, SimLimits};
use super::records::{
    KOT_ADDITIONAL_FIELDS, KOT_REQUIRED_FIELDS, KotEmployee, KotMasters, is_blank, parse_ymd,
    set_strictly,
};
use super::server::{ConnHandle, Running, spawn};
use super::{KOT_TOKEN, bearer_matches, next_id_seed, parse_body};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, FixedOffset, Months, NaiveDate};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// About one request per second sustained, with a small burst.
const BURST: f64 = 5.0;
const PER_SECOND: f64 = 1.0;
const CODE_NOT_FOUND: u16 = 1;
const CODE_INVALID: u16 = 2;
const CODE_AUTH: u16 = 100;
const CODE_WINDOW: u16 = 104;
const CODE_SERVER: u16 = 300;
const WINDOW_MESSAGE: &str =
    "次の時間帯（JST）はAPIへのアクセスが禁止されています [08:30 ～ 10:00, 17:30 ～ 18:30]";
const GENDERS: [&str; 3] = ["male", "female", "no_selected"];

struct Data {
    masters: KotMasters,
    employees: Vec<KotEmployee>,
    by_key: HashMap<String, usize>,
}

impl Data {
    fn insert(&mut self, e: KotEmployee) {
        self.by_key.insert(e.key.clone(), self.employees.len());
        self.employees.push(e);
    }

    fn render_all(&self, e: &KotEmployee) -> Value {
        e.to_json(&self.masters, |_| true)
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + (now - self.last).as_secs_f64() * PER_SECOND).min(BURST);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct SimState {
    data: RwLock<Data>,
    faults: Faults,
    requests: AtomicUsize,
    bucket: Mutex<Bucket>,
    /// Limits a test set in place of the default bucket (see [`SimLimits`]).
    gauge: Gauge,
    rate_limits: bool,
    clock: SimClock,
}

impl SimState {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Data> {
        super::read(&self.data)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Data> {
        super::write(&self.data)
    }

    /// Seeds an employee as given; a missing key is generated. Returns it rendered in full.
    fn insert_raw(&self, v: &Value) -> Value {
        let mut e = KotEmployee::from_json(v);
        if e.key.is_empty() {
            e.key = super::ids::kot_key(next_id_seed());
        }
        let mut data = self.write();
        let rendered = data.render_all(&e);
        data.insert(e);
        rendered
    }
}

type St = State<Arc<SimState>>;

/// A running KING OF TIME simulator. Dropping it stops the server.
pub struct KotSim {
    state: Arc<SimState>,
    running: Running,
}

impl KotSim {
    pub(crate) async fn start(
        masters: KotMasters,
        employees: Vec<KotEmployee>,
        rate_limits: bool,
        limits: SimLimits,
        clock: Option<DateTime<FixedOffset>>,
        port: u16,
    ) -> std::io::Result<KotSim> {
        let mut data = Data {
            masters,
            by_key: HashMap::with_capacity(employees.len()),
            employees: Vec::with_capacity(employees.len()),
        };
        for e in employees {
            data.insert(e);
        }
        let state = Arc::new(SimState {
            data: RwLock::new(data),
            faults: Faults::default(),
            requests: AtomicUsize::new(0),
            bucket: Mutex::new(Bucket {
                tokens: BURST,
                last: Instant::now(),
            }),
            gauge: Gauge::new(limits),
            rate_limits,
            clock: SimClock::new(clock),
        });
        let running = spawn(router(state.clone()), port).await?;
        Ok(KotSim { state, running })
    }

    /// `http://127.0.0.1:PORT/v1.0`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1.0", self.running.addr)
    }

    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// Sets the simulator's time; it keeps running from there.
    pub fn set_clock(&self, now: DateTime<FixedOffset>) {
        self.state.clock.set(now);
    }

    /// Sets the simulator's time and stops it there.
    pub fn freeze_clock(&self, now: DateTime<FixedOffset>) {
        self.state.clock.freeze(now);
    }

    /// The simulator's current time, in JST.
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.state.clock.now()
    }

    /// Every employee, whatever their dates, with every property (nulls left out).
    pub fn employees(&self) -> Vec<Value> {
        let data = self.state.read();
        data.employees.iter().map(|e| data.render_all(e)).collect()
    }

    /// Adds an employee as given in KOT's shape, bypassing validation. A missing `key` is
    /// generated. Returns the key.
    pub fn insert_employee(&self, e: Value) -> String {
        let rendered = self.state.insert_raw(&e);
        rendered["key"].as_str().unwrap_or_default().to_string()
    }

    /// API requests received so far (control endpoints not counted).
    pub fn request_count(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Replaces the limits enforced from now on (see [`SimLimits`]); a per-second one takes
    /// the place of the default bucket.
    pub fn set_limits(&self, limits: SimLimits) {
        self.state.gauge.set(limits);
    }

    /// Requests refused (429, code 303) by the limits a test set, forced refusals not counted.
    pub fn refused_count(&self) -> usize {
        self.state.gauge.refused()
    }
}

fn router(state: Arc<SimState>) -> Router {
    let api = Router::new()
        .route("/v1.0/employees", get(list_employees).post(create_employee))
        .route(
            "/v1.0/employees/{id}",
            get(get_employee).put(update_employee),
        )
        .route("/v1.0/divisions", get(list_divisions))
        .route("/v1.0/working-types", get(list_working_types))
        .route("/v1.0/employee-groups", get(list_employee_groups))
        .route("/v1.0/tokens/{token}/available", get(token_available))
        .fallback(|| async { errors(StatusCode::NOT_FOUND, CODE_NOT_FOUND, "No such API path.") })
        .layer(middleware::from_fn_with_state(state.clone(), gate));
    let control = Router::new()
        .route("/_sim/faults", post(set_faults))
        .route("/_sim/limits", post(set_limits))
        .route("/_sim/clock", post(set_clock))
        .route("/_sim/state", get(sim_state))
        .route("/_sim/employees", post(sim_insert_employee));
    Router::new().merge(control).merge(api).with_state(state)
}

/// KOT's standard error body: `{"errors": [{"message", "code"}]}`.
fn errors(status: StatusCode, code: u16, message: &str) -> Response {
    errors_list(status, code, &[message.to_string()])
}

fn errors_list(status: StatusCode, code: u16, messages: &[String]) -> Response {
    let items: Vec<Value> = messages
        .iter()
        .map(|m| json!({"message": m, "code": code}))
        .collect();
    (status, Json(json!({ "errors": items }))).into_response()
}

fn invalid(message: &str) -> Response {
    errors(StatusCode::BAD_REQUEST, CODE_INVALID, message)
}

/// Auth, rate limit, access window and injected faults, in front of every API route.
async fn gate(
    State(st): St,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    req: Request,
    next: Next,
) -> Response {
    st.requests.fetch_add(1, Ordering::SeqCst);
    let is_write = !matches!(*req.method(), Method::GET | Method::HEAD);
    // Token endpoints stay open during the windows, as on the real service.
    let windowed = !req.uri().path().starts_with("/v1.0/tokens/");
    if !bearer_matches(req.headers(), KOT_TOKEN) {
        return errors(StatusCode::FORBIDDEN, CODE_AUTH, "認証に失敗しました");
    }
    let bucket_refuses = st.rate_limits
        && !st.gauge.overrides_per_second()
        && !st.bucket.lock().unwrap_or_else(|e| e.into_inner()).take();
    let over_limit = bucket_refuses || !st.gauge.check(is_write, None).allowed;
    if st.faults.take_rate_limit() || over_limit {
        let body = json!({"code": "303", "message": "Too Many Requests"});
        return (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    }
    if windowed && (st.faults.window_opens_now() || st.clock.in_access_window()) {
        return errors(StatusCode::FORBIDDEN, CODE_WINDOW, WINDOW_MESSAGE);
    }
    if st.faults.echoes_authorization() {
        let echoed = req
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        return Json(json!({"echo": {"headers": {"authorization": echoed}}})).into_response();
    }
    if let Some(status) = st.faults.take_failure(is_write) {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return errors(status, CODE_SERVER, "Resource Server Error.");
    }
    if is_write && let Some(delay) = st.faults.take_write_delay() {
        tokio::time::sleep(delay).await;
    }
    let response = next.run(req).await;
    if is_write && st.faults.take_lost_response() {
        conn.drop_connection();
    }
    response
}

/// Serialises one item at a time: a roster of 100,000 as `Value`s would cost far more memory
/// than its JSON text.
fn json_array(items: impl Iterator<Item = Value>) -> Response {
    let mut out = Vec::with_capacity(4096);
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing a `Value` into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut out, &item);
    }
    out.push(b']');
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

type Params = Query<HashMap<String, String>>;

/// The roster parameters shared by the list and get-one endpoints.
struct RosterQuery {
    date: NaiveDate,
    include_resigner: bool,
    division: Option<String>,
    additional: Vec<String>,
}

impl RosterQuery {
    /// `Err` is the message of the 400 answer.
    fn parse(p: &HashMap<String, String>, today: NaiveDate) -> Result<RosterQuery, Refusal> {
        let date = match p.get("date") {
            None => today,
            Some(s) => {
                parse_ymd(s).ok_or_else(|| format!("date '{s}' is not a date: use YYYY-MM-DD"))?
            }
        };
        let earliest = today.checked_sub_months(Months::new(36)).unwrap_or(today);
        let latest = today.checked_add_months(Months::new(12)).unwrap_or(today);
        if date < earliest || date > latest {
            return Err(format!(
                "date {date} is out of range: use a date from {earliest} to {latest} (3 years back to 1 year ahead)"
            ).into());
        }
        let include_resigner = match p.get("includeResigner").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                return Err(format!("includeResigner '{other}' must be true or false").into());
            }
        };
        let additional: Vec<String> = p
            .get("additionalFields")
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(bad) = additional
            .iter()
            .find(|f| !KOT_ADDITIONAL_FIELDS.contains(&f.as_str()))
        {
            return Err(format!(
                "additionalFields '{bad}' is unknown: use any of {}",
                KOT_ADDITIONAL_FIELDS.join(",")
            )
            .into());
        }
        Ok(RosterQuery {
            date,
            include_resigner,
            division: p.get("division").cloned(),
            additional,
        })
    }

    fn includes(&self, e: &KotEmployee) -> bool {
        e.on_roster(self.date, self.include_resigner)
            && self
                .division
                .as_ref()
                .is_none_or(|d| e.division_code.as_ref() == Some(d))
    }

    fn render(&self, data: &Data, e: &KotEmployee) -> Value {
        e.to_json(&data.masters, |f| self.additional.iter().any(|a| a == f))
    }
}

async fn list_employees(State(st): St, Query(p): Params) -> Response {
    let q = match RosterQuery::parse(&p, st.clock.today()) {
        Ok(q) => q,
        Err(message) => return invalid(&message.0),
    };
    let data = st.read();
    json_array(
        data.employees
            .iter()
            .filter(|e| q.includes(e))
            .map(|e| q.render(&data, e)),
    )
}

async fn get_employee(State(st): St, Path(code): Path<String>, Query(p): Params) -> Response {
    let q = match RosterQuery::parse(&p, st.clock.today()) {
        Ok(q) => q,
        Err(message) => return invalid(&message.0),
    };
    let data = st.read();
    match data
        .employees
        .iter()
        .find(|e| e.code.as_ref() == Some(&code) && q.includes(e))
    {
        Some(e) => Json(q.render(&data, e)).into_response(),
        None => errors(
            StatusCode::NOT_FOUND,
            CODE_NOT_FOUND,
            &format!(
                "従業員が見つかりません: no employee with code '{code}' on {}",
                q.date
            ),
        ),
    }
}

/// Applies a POST or PUT body: only the properties present change, and a present but empty
/// value clears, except for the properties POST requires.
fn apply_body(e: &mut KotEmployee, body: &Map<String, Value>, m: &KotMasters) -> Vec<String> {
    let mut problems = Vec::new();
    for (key, value) in body {
        if KOT_REQUIRED_FIELDS.contains(&key.as_str()) && is_blank(value) {
            problems.push(format!("{key} is required and cannot be empty"));
            continue;
        }
        if let Some(slot) = e.slot(key)
            && let Err(message) = set_strictly(slot, value)
        {
            problems.push(format!("{key}: {message}"));
        }
    }
    if let Some(g) = e.gender.as_deref().filter(|g| !GENDERS.contains(g)) {
        problems.push(format!(
            "gender '{g}' is not allowed: use one of {}",
            GENDERS.join(", ")
        ));
    }
    if let Some(c) = e
        .division_code
        .as_deref()
        .filter(|c| !m.divisions.iter().any(|d| d.code == *c))
    {
        problems.push(format!(
            "divisionCode '{c}' does not exist: see GET /divisions"
        ));
    }
    if let Some(c) = e
        .type_code
        .as_deref()
        .filter(|c| !m.working_types.iter().any(|t| t.code == *c))
    {
        problems.push(format!(
            "typeCode '{c}' does not exist: see GET /working-types"
        ));
    }
    problems
}

fn duplicate_code(data: &Data, e: &KotEmployee) -> Option<String> {
    let code = e.code.as_ref()?;
    data.employees
        .iter()
        .any(|o| o.key != e.key && o.code.as_ref() == Some(code))
        .then(|| format!("code '{code}' is already used by another employee"))
}

fn missing_required(body: &Map<String, Value>) -> Vec<&'static str> {
    KOT_REQUIRED_FIELDS
        .into_iter()
        .filter(|f| !body.contains_key(*f))
        .collect()
}

fn missing_message(missing: &[&str]) -> String {
    format!("required properties are missing: {}", missing.join(", "))
}

async fn create_employee(State(st): St, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(message) => return invalid(&message.0),
    };
    let mut data = st.write();
    let mut e = KotEmployee {
        key: super::ids::kot_key(next_id_seed()),
        ..KotEmployee::default()
    };
    let mut problems = apply_body(&mut e, &body, &data.masters);
    let missing = missing_required(&body);
    if !missing.is_empty() {
        problems.insert(0, missing_message(&missing));
    }
    problems.extend(duplicate_code(&data, &e));
    if !problems.is_empty() {
        return errors_list(StatusCode::BAD_REQUEST, CODE_INVALID, &problems);
    }
    let rendered = data.render_all(&e);
    data.insert(e);
    (StatusCode::CREATED, Json(rendered)).into_response()
}

async fn update_employee(
    State(st): St,
    Path(key): Path<String>,
    Query(p): Params,
    body: Bytes,
) -> Response {
    if let Some(d) = p.get("updateDate").filter(|d| parse_ymd(d).is_none()) {
        return invalid(&format!("updateDate '{d}' is not a date: use YYYY-MM-DD"));
    }
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(message) => return invalid(&message.0),
    };
    if st.faults.full_put_body_required() {
        let missing = missing_required(&body);
        if !missing.is_empty() {
            return invalid(&missing_message(&missing));
        }
    }
    let mut data = st.write();
    let Some(&index) = data.by_key.get(&key) else {
        return errors(
            StatusCode::NOT_FOUND,
            CODE_NOT_FOUND,
            &format!("従業員が見つかりません: no employee with key '{key}'"),
        );
    };
    let mut e = data.employees[index].clone();
    let mut problems = apply_body(&mut e, &body, &data.masters);
    if e.code != data.employees[index].code {
        problems.extend(duplicate_code(&data, &e));
    }
    if !problems.is_empty() {
        return errors_list(StatusCode::BAD_REQUEST, CODE_INVALID, &problems);
    }
    let rendered = data.render_all(&e);
    data.employees[index] = e;
    Json(rendered).into_response()
}

async fn list_divisions(State(st): St) -> Response {
    let data = st.read();
    Json(
        data.masters
            .divisions
            .iter()
            .map(|d| d.to_json())
            .collect::<Vec<_>>(),
    )
    .into_response()
}

async fn list_working_types(State(st): St) -> Response {
    let data = st.read();
    Json(
        data.masters
            .working_types
            .iter()
            .map(|t| t.to_json())
            .collect::<Vec<_>>(),
    )
    .into_response()
}

async fn list_employee_groups(State(st): St) -> Response {
    let data = st.read();
    let groups: Vec<Value> = data
        .masters
        .employee_groups
        .iter()
        .map(|g| json!({"code": g.code, "name": g.name}))
        .collect();
    Json(groups).into_response()
}

async fn token_available(Path(token): Path<String>) -> Response {
    Json(json!({"available": token == KOT_TOKEN})).into_response()
}

async fn set_faults(State(st): St, Json(update): Json<FaultUpdate>) -> Response {
    st.faults.apply(update)
}

async fn set_limits(State(st): St, Json(limits): Json<SimLimits>) -> Response {
    st.gauge.set(limits);
    Json(json!({ "limits": st.gauge.limits() })).into_response()
}

async fn set_clock(State(st): St, Json(update): Json<ClockUpdate>) -> Response {
    st.clock.update(update);
    Json(json!({"now": st.clock.now(), "in_access_window": st.clock.in_access_window()}))
        .into_response()
}

async fn sim_state(State(st): St) -> Response {
    let data = st.read();
    let employees: Vec<Value> = data.employees.iter().map(|e| data.render_all(e)).collect();
    Json(json!({
        "request_count": st.requests.load(Ordering::SeqCst),
        "faults": st.faults.state(),
        "rate_limits": st.rate_limits,
        "limits": st.gauge.limits(),
        "refused": st.gauge.refused(),
        "now": st.clock.now(),
        "in_access_window": st.clock.in_access_window(),
        "employees": employees,
    }))
    .into_response()
}

async fn sim_insert_employee(State(st): St, Json(e): Json<Value>) -> Response {
    (StatusCode::CREATED, Json(st.insert_raw(&e))).into_response()
}
