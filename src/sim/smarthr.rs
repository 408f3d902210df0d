//! The SmartHR simulator: `/api/v1/crews`, `/biz_establishments`, `/employment_types`,
//! `/departments`, following `smarthr-api.md` (paging with `Link` and `x-total-count`, rate
//! headers on every response, errors as `{code, type, message, errors}`, nulls kept).
//!
//! Only Bearer auth is accepted (the documented Basic alternative is not simulated), and only
//! the 10-requests-per-second limit is enforced (not the hourly or per-subdomain ones).

use super::Refusal;
use super::faults::{FaultUpdate, Faults};
use super::limits::{Gauge, Reading, SimLimits};
use super::records::{Crew, SmartHrMasters, is_blank, set_strictly};
use super::server::{ConnHandle, Running, spawn};
use super::{SMARTHR_TOKEN, bearer_matches, next_id_seed, now_stamp, parse_body};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, OriginalUri, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

/// Requests per second per token (the unconfirmed but agreed-on number).
const PER_SECOND: u32 = 10;
/// What the rate headers announce when no limit is enforced.
const NO_LIMIT: u32 = 1_000_000;
const DEFAULT_PER_PAGE: usize = 10;
const MAX_PER_PAGE: usize = 100;
const REQUIRED_ON_CREATE: [&str; 6] = [
    "emp_status",
    "last_name",
    "first_name",
    "last_name_yomi",
    "first_name_yomi",
    "gender",
];
/// Once set, these cannot be blanked by PATCH.
const NOT_BLANKABLE: [&str; 6] = [
    "last_name",
    "first_name",
    "last_name_yomi",
    "first_name_yomi",
    "gender",
    "birth_at",
];
const EMP_STATUSES: [&str; 3] = ["employed", "absent", "retired"];
const GENDERS: [&str; 2] = ["male", "female"];

struct Data {
    masters: SmartHrMasters,
    crews: Vec<Crew>,
    by_id: HashMap<String, usize>,
}

impl Data {
    fn insert(&mut self, crew: Crew) {
        self.by_id.insert(crew.id.clone(), self.crews.len());
        self.crews.push(crew);
    }
}

struct SimState {
    data: RwLock<Data>,
    faults: Faults,
    requests: AtomicUsize,
    /// The documented 10/s (when `rate_limits`), or whatever a test set in its place.
    gauge: Gauge,
    rate_limits: bool,
}

impl SimState {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Data> {
        super::read(&self.data)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Data> {
        super::write(&self.data)
    }

    /// Seeds a crew as given; a missing id is generated. Returns it rendered.
    fn insert_raw(&self, v: &Value) -> Value {
        let mut crew = Crew::from_json(v);
        if crew.id.is_empty() {
            crew.id = super::ids::uuid_like(next_id_seed());
        }
        let mut data = self.write();
        let rendered = crew.to_json(&data.masters);
        data.insert(crew);
        rendered
    }
}

type St = State<Arc<SimState>>;

/// A running SmartHR simulator. Dropping it stops the server.
pub struct SmartHrSim {
    state: Arc<SimState>,
    running: Running,
}

impl SmartHrSim {
    pub(crate) async fn start(
        masters: SmartHrMasters,
        crews: Vec<Crew>,
        rate_limits: bool,
        limits: SimLimits,
        port: u16,
    ) -> std::io::Result<SmartHrSim> {
        let mut data = Data {
            masters,
            by_id: HashMap::with_capacity(crews.len()),
            crews: Vec::with_capacity(crews.len()),
        };
        for crew in crews {
            data.insert(crew);
        }
        let state = Arc::new(SimState {
            data: RwLock::new(data),
            faults: Faults::default(),
            requests: AtomicUsize::new(0),
            gauge: Gauge::new(limits),
            rate_limits,
        });
        let running = spawn(router(state.clone()), port).await?;
        Ok(SmartHrSim { state, running })
    }

