//! The completion email: one message per apply (finished, stopped, interrupted or refused
//! before it began), so that
//! whoever scheduled an unattended sync hears about failures without opening the history.
//!
//! `smtp_url` forms (the port defaults to 587 for `smtp://`, 465 for `smtps://`):
//!
//! | URL | connection |
//! |---|---|
//! | `smtp://host:port` | STARTTLS when the server offers it, plain otherwise |
//! | `smtp://host:port?tls=required` | STARTTLS, and fail if the server does not offer it |
//! | `smtp://host:port?tls=none` | always plain (a local relay with no certificate) |
//! | `smtps://host:port` | TLS from the first byte (implicit TLS) |
//!
//! Credentials never go in the URL or the config file: `username_env` and `password_env` name
//! the environment variables that hold them, and no message or `Debug` output contains the
//! password.

use crate::history::{RunDetail, RunStatus, run_text};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use std::time::Duration;

/// Long enough for a slow relay, short enough that an unreachable server does not hold up the
/// end of a cron job for minutes.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The config file's `notify:` block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    pub smtp_url: String,
    pub from: String,
    pub to: Vec<String>,
    /// The name of the environment variable holding the SMTP user name (not the name itself).
    #[serde(default)]
    pub username_env: Option<String>,
    /// The name of the environment variable holding the SMTP password (not the password).
    #[serde(default)]
    pub password_env: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(
        "notify.smtp_url '{url}' {problem}; use smtp://host:port (STARTTLS when offered), smtp://host:port?tls=required, smtp://host:port?tls=none or smtps://host:port"
    )]
    BadUrl { url: String, problem: String },
    #[error(
        "notify.{field} '{value}' is not an email address ({reason}); write e.g. crewsync@example.com or \"crewsync <crewsync@example.com>\""
    )]
    BadAddress {
        field: &'static str,
        value: String,
        reason: String,
    },
    #[error("notify.to is empty; list at least one address to send the run report to")]
    NoRecipients,
    #[error(
        "notify.{given} is set but notify.{missing} is not; give both (the environment variables holding the SMTP user name and password), or neither to send without logging in"
    )]
    HalfCredentials {
        given: &'static str,
        missing: &'static str,
    },
    #[error(
        "the environment variable {var} (named by notify.{field}) is not set or is empty; export it before running crewsync"
    )]
    MissingEnv { var: String, field: &'static str },
    #[error("cannot set up TLS for {host}: {detail}")]
    Tls { host: String, detail: String },
    #[error("cannot build the email: {0}")]
    Build(String),
    #[error(
        "could not send the run report via {server}: {detail}; check notify.smtp_url, the credentials and that the server is reachable"
    )]
    Send { server: String, detail: String },
}

/// A composed message, before it is addressed and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Opportunistic,
    Required,
    Plain,
    Implicit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    host: String,
    port: u16,
    security: Security,
}

impl NotifyConfig {
    /// Checks everything that can be checked without sending, so a bad config is reported
    /// when crewsync starts rather than after the run has written to the target.
    pub fn validate(&self) -> Result<(), NotifyError> {
        parse_url(&self.smtp_url)?;
        self.mailboxes()?;
        self.credential_vars()?;
        Ok(())
    }

    fn mailboxes(&self) -> Result<(Mailbox, Vec<Mailbox>), NotifyError> {
        let from = parse_mailbox("from", &self.from)?;
        if self.to.is_empty() {
            return Err(NotifyError::NoRecipients);
        }
        let to = self
            .to
            .iter()
            .map(|addr| parse_mailbox("to", addr))
            .collect::<Result<_, _>>()?;
        Ok((from, to))
    }

    fn credential_vars(&self) -> Result<Option<(&str, &str)>, NotifyError> {
        match (&self.username_env, &self.password_env) {
            (Some(user), Some(password)) => Ok(Some((user, password))),
            (None, None) => Ok(None),
            (Some(_), None) => Err(NotifyError::HalfCredentials {
                given: "username_env",
                missing: "password_env",
            }),
            (None, Some(_)) => Err(NotifyError::HalfCredentials {
                given: "password_env",
                missing: "username_env",
            }),
        }
    }

    /// Reads the credentials at send time, so they live in memory only as long as the send.
    fn credentials(&self, env: &Env) -> Result<Option<Credentials>, NotifyError> {
        let Some((user_var, password_var)) = self.credential_vars()? else {
            return Ok(None);
        };
        let read = |var: &str, field| {
            env(var)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| NotifyError::MissingEnv {
                    var: var.to_string(),
                    field,
                })
        };
        let user = read(user_var, "username_env")?;
        let password = read(password_var, "password_env")?;
        crate::redact::register(&password);
        Ok(Some(Credentials::new(user, password)))
    }

    fn password(&self, env: &Env) -> Option<String> {
        self.password_env
            .as_deref()
            .and_then(env)
            .filter(|v| !v.is_empty())
    }
}

/// Where credentials are looked up: the process environment, or a map in tests (changing the
/// real environment while other test threads run is unsound).
type Env = dyn Fn(&str) -> Option<String> + Sync;

