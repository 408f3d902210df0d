//! The SmartHR client. Employees are "crews"; offices are `biz_establishments`. Lists come back
//! as bare arrays with the paging in the `Link` and `x-total-count` headers.

mod convert;
mod paging;

pub use convert::{changes_to_crew, crew_to_employee, employee_to_crew, field_key};

use crate::http::{ApiError, Attempts, Budget, Call, ErrorKind, Limits, Notice, Secret, Transport};
use crate::model::json::{RecordError, excerpt};
use crate::model::{Employee, Field, MasterItem, Service};
use futures_util::{StreamExt, stream};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::time::Duration;

/// The documented maximum page size. Whether the server caps it lower is unconfirmed, so a
/// short page is never taken as the end unless the headers agree.
const PER_PAGE: usize = 100;

/// Pages requested at once once the first page tells how many there are. The rate limiter
/// still spaces them; this only overlaps one page's parsing with the next ones' transfer.
const PAGES_IN_FLIGHT: usize = 4;

/// The most records a list makes room for up front on the server's word (`x-total-count`).
const MAX_RESERVE: usize = 500_000;

/// Progress while a roster is fetched: records so far, and the total when the server says.
pub type Progress<'a> = &'a (dyn Fn(usize, Option<usize>) + Sync);

pub struct Client {
    t: Transport,
}

impl Client {
    /// `base_url` is the API root, e.g. `https://acme.smarthr.jp/api`; `/v1/...` is appended.
    pub fn new(base_url: &str, token: Secret, limits: Limits) -> Result<Client, ApiError> {
        Ok(Client {
            t: Transport::new(Service::SmartHr, base_url, token, limits, classify)?,
        })
    }

    /// Where this client tells a person about waits and retries as they happen.
    pub fn on_notice(&self, notice: Notice) {
        self.t.on_notice(notice);
    }

    /// The request budget SmartHR reported last over a window longer than a second, if any.
    pub fn budget(&self) -> Option<Budget> {
        self.t.budget()
    }

    /// How long SmartHR stays paused (a refusal, an exhausted budget), as it changes.
    pub fn pause(&self) -> crate::http::Pause {
        self.t.pause()
    }

    /// The longest a request waits for an exhausted budget or a long reset before failing.
    pub fn set_max_wait(&self, wait: Duration) {
        self.t.set_max_wait(wait);
    }

    /// Every crew, whatever its status, page by page.
    pub async fn list_crews(&self, on_progress: Progress<'_>) -> Result<Vec<Employee>, ApiError> {
        self.list_all(&["v1", "crews"], on_progress, |r| crew_to_employee(r))
            .await
    }

    /// The crew with this employee code, if any. The filter is exact-matched again here in case
    /// the server's filter is looser than equality.
    pub async fn find_by_emp_code(&self, code: &str) -> Result<Option<Employee>, ApiError> {
        self.find(code, Attempts::WithRetries).await
    }

    pub async fn list_biz_establishments(&self) -> Result<Vec<MasterItem>, ApiError> {
        self.list_masters(&["v1", "biz_establishments"]).await
    }

    pub async fn list_employment_types(&self) -> Result<Vec<MasterItem>, ApiError> {
        self.list_masters(&["v1", "employment_types"]).await
    }

    /// Creates a crew in `office_id`. A crew whose resignation date is already past is created
    /// as retired, since SmartHR would otherwise show a leaver as employed.
    pub async fn create_crew(
        &self,
        e: &Employee,
        office_id: &str,
        employment_type_id: Option<&str>,
    ) -> Result<Employee, ApiError> {
        let code = e.code.as_deref().ok_or_else(|| no_code(&self.t, e))?;
        let body = Value::Object(employee_to_crew(
            e,
            office_id,
            employment_type_id,
            crate::clock::today_jst(),
        ));
        let call = Call::new(Method::POST, self.t.url(&["v1", "crews"])).json(&body);
        self.t
            .create(
                &call,
                || self.find(code, Attempts::Once),
                |reply| self.convert(reply.json(&self.t)?),
            )
            .await
    }

    /// PATCHes only the given fields (SmartHR's PATCH leaves every other attribute as it is,
    /// smarthr-api.md §crews); `None` clears one. Repeating a PATCH of the same values is
    /// harmless, so it is retried like a read.
    pub async fn update_crew(
        &self,
        id: &str,
        changes: &[(Field, Option<String>)],
    ) -> Result<Employee, ApiError> {
        let body = Value::Object(changes_to_crew(changes));
        let call = Call::new(Method::PATCH, self.t.url(&["v1", "crews", id])).json(&body);
        let reply = self.t.send(&call, Attempts::WithRetries).await?;
        self.convert(reply.json(&self.t)?)
    }