    /// `http://127.0.0.1:PORT/api`: the client appends `/v1/...`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api", self.running.addr)
    }

    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// Every crew, rendered as the API returns it.
    pub fn crews(&self) -> Vec<Value> {
        let data = self.state.read();
        data.crews
            .iter()
            .map(|c| c.to_json(&data.masters))
            .collect()
    }

    /// Adds a crew as given (response or request shape), bypassing validation so tests can
    /// seed data the API would refuse. A missing `id` is generated. Returns the id.
    pub fn insert_crew(&self, crew: Value) -> String {
        let rendered = self.state.insert_raw(&crew);
        rendered["id"].as_str().unwrap_or_default().to_string()
    }

    /// API requests received so far (control endpoints not counted).
    pub fn request_count(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Replaces the limits enforced from now on (see [`SimLimits`]).
    pub fn set_limits(&self, limits: SimLimits) {
        self.state.gauge.set(limits);
    }

    /// Requests refused (429) by the rate limits so far, forced refusals not counted.
    pub fn refused_count(&self) -> usize {
        self.state.gauge.refused()
    }
}

fn router(state: Arc<SimState>) -> Router {
    let api = Router::new()
        .route("/api/v1/crews", get(list_crews).post(create_crew))
        .route(
            "/api/v1/crews/{id}",
            get(get_crew).patch(update_crew).put(update_crew),
        )
        .route("/api/v1/biz_establishments", get(list_biz_establishments))
        .route("/api/v1/employment_types", get(list_employment_types))
        .route("/api/v1/departments", get(list_departments))
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                4,
                "not_found",
                "リソースが見つかりません (no such API path)",
                None,
            )
        })
        .layer(middleware::from_fn_with_state(state.clone(), gate));
    let control = Router::new()
        .route("/_sim/faults", post(set_faults))
        .route("/_sim/limits", post(set_limits))
        .route("/_sim/state", get(sim_state))
        .route("/_sim/crews", post(sim_insert_crew));
    Router::new().merge(control).merge(api).with_state(state)
}

/// The SmartHR error body. `errors` is null or `[{message, resource, field}]`.
fn error(
    status: StatusCode,
    code: u8,
    kind: &str,
    message: &str,
    errors: Option<Value>,
) -> Response {
    let body = json!({"code": code, "type": kind, "message": message, "errors": errors});
    (status, Json(body)).into_response()
}

fn bad_request(message: &str, errors: Option<Value>) -> Response {
    error(StatusCode::BAD_REQUEST, 1, "bad_request", message, errors)
}

/// Auth, faults and rate limits in front of every API route; rate headers on every answer.
async fn gate(
    State(st): St,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    req: Request,
    next: Next,
) -> Response {
    st.requests.fetch_add(1, Ordering::SeqCst);
    let is_write = !matches!(*req.method(), Method::GET | Method::HEAD);
    let authorized = bearer_matches(req.headers(), SMARTHR_TOKEN);
    let verdict = authorized.then(|| {
        st.gauge
            .check(is_write, st.rate_limits.then_some(PER_SECOND))
    });
    let forced = authorized && st.faults.take_rate_limit();
    let limited = forced || verdict.as_ref().is_some_and(|v| !v.allowed);
    let mut response = if !authorized {
        error(
            StatusCode::UNAUTHORIZED,
            2,
            "unauthorized_token",
            "無効なアクセストークンです",
            None,
        )
    } else if limited {
        error(
            StatusCode::TOO_MANY_REQUESTS,
            6,
            "too_many_requests",
            "リクエスト数の上限に達しました。しばらくしてから再度お試しください",
            None,
        )
    } else if st.faults.echoes_authorization() {
        let echoed = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        Json(json!({"echo": {"headers": {"authorization": echoed}}})).into_response()
    } else if let Some(status) = st.faults.take_failure(is_write) {
        server_error(status)
    } else {
        if is_write && let Some(delay) = st.faults.take_write_delay() {
            tokio::time::sleep(delay).await;
        }
        let response = next.run(req).await;
        if is_write && st.faults.take_lost_response() {
            conn.drop_connection();
        }
        response
    };
    // The per-token set describes the long window when one is set (the per-second limit is
    // then not announced), else the per-second one. With no limit on, the headers say so
    // (a limit no client reaches), so a client that paces itself by them is not slowed down.
    let unlimited = Reading {
        limit: NO_LIMIT,
        remaining: NO_LIMIT,
        reset: 1,
    };
    let (main, intensive) = match &verdict {
        Some(v) => (v.long.or(v.per_second).unwrap_or(unlimited), v.intensive),
        None => (unlimited, None),
    };
    let headers = response.headers_mut();
    let mut put = |set: &str, r: Reading, forced_zero: bool| {
        let remaining = if forced_zero { 0 } else { r.remaining };
        for (what, value) in [
            ("limit", u64::from(r.limit)),
            ("remaining", u64::from(remaining)),
            ("reset", r.reset),
        ] {
            if let Ok(name) = header::HeaderName::from_bytes(format!("{set}-{what}").as_bytes()) {
                headers.insert(name, HeaderValue::from(value));
            }
        }
    };
    put("x-rate-limit", main, forced);
    if let Some(r) = intensive {
        put("x-intensive-rate-limit", r, false);
    }
    response
}

