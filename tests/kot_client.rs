//! The KING OF TIME client against the KOT simulator (and, for broken servers, a tiny local one).

#[path = "support/sims.rs"]
mod sims;

use crewsync::http::{ErrorKind, Limits, Secret};
use crewsync::kot::Client;
use crewsync::model::{Employee, Field};
use crewsync::sim::{self, Company, SAMPLE_AS_OF, Simulators};
use serde_json::json;
use sims::{at, closed_port, limits, serve, start, start_rate_limited};

fn client_for(sims: &Simulators, limits: Limits) -> Client {
    Client::new(&sims.kot.base_url(), Secret::new(sim::KOT_TOKEN), limits).unwrap()
}

fn newcomer(code: &str) -> Employee {
    Employee {
        code: Some(code.to_string()),
        last_name: Some("勤怠".into()),
        first_name: Some("花子".into()),
        last_name_kana: Some("キンタイ".into()),
        first_name_kana: Some("ハナコ".into()),
        gender: Some("female".into()),
        birth_date: "1991-05-02".parse().ok(),
        email: Some(format!("{code}@example.com")),
        hire_date: "2025-04-01".parse().ok(),
        ..Employee::default()
    }
}

/// A division and a working type that exist in the simulator.
async fn masters(client: &Client) -> (String, String) {
    let division = client.list_divisions().await.unwrap()[0].id.clone();
    let kind = client.list_working_types().await.unwrap()[0].id.clone();
    (division, kind)
}

fn employees_with_code(sims: &Simulators, code: &str) -> usize {
    sims.kot
        .employees()
        .iter()
        .filter(|e| e["code"] == code)
        .count()
}

#[tokio::test]
async fn lists_the_roster_with_every_synced_property() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(0));
    let roster = client.list_employees(SAMPLE_AS_OF, false).await.unwrap();
    assert!(!roster.is_empty());
    assert!(roster.iter().all(|e| e.employed_on(SAMPLE_AS_OF)));
    assert!(roster.iter().any(|e| e.last_name_kana.is_some()));
    assert!(roster.iter().any(|e| e.hire_date.is_some()));
    assert!(
        roster
            .iter()
            .all(|e| e.target_id.is_some() && e.office.is_some())
    );
    let with_leavers = client.list_employees(SAMPLE_AS_OF, true).await.unwrap();
    assert!(with_leavers.len() >= roster.len());
}

#[tokio::test]
async fn a_missing_property_reads_as_none() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(0));
    let (division, kind) = masters(&client).await;
    sims.kot.insert_employee(json!({
        "code": "SPARSE1", "lastName": "空欄", "firstName": "太郎", "gender": "male",
        "divisionCode": division, "typeCode": kind
    }));
    let e = client
        .get_employee("SPARSE1", SAMPLE_AS_OF)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.last_name.as_deref(), Some("空欄"));
    assert_eq!(e.birth_date, None);
    assert_eq!(e.email, None);
    assert_eq!(e.last_name_kana, None);
    assert_eq!(e.resignation_date, None);
    assert!(
        client
            .get_employee("NO-SUCH-CODE", SAMPLE_AS_OF)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn leading_zero_codes_survive_create_and_list() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(0));
    let (division, kind) = masters(&client).await;
    let created = client
        .create_employee(&newcomer("000456"), &division, &kind)
        .await
        .unwrap();
    assert_eq!(created.code.as_deref(), Some("000456"));
    assert_eq!(created.email.as_deref(), Some("000456@example.com"));
    assert!(created.target_id.is_some());
    let roster = client.list_employees(SAMPLE_AS_OF, false).await.unwrap();
    let listed = roster
        .iter()
        .find(|e| e.code.as_deref() == Some("000456"))
        .unwrap();
    assert_eq!(listed.office.as_ref().unwrap().id, division);
    assert_eq!(listed.employment_type.as_ref().unwrap().id, kind);
}

#[tokio::test]
async fn the_errors_array_shape_becomes_a_validation_error_with_the_message() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(0));
    let (_, kind) = masters(&client).await;
    let err = client
        .create_employee(&newcomer("BADDIV"), "NO-SUCH-DIVISION", &kind)
        .await
        .unwrap_err();
    match &err.kind {
        ErrorKind::Validation { message, .. } => {
            assert!(message.contains("NO-SUCH-DIVISION"), "{message}")
        }
        other => panic!("expected validation, got {other:?}"),
    }
    assert_eq!(employees_with_code(&sims, "BADDIV"), 0);
}

#[tokio::test]
async fn the_flat_303_shape_is_a_rate_limit_and_is_retried() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(3));
    let before = sims.kot.request_count();
    sims.kot.faults().rate_limit_next(2);
    assert!(!client.list_divisions().await.unwrap().is_empty());
    assert_eq!(sims.kot.request_count() - before, 3);

    let client = client_for(&sims, limits(0));
    sims.kot.faults().rate_limit_next(1);
    let err = client.list_divisions().await.unwrap_err();
    assert!(
        matches!(&err.kind, ErrorKind::RateLimited { message, .. } if message == "Too Many Requests"),
        "{:?}",
        err.kind
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(2));
    sims.kot.faults().fail_next_reads(2, 500);
    assert!(client.list_working_types().await.is_ok());

    let before = sims.kot.request_count();
    sims.kot.faults().fail_next_reads(10, 503);
    let err = client.list_working_types().await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Server { status: 503, .. }),
        "{:?}",
        err.kind
    );
    assert_eq!(sims.kot.request_count() - before, 3);
}

