//! The SmartHR client against the SmartHR simulator (and, for broken servers, tiny local ones).

#[path = "support/sims.rs"]
mod sims;

use crewsync::http::{ErrorKind, Limits, Secret};
use crewsync::model::{Employee, Field};
use crewsync::sim::{self, Company, Simulators};
use crewsync::smarthr::Client;
use sims::{closed_port, limits, serve, start, start_rate_limited};
use std::sync::Mutex;
use std::time::Duration;

fn client_for(sims: &Simulators, limits: Limits) -> Client {
    Client::new(
        &sims.smarthr.base_url(),
        Secret::new(sim::SMARTHR_TOKEN),
        limits,
    )
    .unwrap()
}

fn newcomer(code: &str) -> Employee {
    Employee {
        code: Some(code.to_string()),
        last_name: Some("試験".into()),
        first_name: Some("太郎".into()),
        last_name_kana: Some("シケン".into()),
        first_name_kana: Some("タロウ".into()),
        gender: Some("male".into()),
        birth_date: "1990-04-01".parse().ok(),
        email: Some(format!("{code}@example.com")),
        hire_date: "2024-04-01".parse().ok(),
        ..Employee::default()
    }
}

async fn first_office(client: &Client) -> String {
    client.list_biz_establishments().await.unwrap()[0]
        .id
        .clone()
}

fn crews_with_code(sims: &Simulators, code: &str) -> usize {
    sims.smarthr
        .crews()
        .iter()
        .filter(|c| c["emp_code"] == code)
        .count()
}

/// A server on 127.0.0.1 that answers every request with 200 and `body` as JSON.
async fn garbage_server(body: &'static str) -> String {
    let app = axum::Router::new()
        .fallback(move || async move { ([("content-type", "application/json")], body) });
    format!("http://{}/api", serve(app).await)
}

#[tokio::test]
async fn lists_every_crew_across_pages_of_100() {
    let sims = start(Company::generated(250)).await;
    let client = client_for(&sims, limits(0));
    let seen = Mutex::new(Vec::new());
    let crews = client
        .list_crews(&|n, total| seen.lock().unwrap().push((n, total)))
        .await
        .unwrap();
    let expected = sims.smarthr.crews().len();
    assert!(expected > 200, "three pages or more: {expected} crews");
    assert_eq!(crews.len(), expected);
    let mut ids: Vec<_> = crews.iter().map(|c| c.target_id.clone().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected, "no crew is listed twice");
    let seen = seen.into_inner().unwrap();
    assert!(seen.len() >= 3, "one progress report per page: {seen:?}");
    assert_eq!(seen.last(), Some(&(expected, Some(expected))));
}

#[tokio::test]
async fn a_validation_error_carries_the_servers_message_and_details() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(0));
    let office = first_office(&client).await;
    let taken = client.list_crews(&|_, _| {}).await.unwrap()[0]
        .code
        .clone()
        .unwrap();
    let err = client
        .create_crew(&newcomer(&taken), &office, None)
        .await
        .unwrap_err();
    match &err.kind {
        ErrorKind::Validation { message, details } => {
            assert!(!message.is_empty());
            assert!(
                details.iter().any(|d| d.contains("emp_code")),
                "details name the field: {details:?}"
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(err.to_string().contains("SmartHR"), "{err}");
    assert_eq!(crews_with_code(&sims, &taken), 1);
}

#[tokio::test]
async fn rate_limited_requests_are_retried_until_they_succeed() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(3));
    let before = sims.smarthr.request_count();
    sims.smarthr.faults().rate_limit_next(2);
    let offices = client.list_biz_establishments().await.unwrap();
    assert!(!offices.is_empty());
    assert_eq!(sims.smarthr.request_count() - before, 3);
}