fn parse_mailbox(field: &'static str, value: &str) -> Result<Mailbox, NotifyError> {
    value
        .parse()
        .map_err(|e: lettre::address::AddressError| NotifyError::BadAddress {
            field,
            value: value.to_string(),
            reason: e.to_string(),
        })
}

fn parse_url(url: &str) -> Result<Endpoint, NotifyError> {
    let bad = |problem: &str| NotifyError::BadUrl {
        url: redact_userinfo(url),
        problem: problem.to_string(),
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("has no scheme"))?;
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let authority = match location.split_once('/') {
        Some((authority, "")) => authority,
        Some(_) => return Err(bad("has a path; give only host and port")),
        None => location,
    };
    if authority.contains('@') {
        return Err(bad(
            "contains credentials; put the user name and password in environment variables named by notify.username_env and notify.password_env",
        ));
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| bad("has a bad port"))?;
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    let mut tls = None;
    for pair in query.into_iter().flat_map(|q| q.split('&')) {
        match pair.split_once('=') {
            Some(("tls", value)) => tls = Some(value),
            _ => {
                return Err(bad(&format!(
                    "has an unknown parameter '{pair}'; only tls= is understood"
                )));
            }
        }
    }
    let (security, default_port) = match (scheme, tls) {
        ("smtp", None | Some("opportunistic")) => (Security::Opportunistic, 587),
        ("smtp", Some("required")) => (Security::Required, 587),
        ("smtp", Some("none")) => (Security::Plain, 587),
        ("smtp", Some(other)) => {
            return Err(bad(&format!(
                "has tls={other}; use tls=required, tls=opportunistic or tls=none"
            )));
        }
        ("smtps", None) => (Security::Implicit, 465),
        ("smtps", Some(_)) => {
            return Err(bad("combines smtps:// with tls=; smtps:// is always TLS"));
        }
        (other, _) => return Err(bad(&format!("has the scheme '{other}'"))),
    };
    Ok(Endpoint {
        host: host.to_string(),
        port: port.unwrap_or(default_port),
        security,
    })
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`; `None` when the port is not a number.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']')?;
            (host, after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    let port = port
        .map(|p| p.parse().ok())
        .map_or(Some(None), |p| p.map(Some))?;
    Some((host, port))
}

/// The URL with anything before an `@` replaced, for messages.
fn redact_userinfo(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://***{}", &url[at..]),
        _ => url.to_string(),
    }
}

/// The report for a run: the subject says what happened at a glance (failures first), the body
/// is the run's full text, as `crewsync history show` prints it.
pub fn compose(detail: &RunDetail) -> Email {
    let run = &detail.summary;
    let state = match run.status {
        RunStatus::Stopped => "stopped, ",
        RunStatus::Interrupted => "interrupted, ",
        RunStatus::Running => "still running, ",
        RunStatus::Refused => "refused, ",
        RunStatus::Completed | RunStatus::CompletedWithFailures => "",
    };
    let subject = format!(
        "[crewsync] {state}{}: {} as of {}",
        crate::history::counts_text(&run.counts),
        run.direction,
        run.as_of
    );
    let body = format!(
        "{}\nThis report is also in the sync history: crewsync history show {}\n",
        run_text(detail),
        run.id
    );
    // The body is `run_text`, whose record text is already made safe; the subject holds
    // none, but is made safe too so that no later edit can put a control character in a
    // mail header.
    let subject = crate::text::safe(&subject).into_owned();
    Email { subject, body }
}

/// Sends `email` to every `to` address. Errors name the server and never contain the password.
pub async fn send(cfg: &NotifyConfig, email: &Email) -> Result<(), NotifyError> {
    send_with_env(cfg, email, &|var| std::env::var(var).ok()).await
}

async fn send_with_env(cfg: &NotifyConfig, email: &Email, env: &Env) -> Result<(), NotifyError> {
    let endpoint = parse_url(&cfg.smtp_url)?;
    let (from, to) = cfg.mailboxes()?;
    let credentials = cfg.credentials(env)?;

    let mut builder = Message::builder().from(from).subject(email.subject.clone());
    for mailbox in to {
        builder = builder.to(mailbox);
    }
    let message = builder
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())
        .map_err(|e| NotifyError::Build(e.to_string()))?;

    let tls = |host: &str| {
        TlsParameters::new(host.to_string()).map_err(|e| NotifyError::Tls {
            host: host.to_string(),
            detail: e.to_string(),
        })
    };
    let host = endpoint.host.as_str();
    let tls = match endpoint.security {
        Security::Plain => Tls::None,
        Security::Opportunistic => Tls::Opportunistic(tls(host)?),
        Security::Required => Tls::Required(tls(host)?),
        Security::Implicit => Tls::Wrapper(tls(host)?),
    };
    let mut transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(endpoint.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    if let Some(credentials) = credentials {
        transport = transport.credentials(credentials);
    }
    match transport.build().send(message).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let mut detail = e.to_string();
            // A server may echo what it was sent; the password must not reach a log through it.
            if let Some(password) = cfg.password(env) {
                detail = detail.replace(&password, "***");
            }
            Err(NotifyError::Send {
                server: format!("{host}:{}", endpoint.port),
                detail,
            })
        }
    }
}

#[cfg(test)]
#[path = "../../tests/support/smtp.rs"]
mod test_smtp;

#[cfg(test)]
mod tests {
    use super::test_smtp::{Auth, SmtpServer};
    use super::*;

    fn config(port: u16) -> NotifyConfig {
        NotifyConfig {
            smtp_url: format!("smtp://127.0.0.1:{port}"),
            from: "crewsync@example.com".to_string(),
            to: vec!["hr-admin@example.com".to_string()],
            username_env: Some("TEST_SMTP_USER".to_string()),
            password_env: Some("TEST_SMTP_PASSWORD".to_string()),
        }
    }

    const PASSWORD: &str = "s3cret-パスワード";

    fn env(var: &str) -> Option<String> {
        match var {
            "TEST_SMTP_USER" => Some("mailer".to_string()),
            "TEST_SMTP_PASSWORD" => Some(PASSWORD.to_string()),
            _ => None,
        }
    }

    fn email() -> Email {
        Email {
            subject: "[crewsync] 1 created: smarthr-to-kot as of 2026-04-01".to_string(),
            body: "Created (1):\n  E001 佐藤 太郎\n".to_string(),
        }
    }

    #[tokio::test]
    async fn credentials_from_the_named_variables_reach_the_server() {
        let server = SmtpServer::start(Auth::Accept).await;
        send_with_env(&config(server.port), &email(), &env)
            .await
            .expect("sent");
        let received = server.messages();
        assert_eq!(received.len(), 1);
        assert_eq!(
            received[0].auth,
            Some(("mailer".to_string(), PASSWORD.to_string()))
        );
    }

    #[tokio::test]
    async fn a_refused_login_is_an_error_without_the_password() {
        let server = SmtpServer::start(Auth::Reject).await;
        let err = send_with_env(&config(server.port), &email(), &env)
            .await
            .expect_err("refused");
        assert!(server.messages().is_empty());
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(
                shown.contains(&format!("127.0.0.1:{}", server.port)),
                "{shown}"
            );
            assert!(!shown.contains(PASSWORD), "{shown}");
        }
    }

    #[tokio::test]
    async fn a_missing_variable_is_named_and_its_value_never_shown() {
        let cfg = NotifyConfig {
            password_env: Some("TEST_SMTP_UNSET".to_string()),
            ..config(1)
        };
        let err = send_with_env(&cfg, &email(), &env)
            .await
            .expect_err("unset");
        assert!(matches!(&err, NotifyError::MissingEnv { var, .. } if var == "TEST_SMTP_UNSET"));
        assert!(err.to_string().contains("TEST_SMTP_UNSET"), "{err}");
    }

    fn url(u: &str) -> Result<Endpoint, NotifyError> {
        parse_url(u)
    }

    #[test]
    fn url_forms_choose_the_connection_security_and_default_port() {
        let ep = |host: &str, port, security| Endpoint {
            host: host.to_string(),
            port,
            security,
        };
        assert_eq!(
            url("smtp://mail.example.com").ok(),
            Some(ep("mail.example.com", 587, Security::Opportunistic))
        );
        assert_eq!(
            url("smtp://mail.example.com:25/").ok(),
            Some(ep("mail.example.com", 25, Security::Opportunistic))
        );
        assert_eq!(
            url("smtp://m:2525?tls=required").ok(),
            Some(ep("m", 2525, Security::Required))
        );
        assert_eq!(
            url("smtp://127.0.0.1:2525?tls=none").ok(),
            Some(ep("127.0.0.1", 2525, Security::Plain))
        );
        assert_eq!(
            url("smtps://mail.example.com").ok(),
            Some(ep("mail.example.com", 465, Security::Implicit))
        );
        assert_eq!(
            url("smtp://[::1]:2525").ok(),
            Some(ep("::1", 2525, Security::Opportunistic))
        );
    }

    #[test]
    fn bad_urls_are_named_and_credentials_in_them_are_not_echoed() {
        for (bad, says) in [
            ("http://mail.example.com", "scheme 'http'"),
            ("mail.example.com:25", "no scheme"),
            ("smtp://mail.example.com:port", "bad port"),
            ("smtp://:25", "no host"),
            ("smtp://m?tls=always", "tls=always"),
            ("smtp://m?foo=1", "'foo=1'"),
            ("smtps://m?tls=none", "always TLS"),
            ("smtp://m/relay", "path"),
        ] {
            let message = url(bad).expect_err(bad).to_string();
            assert!(message.contains(says), "{bad}: {message}");
            assert!(message.contains(&format!("'{bad}'")), "{bad}: {message}");
        }
        let message = url("smtp://user:hunter2@m:25")
            .expect_err("creds")
            .to_string();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(message.contains("password_env"), "{message}");
    }
}
