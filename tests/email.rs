//! The completion email as a person receives it, through a real SMTP conversation with a
//! server on 127.0.0.1, and the config checks that run before any apply.

#[path = "support/smtp.rs"]
mod smtp;

use chrono::NaiveDate;
use crewsync::apply::{Action, ApplyResult, LeftKind, LeftOut, Outcome};
use crewsync::email::{self, NotifyConfig, NotifyError};
use crewsync::history::{History, PlannedWrite, RunDetail, RunEnd, RunLock, RunStart};
use crewsync::model::{Direction, Field};
use smtp::{Auth, SmtpServer};

const ERROR: &str = "KING OF TIME refused typeCode '99' (HTTP 400): not an employment type";

/// A run with one failure, two creates, one update (which held a clear back) and one employee
/// never reached.
fn finished_run(dir: &std::path::Path) -> RunDetail {
    let db = dir.join("history.sqlite");
    let lock = RunLock::acquire(&db).expect("lock");
    let history = History::open(&db).expect("open");
    let writes: Vec<PlannedWrite> = [
        ("E001", "佐藤 太郎", Action::Create),
        ("E002", "山田 花子", Action::Create),
        ("E003", "鈴木 一郎", Action::Update),
        ("E004", "高橋 美咲", Action::Create),
        ("E005", "伊藤 健", Action::Update),
    ]
    .into_iter()
    .map(|(code, name, action)| PlannedWrite {
        code: code.to_string(),
        name: name.to_string(),
        action,
        fields: vec![Field::LastName, Field::Email],
        changes: vec![],
    })
    .collect();
    let start = RunStart {
        direction: Direction::SmartHrToKot,
        as_of: NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"),
        user: "tanaka".to_string(),
        selection: "auto".into(),
        defaults: "office=本社, employment_type=正社員".to_string(),
        rules: None,
        planned: writes.clone(),
        left_out: vec![
            LeftOut {
                kind: LeftKind::Invalid,
                code: Some("E006".to_string()),
                name: "新人 次郎".to_string(),
                reason: "no office: pass --office or decide it in a rule".to_string(),
                why: None,
            },
            LeftOut {
                kind: LeftKind::NotSelected,
                code: Some("E007".to_string()),
                name: "生年 月子".to_string(),
                reason: "changed; not selected by rules/select.rhai:select (--select auto)"
                    .to_string(),
                why: None,
            },
            LeftOut {
                kind: LeftKind::Excluded,
                code: Some("E008".to_string()),
                name: "派遣 三郎".to_string(),
                reason: "contractor (rules/scope.rhai:exclude)".to_string(),
                why: None,
            },
        ],
        unchanged: 40,
    };
    let run = history.begin_run(&lock, &start).expect("begin");
    let outcomes = [
        (Outcome::Ok, None),
        (Outcome::Failed, Some(ERROR)),
        (Outcome::Ok, None),
        (Outcome::Ok, None),
    ];
    for (w, (outcome, error)) in writes.iter().zip(outcomes) {
        let result = ApplyResult {
            code: w.code.clone(),
            name: w.name.clone(),
            action: w.action,
            outcome,
            error: error.map(str::to_string),
            why: None,
            failure: None,
            fields: w.fields.clone(),
            // The update held back clearing an address the source could not read.
            not_cleared: if w.code == "E003" {
                vec![Field::Email]
            } else {
                Vec::new()
            },
        };
        history.record(&run, &result).expect("record");
    }
    history.finish(&run, &RunEnd::default()).expect("finish");
    history.show(run.as_str()).expect("show")
}

fn config(port: u16) -> NotifyConfig {
    NotifyConfig {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        from: "crewsync <crewsync@example.com>".to_string(),
        to: vec![
            "hr-admin@example.com".to_string(),
            "人事 <jinji@example.com>".to_string(),
        ],
        username_env: None,
        password_env: None,
    }
}

#[test]
fn the_subject_states_direction_date_and_counts_with_failures_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let email = email::compose(&finished_run(dir.path()));
    assert_eq!(
        email.subject,
        "[crewsync] 1 failed, 1 not attempted, 1 invalid, 1 not selected, 1 excluded, 2 created, 1 updated, 40 unchanged: smarthr-to-kot as of 2026-04-01"
    );
}