#[tokio::test]
async fn rate_limit_beyond_the_retries_is_reported_as_such() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(1));
    sims.smarthr.faults().rate_limit_next(5);
    let err = client.list_employment_types().await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::RateLimited { .. }),
        "{:?}",
        err.kind
    );
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(2));
    sims.smarthr.faults().fail_next_reads(2, 503);
    assert!(client.list_employment_types().await.is_ok());

    let before = sims.smarthr.request_count();
    sims.smarthr.faults().fail_next_reads(10, 500);
    let err = client.list_employment_types().await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Server { status: 500, .. }),
        "{:?}",
        err.kind
    );
    assert_eq!(
        sims.smarthr.request_count() - before,
        3,
        "one try and two retries"
    );
}

#[tokio::test]
async fn a_lost_create_response_does_not_create_a_duplicate() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(3));
    let office = first_office(&client).await;
    sims.smarthr.faults().lose_next_write_responses(1);
    let created = client
        .create_crew(&newcomer("LOST01"), &office, None)
        .await
        .unwrap();
    assert_eq!(created.code.as_deref(), Some("LOST01"));
    assert_eq!(crews_with_code(&sims, "LOST01"), 1);
}

#[tokio::test]
async fn a_failed_create_is_retried_without_a_duplicate() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(3));
    let office = first_office(&client).await;
    sims.smarthr.faults().fail_next_writes(2, 503);
    let created = client
        .create_crew(&newcomer("RETRY01"), &office, None)
        .await
        .unwrap();
    assert_eq!(created.last_name.as_deref(), Some("試験"));
    assert_eq!(crews_with_code(&sims, "RETRY01"), 1);
}

#[tokio::test]
async fn leading_zero_codes_survive_create_and_list() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(0));
    let office = first_office(&client).await;
    let created = client
        .create_crew(&newcomer("000123"), &office, None)
        .await
        .unwrap();
    assert_eq!(created.code.as_deref(), Some("000123"));
    assert_eq!(
        created.office.as_ref().map(|o| o.id.as_str()),
        Some(office.as_str())
    );
    let listed = client.list_crews(&|_, _| {}).await.unwrap();
    assert!(listed.iter().any(|c| c.code.as_deref() == Some("000123")));
    let found = client.find_by_emp_code("000123").await.unwrap().unwrap();
    assert_eq!(found.target_id, created.target_id);
    assert!(client.find_by_emp_code("123").await.unwrap().is_none());
}

#[tokio::test]
async fn update_patches_only_the_given_fields_and_clears_with_none() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(0));
    let office = first_office(&client).await;
    let created = client
        .create_crew(&newcomer("PATCH01"), &office, None)
        .await
        .unwrap();
    let id = created.target_id.clone().unwrap();
    let updated = client
        .update_crew(
            &id,
            &[(Field::LastName, Some("更新".into())), (Field::Email, None)],
        )
        .await
        .unwrap();
    assert_eq!(updated.last_name.as_deref(), Some("更新"));
    assert_eq!(updated.email, None);
    assert_eq!(updated.first_name, created.first_name);
    assert_eq!(updated.birth_date, created.birth_date);
}