    async fn find(&self, code: &str, attempts: Attempts) -> Result<Option<Employee>, ApiError> {
        let call = Call::new(Method::GET, self.t.url(&["v1", "crews"]))
            .query("emp_code", code)
            .query("per_page", PER_PAGE);
        let crews = self
            .t
            .send_list(&call, attempts)
            .await?
            .records(&self.t, crew_to_employee)?;
        Ok(crews
            .into_iter()
            .find(|crew| crew.code.as_deref() == Some(code)))
    }

    async fn list_masters(&self, path: &[&str]) -> Result<Vec<MasterItem>, ApiError> {
        self.list_all(path, &|_, _| {}, master_item).await
    }

    /// Fetches every page of a list endpoint. It follows `Link: rel="next"` when the server
    /// sends Link headers, else pages until `x-total-count` is reached, else until an empty page.
    ///
    /// When the first page tells how many pages there are, the rest are requested ahead,
    /// [`PAGES_IN_FLIGHT`] at a time (still paced by the rate limiter), and each is used only
    /// if it is the request the loop would have sent next; otherwise the loop goes on one page
    /// at a time, so the result is the same as fetching page by page.
    async fn list_all<T>(
        &self,
        path: &[&str],
        on_progress: Progress<'_>,
        convert: impl Fn(&RawValue) -> Result<T, RecordError>,
    ) -> Result<Vec<T>, ApiError> {
        let first = self.t.url(path);
        let numbered = |page: usize| {
            Call::new(Method::GET, first.clone())
                .query("page", page)
                .query("per_page", PER_PAGE)
        };
        let convert = &convert;
        let mut page = self.page(&numbered(1), convert).await?;
        let last = paging::last_page(&page.headers, page.total, page.items.len());
        let mut ahead = Some(
            stream::iter(2..=last)
                .map(|n| async move { self.page(&numbered(n), convert).await })
                .buffered(PAGES_IN_FLIGHT),
        );
        let mut number = 1usize;
        let mut previous_first_id: Option<Value> = None;
        // Sized once from the count, rather than doubling (and copying) its way to 50,000
        // records; a count beyond any real company is not trusted with an allocation.
        let mut out: Vec<T> = Vec::with_capacity(page.total.unwrap_or(0).min(MAX_RESERVE));
        // An empty page ends the list.
        while let Some(first_id) = page.first_id.take() {
            if previous_first_id.as_ref() == Some(&first_id) {
                return Err(self.t.malformed(format!(
                    "page {number} repeats the previous page; the server seems to ignore paging"
                )));
            }
            previous_first_id = Some(first_id);
            out.extend(page.items);
            on_progress(out.len(), page.total);
            number += 1;
            let call = match paging::next(&page.headers, page.total, out.len()) {
                paging::Next::Stop => break,
                paging::Next::Page => numbered(number),
                paging::Next::Link(next) => {
                    Call::new(Method::GET, self.checked_link(&first, &next)?)
                }
            };
            let fetched = match ahead.as_mut() {
                Some(pages) => pages.next().await,
                None => None,
            };
            page = match fetched {
                Some(result) if paging::same_request(&call.url, &call.query, &numbered(number)) => {
                    result?
                }
                _ => {
                    ahead = None;
                    self.page(&call, convert).await?
                }
            };
        }
        Ok(out)
    }

    /// One page of a list: its records converted, the first record's id (to notice a server
    /// that ignores paging), and the headers that tell whether there is more.
    async fn page<T>(
        &self,
        call: &Call<'_>,
        convert: &impl Fn(&RawValue) -> Result<T, RecordError>,
    ) -> Result<Page<T>, ApiError> {
        let reply = self.t.send_list(call, Attempts::WithRetries).await?;
        let mut first_id = None;
        let items = reply.records(&self.t, |record| {
            if first_id.is_none() {
                first_id = Some(record_id(record));
            }
            convert(record)
        })?;
        let total = reply
            .header("x-total-count")
            .and_then(|v| v.trim().parse::<usize>().ok());
        Ok(Page {
            items,
            first_id,
            total,
            headers: reply.headers,
        })
    }

    /// A next-page link, resolved against the list URL and allowed only on the configured
    /// host, since following it sends the token.
    fn checked_link(&self, base: &Url, link: &str) -> Result<Url, ApiError> {
        let url = base
            .join(link)
            .map_err(|e| self.t.malformed(format!("next-page link '{link}': {e}")))?;
        if self.t.is_same_origin(&url) {
            Ok(url)
        } else {
            Err(self.t.malformed(format!(
                "the next-page link points at another host ({}); refusing to send the token there",
                url.origin().ascii_serialization()
            )))
        }
    }

    fn convert(&self, record: Box<RawValue>) -> Result<Employee, ApiError> {
        crew_to_employee(record).map_err(|d| self.t.malformed(d.to_string()))
    }
}

