//! The KING OF TIME client. Employees are read by code and written by their `key`; divisions
//! and working types are the master data a new employee needs. Every employee, division and
//! working-type call is refused in KOT's access windows (code 104), surfaced as
//! [`ErrorKind::AccessWindow`] and never retried.

mod convert;

pub use convert::{ADDITIONAL_FIELDS, employee_from_kot, employee_to_kot, field_key};

use convert::changes_to_kot;

use crate::http::{ApiError, Attempts, Budget, Call, ErrorKind, Limits, Notice, Secret, Transport};
use crate::model::json::{Fields, excerpt, object, text};
use crate::model::{Employee, Field, MasterItem, Service};
use chrono::NaiveDate;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::time::Duration;

/// The properties KOT requires in a create body, and (possibly) in a PUT body.
const REQUIRED: [&str; 6] = [
    "divisionCode",
    "gender",
    "typeCode",
    "code",
    "lastName",
    "firstName",
];

pub struct Client {
    t: Transport,
}

impl Client {
    /// `base_url` is the API root, e.g. `https://api.kingtime.jp/v1.0`.
    pub fn new(base_url: &str, token: Secret, limits: Limits) -> Result<Client, ApiError> {
        Ok(Client {
            t: Transport::new(Service::Kot, base_url, token, limits, classify)?,
        })
    }

    /// Where this client tells a person about waits and retries as they happen.
    pub fn on_notice(&self, notice: Notice) {
        self.t.on_notice(notice);
    }

    /// The request budget KING OF TIME reported last over a window longer than a second, if any.
    pub fn budget(&self) -> Option<Budget> {
        self.t.budget()
    }

    /// How long KING OF TIME stays paused (a refusal, an exhausted budget), as it changes.
    pub fn pause(&self) -> crate::http::Pause {
        self.t.pause()
    }

    /// The longest a request waits for an exhausted budget or a long reset before failing.
    pub fn set_max_wait(&self, wait: Duration) {
        self.t.set_max_wait(wait);
    }

    /// The roster as of `date` (KOT's own reference-date semantics), with every synced
    /// property; `include_resigner` adds those who have already left.
    pub async fn list_employees(
        &self,
        date: NaiveDate,
        include_resigner: bool,
    ) -> Result<Vec<Employee>, ApiError> {
        let call = self
            .roster(date, include_resigner)
            .query("additionalFields", ADDITIONAL_FIELDS);
        let reply = self.t.send_list(&call, Attempts::WithRetries).await?;
        reply.records(&self.t, employee_from_kot)
    }

    /// The employee codes on the roster as of `date`, leavers included. Asked without the
    /// additional fields, so that a caller after a few codes of a long roster reads (and holds)
    /// far less than the roster.
    pub async fn list_codes(&self, date: NaiveDate) -> Result<Vec<String>, ApiError> {
        let reply = self
            .t
            .send_list(&self.roster(date, true), Attempts::WithRetries)
            .await?;
        // Read as `employee_from_kot` reads the code.
        let codes = reply.records(&self.t, |record| {
            Fields::parse(record.get(), "employee").map(|fields| fields.text("code"))
        })?;
        Ok(codes.into_iter().flatten().collect())
    }