/// The client writes what the plan lists and nothing more: the status that goes with a
/// resignation date is the plan's change to show (see `emp_status`), not the client's to add.
#[tokio::test]
async fn an_update_writes_exactly_the_changes_given() {
    let sims = start(Company::sample()).await;
    let client = client_for(&sims, limits(0));
    let office = first_office(&client).await;
    let status = |e: &Employee| e.raw.to_value()["emp_status"].clone();
    let created = client
        .create_crew(&newcomer("LEFT01"), &office, None)
        .await
        .unwrap();
    assert_eq!(status(&created), "employed");
    let id = created.target_id.unwrap();
    let dated = client
        .update_crew(&id, &[(Field::ResignationDate, Some("2026-04-15".into()))])
        .await
        .unwrap();
    assert_eq!(
        status(&dated),
        "employed",
        "no status the plan did not list"
    );
    let retired = client
        .update_crew(
            &id,
            &[
                (Field::ResignationDate, Some("2026-04-15".into())),
                (Field::EmpStatus, Some("retired".into())),
            ],
        )
        .await
        .unwrap();
    assert_eq!(status(&retired), "retired");
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_never_shown() {
    let sims = start(Company::sample()).await;
    let token = "wrong-token-5f1c9e";
    let client = Client::new(&sims.smarthr.base_url(), Secret::new(token), limits(3)).unwrap();
    let before = sims.smarthr.request_count();
    let err = client.list_crews(&|_, _| {}).await.unwrap_err();
    assert!(err.is_auth(), "{:?}", err.kind);
    assert!(matches!(err.kind, ErrorKind::Unauthorized { .. }));
    assert_eq!(sims.smarthr.request_count() - before, 1, "not retried");
    assert!(!err.to_string().contains(token));
    assert!(!format!("{err:?}").contains(token));
    assert_eq!(format!("{:?}", Secret::new(token)), "***");
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let port = closed_port();
    let client = Client::new(
        &format!("http://127.0.0.1:{port}/api"),
        Secret::new("t"),
        limits(1),
    )
    .unwrap();
    let err = client.list_biz_establishments().await.unwrap_err();
    match &err.kind {
        ErrorKind::Unreachable { url, .. } => assert!(url.contains(&port.to_string())),
        other => panic!("expected unreachable, got {other:?}"),
    }
    assert!(err.to_string().contains("base_url"), "{err}");
}

#[tokio::test]
async fn a_body_that_is_not_json_is_malformed() {
    let base = garbage_server("<html>not json").await;
    let client = Client::new(&base, Secret::new("t"), limits(0)).unwrap();
    let err = client.list_employment_types().await.unwrap_err();
    assert!(
        matches!(&err.kind, ErrorKind::Malformed { detail } if detail.contains("<html>")),
        "{:?}",
        err.kind
    );
}

#[tokio::test]
async fn a_record_that_is_not_an_object_is_malformed() {
    let base = garbage_server("[42]").await;
    let client = Client::new(&base, Secret::new("t"), limits(0)).unwrap();
    let err = client.list_crews(&|_, _| {}).await.unwrap_err();
    assert!(
        matches!(err.kind, ErrorKind::Malformed { .. }),
        "{:?}",
        err.kind
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let app = axum::Router::new().fallback(|| async {
        (
            [
                ("content-type", "application/json"),
                (
                    "link",
                    "<http://198.51.100.7/api/v1/crews?page=2>; rel=\"next\"",
                ),
            ],
            r#"[{"id":"c1","emp_code":"1"}]"#,
        )
    });
    let client = Client::new(
        &format!("http://{}/api", serve(app).await),
        Secret::new("t"),
        limits(0),
    )
    .unwrap();
    let err = client.list_crews(&|_, _| {}).await.unwrap_err();
    assert!(
        matches!(&err.kind, ErrorKind::Malformed { detail } if detail.contains("198.51.100.7")),
        "{:?}",
        err.kind
    );
}

#[tokio::test]
async fn a_bad_base_url_is_a_config_error() {
    let err = Client::new("acme.smarthr.jp", Secret::new("t"), limits(0))
        .err()
        .unwrap();
    assert!(matches!(err.kind, ErrorKind::Config { .. }));
    assert!(err.to_string().contains("acme.smarthr.jp"), "{err}");
}

#[tokio::test]
async fn pacing_keeps_a_rate_limited_simulator_from_refusing() {
    let sims = start_rate_limited(Company::generated(250)).await;
    let limits = Limits {
        max_retries: 0,
        timeout: Duration::from_secs(30),
        ..Limits::smarthr_default()
    };
    let client = client_for(&sims, limits);
    for _ in 0..4 {
        client.list_employment_types().await.unwrap();
        client.list_biz_establishments().await.unwrap();
    }
    let crews = client.list_crews(&|_, _| {}).await.unwrap();
    assert_eq!(crews.len(), sims.smarthr.crews().len());
}