struct Page<T> {
    items: Vec<T>,
    first_id: Option<Value>,
    total: Option<usize>,
    headers: HeaderMap,
}

/// A record's `id` as JSON (null when it has none or is not an object), read without parsing
/// the rest of it.
fn record_id(record: &RawValue) -> Value {
    #[derive(Deserialize)]
    struct Id {
        #[serde(default)]
        id: Value,
    }
    serde_json::from_str::<Id>(record.get()).map_or(Value::Null, |r| r.id)
}

/// An office or employment type: its id, and its name (the id when it has none).
fn master_item(record: &RawValue) -> Result<MasterItem, RecordError> {
    let value: Value = serde_json::from_str(record.get())
        .map_err(|e| crate::model::json::syntax_error(&e, record.get().as_bytes()))?;
    let obj = crate::model::json::object(&value, "record")?;
    let id = crate::model::json::text(obj, "id")
        .ok_or_else(|| RecordError::NoId(excerpt(&value.to_string())))?;
    let name = crate::model::json::text(obj, "name").unwrap_or_else(|| id.clone());
    Ok(MasterItem { id, name })
}

fn no_code(t: &Transport, e: &Employee) -> ApiError {
    t.error(ErrorKind::Validation {
        message: format!(
            "cannot create '{}' without an employee code (emp_code)",
            e.display_name()
        ),
        details: Vec::new(),
    })
}

/// SmartHR's error body: `{code, type, message, errors}`, `errors` null or an array.
#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    errors: Option<Vec<ErrorItem>>,
}

#[derive(Deserialize)]
struct ErrorItem {
    message: Option<String>,
    resource: Option<String>,
    field: Option<String>,
}

fn classify(status: StatusCode, headers: &HeaderMap, text: &str) -> ErrorKind {
    let body = serde_json::from_str::<ErrorBody>(text).ok();
    let message = body
        .as_ref()
        .and_then(|b| b.message.clone().or_else(|| b.kind.clone()))
        .unwrap_or_else(|| excerpt(text));
    let details = body
        .and_then(|b| b.errors)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| {
            let place = item.field.or(item.resource);
            match (place, item.message) {
                (Some(p), Some(m)) => Some(format!("{p}: {m}")),
                (None, Some(m)) => Some(m),
                (Some(p), None) => Some(p),
                (None, None) => None,
            }
        })
        .collect();
    ErrorKind::from_status(status, message, details, rate_limit_wait(headers))
}

/// How long a 429 asks us to wait: the reset of whichever bucket (per-token or "intensive")
/// is exhausted, or the longest reset given, or `Retry-After`. SmartHR's resets are seconds
/// from now, not timestamps.
fn rate_limit_wait(headers: &HeaderMap) -> Option<Duration> {
    let num = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let buckets = [
        (num("x-rate-limit-remaining"), num("x-rate-limit-reset")),
        (
            num("x-intensive-rate-limit-remaining"),
            num("x-intensive-rate-limit-reset"),
        ),
    ];
    let longest = |only_exhausted: bool| {
        buckets
            .iter()
            .filter(|(remaining, _)| !only_exhausted || *remaining == Some(0.0))
            .filter_map(|(_, reset)| *reset)
            .reduce(f64::max)
    };
    longest(true)
        .or_else(|| longest(false))
        .or_else(|| num("retry-after"))
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn rate_limit_wait_prefers_the_exhausted_bucket() {
        let h = headers(&[
            ("x-rate-limit-remaining", "4000"),
            ("x-rate-limit-reset", "3000"),
            ("x-intensive-rate-limit-remaining", "0"),
            ("x-intensive-rate-limit-reset", "2"),
        ]);
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(2)));
        let h = headers(&[("x-rate-limit-reset", "5")]);
        assert_eq!(rate_limit_wait(&h), Some(Duration::from_secs(5)));
        assert_eq!(rate_limit_wait(&HeaderMap::new()), None);
    }

    #[test]
    fn error_body_becomes_validation_with_details() {
        let body = r#"{"code":1,"type":"bad_request","message":"不正なパラメータです","errors":[{"message":"を入力してください","resource":"crew","field":"last_name"}]}"#;
        let kind = classify(StatusCode::BAD_REQUEST, &HeaderMap::new(), body);
        assert_eq!(
            kind,
            ErrorKind::Validation {
                message: "不正なパラメータです".into(),
                details: vec!["last_name: を入力してください".into()],
            }
        );
        let kind = classify(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            r#"{"code":2,"type":"unauthorized_token","message":"無効なアクセストークンです","errors":null}"#,
        );
        assert_eq!(
            kind,
            ErrorKind::Unauthorized {
                message: "無効なアクセストークンです".into()
            }
        );
    }
}
