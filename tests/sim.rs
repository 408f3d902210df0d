//! The simulators against raw HTTP: each test checks one documented behaviour of the real
//! APIs (see shared/reference) that the clients rely on.

use chrono::{DateTime, FixedOffset};
use crewsync::sim::{self, Company, KOT_TOKEN, SMARTHR_TOKEN, SimConfig, Simulators};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

/// Outside KOT's access windows.
const NOON: &str = "2026-04-01T12:00:00+09:00";

async fn start_with(company: Company, rate_limits: bool) -> Simulators {
    sim::start(SimConfig {
        company,
        kot_clock: Some(at(NOON)),
        rate_limits,
        limits: Default::default(),
    })
    .await
    .unwrap()
}

async fn start() -> Simulators {
    start_with(Company::sample(), false).await
}

fn smarthr(s: &Simulators, method: reqwest::Method, path: &str) -> RequestBuilder {
    Client::new()
        .request(method, format!("{}/v1{path}", s.smarthr.base_url()))
        .bearer_auth(SMARTHR_TOKEN)
}

fn kot(s: &Simulators, method: reqwest::Method, path: &str) -> RequestBuilder {
    Client::new()
        .request(method, format!("{}{path}", s.kot.base_url()))
        .bearer_auth(KOT_TOKEN)
}

async fn json_of(r: Response) -> Value {
    r.json().await.unwrap()
}

fn header(r: &Response, name: &str) -> String {
    r.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
        .to_string()
}

fn codes(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["code"].as_str().map(str::to_string))
        .collect()
}

use reqwest::Method as M;