#[tokio::test]
async fn the_report_arrives_with_every_employee_and_failures_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let detail = finished_run(dir.path());
    let email = email::compose(&detail);
    let server = SmtpServer::start(Auth::Off).await;

    email::send(&config(server.port), &email)
        .await
        .expect("sent");

    let received = server.messages();
    assert_eq!(received.len(), 1, "one message for the run");
    let message = &received[0];
    assert_eq!(message.mail_from, "crewsync@example.com");
    assert_eq!(
        message.rcpt_to,
        ["hr-admin@example.com", "jinji@example.com"]
    );
    assert_eq!(
        message.header("Subject").as_deref(),
        Some(email.subject.as_str())
    );
    let body = message.body();
    let at = |needle: &str| {
        body.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing from the body:\n{body}"))
    };
    // What needs a person first: failures (with the error), the one never reached, invalid,
    // not selected and excluded employees with why; then what was written; then how many
    // were unchanged. Every employee of the plan is in it.
    assert!(at("Failed (1)") < at("E002 山田 花子"));
    assert!(at("E002 山田 花子") < at(ERROR));
    assert!(at(ERROR) < at("Not attempted (1)"));
    assert!(at("Not attempted (1)") < at("E005 伊藤 健"));
    assert!(at("E005 伊藤 健") < at("Invalid (1)"));
    assert!(at("Invalid (1)") < at("E006 新人 次郎"));
    assert!(at("E006 新人 次郎") < at("no office: pass --office"));
    assert!(at("no office: pass --office") < at("Not selected (1)"));
    assert!(at("Not selected (1)") < at("E007 生年 月子"));
    assert!(at("E007 生年 月子") < at("rules/select.rhai:select"));
    assert!(at("rules/select.rhai:select") < at("Excluded (1)"));
    assert!(at("Excluded (1)") < at("E008 派遣 三郎"));
    assert!(at("E008 派遣 三郎") < at("contractor (rules/scope.rhai:exclude)"));
    assert!(at("contractor") < at("Created (2)"));
    assert!(at("Created (2)") < at("E001 佐藤 太郎"));
    assert!(at("E001 佐藤 太郎") < at("E004 高橋 美咲"));
    assert!(at("E004 高橋 美咲") < at("Updated (1)"));
    assert!(at("Updated (1)") < at("E003 鈴木 一郎"));
    let held = "not cleared: email (unreadable in the source)";
    assert!(at("E003 鈴木 一郎") < at(held));
    assert!(at(held) < at("Unchanged: 40"));
    assert_eq!(body.matches("not cleared").count(), 1, "{body}");
    assert!(body.contains("office=本社, employment_type=正社員"));
    assert!(body.contains(&format!("crewsync history show {}", detail.summary.id)));
}

#[tokio::test]
async fn a_server_that_is_not_there_is_an_error_naming_it() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let email = email::Email {
        subject: "s".to_string(),
        body: "b".to_string(),
    };
    let err = email::send(&config(port), &email)
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, NotifyError::Send { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn the_config_block_is_read_strictly_and_checked_up_front() {
    let yaml = "smtp_url: smtp://mail.example.com:587\nfrom: crewsync@example.com\nto: [hr-admin@example.com]\nusername_env: SMTP_USERNAME\npassword_env: SMTP_PASSWORD\n";
    let cfg: NotifyConfig = serde_yaml_ng::from_str(yaml).expect("parses");
    cfg.validate().expect("valid");
    assert_eq!(cfg.password_env.as_deref(), Some("SMTP_PASSWORD"));

    let typo = format!("{yaml}pasword_env: X\n");
    let err = serde_yaml_ng::from_str::<NotifyConfig>(&typo).expect_err("unknown field");
    assert!(err.to_string().contains("pasword_env"), "{err}");

    let check = |cfg: NotifyConfig, says: &[&str]| {
        let message = cfg.validate().expect_err("invalid").to_string();
        for s in says {
            assert!(message.contains(s), "{s:?} missing from: {message}");
        }
    };
    check(
        NotifyConfig {
            from: "not an address".to_string(),
            ..cfg.clone()
        },
        &["notify.from", "'not an address'"],
    );
    check(
        NotifyConfig {
            to: vec!["hr-admin@".to_string()],
            ..cfg.clone()
        },
        &["notify.to", "'hr-admin@'"],
    );
    check(
        NotifyConfig {
            to: vec![],
            ..cfg.clone()
        },
        &["notify.to is empty"],
    );
    check(
        NotifyConfig {
            smtp_url: "imap://mail.example.com".to_string(),
            ..cfg.clone()
        },
        &["'imap://mail.example.com'", "scheme 'imap'"],
    );
    check(
        NotifyConfig {
            password_env: None,
            ..cfg.clone()
        },
        &["notify.username_env", "notify.password_env"],
    );
}