fn server_error(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        error(status, 9, "service_maintenance", "メンテナンス中です", None)
    } else {
        error(
            status,
            5,
            "internal_server_error",
            "サーバーエラーが発生しました",
            None,
        )
    }
}

type Params = Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>;

/// Request context needed to answer a list: the query as given and where it was sent.
struct ListRequest {
    page: usize,
    per_page: usize,
    params: HashMap<String, String>,
    path: String,
    raw_query: String,
    host: String,
}

/// `Err` is the message of the 400 answer.
fn list_request(
    params: Params,
    uri: &OriginalUri,
    headers: &HeaderMap,
) -> Result<ListRequest, Refusal> {
    let Query(params) = params.map_err(|e| format!("不正なクエリです: {e}"))?;
    Ok(ListRequest {
        page: number(&params, "page", 1)?,
        per_page: number(&params, "per_page", DEFAULT_PER_PAGE)?.min(MAX_PER_PAGE),
        params,
        path: uri.path().to_string(),
        raw_query: uri.query().unwrap_or_default().to_string(),
        host: headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_string(),
    })
}

/// A paging parameter; 0 counts as 1.
fn number(params: &HashMap<String, String>, name: &str, default: usize) -> Result<usize, Refusal> {
    match params.get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map(|n| n.max(1))
            .map_err(|_| format!("{name} must be a positive whole number, not '{v}'").into()),
    }
}

impl ListRequest {
    fn link(&self, page: usize) -> String {
        let mut parts: Vec<&str> = self
            .raw_query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .collect();
        let page = format!("page={page}");
        parts.push(&page);
        format!("http://{}{}?{}", self.host, self.path, parts.join("&"))
    }

    /// Answers one page of `total` items, rendering only that page, with `Link`,
    /// `x-total-count`, `x-page` and `x-per-page`.
    fn page(
        &self,
        total: usize,
        render: impl FnOnce(std::ops::Range<usize>) -> Vec<Value>,
    ) -> Response {
        self.page_of(total, |range| {
            Json(Value::Array(self.select_fields(render(range)))).into_response()
        })
    }

    /// A page with its paging headers; `body` renders the records in the range.
    fn page_of(
        &self,
        total: usize,
        body: impl FnOnce(std::ops::Range<usize>) -> Response,
    ) -> Response {
        let (page, per_page) = (self.page, self.per_page);
        let last = total.div_ceil(per_page).max(1);
        let start = (page - 1).saturating_mul(per_page).min(total);
        let end = start.saturating_add(per_page).min(total);
        let mut links = vec![format!("<{}>; rel=\"first\"", self.link(1))];
        if page > 1 {
            links.push(format!(
                "<{}>; rel=\"prev\"",
                self.link((page - 1).min(last))
            ));
        }
        if page < last {
            links.push(format!("<{}>; rel=\"next\"", self.link(page + 1)));
        }
        links.push(format!("<{}>; rel=\"last\"", self.link(last)));
        let mut response = body(start..end);
        let h = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&links.join(", ")) {
            h.insert(header::LINK, v);
        }
        h.insert("x-total-count", HeaderValue::from(total));
        h.insert("x-page", HeaderValue::from(page));
        h.insert("x-per-page", HeaderValue::from(per_page));
        response
    }

    /// `fields=a,b`: only those attributes.
    fn select_fields(&self, items: Vec<Value>) -> Vec<Value> {
        select_fields(self.params.get("fields"), items)
    }
}