#[tokio::test]
async fn smarthr_pages_past_100_with_link_and_total_count() {
    let s = start_with(Company::generated(250), false).await;
    let total = s.smarthr.crews().len();
    assert!(total > 200);
    let r = smarthr(&s, M::GET, "/crews?per_page=500&page=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "x-total-count"), total.to_string());
    let link = header(&r, "link");
    let host = s
        .smarthr
        .base_url()
        .replace("http://", "")
        .replace("/api", "");
    assert!(
        link.contains(&format!(
            "<http://{host}/api/v1/crews?per_page=500&page=2>; rel=\"next\""
        )),
        "{link}"
    );
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    assert!(
        link.contains("page=1>; rel=\"first\"") && !link.contains("rel=\"prev\""),
        "{link}"
    );
    assert_eq!(
        json_of(r).await.as_array().unwrap().len(),
        100,
        "per_page is clamped to 100"
    );

    let mut ids = std::collections::HashSet::new();
    for page in 1..=3 {
        let r = smarthr(&s, M::GET, &format!("/crews?per_page=100&page={page}"))
            .send()
            .await
            .unwrap();
        let link = header(&r, "link");
        assert_eq!(link.contains("rel=\"next\""), page < 3, "{link}");
        assert_eq!(link.contains("rel=\"prev\""), page > 1, "{link}");
        for c in json_of(r).await.as_array().unwrap() {
            ids.insert(c["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(ids.len(), total);
    let r = smarthr(&s, M::GET, "/crews").send().await.unwrap();
    assert_eq!(
        json_of(r).await.as_array().unwrap().len(),
        10,
        "default per_page"
    );
}

#[tokio::test]
async fn smarthr_crews_keep_nulls_and_filter_by_emp_code() {
    let s = start().await;
    let r = smarthr(&s, M::GET, "/crews?emp_code=00010")
        .send()
        .await
        .unwrap();
    let list = json_of(r).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let crew = &list[0];
    assert_eq!(crew["emp_code"], "00010");
    assert!(crew.as_object().unwrap().contains_key("resigned_at") && crew["resigned_at"].is_null());
    assert_eq!(crew["employment_type"]["name"], "正社員");
    assert!(crew["business_last_name"].is_string());
    assert_eq!(crew["departments"].as_array().unwrap().len(), 1);
    assert_eq!(crew["custom_fields"][0]["template"]["name"], "勤務地");
    let r = smarthr(&s, M::GET, "/crews?emp_code=00094")
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(r).await.as_array().unwrap().len(),
        2,
        "the sample's duplicate code"
    );
}

#[tokio::test]
async fn smarthr_wrong_token_is_401_in_the_documented_shape_with_rate_headers() {
    let s = start().await;
    let r = Client::new()
        .get(format!("{}/v1/crews", s.smarthr.base_url()))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    for h in [
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    ] {
        header(&r, h);
    }
    let body = json_of(r).await;
    assert_eq!(body["code"], 2);
    assert_eq!(body["type"], "unauthorized_token");
    assert!(body["message"].is_string());
    assert!(body.as_object().unwrap().contains_key("errors") && body["errors"].is_null());
}

#[tokio::test]
async fn rate_limit_fault_answers_429_in_each_apis_shape_then_recovers() {
    let s = start().await;
    s.smarthr.faults().rate_limit_next(1);
    let r = smarthr(&s, M::GET, "/crews").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&r, "x-rate-limit-remaining"), "0");
    assert_eq!(header(&r, "x-rate-limit-reset"), "1");
    let body = json_of(r).await;
    assert_eq!(
        (body["code"].clone(), body["type"].clone()),
        (json!(6), json!("too_many_requests"))
    );
    assert_eq!(
        smarthr(&s, M::GET, "/crews").send().await.unwrap().status(),
        StatusCode::OK
    );

    s.kot.faults().rate_limit_next(1);
    let r = kot(&s, M::GET, "/divisions").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        json_of(r).await,
        json!({"code": "303", "message": "Too Many Requests"})
    );
    assert_eq!(
        kot(&s, M::GET, "/divisions").send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn enforced_rate_limits_answer_429_on_a_burst() {
    let s = start_with(Company::sample(), true).await;
    let mut smarthr_limited = false;
    for _ in 0..200 {
        if smarthr(&s, M::GET, "/employment_types")
            .send()
            .await
            .unwrap()
            .status()
            == 429
        {
            smarthr_limited = true;
            break;
        }
    }
    assert!(
        smarthr_limited,
        "more than 10 requests in a second must be refused"
    );
    let mut kot_limited = false;
    for _ in 0..20 {
        let r = kot(&s, M::GET, "/working-types").send().await.unwrap();
        if r.status() == 429 {
            assert_eq!(json_of(r).await["code"], "303");
            kot_limited = true;
            break;
        }
    }
    assert!(
        kot_limited,
        "KOT allows a burst of about 5, then about 1 per second"
    );
}

#[tokio::test]
async fn kot_roster_follows_the_reference_date() {
    let s = start().await;
    let roster = |q: &'static str| {
        let req = kot(&s, M::GET, &format!("/employees?date=2026-04-01{q}"));
        async move { codes(&json_of(req.send().await.unwrap()).await) }
    };
    let plain = roster("").await;
    assert!(plain.contains(&"00088".into()), "hired on the date is in");
    assert!(
        !plain.contains(&"00089".into()),
        "hired the day after is out"
    );
    assert!(
        plain.contains(&"00093".into()),
        "resigned on the date is in"
    );
    assert!(
        !plain.contains(&"00091".into()),
        "resigned the day before is out"
    );
    let with_resigned = roster("&includeResigner=true").await;
    assert!(with_resigned.contains(&"00091".into()) && with_resigned.contains(&"00092".into()));
    assert!(
        !with_resigned.contains(&"00089".into()),
        "not yet hired stays out"
    );
    let osaka = roster("&division=2000").await;
    assert!(!osaka.is_empty() && osaka.len() < plain.len());

    // The default date is the simulator's JST date.
    let r = kot(&s, M::GET, "/employees").send().await.unwrap();
    assert_eq!(codes(&json_of(r).await), plain);
    let r = kot(&s, M::GET, "/employees/00091?date=2026-04-01")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(json_of(r).await["errors"][0]["message"].is_string());
    let r = kot(
        &s,
        M::GET,
        "/employees/00091?date=2026-04-01&includeResigner=true",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(json_of(r).await["code"], "00091");
}

#[tokio::test]
async fn kot_date_must_be_within_three_years_back_and_one_ahead() {
    let s = start().await;
    for (date, ok) in [
        ("2023-04-01", true),
        ("2023-03-31", false),
        ("2027-04-01", true),
        ("2027-04-02", false),
        ("2026/04/01", false),
    ] {
        let r = kot(&s, M::GET, &format!("/employees?date={date}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().is_success(), ok, "{date}");
        if !ok {
            assert_eq!(json_of(r).await["errors"][0]["code"], 2);
        }
    }
}

#[tokio::test]
async fn kot_additional_fields_only_and_nulls_left_out() {
    let s = start().await;
    let get = |path: &'static str| {
        let req = kot(&s, M::GET, path);
        async move { json_of(req.send().await.unwrap()).await }
    };
    let plain = get("/employees/00001").await;
    for key in [
        "code",
        "key",
        "lastName",
        "firstName",
        "divisionCode",
        "divisionName",
        "typeCode",
        "typeName",
        "gender",
        "employeeGroups",
    ] {
        assert!(
            plain.get(key).is_some(),
            "default property {key} missing: {plain}"
        );
    }
    for key in sim::KOT_ADDITIONAL_FIELDS {
        assert!(plain.get(key).is_none(), "{key} was not asked for");
    }
    let asked = get("/employees/00001?additionalFields=birthDate,emailAddresses").await;
    assert!(asked["birthDate"].is_string() && asked["emailAddresses"][0].is_string());
    assert!(asked.get("hiredDate").is_none());
    let no_birth = get("/employees/00085?additionalFields=birthDate,emailAddresses").await;
    assert!(
        no_birth.as_object().unwrap().get("birthDate").is_none(),
        "null is left out, not sent as null"
    );
    let no_mail = get("/employees/00086?additionalFields=emailAddresses").await;
    assert!(no_mail.get("emailAddresses").is_none());
    let r = kot(&s, M::GET, "/employees?additionalFields=nickname")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn kot_refuses_employee_calls_inside_the_access_windows() {
    let s = start().await;
    let expected = json!({"errors": [{
        "message": "次の時間帯（JST）はAPIへのアクセスが禁止されています [08:30 ～ 10:00, 17:30 ～ 18:30]",
        "code": 104
    }]});
    for (time, open) in [
        ("08:29:59", true),
        ("08:30:00", false),
        ("09:59:59", false),
        ("10:00:00", true),
        ("17:30:00", false),
        ("18:30:00", true),
    ] {
        s.kot.freeze_clock(at(&format!("2026-04-01T{time}+09:00")));
        for path in ["/employees", "/divisions", "/working-types"] {
            let r = kot(&s, M::GET, path).send().await.unwrap();
            if open {
                assert_eq!(r.status(), StatusCode::OK, "{time} {path}");
            } else {
                assert_eq!(r.status(), StatusCode::FORBIDDEN, "{time} {path}");
                assert_eq!(json_of(r).await, expected);
            }
        }
    }
    // The window is in JST whatever offset the clock was set with.
    s.kot.freeze_clock(at("2026-04-01T00:00:00+00:00"));
    assert_eq!(
        kot(&s, M::GET, "/divisions").send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn kot_wrong_token_is_403_code_100() {
    let s = start().await;
    let r = Client::new()
        .get(format!("{}/divisions", s.kot.base_url()))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        json_of(r).await,
        json!({"errors": [{"message": "認証に失敗しました", "code": 100}]})
    );
}

fn new_kot_employee(code: &str) -> Value {
    json!({"divisionCode": "2000", "gender": "female", "typeCode": "1", "code": code,
           "lastName": "新規", "firstName": "花子", "lastNamePhonetics": "シンキ",
           "hiredDate": "2026-04-01", "emailAddresses": ["hanako@example.co.jp"]})
}

fn kot_messages(body: &Value) -> String {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[tokio::test]
async fn kot_create_validates_required_fields_masters_and_duplicates() {
    let s = start().await;
    let r = kot(&s, M::POST, "/employees")
        .json(&json!({"code": "09999", "lastName": "欠落"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let msg = kot_messages(&json_of(r).await);
    for f in ["divisionCode", "gender", "typeCode", "firstName"] {
        assert!(msg.contains(f), "{msg}");
    }
    let mut unknown = new_kot_employee("09999");
    unknown["divisionCode"] = json!("9999");
    let r = kot(&s, M::POST, "/employees")
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(kot_messages(&json_of(r).await).contains("'9999'"));
    let r = kot(&s, M::POST, "/employees")
        .json(&new_kot_employee("00001"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(kot_messages(&json_of(r).await).contains("00001"));

    let r = kot(&s, M::POST, "/employees")
        .json(&new_kot_employee("09999"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created = json_of(r).await;
    let key = created["key"].as_str().unwrap();
    assert_eq!(key.len(), 64);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(created["divisionName"], "大阪支社");
    assert_eq!(created["lastNamePhonetics"], "シンキ");
    assert_eq!(created["code"], "09999", "leading zeros kept");
}

#[tokio::test]
async fn kot_put_changes_only_present_properties_and_clears_empty_ones() {
    let s = start().await;
    let before = json_of(
        kot(
            &s,
            M::GET,
            "/employees/00001?additionalFields=birthDate,emailAddresses,hiredDate",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let key = before["key"].as_str().unwrap();
    let body = json!({"lastNamePhonetics": "カエタ", "emailAddresses": [], "birthDate": null, "hiredDate": ""});
    let r = kot(
        &s,
        M::PUT,
        &format!("/employees/{key}?updateDate=2026-04-01"),
    )
    .json(&body)
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let after = json_of(r).await;
    assert_eq!(after["lastNamePhonetics"], "カエタ");
    assert_eq!(
        after["firstNamePhonetics"].as_str().map(|s| !s.is_empty()),
        Some(true),
        "every field is returned"
    );
    for cleared in ["emailAddresses", "birthDate", "hiredDate"] {
        assert!(
            after.get(cleared).is_none(),
            "{cleared} should be cleared: {after}"
        );
    }
    assert_eq!(after["lastName"], before["lastName"]);
    assert_eq!(after["divisionCode"], before["divisionCode"]);

    let r = kot(&s, M::PUT, &format!("/employees/{key}"))
        .json(&json!({"lastName": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "a required property cannot be cleared"
    );
    let r = kot(&s, M::PUT, "/employees/00000")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    s.kot.faults().require_full_put_body(true);
    let r = kot(&s, M::PUT, &format!("/employees/{key}"))
        .json(&json!({"lastNamePhonetics": "ア"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let msg = kot_messages(&json_of(r).await);
    assert!(
        msg.contains("divisionCode") && msg.contains("firstName"),
        "{msg}"
    );
}

fn new_crew(code: &str) -> Value {
    let c = Company::sample();
    json!({"emp_code": code, "emp_status": "employed", "last_name": "山田", "first_name": "太郎",
           "last_name_yomi": "ヤマダ", "first_name_yomi": "タロウ", "gender": "male",
           "birth_at": "1990-04-01", "entered_at": "2026-04-01", "email": "taro@example.com",
           "biz_establishment_id": c.smarthr.biz_establishments[1].id,
           "employment_type_id": c.smarthr.employment_types[0].id})
}

fn fields_of(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn smarthr_create_and_update_validate_like_the_reference() {
    let s = start().await;
    let r = smarthr(&s, M::POST, "/crews")
        .json(&json!({"emp_code": "09998"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = json_of(r).await;
    assert_eq!(body["code"], 1);
    let fields = fields_of(&body);
    for f in [
        "emp_status",
        "last_name",
        "first_name",
        "last_name_yomi",
        "first_name_yomi",
        "gender",
    ] {
        assert!(fields.contains(&f.to_string()), "{body}");
    }
    assert_eq!(body["errors"][0]["resource"], "crew");

    let mut bad = new_crew("09998");
    bad["biz_establishment_id"] = json!("no-such-office");
    bad["gender"] = json!("other");
    bad["birth_at"] = json!("1990/04/01");
    let body = json_of(
        smarthr(&s, M::POST, "/crews")
            .json(&bad)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let fields = fields_of(&body);
    for f in ["biz_establishment_id", "gender", "birth_at"] {
        assert!(fields.contains(&f.to_string()), "{body}");
    }
    let r = smarthr(&s, M::POST, "/crews")
        .json(&new_crew("00001"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(fields_of(&json_of(r).await), ["emp_code"]);

    let r = smarthr(&s, M::POST, "/crews")
        .json(&new_crew("09998"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = header(&r, "location");
    let crew = json_of(r).await;
    let id = crew["id"].as_str().unwrap();
    assert!(location.ends_with(&format!("/crews/{id}")));
    assert_eq!(crew["employment_type"]["name"], "正社員");
    assert_eq!(
        crew["biz_establishment_id"],
        new_crew("x")["biz_establishment_id"]
    );

    for blank in [
        json!({"last_name": ""}),
        json!({"birth_at": null}),
        json!({"emp_code": "00002"}),
    ] {
        let r = smarthr(&s, M::PATCH, &format!("/crews/{id}"))
            .json(&blank)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{blank}");
    }
    let r = smarthr(&s, M::PATCH, &format!("/crews/{id}"))
        .json(&json!({"email": "new@example.com", "resigned_at": "2026-05-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let updated = json_of(r).await;
    assert_eq!(
        (
            updated["email"].as_str(),
            updated["resigned_at"].as_str(),
            updated["last_name"].as_str()
        ),
        (Some("new@example.com"), Some("2026-05-31"), Some("山田"))
    );
    let r = smarthr(&s, M::PUT, "/crews/no-such-id")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(json_of(r).await["code"], 4);
}

#[tokio::test]
async fn failed_writes_are_not_applied_and_use_each_apis_error_shape() {
    let s = start().await;
    s.smarthr.faults().fail_next_writes(1, 503);
    let r = smarthr(&s, M::POST, "/crews")
        .json(&new_crew("09997"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_of(r).await["code"], 9);
    assert!(!s.smarthr.crews().iter().any(|c| c["emp_code"] == "09997"));
    s.kot.faults().fail_next_writes(1, 500);
    let r = kot(&s, M::POST, "/employees")
        .json(&new_kot_employee("09997"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        json_of(r).await,
        json!({"errors": [{"message": "Resource Server Error.", "code": 300}]})
    );
    assert!(!s.kot.employees().iter().any(|e| e["code"] == "09997"));
    s.kot.faults().fail_next_reads(1, 500);
    assert_eq!(
        kot(&s, M::GET, "/divisions").send().await.unwrap().status(),
        500
    );
    assert_eq!(
        kot(&s, M::GET, "/divisions").send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn a_lost_response_applies_the_write_but_the_client_sees_a_connection_error() {
    let s = start().await;
    s.kot.faults().lose_next_write_responses(1);
    let sent = kot(&s, M::POST, "/employees")
        .json(&new_kot_employee("09996"))
        .send()
        .await;
    assert!(sent.is_err(), "the client must not get an answer: {sent:?}");
    assert_eq!(
        s.kot
            .employees()
            .iter()
            .filter(|e| e["code"] == "09996")
            .count(),
        1
    );
    let r = kot(&s, M::GET, "/employees/09996").send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the server carries on after the dropped connection"
    );

    s.smarthr.faults().lose_next_write_responses(1);
    let sent = smarthr(&s, M::POST, "/crews")
        .json(&new_crew("09996"))
        .send()
        .await;
    assert!(sent.is_err(), "{sent:?}");
    assert_eq!(
        s.smarthr
            .crews()
            .iter()
            .filter(|c| c["emp_code"] == "09996")
            .count(),
        1
    );
}

#[tokio::test]
async fn control_endpoints_set_the_same_knobs_without_a_token() {
    let s = start().await;
    let http = Client::new();
    let kot_root = s.kot.base_url().replace("/v1.0", "");
    let smarthr_root = s.smarthr.base_url().replace("/api", "");

    let r = http
        .post(format!("{kot_root}/_sim/faults"))
        .json(&json!({"rate_limit_next": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        kot(&s, M::GET, "/divisions").send().await.unwrap().status(),
        429
    );

    let r = http
        .post(format!("{kot_root}/_sim/clock"))
        .json(&json!({"now": "2026-04-01T09:00:00+09:00", "frozen": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(r).await["in_access_window"], true);
    assert_eq!(
        kot(&s, M::GET, "/divisions").send().await.unwrap().status(),
        403
    );
    http.post(format!("{kot_root}/_sim/clock"))
        .json(&json!({"now": NOON}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        kot(&s, M::GET, "/divisions").send().await.unwrap().status(),
        200
    );

    let r = http
        .post(format!("{kot_root}/_sim/employees"))
        .json(&json!({"code": "07777", "lastName": "投入"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let state = json_of(
        http.get(format!("{kot_root}/_sim/state"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(codes(&state["employees"]).contains(&"07777".to_string()));
    assert_eq!(state["request_count"], s.kot.request_count());
    assert_eq!(s.kot.request_count(), 3, "control calls are not counted");

    http.post(format!("{smarthr_root}/_sim/faults"))
        .json(&json!({"fail_next_writes": {"count": 1, "status": 500}}))
        .send()
        .await
        .unwrap();
    let r = smarthr(&s, M::POST, "/crews")
        .json(&new_crew("09995"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(json_of(r).await["type"], "internal_server_error");
    let state = json_of(
        http.get(format!("{smarthr_root}/_sim/state"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        state["crews"].as_array().unwrap().len(),
        s.smarthr.crews().len()
    );
    assert_eq!(state["faults"]["fail_next_writes"]["count"], 0);
}

#[tokio::test]
async fn dropping_the_simulators_stops_them() {
    let s = start().await;
    let url = format!("{}/divisions", s.kot.base_url());
    drop(s);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        Client::new()
            .get(url)
            .bearer_auth(KOT_TOKEN)
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_empty_faults_body_resets_every_fault_on_both_simulators() {
    let s = start().await;
    let http = Client::new();
    let roots = [
        s.kot.base_url().replace("/v1.0", ""),
        s.smarthr.base_url().replace("/api", ""),
    ];
    for root in roots {
        let set = json_of(
            http.post(format!("{root}/_sim/faults"))
                .json(&json!({
                    "delay_writes": {"after": 0, "millis": 60000},
                    "fail_all_writes": 500,
                    "access_window_after_requests": 5,
                    "rate_limit_next": 2,
                }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(set["faults"]["delay_writes"]["millis"], 60000, "{set}");
        let reset = json_of(
            http.post(format!("{root}/_sim/faults"))
                .json(&json!({}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let state = json_of(http.get(format!("{root}/_sim/state")).send().await.unwrap()).await;
        let off = serde_json::to_value(sim::FaultState::default()).unwrap();
        assert_eq!(reset["faults"], off, "{reset}");
        assert_eq!(state["faults"], off, "{state}");
    }
}