#[tokio::test]
async fn the_access_window_is_its_own_error_and_is_not_retried() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(3));
    sims.kot.set_clock(at(SAMPLE_AS_OF, 9, 0));
    let before = sims.kot.request_count();
    let err = client
        .list_employees(SAMPLE_AS_OF, false)
        .await
        .unwrap_err();
    assert!(err.is_access_window(), "{:?}", err.kind);
    assert!(!err.is_retryable());
    assert_eq!(sims.kot.request_count() - before, 1);
    assert!(err.to_string().contains("KING OF TIME"), "{err}");

    sims.kot.set_clock(at(SAMPLE_AS_OF, 17, 45));
    let (division, kind) = ("1000".to_string(), "1".to_string());
    let err = client
        .create_employee(&newcomer("WINDOW1"), &division, &kind)
        .await
        .unwrap_err();
    assert!(err.is_access_window(), "{:?}", err.kind);
    assert_eq!(employees_with_code(&sims, "WINDOW1"), 0);
}

#[tokio::test]
async fn a_lost_create_response_does_not_create_a_duplicate() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(3));
    let (division, kind) = masters(&client).await;
    sims.kot.faults().lose_next_write_responses(1);
    let created = client
        .create_employee(&newcomer("LOST02"), &division, &kind)
        .await
        .unwrap();
    assert_eq!(created.code.as_deref(), Some("LOST02"));
    assert_eq!(employees_with_code(&sims, "LOST02"), 1);
}

#[tokio::test]
async fn a_failed_create_is_retried_without_a_duplicate() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(3));
    let (division, kind) = masters(&client).await;
    sims.kot.faults().fail_next_writes(1, 500);
    client
        .create_employee(&newcomer("RETRY02"), &division, &kind)
        .await
        .unwrap();
    assert_eq!(employees_with_code(&sims, "RETRY02"), 1);
}

async fn update_and_check(sims: &Simulators, code: &str) {
    let client = client_for(sims, limits(0));
    let (division, kind) = masters(&client).await;
    let created = client
        .create_employee(&newcomer(code), &division, &kind)
        .await
        .unwrap();
    let key = created.target_id.clone().unwrap();
    let updated = client
        .update_employee(
            &key,
            &[
                (Field::FirstName, Some("次郎".into())),
                (Field::Email, None),
                (Field::ResignationDate, Some("2026-12-31".into())),
            ],
            &created.raw,
            SAMPLE_AS_OF,
        )
        .await
        .unwrap();
    assert_eq!(updated.first_name.as_deref(), Some("次郎"));
    assert_eq!(updated.email, None);
    assert_eq!(updated.resignation_date, "2026-12-31".parse().ok());
    assert_eq!(updated.last_name, created.last_name);
    assert_eq!(updated.birth_date, created.birth_date);
    assert_eq!(updated.office, created.office);
    let stored = client
        .get_employee(code, SAMPLE_AS_OF)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.first_name.as_deref(), Some("次郎"));
    assert_eq!(stored.email, None);
}

#[tokio::test]
async fn update_sends_only_the_changes_and_clears_with_empty_values() {
    let sims = start(Company::sample()).await;
    update_and_check(&sims, "PUT01").await;
}

#[tokio::test]
async fn update_falls_back_to_a_full_body_when_the_server_requires_one() {
    let sims = start(Company::sample()).await;
    sims.kot.faults().require_full_put_body(true);
    update_and_check(&sims, "PUT02").await;
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_never_shown() {
    let sims = start(Company::sample()).await;
    let token = "kot-wrong-token-77aa";
    let client = Client::new(&sims.kot.base_url(), Secret::new(token), limits(3)).unwrap();
    let before = sims.kot.request_count();
    let err = client.list_divisions().await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Unauthorized { .. }),
        "{:?}",
        err.kind
    );
    assert_eq!(sims.kot.request_count() - before, 1, "not retried");
    assert!(!err.to_string().contains(token));
    assert!(!format!("{err:?}").contains(token));
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = closed_port();
    let client = Client::new(
        &format!("http://127.0.0.1:{port}/v1.0"),
        Secret::new("t"),
        limits(1),
    )
    .unwrap();
    let err = client.list_divisions().await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Unreachable { .. }),
        "{:?}",
        err.kind
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_malformed() {
    let app = axum::Router::new()
        .fallback(|| async { ([("content-type", "application/json")], "{\"code\": \"10") });
    let addr = serve(app).await;
    let client = Client::new(&format!("http://{addr}/v1.0"), Secret::new("t"), limits(0)).unwrap();
    let err = client
        .list_employees(SAMPLE_AS_OF, false)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Malformed { .. }),
        "{:?}",
        err.kind
    );
    assert!(err.to_string().contains("base_url"), "{err}");
}

#[tokio::test]
async fn probing_past_the_documented_pace_costs_refusals_not_failures() {
    let sims = start_rate_limited(Company::sample()).await;
    // The limiter speeds up past the 1/s it starts at until KOT (about 1/s with a burst of 5)
    // refuses; each refusal pauses and is retried, so every call still succeeds.
    let client = client_for(
        &sims,
        Limits {
            max_retries: 3,
            ..Limits::kot_default()
        },
    );
    for _ in 0..4 {
        client.list_divisions().await.unwrap();
        client.list_working_types().await.unwrap();
    }
}