fn select_fields(fields: Option<&String>, items: Vec<Value>) -> Vec<Value> {
    let Some(fields) = fields.filter(|f| !f.is_empty()) else {
        return items;
    };
    let wanted: Vec<&str> = fields.split(',').map(str::trim).collect();
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .filter(|(k, _)| wanted.contains(&k.as_str()))
                    .collect(),
            ),
            other => other,
        })
        .collect()
}

async fn list_crews(
    State(st): St,
    params: Params,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Response {
    let req = match list_request(params, &uri, &headers) {
        Ok(r) => r,
        Err(message) => return bad_request(&message.0, None),
    };
    let data = st.read();
    let emp_code = req.params.get("emp_code");
    let emp_status = req.params.get("emp_status");
    let matching: Vec<&Crew> = data
        .crews
        .iter()
        .filter(|c| emp_code.is_none_or(|code| c.emp_code.as_ref() == Some(code)))
        .filter(|c| emp_status.is_none_or(|s| c.emp_status.as_ref() == Some(s)))
        .collect();
    if req.params.get("fields").is_some_and(|f| !f.is_empty()) {
        return req.page(matching.len(), |range| {
            matching[range]
                .iter()
                .map(|c| c.to_json(&data.masters))
                .collect()
        });
    }
    // Without a field selection the crews are serialised directly, not through Values.
    req.page_of(matching.len(), |range| {
        let crews: Vec<_> = matching[range]
            .iter()
            .map(|c| c.json(&data.masters))
            .collect();
        Json(crews).into_response()
    })
}

/// One master list (establishments, employment types, departments), paged like the rest.
fn list_master(
    st: &SimState,
    params: Params,
    uri: &OriginalUri,
    headers: &HeaderMap,
    items: fn(&SmartHrMasters) -> Vec<Value>,
) -> Response {
    let all = items(&st.read().masters);
    list_all(params, uri, headers, all)
}

async fn list_biz_establishments(
    State(st): St,
    params: Params,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Response {
    list_master(&st, params, &uri, &headers, |m| {
        m.biz_establishments.iter().map(|b| b.to_json()).collect()
    })
}

async fn list_employment_types(
    State(st): St,
    params: Params,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Response {
    list_master(&st, params, &uri, &headers, |m| {
        m.employment_types.iter().map(|t| t.to_json()).collect()
    })
}

async fn list_departments(
    State(st): St,
    params: Params,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Response {
    list_master(&st, params, &uri, &headers, |m| {
        m.departments.iter().map(|d| d.to_json()).collect()
    })
}

fn list_all(params: Params, uri: &OriginalUri, headers: &HeaderMap, items: Vec<Value>) -> Response {
    match list_request(params, uri, headers) {
        Ok(req) => req.page(items.len(), |range| items[range].to_vec()),
        Err(message) => bad_request(&message.0, None),
    }
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        4,
        "not_found",
        &format!("従業員が見つかりません (no crew with id '{id}')"),
        None,
    )
}

async fn get_crew(State(st): St, Path(id): Path<String>, params: Params) -> Response {
    let fields = params.ok().and_then(|Query(p)| p.get("fields").cloned());
    let data = st.read();
    match data.by_id.get(&id) {
        Some(&i) => {
            let crew = data.crews[i].to_json(&data.masters);
            let mut items = select_fields(fields.as_ref(), vec![crew]);
            Json(items.pop().unwrap_or(Value::Null)).into_response()
        }
        None => not_found(&id),
    }
}

/// One validation problem, as `{message, resource, field}`.
fn problem(field: &str, message: String) -> Value {
    json!({"message": message, "resource": "crew", "field": field})
}

/// Applies a request body to `crew`, collecting every problem instead of stopping at the
/// first, as SmartHR lists them all.
fn apply_body(
    crew: &mut Crew,
    body: &Map<String, Value>,
    m: &SmartHrMasters,
    creating: bool,
) -> Vec<Value> {
    let mut problems = Vec::new();
    for (key, value) in body {
        if !creating && NOT_BLANKABLE.contains(&key.as_str()) && is_blank(value) {
            let had_value = match key.as_str() {
                "birth_at" => crew.birth_at.is_some(),
                _ => crew
                    .slot(key)
                    .is_some_and(|s| matches!(s, super::records::Slot::Text(t) if t.is_some())),
            };
            if had_value {
                problems.push(problem(
                    key,
                    format!("{key} cannot be blanked once it has a value"),
                ));
                continue;
            }
        }
        let result = match (key.as_str(), crew.slot(key)) {
            (_, Some(slot)) => set_strictly(slot, value),
            ("department_ids", None) => set_departments(crew, value, m),
            ("custom_fields", None) => set_custom_fields(crew, value, m),
            ("address", None) => set_address(crew, value),
            _ => Ok(()), // SmartHR ignores attributes it does not know
        };
        if let Err(message) = result {
            problems.push(problem(key, format!("{key}: {message}")));
        }
    }
    let enum_checks: [(&str, &Option<String>, &[&str]); 2] = [
        ("emp_status", &crew.emp_status, &EMP_STATUSES),
        ("gender", &crew.gender, &GENDERS),
    ];
    for (field, value, allowed) in enum_checks {
        if let Some(v) = value.as_deref().filter(|v| !allowed.contains(v)) {
            problems.push(problem(
                field,
                format!(
                    "{field} '{v}' is not allowed: use one of {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    if let Some(id) = crew
        .biz_establishment_id
        .as_deref()
        .filter(|id| !m.biz_establishments.iter().any(|b| b.id == *id))
    {
        problems.push(problem(
            "biz_establishment_id",
            format!("biz_establishment_id '{id}' does not exist: see GET /v1/biz_establishments"),
        ));
    }
    if let Some(id) = crew
        .employment_type_id
        .as_deref()
        .filter(|id| !m.employment_types.iter().any(|t| t.id == *id))
    {
        problems.push(problem(
            "employment_type_id",
            format!("employment_type_id '{id}' does not exist: see GET /v1/employment_types"),
        ));
    }
    if creating {
        for field in REQUIRED_ON_CREATE {
            let missing = crew
                .slot(field)
                .is_some_and(|s| matches!(s, super::records::Slot::Text(t) if t.is_none()));
            if missing {
                problems.push(problem(
                    field,
                    format!("{field} is required (を入力してください)"),
                ));
            }
        }
    }
    problems
}

/// An address object; blanking one that is set is refused above, as SmartHR refuses it.
fn set_address(crew: &mut Crew, value: &Value) -> Result<(), Refusal> {
    match value {
        Value::Object(_) => crew.address = Some(value.clone()),
        Value::Null => crew.address = None,
        other => return Err(format!("{other} is not an address object").into()),
    }
    Ok(())
}

fn set_departments(crew: &mut Crew, value: &Value, m: &SmartHrMasters) -> Result<(), Refusal> {
    let mut ids = Vec::new();
    super::records::set_strictly(super::records::Slot::List(&mut ids), value)?;
    if let Some(unknown) = ids
        .iter()
        .find(|id| !m.departments.iter().any(|d| &d.id == *id))
    {
        return Err(
            format!("department '{unknown}' does not exist: see GET /v1/departments").into(),
        );
    }
    crew.department_ids = ids;
    Ok(())
}

fn set_custom_fields(crew: &mut Crew, value: &Value, m: &SmartHrMasters) -> Result<(), Refusal> {
    let items = value
        .as_array()
        .ok_or_else(|| format!("{value} is not an array of {{template_id, value}}"))?;
    for item in items {
        let id = item["template_id"]
            .as_str()
            .ok_or_else(|| format!("{item} has no template_id"))?;
        if !m.custom_field_templates.iter().any(|t| t.id == id) {
            return Err(format!("custom field template '{id}' does not exist").into());
        }
        let v = item.get("value").cloned().unwrap_or(Value::Null);
        match crew.custom_fields.iter_mut().find(|(t, _)| t == id) {
            Some(slot) => slot.1 = v,
            None => crew.custom_fields.push((id.to_string(), v)),
        }
    }
    Ok(())
}

fn duplicate_code(data: &Data, crew: &Crew) -> Option<Value> {
    let code = crew.emp_code.as_ref()?;
    data.crews
        .iter()
        .any(|c| c.id != crew.id && c.emp_code.as_ref() == Some(code))
        .then(|| {
            problem(
                "emp_code",
                format!(
                    "emp_code '{code}' is already used by another crew (社員番号はすでに存在します)"
                ),
            )
        })
}

fn validation_failed(problems: Vec<Value>) -> Response {
    let message = problems
        .iter()
        .filter_map(|p| p["message"].as_str())
        .collect::<Vec<_>>()
        .join("; ");
    bad_request(&message, Some(Value::Array(problems)))
}

async fn create_crew(State(st): St, headers: HeaderMap, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(message) => return bad_request(&message.0, None),
    };
    let mut data = st.write();
    let now = now_stamp();
    let mut crew = Crew {
        id: super::ids::uuid_like(next_id_seed()),
        created_at: now.clone(),
        updated_at: now,
        ..Crew::default()
    };
    let mut problems = apply_body(&mut crew, &body, &data.masters, true);
    problems.extend(duplicate_code(&data, &crew));
    if !problems.is_empty() {
        return validation_failed(problems);
    }
    let rendered = crew.to_json(&data.masters);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let location = format!("http://{host}/api/v1/crews/{}", crew.id);
    data.insert(crew);
    let mut response = (StatusCode::CREATED, Json(rendered)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// PATCH, and PUT (which SmartHR has made behave exactly like PATCH).
async fn update_crew(State(st): St, Path(id): Path<String>, body: Bytes) -> Response {
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(message) => return bad_request(&message.0, None),
    };
    let mut data = st.write();
    let Some(&index) = data.by_id.get(&id) else {
        return not_found(&id);
    };
    let mut crew = data.crews[index].clone();
    let mut problems = apply_body(&mut crew, &body, &data.masters, false);
    if crew.emp_code != data.crews[index].emp_code {
        problems.extend(duplicate_code(&data, &crew));
    }
    if !problems.is_empty() {
        return validation_failed(problems);
    }
    crew.updated_at = now_stamp();
    let rendered = crew.to_json(&data.masters);
    data.crews[index] = crew;
    Json(rendered).into_response()
}

async fn set_faults(State(st): St, Json(update): Json<FaultUpdate>) -> Response {
    st.faults.apply(update)
}

async fn set_limits(State(st): St, Json(limits): Json<SimLimits>) -> Response {
    st.gauge.set(limits);
    Json(json!({ "limits": st.gauge.limits() })).into_response()
}

async fn sim_state(State(st): St) -> Response {
    let data = st.read();
    let crews: Vec<Value> = data
        .crews
        .iter()
        .map(|c| c.to_json(&data.masters))
        .collect();
    Json(json!({
        "request_count": st.requests.load(Ordering::SeqCst),
        "faults": st.faults.state(),
        "rate_limits": st.rate_limits,
        "limits": st.gauge.limits(),
        "refused": st.gauge.refused(),
        "crews": crews,
    }))
    .into_response()
}

async fn sim_insert_crew(State(st): St, Json(crew): Json<Value>) -> Response {
    (StatusCode::CREATED, Json(st.insert_raw(&crew))).into_response()
}