    /// `GET /employees` as of `date`.
    fn roster(&self, date: NaiveDate, include_resigner: bool) -> Call<'_> {
        Call::new(Method::GET, self.t.url(&["employees"]))
            .query("date", date)
            .query("includeResigner", include_resigner)
    }

    /// One employee by code as of `date`, leavers included; `None` when KOT has no such code.
    pub async fn get_employee(
        &self,
        code: &str,
        date: NaiveDate,
    ) -> Result<Option<Employee>, ApiError> {
        self.get(code, date, Attempts::WithRetries).await
    }

    /// Creates an employee in a division with an employment type (both required by KOT).
    pub async fn create_employee(
        &self,
        e: &Employee,
        division_code: &str,
        type_code: &str,
    ) -> Result<Employee, ApiError> {
        let code = e.code.as_deref().ok_or_else(|| {
            self.t.error(ErrorKind::Validation {
                message: format!(
                    "cannot create '{}' without an employee code",
                    e.display_name()
                ),
                details: Vec::new(),
            })
        })?;
        let mut body = employee_to_kot(e);
        body.insert("divisionCode".into(), division_code.into());
        body.insert("typeCode".into(), type_code.into());
        let body = Value::Object(body);
        // A lookup must see the new employee even if it is hired in the future or has already
        // left: as of its hire date when that is later than today, with leavers included.
        let today = crate::clock::today_jst();
        let as_of = e.hire_date.filter(|h| *h > today).unwrap_or(today);
        let call = Call::new(Method::POST, self.t.url(&["employees"])).json(&body);
        self.t
            .create(
                &call,
                || self.get(code, as_of, Attempts::Once),
                |reply| self.convert(reply.json(&self.t)?),
            )
            .await
    }

    /// PUTs only the changed fields; `None` clears one. `update_date` is the day from which a
    /// division or employment-type change applies.
    ///
    /// `current` is the record as the plan read it: a change to part of a larger value (the
    /// first of `emailAddresses`) keeps the rest of it.
    ///
    /// Whether KOT accepts a partial body is unconfirmed (kot-api.md §6). If it answers that
    /// required properties are missing, the body is sent again with the required properties
    /// KOT lacked, copied from `current`, and nothing else: every property left out stays as
    /// it is, since PUT updates only the properties present.
    pub async fn update_employee(
        &self,
        key: &str,
        changes: &[(Field, Option<String>)],
        current: &crate::model::Raw,
        update_date: NaiveDate,
    ) -> Result<Employee, ApiError> {
        let partial = changes_to_kot(changes, current);
        match self.put(key, &partial, update_date).await {
            Err(err) if wants_full_body(&err, &partial) => {
                let full = with_required(&partial, current);
                self.put(key, &full, update_date).await
            }
            result => result,
        }
    }

    pub async fn list_divisions(&self) -> Result<Vec<MasterItem>, ApiError> {
        self.list_masters("divisions").await
    }

    /// KOT's employment types (雇用区分), whose code employees carry as `typeCode`.
    pub async fn list_working_types(&self) -> Result<Vec<MasterItem>, ApiError> {
        self.list_masters("working-types").await
    }

    async fn get(
        &self,
        code: &str,
        date: NaiveDate,
        attempts: Attempts,
    ) -> Result<Option<Employee>, ApiError> {
        let call = Call::new(Method::GET, self.t.url(&["employees", code]))
            .query("date", date)
            .query("includeResigner", true)
            .query("additionalFields", ADDITIONAL_FIELDS);
        match self.t.send(&call, attempts).await {
            Ok(reply) => self.convert(reply.json(&self.t)?).map(Some),
            Err(ApiError {
                kind: ErrorKind::NotFound { .. },
                ..
            }) => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Re-sending the same PUT sets the same values again, so it is retried like a read.
    async fn put(
        &self,
        key: &str,
        body: &Map<String, Value>,
        update_date: NaiveDate,
    ) -> Result<Employee, ApiError> {
        let body = Value::Object(body.clone());
        let call = Call::new(Method::PUT, self.t.url(&["employees", key]))
            .query("updateDate", update_date)
            .json(&body);
        let reply = self.t.send(&call, Attempts::WithRetries).await?;
        self.convert(reply.json(&self.t)?)
    }

    async fn list_masters(&self, path: &str) -> Result<Vec<MasterItem>, ApiError> {
        let call = Call::new(Method::GET, self.t.url(&[path]));
        let records: Vec<Value> = self
            .t
            .send_list(&call, Attempts::WithRetries)
            .await?
            .json(&self.t)?;
        records
            .iter()
            .map(|r| {
                let obj = object(r, path).map_err(|d| self.t.malformed(d.to_string()))?;
                let id = text(obj, "code").ok_or_else(|| {
                    self.t.malformed(format!(
                        "a {path} record has no code: {}",
                        excerpt(&r.to_string())
                    ))
                })?;
                let name = text(obj, "name").unwrap_or_else(|| id.clone());
                Ok(MasterItem { id, name })
            })
            .collect()
    }

    fn convert(&self, record: Box<RawValue>) -> Result<Employee, ApiError> {
        employee_from_kot(record).map_err(|d| self.t.malformed(d.to_string()))
    }
}

/// `partial` plus each of KOT's [`REQUIRED`] properties it lacks, as `current` holds them.
fn with_required(partial: &Map<String, Value>, current: &crate::model::Raw) -> Map<String, Value> {
    let mut body = partial.clone();
    if let Value::Object(record) = current.to_value() {
        for key in REQUIRED {
            if let (false, Some(v)) = (body.contains_key(key), record.get(key)) {
                body.insert(key.to_string(), v.clone());
            }
        }
    }
    body
}

/// Whether a 400 to a partial PUT says that required properties are missing (naming one we
/// left out, or saying "required"/必須), so that the full body is worth sending.
fn wants_full_body(err: &ApiError, sent: &Map<String, Value>) -> bool {
    let ErrorKind::Validation { message, details } = &err.kind else {
        return false;
    };
    if REQUIRED.iter().all(|k| sent.contains_key(*k)) {
        return false;
    }
    let text = std::iter::once(message)
        .chain(details)
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ");
    ["required", "必須", "missing"]
        .iter()
        .any(|w| text.contains(w))
        || REQUIRED
            .iter()
            .any(|k| !sent.contains_key(*k) && text.contains(&k.to_lowercase()))
}

/// KOT's error bodies: `{"errors":[{"message","code"}]}`, or flat `{"code":"303","message"}`
/// with the code as a string. Codes are compared as text so both spellings match.
fn classify(status: StatusCode, headers: &HeaderMap, text: &str) -> ErrorKind {
    let errors: Vec<(Option<String>, Option<String>)> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(obj)) => match obj.get("errors").and_then(Value::as_array) {
            Some(items) => items
                .iter()
                .filter_map(Value::as_object)
                .map(|e| (code_of(e), crate::model::json::text(e, "message")))
                .collect(),
            None => vec![(code_of(&obj), crate::model::json::text(&obj, "message"))],
        },
        _ => Vec::new(),
    };
    let has = |code: &str| errors.iter().any(|(c, _)| c.as_deref() == Some(code));
    let messages: Vec<String> = errors.iter().filter_map(|(_, m)| m.clone()).collect();
    let message = if messages.is_empty() {
        excerpt(text)
    } else {
        messages.join("; ")
    };
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    if has("104") {
        ErrorKind::AccessWindow { message }
    } else if status == StatusCode::TOO_MANY_REQUESTS || has("303") {
        ErrorKind::RateLimited {
            message,
            retry_after,
        }
    } else if has("100") {
        ErrorKind::Unauthorized { message }
    } else {
        let details = if errors.len() > 1 {
            errors
                .iter()
                .map(|(c, m)| match c {
                    Some(c) => format!("{} (code {c})", m.as_deref().unwrap_or("")),
                    None => m.clone().unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        };
        ErrorKind::from_status(status, message, details, retry_after)
    }
}

fn code_of(obj: &Map<String, Value>) -> Option<String> {
    crate::model::json::text(obj, "code")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: u16, body: &str) -> ErrorKind {
        classify(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            body,
        )
    }

    #[test]
    fn access_window_is_recognised_by_code_not_text() {
        let body = r#"{"errors":[{"message":"次の時間帯（JST）はAPIへのアクセスが禁止されています [08:30 ～ 10:00, 17:30 ～ 18:30]","code":104}]}"#;
        assert!(
            matches!(kind(403, body), ErrorKind::AccessWindow { message } if message.contains("08:30"))
        );
        assert!(matches!(
            kind(403, r#"{"errors":[{"message":"x","code":"104"}]}"#),
            ErrorKind::AccessWindow { .. }
        ));
    }

    #[test]
    fn both_shapes_are_parsed() {
        assert_eq!(
            kind(429, r#"{"code":"303","message":"Too Many Requests"}"#),
            ErrorKind::RateLimited {
                message: "Too Many Requests".into(),
                retry_after: None
            }
        );
        // 303 in a body is a rate limit whatever the status.
        assert!(matches!(
            kind(400, r#"{"code":"303","message":"m"}"#),
            ErrorKind::RateLimited { .. }
        ));
        assert_eq!(
            kind(
                403,
                r#"{"errors":[{"message":"認証に失敗しました","code":100}]}"#
            ),
            ErrorKind::Unauthorized {
                message: "認証に失敗しました".into()
            }
        );
        assert_eq!(
            kind(
                400,
                r#"{"errors":[{"message":"Bad Authentication.","code":111},{"message":"Id is empty.","code":222}]}"#
            ),
            ErrorKind::Validation {
                message: "Bad Authentication.; Id is empty.".into(),
                details: vec![
                    "Bad Authentication. (code 111)".into(),
                    "Id is empty. (code 222)".into()
                ],
            }
        );
        assert_eq!(
            kind(500, r#"{"message":"Resource Server Error.","code":300}"#),
            ErrorKind::Server {
                status: 500,
                message: "Resource Server Error.".into()
            }
        );
        assert!(
            matches!(kind(502, "<html>bad gateway</html>"), ErrorKind::Server { message, .. } if message.contains("bad gateway"))
        );
    }

    #[test]
    fn full_body_fallback_only_for_missing_required_fields() {
        let partial = changes_to_kot(
            &[(Field::Email, Some("a@b.c".into()))],
            &crate::model::Raw::default(),
        );
        let missing = ApiError::new(
            Service::Kot,
            ErrorKind::Validation {
                message: "lastName is empty".into(),
                details: vec![],
            },
        );
        assert!(wants_full_body(&missing, &partial));
        let other = ApiError::new(
            Service::Kot,
            ErrorKind::Validation {
                message: "email is invalid".into(),
                details: vec![],
            },
        );
        assert!(!wants_full_body(&other, &partial));
        let full: Map<String, Value> = REQUIRED
            .iter()
            .map(|k| (k.to_string(), Value::from("x")))
            .collect();
        assert!(!wants_full_body(&missing, &full));
    }
}
